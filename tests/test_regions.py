"""Exact regions: half-spaces, Chebyshev centres, membership and the exact 2-d partition (normalign.numerics.engine.regions)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from normalign.strategies import cpa_networks, points_for
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.regions import (
    chebyshev,
    enumerate_partition,
    pattern_keys,
    polygon_area,
    region_polytope,
    slice_network,
    walk_regions,
)


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


# ------------------------------------------------------------------------------------------------------
# Completeness of the enumeration (issue 13, silent wrong answer (a)): every region, however small, in any
# box. Oracle: every activation pattern of the network (2^K), each pattern's polytope built here from the
# pattern alone (not by the engine), a Chebyshev LP with its status checked, and the forward pass at the
# centre confirming the pattern. Independent of normalign.numerics.engine.regions.


def _brute_force_patterns(net: CPANetwork, lo: np.ndarray, hi: np.ndarray) -> dict[bytes, float]:
    """{pattern key: inradius} of every pattern whose polytope in the box has an interior point."""
    import itertools

    from scipy.optimize import linprog

    d = lo.size
    acts = [i for i, l in enumerate(net.layers) if l.activation != "identity"]
    out: dict[bytes, float] = {}

    def centre(A: np.ndarray, b: np.ndarray):
        nrm = np.linalg.norm(A, axis=1)
        if np.any((nrm == 0) & (b < 0)):
            return None
        A, b, nrm = A[nrm > 0], b[nrm > 0], nrm[nrm > 0]
        r = linprog(np.r_[np.zeros(d), -1.0], A_ub=np.column_stack([A, nrm]), b_ub=b,
                    bounds=[(None, None)] * d + [(0, None)], method="highs")
        assert r.status in (0, 2), r.message  # optimal or infeasible: anything else is not an answer
        return None if r.status == 2 else (r.x[:d], r.x[d])

    def walk(i: int, E: np.ndarray, e: np.ndarray, A: np.ndarray, b: np.ndarray, bits: list) -> None:
        layer = net.layers[i]
        Ez, ez = layer.weight @ E, layer.weight @ e + layer.bias
        if i == acts[-1] + 1 or layer.activation == "identity":
            if i <= acts[-1]:
                walk(i + 1, Ez, ez, A, b, bits)
            return
        low = 0.0 if layer.activation == "relu" else layer.negative_slope
        for q in itertools.product([False, True], repeat=Ez.shape[0]):
            q = np.array(q)
            sg = np.where(q, -1.0, 1.0)  # active: -z <= 0, inactive: z <= 0
            A2, b2 = np.vstack([A, sg[:, None] * Ez]), np.concatenate([b, -sg * ez])
            c = centre(A2, b2)
            if c is None:
                continue  # every refinement of an empty prefix is empty
            s = np.where(q, 1.0, low)
            if i < acts[-1]:
                walk(i + 1, s[:, None] * Ez, s * ez, A2, b2, bits + [q])
            elif c[1] > 0:
                mine = np.concatenate(bits + [q])
                z = net.preactivations(c[0][None])
                seen = np.concatenate([z[j][0] > 0 for j in acts])
                if np.array_equal(seen, mine):  # an interior point really has this pattern
                    out[np.packbits(mine).tobytes() + bytes([mine.size % 8])] = float(c[1])

    walk(0, np.eye(d), np.zeros(d), np.vstack([np.eye(d), -np.eye(d)]), np.concatenate([hi, -lo]), [])
    return out


def _random_net(seed: int, widths: tuple[int, ...], bias_scale: float = 1.0, act: str = "relu") -> CPANetwork:
    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(o, i)) for i, o in zip(widths, widths[1:])]
    bs = [rng.normal(size=o) * bias_scale for o in widths[1:]]
    return CPANetwork.from_arrays(Ws, bs, [act] * (len(widths) - 2) + ["identity"], negative_slope=0.1)


def _assert_same_regions(net: CPANetwork, part, ref: dict[bytes, float]) -> None:
    got = {r.poly.key for r in part.regions}
    missed = sorted(ref[k] for k in set(ref) - got)
    assert not missed, f"{len(missed)} regions missed (inradii {missed[:5]}), {len(got)} found of {len(ref)}"
    assert got == set(ref), f"{len(got - set(ref))} patterns reported that brute force rejects"
    for r in part.regions:  # the forward pass at each reported centre has the reported pattern
        assert pattern_keys(net, r.centre[None])[0] == r.poly.key


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("half_width", [1e4, 1e5])
@pytest.mark.parametrize("seed", [0, 3])
def test_tiny_regions_in_huge_box(seed: int, half_width: float) -> None:
    """The review's scenario: hyperplanes near the origin (biases ~1e-2) cut regions of inradius 1e-5..1e-3
    there; a box of half-width 1e4 or 1e5 must not lose them (the old probe step lost 10 to 26 of ~50
    while its area defect stayed ~1e-14: a region of area 1e-8 is invisible in a box of area 4e10)."""
    net = _random_net(seed, (2, 5, 4, 2), bias_scale=1e-2)
    lo, hi = -half_width * np.ones(2), half_width * np.ones(2)
    ref = _brute_force_patterns(net, lo, hi)
    assert min(ref.values()) < 1e-4  # the scenario really has tiny regions
    part = enumerate_partition(net, lo, hi)
    _assert_same_regions(net, part, ref)
    assert part.complete, part.inconclusive


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("seed,widths,act", [(0, (2, 6, 2), "relu"), (1, (2, 4, 4, 1), "relu"),
                                             (2, (2, 3, 3, 3, 2), "relu"), (3, (2, 4, 4, 3), "leaky_relu"),
                                             (4, (2, 7, 3), "leaky_relu")])
def test_enumeration_equals_brute_force(seed: int, widths: tuple[int, ...], act: str) -> None:
    """Every region of small random networks in the box [-3, 3]^2, against all 2^K activation patterns."""
    net = _random_net(seed, widths, act=act)
    lo, hi = -3.0 * np.ones(2), 3.0 * np.ones(2)
    part = enumerate_partition(net, lo, hi)
    _assert_same_regions(net, part, _brute_force_patterns(net, lo, hi))
    assert part.complete, part.inconclusive


@pytest.mark.theorem("PD")
def test_bias_free_concurrent_hyperplanes() -> None:
    """Bias-free: every layer-1 line passes through the origin (degenerate vertex), and deeper units share
    layer-1 lines exactly (z2 = w relu(z1) where one unit is active). Complete and equal to brute force."""
    rng = np.random.default_rng(7)
    net = CPANetwork.from_arrays([rng.normal(size=(6, 2)), rng.normal(size=(4, 6)), rng.normal(size=(2, 4))])
    lo, hi = -2.0 * np.ones(2), 2.0 * np.ones(2)
    part = enumerate_partition(net, lo, hi)
    _assert_same_regions(net, part, _brute_force_patterns(net, lo, hi))
    assert part.complete, part.inconclusive


@pytest.mark.theorem("PD")
def test_enumeration_says_inconclusive_when_the_solver_fails(monkeypatch) -> None:
    """A solver status other than optimal/infeasible must make the partition incomplete, never drop a
    region silently."""
    from normalign.numerics.engine import regions

    real = regions._solve_lp
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        res = real(*args, **kwargs)
        if calls["n"] >= 3:  # from the third LP on, every answer (and every retry) fails
            res.status, res.message = 4, "planted numerical difficulty"
        return res

    monkeypatch.setattr(regions, "_solve_lp", flaky)
    net = _random_net(1, (2, 4, 4, 1))
    part = enumerate_partition(net, -3.0 * np.ones(2), 3.0 * np.ones(2))
    assert not part.complete and part.inconclusive
    assert "planted numerical difficulty" in part.inconclusive[0]


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("d,widths", [(1, (1, 4, 3, 1)), (3, (3, 4, 3, 2)), (3, (3, 5, 1))])
def test_enumeration_any_dimension(d: int, widths: tuple[int, ...]) -> None:
    """The walk is not 2-d specific: d = 1 (facets are points) and d = 3, against all patterns."""
    net = _random_net(10 + d, widths, bias_scale=0.5)
    lo, hi = -2.0 * np.ones(d), 2.0 * np.ones(d)
    walk = walk_regions(net, lo, hi)
    ref = _brute_force_patterns(net, lo, hi)
    assert walk.complete, walk.inconclusive
    assert {c.key for c in walk.regions} == set(ref)


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("gap", [0.0, 1e-16, 1e-13, 1e-10, 1e-6])
@pytest.mark.parametrize("half_width", [3.0, 1e5])
def test_near_duplicate_hyperplanes_are_never_silent(gap: float, half_width: float) -> None:
    """Duplicated units whose hyperplanes differ by `gap`: the walk is either complete and equal to brute
    force, or says it is not complete (a region between hyperplanes closer than the resolution cannot be
    certified; it must not be dropped silently)."""
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(4, 2)), rng.normal(size=4)
    W, b = np.vstack([W, W[0], -W[1]]), np.concatenate([b, [b[0] + gap, -b[1] - gap]])
    net = CPANetwork.from_arrays([W, rng.normal(size=(3, 6)), rng.normal(size=(1, 3))], [b, rng.normal(size=3), None])
    lo, hi = -half_width * np.ones(2), half_width * np.ones(2)
    walk = walk_regions(net, lo, hi)
    if walk.complete:
        assert {c.key for c in walk.regions} == set(_brute_force_patterns(net, lo, hi))
    else:
        assert walk.slivers or walk.unresolved or walk.inconclusive


@pytest.mark.theorem("PD")
def test_area_defect_is_honest_about_its_floor() -> None:
    """area_defect stays below its stated floor area_tol when nothing is missing, and a missing region
    of area above the floor shows; a region below it (1e-4 wide in a 1e5 box) cannot, as documented."""
    net = _random_net(0, (2, 5, 4, 2), bias_scale=1e-2)
    part = enumerate_partition(net, -1e5 * np.ones(2), 1e5 * np.ones(2))
    assert part.area_defect <= part.area_tol
    small = min(part.regions, key=lambda r: r.area)
    assert small.area < part.area_tol * part.box_area  # invisible to the sum: hence the walk's certificate
    part.regions.pop(int(np.argmax([r.area for r in part.regions])))
    assert part.area_defect > part.area_tol


@pytest.mark.theorem("PD")
def test_registry_enumeration_check() -> None:
    from normalign.checks import Budget, Outcome
    from normalign.numerics.checks.centroid.regions import check_enumeration_vs_brute_force

    r = check_enumeration_vs_brute_force(Budget())
    assert r.outcome == Outcome.VERIFIED, r.detail


@pytest.mark.theorem("PD")
@settings(max_examples=25, deadline=None)
@given(cpa_networks(min_layers=2, max_layers=3, max_width=4, input_dim=2, activations=("relu", "leaky_relu")))
def test_enumeration_property(net: CPANetwork) -> None:
    """Hypothesis-drawn networks (zero weights, zero biases, repeated entries included; shrinking): the
    walk equals brute force over every pattern, or says it is incomplete; never a silent difference."""
    lo, hi = -2.0 * np.ones(2), 2.0 * np.ones(2)
    walk = walk_regions(net, lo, hi)
    if walk.complete:
        got = {c.key for c in walk.regions}
        assert got == set(_brute_force_patterns(net, lo, hi))
        assert all(pattern_keys(net, c.centre[None])[0] == c.key for c in walk.regions)
