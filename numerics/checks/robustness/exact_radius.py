"""Registry checks of T2(a) on real networks, with exact radii (``normalign.numerics.engine.exact_robustness``).

- In-region QP radius vs T2(a)'s closed form ``rho(x)`` (engine): equal when the nearest local boundary
  point lies in x's region (engine's ``boundary_in_region``), else the QP radius is >= rho or inf.
- Exact global L-inf and L1 radii by MILP against brute force over every region of the domain box (the
  complete region walk, an LP per region), and the pruned L2 region search against the unpruned one
  (a QP per region): both verified strict-flip witnesses, radii equal to EXACT_RADIUS_TOL.
- Every exact radius is a certified bracket: walking back from each witness with forward passes (as an
  outside reviewer would) finds no strict class change closer than ``lower``, and ``radius`` is a
  verified strict flip; planted: the old ``lower`` (the margin MILP's optimum) is refuted.
- T2(a)'s bound ``rho <= ||x|| min_k (z_y - z_k)/|v_y - v_k|`` on trained networks (every training point),
  with equality on networks aligned by construction.
- Boundary: with the in-region hypothesis dropped, the *global* exact radius can exceed the bound.
Only verified answers count; an inconclusive solver answer makes the check inconclusive.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from normalign.numerics.checks.centroid.power_diagram import net_case
from normalign.numerics.engine.exact_robustness import (
    ExactRadius,
    _norm,
    brute_force_radius,
    flip_gap,
    in_region_l2,
    milp_radius,
    predicted_class,
    region_search_l2,
    t2a_first_order,
    verify_witness,
)
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import (
    EXACT_RADIUS_TOL,
    WITNESS_NORM_RTOL,
    matmul_tol,
)

from normalign.checks import Budget, CheckResult, Outcome, verdict


def _small_nets(budget: Budget, seed: int, d: int | None = None, max_width: int = 6):
    rng = np.random.default_rng(budget.seed + seed)
    for i in range(budget.n(4, 40)):
        dd = d if d is not None else int(rng.integers(2, 5))
        hidden = [int(w) for w in rng.integers(2, max_width + 1, size=int(rng.integers(1, 3)))]
        widths = [dd] + hidden + [int(rng.choice([1, 2, 3]))]
        acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=len(hidden), p=[0.75, 0.25])] + ["identity"]
        Ws = [rng.normal(size=(o, k)) / np.sqrt(k) * 1.5 for k, o in zip(widths, widths[1:])]
        bs = [rng.normal(size=o) * 0.5 for o in widths[1:]]
        yield CPANetwork.from_arrays(Ws, bs, acts, negative_slope=0.1), rng.normal(size=dd), rng


def _inconclusive(results: list[ExactRadius]) -> CheckResult | None:
    bad = [r for r in results if not r.verified]
    if bad:
        return CheckResult(Outcome.INCONCLUSIVE, np.nan, len(results), f"{len(bad)} solver answers not verified: "
                           f"{bad[0].reason}")
    return None


def _rel(a: float, b: float) -> float:
    if np.isinf(a) and np.isinf(b):
        return 0.0
    return abs(a - b) / max(1e-12, abs(b))


def check_t2_inregion_qp_vs_rho(budget: Budget) -> CheckResult:
    """QP radius inside the region vs the engine's rho and the closed form (t2a_first_order)."""
    res, cases, sols = [], [], []
    for net, x, rng in _small_nets(budget, 70):
        X = np.vstack([x, rng.normal(size=(2, net.input_dim))])
        geo = analyze(net, X, jacobian=False, layer_sites=False)
        ref = t2a_first_order(net, X)
        for i, xi in enumerate(X):
            qp = in_region_l2(net, xi)
            sols.append(qp)
            rho = float(geo.robustness_radius[i])
            # rho's condition number kappa (Gram-route ||J_y - J_k||^2 and the cancelling gap z_y - z_k)
            kappa = max(1.0, float(ref["kappa"][i])) if np.isfinite(ref["kappa"][i]) else 1.0
            r_closed = _rel(rho, float(ref["rho"][i])) / (kappa * matmul_tol(len(net.layers), max(net.widths)))
            if not np.isfinite(rho):
                r = 0.0 if not np.isfinite(qp.radius) else np.inf
            elif geo.boundary_in_region[i]:
                r = _rel(qp.radius, rho)
            else:
                r = max(0.0, (rho - qp.radius) / max(rho, 1e-12))  # the QP can only be larger (or inf)
            res.append(max(r / EXACT_RADIUS_TOL, r_closed))
            cases.append({**net_case(net), "x": xi, "rho": rho, "qp": qp.radius, "inside": bool(geo.boundary_in_region[i])})
    inc = _inconclusive(sols)
    if inc:
        return inc
    return verdict(res, 1.0, detail="|QP - rho|/rho where the boundary point is in the region, (rho - QP)_+ else, / EXACT_RADIUS_TOL; "
                   "engine rho vs closed form / matmul_tol", counterexample=lambda i: cases[i])


def _milp_vs_enum(budget: Budget, norm: str, seed: int) -> CheckResult:
    res, sols, cases, regions = [], [], [], 0
    for net, x, _ in _small_nets(budget, seed, d=2):
        R = 1.5
        m = milp_radius(net, x, norm, R=R)  # type: ignore[arg-type]
        b = brute_force_radius(net, x, norm, R=R)  # type: ignore[arg-type]
        sols += [m, b]
        regions += b.regions
        # HiGHS's dual bound (MILP lower) is solver-reported: it must not exceed the enumeration's witness
        # beyond rounding (WITNESS_NORM_RTOL), expressed in units of EXACT_RADIUS_TOL like the radius term
        over = (max(0.0, m.lower - b.radius) / (b.radius * WITNESS_NORM_RTOL) if np.isfinite(b.radius) else 0.0)
        res.append(max(_rel(m.radius, b.radius) / EXACT_RADIUS_TOL, over))
        cases.append({**net_case(net), "x": x, "milp": m.radius, "milp_lower": m.lower, "enumeration": b.radius})
    inc = _inconclusive(sols)
    if inc:
        return inc
    return verdict(res, 1.0, detail=f"max(|MILP - enumeration| / EXACT_RADIUS_TOL, (MILP lower - enumeration)_+ / "
                   f"WITNESS_NORM_RTOL) / radius ({norm}, {regions} regions enumerated)", counterexample=lambda i: cases[i])


def check_exact_linf_milp_vs_enumeration(budget: Budget) -> CheckResult:
    """Exact global L-inf radius: MILP (HiGHS, big-M from interval bounds) == brute-force region LPs (2-d)."""
    return _milp_vs_enum(budget, "linf", 71)


def check_exact_l1_milp_vs_enumeration(budget: Budget) -> CheckResult:
    """Exact global L1 radius: MILP == brute-force region LPs (2-d)."""
    return _milp_vs_enum(budget, "l1", 72)


def check_l2_search_vs_enumeration(budget: Budget) -> CheckResult:
    """Exact global L2 radius: the region search (regions certified farther than the best tie pruned) ==
    the closest tie over every region of the box (2-d). Tests the pruning; the walk itself is checked
    against brute force over all patterns (``checks.centroid.regions``)."""
    res, sols, cases = [], [], []
    for net, x, _ in _small_nets(budget, 73, d=2, max_width=4):
        s = region_search_l2(net, x, R=1.5)
        b = brute_force_radius(net, x, "l2", R=1.5)
        sols += [s, b]
        res.append(_rel(s.radius, b.radius) / EXACT_RADIUS_TOL)
        cases.append({**net_case(net), "x": x, "search": s.radius, "enumeration": b.radius})
    inc = _inconclusive(sols)
    if inc:
        return inc
    return verdict(res, 1.0, detail="|search - enumeration| / radius / EXACT_RADIUS_TOL", counterexample=lambda i: cases[i])


def _trained_nets(budget: Budget):
    from normalign.numerics.maths.training import blobs, train_mlp

    for seed in range(budget.n(2, 8)):
        X, y = blobs(30, 3, seed=seed)
        yield train_mlp(X, y, (12, 12), steps=budget.n(300, 1000), seed=seed), X, y
    for seed in range(budget.n(1, 4)):
        X, y = blobs(20, 2, seed=100 + seed)
        yield train_mlp(X, np.where(y == 0, -1.0, 1.0), (10,), loss="mse", steps=budget.n(300, 1000), seed=seed), X, y


def check_t2a_bound_trained(budget: Budget) -> CheckResult:
    """T2(a)'s bound on trained networks (3-class cross-entropy and scalar MSE, with biases): at every
    training point rho(x) <= ||x|| min_k (z_y - z_k)/|v_y - v_k|. Residual (rho - bound)_+ / bound.
    The detail reports how tight the bound is and, for a few points, exact global L2 radius / rho."""
    res, ratios, exact, inreg = [], [], [], []
    for net, X, _ in _trained_nets(budget):
        ref = t2a_first_order(net, X)
        # jacobian=True: the engine's Gram-free route. (Its jacobian=False route forms ||J||^2 as
        # A (W1 W1^T) A^T, which cancels when J is tiny against ||A|| ||W1||: on the trained scalar nets
        # it returns a negative ||J||^2 = -1.7e-16 (true 6.6e-17) and rho = inf where rho = 1.2e8.)
        geo = analyze(net, X, jacobian=True, layer_sites=False)
        tol = matmul_tol(len(net.layers), max(net.widths))
        fin = np.isfinite(ref["bound"])
        res.extend(list(np.maximum(0.0, ref["rho"][fin] - ref["bound"][fin]) / ref["bound"][fin] / tol))
        kap = np.where(np.isfinite(ref["kappa"]), np.maximum(1.0, ref["kappa"]), 1.0)
        both = np.isfinite(geo.robustness_radius) & np.isfinite(ref["rho"])
        same_inf = np.isinf(geo.robustness_radius) & np.isinf(ref["rho"])  # J_y = J_k: no boundary either way
        with np.errstate(invalid="ignore", divide="ignore"):
            eng = np.abs(geo.robustness_radius - ref["rho"]) / ref["rho"] / (kap * tol)
        res.extend(list(np.where(both, eng, np.where(same_inf, 0.0, np.inf))))  # engine == closed form
        ratios.extend(list(ref["rho"][fin] / ref["bound"][fin]))
        for i in range(budget.n(0, 5)):  # global search: full budget only (tens of seconds per point)
            e = region_search_l2(net, X[i], R=2.0, max_regions=300)
            if e.verified and np.isfinite(e.radius):
                exact.append(e.radius / ref["rho"][i])
        for i in range(budget.n(3, 10)):
            q = in_region_l2(net, X[i])
            if q.verified:
                inreg.append(q.radius / ref["rho"][i])
    detail = (f"rho / bound: median {np.median(ratios):.3f}, max {np.max(ratios):.3f} over {len(ratios)} training points; "
              f"exact global L2 radius / rho on {len(exact)} points: "
              + (f"min {np.min(exact):.3f}, median {np.median(exact):.3f}, max {np.max(exact):.3f}" if exact else "none (full only)")
              + f"; in-region QP radius / rho on {len(inreg)} points: inf (no class change in the region) on "
              f"{int(np.sum(np.isinf(inreg)))}, equal to rho on {int(np.sum(np.isclose(inreg, 1.0, rtol=EXACT_RADIUS_TOL)))}")
    return verdict(res, 1.0, detail=detail)


def check_t2a_equality_aligned(budget: Budget) -> CheckResult:
    """On networks normal-aligned by construction (bump networks, every row difference parallel to x)
    T2(a)'s bound is attained: rho = bound."""
    from normalign.numerics.checks.centroid.centroid import _bump_cases

    res = []
    for net, X in _bump_cases(budget, 74):
        ref = t2a_first_order(net, X)
        fin = np.isfinite(ref["bound"])
        res.extend(list(np.abs(ref["rho"][fin] - ref["bound"][fin]) / ref["bound"][fin]
                        / matmul_tol(len(net.layers), max(net.widths))))
    return verdict(res, 1.0, detail="|rho - bound| / bound / matmul_tol on aligned networks")


def step_network() -> tuple[CPANetwork, np.ndarray]:
    """f(t) = relu(t - 1/2) + 1/2 at x = 1 (c = 1): z = 1, J = 1, rho = bound = 1, but f >= 1/2 everywhere,
    so no perturbation changes the class: the exact global radius is infinite."""
    net = CPANetwork.from_arrays([np.array([[1.0]]), np.array([[1.0]])], [np.array([-0.5]), np.array([0.5])])
    return net, np.array([1.0])


def boundary_t2a_global_radius(budget: Budget) -> CheckResult:
    """Boundary (in_region dropped): 'the exact global L2 radius obeys T2(a)'s bound'. Refuted by the
    1-d step network (MILP proves no class change within R = 10 > bound = 1) and searched on random 2-d
    networks (region search). Residual (exact lower bound - bound) / bound; refuted when > tol."""
    res: list[float] = []
    cases: list[dict[str, Any]] = []
    net, x = step_network()
    m = milp_radius(net, x, "linf", R=10.0)  # in 1-d every norm is |.|
    b = float(t2a_first_order(net, x[None])["bound"][0])
    if m.verified:
        res.append((m.lower - b) / b)
        cases.append({**net_case(net), "x": x, "exact_lower": m.lower, "bound": b})
    for net, x, _ in _small_nets(budget, 75, d=2, max_width=4):
        ref = t2a_first_order(net, x[None])
        b = float(ref["bound"][0])
        if not np.isfinite(b):
            continue
        e = region_search_l2(net, x, R=2.0, max_regions=200)
        if e.verified:
            lower = e.radius if np.isfinite(e.radius) else e.lower
            res.append((lower - b) / b)
            cases.append({**net_case(net), "x": x, "exact_lower": lower, "bound": b})
    return verdict(res, EXACT_RADIUS_TOL, detail="(exact global radius - T2(a) bound) / bound",
                   counterexample=lambda i: cases[i])


# ----------------------------------------------------------------------------- certified lower bounds
_NORMS = {"l2": lambda v: float(np.linalg.norm(v)), "linf": lambda v: float(np.abs(v).max()),
          "l1": lambda v: float(np.abs(v).sum())}


def first_strict_flip(net: CPANetwork, x: np.ndarray, y: int, v: np.ndarray, t_max: float) -> float | None:
    """Smallest ``t`` in ``(0, t_max]`` with a strict class change at ``x + t v`` (a grid of 2000 steps,
    then 80 bisections of the first crossing; the value returned is a verified strict flip)."""
    ts = np.linspace(0.0, t_max, 2001)[1:]
    hit = np.flatnonzero(flip_gap(net, x[None] + ts[:, None] * v[None], y) > 0)
    for h in hit:
        if flip_gap(net, (x + ts[h] * v)[None], y)[0] > 0:  # the same point in a single forward pass
            break
    else:
        return None
    lo, hi = (ts[h - 1] if h > 0 else 0.0), ts[h]
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if flip_gap(net, (x + mid * v)[None], y)[0] > 0:
            hi = mid
        else:
            lo = mid
    return float(hi)


def closest_strict_flip(net: CPANetwork, x: np.ndarray, w: np.ndarray, norm: str, rng: np.random.Generator,
                        n_dirs: int = 40) -> float:
    """The closest strict flip found by walking back from the witness ``w`` as an outside reviewer would:
    along the segment from ``x`` through ``w``, ``n_dirs`` rays near it and ``n_dirs`` random rays, each
    scaled so that ``t = 1`` is at the witness's distance, searched to ``t = 1.5``."""
    y = int(predicted_class(net, x[None])[0])
    nrm = _NORMS[norm]
    u = w - x
    dirs = [u] + [u + 0.3 * np.linalg.norm(u) * rng.normal(size=x.size) for _ in range(n_dirs)] \
        + [rng.normal(size=x.size) for _ in range(n_dirs)]
    best = np.inf
    for v in dirs:
        v = v * (nrm(u) / nrm(v))
        t = first_strict_flip(net, x, y, v, 1.5)
        if t is not None:
            best = min(best, t * nrm(v))
    return best


def lower_bound_residual(net: CPANetwork, x: np.ndarray, r: ExactRadius, rng: np.random.Generator,
                         n_dirs: int = 40) -> float:
    """``(lower - closest strict flip found) / lower`` (positive: `lower` is not a lower bound); ``inf``
    when the witness is not a strict flip at distance ``radius``; 0 when there is no witness."""
    if r.witness is None:
        return 0.0
    y = int(predicted_class(net, x[None])[0])
    upper = r.radius if np.isfinite(r.radius) else r.extra.get("upper", np.nan)
    if not verify_witness(net, x, y, r.witness) or not np.isclose(_NORMS[r.norm](r.witness - x), upper, rtol=WITNESS_NORM_RTOL,
                                                                   atol=0.0):
        return np.inf
    closest = closest_strict_flip(net, x, r.witness, r.norm, rng, n_dirs)
    return max(0.0, (r.lower - closest) / r.lower) if r.lower > 0 else 0.0


def near_tie_network() -> CPANetwork:
    """c = 1, d = 1: f(t) = 1e-8 - |t - 1| + 4 relu(t - 3/2). At x = 0 the class is 0 (f = -1 + 1e-8); f
    rises to +1e-8 at t = 1 (strict flips on (1 - 1e-8, 1 + 1e-8)), falls, and crosses 0 again at t = 5/3.
    The exact strict radius is 1 - 1e-8; a solver asking for a margin z >= 1e-6 jumps to 5/3."""
    W0 = np.array([[1.0], [-1.0], [1.0]])
    b0 = np.array([-1.0, 1.0, -1.5])
    return CPANetwork.from_arrays([W0, np.array([[-1.0, -1.0, 4.0]])], [b0, np.array([1e-8])])


def check_lower_bound_certified(budget: Budget) -> CheckResult:
    """`ExactRadius.lower` is certified and `radius` attained: on random small 2-d networks (L-inf and L1
    MILP, L2 region search; at full budget also brute force in all three norms) and on the near-tie
    network, walking back from each witness finds no strict flip closer than `lower`, and the witness is
    a strict flip at distance `radius`. Residual (lower - closest) / lower; tolerance 0 (a bound)."""
    res, cases, sols = [], [], []
    nets = list(_small_nets(budget, 76, d=2, max_width=5))
    nets = nets[: budget.n(5, 60)]
    for net, x, rng in nets:
        rs = [milp_radius(net, x, "linf", R=1.5), milp_radius(net, x, "l1", R=1.5), region_search_l2(net, x, R=1.5)]
        if budget.full:
            rs += [brute_force_radius(net, x, n, R=1.5) for n in ("linf", "l1", "l2")]  # type: ignore[arg-type]
        for r in rs:
            sols.append(r)
            res.append(lower_bound_residual(net, x, r, rng, n_dirs=budget.n(15, 40)))
            cases.append({**net_case(net), "x": x, "norm": r.norm, "lower": r.lower, "radius": r.radius})
    net, x = near_tie_network(), np.zeros(1)
    rng = np.random.default_rng(budget.seed + 77)
    for r in (milp_radius(net, x, "linf", R=3.0), milp_radius(net, x, "l1", R=3.0), region_search_l2(net, x, R=3.0)):
        sols.append(r)
        res.append(lower_bound_residual(net, x, r, rng))
        cases.append({**net_case(net), "x": x, "norm": r.norm, "lower": r.lower, "radius": r.radius})
    inc = _inconclusive(sols)
    if inc:
        return inc
    return verdict(res, 0.0, detail=f"(lower - closest strict flip found walking back from the witness) / lower over "
                   f"{len(res)} radii; witness a strict flip at distance radius", counterexample=lambda i: cases[i])


def planted_margin_lower_bound(budget: Budget) -> CheckResult:
    """Planted: 'the optimum of the margin MILP (z_k - z_y >= MILP_FLIP_MARGIN (1 + |f|)) is a lower bound
    of the strict radius' (the old `lower`). The near-tie network refutes it (strict flip at 1 - 1e-8, the
    margin optimum at 5/3), and so do random networks (by ~1e-6 relative)."""
    from normalign.numerics.engine.exact_robustness import _margin, _milp_one

    res, cases = [], []
    items = [(near_tie_network(), np.zeros(1), np.random.default_rng(budget.seed + 78), 3.0)]
    items += [(n, x, rng, 1.5) for n, x, rng in list(_small_nets(budget, 79, d=2, max_width=4))[: budget.n(2, 10)]]
    for net, x, rng, R in items:
        y = int(predicted_class(net, x[None])[0])
        for norm in ("linf", "l1"):
            for k in ([0] if net.output_dim == 1 else [k for k in range(net.output_dim) if k != y]):
                status, obj, _, w, _ = _milp_one(net, x, y, k, norm, R, _margin(net, x), 30.0)
                if status != 0 or not verify_witness(net, x, y, w):
                    continue
                planted = ExactRadius(norm, _norm(w - x, norm), w, "verified", lower=obj)
                res.append(lower_bound_residual(net, x, planted, rng, n_dirs=budget.n(10, 40)))
                cases.append({**net_case(net), "x": x, "norm": norm, "planted_lower": obj})
    return verdict(res, 0.0, detail="(margin optimum - closest strict flip) / margin optimum",
                   counterexample=lambda i: cases[i])
