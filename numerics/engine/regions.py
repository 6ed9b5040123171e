"""Exact linear regions of a CPA network as polytopes, their complete enumeration in a box, and the exact
partition of a 2-d slice.

**Region of a pattern.** A point ``x`` with slopes ``s_l`` in every layer owns the region of all ``x'``
with the same activation pattern. On that region each layer's pre-activation is affine,
``z_l(x') = E_l x' + e_l`` with

    E_1 = W_1, e_1 = b_1,   E_{l+1} = W_{l+1} diag(s_l) E_l,   e_{l+1} = W_{l+1} diag(s_l) e_l + b_{l+1},

(a structured ``W`` is applied to the columns of ``E``; only units with a kink count: an identity unit,
slope 1 on both sides, changes nothing when its pre-activation changes sign), so (by induction over the
layers) the region is the polytope ``{x' : -E_lk x' <= e_lk for active units,
E_lk x' <= -e_lk for inactive ones}`` (closed; a unit with ``z = 0`` counts as inactive, as in
``Layer.slopes``). The maps depend only on the pattern, so :func:`pattern_polytope` builds the polytope
of any pattern without a point in it. Rows are normalised to unit length so that slacks are distances.

**Resolution.** Each row also carries a bound on the rounding error of its signed distance at ``x``:
``err_a ||x|| + err_b``, from the float64 work of forming ``E_l, e_l`` (``region_row_tol`` times the same
products taken in absolute value, which bounds cancellation) and of evaluating the slack. A ball of
radius ``min_i (slack_i(c) - err_i(c))`` about ``c`` lies in the true region: that numpy number, not a
solver's, certifies a region (:meth:`Polytope.certified_radius`). The resolution is local: near the
origin it is ~1e-15 whatever the size of the box.

**Complete enumeration** (:func:`walk_regions`), layer by layer. The units of activation layer ``l`` are
affine on a region ``P`` of the earlier layers, so inside ``P`` they cut a *hyperplane arrangement*.
Its cells are found by breadth-first search from the cell of a point strictly inside ``P``: a cell's
neighbour across a facet lying on hyperplane ``H`` is the cell whose pattern differs exactly in the units
whose hyperplane is ``H`` (rows equal up to their rounding are one hyperplane). Facets come from
linear programs: for each hyperplane not yet crossed, the largest ``(d-1)``-ball of the cell inside ``H``
(``max r, a_H x = b_H, a_j x + r ||a_j - (a_j . a_H) a_H|| <= b_j``), certified in numpy like the cell.
The facet graph of an arrangement inside a convex set is connected (a generic path crosses one
hyperplane at a time), so the search finds every cell, however small, with no probe step; each cell of
layer ``l`` that has an interior is then searched for the cells of layer ``l + 1``. One ``linprog``
(HiGHS) call per cell solves its Chebyshev ball and all its facet balls as independent blocks.

Every answer is kept honest: a solver status other than optimal makes the walk *inconclusive* (with the
reason); a cell whose certified inradius is not positive (thinner than the resolution) is reported as
*thin* and never as a region; an LP facet that the numpy check cannot confirm is counted as
*unresolved* unless its neighbour is reached another way; two parallel hyperplanes closer than the
resolution (but not equal to rounding) are crossed together and counted as a *sliver* (a region between
them could not be certified anyway). ``complete`` means no failure, no unresolved facet and no sliver.
:func:`brute_force_regions` is the oracle: every one of the ``2^K`` patterns, an LP each.

For 2-d inputs (or the 2-d affine slice ``x = x0 + s e1 + t e2`` of a larger input, :func:`slice_network`)
:func:`enumerate_partition` adds each region's vertices (``scipy.spatial.HalfspaceIntersection``) and
area. The areas adding up to the box's area (``area_defect``) is a diagnostic only: it cannot see a
missing region smaller than ``area_tol`` times the box's area (a region of area 1e-8 in a box of area
4e10 moves it by 2.5e-19).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from normalign.numerics.engine.network import CPANetwork, Layer, check_points
from normalign.numerics.tolerances import (
    EPS,
    PARALLEL_ROWS_TOL,
    SAFETY,
    SOLVER_FEAS_TOL,
    VERTEX_MERGE_TOL,
    region_row_tol,
    rel_tol,
)
from scipy.optimize import OptimizeResult, linprog
from scipy.sparse import csr_matrix
from scipy.spatial import HalfspaceIntersection, QhullError


@dataclass(frozen=True)
class Polytope:
    """``{x : A x <= b}`` with unit rows; ``source[i] = (layer, unit)``, or ``(-1, j)`` for a box row.

    ``err_a``, ``err_b`` (per row) bound the rounding error of the computed signed distance
    ``b_i - a_i x`` by ``err_a_i ||x|| + err_b_i`` (zero when not given)."""

    A: np.ndarray
    b: np.ndarray
    source: np.ndarray
    key: bytes = b""
    err_a: np.ndarray | None = None
    err_b: np.ndarray | None = None

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

    def resolution(self, X: np.ndarray) -> np.ndarray:
        """Bound on the error of each computed slack at each point (n, m): the data's rounding
        (``err_a ||x|| + err_b``) plus that of evaluating ``b - a x`` itself (a dot product of length d)."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        xn = np.linalg.norm(X, axis=1)[:, None]
        ea = np.zeros(len(self.b)) if self.err_a is None else self.err_a
        eb = np.zeros(len(self.b)) if self.err_b is None else self.err_b
        return ea[None, :] * xn + eb[None, :] + rel_tol(self.dim + 1) * (xn + np.abs(self.b)[None, :])

    def certified_radius(self, c: np.ndarray) -> float:
        """``min_i (slack_i(c) - err_i(c))``: a ball of this radius about ``c`` lies in the exact polytope
        (``inf`` without rows). Not positive: ``c`` is not certifiably interior."""
        if self.A.shape[0] == 0:
            return math.inf
        return float(np.min(self.slack(c)[0] - self.resolution(c)[0]))


@dataclass(frozen=True)
class Chebyshev:
    """Largest inscribed ball: centre, radius (``inf`` when unbounded), solver status and message;
    ``certified`` is the numpy-certified radius about the centre (:meth:`Polytope.certified_radius`)."""

    centre: np.ndarray
    radius: float
    status: int
    message: str
    certified: float = math.nan

    @property
    def ok(self) -> bool:
        return self.status in (0, 3)


def _solve_lp(c: np.ndarray, **kw: object) -> OptimizeResult:
    """Every LP of this module: ``scipy.optimize.linprog`` on HiGHS (status 0 optimal, 2 infeasible,
    3 unbounded; anything else is no answer)."""
    return linprog(c, method="highs", **kw)


def layer_maps(net: CPANetwork, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """``(E_l, e_l, s_l)`` for every layer at the single point ``x``: ``z_l(x') = E_l x' + e_l`` on x's region."""
    x = check_points(x, net.input_dim)[0]
    Es, es, ss = [], [], []
    E, e = np.eye(net.input_dim), np.zeros(net.input_dim)
    for layer in net.layers:
        E, e = _apply(layer, E), _apply(layer, e[:, None])[:, 0] + layer.bias
        z = E @ x + e
        s = layer.slopes(z)
        Es.append(E)
        es.append(e)
        ss.append(s)
        E, e = s[:, None] * E, s * e
    return Es, es, ss


def _apply(layer: Layer, E: np.ndarray, absolute: bool = False) -> np.ndarray:
    """``W E`` (or ``|W| E``) for a layer's linear part ``W`` and a matrix ``E`` (in, d): a matrix product
    for a dense ``W``, else the structured map applied to the d columns (``forward(E^T)^T``)."""
    if layer.is_dense:
        return (np.abs(layer.weight) if absolute else layer.weight) @ E
    op = layer.op.abs() if absolute else layer.op
    return np.ascontiguousarray(op.forward(np.ascontiguousarray(E.T)).T)


def row_norms(A: np.ndarray) -> np.ndarray:
    """Euclidean row norms without underflow for tiny rows (scaled by each row's largest entry)."""
    m = np.abs(A).max(axis=1) if A.shape[1] else np.zeros(A.shape[0])
    safe = np.where(m > 0, m, 1.0)
    return m * np.linalg.norm(A / safe[:, None], axis=1)


def pattern_key(bits: Sequence[np.ndarray]) -> bytes:
    """Hashable key of a pattern (one boolean array per activation layer), as :func:`pattern_keys`."""
    r = np.concatenate([np.asarray(q, dtype=bool) for q in bits]) if len(bits) else np.zeros(0, dtype=bool)
    return np.packbits(r).tobytes() + bytes([r.size % 8])


def pattern_keys(net: CPANetwork, X: np.ndarray) -> list[bytes]:
    """A hashable key per point: the concatenated patterns ``z_l > 0`` of the activation layers."""
    zs = net.preactivations(X)
    bits = np.concatenate([net.layers[i].pattern(zs[i]) for i in net.activation_layers], axis=1) \
        if net.activation_layers \
        else np.zeros((zs[0].shape[0], 0), dtype=bool)
    return [np.packbits(r).tobytes() + bytes([r.size % 8]) for r in bits]


# ----------------------------------------------------------------------------- polytopes of patterns
def _low(layer: Layer) -> float | np.ndarray:
    return layer.low


def affine_map(net: CPANetwork, bits: Sequence[np.ndarray], layer: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(E, e, |E|, |e|)``: layer ``layer``'s pre-activation ``z = E x + e`` on the region where the
    activation layers before it have the patterns ``bits`` (in order), and the same products taken in
    absolute value (bounds for cancellation: the rounding error of ``E`` is at most
    ``region_row_tol(layer + 1, width) |E|``)."""
    d = net.input_dim
    E, e, Ea, ea = np.eye(d), np.zeros(d), np.eye(d), np.zeros(d)
    it = iter(bits)
    for i, lay in enumerate(net.layers[: layer + 1]):
        E, e = _apply(lay, E), _apply(lay, e[:, None])[:, 0] + lay.bias
        Ea, ea = _apply(lay, Ea, True), _apply(lay, ea[:, None], True)[:, 0] + np.abs(lay.bias)
        if i == layer:
            break
        s = np.ones(lay.shape[0]) if lay.activation == "identity" else np.where(next(it), 1.0, _low(lay))
        E, e, Ea, ea = s[:, None] * E, s * e, np.abs(s)[:, None] * Ea, np.abs(s) * ea
    return E, e, Ea, ea


@dataclass(frozen=True)
class _Units:
    """One activation layer's units on a region of the earlier layers: ``z_j(x) / ||E_j|| = U_j x + c_j``
    for the units with a representable hyperplane (``idx``), rounding bounds ``eu ||x|| + ec`` of that
    signed distance, and the fixed signs (``z > 0``) of the other, constant units."""

    layer: int
    idx: np.ndarray
    U: np.ndarray
    c: np.ndarray
    eu: np.ndarray
    ec: np.ndarray
    constant_on: np.ndarray  # (K,) bool: sign of a constant unit (ignored on idx)


def _units(net: CPANetwork, bits: Sequence[np.ndarray], layer: int,
           bbox: tuple[np.ndarray, np.ndarray] | None = None) -> _Units:
    """Layer ``layer``'s units on the region of ``bits``; given a box ``bbox`` holding that region, a unit
    whose hyperplane misses the box (by more than the resolution) is constant there, with its sign."""
    E, e, Ea, ea = affine_map(net, bits, layer)
    nrm = row_norms(E)
    # a row whose hyperplane lies beyond the float range (|e| / ||E|| overflows) constrains nothing
    # representable, like a zero row: the unit's sign is then that of e everywhere
    kinked = net.layers[layer].kinked  # a unit without a kink (slope 1 both sides) carves nothing
    keep = (nrm > 0) & (2.0 * (np.abs(e) / np.finfo(np.float64).max) <= nrm) & kinked
    idx = np.flatnonzero(keep)
    n = nrm[idx]
    g = region_row_tol(layer + 1, max(net.widths))
    eu = g * row_norms(Ea[idx]) / n + rel_tol(net.input_dim)
    ec = g * ea[idx] / n + rel_tol(net.input_dim) * np.abs(e[idx]) / n
    U, c = E[idx] / n[:, None], e[idx] / n
    on = (e > 0) | ~kinked
    if bbox is not None:
        lo, hi = bbox
        mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
        far = float(np.linalg.norm(np.maximum(np.abs(lo), np.abs(hi))))
        res = eu * far + ec + rel_tol(net.input_dim + 1) * (far + np.abs(c))
        centre, spread = U @ mid + c, np.abs(U) @ half
        const = (np.abs(centre) - spread) > res
        on[idx[const]] = centre[const] > 0
        idx, U, c, eu, ec = idx[~const], U[~const], c[~const], eu[~const], ec[~const]
    return _Units(layer, idx, U, c, eu, ec, on)


def _unit_rows(u: _Units, q: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows ``(A, b, err_a, err_b)`` of the pattern ``q`` of u's layer: active ``-U x <= c``, inactive
    ``U x <= -c``."""
    sign = np.where(q[u.idx], -1.0, 1.0)
    return sign[:, None] * u.U, -sign * u.c, u.eu, u.ec


def _box_rows(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    d = lo.size
    I = np.eye(d)
    b = np.concatenate([hi, -lo])
    return np.vstack([I, -I]), b, np.full(2 * d, EPS), EPS * np.abs(b)


def _check_box(net: CPANetwork, box: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = (np.asarray(v, dtype=np.float64).reshape(-1) for v in box)
    if lo.shape != (net.input_dim,) or hi.shape != (net.input_dim,) or not np.all(hi > lo) \
            or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError(f"box must be (lo, hi) of length {net.input_dim} with finite hi > lo")
    return lo, hi


def pattern_polytope(net: CPANetwork, bits: Sequence[np.ndarray], box: tuple[np.ndarray, np.ndarray] | None = None,
                     upto: int | None = None) -> Polytope | None:
    """The closed region of the pattern ``bits`` (one boolean array per activation layer, ``z > 0``), or
    ``None`` when a constant unit contradicts it (its pattern bit differs from the sign of its constant).

    With ``upto = l`` only the activation layers before layer ``l`` count. The box ``lo <= x <= hi``
    is optional."""
    d = net.input_dim
    A, b, ea, eb, src = [], [], [], [], []
    for t, l in enumerate(net.activation_layers[: len(bits)]):
        if upto is not None and l >= upto:
            break
        u = _units(net, bits[:t], l)
        q = np.asarray(bits[t], dtype=bool)
        const = np.ones(q.size, dtype=bool)
        const[u.idx] = False
        if np.any(q[const] != u.constant_on[const]):
            return None
        rows = _unit_rows(u, q)
        for acc, r in zip((A, b, ea, eb), rows):
            acc.append(r)
        src.extend((l, k) for k in u.idx)
    if box is not None:
        lo, hi = _check_box(net, box)
        for acc, r in zip((A, b, ea, eb), _box_rows(lo, hi)):
            acc.append(r)
        src.extend((-1, j) for j in range(2 * d))
    if not A:
        z = np.zeros(0)
        return Polytope(np.zeros((0, d)), z, np.zeros((0, 2), dtype=int), pattern_key(bits), z, z)
    return Polytope(np.concatenate(A), np.concatenate(b), np.array(src, dtype=int).reshape(-1, 2), pattern_key(bits),
                    np.concatenate(ea), np.concatenate(eb))


def point_pattern(net: CPANetwork, x: np.ndarray) -> list[np.ndarray]:
    """The pattern (``z > 0`` per activation layer) of a single point."""
    zs = net.preactivations(check_points(x, net.input_dim))
    return [net.layers[i].pattern(zs[i])[0] for i in net.activation_layers]


def region_polytope(net: CPANetwork, x: np.ndarray, box: tuple[np.ndarray, np.ndarray] | None = None,
                    upto: int | None = None) -> Polytope:
    """The closed region of ``x`` as unit-row half-spaces (optionally intersected with a box ``lo <= x <= hi``).

    With ``upto = l`` only the activation layers before layer ``l`` count (the region of the earlier
    layers, on which layer ``l``'s power diagram lives, PD). Units whose pre-activation is constant on
    the region (zero row of ``E_l``) impose no constraint and are dropped."""
    x = check_points(x, net.input_dim)[0]
    poly = pattern_polytope(net, point_pattern(net, x), box, upto)
    assert poly is not None  # x's own pattern is consistent: x's constant units have their own sign
    return poly


def chebyshev(poly: Polytope, extra: tuple[np.ndarray, np.ndarray] | None = None) -> Chebyshev:
    """Chebyshev centre and inradius by linprog (HiGHS): ``max r, a_i^T c + r ||a_i|| <= b_i``.

    ``extra = (C, g)`` adds equality constraints ``C c = g`` (e.g. a facet's hyperplane; the ball is
    then the one inscribed in the facet). Status 0: optimal; 2: empty; 3: unbounded (radius inf); else
    failed. The centre is re-checked in numpy (slacks >= r up to the solver's feasibility tolerance) and
    ``certified`` is the radius numpy certifies about it."""
    A, b = poly.A, poly.b
    d = poly.dim
    if A.shape[0] == 0:
        return Chebyshev(np.zeros(d), np.inf, 3, "no constraints: the whole space", np.inf)
    nrm = np.linalg.norm(A, axis=1)
    c = np.zeros(d + 1)
    c[-1] = -1.0
    kw: dict[str, object] = {}
    if extra is not None:
        C, g = extra
        C = np.atleast_2d(C)
        kw = {"A_eq": np.column_stack([C, np.zeros(C.shape[0])]), "b_eq": np.atleast_1d(g)}
    res = _solve_lp(c, A_ub=np.column_stack([A, nrm]), b_ub=b, bounds=[(None, None)] * d + [(0, None)], **kw)
    if res.status == 3:
        return Chebyshev(np.full(d, np.nan), np.inf, 3, res.message, np.inf)
    if res.status != 0:
        return Chebyshev(np.full(d, np.nan), np.nan, int(res.status), res.message)
    centre, r = res.x[:d], float(res.x[d])
    slack = b - A @ centre
    if np.any(slack < r * nrm - SOLVER_FEAS_TOL * (1.0 + np.abs(b) + np.abs(A) @ np.abs(centre))):
        return Chebyshev(centre, r, 4, "linprog optimum failed the numpy re-check of the slacks")
    return Chebyshev(centre, r, 0, res.message, poly.certified_radius(centre))


def slice_network(net: CPANetwork, x0: np.ndarray, e1: np.ndarray, e2: np.ndarray) -> CPANetwork:
    """The network restricted to the plane ``x = x0 + s e1 + t e2``: a CPA network of ``(s, t)``."""
    x0 = check_points(x0, net.input_dim)[0]
    E = np.column_stack([check_points(e1, net.input_dim)[0], check_points(e2, net.input_dim)[0]])
    if np.linalg.matrix_rank(E) < 2:
        raise ValueError("slice directions e1, e2 must be linearly independent")
    first = net.layers[0]
    new = Layer(_apply(first, E), _apply(first, x0[:, None])[:, 0] + first.bias, first.activation,
                first.negative_slope, True)
    return CPANetwork((new,) + net.layers[1:])


# ----------------------------------------------------------------------------- complete enumeration
@dataclass
class Cell:
    """A cell of the walk: the patterns ``bits`` of the activation layers decided so far, its polytope
    (within the box; rows proved redundant are left out), a centre and the numpy-certified radius of a
    ball about it inside the cell
    (not positive: the cell is thinner than the resolution, *thin*)."""

    bits: tuple[np.ndarray, ...]
    poly: Polytope
    centre: np.ndarray
    radius: float
    bbox: tuple[np.ndarray, np.ndarray] | None = None  # a certified box holding the cell (if computed)

    @property
    def key(self) -> bytes:
        return self.poly.key

    @property
    def resolved(self) -> bool:
        return self.radius > 0


@dataclass
class RegionWalk:
    """What :func:`walk_regions` found: ``regions`` (certified, full patterns), ``thin`` cells (at any
    layer; each holds at least one region thinner than the resolution), ``pruned`` cells (refused by
    the caller's ``keep``), ``inconclusive`` (why a solver gave no answer), ``unresolved`` (LP facets
    the numpy check could not confirm whose neighbour was not reached otherwise), ``slivers`` (parallel
    hyperplanes closer than the resolution but not equal, crossed together), ``lp_calls``."""

    regions: list[Cell] = field(default_factory=list)
    thin: list[Cell] = field(default_factory=list)
    pruned: list[Cell] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    unresolved: int = 0
    slivers: int = 0
    lp_calls: int = 0
    last_message: str = ""

    @property
    def complete(self) -> bool:
        """Every region with a certified interior was found: no solver failure, no unconfirmed facet, no
        pair of hyperplanes closer than the resolution (between which a region could hide)."""
        return not self.inconclusive and self.unresolved == 0 and self.slivers == 0


Keep = Callable[[Cell, bool], bool]


class _Walker:
    def __init__(self, net: CPANetwork, lo: np.ndarray, hi: np.ndarray, keep: Keep | None, start: np.ndarray | None,
                 max_regions: int) -> None:
        self.net, self.lo, self.hi, self.keep, self.start, self.max_regions = net, lo, hi, keep, start, max_regions
        self.acts = net.activation_layers
        self.out = RegionWalk()
        self.rng = np.random.default_rng(0)  # fixed: generic directions for start points, reproducible

    def run(self) -> RegionWalk:
        A, b, ea, eb = _box_rows(self.lo, self.hi)
        src = np.array([(-1, j) for j in range(A.shape[0])], dtype=int)
        box = Polytope(A, b, src, pattern_key([]), ea, eb)
        mid = 0.5 * (self.lo + self.hi)
        root = Cell((), box, mid, box.certified_radius(mid))
        self._handle(root, -1)
        return self.out

    # a cell of layer index t (-1: the box) is handed to the caller, then subdivided or recorded
    def _handle(self, cell: Cell, t: int) -> None:
        leaf = t == len(self.acts) - 1
        if self.keep is not None and not self.keep(cell, leaf):
            self.out.pruned.append(cell)
            return
        if not cell.resolved:
            self.out.thin.append(cell)
        elif leaf:
            self.out.regions.append(cell)
        else:
            self._subdivide(cell, t + 1)
        if len(self.out.regions) + len(self.out.thin) > self.max_regions:
            raise RuntimeError(f"more than {self.max_regions} regions in the box; shrink the box or raise max_regions")

    def _start_point(self, parent: Cell, u: _Units) -> np.ndarray | None:
        """A point strictly inside the parent and strictly off every hyperplane of the layer."""
        cands = []
        if self.start is not None:
            cands.append(self.start)
        cands.append(parent.centre)
        for _ in range(32):
            v = self.rng.normal(size=self.net.input_dim)
            cands.append(parent.centre + 0.5 * parent.radius * v / np.linalg.norm(v))
        for s in cands:
            if parent.poly.certified_radius(s) <= 0:
                continue
            sn = float(np.linalg.norm(s))
            dist = np.abs(u.U @ s + u.c)
            if np.all(dist > u.eu * sn + u.ec + rel_tol(self.net.input_dim + 1) * (sn + np.abs(u.c))):
                return s
        return None

    def _subdivide(self, parent: Cell, t: int) -> None:
        """Breadth-first search over the cells of layer ``acts[t]``'s arrangement inside ``parent``, one
        wave (the current frontier) per LP call."""
        l = self.acts[t]
        box = parent.bbox if parent.bbox is not None else (self.lo, self.hi)
        u = _units(self.net, parent.bits, l, box)
        s = self._start_point(parent, u)
        if s is None:
            self.out.inconclusive.append(f"layer {l}: no point strictly inside region {parent.key.hex()} and off "
                                         "the layer's hyperplanes")
            return
        groups = _hyperplane_groups(u)
        q0 = u.constant_on.copy()
        q0[u.idx] = (u.U @ s + u.c) > 0
        frontier = [q0]
        seen = {pattern_key([q0])}
        ambiguous: set[bytes] = set()
        P = _facet_candidates(parent.poly, box)
        m0 = P.A.shape[0]
        src = np.vstack([P.source, np.column_stack([np.full(u.idx.size, l), u.idx])])
        err_a, err_b = np.concatenate([P.err_a, u.eu]), np.concatenate([P.err_b, u.ec])
        while frontier:
            items = []
            for q in frontier:
                bits = parent.bits + (q,)
                A, b, _, _ = _unit_rows(u, q)
                poly = Polytope(np.vstack([P.A, A]), np.concatenate([P.b, b]), src, pattern_key(bits), err_a, err_b)
                todo = [m0 + g for g in groups if pattern_key([_flip(q, u.idx[g])]) not in seen]
                items.append((q, bits, poly, _plan_cell(poly, todo, m0, *box, bbox=t + 1 < len(self.acts))))
            frontier = []
            for (q, bits, poly, plan), solved in zip(items, self._solve_wave([it[3] for it in items])):
                if solved is None:
                    continue
                centre, radius, verdicts, bbox = solved
                self.out.slivers += plan.slivers
                for test, v in zip(plan.tests, verdicts):
                    nq = _flip(q, u.idx[test.cross - m0])
                    k = pattern_key([nq])
                    if v == "facet" and k not in seen:
                        seen.add(k)
                        frontier.append(nq)
                    elif v == "ambiguous":
                        ambiguous.add(k)
                self._handle(Cell(bits, poly, centre, radius, bbox), t)
        self.out.unresolved += len(ambiguous - seen)

    def _solve_wave(self, plans: list[_CellPlan]) -> list[_Solved | None]:
        """All cells' blocks in one LP (independent blocks: each is optimal in the optimum of the sum);
        if that fails, each cell alone, and a cell whose LP fails is recorded as inconclusive."""
        out = _solve_blocks(plans, self.out, self.lo, self.hi) if len(plans) > 1 else None
        if out is not None:
            return out
        res = []
        for p in plans:
            one = _solve_blocks([p], self.out, self.lo, self.hi)
            if one is None:
                self.out.inconclusive.append(f"cell {p.poly.key.hex()}: {self.out.last_message}")
                res.append(None)
            else:
                res.append(one[0])
        return res


def _facet_candidates(poly: Polytope, box: tuple[np.ndarray, np.ndarray]) -> Polytope:
    """``poly`` without the rows whose hyperplane misses ``box`` (a box holding the polytope) by more than
    the resolution: such a row holds strictly on the whole box, so it is no facet, hence redundant."""
    lo, hi = box
    mid, half = 0.5 * (lo + hi), 0.5 * (hi - lo)
    far = np.full((1, poly.dim), float(np.linalg.norm(np.maximum(np.abs(lo), np.abs(hi)))) / math.sqrt(poly.dim))
    keep = poly.A @ mid - poly.b + np.abs(poly.A) @ half >= -poly.resolution(far)[0]
    if np.all(keep):
        return poly
    return Polytope(poly.A[keep], poly.b[keep], poly.source[keep], poly.key, poly.err_a[keep], poly.err_b[keep])


def _flip(q: np.ndarray, units: np.ndarray) -> np.ndarray:
    nq = q.copy()
    nq[units] = ~nq[units]
    return nq


@dataclass
class _Test:
    """One hyperplane of a cell to test for a facet: the rows ``cross`` whose units flip when crossing
    (its own group, plus rows of the layer that coincide with it at the resolution), and either the LP
    block of its facet ball (block index, representative row, other rows, their in-plane norms) or a
    verdict fixed without an LP."""

    cross: np.ndarray
    block: int = -1
    rep: int = -1
    rows: np.ndarray | None = None
    n: np.ndarray | None = None
    verdict: str = ""


@dataclass
class _CellPlan:
    """The LP blocks of one cell: block 0 its Chebyshev ball (``max r, A x + r <= b``), then one facet
    block per tested hyperplane H (``max r, a_H x = b_H, a_j x + r n_j <= b_j``). ``slivers`` counts
    parallel hyperplanes closer than the resolution but not equal (a cell between them, if any, is
    thinner than float64 can certify and is not visited)."""

    poly: Polytope
    blocks: list[np.ndarray]
    rhs: list[np.ndarray]
    eqs: list[tuple[np.ndarray, float] | None]
    costs: list[np.ndarray]
    tests: list[_Test] = field(default_factory=list)
    slivers: int = 0
    bbox: int = -1  # first of the 2d blocks min x_1, max x_1, ..., when the cell's bounding box is wanted


def _plan_cell(poly: Polytope, groups: list[np.ndarray], m0: int, lo: np.ndarray, hi: np.ndarray,
               bbox: bool = False) -> _CellPlan:
    """Blocks of one cell; ``groups`` are the rows (>= m0: this layer's) of each hyperplane to test.

    A row parallel to H is a constant ``cons = b_j - (a_j . a_H) b_H`` on H. Beyond the resolution in
    the whole box (``cons > res``) it is dropped; below (``cons < -res``) H has no facet; within, the two
    hyperplanes are one at float64 resolution: a row of this layer is crossed together with H, a row of
    an earlier layer (or the box) puts the facet on the region's boundary (no crossing inside it)."""
    A, b = poly.A, poly.b
    m, d = A.shape
    R = float(np.linalg.norm(np.maximum(np.abs(lo), np.abs(hi))))  # |x| <= R in the box
    res_box = poly.resolution(np.full((1, d), R / math.sqrt(d)))[0]
    same = poly.err_b + rel_tol(d + 1) * (1.0 + np.abs(b))  # equal coefficients up to their rounding
    up = np.zeros(d + 1)
    up[d] = -1.0  # maximise r
    plan = _CellPlan(poly, [np.column_stack([A, np.ones(m)])], [b], [None], [up])
    if not groups:
        return _bbox_blocks(plan, bbox)
    reps = np.array([int(g[0]) for g in groups])
    G = reps.size
    dots = A[reps] @ A.T  # (G, m): a_H . a_j
    N = np.linalg.norm(A[None, :, :] - dots[:, :, None] * A[reps][:, None, :], axis=2)  # in-plane norms
    member = np.zeros((G, m), dtype=bool)
    for i, g in enumerate(groups):
        member[i, g] = True
    PAR = (N <= PARALLEL_ROWS_TOL) & ~member
    CONS = b[None, :] - dots * b[reps][:, None]  # the constant of a parallel row on H
    NEAR = PAR & (np.abs(CONS) <= res_box[None, :] + res_box[reps][:, None])
    plan.slivers += int(np.sum(NEAR & (np.abs(CONS) > same[None, :] + same[reps][:, None])))
    BAD = (PAR & ~NEAR & (CONS < 0)) | (NEAR & (np.arange(m) < m0)[None, :])
    CROSS = member | (NEAR & (np.arange(m) >= m0)[None, :])
    for i in range(G):
        cross = np.flatnonzero(CROSS[i])
        if BAD[i].any():
            plan.tests.append(_Test(cross, verdict="none"))
            continue
        rows = np.flatnonzero(~CROSS[i] & ~PAR[i])
        if rows.size == 0:  # d = 1: the facet is a point, and it passed the constant conditions
            plan.tests.append(_Test(cross, verdict="facet"))
            continue
        nr = N[i, rows]
        plan.tests.append(_Test(cross, len(plan.blocks), int(reps[i]), rows, nr))
        plan.blocks.append(np.column_stack([A[rows], nr]))
        plan.rhs.append(b[rows])
        plan.eqs.append((np.append(A[reps[i]], 0.0), float(b[reps[i]])))
        plan.costs.append(up)
    return _bbox_blocks(plan, bbox)


def _bbox_blocks(plan: _CellPlan, bbox: bool) -> _CellPlan:
    """Append the 2d blocks ``min x_i``, ``max x_i`` over the cell (``r`` unused) when ``bbox``."""
    A, b = plan.poly.A, plan.poly.b
    m, d = A.shape
    if bbox:
        plan.bbox = len(plan.blocks)
        M = np.column_stack([A, np.zeros(m)])
        for i in range(d):
            for sg in (1.0, -1.0):
                cost = np.zeros(d + 1)
                cost[i] = sg
                plan.blocks.append(M)
                plan.rhs.append(b)
                plan.eqs.append(None)
                plan.costs.append(cost)
    return plan


_Solved = tuple[np.ndarray, float, list[str], tuple[np.ndarray, np.ndarray] | None]


def _solve_blocks(plans: list[_CellPlan], log: RegionWalk, lo: np.ndarray, hi: np.ndarray) -> list[_Solved] | None:
    """Solve the blocks of several cells as one LP; per cell its centre, certified radius, facet verdicts
    and (when asked) certified bounding box. ``None`` (and ``log.last_message``) on failure."""
    d = plans[0].poly.dim
    w = d + 1
    rows, cols, vals, rhs, erows, ecols, evals, erhs, costs, starts = [], [], [], [], [], [], [], [], [], []
    nb, nr, ne = 0, 0, 0
    for p in plans:
        for M, h, eq, cost in zip(p.blocks, p.rhs, p.eqs, p.costs):
            r, c = np.indices(M.shape)
            rows.append((r + nr).ravel())
            cols.append((c + nb * w).ravel())
            vals.append(M.ravel())
            rhs.append(h)
            costs.append(cost)
            starts.append(nr)
            nr += M.shape[0]
            if eq is not None:
                erows.append(np.full(w, ne))
                ecols.append(np.arange(nb * w, (nb + 1) * w))
                evals.append(eq[0])
                erhs.append(eq[1])
                ne += 1
            nb += 1
    A_ub = csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(nr, nb * w))
    kw: dict[str, object] = {}
    if ne:
        kw = {"A_eq": csr_matrix((np.concatenate(evals), (np.concatenate(erows), np.concatenate(ecols))),
                                 shape=(ne, nb * w)), "b_eq": np.array(erhs)}
    log.lp_calls += 1
    res = _solve_lp(np.concatenate(costs), A_ub=A_ub, b_ub=np.concatenate(rhs), bounds=(None, None), **kw)
    if res.status != 0:
        log.last_message = f"linprog status {res.status}: {res.message}"
        return None
    X = res.x.reshape(nb, w)
    lam_all = -np.asarray(res.ineqlin.marginals)
    out, k = [], 0
    for p in plans:
        Xp = X[k:k + len(p.blocks)]
        poly = p.poly
        centre, radius = _polish_centre(poly, Xp[0, :d], Xp[0, d])
        verdicts = []
        for test in p.tests:
            if test.verdict:
                verdicts.append(test.verdict)
                continue
            x, rep = Xp[test.block, :d], test.rep
            pt = x + (poly.b[rep] - poly.A[rep] @ x) * poly.A[rep]  # onto the hyperplane
            err = poly.resolution(pt)[0]
            margin = (poly.slack(pt)[0][test.rows] - err[test.rows] - err[rep]) / test.n
            verdicts.append("facet" if margin.min() > 0 else
                            "ambiguous" if Xp[test.block, d] > SAFETY * err.max() else "none")
        bbox = None
        if p.bbox >= 0:
            m = poly.A.shape[0]
            lams = [lam_all[starts[k + p.bbox + j]: starts[k + p.bbox + j] + m] for j in range(2 * d)]
            bbox = _certified_bbox(poly, lams, lo, hi)
        k += len(p.blocks)
        out.append((centre, radius, verdicts, bbox))
    return out


def _certified_bbox(poly: Polytope, lams: list[np.ndarray], lo: np.ndarray, hi: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """A box holding the polytope (inside the walk's box ``[lo, hi]``), from the multipliers of the LPs
    ``min x_i`` and ``max x_i``: for ``lam >= 0``, every point of the polytope has
    ``+-x_i = lam^T A x + r^T x <= lam^T (b + err) + |r|^T X`` with ``r = +-e_i - A^T lam`` and ``X`` the
    largest ``|x|`` of the walk's box (weak duality, made exact by the residual term)."""
    d = poly.dim
    X = np.maximum(np.abs(lo), np.abs(hi))
    far = np.full((1, d), float(np.linalg.norm(X)) / math.sqrt(d))
    err = poly.resolution(far)[0]
    blo, bhi = lo.copy(), hi.copy()
    for i in range(d):
        for j, sg in enumerate((1.0, -1.0)):  # block 2i: min x_i (cost +e_i), 2i+1: max x_i
            lam = np.maximum(lams[2 * i + j], 0.0)
            if not np.all(np.isfinite(lam)):
                return None
            e = np.zeros(d)
            e[i] = -sg  # bound -sg x_i from above
            r = e - poly.A.T @ lam
            bound = float(lam @ (poly.b + err) + np.abs(r) @ X) * (1 + rel_tol(poly.A.shape[0] + d)) \
                + rel_tol(d) * float(lam @ np.abs(poly.b))
            if sg > 0:
                blo[i] = max(blo[i], -bound)
            else:
                bhi[i] = min(bhi[i], bound)
    if np.any(blo > bhi):
        return None
    return blo, bhi


def _polish_centre(poly: Polytope, c: np.ndarray, r: float) -> tuple[np.ndarray, float]:
    """The best certified centre among the LP's ``c`` and the exact solution of its d + 1 tightest rows
    (``a_i c + r = b_i``: a simplex vertex recomputed without the solver's feasibility tolerance, which
    matters for cells thinner than that tolerance), and a solo Chebyshev LP when still not certified."""
    d = poly.dim
    best = (c, poly.certified_radius(c))
    cands = []
    S = np.argsort(poly.slack(c)[0] - r)[: d + 1]
    sol, *_ = np.linalg.lstsq(np.column_stack([poly.A[S], np.ones(S.size)]), poly.b[S], rcond=None)
    cands.append(sol[:d])
    if best[1] <= 0:
        ch = chebyshev(poly)
        if ch.status == 0:
            cands.append(ch.centre)
    for x in cands:
        if np.all(np.isfinite(x)):
            rc = poly.certified_radius(x)
            if rc > best[1]:
                best = (x, rc)
    return best


def _hyperplane_groups(u: _Units) -> list[np.ndarray]:
    """Units of one layer grouped by hyperplane: two rows are one hyperplane (either orientation) when
    their normals and offsets agree within their rounding bounds. Indices into ``u.idx``."""
    k = u.idx.size
    parent = list(range(k))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in itertools.combinations(range(k), 2):
        for sg in (1.0, -1.0):
            if np.linalg.norm(u.U[i] - sg * u.U[j]) <= u.eu[i] + u.eu[j] and abs(u.c[i] - sg * u.c[j]) <= u.ec[i] + u.ec[j]:
                parent[find(i)] = find(j)
    out: dict[int, list[int]] = {}
    for i in range(k):
        out.setdefault(find(i), []).append(i)
    return [np.array(v) for v in out.values()]


def walk_regions(net: CPANetwork, lo: np.ndarray, hi: np.ndarray, *, keep: Keep | None = None,
                 start: np.ndarray | None = None, max_regions: int = 20000) -> RegionWalk:
    """Every region of ``net`` meeting the box ``[lo, hi]`` (any input dimension), complete by walking
    the facet graph of each layer's hyperplane arrangement inside each region of the earlier layers
    (module docstring).

    ``keep(cell, leaf)`` is called on every cell (every layer; ``leaf``: a full pattern) before it is
    recorded or subdivided; returning False prunes it (the walk still crosses it to reach its
    neighbours). ``start`` is a preferred starting point (default: the box centre)."""
    lo, hi = _check_box(net, (lo, hi))
    st = None if start is None else check_points(start, net.input_dim)[0]
    return _Walker(net, lo, hi, keep, st, max_regions).run()


def brute_force_regions(net: CPANetwork, lo: np.ndarray, hi: np.ndarray, max_units: int = 16
                        ) -> tuple[dict[bytes, Chebyshev], list[str]]:
    """Oracle for :func:`walk_regions`: every pattern of every activation layer (``2^K``, a prefix with
    an empty polytope pruned with all its refinements), a Chebyshev LP each; returns the certified ones
    (numpy-certified radius > 0 and the forward pass at the centre has the pattern) by key, and the
    messages of solver failures."""
    lo, hi = _check_box(net, (lo, hi))
    K = sum(int(net.layers[i].kinked.sum()) for i in net.activation_layers)
    if K > max_units:
        raise ValueError(f"brute force over 2^{K} patterns refused (max_units = {max_units})")
    found: dict[bytes, Chebyshev] = {}
    failed: list[str] = []

    def rec(bits: list[np.ndarray]) -> None:
        t = len(bits)
        if t == len(net.activation_layers):
            return
        kinked = net.layers[net.activation_layers[t]].kinked
        for qk in itertools.product([False, True], repeat=int(kinked.sum())):
            q = np.ones(kinked.size, dtype=bool)  # units without a kink are always on
            q[kinked] = qk
            nb = bits + [q]
            poly = pattern_polytope(net, nb, (lo, hi))
            if poly is None:
                continue
            ch = chebyshev(poly)
            if ch.status not in (0, 2):
                failed.append(f"pattern {poly.key.hex()}: {ch.message}")
                continue
            if ch.status == 2:
                continue
            if t + 1 < len(net.activation_layers):
                rec(nb)
            elif ch.certified > 0 and pattern_keys(net, ch.centre[None])[0] == poly.key:
                found[poly.key] = ch

    if not net.activation_layers:
        mid = 0.5 * (lo + hi)
        found[pattern_key([])] = Chebyshev(mid, float(np.min(hi - lo) / 2), 0, "the box", float(np.min(hi - lo) / 2))
    else:
        rec([])
    return found, failed


# ----------------------------------------------------------------------------- 2-d partition
@dataclass
class Region2D:
    """One region of a 2-d partition: its polytope (within the box), vertices in counter-clockwise order,
    area, centre and certified inradius about it."""

    poly: Polytope
    vertices: np.ndarray
    area: float
    centre: np.ndarray
    inradius: float


@dataclass
class Partition2D:
    """Every region of a 2-d network meeting the box ``[lo, hi]`` (:func:`walk_regions`), with vertices
    and areas. ``complete`` is the walk's certificate; ``thin`` are the cells thinner than the resolution
    (never listed as regions); ``area_defect = |sum of areas - box area| / box area`` is a diagnostic
    whose rounding floor is ``area_tol`` (it cannot see a missing region of area below
    ``area_tol * box area``)."""

    net: CPANetwork
    lo: np.ndarray
    hi: np.ndarray
    regions: list[Region2D] = field(default_factory=list)
    thin: list[Polytope] = field(default_factory=list)
    inconclusive: list[str] = field(default_factory=list)
    unresolved: int = 0
    slivers: int = 0
    area_err: float = 0.0

    @property
    def box_area(self) -> float:
        return float(np.prod(self.hi - self.lo))

    @property
    def complete(self) -> bool:
        """As :attr:`RegionWalk.complete`."""
        return not self.inconclusive and self.unresolved == 0 and self.slivers == 0

    @property
    def area_defect(self) -> float:
        return abs(math.fsum([r.area for r in self.regions] + [-self.box_area])) / self.box_area

    @property
    def area_tol(self) -> float:
        """Rounding floor of ``area_defect``: the vertices' position errors times the perimeters, and
        the shoelace sums, relative to the box area."""
        return self.area_err / self.box_area

    def locate(self, X: np.ndarray) -> np.ndarray:
        """Index of the region holding each point (by pattern key), -1 when not enumerated."""
        idx = {r.poly.key: i for i, r in enumerate(self.regions)}
        return np.array([idx.get(k, -1) for k in pattern_keys(self.net, X)])


def polygon_vertices(poly: Polytope, interior: np.ndarray) -> np.ndarray:
    """Vertices (counter-clockwise) of a bounded 2-d polytope with a strictly interior point."""
    hs = HalfspaceIntersection(np.column_stack([poly.A, -poly.b]), interior)
    V = hs.intersections
    V = V[np.all(np.isfinite(V), axis=1)]
    tol = VERTEX_MERGE_TOL * (1.0 + np.abs(V).max())  # duplicates from degenerate vertices differ by rounding
    keep: list[np.ndarray] = []
    for v in V:
        if not any(np.linalg.norm(v - w) <= tol for w in keep):
            keep.append(v)
    V = np.array(keep)
    c = V.mean(axis=0)
    return V[np.argsort(np.arctan2(V[:, 1] - c[1], V[:, 0] - c[0]))]


def polygon_area(V: np.ndarray) -> float:
    """Shoelace formula."""
    x, y = V[:, 0], V[:, 1]
    return 0.5 * float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def enumerate_partition(net: CPANetwork, lo: np.ndarray, hi: np.ndarray, *, max_regions: int = 20000) -> Partition2D:
    """All regions of a 2-d network meeting the box (:func:`walk_regions`), each with its polygon."""
    if net.input_dim != 2:
        raise ValueError(f"enumerate_partition needs a 2-d input (use slice_network), got d = {net.input_dim}")
    lo = np.asarray(lo, dtype=np.float64).reshape(2)
    hi = np.asarray(hi, dtype=np.float64).reshape(2)
    if not np.all(hi > lo):
        raise ValueError("box needs hi > lo")
    walk = walk_regions(net, lo, hi, max_regions=max_regions)
    part = Partition2D(net, lo, hi, thin=[c.poly for c in walk.thin], inconclusive=list(walk.inconclusive),
                       unresolved=walk.unresolved, slivers=walk.slivers)
    errs = []
    for cell in walk.regions:
        try:
            V = polygon_vertices(cell.poly, cell.centre)
        except (QhullError, ValueError) as exc:  # a certified interior point must give a polygon
            part.inconclusive.append(f"region {cell.key.hex()}: no polygon ({exc})")
            continue
        area = polygon_area(V)
        perim = float(np.sum(np.linalg.norm(V - np.roll(V, -1, axis=0), axis=1)))
        errs += [perim * float(cell.poly.resolution(V).max()), rel_tol(2 * len(V)) * float(np.abs(V).max()) ** 2]
        part.regions.append(Region2D(cell.poly, V, area, cell.centre, cell.radius))
    part.area_err = math.fsum(errs) + rel_tol(max(1, len(part.regions))) * part.box_area
    return part


__all__ = [
    "Cell",
    "Chebyshev",
    "Partition2D",
    "Polytope",
    "Region2D",
    "RegionWalk",
    "affine_map",
    "brute_force_regions",
    "chebyshev",
    "enumerate_partition",
    "layer_maps",
    "pattern_key",
    "pattern_keys",
    "pattern_polytope",
    "point_pattern",
    "polygon_area",
    "polygon_vertices",
    "region_polytope",
    "row_norms",
    "slice_network",
    "walk_regions",
]
