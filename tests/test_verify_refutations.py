"""Refutations that must not pass a planted or boundary check, and the verdict rules around them (each
test catches a one-line bug the rest of the suite let through in the review of 2026-12-01)."""

from __future__ import annotations

import math
import sys
import types

import pytest

from normalign.checks import Budget, CheckResult, CheckSpec, Outcome, run_check, verdict

_MOD = "normalign_review_fake_checks"


@pytest.mark.parametrize("result", [
    verdict([0.5, math.nan], 1.0),                 # refuted only by a NaN instance
    CheckResult(Outcome.REFUTED, 3.0, 1, "fake"),  # refuted without a counterexample
])
def test_boundary_check_needs_a_real_counterexample(monkeypatch, result: CheckResult) -> None:
    """A boundary check (``expect="fails"``, not planted: the hypothesis it drops must matter) passes
    only by a finite counterexample, as a planted one does (planted: the rule keyed on ``planted``
    instead of ``expect == "fails"`` passed the suite, which tried planted checks only)."""
    mod = types.ModuleType(_MOD)
    mod.boundary = lambda budget: result
    monkeypatch.setitem(sys.modules, _MOD, mod)
    spec = CheckSpec("b", "numeric", f"{_MOD}:boundary", expect="fails", hypothesis_dropped="x != 0")
    assert not spec.planted
    assert run_check(spec, Budget()).outcome == Outcome.INCONCLUSIVE


def test_planted_check_is_not_passed_by_a_refutation_within_tolerance(monkeypatch) -> None:
    """REFUTED with a counterexample but a worst residual of 0.5 against a tolerance of 1 contradicts
    itself (``verdict`` and ``combine`` never produce it): it must not pass a planted check."""
    mod = types.ModuleType(_MOD)
    mod.planted = lambda budget: CheckResult(Outcome.REFUTED, 0.5, 1, "fake", [{"i": 0}], tolerance=1.0)
    monkeypatch.setitem(sys.modules, _MOD, mod)
    spec = CheckSpec("p", "numeric", f"{_MOD}:planted", expect="fails", planted=True)
    assert run_check(spec, Budget()).outcome == Outcome.INCONCLUSIVE
