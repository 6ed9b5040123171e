"""L1 (minimum-norm lemma) symbolically.

Statement: min ||W||_F^2 s.t. W x~ = z equals ||z||^2 / X (X = ||x~||^2 = ||x||^2 + 1), only at
W = z x~^T / X; bias-free the same with x (x != 0).

Proof checked here, row by row (row w of W, target z_r = w . a, a = x~ or x):
1. Lagrange's identity ||w||^2 ||a||^2 - (w . a)^2 = sum_{i<j} (w_i a_j - w_j a_i)^2, expanded for
   n = 2..5 and proved for every n by induction (base n = 1; the step is a sympy identity in the
   running sums A = sum a_i^2, B = sum b_i^2, C = sum a_i b_i, with the sum-linearity lemma proved on
   symbolic ``Sum`` objects). So ||w||^2 >= z_r^2 / ||a||^2, with equality iff every 2x2 minor of
   (w, a) vanishes, i.e. w is parallel to a (a != 0; for x~ always, its last entry is 1).
2. The Lagrange system of a general symbolic W (c = 2, d = 3) solved with sympy: exactly one solution,
   W = z a^T / X with mu = z / X and value ||z||^2 / X (derived, not assumed); the product's
   ``minnorm_map`` / ``minnorm_value`` agree with it at a rational point.
3. Pythagoras for general d, in Gram quantities: w = (z_r / X) a + p with p . a = s gives
   ||w||^2 = z_r^2 / X + 2 z_r s / X + ||p||^2, which is z_r^2 / X + ||p||^2 on the constraint s = 0;
   the gap ||w||^2 X - (w . a)^2 equals ||p||^2 X - s^2 (= ||p||^2 X on the constraint).
"""

from __future__ import annotations

import sympy as sp
from normalign.theory.symcheck import minors_sq, prove_zero, sumsq, vec

from normalign.checks import Budget, CheckResult, Outcome


def lagrange_identity_residual(n: int) -> sp.Expr:
    """(sum a^2)(sum b^2) - (sum ab)^2 - sum_{i<j} (a_i b_j - a_j b_i)^2 for explicit n."""
    a, b = vec("a", n), vec("b", n)
    return sumsq(a) * sumsq(b) - (a.dot(b)) ** 2 - minors_sq(a, b)


def check_l1_lagrange_identity_small(budget: Budget) -> CheckResult:
    """Lagrange's identity expanded for n = 2..5 (n = 2..7 at full budget)."""
    ns = range(2, 8 if budget.full else 6)
    return prove_zero({f"lagrange identity n={n}": lagrange_identity_residual(n) for n in ns}, {},
                      f"L1 row-wise Cauchy-Schwarz gap as a sum of squares, n in {list(ns)}")


def check_l1_lagrange_identity_induction(budget: Budget) -> CheckResult:
    """Lagrange's identity for every n, by induction. Base n = 1; step: with A, B, C the sums over the
    first n coordinates, S_n their sum of squared minors and IH: A B - C^2 = S_n, appending (a, b) gives
    S_{n+1} = S_n + sum_i (a_i b - a b_i)^2 and sum_i (a_i b - a b_i)^2 = b^2 A - 2 a b C + a^2 B
    (linearity of finite sums, proved on sympy Sum objects); the step identity then holds exactly."""
    i, n = sp.symbols("i n", integer=True, positive=True)
    ai, bi = sp.IndexedBase("a"), sp.IndexedBase("b")
    a, b, A, B, C = sp.symbols("a b A B C", real=True)
    a1, b1 = sp.symbols("a_1 b_1", real=True)
    base = a1**2 * b1**2 - (a1 * b1) ** 2 - 0
    summed = sp.Sum(sp.expand((ai[i] * b - a * bi[i]) ** 2), (i, 1, n)).expand()
    linear = sp.factor_terms(summed) - (b**2 * sp.Sum(ai[i] ** 2, (i, 1, n))
                                        - 2 * a * b * sp.Sum(ai[i] * bi[i], (i, 1, n))
                                        + a**2 * sp.Sum(bi[i] ** 2, (i, 1, n)))
    S_n = A * B - C**2  # induction hypothesis
    step = (A + a**2) * (B + b**2) - (C + a * b) ** 2 - (S_n + b**2 * A - 2 * a * b * C + a**2 * B)
    return prove_zero({"base n=1": base, "sum linearity": linear, "induction step": step}, {},
                      "L1: Lagrange's identity for all n (induction)")


def l1_lagrange_solution(c: int = 2, d: int = 3, bias: bool = True
                         ) -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix, list[dict[sp.Symbol, sp.Expr]]]:
    """Derive L1's minimiser instead of assuming it: for a general symbolic W (c x m, m = d + 1 with
    bias) and multipliers mu (c), solve the Lagrange system of min ||W||_F^2 s.t. W a = z,

        grad_W (||W||_F^2 - 2 mu^T (W a - z)) = 2 W - 2 mu a^T = 0,    W a = z,

    with ``sympy.solve`` (a linear system in the c m + c unknowns). Returns (x, z, a, W, solutions)."""
    x, z = vec("x", d), vec("z", c)
    a = x.col_join(sp.Matrix([1])) if bias else x
    m = a.shape[0]
    W = sp.Matrix(c, m, sp.symbols(f"w1:{c * m + 1}", real=True))
    mu = vec("mu", c)
    stationarity = list(W - mu * a.T)
    feasibility = list(W * a - z)
    sols = sp.solve(stationarity + feasibility, list(W) + list(mu), dict=True)
    return x, z, a, W, sols


def l1_closed_form_residuals(c: int = 2, d: int = 3, bias: bool = True) -> dict[str, sp.Expr | sp.Matrix]:
    """Residuals of L1 for symbolic x in R^d, z in R^c: the solved Lagrange system
    (``l1_lagrange_solution``) against the stated minimiser z a^T / ||a||^2, its multiplier z / ||a||^2
    and value ||z||^2 / ||a||^2; ``solutions`` counts the solutions found (exactly one is claimed)."""
    x, z, a, W, sols = l1_lagrange_solution(c, d, bias)
    X = sumsq(a)
    if len(sols) != 1:
        return {"number of Lagrange solutions - 1": sp.Integer(len(sols) - 1)}
    sol = sols[0]
    Ws = W.subs(sol)
    mu = vec("mu", c).subs(sol)
    free = Ws.free_symbols - set(x) - set(z)
    return {
        "solved W - z a^T / X": Ws - z * a.T / X,
        "solved mu - z / X": mu - z / X,
        "value ||W||^2 - ||z||^2 / X": sumsq(Ws) - sumsq(z) / X,
        "unknowns left free by the solution (uniqueness)": sp.Integer(len(free)),
    }


def check_l1_closed_form(budget: Budget) -> CheckResult:
    """L1's minimiser derived, not assumed: sympy.solve of the Lagrange system for a general W has one
    solution, W = z a^T / ||a||^2 with value ||z||^2 / ||a||^2 (with and without bias; c = 2, d = 3).
    The objective is strictly convex (Hessian 2 I) and the constraint affine, so the unique stationary
    point is the unique minimiser. Then the product's ``minnorm.minnorm_map`` / ``minnorm_value`` at a
    rational point must equal the solved W and value (CLOSED_FORM_TOL)."""
    import numpy as np
    from normalign.numerics.maths import minnorm as mn
    from normalign.numerics.tolerances import CLOSED_FORM_TOL

    res: dict[str, sp.Expr | sp.Matrix] = {}
    worst, bad = 0.0, []
    point: dict[sp.Symbol, sp.Expr] = {}  # a rational point: the product is compared there, and a residual
    for bias in (True, False):            # that does not simplify to 0 is evaluated there (refuted if != 0)
        tag = "bias" if bias else "bias-free"
        res.update({f"{k} ({tag})": v for k, v in l1_closed_form_residuals(2, 3, bias).items()})
        x, z, _, W, sols = l1_lagrange_solution(2, 3, bias)
        point = {**dict(zip(x, (sp.Rational(3, 2), -2, sp.Rational(1, 3)))), **dict(zip(z, (1, sp.Rational(-5, 4))))}
        if len(sols) != 1:
            continue
        Wv = np.array(W.subs(sols[0]).subs(point).evalf(30).tolist(), dtype=np.float64)
        xf = np.array([float(point[s]) for s in x])
        zf = np.array([float(point[s]) for s in z])
        r = max(float(np.abs(mn.minnorm_map(xf, zf, bias) - Wv).max() / np.abs(Wv).max()),
                abs(mn.minnorm_value(xf, zf, bias) - float(np.sum(Wv * Wv))) / float(np.sum(Wv * Wv)))
        worst = max(worst, r)
        if not r <= CLOSED_FORM_TOL:
            bad.append({"bias": bias, "x": xf, "z": zf, "solved_W": Wv, "product_W": mn.minnorm_map(xf, zf, bias)})
    out = prove_zero(res, point, "L1 Lagrange system solved for a general W")
    if out.outcome != Outcome.VERIFIED:
        return out
    out.detail += f"; product minnorm_map / minnorm_value at a rational point: worst {worst:.1e} (tol {CLOSED_FORM_TOL:.1e})"
    if bad:
        return CheckResult(Outcome.REFUTED, worst, out.instances, out.detail, bad, tolerance=CLOSED_FORM_TOL)
    return out


def check_l1_pythagoras_general(budget: Budget) -> CheckResult:
    """L1 for general d via Gram quantities (X = ||a||^2, s = p . a, P = ||p||^2, zr = w . a target)."""
    X, P = sp.symbols("X P", positive=True)
    s, zr, t = sp.symbols("s z_r t", real=True)
    # w = (zr / X) a + p : ||w||^2 = zr^2 X / X^2 + 2 (zr / X) s + P
    norm_w = zr**2 / X + 2 * zr * s / X + P
    w_dot_a = zr + s
    return prove_zero({
        "Pythagoras on the constraint (s = 0)": (norm_w - (zr**2 / X + P)).subs(s, 0),
        "gap ||w||^2 X - (w.a)^2 = P X - s^2": norm_w * X - w_dot_a**2 - (P * X - s**2),
        "gap of an aligned row (p = 0) is 0": (norm_w * X - w_dot_a**2).subs({P: 0, s: 0}),
    }, {}, "L1 for general d: ||W||^2 = ||z||^2 / X + ||N||^2 with N x~ = 0")


def planted_l1_value_without_bias_term(budget: Budget) -> CheckResult:
    """Planted false: 'with the bias, min ||J||^2 + ||b||^2 s.t. J x + b = z equals ||z||^2 / ||x||^2'
    (the +1 of x~ forgotten). Expected: refuted."""
    x, z = vec("x", 2), vec("z", 2)
    a = x.col_join(sp.Matrix([1]))
    W = z * a.T / sumsq(a)
    witness = {x[0]: 1, x[1]: 2, z[0]: 1, z[1]: -1}
    return prove_zero({"value - ||z||^2/||x||^2": sumsq(W) - sumsq(z) / sumsq(x)}, witness,
                      "planted L1 value without the +1")
