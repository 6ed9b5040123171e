"""R1: the L-infinity PGD attack, against the closed-form optimal attack on linear classifiers."""

from __future__ import annotations

import numpy as np
import pytest

from normalign.numerics.maths import rfm
from normalign.numerics.maths.pgd import STRONG, PGDConfig, attack_success_rate, loss_gradient_outputs, pgd_linf

pytestmark = pytest.mark.theorem("R1")


class Linear:
    """f(x) = W x + b: its exact L-inf attack is closed-form (the ball's corner x - eps sign(w_y - w_k))."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b

    def forward(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return Z @ self.W.T + self.b, np.broadcast_to(self.W, (Z.shape[0], *self.W.shape))


def _binary_case(seed: int, m: int = 200, d: int = 6):
    rng = np.random.default_rng(seed)
    model = Linear(rng.standard_normal((2, d)), rng.standard_normal(2))
    X = rng.standard_normal((m, d))
    y = model.forward(X)[0].argmax(axis=1)  # every point clean-correct
    w = model.W[y] - model.W[1 - y]
    margin = np.einsum("md,md->m", w, X) + model.b[y] - model.b[1 - y]
    return model, X, y, margin, np.abs(w).sum(axis=1), rng


@pytest.mark.parametrize("loss", ["ce", "margin"])
@pytest.mark.parametrize("eps", [0.1, 0.5, 1.0])
def test_pgd_equals_the_optimal_attack_on_binary_linear_models(loss: str, eps: float) -> None:
    """20 sign steps of eps/10 from any start in the ball reach the optimal corner, so the attack breaks
    exactly the points with margin < eps ||w_y - w_k||_1 (points within 1e-9 of the threshold skipped)."""
    model, X, y, margin, l1, rng = _binary_case(int(eps * 10))
    adv, broken = pgd_linf(model, X, y, PGDConfig(eps=eps, loss=loss), rng)  # type: ignore[arg-type]
    should = margin < eps * l1
    clear = np.abs(margin - eps * l1) > 1e-9
    assert np.array_equal(broken[clear], should[clear])
    assert should.any() and (~should).any()  # the case is not degenerate
    assert np.abs(adv - X).max() <= eps * (1 + 1e-12)


def test_strong_attack_is_sound_on_an_rfm() -> None:
    """Every point the strong attack reports broken is a point in the eps-ball that the model misclassifies."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    pred = rfm.fit_rfm(X, rfm.one_hot(y), rfm.RFMConfig(bandwidth=3.0, iters=2)).predictors[-1]
    Xt = rng.standard_normal((30, 4))
    yt = pred.predict(Xt).argmax(axis=1)
    adv, broken = pgd_linf(pred, Xt, yt, PGDConfig(eps=0.5, **STRONG), rng)  # type: ignore[arg-type]
    assert broken.any()
    assert np.abs(adv - Xt).max() <= 0.5 * (1 + 1e-12)
    assert np.array_equal(pred.predict(adv).argmax(axis=1) != yt, broken)
    # the standard attack's outcome varies with its random start (Laplace kernels have cusps); the strong
    # one (4 restarts, 100 steps, any iterate) must beat its average over starts
    weak = [pgd_linf(pred, Xt, yt, PGDConfig(eps=0.5), np.random.default_rng(s))[1].sum() for s in range(6)]
    assert broken.sum() >= np.mean(weak)


def test_loss_gradients_against_finite_differences() -> None:
    rng = np.random.default_rng(5)
    F = rng.standard_normal((4, 3))
    y = np.array([0, 1, 2, 1])
    h = 1e-6
    for loss in ("ce", "margin"):
        g = loss_gradient_outputs(F, y, loss)  # type: ignore[arg-type]

        def value(Fv: np.ndarray) -> np.ndarray:
            if loss == "ce":
                return np.log(np.exp(Fv).sum(axis=1)) - Fv[np.arange(4), y]
            other = Fv.copy()
            other[np.arange(4), y] = -np.inf
            return other.max(axis=1) - Fv[np.arange(4), y]

        for k in range(3):
            E = np.zeros_like(F)
            E[:, k] = h
            fd = (value(F + E) - value(F - E)) / (2 * h)
            assert np.abs(fd - g[:, k]).max() <= 1e-8  # central difference: error h^2 |f'''| ~ 1e-12, rounding EPS/h ~ 1e-10


def test_success_rate_counts_only_clean_correct_points() -> None:
    model, X, y, margin, l1, rng = _binary_case(9)
    y_wrong = y.copy()
    y_wrong[:50] = 1 - y_wrong[:50]
    rate, k = attack_success_rate(model, X, y_wrong, PGDConfig(eps=0.3), rng)
    assert k == len(y) - 50
    should = (margin < 0.3 * l1)[50:]
    assert rate == pytest.approx(should.mean(), abs=np.mean(np.abs(margin[50:] - 0.3 * l1[50:]) <= 1e-9) + 1e-12)


def test_bad_attack_settings_raise() -> None:
    for kw in ({"eps": -1.0}, {"eps": 1.0, "restarts": 0}, {"eps": 1.0, "loss": "l2"}, {"eps": 1.0, "step_size": 0.0}):
        with pytest.raises(ValueError):
            PGDConfig(**kw)  # type: ignore[arg-type]
