"""Keep standard output for the report: C code that prints goes to standard error instead.

HiGHS's MIP solver (``scipy.optimize.milp``) prints some debug lines with C ``printf``
(``HighsMipSolverData::transformNewIntegerFeasibleSolution tmpSolver.run();``) whatever its output
options say, so ``disp=False`` cannot silence them. :func:`c_stdout_to_stderr` points file descriptor 1
at file descriptor 2 around such a call and flushes C's buffered stdout before pointing it back, so
``normalign verify --json`` stays parseable JSON.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def _flush_c_stdio() -> None:
    """``fflush(NULL)``: write out every C stdio buffer (text printed but not yet written)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - no C library to flush (not Linux/macOS)
        pass


@contextmanager
def c_stdout_to_stderr() -> Iterator[None]:
    """While the block runs, whatever is written to file descriptor 1 lands on file descriptor 2.

    Python's ``sys.stdout`` is flushed first (so earlier report text keeps its place), and C's
    buffers are flushed before fd 1 is restored (so the solver's lines cannot leak out later)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        _flush_c_stdio()
        os.dup2(saved, 1)
        os.close(saved)
