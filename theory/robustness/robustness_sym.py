"""Symbolic checks of T2 (sympy): boundary distance, sensitivity, invariance."""

from __future__ import annotations

import sympy as sp
from normalign.theory.symcheck import minors_sq, prove_zero, sumsq, vec

from normalign.checks import Budget, CheckResult

R = sp.Symbol("R", positive=True)
M = sp.Symbol("m", positive=True)  # m = c - 1 >= 1
C = M + 1


def check_t2a_symbolic(budget: Budget) -> CheckResult:
    """T2(a) (d = 3): the distance from x to {x' : g . x' + beta = 0} is |g . x + beta| / ||g|| (the
    projection x' = x - (g.x + beta) g / ||g||^2 lies on it, x - x' is parallel to g); for a row
    difference g with g . x = v_y - v_k, Lagrange's identity gives ||g||^2 ||x||^2 >= (v_y - v_k)^2, i.e.
    rho <= ||x|| (z_y - z_k) / |v_y - v_k|; for the aligned J = v x^T / ||x||^2 it is an equality."""
    g, x = vec("g", 3), vec("x", 3)
    beta = sp.Symbol("beta", real=True)
    vy, vk = sp.symbols("v_y v_k", real=True)
    xp = x - (g.dot(x) + beta) * g / sumsq(g)
    gal = (vy - vk) * x / sumsq(x)  # aligned row difference
    return prove_zero({
        "projection on the plane": g.dot(xp) + beta,
        "squared distance": sumsq(x - xp) - (g.dot(x) + beta) ** 2 / sumsq(g),
        "Cauchy-Schwarz gap as squares": sumsq(g) * sumsq(x) - g.dot(x) ** 2 - minors_sq(g, x),
        "aligned: g . x - (v_y - v_k)": gal.dot(x) - (vy - vk),
        "aligned: ||g||^2 - (v_y - v_k)^2 / ||x||^2": sumsq(gal) - (vy - vk) ** 2 / sumsq(x),
    }, {}, "T2(a) boundary distance bound and equality")


def planted_t2a_equality_any_j(budget: Budget) -> CheckResult:
    """Planted false: 'rho equals the bound for every J with J x = v' (d = 2, row difference
    g = (v_y - v_k) x / ||x||^2 + t x_perp). Expected: refuted."""
    x1, x2, t, dv = sp.symbols("x1 x2 t dv", real=True)
    x = sp.Matrix([x1, x2])
    g = dv * x / sumsq(x) + t * sp.Matrix([-x2, x1])
    return prove_zero({"||g||^2 - dv^2 / ||x||^2": sumsq(g) - dv**2 / sumsq(x)},
                      {x1: 1, x2: 1, t: 1, dv: 1}, "planted T2(a) equality for every J")


def check_t2b_symbolic(budget: Budget) -> CheckResult:
    """T2(b): E||J delta||^2 = sigma^2 ||J||_F^2 for E[delta_i delta_j] = sigma^2 [i = j] (c = 2, d = 3:
    expand, replace each monomial delta_i delta_j by its expectation). Spectral non-uniqueness (c = d = 2):
    J = v x^T / ||x||^2 + t w q^T with w = (-v2, v1), q = (-x2, x1) has J x = v,
    J^T J = ||v||^2 x x^T / ||x||^4 + t^2 ||v||^2 q q^T (so ||J||_2 = ||v|| / ||x|| for t^2 <= 1/||x||^4)
    and det J = t ||v||^2 (rank 2 for t != 0)."""
    J = sp.Matrix(2, 3, sp.symbols("j1:7", real=True))
    dl = vec("delta", 3)
    sigma = sp.Symbol("sigma", positive=True)
    quad = sp.Poly(sp.expand(sumsq(J * dl)), *dl)
    # every monomial has degree 2: delta_i^2 has expectation sigma^2, delta_i delta_j (i != j) has 0
    expect = sum(coef * sigma**2 for mon, coef in quad.terms() if max(mon) == 2)
    v1, v2, x1, x2, t = sp.symbols("v1 v2 x1 x2 t", real=True)
    v, x = sp.Matrix([v1, v2]), sp.Matrix([x1, x2])
    w, q = sp.Matrix([-v2, v1]), sp.Matrix([-x2, x1])
    Js = v * x.T / sumsq(x) + t * w * q.T
    return prove_zero({
        "E||J delta||^2 - sigma^2 ||J||_F^2": expect - sigma**2 * sumsq(J),
        "J x - v": Js * x - v,
        "J^T J - (||v||^2 x x^T / ||x||^4 + t^2 ||v||^2 q q^T)":
            Js.T * Js - (sumsq(v) * x * x.T / sumsq(x) ** 2 + t**2 * sumsq(v) * q * q.T),
        "x orthogonal to q": x.dot(q),
        "det J - t ||v||^2": Js.det() - t * sumsq(v),
    }, {}, "T2(b) sensitivity identity and spectral non-uniqueness")


def check_t2c_symbolic(budget: Budget) -> CheckResult:
    """T2(c) (c = 2, d = 3): the aligned J = v x^T / ||x||^2 maps x to v and annihilates the two
    independent vectors (-x2, x1, 0), (-x3, 0, x1) of x's orthogonal complement (x1 != 0): its kernel
    has dimension d - 1 = 2 and is x's orthogonal complement; rank-nullity gives the rest."""
    v, x = vec("v", 2), vec("x", 3)
    J = v * x.T / sumsq(x)
    p1, p2 = sp.Matrix([-x[1], x[0], 0]), sp.Matrix([-x[2], 0, x[0]])
    gram = sp.Matrix([[p1.dot(p1), p1.dot(p2)], [p2.dot(p1), p2.dot(p2)]])
    return prove_zero({
        "J x - v": J * x - v,
        "J p1": J * p1,
        "J p2": J * p2,
        "p1 . x": p1.dot(x),
        "p2 . x": p2.dot(x),
        "det Gram(p1, p2) - x1^2 ||x||^2 (independent iff x1 != 0)": gram.det() - x[0] ** 2 * sumsq(x),
    }, {}, "T2(c) kernel of the aligned J")
