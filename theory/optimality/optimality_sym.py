"""T1(c), T1(d), T1' and T2 (a)-(c) symbolically.

T1 after L1: {W x~ : ||W||_F^2 <= alpha} is the ball ||z|| <= R, R = sqrt(alpha X), so T1 is the convex
problem min l(z, y) s.t. ||z|| <= R (softmax cross-entropy and squared error are convex in z).

T1(c) derivation (c classes, m = c - 1 > 0): cross-entropy is invariant under z -> z + t 1, so a
minimiser has 1^T z = 0 (projecting onto 1's complement keeps the loss and shrinks the norm, and a slack
constraint could be used to raise the margin); it is permutation-symmetric in the classes k != y and
convex, so averaging a minimiser over those permutations gives a symmetric one: z_y = p, z_k = q with
p + m q = 0, p^2 + m q^2 = R^2. The KKT conditions grad l + 2 lam z = 0, lam >= 0, are checked below
for symbolic c and R; for a convex problem they are sufficient, and lam > 0 shows the constraint binds.
Uniqueness: every minimiser lies on the sphere (grad l = softmax(z) - e_y never vanishes), and a
convex set of minimisers on a sphere is one point.
"""

from __future__ import annotations

import sympy as sp
from normalign.theory.symcheck import minors_sq, prove_zero, sumsq, vec

from normalign.checks import Budget, CheckResult, Outcome

R = sp.Symbol("R", positive=True)
M = sp.Symbol("m", positive=True)  # m = c - 1 >= 1
C = M + 1


def t1c_logits(scale: sp.Expr | None = None) -> tuple[sp.Expr, sp.Expr]:
    """(z_y, z_k) of the claimed optimum z* = R s (e_y - 1/c), s = sqrt(c / (c - 1)) (or ``scale``)."""
    s = sp.sqrt(C / M) if scale is None else scale
    return R * s * (1 - 1 / C), -R * s / C


def t1c_residuals(scale: sp.Expr | None = None, loss_scale: sp.Expr | None = None) -> dict[str, sp.Expr]:
    """KKT, norm and loss residuals of T1(c) for symbolic c = m + 1 and R."""
    zy, zk = t1c_logits(scale)
    S = sp.exp(zy) + M * sp.exp(zk)
    py, pk = sp.exp(zy) / S, sp.exp(zk) / S
    lam = -pk / (2 * zk)  # from the k-component of grad l + 2 lam z = 0
    s_claim = sp.sqrt(C / M) if loss_scale is None else loss_scale
    return {
        "sum of logits (z on 1's complement)": zy + M * zk,
        "norm ||z*||^2 - R^2 (binding)": zy**2 + M * zk**2 - R**2,
        "KKT y-component p_y - 1 + 2 lam z_y": py - 1 + 2 * lam * zy,
        "KKT k-component p_k + 2 lam z_k": pk + 2 * lam * zk,
        "loss: exp(l(z*)) - (1 + (c-1) exp(-R s))": S * sp.exp(-zy) - (1 + M * sp.exp(-R * s_claim)),
        "multiplier lam - c exp(z_k) / (2 R s S)": lam - C * sp.exp(zk) / (2 * R * sp.sqrt(C / M) * S),
    }


def check_t1c_symbolic(budget: Budget) -> CheckResult:
    """T1(c): z* = R sqrt(c/(c-1)) (e_y - 1/c) satisfies KKT with lam = c e^{z_k} / (2 R s S) > 0
    (binding), and l(z*) = log(1 + (c-1) exp(-R sqrt(c/(c-1)))); symbolic in c and R."""
    res = prove_zero(t1c_residuals(), {}, "T1(c) cross-entropy optimum (symbolic c = m + 1, R)")
    zy, zk = t1c_logits()
    S = sp.exp(zy) + M * sp.exp(zk)
    lam = C * sp.exp(zk) / (2 * R * sp.sqrt(C / M) * S)
    if res.outcome == Outcome.VERIFIED and lam.is_positive is not True:
        return CheckResult(Outcome.INCONCLUSIVE, float("nan"), res.instances,
                           f"{res.detail}; sympy could not decide lam > 0 for {lam}")
    res.detail += f"; lam = {sp.simplify(lam)} is positive (sympy), so the constraint binds"
    return res


def planted_t1c_wrong_constant(budget: Budget) -> CheckResult:
    """Planted false: T1(c)'s loss with sqrt((c-1)/c) in place of sqrt(c/(c-1)). Expected: refuted."""
    return prove_zero({"loss with sqrt((c-1)/c)": t1c_residuals(loss_scale=sp.sqrt(M / C))[
        "loss: exp(l(z*)) - (1 + (c-1) exp(-R s))"]}, {M: 2, R: 1}, "planted T1(c) constant")


def check_t1d_symbolic(budget: Budget) -> CheckResult:
    """T1(d): squared error to e_y. R < 1: z = R e_y, KKT lam = (1 - R)/R >= 0, loss (1 - R)^2.
    R >= 1: z = e_y is feasible with loss 0, the global minimum of a non-negative loss (slack). A non-aligned minimiser for R > 1 (d = 2):
    W = e_y x~^T / X + t e_y' q^T with q = (1, 0, -x1) orthogonal to x~; W x~ = e_y and ||W||^2 = alpha
    for t^2 = (alpha - 1/X) / ||q||^2, real iff R^2 = alpha X >= 1, misalignment sqrt(alpha - 1/X)."""
    Rs = sp.Symbol("R", positive=True)
    lam = (1 - Rs) / Rs
    zy = Rs
    x1, x2 = sp.symbols("x1 x2", real=True)
    alpha = sp.Symbol("alpha", positive=True)
    a = sp.Matrix([x1, x2, 1])
    X = sumsq(a)
    q = sp.Matrix([1, 0, -x1])
    t = sp.sqrt((alpha - 1 / X) / sumsq(q))
    ey, ey2 = sp.Matrix([0, 1, 0]), sp.Matrix([1, 0, 0])  # c = 3, y = 1
    W = ey * a.T / X + t * ey2 * q.T
    P = sp.eye(3) - a * a.T / X
    return prove_zero({
        "KKT (R < 1): 2 (z_y - 1) + 2 lam z_y": 2 * (zy - 1) + 2 * lam * zy,
        "loss (R < 1): (z_y - 1)^2 - (1 - R)^2": (zy - 1) ** 2 - (1 - Rs) ** 2,
        "q orthogonal to x~": q.dot(a),
        "non-aligned minimiser: W x~ - e_y": W * a - ey,
        "non-aligned minimiser: ||W||^2 - alpha": sumsq(W) - alpha,
        "misalignment ||W P||^2 - (alpha - 1/X)": sumsq(W * P) - (alpha - 1 / X),
    }, {}, "T1(d) squared error: binding for R < 1, slack and non-unique for R > 1")


def check_t1p_symbolic(budget: Budget) -> CheckResult:
    """T1': z = u (v . x). Lagrange's identity ||v||^2 ||x||^2 - (v . x)^2 = sum of squared minors (d = 3),
    so ||z|| <= ||u|| ||v|| ||x|| <= alpha ||x||, with equality iff v is parallel to x; the aligned
    choice v = (alpha / ||u||) x / ||x|| reaches ||z|| = alpha ||x||."""
    u, v, x = vec("u", 2), vec("v", 3), vec("x", 3)
    alpha = sp.Symbol("alpha", positive=True)
    nu, nx = sp.sqrt(sumsq(u)), sp.sqrt(sumsq(x))
    va = alpha / nu * x / nx
    z = u * va.dot(x)
    return prove_zero({
        "Lagrange identity (v, x)": sumsq(v) * sumsq(x) - v.dot(x) ** 2 - minors_sq(v, x),
        "aligned v: ||u||^2 ||v||^2 - alpha^2": sumsq(u) * sumsq(va) - alpha**2,
        "aligned v: ||z||^2 - alpha^2 ||x||^2": sumsq(z) - alpha**2 * sumsq(x),
        "aligned v: minors of (v, x) vanish": minors_sq(va, x),
    }, {}, "T1' rank-one: ||u v^T x|| <= alpha ||x||, equality iff v || x")


def planted_t1p_bound_without_x(budget: Budget) -> CheckResult:
    """Planted false: 'with ||u|| ||v|| <= alpha the largest logit norm is alpha' (||x|| forgotten).
    Expected: refuted (the aligned choice reaches alpha ||x||)."""
    u, x = vec("u", 2), vec("x", 2)
    alpha = sp.Symbol("alpha", positive=True)
    nu, nx = sp.sqrt(sumsq(u)), sp.sqrt(sumsq(x))
    z = u * (alpha / nu * x / nx).dot(x)
    return prove_zero({"max ||z||^2 - alpha^2": sumsq(z) - alpha**2},
                      {u[0]: 1, u[1]: 0, x[0]: 2, x[1]: 0, alpha: 1}, "planted T1' bound")
