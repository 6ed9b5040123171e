"""The exact empirical neural tangent kernel (D4, P3) with ``torch.func``.

For a model ``f(x; theta): R^d -> R^c`` with parameters ``theta`` (all of them, or a chosen subset),

    Theta(x, x') = (d f(x) / d theta) (d f(x') / d theta)^T        (c x c for each pair),

computed exactly from the per-sample parameter Jacobians ``d f(x_i) / d theta`` (``vmap`` of ``jacrev``
over ``torch.func.functional_call``), never by finite differences. For scalar models (c = 1) the kernel
is an (n, n') matrix; otherwise (n, n', c, c).

The relative change ``||Theta_T - Theta_0||_F / ||Theta_0||_F`` on the training set is the regime
measure of D4 (lazy: small; feature learning: large).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap


def _params(model: nn.Module, names: Iterable[str] | None) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor]]:
    """Split the model's parameters into (differentiated, frozen) dicts of detached tensors."""
    all_p = {k: v.detach() for k, v in model.named_parameters()}
    if names is None:
        return all_p, {}
    names = list(names)
    unknown = [k for k in names if k not in all_p]
    if unknown:
        raise ValueError(f"unknown parameter names {unknown}; the model has {sorted(all_p)}")
    if not names:
        raise ValueError("no parameters selected for the NTK")
    return {k: all_p[k] for k in names}, {k: v for k, v in all_p.items() if k not in names}


def param_jacobian(model: nn.Module, X: torch.Tensor, params: Sequence[str] | None = None) -> torch.Tensor:
    """Per-sample Jacobian of the outputs with respect to the parameters: shape (n, c, P).

    ``params`` names the parameters to differentiate (default: all). Buffers are passed unchanged.
    """
    if not isinstance(X, torch.Tensor) or X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty (n, d) tensor, got {getattr(X, 'shape', type(X))}")
    if not torch.isfinite(X).all():
        raise ValueError("X contains NaN or inf")
    diff, frozen = _params(model, params)
    buffers = {k: v.detach() for k, v in model.named_buffers()}

    def f_single(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
        out = functional_call(model, ({**p, **frozen}, buffers), (x.unsqueeze(0),))
        return out.reshape(-1)  # (c,)

    jac = vmap(jacrev(f_single), in_dims=(None, 0))(diff, X)  # dict name -> (n, c, *shape)
    n = X.shape[0]
    c = next(iter(jac.values())).shape[1]
    return torch.cat([jac[k].reshape(n, c, -1) for k in diff], dim=2)


def empirical_ntk(model: nn.Module, X1: torch.Tensor, X2: torch.Tensor | None = None,
                  params: Sequence[str] | None = None) -> torch.Tensor:
    """Exact empirical NTK ``Theta(X1, X2)``: (n1, n2) for scalar models, (n1, n2, c, c) otherwise."""
    J1 = param_jacobian(model, X1, params)
    J2 = J1 if X2 is None else param_jacobian(model, X2, params)
    return kernel_from_jacobians(J1, J2)


def kernel_from_jacobians(J1: torch.Tensor, J2: torch.Tensor) -> torch.Tensor:
    """``Theta = J1 J2^T`` from per-sample parameter Jacobians (n1, c, P) and (n2, c, P)."""
    if J1.shape[1] == 1 and J2.shape[1] == 1:
        return J1[:, 0, :] @ J2[:, 0, :].T
    return torch.einsum("icp,jep->ijce", J1, J2)


def parameter_slices(model: nn.Module, params: Sequence[str] | None = None) -> dict[str, slice]:
    """Column ranges of each parameter in :func:`param_jacobian`'s last axis (same order)."""
    diff, _ = _params(model, params)
    out, start = {}, 0
    for k, v in diff.items():
        out[k] = slice(start, start + v.numel())
        start += v.numel()
    return out


def relative_change(K0: torch.Tensor, K1: torch.Tensor) -> float:
    """``||K1 - K0||_F / ||K0||_F`` (D4's regime measure); a zero initial kernel is refused."""
    if K0.shape != K1.shape:
        raise ValueError(f"kernels have shapes {tuple(K0.shape)} and {tuple(K1.shape)}")
    n0 = float(torch.linalg.norm(K0.reshape(-1)))
    if not n0 > 0:
        raise ValueError("the initial kernel is zero: relative change undefined")
    return float(torch.linalg.norm((K1 - K0).reshape(-1))) / n0
