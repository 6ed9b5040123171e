"""PD: every layer's pattern is the argmin of its power diagram on the earlier region (normalign.numerics.checks.centroid.power_diagram)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalign.checks import Budget, Outcome
from normalign.corpus import load_cases
from normalign.strategies import cpa_networks, points_for
from normalign.numerics.checks.centroid import power_diagram as pd_checks
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.power_diagram import layer_diagram, pattern_set, power_distance


@pytest.mark.theorem("PD")
def test_pd_checks_verified_and_planted_refuted() -> None:
    assert pd_checks.check_pd_subdivision(Budget()).outcome == Outcome.VERIFIED
    assert pd_checks.planted_pd_radius_sign(Budget()).outcome == Outcome.REFUTED
    assert pd_checks.planted_pd_global_diagram(Budget()).outcome == Outcome.REFUTED


@pytest.mark.theorem("PD")
def test_pd_property_check() -> None:
    r = pd_checks.property_pd_hypothesis(Budget())
    assert r.outcome == Outcome.VERIFIED, r.detail


@pytest.mark.theorem("PD")
@settings(max_examples=25, deadline=None)
@given(cpa_networks(min_layers=2, max_layers=3, max_width=4, activations=("relu", "leaky_relu"))
       .flatmap(lambda n: st.tuples(st.just(n), points_for(n.input_dim, 2))))
def test_pd_argmin_is_pattern_given(case: tuple[CPANetwork, np.ndarray]) -> None:
    net, X = case
    r, _ = pd_checks.pd_residuals(net, X, np.random.default_rng(0), n_per=2)
    assert r <= 1.0


@pytest.mark.theorem("PD")
def test_pd_hand_built_two_layer() -> None:
    """Hand-built: layer 1 = identity-like units relu(x1), relu(x2); layer 2 = relu(h1 - h2). In the
    quadrant x > 0 the earlier map is the identity, so layer 2's sites are q (1, -1), radius 2 q * 0."""
    net = CPANetwork.from_arrays([np.eye(2), np.array([[1.0, -1.0]]), np.array([[1.0]])],
                                 [np.zeros(2), np.zeros(1), None])
    x = np.array([2.0, 1.0])
    Q, sites, radii, E, e = layer_diagram(net, x, 1)
    assert np.allclose(E, [[1.0, -1.0]]) and np.allclose(e, [0.0])
    assert np.allclose(sites, [[0.0, 0.0], [1.0, -1.0]]) and np.allclose(radii, [0.0, 2.0])
    P = power_distance(x[None], sites, radii)[0]
    assert int(np.argmin(P)) == 1  # x1 > x2: the unit is active
    assert np.isclose(P[0] - P[1], 2 * (x[0] - x[1]))  # the margin is 2 z


@pytest.mark.theorem("PD")
def test_pattern_set_and_errors() -> None:
    Q = pattern_set(3, 0.2)
    assert Q.shape == (8, 3) and set(np.unique(Q)) == {0.2, 1.0}
    with pytest.raises(ValueError):
        pattern_set(17)
    net = CPANetwork.from_arrays([np.eye(2), np.ones((1, 2))])
    with pytest.raises(ValueError):
        layer_diagram(net, np.ones(2), 1)  # the read-out has no activation


@pytest.mark.theorem("PD")
def test_pd_corpus_replays() -> None:
    cases = [c for c in load_cases("PD") if c["check"].startswith("normalign.numerics.checks.centroid.power_diagram")]
    assert cases, "no saved PD cases"
    for c in cases:
        assert pd_checks.replay_case(c["case"]) > 1.0, c["path"]
