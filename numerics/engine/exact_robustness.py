"""Exact robustness radii of small CPA networks: a verified strict flip above, a certified bound below
(T2 on real networks).

Class of ``x``: ``y = argmax f(x)`` (for ``c = 1``: the sign of the logit). The *exact radius* in a norm is
``r*(x) = inf { ||x' - x|| : class(x') != y }``, the distance to the closed tie set ``{gap >= 0}`` with
``gap = max_{k != y} f_k - f_y``. Every answer is a bracket ``lower <= r* <= radius``:

- ``radius`` is the norm of a *witness*, a point whose plain float64 forward pass changes the class
  strictly (``gap > 0``): found just beyond an exact tie point (along the ray from ``x`` through it,
  ``t = 1 + 2^-k``), else by a problem with the flip margin ``MILP_FLIP_MARGIN``.
- ``lower`` is certified: no strict flip lies closer. Inside one region (polytope ``A x' <= b``, where the
  network is affine and the tie to class ``k`` is the half-space ``g x' + g0 >= 0``) it is a dual
  certificate recomputed in numpy: for any multipliers ``lam >= 0`` of the rows ``A' = [A; -g]``,
  ``b' = [b; g0]``, every feasible ``x'`` has ``lam^T (A' x - b') <= ||A'^T lam||_q ||x - x'||_p`` (``q`` the
  dual norm), so ``||x - x'||_p >= (lam^T (A' x - b') - lam^T err) / ||A'^T lam||_q``, with ``err`` the
  rows' rounding bounds (:meth:`Polytope.resolution`); the solver's multipliers make it tight, and any
  ``lam`` makes it valid. Globally it is the minimum over every region of the domain box (the complete
  walk of ``normalign.numerics.engine.regions``), or the MILP's dual bound minus ``MILP_BOUND_SLACK``.
  The MILP's bound (and its "infeasible", read as ``lower = R``) is HiGHS's word, not recomputed here:
  :func:`milp_radius` says so in ``extra["lower_by"]``, and the registry's checks compare it with the
  complete walk on networks small enough to enumerate (``checks/robustness/exact_radius.py``).
  A flip margin never enters ``lower`` (the old ``lower`` was the margin problem's optimum, which lies
  beyond strict flips).

Routes, every answer re-checked in numpy:

- **In the region (L2, a QP):** ``min ||x' - x||^2 s.t. A x' <= b, (J_k - J_y) x' + (b_k - b_y) >= 0``
  (cvxpy, Clarabel, polished on its active set). When T2(a)'s nearest local boundary point lies in the
  region this equals ``rho(x)^2``.
- **Globally, L-infinity and L1 (MILP):** ``scipy.optimize.milp`` (HiGHS) with the standard big-M
  encoding of each unstable unit (pre-activation bounds ``[l, u]`` by interval arithmetic on the domain
  box ``||x' - x||_inf <= R``); stable units are fixed. For leaky slope ``a``:
  ``h >= z, h >= a z, h <= z - (1-a) l (1 - delta), h <= a z + (1-a) u delta``. Class change to ``k`` is
  ``z_k - z_y >= 0`` (the tie set itself).
- **Globally, L2 (region search) and any norm by enumeration (brute force):** every region of the domain
  box by the complete walk (layer by layer, through certified facets); the search prunes a region
  whose certified distance from ``x`` is at least the best tie distance found so far. Cells too thin to
  certify are bounded by their distance from ``x``.

Outcomes: ``verified`` (every solver status optimal, the witness a strict flip, and the bracket
``radius - lower <= EXACT_RADIUS_TOL radius``; or no class change in the domain box, then
``radius = inf`` and ``lower = R``), else ``inconclusive`` with the reason. A caller comparing two
routes declares a claim *refuted* only on verified answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork, check_points
from normalign.numerics.engine.regions import (
    Cell,
    Polytope,
    affine_map,
    point_pattern,
    region_polytope,
    walk_regions,
)
from normalign.numerics.engine.stdio import c_stdout_to_stderr
from normalign.numerics.tolerances import (
    ACTIVE_SET_CANDIDATES_ABS,
    ACTIVE_SET_CANDIDATES_REL,
    ACTIVE_SET_DUAL_TOL,
    ACTIVE_SET_PRIMAL_TOL,
    EXACT_RADIUS_TOL,
    KINK_PROBE_STEP,
    MILP_BOUND_SLACK,
    MILP_FLIP_MARGIN,
    MILP_REL_GAP,
    SOLVER_FEAS_TOL,
    WITNESS_NORM_RTOL,
    region_row_tol,
    rel_tol,
    witness_gap_margin,
)
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Norm = Literal["l2", "linf", "l1"]
_DUAL = {"l2": 2, "linf": 1, "l1": np.inf}  # dual norm of each norm


@dataclass
class ExactRadius:
    """An exact radius and how it was certified.

    ``radius`` is the norm of the witness, a verified strict class change (``inf`` when there is no class
    change within the domain radius ``R``; then ``lower = R``); ``lower`` is a certified lower bound:
    no strict class change lies closer (module docstring); ``outcome`` is ``verified`` or
    ``inconclusive`` (``reason`` says why)."""

    norm: str
    radius: float
    witness: np.ndarray | None
    outcome: str
    lower: float = 0.0
    reason: str = ""
    target: int = -1
    regions: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.outcome == "verified"


def predicted_class(net: CPANetwork, X: np.ndarray) -> np.ndarray:
    """Class per point: argmax of the logits, or (c = 1) 1 for a positive logit and 0 otherwise."""
    f = net.forward(X)
    return (f[:, 0] > 0).astype(int) if net.output_dim == 1 else np.argmax(f, axis=1)


def flip_gap(net: CPANetwork, X: np.ndarray, y: int) -> np.ndarray:
    """``max_{k != y} f_k - f_y`` (c = 1: ``-s f`` with ``s = +1`` for class 1, ``-1`` for class 0).
    Positive exactly when the point's class is not ``y`` (ties count as not changed)."""
    f = net.forward(X)
    if net.output_dim == 1:
        return -(1.0 if y == 1 else -1.0) * f[:, 0]
    others = np.delete(f, y, axis=1)
    return others.max(axis=1) - f[:, y]


def verify_witness(net: CPANetwork, x: np.ndarray, y: int, w: np.ndarray) -> bool:
    """The witness changes the class strictly in a plain float64 forward pass."""
    return bool(flip_gap(net, w[None], y)[0] > 0)


def _targets(net: CPANetwork, y: int) -> list[int]:
    return [0] if net.output_dim == 1 else [k for k in range(net.output_dim) if k != y]


def _flip_row(net: CPANetwork, Wout: np.ndarray, bout: np.ndarray, y: int, k: int) -> tuple[np.ndarray, float]:
    """``(g, g0)`` with the class change to ``k`` written ``g^T h + g0 >= 0`` for the last affine map
    ``h -> Wout h + bout``. With absolute values in, the same map gives the rows' rounding scales."""
    if net.output_dim == 1:
        s = 1.0 if y == 1 else -1.0
        return -s * Wout[0], -s * float(bout[0])
    return Wout[k] - Wout[y], float(bout[k] - bout[y])


def _norm(v: np.ndarray, norm: str) -> float:
    return float({"l2": np.linalg.norm(v), "linf": np.abs(v).max(), "l1": np.abs(v).sum()}[norm])


def _margin(net: CPANetwork, x: np.ndarray) -> float:
    return MILP_FLIP_MARGIN * (1.0 + float(np.abs(net.forward(x[None])).max()))


def _cap(res: ExactRadius, R: float) -> ExactRadius:
    """Everything was searched inside the domain box ``||x' - x||_inf <= R`` only (every norm ball of radius
    r <= R lies in it; anything outside is farther than R), so ``lower`` is at most R. A witness beyond R
    proves nothing about the box: when ``lower`` reaches R there is no class change within R (report
    ``radius = inf``, keep the witness's norm as ``extra['upper']``); when it does not, the bracket
    ``[lower, witness]`` stays open and :func:`_bracket` calls the answer inconclusive."""
    res.lower = min(res.lower, R)
    if res.verified and np.isfinite(res.radius) and res.radius > R and res.lower >= R:
        res.extra["upper"] = res.radius
        res.radius = np.inf
        res.reason = f"no class change within distance {R} (a witness at {res.extra['upper']:.6g} exists)"
    return res


def _bracket(res: ExactRadius) -> ExactRadius:
    """A verified answer must pin the radius: ``radius - lower <= EXACT_RADIUS_TOL * radius``. A lower end
    above the witness's norm by more than its rounding (``WITNESS_NORM_RTOL``) contradicts the witness (a
    strict flip recomputed in numpy), so a bound or a solver is wrong: inconclusive too."""
    if not (res.verified and np.isfinite(res.radius)):
        return res
    if res.radius - res.lower > EXACT_RADIUS_TOL * res.radius:
        res.outcome = "inconclusive"
        res.reason = (f"certified bracket [{res.lower:.9g}, {res.radius:.9g}] is wider than EXACT_RADIUS_TOL "
                      "relative")
    elif res.lower - res.radius > WITNESS_NORM_RTOL * res.radius:
        res.outcome = "inconclusive"
        res.reason = (f"lower end {res.lower:.9g} lies above the verified witness at {res.radius:.9g}: a bound "
                      f"or a solver answer is wrong ({res.extra.get('lower_by', 'certificates')})")
    return res


# ----------------------------------------------------------------------------- certificates
def dual_lower_bound(A: np.ndarray, b: np.ndarray, x: np.ndarray, lam: np.ndarray, norm: str,
                     err: np.ndarray | None = None) -> float:
    """Certified ``min { ||x' - x|| : A x' <= b }`` from below, for any multipliers ``lam`` (clipped to
    ``>= 0``): ``(lam^T (A x - b) - lam^T err - rounding) / ||A^T lam||_q``, 0 when that is negative,
    ``inf`` when ``A^T lam = 0`` and the numerator is positive (a Farkas certificate: empty). ``err[i]``
    bounds the rounding of row i's signed value at the points of interest."""
    lam = np.maximum(np.asarray(lam, dtype=np.float64), 0.0)
    m, d = A.shape
    e = np.zeros(m) if err is None else err
    num = float(lam @ (A @ x - b)) - float(lam @ e) - rel_tol(d + 1) * float(lam @ (np.abs(A) @ np.abs(x) + np.abs(b)))
    den = float(np.linalg.norm(A.T @ lam, ord=_DUAL[norm])) + rel_tol(m) * float(np.abs(A).T @ lam @ np.ones(d))
    if num <= 0:
        return 0.0
    return math.inf if den == 0 else num / den


@dataclass
class RegionMap:
    """A region (polytope, box included or not) and the network's affine map on it, ``f = J x + b``, with
    ``Ja``, ``ba`` the same products in absolute value (rounding scales of ``J`` and ``b``)."""

    poly: Polytope
    J: np.ndarray
    b: np.ndarray
    Ja: np.ndarray
    ba: np.ndarray
    rounding: float


def region_map(net: CPANetwork, bits: tuple[np.ndarray, ...] | list[np.ndarray], poly: Polytope) -> RegionMap:
    """The output map on the region of the pattern ``bits`` (the logits are the last layer's output)."""
    L = len(net.layers) - 1
    E, e, Ea, ea = affine_map(net, bits, L)
    last = net.layers[L]
    if last.activation != "identity":  # an output activation is part of the pattern
        s = np.where(bits[-1], 1.0, last.low)
        E, e, Ea, ea = s[:, None] * E, s * e, np.abs(s)[:, None] * Ea, np.abs(s) * ea
    return RegionMap(poly, E, e, Ea, ea, region_row_tol(len(net.layers), max(net.widths)))


def region_problem(net: CPANetwork, p: np.ndarray, box: tuple[np.ndarray, np.ndarray] | None = None) -> RegionMap:
    """The region of the point ``p`` (optionally in a box) and the network's affine map on it."""
    p = check_points(p, net.input_dim)[0]
    return region_map(net, point_pattern(net, p), region_polytope(net, p, box))


@dataclass
class Tie:
    """The closest tie (class change to ``target``, ``gap >= margin``) in one region: distance ``value``
    (``inf``: none in the region; ``nan``: a solver gave no answer, ``message`` says why), the point,
    and a certified lower bound ``lower`` of the distance to any tie in the region within ``reach``."""

    value: float
    point: np.ndarray | None
    target: int
    lower: float
    message: str = ""


def region_tie(rm: RegionMap, net: CPANetwork, x: np.ndarray, y: int, norm: Norm, margin: float = 0.0,
               reach: float = math.inf) -> Tie:
    """The closest point of the region with ``gap >= margin`` (min over targets): L2 by a QP (cvxpy,
    Clarabel), L-inf / L1 by an LP (HiGHS); each target's distance bounded below by a dual certificate
    (module docstring) using the solver's multipliers (for an empty problem, those of ``max gap`` over
    the region: a Farkas certificate). The rounding bounds are taken at ``||x'|| <= ||x|| + reach``."""
    best = Tie(np.inf, None, -1, np.inf)
    msgs = []
    xn = float(np.linalg.norm(x))
    for k in _targets(net, y):
        g, g0 = _flip_row(net, rm.J, rm.b, y, k)
        ga, g0a = _abs_flip_rows(net, rm, y)[_targets(net, y).index(k)]
        A = np.vstack([rm.poly.A, -g[None]])
        b = np.append(rm.poly.b, g0 - margin)
        if norm == "l2":
            val, w, lam, msg = _qp_l2(A, b, x)
        else:
            val, w, lam, msg = _lp_norm(A, b, x, norm)
        if np.isnan(val):
            return Tie(np.nan, None, k, np.nan, f"k={k}: {msg}")
        if np.isinf(val):  # empty: multipliers of max gap over the region certify it
            lam = _farkas(rm.poly, g, g0 - margin)
            if lam is None:
                return Tie(np.nan, None, k, np.nan, f"k={k}: no tie reported, and max gap over the region unsolved")
        r = (2.0 * val if np.isfinite(val) else 0.0) + (reach if np.isfinite(reach) else 0.0)
        far = xn + r if np.isfinite(reach) or np.isfinite(val) else math.inf
        if np.isfinite(far):
            pt = np.full((1, x.size), far / math.sqrt(x.size))
            err = np.append(rm.poly.resolution(pt)[0],
                            rm.rounding * (np.abs(ga).sum() * far + abs(g0a)) + rel_tol(1) * abs(margin))
            # valid for the ties within r of x (the rounding bounds were taken there); any other is farther
            lo = min(dual_lower_bound(A, b, x, lam, norm, err), r)
        else:
            lo = math.inf if np.isinf(val) else 0.0
        if np.isinf(val) and not lo > 0:
            msgs.append(f"k={k}: the region has no tie but its Farkas certificate failed")
            return Tie(np.nan, None, k, np.nan, "; ".join(msgs))
        # a certificate far above the solver's optimum means a wrong problem, not rounding (a point the
        # solver calls optimal may lie outside the region by its feasibility tolerance, so be close below)
        if np.isfinite(val) and lo > val * (1 + SOLVER_FEAS_TOL) + SOLVER_FEAS_TOL * (1 + xn):
            return Tie(np.nan, None, k, np.nan, f"k={k}: certificate {lo!r} above the optimum {val!r}")
        if val < best.value:
            best.value, best.point, best.target = val, w, k
        best.lower = min(best.lower, lo)
    best.message = "; ".join(msgs)
    return best


def _abs_flip_rows(net: CPANetwork, rm: RegionMap, y: int) -> list[tuple[np.ndarray, float]]:
    """Per target, the rounding scale of its flip row ``(g, g0)``: the same sums in absolute value."""
    if net.output_dim == 1:
        return [(rm.Ja[0], float(rm.ba[0]))]
    return [(rm.Ja[k] + rm.Ja[y], float(rm.ba[k] + rm.ba[y])) for k in _targets(net, y)]


def _farkas(poly: Polytope, g: np.ndarray, g0: float) -> np.ndarray | None:
    """Multipliers for rows ``[A; -g]`` from the LP ``max g^T x' over A x' <= b`` (optimal value below
    ``-g0`` means no tie): ``lam = (marginals, 1)``. ``None`` when the LP has no optimal answer."""
    d = poly.dim
    if poly.A.shape[0] == 0:
        return None
    res = linprog(-g, A_ub=poly.A, b_ub=poly.b, bounds=[(None, None)] * d, method="highs")
    if res.status != 0:
        return None
    return np.append(-np.asarray(res.ineqlin.marginals), 1.0)


def _qp_l2(A: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[float, np.ndarray | None, np.ndarray, str]:
    """``min ||x' - x|| s.t. A x' <= b`` (cvxpy, Clarabel) polished on its active set; returns the value
    (``inf`` if infeasible, ``nan`` if unsolved), the point and the multipliers of the rows."""
    import cvxpy as cp

    m = A.shape[0]
    v = cp.Variable(x.size)
    con = A @ v <= b
    prob = cp.Problem(cp.Minimize(cp.sum_squares(v - x)), [con])
    try:
        prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as exc:
        return np.nan, None, np.zeros(m), f"solver error {exc}"
    if prob.status == cp.INFEASIBLE:
        return np.inf, None, np.zeros(m), ""
    if prob.status != cp.OPTIMAL or v.value is None:
        return np.nan, None, np.zeros(m), f"cvxpy status {prob.status}"
    w0 = np.asarray(v.value, dtype=np.float64)
    lam = np.asarray(con.dual_value, dtype=np.float64).reshape(m)
    w, lam_s = _active_set_projection(A, b, x, w0)
    if lam_s is not None:
        lam = lam_s
    # re-verify feasibility in numpy
    scale = 1.0 + np.abs(x).max() + np.abs(w).max()
    if np.any(A @ w - b > SOLVER_FEAS_TOL * scale * (1 + np.abs(A).sum(axis=1) + np.abs(b))):
        return np.nan, None, lam, "QP witness outside the region or short of the class boundary in numpy"
    return float(np.linalg.norm(w - x)), w, lam, ""


def _active_set_projection(A: np.ndarray, b: np.ndarray, x: np.ndarray, w: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray | None]:
    """Polish a QP solution ``w`` of ``min ||x' - x|| s.t. A x' <= b`` on its active set: the exact
    projection ``x' = x - A_S^T lam`` onto ``{A_S x' = b_S}``, accepted only if it is feasible and its
    multipliers ``lam`` are >= 0 (the KKT conditions, checked in numpy), else ``w`` is kept. Interior-point
    solvers stop ~1e-8 short of the boundary; this makes small radii exact to rounding. Returns the point
    and, when polished, the multipliers of all rows (0 off the active set)."""
    scale = 1.0 + np.abs(x).max() + np.abs(w).max()
    slack = (b - A @ w) / np.maximum(np.linalg.norm(A, axis=1), 1e-300)
    dist = float(np.linalg.norm(w - x))
    tried: set[tuple[int, ...]] = set()
    thresholds = [t * scale for t in ACTIVE_SET_CANDIDATES_ABS] + [t * dist for t in ACTIVE_SET_CANDIDATES_REL]
    for thr in thresholds:  # candidate active sets
        S = tuple(np.flatnonzero(slack <= thr))
        if not S or S in tried:
            continue
        tried.add(S)
        AS = A[list(S)]
        lam, *_ = np.linalg.lstsq(AS @ AS.T, AS @ x - b[list(S)], rcond=None)
        p = x - AS.T @ lam
        # KKT: primal feasible, multipliers >= 0 (stationarity and complementarity hold by construction),
        # which for this convex QP certifies p as the global minimiser
        if np.all(lam >= -ACTIVE_SET_DUAL_TOL * (1 + np.abs(lam).max())) \
                and np.all(A @ p - b <= ACTIVE_SET_PRIMAL_TOL * scale * (1 + np.abs(b))):
            full = np.zeros(A.shape[0])
            full[list(S)] = lam
            return p, full
    return w, None


def _lp_norm(A: np.ndarray, b: np.ndarray, x: np.ndarray, norm: str) -> tuple[float, np.ndarray | None, np.ndarray, str]:
    """LP ``min ||x' - x||_inf`` or ``_1`` over ``A x' <= b`` (HiGHS); value, point, row multipliers."""
    d = x.size
    m = A.shape[0]
    if norm == "linf":  # variables (x', t)
        nv = d + 1
        c = np.zeros(nv)
        c[d] = 1.0
        rows = [np.column_stack([np.eye(d), -np.ones(d)]), np.column_stack([-np.eye(d), -np.ones(d)])]
    else:  # (x', s)
        nv = 2 * d
        c = np.concatenate([np.zeros(d), np.ones(d)])
        rows = [np.hstack([np.eye(d), -np.eye(d)]), np.hstack([-np.eye(d), -np.eye(d)])]
    A_ub = np.vstack(rows + [np.hstack([A, np.zeros((m, nv - d))])])
    b_ub = np.concatenate([x, -x, b])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(0, None)] * (nv - d), method="highs")
    if res.status == 2:
        return np.inf, None, np.zeros(m), ""
    if res.status != 0:
        return np.nan, None, np.zeros(m), f"linprog status {res.status}: {res.message}"
    w = res.x[:d]
    lam = -np.asarray(res.ineqlin.marginals)[2 * d:]
    return _norm(w - x, norm), w, lam, ""


def in_region_l2(net: CPANetwork, x: np.ndarray) -> ExactRadius:
    """The minimal L2 perturbation that reaches a class tie without leaving x's region (a QP per target);
    ``lower`` is its dual certificate (the region's tie distance, not a global bound)."""
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    rm = region_problem(net, x)
    tie = region_tie(rm, net, x, y, "l2")
    if np.isnan(tie.value):
        return ExactRadius("l2", np.nan, None, "inconclusive", reason=tie.message, target=tie.target)
    if not np.isfinite(tie.value):
        return ExactRadius("l2", np.inf, None, "verified", lower=np.inf, reason="no class change inside the region")
    w = tie.point
    # on the region the forward pass is the local affine map: the witness must reach the tie (to tolerance)
    gap = float(flip_gap(net, w[None], y)[0])
    scale = 1.0 + float(np.abs(net.forward(w[None])).max())
    if gap < -SOLVER_FEAS_TOL * scale * 10:
        return ExactRadius("l2", tie.value, w, "inconclusive", reason=f"forward pass at the witness: gap {gap:.3g}",
                           target=tie.target)
    return _bracket(ExactRadius("l2", tie.value, w, "verified", lower=tie.lower, target=tie.target))


# ----------------------------------------------------------------------------- MILP
def interval_bounds(net: CPANetwork, lo: np.ndarray, hi: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Bounds ``[l, u]`` of every layer's pre-activation over the box (interval arithmetic)."""
    out = []
    a_lo, a_hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
    for layer in net.layers:
        Wp, Wn = np.clip(layer.weight, 0, None), np.clip(layer.weight, None, 0)
        l = Wp @ a_lo + Wn @ a_hi + layer.bias
        u = Wp @ a_hi + Wn @ a_lo + layer.bias
        out.append((l, u))
        a_lo, a_hi = layer.act(l), layer.act(u)  # activations are monotone
    return out


def _milp_one(net: CPANetwork, x: np.ndarray, y: int, k: int, norm: str, R: float, margin: float,
              time_limit: float) -> tuple[int, float, float, np.ndarray | None, str]:
    """One MILP: minimal ``||x' - x||`` (linf / l1) over the box of radius R with class change to k.
    Returns (status, objective, dual bound, x', message)."""
    d = x.size
    L = len(net.layers)
    bounds = interval_bounds(net, x - R, x + R)
    # variable layout
    nxt = d  # x' at 0..d-1
    norm_idx = np.arange(nxt, nxt + (1 if norm == "linf" else d))
    nxt += norm_idx.size
    h_idx, dl_idx = [], []
    for l in range(L - 1):
        k_l = net.layers[l].shape[0]
        h_idx.append(np.arange(nxt, nxt + k_l))
        nxt += k_l
        dl_idx.append(np.arange(nxt, nxt + k_l))
        nxt += k_l
    nv = nxt
    c = np.zeros(nv)
    c[norm_idx] = 1.0
    lb, ub = np.full(nv, -np.inf), np.full(nv, np.inf)
    integ = np.zeros(nv)
    lb[:d], ub[:d] = x - R, x + R
    lb[norm_idx], ub[norm_idx] = 0.0, (R if norm == "linf" else R * d)
    rows, rlo, rhi = [], [], []

    def add(coef: dict[int, float] | np.ndarray, lo_: float, hi_: float) -> None:
        r = np.zeros(nv)
        if isinstance(coef, dict):
            for i, v in coef.items():
                r[i] += v
        else:
            r += coef
        rows.append(r)
        rlo.append(lo_)
        rhi.append(hi_)

    # norm constraints
    for i in range(d):
        t = norm_idx[0] if norm == "linf" else norm_idx[i]
        add({i: 1.0, t: -1.0}, -np.inf, x[i])
        add({i: -1.0, t: -1.0}, -np.inf, -x[i])
    prev = np.arange(d)
    for l in range(L - 1):
        layer = net.layers[l]
        lz, uz = bounds[l]
        W = layer.weight  # dense (formed once for a structured layer: the MILP is for small networks)
        lows = np.broadcast_to(np.asarray(layer.low, dtype=np.float64), (layer.shape[0],))
        for j in range(layer.shape[0]):
            a = float(lows[j])
            z = np.zeros(nv)
            z[prev] = W[j]
            bj = float(layer.bias[j])
            hj, dj = h_idx[l][j], dl_idx[l][j]
            e = np.zeros(nv)
            e[hj] = 1.0
            lb[hj], ub[hj] = (lz[j] if lz[j] > 0 else a * lz[j]), (uz[j] if uz[j] > 0 else a * uz[j])
            lb[dj], ub[dj] = 0.0, 0.0
            if a == 1.0 or lz[j] >= 0:
                add(e - z, bj, bj)  # h = z
                lb[dj] = ub[dj] = 1.0
            elif uz[j] <= 0:
                add(e - a * z, a * bj, a * bj)  # h = a z
            else:
                lb[dj], ub[dj] = 0.0, 1.0
                integ[dj] = 1
                add(e - z, bj, np.inf)  # h >= z
                add(e - a * z, a * bj, np.inf)  # h >= a z
                dcoef = np.zeros(nv)
                dcoef[dj] = 1.0
                # h <= z - (1-a) l (1 - delta)  <=>  h - z - (1-a) l delta <= b - (1-a) l
                add(e - z - (1 - a) * lz[j] * dcoef, -np.inf, bj - (1 - a) * lz[j])
                # h <= a z + (1-a) u delta
                add(e - a * z - (1 - a) * uz[j] * dcoef, -np.inf, a * bj)
        prev = h_idx[l]
    last = net.layers[-1]
    g, g0 = _flip_row(net, last.weight, last.bias, y, k)
    r = np.zeros(nv)
    r[prev] = g
    add(r, margin - g0, np.inf)
    with c_stdout_to_stderr():  # HiGHS's MIP code printf()s debug lines whatever disp says
        res = milp(c, integrality=integ, bounds=Bounds(lb, ub),
                   constraints=LinearConstraint(np.array(rows), np.array(rlo), np.array(rhi)),
                   options={"time_limit": time_limit, "mip_rel_gap": MILP_REL_GAP, "disp": False})
    dual = float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
    if res.status == 0:
        return 0, float(res.fun), dual, np.asarray(res.x[:d], dtype=np.float64), res.message
    return int(res.status), np.nan, dual, None, res.message




def milp_radius(net: CPANetwork, x: np.ndarray, norm: Literal["linf", "l1"] = "linf", R: float = 2.0,
                time_limit: float = 30.0) -> ExactRadius:
    """Exact global L-infinity or L1 radius of ``x`` within the domain box ``||x' - x||_inf <= R`` by MILP
    (one per target class, on the tie set ``gap >= 0``): ``lower`` is HiGHS's dual bound less
    ``MILP_BOUND_SLACK`` (solver-reported: ``extra["lower_by"]``); the witness is a verified strict flip next to the MILP's tie point
    (:func:`strict_witness`), else the margin MILP's point (polished on its region by an LP)."""
    if norm not in ("linf", "l1"):
        raise ValueError(f"norm must be 'linf' or 'l1', got {norm!r}")
    if not R > 0:
        raise ValueError("domain radius R must be positive")
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    best = ExactRadius(norm, np.inf, None, "verified", lower=R, reason=f"no class change within ||.||_inf <= {R}")
    lowers = []
    for k in _targets(net, y):
        status, obj, dual, w0, msg = _milp_one(net, x, y, k, norm, R, 0.0, time_limit)
        if status == 2:  # infeasible: no class change to k within the box
            lowers.append(R)
            continue
        if status != 0:
            return ExactRadius(norm, np.nan, None, "inconclusive", reason=f"milp status {status}: {msg}", target=k)
        bound = obj if np.isnan(dual) else min(obj, dual)
        lowers.append(max(0.0, bound * (1.0 - MILP_BOUND_SLACK)))
        w = strict_witness(net, x, y, w0, norm)
        if w is None:  # the tie point has no strict flip next to it: ask for the margin
            margin = _margin(net, x)
            status, _, _, w2, msg = _milp_one(net, x, y, k, norm, R, margin, time_limit)
            if status == 0:
                w = w2 if verify_witness(net, x, y, w2) else _polish(net, x, y, w2, norm, margin)
            if w is None:
                return ExactRadius(norm, obj, None, "inconclusive", target=k, reason="no strict class change found "
                                   f"next to the MILP's tie point (margin MILP: {msg})")
        r = _norm(w - x, norm)
        if r < best.radius:
            best = ExactRadius(norm, r, w, "verified", target=k, extra={"milp_objective": obj})
    best.lower = float(min(lowers)) if lowers else R
    best.extra["lower_by"] = "HiGHS's MILP dual bound and infeasibility status (solver-reported, not recomputed)"
    return _bracket(_cap(best, R))


def strict_witness(net: CPANetwork, x: np.ndarray, y: int, w0: np.ndarray, norm: Norm,
                   rm: RegionMap | None = None) -> np.ndarray | None:
    """A strict class change next to a tie point ``w0``: ``w0`` made exact in its own region (the region's
    closest tie, :func:`region_tie`; given ``rm``, that region), then the first ``x + t (w0 - x)``,
    ``t = 1, 1 + 2^-52, ..., 1 + 2^-30``, with ``gap > 0`` in the forward pass; else (the gap only touches 0
    along that ray, e.g. at a kink) the closest point with ``gap >= witness_gap_margin`` in each region
    touching ``w0`` (found by probing ``w0 + eps u`` in many directions ``u``: only a search for an upper
    end, which a failure leaves inconclusive, never a bound); else farther along the ray, up to
    ``t = 1.5``. ``None`` if none is found."""
    if rm is None:
        rm = region_problem(net, w0)
        tie = region_tie(rm, net, x, y, norm)
        if tie.point is not None and np.isfinite(tie.value) and tie.value <= _norm(w0 - x, norm) * (1 + MILP_BOUND_SLACK):
            w0 = tie.point
    v = w0 - x
    T = np.concatenate([[1.0], 1.0 + 2.0 ** -np.arange(52, 29, -1)])
    w = _first_verified(net, x, y, x[None] + T[:, None] * v[None])
    if w is not None:
        return w
    d = x.size
    rng = np.random.default_rng(0)  # fixed probe directions: reproducible
    U = np.vstack([np.eye(d), -np.eye(d), rng.normal(size=(64, d))])
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    P = w0[None] + KINK_PROBE_STEP * (1.0 + np.linalg.norm(w0)) * U
    # the forward pass rounds the gap relative to its terms in absolute value, not to |f| (~0 at a tie)
    scale = 1.0 + max(float(ga @ np.abs(w0) + g0a) for ga, g0a in _abs_flip_rows(net, rm, y))
    margin = witness_gap_margin(len(net.layers), max(net.widths), scale)
    best, seen = None, set()
    for p in P:
        key = tuple(v for pat in point_pattern(net, p) for v in np.asarray(pat).ravel().tolist())  # () for an affine net
        if key in seen:
            continue
        seen.add(key)
        tie = region_tie(region_problem(net, p), net, x, y, norm, margin=margin)
        ok = tie.point is not None and np.isfinite(tie.value) and verify_witness(net, x, y, tie.point)
        if ok and (best is None or tie.value < _norm(best - x, norm)):
            best = tie.point
    if best is None:  # farther along the ray (a loose upper end: the bracket decides)
        T = 1.0 + 2.0 ** -np.arange(29, 0, -1)
        best = _first_verified(net, x, y, x[None] + T[:, None] * v[None])
    return best


def _first_verified(net: CPANetwork, x: np.ndarray, y: int, W: np.ndarray) -> np.ndarray | None:
    """The first row of ``W`` that changes the class strictly in a single-point forward pass (a batch
    pass can round differently when the gap is a few ulps)."""
    for i in np.flatnonzero(flip_gap(net, W, y) > 0):
        if verify_witness(net, x, y, W[i]):
            return W[i]
    return None


def _polish(net: CPANetwork, x: np.ndarray, y: int, w: np.ndarray, norm: Norm, margin: float) -> np.ndarray | None:
    """The margin problem on the region of ``w`` with a doubled margin; a forward-verified witness or None."""
    tie = region_tie(region_problem(net, w), net, x, y, norm, margin=2 * margin)
    if tie.point is None or not np.isfinite(tie.value) or not verify_witness(net, x, y, tie.point):
        return None
    return tie.point


# ----------------------------------------------------------------------------- by regions
def _by_regions(net: CPANetwork, x: np.ndarray, norm: Norm, R: float, prune: bool, max_regions: int) -> ExactRadius:
    """Exact radius in the box ``||x' - x||_inf <= R`` from the complete walk of its regions: the closest
    tie per region (:func:`region_tie`) with its certified bound; with ``prune``, a cell whose certified
    distance from ``x`` (the largest of its rows' half-space distances) reaches the best tie found is
    not searched. Thin cells count by their certified distance."""
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    box = (x - R, x + R)
    reach = 2.0 * R * math.sqrt(x.size)
    state = {"best": math.inf, "lower": math.inf, "tie": None, "leaf": None, "fail": "", "ties": 0}

    def row_distance(cell: Cell) -> float:
        P = cell.poly
        far = np.full((1, x.size), (np.linalg.norm(x) + reach) / math.sqrt(x.size))
        q = {"l2": 2, "linf": 1, "l1": np.inf}[norm]
        viol = (P.A @ x - P.b - P.resolution(far)[0]) / np.linalg.norm(P.A, ord=q, axis=1)
        return float(max(0.0, viol.max())) if viol.size else 0.0

    def keep(cell: Cell, leaf: bool) -> bool:
        if state["fail"]:
            return False
        dist = row_distance(cell)
        if prune and dist >= state["best"]:
            return False
        if not cell.resolved:  # thin: bounded by its distance, never searched
            state["lower"] = min(state["lower"], dist)
            return True
        if leaf:
            rm = region_map(net, cell.bits, cell.poly)
            tie = region_tie(rm, net, x, y, norm, reach=reach)
            state["ties"] += 1
            if np.isnan(tie.value):
                state["fail"] = tie.message
                return False
            state["lower"] = min(state["lower"], tie.lower)
            if tie.value < state["best"]:
                state["best"], state["tie"], state["leaf"] = tie.value, tie, rm
        return True

    try:
        walk = walk_regions(net, *box, keep=keep, start=x, max_regions=max_regions)
    except RuntimeError as exc:  # more regions than the budget
        return ExactRadius(norm, np.nan, None, "inconclusive", reason=str(exc))
    n = len(walk.regions)
    extra = {"regions_solved": state["ties"], "thin": len(walk.thin), "lp_calls": walk.lp_calls}
    if state["fail"]:
        return ExactRadius(norm, np.nan, None, "inconclusive", reason=state["fail"], regions=n, extra=extra)
    if not walk.complete:
        why = walk.inconclusive[0] if walk.inconclusive else f"{walk.unresolved} unresolved facets, {walk.slivers} slivers"
        return ExactRadius(norm, np.nan, None, "inconclusive", reason=f"region walk incomplete: {why}", regions=n,
                           extra=extra)
    lower = min(state["lower"], R)
    if state["tie"] is None:
        return ExactRadius(norm, np.inf, None, "verified", lower=lower, regions=n, extra=extra,
                           reason=f"no class change within ||.||_inf <= {R}")
    tie = state["tie"]
    w = strict_witness(net, x, y, tie.point, norm, rm=state["leaf"])
    if w is None:  # the margin problem in the best region
        m = region_tie(state["leaf"], net, x, y, norm, margin=_margin(net, x))
        w = m.point if m.point is not None and verify_witness(net, x, y, m.point) else None
    if w is None:
        return ExactRadius(norm, tie.value, None, "inconclusive", lower=lower, target=tie.target, regions=n,
                           extra=extra, reason="no strict class change found next to the closest tie")
    extra["boundary_radius"] = tie.value
    return _bracket(_cap(ExactRadius(norm, _norm(w - x, norm), w, "verified", lower=lower, target=tie.target,
                                     regions=n, extra=extra), R))


def brute_force_radius(net: CPANetwork, x: np.ndarray, norm: Norm = "linf", R: float = 2.0,
                       max_regions: int = 20000) -> ExactRadius:
    """Exact radius by solving the closest tie in *every* region of the box ``||x' - x||_inf <= R`` (the
    complete walk, no pruning): the oracle for the MILP and the region search."""
    return _by_regions(net, x, norm, R, prune=False, max_regions=max_regions)


def region_search_l2(net: CPANetwork, x: np.ndarray, R: float = 2.0, max_regions: int = 20000) -> ExactRadius:
    """Exact global L2 radius within the box ``||x' - x||_inf <= R``: the complete walk from x's region,
    regions certified farther than the best tie found pruned."""
    return _by_regions(net, x, "l2", R, prune=True, max_regions=max_regions)


# ----------------------------------------------------------------------------- T2(a)
def t2a_first_order(net: CPANetwork, X: np.ndarray) -> dict[str, np.ndarray]:
    """T2(a) at every point: ``rho = min_k (z_y - z_k)/||J_y - J_k||`` (c = 1: ``|z|/||J||``) and its bound
    ``||x|| min_k (z_y - z_k)/|v_y - v_k|`` with ``v = J x`` (c = 1: ``||x|| |z| / |J x|``); inf where a
    denominator vanishes. Computed from the exact region maps, independently of the engine's radius.
    ``kappa`` is the condition number of rho for the minimising pair (c = 1: 1): the engine's Gram route
    forms ``||J_y - J_k||^2 = G_yy + G_kk - 2 G_yk`` (relative error amplified by
    ``(|J_y|^2 + |J_k|^2) / |J_y - J_k|^2``) and the gap ``z_y - z_k`` cancels (amplified by
    ``(|z_y| + |z_k|) / (z_y - z_k)``); kappa is the sum."""
    X = check_points(X, net.input_dim, allow_zero=False)
    J, b = region_maps(net, X)
    z = np.einsum("ncd,nd->nc", J, X) + b
    v = np.einsum("ncd,nd->nc", J, X)
    xn = np.linalg.norm(X, axis=1)
    n, c = z.shape
    if c == 1:
        gaps, dJ, dv = np.abs(z), np.linalg.norm(J[:, 0], axis=1)[:, None], np.abs(v)
        kappa = np.ones(n)
    else:
        y = np.argmax(z, axis=1)
        rows = np.arange(n)
        gaps = z[rows, y][:, None] - z
        dJ = np.linalg.norm(J[rows, y][:, None, :] - J, axis=2)
        dv = np.abs(v[rows, y][:, None] - v)
        gaps[rows, y] = np.inf
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(dJ > 0, gaps / np.where(dJ > 0, dJ, 1.0), np.inf)
        rho = ratio.min(axis=1)
        bound = np.where(dv > 0, xn[:, None] * gaps / np.where(dv > 0, dv, 1.0), np.inf).min(axis=1)
    if c > 1:  # condition number of rho for the minimising pair (see the docstring)
        k = np.argmin(ratio, axis=1)
        rows = np.arange(n)
        num = (J[rows, y] ** 2).sum(axis=1) + (J[rows, k] ** 2).sum(axis=1)
        den = dJ[rows, k] ** 2
        gk = gaps[rows, k]
        zsum = np.abs(z[rows, y]) + np.abs(z[rows, k])
        with np.errstate(divide="ignore", invalid="ignore"):
            kappa = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.inf) \
                + np.where(gk > 0, zsum / np.where(gk > 0, gk, 1.0), np.inf)
    return {"rho": rho, "bound": bound, "kappa": kappa}
