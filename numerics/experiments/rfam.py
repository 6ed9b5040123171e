"""R1 experiment: RFAM (M_0 = training covariance) vs RFM (M_0 = I) on the real classification tables
shipped inside scikit-learn, under L-infinity PGD.

Protocol (every choice here is the same for both models, so each (dataset, split) is a paired unit):

- data: ``load_breast_cancer`` (569 x 30, 2 classes), ``load_wine`` (178 x 13, 3), ``load_iris``
  (150 x 4, 3) are tabular; ``load_digits`` (1797 x 64, 10) is *not* strictly tabular (8 x 8 images,
  flattened). Stratified split 60/20/20 train/validation/test per split seed; features standardised
  with the training mean and standard deviation; features constant on the training split dropped.
- models: Laplace-kernel RFM (``normalign.numerics.maths.rfm``) with bandwidth L = 10, ridge 1e-3, one-hot targets,
  T = 5 AGOP updates, M trace-normalised to d; the iteration t in 0..T with the best validation accuracy
  is kept (ties go to the later iteration, i.e. to more feature learning).
- robustness, on (up to ``max_test``) test points: clean accuracy; attack success rate of the standard
  PGD (20 steps, step eps/10, random start, CE loss, eps in {0.1, 1, 2}, in standardised units) and of a
  strong PGD (100 steps, 4 random restarts alternating CE and margin loss, success at any
  iterate) at eps = 1; normal-alignment
  score NA = |cos(v_1(J_x), x)| and effective rank (sum s)^2 / sum s^2 of the per-point Jacobians
  (``normalign.numerics.engine.scores.scores_from_jacobians``), averaged over test points.
- statistics: per metric the paired differences RFAM - RFM over all units; Wilcoxon signed-rank test
  (``scipy.stats.wilcoxon``, two-sided, zero differences dropped: ``zero_method="wilcox"``) as the
  primary test, the paired t-test (``scipy.stats.ttest_rel``) as a secondary one. Units of one dataset
  share data, so the tests over-count independence; per-dataset means are reported as well.

Paper (120 UCI tables): attack success at eps = 1 about 71.6% (RFM) vs 68.3% (RFAM), NA 0.31 vs 0.38,
clean accuracy 1.7 points lower for RFAM.

Run: ``normalign experiment rfam [--out results/rfam] [--splits 5] ...`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np
from normalign.numerics.engine.threads import single_threaded
from normalign.numerics.maths.pgd import PGDConfig, attack_success_rate
from normalign.numerics.maths.rfm import KernelPredictor, RFMConfig, fit_rfm, one_hot

from normalign.checks import Budget, CheckResult, Outcome
from normalign.files import write_atomic, write_figure_atomic, write_json_atomic

DATASETS: dict[str, str] = {
    "breast_cancer": "tabular",
    "wine": "tabular",
    "iris": "tabular (tiny: 4 features)",
    "digits": "not strictly tabular (8x8 images, flattened)",
}
MODELS: tuple[str, ...] = ("rfm", "rfam")
PAPER: dict[str, dict[str, float]] = {
    "attack_success_eps1": {"rfm": 0.716, "rfam": 0.683},
    "normal_alignment": {"rfm": 0.31, "rfam": 0.38},
    "clean_accuracy_diff_points": {"rfam_minus_rfm": -1.7},
}
ALPHA: float = 0.05
"""Significance level of the paired tests and of the R1 robustness criterion."""


@dataclass(frozen=True)
class ExperimentConfig:
    datasets: tuple[str, ...] = tuple(DATASETS)
    splits: int = 10
    seed: int = 0
    bandwidth: float = 10.0
    ridge: float = 1e-3
    iters: int = 5
    eps: tuple[float, ...] = (0.1, 1.0, 2.0)
    steps: int = 20
    strong_eps: tuple[float, ...] = (1.0,)
    strong_steps: int = 100
    strong_restarts: int = 4
    max_test: int = 200
    val_frac: float = 0.2
    test_frac: float = 0.2

    def __post_init__(self) -> None:
        unknown = [d for d in self.datasets if d not in DATASETS]
        if unknown:
            raise ValueError(f"unknown datasets {unknown}; known: {', '.join(DATASETS)}")
        if self.splits < 1 or self.max_test < 1:
            raise ValueError("splits and max_test must be >= 1")
        if not (0 < self.val_frac < 1 and 0 < self.test_frac < 1 and self.val_frac + self.test_frac < 1):
            raise ValueError("val_frac and test_frac must be in (0, 1) with sum < 1")
        RFMConfig(bandwidth=self.bandwidth, ridge=self.ridge, iters=self.iters)  # validates


# --------------------------------------------------------------------------------------------------
# data


def load_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X float64, y int 0..c-1) of a scikit-learn shipped classification table (no download)."""
    from sklearn import datasets

    loaders: dict[str, Callable[..., Any]] = {
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
        "digits": datasets.load_digits,
    }
    if name not in loaders:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(loaders)}")
    X, y = loaders[name](return_X_y=True)
    _, y = np.unique(y, return_inverse=True)
    return np.asarray(X, dtype=np.float64), y.astype(np.int64)


def split_standardise(X: np.ndarray, y: np.ndarray, seed: int, val_frac: float = 0.2,
                      test_frac: float = 0.2) -> dict[str, np.ndarray]:
    """Stratified train/val/test split; standardise with training statistics; drop constant features."""
    from sklearn.model_selection import train_test_split

    X_rest, X_te, y_rest, y_te = train_test_split(X, y, test_size=test_frac, random_state=seed, stratify=y)
    X_tr, X_va, y_tr, y_va = train_test_split(X_rest, y_rest, test_size=val_frac / (1 - test_frac),
                                              random_state=seed + 1, stratify=y_rest)
    Z_tr, Z_va, Z_te = standardise(X_tr, X_va, X_te)
    return {"X_tr": Z_tr, "y_tr": y_tr, "X_va": Z_va, "y_va": y_va, "X_te": Z_te, "y_te": y_te}


def standardise(X_tr: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """[z(X_tr), z(A) for A in others] with z(A) = (A - mean) / sd over the features that are not constant
    on X_tr, mean and sd (population) from X_tr only."""
    mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
    keep = sd > 0
    if not keep.any():
        raise ValueError("every feature is constant on the training split")
    return [(A[:, keep] - mu[keep]) / sd[keep] for A in (X_tr, *others)]


# --------------------------------------------------------------------------------------------------
# one unit


def fit_and_select(X_tr: np.ndarray, y_tr: np.ndarray, X_va: np.ndarray, y_va: np.ndarray, init: str,
                   cfg: ExperimentConfig) -> tuple[KernelPredictor, int, list[float]]:
    """Fit RFM/RFAM for T updates; keep the iteration with the best validation accuracy (latest on ties)."""
    c = int(max(y_tr.max(), y_va.max())) + 1
    hist = fit_rfm(X_tr, one_hot(y_tr, c), RFMConfig(cfg.bandwidth, cfg.ridge, cfg.iters, init))  # type: ignore[arg-type]
    accs = [float(np.mean(p.predict(X_va).argmax(axis=1) == y_va)) for p in hist.predictors]
    t = max(i for i, a in enumerate(accs) if a == max(accs))
    return hist.predictors[t], t, accs


def jacobian_scores(pred: KernelPredictor, X: np.ndarray) -> dict[str, float]:
    """Mean NA score and effective rank of the per-point Jacobians at the rows of X (NaNs skipped)."""
    from normalign.numerics.engine.scores import scores_from_jacobians

    s = scores_from_jacobians(pred.jacobians(X), X)
    return {"normal_alignment": float(np.nanmean(s["normal_alignment"])),
            "effective_rank": float(np.nanmean(s["effective_rank"]))}


def evaluate(pred: KernelPredictor, X: np.ndarray, y: np.ndarray, cfg: ExperimentConfig, seed: int) -> dict[str, Any]:
    """Clean accuracy, attack success (standard at every eps, strong at strong_eps), NA, effective rank."""
    out: dict[str, Any] = {"clean_accuracy": float(np.mean(pred.predict(X).argmax(axis=1) == y))}
    for eps in cfg.eps:
        rate, k = attack_success_rate(pred, X, y, PGDConfig(eps=eps, steps=cfg.steps),
                                      np.random.default_rng([seed, 1, int(round(eps * 1000))]))
        out[f"attack_success_eps{eps:g}"] = rate
        out["n_clean_correct"] = k
    for eps in cfg.strong_eps:
        pc = PGDConfig(eps=eps, steps=cfg.strong_steps, restarts=cfg.strong_restarts, loss="both", any_iterate=True)
        out[f"strong_attack_success_eps{eps:g}"], _ = attack_success_rate(
            pred, X, y, pc, np.random.default_rng([seed, 2, int(round(eps * 1000))]))
    out.update(jacobian_scores(pred, X))
    return out


def run_unit(dataset: str, split: int, cfg: ExperimentConfig) -> dict[str, Any]:
    """Both models on one (dataset, split): the same data, test subset and attack seeds."""
    X, y = load_dataset(dataset)
    seed = cfg.seed * 1000 + split
    data = split_standardise(X, y, seed, cfg.val_frac, cfg.test_frac)
    rng = np.random.default_rng([seed, 0])
    idx = np.sort(rng.permutation(len(data["y_te"]))[: cfg.max_test])
    X_te, y_te = data["X_te"][idx], data["y_te"][idx]
    unit: dict[str, Any] = {"dataset": dataset, "split": split, "seed": seed, "n_train": len(data["y_tr"]),
                            "d": data["X_tr"].shape[1], "n_test_attacked": len(y_te)}
    for model, init in zip(MODELS, ("identity", "covariance")):
        t0 = time.perf_counter()
        pred, t, accs = fit_and_select(data["X_tr"], data["y_tr"], data["X_va"], data["y_va"], init, cfg)
        res = evaluate(pred, X_te, y_te, cfg, seed)
        res.update(chosen_iter=t, val_accuracy_by_iter=accs, seconds=time.perf_counter() - t0)
        unit[model] = res
    return unit


# --------------------------------------------------------------------------------------------------
# statistics, table, figure


def metric_names(cfg: ExperimentConfig) -> list[str]:
    return ([f"attack_success_eps{e:g}" for e in cfg.eps] + [f"strong_attack_success_eps{e:g}" for e in cfg.strong_eps]
            + ["normal_alignment", "effective_rank", "clean_accuracy"])


def paired_test(a: np.ndarray, b: np.ndarray) -> dict[str, Any]:
    """Paired comparison of b (RFAM) against a (RFM): differences b - a; Wilcoxon (two-sided and both
    one-sided, zero differences dropped) and paired t-test (two-sided). NaN pairs are dropped."""
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    diff = b - a
    out: dict[str, Any] = {"n_pairs": int(diff.size), "mean_rfm": float(np.mean(a)) if a.size else np.nan,
                           "mean_rfam": float(np.mean(b)) if b.size else np.nan,
                           "mean_diff": float(np.mean(diff)) if diff.size else np.nan,
                           "median_diff": float(np.median(diff)) if diff.size else np.nan,
                           "rfam_lower": int((diff < 0).sum()), "rfam_higher": int((diff > 0).sum()),
                           "ties": int((diff == 0).sum())}
    nz = diff[diff != 0]
    if nz.size == 0:
        out.update(wilcoxon_p=1.0, wilcoxon_p_less=1.0, wilcoxon_p_greater=1.0, ttest_p=1.0)
        return out
    out["wilcoxon_p"] = float(stats.wilcoxon(nz, zero_method="wilcox", alternative="two-sided").pvalue)
    out["wilcoxon_p_less"] = float(stats.wilcoxon(nz, zero_method="wilcox", alternative="less").pvalue)
    out["wilcoxon_p_greater"] = float(stats.wilcoxon(nz, zero_method="wilcox", alternative="greater").pvalue)
    # the t statistic is undefined when the differences are constant (up to rounding: spread < 1e-9 of size)
    spread_ok = diff.size > 1 and np.std(diff) > 1e-9 * np.abs(diff).max()
    out["ttest_p"] = float(stats.ttest_rel(b, a).pvalue) if spread_ok else np.nan
    return out


def summarise(units: list[dict[str, Any]], cfg: ExperimentConfig) -> dict[str, Any]:
    """Paired tests over all units and per-dataset means for every metric."""
    overall = {m: paired_test(np.array([u["rfm"][m] for u in units]), np.array([u["rfam"][m] for u in units]))
               for m in metric_names(cfg)}
    per_dataset: dict[str, Any] = {}
    for ds in cfg.datasets:
        us = [u for u in units if u["dataset"] == ds]
        if us:
            per_dataset[ds] = {m: {k: float(np.nanmean([u[k][m] for u in us])) for k in MODELS} for m in metric_names(cfg)}
    return {"overall": overall, "per_dataset": per_dataset}


def robustness_verdict(summary: dict[str, Any], cfg: ExperimentConfig) -> tuple[Outcome, str]:
    """Criterion for 'RFAM is more robust than RFM' (stated in advance): VERIFIED if RFAM's attack success
    at eps = 1 is significantly lower (one-sided Wilcoxon p < ALPHA) under BOTH the standard and the
    strong attack; REFUTED if it is significantly higher (p < ALPHA) under either; else INCONCLUSIVE."""
    keys = [k for k in ("attack_success_eps1", "strong_attack_success_eps1") if k in summary["overall"]]
    if len(keys) < 2:
        return Outcome.INCONCLUSIVE, "eps = 1 must be among both the standard and the strong attack's eps"
    tests = [summary["overall"][k] for k in keys]
    text = "; ".join(f"{k}: mean RFM {t['mean_rfm']:.3f} vs RFAM {t['mean_rfam']:.3f}, n = {t['n_pairs']}, "
                     f"Wilcoxon p(less) = {t['wilcoxon_p_less']:.3g}, p(greater) = {t['wilcoxon_p_greater']:.3g}"
                     for k, t in zip(keys, tests))
    if any(t["wilcoxon_p_greater"] < ALPHA for t in tests):
        return Outcome.REFUTED, "RFAM significantly LESS robust: " + text
    if all(t["wilcoxon_p_less"] < ALPHA for t in tests):
        return Outcome.VERIFIED, "RFAM significantly more robust: " + text
    return Outcome.INCONCLUSIVE, "no significant difference at level 0.05: " + text


def table_markdown(results: dict[str, Any]) -> str:
    cfg = results["config"]
    ov = results["summary"]["overall"]
    lines = ["# R1: RFAM vs RFM under L-inf PGD on scikit-learn's shipped classification tables", "",
             f"Datasets: {', '.join(f'{d} ({DATASETS[d]})' for d in cfg['datasets'])}; {cfg['splits']} splits each "
             f"({results['n_units']} paired units). Laplace RFM, L = {cfg['bandwidth']}, ridge = {cfg['ridge']}, "
             f"T = {cfg['iters']} (iteration chosen on validation). Standard PGD: {cfg['steps']} steps, step eps/10, "
             f"random start, CE; strong: {cfg['strong_steps']} steps x {cfg['strong_restarts']} restarts alternating CE / margin loss, success at any iterate. "
             "Differences are RFAM - RFM; p-values: Wilcoxon signed-rank (two-sided, zeros dropped) and paired t-test.",
             "", "| metric | RFM mean | RFAM mean | mean diff | median diff | RFAM lower / higher / tie | Wilcoxon p | t-test p |",
             "|---|---|---|---|---|---|---|---|"]
    for m, t in ov.items():
        lines.append(f"| {m} | {t['mean_rfm']:.4f} | {t['mean_rfam']:.4f} | {t['mean_diff']:+.4f} | "
                     f"{t['median_diff']:+.4f} | {t['rfam_lower']} / {t['rfam_higher']} / {t['ties']} | "
                     f"{t['wilcoxon_p']:.3g} | {t['ttest_p']:.3g} |")
    lines += ["", "## Per dataset (means over splits, RFM -> RFAM)", "",
              "| dataset | " + " | ".join(ov) + " |", "|---|" + "---|" * len(ov)]
    for ds, row in results["summary"]["per_dataset"].items():
        lines.append(f"| {ds} | " + " | ".join(f"{row[m]['rfm']:.3f} -> {row[m]['rfam']:.3f}" for m in ov) + " |")
    p = PAPER
    lines += ["", "## Against the paper (120 UCI tables)", "",
              "| quantity | paper RFM | paper RFAM | ours RFM | ours RFAM |", "|---|---|---|---|---|"]
    if "attack_success_eps1" in ov:
        t = ov["attack_success_eps1"]
        lines.append(f"| attack success, eps = 1 | {p['attack_success_eps1']['rfm']:.3f} | "
                     f"{p['attack_success_eps1']['rfam']:.3f} | {t['mean_rfm']:.3f} | {t['mean_rfam']:.3f} |")
    t = ov["normal_alignment"]
    lines.append(f"| NA score | {p['normal_alignment']['rfm']:.2f} | {p['normal_alignment']['rfam']:.2f} | "
                 f"{t['mean_rfm']:.3f} | {t['mean_rfam']:.3f} |")
    t = ov["clean_accuracy"]
    lines.append(f"| clean accuracy, RFAM - RFM (points) | | {p['clean_accuracy_diff_points']['rfam_minus_rfm']:+.1f} | "
                 f"| {100 * t['mean_diff']:+.2f} |")
    lines += ["", f"R1 robustness criterion: **{results['verdict']['outcome']}**. {results['verdict']['detail']}", ""]
    return "\n".join(lines)


def make_figure(results: dict[str, Any], path: Path) -> None:
    """Three panels: attack success vs eps (mean +- s.e. over units), NA per unit, clean accuracy per unit."""
    from matplotlib.figure import Figure

    cfg, units = results["config"], results["units"]
    fig = Figure(figsize=(13, 4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    eps = list(cfg["eps"])
    for model, colour in zip(MODELS, ("tab:blue", "tab:red")):
        vals = np.array([[u[model][f"attack_success_eps{e:g}"] for e in eps] for u in units], float)
        mean = np.nanmean(vals, axis=0)
        se = np.nanstd(vals, axis=0) / np.sqrt(max(1, vals.shape[0]))
        ax1.errorbar(eps, mean, yerr=se, marker="o", color=colour, label=f"{model.upper()} (PGD-{cfg['steps']})", capsize=3)
        for e in cfg["strong_eps"]:
            s = np.array([u[model][f"strong_attack_success_eps{e:g}"] for u in units], float)
            ax1.plot([e], [np.nanmean(s)], marker="*", ms=12, color=colour, ls="none",
                     label=f"{model.upper()} strong PGD")
    ax1.set(xscale="log", xlabel="eps (L-inf, standardised units)", ylabel="attack success rate",
            title="attack success (mean +- s.e. over units)")
    ax1.legend(fontsize=7)
    for ax, m, title in ((ax2, "normal_alignment", "NA score (test mean)"), (ax3, "clean_accuracy", "clean accuracy")):
        for i, ds in enumerate(cfg["datasets"]):
            us = [u for u in units if u["dataset"] == ds]
            ax.scatter([u["rfm"][m] for u in us], [u["rfam"][m] for u in us], label=ds, color=f"C{i}", s=18)
        lo = min(min(u[k][m] for u in units for k in MODELS), 0.0 if m == "normal_alignment" else 1.0)
        hi = max(u[k][m] for u in units for k in MODELS)
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8)
        ax.set(xlabel="RFM", ylabel="RFAM", title=title + " per unit")
        ax.legend(fontsize=7)
    write_figure_atomic(path, fig, dpi=120)


@single_threaded
def run_experiment(cfg: ExperimentConfig, progress: bool = True) -> dict[str, Any]:
    """All (dataset, split) units, their paired statistics and the R1 robustness verdict."""
    from tqdm import tqdm

    jobs = [(ds, s) for ds in cfg.datasets for s in range(cfg.splits)]
    units = []
    t0 = time.perf_counter()
    bar = tqdm(jobs, desc="rfam", unit="unit", disable=not progress)
    for ds, s in bar:
        bar.set_postfix_str(f"{ds} split {s}")
        units.append(run_unit(ds, s, cfg))
    summary = summarise(units, cfg)
    outcome, detail = robustness_verdict(summary, cfg)
    return {"config": asdict(cfg), "datasets": {d: DATASETS[d] for d in cfg.datasets}, "paper": PAPER,
            "n_units": len(units), "seconds": time.perf_counter() - t0, "units": units, "summary": summary,
            "verdict": {"outcome": outcome.value, "detail": detail, "alpha": ALPHA}}


def write_outputs(results: dict[str, Any], out: Path) -> dict[str, Path]:
    """results.json, table.md and figure.png in ``out``, each written atomically."""

    out = Path(out)
    paths = {"json": out / "results.json", "table": out / "table.md", "figure": out / "figure.png"}
    write_json_atomic(paths["json"], results)
    text = table_markdown(results)
    write_atomic(paths["table"], text)
    make_figure(results, paths["figure"])
    return paths


# --------------------------------------------------------------------------------------------------
# registry check and command line


def check_rfam_robustness(budget: Budget) -> CheckResult:
    """R1 empirical claim, decided only at Budget.full by the criterion of :func:`robustness_verdict`
    on the default experiment; at the quick budget it returns INCONCLUSIVE without running."""
    if not budget.full:
        return CheckResult(Outcome.INCONCLUSIVE, float("nan"), 0,
                           "decided only at Budget.full (runs the whole experiment, ~10 min on one core)")
    cfg = replace(ExperimentConfig(), seed=budget.seed)
    res = run_experiment(cfg, progress=False)
    t = res["summary"]["overall"]["attack_success_eps1"]
    return CheckResult(Outcome(res["verdict"]["outcome"]), float(t["mean_diff"]), res["n_units"],
                       res["verdict"]["detail"])


def _floats(text: str) -> tuple[float, ...]:
    return tuple(float(v) for v in text.split(",") if v.strip())


def model_and_attack_arguments(p: argparse.ArgumentParser, d: object, eps_help: str) -> None:
    """The RFM model's and the two PGD attacks' options, defaults from the config ``d`` (shared by
    ``rfam`` and ``rfam-keel``)."""
    p.add_argument("--bandwidth", type=float, default=d.bandwidth)  # type: ignore[attr-defined]
    p.add_argument("--ridge", type=float, default=d.ridge)  # type: ignore[attr-defined]
    p.add_argument("--iters", type=int, default=d.iters, help="AGOP updates T")  # type: ignore[attr-defined]
    p.add_argument("--eps", type=_floats, default=d.eps, help=eps_help)  # type: ignore[attr-defined]
    p.add_argument("--steps", type=int, default=d.steps)  # type: ignore[attr-defined]
    p.add_argument("--strong-eps", type=_floats, default=d.strong_eps)  # type: ignore[attr-defined]
    p.add_argument("--strong-steps", type=int, default=d.strong_steps)  # type: ignore[attr-defined]
    p.add_argument("--strong-restarts", type=int, default=d.strong_restarts)  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    d = ExperimentConfig()
    p = argparse.ArgumentParser(prog="normalign experiment rfam", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("results/rfam"), help="output folder (default results/rfam)")
    p.add_argument("--datasets", default=",".join(d.datasets), help=f"comma list from {', '.join(DATASETS)}")
    p.add_argument("--splits", type=int, default=d.splits, help="splits (seeds) per dataset")
    p.add_argument("--seed", type=int, default=d.seed)
    model_and_attack_arguments(p, d, "comma list for the standard attack")
    p.add_argument("--max-test", type=int, default=d.max_test, help="test points attacked per split")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: list[str]) -> int:
    """Entry point of ``normalign experiment rfam``; returns a process exit code."""
    args = build_parser().parse_args(argv)
    try:
        cfg = ExperimentConfig(datasets=tuple(s.strip() for s in args.datasets.split(",") if s.strip()),
                               splits=args.splits, seed=args.seed, bandwidth=args.bandwidth, ridge=args.ridge,
                               iters=args.iters, eps=args.eps, steps=args.steps, strong_eps=args.strong_eps,
                               strong_steps=args.strong_steps, strong_restarts=args.strong_restarts,
                               max_test=args.max_test)
    except ValueError as exc:
        print(f"error: {exc}")
        return 2
    results = run_experiment(cfg, progress=not args.no_progress)
    paths = write_outputs(results, args.out)
    print(table_markdown(results))
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    import sys

    raise SystemExit(main(sys.argv[1:]))
