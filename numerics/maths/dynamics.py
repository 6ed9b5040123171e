"""P3 (centroid dynamics = kernel dynamics), P4 (feature learning produces alignment), D4 (regimes).

**P3.** For a bias-free ReLU network with scalar output, P2 gives ``<mu_x, x> = J_x x = f(x)``. One
full-batch gradient step on the mean binary cross-entropy ``L = mean_i BCE(sigmoid(f(x_i)), y_i)``
moves ``theta -> theta + eta/n sum_i (y_i - sigmoid(f(x_i))) grad_theta f(x_i)``, so to first order

    Delta <mu_x0, x0> = eta * mean_i Theta(x0, x_i) (y_i - sigmoid(f(x_i))) + O(eta^2).

On x0's region ``f(x0; theta)`` is a polynomial of degree L (the depth) in ``theta``, so the residual is
``a eta^2 + b eta^3 + ...``: halving ``eta`` divides it by 4 and its log-log slope is 2. The *actual*
change is measured with the exact numpy engine (``normalign.numerics.engine.geometry.analyze``'s centroid), the
*prediction* with the exact torch.func NTK (``normalign.numerics.maths.ntk``): two independent routes.

**P4.** With a first linear layer ``W_1`` trained by gradient descent with weight decay ``lambda``,
``W_1(t) = (1 - eta lambda)^t W_1(0) + G(t) X`` exactly (every gradient of ``W_1`` is a sum of
``delta_i x_i^T``), so the rows of ``J_x = A_x W_1`` lie in ``span(X)`` plus a shrinking initial part.
We train two-layer bias-free ReLU networks on sparse data (d = 200, n = 20) with an antisymmetric
initialisation (``f_0 = 0`` at every scale, so large scales are lazy in the sense of Chizat, Oyallon
and Bach 2019, with learning rate ``lr0 / s^2`` for scale ``s > 1``), and measure the fraction of
``||J_{x_i}||_F^2`` inside ``span(X)``, NA, signed CA and the relative NTK change, over seeds.
"""

from __future__ import annotations

import copy
import functools
import math
from dataclasses import dataclass

import numpy as np
import torch
from normalign.numerics.engine.geometry import analyze, patterns, region_maps
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.scores import cosine, scores_from_jacobians
from normalign.numerics.engine.threads import single_threaded
from normalign.numerics.maths.ntk import (
    empirical_ntk,
    kernel_from_jacobians,
    param_jacobian,
    parameter_slices,
    relative_change,
)
from torch import nn

# ============================================================================ P3


# ============================================================================ P3
def bias_free_relu_net(d: int, widths: tuple[int, ...], seed: int, bias: bool = False) -> nn.Sequential:
    """A float64 ReLU MLP ``d -> widths -> 1`` (bias-free unless ``bias``), He-initialised from ``seed``."""
    if d < 1 or not widths or min(widths) < 1:
        raise ValueError(f"need d >= 1 and positive hidden widths, got d={d}, widths={widths}")
    g = torch.Generator().manual_seed(seed)
    dims = (d,) + tuple(widths) + (1,)
    mods: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        lin = nn.Linear(a, b, bias=bias, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.randn(b, a, generator=g, dtype=torch.float64) * math.sqrt(2.0 / a))
            if bias:
                lin.bias.copy_(0.5 * torch.randn(b, generator=g, dtype=torch.float64))
        mods.append(lin)
        if i < len(dims) - 2:
            mods.append(nn.ReLU())
    return nn.Sequential(*mods)


def bce_gradient_step(model: nn.Module, X: torch.Tensor, y: torch.Tensor, eta: float) -> nn.Module:
    """A copy of ``model`` after one full-batch gradient step of rate ``eta`` on the mean BCE with
    logits ``f(x_i)`` and labels ``y_i in {0, 1}``."""
    if not torch.all((y == 0) | (y == 1)):
        raise ValueError("BCE labels must be 0 or 1")
    new = copy.deepcopy(model)
    loss = nn.functional.binary_cross_entropy_with_logits(new(X).reshape(-1), y)
    grads = torch.autograd.grad(loss, list(new.parameters()))
    with torch.no_grad():
        for p, g in zip(new.parameters(), grads):
            p.sub_(eta * g)
    return new


def centroid_dot(model: nn.Sequential, x0: np.ndarray) -> float:
    """``<mu_x0, x0>`` from the exact CPA engine (``mu = J^T 1``), independent of torch autograd."""
    geo = analyze(CPANetwork.from_sequential(model), x0[None, :], layer_sites=False)
    return float(geo.centroid[0] @ x0)


def p3_prediction(model: nn.Module, X: torch.Tensor, y: torch.Tensor, x0: torch.Tensor, eta: float,
                  *, sign: float = 1.0, average: bool = True) -> float:
    """P3's first-order prediction ``eta * mean_i Theta(x0, x_i) (y_i - sigmoid(f(x_i)))``.

    ``sign`` and ``average`` exist only to build the planted-false variants (wrong sign; sum instead
    of mean, i.e. a missing factor 1/n)."""
    K = empirical_ntk(model, x0[None, :], X)[0]  # (n,)
    with torch.no_grad():
        r = y - torch.sigmoid(model(X).reshape(-1))
    s = (K * r).mean() if average else (K * r).sum()
    return float(sign * eta * s)


@dataclass
class P3Instance:
    """One P3 instance: a network, data with {0,1} labels, a probe point and the step sizes tried."""

    model: nn.Sequential
    X: torch.Tensor
    y: torch.Tensor
    x0: torch.Tensor
    etas: np.ndarray


def p3_instance(seed: int, *, d: int = 6, n: int = 8, widths: tuple[int, ...] = (16, 16), bias: bool = False,
                rel_step: float = 1e-2, halvings: int = 6) -> P3Instance:
    """A random instance; ``eta_0`` makes the relative parameter step ``eta ||grad L|| / ||theta||``
    equal to ``rel_step`` (divided by 4 until x0 keeps its activation pattern after the step) and the
    grid is ``eta_0 2^-k``, k = 0..halvings-1."""
    g = torch.Generator().manual_seed(10_000 + seed)
    model = bias_free_relu_net(d, widths, seed, bias=bias)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (torch.rand(n, generator=g, dtype=torch.float64) < 0.5).to(torch.float64)
    x0 = torch.randn(d, generator=g, dtype=torch.float64)
    loss = nn.functional.binary_cross_entropy_with_logits(model(X).reshape(-1), y)
    grads = torch.autograd.grad(loss, list(model.parameters()))
    gnorm = math.sqrt(sum(float(gr.pow(2).sum()) for gr in grads))
    pnorm = math.sqrt(sum(float(p.detach().pow(2).sum()) for p in model.parameters()))
    eta0 = rel_step * pnorm / gnorm
    net0 = CPANetwork.from_sequential(model)
    pat0 = patterns(net0, x0.numpy()[None])
    for _ in range(8):  # shrink the largest step until x0 keeps its region (the identity is regional)
        pat1 = patterns(CPANetwork.from_sequential(bce_gradient_step(model, X, y, eta0)), x0.numpy()[None])
        if all(np.array_equal(a, b) for a, b in zip(pat0, pat1)):
            break
        eta0 /= 4.0
    return P3Instance(model, X, y, x0, eta0 * 2.0 ** -np.arange(halvings))


def p3_residuals(inst: P3Instance, *, sign: float = 1.0, average: bool = True) -> tuple[np.ndarray, bool]:
    """``|actual - predicted|`` for each eta, and whether x0 kept its activation pattern at every eta
    (if not, the first-order identity is not expected to hold at that eta)."""
    x0n = inst.x0.numpy()
    net0 = CPANetwork.from_sequential(inst.model)
    pat0 = patterns(net0, x0n[None])
    before = centroid_dot(inst.model, x0n)
    res, same = [], True
    for eta in inst.etas:
        new = bce_gradient_step(inst.model, inst.X, inst.y, float(eta))
        pat1 = patterns(CPANetwork.from_sequential(new), x0n[None])
        same &= all(np.array_equal(a, b) for a, b in zip(pat0, pat1))
        actual = centroid_dot(new, x0n) - before
        res.append(abs(actual - p3_prediction(inst.model, inst.X, inst.y, inst.x0, float(eta),
                                              sign=sign, average=average)))
    return np.asarray(res), bool(same)


def loglog_slopes(etas: np.ndarray, residuals: np.ndarray) -> tuple[float, np.ndarray]:
    """Least-squares slope of ``log r`` against ``log eta``, and the local slopes ``log2(r_k / r_{k+1})``
    of successive halvings (2 means 'halving eta quarters the residual')."""
    le, lr = np.log(etas), np.log(np.maximum(residuals, np.finfo(float).tiny))
    slope = float(np.polyfit(le, lr, 1)[0])
    local = (lr[:-1] - lr[1:]) / (le[:-1] - le[1:])
    return slope, local


# ============================================================================ P4 / D4
@dataclass(frozen=True)
class P4Config:
    """One training run of P4. ``mode`` is ``"full"`` (all layers trained) or ``"last"`` (only the
    output layer: the lazy control). Learning rate ``lr0 / lambda_max(Theta_0 at scale 1 / n) / max(1, s)^2``
    (the NTK of a two-layer homogeneous network scales as s^2)."""

    scale: float = 1.0
    weight_decay: float = 0.0
    mode: str = "full"
    d: int = 200
    n: int = 20
    width: int = 32
    steps: int = 2000
    lr0: float = 1.0
    seed: int = 0

    @property
    def label(self) -> str:
        parts = [f"s={self.scale:g}"]
        if self.weight_decay:
            parts.append(f"wd={self.weight_decay:g}")
        if self.mode == "last":
            parts.append("last-layer")
        return ", ".join(parts)


def sparse_data(n: int, d: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` unit-norm Gaussian points in ``R^d`` (d >> n: sparse) with balanced labels +-1."""
    if n < 2 or d < 1:
        raise ValueError(f"need n >= 2 and d >= 1, got n={n}, d={d}")
    g = torch.Generator().manual_seed(20_000 + seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    X = X / X.norm(dim=1, keepdim=True)
    y = torch.ones(n, dtype=torch.float64)
    y[torch.randperm(n, generator=g)[: n // 2]] = -1.0
    return X, y


def antisymmetric_two_layer(d: int, width: int, scale: float, seed: int) -> nn.Sequential:
    """Bias-free ``f(x) = s (a^T relu(s W x) - a^T relu(s W x))`` as one ``Sequential`` ``d -> 2m -> 1``:
    ``W_1 = s [W; W]``, ``w_2 = s [a, -a]`` with ``W ~ N(0, 1)`` (unit-norm inputs give unit-variance
    pre-activations) and ``a ~ N(0, 1/m)``; ``f_0 = 0`` exactly, at every scale."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    g = torch.Generator().manual_seed(30_000 + seed)
    W = torch.randn(width, d, generator=g, dtype=torch.float64)
    a = torch.randn(width, generator=g, dtype=torch.float64) / math.sqrt(width)
    l1 = nn.Linear(d, 2 * width, bias=False, dtype=torch.float64)
    l2 = nn.Linear(2 * width, 1, bias=False, dtype=torch.float64)
    with torch.no_grad():
        l1.weight.copy_(scale * torch.cat([W, W]))
        l2.weight.copy_(scale * torch.cat([a, -a])[None])
    return nn.Sequential(l1, nn.ReLU(), l2)


def span_fraction(J: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Fraction of ``||J_i||_F^2`` inside ``span(X)`` for each point: ``||J_i P||_F^2 / ||J_i||_F^2``
    with ``P`` the orthogonal projector onto the row space of ``X`` (by a QR of ``X^T``)."""
    Q, _ = np.linalg.qr(X.T)
    inside = np.einsum("ncd,dk->nck", J, Q)
    return (inside**2).sum(axis=(1, 2)) / (J**2).sum(axis=(1, 2))


def gd_two_layer(X: np.ndarray, y: np.ndarray, W1: np.ndarray, w2: np.ndarray, *, lr: float,
                 weight_decay: float, steps: int, train_first: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on ``1/2 mean_i (w2^T relu(W1 x_i) - y_i)^2`` with weight decay
    (``theta <- (1 - lr wd) theta - lr grad``), in numpy with the closed-form gradients

        r = (f - y) / n,   grad_w2 = relu(Z)^T r,   grad_W1 = ((r w2^T) * [Z > 0])^T X,   Z = X W1^T,

    so ``grad_W1`` is a sum of outer products ``delta_i x_i^T`` (P4's mechanism). ``train_first=False``
    trains only ``w2`` (the lazy control). Tested against torch autograd."""
    n = X.shape[0]
    keep = 1.0 - lr * weight_decay
    for _ in range(steps):
        Z = X @ W1.T
        H = np.maximum(Z, 0.0)
        r = (H @ w2 - y) / n
        g2 = H.T @ r
        if train_first:
            g1 = ((r[:, None] * w2[None, :]) * (Z > 0)).T @ X
            W1 = keep * W1 - lr * g1
        w2 = keep * w2 - lr * g2
    return W1, w2


def _kernels(model: nn.Module, X: torch.Tensor, trained: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """The NTK over all parameters and over the trained ones, from one parameter Jacobian."""
    Jp = param_jacobian(model, X)
    sl = parameter_slices(model)
    Jt = torch.cat([Jp[:, :, sl[k]] for k in trained], dim=2)
    return kernel_from_jacobians(Jp, Jp), kernel_from_jacobians(Jt, Jt)


def train_p4(cfg: P4Config) -> dict[str, float]:
    """Train one P4 run with full-batch GD on ``1/2 mean (f(x_i) - y_i)^2`` (+ weight decay) and
    return the measurements (means over the training points)."""
    X, y = sparse_data(cfg.n, cfg.d, cfg.seed)
    model = antisymmetric_two_layer(cfg.d, cfg.width, cfg.scale, cfg.seed)
    W1_0 = model[0].weight.detach().clone()
    trained = ["2.weight"] if cfg.mode == "last" else ["0.weight", "2.weight"]
    if cfg.mode not in ("full", "last"):
        raise ValueError(f"mode must be 'full' or 'last', got {cfg.mode!r}")
    K0_all, K0_tr = _kernels(model, X, trained)
    # step size: lr0 / (lambda_max of the loss Hessian's kernel part at scale 1) / max(1, s)^2; for a
    # two-layer homogeneous net Theta_0(s) = s^2 Theta_0(1), and the MSE mean divides by n
    lam1 = float(torch.linalg.eigvalsh(K0_tr).max()) / cfg.scale**2 / cfg.n
    lr = cfg.lr0 / lam1 / max(1.0, cfg.scale) ** 2
    Xn, yn = X.numpy(), y.numpy()
    W1, w2 = gd_two_layer(Xn, yn, model[0].weight.detach().numpy().copy(),
                          model[2].weight.detach().numpy()[0].copy(), lr=lr, weight_decay=cfg.weight_decay,
                          steps=cfg.steps, train_first=cfg.mode == "full")
    with torch.no_grad():
        model[0].weight.copy_(torch.as_tensor(W1))
        model[2].weight.copy_(torch.as_tensor(w2)[None])
        final_loss = float(0.5 * (model(X).reshape(-1) - y).pow(2).mean())
    K_all, K_tr = _kernels(model, X, trained)
    J, _ = region_maps(CPANetwork.from_sequential(model), Xn)
    frac = span_fraction(J, Xn)
    na = scores_from_jacobians(J, Xn)["normal_alignment"]
    ca = cosine(J.sum(axis=1), Xn)  # mu_x = J^T 1 (D2)
    # exact mechanism: W1(T) - (1 - lr wd)^T W1(0) has rows in span(X)
    decay = (1.0 - lr * cfg.weight_decay) ** cfg.steps if cfg.mode == "full" else 1.0
    Q, _ = np.linalg.qr(Xn.T)
    D = W1 - decay * W1_0.numpy()
    D_out = D - (D @ Q) @ Q.T
    return {
        "span_fraction": float(np.mean(frac)),
        "normal_alignment": float(np.nanmean(na)),
        "y_centroid_alignment": float(np.nanmean(yn * ca)),
        "ntk_change_all": relative_change(K0_all, K_all),
        "ntk_change_trained": relative_change(K0_tr, K_tr),
        "train_loss": final_loss,
        "span_identity_residual": float(np.linalg.norm(D_out) / max(np.linalg.norm(W1), 1e-300)),
        "weight_move": float(np.linalg.norm(W1 - W1_0.numpy()) / np.linalg.norm(W1_0.numpy())),
    }


P4_CONFIGS: dict[str, dict[str, object]] = {
    "rich (small init)": {"scale": 0.03},
    "standard": {"scale": 1.0},
    "weight decay": {"scale": 1.0, "weight_decay": 0.03},
    "lazy (large init)": {"scale": 10.0},
    "lazy (last layer only)": {"scale": 1.0, "mode": "last"},
}


"""The regimes compared in P4 (and D4): labels -> ``P4Config`` fields."""


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and two-sided Student-t confidence interval over seeds."""
    from scipy import stats

    v = np.asarray(values, dtype=np.float64)
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan
    h = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - h, m + h


def paired_lower_bound(a: np.ndarray, b: np.ndarray, alpha: float) -> float:
    """One-sided ``1 - alpha`` lower confidence bound of ``mean(a - b)`` (paired by seed, Student t)."""
    from scipy import stats

    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if diff.size < 2:
        return math.nan
    return float(diff.mean() - stats.t.ppf(1 - alpha, diff.size - 1) * diff.std(ddof=1) / math.sqrt(diff.size))


@single_threaded
@functools.lru_cache(maxsize=4)
def p4_sweep(seeds: int = 5, steps: int = 2000, width: int = 32, d: int = 200, n: int = 20,
             progress: bool = False) -> dict[str, dict[str, np.ndarray]]:
    """Run every regime of :data:`P4_CONFIGS` for ``seeds`` seeds: label -> metric -> (seeds,) array.
    Cached per argument tuple, so the P4 and D4 checks share one sweep per process."""
    out: dict[str, dict[str, list[float]]] = {}
    jobs = [(label, s) for label in P4_CONFIGS for s in range(seeds)]
    it = jobs
    if progress:
        from tqdm import tqdm

        it = tqdm(jobs, desc="P4 sweep")
    for label, s in it:
        cfg = P4Config(**{**P4_CONFIGS[label], "seed": s, "steps": steps, "width": width, "d": d, "n": n})  # type: ignore[arg-type]
        for k, v in train_p4(cfg).items():
            out.setdefault(label, {}).setdefault(k, []).append(v)
    return {lab: {k: np.asarray(v) for k, v in m.items()} for lab, m in out.items()}


def p4_table(sweep: dict[str, dict[str, np.ndarray]]) -> str:
    """The sweep as a text table: mean [95% CI] per regime and metric."""
    metrics = ("span_fraction", "normal_alignment", "y_centroid_alignment", "ntk_change_trained",
               "ntk_change_all", "train_loss")
    lines = ["regime | " + " | ".join(metrics)]
    for lab, m in sweep.items():
        cells = []
        for k in metrics:
            mu, lo, hi = mean_ci(m[k])
            cells.append(f"{mu:.3g} [{lo:.3g}, {hi:.3g}]")
        lines.append(f"{lab} | " + " | ".join(cells))
    return "\n".join(lines)


RICH = ("rich (small init)", "weight decay")


LAZY = ("lazy (large init)", "lazy (last layer only)")
