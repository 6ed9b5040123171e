"""Property tests (hypothesis) of L1, T1, T1', T2 against numpy oracles, and the find-based checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from normalign.numerics.checks.optimality import properties as P
from normalign.numerics.checks.robustness.properties import t2a_radius_bound
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.tolerances import CLOSED_FORM_TOL

from normalign import strategies as S


@pytest.mark.theorem("L1")
@given(S.minnorm_cases())
@settings(max_examples=60)
def test_l1_closed_form_is_minimal(case) -> None:
    assert P.l1_pythagoras(case) <= CLOSED_FORM_TOL
    a = np.append(case["x"], 1.0) if case["bias"] else case["x"]
    W0 = mn.minnorm_map(case["x"], case["z"], case["bias"])
    assert mn.misalignment(W0, a) <= CLOSED_FORM_TOL * (1 + float(np.linalg.norm(W0)))


@pytest.mark.theorem("T1")
@given(S.logit_ball_cases())
@settings(max_examples=80)
def test_t1_no_logits_beat_closed_form(case) -> None:
    assert P.t1_ball(case) <= CLOSED_FORM_TOL
    zs = mn.optimal_logits(case["loss"], case["c"], case["y"], case["R"])
    assert np.linalg.norm(zs) <= case["R"] * (1 + CLOSED_FORM_TOL) + CLOSED_FORM_TOL


@pytest.mark.theorem("T1'")
@given(S.rank_one_cases())
@settings(max_examples=60)
def test_t1p_rank_one_bound(case) -> None:
    assert P.t1p_rank_one(case) <= CLOSED_FORM_TOL


@pytest.mark.theorem("T2")
@given(S.robust_cases())
@settings(max_examples=60)
def test_t2a_radius_bound(case) -> None:
    assert t2a_radius_bound(case) <= CLOSED_FORM_TOL
