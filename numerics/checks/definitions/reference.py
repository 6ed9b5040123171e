"""An independent oracle for every per-point number the engine reports: torch autograd on the network.

:func:`reference` runs the network as a torch ``nn.Sequential`` (float64) and returns, for a batch of
points, what ``normalign analyze`` must agree with, computed without the engine's geometry code:

- ``f``: a plain forward pass; ``z``: every layer's pre-activation (read off the same pass);
- ``J``: input Jacobians by ``torch.func.vmap(jacrev)``; ``b = f(x) - J x``; ``mu = grad_x 1^T f(x)``
  (autograd, not ``J^T 1`` of the engine);
- per activation layer ``l``: ``site_l = grad_x 1^T sigma_l(z_l(x))`` (the power-diagram site ``E_l^T q``:
  on the region ``1^T sigma_l(z_l(x')) = q^T (E_l x' + e_l)``) and ``act_sum_l = 1^T sigma_l(z_l(x))``.

Every radius has a meaning that needs no offset: on the region, ``1^T g(x') = site^T x' + e`` for an
affine ``g``, hence ``1^T g(x) = (||x||^2 - (||x - site||^2 - rho)) / 2`` with ``rho = ||site||^2 + 2 e``, so
``rho = ||x - site||^2 - ||x||^2 + 2 * 1^T g(x)`` (:func:`radius_from_sum`). The engine forms
``||site||^2 + 2 e`` instead; a sign or factor slip there is a disagreement here.

Rounding scales (Higham's bound for products: the error of a computed product is at most
``work * EPS`` times the product of the *absolute values*): ``J_abs = |s_L| |W_L| ... |s_1| |W_1|``,
``f_abs`` the forward pass of ``|x|`` through ``|W_l|``, ``|b_l|`` and ``|s_l|``, ``z_abs``, ``site_abs``
likewise; ``tol = matmul_tol(L + 1, max width)`` (one more product than the network's depth: ``J x`` or
a power-distance combination). A computed value within ``tol * scale`` of the oracle agrees to rounding.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import matmul_tol

from normalign.checks import Budget


@dataclass(frozen=True)
class Reference:
    """The torch oracle of one batch ``X`` (n, d); arrays indexed by point first (see module docstring)."""

    X: np.ndarray
    f: np.ndarray
    J: np.ndarray
    b: np.ndarray
    mu: np.ndarray
    z: list[np.ndarray]
    activation_layers: tuple[int, ...]
    patterns: list[np.ndarray]
    sites: list[np.ndarray]
    act_sums: list[np.ndarray]
    J_abs: np.ndarray
    f_abs: np.ndarray
    z_abs: list[np.ndarray]
    site_abs: list[np.ndarray]
    E_abs: list[np.ndarray]
    tol: float

    @property
    def b_abs(self) -> np.ndarray:
        """Rounding scale of ``b = f - J x``: ``f_abs + J_abs |x|``."""
        return self.f_abs + np.einsum("ncd,nd->nc", self.J_abs, np.abs(self.X))

    def on_boundary(self) -> np.ndarray:
        """Points with a non-zero pre-activation within rounding of 0 in some activation layer (their
        pattern, hence their region, is not decided by float64): (n,) bool. An exact 0 (a unit fed only by
        dead units and no bias) is decided: both torch and the engine take the negative side's slope."""
        out = np.zeros(self.X.shape[0], dtype=bool)
        for l in self.activation_layers:
            z = np.abs(self.z[l])
            out |= np.any((z > 0) & (z <= self.tol * self.z_abs[l]), axis=1)
        return out

    def undecided(self, delta: np.ndarray) -> np.ndarray:
        """Points whose activation pattern could change if the point moved by ``delta`` (n,) in any
        direction or by rounding: some pre-activation with ``|z| <= tol z_abs + ||E_abs row|| delta``
        (exact zeros included: a computed point is never exactly on a boundary by design)."""
        out = np.zeros(self.X.shape[0], dtype=bool)
        for j, l in enumerate(self.activation_layers):
            reach = self.tol * self.z_abs[l] + np.linalg.norm(self.E_abs[j], axis=2) * np.asarray(delta)[:, None]
            out |= np.any(np.abs(self.z[l]) <= reach, axis=1)
        return out


def slopes(net: CPANetwork, l: int, z: np.ndarray) -> np.ndarray:
    """Slope of layer ``l``'s activation at ``z`` (written out here, not taken from the engine):
    ReLU 1/0, leaky ReLU 1/a, identity 1."""
    layer = net.layers[l]
    if layer.activation == "identity":
        return np.ones_like(z)
    low = 0.0 if layer.activation == "relu" else layer.negative_slope
    return np.where(z > 0, 1.0, low)


def torch_pass(net: CPANetwork, X: np.ndarray) -> tuple[object, object, list[object], dict[int, object]]:
    """``(Xt, f, z_list, act_by_layer)`` as torch tensors from one forward pass of ``net.to_sequential()``
    with ``Xt`` requiring grad (for autograd of any of them)."""
    import torch

    seq = net.to_sequential()
    Xt = torch.as_tensor(np.asarray(X, dtype=np.float64)).requires_grad_(True)
    h, zs, acts = Xt, [], {}
    for m in seq:
        h = m(h)
        if isinstance(m, torch.nn.Linear):
            zs.append(h)
        else:
            acts[len(zs) - 1] = h
    return Xt, h, zs, acts


def reference(net: CPANetwork, X: np.ndarray) -> Reference:
    """The torch oracle (values and rounding scales) for the batch ``X`` (n, d)."""
    import torch
    from torch.func import jacrev, vmap

    X = np.asarray(X, dtype=np.float64)
    Xt, f, zs, acts = torch_pass(net, X)
    J = vmap(jacrev(net.to_sequential()))(Xt.detach()).detach().numpy()
    (mu,) = torch.autograd.grad(f.sum(), Xt, retain_graph=True)
    sites, sums = [], []
    for l in net.activation_layers:
        (g,) = torch.autograd.grad(acts[l].sum(), Xt, retain_graph=True)
        sites.append(g.detach().numpy())
        sums.append(acts[l].sum(dim=1).detach().numpy())
    fn = f.detach().numpy()
    zn = [z.detach().numpy() for z in zs]

    # rounding scales: the same products with absolute values
    n = X.shape[0]
    s_abs = [np.abs(slopes(net, l, z)) for l, z in enumerate(zn)]
    P = np.broadcast_to(np.abs(net.layers[0].weight), (n,) + net.layers[0].weight.shape)
    a_abs = np.abs(X)
    z_abs, P_list = [], []
    for l, layer in enumerate(net.layers):
        if l > 0:
            P = np.einsum("kj,njd->nkd", np.abs(layer.weight), s_abs[l - 1][:, :, None] * P)
        zl = a_abs @ np.abs(layer.weight).T + np.abs(layer.bias)
        z_abs.append(zl)
        P_list.append(P)
        a_abs = s_abs[l] * zl
    J_abs = s_abs[-1][:, :, None] * P_list[-1]
    site_abs = [np.einsum("nk,nkd->nd", s_abs[l], P_list[l]) for l in net.activation_layers]
    return Reference(
        X=X, f=fn, J=J, b=fn - np.einsum("ncd,nd->nc", J, X), mu=mu.detach().numpy(), z=zn,
        activation_layers=net.activation_layers, patterns=[zn[l] > 0 for l in net.activation_layers],
        sites=sites, act_sums=sums, J_abs=J_abs, f_abs=a_abs, z_abs=z_abs, site_abs=site_abs,
        E_abs=[P_list[l] for l in net.activation_layers], tol=matmul_tol(len(net.layers) + 1, max(net.widths)),
    )


def radius_from_sum(X: np.ndarray, site: np.ndarray, total: np.ndarray) -> np.ndarray:
    """``rho = ||x - site||^2 - ||x||^2 + 2 total``: the squared power radius for which an affine ``g``
    with ``1^T g(x) = total`` and gradient ``site`` satisfies ``1^T g = (||x||^2 - power distance) / 2``."""
    return ((X - site) ** 2).sum(axis=1) - (X**2).sum(axis=1) + 2.0 * total


def radius_scale(X: np.ndarray, site_abs: np.ndarray, total_abs: np.ndarray) -> np.ndarray:
    """Rounding scale of :func:`radius_from_sum` and of the engine's ``||site||^2 + 2 e``:
    ``(||x|| + ||site_abs||)^2 + 2 total_abs``."""
    return (np.linalg.norm(X, axis=1) + np.linalg.norm(site_abs, axis=1)) ** 2 + 2.0 * total_abs


def random_networks(budget: Budget, seed: int, counts: tuple[int, int] = (30, 300), points: int = 8
                    ) -> Iterator[tuple[CPANetwork, np.ndarray]]:
    """Random CPA networks with their points: 1 to 4 layers, input 1-5, hidden widths 1-7, outputs 1-4,
    ReLU or leaky ReLU (slope 0.05-0.3) per hidden layer, biases on 80% of networks, weights
    N(0, 1.5^2 / fan_in) (O(1) pre-activations, some dead units), points N(0, s^2 I) with s in
    {0.5, 1, 3}. Deterministic in ``budget.seed + seed``."""
    rng = np.random.default_rng(budget.seed + seed)
    for _ in range(budget.n(*counts)):
        depth = int(rng.integers(1, 5))
        d = int(rng.integers(1, 6))
        widths = [d] + [int(w) for w in rng.integers(1, 8, size=depth - 1)] + [int(rng.integers(1, 5))]
        acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=depth - 1)] + ["identity"]
        bias = bool(rng.random() < 0.8)
        Ws = [rng.normal(size=(o, i)) * 1.5 / np.sqrt(i) for i, o in itertools.pairwise(widths)]
        bs = [rng.normal(size=o) * 0.5 if bias else None for o in widths[1:]]
        net = CPANetwork.from_arrays(Ws, bs, acts, negative_slope=float(rng.uniform(0.05, 0.3)))
        yield net, rng.normal(size=(points, d)) * float(rng.choice([0.5, 1.0, 3.0]))


def interior_networks(budget: Budget, seed: int) -> Iterator[tuple[CPANetwork, np.ndarray, Reference]]:
    """:func:`random_networks` with their torch :func:`reference`, points on an activation boundary
    (where the region map is not defined) dropped, and networks left with no point skipped."""
    for net, X in random_networks(budget, seed):
        ref = reference(net, X)
        keep = ~ref.on_boundary()
        if not keep.any():
            continue
        if not keep.all():
            X = X[keep]
            ref = reference(net, X)
        yield net, X, ref


def net_case(net: CPANetwork, X: np.ndarray) -> dict[str, object]:
    """A JSON-ready description of a network and its points (to rebuild a counterexample)."""
    return {"weights": [l.weight for l in net.layers], "biases": [l.bias if l.has_bias else None for l in net.layers],
            "activations": [l.activation for l in net.layers], "negative_slope": net.layers[0].negative_slope,
            "X": X}


def ratio(diff: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """``|diff| / scale`` elementwise, with 0/0 = 0 (both exactly zero) and x/0 = inf."""
    diff = np.abs(np.asarray(diff, dtype=np.float64))
    scale = np.asarray(scale, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = diff / scale
    return np.where(diff == 0, 0.0, np.where(scale > 0, r, np.inf))
