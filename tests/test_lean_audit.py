"""The Lean audit without Lean (fast): the tokenizer, the allow-list, the hostile edits of issue 14 that
must be rejected before Lean runs, the pins and their link to the registry, the status rules, the
cache key, and where the build and the checker file go. The hostile edits that only the pinned
checker file can catch run Lean in ``tests/test_lean.py``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from normalign import lean as L
from normalign import lean_source as S
from normalign import lean_statements as LS
from normalign.registry import THEOREMS

ALL_IDS = tuple(t.id for t in THEOREMS)
NO_LEAN = Path("/nonexistent/lean")  # the audit must reject before it would run Lean


# ----------------------------------------------------------------------------- tokenizer

@pytest.mark.theorem("L1")
def test_tokenizer_strings_chars_comments() -> None:
    src = ('def s := "a \\" /- not a comment"  -- line comment axiom\n'
           "def c := '\"'\n"
           "/- outer /- nested -/ still comment axiom -/\n"
           "/-- doc with \"quote -/\n"
           'def rs := r#"raw " -/ "#\n'
           "theorem t' : x₁ = «weird name» := rfl\n")
    toks = S.tokenize(src)
    words = [t.text for t in toks if t.kind == "ident"]
    assert "axiom" not in words
    assert [t.value for t in toks if t.kind == "string"] == ['a \\" /- not a comment', 'raw " -/ ']
    assert [t.text for t in toks if t.kind == "char"] == ["'\"'"]
    assert [t.line for t in toks if t.kind == "doc"] == [4]
    assert "t'" in words and "x₁" in words and "«weird name»" in words
    assert not any(t.text == "r" for t in toks)  # the raw string is one token
    assert next(t for t in toks if t.text == "theorem").line == 6


@pytest.mark.theorem("L1")
def test_tokenizer_unterminated_is_a_violation() -> None:
    for src in ('module\ndef s := "open', "module\n/- open /- -/", "module\ndef c := 'ab"):
        v = S.parse(src).violations
        assert len(v) == 1 and v[0].line == 2, (src, v)


@pytest.mark.theorem("L1")
def test_imports_every_form() -> None:
    sf = S.parse("module\npublic import NormAlign.A\nimport Init.Data\nmeta import Lean\n"
                 "public import all NormAlign.B\nimport Mathlib\n", {"NormAlign.A", "NormAlign.B"})
    assert [(i.module, i.public, i.meta, i.all) for i in sf.imports] == [
        ("NormAlign.A", True, False, False), ("Init.Data", False, False, False), ("Lean", False, True, False),
        ("NormAlign.B", True, False, True), ("Mathlib", False, False, False)]
    reasons = " | ".join(str(v) for v in sf.violations)
    assert "4: import form `meta import`" in reasons
    assert "5: `import all NormAlign.B` is not allowed (it is not a module named `all`" in reasons
    assert "6: import of `Mathlib`: neither a module of the project nor Lean core" in reasons


# ----------------------------------------------------------------------------- the real project

@pytest.mark.theorem(*ALL_IDS)
def test_project_passes_the_allow_list() -> None:
    _, parsed, violations = L.read_project(L.PROJECT)
    assert violations == []
    assert all(sf.is_module for sf in parsed.values())


# ----------------------------------------------------------------------------- hostile edits

def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "proofs_lean"
    shutil.copytree(L.PROJECT, root, ignore=shutil.ignore_patterns("build", ".lake"))
    return root


def _append(root: Path, text: str, module: str = "Basic") -> None:
    f = root / "NormAlign" / f"{module}.lean"
    f.write_text(f.read_text() + "\n" + text)


def _assert_rejected(root: Path, *words: str) -> list[str]:
    """The allow-list rejects the project, with ``words`` in one reason; so does the whole audit, and
    every ID with a pin gets a failing status, before any Lean process would start."""
    _, _, violations = L.read_project(root)
    assert any(all(w in v for w in words) for v in violations), violations
    audit = L.audit_project(root, NO_LEAN)
    assert audit.files == {} and audit.checker is None
    for t in THEOREMS:
        col = L.lean_column(t.id, t.lean, audit, t.lean_not_formalised)
        assert col == (L.REJECTED if t.lean else L.NO_STATEMENT) and (L.lean_failed(col) or not t.lean)
    return violations


@pytest.mark.theorem("L1")
def test_hostile_sorry_under_message_wrapper(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root, "#guard_msgs (drop warning) in\ntheorem hidden : (1 : Nat) = 2 := by sorry\n")
    _assert_rejected(root, "#guard_msgs", "not allowed")


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("option", ["warn.sorry", "warningAsError", "linter.all", "pp.proofs"])
def test_hostile_option_silencing_sorry(tmp_path: Path, option: str) -> None:
    root = _copy(tmp_path)
    _append(root, f"set_option {option} false\ntheorem hidden : (1 : Nat) = 2 := by sorry\n")
    _assert_rejected(root, f"option `{option}` is not allowed")


@pytest.mark.theorem("PD")
def test_hostile_kernel_check_off_around_decide(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root, "set_option debug.skipKernelTC true in\n"
                  "theorem wrong_number : (2 : Nat) + 2 = 5 := by decide +kernel\n", "CrossCheck")
    _assert_rejected(root, "debug.skipKernelTC")


@pytest.mark.theorem("L1")
def test_hostile_import_all_hides_a_dependency(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "NormAlign" / "Evil.lean").write_text("module\n\npublic section\n\ntheorem evil : True := trivial\n")
    f = root / "NormAlign" / "MinNorm.lean"
    f.write_text(f.read_text().replace("public import NormAlign.Basic",
                                       "public import NormAlign.Basic\npublic import all NormAlign.Evil", 1))
    _assert_rejected(root, "import all NormAlign.Evil", "not a module named `all`")
    sf = S.parse(f.read_text(), frozenset(L.project_modules(root)))
    assert "NormAlign.Evil" in [i.module for i in sf.imports]  # the dependency is seen, not hidden


@pytest.mark.theorem("L1")
def test_hostile_axiom_between_string_literals(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root, 'def open_comment : String := "/-"\naxiom cheat : (1 : Nat) = 2\n'
                  'def close_comment : String := "-/"\n')
    _assert_rejected(root, "command `axiom` is not allowed")
    root2 = _copy(tmp_path / "b")
    _append(root2, "def q : Char := '\"'\naxiom cheat : False\ndef q2 : Char := '\"'\n")
    _assert_rejected(root2, "axiom")


@pytest.mark.theorem("L1")
def test_hostile_axiom_mid_line(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root, "theorem ok : True := trivial axiom cheat : False\n")
    _assert_rejected(root, "axiom")


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("text, words", [
    ('local notation:50 a " ≤ " b => a = b\n', "local"),
    ('scoped infix:50 " ≤ " => fun a b => a = b\n', "scoped"),
    ('notation:50 a " ≤ " b => a = b\n', "notation"),
    ('macro "cheat" : tactic => `(tactic| sorry)\n', "macro"),
    ("instance : LE Nat := ⟨fun _ _ => True⟩\n", "instance"),
    ("attribute [instance] NormAlign.relu\n", "attribute"),
    ("open Classical in\ntheorem t : True := trivial\n", "`... in`"),
    ("run_cmd pure ()\n", "run_cmd"),
    ("#eval 1\n", "#eval"),
    ("@[implemented_by id] def f (n : Nat) : Nat := n\n", "implemented_by"),
    ("opaque secret : Nat\n", "opaque"),
    ("partial def loop (n : Nat) : Nat := loop n\n", "partial"),
    ("theorem t : True := by run_tac pure ()\n", "run_tac"),
    ("theorem t : (2 : Nat) = 2 := by exact?\n", "tactic `exact?`"),
    ("theorem t : True := by\n  mystery_tactic\n", "tactic `mystery_tactic`"),
    ("theorem t : (1 : Nat) = 1 := Lean.ofReduceBool _ _ rfl\n", "ofReduceBool"),
    ("theorem t : (1 : Nat) = 1 := Lean.«ofReduceBool» _ _ rfl\n", "ofReduceBool"),
    ("set_option «debug».skipKernelTC true\n", "debug"),
    ("theorem t : True := by admit\n", "admit"),
    # classes of the review of 2026-12-01 that had no test (each refused before Lean runs)
    ("open Nat renaming add → plus\n", "renaming"),
    ("open Nat hiding add\n", "hiding"),
    ("export Nat (add)\n", "export"),
    ("@[instance] def bogusLE : LE Nat := ⟨fun _ _ => True⟩\n", "attribute `instance`"),
    ("@[simp, implemented_by id] def f (n : Nat) : Nat := n\n", "attribute `implemented_by`"),
    ('@[extern "c_f"] def f (n : Nat) : Nat := n\n', "attribute `extern`"),
    ("deriving instance Repr for Nat\n", "deriving"),
    ("unif_hint (n : Nat) where\n  n =?= 1 ⊢ n + 0 =?= 1\n", "unif_hint"),
    ("set_option autoImplicit true\ntheorem t : x = x := rfl\n", "option `autoImplicit`"),
    ("theorem t : True := by\n  set_option debug.skipKernelTC true in\n  trivial\n", "set_option"),
    ("theorem t : (1 : Nat) = 2 := sorryAx _ false\n", "sorryAx"),
    ("theorem t : True := Lean.trustCompiler.elim\n", "trustCompiler"),
    ("theorem t : (1 : Nat) = 2 := by\n  stop\n  trivial\n", "tactic `stop`"),
    ("theorem t : (2 : Nat) = 2 := by decide +kernel +native\n", "native"),
    ("prelude\n", "prelude"),
    ("mutual\ntheorem a : True := trivial\nend\n", "mutual"),
])
def test_hostile_notation_instances_meta_code(tmp_path: Path, text: str, words: str) -> None:
    root = _copy(tmp_path)
    _append(root, text)
    _assert_rejected(root, words)


@pytest.mark.theorem("L1")
def test_hostile_unsafe_def_in_place_of_a_theorem(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _append(root, "/-- [L1] -/\nunsafe def frob_minNormSol' : True := trivial\n", "MinNorm")
    _assert_rejected(root, "modifier `unsafe`")


@pytest.mark.theorem("L1")
def test_tag_inside_a_string_declares_nothing() -> None:
    src = 'module\ndef s : String := "/-- [L1] -/ theorem string_thm : True := trivial"\n'
    names = S.declared_names({"M": S.parse(src)})
    assert set(names) == {"s"}  # the checker file then finds no `string_thm`: "missing" (test_lean.py)


@pytest.mark.theorem("PD")
@pytest.mark.parametrize("text", ["decide +native", "native_decide", "decide (config := { native := true })",
                                  "bv_decide"])
def test_hostile_native_decide(tmp_path: Path, text: str) -> None:
    root = _copy(tmp_path)
    _append(root, f"theorem wrong_number : (2 : Nat) + 2 = 5 := by {text}\n", "CrossCheck")
    _assert_rejected(root, "native" if "native" in text else "bv_decide")


@pytest.mark.theorem("L1")
def test_hostile_stale_olean_after_deleting_a_source(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "build" / "NormAlign").mkdir(parents=True)
    (root / "build" / "NormAlign" / "Gone.olean").write_bytes(b"stale")
    f = root / "NormAlign" / "MinNorm.lean"
    f.write_text(f.read_text().replace("public import NormAlign.Basic",
                                       "public import NormAlign.Basic\npublic import NormAlign.Gone", 1))
    _assert_rejected(root, "import of `NormAlign.Gone`: neither a module of the project nor Lean core")
    with pytest.raises(ValueError, match="not empty"):
        L.audit_project(L.PROJECT, NO_LEAN, build=root / "build")  # a used build folder is refused


@pytest.mark.theorem("L1")
def test_build_and_checker_go_to_a_fresh_folder_outside_the_project(tmp_path: Path, monkeypatch) -> None:
    """With a fake Lean: every module is built into one new empty folder (not under proofs_lean/),
    the checker file is generated there, imports only project modules, and the folder is removed."""
    root = _copy(tmp_path)
    calls: list[tuple[Path, Path, Path, bool]] = []

    def fake(lean, cwd, module, path, build, olean=True):
        if not calls:
            assert not any(build.iterdir())  # empty before the first module
        calls.append((Path(cwd), Path(path), Path(build), olean))
        if not olean:
            text = (Path(cwd) / path).read_text()
            imports = [ln.split()[1] for ln in text.splitlines() if ln.startswith("import ")]
            assert set(imports) == set(L.project_modules(root))
            assert f"theorem pinned_0 : {L._forall(LS.all_pins()[0].statement)} :=" in text
        return L.FileResult(module, 0)

    monkeypatch.setattr(L, "run_lean_file", fake)
    a = L.audit_project(root, NO_LEAN)
    builds = {b for _, _, b, _ in calls}
    assert len(builds) == 1
    (build,) = builds
    work = build.parent
    assert not work.exists() and root not in build.parents and L.PROJECT not in build.parents
    assert all(work in cwd.parents for cwd, _, _, _ in calls)  # Lean compiled the snapshot, not root
    checker = [c for c in calls if not c[3]]
    assert len(checker) == 1
    assert len(calls) == len(L.project_modules(root)) + 1
    assert a.key == L.source_key(root, NO_LEAN)  # the key of what was audited
    # with no message at all from Lean, nothing is "proved": #print showed no theorem
    assert not any(r.status == L.PROVED for r in a.pins.values())


# ----------------------------------------------------------------------------- pins

@pytest.mark.theorem(*ALL_IDS)
def test_registry_lean_is_the_list_of_pins() -> None:
    ids = {t.id for t in THEOREMS}
    for t in THEOREMS:
        assert t.lean == LS.pinned_decls(t.id), t.id
    assert {p.id for p in LS.all_pins()} <= ids
    decls = [p.decl for p in LS.all_pins()]
    assert len(decls) == len(set(decls)), "a declaration is pinned twice"
    assert len({d.decl for d in LS.DEF_PINS}) == len(LS.DEF_PINS)


@pytest.mark.theorem(*ALL_IDS)
def test_pins_are_well_formed_and_their_definitions_pinned() -> None:
    _, parsed, _ = L.read_project(L.PROJECT)
    declared = S.declared_names(parsed)
    project_defs = {n: d.keyword for n, d in declared.items()
                    if d.keyword in ("def", "abbrev", "inductive", "structure", "constructor")}
    names = {d.decl for d in LS.DEF_PINS}
    for p in LS.all_pins():
        L.split_statement(p.statement)
        assert p.decl in declared and declared[p.decl].keyword == "theorem", p.decl
        assert declared[p.decl].tag in (None, p.id), (p.decl, declared[p.decl].tag, p.id)  # docs agree
        _, unpinned = L._used_defs(p.statement, names, project_defs)
        assert unpinned == set(), (p.decl, unpinned)
    for d in LS.DEF_PINS:
        assert d.decl in declared and declared[d.decl].keyword in ("def", "abbrev", d.kind), d.decl
        for e in d.equations:
            L.split_statement(e)
        _, unpinned = L._used_defs(" ".join(d.equations + d.constructors), names, project_defs)
        assert unpinned == set(), (d.decl, unpinned)


@pytest.mark.theorem("L1")
def test_split_statement() -> None:
    assert L.split_statement("{m : Nat} (x : Fin m → α) [C α] : P (x 0)") == ("{m : Nat} (x : Fin m → α) [C α]", "P (x 0)")
    assert L.split_statement(": 1 = 1") == ("", "1 = 1")
    assert L._forall("(n : Nat) : n = n") == "∀ (n : Nat), n = n"
    with pytest.raises(ValueError):
        L.split_statement("(n : Nat n = n")
    with pytest.raises(ValueError):
        L.split_statement("True")


@pytest.mark.theorem("L1", "P1", "PD", "R1")
def test_crosscheck_pins_come_from_python_not_from_the_file() -> None:
    pins = LS.crosscheck_pins()
    assert {p.decl.rsplit(".", 1)[1] for p in pins} >= {"l1_instances", "p1_instances", "pd_instances",
                                                         "r1_instances"}
    from normalign import lean_crosscheck as CC

    assert len(pins) == CC.render().count("\ntheorem ")  # every generated theorem is pinned
    for p in pins:
        assert p.statement.startswith(": ") and "decide" not in p.statement


@pytest.mark.theorem("L1", "P1", "PD", "R1")
def test_crosscheck_file_is_generated_and_python_values() -> None:
    from normalign import lean_crosscheck as CC

    assert CC.CROSSCHECK_FILE.read_text() == CC.render()
    M, v = CC.min_norm([1, 2], [1, 1])  # z yᵀ/2 and 5/2 by hand
    assert M == [[CC.F(1, 2), CC.F(1, 2)], [1, 1]] and v == CC.F(5, 2)


# ----------------------------------------------------------------------------- statuses, printing, cache

@pytest.mark.theorem("L1")
def test_status_words_and_failure() -> None:
    fails = {s: L.lean_failed(s) for s in L.STATUSES}
    assert fails == {L.PROVED: False, L.PARTIAL: False, L.STATED: False, L.MISSING: True, L.FAILED: True,
                     L.SORRY_IN_PROOF: True, L.REJECTED: True, L.NOT_CHECKED: False, L.STALE: False,
                     L.NO_STATEMENT: False}
    assert L.lean_failed("a status word added later") and L.lean_failed("")  # fail closed


@pytest.mark.theorem("L1")
def test_lean_column_rules() -> None:
    audit = L.LeanAudit(checked=True, pins={"N.a": L.PinResult("N.a", "L1", L.PROVED),
                                            "N.b": L.PinResult("N.b", "L1", L.STATED)})
    assert L.lean_column("L1", ("N.a",), audit) == L.PROVED
    assert L.lean_column("L1", ("N.a",), audit, "T1(c)") == L.PARTIAL
    assert L.lean_column("L1", ("N.a", "N.b"), audit) == L.STATED
    assert L.lean_column("L1", ("N.a", "N.gone"), audit) == L.MISSING
    assert L.lean_column("PD", ("N.a",), audit) == L.MISSING  # pinned for another ID
    assert L.lean_column("L1", (), audit) == L.NO_STATEMENT
    assert L.lean_column("L1", ("N.a",), L.LeanAudit(checked=False)) == L.NOT_CHECKED
    assert L.lean_column("L1", ("N.a",), L.LeanAudit(checked=False, reason="no valid cache")) == L.STALE
    audit.pins["N.a"].status = L.REJECTED
    assert L.lean_column("L1", ("N.a", "N.b"), audit, "x") == L.REJECTED


@pytest.mark.theorem("L1")
def test_print_kind() -> None:
    assert L.print_kind("theorem NormAlign.x.{u} : ∀ {α : Type u}, True :=\n<not imported>") == \
        ("theorem", "", "NormAlign.x")
    assert L.print_kind("@[expose] def NormAlign.norm2.{u} : Nat") == ("def", "", "NormAlign.norm2")
    assert L.print_kind("theorem NormAlign.p.{u, v} : ∀ {α : Type u}, True") == ("theorem", "", "NormAlign.p")
    assert L.print_kind("unsafe def NormAlign.u : Nat") == ("def", "unsafe", "NormAlign.u")
    assert L.print_kind("axiom NormAlign.cheat : False") == ("axiom", "", "NormAlign.cheat")
    assert L.print_constructors("inductive N.Net : Type\nnumber of parameters: 1\nconstructors:\n"
                                "N.Net.last : Nat → N.Net\nN.Net.cons : N.Net → N.Net") == ["N.Net.last", "N.Net.cons"]


@pytest.mark.theorem("L1")
def test_cache_key_covers_every_file_and_the_pins(tmp_path: Path, monkeypatch) -> None:
    root = _copy(tmp_path)
    k0 = L.source_key(root)
    (root / "NormAlign" / "New.lean").write_text("module\n")
    k1 = L.source_key(root)
    (root / "NormAlign" / "New.lean").unlink()
    assert k1 != k0 and L.source_key(root) == k0
    (root / "notes.txt").write_text("x")
    assert L.source_key(root) != k0
    (root / "notes.txt").unlink()
    monkeypatch.setattr(LS, "PINS", LS.PINS[:-1])
    assert L.source_key(root) != k0


@pytest.mark.theorem("L1")
def test_lean_columns_without_lean(monkeypatch) -> None:
    monkeypatch.setattr(L, "find_lean", lambda: None)
    cols = L.lean_columns(THEOREMS, run=False)
    assert {cols[t.id] for t in THEOREMS if t.lean} == {L.NOT_CHECKED}
    assert {cols[t.id] for t in THEOREMS if not t.lean} <= {L.NO_STATEMENT}


# ----------------------------------------------------------------------------- names Lean and the audit read alike
# Attack: make the audit attribute a pinned theorem to a module without a sorry while Lean's real
# declaration depends on one. Shown with Lean (before the fix: `theorem NormAlign.X : 1 = 2` reported
# "proved", its proof `helper` being a sorry in a module the audit did not look at), by a private twin
# in another module, or by a namespace name on the next line (`namespace\n  Decoy`), which Lean reads
# and the audit did not. Every form below is now refused before Lean runs.

_UNPROVED = ("module\n\n@[expose] public section\n\nnamespace NormAlign\n\n"
             "theorem helper_false : (1 : Nat) = 2 := by sorry\n\nend NormAlign\n")


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("twin", [
    "module\n\nnamespace NormAlign\n\nprivate theorem matVec_minNormSol : True := trivial\n\nend NormAlign\n",
    "module\n\nnamespace NormAlign\n\ntheorem «matVec_minNormSol» : True := trivial\n\nend NormAlign\n",
    "module\n\ntheorem NormAlign.matVec_minNormSol : True := trivial\n",
])
def test_hostile_twin_declaration_hides_a_sorry(tmp_path: Path, twin: str) -> None:
    root = _copy(tmp_path)
    (root / "NormAlign" / "Unproved.lean").write_text(_UNPROVED)
    f = root / "NormAlign" / "MinNorm.lean"
    f.write_text(f.read_text().replace("public import NormAlign.Basic",
                                       "public import NormAlign.Basic\npublic import NormAlign.Unproved", 1))
    (root / "NormAlign" / "Zz.lean").write_text(twin)
    _assert_rejected(root, "NormAlign.matVec_minNormSol", "declared more than once")


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("text, words", [
    ("namespace\n  Decoy\nnamespace NormAlign\ntheorem t : True := trivial\nend NormAlign\nend Decoy\n",
     "one name on the same line"),
    ("namespace Decoy\nend Other\n", "`end Other` does not close"),
    ("section\nend Decoy\n", "`end Decoy` does not close"),
    ("namespace Decoy\nend\n", "`end` does not close"),
    ("namespace Decoy extra\nend Decoy\n", "one name on the same line"),
    ("theorem t : True := aux where aux : True := trivial\n", "`where`"),
    ("theorem t : True := by\n  let rec aux : True := trivial\n  exact aux\n", "`let rec`"),
])
def test_hostile_scopes_the_audit_would_misread(tmp_path: Path, text: str, words: str) -> None:
    root = _copy(tmp_path)
    (root / "NormAlign" / "Zz.lean").write_text("module\n\n" + text)
    _assert_rejected(root, words)


@pytest.mark.theorem("L1")
def test_declared_names_follow_lean_scopes() -> None:
    """`namespace A.B` opens two scopes and `end B` closes one (as in Lean): the name below is
    `Decoy.NormAlign.t`, not `NormAlign.t`; «quoted» parts name the same thing as plain ones."""
    src = ("module\nnamespace Decoy.NormAlign\nend NormAlign\nnamespace NormAlign\ntheorem t : True := trivial\n"
           "theorem «u» : True := trivial\nend NormAlign\nend Decoy\ntheorem _root_.v : True := trivial\n")
    sf = S.parse(src)
    assert sf.violations == []
    assert set(S.declared_names({"M": sf})) == {"Decoy.NormAlign.t", "Decoy.NormAlign.u", "v"}


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("path", ["Init/Evil.lean", "Std/Evil.lean", "Lean/Evil.lean", "NormAlignPinned.lean",
                                  "Other.lean"])
def test_hostile_module_outside_the_library(tmp_path: Path, path: str) -> None:
    """A project file named like a core module (`Init.Evil`) would be compiled into the build folder
    that Lean searches first: only modules of the `NormAlign` library are accepted."""
    root = _copy(tmp_path)
    f = root / path
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text("module\n\ntheorem evil : True := trivial\n")
    _assert_rejected(root, "outside the `NormAlign` library")


# ----------------------------------------------------------------------------- the checker's own failures

_TINY = ("module\n\n@[expose] public noncomputable section\n\nnamespace NormAlign\n\n"
         "def twice (n : Nat) : Nat := n + n\n\n"
         "theorem twice_eq (n : Nat) : twice n = 2 * n := by unfold twice; omega\n\n"
         "theorem add_zero' (n : Nat) : n + 0 = n := by omega\n\nend NormAlign\n")
# add_zero' uses no pinned definition: it cannot fail through a definition's status
_TINY_PINS = (LS.Pin("L1", "NormAlign.twice_eq", "(n : Nat) : twice n = 2 * n", "honest"),
              LS.Pin("L1", "NormAlign.add_zero'", "(n : Nat) : n + 0 = n", "honest, no definition"))
_TINY_DEFS = (LS.DefPin("NormAlign.twice", ("(n : Nat) : twice n = n + n",)),)


def _fake_lean(checker_errors: list[tuple[int, str]], checker_sorry: list[int] = (), returncode: int | None = None):
    """A stand-in for ``run_lean_file``: modules build; the checker prints what Lean prints for an
    honest project (``#print`` shows each pinned name with the right kind) plus ``checker_errors``, and
    exits with ``returncode`` (default: 1 with errors, else 0)."""
    def fake(lean, cwd, module, path, build, olean=True):
        if olean:
            return L.FileResult(module, 0)
        infos = []
        for k, line in enumerate((Path(cwd) / path).read_text().splitlines(), start=1):
            if line.startswith("#print "):
                name = line.split()[1]
                kind = "def" if name in {d.decl for d in _TINY_DEFS} else "theorem"
                infos.append([k, f"{kind} {name} : T :=\n<not imported>"])
        code = returncode if returncode is not None else (1 if checker_errors else 0)
        return L.FileResult(module, code, [f"{ln}: {e}" for ln, e in checker_errors],
                            [ln for ln, _ in checker_errors], list(checker_sorry), infos)
    return fake


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("errors, sorry, code", [
    ([], [], None),                                   # the honest run: proved (the fake can say "proved")
    ([(0, "exit 1: out of memory")], [], None),       # Lean failed after printing everything
    ([(0, "timeout after 1800 s")], [], None),
    ([(9999, "unexpected end of input")], [], None),  # an error past the last item
    ([], [9999], None),                               # a sorry in the checker file itself
    ([], [], 1),                                      # a non-zero exit with no message at all
])
def test_checker_failure_outside_every_item_fails_every_pin(tmp_path: Path, monkeypatch, errors, sorry, code) -> None:
    """Every pin fails, also one whose statement uses no pinned definition (a pin that uses one would
    fail through that definition anyway)."""
    root = tmp_path / "p"
    (root / "NormAlign").mkdir(parents=True)
    (root / "NormAlign" / "Tiny.lean").write_text(_TINY)
    monkeypatch.setattr(L, "run_lean_file", _fake_lean(errors, sorry, code))
    a = L.audit_project(root, NO_LEAN, pins=_TINY_PINS, def_pins=_TINY_DEFS)
    statuses = {p.decl: a.pins[p.decl] for p in _TINY_PINS}
    if not errors and not sorry and not code:
        assert {st.status for st in statuses.values()} == {L.PROVED} == {a.defs["NormAlign.twice"].status}
    else:
        for st in statuses.values():
            assert st.status == L.FAILED and st.reason.startswith("checker file"), st
        assert a.defs["NormAlign.twice"].status == L.FAILED


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("data, words", [
    (b"theorem t : True := trivial\n\xff\naxiom cheat : False\n", "not valid UTF-8"),  # decoded with U+FFFD before
    (b"theorem t : True := trivial\x00\n", "control character"),
    (b"theorem t : True := trivial\x0b\n", "control character"),
    (b"theorem t : True := trivial -- a comment to the end of the line?\raxiom cheat : False\n",
     "carriage return"),  # a lone CR: a line end for some readers, not for the audit's `--`
])
def test_hostile_bytes_lean_may_read_differently(tmp_path: Path, data: bytes, words: str) -> None:
    root = _copy(tmp_path)
    (root / "NormAlign" / "Zz.lean").write_bytes(b"module\n\n" + data)
    _assert_rejected(root, words)


@pytest.mark.theorem("L1")
def test_subscripts_lean_does_not_read_as_letters() -> None:
    """`₊` (U+208A) is not an identifier character for Lean: `t₊axiom` is `t`, `₊`, `axiom`."""
    words = [t.text for t in S.tokenize("theorem t₊axiom cheat : False\ndef x₁ := 1\n") if t.kind == "ident"]
    assert "axiom" in words and "x₁" in words


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("word", ["notation3", "grind_propagator", "some_future_command"])
def test_hostile_unknown_command_at_the_start_of_a_line(tmp_path: Path, word: str) -> None:
    """A command keyword the audit does not know would be read as part of the command before it (and
    only scanned for forbidden words): every line at column 0 must begin a known command."""
    root = _copy(tmp_path)
    (root / "NormAlign" / "Zz.lean").write_text(f'module\n\ntheorem t : True := trivial\n{word} "cheat" => (1 : Nat)\n')
    _assert_rejected(root, f"`{word}`", "column 0")


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("text, bad", [
    ("theorem t : (1 : Nat) = 2 := by first | skip | stop\n", "stop"),
    ("theorem t : (1 : Nat) = 2 := by\n  first\n  | skip\n  | stop\n", "stop"),
    ("theorem t : (1 : Nat) = 2 := by\n  first\n    | skip\n    | mystery_tactic\n", "mystery_tactic"),
    ("theorem t : True := by first | trivial | rfl\n", None),
    ("theorem t (h : True ∨ True) : True := by\n  first | trivial | skip\n  rcases h with h | h <;> exact h\n", None),
])
def test_every_alternative_of_first_is_a_tactic(text: str, bad: str | None) -> None:
    """Each alternative of `first | a | b` is a tactic: the allow-list reads them all (before, only the
    first was read; `stop` is `repeat sorry`, so Lean's hasSorry was the only guard left)."""
    reasons = [v.reason for v in S.parse("module\n" + text).violations]
    assert reasons == ([f"tactic `{bad}` is not allowed"] if bad else []), reasons
