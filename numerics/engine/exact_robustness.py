"""Exact robustness radii of small CPA networks, with re-verified witnesses (T2 on real networks).

Class of ``x``: ``y = argmax f(x)`` (for ``c = 1``: the sign of the logit). The *exact radius* in a norm is
``r*(x) = inf { ||x' - x|| : class(x') != y }``. Three routes, every answer re-checked in numpy:

- **In the region (L2, a QP):** on x's region ``P = {A x' <= b}`` the network is ``J x' + b_x``; for each
  ``k != y``: ``min ||x' - x||^2 s.t. A x' <= b, (J_k - J_y) x' + (b_k - b_y) >= 0`` (cvxpy, Clarabel).
  When T2(a)'s nearest local boundary point lies in the region this equals ``rho(x)^2``.
- **Globally, L-infinity and L1 (MILP):** ``scipy.optimize.milp`` (HiGHS) with the standard big-M
  encoding of each unstable unit (pre-activation bounds ``[l, u]`` by interval arithmetic on the domain
  box ``||x' - x||_inf <= R``); stable units are fixed. For leaky slope ``a``:
  ``h >= z, h >= a z, h <= z - (1-a) l (1 - delta), h <= a z + (1-a) u delta``. Class change to ``k`` is
  ``z_k - z_y >= margin`` (``MILP_FLIP_MARGIN`` relative to the logit scale).
- **Globally, L2 (region search):** best-first search over linear regions ordered by the distance from
  ``x`` to the facet through which a region is entered (each region's facets found by Chebyshev balls
  inside the facet; the neighbour identified by a probe just across the facet's centre); in each region
  the in-region QP; stop when the next region is farther than the best radius found.

Every witness is re-verified by a forward pass: ``max_{k != y} f_k(x_w) - f_y(x_w) > 0`` (a strict class
change). A MILP witness that fails (big-M rounding) is polished by an LP on the witness's own region
and re-verified. Outcomes: ``verified`` (solver optimal, witness re-verified; or the MILP proved no class
change in the domain box: radius > R), ``inconclusive`` (any other solver status, a failed
re-verification, a search budget exhausted) with the reason. A caller comparing two routes declares a
claim *refuted* only on verified answers.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork, check_points
from normalign.numerics.engine.regions import (
    Polytope,
    enumerate_partition,
    pattern_keys,
    region_polytope,
)
from normalign.numerics.tolerances import MILP_FLIP_MARGIN, SOLVER_FEAS_TOL, matmul_tol
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

Norm = Literal["l2", "linf", "l1"]


@dataclass
class ExactRadius:
    """An exact radius and how it was certified.

    ``radius`` is the norm of the verified witness (``inf`` when the solver proved there is no class
    change within the domain radius ``R``, then ``lower = R``); ``lower`` is a certified lower bound
    (the MILP dual bound, or the search's stopping distance); ``outcome`` is ``verified`` or
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
    ``h -> Wout h + bout``."""
    if net.output_dim == 1:
        s = 1.0 if y == 1 else -1.0
        return -s * Wout[0], -s * float(bout[0])
    return Wout[k] - Wout[y], float(bout[k] - bout[y])


def _norm(v: np.ndarray, norm: str) -> float:
    return float({"l2": np.linalg.norm(v), "linf": np.abs(v).max(), "l1": np.abs(v).sum()}[norm])


def _margin(net: CPANetwork, x: np.ndarray) -> float:
    return MILP_FLIP_MARGIN * (1.0 + float(np.abs(net.forward(x[None])).max()))


def _cap(res: ExactRadius, R: float) -> ExactRadius:
    """A radius found inside the domain box ``||x' - x||_inf <= R`` is exact only up to R (every norm ball
    of radius r <= R lies in the box; anything outside the box is farther than R). Beyond R, report
    ``radius = inf`` with the certified ``lower = R`` and keep the found value as ``extra['upper']``."""
    if res.verified and np.isfinite(res.radius) and res.radius > R:
        res.extra["upper"] = res.radius
        res.radius, res.lower = np.inf, R
        res.reason = f"no class change within distance {R} (a witness at {res.extra['upper']:.6g} exists)"
    return res


# ----------------------------------------------------------------------------- one region
def region_problem(net: CPANetwork, p: np.ndarray, box: tuple[np.ndarray, np.ndarray] | None = None
                   ) -> tuple[Polytope, np.ndarray, np.ndarray]:
    """x's region polytope and its affine map ``(J, b)``."""
    poly = region_polytope(net, p, box)
    J, b = region_maps(net, p[None])
    return poly, J[0], b[0]


def region_min_norm(poly: Polytope, J: np.ndarray, bvec: np.ndarray, net: CPANetwork, x: np.ndarray, y: int,
                    norm: Norm, margin: float = 0.0) -> tuple[float, np.ndarray | None, int, str]:
    """Smallest ``||x' - x||`` over the region with a class change (min over targets). Returns
    ``(value, x', target, status message)``; value ``inf`` when no target is feasible. L2 by cvxpy
    (Clarabel), L-inf / L1 by linprog (HiGHS). Only optimal solves count; any other status raises
    nothing but is reported in the message and treated as infeasible-unknown (value nan)."""
    best, arg, tgt, msgs = np.inf, None, -1, []
    for k in _targets(net, y):
        g, g0 = _flip_row(net, J, bvec, y, k)
        if norm == "l2":
            val, w, msg = _qp_l2(poly, g, g0 - margin, x)
        else:
            val, w, msg = _lp_poly(poly, g, g0 - margin, x, norm)
        if msg:
            msgs.append(f"k={k}: {msg}")
        if np.isnan(val):
            return np.nan, None, k, "; ".join(msgs)
        if val < best:
            best, arg, tgt = val, w, k
    return best, arg, tgt, "; ".join(msgs)


def _qp_l2(poly: Polytope, g: np.ndarray, g0: float, x: np.ndarray) -> tuple[float, np.ndarray | None, str]:
    """``min ||x' - x|| s.t. A x' <= b, g^T x' + g0 >= 0``; ``inf`` if infeasible, ``nan`` if unsolved."""
    import cvxpy as cp

    if not np.any(g) and g0 < 0:
        return np.inf, None, ""
    v = cp.Variable(x.size)
    cons = [g @ v + g0 >= 0]
    if poly.A.shape[0]:
        cons.append(poly.A @ v <= poly.b)
    prob = cp.Problem(cp.Minimize(cp.sum_squares(v - x)), cons)
    try:
        prob.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as exc:
        return np.nan, None, f"solver error {exc}"
    if prob.status == cp.INFEASIBLE:
        return np.inf, None, ""
    if prob.status != cp.OPTIMAL or v.value is None:
        return np.nan, None, f"cvxpy status {prob.status}"
    w = _active_set_projection(np.vstack([poly.A, -g[None]]), np.append(poly.b, g0), x,
                               np.asarray(v.value, dtype=np.float64))
    # re-verify feasibility in numpy
    scale = 1.0 + np.abs(x).max() + np.abs(w).max()
    if poly.A.shape[0] and np.any(poly.A @ w - poly.b > SOLVER_FEAS_TOL * scale * (1 + np.abs(poly.b))):
        return np.nan, None, "QP witness outside the region in numpy"
    if g @ w + g0 < -SOLVER_FEAS_TOL * scale * (1 + np.abs(g).sum() + abs(g0)):
        return np.nan, None, "QP witness does not reach the class boundary in numpy"
    return float(np.linalg.norm(w - x)), w, ""


def _active_set_projection(A: np.ndarray, b: np.ndarray, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Polish a QP solution ``w`` of ``min ||x' - x|| s.t. A x' <= b`` on its active set: the exact
    projection ``x' = x - A_S^T lam`` onto ``{A_S x' = b_S}``, accepted only if it is feasible and its
    multipliers ``lam`` are >= 0 (the KKT conditions, checked in numpy), else ``w`` is kept. Interior-point
    solvers stop ~1e-8 short of the boundary; this makes small radii exact to rounding."""
    scale = 1.0 + np.abs(x).max() + np.abs(w).max()
    slack = (b - A @ w) / np.maximum(np.linalg.norm(A, axis=1), 1e-300)
    dist = float(np.linalg.norm(w - x))
    tried: set[tuple[int, ...]] = set()
    for thr in (1e-9 * scale, 1e-6 * scale, 1e-3 * dist, 1e-1 * dist):  # candidate active sets
        S = tuple(np.flatnonzero(slack <= thr))
        if not S or S in tried:
            continue
        tried.add(S)
        AS = A[list(S)]
        lam, *_ = np.linalg.lstsq(AS @ AS.T, AS @ x - b[list(S)], rcond=None)
        p = x - AS.T @ lam
        # KKT: primal feasible, multipliers >= 0 (stationarity and complementarity hold by construction),
        # which for this convex QP certifies p as the global minimiser
        if np.all(lam >= -1e-9 * (1 + np.abs(lam).max())) and np.all(A @ p - b <= 1e-12 * scale * (1 + np.abs(b))):
            return p
    return w


def _lp_poly(poly: Polytope, g: np.ndarray, g0: float, x: np.ndarray, norm: str) -> tuple[float, np.ndarray | None, str]:
    """LP ``min ||x' - x||_inf`` or ``_1`` over the polytope with ``g^T x' + g0 >= 0`` (HiGHS)."""
    d = x.size
    m = poly.A.shape[0]
    if norm == "linf":  # variables (x', t)
        nv = d + 1
        c = np.zeros(nv)
        c[d] = 1.0
        rows = [np.column_stack([np.eye(d), -np.ones(d)]), np.column_stack([-np.eye(d), -np.ones(d)])]
    else:  # (x', s)
        nv = 2 * d
        c = np.concatenate([np.zeros(d), np.ones(d)])
        rows = [np.hstack([np.eye(d), -np.eye(d)]), np.hstack([-np.eye(d), -np.eye(d)])]
    rhs = [x, -x]
    A_ub = np.vstack(rows + [np.hstack([poly.A, np.zeros((m, nv - d))]), np.concatenate([-g, np.zeros(nv - d)])[None]])
    b_ub = np.concatenate(rhs + [poly.b, [g0]])
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * d + [(0, None)] * (nv - d), method="highs")
    if res.status == 2:
        return np.inf, None, ""
    if res.status != 0:
        return np.nan, None, f"linprog status {res.status}: {res.message}"
    w = res.x[:d]
    return _norm(w - x, norm), w, ""


def in_region_l2(net: CPANetwork, x: np.ndarray) -> ExactRadius:
    """The minimal L2 perturbation that changes the class without leaving x's region (a QP per target)."""
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    poly, J, b = region_problem(net, x)
    val, w, k, msg = region_min_norm(poly, J, b, net, x, y, "l2")
    if np.isnan(val):
        return ExactRadius("l2", np.nan, None, "inconclusive", reason=msg, target=k)
    if not np.isfinite(val):
        return ExactRadius("l2", np.inf, None, "verified", lower=np.inf, reason="no class change inside the region")
    # on the region the forward pass is the local affine map: the witness must reach the tie (to tolerance)
    gap = float(flip_gap(net, w[None], y)[0])
    scale = 1.0 + float(np.abs(net.forward(w[None])).max())
    if gap < -SOLVER_FEAS_TOL * scale * 10:
        return ExactRadius("l2", val, w, "inconclusive", reason=f"forward pass at the witness: gap {gap:.3g}", target=k)
    return ExactRadius("l2", val, w, "verified", lower=val, target=k)


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
        k_l = net.layers[l].weight.shape[0]
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
        a = 0.0 if layer.activation == "relu" else (layer.negative_slope if layer.activation == "leaky_relu" else 1.0)
        for j in range(layer.weight.shape[0]):
            z = np.zeros(nv)
            z[prev] = layer.weight[j]
            bj = float(layer.bias[j])
            hj, dj = h_idx[l][j], dl_idx[l][j]
            e = np.zeros(nv)
            e[hj] = 1.0
            lb[hj], ub[hj] = layer.act(np.array([lz[j]]))[0], layer.act(np.array([uz[j]]))[0]
            lb[dj], ub[dj] = 0.0, 0.0
            if layer.activation == "identity" or lz[j] >= 0:
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
    res = milp(c, integrality=integ, bounds=Bounds(lb, ub),
               constraints=LinearConstraint(np.array(rows), np.array(rlo), np.array(rhi)),
               options={"time_limit": time_limit, "mip_rel_gap": 1e-9})
    dual = float(getattr(res, "mip_dual_bound", np.nan) or np.nan)
    if res.status == 0:
        return 0, float(res.fun), dual, np.asarray(res.x[:d], dtype=np.float64), res.message
    return int(res.status), np.nan, dual, None, res.message


def milp_radius(net: CPANetwork, x: np.ndarray, norm: Literal["linf", "l1"] = "linf", R: float = 2.0,
                time_limit: float = 30.0) -> ExactRadius:
    """Exact global L-infinity or L1 radius of ``x`` within the domain box ``||x' - x||_inf <= R`` by MILP
    (one per target class), every witness re-verified by a forward pass (polished on its region by an
    LP if the big-M rounding spoils it)."""
    if norm not in ("linf", "l1"):
        raise ValueError(f"norm must be 'linf' or 'l1', got {norm!r}")
    if not R > 0:
        raise ValueError("domain radius R must be positive")
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    margin = _margin(net, x)
    best = ExactRadius(norm, np.inf, None, "verified", lower=R, reason=f"no class change within ||.||_inf <= {R}")
    lowers = []
    for k in _targets(net, y):
        status, obj, dual, w, msg = _milp_one(net, x, y, k, norm, R, margin, time_limit)
        if status == 2:  # infeasible: no class change to k within the box
            lowers.append(R if norm == "linf" else R)
            continue
        if status != 0:
            return ExactRadius(norm, np.nan, None, "inconclusive", reason=f"milp status {status}: {msg}", target=k)
        lowers.append(obj if np.isnan(dual) else min(obj, dual))
        if not verify_witness(net, x, y, w):
            w = _polish(net, x, y, w, norm, margin)
            if w is None:
                return ExactRadius(norm, obj, None, "inconclusive", reason="MILP witness failed the forward pass "
                                   "and could not be polished on its region", target=k)
        r = _norm(w - x, norm)
        if r < best.radius:
            best = ExactRadius(norm, r, w, "verified", target=k, extra={"milp_objective": obj})
    best.lower = float(min(lowers)) if lowers else R
    return _cap(best, R)


def _polish(net: CPANetwork, x: np.ndarray, y: int, w: np.ndarray, norm: str, margin: float) -> np.ndarray | None:
    """LP on the region of ``w`` with a doubled margin; returns a forward-verified witness or None."""
    poly, J, b = region_problem(net, w)
    val, w2, _, _ = region_min_norm(poly, J, b, net, x, y, norm, margin=2 * margin)
    if w2 is None or not np.isfinite(val) or not verify_witness(net, x, y, w2):
        return None
    return w2


# ----------------------------------------------------------------------------- brute force (2-d)
def brute_force_radius(net: CPANetwork, x: np.ndarray, norm: Norm = "linf", R: float = 2.0,
                       margin: float | None = None) -> ExactRadius:
    """Exact radius of a 2-d network by enumerating every region in the box ``||x' - x||_inf <= R``
    and solving, per region and target, an LP (linf, l1) or QP (l2); the same margin as the MILP."""
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    margin = _margin(net, x) if margin is None else margin
    part = enumerate_partition(net, x - R, x + R)
    best = ExactRadius(norm, np.inf, None, "verified", lower=R, reason=f"no class change within ||.||_inf <= {R}",
                       regions=len(part.regions))
    for reg in part.regions:
        J, b = region_maps(net, reg.centre[None])
        val, w, k, msg = region_min_norm(reg.poly, J[0], b[0], net, x, y, norm, margin)
        if np.isnan(val):
            return ExactRadius(norm, np.nan, None, "inconclusive", reason=msg, regions=len(part.regions))
        if val < best.radius:
            best = ExactRadius(norm, val, w, "verified", target=k, regions=len(part.regions))
    if best.witness is not None and not verify_witness(net, x, y, best.witness):
        return ExactRadius(norm, best.radius, best.witness, "inconclusive", reason="witness failed the forward pass",
                           regions=len(part.regions))
    best.lower = best.radius if np.isfinite(best.radius) else R
    best.extra["area_defect"] = part.area_defect
    return _cap(best, R)


# ----------------------------------------------------------------------------- L2 region search
def _facet_centre(poly: Polytope, i: int) -> tuple[np.ndarray | None, float]:
    """Centre and radius of the largest ball inside facet ``i`` (within its hyperplane), by linprog."""
    A, b = poly.A, poly.b
    a = A[i]
    others = np.delete(np.arange(A.shape[0]), i)
    Ao = A[others]
    proj = Ao - np.outer(Ao @ a, a)  # in-plane part of each other row
    nrm = np.linalg.norm(proj, axis=1)
    d = A.shape[1]
    c = np.zeros(d + 1)
    c[-1] = -1.0
    res = linprog(c, A_ub=np.column_stack([Ao, nrm]), b_ub=b[others], A_eq=np.append(a, 0.0)[None], b_eq=[b[i]],
                  bounds=[(None, None)] * d + [(0, None)], method="highs")
    if res.status != 0:
        return None, 0.0
    return res.x[:d], float(res.x[d])


def region_search_l2(net: CPANetwork, x: np.ndarray, R: float = 2.0, max_regions: int = 500) -> ExactRadius:
    """Exact global L2 radius within the box ``||x' - x||_inf <= R`` by best-first region search."""
    x = check_points(x, net.input_dim)[0]
    y = int(predicted_class(net, x[None])[0])
    box = (x - R, x + R)
    scale = 1.0 + float(np.abs(x).max()) + R
    tiny = 1e3 * matmul_tol(len(net.layers), max(net.widths)) * scale
    step = max(1e-7 * R, 10 * tiny)
    best_r, best_w, best_k, best_p = np.inf, None, -1, x
    heap: list[tuple[float, int, np.ndarray]] = [(0.0, 0, x)]
    seen: set[bytes] = set()
    counter, visited = 1, 0
    while heap:
        dist, _, p = heapq.heappop(heap)
        if dist >= best_r:
            break
        key = pattern_keys(net, p[None])[0]
        if key in seen:
            continue
        seen.add(key)
        visited += 1
        if visited > max_regions:
            return ExactRadius("l2", best_r, best_w, "inconclusive", lower=dist,
                               reason=f"search budget of {max_regions} regions exhausted", regions=visited)
        poly, J, b = region_problem(net, p, box)
        val, w, k, msg = region_min_norm(poly, J, b, net, x, y, "l2")
        if np.isnan(val):
            return ExactRadius("l2", np.nan, None, "inconclusive", reason=msg, regions=visited)
        if val < best_r:
            best_r, best_w, best_k, best_p = val, w, k, p
        for i in range(poly.A.shape[0]):
            if poly.source[i, 0] < 0:
                continue  # the domain box
            cF, rF = _facet_centre(poly, i)
            if cF is None or rF <= tiny:
                continue
            probe = cF + step * poly.A[i]
            if pattern_keys(net, probe[None])[0] in seen:
                continue
            fd, _, fmsg = _qp_l2(poly, -poly.A[i], poly.b[i], x)  # distance to the facet: a_i x' >= b_i on P
            if np.isnan(fd):
                return ExactRadius("l2", np.nan, None, "inconclusive", reason=f"facet distance: {fmsg}", regions=visited)
            if fd < best_r:
                heapq.heappush(heap, (fd, counter, probe))
                counter += 1
    if best_w is None:
        return ExactRadius("l2", np.inf, None, "verified", lower=R, reason=f"no class change within the box of radius {R}",
                           regions=visited)
    # the QP witness sits on the class boundary: re-verify by pushing it outward by the flip margin
    margin = _margin(net, x)
    poly, J, b = region_problem(net, best_p, box)  # the region where the best was found
    val, w2, _, _ = region_min_norm(poly, J, b, net, x, y, "l2", margin=margin)
    if w2 is None or not verify_witness(net, x, y, w2):
        return ExactRadius("l2", best_r, best_w, "inconclusive", reason="witness failed the forward pass",
                           regions=visited)
    return _cap(ExactRadius("l2", float(np.linalg.norm(w2 - x)), w2, "verified", lower=best_r, target=best_k,
                            regions=visited, extra={"boundary_radius": best_r}), R)


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
