"""G1: the GrokAlign regulariser, its estimators, and the offset by forward-mode JVP.

The penalty added to the task loss over a batch ``X`` is (the authors' 2026 form)

    lambda * ( mean_x ||J_x||_F + mean_x ||b_x||^2 ),        b_x = f(x) - J_x x,

or, with ``squared=True``, T1's constraint ``lambda * ( mean_x ||J_x||_F^2 + mean_x ||b_x||^2 )``.

- ``||J_x||_F`` exactly (``jacobian="exact"``, the whole c x d Jacobian by ``torch.func.jacrev``; for
  small c) or from one random unit vector ``v`` in R^c per point (``jacobian="estimate"``):
  ``E_v[c ||J^T v||^2] = c tr(J^T E[v v^T] J) = ||J||_F^2`` since ``E[v v^T] = I / c``: unbiased for the
  *square*; its square root ``sqrt(c ||J^T v||^2)`` is biased low for ``||J||_F`` (Jensen) and exact
  for c = 1. ``J^T v`` is one vector-Jacobian product (reverse mode, ``create_graph=True`` so the
  penalty can be differentiated with respect to the parameters).
- ``J_x x`` by a forward-mode JVP with tangent ``x`` (``torch.func.jvp``; exact), or by the finite
  difference ``(f((1 + eps) x) - f(x)) / eps`` (exact for a CPA network when ``x`` and ``(1 + eps) x``
  share a linear region, since f is affine on the segment; always for a bias-free ReLU network, whose
  patterns are invariant to positive scaling).

All functions act row-wise on a batch and assume the model treats rows independently (no batch
normalisation).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.func import jacrev, jvp, vmap

from numerics.threads import single_threaded

JacobianMode = Literal["exact", "estimate"]
OffsetMode = Literal["jvp", "fd", "none"]


def _check_batch(X: torch.Tensor) -> None:
    if not isinstance(X, torch.Tensor) or X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty (n, d) tensor, got {getattr(X, 'shape', type(X))}")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or inf")


def jacobians(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """Exact input Jacobians ``J_x`` of every row: (n, c, d), differentiable in the parameters."""
    _check_batch(X)

    def f1(x: torch.Tensor) -> torch.Tensor:
        return model(x.unsqueeze(0)).reshape(-1)

    return vmap(jacrev(f1))(X)


def jacobian_fro_exact(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """``||J_x||_F`` for every row, from the full Jacobian (n,)."""
    return jacobians(model, X).flatten(1).norm(dim=1)


def random_unit_vectors(n: int, c: int, generator: torch.Generator | None = None,
                        dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """``n`` independent uniform unit vectors in R^c (normalised Gaussians), shape (n, c)."""
    v = torch.randn(n, c, generator=generator, dtype=dtype)
    return v / v.norm(dim=1, keepdim=True)


def vjp_rows(model: nn.Module, X: torch.Tensor, V: torch.Tensor, create_graph: bool = True) -> torch.Tensor:
    """``J_{x_i}^T v_i`` for every row (n, d): one reverse pass of ``sum_i <v_i, f(x_i)>`` w.r.t. X."""
    _check_batch(X)
    Xg = X.detach().requires_grad_(True)
    out = model(Xg)
    if out.ndim == 1:
        out = out[:, None]
    if V.shape != out.shape:
        raise ValueError(f"V has shape {tuple(V.shape)}, the outputs {tuple(out.shape)}")
    (g,) = torch.autograd.grad((out * V).sum(), Xg, create_graph=create_graph)
    return g


def jacobian_fro2_estimate(model: nn.Module, X: torch.Tensor, generator: torch.Generator | None = None,
                           V: torch.Tensor | None = None) -> torch.Tensor:
    """Unbiased one-vector estimate of ``||J_x||_F^2``: ``c ||J_x^T v||^2`` (n,)."""
    if V is None:
        with torch.no_grad():
            c = model(X[:1]).reshape(1, -1).shape[1]
        V = random_unit_vectors(X.shape[0], c, generator, X.dtype)
    g = vjp_rows(model, X, V)
    return V.shape[1] * g.pow(2).sum(dim=1)


def jacobian_fro_estimate(model: nn.Module, X: torch.Tensor, generator: torch.Generator | None = None,
                          V: torch.Tensor | None = None) -> torch.Tensor:
    """The authors' estimate of ``||J_x||_F``: ``sqrt(c ||J_x^T v||^2)`` (biased low unless c = 1)."""
    return jacobian_fro2_estimate(model, X, generator, V).clamp_min(0).sqrt()


def jx_jvp(model: nn.Module, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(f(X), J_x x)`` row-wise by one forward-mode JVP with tangent ``X`` (exact)."""
    _check_batch(X)
    out, tangent = jvp(model, (X,), (X,))
    return out, tangent


def offset_jvp(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    """``b_x = f(x) - J_x x`` by a JVP (exact; differentiable in the parameters)."""
    out, jx = jx_jvp(model, X)
    return out - jx


def offset_fd(model: nn.Module, X: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """``b_x`` with ``J_x x ~ (f((1 + eps) x) - f(x)) / eps``: exact for a CPA network when ``x`` and
    ``(1 + eps) x`` share a region (always for bias-free ReLU), wrong otherwise."""
    _check_batch(X)
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a positive finite number, got {eps}")
    out = model(X)
    jx = (model((1.0 + eps) * X) - out) / eps
    return out - jx


class GrokAlign(nn.Module):
    """The GrokAlign penalty for ``model`` as a module: ``GrokAlign(model, lam)(X)`` is a scalar.

    ``jacobian``: ``"estimate"`` (one random unit vector per point, the authors' choice) or ``"exact"``;
    ``offset``: ``"jvp"`` (exact), ``"fd"`` (finite difference with ``fd_eps``) or ``"none"`` (the 2025
    version); ``squared``: use ``||J||_F^2`` (T1's constraint) instead of ``||J||_F``.
    """

    def __init__(self, model: nn.Module, lam: float, *, jacobian: JacobianMode = "estimate",
                 offset: OffsetMode = "jvp", squared: bool = False, fd_eps: float = 1e-3,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if lam < 0 or not math.isfinite(lam):
            raise ValueError(f"lambda must be a finite number >= 0, got {lam}")
        if jacobian not in ("exact", "estimate"):
            raise ValueError(f"jacobian must be 'exact' or 'estimate', got {jacobian!r}")
        if offset not in ("jvp", "fd", "none"):
            raise ValueError(f"offset must be 'jvp', 'fd' or 'none', got {offset!r}")
        self.model = model
        self.lam = float(lam)
        self.jacobian = jacobian
        self.offset = offset
        self.squared = squared
        self.fd_eps = fd_eps
        self.generator = generator

    def terms(self, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean Jacobian term, mean ||b||^2)`` before the factor lambda."""
        if self.jacobian == "exact":
            fro = jacobian_fro_exact(self.model, X)
            jterm = fro.pow(2) if self.squared else fro
        else:
            fro2 = jacobian_fro2_estimate(self.model, X, self.generator)
            jterm = fro2 if self.squared else fro2.clamp_min(0).sqrt()
        if self.offset == "none":
            bterm = torch.zeros((), dtype=X.dtype)
        else:
            b = offset_jvp(self.model, X) if self.offset == "jvp" else offset_fd(self.model, X, self.fd_eps)
            bterm = b.reshape(b.shape[0], -1).pow(2).sum(dim=1).mean()
        return jterm.mean(), bterm

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        j, b = self.terms(X)
        return self.lam * (j + b)


def grokalign_penalty(model: nn.Module, X: torch.Tensor, lam: float, **kw: object) -> torch.Tensor:
    """Functional form of :class:`GrokAlign`."""
    return GrokAlign(model, lam, **kw)(X)  # type: ignore[arg-type]


def alignment_scores(model: nn.Module, X: torch.Tensor) -> dict[str, float]:
    """Mean D1 scores of ``model`` at ``X`` (exact Jacobians; float64 numpy through ``numerics.scores``)."""
    from numerics.scores import scores_from_jacobians

    with torch.enable_grad():
        J = jacobians(model, X.detach()).detach().double().numpy()
    s = scores_from_jacobians(J, X.detach().double().numpy())
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for k, v in s.items()}


# ============================================================================ checks (G1)
def _random_cpa(seed: int, d: int = 6, widths: tuple[int, ...] = (12, 12), c: int = 5, bias: bool = True):
    """A random float64 ReLU CPANetwork (He init, biases N(0, 0.25)) and its torch twin."""
    from numerics.network import CPANetwork

    rng = np.random.default_rng(seed)
    dims = (d,) + widths + (c,)
    Ws = [rng.standard_normal((o, i)) * math.sqrt(2.0 / i) for i, o in zip(dims, dims[1:])]
    bs = [0.5 * rng.standard_normal(o) if bias else None for o in dims[1:]]
    net = CPANetwork.from_arrays(Ws, bs)
    return net, net.to_sequential()


def _estimator_z(seed: int, draws: int, squared: bool) -> tuple[float, dict[str, object]]:
    """z statistic of the one-vector estimator (squared or not) against the engine's exact norm at one
    point of a random c = 5 network: ``(mean - truth) / (sd / sqrt(draws))``."""
    from numerics.geometry import region_maps

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
    from normalign.checks import verdict
    from numerics.tolerances import G1_Z_CRIT

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
    from normalign.checks import verdict
    from numerics.geometry import region_maps
    from numerics.tolerances import matmul_tol

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
    from normalign.checks import verdict
    from numerics.geometry import region_maps
    from numerics.tolerances import matmul_tol

    res = []
    for i in range(budget.n(5, 50)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((32, net.input_dim))
        J, b = region_maps(net, X)
        bt = offset_jvp(model, torch.as_tensor(X)).detach().numpy()
        scale = np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
        res.append(np.max(np.abs(bt - b) / scale))
    return verdict(res, matmul_tol(3, 12), detail="G1 JVP offset vs engine b_x, relative")


def fd_shared_eps(net, x: np.ndarray, candidates=(0.5, 0.1, 1e-2, 1e-3, 1e-4)) -> float | None:
    """The largest candidate eps with ``(1 + eps) x`` in x's region (engine patterns; regions are
    convex, so the whole segment is inside), or None."""
    from numerics.geometry import patterns

    p0 = patterns(net, x[None])
    for eps in candidates:
        p1 = patterns(net, ((1 + eps) * x)[None])
        if all(np.array_equal(a, b) for a, b in zip(p0, p1)):
            return eps
    return None


@single_threaded
def check_g1_fd_exact_shared_region(budget):
    """G1: the finite-difference offset equals the engine's ``b_x`` when ``x`` and ``(1 + eps) x`` share
    a region; for bias-free ReLU networks at every eps (here eps = 0.5). The FD quotient's rounding is
    ``~ EPS * scale / eps``, so the residual is measured as ``eps |b_fd - b| / scale``."""
    from normalign.checks import verdict
    from numerics.geometry import region_maps
    from numerics.tolerances import matmul_tol

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
    from normalign.checks import verdict
    from numerics.geometry import patterns, region_maps
    from numerics.network import CPANetwork
    from numerics.tolerances import matmul_tol

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
    from normalign.checks import verdict
    from numerics.geometry import region_maps
    from numerics.tolerances import matmul_tol

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
