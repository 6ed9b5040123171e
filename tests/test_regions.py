"""Exact regions: half-spaces, Chebyshev centres, membership and the exact 2-d partition (normalign.numerics.engine.regions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalign.strategies import cpa_networks, points_for
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.regions import chebyshev, enumerate_partition, pattern_keys, polygon_area, region_polytope, slice_network


@pytest.mark.theorem("PD")
@settings(max_examples=30, deadline=None)
@given(cpa_networks(min_layers=2, max_layers=4, max_width=4, activations=("relu", "leaky_relu"))
       .flatmap(lambda n: st.tuples(st.just(n), points_for(n.input_dim, 1), points_for(n.input_dim, 20))))
def test_membership_equals_same_pattern(case) -> None:
    """Oracle: the forward pass. A point is in x's polytope iff it has x's pattern (away from boundaries)."""
    net, x, Y = case
    poly = region_polytope(net, x[0])
    same = np.array([k == poly.key for k in pattern_keys(net, Y)])
    slack = poly.slack(Y)
    clear = np.all(np.abs(slack) > 1e-9 * (1 + np.abs(Y).max()), axis=1) if slack.shape[1] else np.ones(len(Y), bool)
    inside = poly.contains(Y)
    assert np.array_equal(inside[clear], same[clear])
    assert poly.contains(x, tol=1e-12)[0]


@pytest.mark.theorem("PD")
def test_chebyshev_hand_built_square() -> None:
    """relu(x1 - 1), relu(-x1 - 1), relu(x2 - 1), relu(-x2 - 1): at 0 all inactive, region [-1,1]^2,
    Chebyshev centre 0, inradius 1; with the box [0, 3]^2 the region is [0,1]^2, inradius 1/2."""
    W = np.array([[1.0, 0], [-1, 0], [0, 1], [0, -1]])
    net = CPANetwork.from_arrays([W, np.ones((1, 4))], [-np.ones(4), None])
    ch = chebyshev(region_polytope(net, np.zeros(2)))
    assert ch.status == 0 and np.isclose(ch.radius, 1.0) and np.allclose(ch.centre, 0, atol=1e-9)
    ch = chebyshev(region_polytope(net, np.array([0.5, 0.5]), box=(np.zeros(2), 3 * np.ones(2))))
    assert ch.status == 0 and np.isclose(ch.radius, 0.5) and np.allclose(ch.centre, [0.5, 0.5])
    # the strip x1 >= 1, |x2| <= 1 has inradius 1; the quadrant x1, x2 >= 1 has none (status 3, inf)
    ch = chebyshev(region_polytope(net, np.array([5.0, 0.0])))
    assert ch.status == 0 and np.isclose(ch.radius, 1.0) and np.isclose(ch.centre[1], 0.0, atol=1e-9)
    ch = chebyshev(region_polytope(net, np.array([5.0, 5.0])))
    assert ch.status == 3 and np.isinf(ch.radius)


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("widths", [(2, 5, 2), (2, 6, 5, 3), (2, 6, 6, 6, 1)])
def test_partition_covers_box(widths) -> None:
    """Areas add up to the box; every grid point's pattern is an enumerated region and lies in its polygon."""
    rng = np.random.default_rng(sum(widths))
    net = CPANetwork.from_arrays([rng.normal(size=(o, i)) for i, o in zip(widths, widths[1:])],
                                 [rng.normal(size=o) for o in widths[1:]])
    part = enumerate_partition(net, [-3, -3], [3, 3])
    assert part.area_defect < 1e-9
    assert len({r.poly.key for r in part.regions}) == len(part.regions)
    g = np.linspace(-2.97, 2.97, 60)
    G = np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    loc = part.locate(G)
    assert np.all(loc >= 0)
    for i in np.unique(loc):
        assert np.all(part.regions[i].poly.contains(G[loc == i], tol=1e-9))
        assert np.isclose(polygon_area(part.regions[i].vertices), part.regions[i].area)


@pytest.mark.theorem("PD")
def test_line_arrangement_region_count() -> None:
    """One layer of K lines in general position cuts a large box into 1 + K + K(K-1)/2 regions when every
    crossing lies inside (independent combinatorial oracle)."""
    rng = np.random.default_rng(3)
    K = 5
    W = rng.normal(size=(K, 2))
    b = rng.normal(size=K) * 0.3
    net = CPANetwork.from_arrays([W, np.ones((1, K))], [b, None])
    part = enumerate_partition(net, [-50, -50], [50, 50])
    assert len(part.regions) == 1 + K + K * (K - 1) // 2
    assert part.area_defect < 1e-9


@pytest.mark.theorem("PD")
def test_slice_network_matches_full_network() -> None:
    rng = np.random.default_rng(4)
    net = CPANetwork.from_arrays([rng.normal(size=(6, 4)), rng.normal(size=(3, 6))], [rng.normal(size=6), None])
    x0, e1, e2 = rng.normal(size=(3, 4))
    sl = slice_network(net, x0, e1, e2)
    S = rng.normal(size=(10, 2))
    assert np.allclose(sl.forward(S), net.forward(x0 + S[:, :1] * e1 + S[:, 1:] * e2), atol=1e-12)
    assert enumerate_partition(sl, [-2, -2], [2, 2]).area_defect < 1e-9


@pytest.mark.theorem("PD")
def test_region_errors() -> None:
    net = CPANetwork.from_arrays([np.ones((2, 3)), np.ones((1, 2))])
    with pytest.raises(ValueError):
        enumerate_partition(net, [-1, -1], [1, 1])  # d = 3
    with pytest.raises(ValueError):
        region_polytope(net, np.ones(3), box=(np.ones(3), np.zeros(3)))
    with pytest.raises(ValueError):
        slice_network(net, np.zeros(3), np.ones(3), 2 * np.ones(3))
    with pytest.raises(ValueError):
        region_polytope(net, np.array([np.nan, 0, 0]))
