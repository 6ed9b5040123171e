"""The registry is the project's spine: every ID is checked and tested, and every check passes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from normalign.checks import Budget, run_check
from normalign.registry import BY_ID, THEOREMS
from normalign.testlinks import markers_in_tree, theorem_markers

THEOREMS_MD = Path(__file__).resolve().parents[2] / "shared" / "THEOREMS.md"


def test_ids_are_unique_and_match_theorems_md() -> None:
    ids = [t.id for t in THEOREMS]
    assert len(ids) == len(set(ids))
    expected = {"D1", "D2", "D3", "D4", "D5", "L1", "T1", "T1'", "T2", "P1", "P2", "P3", "P4", "PD", "G1", "R1"}
    assert set(ids) == expected
    if THEOREMS_MD.exists():  # the shared text names each ID in bold
        named = set(re.findall(r"\*\*([A-Z][A-Z0-9]*'?)\s", THEOREMS_MD.read_text()))
        assert named == expected


def test_every_id_has_a_check() -> None:
    missing = [t.id for t in THEOREMS if not t.checks]
    assert not missing, f"registry IDs without any check: {missing}"


def test_every_id_has_a_test_and_no_test_names_an_unknown_id() -> None:
    markers = markers_in_tree()
    unknown = sorted(set(markers) - set(BY_ID))
    untested = [t.id for t in THEOREMS if t.id not in markers]
    assert not unknown, f"tests name unknown IDs: {unknown}"
    assert not untested, f"registry IDs with no test marked @pytest.mark.theorem: {untested}"


def test_every_id_has_a_planted_false_variant() -> None:
    missing = [t.id for t in THEOREMS if t.checks and not any(c.planted for c in t.checks)]
    assert not missing, f"IDs without a planted-false variant: {missing}"


def test_check_targets_resolve() -> None:
    for t in THEOREMS:
        for c in t.checks:
            assert callable(c.load()), c.target
            assert c.kind in ("symbolic", "numeric", "property"), c
            if c.expect == "fails":
                assert c.planted or c.hypothesis_dropped, f"{c.target}: a 'fails' check must be planted or drop a hypothesis"
            assert not (c.sanity and c.expect == "fails"), f"{c.target}: a sanity check expects the claim to hold"


def test_measured_claims_are_complete_and_reproducible() -> None:
    """Each measured claim names an outcome from the vocabulary, a `normalign` command that exists, an
    ISO date, and a commit of this repository (when the history is available)."""
    import subprocess

    from normalign.cli import EXPERIMENTS
    from normalign.registry import MEASURED_OUTCOMES

    claims = [(t.id, m) for t in THEOREMS for m in t.measured]
    assert {tid for tid, _ in claims} >= {"G1", "R1", "P4"}
    repo = Path(__file__).resolve().parents[1]
    has_git = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True).returncode == 0
    for tid, m in claims:
        assert m.outcome in MEASURED_OUTCOMES and m.claim and m.numbers, (tid, m.name)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", m.measured_on), (tid, m.measured_on)
        words = m.command.split()
        assert words[:2] == ["normalign", "experiment"] and words[2] in EXPERIMENTS, (tid, m.command)
        assert re.fullmatch(r"[0-9a-f]{7,40}", m.commit), (tid, m.commit)
        if has_git:
            found = subprocess.run(["git", "-C", str(repo), "cat-file", "-e", f"{m.commit}^{{commit}}"])
            assert found.returncode == 0, f"{tid} {m.name}: commit {m.commit} not in this repository"


def test_marker_scanner_reads_literals_only() -> None:
    src = (
        "import pytest\n"
        "@pytest.mark.theorem('L1')\n"
        "def test_a(): pass\n"
        "@pytest.mark.theorem('T1', \"P1\")\n"
        "def test_b(): pass\n"
        "ID = 'D5'\n"
        "@pytest.mark.theorem(ID)\n"
        "def test_c(): pass\n"
        "x = pytest.param(1, marks=pytest.mark.theorem('PD'))\n"
    )
    got = theorem_markers(src)
    assert set(got) == {"L1", "T1", "P1", "PD"}


def _all_checks():
    for t in THEOREMS:
        for c in t.checks:
            marks = [pytest.mark.slow] if c.slow else []
            yield pytest.param(t.id, c, id=f"{t.id}-{c.target.rpartition(':')[2]}", marks=marks)


@pytest.mark.parametrize(("theorem_id", "spec"), list(_all_checks()))
def test_registered_check_finds_what_it_expects(theorem_id: str, spec) -> None:
    """Each registered check, at the quick budget, is verified (theorems) or refuted (planted and
    boundary variants). A planted variant that comes out verified means the suite cannot fail."""
    result = run_check(spec, Budget("quick", 0))
    assert spec.passed(result), (
        f"{theorem_id} {spec.kind} {spec.target}: expects {spec.expect}, found {result.outcome.value}: "
        f"{result.detail} (worst residual {result.worst_residual})")
    if result.outcome.value == "refuted":
        assert result.counterexamples, "a refutation must carry its counterexample"


def test_corpus_cases_name_known_ids_and_registered_checks() -> None:
    from normalign.corpus import load_cases

    targets = {c.target for t in THEOREMS for c in t.checks}
    for case in load_cases():
        assert case["id"] in BY_ID, f"{case['path']}: unknown ID {case['id']!r}"
        assert case["check"] in targets or ":" not in case["check"], f"{case['path']}: check {case['check']!r} not registered"


def test_corpus_writes_atomically(tmp_path) -> None:
    from normalign.corpus import load_cases, save_case

    p = save_case("T1", "a/b c", "x:y", {"J": __import__("numpy").eye(2)}, root=tmp_path)
    assert p.name == "a_b_c.json" and not list(tmp_path.rglob("*.tmp"))
    (case,) = load_cases("T1", root=tmp_path)
    assert case["case"]["J"] == [[1.0, 0.0], [0.0, 1.0]]


def test_atomic_writes_leave_no_temporary_and_readable_mode(tmp_path) -> None:
    import os
    import stat

    from normalign.files import write_atomic

    p = write_atomic(tmp_path / "sub" / "r.txt", "hello")
    assert p.read_text() == "hello" and [q.name for q in p.parent.iterdir()] == ["r.txt"]
    assert stat.S_IMODE(os.stat(p).st_mode) & 0o044  # readable by others (not mkstemp's 0600)


def test_property_search_verifies_refutes_and_shrinks() -> None:
    """The one counterexample search (a conjecture's check): a true property is verified, a false one
    refuted with the minimal (shrunk) example, and a NaN residual counts as a violation."""
    from hypothesis import strategies as st

    from normalign.checks import Outcome
    from normalign.conjecture import Conjecture

    def conj(strategy, residual):
        return Conjecture(id="T1", name="t", strategy=strategy, residual=residual, tol=0.5,
                          to_case=lambda k: {"k": k}, from_case=lambda c: c["k"])

    ok = conj(st.integers(0, 100), lambda k: 0.0).check(Budget())
    assert ok.outcome == Outcome.VERIFIED and ok.instances > 0
    bad = conj(st.integers(0, 1000), lambda k: float(k >= 17)).check(Budget())
    assert bad.outcome == Outcome.REFUTED and bad.counterexamples[0]["k"] == 17
    nan = conj(st.integers(0, 10), lambda k: float("nan")).check(Budget())
    assert nan.outcome == Outcome.REFUTED
