"""pytest plugin for the mutation runs (loaded with ``-p pytest_suite_order`` in the staged copy only).

mutmut hands each mutant's covering tests to pytest in set order, which changes from run to run; some
tests of this suite depend on order (tests/test_cli.py::test_verify_json_for_one_id fails after some
others), so a random order could kill a mutant that did nothing. This runs them in the order of the
default suite (the order of mutmut's clean stats run, which passed). The tests that run are unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

STATS = Path("mutmut-stats.json")  # mutmut runs pytest inside mutants/, where it keeps its stats


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not STATS.exists():
        return
    try:
        order = {t: i for i, t in enumerate(json.loads(STATS.read_text())["duration_by_test"])}
    except (ValueError, KeyError):
        return
    items.sort(key=lambda item: order.get(item.nodeid, len(order)))
