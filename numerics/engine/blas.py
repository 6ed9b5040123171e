"""Large float64 matrix products on the fastest BLAS at hand.

The engine's cost is a few large products per layer (see ``geometry``). numpy's wheels bundle OpenBLAS;
torch's CPU wheel bundles MKL, which on this project's machines runs these shapes (hundreds of
thousands of rows times a few hundred columns, float64) faster. :func:`matmul` hands products above
``TORCH_MIN_FLOPS`` to torch on zero-copy views of the numpy arrays (the result is written into a numpy
array, so callers see numpy only) and keeps small ones on numpy, where torch's call overhead would
dominate. The values are the same products up to the summation order of the BLAS (relative error
``matmul_tol`` either way; ``numerics/tolerances.py``). torch is imported on first use, not at import.
"""

from __future__ import annotations

import numpy as np

TORCH_MIN_FLOPS: float = 2e7
"""Products with fewer multiply-adds than this stay on numpy (torch's per-call overhead is some
microseconds; at this size the product itself takes about a millisecond)."""


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``a @ b`` for float64 arrays (2-d, or batched 3-d with matching batch), into ``out`` if given."""
    if (a.dtype != np.float64 or b.dtype != np.float64 or a.ndim < 2 or b.ndim < 2
            or not (a.flags.writeable and b.flags.writeable)  # torch.from_numpy wants writable memory
            or min(a.strides + b.strides) < 0):  # and no negative strides
        return np.matmul(a, b, out=out)
    flops = float(np.prod(a.shape, dtype=np.float64)) * b.shape[-1]
    if flops < TORCH_MIN_FLOPS:
        return np.matmul(a, b, out=out)
    import torch

    ta, tb = torch.from_numpy(a), torch.from_numpy(b)  # strided views, no copies
    if out is None:
        return torch.matmul(ta, tb).numpy()
    if not out.flags.c_contiguous:
        out[...] = torch.matmul(ta, tb).numpy()
        return out
    torch.matmul(ta, tb, out=torch.from_numpy(out))
    return out
