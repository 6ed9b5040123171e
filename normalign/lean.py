"""The link between the registry and the Lean project in ``proofs_lean/``; Lean is the authority.

Public API (what ``normalign verify`` calls)::

    lean_columns(theorems, run=True, progress=None) -> dict[str, str]   # ID -> status word
    lean_failed(status) -> bool                                         # must `verify` exit 1?
    lean_status(run=True, progress=None) -> LeanAudit                   # the audit (cached)

``proofs_lean/`` is untrusted input. "proved" means, for every pin of an ID
(``normalign/lean_statements.py``, reviewed text kept outside ``proofs_lean/``):

1. the allow-list audit (``normalign/lean_source.py``) accepts every file of the project: only the
   commands, modifiers, attributes, options, tactics and imports the project needs (no ``axiom``,
   ``opaque``, ``extern``, ``implemented_by``, ``unsafe``, ``partial``, ``native_decide``,
   ``decide +native``, notation, macros, instances, ``#``-commands, other options, ...); every file
   valid UTF-8 and a module of the ``NormAlign`` library; every full name declared once (a private or
   unexported twin elsewhere would decide which module's sorry counts in 4);
2. every module compiles (``lean --json -o``, in import order, into a FRESH temporary build folder:
   no ``.olean`` survives from an earlier run) without an error;
3. a checker file GENERATED here (in that build folder, never in ``proofs_lean/``), importing only the
   project's modules, restates each pin ``theorem pinned_k : ∀ <binders>, <type> := NormAlign.X`` and
   each pinned definition's equations ``... := rfl``, and ``#print``s every pinned name; Lean
   elaborates it on its own and what Lean prints about THAT file decides: the restatement checks,
   ``#print`` shows a ``theorem`` (a ``def``, ``unsafe`` or ``axiom`` is not a proof), the definitions
   the statement uses check against their pinned equations; an error or sorry in that file that no
   item owns (a crash or timeout after the printing, say) fails every pin;
4. no ``sorry`` is reachable: no ``hasSorry`` message and no ``sorry`` token in the module declaring
   the theorem or in any project module it imports (``#print axioms`` is refused by this Lean build,
   see ``../shared/lean/README.md``).

Status words (:data:`STATUSES`): "proved" (every pin of the ID checked and the registry lists nothing
as not formalised), "proved (partial)" (checked, but the registry's ``lean_not_formalised`` is not
empty), "stated (sorry)" (only for pins marked ``proof=False``), "missing", "failed (Lean error)",
"failed (sorry in a pinned proof)", "rejected (audit)", "not checked (no Lean found)",
"not checked (no valid cache)", "no Lean statement". :func:`lean_failed` is True for the ones that
must fail ``normalign verify``. The audit is cached in ``.cache/lean-audit.json`` keyed by every file
under ``proofs_lean/``, the pins, the audit's own code and the Lean executable.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from normalign import lean_source

if TYPE_CHECKING:
    from normalign.lean_statements import DefPin, Pin

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "proofs_lean"
CACHE_FILE = REPO / ".cache" / "lean-audit.json"
FILE_TIMEOUT_S = 1800
CHECKER_MODULE = "NormAlignPinned"
LIBRARY = "NormAlign"
"""Every module of the project is ``NormAlign`` or ``NormAlign.*`` (the Lake library of proofs_lean/)."""

PROVED = "proved"
PARTIAL = "proved (partial)"
STATED = "stated (sorry)"
MISSING = "missing"
FAILED = "failed (Lean error)"
SORRY_IN_PROOF = "failed (sorry in a pinned proof)"
REJECTED = "rejected (audit)"
NOT_CHECKED = "not checked (no Lean found)"
STALE = "not checked (no valid cache)"
NO_STATEMENT = "no Lean statement"
PASSING = frozenset({PROVED, PARTIAL, STATED, NOT_CHECKED, STALE, NO_STATEMENT})
"""The Lean statuses that do not fail ``normalign verify``; :func:`lean_failed` is True for every other."""
STATUSES = (PROVED, PARTIAL, STATED, MISSING, FAILED, SORRY_IN_PROOF, REJECTED, NOT_CHECKED, STALE,
            NO_STATEMENT)
_RANK = {REJECTED: 0, FAILED: 1, SORRY_IN_PROOF: 1, MISSING: 2, STATED: 3, PROVED: 4}


def lean_failed(status: str) -> bool:
    """True when a Lean column must make ``normalign verify`` exit non-zero: an audit rejection, a
    Lean error, a missing declaration or file, a pinned statement or definition that does not check,
    a sorry where a proof is pinned. Fail closed: any status other than the known harmless ones
    (proved, partial, a statement-only pin, not checked, no statement) fails, a new word included."""
    return status not in PASSING


# ----------------------------------------------------------------------------- results

@dataclass
class FileResult:
    """Lean's verdict on one file: exit code, errors, ``hasSorry`` lines, information messages."""

    module: str
    returncode: int | None
    errors: list[str] = field(default_factory=list)
    error_lines: list[int] = field(default_factory=list)
    sorry_lines: list[int] = field(default_factory=list)
    infos: list[list] = field(default_factory=list)  # [line, text]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors


@dataclass
class PinResult:
    """The verdict on one pinned theorem or definition."""

    decl: str
    id: str
    status: str
    reason: str = ""


@dataclass
class LeanAudit:
    """Outcome of a Lean audit of a project directory (see the module docstring)."""

    checked: bool
    reason: str = ""
    lean: str | None = None
    key: str = ""
    seconds: float = 0.0
    files: dict[str, FileResult] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    pins: dict[str, PinResult] = field(default_factory=dict)
    defs: dict[str, PinResult] = field(default_factory=dict)
    checker: FileResult | None = None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "LeanAudit":
        files = {k: FileResult(**v) for k, v in d.get("files", {}).items()}
        pins = {k: PinResult(**v) for k, v in d.get("pins", {}).items()}
        defs = {k: PinResult(**v) for k, v in d.get("defs", {}).items()}
        checker = FileResult(**d["checker"]) if d.get("checker") else None
        return cls(checked=d["checked"], reason=d.get("reason", ""), lean=d.get("lean"), key=d.get("key", ""),
                   seconds=d.get("seconds", 0.0), files=files, violations=list(d.get("violations", [])),
                   pins=pins, defs=defs, checker=checker)


# ----------------------------------------------------------------------------- finding Lean

def find_lean() -> Path | None:
    """``$NORMALIGN_LEAN``, else ``<repo>/.cache/lean/bin/lean``, else ``lean`` on PATH, else None."""
    env = os.environ.get("NORMALIGN_LEAN")
    if env:
        p = Path(env)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    local = REPO / ".cache" / "lean" / "bin" / "lean"
    if local.is_file() and os.access(local, os.X_OK):
        return local
    which = shutil.which("lean")
    return Path(which) if which else None


# ----------------------------------------------------------------------------- the project's sources

def project_modules(root: Path) -> dict[str, Path]:
    """Module name -> file for every ``.lean`` file under ``root`` (``.lake`` and build folders skipped)."""
    mods = {}
    for p in sorted(Path(root).rglob("*.lean")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("build", ".lake"):
            continue
        mods[".".join(rel.with_suffix("").parts)] = p
    return mods


def read_project(root: Path) -> tuple[dict[str, Path], dict[str, lean_source.SourceFile], list[str]]:
    """Modules, their parsed sources and every allow-list violation as ``path:line: reason``."""
    root = Path(root)
    mods = project_modules(root)
    parsed, violations = {}, []
    for m, p in mods.items():
        data = p.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:  # read with U+FFFD, Lean may read these bytes otherwise
            text = data.decode("utf-8", errors="replace")
            line = data.count(b"\n", 0, exc.start) + 1
            violations.append(f"{p.relative_to(root)}:{line}: the file is not valid UTF-8")
        parsed[m] = lean_source.parse(text, frozenset(mods))
    violations += [f"{mods[m].relative_to(root)}:{v}" for m in sorted(parsed) for v in parsed[m].violations]
    where: dict[str, list[str]] = {}  # full name -> path:line of each declaration
    for m, sf in sorted(parsed.items()):
        rel = mods[m].relative_to(root)
        if not sf.is_module:
            violations.append(f"{rel}:1: the file must start with `module`")
        if m != LIBRARY and not m.startswith(LIBRARY + "."):
            # e.g. `Init/Evil.lean` is compiled to `Init/Evil.olean` in the folder Lean searches first
            violations.append(f"{rel}:1: module `{m}` is outside the `{LIBRARY}` library")
        for d in lean_source.scoped_declarations(sf)[0]:
            if d.name:
                where.setdefault(d.name, []).append(f"{rel}:{d.line}")
    for name, places in sorted(where.items()):
        if len(places) > 1:  # a private or unexported twin would decide which module's sorry counts
            violations.append(f"{places[1]}: `{name}` is declared more than once ({', '.join(places)})")
    return mods, parsed, violations


def project_imports(parsed: dict[str, lean_source.SourceFile]) -> dict[str, list[str]]:
    """Direct imports of each module that are modules of the same project."""
    return {m: [i.module for i in sf.imports if i.module in parsed] for m, sf in parsed.items()}


def import_order(imports: dict[str, list[str]]) -> list[str]:
    """A topological order (dependencies first); ValueError on a cycle."""
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(m: str) -> None:
        if state.get(m) == 2:
            return
        if state.get(m) == 1:
            raise ValueError(f"import cycle through {m}")
        state[m] = 1
        for d in imports[m]:
            visit(d)
        state[m] = 2
        order.append(m)

    for m in sorted(imports):
        visit(m)
    return order


def _closure(m: str, imports: dict[str, list[str]]) -> set[str]:
    seen, todo = set(), [m]
    while todo:
        x = todo.pop()
        if x not in seen:
            seen.add(x)
            todo.extend(imports.get(x, ()))
    return seen


# ----------------------------------------------------------------------------- running Lean

def parse_messages(output: str) -> list[dict]:
    """The JSON messages of ``lean --json`` (other lines are ignored)."""
    msgs = []
    for line in output.splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                msgs.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return msgs


def run_lean_file(lean: Path, cwd: Path, module: str, path: Path, build: Path,
                  olean: bool = True) -> FileResult:
    """``lean --json [-o build/<M>.olean] <file>`` with ``LEAN_PATH=build`` (and the folders mounted
    for the WebAssembly build)."""
    env = dict(os.environ)
    env["LEAN_PATH"] = str(build)
    env["LEAN_WASM_MOUNTS"] = os.pathsep.join(str(p) for p in (cwd, build))
    cmd = [str(lean), "--json"]
    if olean:
        out = build / Path(*module.split(".")).with_suffix(".olean")
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd += ["-o", str(out)]
    cmd.append(str(path))
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=FILE_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        return FileResult(module, None, [f"timeout after {FILE_TIMEOUT_S} s"], [0], [], [], time.monotonic() - t0)
    text = proc.stdout + "\n" + proc.stderr
    res = FileResult(module, proc.returncode, seconds=time.monotonic() - t0)
    for msg in parse_messages(text):
        line = int((msg.get("pos") or {}).get("line", 0))
        data = str(msg.get("data", ""))
        if msg.get("severity") == "error":
            res.errors.append(f"{line}: {data[:800]}")
            res.error_lines.append(line)
        elif msg.get("severity") == "information":
            res.infos.append([line, data[:4000]])
        if msg.get("kind") == "hasSorry" or re.search(r"declaration uses .sorry.", data):
            res.sorry_lines.append(line)
    if proc.returncode != 0 and not res.errors:
        tail = "\n".join(x for x in text.splitlines() if x.strip())[-500:]
        res.errors.append(f"0: exit {proc.returncode}: {tail}")
        res.error_lines.append(0)
    return res


def build_modules(root: Path, lean: Path, build: Path, order: list[str], imports: dict[str, list[str]],
                  mods: dict[str, Path], jobs: int = 2,
                  progress: Callable[[str], None] | None = None) -> dict[str, FileResult]:
    """Compile every module in import order (at most ``jobs`` at once) into ``build``."""
    files: dict[str, FileResult] = {}
    pending = list(order)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while pending:
            ready = [m for m in pending if all(d in files for d in imports[m])]
            for m in ready:
                pending.remove(m)
            futs = {}
            for m in ready:
                bad = [d for d in imports[m] if not files[d].ok]
                if bad:
                    files[m] = FileResult(m, None, [f"0: not built: import {', '.join(bad)} failed"], [0])
                else:
                    futs[m] = pool.submit(run_lean_file, lean, root, m, mods[m].relative_to(root), build)
            for m, f in futs.items():
                files[m] = f.result()
                if progress:
                    progress(f"Lean: {m} {'ok' if files[m].ok else 'FAILED'} ({files[m].seconds:.0f} s)")
    return files


# ----------------------------------------------------------------------------- the checker file

_OPEN_BRACKETS = {"(": ")", "{": "}", "[": "]", "⦃": "⦄", "{{": "}}"}


def split_statement(statement: str) -> tuple[str, str]:
    """``"(x : T) {n : Nat} : P x"`` -> ``("(x : T) {n : Nat}", "P x")``: leading binder groups, then
    the type after the top-level colon. ValueError when the text is not of that form."""
    s = statement.strip()
    i = 0
    while i < len(s) and s[i] in "({[⦃":
        close = {"(": ")", "{": "}", "[": "]", "⦃": "⦄"}[s[i]]
        depth = 0
        j = i
        while j < len(s):
            if s[j] in "({[⦃":
                depth += 1
            elif s[j] in ")}]⦄":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(s) or s[j] != close:
            raise ValueError(f"unbalanced binder in pinned statement: {statement!r}")
        i = j + 1
        while i < len(s) and s[i] == " ":
            i += 1
    if i >= len(s) or s[i] != ":":
        raise ValueError(f"a pinned statement is 'binders : type': {statement!r}")
    return s[:i].strip(), s[i + 1:].strip()


def _forall(statement: str) -> str:
    binders, typ = split_statement(statement)
    return f"∀ {binders}, {typ}" if binders else typ


@dataclass(frozen=True)
class _Item:
    kind: str  # "pin", "def", "ctor", "print", "preamble"
    key: str  # pin decl or def decl
    first: int
    last: int


def checker_source(pins: Iterable["Pin"], def_pins: Iterable["DefPin"], modules: Iterable[str],
                   preamble: str, opens: Iterable[str]) -> tuple[str, list[_Item]]:
    """The generated checker file and the line range of each item in it."""
    lines: list[str] = []
    items: list[_Item] = []

    def emit(kind: str, key: str, text: str) -> None:
        first = len(lines) + 1
        lines.extend(text.split("\n"))
        items.append(_Item(kind, key, first, len(lines)))

    start = len(lines) + 1
    lines.extend(f"import {m}" for m in modules)
    lines.append("")
    lines.append("set_option autoImplicit false")  # an unknown name must be an error, not a variable
    lines.append("set_option relaxedAutoImplicit false")
    lines.append("set_option linter.unusedSectionVars false")
    lines.append("set_option linter.unusedVariables false")
    items.append(_Item("preamble", "", start, len(lines)))
    for ns in opens:  # a namespace that does not exist only fails the pins that need it
        emit("open", ns, f"open {ns}")
    start = len(lines) + 1
    lines.extend(preamble.split("\n"))
    items.append(_Item("preamble", "", start, len(lines)))
    for k, d in enumerate(def_pins):
        emit("print", d.decl, f"#print {d.decl}")
        for e, eq in enumerate(d.equations):
            binders, typ = split_statement(eq)
            emit("def", d.decl, f"theorem pinned_def_{k}_{e} {binders} : {typ} := rfl")
        for c, ctor in enumerate(d.constructors):
            name, _, typ = ctor.partition(" : ")
            emit("def", d.decl, f"noncomputable def pinned_ctor_{k}_{c} : {typ.strip()} := {d.decl}.{name.strip()}")
    for k, p in enumerate(pins):
        emit("pin", p.decl, f"theorem pinned_{k} : {_forall(p.statement)} :=\n  {p.decl}")
        emit("print", p.decl, f"#print {p.decl}")
    return "\n".join(lines) + "\n", items


_PRINT_HEAD = re.compile(r"^(?:@\[[^\]]*\]\s*)?(?P<mods>(?:(?:private|protected|unsafe|partial|noncomputable|"
                         r"nonrec|opaque)\s+)*)(?P<kind>theorem|def|axiom|opaque|inductive|structure|class|"
                         r"instance|abbrev|constructor|recursor|quot)\s+(?P<name>[^\s:{]+(?:\{[^}]*\})?)")


def print_kind(text: str) -> tuple[str, str, str]:
    """``(kind, modifiers, name)`` from the first line of Lean's ``#print`` output."""
    m = _PRINT_HEAD.match(text.strip())
    if not m:
        return "", "", ""
    name = re.sub(r"\.\{[^}]*\}$", "", m.group("name"))
    return m.group("kind"), m.group("mods").strip(), name


def _unsafe(mods: str) -> bool:
    return bool({"unsafe", "partial", "opaque"} & set(mods.split()))


def print_constructors(text: str) -> list[str]:
    """Constructor names listed by ``#print`` of an inductive type."""
    _, _, after = text.partition("constructors:")
    return [ln.split(" : ")[0].strip() for ln in after.splitlines() if " : " in ln]


# ----------------------------------------------------------------------------- deciding

def _used_defs(text: str, def_names: set[str], project_defs: dict[str, str]) -> tuple[set[str], set[str]]:
    """Pinned and unpinned project definitions a Lean snippet names (matched on the full name, the name
    without its namespace, or the last component)."""
    idents = lean_source.identifiers(text)
    # `x.f` (field notation on a local `x`) names some `T.f`: a pinned one if there is one
    fields = {i.split(".")[-1] for i in idents if "." in i}
    pinned_fields = {n.split(".")[-1] for n, kw in project_defs.items()
                     if (n.rsplit(".", 1)[0] if kw == "constructor" else n) in def_names}
    pinned, unpinned = set(), set()
    for full, kw in project_defs.items():
        short = full.split(".")[-1]
        rel = [full[len(ns) + 1:] for ns in ("NormAlign.CrossCheck", "NormAlign") if full.startswith(ns + ".")]
        owner = full.rsplit(".", 1)[0] if kw == "constructor" else full
        by_field = short in fields and (short not in pinned_fields or owner in def_names)
        if full in idents or any(r in idents for r in rel) or by_field:
            (pinned if owner in def_names else unpinned).add(owner)
    return pinned, unpinned


def audit_project(root: Path, lean: Path, build: Path | None = None, jobs: int = 2,
                  pins: Iterable["Pin"] | None = None, def_pins: Iterable["DefPin"] | None = None,
                  source_audit: bool = True, keep_build: bool = False,
                  progress: Callable[[str], None] | None = None) -> LeanAudit:
    """Audit the Lean project in ``root`` against ``pins``/``def_pins`` (default: the project's pins).

    ``build``: an EMPTY folder to work in (default: a fresh temporary folder, removed afterwards unless
    ``keep_build``); a non-empty one is refused. It receives a snapshot of ``root`` (``src/``: the
    allow-list reads and Lean compiles the same text), the ``.olean`` files (``out/``) and the
    generated checker file (``checker/``). ``audit.key`` is the :func:`source_key` of the snapshot.
    ``source_audit=False`` skips the allow-list (only for tests showing that the checker file alone
    catches a construct)."""
    from normalign import lean_statements as LS

    pins = tuple(LS.all_pins() if pins is None else pins)
    def_pins = tuple(LS.DEF_PINS if def_pins is None else def_pins)
    t0 = time.monotonic()
    audit = LeanAudit(checked=True, lean=str(lean))
    own = build is None
    work = Path(tempfile.mkdtemp(prefix="normalign-lean-")) if own else Path(build).resolve()
    if not own:
        work.mkdir(parents=True, exist_ok=True)
        if any(work.iterdir()):
            raise ValueError(f"build folder {work} is not empty (stale .olean files would be trusted)")
    src, out, checker_dir = work / "src", work / "out", work / "checker"
    try:
        # audit and compile one snapshot: what the allow-list read is what Lean compiles
        shutil.copytree(Path(root).resolve(), src, ignore=shutil.ignore_patterns("build", ".lake"))
        audit.key = source_key(src, lean)
        mods, parsed, violations = read_project(src)
        audit.violations = violations if source_audit else []
        imports = project_imports(parsed)
        try:
            order = import_order(imports)
        except ValueError as exc:
            audit.violations.append(str(exc))
        if audit.violations:
            why = "; ".join(audit.violations[:3]) + \
                (f"; ... ({len(audit.violations)} in all)" if len(audit.violations) > 3 else "")
            for p in pins:
                audit.pins[p.decl] = PinResult(p.decl, p.id, REJECTED, why)
            audit.seconds = time.monotonic() - t0
            return audit
        out.mkdir()
        audit.files = build_modules(src, lean, out, order, imports, mods, jobs, progress)
        good = [m for m in order if audit.files[m].ok]
        text, items = checker_source(pins, def_pins, good, LS.PREAMBLE, LS.OPEN)
        checker_dir.mkdir()
        (checker_dir / f"{CHECKER_MODULE}.lean").write_text(text, encoding="utf-8")
        if progress:
            progress(f"Lean: checking {len(pins)} pinned statements and {len(def_pins)} pinned definitions")
        audit.checker = run_lean_file(lean, checker_dir, CHECKER_MODULE, Path(f"{CHECKER_MODULE}.lean"), out,
                                      olean=False)
    finally:
        if own and not keep_build:
            shutil.rmtree(work, ignore_errors=True)
    _decide(audit, pins, def_pins, parsed, imports, items)
    audit.seconds = time.monotonic() - t0
    return audit


def _decide(audit: LeanAudit, pins: tuple, def_pins: tuple, parsed: dict[str, lean_source.SourceFile],
            imports: dict[str, list[str]], items: list[_Item]) -> None:
    chk = audit.checker
    assert chk is not None
    declared = {}  # full name -> (module, Declaration)
    for m, sf in parsed.items():
        for name, d in lean_source.declared_names({m: sf}).items():
            declared[name] = (m, d)
    project_defs = {n: d.keyword for n, (m, d) in declared.items()
                    if d.keyword in ("def", "abbrev", "inductive", "structure", "constructor")}
    sorry_mods = {m for m, f in audit.files.items() if f.sorry_lines} | \
                 {m for m, sf in parsed.items() if sf.sorry_lines}
    failed_mods = sorted(m for m, f in audit.files.items() if not f.ok)

    def errors_in(kind: str, key: str) -> list[str]:
        rng = [(it.first, it.last) for it in items if it.kind == kind and it.key == key]
        return [e for e, ln in zip(chk.errors, chk.error_lines) if any(a <= ln <= b for a, b in rng)]

    def printed(key: str) -> str:
        rng = [(it.first, it.last) for it in items if it.kind == "print" and it.key == key]
        return next((t for ln, t in chk.infos if any(a <= ln <= b for a, b in rng)), "")

    def is_missing(errs: list[str]) -> bool:
        return any(re.search(r"[Uu]nknown (identifier|constant)", e) for e in errs)

    checker_errors = [f"preamble: {e}" for e in errors_in("preamble", "")]
    # an error or a sorry the checker file cannot own (Lean failed after printing, a timeout, a line
    # past the last item) fails every pin: nothing may be proved by a run that did not end cleanly
    stray = [e for e, ln in zip(chk.errors, chk.error_lines) if not any(it.first <= ln <= it.last for it in items)]
    stray += [f"{ln}: sorry in the checker file" for ln in chk.sorry_lines]
    if chk.returncode != 0 and not chk.errors:
        stray.append(f"0: exit {chk.returncode}")
    checker_errors += stray
    # ---- definitions
    for d in def_pins:
        errs = errors_in("def", d.decl) + errors_in("print", d.decl)
        kind, mods, name = print_kind(printed(d.decl))
        status, why = PROVED, ""
        if d.decl not in declared and not errs and not kind:
            status, why = MISSING, "not declared in proofs_lean/"
        elif checker_errors:
            status, why = FAILED, "checker file: " + checker_errors[0]
        elif is_missing(errs):
            status, why = MISSING, errs[0]
        elif errs:
            status, why = FAILED, "pinned definition does not check: " + errs[0]
        elif kind != d.kind or _unsafe(mods) or name != d.decl:
            status, why = FAILED, f"Lean prints `{(mods + ' ' + kind).strip()} {name}`, pinned as `{d.kind} {d.decl}`"
        elif d.kind == "inductive":
            ctors = [c.rsplit(".", 1)[-1] for c in print_constructors(printed(d.decl))]
            pinned = [c.partition(" : ")[0].strip() for c in d.constructors]
            if ctors != pinned:
                status, why = FAILED, f"constructors {ctors}, pinned {pinned}"
        audit.defs[d.decl] = PinResult(d.decl, "", status, why)
    def_names = {d.decl for d in def_pins}
    deps: dict[str, set[str]] = {}
    unpinned_of: dict[str, set[str]] = {}
    for d in def_pins:
        deps[d.decl], unpinned_of[d.decl] = _used_defs(" ".join(d.equations + d.constructors), def_names,
                                                      project_defs)
    # ---- theorems
    for p in pins:
        errs = errors_in("pin", p.decl) + errors_in("print", p.decl)
        kind, mods, name = print_kind(printed(p.decl))
        used, unpinned = _used_defs(p.statement, def_names, project_defs)
        todo, seen = list(used), set()
        while todo:
            x = todo.pop()
            if x not in seen:
                seen.add(x)
                unpinned |= unpinned_of.get(x, set())
                todo.extend(deps.get(x, ()))
        bad_defs = sorted(x for x in seen if audit.defs.get(x) and audit.defs[x].status != PROVED)
        module = declared.get(p.decl, (None, None))[0]
        closure = _closure(module, imports) if module else set(parsed)
        sorried = sorted(closure & sorry_mods)
        if checker_errors:
            st, why = FAILED, "checker file: " + checker_errors[0]
        elif module in failed_mods:
            st, why = FAILED, f"{module} does not compile: " + (audit.files[module].errors or ["?"])[0]
        elif is_missing(errs) or (not kind and p.decl not in declared):
            st, why = MISSING, (errs[0] if errs else "not declared in proofs_lean/") + \
                (f" (modules that failed: {', '.join(failed_mods)})" if failed_mods else "")
        elif errs:
            st, why = FAILED, "pinned statement does not check: " + errs[0]
        elif kind != "theorem" or _unsafe(mods) or name != p.decl:
            st, why = FAILED, f"Lean prints `{(mods + ' ' + kind).strip()} {name}`, not `theorem {p.decl}`"
        elif unpinned:
            st, why = FAILED, "the statement uses definitions without a pin: " + ", ".join(sorted(unpinned))
        elif bad_defs:
            st, why = FAILED, "pinned definitions do not check: " + "; ".join(
                f"{x}: {audit.defs[x].reason}" for x in bad_defs)
        elif sorried:
            st = SORRY_IN_PROOF if p.proof else STATED
            why = "sorry in " + ", ".join(sorried)
        else:
            st, why = PROVED, ""
        audit.pins[p.decl] = PinResult(p.decl, p.id, st, why)


# ----------------------------------------------------------------------------- cache and API

def source_key(root: Path = PROJECT, lean: Path | None = None) -> str:
    """sha256 of every file under ``root`` (path and content, build folders skipped), the pins, the
    audit's own code and the Lean executable (path, size, mtime)."""
    from normalign import lean_statements as LS

    h = hashlib.sha256()
    if lean is not None:
        try:
            st = Path(lean).stat()
            h.update(f"{lean}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        except OSError:
            h.update(f"{lean}\0missing\0".encode())
    for p in sorted(Path(root).rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and rel.parts[0] not in ("build", ".lake"):
            h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(repr((LS.PREAMBLE, LS.OPEN, LS.all_pins(), LS.DEF_PINS)).encode())
    for mod in ("lean.py", "lean_source.py", "lean_statements.py", "lean_crosscheck.py"):
        f = Path(__file__).with_name(mod)
        h.update(f.read_bytes() if f.is_file() else b"")
    return h.hexdigest()


def lean_status(run: bool = True, lean: Path | None = None, jobs: int = 2,
                progress: Callable[[str], None] | None = None) -> LeanAudit:
    """The audit of ``proofs_lean/``: from the cache when its key matches, else by running Lean when
    ``run``. Without a Lean executable: ``checked=False``, reason "no Lean found"."""
    lean = lean or find_lean()
    if lean is None:
        return LeanAudit(checked=False, reason="no Lean found")
    key = source_key(PROJECT, lean)
    if CACHE_FILE.is_file():
        try:
            cached = LeanAudit.from_json(json.loads(CACHE_FILE.read_text()))
        except (ValueError, KeyError, TypeError):
            cached = None
        if cached is not None and cached.key == key:
            return cached
    if not run:
        return LeanAudit(checked=False, reason="no valid cache", lean=str(lean))
    if progress:
        progress(f"Lean: auditing proofs_lean/ with {lean} (a few minutes; cached afterwards) ...")
    audit = audit_project(PROJECT, lean, jobs=jobs, progress=progress)  # audit.key: what was audited
    if progress:
        progress(f"Lean: done in {audit.seconds:.0f} s")
    CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
    CACHE_FILE.write_text(json.dumps(audit.to_json(), indent=1))
    return audit


def lean_column(theorem_id: str, decls: tuple[str, ...], audit: LeanAudit, not_formalised: str = "") -> str:
    """The Lean status of one registry entry (``decls``: its pinned declarations): the weakest status
    of its pins; "proved (partial)" when all are proved but ``not_formalised`` is not empty."""
    if not decls:
        return NO_STATEMENT
    if not audit.checked:
        return STALE if audit.reason == "no valid cache" else NOT_CHECKED
    worst = PROVED
    for n in decls:
        r = audit.pins.get(n)
        st = MISSING if r is None or r.id not in (theorem_id, "") else r.status
        if _RANK.get(st, 0) < _RANK[worst]:
            worst = st
    if worst == PROVED and not_formalised.strip():
        return PARTIAL
    return worst


def lean_columns(theorems: Iterable, run: bool = True,
                 progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """``{theorem.id: status}`` for registry entries, with one :func:`lean_status` call
    (``run=False``: cache only, "not checked (no valid cache)" when it is stale)."""
    theorems = list(theorems)
    if not any(t.lean for t in theorems):
        return {t.id: NO_STATEMENT for t in theorems}
    audit = lean_status(run=run, progress=progress)
    return {t.id: lean_column(t.id, tuple(t.lean), audit, getattr(t, "lean_not_formalised", ""))
            for t in theorems}


def lean_reasons(theorem_id: str, decls: tuple[str, ...], audit: LeanAudit) -> list[str]:
    """Why each pin of an ID is not proved (for reports): ``decl: status: reason``."""
    out = []
    for n in decls:
        r = audit.pins.get(n)
        if r is None:
            out.append(f"{n}: {MISSING}: not in the audit")
        elif r.status != PROVED:
            out.append(f"{n}: {r.status}: {r.reason}")
    return out


def main() -> int:
    """``python -m normalign.lean``: audit ``proofs_lean/`` (or read the cache) and print, per ID, the
    Lean status and why each pin that is not proved is not; exit 1 when a status fails."""
    import sys

    from normalign.registry import THEOREMS

    audit = lean_status(run=True, progress=lambda s: print(s, file=sys.stderr))
    if not audit.checked:
        print(f"Lean: not checked ({audit.reason})")
        return 0
    for v in audit.violations:
        print(f"rejected: {v}")
    failed = False
    for t in THEOREMS:
        col = lean_column(t.id, t.lean, audit, t.lean_not_formalised)
        failed |= lean_failed(col)
        print(f"{t.id:4} {col}")
        for why in lean_reasons(t.id, t.lean, audit):
            print(f"       {why[:400]}")
    bad_defs = [r for r in audit.defs.values() if r.status != PROVED]
    for r in bad_defs:
        print(f"definition {r.decl}: {r.status}: {r.reason[:400]}")
    print(f"({audit.seconds:.0f} s; {sum(f.seconds for f in audit.files.values()):.0f} s in Lean for the modules)")
    return 1 if failed else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
