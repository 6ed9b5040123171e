"""Registry checks of G1: the GrokAlign estimators and offsets against the exact engine (oracle)."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from normalign.numerics.engine.threads import single_threaded

JacobianMode = Literal["exact", "estimate"]
OffsetMode = Literal["jvp", "fd", "none"]
from normalign.numerics.maths.grokalign import (
    GrokAlign,
    fd_shared_eps,
    jacobian_fro2_estimate,
    jacobian_fro_estimate,
    offset_fd,
    offset_jvp,
)


# ============================================================================ checks (G1)
def _random_cpa(seed: int, d: int = 6, widths: tuple[int, ...] = (12, 12), c: int = 5, bias: bool = True):
    """A random float64 ReLU CPANetwork (He init, biases N(0, 0.25)) and its torch twin."""
    from normalign.numerics.engine.network import CPANetwork

    rng = np.random.default_rng(seed)
    dims = (d,) + widths + (c,)
    Ws = [rng.standard_normal((o, i)) * math.sqrt(2.0 / i) for i, o in zip(dims, dims[1:])]
    bs = [0.5 * rng.standard_normal(o) if bias else None for o in dims[1:]]
    net = CPANetwork.from_arrays(Ws, bs)
    return net, net.to_sequential()


def _estimator_z(seed: int, draws: int, squared: bool) -> tuple[float, dict[str, object]]:
    """z statistic of the one-vector estimator (squared or not) against the engine's exact norm at one
    point of a random c = 5 network: ``(mean - truth) / (sd / sqrt(draws))``."""
    from normalign.numerics.engine.geometry import region_maps

    net, model = _random_cpa(seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal(net.input_dim)
    J, _ = region_maps(net, x[None])
    truth2 = float((J**2).sum())
    g = torch.Generator().manual_seed(seed + 2)
    X = torch.as_tensor(np.repeat(x[None], draws, axis=0))
    est2 = jacobian_fro2_estimate(model, X, g).detach().numpy()
    est = est2 if squared else np.sqrt(est2)
    truth = truth2 if squared else math.sqrt(truth2)
    z = (est.mean() - truth) / (est.std(ddof=1) / math.sqrt(draws))
    return float(z), {"seed": seed, "x": x, "draws": draws, "squared": squared, "truth": truth,
                      "mean": float(est.mean()), "z": float(z)}


def _z_check(budget, squared: bool, what: str):
    from normalign.numerics.tolerances import G1_Z_CRIT

    from normalign.checks import verdict

    k, draws = budget.n(3, 10), budget.n(20_000, 100_000)
    zs, cases = [], []
    for i in range(k):
        z, case = _estimator_z(budget.seed * 100 + i, draws, squared)
        zs.append(abs(z))
        cases.append(case)
    return verdict(zs, G1_Z_CRIT, detail=f"{what}: |z| of the mean of {draws} one-vector estimates against "
                   f"the engine's exact value, c = 5 (two-sided false-alarm rate 1e-6 per point)",
                   counterexample=lambda j: cases[j])


@single_threaded
def check_g1_squared_estimator_unbiased(budget):
    """G1: ``c ||J^T v||^2`` is unbiased for ``||J||_F^2`` (z-test, alpha = 1e-6, fixed seeds)."""
    return _z_check(budget, True, "G1 squared estimator")


@single_threaded
def planted_g1_sqrt_estimator_unbiased(budget):
    """Planted: 'sqrt(c ||J^T v||^2) is unbiased for ||J||_F' (it is biased low by Jensen)."""
    return _z_check(budget, False, "planted G1 (sqrt estimator unbiased)")


@single_threaded
def check_g1_estimator_exact_c1(budget):
    """G1: for c = 1 the one-vector estimate sqrt(c ||J^T v||^2) = |J| exactly (v = +-1)."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(5, 50)):
        net, model = _random_cpa(budget.seed * 100 + i, c=1)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        J, _ = region_maps(net, X)
        exact = np.sqrt((J**2).sum(axis=(1, 2)))
        est = jacobian_fro_estimate(model, torch.as_tensor(X), torch.Generator().manual_seed(i)).detach().numpy()
        res.append(np.max(np.abs(est - exact) / exact))
    return verdict(res, matmul_tol(3, 12), detail="G1 c = 1: relative |estimate - ||J||_F| (engine)")


@single_threaded
def check_g1_jvp_offset_engine(budget):
    """G1: the JVP offset ``f(x) - J_x x`` equals the engine's exact ``b_x`` on random CPA networks
    with biases (relative to ``|f(x)| + ||J_x|| ||x||``)."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(5, 50)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((32, net.input_dim))
        J, b = region_maps(net, X)
        bt = offset_jvp(model, torch.as_tensor(X)).detach().numpy()
        scale = np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
        res.append(np.max(np.abs(bt - b) / scale))
    return verdict(res, matmul_tol(3, 12), detail="G1 JVP offset vs engine b_x, relative")


@single_threaded
def check_g1_fd_exact_shared_region(budget):
    """G1: the finite-difference offset equals the engine's ``b_x`` when ``x`` and ``(1 + eps) x`` share
    a region; for bias-free ReLU networks at every eps (here eps = 0.5). The FD quotient's rounding is
    ``~ EPS * scale / eps``, so the residual is measured as ``eps |b_fd - b| / scale``."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res, skipped = [], 0
    for i in range(budget.n(5, 40)):
        for bias in (True, False):
            net, model = _random_cpa(budget.seed * 100 + i, bias=bias)
            X = np.random.default_rng(i).standard_normal((16, net.input_dim))
            J, b = region_maps(net, X)
            scale = np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
            for j, x in enumerate(X):
                eps = 0.5 if not bias else fd_shared_eps(net, x)
                if eps is None:
                    skipped += 1
                    continue
                bf = offset_fd(model, torch.as_tensor(x[None]), eps).detach().numpy()[0]
                res.append(float(np.max(eps * np.abs(bf - b[j]) / scale[j])))
    return verdict(res, matmul_tol(3, 12), detail=f"G1 FD offset in a shared region (bias-free: eps = 0.5), "
                   f"eps-scaled relative error; {skipped} points with no shared eps skipped")


@single_threaded
def boundary_g1_fd_region_crossed(budget):
    """Boundary: the FD offset is wrong when ``(1 + eps) x`` leaves x's region. Hand-built oracle:
    ``f(x) = relu(x - 1)`` at x = 0.999 has ``J = 0, b = 0``; with eps = 0.01 the step crosses the kink at
    1 and the FD gives ``J x ~ 0.899``, ``b ~ -0.899``. Also random biased networks at eps = 0.5 where the
    engine says the region changes."""
    from normalign.numerics.engine.geometry import patterns, region_maps
    from normalign.numerics.engine.network import CPANetwork
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    net = CPANetwork.from_arrays([np.array([[1.0]]), np.array([[1.0]])], [np.array([-1.0]), None])
    x = np.array([[0.999]])
    _, b = region_maps(net, x)
    bf = offset_fd(net.to_sequential(), torch.as_tensor(x), 0.01).detach().numpy()
    res = [float(abs(bf[0, 0] - b[0, 0]))]
    cases = [{"network": "relu(x - 1)", "x": 0.999, "eps": 0.01, "b_engine": b[0, 0], "b_fd": bf[0, 0]}]
    for i in range(budget.n(3, 20)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        crossed = [j for j, xx in enumerate(X) if not all(
            np.array_equal(a, c) for a, c in zip(patterns(net, xx[None]), patterns(net, (1.5 * xx)[None])))]
        if not crossed:
            continue
        J, b = region_maps(net, X[crossed])
        bf = offset_fd(model, torch.as_tensor(X[crossed]), 0.5).detach().numpy()
        scale = np.abs(net.forward(X[crossed])) + np.linalg.norm(J, axis=2) * np.linalg.norm(X[crossed], axis=1)[:, None]
        # the largest eps-scaled error over the crossed points (the claim 'FD is exact' fails at it)
        res.append(float(np.max(0.5 * np.abs(bf - b) / scale)))
        cases.append({"seed": budget.seed * 100 + i, "eps": 0.5, "points": X[crossed]})
    return verdict(res, matmul_tol(3, 12), detail="G1 FD offset across a region boundary (claim: exact)",
                   counterexample=lambda j: cases[j])


@single_threaded
def check_g1_penalty_value(budget):
    """G1: ``GrokAlign(model, lam, jacobian='exact')`` equals ``lam (mean ||J||_F + mean ||b||^2)`` and the
    squared option ``lam (mean ||J||_F^2 + mean ||b||^2)``, both from the engine's exact (J, b)."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(3, 20)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        J, b = region_maps(net, X)
        fro = np.sqrt((J**2).sum(axis=(1, 2)))
        b2 = (b**2).sum(axis=1).mean()
        for squared, want in ((False, 0.3 * (fro.mean() + b2)), (True, 0.3 * ((fro**2).mean() + b2))):
            got = float(GrokAlign(model, 0.3, jacobian="exact", squared=squared)(torch.as_tensor(X)).detach())
            res.append(abs(got - want) / want)
    return verdict(res, matmul_tol(3, 12), detail="G1 penalty (exact Jacobian, JVP offset) vs engine, relative")
