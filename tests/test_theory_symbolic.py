"""Symbolic checks (sympy) of L1, T1(c), T1(d), T1', T2: identities proved, planted variants refuted."""

from __future__ import annotations

import pytest
import sympy as sp

from normalign.checks import Budget, Outcome
from normalign.theory.optimality import minnorm_sym as L
from normalign.theory.optimality import optimality_sym as O
from normalign.theory.robustness import robustness_sym as R
from normalign.theory.symcheck import prove_zero

HOLDS = [
    ("L1", L.check_l1_lagrange_identity_small), ("L1", L.check_l1_lagrange_identity_induction),
    ("L1", L.check_l1_closed_form), ("L1", L.check_l1_pythagoras_general),
    ("T1", O.check_t1c_symbolic), ("T1", O.check_t1d_symbolic), ("T1'", O.check_t1p_symbolic),
    ("T2", R.check_t2a_symbolic), ("T2", R.check_t2b_symbolic), ("T2", R.check_t2c_symbolic),
]
PLANTED = [
    ("L1", L.planted_l1_value_without_bias_term), ("T1", O.planted_t1c_wrong_constant), ("T1", O.planted_t1c_one_hot),
    ("T1'", O.planted_t1p_bound_without_x), ("T2", R.planted_t2a_equality_any_j),
]


def _params(rows):
    return [pytest.param(fn, id=fn.__name__, marks=pytest.mark.theorem(tid)) for tid, fn in rows]


@pytest.mark.parametrize("fn", _params(HOLDS))
def test_symbolic_identity_verified(fn) -> None:
    res = fn(Budget())
    assert res.outcome == Outcome.VERIFIED, res.detail
    assert res.worst_residual == 0.0 and res.instances >= 1


@pytest.mark.parametrize("fn", _params(PLANTED))
def test_symbolic_planted_refuted(fn) -> None:
    res = fn(Budget())
    assert res.outcome == Outcome.REFUTED, res.detail
    case = res.counterexamples[0]
    assert case["residual"] != "0" and abs(float(sp.N(sp.sympify(case["value_at_witness"])))) > 1e-6


@pytest.mark.theorem("T1")
def test_t1c_closed_form_matches_numpy() -> None:
    """The symbolic optimum evaluated at c = 4, R = 1.5 equals normalign.numerics.maths.minnorm's closed form (an
    independent transcription) and has the stated loss."""
    from normalign.numerics.maths import minnorm as mn

    zy, zk = O.t1c_logits()
    vals = {O.M: 3, O.R: sp.Rational(3, 2)}
    z = mn.optimal_logits("ce", 4, 0, 1.5)
    assert abs(float(zy.subs(vals)) - z[0]) < 1e-14 and abs(float(zk.subs(vals)) - z[1]) < 1e-14
    assert abs(mn.loss_value("ce", z, 0) - mn.optimal_loss("ce", 4, 1.5)) < 1e-14


@pytest.mark.theorem("L1")
def test_prove_zero_outcomes() -> None:
    """The helper: 0 is verified, a false identity is refuted at the witness, an undecidable one
    (vanishing at the witness) is inconclusive, never verified."""
    x = sp.Symbol("x", real=True)
    assert prove_zero({"z": sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1}, {}, "t").outcome == Outcome.VERIFIED
    assert prove_zero({"f": x**2 - x}, {x: 3}, "t").outcome == Outcome.REFUTED
    assert prove_zero({"f": x**2 - x}, {x: 1}, "t").outcome == Outcome.INCONCLUSIVE


@pytest.mark.theorem("T1")
def test_t1c_optimum_is_derived() -> None:
    """The KKT root with lam > 0 is the stated optimum; the other root (z_y < 0) has lam < 0; the projected
    multiplier leaves a non-zero KKT residual at a point that is not a KKT point."""
    (dy, dk), (oy, ok), lam = O.derived_t1c_logits()
    zy, zk = O.t1c_logits()
    assert sp.simplify(dy - zy) == 0 and sp.simplify(dk - zk) == 0
    assert sp.simplify(oy + zy) == 0 and lam.is_positive
    zy1, zk1 = sp.Integer(1), sp.Integer(0)  # z = e_y, R = 1: not a KKT point
    gy, gk, _ = O.ce_gradient(sp.exp(zy1), sp.exp(zk1))
    lam1 = O.projected_multiplier(zy1, zk1, sp.exp(zy1), sp.exp(zk1))
    assert abs(float((gk + 2 * lam1 * zk1).subs(O.M, 2))) > 0.1


@pytest.mark.theorem("L1")
def test_l1_lagrange_system_has_one_solution() -> None:
    x, z, a, W, sols = L.l1_lagrange_solution(1, 2, bias=False)
    assert len(sols) == 1
    assert sp.simplify(W.subs(sols[0]) - z * a.T / a.dot(a)) == sp.zeros(1, 2)


@pytest.mark.theorem("L1")
def test_fast_zero_route_is_exact() -> None:
    """symcheck's first route (numerator of together() expands to 0) decides rational identities and
    never calls a non-zero expression zero."""
    from normalign.theory.symcheck import _simplified

    x, y = sp.symbols("x y", positive=True)
    assert _simplified(1 / (x + y) - 1 / (x + y)) == 0
    assert _simplified(x / (x + y) + y / (x + y) - 1) == 0
    assert _simplified(x / (x + y) - 1) != 0
