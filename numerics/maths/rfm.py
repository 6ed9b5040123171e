"""Recursive Feature Machines (RFM) and their normal-aligned initialisation (RFAM), in float64 numpy.

Model (Radhakrishnan et al., Science 2024). Laplace kernel with a Mahalanobis (semi)norm

    K_M(x, z) = exp(-||x - z||_M / L),     ||v||_M = sqrt(v^T M v),  M symmetric PSD,

kernel ridge regression on one-hot targets Y (n x c): alpha = (K_M(X, X) + ridge I)^{-1} Y, predictor
f(z) = sum_i alpha_i K_M(x_i, z) in R^c. Its Jacobian, analytically (z != x_i):

    grad_z K_M(x_i, z) = -(1/L) K_M(x_i, z) M (z - x_i) / ||z - x_i||_M,
    J(z) = -(1/L) [ (sum_i alpha_i w_i) z^T - sum_i alpha_i w_i x_i^T ] M,   w_i = K_M(x_i, z)/||z - x_i||_M.

At z = x_i the kernel has a cusp; like the reference implementation (xrfm) the term of that centre is
set to 0 (the symmetric subgradient), which matters for the AGOP, evaluated at the training points.

AGOP:  G = (1/n) sum_j J(x_j)^T J(x_j).  RFM iterates  M_{t+1} = normalise(G(M_t)).
RFM starts from M_0 = I; RFAM from M_0 = the training-data covariance. Both normalise M to trace d
(``normalise="trace"``); ``normalise="max"`` divides by the largest entry instead (xrfm's rule, used
only to compare with xrfm exactly).

Identity behind RFAM (R1, ours): if J(x_i) = u_i x_i^T then G = (1/n) sum ||u_i||^2 x_i x_i^T, a weighted
data second moment; with equal weights and centred data that is the covariance, RFAM's M_0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from normalign.numerics import tolerances as tol
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from scipy.spatial.distance import cdist

Init = Literal["identity", "covariance"]
Normalise = Literal["trace", "max"]

CUSP_RADIUS: float = 1e-10
"""Distances ||z - x_i||_M below this count as the centre itself (gradient term set to 0), as in xrfm
(``LaplaceKernel.eps = 1e-10``). An algorithmic convention, not a check tolerance."""


# --------------------------------------------------------------------------------------------------
# validation helpers


def _as_matrix(name: str, A: np.ndarray, ncols: int | None = None) -> np.ndarray:
    A = np.asarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array, got shape {A.shape}")
    if ncols is not None and A.shape[1] != ncols:
        raise ValueError(f"{name} must have {ncols} columns, got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError(f"{name} contains NaN or inf")
    return A


def _check_metric(M: np.ndarray, d: int) -> np.ndarray:
    M = _as_matrix("M", M, d)
    if M.shape != (d, d):
        raise ValueError(f"M must be {d} x {d}, got {M.shape}")
    if np.abs(M - M.T).max() > tol.METRIC_SYMMETRY_TOL * float(np.abs(M).max()):
        raise ValueError("M must be symmetric")
    return 0.5 * (M + M.T)


def _check_positive(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def psd_sqrt(M: np.ndarray) -> np.ndarray:
    """Symmetric square root S of a symmetric PSD M (eigenvalues clipped at 0), so ||v||_M = ||S v||."""
    lam, U = np.linalg.eigh(0.5 * (M + M.T))
    return (U * np.sqrt(np.clip(lam, 0.0, None))) @ U.T


def mahalanobis_distances(Z: np.ndarray, X: np.ndarray, M: np.ndarray) -> np.ndarray:
    """D[j, i] = ||z_j - x_i||_M, computed as Euclidean distances of S z and S x (S = M^{1/2})."""
    S = psd_sqrt(M)
    return cdist(Z @ S, X @ S)


def laplace_kernel(Z: np.ndarray, X: np.ndarray, M: np.ndarray, bandwidth: float) -> np.ndarray:
    """K[j, i] = exp(-||z_j - x_i||_M / L)."""
    return np.exp(-mahalanobis_distances(Z, X, M) / bandwidth)


@dataclass
class KernelPredictor:
    """f(z) = sum_i alpha_i exp(-||z - x_i||_M / L), centres X (n x d), coefficients alpha (n x c)."""

    centers: np.ndarray
    alpha: np.ndarray
    M: np.ndarray
    bandwidth: float

    def __post_init__(self) -> None:
        self.centers = _as_matrix("centers", self.centers)
        d = self.centers.shape[1]
        self.alpha = _as_matrix("alpha", self.alpha)
        if self.alpha.shape[0] != self.centers.shape[0]:
            raise ValueError(f"alpha has {self.alpha.shape[0]} rows for {self.centers.shape[0]} centres")
        self.M = _check_metric(self.M, d)
        self.bandwidth = _check_positive("bandwidth", self.bandwidth)

    @property
    def d(self) -> int:
        return self.centers.shape[1]

    @property
    def c(self) -> int:
        return self.alpha.shape[1]

    def predict(self, Z: np.ndarray) -> np.ndarray:
        """Outputs f(Z), shape (m, c)."""
        Z = _as_matrix("Z", Z, self.d)
        return laplace_kernel(Z, self.centers, self.M, self.bandwidth) @ self.alpha

    def forward(self, Z: np.ndarray, *, _apply_metric: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Outputs (m, c) and analytic Jacobians (m, c, d) at the rows of Z, sharing one kernel matrix.
        (``_apply_metric=False`` drops the final factor M: only for the planted-false check.)"""
        Z = _as_matrix("Z", Z, self.d)
        D = mahalanobis_distances(Z, self.centers, self.M)  # (m, n)
        K = np.exp(-D / self.bandwidth)
        F = K @ self.alpha
        with np.errstate(divide="ignore", invalid="ignore"):
            W = np.where(D >= CUSP_RADIUS, K / D, 0.0)  # (m, n), cusp terms set to 0
        A = W @ self.alpha  # (m, c): sum_i alpha_il w_ji
        n, c, d = self.centers.shape[0], self.c, self.d
        AX = (self.alpha[:, :, None] * self.centers[:, None, :]).reshape(n, c * d)
        B = (W @ AX).reshape(Z.shape[0], c, d)  # sum_i alpha_il w_ji x_i
        G = A[:, :, None] * Z[:, None, :] - B
        J = -((G @ self.M) if _apply_metric else G) / self.bandwidth
        return F, J

    def jacobians(self, Z: np.ndarray) -> np.ndarray:
        """Analytic Jacobians df/dz at the rows of Z, shape (m, c, d)."""
        return self.forward(Z)[1]


def fit_kernel_ridge(X: np.ndarray, Y: np.ndarray, M: np.ndarray, bandwidth: float, ridge: float) -> KernelPredictor:
    """Kernel ridge regression: alpha = (K_M(X, X) + ridge I)^{-1} Y (Cholesky; K is PSD, ridge > 0)."""
    X = _as_matrix("X", X)
    Y = _as_matrix("Y", Y)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
    ridge = _check_positive("ridge", ridge)
    bandwidth = _check_positive("bandwidth", bandwidth)
    M = _check_metric(M, X.shape[1])
    K = laplace_kernel(X, X, M, bandwidth)
    K[np.diag_indices_from(K)] += ridge
    try:
        alpha = cho_solve(cho_factor(K, lower=True), Y)
    except LinAlgError as exc:  # K + ridge I is PD in exact arithmetic; report, never hide
        raise ValueError(f"kernel matrix + ridge is not numerically positive definite: {exc}") from exc
    return KernelPredictor(X, alpha, M, bandwidth)


def agop(J: np.ndarray) -> np.ndarray:
    """Average gradient outer product (1/n) sum_j J_j^T J_j for Jacobians J of shape (n, c, d)."""
    J = np.asarray(J, dtype=np.float64)
    if J.ndim != 3 or J.shape[0] == 0:
        raise ValueError(f"J must have shape (n, c, d) with n >= 1, got {J.shape}")
    return np.einsum("jld,jle->de", J, J) / J.shape[0]


def normalise_metric(G: np.ndarray, how: Normalise = "trace") -> np.ndarray:
    """Rescale a PSD matrix: to trace d (``trace``) or to largest entry 1 (``max``, xrfm's rule)."""
    G = 0.5 * (G + G.T)
    if how == "trace":
        t = float(np.trace(G))
        if not (t > 0 and np.isfinite(t)):
            raise ValueError(f"cannot trace-normalise a matrix with trace {t!r} (zero AGOP: constant predictor?)")
        return G * (G.shape[0] / t)
    if how == "max":
        m = float(np.abs(G).max())
        if not (m > 0 and np.isfinite(m)):
            raise ValueError("cannot max-normalise a zero matrix")
        return G / m
    raise ValueError(f"unknown normalisation {how!r}; use 'trace' or 'max'")


def initial_metric(X: np.ndarray, init: Init, normalise: Normalise = "trace") -> np.ndarray:
    """M_0: the identity (RFM) or the training-data covariance (RFAM), normalised like every update."""
    X = _as_matrix("X", X)
    d = X.shape[1]
    if init == "identity":
        return normalise_metric(np.eye(d), normalise)
    if init == "covariance":
        if X.shape[0] < 2:
            raise ValueError("the covariance initialisation needs at least 2 training points")
        Xc = X - X.mean(axis=0)
        return normalise_metric(Xc.T @ Xc / (X.shape[0] - 1), normalise)
    raise ValueError(f"unknown init {init!r}; use 'identity' or 'covariance'")


@dataclass(frozen=True)
class RFMConfig:
    """Hyperparameters. ``iters`` AGOP updates are made; the predictor is refitted after each."""

    bandwidth: float = 10.0
    ridge: float = 1e-3
    iters: int = 5
    init: Init = "identity"
    normalise: Normalise = "trace"

    def __post_init__(self) -> None:
        _check_positive("bandwidth", self.bandwidth)
        _check_positive("ridge", self.ridge)
        if not isinstance(self.iters, (int, np.integer)) or isinstance(self.iters, bool) or self.iters < 0:
            raise ValueError(f"iters must be a non-negative integer, got {self.iters!r}")
        if self.init not in ("identity", "covariance"):
            raise ValueError(f"unknown init {self.init!r}")
        if self.normalise not in ("trace", "max"):
            raise ValueError(f"unknown normalisation {self.normalise!r}")


@dataclass
class RFMHistory:
    """Predictors after 0..iters AGOP updates (``predictors[t]`` uses M_t) and the raw AGOPs G(M_t)."""

    predictors: list[KernelPredictor] = field(default_factory=list)
    agops: list[np.ndarray] = field(default_factory=list)


def fit_rfm(X: np.ndarray, Y: np.ndarray, config: RFMConfig = RFMConfig()) -> RFMHistory:
    """Run RFM (init identity) or RFAM (init covariance): fit, AGOP at the training points, normalise."""
    X = _as_matrix("X", X)
    Y = _as_matrix("Y", Y)
    M = initial_metric(X, config.init, config.normalise)
    hist = RFMHistory()
    for t in range(config.iters + 1):
        pred = fit_kernel_ridge(X, Y, M, config.bandwidth, config.ridge)
        hist.predictors.append(pred)
        if t == config.iters:
            break
        G = agop(pred.jacobians(X))
        hist.agops.append(G)
        M = normalise_metric(G, config.normalise)
    return hist


def one_hot(y: np.ndarray, c: int | None = None) -> np.ndarray:
    """One-hot float64 targets (n x c) from integer labels 0..c-1."""
    y = np.asarray(y)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer) or (y.size and y.min() < 0):
        raise ValueError("labels must be a 1-d array of non-negative integers")
    c = int(y.max()) + 1 if c is None else c
    return np.eye(c)[y]


def aligned_identity_residual(X: np.ndarray, J: np.ndarray) -> float:
    """max |AGOP - (1/n) sum ||u_i||^2 x_i x_i^T| / mean ||J_i||_F^2 with u_i = J_i x_i / ||x_i||^2 (the
    u of the aligned part of J_i; for an aligned J_i = u_i x_i^T it is u_i exactly)."""
    u = np.einsum("ncd,nd->nc", J, X) / (X**2).sum(axis=1, keepdims=True)
    rhs = np.einsum("i,id,ie->de", (u**2).sum(axis=1), X, X) / X.shape[0]
    return float(np.abs(agop(J) - rhs).max()) / float(np.mean((J**2).sum(axis=(1, 2))))


__all__ = [
    "CUSP_RADIUS", "KernelPredictor", "RFMConfig", "RFMHistory", "agop", "fit_kernel_ridge", "fit_rfm",
    "initial_metric", "laplace_kernel", "mahalanobis_distances", "normalise_metric", "one_hot", "psd_sqrt",
    "aligned_identity_residual",
]
