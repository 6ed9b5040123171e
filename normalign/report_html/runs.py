"""The cached ``normalign verify`` run that ``normalign report`` renders.

The cache file (default ``.cache/verify-last.json`` in the repository; ``NORMALIGN_VERIFY_CACHE``
overrides it) is an envelope around the JSON document of ``normalign verify --json``::

    {"format": "normalign-verify-run/1",
     "run": {"finished": ISO time, "commit": git commit or null, "dirty": bool or null,
             "command": "normalign verify ...", "seconds": wall time},
     "lean_pins": {ID: [{"decl", "statement", "covers", "proof", "status", "reason"}]},
     "verify": <the document of normalign verify --json>}

``lean_pins`` holds each ID's pinned Lean statements (``normalign/lean_statements.py``) with the Lean
audit's verdict on each pin at the time of the run (from the audit cache; "not checked" when there
was none). A bare ``normalign verify --json`` document is accepted too (:func:`load_run` wraps it).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

from normalign.files import write_json_atomic

REPO = Path(__file__).resolve().parents[2]
FORMAT = "normalign-verify-run/1"
ENV_CACHE = "NORMALIGN_VERIFY_CACHE"


class ReportError(Exception):
    """No usable cached run (reported by the CLI as one line, exit status 2)."""


def cache_path() -> Path:
    """Where ``normalign verify`` saves its last run: ``$NORMALIGN_VERIFY_CACHE``, else
    ``.cache/verify-last.json`` in the repository."""
    env = os.environ.get(ENV_CACHE)
    return Path(env) if env else REPO / ".cache" / "verify-last.json"


def git_state(repo: Path = REPO) -> tuple[str | None, bool | None]:
    """(short commit, working tree dirty) of ``repo``; ``(None, None)`` outside a git checkout."""
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=False)
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return commit.stdout.strip() or None, dirty


def lean_pins(ids: list[str], audit: Any = None) -> dict[str, list[dict[str, Any]]]:
    """Each ID's pinned Lean statements, with the audit's verdict per pin (``audit``: a
    ``normalign.lean.LeanAudit``; by default the cached one, never running Lean)."""
    from normalign import lean
    from normalign.lean_statements import pins_of

    if audit is None:
        audit = lean.lean_status(run=False)
    out: dict[str, list[dict[str, Any]]] = {}
    for tid in ids:
        rows = []
        for pin in pins_of(tid):
            res = audit.pins.get(pin.decl) if audit.checked else None
            if not audit.checked:
                status, reason = (lean.STALE if audit.reason == "no valid cache" else lean.NOT_CHECKED), audit.reason
            elif res is None:
                status, reason = lean.MISSING, "not in the audit"
            else:
                status, reason = res.status, res.reason
            rows.append({"decl": pin.decl, "statement": pin.statement, "covers": pin.covers, "proof": pin.proof,
                         "status": status, "reason": reason})
        out[tid] = rows
    return out


def make_run(doc: dict[str, Any], *, command: str, seconds: float, audit: Any = None) -> dict[str, Any]:
    """The cache envelope of a verify document (see the module docstring)."""
    commit, dirty = git_state()
    ids = [t["id"] for t in doc.get("theorems", [])]
    run: dict[str, Any] = {
        "format": FORMAT,
        "run": {"finished": _dt.datetime.now().astimezone().isoformat(timespec="seconds"), "commit": commit,
                "dirty": dirty, "command": command, "seconds": round(float(seconds), 1)},
        "lean_pins": {},
        "verify": doc,
    }
    try:
        run["lean_pins"] = lean_pins(ids, audit)
    except Exception as exc:  # noqa: BLE001 - the run is kept; the page says why the pins are missing
        run["lean_pins_error"] = f"{type(exc).__name__}: {exc}"
    return run


def save_run(doc: dict[str, Any], *, command: str, seconds: float, path: Path | None = None) -> Path:
    """Write the envelope of ``doc`` to the cache (atomically) and return its path."""
    return write_json_atomic(path or cache_path(), make_run(doc, command=command, seconds=seconds))


def load_run(path: Path | None = None) -> dict[str, Any]:
    """The cached run (an envelope; a bare ``verify --json`` document is wrapped, with the Lean pins of
    the current checkout). Raises :class:`ReportError` when there is none or it is unreadable."""
    path = Path(path) if path is not None else cache_path()
    if not path.is_file():
        raise ReportError(f"no cached verify run at {path}: run `normalign verify` first "
                          "(or `normalign report --run`)")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ReportError(f"cannot read {path} as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a verify run (expected a JSON object)")
    if data.get("format") == FORMAT and isinstance(data.get("verify"), dict):
        run = data
    elif isinstance(data.get("theorems"), list):
        stat = path.stat()
        finished = _dt.datetime.fromtimestamp(stat.st_mtime).astimezone().isoformat(timespec="seconds")
        run = {"format": FORMAT, "run": {"finished": finished, "commit": None, "dirty": None,
                                         "command": f"normalign verify --json > {path.name}", "seconds": None},
               "lean_pins": None, "verify": data}
    else:
        raise ReportError(f"{path}: neither a cached verify run nor a `normalign verify --json` document")
    if not isinstance(run["verify"].get("theorems"), list):
        raise ReportError(f"{path}: the verify document has no 'theorems' list")
    if run.get("lean_pins") is None:
        run["lean_pins"] = {}
        try:
            run["lean_pins"] = lean_pins([t.get("id", "") for t in run["verify"]["theorems"]])
            run["lean_pins_from_checkout"] = True
        except Exception as exc:  # noqa: BLE001 - the page still renders, and says why the pins are missing
            run["lean_pins_error"] = f"{type(exc).__name__}: {exc}"
    return run
