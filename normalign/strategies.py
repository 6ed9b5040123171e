"""Hypothesis strategies for the whole project, in one documented place.

Every array is drawn with ``hypothesis.extra.numpy.arrays`` so that a failing example shrinks towards
small, simple values (zeros, small integers, few dimensions). Elements are bounded floats without NaN
or inf: the claims are about finite inputs, and bad input is tested separately against clear errors.
Add a strategy here (with a docstring saying what it draws and why its bounds) rather than in a test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

if TYPE_CHECKING:
    from normalign.numerics.engine.network import CPANetwork

ELEMENT_BOUND: float = 4.0
"""Entries lie in [-4, 4]: wide enough for every sign pattern, small enough that products over a few
layers stay far from overflow and the relative tolerances of ``normalign.numerics.tolerances`` apply."""


SMALLEST: float = 1e-6
"""Entries are 0 or of size >= 1e-6. Products of a few dozen entries then stay above ~1e-100, far from
float64's subnormal range (< 2.2e-308) where rounding is no longer relative and the relative tolerances
of ``normalign.numerics.tolerances`` stop meaning anything (a weight of 5e-161 drove a power-distance scale to
overflow). Exact zeros, the interesting degenerate case, are kept."""


def floats(bound: float = ELEMENT_BOUND) -> st.SearchStrategy[float]:
    """Finite float64 in [-bound, bound], 0 or of size >= SMALLEST (shrinks towards 0)."""
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, width=64).map(
        lambda v: 0.0 if abs(v) < SMALLEST else v)


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
    """A random CPA network (``normalign.numerics.engine.network.CPANetwork``): 1-3 hidden layers of width 1-5, weights
    drawn as whole arrays so they shrink to small networks with small weights. ``bias=None`` draws
    whether the network has biases; hidden activations are drawn from ``activations``, the last layer
    is the identity."""
    from normalign.numerics.engine.network import CPANetwork

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


# ---------------------------------------------------------------------------- R1: aligned Jacobians
@st.composite
def aligned_jacobian_batches(draw: st.DrawFn, max_n: int = 6, max_c: int = 4, max_d: int = 5
                             ) -> tuple[np.ndarray, np.ndarray]:
    """(U, X): n points x_i in R^d and output factors u_i in R^c (n <= 6, c <= 4, d <= 5), so that
    J_i = u_i x_i^T is a normal-aligned Jacobian (D1; R1's hypothesis). Entries in [-4, 4] (zeros
    allowed: the identity must hold for u_i = 0 or x_i = 0 too); shrinks to one point, c = d = 1.
    Entries are 0 or >= SMALLEST in size (see ``floats``)."""
    n = draw(st.integers(1, max_n))
    c = draw(st.integers(1, max_c))
    d = draw(st.integers(1, max_d))
    el = floats()
    return draw(arrays(np.float64, (n, c), elements=el)), draw(arrays(np.float64, (n, d), elements=el))


# ---------------------------------------------------------------------------- L1, T1, T1', T2 (issue 3)
@st.composite
def minnorm_cases(draw: st.DrawFn, max_c: int = 4, max_d: int = 4) -> dict:
    """L1 instances: x (||x|| >= 1e-3, so the bias-free form is defined), target z, and a matrix N whose
    part orthogonal to a (= x~ or x) is added to the closed form; ``bias`` drawn. Shrinks to c = d = 1,
    zeros in z and N."""
    c = draw(st.integers(1, max_c))
    d = draw(st.integers(1, max_d))
    bias = draw(st.booleans())
    return dict(c=c, d=d, bias=bias, x=draw(nonzero_vectors(d)), z=draw(vectors(c)),
                N=draw(matrices(c, d + (1 if bias else 0))))


@st.composite
def logit_ball_cases(draw: st.DrawFn, losses: tuple[str, ...] = ("ce", "sq", "logistic"),
                     max_c: int = 5, max_R: float = 8.0) -> dict:
    """T1 after L1: a loss, c classes (c >= 2 for cross-entropy, c = 1 for logistic with y = +-1), label y,
    logit radius R = 0 or in [SMALLEST, 8] (so exp(-R s) stays far from underflow and R z stays far from
    the subnormal range) and a point z = t R u / ||u|| of the ball (u a drawn direction, t in [0, 1];
    z = 0 when u = 0). Shrinks to R = 0, small c."""
    loss = draw(st.sampled_from(losses))
    c = 1 if loss == "logistic" else draw(st.integers(2 if loss == "ce" else 1, max_c))
    y = draw(st.sampled_from([-1, 1])) if loss == "logistic" else draw(st.integers(0, c - 1))
    R = draw(st.floats(0.0, max_R, allow_nan=False, allow_infinity=False).map(lambda r: 0.0 if r < SMALLEST else r))
    t = draw(st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False))
    return dict(loss=loss, c=c, y=y, R=R, t=t, u=draw(vectors(c)))


@st.composite
def rank_one_cases(draw: st.DrawFn, max_c: int = 4, max_d: int = 4) -> dict:
    """T1': cross-entropy with c in 2..4 classes, a rank-one J = alpha u v^T / (||u|| ||v||) (u, v, x with
    norm >= 1e-3, alpha in [0.1, 3] so R = alpha ||x|| <= 3 * 8 keeps exp(-R s) representable)."""
    c = draw(st.integers(2, max_c))
    d = draw(st.integers(1, max_d))
    return dict(c=c, d=d, y=draw(st.integers(0, c - 1)), u=draw(nonzero_vectors(c)), v=draw(nonzero_vectors(d)),
                x=draw(nonzero_vectors(d)), alpha=draw(st.floats(0.1, 3.0)))


@st.composite
def robust_cases(draw: st.DrawFn, max_c: int = 4, max_d: int = 4) -> dict:
    """T2(a): x != 0, v with v_y > v_k + 0.5 (so v_y != v_k), bias b with b_y >= 1 and |b_k| <= 1 (so the
    point is classified y: z_y - z_k > 0.5), and N whose part orthogonal to x is added to the aligned
    J = v x^T / ||x||^2 (so J x = v still holds)."""
    c = draw(st.integers(2, max_c))
    d = draw(st.integers(1, max_d))
    y = draw(st.integers(0, c - 1))
    v = draw(vectors(c)).copy()
    v[y] = float(np.max(np.abs(v))) + 0.5 + draw(st.floats(0.0, 2.0))
    b = draw(vectors(c, bound=1.0)).copy()
    b[y] = abs(b[y]) + 1.0
    return dict(c=c, d=d, y=y, x=draw(nonzero_vectors(d)), v=v, b=b, N=draw(matrices(c, d)))
