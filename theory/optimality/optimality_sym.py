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

import numpy as np
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


EY, EK = sp.symbols("E_y E_k", positive=True)
"""Stand-ins for exp(z_y), exp(z_k) in the KKT residuals: those residuals are rational functions of the
two exponentials, so an identity in positive E_y, E_k holds in particular at E = exp(z) (and sympy
decides rational identities far faster than ones with exp of radicals). The loss keeps exp itself."""


def ce_gradient(ey: sp.Expr, ek: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(p_y - 1, p_k, S): the y- and k-components of grad l = softmax(z) - e_y at a symmetric z with
    exp(z_y) = ``ey`` and exp(z_k) = ``ek`` (for the m classes k != y), and S = ey + m ek."""
    S = ey + M * ek
    return ey / S - 1, ek / S, S


def projected_multiplier(zy: sp.Expr, zk: sp.Expr, ey: sp.Expr, ek: sp.Expr) -> sp.Expr:
    """lam = -<grad l, z> / (2 ||z||^2): the multiplier that makes grad l + 2 lam z orthogonal to z.
    It uses every component of the KKT system and none of its conclusions, so at a point where
    grad l is NOT parallel to z, both the y- and the k-component of grad l + 2 lam z stay non-zero."""
    gy, gk, _ = ce_gradient(ey, ek)
    return -(gy * zy + M * gk * zk) / (2 * (zy**2 + M * zk**2))


def derived_t1c_logits() -> tuple[tuple[sp.Expr, sp.Expr], tuple[sp.Expr, sp.Expr], sp.Expr]:
    """Derive z* instead of assuming it. On the symmetric ansatz z = (z_y, z_k, ..., z_k), summing the
    KKT components gives 2 lam 1^T z (softmax sums to 1, see ``t1c_residuals``), so lam > 0 forces
    1^T z = 0; binding gives ||z|| = R. sympy.solve of {z_y + m z_k = 0, z_y^2 + m z_k^2 = R^2} has two
    roots; the multiplier of exactly one is positive (the minimiser; the other is the maximiser, lam < 0).
    Returns (the root with lam > 0, the other root, lam at the first)."""
    p, q = sp.symbols("p q", real=True)
    roots = [(sp.simplify(r[p]), sp.simplify(r[q]))
             for r in sp.solve([p + M * q, p**2 + M * q**2 - R**2], [p, q], dict=True)]
    if len(roots) != 2:
        raise ValueError(f"expected two roots, got {roots}")
    lams = [sp.simplify(projected_multiplier(*r, sp.exp(r[0]), sp.exp(r[1]))) for r in roots]
    pos = [i for i, lam in enumerate(lams) if lam.is_positive is True]
    neg = [i for i, lam in enumerate(lams) if lam.is_negative is True]
    if len(pos) != 1 or len(neg) != 1:
        raise ValueError(f"could not decide the multipliers' signs: {lams}")
    return roots[pos[0]], roots[neg[0]], lams[pos[0]]


def t1c_residuals(scale: sp.Expr | None = None, loss_scale: sp.Expr | None = None) -> dict[str, sp.Expr]:
    """Residuals of T1(c) for symbolic c = m + 1 and R: the derived optimum (``derived_t1c_logits``)
    against the stated closed form (``t1c_logits(scale)``), the KKT components at the stated logits with
    the multiplier from the projection (``projected_multiplier``: neither component defines it, so each
    residual is a test), the multiplier against its stated closed form, the norm (binding) and the loss."""
    (dy, dk), _, _ = derived_t1c_logits()
    zy, zk = t1c_logits(scale)
    gy, gk, S = ce_gradient(EY, EK)
    lam = projected_multiplier(zy, zk, EY, EK)
    s_claim = sp.sqrt(C / M) if loss_scale is None else loss_scale
    g_zy, g_zk, g_lam = sp.symbols("zeta_y zeta_k lambda", real=True)
    sy, sk, _ = ce_gradient(EY, EK)
    return {
        "KKT sum (any z, lam): sum_k (grad l + 2 lam z)_k - 2 lam 1^T z":
            (sy + 2 * g_lam * g_zy) + M * (sk + 2 * g_lam * g_zk) - 2 * g_lam * (g_zy + M * g_zk),
        "derived z_y - stated z_y": dy - zy,
        "derived z_k - stated z_k": dk - zk,
        "norm ||z*||^2 - R^2 (binding)": zy**2 + M * zk**2 - R**2,
        "KKT y-component p_y - 1 + 2 lam z_y": gy + 2 * lam * zy,
        "KKT k-component p_k + 2 lam z_k": gk + 2 * lam * zk,
        "multiplier lam - c exp(z_k) / (2 R s S)": lam - C * EK / (2 * R * sp.sqrt(C / M) * S),
        "loss: exp(l(z*)) - (1 + (c-1) exp(-R s))":
            (sp.exp(zy) + M * sp.exp(zk)) * sp.exp(-zy) - (1 + M * sp.exp(-R * s_claim)),
    }


def t1c_witness() -> dict[sp.Symbol, sp.Expr]:
    """Where a residual of ``t1c_residuals`` that does not simplify to 0 is evaluated (c = 3, R = 1): the
    stand-ins E_y, E_k take the values exp(z_y), exp(z_k) of the stated logits there, so a wrong claim
    is refuted at a real point, not left undecided."""
    zy, zk = t1c_logits()
    at = {M: 2, R: 1}
    g_zy, g_zk, g_lam = sp.symbols("zeta_y zeta_k lambda", real=True)
    return {**at, EY: sp.exp(zy.subs(at)), EK: sp.exp(zk.subs(at)), g_zy: sp.Rational(1, 2),
            g_zk: sp.Rational(-1, 3), g_lam: 2}


T1C_NUMPY_POINTS: tuple[tuple[int, sp.Rational], ...] = ((2, sp.Rational(1, 3)), (3, sp.Rational(3, 2)), (5, sp.Integer(4)))
"""(c, R) at which the derived optimum is compared with the product's closed forms
(``minnorm.optimal_logits``, ``minnorm.optimal_loss``)."""


def check_t1c_symbolic(budget: Budget) -> CheckResult:
    """T1(c), derived rather than assumed: the KKT system on the symmetric ansatz, solved with sympy
    (``derived_t1c_logits``: 1^T z = 0 from the KKT sum, the norm from binding, the root with lam > 0),
    equals the stated z* = R sqrt(c/(c-1)) (e_y - 1/c); the KKT components hold with the multiplier
    from the projection onto z, which equals c e^{z_k} / (2 R s S) > 0 (binding); the loss is
    log(1 + (c-1) exp(-R sqrt(c/(c-1)))); symbolic in c and R. Then the derived optimum, evaluated at
    (c, R) in ``T1C_NUMPY_POINTS``, must equal the product's closed forms (``normalign.numerics.maths.
    minnorm``), within CLOSED_FORM_TOL."""
    from normalign.numerics.maths import minnorm as mn
    from normalign.numerics.tolerances import CLOSED_FORM_TOL

    try:
        (dy, dk), (oy, ok), lam = derived_t1c_logits()
    except ValueError as exc:
        return CheckResult(Outcome.INCONCLUSIVE, float("nan"), 0, f"T1(c): {exc}")
    res = prove_zero(t1c_residuals(), t1c_witness(), "T1(c) cross-entropy optimum (symbolic c = m + 1, R)")
    if res.outcome != Outcome.VERIFIED:
        return res
    worst, bad = 0.0, []
    for c, Rv in T1C_NUMPY_POINTS:
        sub = {M: c - 1, R: Rv}
        z = np.array([float(dy.subs(sub))] + [float(dk.subs(sub))] * (c - 1))
        loss = float(sp.log(1 + (c - 1) * sp.exp(-Rv * sp.sqrt(sp.Rational(c, c - 1)))).evalf(30))
        zp, lp = mn.optimal_logits("ce", c, 0, float(Rv)), mn.optimal_loss("ce", c, float(Rv))
        r = max(float(np.abs(zp - z).max() / (1 + float(Rv))), abs(lp - loss) / (1 + loss),
                abs(mn.loss_value("ce", z, 0) - loss) / (1 + loss))
        worst = max(worst, r)
        if not r <= CLOSED_FORM_TOL:
            bad.append({"c": c, "R": str(Rv), "derived": z, "product_logits": zp, "product_loss": lp, "loss": loss})
    detail = (f"{res.detail}; derived root z_y = {dy}, z_k = {dk} (the other root, z_y = {oy}, has lam < 0); "
              f"lam = {lam} > 0, so the constraint binds; product closed forms at (c, R) in "
              f"{[(c, str(r)) for c, r in T1C_NUMPY_POINTS]}: worst {worst:.1e} (tol {CLOSED_FORM_TOL:.1e})")
    if bad:
        return CheckResult(Outcome.REFUTED, worst, res.instances, detail, bad, tolerance=CLOSED_FORM_TOL)
    return CheckResult(Outcome.VERIFIED, 0.0, res.instances, detail)


def planted_t1c_wrong_constant(budget: Budget) -> CheckResult:
    """Planted false: T1(c)'s loss with sqrt((c-1)/c) in place of sqrt(c/(c-1)). Expected: refuted."""
    return prove_zero({"loss with sqrt((c-1)/c)": t1c_residuals(loss_scale=sp.sqrt(M / C))[
        "loss: exp(l(z*)) - (1 + (c-1) exp(-R s))"]}, {M: 2, R: 1}, "planted T1(c) constant")


def planted_t1c_one_hot(budget: Budget) -> CheckResult:
    """Planted false: 'the cross-entropy optimum on the ball is z* = R e_y' (one-hot, not centred).
    The KKT components with the projected multiplier do not vanish (grad l is not parallel to e_y).
    Expected: refuted."""
    zy, zk = R, sp.Integer(0)
    gy, gk, _ = ce_gradient(sp.exp(zy), sp.exp(zk))
    lam = projected_multiplier(zy, zk, sp.exp(zy), sp.exp(zk))
    return prove_zero({"KKT y-component": gy + 2 * lam * zy, "KKT k-component": gk + 2 * lam * zk},
                      {M: 2, R: 1}, "planted T1(c) optimum R e_y")


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
