"""P1 and P2 in sympy: the identities hold exactly and their planted variants are refuted."""

from __future__ import annotations

import pytest

from normalign.checks import Budget, Outcome
from normalign.theory.centroid import centroid_sym as cs


@pytest.mark.theorem("P1")
def test_p1_symbolic_and_planted() -> None:
    assert cs.check_p1_centroid_symbolic(Budget()).outcome == Outcome.VERIFIED
    bad = cs.planted_p1_norm_of_u(Budget())
    assert bad.outcome == Outcome.REFUTED and bad.counterexamples[0]["value_at_witness"] != "0"


@pytest.mark.theorem("P2")
def test_p2_symbolic_and_planted() -> None:
    assert cs.check_p2_euler_symbolic(Budget()).outcome == Outcome.VERIFIED
    assert cs.planted_p2_quadratic_degree_one(Budget()).outcome == Outcome.REFUTED
