"""The exact radius's bracket rule and its witness norm (each test catches a one-line bug the rest of
the suite let through in the review of 2026-12-01)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from normalign.numerics.checks.robustness.exact_radius import (
    lower_bound_residual,
    near_tie_network,
)
from normalign.numerics.engine.exact_robustness import (
    ExactRadius,
    _bracket,
    milp_radius,
)
from normalign.numerics.tolerances import EXACT_RADIUS_TOL, WITNESS_NORM_RTOL


@pytest.mark.theorem("T2")
@pytest.mark.parametrize("lower, outcome", [
    (1.0 - 0.5 * EXACT_RADIUS_TOL, "verified"),
    (1.0 - 2.0 * EXACT_RADIUS_TOL, "inconclusive"),   # wider than the tolerance (planted 10x: passed)
    (1.0 + 0.5 * WITNESS_NORM_RTOL, "verified"),       # above the witness by less than its rounding
    (1.0 + 2.0 * WITNESS_NORM_RTOL, "inconclusive"),   # a bound above the witness
])
def test_bracket_below_within_exact_radius_tol_above_within_rounding(lower: float, outcome: str) -> None:
    """A verified radius 1 keeps its outcome when the lower end is within EXACT_RADIUS_TOL below it, or
    above it by less than WITNESS_NORM_RTOL (rounding of the witness's norm); anything else is inconclusive."""
    res = _bracket(ExactRadius("linf", 1.0, np.zeros(1), "verified", lower=lower))
    assert res.outcome == outcome, res.reason


@pytest.mark.theorem("T2")
def test_a_radius_that_is_not_its_witness_norm_is_refused() -> None:
    """``lower_bound_residual`` recomputes ||w - x|| in numpy: a reported radius off it by 1e-9 relative
    (far above rounding at d = 1) gives inf, the exact one a finite residual (planted rtol 1e-3: passed)."""
    net, x = near_tie_network(), np.array([0.0])
    r = milp_radius(net, x, "linf", R=3.0)
    assert r.verified and abs(r.radius - np.abs(r.witness - x).max()) <= 1e-15 * r.radius
    assert np.isfinite(lower_bound_residual(net, x, r, np.random.default_rng(0)))
    off = dataclasses.replace(r, radius=r.radius * (1 + 1e-9))
    assert lower_bound_residual(net, x, off, np.random.default_rng(0)) == np.inf
