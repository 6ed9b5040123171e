"""Engine behaviour that mutation testing (mutation/run.py) found unchecked, each against an independent
oracle: hand computation for small cases, or a second algorithm (the exact region enumeration for the
MILP). The mutant each test kills is named in mutation/survivors.md."""

from __future__ import annotations

import numpy as np
import pytest
from normalign.numerics.engine.exact_robustness import (
    brute_force_radius,
    in_region_l2,
    milp_radius,
    predicted_class,
    t2a_first_order,
)
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.engine.power_diagram import pattern_set
from normalign.numerics.engine.regions import Polytope, brute_force_regions, chebyshev
from normalign.numerics.engine.scores import cosine, gram_inputs


@pytest.mark.theorem("D2")
def test_cosine_by_hand() -> None:
    """cos((3,4),(0,2)) = 8/10; cos((1,0),(1,1)) = 1/sqrt2; a zero row has no cosine (NaN)."""
    c = cosine(np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 2.0], [1.0, 1.0], [1.0, 0.0]]))
    np.testing.assert_allclose(c[:2], [0.8, 1 / np.sqrt(2)], rtol=1e-15)
    assert np.isnan(c[2])


@pytest.mark.theorem("D1")
def test_gram_inputs_refuses_a_batch_mismatch() -> None:
    """J for 3 points and X for 1 point do not pair up (numpy's einsum would broadcast the 1)."""
    with pytest.raises(ValueError, match="expected J of shape"):
        gram_inputs(np.ones((3, 2, 4)), np.ones((1, 4)))
    G, Jx = gram_inputs(np.arange(8.0).reshape(1, 2, 4), np.ones((1, 4)))
    np.testing.assert_array_equal(G, [[[14.0, 38.0], [38.0, 126.0]]])  # rows (0,1,2,3), (4,5,6,7)
    np.testing.assert_array_equal(Jx, [[6.0, 22.0]])


@pytest.mark.theorem("D1")
def test_sequential_activation_must_follow_a_linear_layer() -> None:
    """An activation first, or two in a row, is not a chain of affine layers each followed by one
    activation: refused by name rather than read as something else."""
    from torch import nn

    for module in (nn.Sequential(nn.ReLU(), nn.Linear(2, 1)),
                   nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.LeakyReLU(0.1), nn.Linear(3, 1))):
        with pytest.raises(NetworkError, match="must follow a Linear layer"):
            CPANetwork.from_sequential(module)


@pytest.mark.theorem("D1")
def test_missing_biases_stay_missing(tmp_path) -> None:
    """Biases default to none: no bias parameter in torch, no b arrays in the .npz (bias-free claims such
    as P2 are about networks without biases, not with zero ones)."""
    net = CPANetwork.from_arrays([np.eye(2), np.ones((1, 2))])
    assert not any(layer.has_bias for layer in net.layers) and net.bias_free
    assert all(m.bias is None for m in net.to_sequential() if hasattr(m, "bias"))
    net.to_npz(tmp_path / "m.npz")
    assert not {k for k in np.load(tmp_path / "m.npz").files if k.startswith("b")}


@pytest.mark.theorem("T2")
def test_analyze_without_robustness_leaves_it_undefined() -> None:
    """robustness=False: the T2(a) radius and nearest boundary points are NaN, never stale memory."""
    from normalign.numerics.engine.geometry import analyze

    net = CPANetwork.from_arrays([np.array([[1.0, 0.0], [-1.0, 0.0]])], [np.array([0.0, 2.0])], ["identity"])
    X = np.random.default_rng(0).normal(size=(64, 2))
    geo = analyze(net, X, robustness=False)
    assert np.isnan(geo.robustness_radius).all() and np.isnan(geo.nearest_boundary).all()
    assert not geo.boundary_in_region.any()


@pytest.mark.theorem("T2")
def test_predicted_class_of_a_zero_logit_is_zero() -> None:
    """c = 1: class 1 only for a positive logit (f = x1 - 1 is 0 at x1 = 1)."""
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0]])], [np.array([-1.0])], ["identity"])
    np.testing.assert_array_equal(predicted_class(net, np.array([[1.0, 5.0], [1.5, 0.0], [0.5, 0.0]])), [0, 1, 0])


@pytest.mark.theorem("PD")
def test_pattern_set_default_is_relu() -> None:
    """Without ``low`` the patterns are ReLU's {0, 1}^K, in itertools.product order."""
    np.testing.assert_array_equal(pattern_set(2), [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert pattern_set(2).dtype == np.float64


@pytest.mark.theorem("D3")
def test_chebyshev_of_no_constraints_is_the_whole_space() -> None:
    """A polytope without rows is R^d: centre 0, radius inf (status 3, 'unbounded'), certified inf."""
    ch = chebyshev(Polytope(np.zeros((0, 3)), np.zeros(0), np.zeros((0, 2), dtype=int)))
    np.testing.assert_array_equal(ch.centre, np.zeros(3))
    assert ch.radius == np.inf and ch.certified == np.inf and ch.status == 3 and ch.ok


@pytest.mark.theorem("T2")
def test_in_region_l2_linear_classifier_by_hand() -> None:
    """f = (x1, 2 - x1) is affine everywhere: from x = (3, 1) the tie x1 = 1 is at L2 distance 2, reached at
    (1, 1); the certified lower bound of one region is that same distance."""
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0], [-1.0, 0.0]])], [np.array([0.0, 2.0])], ["identity"])
    r = in_region_l2(net, np.array([3.0, 1.0]))
    assert r.verified and r.norm == "l2" and r.target == 1
    assert r.radius == pytest.approx(2.0, rel=1e-9)
    assert r.radius * (1 - 1e-6) <= r.lower <= r.radius
    np.testing.assert_allclose(r.witness, [1.0, 1.0], atol=1e-6)


@pytest.mark.theorem("T2")
def test_t2a_first_order_kappa_by_hand() -> None:
    """Linear 3-class net J = [[2,0],[0,1],[-1,0]], b = 0, at two points (entries other than 0, +-1, and
    two points, so that a power or a sum over the wrong axis shows).

    x = (2, 1): z = (4, 1, -2), y = 0; ratios 3/sqrt5 (k = 1) and 6/3 (k = 2), so k = 1, rho = 3/sqrt5,
    kappa = (4 + 1)/5 + (4 + 1)/3 = 8/3.
    x = (1, 3): z = (2, 3, -1), y = 1; ratios 1/sqrt5 (k = 0) and 4/sqrt2 (k = 2), so k = 0, rho = 1/sqrt5,
    kappa = (1 + 4)/5 + (3 + 2)/1 = 6.
    Bias-free, so J x = z and the bound ||x|| min_k gap_k / |v_y - v_k| is ||x||."""
    net = CPANetwork.from_arrays([np.array([[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])], None, ["identity"])
    out = t2a_first_order(net, np.array([[2.0, 1.0], [1.0, 3.0]]))
    np.testing.assert_allclose(out["rho"], [3 / np.sqrt(5), 1 / np.sqrt(5)], rtol=1e-14)
    np.testing.assert_allclose(out["kappa"], [8 / 3, 6.0], rtol=1e-14)
    np.testing.assert_allclose(out["bound"], [np.sqrt(5), np.sqrt(10)], rtol=1e-14)


@pytest.mark.theorem("D3")
def test_chebyshev_ball_inside_a_facet() -> None:
    """The facet x1 = 0 of the unit square (its own row left out, the hyperplane as ``extra``): the largest
    ball in the facet is centred at (0, 1/2) with radius 1/2."""
    A = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    poly = Polytope(A, np.array([1.0, 1.0, 0.0]), np.array([[-1, 0], [-1, 1], [-1, 2]]))
    ch = chebyshev(poly, extra=(np.array([1.0, 0.0]), 0.0))
    assert ch.ok and ch.status == 0
    np.testing.assert_allclose(ch.centre, [0.0, 0.5], atol=1e-9)
    assert ch.radius == pytest.approx(0.5, abs=1e-9)


@pytest.mark.theorem("D3")
def test_brute_force_regions_of_an_affine_network_is_the_box() -> None:
    """No activation layer: one region, the box [0, 4] x [1, 2], whose inscribed ball has centre (2, 1.5)
    and radius 1/2 (solved, certified)."""
    net = CPANetwork.from_arrays([np.array([[1.0, -1.0]])], None, ["identity"])
    found, failed = brute_force_regions(net, np.array([0.0, 1.0]), np.array([4.0, 2.0]))
    assert not failed and len(found) == 1
    (ch,) = found.values()
    assert ch.ok and ch.status == 0 and ch.radius == 0.5 and ch.certified == 0.5
    np.testing.assert_array_equal(ch.centre, [2.0, 1.5])


def _net_with_stable_units(activation: str) -> CPANetwork:
    """2 -> 4 -> 2 on the box x0 +- 2 with x0 = (3, -1): unit 0 is -x1 (zero bias, inactive on the whole box:
    x1 >= 1), unit 1 is 0.1 (x1 + x2) - 10 (inactive), unit 2 is x2 + 3.5 (active), unit 3 is x1 + x2 - 3
    (crosses the box). The MILP fixes stable units without binaries; the region walk does not use them.
    For ReLU, f_0 - f_1 = x2 + 2 + 2 relu(x1 + x2 - 3): the class changes past x2 = -2, at distance 1 from
    x0 in both norms, inside the box, with slope 1 (so the flip margin moves a witness by ~5e-6 only)."""
    W0 = np.array([[-1.0, 0.0], [0.1, 0.1], [0.0, 1.0], [1.0, 1.0]])
    b0 = np.array([0.0, -10.0, 3.5, -3.0])
    W1 = np.array([[1.0, 0.5, 1.5, 1.0], [-0.5, 1.0, 0.5, -1.0]])
    b1 = np.array([0.0, 1.5])
    return CPANetwork.from_arrays([W0, W1], [b0, b1], [activation, "identity"], negative_slope=0.1)


@pytest.mark.theorem("T2")
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("norm", ["linf", "l1"])
def test_milp_equals_region_enumeration_with_stable_units(activation: str, norm: str) -> None:
    """The MILP's radius and the exact enumeration's (every region of the box, an LP each) bracket the
    same number when some units are stable on the box (ReLU and leaky ReLU, a stable unit of zero bias)."""
    net = _net_with_stable_units(activation)
    x = np.array([3.0, -1.0])
    m = milp_radius(net, x, norm, R=2.0)
    e = brute_force_radius(net, x, norm, R=2.0)
    assert m.verified and e.verified, (m.reason, e.reason)
    assert np.isfinite(m.radius) and np.isfinite(e.radius)
    if activation == "relu":
        assert e.radius == pytest.approx(1.0, rel=1e-6)
    # each answer brackets the true radius: the brackets must overlap, and both be tight
    assert max(m.lower, e.lower) <= min(m.radius, e.radius) * (1 + 1e-9)
    assert m.radius == pytest.approx(e.radius, rel=1e-6)


@pytest.mark.theorem("T2")
def test_milp_margin_fallback_gives_a_verified_witness(monkeypatch: pytest.MonkeyPatch) -> None:
    """When no strict flip is found next to the MILP's tie point, the margin MILP's point must be a strict
    flip (forward pass) at a distance inside the exact bracket of the region enumeration, up to the flip
    margin (1e-6 on these O(1) logits)."""
    import normalign.numerics.engine.exact_robustness as er

    net = _net_with_stable_units("relu")
    x = np.array([3.0, -1.0])
    exact = brute_force_radius(net, x, "linf", R=2.0)
    monkeypatch.setattr(er, "strict_witness", lambda *args, **kwargs: None)
    m = milp_radius(net, x, "linf", R=2.0)
    assert m.verified, m.reason
    y = int(predicted_class(net, x[None])[0])
    assert er.verify_witness(net, x, y, m.witness)
    assert m.radius == pytest.approx(float(np.abs(m.witness - x).max()), rel=1e-12)
    assert exact.lower * (1 - 1e-9) <= m.radius <= exact.radius + 1e-4


@pytest.mark.theorem("T2")
def test_enumeration_margin_fallback_gives_a_verified_witness(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same fallback in the exact enumeration: the margin problem in the closest region gives a strict
    flip within the flip margin of the exact radius (1, by hand: see _net_with_stable_units)."""
    import normalign.numerics.engine.exact_robustness as er

    net = _net_with_stable_units("relu")
    x = np.array([3.0, -1.0])
    monkeypatch.setattr(er, "strict_witness", lambda *args, **kwargs: None)
    for norm in ("linf", "l2"):
        r = brute_force_radius(net, x, norm, R=2.0)
        assert r.verified, r.reason
        assert er.verify_witness(net, x, 0, r.witness)
        assert r.lower <= 1.0 + 1e-9 and 1.0 < r.radius <= 1.0 + 1e-4
