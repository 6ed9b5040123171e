"""Registry checks of T2 by convex programs: robust radius (SOCP), sensitivity minimisers, kernels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

# ----------------------------------------------------------------------------------------- helpers
from normalign.numerics.checks.optimality.convex import (
    T2B_DELTA,
    agree,
    combine,
    inconclusive,
    part,
)
from normalign.numerics.engine.scores import scores_from_jacobians
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
    SCORE_TOL,
    SOLVER_ARG_TOL,
    SOLVER_FEAS_TOL,
    SOLVER_OBJ_TOL,
    rel_tol,
)

from normalign.checks import Budget, CheckResult
from normalign.conjecture import conjecture


def check_t2a_robust_radius(budget: Budget) -> CheckResult:
    """T2(a): over {J : J x = v} with margins z_y - z_k fixed, the solver's largest robust radius equals
    ||x|| min_k (z_y - z_k) / |v_y - v_k|; the aligned J = v x^T / ||x||^2 attains it (numpy); the
    radius formula is the true distance to the decision boundary (a QP per class, cvxpy)."""
    import cvxpy as cp

    rng = np.random.default_rng(budget.seed + 51)
    sol = part("solver's J: numpy radius vs bound (rel)", SOLVER_OBJ_TOL)
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
                t, Js = RobustRadiusProblem(c, d, y).solve(x, v, z[y] - z)
                case = dict(c=c, d=d, x=x, y=y, v=v, b=b)
                # the solver's J, re-verified: J x = v in numpy (then polished onto it exactly), and its
                # radius recomputed in numpy must be the solver's 1 / t
                if float(np.linalg.norm(Js @ x - v)) > SOLVER_FEAS_TOL * (1 + float(np.linalg.norm(v))):
                    raise SolverInconclusive("robust-radius witness violates J x = v in numpy")
                Js = Js + np.outer(v - Js @ x, x) / float(x @ x)
                rho_s = agree(1.0 / t, mn.robust_radius(Js, b, x, y), bound, "T2(a) max radius")
                sol.add(abs(rho_s - bound) / bound, dict(case, J_solver=Js))
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
                    nd = float(np.linalg.norm(dd))
                    dists.append(agree(float(pr.value), nd, rho + nd, "distance QP"))
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
    G = orth_direction(rng, c, x)
    val, J = prob.solve(x, G, r, z_fixed=v)
    if float(np.linalg.norm(J @ x - v)) > SOLVER_FEAS_TOL * (1 + float(np.linalg.norm(v))):
        raise SolverInconclusive("witness violates J x = v in numpy")
    val = agree(val, float(np.sum(G * J)), r, f"max <G, J> ({norm})")
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
                Jv = np.asarray(J.value, dtype=np.float64)
                if float(np.linalg.norm(Jv @ x - v)) > SOLVER_FEAS_TOL * (1 + float(np.linalg.norm(v))):
                    raise SolverInconclusive("spectral minimum witness violates J x = v in numpy")
                Jv = Jv + np.outer(v - Jv @ x, x) / float(x @ x)  # exactly feasible, numpy
                sv = agree(float(pr.value), norm_value(Jv, "spec"), m0, "spectral minimum")
                spec_min.add(abs(sv - m0) / m0, case)
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


@dataclass
class T2cInstance:
    """A J with J x = v drawn without fixing its rank, kept exactly (sympy rationals) and in float64.

    ``J = v x^T / ||x||^2 + N`` with ``N x = 0``: ``N = 0`` ('aligned'), ``N = v (P q)^T`` ('rank-one':
    J = v (x / ||x||^2 + P q)^T is rank one but aligned with x only if P q = 0), or ``N = U V^T P`` with
    random rank ('generic'); ``P = ||x||^2 I - x x^T`` (integer, ``P x = 0``). Entries are small
    integers over ||x||^2, so every exact quantity is decided in rationals."""

    kind: str
    x: np.ndarray
    v: np.ndarray
    J: np.ndarray
    J_exact: Any  # sympy Matrix of Rationals


T2C_KINDS: tuple[str, ...] = ("aligned", "rank-one", "generic")


def t2c_instance(rng: np.random.Generator, kind: str) -> T2cInstance:
    """One draw of :class:`T2cInstance` of the given ``kind`` (one of :data:`T2C_KINDS`)."""
    import sympy as sp

    c, d = int(rng.integers(1, 5)), int(rng.integers(2, 7))

    def ints(*shape: int) -> np.ndarray:
        while True:
            a = rng.integers(-3, 4, size=shape)
            if np.any(a):
                return a

    x, v = ints(d), ints(c)
    xs, vs = sp.Matrix(x.tolist()), sp.Matrix(v.tolist())
    X = int(x @ x)
    P = X * sp.eye(d) - xs * xs.T
    if kind == "aligned":
        N = sp.zeros(c, d)
    elif kind == "rank-one":
        N = vs * (P * sp.Matrix(ints(d).tolist())).T
    elif kind == "generic":
        r = int(rng.integers(1, min(c, d - 1) + 1))
        N = sp.Matrix(ints(c, r).tolist()) * sp.Matrix(ints(d, r).tolist()).T * P
    else:
        raise ValueError(f"unknown kind {kind!r}; known: {T2C_KINDS}")
    Je = vs * xs.T / X + N
    return T2cInstance(kind, x.astype(np.float64), v.astype(np.float64),
                       np.array(Je.evalf(30).tolist(), dtype=np.float64), Je)


def t2c_exact(inst: T2cInstance) -> dict[str, Any]:
    """Exact facts about ``inst.J`` (sympy rationals; mpmath at 40 digits for the top eigenvalue):
    rank, kernel basis, whether J kills x's orthogonal complement, whether J is the aligned
    v x^T / ||x||^2, the squared Frobenius ratio ||J x||^2 / (||J||_F^2 ||x||^2), PC1 = s_1^2 / ||J||_F^2
    and the misalignment ||J (I - x x^T / ||x||^2)||_F."""
    import mpmath
    import sympy as sp

    J = inst.J_exact
    c, d = J.shape
    xs, vs = sp.Matrix([int(t) for t in inst.x]), sp.Matrix([int(t) for t in inst.v])
    X = xs.dot(xs)
    Pperp = sp.eye(d) - xs * xs.T / X
    ker = J.nullspace()
    JP = J * Pperp
    fro2 = sum(e**2 for e in J)
    G = J * J.T
    with mpmath.workdps(40):
        Gm = mpmath.matrix([[mpmath.mpf(int(sp.fraction(e)[0])) / int(sp.fraction(e)[1]) for e in G.row(i)]
                            for i in range(c)])
        lam_max = max(mpmath.eigsy(Gm, eigvals_only=True))
        pc1 = float(lam_max / (mpmath.mpf(int(sp.fraction(fro2)[0])) / int(sp.fraction(fro2)[1])))
    return {
        "rank": int(J.rank()),
        "dim_ker": len(ker),
        "kernel_orthogonal_to_x": all(k.dot(xs) == 0 for k in ker),
        "kills_perp": JP == sp.zeros(c, d),
        "aligned": J == vs * xs.T / X,
        "Jx_is_v": J * xs == vs,
        "frobenius_ratio": float(sp.sqrt((J * xs).dot(J * xs) / (fro2 * X)).evalf(30)),
        "pc1": pc1,
        "misalignment": float(sp.sqrt(sum(e**2 for e in JP)).evalf(30)),
        "fro": float(sp.sqrt(fro2).evalf(30)),
    }


def check_t2c_kernel(budget: Budget) -> CheckResult:
    """T2(c) on J with J x = v (v != 0) drawn WITHOUT fixing its rank (aligned, rank one but not
    aligned, generic; ``t2c_instance``), decided exactly in rationals (sympy rank and null space):
    dim ker J <= d - 1, = d - 1 iff rank 1, and J kills x's orthogonal complement iff J is the aligned
    v x^T / ||x||^2 (then ker J = x-perp). Product code against the exact oracle: the bias-free L1 map
    ``minnorm_map(x, v, bias=False)``, ``numerical_rank`` (rank threshold ``rel_tol(c d)``: an SVD's
    backward error is ~ max(c, d) EPS ||J||), the engine's Frobenius ratio and PC1
    (``scores_from_jacobians``, SCORE_TOL) and ``misalignment`` (CLOSED_FORM_TOL relative to ||J||_F)."""
    rng = np.random.default_rng(budget.seed + 71)
    claim = part("exact: violations of {dim ker <= d-1; dim ker = d-1 iff rank 1; kills x-perp iff aligned, "
                 "then ker = x-perp}", 0.0)
    amap = part("minnorm_map(x, v, bias=False) vs exact v x^T/||x||^2 (rel)", CLOSED_FORM_TOL)
    rank = part("|numerical_rank - exact rank|", 0.0)
    fr = part("engine Frobenius ratio vs exact", SCORE_TOL)
    pc = part("engine PC1 vs exact", SCORE_TOL)
    mis = part("misalignment vs exact ||J P_perp||_F (rel to ||J||_F)", CLOSED_FORM_TOL)
    kinds: dict[str, int] = {}
    k = 0
    for i in range(budget.n(12, 90)):
        inst = t2c_instance(rng, T2C_KINDS[i % 3])
        ex = t2c_exact(inst)
        c, d = inst.J.shape
        kinds[inst.kind] = kinds.get(inst.kind, 0) + 1
        case = dict(kind=inst.kind, x=inst.x, v=inst.v, J=[[str(e) for e in inst.J_exact.row(i)] for i in range(c)],
                    exact={key: ex[key] for key in ("rank", "dim_ker", "kills_perp", "aligned")})
        bad = 0
        bad += not ex["Jx_is_v"]
        bad += not ex["dim_ker"] == d - ex["rank"] <= d - 1
        bad += (ex["dim_ker"] == d - 1) != (ex["rank"] == 1)
        bad += ex["kills_perp"] != ex["aligned"]
        bad += ex["aligned"] and not (ex["dim_ker"] == d - 1 and ex["kernel_orthogonal_to_x"])
        claim.add(float(bad), case)
        A = np.outer(inst.v, inst.x) / float(inst.x @ inst.x)  # float64 of the exact aligned map
        amap.add(float(np.linalg.norm(mn.minnorm_map(inst.x, inst.v, bias=False) - A) / np.linalg.norm(A)), case)
        rank.add(float(abs(mn.numerical_rank(inst.J, rel_tol(c * d)) - ex["rank"])), case)
        sc = scores_from_jacobians(inst.J[None], inst.x[None])
        fr.add(abs(float(sc["frobenius_ratio"][0]) - ex["frobenius_ratio"]), case)
        pc.add(abs(float(sc["pc1"][0]) - ex["pc1"]), case)
        mis.add(abs(mn.misalignment(inst.J, inst.x) - ex["misalignment"]) / ex["fro"], case)
        k += 1
    return combine([claim, amap, rank, fr, pc, mis], k,
                   f"T2(c) on J x = v drawn without fixing the rank ({kinds}), exact rational oracle")


def t2c_rank_one(x: np.ndarray, v: np.ndarray, q: np.ndarray) -> T2cInstance:
    """The 'rank-one' :class:`T2cInstance` of integer vectors x != 0, v != 0 and q:
    ``J = v (x / ||x||^2 + P q)^T`` with ``P = ||x||^2 I - x x^T``."""
    import sympy as sp

    xs, vs = sp.Matrix([int(t) for t in x]), sp.Matrix([int(t) for t in v])
    X = int(xs.dot(xs))
    P = X * sp.eye(len(x)) - xs * xs.T
    Je = vs * xs.T / X + vs * (P * sp.Matrix([int(t) for t in q])).T
    return T2cInstance("rank-one", np.asarray(x, dtype=np.float64), np.asarray(v, dtype=np.float64),
                       np.array(Je.evalf(30).tolist(), dtype=np.float64), Je)


def _int_vectors(n: int):
    return st.lists(st.integers(-3, 3), min_size=n, max_size=n)


def _t2c_rank_one_cases():
    """(x, v, q): integer vectors in [-3, 3], x in Z^d (d in 2..6) and v in Z^c (c in 1..4) not zero."""
    return st.tuples(st.integers(1, 4), st.integers(2, 6)).flatmap(lambda cd: st.tuples(
        _int_vectors(cd[1]).filter(any), _int_vectors(cd[0]).filter(any), _int_vectors(cd[1])))


@conjecture(id="T2", strategy=_t2c_rank_one_cases(), tol=0.0, expect="fails", planted=True, examples=(6, 40),
            to_case=lambda case: {"x": list(case[0]), "v": list(case[1]), "q": list(case[2])},
            from_case=lambda c: tuple([int(t) for t in c[k]] for k in ("x", "v", "q")))
def t2c_rank_one_blind_to_perp(case: tuple[list[int], list[int], list[int]]) -> float:
    """planted T2(c): every rank-one J with J x = v is blind to x's orthogonal complement.

    Rank one is not alignment: J = v (x / ||x||^2 + P q)^T has rank one and kernel (x/||x||^2 + P q)-perp.
    Residual: the exact ||J P_perp||_F / ||J||_F (sympy rationals; claimed 0)."""
    ex = t2c_exact(t2c_rank_one(*(np.asarray(t) for t in case)))
    return float(ex["misalignment"] / ex["fro"])


planted_t2c_rank_one_blind_to_perp = t2c_rank_one_blind_to_perp.check
"""Planted false: 'every rank-one J with J x = v is blind to x's orthogonal complement' (the conjecture's
search over integer x, v, q; decided in exact arithmetic). Expected: refuted."""
