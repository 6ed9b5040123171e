"""P2: Euler identities of homogeneous networks and the scalar-fit relation (normalign.numerics.checks.centroid.homogeneous)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalign.strategies import cpa_networks, points_for
from normalign.numerics.checks.centroid import homogeneous as hm
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import matmul_tol


@pytest.mark.theorem("P2")
@settings(max_examples=40, deadline=None)
@given(cpa_networks(bias=False, activations=("relu", "leaky_relu"))
       .flatmap(lambda n: st.tuples(st.just(n), points_for(n.input_dim))))
def test_bias_free_euler_property(case: tuple[CPANetwork, np.ndarray]) -> None:
    net, X = case
    assert hm.relu_euler_residuals(net, X).max() <= matmul_tol(len(net.layers), max(net.widths))


@pytest.mark.theorem("P2")
def test_positive_homogeneity_by_scaling() -> None:
    """Independent of Jacobians: f(t x) = t f(x) (ReLU) and t^2 f(x) (square) for t > 0."""
    import torch

    rng = np.random.default_rng(0)
    net = CPANetwork.from_arrays([rng.normal(size=(5, 3)), rng.normal(size=(2, 5))])
    X = rng.normal(size=(4, 3))
    assert np.allclose(net.forward(2.5 * X), 2.5 * net.forward(X), rtol=1e-13, atol=1e-13)
    f, k = hm.square_network([rng.normal(size=(4, 3)), rng.normal(size=(2, 4))], ["square", "identity"])
    Xt = torch.as_tensor(X)
    assert k == 2 and torch.allclose(f(2.5 * Xt), 6.25 * f(Xt), rtol=1e-13, atol=1e-13)


@pytest.mark.theorem("P2")
def test_l1_minimum_gives_unit_alignment() -> None:
    x, y = np.array([3.0, -4.0]), -1.0
    net = CPANetwork.from_arrays([(x / 5.0)[None], np.array([[y / 5.0]])])
    assert np.isclose(net.forward(x[None])[0, 0], y)
    assert hm.scalar_fit_residual(net, x, y) <= 1e-14


@pytest.mark.theorem("P2")
def test_fit_one_point_errors() -> None:
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0]]), np.array([[1.0]])])
    with pytest.raises(ValueError):
        hm.fit_one_point(net, np.array([-1.0, 0.0]), 1.0)  # f(x) = 0 there
    with pytest.raises(ValueError):
        hm.square_network([np.ones((1, 1))], ["tanh"])


@pytest.mark.theorem("P2")
def test_p2_corpus_replays() -> None:
    from normalign.corpus import load_cases
    from normalign.numerics.checks.centroid.power_diagram import net_from_case

    cases = [c for c in load_cases("P2") if c["check"].startswith("normalign.numerics.checks.centroid.homogeneous")]
    assert cases
    for c in cases:
        net = net_from_case(c["case"])
        X = np.asarray(c["case"]["X"], dtype=float)
        assert hm.relu_euler_residuals(net, X).max() > matmul_tol(len(net.layers), max(net.widths)), c["path"]


@pytest.mark.theorem("P2")
def test_trained_fit_is_a_sanity_check() -> None:
    """The trained-fit relation is an identity of every bias-free net: registered as a sanity check, so it
    never counts towards P2's "verified"."""
    from normalign.registry import get

    spec = next(c for c in get("P2").checks if c.target.endswith(":check_p2_trained_fit"))
    assert spec.sanity and not spec.counts
