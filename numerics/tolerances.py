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

LOCAL_SEARCH_GTOL: float = 1e-10
"""Not a rounding tolerance: the gradient-norm stopping rule of the scipy BFGS local searches that try to
beat a convex optimum (T1'). Without an analytic gradient BFGS differences the loss, with an error of
~ sqrt(EPS) ~ 1e-8 on losses of order 1; 1e-10 lies below that on purpose, so BFGS runs until it can
improve no further (it then reports precision loss; only ``res.fun`` is used). The objective is then
within ~ (1e-8)^2 / curvature of the local minimum, far below LOCAL_SEARCH_TOL."""

LOCAL_SEARCH_TOL: float = 1e-7
"""A non-convex local search (scipy BFGS, gradient tolerance LOCAL_SEARCH_GTOL on losses of order 1) that would
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

P4_ALPHA: float = 1e-3
"""P4/D4 orderings over seeds: one-sided paired Student-t test; the claim 'regime A above regime B' is
accepted when the 1 - P4_ALPHA lower confidence bound of the mean difference is positive. The
false-alarm rate (accepting an ordering that is false in the mean) is at most 1e-3 per comparison
under the t model; with 5 seeds (df = 4) the quantile is 7.17, so only large, consistent gaps pass."""

P4_SPAN_IDENTITY_TOL: float = 1e-10
"""P4's exact mechanism: after T <= 4000 GD steps the out-of-span part of W_1(T) - (1-lr wd)^T W_1(0)
is pure rounding: each step adds ~ EPS * (d + n) relative error (a (2m x n)(n x d) product and the
decay), so after T steps ~ T (d + n) EPS = 4000 * 220 * 2.2e-16 ~ 2e-10 relative to the update's
size in the worst case, usually sqrt(T) of that by cancellation of random roundings; relative to
||W_1(T)|| (>= the update) 1e-10 is the first-order bound for T ~ 2000 (quick level)."""

XRFM_JITTER: float = 1e-8
"""xrfm (the reference RFM) adds 1e-8 * I to its max-normalised M before the matrix square root
(``xrfm.rfm_src.utils.stable_matrix_power``, in place, so its stored M carries it too): a deliberate
perturbation of relative size 1e-8, far above float64 rounding, which bounds how closely any other
implementation can agree with it."""

XRFM_M_TOL: float = 100 * XRFM_JITTER
"""Relative max-entry agreement of our M with xrfm's (same data, kernel, ridge, max-normalisation)
after <= 3 AGOP updates: each update carries the 1e-8 jitter, and the AGOP map, a smooth function of
M, can amplify a perturbation by at most its Lipschitz factor per update; 100x the jitter allows a
factor ~4.6 per update over 3 updates. A genuine difference (normalisation, missing M in the gradient,
cusp convention) moves M by O(1e-2) or more."""


def xrfm_pred_tol(cond: float) -> float:
    """Relative agreement of predictions with xrfm's: the final fit solves (K + ridge I) alpha = Y with
    K perturbed by ~ XRFM_M_TOL relative (through M), so alpha moves by at most cond(K + ridge I) times
    that (first-order perturbation bound of a linear solve), with the SAFETY factor."""
    if not (cond >= 1 and math.isfinite(cond)):
        raise ValueError(f"cond must be a finite number >= 1, got {cond!r}")
    return SAFETY * XRFM_M_TOL * cond


ACC_NOISE_Z: float = 2.0
"""'Accuracy within noise': two binomial standard errors of a difference of two accuracies on the same
m test points, 2 sqrt(2 p (1 - p) / m), plus one point's worth 1/m for the discreteness. Statistical,
not a rounding tolerance."""

G1_Z_CRIT: float = 4.891638
"""G1 unbiasedness z-test: the two-sided critical value of the standard normal at alpha = 1e-6
(scipy.stats.norm.isf(5e-7) = 4.8916). With >= 20000 draws of a variable with finite fourth moment
(c ||J^T v||^2 is bounded by c ||J||_2^2) the normal approximation of the mean is accurate far into
the tail (Berry-Esseen error ~ 1/sqrt(draws) ~ 0.007), so a true claim is rejected with probability
~ 1e-6 per point; the seeds are fixed, so the test is also reproducible."""


# --------------------------------------------------------------------------------------------------
# PD, P1, P2, exact regions and exact robustness (numerics/pd_checks.py, regions.py, exact_robustness.py)

def region_row_tol(depth: int, width: int) -> float:
    """Relative rounding of a region's half-space row ``(E_l, e_l)`` of layer ``depth`` (1-based), measured
    against the same products in absolute value (``|W_l| ... |W_1|``, which bounds cancellation): forming
    ``E_l`` is a product of ``depth`` matrices of width ``width`` (``matmul_tol``), and normalising the row
    and evaluating its signed distance at a point add about as much again: twice ``matmul_tol``. A
    region's slack at ``x`` is then known to ``region_row_tol * (|E| ||x|| + |e|) / ||E_l||`` (its
    *resolution*). The box size enters only through ``||x||`` at the point in question: a region near
    the origin is resolved to ~1e-15 (times the cancellation ratio ``|E| / ||E_l||``) inside a box of
    half-width 1e5 as in one of half-width 1, while a region at distance 1e5 is resolved to ~1e-10
    (float64 spacing there is 1.5e-11). A region is certified when a ball of positive radius about its
    centre survives these errors; one thinner than that is reported as thin, never dropped. (The old
    enumerator's probe step, ``max(1e-7 diam, ...)``, scaled with the whole box: 3e-2 for a 1e5 box,
    stepping over regions of inradius 1e-4 near the origin.)"""
    return 2.0 * matmul_tol(depth, width)


PARALLEL_ROWS_TOL: float = 1e3 * EPS
"""Two unit half-space rows are parallel when the part of one orthogonal to the other is below this: a
computed unit vector is exact to a few EPS per entry, so parallel rows (a deeper unit sharing a layer-1
hyperplane, an axis-aligned hyperplane and a box side) differ by ~10 EPS; 1e3 EPS = 2.2e-13 keeps a
hundredfold margin, far below the angle between any two distinct hyperplanes we could resolve."""

VERTEX_MERGE_TOL: float = 1e3 * EPS
"""Polygon vertices closer than this (relative to 1 + the largest coordinate) are one vertex: qhull
returns a degenerate vertex (three or more hyperplanes through it) once per pair, differing by rounding
(~10 EPS relative). Merging only removes zero-length edges; areas are unchanged."""

MILP_FLIP_MARGIN: float = 1e-6
"""Class-change margin of the *fallback* witness problems (MILP or region LP/QP), relative to the logit
scale ``1 + |f(x)|``: asked for ``z_k - z_y >= margin`` when no strict flip was found next to an exact tie
point, so that after HiGHS's primal feasibility tolerance (1e-7 absolute on rows with O(1)
coefficients) and float64 re-evaluation (~1e-15 relative) the point still changes the class *strictly*
in the numpy forward pass. Tenfold over the solver's feasibility tolerance. It never enters a lower
bound: the margin problem's optimum lies beyond strict flips (by up to margin / ||J_k - J_y||, or
arbitrarily far when the gap peaks below the margin)."""

def witness_gap_margin(depth: int, width: int, scale: float) -> float:
    """Logit-gap margin asked of a witness found next to a tie point whose ray gives no strict flip: the
    forward pass computes the gap to ``matmul_tol(depth, width) * scale`` (``scale = 1 +`` the gap's terms
    in absolute value at the tie point, ``|g| |h| + |g0|``: near a tie ``|f|`` itself is ~0), so a
    point with ``gap >= SAFETY`` times that changes the class strictly after re-evaluation. It moves the
    witness by ``margin / ||J_k - J_y||``, ~1e-13 relative here, far inside EXACT_RADIUS_TOL."""
    return SAFETY * matmul_tol(depth, width) * scale


MILP_BOUND_SLACK: float = 10.0 * SOLVER_FEAS_TOL
"""Relative slack taken off HiGHS's MIP dual bound to make it a lower bound of the tie distance. Strict
flips are feasible for the tie problem (``gap >= 0``) and the solver's feasibility tolerance only enlarges
its feasible set, so the bound can only be high through the LP relaxations' dual feasibility tolerance
(1e-7 on the unit cost of the distance variable; the MIP gap MILP_REL_GAP = 1e-9 is far below). Tenfold over it: 1e-6
relative. Measured: on 48 random 2-d networks (L-inf and L1) the bound equals the exact tie distance of
the region enumeration (numpy dual certificates) to 3e-14 relative."""

EXACT_RADIUS_TOL: float = 1e-5
"""Width of a verified radius bracket, ``radius - lower <= EXACT_RADIUS_TOL * radius``, and agreement of
two exact-radius routes (MILP vs region enumeration, region search vs enumeration), relative to the
radius. The upper end is a strict flip within ``2^-52`` relative of an exact tie point (or the margin
fallback, ~MILP_FLIP_MARGIN / ||J_k - J_y|| ~ 1e-6 on the O(1)-logit networks here); the lower end is a
numpy dual certificate tight to rounding when the solver's multipliers are exact (HiGHS vertices, the
active-set polish of the QP), ~1e-8 when they are Clarabel's, or the MILP dual bound less
MILP_BOUND_SLACK (1e-6 relative). 1e-5 is tenfold over the widest of these; no tighter claim is made
for solvers."""

METRIC_SYMMETRY_TOL: float = 1e-10
"""Input check that a Mahalanobis matrix M is symmetric, relative to max |M_ij|: an M formed as a Gram,
covariance or AGOP sum of up to 10^4 terms is symmetric only up to rounding, at most
rel_tol(10^4) = 2.2e-11 relative; 1e-10 accepts those and rejects any genuinely non-symmetric input."""

GRAM_REFINE_REL: float = 1e-8
"""The scores-only path forms ``J J^T = A (W_1 W_1^T) A^T``; its absolute rounding error is about
``matmul_tol * ||A||_F^2 ||W_1 W_1^T||_2``, bounded above by the Frobenius norm of ``W_1 W_1^T`` (the
engine uses that bound: cheaper, and it can only refine more points). Where that bound exceeds ``GRAM_REFINE_REL`` times the
computed trace (relative error of ||J||_F^2 possibly above 1e-8, i.e. J tiny against its factors) the
engine recomputes those points from an explicit J, whose error is relative to ||J|| itself."""


# --------------------------------------------------------------------------------------------------
# Every output of ``normalign analyze`` against the torch oracle (numerics/checks/definitions/outputs.py,
# numerics/checks/robustness/local_radius.py). Values are compared at ``matmul_tol`` times their
# absolute-value rounding scale; these two constants decide which points are left out, not how close.

SCORE_KAPPA_MAX: float = 1e6
"""A Jacobian with ``kappa = (||J_abs||_F / ||J||_F)^2`` above this (J tiny against the product of the
absolute values of its factors, by cancellation) has scores that float64 determines only to
``kappa * matmul_tol ~ 1e6 * 1e-13 = 1e-7``, i.e. not at the SCORE_TOL scale whatever the route; such
points are counted and skipped. The random networks of the checks give kappa below 1e2 almost everywhere."""

TIE_REL: float = 1e-6
"""T2(a): two classes whose boundary distances agree to this relative amount make the nearest boundary
point ambiguous (either projection is a nearest point), so the point comparison skips them. The radius
itself is computed to ``kappa * matmul_tol <= 1e3 * 1e-13 = 1e-10`` relative here; 1e-6 is four decades
above that and far below any real gap between two classes' distances."""


# --------------------------------------------------------------------------------------------------
# Exact robustness (numerics/engine/exact_robustness.py): solver settings and the polish of solver points.
# None of these enters a certified bound: each only decides how tight a bracket gets or where a search
# looks, and every answer is re-checked in numpy (dual certificates, forward-pass witnesses).

ACTIVE_SET_CANDIDATES_ABS: tuple[float, float] = (1e-9, 1e-6)
"""Not tolerances: the first two candidate active sets of the QP polish (``_active_set_projection``) are
the rows whose slack at Clarabel's point is below these fractions of ``scale = 1 + max|x| + max|w|``.
Clarabel stops ~1e-8 relative short of the boundary, so 1e-9 picks the rows it made exactly active and
1e-6 those it left short. A candidate is kept only if it passes the KKT test (ACTIVE_SET_PRIMAL_TOL,
ACTIVE_SET_DUAL_TOL); a wrong candidate costs a try, never a wrong answer."""

ACTIVE_SET_CANDIDATES_REL: tuple[float, float] = (1e-3, 1e-1)
"""Not tolerances: the last two candidate active sets of the QP polish, rows with slack below these
fractions of the solver's distance ``||w - x||``, for degenerate problems where the solver's point is far
from a vertex of the active set; same KKT gate as ACTIVE_SET_CANDIDATES_ABS."""

ACTIVE_SET_PRIMAL_TOL: float = 1e-12
"""KKT primal feasibility of a polished QP point ``p = x - A_S^T lam``: ``A p - b <= tol * scale * (1 + |b|)``.
``p`` comes from a least-squares solve of ``A_S A_S^T lam = A_S x - b_S`` and a product; its rows' residual
rounds to ~ ``d cond(A_S) EPS scale`` (rows of A are O(1)). 1e-12 = rel_tol(450): it accepts
``d cond(A_S)`` up to ~450 with the tenfold SAFETY. A rejected polish only loosens the bracket (Clarabel's
own multipliers, ~1e-8 relative), and an accepted point is re-verified downstream (witness forward pass,
dual certificate of any multipliers)."""

ACTIVE_SET_DUAL_TOL: float = 1e-9
"""KKT dual feasibility of the polish: multipliers count as >= 0 when ``lam >= -tol * (1 + max|lam|)``.
The normal equations ``A_S A_S^T`` square the condition number, so lam carries a relative error of
~ ``cond(A_S)^2 EPS``; 1e-9 = 4.5e6 EPS accepts cond(A_S) up to ~670 with the tenfold SAFETY. The
certificate clips lam at 0 (``dual_lower_bound``), so a slightly negative multiplier can only loosen it."""

MILP_REL_GAP: float = 1e-9
"""Not a rounding tolerance: HiGHS's stopping rule ``mip_rel_gap`` for the exact-radius MILP (default 1e-4).
The MILP stops when primal objective and dual bound agree to this relative gap, far inside
MILP_BOUND_SLACK (1e-6) and EXACT_RADIUS_TOL (1e-5), so neither the bound nor the tie point's optimality
limits the bracket; the LP relaxations' own tolerances (1e-7) are what MILP_BOUND_SLACK covers."""

KINK_PROBE_STEP: float = 1e-8
"""Not a rounding tolerance: the step, relative to ``1 + ||w0||``, of ``strict_witness``'s probes
``w0 + step u`` that find the regions touching a tie point ``w0`` (when the ray through it gives no strict
flip). It must put each probe certainly off the hyperplanes through ``w0``, whose position is known to
their resolution (``region_row_tol`` ~ 1e-13 relative, times cancellation ratios up to ~1e3 on the
networks here: <= 1e-10), and stay inside the regions meeting ``w0`` (any region thicker than 1e-8
relative there is reached). It only searches for an upper end: a region missed leaves the answer
inconclusive, never wrong."""


# --------------------------------------------------------------------------------------------------
# Which points or cases the checks compare (numerics/checks/**). Thresholds of a hypothesis or of a
# well-conditioned comparison, not rounding tolerances: each says what it excludes and why that is safe.

NA_GAP_MIN: float = 1e-3
"""Normal alignment is compared with an SVD oracle only where the top singular value is separated:
``gap = (s_1^2 - s_2^2) / s_1^2 >= NA_GAP_MIN``. NA is the angle to the top singular vector, whose
perturbation is ~ EPS / gap (Davis-Kahan), hence the comparison tolerance ``SCORE_TOL / gap``; at gap 0 NA
is not even continuous in J. Below 1e-3 that tolerance would exceed 1e-7 (= ALIGNED_TOL), too loose to
mean anything, so such points are skipped (counted as residual 0), not compared loosely."""

GRAM_PATH_MIN_NORM: float = math.sqrt(float(np.finfo(np.float64).tiny) / EPS)
"""The D1 Gram-vs-SVD property test skips Jacobians with ``||J||_F`` below this (residual 0): J = 0, whose
scores are undefined, and J so small that its squares leave float64's normal range. For J != 0 the
scores are scale-invariant and rounding is relative as long as the Gram route's squared entries are
normal: ``||J||^2 >= tiny / EPS`` (tiny = 2.2e-308, the smallest normal), i.e. ``||J|| >= 1.0e-146``;
below it the subnormal squares' absolute error (~tiny per term) exceeds EPS ||J||^2. Measured: Gram and
SVD agree to 7e-16 for ||J|| from 1 down to 1e-150 and differ by 8e-4 at 1e-160. (The value used to be
1e-3, which had no reasoning behind it and dropped valid small J, ||J|| in [1e-6, 1e-3), from the
comparison.)"""

BOUNDARY_CLEARANCE: float = 1e-9
"""Points at which a PD check compares activation patterns must be off every boundary of the layer: a
pre-activation ``|z_k| > BOUNDARY_CLEARANCE (1 + max |z|)``. The pattern of a point within rounding of a
boundary is either side's; z is computed to ``matmul_tol * (1 + max|z|)`` ~ 1e-13 relative on the small
networks of the checks, so 1e-9 keeps four decades of margin while excluding almost no random point.
The same 1e-9 is the 'near a boundary' distance of the PD check's hit-and-run points
(numerics/checks/centroid/power_diagram.py NEAR)."""

P1_SUM_MIN: float = 1e-6
"""P1's hypothesis ``1^T u != 0``, made robust: points with ``|1^T u| < P1_SUM_MIN ||u||`` are outside it
and not counted. The engine's sum rounds to ~ ``matmul_tol * ||u||_1`` (< 1e-12 ||u|| on the networks of
the check), so above 1e-6 the sign of ``1^T u``, which the conclusion CA = sign(1^T u) is about, is
determined by six decades; closer to 0 it may legitimately round either way."""

CA_REPLAY_TOL: float = 1e-12
"""Replay of a saved P1 counterexample: it still fails when CA is undefined or differs from sign(1^T u)
by more than this. CA of an aligned point is a cosine of mu = (1^T u) x with x, 1 to ~ d EPS
(< 1e-14 here); a genuine counterexample is off by O(1) (CA = -sign or undefined), so 1e-12 separates
them with a hundredfold margin either side."""

WITNESS_NORM_RTOL: float = 1e-12
"""A reported exact radius must be the norm of its witness: the check recomputes ``||w - x||`` with numpy
(another summation order than the engine's possibly), which differs by at most ~ d EPS relative; 1e-12 =
rel_tol(450) allows d up to 450 with the tenfold SAFETY (the checks use d <= 8). A radius taken from
anywhere else (the tie distance, a solver objective) differs by far more."""

FIT_LOGIT_MIN: float = 1e-3
"""P2's scalar-fit instances need ``|f(x)| >= FIT_LOGIT_MIN``: the read-out is rescaled by ``y / f(x)`` to fit a
label +-1, and the computed f(x) carries an absolute rounding of ~ matmul_tol times its terms in absolute
value (O(1) here: entries <= 4, ``||x||`` of order 1), so near f(x) = 0 that rescaling would amplify
rounding without bound. Above 1e-3 the amplification is at most ~1e3 relative to O(1) terms. Not a
rounding tolerance: a domain restriction of the check (f(x) = 0 cannot be fitted at all)."""

ORTHOGONAL_PART_MIN: float = 1e-3
"""T1(b)'s planted 'not binding' variant adds a direction ``N_perp`` orthogonal to ``a``; instances with
``||N_perp|| < ORTHOGONAL_PART_MIN (1 + ||N||)`` have nothing orthogonal to add (residual 0). Not a
rounding tolerance: the projection is exact to ~ d EPS ||N||, and the variant normalises N_perp, so it
needs N_perp well above rounding; 1e-3 keeps its direction accurate to ~1e-13 / 1e-3 = 1e-10."""

SUBNORMAL_MARGIN: float = 1e-150
"""P1's property test counts a drawn case only when ``max|u|`` and ``max|x|`` are at least this: the
engine forms products of two such factors (mu = (1^T u) x, ||mu||^2), and with factors below 1e-150 a
product (< 1e-300) comes within a few orders of float64's subnormal range (< 2.2e-308), where rounding
is absolute, not relative, so the relative tolerances above no longer bound the error. Not a rounding
tolerance: a domain restriction of the test, like GRAM_PATH_MIN_NORM (same reasoning, sqrt(tiny / EPS)
~ 1e-146, rounded up to a power of ten)."""


# --------------------------------------------------------------------------------------------------
# Oracles that compute in float32 (tests only).

F32_ORACLE_TOL: float = SAFETY * 16 * 128 * 2.0**-24
"""onnxruntime (the ONNX tests' oracle) computes in float32 (unit roundoff 2^-24): an output of at most
16 layers whose dot products have at most 128 terms carries a relative error of at most depth x length x
2^-24 of the scale of its terms, with the SAFETY factor: 1.2e-3 of the output's scale. A misread
attribute (pads order, batch-norm sign, transB) moves outputs by O(1) of that scale."""
