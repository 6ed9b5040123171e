"""Standard output carries only the report: HiGHS's MIP debug lines (C printf) go to stderr."""

from __future__ import annotations

import contextlib

import pytest

from normalign.checks import Budget
from normalign.numerics.checks.robustness import exact_radius
from normalign.numerics.engine import exact_robustness
from normalign.numerics.engine.stdio import _flush_c_stdio, c_stdout_to_stderr


def _chatty_instance():
    """A 2-d network and point from the full-budget L-inf MILP check on which HiGHS (scipy 1.17)
    prints 'HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();'."""
    for i, (net, x, _) in enumerate(exact_radius._small_nets(Budget("full"), 71, d=2)):
        if i == 10:
            return net, x
    raise AssertionError("the full-budget instance list changed")


@pytest.mark.theorem("T2")
def test_milp_solver_lines_do_not_reach_stdout(capfd, monkeypatch) -> None:
    net, x = _chatty_instance()
    # guard: without the redirect this instance does print on fd 1 (else this test could not fail)
    with monkeypatch.context() as m:
        m.setattr(exact_robustness, "c_stdout_to_stderr", contextlib.nullcontext)
        exact_robustness.milp_radius(net, x, "linf", R=1.5)
        _flush_c_stdio()
    if "HighsMipSolverData" not in capfd.readouterr().out:
        pytest.skip("this HiGHS build does not print on this instance")
    r = exact_robustness.milp_radius(net, x, "linf", R=1.5)
    _flush_c_stdio()
    out, err = capfd.readouterr()
    assert out == "" and "HighsMipSolverData" in err and r.outcome == "verified"


def test_redirect_restores_stdout(capfd) -> None:
    import os

    with c_stdout_to_stderr():
        os.write(1, b"to stderr\n")
    os.write(1, b"to stdout\n")
    out, err = capfd.readouterr()
    assert out == "to stdout\n" and err == "to stderr\n"
