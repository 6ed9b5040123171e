"""Boundaries of L1/T1 (dense regime, spectral / l1 norms, slack T1(d), translation): refuted with
certified counterexamples, saved to the corpus, and every saved case replays (numpy only)."""

from __future__ import annotations

import numpy as np
import pytest

from normalign.checks import Budget, Outcome
from normalign.corpus import load_cases
from normalign.numerics.checks.optimality import boundaries as bd
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.tolerances import MISALIGN_POSITIVE

IDS = {"boundary_dense_regime": "D5", "boundary_spectral": "T1", "boundary_l1": "T1",
       "boundary_slack_t1d": "T1", "boundary_translation": "T1"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.theorem(i)) for n, i in IDS.items()])
def test_boundary_refuted_and_saved(name, tmp_path) -> None:
    from normalign.registry import BY_ID
    from normalign.verify import CheckRun, TheoremReport, save_counterexamples

    res = bd.boundary_checks()[name](Budget())
    assert res.outcome == Outcome.REFUTED, res.detail
    spec = next(c for c in BY_ID[IDS[name]].checks if c.target == f"normalign.numerics.checks.optimality.boundaries:{name}")
    save_counterexamples([TheoremReport(BY_ID[IDS[name]], [CheckRun(IDS[name], spec, res, 0.0)])], tmp_path)
    saved = load_cases(IDS[name], root=tmp_path)
    assert len(saved) == 1 and saved[0]["check"] == f"normalign.numerics.checks.optimality.boundaries:{name}"
    assert bd.replay_case(saved[0]["case"]).outcome == Outcome.REFUTED


def _corpus_cases():
    out = []
    for tid in ("D5", "T1"):
        for c in load_cases(tid):
            if c["check"].startswith("normalign.numerics.checks.optimality.boundaries:"):
                out.append(pytest.param(c, id=c["path"].split("corpus/")[-1], marks=pytest.mark.theorem(tid)))
    return out


@pytest.mark.parametrize("saved", _corpus_cases())
def test_saved_case_replays(saved) -> None:
    res = bd.replay_case(saved["case"])
    assert res.outcome == Outcome.REFUTED, res.detail


@pytest.mark.theorem("D5")
def test_corpus_has_every_boundary() -> None:
    kinds = {c["case"]["kind"] for tid in ("D5", "T1") for c in load_cases(tid)
             if c["check"].startswith("normalign.numerics.checks.optimality.boundaries:")}
    assert kinds >= {"dense_k2", "spectral_not_rank_one", "l1_not_aligned", "t1d_slack_not_aligned",
                     "translation_not_aligned"}


@pytest.mark.theorem("T1")
def test_replay_rejects_an_aligned_case() -> None:
    """The replay is a real test: the aligned optimum in place of the spectral witness is not a
    counterexample (rank one), and a translation by t = 0 is not either."""
    case = load_cases("T1")
    spec = next(c["case"] for c in case if c["case"]["kind"] == "spectral_not_rank_one")
    x = np.asarray(spec["x"])
    aligned = dict(spec, W=mn.minnorm_map(x, np.asarray(spec["z_star"])).tolist())
    assert bd.replay_case(aligned).outcome == Outcome.VERIFIED
    tr = next(c["case"] for c in case if c["case"]["kind"] == "translation_not_aligned")
    J0 = mn.minnorm_map(np.asarray(tr["x"]), np.ones(3))[:, :-1]
    assert bd.replay_case(dict(tr, J=J0.tolist())).outcome == Outcome.VERIFIED
    assert 1 - mn.na_score(J0, np.asarray(tr["x"])) < MISALIGN_POSITIVE


@pytest.mark.theorem("D5")
def test_dense_table_in_detail() -> None:
    res = bd.boundary_dense_regime(Budget())
    assert "rank(W) = min(k, c - 1) in every row: True" in res.detail
    assert res.detail.count("\n") >= 7


@pytest.mark.theorem("D5")
def test_planted_dense_rank_refuted() -> None:
    res = bd.planted_dense_rank(Budget())
    assert res.outcome == Outcome.REFUTED, res.detail
    s = np.asarray(res.counterexamples[0]["singular_values"])
    assert s[-1] / s[0] < 1e-2 and s[-2] / s[0] > 0.1
