"""Registry checks of T2 by convex programs: robust radius (SOCP), sensitivity minimisers, kernels."""

from __future__ import annotations

import numpy as np

# ----------------------------------------------------------------------------------------- helpers
from normalign.numerics.checks.optimality.convex import (
    T2B_DELTA,
    combine,
    inconclusive,
    part,
)
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.maths.convex_problems import (
    MisalignProblem,
    RobustRadiusProblem,
    SolverInconclusive,
    norm_value,
    orth_direction,
)
from normalign.numerics.tolerances import (
    CLOSED_FORM_TOL,
    MISALIGN_POSITIVE,
    MISALIGN_SQ_TOL,
    SOLVER_ARG_TOL,
    SOLVER_FEAS_TOL,
    SOLVER_OBJ_TOL,
)

from normalign.checks import Budget, CheckResult


def check_t2a_robust_radius(budget: Budget) -> CheckResult:
    """T2(a): over {J : J x = v} with margins z_y - z_k fixed, the solver's largest robust radius equals
    ||x|| min_k (z_y - z_k) / |v_y - v_k|; the aligned J = v x^T / ||x||^2 attains it (numpy); the
    radius formula is the true distance to the decision boundary (a QP per class, cvxpy)."""
    import cvxpy as cp

    rng = np.random.default_rng(budget.seed + 51)
    sol = part("solver max radius vs bound (rel)", SOLVER_OBJ_TOL)
    ali = part("aligned J: radius vs bound (rel)", CLOSED_FORM_TOL)
    dis = part("radius formula vs QP distance to the boundary (rel)", SOLVER_ARG_TOL)
    rnd = part("random J with J x = v: (radius - bound) / bound, must be <= tol", CLOSED_FORM_TOL)
    k = 0
    try:
        for _ in range(budget.n(3, 20)):
            for c, d in [(2, 1), (3, 3), (4, 5)]:
                x = rng.standard_normal(d)
                y = int(rng.integers(c))
                v = rng.standard_normal(c)
                v[y] = float(np.max(np.abs(v))) + 0.5
                b = 0.3 * rng.standard_normal(c)
                b[y] = abs(b[y]) + 1.0  # z_y > z_k
                z = v + b
                bound = mn.robust_bound(x, v, z, y)
                t, _J = RobustRadiusProblem(c, d, y).solve(x, v, z[y] - z)
                case = dict(c=c, d=d, x=x, y=y, v=v, b=b)
                sol.add(abs(1.0 / t - bound) / bound, case)
                Ja = np.outer(v, x) / float(x @ x)
                ali.add(abs(mn.robust_radius(Ja, b, x, y) - bound) / bound, case)
                N = rng.standard_normal((c, d))
                N -= np.outer(N @ x, x) / float(x @ x)
                J = Ja + N
                rho = mn.robust_radius(J, b, x, y)
                rnd.add(max(0.0, (rho - bound) / bound), case)
                dists = []
                for kk in range(c):
                    if kk == y:
                        continue
                    dl = cp.Variable(d)
                    g = J[y] - J[kk]
                    pr = cp.Problem(cp.Minimize(cp.norm(dl)), [g @ (x + dl) + (b[y] - b[kk]) <= 0])
                    pr.solve(solver="CLARABEL")
                    if pr.status != cp.OPTIMAL:
                        raise SolverInconclusive(f"distance QP status {pr.status}")
                    dd = np.asarray(dl.value)
                    if float(g @ (x + dd) + b[y] - b[kk]) > SOLVER_FEAS_TOL * (1 + np.linalg.norm(g) * np.linalg.norm(x)):
                        raise SolverInconclusive("distance witness not on the boundary in numpy")
                    dists.append(float(np.linalg.norm(dd)))
                dis.add(abs(min(dists) - rho) / rho, case)
                k += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T2(a)")
    return combine([sol, ali, dis, rnd], k, "T2(a) boundary distance under J x = v")


def spectral_min_misalignment(c: int, d: int, x: np.ndarray, v: np.ndarray, norm: str,
                              rng: np.random.Generator) -> tuple[float, float, np.ndarray]:
    """Largest misalignment <G, J> over {J x = v, norm(J) <= (1 + T2B_DELTA) min norm}, G unit, G x = 0.
    (min norm = ||v|| / ||x|| for 'fro', 'spec' and 'nuc'.) Returns (solver max, numpy misalignment, J).
    For 'fro' the exact maximum is ||v|| / ||x|| sqrt((1 + T2B_DELTA)^2 - 1) (Pythagoras)."""
    r = float(np.linalg.norm(v) / np.linalg.norm(x)) * (1 + T2B_DELTA)
    prob = MisalignProblem("sq", c, d, norm, fixed=True)
    val, J = prob.solve(x, orth_direction(rng, c, x), r, z_fixed=v)
    J = J + np.outer(v - J @ x, x) / float(x @ x)  # exact J x = v in numpy
    if norm_value(J, norm) > r * (1 + SOLVER_FEAS_TOL):
        raise SolverInconclusive(f"witness violates the {norm} budget in numpy")
    return val, mn.misalignment(J, x), J


def check_t2b_sensitivity(budget: Budget) -> CheckResult:
    """T2(b): the Frobenius minimum under J x = v is ||v|| / ||x|| and unique: the largest misalignment
    over the (1 + delta)-optimal set is exactly ||v||/||x|| sqrt((1 + delta)^2 - 1) -> 0; the spectral
    minimum is also ||v|| / ||x||, attained by the aligned J but not uniquely (largest misalignment over
    the same set clearly positive; needs c, d >= 2). E||J delta||^2 = sigma^2 ||J||_F^2 is symbolic."""
    rng = np.random.default_rng(budget.seed + 61)
    fro = part("Frobenius: |max misalignment^2 - predicted^2| / (||v||/||x||)^2", MISALIGN_SQ_TOL)
    spec_min = part("spectral minimum (solver) vs ||v||/||x|| (rel)", SOLVER_OBJ_TOL)
    spec_pos = part("spectral: MISALIGN_POSITIVE - max misalignment / (||v||/||x||), must be <= 0", 0.0)
    k = 0
    try:
        import cvxpy as cp

        for _ in range(budget.n(2, 10)):
            for c, d in [(2, 2), (3, 4)]:
                x = rng.standard_normal(d)
                v = rng.standard_normal(c)
                m0 = float(np.linalg.norm(v) / np.linalg.norm(x))
                case = dict(c=c, d=d, x=x, v=v)
                _, mis, _ = spectral_min_misalignment(c, d, x, v, "fro", rng)
                fro.add(abs(mis**2 / m0**2 - ((1 + T2B_DELTA) ** 2 - 1)), case)
                J = cp.Variable((c, d))
                pr = cp.Problem(cp.Minimize(cp.sigma_max(J)), [J @ x == v])
                pr.solve(solver="CLARABEL")
                if pr.status != cp.OPTIMAL:
                    raise SolverInconclusive(f"spectral minimum status {pr.status}")
                spec_min.add(abs(norm_value(np.asarray(J.value), "spec") - m0) / m0, case)
                _, mis_s, Js = spectral_min_misalignment(c, d, x, v, "spec", rng)
                spec_pos.add(MISALIGN_POSITIVE - mis_s / m0, dict(case, J=Js))
                k += 1
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "T2(b)")
    return combine([fro, spec_min, spec_pos], k, "T2(b): Frobenius unique, spectral attained but not unique")


def planted_t2_unique_spectral(budget: Budget) -> CheckResult:
    """Planted false: 'the aligned J is the unique minimiser of ||J||_2 under J x = v'. Expected: refuted
    (a spectral-optimal J with misalignment ~ ||v|| / ||x||)."""
    rng = np.random.default_rng(budget.seed + 62)
    p = part("spectral: max misalignment^2 / (||v||/||x||)^2 - ((1 + delta)^2 - 1), claimed <= tol",
             MISALIGN_SQ_TOL)
    try:
        for c, d in [(2, 2), (3, 4)]:
            x = rng.standard_normal(d)
            v = rng.standard_normal(c)
            m0 = float(np.linalg.norm(v) / np.linalg.norm(x))
            _, mis, J = spectral_min_misalignment(c, d, x, v, "spec", rng)
            p.add(mis**2 / m0**2 - ((1 + T2B_DELTA) ** 2 - 1), dict(c=c, d=d, x=x, v=v, J=J, spectral=norm_value(J, "spec"), min_norm=m0,
                                 s=np.linalg.svd(J, compute_uv=False)))
    except SolverInconclusive as exc:
        return inconclusive(str(exc), "planted T2 spectral")
    return combine([p], 2, "planted: unique spectral minimiser under J x = v")


def check_t2c_kernel(budget: Budget) -> CheckResult:
    """T2(c): for J of constructed rank r (1..min(c, d)), dim ker J (SVD) = d - r <= d - 1, = d - 1 iff
    r = 1; the aligned J = v x^T / ||x||^2 annihilates x's orthogonal complement and J x = v."""
    rng = np.random.default_rng(budget.seed + 71)
    ker = part("|dim ker J (SVD) - (d - rank)|", 0.0)
    ali = part("aligned J: ||J P_perp||_F / ||J||_F", CLOSED_FORM_TOL)
    k = 0
    for _ in range(budget.n(5, 50)):
        c, d = int(rng.integers(1, 5)), int(rng.integers(1, 7))
        rk = int(rng.integers(1, min(c, d) + 1))
        J = rng.standard_normal((c, rk)) @ rng.standard_normal((rk, d))
        s = np.linalg.svd(J, compute_uv=False)
        dim_ker = d - int(np.sum(s > 1e-10 * s[0]))
        ok_iff = (dim_ker == d - 1) == (rk == 1)
        ker.add(abs(dim_ker - (d - rk)) + (0 if ok_iff and dim_ker <= d - 1 else 1), dict(c=c, d=d, rank=rk))
        x = rng.standard_normal(d)
        v = rng.standard_normal(c)
        Ja = np.outer(v, x) / float(x @ x)
        P = np.eye(d) - np.outer(x, x) / float(x @ x)
        ali.add(float(np.linalg.norm(Ja @ P) / np.linalg.norm(Ja)), dict(c=c, d=d, x=x, v=v))
        k += 1
    return combine([ker, ali], k, "T2(c) kernel dimension and the aligned J's kernel")
