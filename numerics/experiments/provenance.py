"""What a checkpointed result was computed from: SHA-256 digests of data and of the code that computes it.

An experiment resumes a checkpoint only when these digests match the current ones, so a changed data
file or an edited module is recomputed instead of mixed into new results.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def arrays_sha256(*arrays: np.ndarray) -> str:
    """SHA-256 over arrays: each one's dtype, shape and C-order bytes, in order."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode() + b"\0" + a.tobytes() + b"\0")
    return h.hexdigest()


def code_sha256(modules: Sequence[str]) -> str:
    """SHA-256 over the source files of ``modules`` (module name and file bytes, in order); any edit to one
    of them, a docstring included, changes it. Raises ``RuntimeError`` for a module without a source."""
    h = hashlib.sha256()
    for module in modules:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None or not Path(spec.origin).is_file():
            raise RuntimeError(f"cannot locate the source of {module}")
        h.update(module.encode() + b"\0" + Path(spec.origin).read_bytes() + b"\0")
    return h.hexdigest()
