"""P4 and D4 on trained networks: span fraction, alignment and NTK change across regimes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normalign.checks import Budget, Outcome
from normalign.numerics.checks.dynamics import regimes as R
from normalign.numerics.maths import dynamics as F


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.theorem("P4")
def test_numpy_gd_gradients_equal_autograd() -> None:
    """The closed-form gradients of gd_two_layer against torch autograd (one step, no decay)."""
    X, y = F.sparse_data(6, 9, 0)
    model = F.antisymmetric_two_layer(9, 5, 1.0, 0)
    model[2].weight.data += 0.3 * torch.randn_like(model[2].weight)  # break f_0 = 0 symmetry
    W1, w2 = model[0].weight.detach().numpy().copy(), model[2].weight.detach().numpy()[0].copy()
    W1n, w2n = F.gd_two_layer(X.numpy(), y.numpy(), W1, w2, lr=1.0, weight_decay=0.0, steps=1)
    loss = 0.5 * (model(X).reshape(-1) - y).pow(2).mean()
    g1, g2 = torch.autograd.grad(loss, [model[0].weight, model[2].weight])
    assert np.allclose(W1 - W1n, g1.numpy(), atol=1e-14, rtol=0)
    assert np.allclose(w2 - w2n, g2.numpy()[0], atol=1e-14, rtol=0)


@pytest.mark.theorem("P4")
def test_span_fraction_oracles() -> None:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 10))
    J_in = (rng.standard_normal(3) @ X)[None, None, :]  # a row inside span(X)
    Q, _ = np.linalg.qr(X.T)
    z = rng.standard_normal(10)
    J_out = (z - Q @ (Q.T @ z))[None, None, :]  # orthogonal to span(X)
    assert F.span_fraction(J_in, X)[0] == pytest.approx(1.0, abs=1e-14)
    assert F.span_fraction(J_out, X)[0] == pytest.approx(0.0, abs=1e-14)


@pytest.mark.theorem("P4")
def test_antisymmetric_init_is_zero_function() -> None:
    X, _ = F.sparse_data(4, 12, 1)
    for s in (0.1, 10.0):
        with torch.no_grad():
            # the two halves are identical, so f_0 vanishes up to the rounding of a length-6 sum
            assert float(F.antisymmetric_two_layer(12, 6, s, 0)(X).abs().max()) <= 1e-15 * max(s, 1.0) ** 2


@pytest.mark.theorem("P4")
def test_bad_input() -> None:
    with pytest.raises(ValueError):
        F.sparse_data(1, 10, 0)
    with pytest.raises(ValueError):
        F.antisymmetric_two_layer(3, 2, 0.0, 0)
    with pytest.raises(ValueError):
        F.train_p4(F.P4Config(mode="middle", steps=1, d=5, n=2, width=2))


@pytest.mark.slow
@pytest.mark.theorem("P4")
def test_p4_full_sweep() -> None:
    from normalign.registry import get

    for spec in get("P4").checks + get("D4").checks:
        res = spec.load()(Budget("full"))
        assert spec.passed(res), (spec.target, res.detail)


@pytest.mark.theorem("P4")
def test_p4_mechanism_against_autograd() -> None:
    """The span identity holds on autograd GD trajectories and gd_two_layer follows them; Adam and a
    non-linear input map break it."""
    assert R.check_p4_span_identity(Budget()).outcome == Outcome.VERIFIED
    assert R.boundary_p4_span_adam(Budget()).outcome == Outcome.REFUTED
    assert R.boundary_p4_span_nonlinear_input(Budget()).outcome == Outcome.REFUTED


@pytest.mark.theorem("P4")
def test_out_of_span_oracle() -> None:
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3, 8))
    inside = rng.standard_normal((4, 3)) @ X
    z = rng.standard_normal((4, 8))
    assert R.out_of_span(inside, X) <= 1e-13 * np.linalg.norm(inside)
    Q, _ = np.linalg.qr(X.T)
    outside = z - (z @ Q) @ Q.T
    assert R.out_of_span(outside, X) == pytest.approx(np.linalg.norm(outside), rel=1e-12)
    with pytest.raises(ValueError):
        R.autograd_train(F.antisymmetric_two_layer(8, 2, 1.0, 0), torch.as_tensor(X), torch.ones(3, dtype=torch.float64),
                         lr=0.1, weight_decay=0.0, steps=1, optimizer="sgd-momentum")


@pytest.mark.theorem("P4")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_paired_bounds_match_scipy(seed: int) -> None:
    """The sweep's statistics against scipy's own t-tests (a second implementation): the one-sided
    paired lower bound is ``ttest_rel(a, b, alternative="greater")``'s interval, the two-sided mean
    interval is ``ttest_1samp``'s."""
    from scipy import stats

    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.5, 0.2, 7), rng.normal(0.3, 0.2, 7)
    want = stats.ttest_rel(a, b, alternative="greater").confidence_interval(1 - 0.01).low
    assert F.paired_lower_bound(a, b, 0.01) == pytest.approx(want, rel=1e-12)
    m, lo, hi = F.mean_ci(a, 0.95)
    ci = stats.ttest_1samp(a, 0.0).confidence_interval(0.95)
    assert (m, lo, hi) == pytest.approx((a.mean(), ci.low, ci.high), rel=1e-12)
