"""Registry checks of R1: kernel gradients against torch autograd and the AGOP identity of normal-aligned predictors."""

from __future__ import annotations

from typing import Literal

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from normalign.numerics import tolerances as tol
from normalign.numerics.engine.threads import single_threaded

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import Conjecture
from normalign.strategies import matrices

Init = Literal["identity", "covariance"]
Normalise = Literal["trace", "max"]

# --------------------------------------------------------------------------------------------------
# validation helpers
from normalign.numerics.maths.rfm import (
    KernelPredictor,
    RFMConfig,
    agop,
    aligned_identity_residual,
    fit_rfm,
    mahalanobis_distances,
    one_hot,
)


def _torch_jacobians(pred: KernelPredictor, Z: np.ndarray) -> np.ndarray:
    """Oracle: Jacobians of the same predictor by torch autograd on the kernel formula written with the
    quadratic form sqrt((z-x)^T M (z-x)) (not the square-root factor used by the numpy route)."""
    import torch

    Xc = torch.tensor(pred.centers, dtype=torch.float64)
    A = torch.tensor(pred.alpha, dtype=torch.float64)
    Mt = torch.tensor(pred.M, dtype=torch.float64)
    out = np.empty((Z.shape[0], pred.c, pred.d))
    for l in range(pred.c):
        Zt = torch.tensor(Z, dtype=torch.float64, requires_grad=True)
        diff = Zt[:, None, :] - Xc[None, :, :]
        q = torch.einsum("jid,de,jie->ji", diff, Mt, diff)
        f = torch.exp(-torch.sqrt(q) / pred.bandwidth) @ A[:, l]
        (g,) = torch.autograd.grad(f.sum(), Zt)
        out[:, l, :] = g.numpy()
    return out


def _grad_scale(pred: KernelPredictor, Z: np.ndarray) -> np.ndarray:
    """Per (point, output) scale sum_i |alpha_il| K_i ||M(z - x_i)|| / (L ||z - x_i||_M) of the sum forming J."""
    D = mahalanobis_distances(Z, pred.centers, pred.M)
    K = np.exp(-D / pred.bandwidth)
    diff = Z[:, None, :] - pred.centers[None, :, :]
    Mv = np.linalg.norm(diff @ pred.M, axis=2)
    w = K * Mv / (pred.bandwidth * D)
    return w @ np.abs(pred.alpha)  # (m, c)


def _random_rfm_case(rng: np.random.Generator, n: int, d: int, c: int, iters: int = 1) -> tuple[KernelPredictor, np.ndarray]:
    X = rng.standard_normal((n, d))
    y = rng.integers(0, c, n)
    y[:c] = np.arange(c)
    hist = fit_rfm(X, one_hot(y, c), RFMConfig(bandwidth=float(rng.uniform(1.0, 5.0)), ridge=1e-2, iters=iters))
    Z = rng.standard_normal((8, d))
    return hist.predictors[-1], Z


@single_threaded
def _grad_residuals(budget: Budget, drop_metric: bool) -> CheckResult:

    rng = np.random.default_rng(budget.seed)
    res, cases = [], []
    sizes = [(30, 3, 2), (40, 5, 3)] + ([(120, 8, 4), (200, 12, 10)] if budget.full else [])
    for n, d, c in sizes:
        pred, Z = _random_rfm_case(rng, n, d, c, iters=1)  # M_1 != I: a genuine Mahalanobis metric
        J = pred.forward(Z, _apply_metric=not drop_metric)[1]  # planted: without the factor M
        Jt = _torch_jacobians(pred, Z)
        r = np.abs(J - Jt).max(axis=2) / _grad_scale(pred, Z)
        res.append(float(r.max()) / tol.kernel_grad_tol(n, d))
        cases.append({"n": n, "d": d, "c": c, "seed": budget.seed, "max_rel_err": float(r.max())})
    return verdict(np.array(res), 1.0, detail="max |J_analytic - J_autograd| / (sum_i |alpha_i| |grad k_i|), "
                   "in units of kernel_grad_tol(n, d)", counterexample=lambda i: cases[i])


def check_kernel_grad_vs_autograd(budget: Budget) -> CheckResult:
    """Analytic Laplace-kernel Jacobians of fitted RFMs (M after one AGOP step) equal torch autograd."""
    return _grad_residuals(budget, drop_metric=False)


def planted_kernel_grad_without_metric(budget: Budget) -> CheckResult:
    """Planted: the 'gradient' (1/L) K (z - x_i)/||z - x_i||_M without the factor M; must be refuted."""
    return _grad_residuals(budget, drop_metric=True)


def _radial_model(rng: np.random.Generator, d: int, c: int):
    """A normal-aligned model: f_k(x) = a_k tanh(b_k ||x||^2 + e_k), so J(x) = u(x) x^T with
    u_k = 2 a_k b_k (1 - tanh^2(b_k ||x||^2 + e_k)) (closed form, the oracle for u)."""
    import torch

    a, b, e = rng.uniform(0.5, 2.0, c) * rng.choice([-1, 1], c), rng.uniform(0.05, 0.5, c), rng.uniform(-1, 1, c)
    return radial_model(a, b, e)


def radial_model(a: np.ndarray, b: np.ndarray, e: np.ndarray):
    """``(f_torch, u_closed)`` of f_k(x) = a_k tanh(b_k ||x||^2 + e_k) (see :func:`_radial_model`)."""
    import torch

    at, bt, et = (torch.tensor(v, dtype=torch.float64) for v in (a, b, e))

    def f_torch(x):  # x: (m, d)
        return at * torch.tanh(bt * (x**2).sum(dim=1, keepdim=True) + et)

    def u_closed(X: np.ndarray) -> np.ndarray:
        r = (X**2).sum(axis=1, keepdims=True)
        return 2 * a * b * (1 - np.tanh(b * r + e) ** 2)

    return f_torch, u_closed


def _autograd_jacobians(f_torch, X: np.ndarray, c: int) -> np.ndarray:
    import torch

    out = np.empty((X.shape[0], c, X.shape[1]))
    for l in range(c):
        Xt = torch.tensor(X, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(f_torch(Xt)[:, l].sum(), Xt)
        out[:, l, :] = g.numpy()
    return out


def identity_residual(X: np.ndarray, f_torch, u_closed, c: int, weight_power: float) -> tuple[float, dict]:
    """max |AGOP(autograd) - (1/n) sum ||u_i||^p x_i x_i^T| / mean(||u_i||^2 ||x_i||^2) on a radial model
    (p = 2 is R1's identity); 0 when the scale is 0 (every u_i x_i = 0: both sides vanish)."""
    n = X.shape[0]
    G = agop(_autograd_jacobians(f_torch, X, c))  # oracle side: autograd
    w = np.linalg.norm(u_closed(X), axis=1) ** weight_power
    rhs = np.einsum("i,id,ie->de", w, X, X) / n
    scale = float(np.mean(np.linalg.norm(u_closed(X), axis=1) ** 2 * (X**2).sum(axis=1)))
    r = float(np.abs(G - rhs).max()) / scale if scale > 0 else 0.0
    return r, {"n": n, "d": X.shape[1], "c": c, "X": X, "agop": G, "rhs": rhs}


@single_threaded
def _identity_residuals(budget: Budget, weight_power: float) -> CheckResult:

    rng = np.random.default_rng(budget.seed)
    res, cases = [], []
    for _ in range(budget.n(6, 40)):
        n, d, c = int(rng.integers(1, 30)), int(rng.integers(1, 8)), int(rng.integers(1, 5))
        X = rng.standard_normal((n, d)) * rng.uniform(0.5, 2.0)
        f_torch, u_closed = _radial_model(rng, d, c)
        r, case = identity_residual(X, f_torch, u_closed, c, weight_power)
        res.append(r)
        cases.append(case)
    power = "||u_i||^2" if weight_power == 2 else f"||u_i||^{weight_power:g}"
    return verdict(np.array(res), tol.AGOP_IDENTITY_TOL,
                   detail=f"max |AGOP(autograd) - (1/n) sum {power} x_i x_i^T| / mean(||u_i||^2 ||x_i||^2) "
                   "on radial (normal-aligned) models", counterexample=lambda i: cases[i])


def _radial_cases():
    """(X, a, b, e): n <= 29 points in R^d (d <= 7), and a radial model with c <= 4 outputs:
    |a_k| in [0.5, 2] with a sign, b_k in [0.05, 0.5], e_k in [-1, 1] (the draws of ``_radial_model``)."""
    def model(c: int):
        mag = arrays(np.float64, c, elements=st.floats(0.5, 2.0))
        sign = arrays(np.float64, c, elements=st.sampled_from([-1.0, 1.0]))
        return st.tuples(mag, sign, arrays(np.float64, c, elements=st.floats(0.05, 0.5)),
                         arrays(np.float64, c, elements=st.floats(-1.0, 1.0)))
    return st.tuples(st.integers(1, 29), st.integers(1, 7), st.integers(1, 4)).flatmap(
        lambda t: st.tuples(matrices(t[0], t[1], bound=2.0), model(t[2])))


def _radial_case(case) -> dict:
    X, (mag, sign, b, e) = case
    return {"X": X, "a": mag * sign, "b": b, "e": e}


def _radial_from_case(c: dict):
    a = np.asarray(c["a"], dtype=np.float64)
    X = np.asarray(c["X"], dtype=np.float64)
    return X.reshape(X.shape[0], -1), (np.abs(a), np.sign(a), np.asarray(c["b"], dtype=np.float64),
                                       np.asarray(c["e"], dtype=np.float64))


def _agop_norm_not_squared(case) -> float:
    X, (mag, sign, b, e) = case
    f_torch, u_closed = radial_model(mag * sign, b, e)
    return identity_residual(X, f_torch, u_closed, b.size, 1.0)[0]


agop_norm_not_squared = Conjecture(
    id="R1", name="agop_norm_not_squared", strategy=_radial_cases(), residual=_agop_norm_not_squared,
    tol=tol.AGOP_IDENTITY_TOL, expect="fails", planted=True, examples=(6, 40),
    doc="planted: AGOP = (1/n) sum ||u_i|| x_i x_i^T (norm not squared) on radial (normal-aligned) models",
    to_case=_radial_case, from_case=_radial_from_case)
"""Planted R1 identity with ||u_i|| for ||u_i||^2 (autograd AGOP as the oracle)."""


def check_agop_identity_numeric(budget: Budget) -> CheckResult:
    """R1 identity on normal-aligned radial models: AGOP by autograd = (1/n) sum ||u_i||^2 x_i x_i^T."""
    return _identity_residuals(budget, 2.0)


planted_agop_identity_norm_not_squared = single_threaded(agop_norm_not_squared.check)
"""Planted: AGOP = (1/n) sum ||u_i|| x_i x_i^T (norm not squared); must be refuted (the conjecture's search)."""


def boundary_case_residual(case: dict) -> float:
    """Rebuild a saved boundary case (an RFM fitted on the case's X, y) and return its identity residual
    in units of AGOP_IDENTITY_TOL (> 1 means the identity fails there)."""
    X = np.asarray(case["X"], dtype=np.float64)
    y = np.asarray(case["y"], dtype=np.int64)
    cfg = RFMConfig(bandwidth=case["bandwidth"], ridge=case["ridge"], iters=case["iters"])
    pred = fit_rfm(X, one_hot(y, case["c"]), cfg).predictors[-1]
    return aligned_identity_residual(X, pred.jacobians(X)) / tol.AGOP_IDENTITY_TOL


def boundary_agop_identity_rfm(budget: Budget) -> CheckResult:
    """Hypothesis 'aligned' dropped: for a fitted RFM (not normal-aligned), with u_i = J_i x_i / ||x_i||^2,
    AGOP != (1/n) sum ||u_i||^2 x_i x_i^T; the identity must be refuted."""
    rng = np.random.default_rng(budget.seed)
    res, cases = [], []
    for n, d, c in [(12, 3, 2), (20, 4, 3)] + ([(60, 6, 3)] if budget.full else []):
        X = np.round(rng.standard_normal((n, d)), 3)
        y = (X[:, 0] > 0).astype(int) if c == 2 else np.arange(n) % c
        case = {"X": X, "y": y, "c": c, "bandwidth": 3.0, "ridge": 1e-2, "iters": 1}
        res.append(boundary_case_residual(case))
        cases.append(case)
    return verdict(np.array(res), 1.0, detail="max |AGOP - (1/n) sum ||u_i||^2 x_i x_i^T| / mean ||J_i||_F^2 for a "
                   "fitted RFM (not normal-aligned), in units of AGOP_IDENTITY_TOL", counterexample=lambda i: cases[i])
