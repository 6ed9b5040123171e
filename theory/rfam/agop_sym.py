"""R1 identity, symbolically: the AGOP of a normal-aligned predictor is a weighted data second moment.

If J(x_i) = u_i x_i^T (u_i in R^c, x_i in R^d) then J_i^T J_i = x_i u_i^T u_i x_i^T = ||u_i||^2 x_i x_i^T, so

    AGOP = (1/n) sum_i J_i^T J_i = (1/n) sum_i ||u_i||^2 x_i x_i^T.

Two symbolic routes: (1) entrywise with indexed symbols and *symbolic* sizes c (Sum over k = 1..c):
(J^T J)_{ab} = sum_k u_k x_a u_k x_b - x_a x_b sum_k u_k^2 simplifies to 0 for every c (the identity for
one point; the average over points is linear); (2) explicit sympy matrices of small concrete sizes
(n, c, d), every entry expanded to 0. The planted variant with weights ||u_i|| (not squared) leaves a
non-zero difference, and a concrete rational substitution exhibits it.
"""

from __future__ import annotations

import sympy as sp

from normalign.checks import Budget, CheckResult, Outcome


def _aligned_case(n: int, c: int, d: int) -> tuple[list[sp.Matrix], list[sp.Matrix], list[sp.Matrix]]:
    us = [sp.Matrix(c, 1, lambda k, _j, i=i: sp.Symbol(f"u{i}_{k}", real=True)) for i in range(n)]
    xs = [sp.Matrix(d, 1, lambda a, _j, i=i: sp.Symbol(f"x{i}_{a}", real=True)) for i in range(n)]
    Js = [u * x.T for u, x in zip(us, xs)]  # J_i = u_i x_i^T (c x d)
    return us, xs, Js


def agop_difference(n: int, c: int, d: int, weight_power: int = 2) -> sp.Matrix:
    """AGOP - (1/n) sum_i ||u_i||^weight_power x_i x_i^T for symbolic aligned Jacobians (expanded)."""
    if min(n, c, d) < 1:
        raise ValueError("n, c, d must be >= 1")
    us, xs, Js = _aligned_case(n, c, d)
    G = sum((J.T * J for J in Js), sp.zeros(d, d)) / n
    w = [sp.sqrt((u.T * u)[0, 0]) ** weight_power for u in us]
    rhs = sum((wi * x * x.T for wi, x in zip(w, xs)), sp.zeros(d, d)) / n
    return (G - rhs).applyfunc(sp.expand)


def general_entry_difference() -> sp.Expr:
    """Entry (a, b) of J^T J - ||u||^2 x x^T for J = u x^T with a symbolic number c of outputs."""
    c = sp.Symbol("c", integer=True, positive=True)
    k, a, b = sp.symbols("k a b", integer=True)
    u, x = sp.IndexedBase("u", real=True), sp.IndexedBase("x", real=True)
    J = lambda row, col: u[row] * x[col]  # noqa: E731 - J_{k a} = u_k x_a
    lhs = sp.Sum(J(k, a) * J(k, b), (k, 1, c))
    rhs = sp.Sum(u[k] ** 2, (k, 1, c)) * x[a] * x[b]
    return sp.simplify(lhs - rhs)


def check_agop_identity_symbolic(budget: Budget) -> CheckResult:
    """R1 identity: symbolic-c entrywise proof, and expanded explicit matrices of small sizes."""
    general = general_entry_difference()
    sizes = [(1, 1, 1), (2, 2, 2), (2, 3, 2)] + ([(3, 2, 3), (3, 3, 3)] if budget.full else [])
    nonzero = {s: sum(1 for e in agop_difference(*s) if e != 0) for s in sizes}
    bad = [s for s, k in nonzero.items() if k]
    if general != 0 or bad:
        return CheckResult(Outcome.REFUTED, float(len(bad) + (general != 0)), len(sizes) + 1,
                           f"symbolic difference not zero: general entry {general}; sizes {bad}",
                           [{"general_entry": str(general), "sizes": [list(s) for s in bad]}])
    return CheckResult(Outcome.VERIFIED, 0.0, len(sizes) + 1,
                       "J^T J - ||u||^2 x x^T simplifies to 0 entrywise for symbolic c; AGOP - (1/n) sum ||u_i||^2 "
                       f"x_i x_i^T expands to 0 for (n, c, d) in {sizes}")


def planted_agop_identity_symbolic(budget: Budget) -> CheckResult:
    """Planted: AGOP = (1/n) sum ||u_i|| x_i x_i^T. Refuted with an explicit rational counterexample."""
    n, c, d = 1, 2, 1
    diff = agop_difference(n, c, d, weight_power=1)
    subs = {sp.Symbol("u0_0", real=True): 3, sp.Symbol("u0_1", real=True): 4, sp.Symbol("x0_0", real=True): 1}
    value = sp.nsimplify(diff[0, 0].subs(subs))  # 25 - 5 = 20
    if value != 0:
        return CheckResult(Outcome.REFUTED, float(abs(value)), 1,
                           "AGOP - (1/n) sum ||u_i|| x_i x_i^T at u = (3, 4), x = 1 equals "
                           f"{value} (= ||u||^2 - ||u||)",
                           [{"n": n, "c": c, "d": d, "u": [3, 4], "x": [1], "difference": str(value)}])
    return CheckResult(Outcome.VERIFIED, 0.0, 1, "planted identity was not refuted (it should have been)")
