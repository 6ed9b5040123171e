"""Convex-optimisation checks of L1, T1 (a)-(d), T1' and T2 (a)-(c) against their closed forms.

Every solver answer counts only with status optimal and its witness recomputed in numpy: the witness
must satisfy the constraints in numpy (``feasible``, ``pooled_feasible``; a witness just outside is
scaled in, one far outside makes the check inconclusive), the solver's objective must equal the
objective of its witness recomputed in numpy (``agree``; else inconclusive), and every claim is judged
on the numpy value, never on the number the solver reports. A check
combines several *parts* (an objective against its closed form, a witness's feasibility, ...), each
with its own tolerance from ``normalign.numerics.tolerances``; a check's ``worst_residual`` is the largest
part residual **in units of that part's tolerance** (so <= 1 means verified), and ``detail`` lists
every part's worst raw value and tolerance.

Uniqueness when the constraint binds (T1(b)) is tested by *maximising* misalignment over the
near-optimal set {W : norm(W) <= r, l(W x~) <= opt + delta} (a convex program with a linear objective
<G, W>, G orthogonal to x~), not by inspecting one solution: for the Frobenius norm the maximum is
exactly sqrt(alpha - R'(delta)^2 / X) (``minnorm.predicted_max_misalignment``), which tends to 0 with
delta; for the nuclear norm it is at most that; under the spectral or entrywise-l1 norm, or when the
constraint is slack (T1(d), R > 1), it stays clearly positive (``normalign.numerics.checks.optimality.boundaries``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from normalign.numerics.checks.parts import Part, combine, part
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.maths.convex_problems import (
    LogitBallProblem,
    MapProblem,
    MinNormProblem,
    MisalignProblem,
    PooledLogitProblem,
    SharedMapProblem,
    SolverInconclusive,
    norm_value,
    orth_direction,
)
from normalign.numerics.tolerances import (
    CLOSED_FORM_TOL,
    LOCAL_SEARCH_GTOL,
    LOCAL_SEARCH_TOL,
    MISALIGN_SQ_TOL,
    RANK_REL_TOL,
    SOLVER_ARG_TOL,
    SOLVER_FEAS_TOL,
    SOLVER_OBJ_TOL,
)
from scipy.optimize import minimize

from normalign.checks import Budget, CheckResult, Outcome

__all__ = ["Part", "agree", "combine", "feasible", "inconclusive", "part", "pooled_feasible"]

# ----------------------------------------------------------------------------------------- helpers


def inconclusive(reason: str, detail: str = "") -> CheckResult:
    return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"{detail}: {reason}" if detail else reason)


def feasible(W: np.ndarray, r: float, norm: str) -> np.ndarray:
    """The solver's witness scaled into {norm(W) <= r} in numpy (a no-op unless the solver's
    feasibility tolerance left it just outside); a witness far outside counts as a solver failure."""
    nv = norm_value(W, norm)
    if nv > r * (1 + SOLVER_FEAS_TOL) + SOLVER_FEAS_TOL:
        raise SolverInconclusive(f"witness violates the {norm} budget in numpy ({nv:.3e} > {r:.3e})")
    return W * (r / nv) if nv > r else W


def agree(solver_value: float, numpy_value: float, scale: float, what: str) -> float:
    """The numpy value of a solver's witness, after checking that the solver's reported objective
    agrees with it to ``SOLVER_OBJ_TOL * scale``: a solver whose value its own witness does not
    reproduce decides nothing (inconclusive). Claims are then judged on the numpy value only."""
    if not abs(solver_value - numpy_value) <= SOLVER_OBJ_TOL * scale:
        raise SolverInconclusive(f"{what}: solver value {solver_value:.10e} is not its witness's numpy value "
                                 f"{numpy_value:.10e} (scale {scale:.3e})")
    return numpy_value


def _unit(rng: np.random.Generator, d: int) -> np.ndarray:
    v = rng.standard_normal(d)
    return v / np.linalg.norm(v)


def t1_instances(budget: Budget, seed_offset: int = 0) -> list[dict[str, Any]]:
    """Per-point T1 instances: (loss, c, d, y, x, alpha) over adversarial and random choices.

    Adversarial: c = 1 (logistic, squared error), c = 2, d = 1, ||x|| in {1e-3, 1e3}, logit radius
    R = sqrt(alpha (||x||^2 + 1)) in {1e-3, 0.5, 3}; alpha is set from R (so huge ||x|| means a tiny
    alpha and tiny weights). Random: Gaussian x, c in 2..5, R in [0.05, 6].
    """
    rng = np.random.default_rng(budget.seed + 1000 + seed_offset)
    out: list[dict[str, Any]] = []
    fixed = [("ce", 2, 1), ("ce", 4, 3), ("sq", 1, 1), ("sq", 3, 2), ("logistic", 1, 2)]
    for loss, c, d in fixed:
        for xnorm in (1e-3, 1.0, 1e3):
            for R in (1e-3, 0.5, 3.0):
                if not budget.full and rng.random() < 0.6:
                    continue
                x = xnorm * _unit(rng, d)
                y = int(rng.integers(c)) if loss != "logistic" else int(rng.choice([-1, 1]))
                out.append(dict(loss=loss, c=c, d=d, y=y, x=x, alpha=R * R / (xnorm**2 + 1)))
    for _ in range(budget.n(6, 60)):
        loss = str(rng.choice(["ce", "sq", "logistic"]))
        c = 1 if loss == "logistic" else int(rng.integers(2, 6))
        d = int(rng.integers(1, 5))
        x = rng.standard_normal(d) * float(np.exp(rng.uniform(-1, 1)))
        R = float(rng.uniform(0.05, 6.0))
        y = int(rng.integers(c)) if loss != "logistic" else int(rng.choice([-1, 1]))
        out.append(dict(loss=loss, c=c, d=d, y=y, x=x, alpha=R * R / float(x @ x + 1)))
    return out


def _R(inst: dict[str, Any]) -> float:
    return math.sqrt(inst["alpha"] * float(inst["x"] @ inst["x"] + 1.0))


def binds(inst: dict[str, Any]) -> bool:
    """Whether the constraint binds at the optimum: always for CE and logistic, iff R < 1 for squared error."""
    return inst["loss"] != "sq" or _R(inst) < 1.0


def check_l1_solver(budget: Budget) -> CheckResult:
    """L1: the solver's min ||W||_F^2 s.t. W a = z equals ||z||^2 / ||a||^2 (a = x~, or x bias-free)
    and its minimiser equals z a^T / ||a||^2; instances with c = 1, d = 1, ||x|| from 1e-3 to 1e3,
    nearly parallel z and a. One DPP problem per shape, re-solved."""
    rng = np.random.default_rng(budget.seed + 11)
    obj, arg, feas = part("objective vs ||z||^2/||a||^2 (rel)", SOLVER_OBJ_TOL), \
        part("minimiser vs z a^T/||a||^2 (rel)", SOLVER_ARG_TOL), part("witness W a = z (rel)", SOLVER_FEAS_TOL)
    probs: dict[tuple[int, int], MinNormProblem] = {}
    shapes = [(1, 1), (1, 4), (3, 1), (2, 3), (4, 6)]
    n = 0
    try:
        for _ in range(budget.n(2, 12)):
            for c, d in shapes:
                for bias in (True, False):
                    x = rng.standard_normal(d) * 10.0 ** rng.uniform(-3, 3)
                    z = rng.standard_normal(c) * 10.0 ** rng.uniform(-2, 2)
                    a = np.append(x, 1.0) if bias else x
                    m = a.size
                    prob = probs.setdefault((c, m), MinNormProblem(c, m))
                    val, W = prob.solve(a, z)
                    ref = mn.minnorm_value(x, z, bias)
                    W0 = mn.minnorm_map(x, z, bias)
                    case = dict(c=c, d=d, bias=bias, x=x, z=z)
                    w2 = agree(val, float(np.sum(W * W)), ref, "L1 min-norm")
                    obj.add(abs(w2 - ref) / ref, case)
                    arg.add(float(np.linalg.norm(W - W0) / np.linalg.norm(W0)), case)
                    feas.add(float(np.linalg.norm(W @ a - z) / np.linalg.norm(z)), case)
                    n += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "L1 solver")
    return combine([obj, arg, feas], n, f"L1 min-norm over {n} instances (shapes {shapes}, bias and bias-free)")


def check_l1_near_optimal_set(budget: Budget) -> CheckResult:
    """L1 uniqueness by maximisation: over {W a = z, ||W||_F^2 <= (1 + delta) opt} the largest
    misalignment <G, W> (G unit, G a = 0) is exactly sqrt(delta opt) (Pythagoras), -> 0 with delta."""
    rng = np.random.default_rng(budget.seed + 12)
    p = part("max misalignment^2 vs delta*opt (rel to opt)", MISALIGN_SQ_TOL)
    n = 0
    try:
        for c, d in [(1, 2), (3, 2), (2, 5)]:
            prob = MisalignProblem("sq", c, d + 1, "fro", fixed=True)
            for _ in range(budget.n(1, 6)):
                x = rng.standard_normal(d)
                z = rng.standard_normal(c)
                a = mn.augment(x)
                opt = mn.minnorm_value(x, z)
                for delta in (1e-2, 1e-3):
                    G = orth_direction(rng, c, a)
                    r = math.sqrt(opt * (1 + delta))
                    val, W = prob.solve(a, G, r, z_fixed=z)
                    if float(np.linalg.norm(W @ a - z)) > SOLVER_FEAS_TOL * (1 + float(np.linalg.norm(z))):
                        raise SolverInconclusive("L1 near-optimal witness violates W a = z in numpy")
                    agree(val, float(np.sum(G * W)), r, "L1 near-optimal <G, W>")
                    Wn = feasible(W + np.outer(z - W @ a, a) / float(a @ a), r, "fro")  # W a = z, norm <= r
                    m = mn.misalignment(Wn, a)
                    p.add(abs(m * m - delta * opt) / opt, dict(c=c, d=d, x=x, z=z, delta=delta))
                    n += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "L1 near-optimal set")
    return combine([p], n, "L1: largest misalignment over the (1+delta)-optimal set equals sqrt(delta opt)")


def check_t1_closed_forms(budget: Budget) -> CheckResult:
    """T1(c), T1(d) and logistic: the logit-ball solver and the full (J, b) solver (small d) reach the
    closed-form optimum; the logits are the closed-form ones; the constraint binds exactly as stated."""
    inst = t1_instances(budget)
    val_p = part("logit-ball optimum vs closed form (abs / (1 + R))", SOLVER_OBJ_TOL)
    arg_p = part("optimal logits vs closed form (abs / (1 + R))", SOLVER_ARG_TOL)
    full_p = part("full (J, b) optimum vs closed form (abs / (1 + R))", SOLVER_OBJ_TOL)
    bind_p = part("binding as stated: | ||z|| - min(R, ||z*||) | / (1 + R)", SOLVER_ARG_TOL)
    ball: dict[tuple[str, int], LogitBallProblem] = {}
    full: dict[tuple[str, int, int], MapProblem] = {}
    try:
        for it in inst:
            loss, c, d, y, x, alpha = it["loss"], it["c"], it["d"], it["y"], it["x"], it["alpha"]
            R = _R(it)
            opt = mn.optimal_loss(loss, c, R)
            zs = mn.optimal_logits(loss, c, y, R)
            pb = ball.setdefault((loss, c), LogitBallProblem(loss, c))
            v, z = pb.solve(y, R)
            z = feasible(z, R, "fro")  # ||z|| <= R in numpy
            v = agree(v, mn.loss_value(loss, z, y), 1 + R, "logit ball")
            case = dict(it, R=R)
            val_p.add(abs(v - opt) / (1 + R), case)
            arg_p.add(float(np.linalg.norm(z - zs)) / (1 + R), case)
            bind_p.add(abs(float(np.linalg.norm(z)) - float(np.linalg.norm(zs))) / (1 + R), case)
            if d <= 3 and 1e-2 <= float(np.linalg.norm(x)) <= 1e2:
                pf = full.setdefault((loss, c, d), MapProblem(loss, c, d + 1, "fro"))
                vf, W = pf.solve(mn.augment(x), y, math.sqrt(alpha))
                W = feasible(W, math.sqrt(alpha), "fro")
                vf_np = agree(vf, mn.loss_value(loss, W @ mn.augment(x), y), 1 + R, "full (J, b) problem")
                full_p.add(abs(vf_np - opt) / (1 + R), case)
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T1 closed forms")
    return combine([val_p, arg_p, bind_p, full_p], len(inst),
                   f"T1(c)/(d)/logistic: {len(inst)} instances (c = 1..5, d = 1..4, ||x|| 1e-3..1e3, R 1e-3..6)")


def check_t1_aligned_exists(budget: Budget) -> CheckResult:
    """T1(a): the aligned W = z* x~^T / X (numpy) is feasible and its loss (numpy) is the optimum; no
    solver of the full problem (Frobenius) goes below it."""
    inst = t1_instances(budget, seed_offset=7)
    feas = part("aligned ||W||_F^2 - alpha (rel), must be <= tol", CLOSED_FORM_TOL)
    val = part("aligned loss vs closed form (abs / (1 + R))", CLOSED_FORM_TOL)
    beat = part("closed form - solver optimum (abs / (1 + R)), must be <= tol", SOLVER_OBJ_TOL)
    full: dict[tuple[str, int, int], MapProblem] = {}
    try:
        for it in inst:
            loss, c, d, y, x, alpha = it["loss"], it["c"], it["d"], it["y"], it["x"], it["alpha"]
            R = _R(it)
            a = mn.augment(x)
            W = mn.minnorm_map(x, mn.optimal_logits(loss, c, y, R))
            opt = mn.optimal_loss(loss, c, R)
            case = dict(it, R=R)
            feas.add(max(0.0, (float(np.sum(W * W)) - alpha) / alpha), case)
            val.add(abs(mn.loss_value(loss, W @ a, y) - opt) / (1 + R), case)
            if d <= 3 and 1e-2 <= float(np.linalg.norm(x)) <= 1e2:
                pf = full.setdefault((loss, c, d), MapProblem(loss, c, d + 1, "fro"))
                v, Ws = pf.solve(a, y, math.sqrt(alpha))
                Ws = feasible(Ws, math.sqrt(alpha), "fro")
                v = agree(v, mn.loss_value(loss, Ws @ a, y), 1 + R, "full (J, b) problem")
                beat.add(max(0.0, (opt - v) / (1 + R)), dict(case, W_solver=Ws))
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T1(a)")
    return combine([feas, val, beat], len(inst), f"T1(a): aligned minimiser on {len(inst)} instances")


def max_misalignment(loss: str, c: int, x: np.ndarray, y: int, alpha: float, norm: str, delta: float,
                     rng: np.random.Generator, n_dirs: int = 1, opt: float | None = None,
                     prob: MisalignProblem | None = None) -> tuple[float, float, np.ndarray]:
    """Largest <G, W> over the near-optimal set {norm(W) <= sqrt(alpha), l(W x~) <= opt + delta}, over
    ``n_dirs`` random unit G orthogonal to x~. Returns (solver max, numpy misalignment of the witness,
    witness W re-verified in numpy: a witness that violates the norm or the level, or whose <G, W> is not
    the solver's value, raises). The first entry is <G, W> recomputed in numpy."""
    a = mn.augment(x)
    r = math.sqrt(alpha)
    if opt is None:
        opt = mn.optimal_loss(loss, c, math.sqrt(alpha * float(a @ a)))
    prob = prob or MisalignProblem(loss, c, a.size, norm)
    best = (-math.inf, 0.0, np.zeros((c, a.size)))
    for _ in range(n_dirs):
        G = orth_direction(rng, c, a)
        val, W = prob.solve(a, G, r, y=y, level=opt + delta)
        if norm_value(W, norm) > r * (1 + SOLVER_FEAS_TOL) + SOLVER_FEAS_TOL:
            raise SolverInconclusive(f"witness violates the {norm} budget in numpy")
        if mn.loss_value(loss, W @ a, y) > opt + delta + SOLVER_FEAS_TOL * (1 + r * math.sqrt(float(a @ a))):
            raise SolverInconclusive("witness violates the loss level in numpy")
        gw = agree(val, float(np.sum(G * W)), r, f"max <G, W> ({norm})")
        if gw > best[0]:
            best = (gw, mn.misalignment(W, a), W)
    return best


def t1_uniqueness(budget: Budget, norm: str, planted: bool = False) -> CheckResult:
    """Shared body of T1(b) (Frobenius, nuclear) and its planted spectral / l1 variants.

    delta = delta_rel * R * g(R) (g = -d opt/dR, ``minnorm.optimal_loss_slope``), so convexity of the
    optimal loss in R bounds the largest squared misalignment over the Frobenius near-optimal set by
    2 delta_rel alpha. Parts: (1) the solver's largest misalignment^2 / alpha <= 2 delta_rel (every norm;
    it tends to 0 with delta_rel: uniqueness); (2) Frobenius only: it equals the exact prediction
    sqrt(alpha - R'(delta)^2 / X)."""
    rng = np.random.default_rng(budget.seed + 21)
    bound = part(f"{norm}: max misalignment^2 / alpha - 2 delta_rel, must be <= tol", MISALIGN_SQ_TOL)
    exact = part("fro: |max misalignment^2 - predicted^2| / alpha", MISALIGN_SQ_TOL)
    # solver accuracy is ~1e-8 absolute, so probe the near-optimal set only where R >= 0.1 (tiny R is
    # covered by the closed-form checks); spectral needs c >= 2 (for c = 1 it equals Frobenius)
    insts = [i for i in t1_instances(budget, seed_offset=3) if binds(i) and 1e-2 <= np.linalg.norm(i["x"]) <= 1e2
             and _R(i) >= 0.1 and i["c"] >= (2 if norm == "spec" else 1)]
    insts = insts[: budget.n(5, 40)]
    deltas = (1e-1, 1e-2, 1e-3) if budget.full else (1e-2, 1e-3)
    probs: dict[tuple[str, int, int], MisalignProblem] = {}
    n = 0
    try:
        for it in insts:
            loss, c, d, y, x, alpha = it["loss"], it["c"], it["d"], it["y"], it["x"], it["alpha"]
            X = float(x @ x + 1)
            R = _R(it)
            pr = probs.setdefault((loss, c, d), MisalignProblem(loss, c, d + 1, norm))
            opt = None
            if norm == "l1":
                v_l1, W_l1 = MapProblem(loss, c, d + 1, "l1").solve(mn.augment(x), y, math.sqrt(alpha))
                W_l1 = feasible(W_l1, math.sqrt(alpha), "l1")
                opt = agree(v_l1, mn.loss_value(loss, W_l1 @ mn.augment(x), y), 1 + R, "l1 optimum")
            for delta_rel in deltas:
                delta = delta_rel * R * mn.optimal_loss_slope(loss, c, R)
                val, mis, W = max_misalignment(loss, c, x, y, alpha, norm, delta, rng, opt=opt, prob=pr)
                m2 = mis**2 / alpha  # numpy misalignment of the re-verified witness (>= <G, W>)
                pred = mn.predicted_max_misalignment(loss, c, X, alpha, delta)
                case = dict(it, norm=norm, delta=delta, delta_rel=delta_rel, solver_max=val,
                            witness_misalignment=mis, predicted=pred, W=W)
                bound.add(m2 - 2 * delta_rel, case)
                if norm == "fro":
                    exact.add(abs(m2 - pred**2 / alpha), case)
                n += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), f"T1(b) {norm}")
    what = "planted: every minimiser is aligned under the " if planted else "T1(b) uniqueness under the "
    return combine([bound, exact], n, f"{what}{norm} norm; {len(insts)} binding instances, "
                   f"delta = delta_rel R g(R), delta_rel in {deltas}")


def check_t1b_unique_frobenius(budget: Budget) -> CheckResult:
    """T1(b) for the Frobenius constraint: max misalignment over the near-optimal set = prediction -> 0."""
    return t1_uniqueness(budget, "fro")


def check_t1b_unique_nuclear(budget: Budget) -> CheckResult:
    """T1(b) for the nuclear-norm constraint: max misalignment <= the Frobenius prediction -> 0."""
    return t1_uniqueness(budget, "nuc")


def planted_t1_unique_spectral(budget: Budget) -> CheckResult:
    """Planted false: 'under a spectral-norm constraint every minimiser is aligned' (T1(b) with the
    spectral norm). Expected: refuted, the near-optimal set contains W with misalignment ~ r."""
    return t1_uniqueness(budget, "spec", planted=True)


def planted_t1_aligned_l1(budget: Budget) -> CheckResult:
    """Planted false: 'under an entrywise-l1 constraint every minimiser is aligned'. Expected: refuted."""
    return t1_uniqueness(budget, "l1", planted=True)


def pooled_feasible(Ws: list[np.ndarray], budget: float) -> list[np.ndarray]:
    """The pooled solver's witnesses scaled into {sum_i ||W_i||_F^2 <= budget} in numpy (a no-op unless
    the solver's feasibility tolerance left them just outside); far outside is a solver failure."""
    total = sum(float(np.sum(W * W)) for W in Ws)
    if total > budget * (1 + SOLVER_FEAS_TOL) + SOLVER_FEAS_TOL:
        raise SolverInconclusive(f"pooled witness violates sum ||W_i||^2 <= {budget:.3e} in numpy ({total:.3e})")
    k = math.sqrt(budget / total) if total > budget else 1.0
    return [k * W for W in Ws]


def check_t1_pooled(budget: Budget) -> CheckResult:
    """T1 with the pooled constraint sum_i ||W_i||_F^2 <= n alpha (sparse: one W_i per point, including
    nearly parallel points): the full problem's optimum equals the logits problem's
    (min sum l(z_i) s.t. sum ||z_i||^2 / X_i <= n alpha); the aligned W_i = z_i x~_i^T / X_i built from
    the logits solution reaches it in numpy; the per-point optimum is the sum of closed forms."""
    rng = np.random.default_rng(budget.seed + 31)
    eq = part("full pooled optimum vs logits optimum (abs / (1 + sum R_i))", SOLVER_OBJ_TOL)
    al = part("aligned W_i from logits: numpy loss vs logits optimum (abs / (1 + sum R_i))", SOLVER_OBJ_TOL)
    fe = part("aligned W_i: sum ||W_i||^2 / (n alpha) - 1, must be <= tol", SOLVER_FEAS_TOL)
    pp = part("per-point: full problem of all points vs sum of closed forms (abs / (1 + sum R_i))", SOLVER_OBJ_TOL)
    n_pts, c, d = 3, 3, 2
    probs = {loss: (SharedMapProblem(loss, c, d + 1, n_pts, pooled=True), PooledLogitProblem(loss, c, n_pts))
             for loss in ("ce", "sq")}
    per_point = {loss: MapProblem(loss, c, d + 1, "fro") for loss in ("ce", "sq")}
    k = 0
    try:
        for t in range(budget.n(3, 20)):
            for loss in ("ce", "sq"):
                xs = rng.standard_normal((n_pts, d))
                if t % 2 == 0:  # nearly parallel pair with different labels
                    xs[1] = xs[0] + 1e-6 * rng.standard_normal(d)
                labels = np.array([0, 1, int(rng.integers(c))])
                A = np.column_stack([mn.augment(xi) for xi in xs])
                X = np.sum(A * A, axis=0)
                alpha = float(rng.uniform(0.05, 0.3)) if loss == "sq" else float(rng.uniform(0.1, 3))
                Rs = np.sqrt(alpha * X)
                scale = 1 + float(np.sum(Rs))
                pf, pl = probs[loss]
                vf, outs = pf.solve(A, labels, n_pts * alpha)
                Wf = pooled_feasible([outs[f"W{i}"] for i in range(n_pts)], n_pts * alpha)
                vf = agree(vf, sum(mn.loss_value(loss, Wf[i] @ A[:, i], int(labels[i])) for i in range(n_pts)),
                           scale, "pooled (W_i) problem")
                vl, Z = pl.solve(labels, X, n_pts * alpha)
                vl = agree(vl, sum(mn.loss_value(loss, Z[:, i], int(labels[i])) for i in range(n_pts)),
                           scale, "pooled logits problem")
                case = dict(loss=loss, xs=xs, labels=labels, alpha=alpha)
                eq.add(abs(vf - vl) / scale, case)
                Ws = [np.outer(Z[:, i], A[:, i]) / X[i] for i in range(n_pts)]
                lnp = sum(mn.loss_value(loss, Ws[i] @ A[:, i], int(labels[i])) for i in range(n_pts))
                al.add(abs(lnp - vl) / scale, case)
                fe.add(sum(float(np.sum(W * W)) for W in Ws) / (n_pts * alpha) - 1, case)
                vpp = 0.0
                for i in range(n_pts):
                    vi, Wi = per_point[loss].solve(A[:, i], int(labels[i]), math.sqrt(alpha))
                    Wi = feasible(Wi, math.sqrt(alpha), "fro")
                    vpp += agree(vi, mn.loss_value(loss, Wi @ A[:, i], int(labels[i])), 1 + float(Rs[i]),
                                 "per-point problem")
                ref = sum(mn.optimal_loss(loss, c, float(Ri)) for Ri in Rs)
                pp.add(abs(vpp - ref) / scale, case)
                k += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T1 pooled")
    return combine([eq, al, fe, pp], k, f"T1 pooled and per-point, n = {n_pts} points, c = {c}, d = {d}, CE and squared error")


def check_t1p_rank_one(budget: Budget) -> CheckResult:
    """T1': J = u v^T with ||u|| ||v|| <= alpha (bias-free). The nuclear-norm relaxation (its convex
    hull) reaches the logit-ball optimum with R = alpha ||x|| at a rank-one J whose row space is x;
    non-convex local searches over (u, v) from random starts never go below it, and the best has
    v parallel to +-x."""
    rng = np.random.default_rng(budget.seed + 41)
    val_p = part("nuclear relaxation optimum vs ball closed form (abs / (1 + R))", SOLVER_OBJ_TOL)
    rank_p = part("witness s2 / s1", RANK_REL_TOL)
    na_p = part("witness 1 - NA(J, x)", SOLVER_ARG_TOL)
    ls_p = part("closed form - best local search (abs), must be <= tol", LOCAL_SEARCH_TOL)
    cos_p = part("best local search: 1 - |cos(v, x)|", SOLVER_ARG_TOL)
    k = 0
    try:
        for _ in range(budget.n(2, 10)):
            for c, d in [(2, 2), (3, 4)]:
                x = rng.standard_normal(d)
                y = int(rng.integers(c))
                alpha = float(rng.uniform(0.3, 2.0))
                R = alpha * float(np.linalg.norm(x))
                opt = mn.optimal_loss("ce", c, R)
                v, J = MapProblem("ce", c, d, "nuc").solve(x, y, alpha)
                J = feasible(J, alpha, "nuc")
                v = agree(v, mn.loss_value("ce", J @ x, y), 1 + R, "nuclear relaxation")
                s = np.linalg.svd(J, compute_uv=False)
                case = dict(c=c, d=d, x=x, y=y, alpha=alpha)
                val_p.add(abs(v - opt) / (1 + R), case)
                rank_p.add(float(s[1] / s[0]), case)
                na_p.add(1 - mn.na_score(J, x), case)

                def f(p: np.ndarray) -> float:
                    u, w = p[:c], p[c:]
                    nu, nw = np.linalg.norm(u), np.linalg.norm(w)
                    return mn.loss_value("ce", alpha * u * float(w @ x) / (nu * nw), y)

                best = (math.inf, np.zeros(c + d))
                for _s in range(budget.n(4, 12)):
                    res = minimize(f, rng.standard_normal(c + d), method="BFGS", options={"gtol": LOCAL_SEARCH_GTOL})
                    if res.fun < best[0]:
                        best = (float(res.fun), res.x)
                ls_p.add(max(0.0, opt - best[0]), case)
                w = best[1][c:]
                cos_p.add(1 - abs(float(w @ x)) / (np.linalg.norm(w) * np.linalg.norm(x)), case)
                k += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T1'")
    return combine([val_p, rank_p, na_p, ls_p, cos_p], k, "T1' rank-one form (cross-entropy, bias-free)")


T2B_DELTA: float = 1e-3


"""Relative slack of the norm budget in T2(b)'s near-optimal sets: r = (1 + T2B_DELTA) ||v|| / ||x||.
(A much thinner Frobenius set has almost no interior and the interior-point solver fails on it.)"""


Check = Callable[[Budget], CheckResult]
