"""The regression corpus: every counterexample found, saved as a reproducible JSON case.

A case lives at ``tests/corpus/<ID>/<name>.json`` and holds ``{"id", "check", "found_by", "case"}``
where ``case`` is the dict a check returned in ``CheckResult.counterexamples``. Tests replay each case
with the function that rebuilds it and assert the counterexample still refutes the claim.
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
              found_by: str = "", root: Path | None = None) -> Path:
    """Save one counterexample under ``root/<ID>/<name>.json`` and return its path."""
    folder = (root or CORPUS_DIR) / _safe(theorem_id)
    path = folder / f"{_safe(name)}.json"
    write_json_atomic(path, {"id": theorem_id, "check": check, "found_by": found_by, "case": case})
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
