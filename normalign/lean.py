"""The link between the registry and the Lean project in ``proofs_lean/``; Lean is the authority.

Public API (what ``normalign verify`` calls)::

    audit = lean_status(run=True)          # LeanAudit; builds with Lean unless the cache is valid
    audit = lean_status(run=False)         # only reads .cache/lean-audit.json (no Lean process)
    lean_column(theorem_id, decl_names, audit) -> str
    lean_columns(theorems, run=True, progress=None) -> dict[str, str]
        # convenience for `normalign verify`: one lean_status call, then lean_column per registry
        # entry (keyed by ID); progress(msg) gets one line before and after a Lean run
        # decl_names: the registry entry's ``lean`` tuple; returns one of
        # "proved", "stated (sorry)", "missing", "not checked (no Lean found)", "no Lean statement",
        # and, when Lean itself rejects a file, "failed (Lean error)" or "rejected (audit)".

``lean_status`` returns a :class:`LeanAudit` (``audit.checked`` is False with ``audit.reason`` when no
Lean was found or, for ``run=False``, no valid cache exists; ``audit.decls`` maps full declaration
names to :class:`DeclStatus`). Lower level, used by the tests: :func:`find_lean`,
:func:`extract_decls` (declaration names and ``[ID]`` docstring tags from source text),
:func:`source_violations` (the audit of forbidden constructs), :func:`audit_project` (build a
directory of ``.lean`` files in import order and decide every declaration).

Rules. A declaration represents registry ID ``X`` when its docstring starts with ``[X]`` (optionally
``[X(a)]`` for part (a)). Lean runs as ``lean --json -o build/M.olean M.lean`` per module in import
order; its JSON messages give errors and ``hasSorry`` (per declaration, located by line). A
declaration is *proved* only when its file and every project file it imports (transitively) compile
with no error and no ``hasSorry``, and no project file uses ``axiom``, ``opaque``, ``extern``,
``implemented_by``, ``native_decide``, ``ofReduceBool`` (or skips the kernel); *stated* when it or a
dependency has a ``sorry``. The result is cached in ``.cache/lean-audit.json`` keyed by a hash of all
``.lean`` files and the Lean executable's path.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "proofs_lean"
CACHE_FILE = REPO / ".cache" / "lean-audit.json"
PACKAGE = "NormAlign"
FILE_TIMEOUT_S = 900

PROVED = "proved"
STATED = "stated (sorry)"
MISSING = "missing"
NOT_CHECKED = "not checked (no Lean found)"
NO_STATEMENT = "no Lean statement"
FAILED = "failed (Lean error)"
REJECTED = "rejected (audit)"

FORBIDDEN = ("axiom", "opaque", "extern", "implemented_by", "native_decide", "ofReduceBool",
             "skipKernelTC", "trustCompiler")
_FORBIDDEN_RE = re.compile(r"(?<![\w.'])(" + "|".join(FORBIDDEN) + r")(?![\w'])")

_TAG_RE = re.compile(r"^\s*\[([A-Z][A-Za-z0-9]*'?)(?:\(([a-z]+)\))?\]")
_DECL_RE = re.compile(
    r"(?:/--(?P<doc>(?:(?!-/).)*)-/\s*)?"
    r"(?:@\[[^\]]*\]\s*)*"
    r"(?:(?:public|private|protected|noncomputable|partial|unsafe|nonrec)\s+)*"
    r"(?P<kind>theorem|lemma|def|abbrev|structure|inductive|class|instance|example)\b"
    r"(?:\s+(?P<name>[^\s:({\[]+))?",
    re.S,
)
_SCOPE_RE = re.compile(
    r"^[ \t]*(?:(?:@\[[^\]]*\]|public|private|noncomputable)\s+)*"
    r"(?P<cmd>namespace|section|end)\b[ \t]*(?P<arg>[^\s-]*)",
    re.M,
)
_IMPORT_RE = re.compile(r"^\s*(?:public\s+)?(?:meta\s+)?import\s+(\S+)", re.M)


@dataclass(frozen=True)
class LeanDecl:
    """A declaration found in the sources: full name, ``[ID]`` tag (or ``None``), part, place."""

    name: str
    kind: str
    tag: str | None
    part: str | None
    module: str
    line: int


@dataclass
class FileResult:
    """Lean's verdict on one module: exit code, error texts, lines of ``hasSorry`` messages."""

    module: str
    returncode: int | None
    errors: list[str] = field(default_factory=list)
    error_lines: list[int] = field(default_factory=list)
    sorry_lines: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.errors


@dataclass
class DeclStatus:
    decl: LeanDecl
    status: str  # PROVED, STATED, FAILED or REJECTED
    reason: str = ""


@dataclass
class LeanAudit:
    """Outcome of a Lean check of a project directory (see the module docstring)."""

    checked: bool
    reason: str = ""
    lean: str | None = None
    key: str = ""
    seconds: float = 0.0
    files: dict[str, FileResult] = field(default_factory=dict)
    decls: dict[str, DeclStatus] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> "LeanAudit":
        files = {k: FileResult(**v) for k, v in d.get("files", {}).items()}
        decls = {k: DeclStatus(decl=LeanDecl(**v["decl"]), status=v["status"], reason=v["reason"])
                 for k, v in d.get("decls", {}).items()}
        return cls(checked=d["checked"], reason=d.get("reason", ""), lean=d.get("lean"),
                   key=d.get("key", ""), seconds=d.get("seconds", 0.0), files=files, decls=decls,
                   violations=list(d.get("violations", [])))


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


# ----------------------------------------------------------------------------- sources

def _blank(m: re.Match) -> str:
    return re.sub(r"[^\n]", " ", m.group(0))


def strip_comments(src: str, keep_docstrings: bool = True) -> str:
    """Replace ``--`` comments and ``/- -/`` comments (also ``/-! -/`` module docs, and docstrings
    ``/-- -/`` unless ``keep_docstrings``) by spaces, keeping offsets and line numbers."""
    out = re.sub(r"/-(?!-)(?:.|\n)*?-/", _blank, src) if keep_docstrings else \
        re.sub(r"/-(?:.|\n)*?-/", _blank, src)
    # line comments, outside docstrings: a docstring line never starts a `--` comment in our style
    out = re.sub(r"(?<![/-])--(?![/-]).*", _blank, out)
    return out


def extract_decls(src: str, module: str = "") -> list[LeanDecl]:
    """Declarations of a Lean source with their full names (namespaces applied) and the ``[ID]``
    (``[ID(part)]``) tag at the start of their docstring. ``example`` has no name and is skipped."""
    text = strip_comments(src)
    scopes: list[tuple[int, str, str]] = []  # (offset, cmd, arg) events
    for m in _SCOPE_RE.finditer(text):
        scopes.append((m.start(), m.group("cmd"), m.group("arg")))
    docs = [d.span() for d in re.finditer(r"/--(?:(?!-/).)*-/", text, re.S)]
    decls = []
    for m in _DECL_RE.finditer(text):
        start = m.start("kind")
        if m.group("kind") == "example" or not m.group("name") or any(a <= start < b for a, b in docs):
            continue
        stack: list[tuple[str, str]] = []
        for off, cmd, arg in scopes:
            if off > start:
                break
            if cmd in ("namespace", "section"):
                stack.append((cmd, arg))
            elif stack:
                stack.pop()
        ns = [a for c, a in stack if c == "namespace" and a]
        name = m.group("name")
        full = name[len("_root_."):] if name.startswith("_root_.") else ".".join(ns + [name])
        doc = m.group("doc")
        tag = part = None
        if doc is not None:
            t = _TAG_RE.match(doc)
            if t:
                tag, part = t.group(1), t.group(2)
        line = text.count("\n", 0, m.start("name")) + 1
        decls.append(LeanDecl(full, m.group("kind"), tag, part, module, line))
    return decls


def source_violations(src: str) -> list[str]:
    """Forbidden constructs in a source (comments and docstrings ignored), as ``line: word``."""
    text = strip_comments(src, keep_docstrings=False)
    return [f"{text.count(chr(10), 0, m.start()) + 1}: {m.group(1)}" for m in _FORBIDDEN_RE.finditer(text)]


def project_modules(root: Path) -> dict[str, Path]:
    """Module name -> file for every ``.lean`` file under ``root`` (``build/`` and ``.lake`` skipped)."""
    mods = {}
    for p in sorted(root.rglob("*.lean")):
        rel = p.relative_to(root)
        if rel.parts[0] in ("build", ".lake"):
            continue
        mods[".".join(rel.with_suffix("").parts)] = p
    return mods


def project_imports(mods: dict[str, Path]) -> dict[str, list[str]]:
    """Direct imports of each module that are modules of the same project."""
    return {m: [i for i in _IMPORT_RE.findall(strip_comments(p.read_text())) if i in mods]
            for m, p in mods.items()}


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
            todo.extend(imports[x])
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


def run_lean_file(lean: Path, root: Path, module: str, path: Path, build: Path,
                  lean_path: tuple[Path, ...] = (), mounts: tuple[Path, ...] = ()) -> FileResult:
    """``lean --json -o build/<M>.olean <file>`` with ``LEAN_PATH``/``LEAN_WASM_MOUNTS`` set."""
    olean = build / Path(*module.split(".")).with_suffix(".olean")
    olean.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["LEAN_PATH"] = os.pathsep.join(str(p) for p in (build, *lean_path))
    env["LEAN_WASM_MOUNTS"] = os.pathsep.join(str(p) for p in (root, build, *lean_path, *mounts))
    t0 = time.monotonic()
    try:
        proc = subprocess.run([str(lean), "--json", "-o", str(olean), str(path.relative_to(root))],
                              cwd=root, env=env, capture_output=True, text=True,
                              timeout=FILE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return FileResult(module, None, [f"timeout after {FILE_TIMEOUT_S} s"], [], [],
                          time.monotonic() - t0)
    out = proc.stdout + "\n" + proc.stderr
    res = FileResult(module, proc.returncode, seconds=time.monotonic() - t0)
    for msg in parse_messages(out):
        line = int((msg.get("pos") or {}).get("line", 0))
        if msg.get("severity") == "error":
            res.errors.append(f"{line}: {msg.get('data', '')[:500]}")
            res.error_lines.append(line)
        if msg.get("kind") == "hasSorry":
            res.sorry_lines.append(line)
    if proc.returncode != 0 and not res.errors:
        tail = "\n".join(l for l in out.splitlines() if l.strip())[-500:]
        res.errors.append(f"exit {proc.returncode}: {tail}")
    return res


def _owner(decls: list[LeanDecl], line: int) -> LeanDecl | None:
    best = None
    for d in decls:
        if d.line <= line and (best is None or d.line > best.line):
            best = d
    return best


def audit_project(root: Path, lean: Path, build: Path | None = None,
                  lean_path: tuple[Path, ...] = (), jobs: int = 2) -> LeanAudit:
    """Build every module under ``root`` in import order (at most ``jobs`` Lean processes at once;
    ``lean_path``: other build directories to import from) and decide every declaration."""
    root = Path(root).resolve()
    build = (build or root / "build").resolve()
    mods = project_modules(root)
    imports = project_imports(mods)
    order = import_order(imports)
    t0 = time.monotonic()
    violations = [f"{mods[m].relative_to(root)}:{v}" for m in order
                  for v in source_violations(mods[m].read_text())]
    decls_by_mod = {m: extract_decls(mods[m].read_text(), m) for m in order}
    files: dict[str, FileResult] = {}
    done: set[str] = set()
    pending = list(order)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        while pending:
            ready = [m for m in pending if all(d in done for d in imports[m])]
            for m in ready:
                pending.remove(m)
            futs = {}
            for m in ready:
                bad = [d for d in imports[m] if not files[d].ok]
                if bad:
                    files[m] = FileResult(m, None, [f"not built: import {', '.join(bad)} failed"])
                else:
                    futs[m] = pool.submit(run_lean_file, lean, root, m, mods[m], build, lean_path)
            for m, f in futs.items():
                files[m] = f.result()
            done.update(ready)
    statuses: dict[str, DeclStatus] = {}
    for m in order:
        deps = _closure(m, imports)
        failed = [d for d in deps if not files[d].ok]
        sorried = sorted({d for d in deps if files[d].sorry_lines})
        own_sorry = {(_owner(decls_by_mod[m], ln) or LeanDecl("?", "", None, None, m, 0)).name
                     for ln in files[m].sorry_lines}
        for d in decls_by_mod[m]:
            if violations:
                st = DeclStatus(d, REJECTED, "; ".join(violations[:5]))
            elif failed:
                st = DeclStatus(d, FAILED, "errors in " + ", ".join(sorted(failed)))
            elif sorried:
                why = "uses sorry" if d.name in own_sorry else "sorry in " + ", ".join(sorried)
                st = DeclStatus(d, STATED, why)
            else:
                st = DeclStatus(d, PROVED)
            statuses[d.name] = st
    return LeanAudit(checked=True, lean=str(lean), seconds=time.monotonic() - t0, files=files,
                     decls=statuses, violations=violations)


# ----------------------------------------------------------------------------- cache and API

def source_key(root: Path = PROJECT, lean: Path | None = None) -> str:
    """sha256 of every ``.lean`` file (path and content) under ``root`` and the Lean path."""
    h = hashlib.sha256(str(lean).encode())
    for m, p in sorted(project_modules(root).items()):
        h.update(m.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _oleans_present(root: Path) -> bool:
    return all((root / "build" / Path(*m.split(".")).with_suffix(".olean")).is_file()
               for m in project_modules(root))


def lean_status(run: bool = True, lean: Path | None = None, jobs: int = 2,
                progress: Callable[[str], None] | None = None) -> LeanAudit:
    """The audit of ``proofs_lean/``: from the cache when it matches the sources and the Lean
    executable (and, for ``run=True``, the build outputs exist), else by running Lean when ``run``.
    Without a Lean executable: ``checked=False``, reason "no Lean found"."""
    lean = lean or find_lean()
    if lean is None:
        return LeanAudit(checked=False, reason="no Lean found")
    key = source_key(PROJECT, lean)
    if CACHE_FILE.is_file():
        try:
            cached = LeanAudit.from_json(json.loads(CACHE_FILE.read_text()))
        except (ValueError, KeyError, TypeError):
            cached = None
        if cached is not None and cached.key == key and (not run or _oleans_present(PROJECT)):
            return cached
    if not run:
        return LeanAudit(checked=False, reason="not checked: no valid cache (run the Lean check)",
                         lean=str(lean))
    if progress:
        progress(f"Lean: checking proofs_lean/ with {lean} (about 20-80 s per file) ...")
    audit = audit_project(PROJECT, lean, jobs=jobs)
    audit.key = key
    if progress:
        progress(f"Lean: done in {audit.seconds:.0f} s")
    CACHE_FILE.parent.mkdir(parents=True, exist_ok=True)
    CACHE_FILE.write_text(json.dumps(audit.to_json(), indent=1))
    return audit


def lean_column(theorem_id: str, decl_names: tuple[str, ...], audit: LeanAudit) -> str:
    """The Lean status of one registry entry: NO_STATEMENT when ``decl_names`` is empty,
    NOT_CHECKED when Lean did not run, MISSING when a name is absent or not tagged ``[theorem_id]``,
    else the weakest status of the named declarations (REJECTED < FAILED < STATED < PROVED)."""
    if not decl_names:
        return NO_STATEMENT
    if not audit.checked:
        return NOT_CHECKED
    rank = {REJECTED: 0, FAILED: 1, STATED: 2, PROVED: 3}
    worst = PROVED
    for n in decl_names:
        st = audit.decls.get(n)
        if st is None or st.decl.tag != theorem_id:
            return MISSING
        if rank[st.status] < rank[worst]:
            worst = st.status
    return worst


def lean_columns(theorems: Iterable, run: bool = True,
                 progress: Callable[[str], None] | None = None) -> dict[str, str]:
    """``{theorem.id: lean_column(theorem.id, theorem.lean, audit)}`` for registry entries, with one
    :func:`lean_status` call (``run=False``: cache only, "not checked" when it is stale)."""
    audit = lean_status(run=run, progress=progress)
    return {t.id: lean_column(t.id, tuple(t.lean), audit) for t in theorems}
