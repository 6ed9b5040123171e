"""Reading Lean 4 source as Lean does, for the allow-list audit of ``proofs_lean/`` (untrusted input).

:func:`tokenize` knows what a comment stripper does not: string literals with escapes (a ``"/-"`` is
not a comment), raw strings, char literals (``'"'``), nested ``/- -/`` comments, doc comments and
module docs, ``--`` line comments, ``«quoted»`` names, ``@[`` attributes and ``#commands``.
:func:`audit_source` reads every command of one file (:func:`parse`) and accepts only what the
project needs (the ``ALLOWED_*`` sets below); anything else is a :class:`Violation` with file, line
and reason. :func:`parse` also returns the header's imports (every form: ``import``,
``public import``, ``meta import``, ``import all``, ...) and the declarations with full names.

What Lean might read otherwise is refused, not guessed: control characters and a carriage return
without a line feed, a line at column 0 that does not begin a known command (an unknown command
keyword would be read as part of the command before it), a ``namespace``/``section``/``end`` with
anything but one name on its line, an ``end`` that does not close the innermost scopes, and the
auxiliary declarations of ``where`` and ``let rec``; :func:`scoped_declarations` names declarations
as Lean's scopes do (``namespace A.B`` opens two).

The allow-list is deliberately small: extend it only after asking what a construct can change about
what Lean's kernel checks (commands that add axioms, skip the kernel, run code, change notation,
instances or options, hide messages are refused for good).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

# ----------------------------------------------------------------------------- the allow-list

ALLOWED_COMMANDS = frozenset({
    "module", "namespace", "section", "end", "variable", "open", "set_option", "universe",
    "theorem", "def", "abbrev", "example", "inductive", "structure",
})
"""Command keywords accepted at top level (``noncomputable section`` is ``section`` with a modifier)."""

ALLOWED_MODIFIERS = frozenset({"public", "private", "protected", "noncomputable", "nonrec"})
ALLOWED_ATTRIBUTES = frozenset({"expose", "simp"})
ALLOWED_OPTIONS = frozenset({"linter.unusedSectionVars", "linter.unusedVariables", "maxHeartbeats",
                             "maxRecDepth"})
ALLOWED_IMPORT_ROOTS = ("Init", "Std", "Lean")  # Lean core; the project's own modules are added per run

ALLOWED_TACTICS = frozenset({
    # core tactics the proofs use or may reasonably use; none runs code, skips the kernel or hides
    # messages. `decide` is checked for its options separately (only `+kernel`).
    "exact", "apply", "refine", "intro", "intros", "rintro", "rfl", "trivial", "assumption",
    "constructor", "exists", "use", "left", "right", "exfalso", "contradiction", "absurd",
    "rw", "rewrite", "erw", "simp", "simp_all", "dsimp", "simpa", "unfold", "delta", "change", "show",
    "have", "let", "obtain", "rcases", "cases", "induction", "match", "funext", "ext", "congr",
    "subst", "injection", "generalize", "specialize", "revert", "clear", "rename_i", "symm",
    "calc", "conv", "lhs", "rhs", "arg", "enter", "pattern", "norm_cast", "push_cast", "exact_mod_cast",
    "omega", "grind", "decide", "by_cases", "by_contra", "false_or_by_contra", "split", "next", "case",
    "all_goals", "any_goals", "first", "try", "repeat", "iterate", "focus", "skip", "done",
    "refine'", "nofun", "nomatch", "ac_rfl", "sorry", "and_intros", "with_reducible",
    "·", ".", "(", "|", "_", "?_", "<;>", "on_goal",
})
"""First tokens of a tactic (``sorry`` is accepted here and reported as a sorry, never as proved)."""

SORRY_WORDS = frozenset({"sorry", "admit", "sorryAx"})
"""Words that make the declaration stated, not proved (``admit`` and ``sorryAx`` are also refused)."""

FORBIDDEN_WORDS = {
    "axiom": "declares an axiom", "axioms": "declares axioms", "opaque": "declares an opaque constant",
    "extern": "replaces compiled code", "implemented_by": "replaces compiled code",
    "unsafe": "unsafe code is not checked by the kernel", "partial": "partial definitions are opaque",
    "native_decide": "trusts the compiler (Lean.ofReduceBool)", "native": "trusts the compiler",
    "ofReduceBool": "trusts the compiler", "ofReduceNat": "trusts the compiler",
    "reduceBool": "trusts the compiler", "reduceNat": "trusts the compiler",
    "trustCompiler": "trusts the compiler", "bv_decide": "trusts the compiler", "bv_check": "trusts the compiler (Lean.ofReduceBool)",
    "skipKernelTC": "skips the kernel", "debug": "debug options can skip the kernel",
    "admit": "admit is sorry", "sorryAx": "sorryAx is sorry",
    "run_tac": "runs meta code", "by_elab": "runs meta code", "run_cmd": "runs meta code",
    "run_elab": "runs meta code", "run_meta": "runs meta code", "elab": "defines an elaborator",
    "elab_rules": "defines an elaborator", "macro": "defines a macro", "macro_rules": "defines a macro",
    "syntax": "defines syntax", "declare_syntax_cat": "defines syntax", "notation": "changes notation",
    "infix": "changes notation", "infixl": "changes notation", "infixr": "changes notation",
    "prefix": "changes notation", "postfix": "changes notation", "binop%": "elaborator syntax",
    "local": "local syntax, instances or attributes", "scoped": "scoped syntax or instances",
    "instance": "instances change what notation means", "class": "type classes and instances",
    "attribute": "changes attributes after the fact", "deriving": "derives instances",
    "export": "creates aliases", "initialize": "runs code", "builtin_initialize": "runs code",
    "meta": "meta code", "mutual": "not needed", "omit": "not needed", "include": "not needed",
    "hiding": "open ... hiding", "renaming": "open ... renaming",
    "set_option": None,  # checked by name (ALLOWED_OPTIONS)
    "in": None,  # accepted only as `set_option <allowed> <value> in`
}
"""Words refused wherever they occur as a token (a ``None`` reason: checked by a specific rule)."""

KNOWN_COMMANDS = frozenset({
    # every command keyword of core Lean 4 that we know of: a command may start in the middle of a
    # line, so these are command starts wherever they appear (and must be in ALLOWED_COMMANDS)
    "module", "import", "namespace", "section", "end", "variable", "universe", "open", "export",
    "set_option", "theorem", "lemma", "def", "abbrev", "example", "instance", "inductive",
    "coinductive", "structure", "class", "axiom", "opaque", "mutual", "attribute", "deriving",
    "notation", "infix", "infixl", "infixr", "prefix", "postfix", "macro", "macro_rules", "syntax",
    "elab", "elab_rules", "declare_syntax_cat", "initialize", "builtin_initialize", "omit", "include",
    "add_decl_doc", "register_option", "register_builtin_option", "register_simp_attr",
    "register_label_attr", "declare_simp_like_tactic", "declare_config_elab", "run_cmd", "run_elab",
    "run_meta", "unseal", "seal", "irreducible_def", "grind_pattern", "init_quot", "recommended_spelling",
    "builtin_dsimproc", "builtin_simproc", "simproc", "dsimproc", "simproc_decl", "dsimproc_decl",
    "builtin_simproc_decl", "builtin_dsimproc_decl", "gen_injective_theorems%", "in", "unif_hint",
    "binder_predicate", "declare_syntax", "register_tactic_tag", "tactic_extension", "compile_inductive",
    "syntax_abbrev", "declare_builtin_syntax", "register_error_explanation", "prelude",
})
COMMAND_MODIFIERS = frozenset({"public", "private", "protected", "noncomputable", "nonrec", "partial",
                               "unsafe", "meta", "local", "scoped"})
DECL_KEYWORDS = frozenset({"theorem", "lemma", "def", "abbrev", "example", "instance", "inductive",
                           "structure", "class", "axiom", "opaque", "coinductive"})

# ----------------------------------------------------------------------------- tokens

_SYMBOLS = sorted(["@[", ":=", "=>", "<;>", "->", "<-", "←", "→", "↔", "<->", "≤", "≥", "≠", "<=", ">=",
                   "==", "!=", "&&", "||", "::", "..", "...", "?_", "⟨", "⟩", "%[", "#[", "$", "<|>", "|>.",
                   "|>", "<|", "^", "∘", "×", "∀", "∃", "λ", "Π", "Σ", "¬", "∧", "∨", "·"], key=len, reverse=True)


_LETTER = (r"A-Za-z_\u03b1-\u03ba\u03bc-\u03c9\u0391-\u039f\u03a1\u03a2\u03a4-\u03a9\u03ca-\u03fb"
           r"\u1f00-\u1ffe\u2100-\u214f\U0001d49c-\U0001d59f")
_ID_START = re.compile(rf"[{_LETTER}]")
_PART = rf"(?:«[^»\n]*»|[{_LETTER}][{_LETTER}0-9'!?\u2080-\u2089\u2090-\u209c\u1d62-\u1d6a\u2c7c]*)"
_IDENT_RE = re.compile(rf"{_PART}(?:\.{_PART})*")
_HASH_RE = re.compile(r"#[^\s()\[\]{},]+")
_NUMBER_RE = re.compile(r"0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?")
_RAW_RE = re.compile(r'r(#*)"')
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff\ufffe\uffff]|\r(?!\n)")
_SYMBOL_RE = re.compile("|".join(re.escape(x) for x in _SYMBOLS))


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is ident, keyword-like words are idents too; string, char, number,
    symbol, hash (``#word``), doc (``/-- -/``), moddoc (``/-! -/``)."""

    kind: str
    text: str
    line: int
    col: int
    value: str = ""  # a doc comment's body, a string literal's contents


class LexError(ValueError):
    def __init__(self, line: int, msg: str):
        super().__init__(f"{line}: {msg}")
        self.line = line
        self.msg = msg


def _block_comment_end(src: str, i: int, line: int) -> tuple[int, int]:
    """Index after the ``-/`` closing the comment whose body starts at ``i`` (nesting counted)."""
    depth = 1
    n = len(src)
    start_line = line
    while i < n:
        if src.startswith("/-", i):
            depth += 1
            i += 2
        elif src.startswith("-/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i, line
        else:
            if src[i] == "\n":
                line += 1
            i += 1
    raise LexError(start_line, "unterminated comment")


def _string_end(src: str, i: int, line: int) -> tuple[int, int]:
    """Index after the closing quote of a string literal whose body starts at ``i``."""
    n = len(src)
    start_line = line
    while i < n:
        c = src[i]
        if c == "\\":
            if i + 1 < n and src[i + 1] == "\n":
                line += 1
            i += 2
            continue
        if c == "\n":
            line += 1
        if c == '"':
            return i + 1, line
        i += 1
    raise LexError(start_line, "unterminated string literal")


def tokenize(src: str) -> list[Token]:
    """The tokens of a Lean source (comments dropped, doc comments kept as tokens). Raises
    :class:`LexError` on an unterminated comment, string or char literal."""
    toks: list[Token] = []
    i, line, line_start = 0, 1, 0
    n = len(src)
    bad = _CONTROL_RE.search(src)
    if bad:  # Lean may read these differently (or not at all): refused, not guessed
        what = "a carriage return not followed by a line feed" if bad.group() == "\r" else \
            f"control character U+{ord(bad.group()):04X}"
        raise LexError(src.count("\n", 0, bad.start()) + 1, what)

    def add(kind: str, j: int, value: str = "", end_line: int | None = None) -> None:
        toks.append(Token(kind, src[i:j], line, i - line_start, value))

    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
            line_start = i
            continue
        if c in " \t\r":
            i += 1
            continue
        if src.startswith("--", i):
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if src.startswith("/-", i):
            kind = "doc" if src.startswith("/--", i) and not src.startswith("/--/", i) else \
                "moddoc" if src.startswith("/-!", i) else "comment"
            j, end_line = _block_comment_end(src, i + 2, line)
            if kind != "comment":
                toks.append(Token(kind, src[i:j], line, i - line_start, src[i + 3:j - 2]))
            line_start = src.rfind("\n", 0, j) + 1 if end_line != line else line_start
            line, i = end_line, j
            continue
        if c == '"':
            j, end_line = _string_end(src, i + 1, line)
            toks.append(Token("string", src[i:j], line, i - line_start, src[i + 1:j - 1]))
            if end_line != line:
                line_start = src.rfind("\n", 0, j) + 1
            line, i = end_line, j
            continue
        m = _RAW_RE.match(src, i) if c == "r" else None
        if m:
            close = '"' + m.group(1)
            j = src.find(close, i + len(m.group(0)))
            if j < 0:
                raise LexError(line, "unterminated raw string literal")
            j += len(close)
            toks.append(Token("string", src[i:j], line, i - line_start, src[i + len(m.group(0)):j - len(close)]))
            k = src.count("\n", i, j)
            if k:
                line += k
                line_start = src.rfind("\n", 0, j) + 1
            i = j
            continue
        if c == "'" and i + 1 < n and src[i + 1] != "'":
            # a char literal: 'a', '\n', '\'', '\x41', '\u03b1'
            m = re.match(r"'(\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|.)|[^\\\n])'", src[i:i + 10])
            if not m:
                raise LexError(line, "malformed char literal")
            toks.append(Token("char", m.group(0), line, i - line_start, m.group(1)))
            i += len(m.group(0))
            continue
        if c == "«" or _ID_START.match(c):
            m = _IDENT_RE.match(src, i)
            if m is None:
                raise LexError(line, "unterminated «name»")
            j = m.end()
            if j < n and src[j] == "%" and src[i:j] in ("binop", "gen_injective_theorems", "decl_name",
                                                          "leading_parser", "trailing_parser"):
                j += 1
            add("ident", j)
            i = j
            continue
        if c in "0123456789":
            j = _NUMBER_RE.match(src, i).end()
            add("number", j)
            i = j
            continue
        if c == "#" and i + 1 < n and (_ID_START.match(src[i + 1])):
            j = _HASH_RE.match(src, i).end()
            add("hash", j)
            i = j
            continue
        if c == "`":
            add("symbol", i + 1)  # name literals and syntax quotations: refused by the audit
            i += 1
            continue
        m = _SYMBOL_RE.match(src, i)
        j = m.end() if m else i + 1
        add("symbol", j)
        i = j
    return toks


# ----------------------------------------------------------------------------- commands

@dataclass(frozen=True)
class Import:
    module: str
    line: int
    public: bool = False
    meta: bool = False
    all: bool = False


@dataclass(frozen=True)
class Declaration:
    """A named declaration: full name (namespaces applied), keyword, modifiers, attributes, docstring,
    the ``[ID]`` tag at the start of the docstring (documentation only: pins decide what counts)."""

    name: str
    keyword: str
    line: int
    modifiers: tuple[str, ...] = ()
    attributes: tuple[str, ...] = ()
    doc: str | None = None
    tag: str | None = None


@dataclass(frozen=True)
class Violation:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"


@dataclass
class SourceFile:
    """What :func:`parse` reads from one file."""

    imports: list[Import] = field(default_factory=list)
    declarations: list[Declaration] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    sorry_lines: list[int] = field(default_factory=list)
    is_module: bool = False


_TAG_RE = re.compile(r"^\s*\[([A-Z][A-Za-z0-9]*'?)(?:\(([a-z]+)\))?\]")


def _split_commands(toks: list[Token]) -> list[list[Token]]:
    """Group tokens into commands: a command begins at a doc comment, an attribute ``@[`` or a
    modifier in front of a command keyword, or at a command keyword itself."""
    cmds: list[list[Token]] = []
    cur: list[Token] = []
    prefix = False  # inside doc/attr/modifier prefix of the current command
    depth = 0
    for k, t in enumerate(toks):
        starts = False
        if t.kind == "doc" or t.kind == "moddoc":
            starts = not prefix and t.col == 0  # a doc comment inside a command documents a part of it
        elif not prefix and t.kind == "symbol" and t.text == "@[":
            starts = True
        elif not prefix and t.kind == "ident" and t.text in KNOWN_COMMANDS:
            starts = t.text != "in"  # `... in` continues the command before it
        elif not prefix and t.kind == "ident" and t.text in COMMAND_MODIFIERS:
            starts = t.col == 0
        elif t.kind == "hash" and depth == 0:
            starts = True
        if starts and cur:
            cmds.append(cur)
            cur = []
        cur.append(t)
        # the prefix (doc, attributes, modifiers) lasts until the command keyword
        if (t.kind in ("doc", "moddoc") and starts) or (t.kind == "symbol" and t.text == "@[") or \
                (t.kind == "ident" and t.text in COMMAND_MODIFIERS and prefix):
            prefix = t.kind != "moddoc"
        if t.kind == "symbol" and t.text == "@[":
            depth += 1
        elif t.kind == "symbol" and t.text == "]" and depth:
            depth -= 1
            prefix = True
        elif t.kind == "ident" and (t.text in KNOWN_COMMANDS or t.text in DECL_KEYWORDS) and depth == 0:
            prefix = False
        elif t.kind == "ident" and t.text in COMMAND_MODIFIERS and depth == 0 and (starts or prefix):
            prefix = True
    if cur:
        cmds.append(cur)
    return cmds


def parse(src: str, project_modules: frozenset[str] | set[str] = frozenset()) -> SourceFile:
    """Read one Lean file: header imports, declarations, sorry lines and every violation of the
    allow-list (an unreadable file is one violation). The result is shared: do not modify it."""
    return _parse(src, frozenset(project_modules))


@lru_cache(maxsize=256)
def _parse(src: str, project_modules: frozenset[str]) -> SourceFile:
    out = SourceFile()
    try:
        toks = tokenize(src)
    except LexError as e:
        out.violations.append(Violation(e.line, e.msg))
        return out
    # ---- header: [module] then imports
    k = 0
    while k < len(toks) and toks[k].kind == "moddoc":
        k += 1
    if k < len(toks) and toks[k].kind == "ident" and toks[k].text == "module":
        out.is_module = True
        k += 1
    while True:
        j = k
        while j < len(toks) and toks[j].kind == "moddoc":
            j += 1
        mods = []
        while j < len(toks) and toks[j].kind == "ident" and toks[j].text in ("public", "private", "meta"):
            mods.append(toks[j].text)
            j += 1
        if not (j < len(toks) and toks[j].kind == "ident" and toks[j].text == "import"):
            break
        line = toks[j].line
        j += 1
        is_all = False
        if j < len(toks) and toks[j].kind == "ident" and toks[j].text == "all":
            is_all = True
            j += 1
        if j >= len(toks) or toks[j].kind != "ident":
            out.violations.append(Violation(line, "import without a module name"))
            k = j
            break
        imp = Import(toks[j].text, line, "public" in mods, "meta" in mods, is_all)
        out.imports.append(imp)
        if mods and mods != ["public"]:
            out.violations.append(Violation(line, f"import form `{' '.join(mods)} import` is not allowed "
                                            "(only `import` and `public import`)"))
        if is_all:
            out.violations.append(Violation(line, f"`import all {imp.module}` is not allowed (it is not a "
                                            "module named `all`; only `import` and `public import`)"))
        root = imp.module.split(".")[0]
        if imp.module not in project_modules and root not in ALLOWED_IMPORT_ROOTS:
            out.violations.append(Violation(line, f"import of `{imp.module}`: neither a module of the "
                                            f"project nor Lean core ({', '.join(ALLOWED_IMPORT_ROOTS)})"))
        k = j + 1
    rest = toks[k:]
    starters = KNOWN_COMMANDS | DECL_KEYWORDS | COMMAND_MODIFIERS
    for t in rest:
        if t.kind == "ident" and t.text == "import":
            out.violations.append(Violation(t.line, "`import` after the header"))
        elif t.col == 0 and t.kind in ("ident", "symbol", "string", "char", "number") and \
                t.text not in starters and t.text not in ("@[", "|"):  # `| alt` of a match or an inductive
            # a command keyword the audit does not know would be read as part of the command before it
            out.violations.append(Violation(t.line, f"`{t.text}` at column 0 does not begin a known command "
                                            "(indent a continued command)"))
    for cmd in _split_commands(rest):
        _check_command(cmd, out)
    _check_tactics(rest, out)
    out.violations.extend(scoped_declarations(out)[1])
    return out


def _parts(name: str) -> list[str]:
    """Components of a dotted name, «quotes» removed (``Lean.«ofReduceBool»`` names ``ofReduceBool``)."""
    return [p.strip("«»") for p in re.findall(r"«[^»]*»|[^.]+", name)]


def _words(cmd: list[Token]) -> list[Token]:
    return [t for t in cmd if t.kind == "ident"]


def _check_command(cmd: list[Token], out: SourceFile) -> None:
    """Allow-list one command and record its declaration."""
    # ---- prefix: doc, attributes, modifiers
    k = 0
    doc = None
    attrs: list[str] = []
    mods: list[str] = []
    first = cmd[0]
    if first.kind == "moddoc":
        if len(cmd) > 1:
            _check_command(cmd[1:], out)
        return
    if first.col != 0:
        out.violations.append(Violation(first.line, f"a command must start at the beginning of a line "
                                        f"(`{first.text}` at column {first.col})"))
    if cmd[k].kind == "doc":
        doc = cmd[k].value
        k += 1
    while k < len(cmd) and cmd[k].kind == "symbol" and cmd[k].text == "@[":
        k += 1
        while k < len(cmd) and not (cmd[k].kind == "symbol" and cmd[k].text == "]"):
            t = cmd[k]
            if t.kind == "ident" and (not attrs or cmd[k - 1].text in ("@[", ",")):
                attrs.append(t.text)
                if t.text not in ALLOWED_ATTRIBUTES:
                    out.violations.append(Violation(t.line, f"attribute `{t.text}` is not allowed "
                                                    f"(allowed: {', '.join(sorted(ALLOWED_ATTRIBUTES))})"))
            elif t.kind != "symbol" or t.text != ",":
                out.violations.append(Violation(t.line, f"attribute syntax `{t.text}` is not allowed"))
            k += 1
        k += 1
    while k < len(cmd) and cmd[k].kind == "ident" and cmd[k].text in COMMAND_MODIFIERS:
        mods.append(cmd[k].text)
        if cmd[k].text not in ALLOWED_MODIFIERS:
            reason = FORBIDDEN_WORDS.get(cmd[k].text) or "not allowed"
            out.violations.append(Violation(cmd[k].line, f"modifier `{cmd[k].text}`: {reason}"))
        k += 1
    if k >= len(cmd):
        out.violations.append(Violation(first.line, "a docstring, attribute or modifier without a command"))
        return
    kw = cmd[k]
    if kw.kind == "hash":
        out.violations.append(Violation(kw.line, f"`{kw.text}` is not allowed in proof files (commands "
                                        "that print, evaluate or check messages)"))
        return
    if kw.kind != "ident" or kw.text not in KNOWN_COMMANDS | DECL_KEYWORDS:
        out.violations.append(Violation(kw.line, f"unrecognised command `{kw.text}`"))
        return
    if kw.text not in ALLOWED_COMMANDS:
        reason = FORBIDDEN_WORDS.get(kw.text) or "not needed by the project"
        out.violations.append(Violation(kw.line, f"command `{kw.text}` is not allowed ({reason})"))
        return
    if kw.text == "module":
        out.violations.append(Violation(kw.line, "`module` must be the first command"))
    body = cmd[k + 1:]
    # ---- words refused anywhere in the command
    for idx, t in enumerate(body):
        if t.kind == "hash":
            out.violations.append(Violation(t.line, f"`{t.text}` is not allowed"))
        elif t.kind == "symbol" and t.text == "`":
            out.violations.append(Violation(t.line, "name literals and syntax quotations are not allowed"))
        elif t.kind == "symbol" and t.text == "@[":
            out.violations.append(Violation(t.line, "attributes inside a command are not allowed"))
        elif t.kind == "string" and t.text.startswith(("s!", "m!", "f!")):
            out.violations.append(Violation(t.line, "interpolated strings are not allowed"))
        elif t.kind == "ident" and t.text.endswith("!") and idx + 1 < len(body) and body[idx + 1].kind == "string":
            out.violations.append(Violation(t.line, f"interpolated string `{t.text}\"...\"` is not allowed"))
        elif t.kind == "ident":
            for part in _parts(t.text):
                if part in SORRY_WORDS:
                    out.sorry_lines.append(t.line)
                if part in FORBIDDEN_WORDS and FORBIDDEN_WORDS[part] is not None:
                    out.violations.append(Violation(t.line, f"`{t.text}`: {FORBIDDEN_WORDS[part]}"))
                    break
            if t.text == "decide" and idx + 2 < len(body) and body[idx + 1].text in ("+", "-") \
                    and body[idx + 2].kind == "ident" and body[idx + 2].text != "kernel":
                out.violations.append(Violation(t.line, f"`decide {body[idx + 1].text}{body[idx + 2].text}`: "
                                                "only `decide` and `decide +kernel` are allowed"))
            if t.text in ("decide", "grind", "simp", "omega") and idx + 1 < len(body) and \
                    body[idx + 1].text == "(" and idx + 2 < len(body) and body[idx + 2].text == "config":
                out.violations.append(Violation(t.line, f"`{t.text} (config := ...)` is not allowed"))
    # set_option (command, term or tactic) and `in`
    seq = [kw] + body
    for idx, t in enumerate(seq):
        if t.kind == "ident" and t.text == "set_option":
            name = seq[idx + 1].text if idx + 1 < len(seq) else ""
            if name not in ALLOWED_OPTIONS:
                out.violations.append(Violation(t.line, f"option `{name}` is not allowed "
                                                f"(allowed: {', '.join(sorted(ALLOWED_OPTIONS))})"))
        if t.kind == "ident" and t.text == "in":
            ok = idx >= 3 and seq[idx - 3].text == "set_option" and seq[idx - 2].text in ALLOWED_OPTIONS
            if not ok:
                out.violations.append(Violation(t.line, "`... in` is allowed only after an allowed "
                                                "`set_option NAME VALUE`"))
    # ---- declarations
    if kw.text in ("theorem", "def", "abbrev", "example"):
        # auxiliary declarations (`where`, `let rec`) get names the audit does not see
        for a, b in zip([kw] + body, body):
            if b.kind == "ident" and b.text == "where":
                out.violations.append(Violation(b.line, "`where` (auxiliary declarations) is not allowed"))
            elif b.kind == "ident" and b.text == "rec" and a.kind == "ident" and a.text in ("let", "have"):
                out.violations.append(Violation(b.line, f"`{a.text} rec` (auxiliary declarations) is not allowed"))
    if kw.text in ("theorem", "def", "abbrev", "inductive", "structure"):
        if not body or body[0].kind != "ident":
            out.violations.append(Violation(kw.line, f"`{kw.text}` without a name"))
            return
        tag = None
        if doc is not None:
            m = _TAG_RE.match(doc)
            tag = m.group(1) if m else None
        out.declarations.append(Declaration(body[0].text, kw.text, body[0].line, tuple(mods), tuple(attrs),
                                            doc, tag))
        if kw.text == "inductive":  # constructors: `| name`
            for a, b in pairwise(body):
                if a.kind == "symbol" and a.text == "|" and b.kind == "ident" and a.col <= 4:
                    out.declarations.append(Declaration(f"{body[0].text}.{b.text}", "constructor", b.line))
    elif kw.text in ("namespace", "section", "end"):
        # Lean reads a name on the next line too; the audit names declarations by these scopes, so
        # accept exactly what it reads as Lean does: one name on the keyword's line (optional for
        # `section` and `end`), nothing else
        named = len(body) == 1 and body[0].kind == "ident" and body[0].line == kw.line
        if not (named or (not body and kw.text != "namespace")):
            out.violations.append(Violation(kw.line, f"`{kw.text}` takes one name on the same line and "
                                            "nothing else"))
        name = body[0].text if named else ""
        out.declarations.append(Declaration(name, kw.text, kw.line, tuple(mods), tuple(attrs)))
    elif kw.text == "open":
        for t in body:
            if t.kind != "ident":
                out.violations.append(Violation(t.line, f"`open` accepts only namespace names, not `{t.text}`"))


_SEQ_TACTICS = frozenset({"·", ".", "(", "all_goals", "any_goals", "try", "repeat", "focus", "with_reducible"})
"""Tactics followed by a tactic sequence: its first tactic opens a block (``(``: up to its ``)``)."""
_ARROW_TACTICS = frozenset({"case", "case'", "next", "on_goal", "conv"})
"""Tactics whose next ``=>`` (at their bracket depth) opens a tactic block (``conv``: conv tactics)."""
_ALT_TACTICS = frozenset({"induction", "cases", "match", "intro"})
"""Tactics whose ``| pattern =>`` alternatives open tactic blocks."""


def _alternative_arrow(toks: list[Token], k: int, depth: int) -> bool:
    """Whether the ``|`` at ``toks[k]`` begins ``| pattern =>`` on its line: a ``=>`` at the same
    bracket depth before any ``|``, ``;``, ``<;>`` or ``:=`` (an ``rcases`` pattern has none)."""
    d = depth
    for t in toks[k + 1:]:
        if t.line != toks[k].line:
            return False
        if t.kind == "symbol" and t.text in ("(", "[", "{", "⟨", "%[", "#["):
            d += 1
        elif t.kind == "symbol" and t.text in (")", "]", "}", "⟩"):
            d -= 1
            if d < depth:
                return False
        elif d == depth and t.kind == "symbol" and t.text in ("|", ";", "<;>", ":="):
            return False
        elif d == depth and t.kind == "symbol" and t.text == "=>":
            return True
    return False


def _check_tactics(toks: list[Token], out: SourceFile) -> None:
    """The first token of every tactic must be in :data:`ALLOWED_TACTICS`. A tactic starts after
    ``by`` and ``decreasing_by``; after ``;`` and ``<;>``; after ``·``, ``(``, ``all_goals``,
    ``any_goals``, ``try``, ``repeat``, ``focus``, ``with_reducible`` and ``iterate [n]``; after the
    ``=>`` of ``case``, ``case'``, ``next``, ``on_goal n``, ``conv`` and of each alternative
    ``| pattern =>`` of ``induction``, ``cases``, ``match`` and ``intro`` (and of a line that starts with
    ``|`` in a block, whichever term or tactic it belongs to); after each ``|`` of ``first | a | b``;
    and at the column of its block (a block is the tactic sequence opened by any of these, read up to
    a line that starts left of it or up to the bracket that closes it)."""
    blocks: list[tuple[int, int]] = []  # (column of the block's tactics, bracket depth)
    depth = 0
    expect = False  # the next token starts a tactic (and maybe a block)
    open_block = False
    count = False  # after `iterate`: an optional repeat count, then the tactic
    arrow: int | None = None  # the bracket depth at which the next `=>` opens a tactic block
    line_first: dict[int, Token] = {}
    for t in toks:
        line_first.setdefault(t.line, t)
    prev = None
    alt_line = -1  # line whose first token is `|` inside a tactic block
    first_at: tuple[int, int] | None = None  # (bracket depth, block column) of a `first | a | b`
    alts_at: tuple[int, int] | None = None  # (bracket depth, block column) of an _ALT_TACTICS tactic
    for k, t in enumerate(toks):
        is_first = line_first[t.line] is t
        if t.kind in ("doc", "moddoc"):
            blocks.clear()
            expect = open_block = count = False
            first_at = alts_at = arrow = None
            prev = t
            continue
        if first_at and (depth < first_at[0] or (is_first and t.col <= first_at[1] and t.text != "|")):
            first_at = None  # the next tactic of the block, or the end of the brackets around `first`
        if alts_at and (depth < alts_at[0] or (is_first and t.col <= alts_at[1] and t.text != "|")):
            alts_at = None
        if arrow is not None and (depth < arrow or (is_first and t.col == 0)):
            arrow = None
        counted = False
        if count:  # `iterate n tac` or `iterate tac`
            count = False
            counted = t.kind == "number"
            expect = open_block = not counted
        if is_first:
            if t.col == 0:
                blocks.clear()
                depth = 0
            while blocks and (t.col < blocks[-1][0] or depth < blocks[-1][1]):
                blocks.pop()
            if blocks and t.col == blocks[-1][0] and depth == blocks[-1][1] and not expect:
                expect = True
            if blocks and t.text == "|" and t.col >= blocks[-1][0]:
                alt_line = t.line
        if expect:
            if open_block:
                while blocks and (t.col < blocks[-1][0] and t.line != prev.line):
                    blocks.pop()
                blocks.append((t.col, depth))
                open_block = False
            expect = False
            if t.kind in ("ident", "symbol") and t.text not in ALLOWED_TACTICS:
                out.violations.append(Violation(t.line, f"tactic `{t.text}` is not allowed"))
            if t.text == "first":
                first_at = (depth, blocks[-1][0] if blocks else t.col)
                expect = True
            elif t.text in _ALT_TACTICS:
                alts_at = (depth, blocks[-1][0] if blocks else t.col)
            elif t.text in _ARROW_TACTICS:
                arrow = depth
            elif t.text == "iterate":
                count = True
            elif t.text in _SEQ_TACTICS:
                expect = open_block = True
        if counted:
            expect = open_block = True  # the tactic after `iterate n`
        if t.kind == "symbol" and t.text in ("(", "[", "{", "⟨", "%[", "#["):
            depth += 1
        elif t.kind == "symbol" and t.text in (")", "]", "}", "⟩"):
            depth = max(0, depth - 1)
            while blocks and depth < blocks[-1][1]:
                blocks.pop()
        if t.kind == "ident" and t.text in ("by", "decreasing_by"):
            expect = open_block = True
        elif blocks and depth == blocks[-1][1] and t.kind == "symbol" and t.text in (";", "<;>"):
            expect = True
        elif first_at and t.kind == "symbol" and t.text == "|" and depth == first_at[0]:
            expect = open_block = True  # each alternative of `first` is a tactic sequence
        elif alts_at and t.kind == "symbol" and t.text == "|" and depth == alts_at[0] and \
                _alternative_arrow(toks, k, depth):
            arrow = depth
        elif t.kind == "symbol" and t.text == "=>" and (depth == arrow or blocks and t.line == alt_line):
            expect = open_block = True
            arrow, alt_line = None, -1  # one `=>` per alternative (`fun x => x` after it is a term)
        prev = t


def scoped_declarations(sf: SourceFile) -> tuple[list[Declaration], list[Violation]]:
    """The declarations of one file with full names, as Lean names them, and every ``end`` that does
    not close what Lean would close. Scopes as in Lean: ``namespace A.B`` (and ``section A.B``) opens
    one scope per component, ``end A.B`` closes as many and must name them, a bare ``end`` closes an
    anonymous ``section``; ``_root_.x`` is ``x``; «quoted» parts are the plain parts."""
    decls: list[Declaration] = []
    bad: list[Violation] = []
    stack: list[tuple[str, str]] = []  # (namespace | section, component)
    for d in sf.declarations:
        parts = _parts(d.name) if d.name else [""]
        if d.keyword in ("namespace", "section"):
            stack.extend((d.keyword, c) for c in parts)
        elif d.keyword == "end":
            if len(parts) > len(stack) or [c for _, c in stack[len(stack) - len(parts):]] != parts:
                what = f"`end {d.name}`" if d.name else "`end`"
                opened = ".".join(c for _, c in stack) or "nothing"
                bad.append(Violation(d.line, f"{what} does not close the innermost scope (open: {opened})"))
            del stack[max(0, len(stack) - len(parts)):]
        else:
            ns = [c for k, c in stack if k == "namespace"]
            full = ".".join(parts[1:] if parts[0] == "_root_" else ns + parts)
            decls.append(Declaration(full, d.keyword, d.line, d.modifiers, d.attributes, d.doc, d.tag))
    return decls, bad


def declared_names(files: dict[str, SourceFile]) -> dict[str, Declaration]:
    """Full names of all declarations (namespaces applied) across parsed files."""
    return {d.name: d for sf in files.values() for d in scoped_declarations(sf)[0]}


def identifiers(text: str) -> set[str]:
    """Identifier tokens of a Lean snippet (used to find which definitions a pinned statement uses)."""
    return {t.text for t in tokenize(text) if t.kind == "ident"}
