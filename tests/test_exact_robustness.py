"""Exact robustness radii with re-verified witnesses, and T2(a) on real networks (normalign.numerics.engine.exact_robustness)."""

from __future__ import annotations

import numpy as np
import pytest

from normalign.checks import Budget, Outcome
from normalign.corpus import load_cases
from normalign.numerics.engine import exact_robustness as er
from normalign.numerics.checks.robustness import exact_radius as erc
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.checks.centroid.power_diagram import net_from_case
from normalign.numerics.engine.network import CPANetwork


@pytest.mark.theorem("T2")
def test_l2_region_search_vs_enumeration() -> None:
    assert erc.check_l2_search_vs_enumeration(Budget()).outcome == Outcome.VERIFIED


@pytest.mark.theorem("T2")
def test_t2a_bound_on_trained_networks() -> None:
    r = erc.check_t2a_bound_trained(Budget())
    assert r.outcome == Outcome.VERIFIED, r.detail


@pytest.mark.theorem("T2")
def test_hand_built_linear_classifier_radii() -> None:
    """f(x) = (x1 + 2 x2 - 1, 0): one region; closed forms: L2 = |z|/||w||, L-inf = |z|/||w||_1,
    L1 = |z|/||w||_inf, at x = (2, 1) with z = 3."""
    net = CPANetwork.from_arrays([np.eye(2), np.array([[1.0, 2.0], [0.0, 0.0]])], [np.zeros(2) + 10.0, np.array([-31.0, 0.0])])
    # hidden relu(x + 10) is active on the box around x, so f(x) = (x1 + 10) + 2 (x2 + 10) - 31 = x1 + 2 x2 - 1
    x = np.array([2.0, 1.0])
    z = 3.0
    l2 = er.in_region_l2(net, x)
    assert l2.verified and np.isclose(l2.radius, z / np.sqrt(5.0), rtol=1e-12)
    assert np.isclose(analyze(net, x[None]).robustness_radius[0], z / np.sqrt(5.0), rtol=1e-12)
    linf = er.milp_radius(net, x, "linf", R=3.0)
    assert linf.verified and np.isclose(linf.radius, z / 3.0, rtol=1e-5)
    assert er.verify_witness(net, x, 0, linf.witness)
    l1 = er.milp_radius(net, x, "l1", R=3.0)
    assert l1.verified and np.isclose(l1.radius, z / 2.0, rtol=1e-5)
    s = er.region_search_l2(net, x, R=3.0)
    assert s.verified and np.isclose(s.radius, z / np.sqrt(5.0), rtol=1e-5)


@pytest.mark.theorem("T2")
def test_step_network_has_no_adversarial_and_milp_says_so() -> None:
    net, x = erc.step_network()
    r = er.milp_radius(net, x, "linf", R=10.0)
    assert r.verified and np.isinf(r.radius) and r.lower == 10.0
    # independent oracle: f >= 1/2 on a dense grid of the domain
    t = np.linspace(-9.0, 11.0, 20001)[:, None]
    assert net.forward(t).min() >= 0.5


@pytest.mark.theorem("T2")
def test_interval_bounds_contain_sampled_preactivations() -> None:
    rng = np.random.default_rng(5)
    net = CPANetwork.from_arrays([rng.normal(size=(6, 3)), rng.normal(size=(5, 6)), rng.normal(size=(2, 5))],
                                 [rng.normal(size=6), rng.normal(size=5), rng.normal(size=2)],
                                 ["relu", "leaky_relu", "identity"], negative_slope=0.1)
    lo, hi = -np.ones(3), np.ones(3)
    B = er.interval_bounds(net, lo, hi)
    X = rng.uniform(-1, 1, size=(2000, 3))
    for (l, u), z in zip(B, net.preactivations(X)):
        assert np.all(z >= l - 1e-12) and np.all(z <= u + 1e-12)


@pytest.mark.theorem("T2")
def test_bad_inputs() -> None:
    net, x = erc.step_network()
    with pytest.raises(ValueError):
        er.milp_radius(net, x, "l2")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        er.milp_radius(net, x, "linf", R=0.0)
    with pytest.raises(ValueError):
        er.t2a_first_order(net, np.zeros((1, 1)))


@pytest.mark.theorem("T2")
def test_t2_corpus_replays() -> None:
    """Each saved case: the exact global radius (re-computed) exceeds T2(a)'s bound."""
    cases = [c for c in load_cases("T2") if c["check"].startswith("normalign.numerics.checks.robustness.exact_radius")]
    assert cases
    for c in cases:
        net = net_from_case(c["case"])
        x = np.asarray(c["case"]["x"], dtype=float)
        bound = float(er.t2a_first_order(net, x[None])["bound"][0])
        if net.input_dim == 1:
            r = er.milp_radius(net, x, "linf", R=10.0)
            lower = r.radius if np.isfinite(r.radius) else r.lower
        else:
            r = er.region_search_l2(net, x, R=2.0)
            lower = r.radius
        assert r.verified and lower > bound * (1 + 1e-5), c["path"]
