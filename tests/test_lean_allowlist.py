"""The allow-list reader of Lean source (normalign/lean_source.py), position by position: refused bytes,
`where` in every declaration kind, dotted `end`, column-0 tokens, and every position where a tactic is
read. Each test catches a one-line bug the rest of the suite let through in the review of 2026-12-01.
Fast, no Lean (the checker file's own failures are in test_lean_audit.py)."""

from __future__ import annotations

import pytest

from normalign import lean_source as S


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("char", ["\x7f", "\ufeff", "\x1b", "\x0c"])
def test_every_refused_control_character_is_refused(char: str) -> None:
    """Each character class of the refusal is exercised (DEL and a byte-order mark inside the text had
    no test: dropping either from the pattern passed)."""
    sf = S.parse(f"module\ntheorem t : True := trivial{char}\n")
    assert any("control character" in v.reason for v in sf.violations), sf.violations


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("text", [
    "abbrev a : Nat := aux where aux : Nat := 1\n",
    "example : True := aux where aux : True := trivial\n",
    "def d : Nat := aux where aux : Nat := 1\n",
])
def test_where_is_refused_in_every_declaration_kind(text: str) -> None:
    """`where` adds auxiliary declarations the audit does not name, in a def, an abbrev or an example
    (planted: the refusal limited to theorem/def passed)."""
    reasons = [v.reason for v in S.parse("module\n" + text).violations]
    assert any("`where`" in r for r in reasons), reasons


@pytest.mark.theorem("L1")
def test_dotted_end_closes_every_component() -> None:
    """`end A.B` closes both scopes `namespace A.B` opened (Lean): a declaration after it is at the root
    (planted: `end` closing one scope only named it `A.t`)."""
    sf = S.parse("module\nnamespace A.B\ntheorem s : True := trivial\nend A.B\ntheorem t : True := trivial\n")
    assert sf.violations == []
    assert set(S.declared_names({"M": sf})) == {"A.B.s", "t"}


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("text, first", [
    ("theorem t : (1 : Nat) = 1 :=\n(rfl)\n", "("),
    ("def n : Nat :=\n1\n", "1"),
    ('def s : String :=\n"x"\n', '"x"'),
])
def test_column_zero_tokens_of_every_kind_must_begin_a_command(text: str, first: str) -> None:
    """Not only identifiers: a symbol, number or string at column 0 is a continued command the audit
    refuses (planted: the check limited to identifiers passed)."""
    reasons = [v.reason for v in S.parse("module\n" + text).violations]
    assert any(f"`{first}` at column 0" in r for r in reasons), reasons


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("form", [
    "  case _ => {}\n",
    "  case' _ => {}\n",
    "  case h\n    => {}\n",
    "  case _ =>\n    skip\n    {}\n",
    "  next => {}\n",
    "  next =>\n    skip\n    {}\n",
    "  on_goal 1 => {}\n",
    "  iterate 2 {}\n",
    "  iterate {}\n",
    "  iterate 2\n    skip\n    {}\n",
    "  (skip; {})\n",
    "  (skip <;> {})\n",
    "  (skip\n   {})\n",
    "  all_goals\n    skip\n    {}\n",
    "  any_goals\n    skip\n    {}\n",
    "  try\n    skip\n    {}\n",
    "  repeat\n    skip\n    {}\n",
    "  focus\n    skip\n    {}\n",
    "  with_reducible\n    skip\n    {}\n",
    "  all_goals skip; {}\n",
    "  first\n  | skip\n    {}\n  | skip\n",
    "  conv => {}\n",
    "  conv => lhs; {}\n",
    "  cases Nat.lt_or_ge 1 2 with | inl h => {} | inr h => skip\n",
    "  cases Nat.lt_or_ge 1 2 with | inl h => skip | inr h => {}\n",
    "  match (1 : Nat) with | 0 => {} | _ => skip\n",
    "  intro | 0 => {} | _ => skip\n",
    "  exact foo\n  decreasing_by {}\n",
    "  exact foo\n    decreasing_by {}\n",
])
def test_every_tactic_position_is_read(form: str) -> None:
    """`stop` (`repeat sorry`) and a made-up tactic stand for any tactic outside ALLOWED_TACTICS: in each
    of these positions Lean runs it, so the allow-list must read it (before the fix of 2026-12-01 only
    Lean's hasSorry and the forbidden-word scan stood behind these positions)."""
    for bad in ("stop", "mystery_tactic", "dbg_trace", "sleep"):
        reasons = [v.reason for v in S.parse("module\ntheorem t : (1 : Nat) = 2 := by\n" + form.format(bad)).violations]
        assert f"tactic `{bad}` is not allowed" in reasons, (form, reasons)


@pytest.mark.theorem("L1")
@pytest.mark.parametrize("form", [
    "  case _ => skip\n",
    "  next =>\n    skip\n    rfl\n",
    "  on_goal 1 => skip\n  iterate 2 skip\n  iterate skip\n",
    "  (skip; skip <;> rfl)\n",
    "  all_goals\n    skip\n    rfl\n  try dsimp only\n",
    "  conv => rhs; arg 1; ext j; rw [vsum_succ]\n",
    "  cases Nat.lt_or_ge 1 2 with | inl h => exact fun x => x | inr h => skip\n",
    "  rcases h with h | h <;> exact fun x => h x\n",
    "  cases h with\n  | inl h => exact fun x => x\n  | inr h => skip\n",
    "  cases h with\n  | inl h => rcases h with a | b <;> exact fun x => x\n  | inr h => skip\n",
    "  first\n  | skip\n    rfl\n  | rfl\n",
    "  exact match (1 : Nat) with | 0 => Nat.zero | _ => Nat.succ 1\n",
])
def test_reading_every_tactic_position_refuses_no_term(form: str) -> None:
    """The positions read above, with allowed tactics, and the terms around them (a `fun x => x`, an
    `rcases` pattern, a term `match` on one line) are not read as tactics."""
    reasons = [v.reason for v in S.parse("module\ntheorem t : (1 : Nat) = 2 := by\n" + form).violations]
    assert reasons == [], (form, reasons)


@pytest.mark.theorem("L1")
def test_identifiers_start_with_every_letter_class() -> None:
    """Greek, letter-like and script letters begin identifiers (one token each), `λ` and `Π` are symbols
    (planted: `_ID_START` narrowed to ASCII passed every test, splitting `αβ` into symbols)."""
    toks = S.tokenize("def f (αβ : ℝ₁) (𝒜x : ᾱ) := λ Π\n")
    assert [(t.kind, t.text) for t in toks if t.text in ("αβ", "ℝ₁", "𝒜x", "ᾱ", "λ", "Π")] == [
        ("ident", "αβ"), ("ident", "ℝ₁"), ("ident", "𝒜x"), ("ident", "ᾱ"), ("symbol", "λ"), ("symbol", "Π")]
