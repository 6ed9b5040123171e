"""Shared pytest set-up: the ``theorem`` marker must name a registry ID."""

from __future__ import annotations

import pytest

from normalign.registry import BY_ID


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Fail collection when a test names an unknown theorem ID (a typo must not hide a gap)."""
    unknown = []
    for item in items:
        for mark in item.iter_markers("theorem"):
            if not mark.args:
                unknown.append(f"{item.nodeid}: theorem marker without an ID")
            unknown += [f"{item.nodeid}: unknown theorem ID {a!r}" for a in mark.args if a not in BY_ID]
    if unknown:
        raise pytest.UsageError("\n".join(unknown))


def pytest_configure(config: pytest.Config) -> None:
    """Under CI, hypothesis runs derandomised (the same examples on every run) with no deadline, so a
    red CI is a reproducible counterexample, not a flake; locally it explores new examples each run."""
    import os

    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None)
    settings.register_profile("dev", deadline=None)
    settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture()
def one_torch_thread():
    """Torch on one thread for the test (restored afterwards): small training runs are faster so on 2
    cores, and the results do not depend on the thread count."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(autouse=True)
def _verify_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`normalign verify` saves its run for `normalign report`; keep tests out of the developer's cache."""
    monkeypatch.setenv("NORMALIGN_VERIFY_CACHE", str(tmp_path_factory.getbasetemp() / "verify-last.json"))
