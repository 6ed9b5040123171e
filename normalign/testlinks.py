"""Which tests check which theorem ID: read from the test sources, not from a test run.

A test names its ID with the marker ``@pytest.mark.theorem("ID")`` (several IDs: several markers or
several arguments). Only string literals count, so a parametrised test that takes its IDs from the
registry itself does not make an ID look tested.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS_DIR: Path = Path(__file__).resolve().parent.parent / "tests"


def theorem_markers(source: str, filename: str = "<source>") -> dict[str, list[str]]:
    """``{ID: [where, ...]}`` for every ``pytest.mark.theorem("ID", ...)`` call in ``source``."""
    found: dict[str, list[str]] = {}
    for node in ast.walk(ast.parse(source, filename)):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "theorem" and _is_mark(f.value):
            for arg in node.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, []).append(f"{filename}:{node.lineno}")
    return found


def _is_mark(node: ast.expr) -> bool:
    # pytest.mark.theorem(...) or mark.theorem(...)
    if isinstance(node, ast.Attribute) and node.attr == "mark":
        return True
    return isinstance(node, ast.Name) and node.id == "mark"


def markers_in_tree(root: Path = TESTS_DIR) -> dict[str, list[str]]:
    """Theorem markers of every ``test_*.py`` below ``root``."""
    merged: dict[str, list[str]] = {}
    for path in sorted(root.rglob("test_*.py")):
        for tid, where in theorem_markers(path.read_text(), str(path.relative_to(root))).items():
            merged.setdefault(tid, []).extend(where)
    return merged
