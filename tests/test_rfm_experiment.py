"""R1: the RFAM vs RFM experiment (smoke test in the default suite; the full run is slow)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from normalign.checks import Budget, Outcome
from normalign.numerics.experiments import rfam as ex

pytestmark = pytest.mark.theorem("R1")


def test_split_standardises_with_training_statistics_and_drops_constants() -> None:
    X, y = ex.load_dataset("digits")
    data = ex.split_standardise(X, y, seed=0)
    Xtr = data["X_tr"]
    assert np.abs(Xtr.mean(axis=0)).max() <= 1e-12 and np.abs(Xtr.std(axis=0) - 1).max() <= 1e-12
    assert Xtr.shape[1] < X.shape[1]  # digits has pixels that are always 0
    n = len(y)
    assert len(data["y_tr"]) + len(data["y_va"]) + len(data["y_te"]) == n
    assert set(np.unique(data["y_te"])) == set(np.unique(y))  # stratified


def test_paired_test_on_known_differences() -> None:
    a = np.linspace(0.5, 0.9, 12)
    t = ex.paired_test(a, a - 0.05)
    assert t["rfam_lower"] == 12 and t["mean_diff"] == pytest.approx(-0.05)
    assert t["wilcoxon_p_less"] == pytest.approx(1 / 2**12)  # exact null distribution: all 12 signs negative
    same = ex.paired_test(a, a)
    assert same["wilcoxon_p"] == 1.0 and same["ties"] == 12


def test_verdict_criterion() -> None:
    def summary(p_less: float, p_greater: float) -> dict:
        t = {"mean_rfm": 0.7, "mean_rfam": 0.6, "n_pairs": 20, "wilcoxon_p_less": p_less, "wilcoxon_p_greater": p_greater}
        return {"overall": {"attack_success_eps1": t, "strong_attack_success_eps1": t}}

    cfg = ex.ExperimentConfig()
    assert ex.robustness_verdict(summary(0.01, 0.99), cfg)[0] == Outcome.VERIFIED
    assert ex.robustness_verdict(summary(0.99, 0.01), cfg)[0] == Outcome.REFUTED
    assert ex.robustness_verdict(summary(0.2, 0.8), cfg)[0] == Outcome.INCONCLUSIVE


def test_smoke_command_writes_results(tmp_path) -> None:
    argv = ["--out", str(tmp_path / "rfam"), "--datasets", "iris", "--splits", "2", "--iters", "1", "--steps", "3",
            "--strong-steps", "3", "--strong-restarts", "1", "--max-test", "15", "--no-progress"]
    assert ex.main(argv) == 0
    res = json.loads((tmp_path / "rfam" / "results.json").read_text())
    assert res["n_units"] == 2 and res["verdict"]["outcome"] in {o.value for o in Outcome}
    for u in res["units"]:
        for m in ex.MODELS:
            assert 0 <= u[m]["clean_accuracy"] <= 1 and 0 <= u[m]["normal_alignment"] <= 1
            assert u[m]["effective_rank"] >= 1 - 1e-12
    assert "| attack_success_eps1 |" in (tmp_path / "rfam" / "table.md").read_text()
    assert (tmp_path / "rfam" / "figure.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list((tmp_path / "rfam").glob(".*.tmp"))  # atomic writes leave nothing behind


def test_bad_command_line_is_an_error(tmp_path) -> None:
    assert ex.main(["--out", str(tmp_path), "--datasets", "mnist"]) == 2


def test_quick_budget_does_not_decide_the_empirical_claim() -> None:
    res = ex.check_rfam_robustness(Budget())
    assert res.outcome == Outcome.INCONCLUSIVE and "Budget.full" in res.detail


@pytest.mark.slow
def test_full_experiment_decides_the_claim() -> None:
    """The registered empirical check at the full budget (the whole experiment, a few minutes)."""
    res = ex.check_rfam_robustness(Budget("full"))
    assert res.instances == len(ex.DATASETS) * ex.ExperimentConfig().splits
    assert res.outcome in (Outcome.VERIFIED, Outcome.REFUTED, Outcome.INCONCLUSIVE)
    assert "Wilcoxon" in res.detail
