"""Every numerical tolerance of the project, reasoned once, here.

Float64 unit roundoff is ``EPS = 2**-52 ~ 2.2e-16``. A quantity computed by a chain of ``k`` floating
point operations on data of scale ``s`` carries a relative error of about ``k * EPS`` (Higham, Accuracy
and Stability of Numerical Algorithms, ch. 3); for a dot product of length ``n`` the bound is
``n * EPS * sum |a_i b_i|``. We take the *work* (length times depth) of the computation as ``k`` and
add a safety factor of 10 for the few roundings the bound does not count. No tolerance here is tuned to
make a check pass; a check that needs a looser one must say why in a new named constant.
"""

from __future__ import annotations

import math

import numpy as np

EPS: float = float(np.finfo(np.float64).eps)
"""Float64 machine epsilon, 2**-52."""

SAFETY: float = 10.0
"""Factor over the first-order rounding bound for roundings the bound does not count."""


def rel_tol(work: float) -> float:
    """Relative tolerance for a result of ``work`` floating point operations: ``SAFETY * work * EPS``."""
    if not (work >= 1 and math.isfinite(work)):
        raise ValueError(f"work must be a finite number >= 1, got {work!r}")
    return SAFETY * work * EPS


def matmul_tol(depth: int, width: int) -> float:
    """Relative tolerance for a product of ``depth`` matrices of width ``width`` (dot products of
    length ``width`` at each of ``depth`` stages)."""
    return rel_tol(max(1, depth) * max(1, width))


SCORE_TOL: float = 1e-10
"""Scores of D1/D2 (cosines, ratios in [0, 1]) compared between two exact routes (Gram path vs SVD):
the SVD of an m x d matrix has backward error ~ max(m, d) EPS ||J||, and a cosine of vectors with
entries O(1) loses at most a further factor sqrt(d); for d <= 1000 this is < 1e-11, so 1e-10 is a
tenfold margin. The squared-angle route (1 - cos^2) loses half the digits near cos = 1, hence
ALIGNED_TOL below for 'is exactly 1' tests."""

ALIGNED_TOL: float = 1e-7
"""'Score equals 1' for an exactly rank-one J = u x^T: NA comes from an eigenvector whose angle error is
~ EPS / gap, and 1 - cos(theta) ~ theta^2 / 2, so a computed cosine is exact to ~EPS; the effective
rank (sum s)^2 / sum s^2 sees the spurious singular values s_2 ~ EPS ||J|| only to first order
(2 s_2 / s_1 ~ 1e-15) but through an eigen-solve of J J^T they are ~ sqrt(EPS) ||J|| = 1.5e-8 ||J||;
1e-7 bounds that with margin."""

SOLVER_FEAS_TOL: float = 1e-7
"""Interior-point solvers (Clarabel, SCS, HiGHS) stop at relative residuals of about 1e-8 by default;
a witness is re-verified in numpy and must satisfy constraints to 1e-7 relative (one decade above
the solvers' stopping rule, never tuned to pass)."""

SOLVER_OBJ_TOL: float = 1e-6
"""Objective values of interior-point solvers against a closed form, relative: the duality gap at
default stopping (~1e-8 relative) times the conditioning of the problems here (<= 1e2)."""


# --------------------------------------------------------------------------------------------------
# R1 (numerics/rfm.py): Laplace-kernel RFM gradients and the AGOP identity


def kernel_grad_tol(n_centers: int, d: int) -> float:
    """Relative tolerance for an RFM Jacobian entry, analytic numpy route vs torch autograd, measured
    against the scale ``sum_i |alpha_i| |grad k_i|`` of the sum that forms it (so cancellation among
    the n centres does not count as error). Each term costs O(d^2) operations (the quadratic form
    (z-x)^T M (z-x) in the autograd route, S(z-x) with S = M^(1/2) in the numpy route, whose eigen
    square root has backward error ~ d EPS ||M||) and there are n terms: work n + d^2, hence
    ``rel_tol(n_centers + d**2)``. Valid away from the cusp: the points compared lie at M-distance
    O(1) from every centre (random Gaussian points), so z - x_i carries no cancellation."""
    return rel_tol(max(1, n_centers) + max(1, d) ** 2)


AGOP_IDENTITY_TOL: float = 1e-11
"""R1 identity AGOP = (1/n) sum ||u_i||^2 x_i x_i^T, both sides in float64, relative to the scale
mean_i ||u_i||^2 ||x_i||^2: the AGOP sums n c outer products (work n c d), the right side n outer
products; with n <= 64, c, d <= 16 the work is <= 64 * 16 * 16 = 16384 and
rel_tol(16384) = 3.6e-11 would do; the autograd Jacobian of the radial model (one tanh, a length-d
dot product) adds ~ d EPS. The check draws n < 30, d < 8, c < 5 (work < 1000, rel_tol 2.2e-12), so
1e-11 keeps a fivefold margin there while a norm-not-squared planted variant is off by O(1)."""

GRAM_SINGULAR_TOL: float = SAFETY * math.sqrt(EPS)
"""Singular values taken as square roots of the eigenvalues of ``G = J J^T``: an eigenvalue error of
``EPS s_1^2`` becomes an absolute singular-value error of up to ``sqrt(EPS) s_1 ~ 1.5e-8 s_1`` for the
small ones. The effective rank (sum s)^2 / sum s^2 then moves by up to ``2 (c - 1)`` times this."""


# --------------------------------------------------------------------------------------------------
# L1, T1, T1', T2 and their boundaries (numerics/convex_checks.py, numerics/boundaries.py)

SOLVER_ARG_TOL: float = math.sqrt(SOLVER_OBJ_TOL)
"""Distance of a solver's minimiser to the closed-form one, relative to its norm. Near a minimiser of
a problem that grows quadratically away from it (L1: objective ||W||^2, modulus 2; T1 logits: a convex
loss on a ball where the constraint binds, curvature of the sphere) an objective error eps moves the
argument by O(sqrt(eps)); so the objective tolerance 1e-6 gives 1e-3 for the argument."""

CLOSED_FORM_TOL: float = rel_tol(64)
"""numpy evaluation of a closed form (L1 map, T1(c)/(d) logits and loss, T2 radius) against the same
quantity recomputed from its definition: at most a few dot products of length <= 32 and one exp/log
per entry, work <= 64, so 10 * 64 * EPS = 1.4e-13 relative to the scale of the terms."""

MISALIGN_SQ_TOL: float = SOLVER_OBJ_TOL
"""Squared misalignment ||N||_F^2 (N = part of W orthogonal to x~) found by a solver, compared with its
closed-form value, relative to the budget alpha (= r^2): it is alpha minus ||z||^2 / X of a solver
optimum, so it inherits the objective tolerance of the solve, relative to alpha."""

MISALIGN_POSITIVE: float = 10.0 * math.sqrt(MISALIGN_SQ_TOL)
"""A misalignment ||N||_F / r (relative to the norm budget r) counts as clearly positive above this:
the noise floor of a solver's misalignment is sqrt(MISALIGN_SQ_TOL) = 1e-3 relative to r (a square
root of the squared quantity above), and we ask for a tenfold margin over it: 1e-2."""

RANK_REL_TOL: float = 10.0 * math.sqrt(SOLVER_OBJ_TOL)
"""Numerical rank of a solver's W: singular values below this fraction of s_1 count as zero. A witness
that is exactly rank one up to solver accuracy has s_2 / s_1 of order sqrt(objective accuracy)
(same reasoning as SOLVER_ARG_TOL); tenfold margin: 1e-2."""

LOCAL_SEARCH_TOL: float = 1e-7
"""A non-convex local search (scipy BFGS, gradient tolerance 1e-10 on losses of order 1) that would
'beat' a convex optimum must do so by more than this absolute amount on the loss: the BFGS stopping
rule leaves an objective error of about gtol^2 / curvature << 1e-7, and the closed form is exact to
CLOSED_FORM_TOL; 1e-7 is far above both and far below any real improvement we look for."""


# ---------------------------------------------------------------- P3, P4, G1 (issue 6)
P3_SLOPE_TOL: float = 0.1
"""P3: the residual of the first-order prediction on x0's region is r(eta) = a eta^2 + b eta^3 + ...
(f(x0; theta) is a polynomial of degree L in theta there), so a local log-log slope between eta and
eta/2 is 2 + (b eta / a) / (2 ln 2) + O(eta^2). The grid starts at a relative parameter step
rho = eta ||grad L|| / ||theta|| = 1e-2 and the ratio b eta / a is of order L rho (ratio of successive
Taylor coefficients of a degree-L polynomial in the relative step), so the slope deviates by about
L rho / (2 ln 2) ~ 0.02 for L = 3. Rounding does not enter: the smallest residual, ~ (rho / 32)^2 |f|
~ 1e-7 |f|, exceeds the rounding of f (~ 1e2 EPS |f|) by eight decades. 0.1 is a fivefold margin; a
wrong prediction (sign, a missing 1/n) leaves an O(eta) residual, slope 1, far outside."""
