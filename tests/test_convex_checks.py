"""Convex numerics of L1, T1, T1', T2 (cvxpy, status checked, witnesses re-verified in numpy)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from normalign.checks import Budget, Outcome
from normalign.numerics.checks.optimality import convex as cc
from normalign.numerics.checks.robustness import convex as rc
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.maths import convex_problems as cp_
from normalign.numerics.tolerances import SOLVER_OBJ_TOL

HOLDS = [
    ("L1", cc.check_l1_solver), ("L1", cc.check_l1_near_optimal_set),
    ("T1", cc.check_t1_closed_forms), ("T1", cc.check_t1_aligned_exists),
    ("T1", cc.check_t1b_unique_frobenius), ("T1", cc.check_t1b_unique_nuclear), ("T1", cc.check_t1_pooled),
    ("T1'", cc.check_t1p_rank_one),
    ("T2", rc.check_t2a_robust_radius), ("T2", rc.check_t2b_sensitivity), ("T2", rc.check_t2c_kernel),
]
PLANTED = [("T1", cc.planted_t1_unique_spectral), ("T1", cc.planted_t1_aligned_l1),
           ("T2", rc.planted_t2_unique_spectral), ("T2", rc.planted_t2c_rank_one_blind_to_perp)]


def _params(rows):
    return [pytest.param(fn, id=fn.__name__, marks=pytest.mark.theorem(tid)) for tid, fn in rows]


@pytest.mark.parametrize("fn", _params(HOLDS))
def test_convex_check_verified(fn) -> None:
    res = fn(Budget())
    assert res.outcome == Outcome.VERIFIED, res.detail
    assert res.worst_residual <= 1.0 and res.instances >= 1


@pytest.mark.parametrize("fn", _params(PLANTED))
def test_convex_planted_refuted(fn) -> None:
    res = fn(Budget())
    assert res.outcome == Outcome.REFUTED, res.detail
    assert res.tolerance is not None and res.worst_residual > res.tolerance and res.counterexamples


@pytest.mark.slow
@pytest.mark.parametrize("fn", _params(HOLDS + PLANTED))
def test_convex_checks_full_budget(fn) -> None:
    res = fn(Budget("full", seed=1))
    want = Outcome.REFUTED if fn.__name__.startswith("planted") else Outcome.VERIFIED
    assert res.outcome == want, res.detail


@pytest.mark.theorem("T1")
def test_problems_are_dpp_and_rebuild_agrees() -> None:
    """Every problem class is DPP, and re-solving the built problem equals building it afresh."""
    probs = [cp_.MinNormProblem(2, 3), cp_.LogitBallProblem("ce", 3), cp_.MapProblem("ce", 3, 3, "nuc"),
             cp_.SublevelMinNorm("sq", 2), cp_.MisalignProblem("ce", 3, 3, "spec"),
             cp_.SharedMapProblem("ce", 3, 3, 2), cp_.SharedMapProblem("sq", 3, 3, 2, pooled=True),
             cp_.PooledLogitProblem("ce", 3, 2), cp_.RobustRadiusProblem(3, 2, 0)]
    assert all(p.is_dpp for p in probs)
    p = cp_.MapProblem("ce", 3, 3, "fro")
    a = mn.augment(np.array([0.3, -1.2]))
    v1, _ = p.solve(a, 1, 0.8)
    v2, _ = p.solve(a, 1, 0.8, rebuild=True)
    ref = mn.optimal_loss("ce", 3, 0.8 * math.sqrt(float(a @ a)))
    assert abs(v1 - v2) <= SOLVER_OBJ_TOL and abs(v1 - ref) <= SOLVER_OBJ_TOL


@pytest.mark.theorem("T1")
def test_sublevel_min_norm_matches_closed_form() -> None:
    """The smallest logit norm on a CE sublevel set (solver) equals radius_at_level (closed form)."""
    p = cp_.SublevelMinNorm("ce", 4)
    for level in (0.05, 0.5, 1.0):
        val, _ = p.solve(2, level)
        assert abs(math.sqrt(val) - mn.radius_at_level("ce", 4, level)) <= 1e-4


@pytest.mark.theorem("T1")
def test_predicted_misalignment_limits() -> None:
    """Frobenius prediction: 0 at delta = 0 (binding), sqrt(alpha - 1/X) for slack squared error."""
    X, alpha = 2.0, 0.3
    assert mn.predicted_max_misalignment("ce", 3, X, alpha, 0.0) == pytest.approx(0.0, abs=1e-7)
    assert mn.predicted_max_misalignment("sq", 3, X, 2.0, 0.0) == pytest.approx(math.sqrt(2.0 - 1 / X))


@pytest.mark.theorem("L1")
def test_bad_input_raises() -> None:
    with pytest.raises(ValueError):
        mn.minnorm_map(np.zeros(3), np.ones(2), bias=False)
    with pytest.raises(ValueError):
        mn.minnorm_map(np.array([np.nan, 1.0]), np.ones(2))
    with pytest.raises(ValueError):
        mn.misalignment(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError):
        mn.ce_scale(1)
    with pytest.raises(ValueError):
        cp_.norm_value(np.ones((2, 2)), "max")
    with pytest.raises(ValueError):
        mn.optimal_logits("hinge", 2, 0, 1.0)


@pytest.mark.theorem("T1")
def test_solver_witness_helpers() -> None:
    """A solver value its witness does not reproduce, or a witness far outside its budget, is
    inconclusive (SolverInconclusive), never a pass; a witness just outside is scaled in."""
    assert cc.agree(1.0, 1.0 + 0.1 * SOLVER_OBJ_TOL, 1.0, "t") == 1.0 + 0.1 * SOLVER_OBJ_TOL
    with pytest.raises(cp_.SolverInconclusive):
        cc.agree(1.0, 1.0 + 10 * SOLVER_OBJ_TOL, 1.0, "t")
    W = np.ones((2, 2))
    assert np.allclose(cc.feasible(W * (1 + 1e-9), 2.0, "fro"), W)
    with pytest.raises(cp_.SolverInconclusive):
        cc.feasible(2 * W, 2.0, "fro")
    Ws = cc.pooled_feasible([W, W], 8.0 * (1 - 1e-9))
    assert sum(float(np.sum(w * w)) for w in Ws) <= 8.0
    with pytest.raises(cp_.SolverInconclusive):
        cc.pooled_feasible([W, W], 4.0)


@pytest.mark.theorem("T2")
def test_t2c_exact_oracle() -> None:
    """The exact oracle of T2(c) on hand-made cases: the aligned J (kernel = x-perp), a rank-one J that is
    not aligned (kernel of dimension d - 1 but not x-perp), a rank-two J."""
    rng = np.random.default_rng(3)
    seen = set()
    for kind in rc.T2C_KINDS * 3:
        inst = rc.t2c_instance(rng, kind)
        ex = rc.t2c_exact(inst)
        d = inst.J.shape[1]
        assert ex["Jx_is_v"] and ex["dim_ker"] == d - ex["rank"] <= d - 1
        assert ex["kills_perp"] == ex["aligned"]
        if kind == "aligned":
            assert ex["aligned"] and ex["rank"] == 1 and ex["kernel_orthogonal_to_x"]
            assert ex["frobenius_ratio"] == pytest.approx(1.0, abs=1e-15) and ex["misalignment"] == 0.0
        if kind == "rank-one" and not ex["aligned"]:
            assert ex["rank"] == 1 and ex["dim_ker"] == d - 1 and not ex["kernel_orthogonal_to_x"]
            assert ex["pc1"] == pytest.approx(1.0, abs=1e-15) and ex["frobenius_ratio"] < 1
        seen.add((kind, ex["rank"]))
    assert {k for k, _ in seen} == set(rc.T2C_KINDS)
    with pytest.raises(ValueError):
        rc.t2c_instance(rng, "diagonal")


@pytest.mark.parametrize("status", ["optimal_inaccurate", "infeasible_inaccurate", "user_limit"])
def test_only_status_optimal_counts(monkeypatch: pytest.MonkeyPatch, status: str) -> None:
    """A solve that ends with any status but 'optimal' raises SolverInconclusive after every retry
    setting, even when it left a value behind (a stand-in solver sets the status; planted: accepting
    'optimal_inaccurate')."""
    import cvxpy as cp

    x = cp.Variable()
    prob = cp.Problem(cp.Minimize(cp.square(x - 1)))
    calls = []

    def fake_solve(self, *args, **kwargs):
        calls.append(kwargs)
        self._status, self._value = status, 0.0
        return 0.0

    monkeypatch.setattr(cp.Problem, "solve", fake_solve)
    with pytest.raises(cp_.SolverInconclusive, match=status):
        cp_._solve(prob)
    assert len(calls) == len(cp_.RETRY_SETTINGS)
