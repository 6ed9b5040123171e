"""D5's dense-regime boundary decides only on optimal solves whose witnesses numpy reproduces."""

from __future__ import annotations

import pytest

from normalign.checks import Budget, Outcome
from normalign.numerics.checks.optimality import boundaries as B
from normalign.numerics.maths.convex_problems import SharedMapProblem, SolverInconclusive


def _aligned_solve(monkeypatch, change) -> None:
    """Wrap SharedMapProblem.solve for the aligned-at-point problems (m = 1) with ``change``."""
    real = SharedMapProblem.solve

    def solve(self, A, labels, r, rebuild=False):
        val, out = real(self, A, labels, r, rebuild)
        return change(val, out) if self.m == 1 else (val, out)

    monkeypatch.setattr(SharedMapProblem, "solve", solve)


@pytest.mark.theorem("D5")
def test_dense_regime_refuted_at_quick_budget() -> None:
    res = B.boundary_dense_regime(Budget())
    assert res.outcome == Outcome.REFUTED and res.counterexamples[0]["kind"] == "dense_k2"


@pytest.mark.theorem("D5")
def test_inaccurate_aligned_solve_is_inconclusive(monkeypatch) -> None:
    def inaccurate(val, out):
        raise SolverInconclusive("solver status ['optimal_inaccurate'], not optimal")

    _aligned_solve(monkeypatch, inaccurate)
    res = B.boundary_dense_regime(Budget())
    assert res.outcome == Outcome.INCONCLUSIVE and "optimal_inaccurate" in res.detail


@pytest.mark.theorem("D5")
def test_aligned_value_not_reproduced_by_its_witness_is_inconclusive(monkeypatch) -> None:
    """A solver value its own witness does not reproduce in numpy decides nothing (here the
    reported optimum is 1.0 higher than the witness's loss, which would inflate the gap)."""
    _aligned_solve(monkeypatch, lambda val, out: (val + 1.0, out))
    res = B.boundary_dense_regime(Budget())
    assert res.outcome == Outcome.INCONCLUSIVE and "aligned at point" in res.detail
