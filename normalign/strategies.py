"""Hypothesis strategies for the whole project, in one documented place.

Every array is drawn with ``hypothesis.extra.numpy.arrays`` so that a failing example shrinks towards
small, simple values (zeros, small integers, few dimensions). Elements are bounded floats without NaN
or inf: the claims are about finite inputs, and bad input is tested separately against clear errors.
Add a strategy here (with a docstring saying what it draws and why its bounds) rather than in a test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

ELEMENT_BOUND: float = 4.0
"""Entries lie in [-4, 4]: wide enough for every sign pattern, small enough that products over a few
layers stay far from overflow and the relative tolerances of ``numerics.tolerances`` apply."""


def floats(bound: float = ELEMENT_BOUND) -> st.SearchStrategy[float]:
    """Finite float64 in [-bound, bound] (shrinks towards 0)."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64)


def vectors(dim: int | st.SearchStrategy[int], bound: float = ELEMENT_BOUND) -> st.SearchStrategy[np.ndarray]:
    """A float64 vector of length ``dim``."""
    return arrays(np.float64, dim, elements=floats(bound))


def matrices(rows: int, cols: int, bound: float = ELEMENT_BOUND) -> st.SearchStrategy[np.ndarray]:
    """A float64 matrix of shape (rows, cols)."""
    return arrays(np.float64, (rows, cols), elements=floats(bound))


def nonzero_vectors(dim: int, bound: float = ELEMENT_BOUND, min_norm: float = 1e-3) -> st.SearchStrategy[np.ndarray]:
    """A vector with ||x|| >= min_norm (the theorems assume x != 0; min_norm keeps conditioning sane)."""
    return vectors(dim, bound).filter(lambda v: float(np.linalg.norm(v)) >= min_norm)


# ---------------------------------------------------------------------------- CPA networks
@st.composite
def cpa_networks(draw: st.DrawFn, *, min_layers: int = 1, max_layers: int = 3, max_width: int = 5,
                 input_dim: int | None = None, output_dim: int | None = None, bias: bool | None = None,
                 activations: tuple[str, ...] = ("relu",)) -> "CPANetwork":
    """A random CPA network (``numerics.network.CPANetwork``): 1-3 hidden layers of width 1-5, weights
    drawn as whole arrays so they shrink to small networks with small weights. ``bias=None`` draws
    whether the network has biases; hidden activations are drawn from ``activations``, the last layer
    is the identity."""
    from numerics.network import CPANetwork

    n_layers = draw(st.integers(min_layers, max_layers))
    d = input_dim if input_dim is not None else draw(st.integers(1, max_width))
    c = output_dim if output_dim is not None else draw(st.integers(1, 3))
    widths = [d] + [draw(st.integers(1, max_width)) for _ in range(n_layers - 1)] + [c]
    has_bias = draw(st.booleans()) if bias is None else bias
    Ws = [draw(matrices(o, i)) for i, o in zip(widths, widths[1:])]
    bs = [draw(vectors(o)) if has_bias else None for o in widths[1:]]
    acts = [draw(st.sampled_from(activations)) for _ in range(n_layers - 1)] + ["identity"]
    return CPANetwork.from_arrays(Ws, bs, acts)


def points_for(dim: int, n: int | st.SearchStrategy[int] = st.integers(1, 6)) -> st.SearchStrategy[np.ndarray]:
    """A batch of points of shape (n, dim) with every row non-zero (||x|| >= 1e-3)."""
    shape = st.tuples(n if isinstance(n, st.SearchStrategy) else st.just(n), st.just(dim))
    return arrays(np.float64, shape, elements=floats()).filter(
        lambda X: bool(np.all(np.linalg.norm(X, axis=1) >= 1e-3)))
