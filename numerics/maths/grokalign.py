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
    return root_with_zero_subgradient(jacobian_fro2_estimate(model, X, generator, V))


def root_with_zero_subgradient(s: torch.Tensor) -> torch.Tensor:
    """``sqrt(max(s, 0))`` whose gradient is 0 (a subgradient of the norm) where ``s <= 0``, not NaN: plain
    ``sqrt`` has an infinite derivative at 0, and ``inf * 0`` from a dead point (``J_x = 0``) would turn
    every parameter's gradient into NaN."""
    pos = s > 0
    return torch.where(pos, torch.where(pos, s, torch.ones_like(s)).sqrt(), torch.zeros_like(s))


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
            jterm = fro2 if self.squared else root_with_zero_subgradient(fro2)
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
    """Mean D1 scores of ``model`` at ``X`` (exact Jacobians; float64 numpy through ``normalign.numerics.engine.scores``)."""
    from normalign.numerics.engine.scores import scores_from_jacobians

    with torch.enable_grad():
        J = jacobians(model, X.detach()).detach().double().numpy()
    s = scores_from_jacobians(J, X.detach().double().numpy())
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else math.nan for k, v in s.items()}


def fd_shared_eps(net, x: np.ndarray, candidates=(0.5, 0.1, 1e-2, 1e-3, 1e-4)) -> float | None:
    """The largest candidate eps with ``(1 + eps) x`` in x's region (engine patterns; regions are
    convex, so the whole segment is inside), or None."""
    from normalign.numerics.engine.geometry import patterns

    p0 = patterns(net, x[None])
    for eps in candidates:
        p1 = patterns(net, ((1 + eps) * x)[None])
        if all(np.array_equal(a, b) for a, b in zip(p0, p1)):
            return eps
    return None
