"""Lean runs (skipped with a one-line reason without Lean): the audit of the real ``proofs_lean/``
(cached), one combined hostile project showing what only the pinned checker file can catch, and the
generated Python -> Lean cross-checks rejected when a value is wrong. The hostile edits that are
rejected before Lean runs are in ``tests/test_lean_audit.py`` (pure Python, fast)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from normalign import lean as L
from normalign import lean_crosscheck as CC
from normalign import lean_statements as LS
from normalign.registry import THEOREMS

LEAN = L.find_lean()
needs_lean = pytest.mark.skipif(LEAN is None, reason="no Lean found (run `normalign lean-setup`)")
LEAN_IDS = tuple(t.id for t in THEOREMS if t.lean)


@pytest.fixture(scope="session")
def audit() -> L.LeanAudit:
    """One audit of proofs_lean/ per session (from the cache when nothing changed)."""
    if LEAN is None:
        pytest.skip("no Lean found")
    return L.lean_status(run=True)


# ----------------------------------------------------------------------------- the real project

@needs_lean
@pytest.mark.lean
@pytest.mark.theorem(*LEAN_IDS)
def test_project_audit_accepts_and_checks_every_pin(audit: L.LeanAudit) -> None:
    assert audit.checked and audit.violations == []
    assert {p.decl for p in LS.all_pins()} <= set(audit.pins)
    bad = {m: f.errors[:1] for m, f in audit.files.items() if not f.ok}
    assert bad == {}, bad
    assert {d.decl: r.reason for d in LS.DEF_PINS if (r := audit.defs[d.decl]).status != L.PROVED} == {}
    columns = {t.id: L.lean_column(t.id, t.lean, audit, t.lean_not_formalised) for t in THEOREMS}
    assert not any(L.lean_failed(s) for s in columns.values()), columns
    for tid in ("L1", "P1", "R1"):
        assert columns[tid] in (L.PROVED, L.PARTIAL), (tid, columns[tid])
    assert L.lean_status(run=False).key == audit.key  # the cache serves `normalign verify --no-lean`


# ----------------------------------------------------------------------------- a hostile project

HOSTILE = """module

@[expose] public noncomputable section

namespace NormAlign

def twice (n : Nat) : Nat := n + n
def thrice (n : Nat) : Nat := n + n + n
def secret (n : Nat) : Nat := n

/-- [L1] honest -/
theorem twice_eq (n : Nat) : twice n = 2 * n := by unfold twice; omega

/-- [L1] the statement replaced by `True` -/
theorem true_thm : True := trivial

/-- [L1] a `def ... : Prop` in place of the theorem -/
def prop_def : Prop := ∀ n : Nat, n + 0 = n

/-- [L1] a `def` whose value has the pinned type: the kind is wrong -/
def proof_def : ∀ n : Nat, n + 0 = n := fun _ => rfl

/-- [L1] an `unsafe def` in place of the theorem -/
unsafe def unsafe_thm : ∀ n : Nat, n + 0 = n := fun _ => rfl

/-- the tag exists only inside a string literal -/
def tag_string : String := "/-- [L1] -/ theorem string_thm (n : Nat) : n + 0 = n := rfl"

/-- [L1] about a definition whose pinned equation is wrong -/
theorem thrice_eq (n : Nat) : thrice n = 3 * n := by unfold thrice; omega

/-- [L1] about a definition without a pin -/
theorem secret_eq (n : Nat) : secret n = n := rfl

end NormAlign
"""

HOSTILE_SORRY = """module

public import NormAlign.H

@[expose] public noncomputable section

namespace NormAlign

/-- [L1] a proof pinned, a sorry given -/
theorem sorry_thm (n : Nat) : n * 1 = n := by sorry

/-- [L1] a statement pinned as a statement -/
theorem sorry_stmt (n : Nat) : 1 * n = n := by sorry

end NormAlign
"""

HOSTILE_WRONG = """module

public import NormAlign.H

@[expose] public noncomputable section

namespace NormAlign

/-- [L1] a wrong number, decided by the kernel -/
theorem wrong_number : twice 2 = 5 := by decide +kernel

end NormAlign
"""

_STMT = "(n : Nat) : n + 0 = n"
HOSTILE_PINS = (
    LS.Pin("L1", "NormAlign.twice_eq", "(n : Nat) : twice n = 2 * n", "honest"),
    LS.Pin("L1", "NormAlign.true_thm", _STMT, "statement True"),
    LS.Pin("L1", "NormAlign.prop_def", _STMT, "def : Prop"),
    LS.Pin("L1", "NormAlign.proof_def", _STMT, "def, not theorem"),
    LS.Pin("L1", "NormAlign.unsafe_thm", _STMT, "unsafe def"),
    LS.Pin("L1", "NormAlign.string_thm", _STMT, "tag in a string"),
    LS.Pin("L1", "NormAlign.thrice_eq", "(n : Nat) : thrice n = 3 * n", "wrong def pin"),
    LS.Pin("L1", "NormAlign.secret_eq", "(n : Nat) : secret n = n", "unpinned def"),
    LS.Pin("L1", "NormAlign.sorry_thm", "(n : Nat) : n * 1 = n", "sorry in a proof"),
    LS.Pin("L1", "NormAlign.sorry_stmt", "(n : Nat) : 1 * n = n", "sorry in a statement", proof=False),
    LS.Pin("L1", "NormAlign.wrong_number", ": twice 2 = 5", "decide +kernel on a wrong number"),
)
HOSTILE_DEFS = (
    LS.DefPin("NormAlign.twice", ("(n : Nat) : twice n = n + n",)),
    LS.DefPin("NormAlign.thrice", ("(n : Nat) : thrice n = n + n",)),  # pinned wrong on purpose
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> L.LeanAudit:
    """The hostile project, audited with the allow-list switched off, so that what is left to the
    pinned checker file shows (one Lean run of two small modules and the checker)."""
    if LEAN is None:
        pytest.skip("no Lean found")
    root = tmp_path_factory.mktemp("hostile")
    (root / "NormAlign").mkdir()
    (root / "NormAlign" / "H.lean").write_text(HOSTILE)
    (root / "NormAlign" / "S.lean").write_text(HOSTILE_SORRY)
    (root / "NormAlign" / "W.lean").write_text(HOSTILE_WRONG)
    return L.audit_project(root, LEAN, pins=HOSTILE_PINS, def_pins=HOSTILE_DEFS, source_audit=False, jobs=1)


def _st(a: L.LeanAudit, name: str) -> tuple[str, str]:
    r = a.pins[f"NormAlign.{name}"]
    return r.status, r.reason


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1")
def test_hostile_project_only_the_honest_theorem_is_proved(hostile: L.LeanAudit) -> None:
    assert {m for m, f in hostile.files.items() if not f.ok} == {"NormAlign.W"}
    assert _st(hostile, "twice_eq") == (L.PROVED, "")
    assert hostile.defs["NormAlign.twice"].status == L.PROVED
    proved = {n for n, r in hostile.pins.items() if r.status == L.PROVED}
    assert proved == {"NormAlign.twice_eq"}


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1")
@pytest.mark.parametrize("name, status, words", [
    ("true_thm", L.FAILED, "does not check"),          # a tagged theorem whose statement is True
    ("prop_def", L.FAILED, "does not check"),          # a `def ... : Prop`
    ("proof_def", L.FAILED, "Lean prints `def"),       # right type, wrong kind (from #print)
    ("unsafe_thm", L.FAILED, "unsafe"),                # an `unsafe def`
    ("string_thm", L.MISSING, "nknown identifier"),    # a tag only inside a string literal
    ("thrice_eq", L.FAILED, "pinned definitions do not check"),
    ("secret_eq", L.FAILED, "without a pin: NormAlign.secret"),
    ("sorry_thm", L.SORRY_IN_PROOF, "sorry in NormAlign.S"),
    ("sorry_stmt", L.STATED, "sorry in NormAlign.S"),
    ("wrong_number", L.FAILED, "NormAlign.W does not compile"),  # the kernel refuses 2 + 2 = 5
])
def test_hostile_declaration_is_not_proved(hostile: L.LeanAudit, name: str, status: str, words: str) -> None:
    st, why = _st(hostile, name)
    assert st == status and words in why, (st, why)
    assert L.lean_failed(st) == (status != L.STATED)


@needs_lean
@pytest.mark.lean
@pytest.mark.theorem("L1")
def test_hostile_project_is_rejected_by_the_allow_list_first(tmp_path: Path) -> None:
    """With the allow-list on, the same project never reaches Lean: `unsafe` is refused."""
    root = tmp_path / "h"
    (root / "NormAlign").mkdir(parents=True)
    (root / "NormAlign" / "H.lean").write_text(HOSTILE)
    a = L.audit_project(root, LEAN, pins=HOSTILE_PINS[:1], def_pins=HOSTILE_DEFS)
    assert a.files == {} and a.checker is None
    assert _st(a, "twice_eq")[0] == L.REJECTED and "unsafe" in _st(a, "twice_eq")[1]


# ----------------------------------------------------------------------------- cross-checks

@needs_lean
@pytest.mark.lean
@pytest.mark.slow
@pytest.mark.theorem("L1", "P1", "PD", "R1")
def test_wrong_crosscheck_instance_rejected(tmp_path: Path) -> None:
    """The generated cross-check file with one value off by 1 fails (builds CrossCheck's imports:
    minutes, hence slow; `decide +kernel` refusing a wrong number is in the default suite above)."""
    root = tmp_path / "cc"
    (root / "NormAlign").mkdir(parents=True)
    _, parsed, _ = L.read_project(L.PROJECT)
    for m in L._closure("NormAlign.CrossCheck", L.project_imports(parsed)):
        shutil.copy(L.project_modules(L.PROJECT)[m], root / Path(*m.split(".")).with_suffix(".lean"))
    (root / "NormAlign" / "CrossCheck.lean").write_text(CC.render(wrong=True))
    a = L.audit_project(root, LEAN, pins=LS.crosscheck_pins(), def_pins=())
    f = a.files["NormAlign.CrossCheck"]
    assert f.returncode != 0 and any("decide" in e for e in f.errors)
    assert a.pins["NormAlign.CrossCheck.l1_instances"].status == L.FAILED


@pytest.mark.theorem("L1")
def test_lean_is_found_when_required() -> None:
    """CI sets NORMALIGN_REQUIRE_LEAN=1 after installing Lean: a missing Lean must fail, not skip."""
    if os.environ.get("NORMALIGN_REQUIRE_LEAN") != "1":
        pytest.skip("NORMALIGN_REQUIRE_LEAN is not set: Lean is optional here")
    assert LEAN is not None, "NORMALIGN_REQUIRE_LEAN=1 but no Lean executable was found"
