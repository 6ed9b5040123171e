"""``normalign plot-regions``: a PNG of the exact 2-d partition of a CPA network.

Every linear region meeting the box is found exactly (``normalign.numerics.engine.regions.enumerate_partition``) and
filled with the colour of its predicted class (lighter and darker shades alternate between neighbouring
regions so the cells stay visible); region edges are drawn. Also drawn: the power-diagram sites of the
first activation layer (D3: ``W^T q`` for the patterns present, as crosses), and in every region the
direction of the region's centroid ``mu = J^T 1`` (D2) as a short arrow from the region's Chebyshev
centre -- under normal alignment the arrows point along the ray through the origin (P1). Training
points (``--points``, optional ``--labels``) are marked with their class colour.

For inputs with d > 2, ``--slice`` picks the plane ``x = x0 + s e1 + t e2``: either ``i,j`` (coordinate
axes i, j through ``x0 = 0``, or through ``--origin O.npy``) or a ``.npy`` file holding the (3, d) array
``[x0; e1; e2]``; points are projected onto the plane by least squares in ``(s, t)``. The PNG is written
atomically (temporary file, then rename). Matplotlib is used through the Agg canvas, never pyplot.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.engine.regions import (
    Partition2D,
    enumerate_partition,
    slice_network,
)

from normalign.files import write_figure_atomic

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

CLASS_COLOURS: tuple[str, ...] = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3",
                                  "#8C8C8C", "#CCB974", "#64B5CD")


AXIS_LABELS: tuple[str, str] = ("$x_0$ (input units)", "$x_1$ (input units)")
"""Axis labels of a 2-d input (coordinates numbered from 0, as in the model's arrays)."""


class PlotError(ValueError):
    """Bad input to plot-regions (reported as one line by the CLI)."""


def clip_polygon(V: np.ndarray, a: np.ndarray, b: float) -> np.ndarray:
    """Sutherland-Hodgman: the part of the convex polygon ``V`` (ordered vertices) with ``a^T v <= b``."""
    out: list[np.ndarray] = []
    n = len(V)
    for i in range(n):
        p, q = V[i], V[(i + 1) % n]
        fp, fq = a @ p - b, a @ q - b
        if fp <= 0:
            out.append(p)
        if (fp < 0 < fq) or (fq < 0 < fp):
            out.append(p + fp / (fp - fq) * (q - p))
    return np.array(out).reshape(-1, 2)


def class_cells(net: CPANetwork, part: Partition2D) -> list[tuple[int, int, np.ndarray]]:
    """Exact class cells: for every region and class k, the polygon where k wins under the region's
    affine map (c = 1: the sign of the logit). Where two logits are the same affine map on a whole
    region (e.g. a region where every unit is off in a bias-free output layer: f = 0), the lower class
    wins, as ``argmax`` (and ``f > 0`` for c = 1) decides. Returns ``(region index, class, vertices)``."""
    from normalign.numerics.engine.geometry import region_maps

    C = np.array([r.centre for r in part.regions])
    J, b = region_maps(net, C)
    cells = []
    for i, reg in enumerate(part.regions):
        if net.output_dim == 1:  # (j, normal, rhs): class k needs normal . v <= rhs against class j
            halves = {0: [(1, J[i, 0], -b[i, 0])], 1: [(0, -J[i, 0], b[i, 0])]}
        else:
            halves = {k: [(j, J[i, j] - J[i, k], b[i, k] - b[i, j]) for j in range(net.output_dim) if j != k]
                      for k in range(net.output_dim)}
        for k, hs in halves.items():
            if any(j < k and not np.any(a) and rhs == 0 for j, a, rhs in hs):
                continue  # f_j = f_k on the whole region: the lower class j wins the tie
            V = reg.vertices
            for _, a, rhs in hs:
                if len(V) < 3:
                    break
                V = clip_polygon(V, a, rhs)
            if len(V) >= 3:
                cells.append((i, k, V))
    return cells


def region_classes(net: CPANetwork, part: Partition2D) -> np.ndarray:
    """Predicted class of every region (at its Chebyshev centre; c = 1: 1 for a positive logit)."""
    C = np.array([r.centre for r in part.regions])
    f = net.forward(C)
    return (f[:, 0] > 0).astype(int) if net.output_dim == 1 else np.argmax(f, axis=1)


def draw_partition(ax: "Axes", net: CPANetwork, part: Partition2D, points: np.ndarray | None = None,
                   labels: np.ndarray | None = None, *, highlight: np.ndarray | None = None,
                   axis_labels: tuple[str, str] = AXIS_LABELS, sites: bool = True,
                   point_label: str = "point (colour: its label)") -> list:
    """Draw the exact partition of a 2-d network on ``ax``: class cells (exact, from each region's affine
    map), region edges, the decision boundary, centroid directions ``mu = J^T 1`` (D2), the first
    layer's power-diagram sites (D3), ``points`` in the colours of ``labels`` (default: their predicted
    classes) and ``highlight`` (points drawn as large rings, e.g. a counterexample). Returns the legend
    handles (classes first)."""
    from matplotlib.colors import to_rgb
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Polygon

    span = float(np.max(part.hi - part.lo))
    classes: set[int] = set()
    boundary = False
    for i, k, V in class_cells(net, part):
        classes.add(int(k))
        base = np.array(to_rgb(CLASS_COLOURS[int(k) % len(CLASS_COLOURS)]))
        shade = 0.45 + 0.25 * ((i * 7919) % 3) / 2  # alternate lightness between regions
        ax.add_patch(Polygon(V, closed=True, facecolor=1.0 - shade * (1.0 - base), edgecolor="none"))
        poly = part.regions[i].poly
        for a_, b_ in zip(V, np.roll(V, -1, axis=0)):  # edges inside the region: the decision boundary
            m = 0.5 * (a_ + b_)
            if np.min(poly.b - poly.A @ m) > 1e-9 * span:
                ax.plot([a_[0], b_[0]], [a_[1], b_[1]], color="k", linewidth=2.0)
                boundary = True
    for reg in part.regions:
        ax.add_patch(Polygon(reg.vertices, closed=True, facecolor="none", edgecolor="k", linewidth=0.35))
    handles: list = [Patch(facecolor=CLASS_COLOURS[k % len(CLASS_COLOURS)], edgecolor="k", linewidth=0.5,
                           label=f"predicted class {k}") for k in sorted(classes)]
    handles.append(Line2D([], [], color="k", linewidth=0.6, label="linear-region edge"))
    if boundary:
        handles.append(Line2D([], [], color="k", linewidth=2.0, label="decision boundary"))
    centres = np.array([r.centre for r in part.regions])
    geo = analyze(net, centres + (np.all(centres == 0, axis=1)[:, None] * 1e-12), jacobian=False)
    mu = geo.centroid
    nrm = np.linalg.norm(mu, axis=1)
    ok = nrm > 0
    if ok.any():
        arrows = mu[ok] / nrm[ok, None] * 0.04 * span
        ax.quiver(centres[ok, 0], centres[ok, 1], arrows[:, 0], arrows[:, 1], angles="xy", scale_units="xy",
                  scale=1, width=0.003, color="k", alpha=0.7)
        handles.append(Line2D([], [], color="k", alpha=0.7, marker=r"$\rightarrow$", markersize=10, linestyle="none",
                              label=r"centroid direction $\mu = J^\top 1$"))
    if sites and geo.layer_sites:
        S = np.unique(np.round(geo.layer_sites[0], 12), axis=0)
        inside = np.all((S >= part.lo) & (S <= part.hi), axis=1)
        if inside.any():
            ax.scatter(S[inside, 0], S[inside, 1], marker="x", s=30, c="k", linewidths=1.0)
            handles.append(Line2D([], [], color="k", marker="x", linestyle="none",
                                  label=r"layer-1 power-diagram site $W^\top q$"))
    if points is not None and len(points):
        if labels is None:
            f = net.forward(points)
            labels = (f[:, 0] > 0).astype(int) if net.output_dim == 1 else np.argmax(f, axis=1)
        cols = [CLASS_COLOURS[int(k) % len(CLASS_COLOURS)] for k in labels]
        ax.scatter(points[:, 0], points[:, 1], c=cols, s=28, edgecolors="k", linewidths=0.8, zorder=5)
        handles.append(Line2D([], [], color="w", marker="o", markerfacecolor="0.6", markeredgecolor="k",
                              linestyle="none", label=point_label))
    if highlight is not None and len(highlight):
        H = np.atleast_2d(highlight)
        ax.scatter(H[:, 0], H[:, 1], s=160, facecolors="none", edgecolors="#d62728", linewidths=2.2, zorder=6)
        handles.append(Line2D([], [], color="w", marker="o", markerfacecolor="none", markeredgecolor="#d62728",
                              markeredgewidth=2.2, markersize=11, linestyle="none", label="counterexample point"))
    ax.set_xlim(part.lo[0], part.hi[0])
    ax.set_ylim(part.lo[1], part.hi[1])
    ax.set_aspect("equal")
    ax.set_xlabel(axis_labels[0])
    ax.set_ylabel(axis_labels[1])
    return handles


def partition_figure(net: CPANetwork, part: Partition2D, points: np.ndarray | None = None,
                     labels: np.ndarray | None = None, title: str = "", *, highlight: np.ndarray | None = None,
                     axis_labels: tuple[str, str] = AXIS_LABELS, size: float = 5.5,
                     point_label: str | None = None) -> "Figure":
    """A matplotlib Figure (Agg canvas, no pyplot) of :func:`draw_partition` with the legend to the right
    of the data area; save it with ``bbox_inches="tight"`` (as :func:`plot_partition` does)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(size, size), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    if point_label is None:
        point_label = "point (colour: its label)" if labels is not None else "point (colour: predicted class)"
    handles = draw_partition(ax, net, part, points, labels, highlight=highlight, axis_labels=axis_labels,
                             point_label=point_label)
    ax.set_title(title or f"{len(part.regions)} linear regions, coloured by predicted class", fontsize=10)
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=8,
              frameon=False)
    return fig


def plot_partition(net: CPANetwork, part: Partition2D, out: str | Path, points: np.ndarray | None = None,
                   labels: np.ndarray | None = None, title: str = "", *,
                   axis_labels: tuple[str, str] = AXIS_LABELS) -> Path:
    """Draw the partition of a 2-d network and write the PNG atomically (tight bounding box, legend
    outside the data); returns the path."""
    fig = partition_figure(net, part, points, labels, title, axis_labels=axis_labels)
    return write_figure_atomic(Path(out), fig, bbox_inches="tight", pad_inches=0.05)


def _parse_slice(spec: str | None, d: int, origin: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if d == 2 and spec is None:
        return None
    if spec is None:
        raise PlotError(f"the model has d = {d} inputs: give --slice i,j or --slice PLANE.npy (a (3, {d}) array)")
    x0 = np.zeros(d) if origin is None else origin
    if spec.endswith(".npy"):
        P = _load_npy(spec)
        if P.shape != (3, d):
            raise PlotError(f"--slice {spec}: expected shape (3, {d}) = [x0; e1; e2], got {P.shape}")
        return P[0], P[1], P[2]
    try:
        i, j = (int(t) for t in spec.split(","))
    except ValueError:
        raise PlotError(f"--slice must be 'i,j' (two coordinate indices) or a .npy file, got {spec!r}") from None
    if not (0 <= i < d and 0 <= j < d) or i == j:
        raise PlotError(f"--slice {spec}: need two different indices in 0..{d - 1}")
    return x0, np.eye(d)[i], np.eye(d)[j]


def _load_npy(path: str) -> np.ndarray:
    try:
        A = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise PlotError(f"cannot read {path} as a .npy array: {str(exc).splitlines()[0]}") from None
    if not np.issubdtype(A.dtype, np.number) or not np.all(np.isfinite(A)):
        raise PlotError(f"{path}: expected a finite numeric array")
    return A.astype(np.float64)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="normalign plot-regions", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="model file (.npz arrays, or a torch state dict of an nn.Sequential)")
    p.add_argument("--slice", default=None, help="for d > 2: 'i,j' (axes) or PLANE.npy holding [x0; e1; e2]")
    p.add_argument("--origin", default=None, help="O.npy: the plane's origin x0 for --slice i,j (default 0)")
    p.add_argument("--points", default=None, help="P.npy of shape (n, d): training points to mark")
    p.add_argument("--labels", default=None, help="L.npy of shape (n,): their labels (default: predicted)")
    p.add_argument("--box", default=None, help="'lo,hi' for both plane coordinates (default: from the points, "
                   "else -3,3)")
    p.add_argument("--max-regions", type=int, default=20000)
    p.add_argument("--out", default="regions.png", help="output PNG (written atomically)")
    return p


def plot_regions_main(argv: list[str]) -> int:
    """CLI entry: ``normalign plot-regions MODEL [--slice ...] [--points P.npy] [--out F.png]``."""
    import sys

    args = _parser().parse_args(argv)
    try:
        path = _run(args)
    except (PlotError, NetworkError, RuntimeError) as exc:
        print(f"normalign: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _run(args: argparse.Namespace) -> Path:
    net = CPANetwork.load(args.model)
    d = net.input_dim
    if d < 2:
        raise PlotError(f"the model has d = {d} input; plot-regions needs d >= 2")
    origin = None
    if args.origin is not None:
        origin = _load_npy(args.origin).reshape(-1)
        if origin.shape != (d,):
            raise PlotError(f"--origin: expected {d} numbers, got shape {origin.shape}")
    plane = _parse_slice(args.slice, d, origin)
    net2 = net if plane is None else slice_network(net, *plane)
    pts = labels = None
    if args.points is not None:
        P = _load_npy(args.points)
        if P.ndim != 2 or P.shape[1] != d or P.shape[0] == 0:
            raise PlotError(f"--points: expected shape (n, {d}), got {P.shape}")
        if plane is None:
            pts = P
        else:
            E = np.column_stack([plane[1], plane[2]])
            pts = np.linalg.lstsq(E, (P - plane[0]).T, rcond=None)[0].T
    if args.labels is not None:
        if pts is None:
            raise PlotError("--labels needs --points")
        labels = _load_npy(args.labels).reshape(-1).astype(int)
        if labels.shape[0] != pts.shape[0]:
            raise PlotError(f"--labels has {labels.shape[0]} entries for {pts.shape[0]} points")
    if args.box is not None:
        try:
            lo_, hi_ = (float(t) for t in args.box.split(","))
        except ValueError:
            raise PlotError(f"--box must be 'lo,hi', got {args.box!r}") from None
        if not hi_ > lo_:
            raise PlotError("--box needs hi > lo")
        lo, hi = np.array([lo_, lo_]), np.array([hi_, hi_])
    elif pts is not None:
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3) + 0.1
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = np.array([-3.0, -3.0]), np.array([3.0, 3.0])
    part = enumerate_partition(net2, lo, hi, max_regions=args.max_regions)
    title = (f"{Path(args.model).name}: {len(part.regions)} linear regions (exact; areas sum to the box "
             f"within {part.area_defect:.0e})")
    if plane is None:
        axis_labels = AXIS_LABELS
    elif not args.slice.endswith(".npy"):
        i, j = (int(t) for t in args.slice.split(","))
        axis_labels = (f"$x_{{{i}}}$ (input units)", f"$x_{{{j}}}$ (input units)")
    else:
        axis_labels = ("$s$: along $e_1$ from $x_0$ (input units)", "$t$: along $e_2$ from $x_0$ (input units)")
    return plot_partition(net2, part, args.out, pts, labels, title, axis_labels=axis_labels)


def main(argv: Sequence[str] | None = None) -> int:  # pragma: no cover - convenience
    import sys

    return plot_regions_main(list(sys.argv[1:] if argv is None else argv))
