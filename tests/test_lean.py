"""The Lean link: extractor, audit, registry <-> Lean consistency, planted sorry/axiom/false statements,
and the Python -> Lean rational cross-checks. Lean tests are skipped (one-line reason) without Lean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from normalign import lean as L
from normalign import lean_crosscheck as CC
from normalign.registry import THEOREMS

LEAN = L.find_lean()
needs_lean = pytest.mark.skipif(LEAN is None, reason="no Lean found (set NORMALIGN_LEAN or run .ci setup)")
ALL_IDS = tuple(t.id for t in THEOREMS)
LEAN_IDS = tuple(t.id for t in THEOREMS if t.lean)


@pytest.fixture(scope="session")
def audit() -> L.LeanAudit:
    """One full Lean check of proofs_lean/ per session (reused from the cache when unchanged)."""
    if LEAN is None:
        pytest.skip("no Lean found")
    return L.lean_status(run=True)


def _planted_project(tmp_path: Path, name: str, body: str) -> L.LeanAudit:
    root = tmp_path / "planted"
    (root / "Planted").mkdir(parents=True)
    (root / "Planted" / f"{name}.lean").write_text(body)
    return L.audit_project(root, LEAN, lean_path=(L.PROJECT / "build",), jobs=1)


# ----------------------------------------------------------------------------- pure Python

SRC = """module
/-! module doc mentions theorem fake and axiom words -/
@[expose] public noncomputable section
namespace A.B

/-- [L1] first. -/
public theorem one : True := trivial

/-- [T1'(b)] primed with a part -/
theorem two (x : Nat) : x = x := rfl

-- theorem commented : False := sorry
/-- [R1] a docstring on a variable must not tag the next theorem -/
variable (n : Nat)
theorem untagged : True := trivial
/-- helper, no tag [P1] -/
def helper : Nat := 3

namespace C
/-- [PD] nested -/
@[simp] protected theorem three : True := trivial
end C
example : True := trivial
end A.B
theorem _root_.top : True := trivial
"""


@pytest.mark.theorem("L1", "T1'", "PD")
def test_extract_decls_names_tags_lines() -> None:
    ds = {d.name: d for d in L.extract_decls(SRC, "M")}
    assert set(ds) == {"A.B.one", "A.B.two", "A.B.untagged", "A.B.helper", "A.B.C.three", "top"}
    assert (ds["A.B.one"].tag, ds["A.B.one"].part, ds["A.B.one"].line) == ("L1", None, 7)
    assert (ds["A.B.two"].tag, ds["A.B.two"].part) == ("T1'", "b")
    assert ds["A.B.untagged"].tag is None
    assert ds["A.B.helper"].tag is None  # the tag must START the docstring
    assert ds["A.B.C.three"].tag == "PD"
    assert ds["top"].tag is None


@pytest.mark.theorem("L1")
def test_source_violations_ignore_comments() -> None:
    assert L.source_violations(SRC) == []
    bad = "module\naxiom cheat : False\ntheorem t : 1 = 1 := by native_decide\n@[implemented_by f] def g := 1\n"
    words = [v.split(": ")[1] for v in L.source_violations(bad)]
    assert words == ["axiom", "native_decide", "implemented_by"]
    assert L.source_violations("/-- an axiom in prose -/\ntheorem t : True := trivial") == []


@pytest.mark.theorem("L1", "P1")
def test_import_order_and_messages() -> None:
    order = L.import_order({"A": ["B", "C"], "B": ["C"], "C": []})
    assert order == ["C", "B", "A"]
    with pytest.raises(ValueError):
        L.import_order({"A": ["B"], "B": ["A"]})
    msgs = L.parse_messages('noise\n{"severity":"warning","kind":"hasSorry","pos":{"line":3}}\n')
    assert msgs == [{"severity": "warning", "kind": "hasSorry", "pos": {"line": 3}}]


@pytest.mark.theorem("L1", "PD")
def test_lean_column_rules() -> None:
    d = L.LeanDecl("N.t", "theorem", "L1", None, "N", 1)
    audit = L.LeanAudit(checked=True, decls={"N.t": L.DeclStatus(d, L.PROVED)})
    assert L.lean_column("L1", ("N.t",), audit) == "proved"
    assert L.lean_column("PD", ("N.t",), audit) == "missing"  # wrong tag
    assert L.lean_column("L1", ("N.nope",), audit) == "missing"
    assert L.lean_column("L1", (), audit) == "no Lean statement"
    assert L.lean_column("L1", ("N.t",), L.LeanAudit(checked=False)) == "not checked (no Lean found)"
    audit.decls["N.t"].status = L.STATED
    assert L.lean_column("L1", ("N.t",), audit) == "stated (sorry)"


@pytest.mark.theorem(*LEAN_IDS)
def test_registry_lean_names_exist_with_their_tag() -> None:
    decls = {d.name: d for m, p in L.project_modules(L.PROJECT).items()
             for d in L.extract_decls(p.read_text(), m)}
    named = set()
    for t in THEOREMS:
        for n in t.lean:
            assert n in decls, f"{t.id}: Lean declaration {n} not found"
            assert decls[n].tag == t.id, f"{t.id}: {n} is tagged {decls[n].tag}"
            named.add(n)
    tagged = {n for n, d in decls.items() if d.tag}
    assert tagged - named == set(), f"tagged but not in the registry: {sorted(tagged - named)}"
    assert {d.tag for d in decls.values() if d.tag} <= set(ALL_IDS)
    assert {"L1", "T1", "P1", "PD", "R1"} <= set(LEAN_IDS)


@pytest.mark.theorem("L1", "P1", "PD", "R1")
def test_crosscheck_file_is_generated_and_python_values() -> None:
    assert CC.CROSSCHECK_FILE.read_text() == CC.render()
    M, v = CC.min_norm([1, 2], [1, 1])  # z yᵀ/2 and 5/2 by hand
    assert M == [[CC.F(1, 2), CC.F(1, 2)], [1, 1]] and v == CC.F(5, 2)
    s, r = CC.site_radius([[1, 0], [0, 1]], [1, -1], [True, False])
    assert s == [1, 0] and r == 1 + 2


# ----------------------------------------------------------------------------- with Lean

@needs_lean
@pytest.mark.lean
@pytest.mark.theorem(*LEAN_IDS)
def test_project_checks_and_registry_status(audit: L.LeanAudit) -> None:
    assert audit.checked and audit.violations == []
    bad = {m: f.errors for m, f in audit.files.items() if not f.ok}
    assert bad == {}
    for tid in ("L1", "T1", "P1", "PD", "R1"):
        t = next(t for t in THEOREMS if t.id == tid)
        assert L.lean_column(tid, t.lean, audit) == "proved", tid
    for t in THEOREMS:
        if t.lean:
            assert L.lean_column(t.id, t.lean, audit) in ("proved", "stated (sorry)")
    assert L.lean_status(run=False).key == audit.key  # the cache serves `normalign verify`


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1")
def test_planted_sorry_is_stated_and_spreads_to_importers(tmp_path: Path, audit) -> None:
    root = tmp_path / "p"
    (root / "Planted").mkdir(parents=True)
    (root / "Planted" / "A.lean").write_text(
        "module\npublic import NormAlign.Basic\npublic section\n"
        "/-- [L1] planted -/\ntheorem planted_a : (1 : Nat) = 2 := by sorry\n"
        "/-- [L1] fine -/\ntheorem fine_a : (1 : Nat) = 1 := rfl\n")
    (root / "Planted" / "B.lean").write_text(
        "module\npublic import Planted.A\npublic section\n/-- [L1] b -/\ntheorem uses_a : True := trivial\n")
    a = L.audit_project(root, LEAN, lean_path=(L.PROJECT / "build",), jobs=1)
    assert a.decls["planted_a"].status == L.STATED and a.decls["planted_a"].reason == "uses sorry"
    assert a.decls["fine_a"].status == L.STATED  # same file
    assert a.decls["uses_a"].status == L.STATED  # imports a sorried file
    assert L.lean_column("L1", ("uses_a",), a) == "stated (sorry)"


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1")
def test_planted_axiom_is_rejected(tmp_path: Path, audit) -> None:
    a = _planted_project(tmp_path, "Ax", "module\npublic section\naxiom cheat : (1 : Nat) = 2\n"
                         "/-- [L1] via axiom -/\ntheorem bad : (1 : Nat) = 2 := cheat\n")
    assert a.files["Planted.Ax"].ok  # Lean accepts it; only the audit catches the axiom
    assert a.decls["bad"].status == L.REJECTED and "axiom" in a.decls["bad"].reason


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("PD")
def test_planted_wrong_radius_sign_fails(tmp_path: Path, audit) -> None:
    body = ("module\npublic import NormAlign.PowerDiagram\n@[expose] public noncomputable section\n"
            "open NormAlign\n/-- [PD] planted: wrong sign, radius ‖Wᵀq‖² - 2 bᵀq -/\n"
            "theorem wrong : norm2 (fun j => (ofList [0] 1 : Fin 1 → Rat) j - site (ofLists [[1]] 1 1) "
            "(active (ofLists [[1]] 1 1) (ofList [1] 1) (ofList [0] 1)) j) - (norm2 (site "
            "(ofLists [[1]] 1 1 : Fin 1 → Fin 1 → Rat) (active (ofLists [[1]] 1 1) (ofList [1] 1) "
            "(ofList [0] 1))) - 2 * score (active (ofLists [[1]] 1 1 : Fin 1 → Fin 1 → Rat) "
            "(ofList [1] 1) (ofList [0] 1)) (ofList [1] 1)) ≤ 0 := by decide +kernel\n")
    a = _planted_project(tmp_path, "Wrong", body)
    f = a.files["Planted.Wrong"]
    assert f.returncode != 0 and f.errors
    assert a.decls["wrong"].status == L.FAILED


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1", "P1", "PD", "R1")
def test_wrong_crosscheck_instance_rejected(tmp_path: Path, audit) -> None:
    root = tmp_path / "cc"
    (root / "Wrong").mkdir(parents=True)
    (root / "Wrong" / "CrossCheck.lean").write_text(CC.render(wrong=True))
    a = L.audit_project(root, LEAN, lean_path=(L.PROJECT / "build",), jobs=1)
    f = a.files["Wrong.CrossCheck"]
    assert f.returncode != 0
    assert any("decide" in e for e in f.errors)
    assert a.decls["NormAlign.CrossCheck.l1_instances"].status == L.FAILED
    shutil.rmtree(root)


@pytest.mark.theorem("L1")
def test_lean_is_found_when_required() -> None:
    """CI sets NORMALIGN_REQUIRE_LEAN=1 after installing Lean: a missing Lean must fail, not skip."""
    import os

    if os.environ.get("NORMALIGN_REQUIRE_LEAN") != "1":
        pytest.skip("NORMALIGN_REQUIRE_LEAN is not set: Lean is optional here")
    assert LEAN is not None, "NORMALIGN_REQUIRE_LEAN=1 but no Lean executable was found"
