"""Tiny trained networks on 2-d data, for checks that need a *trained* (not constructed) network.

Kept small (a few hundred full-batch Adam steps on <= 64 points, widths <= 16) so a check or a test
fixture trains one in well under a second on one core. Deterministic: fixed seeds, float64, and
``torch.set_num_threads(1)`` is applied only for the duration of the call.
"""

from __future__ import annotations

import numpy as np
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.threads import single_threaded


def blobs(n: int = 40, classes: int = 3, seed: int = 0, spread: float = 0.35) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points in R^2 around ``classes`` centres on a circle of radius 1.5 (labels 0..classes-1)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    ang = 2 * np.pi * y / classes + 0.3
    X = np.column_stack([1.5 * np.cos(ang), 1.5 * np.sin(ang)]) + spread * rng.normal(size=(n, 2))
    return X, y


@single_threaded
def train_mlp(X: np.ndarray, y: np.ndarray, hidden: tuple[int, ...] = (12, 12), *, bias: bool = True,
              loss: str = "ce", steps: int = 400, lr: float = 0.02, weight_decay: float = 0.0,
              seed: int = 0) -> CPANetwork:
    """Train a ReLU MLP and return it as a :class:`CPANetwork`.

    ``loss="ce"``: softmax cross-entropy on integer labels (c = number of classes); ``loss="mse"``: a
    scalar output fitted to real targets ``y`` (e.g. +-1)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    Xt = torch.as_tensor(X, dtype=torch.float64)
    if loss == "ce":
        yt = torch.as_tensor(y, dtype=torch.long)
        out = int(yt.max()) + 1
    elif loss == "mse":
        yt = torch.as_tensor(y, dtype=torch.float64).reshape(-1, 1)
        out = 1
    else:
        raise ValueError(f"loss must be 'ce' or 'mse', got {loss!r}")
    widths = (X.shape[1],) + tuple(hidden) + (out,)
    mods: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        lin = torch.nn.Linear(a, b, bias=bias, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g, dtype=torch.float64) / np.sqrt(a))
            if bias:
                lin.bias.copy_(0.1 * torch.randn(b, generator=g, dtype=torch.float64))
        mods.append(lin)
        if i < len(widths) - 2:
            mods.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*mods)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad()
        pred = model(Xt)
        val = torch.nn.functional.cross_entropy(pred, yt) if loss == "ce" else ((pred - yt) ** 2).mean()
        val.backward()
        opt.step()
    return CPANetwork.from_sequential(model)
