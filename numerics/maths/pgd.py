"""L-infinity projected gradient descent (PGD) attacks on a differentiable classifier (R1).

The model is anything with ``forward(Z) -> (outputs (m, c), Jacobians (m, c, d))`` (e.g.
``normalign.numerics.maths.rfm.KernelPredictor``), so gradients are the model's own analytic ones: for a loss
l(f(z), y) the input gradient is J(z)^T dl/df.

Attack (Madry et al. 2018): start at x + U[-eps, eps]^d (random start), then ``steps`` times
z <- clip_{[x - eps, x + eps]}(z + step * sign(grad_z l)), step = eps / 10 by default. No box
constraint: the inputs are standardised tabular features, not pixels.

Losses: ``"ce"`` softmax cross-entropy on the outputs (dl/df = softmax(f) - e_y; the usual PGD) and
``"margin"`` max_{k != y} f_k - f_y (Carlini-Wagner; its gradient J_k* - J_y does not vanish when the
softmax saturates); ``"both"`` alternates CE (even restarts) and margin (odd restarts). The *standard*
attack (authors' setting) is 20 steps, CE, one random start, judged at the last iterate; the *strong*
attack is 100 steps, 4 restarts alternating CE and margin, and counts a point as broken if any iterate
of any restart misclassifies it.

Attack success rate = fraction of the clean-correct points whose attacked prediction is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Loss = Literal["ce", "margin", "both"]


class Differentiable(Protocol):
    def forward(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class PGDConfig:
    """Attack settings; ``step_size=None`` means eps / 10."""

    eps: float
    steps: int = 20
    step_size: float | None = None
    restarts: int = 1
    random_start: bool = True
    loss: Loss = "ce"
    any_iterate: bool = False  # count success at any iterate (strong attack) or only the last one

    def __post_init__(self) -> None:
        if not (np.isfinite(self.eps) and self.eps >= 0):
            raise ValueError(f"eps must be finite and >= 0, got {self.eps!r}")
        if self.steps < 0 or self.restarts < 1:
            raise ValueError("steps must be >= 0 and restarts >= 1")
        if self.step_size is not None and not (self.step_size > 0):
            raise ValueError("step_size must be positive")
        if self.loss not in ("ce", "margin", "both"):
            raise ValueError(f"unknown loss {self.loss!r}")

    @property
    def step(self) -> float:
        return self.eps / 10.0 if self.step_size is None else float(self.step_size)


STANDARD_STEPS: int = 20
STRONG = dict(steps=100, restarts=4, loss="both", any_iterate=True)
"""The strong attack's settings (see the module docstring)."""


def loss_gradient_outputs(F: np.ndarray, y: np.ndarray, loss: Loss) -> np.ndarray:
    """dl/df (m, c) for the CE or margin loss at outputs F (m, c) and labels y (m,)."""
    if loss not in ("ce", "margin"):
        raise ValueError(f"loss must be 'ce' or 'margin' here, got {loss!r}")
    m, c = F.shape
    rows = np.arange(m)
    if loss == "ce":
        P = np.exp(F - F.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        P[rows, y] -= 1.0
        return P
    other = F.copy()
    other[rows, y] = -np.inf
    k = other.argmax(axis=1)
    g = np.zeros_like(F)
    g[rows, k] = 1.0
    g[rows, y] -= 1.0
    return g


def pgd_linf(model: Differentiable, X: np.ndarray, y: np.ndarray, config: PGDConfig,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Attack every row of X (labels y). Returns (adversarial points (m, d), broken (m,) bool).

    A point is *broken* if the attacked prediction differs from y (at the last iterate, or at any
    iterate when ``config.any_iterate``); the returned point is a breaking one when there is one.
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"X must be (m, d) and y (m,), got {X.shape} and {y.shape}")
    m, d = X.shape
    broken = np.zeros(m, dtype=bool)
    best = X.copy()
    if m == 0 or config.eps == 0:
        if m:
            broken = model.forward(X)[0].argmax(axis=1) != y
        return best, broken
    eps, step = config.eps, config.step
    for r in range(config.restarts):
        loss = config.loss if config.loss != "both" else ("ce", "margin")[r % 2]
        Z = X + (rng.uniform(-eps, eps, X.shape) if config.random_start else 0.0)
        # with any_iterate, points already broken are done: only the others are attacked further
        act = np.flatnonzero(~broken) if config.any_iterate else np.arange(m)
        for _ in range(config.steps):
            if act.size == 0:
                break
            F, J = model.forward(Z[act])
            if config.any_iterate:
                hit = F.argmax(axis=1) != y[act]
                best[act[hit]], broken[act[hit]] = Z[act[hit]], True
                keep = ~hit
                act, F, J = act[keep], F[keep], J[keep]
            g = np.einsum("mc,mcd->md", loss_gradient_outputs(F, y[act], loss), J)
            Z[act] = np.clip(Z[act] + step * np.sign(g), X[act] - eps, X[act] + eps)
        if act.size:
            hit = model.forward(Z[act])[0].argmax(axis=1) != y[act]
            hit &= ~broken[act]
            best[act[hit]], broken[act[hit]] = Z[act[hit]], True
    return best, broken


def attack_success_rate(model: Differentiable, X: np.ndarray, y: np.ndarray, config: PGDConfig,
                        rng: np.random.Generator) -> tuple[float, int]:
    """(success rate among clean-correct points, number of clean-correct points); NaN when none."""
    correct = model.forward(X)[0].argmax(axis=1) == np.asarray(y)
    k = int(correct.sum())
    if k == 0:
        return float("nan"), 0
    _, broken = pgd_linf(model, X[correct], np.asarray(y)[correct], config, rng)
    return float(broken.mean()), k
