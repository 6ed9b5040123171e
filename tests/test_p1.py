"""P1: normal alignment implies centroid alignment, provided 1^T u != 0 (normalign.numerics.checks.centroid.centroid)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from normalign.checks import Budget, Outcome
from normalign.corpus import load_cases
from normalign.strategies import matrices, nonzero_vectors
from normalign.numerics.checks.centroid import centroid as cc
from normalign.numerics.engine.geometry import analyze


@pytest.mark.theorem("P1")
def test_p1_planted_without_sum_hypothesis_is_refuted_and_shrunk() -> None:
    r = cc.planted_p1_no_sum_hypothesis(Budget())
    assert r.outcome == Outcome.REFUTED
    u = np.asarray(r.counterexamples[0]["u"])
    assert abs(u.sum()) <= 1e-12 * np.abs(u).sum() and np.linalg.norm(u) > 0


@pytest.mark.theorem("P1")
@settings(max_examples=30, deadline=None)
@given(st.integers(2, 4).flatmap(lambda d: st.tuples(nonzero_vectors(d, min_norm=0.1), matrices(2, 3))))
def test_one_point_net_centroid_closed_form(case) -> None:
    """Rows a_k x^T with a = (1, 2, 3): J = W2 diag(a) 1 x^T exactly, so mu = (1^T W2 a) x (closed form)."""
    x, W2 = case
    a = np.array([1.0, 2.0, 3.0])
    assume(np.abs(W2).max() > 1e-100)  # subnormal weights: rounding is not relative any more
    net = cc.bump_network(x[None], np.array([3]), a, [W2])
    J = net.layers[1].weight @ net.layers[0].weight
    scale = np.abs(W2).sum() * 3 * np.abs(x).max()
    assert np.allclose(J, np.outer(W2 @ a, x), rtol=0, atol=1e-13 * scale)
    geo = analyze(net, x[None])
    s = float((W2 @ a).sum())
    assert np.allclose(geo.centroid[0], s * x, atol=1e-13 * scale)
    if abs(s) > 1e-6 * np.linalg.norm(W2 @ a):
        assert not np.ma.getmaskarray(geo.centroid_alignment)[0]
        assert np.isclose(float(geo.centroid_alignment[0]), np.sign(s), atol=1e-12)


@pytest.mark.theorem("P1")
def test_bump_network_refuses_points_that_do_not_stick_out() -> None:
    X = np.array([[1.0, 0.0], [2.0, 0.0]])  # x_1^T x_2 = 2 > ||x_1||^2 = 1
    with pytest.raises(ValueError):
        cc.bump_network(X, np.array([1, 1]), np.ones(2), [np.ones((1, 2))])


@pytest.mark.theorem("P1")
def test_ce_optimum_centroid_vanishes_and_ca_is_masked() -> None:
    net, z = cc.ce_optimum_network(np.array([1.0, -2.0, 0.5]), y=1, c=3, alpha=2.0)
    geo = analyze(net, np.array([[1.0, -2.0, 0.5]]))
    assert np.isclose(z.sum(), 0.0, atol=1e-12)
    assert np.allclose(geo.logits[0], z, atol=1e-12)
    assert np.allclose(geo.centroid[0], 0.0, atol=1e-12)
    assert np.ma.getmaskarray(geo.centroid_alignment)[0]
    assert not np.isnan(np.ma.getdata(geo.centroid_alignment)[0])


@pytest.mark.theorem("P1")
def test_p1_corpus_replays() -> None:
    cases = [c for c in load_cases("P1") if c["check"].startswith("normalign.numerics.checks.centroid.centroid")]
    assert cases
    for c in cases:
        assert cc.replay_case(c["case"]), c["path"]
