"""The regression corpus: every counterexample found, saved as a reproducible JSON case.

A case lives at ``tests/corpus/<ID>/<name>.json`` and holds ``{"id", "check", "found_by", "case"}``
where ``case`` is the dict a check returned in ``CheckResult.counterexamples``. Tests replay each case
with the function that rebuilds it and assert the counterexample still refutes the claim.
``normalign search`` saves under ``tests/corpus/<ID>/search/`` with a ``"conjecture"`` field (the
conjecture that replays it, ``module:name`` or ``path/file.py:name``); :func:`load_search_cases` reads
them, and tests/test_search.py replays every one.
Files are written atomically (``normalign.files``), so nothing is left half-written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from normalign.files import write_json_atomic

CORPUS_DIR: Path = Path(__file__).resolve().parent.parent / "tests" / "corpus"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "case"


def save_case(theorem_id: str, name: str, check: str, case: dict[str, Any],
              found_by: str = "", root: Path | None = None, *, sub: str | None = None,
              extra: dict[str, Any] | None = None) -> Path:
    """Save one counterexample under ``root/<ID>/<name>.json`` (``root/<ID>/<sub>/<name>.json`` with
    ``sub``) and return its path; ``extra`` adds top-level fields (e.g. the conjecture that replays it)."""
    folder = (root or CORPUS_DIR) / _safe(theorem_id)
    if sub:
        folder = folder / _safe(sub)
    path = folder / f"{_safe(name)}.json"
    write_json_atomic(path, {"id": theorem_id, "check": check, "found_by": found_by, **(extra or {}), "case": case})
    return path


def load_cases(theorem_id: str | None = None, root: Path | None = None) -> list[dict[str, Any]]:
    """All saved cases (of one ID, or all), sorted by path for reproducible test ids."""
    base = root or CORPUS_DIR
    folders = [base / _safe(theorem_id)] if theorem_id else sorted(p for p in base.glob("*") if p.is_dir())
    cases = []
    for folder in folders:
        for path in sorted(folder.glob("*.json")):
            data = json.loads(path.read_text())
            data["path"] = str(path)
            cases.append(data)
    return cases


def load_search_cases(root: Path | None = None) -> list[dict[str, Any]]:
    """Every case saved by ``normalign search`` (``root/<ID>/search/*.json``), sorted by path."""
    cases = []
    for path in sorted((root or CORPUS_DIR).glob("*/search/*.json")):
        data = json.loads(path.read_text())
        data["path"] = str(path)
        cases.append(data)
    return cases
