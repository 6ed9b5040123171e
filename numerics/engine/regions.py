"""Exact linear regions of a CPA network as polytopes, and the exact partition of a 2-d slice.

A point ``x`` with slopes ``s_l`` in every layer owns the region of all ``x'`` with the same activation
pattern. On that region each layer's pre-activation is affine, ``z_l(x') = E_l x' + e_l`` with

    E_1 = W_1, e_1 = b_1,   E_{l+1} = W_{l+1} diag(s_l) E_l,   e_{l+1} = W_{l+1} diag(s_l) e_l + b_{l+1},

so (by induction over the layers) the region is the polytope ``{x' : -E_lk x' <= e_lk for active units,
E_lk x' <= -e_lk for inactive ones}`` (closed; a unit with ``z = 0`` counts as inactive, as in
``Layer.slopes``). Rows are normalised to unit length so that slacks are Euclidean distances.

Chebyshev centre (largest inscribed ball) by ``scipy.optimize.linprog(method="highs")``:
``max r s.t. a_i^T c + r ||a_i|| <= b_i``. For 2-d inputs (or the 2-d affine slice
``x = x0 + s e1 + t e2`` of a larger input, :func:`slice_network`) :func:`enumerate_partition` finds every
region meeting a box by breadth-first search over neighbours (a probe just across each edge) and
returns each region's vertices (``scipy.spatial.HalfspaceIntersection``) and area; the areas must add
up to the box's area, which checks that no region was missed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np
from normalign.numerics.engine.network import CPANetwork, Layer, check_points
from normalign.numerics.tolerances import matmul_tol
from scipy.optimize import linprog
from scipy.spatial import HalfspaceIntersection


@dataclass(frozen=True)
class Polytope:
    """``{x : A x <= b}`` with unit rows; ``source[i] = (layer, unit)``, or ``(-1, j)`` for a box row."""

    A: np.ndarray
    b: np.ndarray
    source: np.ndarray
    key: bytes = b""

    @property
    def dim(self) -> int:
        return int(self.A.shape[1])

    def slack(self, X: np.ndarray) -> np.ndarray:
        """``b - A x`` for each point (n, m): all >= 0 inside."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        return self.b[None, :] - X @ self.A.T

    def contains(self, X: np.ndarray, tol: float = 0.0) -> np.ndarray:
        """Membership of each point, allowing a violation of ``tol * (1 + |b|)`` per row."""
        return np.all(self.slack(X) >= -tol * (1.0 + np.abs(self.b))[None, :], axis=1)


@dataclass(frozen=True)
class Chebyshev:
    """Largest inscribed ball: centre, radius (``inf`` when unbounded), solver status and message."""

    centre: np.ndarray
    radius: float
    status: int
    message: str

    @property
    def ok(self) -> bool:
        return self.status in (0, 3)


def layer_maps(net: CPANetwork, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """``(E_l, e_l, s_l)`` for every layer at the single point ``x``: ``z_l(x') = E_l x' + e_l`` on x's region."""
    x = check_points(x, net.input_dim)[0]
    Es, es, ss = [], [], []
    E, e = np.eye(net.input_dim), np.zeros(net.input_dim)
    for layer in net.layers:
        E, e = layer.weight @ E, layer.weight @ e + layer.bias
        z = E @ x + e
        s = layer.slopes(z)
        Es.append(E)
        es.append(e)
        ss.append(s)
        E, e = s[:, None] * E, s * e
    return Es, es, ss


def row_norms(A: np.ndarray) -> np.ndarray:
    """Euclidean row norms without underflow for tiny rows (scaled by each row's largest entry)."""
    m = np.abs(A).max(axis=1) if A.shape[1] else np.zeros(A.shape[0])
    safe = np.where(m > 0, m, 1.0)
    return m * np.linalg.norm(A / safe[:, None], axis=1)


def pattern_keys(net: CPANetwork, X: np.ndarray) -> list[bytes]:
    """A hashable key per point: the concatenated patterns ``z_l > 0`` of the activation layers."""
    zs = net.preactivations(X)
    bits = np.concatenate([zs[i] > 0 for i in net.activation_layers], axis=1) if net.activation_layers \
        else np.zeros((zs[0].shape[0], 0), dtype=bool)
    return [np.packbits(r).tobytes() + bytes([r.size % 8]) for r in bits]


def region_polytope(net: CPANetwork, x: np.ndarray, box: tuple[np.ndarray, np.ndarray] | None = None,
                    upto: int | None = None) -> Polytope:
    """The closed region of ``x`` as unit-row half-spaces (optionally intersected with a box ``lo <= x <= hi``).

    With ``upto = l`` only the activation layers before layer ``l`` count (the region of the earlier
    layers, on which layer ``l``'s power diagram lives, PD). Units whose pre-activation is constant on
    the region (zero row of ``E_l``) impose no constraint and are dropped."""
    x = check_points(x, net.input_dim)[0]
    Es, es, ss = layer_maps(net, x)
    rows, rhs, src = [], [], []
    for l in net.activation_layers:
        if upto is not None and l >= upto:
            break
        E, e = Es[l], es[l]
        active = (E @ x + e) > 0
        sign = np.where(active, -1.0, 1.0)  # active: -z <= 0; inactive: z <= 0
        A, b = sign[:, None] * E, -sign * e
        nrm = row_norms(A)
        # a row whose hyperplane lies beyond the float range (|b| / ||a|| overflows; x satisfies it, so
        # b > 0) constrains nothing representable, like a zero row
        keep = (nrm > 0) & (2.0 * (np.abs(b) / np.finfo(np.float64).max) <= nrm)
        rows.append(A[keep] / nrm[keep, None])
        rhs.append(b[keep] / nrm[keep])
        src.extend((l, k) for k in np.flatnonzero(keep))
    if box is not None:
        lo, hi = (np.asarray(v, dtype=np.float64).reshape(-1) for v in box)
        if lo.shape != (net.input_dim,) or hi.shape != (net.input_dim,) or not np.all(hi > lo):
            raise ValueError(f"box must be (lo, hi) of length {net.input_dim} with hi > lo")
        I = np.eye(net.input_dim)
        rows += [I, -I]
        rhs += [hi, -lo]
        src.extend((-1, j) for j in range(2 * net.input_dim))
    d = net.input_dim
    A = np.concatenate(rows, axis=0) if rows else np.zeros((0, d))
    b = np.concatenate(rhs) if rhs else np.zeros(0)
    key = pattern_keys(net, x[None])[0]
    return Polytope(A, b, np.array(src, dtype=int).reshape(-1, 2), key)


def chebyshev(poly: Polytope, extra: tuple[np.ndarray, np.ndarray] | None = None) -> Chebyshev:
    """Chebyshev centre and inradius by linprog (HiGHS): ``max r, a_i^T c + r <= b_i`` (unit rows).

    ``extra = (C, g)`` adds equality constraints ``C c = g`` (e.g. a facet's hyperplane; the ball is
    then the one inscribed in the facet). Status 0: optimal; 3: unbounded (radius inf); else failed."""
    A, b = poly.A, poly.b
    d = poly.dim
    if A.shape[0] == 0:
        return Chebyshev(np.zeros(d), np.inf, 3, "no constraints: the whole space")
    nrm = np.linalg.norm(A, axis=1)
    c = np.zeros(d + 1)
    c[-1] = -1.0
    A_ub = np.column_stack([A, nrm])
    kw = {}
    if extra is not None:
        C, g = extra
        C = np.atleast_2d(C)
        kw = {"A_eq": np.column_stack([C, np.zeros(C.shape[0])]), "b_eq": np.atleast_1d(g)}
    res = linprog(c, A_ub=A_ub, b_ub=b, bounds=[(None, None)] * d + [(0, None)], method="highs", **kw)
    if res.status == 3:
        return Chebyshev(np.full(d, np.nan), np.inf, 3, res.message)
    if res.status != 0:
        return Chebyshev(np.full(d, np.nan), np.nan, int(res.status), res.message)
    centre, r = res.x[:d], float(res.x[d])
    # re-verify in numpy: the centre is inside with slack >= r (up to the solver's feasibility tolerance)
    slack = b - A @ centre
    scale = 1.0 + np.abs(b).max() + np.abs(centre).max()
    if np.any(slack < r - 1e-7 * scale):
        return Chebyshev(centre, r, 4, "linprog optimum failed the numpy re-check of the slacks")
    return Chebyshev(centre, r, 0, res.message)


def slice_network(net: CPANetwork, x0: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> CPANetwork:
    """The network restricted to the plane ``x = x0 + s e1 + t e2``: a CPA network of ``(s, t)``."""
    x0 = check_points(x0, net.input_dim)[0]
    E = np.column_stack([check_points(e1, net.input_dim)[0], check_points(e2, net.input_dim)[0]])
    if np.linalg.matrix_rank(E) < 2:
        raise ValueError("slice directions e1, e2 must be linearly independent")
    first = net.layers[0]
    new = Layer(first.weight @ E, first.weight @ x0 + first.bias, first.activation, first.negative_slope, True)
    return CPANetwork((new,) + net.layers[1:])


@dataclass
class Region2D:
    """One region of a 2-d partition: its polytope (box included), vertices in counter-clockwise order,
    area, Chebyshev centre and inradius."""

    poly: Polytope
    vertices: np.ndarray
    area: float
    centre: np.ndarray
    inradius: float


@dataclass
class Partition2D:
    """Every region of a 2-d network meeting the box ``[lo, hi]``; ``area_defect`` is
    ``|sum of areas - box area| / box area`` (0 up to rounding when no region is missing)."""

    net: CPANetwork
    lo: np.ndarray
    hi: np.ndarray
    regions: list[Region2D] = field(default_factory=list)
    skipped: int = 0

    @property
    def area_defect(self) -> float:
        box = float(np.prod(self.hi - self.lo))
        return abs(sum(r.area for r in self.regions) - box) / box

    def locate(self, X: np.ndarray) -> np.ndarray:
        """Index of the region holding each point (by pattern key), -1 when not enumerated."""
        idx = {r.poly.key: i for i, r in enumerate(self.regions)}
        return np.array([idx.get(k, -1) for k in pattern_keys(self.net, X)])


def polygon_vertices(poly: Polytope, interior: np.ndarray) -> np.ndarray:
    """Vertices (counter-clockwise) of a bounded 2-d polytope with a strictly interior point."""
    hs = HalfspaceIntersection(np.column_stack([poly.A, -poly.b]), interior)
    V = hs.intersections
    V = V[np.all(np.isfinite(V), axis=1)]
    scale = 1.0 + np.abs(V).max()
    keep: list[np.ndarray] = []
    for v in V:
        if not any(np.linalg.norm(v - w) <= 1e-9 * scale for w in keep):
            keep.append(v)
    V = np.array(keep)
    c = V.mean(axis=0)
    return V[np.argsort(np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0]))]


def polygon_area(V: np.ndarray) -> float:
    """Shoelace formula."""
    x, y = V[:, 0], V[:, 1]
    return 0.5 * float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def enumerate_partition(net: CPANetwork, lo: np.ndarray, hi: np.ndarray, *, max_regions: int = 20000,
                        seeds: np.ndarray | None = None) -> Partition2D:
    """All regions of a 2-d network meeting the box, by BFS: for each region, probe just across every
    edge (at 1/4, 1/2, 3/4 of its length) and visit the pattern found there if new.

    ``seeds`` are extra starting points (default: the box centre). Regions whose inradius is below
    rounding level (measure zero) are counted in ``skipped``."""
    if net.input_dim != 2:
        raise ValueError(f"enumerate_partition needs a 2-d input (use slice_network), got d = {net.input_dim}")
    lo = np.asarray(lo, dtype=np.float64).reshape(2)
    hi = np.asarray(hi, dtype=np.float64).reshape(2)
    if not np.all(hi > lo):
        raise ValueError("box needs hi > lo")
    diam = float(np.linalg.norm(hi - lo))
    tiny = 1e3 * matmul_tol(len(net.layers), max(net.widths)) * (diam + np.abs(lo).max() + np.abs(hi).max())
    step = max(1e-7 * diam, 10 * tiny)
    part = Partition2D(net, lo, hi)
    start = [0.5 * (lo + hi)] if seeds is None else list(np.atleast_2d(seeds))
    queue: deque[np.ndarray] = deque(start)
    seen: set[bytes] = set()
    while queue:
        p = queue.popleft()
        if np.any(p < lo) or np.any(p > hi):
            continue
        key = pattern_keys(net, p[None])[0]
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > max_regions:
            raise RuntimeError(f"more than {max_regions} regions in the box; shrink the box or raise max_regions")
        poly = region_polytope(net, p, (lo, hi))
        ch = chebyshev(poly)
        if ch.status != 0 or not (ch.radius > tiny):
            part.skipped += 1
            # a measure-zero cell: still probe around the point so its neighbours are reached
            for ang in np.linspace(0, 2 * np.pi, 8, endpoint=False):
                queue.append(p + 10 * step * np.array([np.cos(ang), np.sin(ang)]))
            continue
        V = polygon_vertices(poly, ch.centre)
        part.regions.append(Region2D(poly, V, polygon_area(V), ch.centre, ch.radius))
        for i in range(len(V)):
            a, b = V[i], V[(i + 1) % len(V)]
            if np.linalg.norm(b - a) <= tiny:
                continue
            mid = 0.5 * (a + b)
            row = int(np.argmin(np.abs(poly.A @ mid - poly.b)))
            if poly.source[row, 0] < 0:
                continue  # a box edge
            normal = poly.A[row]
            for t in (0.25, 0.5, 0.75):
                queue.append(a + t * (b - a) + step * normal)
    return part


__all__ = ["Polytope", "Chebyshev", "layer_maps", "row_norms", "pattern_keys", "region_polytope", "chebyshev",
           "slice_network", "Region2D", "Partition2D", "polygon_vertices", "polygon_area", "enumerate_partition"]
