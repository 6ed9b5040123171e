"""Where L1 / T1 stop holding: each boundary drops one hypothesis and returns a verified counterexample.

Every boundary check is registered with ``expect="fails"``: it passes when REFUTED. Its counterexample
is a solver witness re-verified in numpy (status optimal, constraints and loss recomputed), saved by
``normalign verify --corpus tests/corpus`` under ``tests/corpus/<ID>/<kind>.json`` and replayable with :func:`replay_case`
(numpy only, no solver).

- dense regime (D5, drops ``distinct_regions``): k points share one (J, b); the optimum is unique (the
  constraint binds for cross-entropy) and for k >= 2 it is aligned at no training point: every W
  aligned at point i (W = u x~_i^T) is strictly worse. ``detail`` holds the table of per-point
  alignment and optimal rank against k.
- spectral norm (T1, drops ``frobenius``): an optimum with W x~ = z* and ||W||_2 <= r that is not rank one.
- entrywise l1 norm (T1, drops ``frobenius``): the optimum is sparse and not aligned, and every aligned
  W is strictly worse (so even T1(a) fails).
- slack constraint of T1(d) (squared error, R > 1; drops ``binding``): a minimiser with loss 0 and
  misalignment sqrt(alpha - 1/X) (the exact maximum).
- translating the data (T1, drops ``origin``): the optimum for data x + t, written in the original
  coordinates (J, b + J t), is not aligned at x.
"""

from __future__ import annotations

import math
from typing import Any

import cvxpy as cp
import numpy as np
from normalign.numerics.checks.optimality.convex import agree, feasible, inconclusive
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.maths.convex_problems import (
    MapProblem,
    MisalignProblem,
    SharedMapProblem,
    SolverInconclusive,
    norm_value,
    orth_direction,
)
from normalign.numerics.tolerances import (
    MISALIGN_POSITIVE,
    RANK_REL_TOL,
    SOLVER_FEAS_TOL,
    SOLVER_OBJ_TOL,
)

from normalign.checks import Budget, CheckResult, Outcome

MODULE = "normalign.numerics.checks.optimality.boundaries"


def _effective_rank(W: np.ndarray) -> float:
    s = np.linalg.svd(W, compute_uv=False)
    return float(s.sum() ** 2 / np.sum(s * s))


def _refuted(theorem_id: str, name: str, fn: str, case: dict[str, Any], residual: float,
             detail: str) -> CheckResult:
    """A refutation carrying its case; ``case["kind"]`` names the corpus file that
    ``normalign verify --corpus tests/corpus`` writes (checks themselves never write to disk)."""
    return CheckResult(Outcome.REFUTED, residual, 1, detail, [dict(case, kind=name)])


def _polish(W: np.ndarray, a: np.ndarray, z: np.ndarray) -> np.ndarray:
    """W + (z - W a) a^T / ||a||^2: the nearest map with W a = z exactly (numpy)."""
    return W + np.outer(z - W @ a, a) / float(a @ a)


# ------------------------------------------------------------------------------------ dense (D5)

def best_aligned_shared(A: np.ndarray, labels: np.ndarray, i: int, r: float, c: int) -> float:
    """min sum_j CE(u <x~_i, x~_j>, y_j) over ||u|| <= r / ||x~_i||: the best shared W aligned at point i
    (W = u x~_i^T has ||W||_F = ||u|| ||x~_i||). Posed as the shared problem of the 1 x k data row
    s_j = <x~_i, x~_j> with a c x 1 map u (so it gets the suite's solver policy: retried settings, only
    'optimal' counts); the witness is scaled into the ball and its loss recomputed in numpy, which must
    agree with the solver's value."""
    s = A.T @ A[:, i]
    radius = r / float(np.linalg.norm(A[:, i]))
    val, out = SharedMapProblem("ce", c, 1, A.shape[1]).solve(s[None, :], labels, radius)
    uv = feasible(out["W"], radius, "fro")[:, 0]
    loss = float(sum(mn.loss_value("ce", s[j] * uv, int(labels[j])) for j in range(A.shape[1])))
    return agree(val, loss, 1 + r * float(np.linalg.norm(A, axis=0).sum()), f"aligned at point {i}")


def dense_measure(A: np.ndarray, labels: np.ndarray, r: float, c: int) -> dict[str, Any]:
    """Solve the shared problem (CE, Frobenius <= r) and measure it in numpy."""
    k = A.shape[1]
    val, out = SharedMapProblem("ce", c, A.shape[0], k).solve(A, labels, r)
    W = feasible(out["W"], r, "fro")
    loss_np = float(sum(mn.loss_value("ce", W @ A[:, j], int(labels[j])) for j in range(k)))
    ratios = [mn.frobenius_ratio(W, A[:, j]) for j in range(k)]
    aligned = [best_aligned_shared(A, labels, i, r, c) for i in range(k)]
    s = np.linalg.svd(W, compute_uv=False)
    return dict(A=A, labels=labels, r=r, c=c, W=W, solver_value=val, loss=loss_np, ratios=ratios,
                min_ratio=min(ratios), rank=int(np.sum(s > RANK_REL_TOL * s[0])), eff_rank=_effective_rank(W),
                best_aligned=aligned, gap=min(aligned) - loss_np)


def boundary_dense_regime(budget: Budget) -> CheckResult:
    """D5 boundary: k points sharing one (J, b) (c = 5, d = 6, cross-entropy, ||W||_F <= 1). Claim
    refuted: 'the optimum is normal-aligned at every training point, as in the sparse regime'. Witness:
    the k = 2 optimum, aligned at neither point, with every point-aligned W strictly worse.

    The table also tests a prediction: rank(W) = min(k, c - 1), because a minimiser has 1^T W = 0 (a
    constant logit shift costs norm and changes no cross-entropy) and rows in span{x~_i} (a component
    orthogonal to every x~_i costs norm and changes no logit)."""
    rng = np.random.default_rng(budget.seed + 81)
    c, d, r = 5, 6, 1.0
    ks = range(1, budget.n(6, 12) + 1)
    rows, witness = [], None
    try:
        for k in ks:
            xs = rng.standard_normal((k, d))
            labels = np.arange(k) % c
            A = np.column_stack([mn.augment(x) for x in xs])
            m = dense_measure(A, labels, r, c)
            rows.append(m)
            if k == 2:
                witness = m
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "D5 dense regime")
    table = "k | min_i ||W x~_i||/(||W||_F ||x~_i||) | mean ratio | rank(W) | eff. rank | best point-aligned loss - opt\n"
    table += "\n".join(f"{m['A'].shape[1]} | {m['min_ratio']:.4f} | {np.mean(m['ratios']):.4f} | {m['rank']} | "
                       f"{m['eff_rank']:.3f} | {m['gap']:.3e}" for m in rows)
    assert witness is not None
    scale = 1 + r * float(np.linalg.norm(witness["A"], axis=0).sum())
    rank_ok = all(m["rank"] == min(m["A"].shape[1], c - 1) for m in rows)
    certified = rank_ok and (witness["gap"] > SOLVER_OBJ_TOL * scale and 1 - witness["min_ratio"] > MISALIGN_POSITIVE
                 and abs(witness["loss"] - witness["solver_value"]) <= SOLVER_OBJ_TOL * scale)
    detail = (f"dense regime, c = {c}, d = {d}, ||W||_F <= {r}, labels i mod c; table (ratio 1 = aligned):\n{table}\n"
              f"k = 1 is the sparse case (aligned, rank 1); from k = 2 on no optimum is aligned at any point; "
              f"rank(W) = min(k, c - 1) in every row: {rank_ok}")
    if not certified:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, len(rows), detail + "; k = 2 witness not certified")
    case = {key: witness[key] for key in ("A", "labels", "r", "c", "W", "loss", "best_aligned", "gap", "ratios")}
    return _refuted("D5", "dense_k2", "boundary_dense_regime", case, witness["gap"], detail)


# ------------------------------------------------------------------------------- norms (T1)

def _t1_instance(rng: np.random.Generator, c: int = 3, d: int = 3) -> tuple[np.ndarray, int, float]:
    return rng.standard_normal(d), 0, 1.0


def boundary_spectral(budget: Budget) -> CheckResult:
    """T1 with the spectral norm: the reachable logits are still the ball ||z|| <= r ||x~||, so the
    optimum value is T1(c)'s; maximising misalignment over {||W||_2 <= r, W x~ = z*} gives a W that is
    optimal and not rank one. Refutes 'T1(b) under the spectral norm'."""
    rng = np.random.default_rng(budget.seed + 82)
    x, y, r = _t1_instance(rng)
    c = 3
    a = mn.augment(x)
    R = r * float(np.linalg.norm(a))
    zs = mn.optimal_logits("ce", c, y, R)
    opt = mn.optimal_loss("ce", c, R)
    try:
        _, W = MisalignProblem("ce", c, a.size, "spec", fixed=True).solve(
            a, orth_direction(rng, c, a), r * (1 + SOLVER_FEAS_TOL), z_fixed=zs)
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "spectral boundary")
    W = _polish(W, a, zs)
    case = dict(x=x, y=y, c=c, r=r, W=W, z_star=zs, opt=opt)
    return _check_and_save("T1", "spectral_not_rank_one", "boundary_spectral", case,
                           "spectral norm: an optimal W (W x~ = z*, ||W||_2 <= r) that is not rank one")


def boundary_l1(budget: Budget) -> CheckResult:
    """T1 with the entrywise l1 norm: the solver optimum is sparse and not aligned, and the best aligned
    W = u x~^T (||W||_1 = ||u||_1 ||x~||_1) is strictly worse. Refutes T1(a)/(b) under l1."""
    rng = np.random.default_rng(budget.seed + 83)
    x, y, r = _t1_instance(rng)
    c = 3
    a = mn.augment(x)
    try:
        val, W = MapProblem("ce", c, a.size, "l1").solve(a, y, r)
        u = cp.Variable(c)
        pr = cp.Problem(cp.Minimize(cp.log_sum_exp(u * float(a @ a)) - u[y] * float(a @ a)),
                        [cp.norm1(u) * float(np.abs(a).sum()) <= r])
        pr.solve(solver="CLARABEL")
        if pr.status != cp.OPTIMAL:
            raise SolverInconclusive(f"aligned l1 problem status {pr.status}")
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "l1 boundary")
    W = feasible(W, r, "l1")
    uv = np.asarray(u.value)
    uv = uv * min(1.0, r / (float(np.abs(uv).sum()) * float(np.abs(a).sum())))
    try:  # 'every aligned W is worse' needs the aligned optimum itself: its value must be its witness's
        aligned = agree(float(pr.value), mn.loss_value("ce", uv * float(a @ a), y), 1 + r, "aligned l1 problem")
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "l1 boundary")
    case = dict(x=x, y=y, c=c, r=r, W=W, solver_value=val, best_aligned=aligned)
    return _check_and_save("T1", "l1_not_aligned", "boundary_l1", case,
                           "entrywise l1 norm: the optimum is not aligned and every aligned W is strictly worse")


def boundary_slack_t1d(budget: Budget) -> CheckResult:
    """T1(d) with R > 1 (slack): maximising misalignment over the optimal set {||W||_F^2 <= alpha,
    W x~ = e_y} gives a loss-0 minimiser with misalignment sqrt(alpha - 1/X) > 0 (the exact maximum)."""
    rng = np.random.default_rng(budget.seed + 84)
    c, d, y, R = 3, 3, 1, 2.0
    x = rng.standard_normal(d)
    a = mn.augment(x)
    X = float(a @ a)
    alpha = R * R / X
    e = np.zeros(c)
    e[y] = 1.0
    try:
        val, W = MisalignProblem("sq", c, a.size, "fro", fixed=True).solve(
            a, orth_direction(rng, c, a), math.sqrt(alpha), z_fixed=e)
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "slack T1(d)")
    W = _polish(W, a, e)
    case = dict(x=x, y=y, c=c, alpha=alpha, r=math.sqrt(alpha), W=W, solver_max=val,
                predicted=math.sqrt(alpha - 1 / X))
    return _check_and_save("T1", "t1d_slack_not_aligned", "boundary_slack_t1d", case,
                           "T1(d) with R = 2 > 1: a loss-0 minimiser far from alignment")


def boundary_translation(budget: Budget) -> CheckResult:
    """Translating the data: the T1 optimum for x + t (solver, Frobenius), written in the original
    coordinates g(x') = f(x' + t) (J_g = J, b_g = b + J t), is not aligned at x, while the optimum
    for x is. The shift t is orthogonal to x with ||t|| = ||x||, so J_g is aligned with x + t and
    NA(J_g, x) = |cos(x + t, x)| = 1/sqrt(2). Refutes 'normal alignment of the T1 optimum does not depend on the origin'."""
    rng = np.random.default_rng(budget.seed + 85)
    c, d, y, alpha = 3, 3, 0, 1.0
    x = rng.standard_normal(d)
    t = rng.standard_normal(d)
    t -= (t @ x) / float(x @ x) * x
    t *= float(np.linalg.norm(x)) / float(np.linalg.norm(t))  # t orthogonal to x, ||t|| = ||x||
    at = mn.augment(x + t)
    try:
        _, Wt = MapProblem("ce", c, d + 1, "fro").solve(at, y, math.sqrt(alpha))
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "translation boundary")
    Wt = feasible(Wt, math.sqrt(alpha), "fro")
    J, b = Wt[:, :d], Wt[:, d]
    case = dict(x=x, t=t, y=y, c=c, alpha=alpha, J=J, b_pulled=b + J @ t)
    return _check_and_save("T1", "translation_not_aligned", "boundary_translation", case,
                           "translated data: the pulled-back optimum is not aligned at x")


# ------------------------------------------------------------------------------ verify / replay

def verify_case(case: dict[str, Any]) -> tuple[bool, float, str]:
    """Re-verify a saved counterexample in numpy. Returns (still a counterexample, margin, what)."""
    kind = case["kind"]
    if kind == "dense_k2":
        A, labels, r, W = (np.asarray(case["A"]), np.asarray(case["labels"]), float(case["r"]),
                           np.asarray(case["W"]))
        loss = float(sum(mn.loss_value("ce", W @ A[:, j], int(labels[j])) for j in range(A.shape[1])))
        scale = 1 + r * float(np.linalg.norm(A, axis=0).sum())
        feas = norm_value(W, "fro") <= r * (1 + SOLVER_FEAS_TOL)
        gap = min(case["best_aligned"]) - loss
        mis = min(1 - mn.frobenius_ratio(W, A[:, j]) for j in range(A.shape[1]))
        ok = feas and gap > SOLVER_OBJ_TOL * scale and mis > MISALIGN_POSITIVE
        return ok, gap, f"shared W: loss {loss:.6f}, best point-aligned loss {min(case['best_aligned']):.6f}, " \
                        f"min over points of 1 - ratio {mis:.3f}"
    if kind == "spectral_not_rank_one":
        x, W, r = np.asarray(case["x"]), np.asarray(case["W"]), float(case["r"])
        a = mn.augment(x)
        s = np.linalg.svd(W, compute_uv=False)
        loss = mn.loss_value("ce", W @ a, int(case["y"]))
        R = r * float(np.linalg.norm(a))
        opt = mn.optimal_loss("ce", int(case["c"]), R)
        ok = (s[0] <= r * (1 + 10 * SOLVER_FEAS_TOL) and abs(loss - opt) <= SOLVER_OBJ_TOL * (1 + R)
              and s[1] / s[0] > RANK_REL_TOL and mn.misalignment(W, a) / r > MISALIGN_POSITIVE)
        return ok, float(s[1] / s[0]), f"||W||_2 = {s[0]:.8f} (r = {r}), loss {loss:.8f} = opt {opt:.8f}, " \
                                       f"singular values {np.round(s, 6).tolist()}"
    if kind == "l1_not_aligned":
        x, W, r = np.asarray(case["x"]), np.asarray(case["W"]), float(case["r"])
        a = mn.augment(x)
        loss = mn.loss_value("ce", W @ a, int(case["y"]))
        gap = float(case["best_aligned"]) - loss
        mis = mn.misalignment(W, a) / float(np.linalg.norm(W))
        ok = (norm_value(W, "l1") <= r * (1 + SOLVER_FEAS_TOL) and gap > SOLVER_OBJ_TOL * (1 + r * np.abs(a).max())
              and mis > MISALIGN_POSITIVE and abs(loss - float(case["solver_value"])) <= SOLVER_OBJ_TOL * (1 + r))
        return ok, gap, f"l1 optimum loss {loss:.6f} < best aligned {float(case['best_aligned']):.6f}; " \
                        f"misalignment / ||W||_F = {mis:.3f}; nonzeros {int(np.sum(np.abs(W) > 1e-6))} of {W.size}"
    if kind == "t1d_slack_not_aligned":
        x, W, alpha = np.asarray(case["x"]), np.asarray(case["W"]), float(case["alpha"])
        a = mn.augment(x)
        loss = mn.loss_value("sq", W @ a, int(case["y"]))
        mis = mn.misalignment(W, a)
        pred = math.sqrt(alpha - 1 / float(a @ a))
        ok = (float(np.sum(W * W)) <= alpha * (1 + SOLVER_FEAS_TOL) and loss <= SOLVER_FEAS_TOL
              and mis / math.sqrt(alpha) > MISALIGN_POSITIVE
              and abs(mis * mis - pred * pred) <= SOLVER_OBJ_TOL * alpha)
        return ok, mis, f"loss {loss:.2e}, ||W||_F^2 = {np.sum(W * W):.8f} <= alpha = {alpha:.8f}, " \
                        f"misalignment {mis:.6f} (max possible {pred:.6f})"
    if kind == "translation_not_aligned":
        x, J = np.asarray(case["x"]), np.asarray(case["J"])
        t, alpha = np.asarray(case["t"]), float(case["alpha"])
        # the witness must be the optimum for the translated data x + t: W_t = [J | b_pulled - J t] is
        # feasible and reaches T1(c)'s closed-form optimum there (numpy)
        at = mn.augment(x + t)
        Wt = np.column_stack([J, np.asarray(case["b_pulled"]) - J @ t])
        Rt = math.sqrt(alpha * float(at @ at))
        loss = mn.loss_value("ce", Wt @ at, int(case["y"]))
        opt = mn.optimal_loss("ce", int(case["c"]), Rt)
        na = mn.na_score(J, x)
        ok = (float(np.sum(Wt * Wt)) <= alpha * (1 + SOLVER_FEAS_TOL) and abs(loss - opt) <= SOLVER_OBJ_TOL * (1 + Rt)
              and 1 - na > MISALIGN_POSITIVE)
        return ok, 1 - na, f"NA(J_g, x) = {na:.4f} (1 = aligned; the optimum for x has NA = 1); the witness is " \
                           f"optimal for x + t: loss {loss:.8f} = opt {opt:.8f}"
    raise ValueError(f"unknown boundary case kind {kind!r}")


def _check_and_save(theorem_id: str, name: str, fn: str, case: dict[str, Any], what: str) -> CheckResult:
    case = dict(case, kind=name)
    ok, margin, text = verify_case(case)
    if not ok:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 1, f"{what}: witness not certified in numpy ({text})")
    return _refuted(theorem_id, name, fn, case, margin, f"{what}: {text}")


def replay_case(case: dict[str, Any]) -> CheckResult:
    """Replay a saved case (numpy only): REFUTED while it is still a counterexample."""
    ok, margin, text = verify_case(case)
    return CheckResult(Outcome.REFUTED if ok else Outcome.VERIFIED, margin, 1, text, [case] if ok else [])


def boundary_checks() -> dict[str, Any]:
    """The boundary checks of this module by name (for tests and the benchmark)."""
    return {f.__name__: f for f in (boundary_dense_regime, boundary_spectral, boundary_l1,
                                    boundary_slack_t1d, boundary_translation)}


__all__ = ["boundary_dense_regime", "boundary_spectral", "boundary_l1", "boundary_slack_t1d",
           "boundary_translation", "replay_case", "verify_case"]


def planted_dense_rank(budget: Budget) -> CheckResult:
    """Planted false (D5): 'k points sharing one W have an optimum of rank min(k, c)' (the true rank is
    min(k, c - 1): cross-entropy optima satisfy 1^T W = 0). k = c = 5, d = 6: the unique optimum (CE,
    binding) has s_5 / s_1 below RANK_REL_TOL and 1^T W = 0 to solver accuracy. Expected: refuted."""
    rng = np.random.default_rng(budget.seed + 86)
    c, d, r = 5, 6, 1.0
    xs = rng.standard_normal((c, d))
    A = np.column_stack([mn.augment(x) for x in xs])
    try:
        m = dense_measure(A, np.arange(c), r, c)
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "planted dense rank")
    s = np.linalg.svd(m["W"], compute_uv=False)
    col = float(np.linalg.norm(np.ones(c) @ m["W"])) / float(np.linalg.norm(m["W"]))
    k = c
    claimed = min(k, c)
    detail = (f"planted: rank = min(k, c) = {claimed}; found rank {m['rank']} (s = {np.round(s, 8).tolist()}), "
              f"||1^T W|| / ||W||_F = {col:.1e}")
    if m["rank"] < claimed and s[-1] / s[0] < RANK_REL_TOL:
        return CheckResult(Outcome.REFUTED, float(claimed - m["rank"]), 1, detail,
                           [dict(A=A, labels=np.arange(c), W=m["W"], singular_values=s, rank=m["rank"])])
    return CheckResult(Outcome.VERIFIED, 0.0, 1, detail)
