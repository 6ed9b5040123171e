"""Figures of the report: exact region pictures of 2-d counterexamples, the experiments' figures.

A counterexample that carries a network (``weights``, ``biases``, ``activations``, ``negative_slope``,
as ``normalign.numerics.checks.definitions.reference.net_case`` writes it) with a 2-d input and its
point(s) (``x`` or ``X``) is drawn from the engine's exact partition
(``normalign.numerics.engine.regions.enumerate_partition``: every linear region meeting the box, as a
polygon), never from a sampled grid, by ``normalign.numerics.experiments.plotting.partition_figure``.
Matplotlib is used through its Agg canvas inside the functions (no import-time side effects).
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAX_REGIONS = 4000
"""Cap on the regions of one picture (a larger partition is not drawn, and the page says so)."""


@dataclass(frozen=True)
class Picture:
    """A PNG and what it shows."""

    png: bytes
    caption: str

    @property
    def size(self) -> tuple[int, int]:
        return png_size(self.png)

    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode()


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) in pixels from a PNG's IHDR chunk."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


def case_network(case: dict[str, Any]) -> Any:
    """The CPA network a counterexample carries (``None`` when it carries none the engine can build)."""
    from normalign.numerics.engine.network import CPANetwork, NetworkError

    W = case.get("weights")
    if not isinstance(W, list) or not W:
        return None
    try:
        return CPANetwork.from_arrays([np.asarray(w, dtype=np.float64) for w in W],
                                      [None if b is None else np.asarray(b, dtype=np.float64)
                                       for b in case.get("biases") or [None] * len(W)],
                                      case.get("activations"), float(case.get("negative_slope", 0.01)))
    except (NetworkError, TypeError, ValueError):
        return None


def case_points(case: dict[str, Any], d: int) -> np.ndarray | None:
    """The point(s) of a counterexample as an (n, d) array: ``x`` (one point) or ``X`` (several)."""
    for key in ("x", "X"):
        if key in case:
            try:
                P = np.asarray(case[key], dtype=np.float64)
            except (TypeError, ValueError):
                return None
            P = P.reshape(1, -1) if P.ndim == 1 else P
            if P.ndim == 2 and P.shape[1] == d and P.shape[0] > 0 and np.all(np.isfinite(P)):
                return P
    return None


def picture_box(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A square box around the points and the origin (alignment is measured from the origin), with a
    margin of a quarter of its side."""
    P = np.vstack([points, np.zeros((1, points.shape[1]))])
    lo, hi = P.min(axis=0), P.max(axis=0)
    c, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 0.5)
    half *= 1.25
    return c - half, c + half


def region_picture(case: dict[str, Any], title: str) -> Picture | str | None:
    """The exact partition around a 2-d counterexample's points, as a PNG; ``None`` when the case has no
    2-d network and point; a string saying why when it has one but cannot be drawn."""
    from normalign.numerics.engine.regions import enumerate_partition
    from normalign.numerics.experiments.plotting import partition_figure

    net = case_network(case)
    if net is None or net.input_dim != 2:
        return None
    pts = case_points(case, 2)
    if pts is None:
        return None
    lo, hi = picture_box(pts)
    try:
        part = enumerate_partition(net, lo, hi, max_regions=MAX_REGIONS)
    except (RuntimeError, ValueError) as exc:
        return f"no picture: the exact partition could not be enumerated ({exc})"
    if not part.complete:
        return (f"no picture: the partition of the box is not certified complete "
                f"({len(part.regions)} regions found, {part.unresolved} unresolved cells)")
    fig = partition_figure(net, part, pts, None, title, highlight=pts if len(pts) == 1 else None, size=4.6)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight", pad_inches=0.05)
    caption = (f"Exact linear regions of the counterexample's network ({len(part.regions)} regions in "
               f"[{lo[0]:.3g}, {hi[0]:.3g}] x [{lo[1]:.3g}, {hi[1]:.3g}], from the engine's enumeration; areas "
               f"sum to the box within {part.area_defect:.0e}), coloured by predicted class; "
               f"{'the point' if len(pts) == 1 else f'its {len(pts)} points'} marked.")
    return Picture(buf.getvalue(), caption)


def measured_figures(results: str | None, results_dir: Path) -> list[Path]:
    """The PNG figures an experiment wrote next to its results (``results`` is the registry's path,
    e.g. ``results/rfam/results.json``; its leading ``results/`` is ``results_dir``)."""
    if not results:
        return []
    rel = Path(results)
    if rel.parts and rel.parts[0] == "results":
        rel = Path(*rel.parts[1:])
    folder = (results_dir / rel).parent
    return sorted(folder.glob("*.png")) if folder.is_dir() else []


def format_case(case: Any, limit: int = 1200) -> str:
    """The counterexample's numbers as compact JSON (floats to 6 significant digits), clipped to
    ``limit`` characters."""
    text = json.dumps(_round(case), separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 30] + f" ... ({len(text)} characters)"


def _round(v: Any) -> Any:
    if isinstance(v, float):
        return v if not math.isfinite(v) or v == 0 else float(f"{v:.6g}")
    if isinstance(v, dict):
        return {k: _round(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_round(x) for x in v]
    return v
