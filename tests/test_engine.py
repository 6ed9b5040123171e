"""The exact CPA engine against hand computation and autograd (D1, D2, D3, T2(a) inside a region)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from normalign.strategies import cpa_networks, points_for
from normalign.numerics.checks.definitions.engine_oracles import autograd_jacobian, svd_scores
from normalign.numerics.engine.geometry import analyze, patterns, region_maps
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.tolerances import ALIGNED_TOL, SCORE_TOL, matmul_tol

# f(x) = 1^T relu(W x + b) with W = [[1,0],[0,1],[-1,-1]], b = (0,0,1): worked out by hand below.
HAND = CPANetwork.from_arrays([np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]), np.array([[1.0, 1.0, 1.0]])],
                              [np.array([0.0, 0.0, 1.0]), np.array([0.0])])


@pytest.mark.theorem("D2")
@pytest.mark.theorem("D3")
def test_hand_built_network_regions_jacobians_sites() -> None:
    X = np.array([[2.0, 3.0], [-1.0, 0.5]])
    # x = (2, 3): z = (2, 3, -4), pattern (1,1,0), J = [1, 1], b = 0, f = 5.
    # x = (-1, .5): z = (-1, .5, 1.5), pattern (0,1,1), J = [0,1] + [-1,-1] = [-1, 0], b = 1, f = 2.
    J, b = region_maps(HAND, X)
    np.testing.assert_array_equal(J[:, 0, :], [[1.0, 1.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(b[:, 0], [0.0, 1.0])
    geo = analyze(HAND, X)
    np.testing.assert_array_equal(geo.patterns[0], [[True, True, False], [False, True, True]])
    np.testing.assert_array_equal(geo.logits[:, 0], [5.0, 2.0])
    np.testing.assert_array_equal(geo.centroid, [[1.0, 1.0], [-1.0, 0.0]])  # c = 1: mu = J^T
    # power-diagram site W^T q and radius ||W^T q||^2 + 2 b^T q of the first layer
    np.testing.assert_array_equal(geo.layer_sites[0], [[1.0, 1.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(geo.layer_radii[0], [2.0, 3.0])
    # CA = cos(mu, x): (2+3)/(sqrt2 sqrt13), (1)/(1 * sqrt(1.25))
    np.testing.assert_allclose(geo.centroid_alignment.data, [5 / np.sqrt(26), 1 / np.sqrt(1.25)], rtol=1e-15)
    # c = 1: T2(a) radius |f| / ||J||: 5/sqrt2, 2/1
    np.testing.assert_allclose(geo.robustness_radius, [5 / np.sqrt(2), 2.0], rtol=1e-15)


@pytest.mark.theorem("T2")
def test_local_radius_hand_built_and_region_flag() -> None:
    # f = (x1, -x1 + 2) in one region (linear network): classes swap at x1 = 1, radius |x1 - 1|/1 * ... :
    # z_y - z_k = |2 x1 - 2|, ||J_y - J_k|| = 2, so rho = |x1 - 1|.
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0], [-1.0, 0.0]])], [np.array([0.0, 2.0])], ["identity"])
    geo = analyze(net, np.array([[3.0, 1.0], [0.5, -2.0]]))
    np.testing.assert_allclose(geo.robustness_radius, [2.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(geo.nearest_boundary, [[1.0, 1.0], [1.0, -2.0]], rtol=1e-15)
    assert geo.boundary_in_region.all()
    # the hand-built ReLU net: from (-1, .5) the local boundary f = 0 is at x1 = 1, outside its region
    geo = analyze(HAND, np.array([[-1.0, 0.5]]))
    assert not geo.boundary_in_region[0]


@pytest.mark.theorem("D2")
def test_vanishing_centroid_is_undefined_not_nan_or_zero() -> None:
    net = CPANetwork.from_arrays([np.array([[1.0, 2.0], [-1.0, -2.0]])], None, ["identity"])  # J^T 1 = 0
    geo = analyze(net, np.array([[1.0, 1.0], [0.3, -2.0]]))
    assert np.ma.getmaskarray(geo.centroid_alignment).all()
    assert np.allclose(geo.centroid, 0.0)


@pytest.mark.theorem("D1")
def test_scores_are_one_on_planted_alignment() -> None:
    x = np.array([0.3, -1.2, 2.0])
    net = CPANetwork.from_arrays([np.outer([1.0, -2.0, 0.5], x)], [np.array([0.1, 0.2, 0.3])], ["identity"])
    geo = analyze(net, x[None])
    for k in ("normal_alignment", "frobenius_ratio", "pc1"):
        assert abs(geo.scores[k][0] - 1.0) <= ALIGNED_TOL, k
    assert abs(geo.scores["effective_rank"][0] - 1.0) <= 2 * 2 * 1.5e-7
    assert geo.centroid_alignment[0] == pytest.approx(np.sign(-0.5), abs=ALIGNED_TOL)


@pytest.mark.theorem("D1")
@pytest.mark.theorem("D2")
@pytest.mark.theorem("D3")
@settings(max_examples=60, deadline=None)
@given(st.data())
def test_engine_equals_autograd(data: st.DataObject) -> None:
    """J, b, centroid, Gram-route scores and layer sites against torch.func / SVD (shrinking nets)."""
    net = data.draw(cpa_networks(activations=("relu", "leaky_relu")))
    X = data.draw(points_for(net.input_dim))
    tol = matmul_tol(len(net.layers), max(net.widths))
    J_ref, f_ref = autograd_jacobian(net, X)
    scale = 1.0 + np.abs(J_ref).max()
    J, b = region_maps(net, X)
    assert np.abs(J - J_ref).max() <= tol * scale
    fscale = 1.0 + np.abs(f_ref).max() + scale * np.abs(X).max()
    assert np.abs(np.einsum("ncd,nd->nc", J, X) + b - f_ref).max() <= tol * fscale
    for jac in (True, False):
        geo = analyze(net, X, jacobian=jac)
        assert np.abs(geo.centroid - J_ref.sum(axis=1)).max() <= tol * scale * net.output_dim
        for i in range(X.shape[0]):
            if np.linalg.norm(J_ref[i]) < 1e-6 * scale:
                continue
            ref = svd_scores(J_ref[i], X[i])
            assert abs(geo.scores["frobenius_ratio"][i] - ref["frobenius_ratio"]) <= SCORE_TOL + tol
            assert abs(geo.scores["pc1"][i] - ref["pc1"]) <= SCORE_TOL + tol


@pytest.mark.theorem("PD")
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_layer_sites_equal_autograd_vjp(data: st.DataObject) -> None:
    """Site of layer l = (d z_l / dx)^T q by autograd; radius = ||site||^2 + 2 e_l^T q."""
    net = data.draw(cpa_networks(min_layers=2, activations=("relu", "leaky_relu")))
    X = data.draw(points_for(net.input_dim))
    geo = analyze(net, X, jacobian=False)
    zs = net.preactivations(X)
    tol = matmul_tol(len(net.layers), max(net.widths))
    for j, layer_idx in enumerate(net.activation_layers):
        E, z = autograd_jacobian(net, X, upto=layer_idx)
        q = net.layers[layer_idx].slopes(zs[layer_idx])
        site = np.einsum("nkd,nk->nd", E, q)
        e = z - np.einsum("nkd,nd->nk", E, X)
        radius = (site**2).sum(axis=1) + 2 * (e * q).sum(axis=1)
        scale = 1.0 + np.abs(E).max() * (1 + np.abs(X).max()) + np.abs(z).max()
        assert np.abs(geo.layer_sites[j] - site).max() <= tol * scale * E.shape[1]
        assert np.abs(geo.layer_radii[j] - radius).max() <= tol * scale**2 * E.shape[1]


@pytest.mark.theorem("D2")
def test_planted_row_sum_centroid_is_rejected() -> None:
    from normalign.checks import Budget
    from normalign.numerics.checks.definitions.engine_oracles import planted_centroid_row_sum

    assert planted_centroid_row_sum(Budget()).outcome.value == "refuted"


@pytest.mark.theorem("D1")
@pytest.mark.parametrize("depth", [1, 2, 3, 4])
@pytest.mark.parametrize("fold", [True, False])
def test_every_reverse_product_branch_vs_autograd(depth: int, fold: bool, monkeypatch) -> None:
    """The reverse product's branches (one layer; two; the folded top step ``s_{L-1} T`` for three or more,
    and the plain step when ``T`` exceeds ``FOLD_BYTES``), with a ReLU on the *last* layer (its slopes
    scale rows, a case the strategies never draw), against autograd: J, b, and the Gram-route scores."""
    from normalign.numerics.engine import geometry

    if not fold:
        monkeypatch.setattr(geometry, "FOLD_BYTES", 0)
    rng = np.random.default_rng(depth)
    widths = [3] + [6] * (depth - 1) + [4]
    Ws = [rng.normal(size=(o, i)) for i, o in zip(widths, widths[1:])]
    net = CPANetwork.from_arrays(Ws, [rng.normal(size=o) for o in widths[1:]],
                                 ["leaky_relu"] * (depth - 1) + ["relu"], negative_slope=0.1)
    assert (geometry._top_fold(net) is not None) == (fold and depth >= 3)
    X = rng.normal(size=(40, 3))
    J_ref, f_ref = autograd_jacobian(net, X)
    assert 0 < np.count_nonzero(np.abs(J_ref).sum(axis=2) == 0) < J_ref.shape[0] * J_ref.shape[1]  # dead outputs, not all
    tol = matmul_tol(len(net.layers), max(net.widths))
    scale = 1.0 + np.abs(J_ref).max()
    J, b = region_maps(net, X)
    assert np.abs(J - J_ref).max() <= tol * scale
    assert np.abs(b - (f_ref - np.einsum("ncd,nd->nc", J_ref, X))).max() <= tol * scale * (1 + np.abs(X).max())
    geo = analyze(net, X, jacobian=False)
    G_ref = J_ref @ J_ref.transpose(0, 2, 1)
    assert np.abs(geo.gram - G_ref).max() <= tol * scale**2 * 10


def test_chunking_does_not_change_results() -> None:
    rng = np.random.default_rng(3)
    net = CPANetwork.from_arrays([rng.normal(size=(6, 4)), rng.normal(size=(5, 6)), rng.normal(size=(3, 5))],
                                 [rng.normal(size=6), rng.normal(size=5), rng.normal(size=3)])
    X = rng.normal(size=(11, 4))
    J1, b1 = region_maps(net, X)
    J2, b2 = region_maps(net, X, chunk=3)
    np.testing.assert_array_equal(J1, J2)
    np.testing.assert_array_equal(b1, b2)
    g1, g2 = analyze(net, X), analyze(net, X, chunk=2, jacobian=False)
    np.testing.assert_allclose(g1.gram, g2.gram, rtol=1e-12, atol=1e-12)
    for p1, p2 in zip(g1.patterns, patterns(net, X)):
        np.testing.assert_array_equal(p1, p2)


@pytest.mark.parametrize("bad, message", [
    (np.zeros((0, 2)), "no points"),
    (np.array([[1.0, np.nan]]), "NaN"),
    (np.ones((2, 3)), "dimension 3"),
    (np.array([[0.0, 0.0]]), "x = 0"),
])
def test_bad_points_are_refused(bad: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyze(HAND, bad)


def test_sequential_round_trip_and_unsupported_layer() -> None:
    seq = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.LeakyReLU(0.2), torch.nn.Linear(4, 2))
    net = CPANetwork.from_sequential(seq)
    assert [l.activation for l in net.layers] == ["leaky_relu", "identity"]
    assert net.layers[0].negative_slope == 0.2
    X = np.random.default_rng(0).normal(size=(5, 3))
    ref = seq.double()(torch.as_tensor(X)).detach().numpy()
    np.testing.assert_allclose(net.forward(X), ref, rtol=1e-14, atol=1e-14)
    with pytest.raises(NetworkError, match="unsupported layer Tanh"):
        CPANetwork.from_sequential(torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh()))
    with pytest.raises(NetworkError, match="expects 5 inputs"):
        CPANetwork.from_arrays([np.ones((4, 3)), np.ones((2, 5))])


@pytest.mark.theorem("T2")
def test_scores_path_refines_where_the_gram_route_cancels() -> None:
    """J = [1, -1] diag(1, 1) [[1e8, 0], [1e8, 1]] = [0, -1]: A G_1 A^T cancels at the 1e16 scale
    (rounding error ~ 2 against the true value 1); the engine must fall back to the explicit J."""
    net = CPANetwork.from_arrays([np.array([[1e8, 0.0], [1e8, 1.0]]), np.array([[1.0, -1.0]])], None)
    X = np.array([[1.0, 2.0]])
    geo = analyze(net, X, jacobian=False)
    assert geo.gram[0, 0, 0] == pytest.approx(1.0, rel=1e-12)
    assert geo.robustness_radius[0] == pytest.approx(2.0, rel=1e-12)  # |f| / ||J|| = 2 / 1


def test_single_threaded_restores_the_thread_count() -> None:
    from normalign.numerics.engine.threads import single_threaded

    before = torch.get_num_threads()
    seen = single_threaded(torch.get_num_threads)()
    assert seen == 1 and torch.get_num_threads() == before


@pytest.mark.theorem("D1")
def test_state_dict_leaky_slope_and_bad_inputs(tmp_path) -> None:
    """A saved nn.Sequential with LeakyReLU(0.2) is read with --negative-slope 0.2 and then agrees with
    torch's own forward pass (the oracle); a bad slope or complex points are refused, never analysed."""
    import torch
    from torch import nn

    from normalign.numerics.engine.network import CPANetwork, NetworkError, check_points

    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(3, 5), nn.LeakyReLU(0.2), nn.Linear(5, 2)).double()
    path = tmp_path / "m.pt"
    torch.save(seq.state_dict(), path)
    X = np.random.default_rng(0).normal(size=(50, 3))
    want = seq(torch.as_tensor(X)).detach().numpy()
    net = CPANetwork.load(path, activation="leaky_relu", negative_slope=0.2)
    assert np.abs(net.forward(X) - want).max() <= 1e-12 * (1 + np.abs(want).max())
    assert np.abs(CPANetwork.load(path, activation="leaky_relu").forward(X) - want).max() > 1e-3  # 0.01 differs
    W0, b0, W1, b1 = (t.detach().numpy() for t in seq.parameters())
    np.savez(tmp_path / "leaky.npz", W0=W0, b0=b0, W1=W1, b1=b1, activations=np.array(["leaky_relu", "identity"]),
             negative_slope=np.array(0.2))
    got = CPANetwork.load(tmp_path / "leaky.npz").forward(X)  # the .npz's own slope, not the default
    assert np.abs(got - want).max() <= 1e-12 * (1 + np.abs(want).max())
    for slope in (np.array([0.1, 0.2]), np.nan):
        np.savez(tmp_path / "s.npz", W0=np.ones((2, 3)), negative_slope=slope)
        with pytest.raises(NetworkError):
            CPANetwork.load(tmp_path / "s.npz")
    with pytest.raises(ValueError):
        check_points(np.ones((2, 3)) + 1j, 3)
