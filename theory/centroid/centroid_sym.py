"""Symbolic checks of P1 (normal alignment gives centroid alignment) and P2 (homogeneous networks).

P1: for ``J = u x^T`` (c x d), ``mu = J^T 1 = (1^T u) x``, so ``<mu, x> = (1^T u) ||x||^2`` and
``||mu|| ||x|| = |1^T u| ||x||^2``: CA = sign(1^T u) when ``1^T u != 0``.
P2: on a linear region of a bias-free ReLU network ``f(x) = A D W x`` (D the 0/1 pattern), so
``J x = f(x)`` and ``b = 0``; for a bias-free quadratic layer ``f(x) = a^T (W x)^2`` the Jacobian is
``J = 2 a^T diag(W x) W``, so ``J x = 2 f(x)`` and ``b = f - J x = -f``. For a scalar 1-homogeneous model
that fits ``f(x) = y`` with ``y^2 = 1``: ``y CA = y <grad f, x> / (||grad f|| ||x||) = y^2 / (...)``.
"""

from __future__ import annotations

import sympy as sp
from normalign.theory.symcheck import prove_zero, vec

from normalign.checks import Budget, CheckResult

C, D, K = 3, 3, 3
"""Dimensions of the explicit symbolic matrices (every entry its own symbol)."""


def _centroid_parts() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Expr]:
    u, x = vec("u", C), vec("x", D)
    J = u * x.T
    mu = J.T * sp.ones(C, 1)
    return u, x, mu, sum(u)


def check_p1_centroid_symbolic(budget: Budget) -> CheckResult:
    """mu = (1^T u) x, <mu, x> = (1^T u)||x||^2, ||mu||^2 ||x||^2 = (1^T u)^2 ||x||^4 (so CA^2 = 1 and
    the sign of CA is that of 1^T u)."""
    u, x, mu, s = _centroid_parts()
    xx = (x.T * x)[0]
    res = {
        "mu - (1^T u) x": mu - s * x,
        "<mu, x> - (1^T u) ||x||^2": (mu.T * x)[0] - s * xx,
        "||mu||^2 ||x||^2 - (1^T u)^2 ||x||^4": (mu.T * mu)[0] * xx - s**2 * xx**2,
    }
    return prove_zero(res, _witness(u, x), f"P1 with c = {C}, d = {D}")


def planted_p1_norm_of_u(budget: Budget) -> CheckResult:
    """Planted: 'mu = (u^T u) x' (the sum 1^T u replaced by the squared norm of u)."""
    u, x, mu, _ = _centroid_parts()
    return prove_zero({"mu - (u^T u) x": mu - (u.T * u)[0] * x}, _witness(u, x), "planted P1")


def _pattern_network() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix]:
    x = vec("x", D)
    W = sp.Matrix(K, D, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    A = sp.Matrix(C, K, lambda i, j: sp.Symbol(f"a{i}{j}", real=True))
    q = sp.diag(*sp.symbols(f"q1:{K + 1}", real=True))  # any fixed slopes on the region
    return x, W, A, q


def check_p2_euler_symbolic(budget: Budget) -> CheckResult:
    """Bias-free region map ``f = A Q W x``: ``J x - f = 0`` and ``b = f - J x = 0``; quadratic layer:
    ``J x - 2 f = 0`` and ``b + f = 0``; scalar fit: ``y CA - 1 / (||grad f|| ||x||) = 0`` given
    ``<grad f, x> = f = y`` and ``y^2 = 1``."""
    x, W, A, q = _pattern_network()
    f = A * q * W * x
    J = f.jacobian(x)
    a = vec("a", K)
    fq = sum(a[k] * (W.row(k) * x)[0] ** 2 for k in range(K))
    Jq = sp.Matrix([fq]).jacobian(x)
    g = vec("g", D)
    y = sp.Symbol("y", real=True)
    nx, ng = sp.sqrt((x.T * x)[0]), sp.sqrt((g.T * g)[0])
    ca = (g.T * x)[0] / (ng * nx)
    fit = (y * ca - 1 / (ng * nx)).subs((g.T * x)[0], y)  # Euler: <grad f, x> = f(x) = y
    fit = sp.simplify(fit.subs(y**2, 1))
    res = {"ReLU: J x - f": J * x - f, "quadratic: J x - 2 f": Jq * x - sp.Matrix([2 * fq]),
           "scalar fit (y = +-1)": sp.Matrix([fit.subs(y, 1), fit.subs(y, -1)])}
    return prove_zero(res, {**dict(zip(x, (1, 2, 3)))}, "P2 (c = K = d = 3)")


def planted_p2_quadratic_degree_one(budget: Budget) -> CheckResult:
    """Planted: 'a bias-free quadratic layer is 1-homogeneous (J x = f)'."""
    x, W, _, _ = _pattern_network()
    a = vec("a", K)
    fq = sum(a[k] * (W.row(k) * x)[0] ** 2 for k in range(K))
    Jq = sp.Matrix([fq]).jacobian(x)
    wit = {s: sp.Rational(i + 1, 3) for i, s in enumerate(sorted(fq.free_symbols, key=str))}
    return prove_zero({"quadratic: J x - f": Jq * x - sp.Matrix([fq])}, wit, "planted P2")


def _witness(u: sp.Matrix, x: sp.Matrix) -> dict[sp.Symbol, sp.Rational]:
    return {**{s: sp.Rational(i + 2, 3) for i, s in enumerate(u)}, **{s: sp.Rational(1, i + 2) for i, s in enumerate(x)}}
