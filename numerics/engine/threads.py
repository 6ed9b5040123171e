"""Torch on one thread for the duration of a call, restored afterwards.

Small training runs and per-point autograd loops are faster on one thread on a 2-core machine, and
their results then do not depend on the thread count. Setting it globally would leak into the caller,
so functions that want it are decorated with :func:`single_threaded`.
"""

from __future__ import annotations

import functools
from typing import Callable, TypeVar

F = TypeVar("F", bound=Callable)


def single_threaded(fn: F) -> F:
    """Run ``fn`` with ``torch.set_num_threads(1)``, restoring the previous count afterwards."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        import torch

        prev = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return fn(*args, **kwargs)
        finally:
            torch.set_num_threads(prev)

    return wrapper  # type: ignore[return-value]
