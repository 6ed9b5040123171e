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
from normalign.numerics.tolerances import MILP_FLIP_MARGIN


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


# ----------------------------------------------------------------------------- strict_witness's searches
def _kink_net(far: bool) -> tuple[CPANetwork, np.ndarray]:
    """2 -> 4 (or 5) -> 2 with gap f_1 - f_0 = min(p1 - s - 1, p2) about x = (s, 0), computed exactly along
    the ray (s + t, 0): units a = relu(p2 - p1 + s + 1), b = relu(p2 + 100), and f_1 = b - a - 100. The tie
    set {p1 >= s + 1, p2 >= 0} is closest to x at w0 = (s + 1, 0) (distance 1 in L1 and L2); along the ray
    the gap is exactly 0 for every t >= 1 (it only touches 0 there), while (s + 1 + m, m) is a strict flip
    for every m > 0. A unit e = relu(p1 - s - 1) with zero read-out only splits the regions at w0, so that
    w0's own region (e and a inactive there: p2 <= p1 - s - 1 <= 0) holds no strict flip: the strict
    flips are only in the neighbouring regions, which the kink search must step into. f_0 = 0 on the box |p - x|_inf <= 2 but large in absolute value, so that the
    rounding scale of the gap (its terms in absolute value) is set by class 0's row:
    near: s = 0, f_0 = 5 relu(p2 + 100) - 5 relu(p2 + 50) - 250 (large bias terms);
    far: s = 100, f_0 = relu(100 p1) - relu(100 p1 - 1) - 1 (large weights: |J_0| |w0| ~ 2e4)."""
    if far:
        W1 = np.array([[-1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [100.0, 0.0], [100.0, 0.0]])
        b1 = np.array([101.0, 100.0, -101.0, 0.0, -1.0])
        W2 = np.array([[0.0, 0.0, 0.0, 1.0, -1.0], [-1.0, 1.0, 0.0, 0.0, 0.0]])
        b2 = np.array([-1.0, -100.0])
        return CPANetwork.from_arrays([W1, W2], [b1, b2], ["relu", "identity"]), np.array([100.0, 0.0])
    W1 = np.array([[-1.0, 1.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    b1 = np.array([1.0, 100.0, -1.0, 50.0])
    W2 = np.array([[0.0, 5.0, 0.0, -5.0], [-1.0, 1.0, 0.0, 0.0]])
    b2 = np.array([-250.0, -100.0])
    return CPANetwork.from_arrays([W1, W2], [b1, b2], ["relu", "identity"]), np.zeros(2)


@pytest.mark.theorem("T2")
@pytest.mark.parametrize("far", [False, True])
# far, L2: Clarabel calls one probe region's margin QP 'inaccurate'; region_tie then reports that region as
# unsolved (NaN) and the kink search uses the others, which is what this test expects
@pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")
def test_strict_witness_at_a_kink_searches_the_touching_regions(far: bool) -> None:
    """No strict flip on the ray through the tie point w0 (the gap is exactly 0 there): the strict witness
    must come from the regions touching w0, within the witness margin (~1e-10 to ~4e-9 here) of it; the
    enumeration's and the MILP's radii are then 1 to that margin, their lower bounds at most 1 (by hand)."""
    from normalign.numerics.engine.exact_robustness import (
        flip_gap,
        region_problem,
        strict_witness,
        verify_witness,
    )

    net, x = _kink_net(far)
    w0 = x + np.array([1.0, 0.0])
    T = 1.0 + 2.0 ** -np.arange(52, 0, -1)
    assert not (flip_gap(net, x[None] + T[:, None] * (w0 - x)[None], 0) > 0).any()  # the touch is real
    rm = region_problem(net, w0)
    for norm in ("l1", "l2", "linf"):
        w = strict_witness(net, x, 0, w0, norm, rm=rm)
        assert w is not None and verify_witness(net, x, 0, w), norm
        assert np.abs(w - w0).max() <= 1e-7, (norm, w)
    for norm in ("l1", "l2"):
        r = brute_force_radius(net, x, norm, R=2.0)
        assert r.verified, r.reason
        assert verify_witness(net, x, 0, r.witness)
        assert r.lower <= 1.0 + 1e-12 and 1.0 < r.radius <= 1.0 + 1e-7, (norm, r.lower, r.radius)
    m = milp_radius(net, x, "l1", R=2.0)
    assert m.verified and verify_witness(net, x, 0, m.witness), m.reason
    assert m.lower <= 1.0 + 1e-12 and 1.0 < m.radius <= 1.0 + 1e-7, (m.lower, m.radius)


def _plateau_net() -> CPANetwork:
    """1 -> 2 -> 2: f_0 = relu(1 - p), f_1 = relu(p - 1.1). From x = 0 (class 0) the gap f_1 - f_0 is
    p - 1 < 0 below 1, exactly 0 on [1, 1.1] (ties, no strict flip) and p - 1.1 > 0 beyond: the closest
    tie is at 1, the closest strict flip at 1.1 (the exact radius, an infimum)."""
    return CPANetwork.from_arrays([np.array([[1.0], [-1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])],
                                  [np.array([-1.1, 1.0]), None], ["relu", "identity"])


@pytest.mark.theorem("T2")
def test_strict_witness_beyond_a_zero_gap_plateau() -> None:
    """The tie at 1 has no strict flip next to it in any region: the last resort (farther along the ray,
    t = 1 + 2^-k up to 1.5) must give one, 1.125 (first t with t > 1.1). The enumeration then reports the
    open bracket [1, 1.125] honestly (inconclusive), with that strict flip as its upper end."""
    from normalign.numerics.engine.exact_robustness import (
        strict_witness,
        verify_witness,
    )

    net, x = _plateau_net(), np.zeros(1)
    w = strict_witness(net, x, 0, np.array([1.0]), "linf")
    assert w is not None and verify_witness(net, x, 0, w)
    assert w[0] == 1.125
    for norm in ("linf", "l2"):
        r = brute_force_radius(net, x, norm, R=2.0)
        assert not r.verified and r.witness is not None and verify_witness(net, x, 0, r.witness)
        assert r.radius == pytest.approx(1.125, rel=1e-9) and r.lower <= 1.0 + 1e-12


# ----------------------------------------------------------------------------- planted solver failures
def _linear_net() -> CPANetwork:
    """f = (x1, 2 - x1): class 0 at x = (3, 1), the tie x1 = 1 at distance 2 in every norm."""
    return CPANetwork.from_arrays([np.array([[1.0, 0.0], [-1.0, 0.0]])], [np.array([0.0, 2.0])], ["identity"])


@pytest.mark.theorem("T2")
def test_a_failed_farkas_certificate_is_a_failure_not_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The box [2.5, 3.5] x [0.5, 1.5] about x = (3, 1) holds no tie (x1 >= 2.5 > 1). Its emptiness is
    proved by the multipliers of max gap (a Farkas certificate); planted multipliers that prove nothing
    (all zero) must give a failed Tie (value and bound NaN, the target named) and an inconclusive
    radius, never 'no class change' on the planted solver's word."""
    import normalign.numerics.engine.exact_robustness as er

    net, x = _linear_net(), np.array([3.0, 1.0])
    rm = er.region_problem(net, x, box=(x - 0.5, x + 0.5))
    honest = er.region_tie(rm, net, x, 0, "linf", reach=1.0)
    assert honest.value == np.inf and honest.lower > 0  # the real certificate works
    monkeypatch.setattr(er, "_farkas", lambda poly, g, g0: np.zeros(poly.A.shape[0] + 1))
    tie = er.region_tie(rm, net, x, 0, "linf", reach=1.0)
    assert np.isnan(tie.value) and tie.point is None and tie.target == 1 and np.isnan(tie.lower)
    assert "Farkas certificate failed" in tie.message
    r = brute_force_radius(net, x, "linf", R=0.5)
    assert not r.verified and "Farkas certificate failed" in r.reason


@pytest.mark.theorem("T2")
def test_a_solver_optimum_below_its_certificate_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted LP that reports half the true optimum (1 instead of 2 for the tie x1 = 1 from (3, 1)):
    the numpy dual certificate (2) lies above it, so region_tie must refuse the answer (NaN, target
    named) and the enumeration must be inconclusive, not report radius 1."""
    import normalign.numerics.engine.exact_robustness as er

    net, x = _linear_net(), np.array([3.0, 1.0])
    real = er._lp_norm

    def halved(A, b, x_, norm):
        val, w, lam, msg = real(A, b, x_, norm)
        return val / 2, w, lam, msg

    rm = er.region_problem(net, x, box=(x - 2.5, x + 2.5))
    assert er.region_tie(rm, net, x, 0, "linf").value == pytest.approx(2.0, rel=1e-12)
    monkeypatch.setattr(er, "_lp_norm", halved)
    tie = er.region_tie(rm, net, x, 0, "linf")
    assert np.isnan(tie.value) and tie.point is None and tie.target == 1 and np.isnan(tie.lower)
    assert "above the optimum" in tie.message
    r = brute_force_radius(net, x, "linf", R=2.5)
    assert not r.verified and "above the optimum" in r.reason and np.isnan(r.radius)


@pytest.mark.theorem("T2")
def test_incomplete_walk_answer_keeps_its_diagnostics(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every region LP planted to fail: the enumeration is inconclusive ('region walk incomplete') and its
    `extra` still counts the LP calls (counted independently here) and the regions solved (none)."""
    from normalign.numerics.engine import regions

    real = regions._solve_lp
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        res = real(*args, **kwargs)
        res.status, res.message = 4, "planted numerical difficulty"
        return res

    monkeypatch.setattr(regions, "_solve_lp", failing)
    r = brute_force_radius(_net_with_stable_units("relu"), np.array([3.0, -1.0]), "linf", R=2.0)
    assert not r.verified and r.reason.startswith("region walk incomplete")
    assert "planted numerical difficulty" in r.reason
    assert r.extra["lp_calls"] == calls["n"] > 0 and r.extra["thin"] == 0


@pytest.mark.theorem("T2")
def test_enumeration_fallback_failure_keeps_the_bracket(monkeypatch: pytest.MonkeyPatch) -> None:
    """No strict flip next to the closest tie and none even with the margin (planted: a margin of 1e9, no
    point of the box reaches it): inconclusive, with the tie distance 1 (by hand) as `radius`, no
    witness, the region count of the walk (2: unit x1 + x2 - 3 splits the box) and the reason."""
    import normalign.numerics.engine.exact_robustness as er

    monkeypatch.setattr(er, "strict_witness", lambda *args, **kwargs: None)
    monkeypatch.setattr(er, "_margin", lambda net, x: 1e9)
    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    found, failed = brute_force_regions(net, x - 2.0, x + 2.0)
    assert not failed
    r = brute_force_radius(net, x, "linf", R=2.0)
    assert not r.verified and r.witness is None and r.target == 1
    assert r.radius == pytest.approx(1.0, rel=1e-9) and r.lower <= 1.0 + 1e-12
    assert r.regions == len(found) == 2
    assert r.reason == "no strict class change found next to the closest tie"


@pytest.mark.theorem("T2")
def test_milp_polishes_a_margin_point_that_fails_the_forward_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The margin MILP's point planted to miss the class change (pulled back 1e-3 of the way to x, still in
    the same region): the polish (margin problem on that region, margin doubled) must give a strict flip
    at the hand distance: the gap is -(x2 + 2) there, so gap >= 2 m is first reached at L-inf distance
    1 + 2 m (m = the flip margin MILP_FLIP_MARGIN (1 + max |f(x)|) = 4.75e-6 here; the bracket [1, 1 + 2 m] is then wider than
    EXACT_RADIUS_TOL, so the answer is honestly inconclusive, with that witness as its upper end)."""
    import normalign.numerics.engine.exact_robustness as er

    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    exact = brute_force_radius(net, x, "linf", R=2.0)
    assert exact.verified and exact.radius == pytest.approx(1.0, rel=1e-9)
    real = er._milp_one
    planted = []

    def short(net_, x_, y, k, norm, R, margin, time_limit):
        status, obj, dual, w, msg = real(net_, x_, y, k, norm, R, margin, time_limit)
        if margin > 0 and w is not None:
            w = x_ + (1 - 1e-3) * (w - x_)
            planted.append(not er.verify_witness(net_, x_, y, w))
        return status, obj, dual, w, msg

    monkeypatch.setattr(er, "strict_witness", lambda *args, **kwargs: None)
    monkeypatch.setattr(er, "_milp_one", short)
    m = milp_radius(net, x, "linf", R=2.0)
    assert planted == [True]  # the margin MILP ran and its planted point is not a flip
    assert m.witness is not None and er.verify_witness(net, x, 0, m.witness), m.reason
    assert m.radius == pytest.approx(float(np.abs(m.witness - x).max()), rel=1e-12)
    m_hand = MILP_FLIP_MARGIN * (1 + 3.75)  # relative to 1 + max |f(x)|, f(x) = (3.75, 2.75) by hand
    assert m.radius == pytest.approx(1.0 + 2 * m_hand, rel=1e-9)
    assert 1.0 - 2e-6 <= m.lower <= 1.0 and m.target == 1  # HiGHS's bound less MILP_BOUND_SLACK (1e-6)


@pytest.mark.theorem("T2")
def test_milp_fallback_failure_is_inconclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    """No strict flip next to the tie and the margin MILP planted to stop (status 1, time limit): the answer
    is inconclusive, with the tie MILP's objective (1, by hand) as radius, no witness, the target and the
    margin MILP's message."""
    import normalign.numerics.engine.exact_robustness as er

    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    real = er._milp_one

    def stopped(net_, x_, y, k, norm, R, margin, time_limit):
        if margin > 0:
            return 1, np.nan, np.nan, None, "planted time limit"
        return real(net_, x_, y, k, norm, R, margin, time_limit)

    monkeypatch.setattr(er, "strict_witness", lambda *args, **kwargs: None)
    monkeypatch.setattr(er, "_milp_one", stopped)
    m = milp_radius(net, x, "linf", R=2.0)
    assert m.outcome == "inconclusive" and m.witness is None and m.target == 1 and m.norm == "linf"
    assert m.radius == pytest.approx(1.0, rel=1e-6)
    assert "margin MILP: planted time limit" in m.reason


@pytest.mark.theorem("T2")
def test_a_solver_bound_above_the_witness_is_not_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS's dual bound is solver-reported (``extra['lower_by']``). Planted 1.5 times too high, it lies
    above the verified witness (radius 1 by hand, from the exact enumeration): the answer must be
    inconclusive with that reason, never a verified bracket whose lower end exceeds the radius."""
    import normalign.numerics.engine.exact_robustness as er

    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    honest = milp_radius(net, x, "linf", R=2.0)
    assert honest.verified and honest.radius == pytest.approx(1.0, rel=1e-9) and "HiGHS" in honest.extra["lower_by"]
    real = er._milp_one

    def overstated(net_, x_, y, k, norm, R, margin, time_limit):
        status, obj, dual, w, msg = real(net_, x_, y, k, norm, R, margin, time_limit)
        return status, 1.5 * obj, 1.5 * dual, w, msg

    monkeypatch.setattr(er, "_milp_one", overstated)
    m = milp_radius(net, x, "linf", R=2.0)
    assert m.outcome == "inconclusive" and "lies above the verified witness" in m.reason, (m.outcome, m.reason)


@pytest.mark.theorem("T2")
def test_output_activation_is_part_of_the_region_map() -> None:
    """An activation on the last layer (leaky, slope 0.1): f_0 = lrelu(x1), f_1 = lrelu(-0.5) = -0.05.
    From x = (5, 0) (class 0) the tie f_0 <= f_1 lies where the output unit 0 is inactive:
    0.1 x1 <= -0.05, x1 <= -0.5, at distance 5.5 in every norm (slope 1 instead of 0.1 would give 5.05)."""
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0], [0.0, 0.0]])], [np.array([0.0, -0.5])], ["leaky_relu"],
                                 negative_slope=0.1)
    x = np.array([5.0, 0.0])
    for norm in ("linf", "l2"):
        r = brute_force_radius(net, x, norm, R=6.0)
        assert r.verified, r.reason
        assert r.radius == pytest.approx(5.5, rel=1e-9) and r.lower <= 5.5 * (1 + 1e-12)
        assert r.witness[0] < -0.5


# ----------------------------------------------------------------------------- thin cells
def _plant_thin(monkeypatch: pytest.MonkeyPatch, net: CPANetwork, p: np.ndarray) -> bytes:
    """Make the walk's certification fail for the region of ``p`` (as for a region thinner than the
    resolution): its polished radius is planted to 0. Returns that region's pattern key."""
    from normalign.numerics.engine import regions

    key = regions.pattern_keys(net, p[None])[0]
    real = regions._polish_centre

    def polish(poly, c, r):
        centre, radius = real(poly, c, r)
        return (centre, 0.0) if poly.key == key else (centre, radius)

    monkeypatch.setattr(regions, "_polish_centre", polish)
    return key


@pytest.mark.theorem("PD")
def test_thin_cells_are_recorded_and_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted thin cell (the region x1 + x2 > 3 of _net_with_stable_units) is listed among `thin` (the
    cell itself, with its pattern, never dropped), the other region among `regions` (brute force over
    patterns: 2 in all), and it counts against the region budget."""
    from normalign.numerics.engine.regions import pattern_keys, walk_regions

    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    key = _plant_thin(monkeypatch, net, np.array([4.0, 0.0]))
    found, _ = brute_force_regions(net, x - 2.0, x + 2.0)
    walk = walk_regions(net, x - 2.0, x + 2.0)
    assert [c.key for c in walk.thin] == [key] and walk.thin[0].radius <= 0
    assert [c.key for c in walk.regions] == [pattern_keys(net, x[None])[0]]
    assert {c.key for c in walk.regions + walk.thin} == set(found)
    with pytest.raises(RuntimeError, match="more than 1 regions"):
        walk_regions(net, x - 2.0, x + 2.0, max_regions=1)
    assert len(walk_regions(net, x - 2.0, x + 2.0, max_regions=2).thin) == 1


@pytest.mark.theorem("T2")
def test_a_thin_cell_bounds_the_lower_end_by_its_distance(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the region x1 + x2 > 3 planted thin (never searched), a tie could hide there: the certified
    lower end must drop to that cell's distance from x = (3, -1), 1/2 in L-inf (x1 + x2 = 2), leaving the
    bracket [1/2, 1] open (inconclusive) although the witness at distance 1 is still found."""
    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    _plant_thin(monkeypatch, net, np.array([4.0, 0.0]))
    r = brute_force_radius(net, x, "linf", R=2.0)
    assert r.extra["thin"] == 1 and not r.verified
    assert 0.5 * (1 - 1e-9) <= r.lower <= 0.5
    assert r.radius == pytest.approx(1.0, rel=1e-6)


@pytest.mark.theorem("PD")
def test_polish_centre_falls_back_to_the_chebyshev_lp() -> None:
    """A joint-LP centre that fails the numpy certification (planted far outside, with the d + 1 tightest
    rows a rank-one system whose least-squares vertex is outside too): the solo Chebyshev LP must supply
    the centre, the inscribed ball of the unit square (centre (1/2, 1/2), radius 1/2, by hand; the
    least-squares vertex of the three copies of x1 <= 1 is (1/2, 0), on the boundary)."""
    from normalign.numerics.engine.regions import _polish_centre

    A = np.array([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    b = np.array([1.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    poly = Polytope(A, b, np.array([[-1, j] for j in range(6)]))
    c, r = _polish_centre(poly, np.array([5.0, 0.6]), 0.0)
    np.testing.assert_allclose(c, [0.5, 0.5], atol=1e-9)
    assert r == pytest.approx(0.5, rel=1e-9) and r == poly.certified_radius(c)


@pytest.mark.theorem("T2")
@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
def test_in_region_qp_lower_is_tight_to_rounding(activation: str) -> None:
    """The in-region L2 radius's certificate uses the active-set multipliers (exact KKT), so its lower end
    is the radius less rounding only: the rows' resolution here is ~1e-12 relative (region_row_tol of a
    2-layer width-4 net times scales ~10); Clarabel's own multipliers would leave ~1e-10. The radius is
    also recomputed from the witness, which must reach the tie (gap >= 0 to rounding)."""
    from normalign.numerics.engine.exact_robustness import flip_gap

    net, x = _net_with_stable_units(activation), np.array([3.0, -1.0])
    r = in_region_l2(net, x)
    assert r.verified, r.reason
    assert r.radius == pytest.approx(float(np.linalg.norm(r.witness - x)), rel=1e-15)
    assert flip_gap(net, r.witness[None], 0)[0] >= -1e-12
    assert r.radius * (1 - 1e-11) <= r.lower <= r.radius
    if activation == "relu":
        assert r.radius == pytest.approx(1.0, rel=1e-12)  # the tie x2 = -2, by hand


# ----------------------------------------------------------------------------- survivors of the 5ed4d94 run
@pytest.mark.theorem("T2")
def test_active_set_polish_accepts_a_zero_multiplier() -> None:
    """Project x = 0 onto {x1 >= 1, x2 <= 0}: the optimum (1, 0) lies on both rows, with multipliers (1, 0)
    by hand (the second row is active but weakly: multiplier exactly 0, which KKT allows). The polish must
    accept that active set and return the exact point and multipliers, from a point 1e-9 inside and from
    Clarabel's own answer."""
    from normalign.numerics.engine.exact_robustness import (
        _active_set_projection,
        _qp_l2,
    )

    A, b, x = np.array([[-1.0, 0.0], [0.0, 1.0]]), np.array([-1.0, 0.0]), np.zeros(2)
    p, lam = _active_set_projection(A, b, x, np.array([1.0 + 1e-9, -1e-9]))
    assert lam is not None
    np.testing.assert_array_equal(p, [1.0, 0.0])
    np.testing.assert_array_equal(lam, [1.0, 0.0])
    val, w, lam, msg = _qp_l2(A, b, x)
    assert val == 1.0 and not msg
    np.testing.assert_array_equal(w, [1.0, 0.0])
    np.testing.assert_array_equal(lam, [1.0, 0.0])


@pytest.mark.theorem("T2")
def test_enumeration_over_its_region_budget_is_nan_and_inconclusive() -> None:
    """The box about (3, -1) holds 2 regions (brute force over patterns); a budget of 1 must give an
    inconclusive answer with radius NaN (a float, never None) and the norm asked for."""
    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    found, failed = brute_force_regions(net, x - 2.0, x + 2.0)
    assert not failed and len(found) == 2
    r = brute_force_radius(net, x, "l1", R=2.0, max_regions=1)
    assert not r.verified and "more than 1 regions" in r.reason
    assert r.norm == "l1" and isinstance(r.radius, float) and np.isnan(r.radius) and r.witness is None


@pytest.mark.theorem("T2")
@pytest.mark.parametrize("norm", ["linf", "l2", "l1"])
def test_no_class_change_in_the_box_keeps_the_norm(norm: str) -> None:
    """f = (x1, 2 - x1) from x = (3, 1): the tie x1 = 1 is at distance 2 (by hand), outside the box of
    half-width 0.5, so the answer is 'no class change' (radius inf, lower = R = 0.5) in the norm asked."""
    r = brute_force_radius(_linear_net(), np.array([3.0, 1.0]), norm, R=0.5)
    assert r.verified and r.norm == norm and r.radius == np.inf and r.lower == 0.5 and r.witness is None


@pytest.mark.theorem("T2")
def test_dual_lower_bound_by_hand() -> None:
    """Rows x1 >= 1 and x2 >= 2 (A = -I, b = (-1, -2)) from x = 0, multipliers (1, 0): the bound is
    lam^T (A x - b) / ||A^T lam||_q = 1 in every norm, less rounding (~1e-15); with row errors
    err = (0.25, 0) it is (1 - 0.25) / 1 = 0.75; with lam = (1, 1) it is 3 / ||(1, 1)||_q: 3/2 (L-inf, q = 1),
    3/sqrt2 (L2), 3 (L1, q = inf; the true L1 distance, (1, 2) being the closest point)."""
    from normalign.numerics.engine.exact_robustness import dual_lower_bound

    A, b, x = -np.eye(2), np.array([-1.0, -2.0]), np.zeros(2)
    for norm in ("linf", "l2", "l1"):
        assert dual_lower_bound(A, b, x, np.array([1.0, 0.0]), norm) == pytest.approx(1.0, rel=1e-13)
        assert dual_lower_bound(A, b, x, np.array([1.0, 0.0]), norm) <= 1.0
        assert dual_lower_bound(A, b, x, np.array([1.0, 0.0]), norm, err=np.array([0.25, 0.0])) \
            == pytest.approx(0.75, rel=1e-13)
    for norm, hand in (("linf", 1.5), ("l2", 3 / np.sqrt(2)), ("l1", 3.0)):
        assert dual_lower_bound(A, b, x, np.ones(2), norm) == pytest.approx(hand, rel=1e-13)


@pytest.mark.theorem("T2")
def test_strict_witness_takes_the_first_strict_flip_on_the_ray() -> None:
    """f = (relu(x1), 2 - relu(x1)) (one activation layer, so that the region probes can run) from x = (3, 1),
    tie w0 = (1, 1): on the ray x + t (w0 - x) the gap is 4 (t - 1), so the first t of the list with a strict
    flip is 1 + 2^-52, i.e. the point (1 - 2^-51, 1) exactly (by hand: f = (1 - 2^-51, 1 + 2^-51), gap
    2^-50 > 0), not a point of the margin problems (gap >= ~1e-13, x1 <= 1 - 5e-14)."""
    from normalign.numerics.engine.exact_robustness import (
        region_problem,
        strict_witness,
    )

    net = CPANetwork.from_arrays([np.array([[1.0, 0.0]]), np.array([[1.0], [-1.0]])], [None, np.array([0.0, 2.0])],
                                 ["relu", "identity"])
    x, w0 = np.array([3.0, 1.0]), np.array([1.0, 1.0])
    for norm in ("linf", "l2", "l1"):
        w = strict_witness(net, x, 0, w0, norm, rm=region_problem(net, w0))
        assert w is not None
        np.testing.assert_array_equal(w, [1.0 - 2.0 ** -51, 1.0])


def _small_kink_net() -> CPANetwork:
    """2 -> 3 -> 2 as _kink_net (s = 0) with small terms at the tie: f_0 = 0, f_1 = relu(p2 + 0.01) - 0.01
    - relu(p2 - p1 + 1) (= min(p1 - 1, p2) near the ray), and e = relu(p1 - 1) with zero read-out. From
    x = 0 (class 0: f_1 = -1) the tie set {p1 >= 1, p2 >= 0} is closest at w0 = (1, 0), where the gap is
    exactly 0 along the ray (t, 0), t >= 1."""
    W1 = np.array([[-1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    b1 = np.array([1.0, 0.01, -1.0])
    W2 = np.array([[0.0, 0.0, 0.0], [-1.0, 1.0, 0.0]])
    b2 = np.array([0.0, -0.01])
    return CPANetwork.from_arrays([W1, W2], [b1, b2], ["relu", "identity"])


@pytest.mark.theorem("T2")
def test_kink_search_margin_uses_the_gap_rounding_scale() -> None:
    """At w0 = (1, 0) of _small_kink_net the gap's terms in absolute value are |0.01| + |-0.01| = 0.02 (a,
    e inactive, b active; f_0 = 0), so the kink search asks gap >= m = witness_gap_margin(2, 3, 1.02). In
    both regions touching w0 where a strict flip exists, the L1-closest point with gap >= m is (1 + m, m)
    (by hand: p1 >= 1 + m, p2 >= m), and it must be that point (to rounding)."""
    from normalign.numerics.engine.exact_robustness import (
        strict_witness,
        verify_witness,
    )
    from normalign.numerics.tolerances import witness_gap_margin

    net, x, w0 = _small_kink_net(), np.zeros(2), np.array([1.0, 0.0])
    m = witness_gap_margin(2, 3, 1.0 + 0.02)
    w = strict_witness(net, x, 0, w0, "l1")
    assert w is not None and verify_witness(net, x, 0, w)
    # to the LP vertex's rounding on O(1) data (a few eps), far below m ~ 1.4e-13 (scale 2.02 would double it)
    assert abs(w[1] - m) <= 1e-15 and abs((w[0] - 1.0) - m) <= 1e-15, (w, m)


@pytest.mark.theorem("D3")
def test_brute_force_regions_reports_solver_failures_as_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """`failed` is a list: empty when every Chebyshev LP answered, and with one entry per planted failure
    (the region x1 + x2 > 3 of _net_with_stable_units, status 4), that region then missing from `found`."""
    from normalign.numerics.engine import regions
    from normalign.numerics.engine.regions import Chebyshev

    net, x = _net_with_stable_units("relu"), np.array([3.0, -1.0])
    found, failed = brute_force_regions(net, x - 2.0, x + 2.0)
    assert failed == [] and len(found) == 2
    bad = regions.pattern_keys(net, np.array([[4.0, 0.0]]))[0]
    real = regions.chebyshev

    def planted(poly, extra=None):
        if poly.key == bad:
            return Chebyshev(np.full(poly.dim, np.nan), np.nan, 4, "planted failure")
        return real(poly, extra)

    monkeypatch.setattr(regions, "chebyshev", planted)
    found2, failed2 = brute_force_regions(net, x - 2.0, x + 2.0)
    assert failed2 == [f"pattern {bad.hex()}: planted failure"] and set(found2) == set(found) - {bad}


@pytest.mark.theorem("PD")
def test_walk_cells_carry_a_bbox_only_above_the_last_layer() -> None:
    """Two activation layers (1 -> 2 -> 2 -> 1 on [-2, 2]): each first-layer cell carries a certified box
    that holds every grid point of that cell (brute force: first-layer pattern by hand, relu(x), relu(-x)
    + ... on 4001 points), and the leaves carry none (None: not computed)."""
    from normalign.numerics.engine.regions import walk_regions

    W0, b0 = np.array([[1.0], [-1.0]]), np.array([-0.5, -0.5])
    W1, b1 = np.array([[1.0, 1.0], [1.0, -1.0]]), np.array([-1.0, 0.0])
    net = CPANetwork.from_arrays([W0, W1, np.array([[1.0, -1.0]])], [b0, b1, None], ["relu", "relu", "identity"])
    cells: list = []
    walk = walk_regions(net, np.array([-2.0]), np.array([2.0]), keep=lambda c, leaf: cells.append((c, leaf)) or True)
    assert walk.complete and walk.regions
    assert all(c.bbox is None for c in walk.regions)
    grid = np.linspace(-2.0, 2.0, 4001)[:, None]
    first = (grid @ W0.T + b0) > 0
    tops = [c for c, leaf in cells if not leaf and len(c.bits) == 1]
    assert len(tops) == 3  # x < -0.5, |x| < 0.5, x > 0.5
    for c in tops:
        lo, hi = c.bbox
        inside = grid[(first == c.bits[0]).all(axis=1), 0]
        assert inside.size and lo[0] <= inside.min() and inside.max() <= hi[0]


@pytest.mark.theorem("D3")
def test_chebyshev_message_of_no_constraints() -> None:
    """A polytope without rows is R^d, and the message says so (a user reads it in the walk's logs)."""
    ch = chebyshev(Polytope(np.zeros((0, 2)), np.zeros(0), np.zeros((0, 2), dtype=int)))
    assert ch.message == "no constraints: the whole space"


@pytest.mark.theorem("D3")
def test_chebyshev_failure_is_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A planted linprog failure (status 4): centre and radius NaN (floats, never None), status and message
    kept, not ok."""
    from normalign.numerics.engine import regions

    real = regions._solve_lp

    def failing(*args, **kwargs):
        res = real(*args, **kwargs)
        res.status, res.message = 4, "planted numerical difficulty"
        return res

    monkeypatch.setattr(regions, "_solve_lp", failing)
    poly = Polytope(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]), np.array([1.0, 0.0, 1.0, 0.0]),
                    np.array([[-1, j] for j in range(4)]))
    ch = chebyshev(poly)
    assert ch.status == 4 and ch.message == "planted numerical difficulty" and not ch.ok
    assert isinstance(ch.radius, float) and np.isnan(ch.radius) and np.isnan(ch.centre).all()


@pytest.mark.theorem("D3")
def test_chebyshev_recheck_scales_by_the_row_norms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The unit square written with rows of norm 1/2 (0.5 x1 <= 0.5, ...): inscribed ball centre (1/2, 1/2),
    radius 1/2 by hand, slacks 1/4 = r ||a_i||, so the numpy re-check must pass (status 0). With rows of
    norm 2 and a planted optimum of radius 0.75 at the same centre (slacks 1 < r ||a_i|| = 1.5), it must
    fail (status 4)."""
    from normalign.numerics.engine import regions

    src = np.array([[-1, j] for j in range(4)])
    E = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    ch = chebyshev(Polytope(0.5 * E, 0.5 * np.array([1.0, 0.0, 1.0, 0.0]), src))
    assert ch.status == 0, ch.message
    np.testing.assert_allclose(ch.centre, [0.5, 0.5], atol=1e-9)
    assert ch.radius == pytest.approx(0.5, rel=1e-9)
    real = regions._solve_lp

    def planted(*args, **kwargs):
        res = real(*args, **kwargs)
        res.x = np.array([0.5, 0.5, 0.75])
        return res

    monkeypatch.setattr(regions, "_solve_lp", planted)
    bad = chebyshev(Polytope(2.0 * E, 2.0 * np.array([1.0, 0.0, 1.0, 0.0]), src))
    assert bad.status == 4 and "re-check" in bad.message


@pytest.mark.theorem("T2")
def test_kink_search_runs_on_a_network_without_activations(monkeypatch: pytest.MonkeyPatch) -> None:
    """The region-probe search of ``strict_witness`` (reached when no strict flip lies on the ray) keys
    regions by activation pattern; an affine network has none, which used to crash (concatenating no
    arrays). f = (x1, -x1) from x = (1, 0): every strict flip has x1 < 0, at L-inf distance > 1, so the
    witness found must flip strictly (forward pass) at distance 1 to rounding."""
    import normalign.numerics.engine.exact_robustness as er

    net = CPANetwork.from_arrays([np.array([[1.0, 0.0], [-1.0, 0.0]])], [np.zeros(2)], ["identity"])
    x = np.array([1.0, 0.0])
    monkeypatch.setattr(er, "_first_verified", lambda *args, **kwargs: None)  # force the probe search
    w = er.strict_witness(net, x, 0, np.zeros(2), "linf")
    assert w is not None and er.verify_witness(net, x, 0, w)
    assert np.abs(w - x).max() == pytest.approx(1.0, abs=1e-9)
