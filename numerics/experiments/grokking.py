"""G1 at CPU size: grokking tasks, weight decay alone vs GrokAlign, steps to grok.

Tasks (the authors' settings in ``shared/THEOREMS.md`` G1; ours are smaller, stated in :data:`TASKS`):

- ``sparse-parity``: y = parity of 3 bits of x in {+-1}^{3 + noise}; ReLU MLP with biases, 2 logits,
  cross-entropy, AdamW. Authors: 40 noise bits, 43-200-200-2. Ours: 20 noise bits, 23-128-128-2.
- ``xor``: x = (s1, s2, 0.05 * noise) with s in {+-1}^2 and noise in {+-1}^(p-2), y = s1 s2; bias-free
  ReLU net, scalar output, MSE, SGD lr 0.1, weight decay 0.1, lambda 1. Authors: width 2048. Ours:
  width 256, p = 2000, 80 training points, init scaled by 4, 1000 steps.
- ``modular-addition``: (a + b) mod p from concatenated one-hot inputs; one hidden layer with quadratic
  activation, no bias, p logits, AdamW, weight decay 1, lambda 0.01. Authors: p = 61, width 256, 30%
  train, lr 1e-3. Ours: p = 23, width 128, 50% train, lr 1e-2, 5000 steps (grokking within a CPU budget).
- sparse parity: 400 training points, 1000 test points, 3000 steps.

A run is *grokked* at the first evaluation with train accuracy >= 99% and test accuracy >= 90% (the
authors' criterion). Runs that do not grok within ``max_steps`` are censored (reported as such).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from normalign.numerics.maths.grokalign import GrokAlign, alignment_scores
from torch import nn


class Square(nn.Module):
    """Quadratic activation ``z -> z^2`` (2-homogeneous: J x = 2 f(x), b = -f(x) when bias-free)."""

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z * z


@dataclass(frozen=True)
class TaskConfig:
    """One task's sizes and optimiser (see the module docstring for the authors' sizes)."""

    name: str
    lam: float
    optimizer: str
    lr: float
    weight_decay: float
    max_steps: int
    eval_every: int
    width: int
    n_train: int = 0
    n_test: int = 0
    dim: int = 0
    noise_bits: int = 0
    modulus: int = 0
    train_frac: float = 0.0
    init_scale: float = 1.0
    train_acc: float = 0.99
    test_acc: float = 0.90


TASKS: dict[str, TaskConfig] = {
    "sparse-parity": TaskConfig("sparse-parity", lam=0.1, optimizer="adamw", lr=1e-2, weight_decay=0.1,
                                max_steps=3000, eval_every=25, width=128, n_train=400, n_test=1000,
                                noise_bits=20),
    "xor": TaskConfig("xor", lam=1.0, optimizer="sgd", lr=0.1, weight_decay=0.1, max_steps=1000,
                      eval_every=25, width=256, n_train=80, n_test=1000, dim=2000, init_scale=4.0),
    "modular-addition": TaskConfig("modular-addition", lam=0.01, optimizer="adamw", lr=1e-2, weight_decay=1.0,
                                   max_steps=5000, eval_every=25, width=128, modulus=23, train_frac=0.5),
}


def make_data(cfg: TaskConfig, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(X_train, y_train, X_test, y_test)`` in float32 (labels: class indices, or +-1 for xor)."""
    g = torch.Generator().manual_seed(50_000 + seed)
    if cfg.name == "sparse-parity":
        d = 3 + cfg.noise_bits
        X = torch.randint(0, 2, (cfg.n_train + cfg.n_test, d), generator=g).float() * 2 - 1
        y = (X[:, :3].prod(dim=1) < 0).long()
        return X[: cfg.n_train], y[: cfg.n_train], X[cfg.n_train:], y[cfg.n_train:]
    if cfg.name == "xor":
        m = cfg.n_train + cfg.n_test
        s = torch.randint(0, 2, (m, 2), generator=g).float() * 2 - 1
        noise = 0.05 * (torch.randint(0, 2, (m, cfg.dim - 2), generator=g).float() * 2 - 1)
        X = torch.cat([s, noise], dim=1)
        y = s[:, 0] * s[:, 1]
        return X[: cfg.n_train], y[: cfg.n_train], X[cfg.n_train:], y[cfg.n_train:]
    if cfg.name == "modular-addition":
        p = cfg.modulus
        a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
        a, b = a.reshape(-1), b.reshape(-1)
        X = torch.cat([nn.functional.one_hot(a, p), nn.functional.one_hot(b, p)], dim=1).float()
        y = (a + b) % p
        perm = torch.randperm(p * p, generator=g)
        k = int(round(cfg.train_frac * p * p))
        return X[perm[:k]], y[perm[:k]], X[perm[k:]], y[perm[k:]]
    raise ValueError(f"unknown task {cfg.name!r}; known: {', '.join(TASKS)}")


def make_model(cfg: TaskConfig, in_dim: int, seed: int) -> nn.Module:
    """The task's network (float32), initialised from ``seed`` and scaled by ``init_scale``."""
    torch.manual_seed(60_000 + seed)
    if cfg.name == "sparse-parity":
        model = nn.Sequential(nn.Linear(in_dim, cfg.width), nn.ReLU(), nn.Linear(cfg.width, cfg.width), nn.ReLU(),
                              nn.Linear(cfg.width, 2))
    elif cfg.name == "xor":
        model = nn.Sequential(nn.Linear(in_dim, cfg.width, bias=False), nn.ReLU(), nn.Linear(cfg.width, 1, bias=False))
    elif cfg.name == "modular-addition":
        model = nn.Sequential(nn.Linear(in_dim, cfg.width, bias=False), Square(),
                              nn.Linear(cfg.width, cfg.modulus, bias=False))
    else:
        raise ValueError(f"unknown task {cfg.name!r}")
    if cfg.init_scale != 1.0:
        with torch.no_grad():
            for p in model.parameters():
                p.mul_(cfg.init_scale)
    return model


def _loss_acc(cfg: TaskConfig, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, float]:
    if cfg.name == "xor":
        f = out.reshape(-1)
        return 0.5 * (f - y).pow(2).mean(), float((torch.sign(f) == y).float().mean())
    return nn.functional.cross_entropy(out, y), float((out.argmax(dim=1) == y).float().mean())


@dataclass
class RunResult:
    """One training run: curves at every evaluation and the step at which it grokked (or None)."""

    task: str
    method: str
    seed: int
    steps: list[int] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    alignment: list[float] = field(default_factory=list)
    grok_step: int | None = None
    seconds: float = 0.0


def train_run(cfg: TaskConfig, method: str, seed: int, *, stop_at_grok: bool = False,
              align_points: int = 64) -> RunResult:
    """Train one run; ``method`` is ``"wd"`` (weight decay alone) or ``"grokalign"`` (weight decay plus
    ``GrokAlign(lam)`` with the one-vector Jacobian estimate and the JVP offset, as the authors)."""
    import time

    if method not in ("wd", "grokalign"):
        raise ValueError(f"method must be 'wd' or 'grokalign', got {method!r}")
    t0 = time.perf_counter()
    Xtr, ytr, Xte, yte = make_data(cfg, seed)
    model = make_model(cfg, Xtr.shape[1], seed)
    if cfg.optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator().manual_seed(70_000 + seed)
    reg = GrokAlign(model, cfg.lam, jacobian="estimate", offset="jvp", generator=gen) if method == "grokalign" else None
    Xal = Xtr[:align_points]
    res = RunResult(cfg.name, method, seed)
    for step in range(cfg.max_steps + 1):
        if step % cfg.eval_every == 0:
            with torch.no_grad():
                _, tr = _loss_acc(cfg, model(Xtr), ytr)
                _, te = _loss_acc(cfg, model(Xte), yte)
            res.steps.append(step)
            res.train_acc.append(tr)
            res.test_acc.append(te)
            res.alignment.append(alignment_scores(model, Xal)["normal_alignment"])
            if res.grok_step is None and tr >= cfg.train_acc and te >= cfg.test_acc:
                res.grok_step = step
                if stop_at_grok:
                    break
        if step == cfg.max_steps:
            break
        loss, _ = _loss_acc(cfg, model(Xtr), ytr)
        if reg is not None:
            loss = loss + reg(Xtr)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    res.seconds = time.perf_counter() - t0
    return res


def sustained_step(run: RunResult, cfg_train: float, cfg_test: float) -> int | None:
    """First evaluation step from which the grok criterion holds at *every* later evaluation (None if
    it fails at the last one): 'grokked and stayed grokked'."""
    ok = [tr >= cfg_train and te >= cfg_test for tr, te in zip(run.train_acc, run.test_acc)]
    if not ok or not ok[-1]:
        return None
    k = len(ok) - 1
    while k > 0 and ok[k - 1]:
        k -= 1
    return run.steps[k]


def speedup(wd_steps: list[int | None], ga_steps: list[int | None], max_steps: int,
            level: float = 0.95) -> dict[str, float | int]:
    """Paired (by seed) speed-up ``steps_wd / steps_grokalign``: geometric mean with a Student-t
    confidence interval on the log ratios. Censored runs count as ``max_steps`` (so a censored
    weight-decay run makes its ratio a lower bound, a censored GrokAlign run an upper bound)."""
    from scipy import stats

    w = np.array([s if s is not None else max_steps for s in wd_steps], dtype=float)
    g = np.array([s if s is not None else max_steps for s in ga_steps], dtype=float)
    w, g = np.maximum(w, 1.0), np.maximum(g, 1.0)  # grokked at step 0 cannot happen; guard log(0)
    lr = np.log(w / g)
    m = float(lr.mean())
    h = float(stats.t.ppf(0.5 + level / 2, lr.size - 1) * lr.std(ddof=1) / math.sqrt(lr.size)) if lr.size > 1 else math.nan
    return {"ratio_geomean": math.exp(m), "ci_low": math.exp(m - h), "ci_high": math.exp(m + h),
            "wd_censored": int(sum(s is None for s in wd_steps)),
            "grokalign_censored": int(sum(s is None for s in ga_steps)),
            "wd_median_steps": float(np.median(w)), "grokalign_median_steps": float(np.median(g))}


def smaller(cfg: TaskConfig, **kw: object) -> TaskConfig:
    """A copy of ``cfg`` with fields replaced (for smoke runs)."""
    return replace(cfg, **kw)  # type: ignore[arg-type]


def config_dict(cfg: TaskConfig) -> dict[str, object]:
    return asdict(cfg)
