"""Power diagrams of the layers of a CPA network (D3, PD), computed independently of the engine.

On the region ``R`` of the layers before ``l`` that holds ``x``, layer ``l``'s pre-activation is affine:
``z_l(x') = E x' + e`` (``normalign.numerics.engine.regions.layer_maps``). For a pattern ``q`` (``{0,1}^K`` for ReLU,
``{a,1}^K`` for leaky ReLU with slope ``a``) the site and squared radius are

    mu_q = E^T q,        rho_q = ||mu_q||^2 + 2 e^T q,

and the power distance is ``pow_q(y) = ||y - mu_q||^2 - rho_q = ||y||^2 - 2 q^T z_l(y)``. Hence on ``R``
the argmin over ``q`` is ``q_k = 1`` where ``z_k > 0`` and ``q_k = a`` (0 for ReLU) where ``z_k < 0``: the
layer's activation pattern (PD, the subdivision statement). Everything here is evaluated literally
from ``||y - mu_q||^2 - rho_q``, never through the simplified form, so the checks test the identity.
"""

from __future__ import annotations

import itertools

import numpy as np
from normalign.numerics.engine.network import CPANetwork, check_points
from normalign.numerics.engine.regions import layer_maps


def pattern_set(K: int, low: float | np.ndarray = 0.0) -> np.ndarray:
    """All patterns ``q in {low, 1}^K`` as rows (``low = 0`` ReLU, ``a`` leaky ReLU; one per unit for
    per-unit slopes, where a unit of slope 1, no kink, has the single value 1): ``2^k`` rows for the
    ``k`` kinked units."""
    lows = np.broadcast_to(np.asarray(low, dtype=np.float64), (max(K, 0),))
    kinked = np.flatnonzero(lows != 1.0)
    if K < 0 or kinked.size > 16:
        raise ValueError(f"full enumeration needs 0 <= K and at most 16 kinked units, got {K} ({kinked.size} kinked)")
    Q = np.ones((2 ** kinked.size, K))
    if kinked.size:
        bits = np.array(list(itertools.product([False, True], repeat=kinked.size)), dtype=bool)
        Q[:, kinked] = np.where(bits, 1.0, lows[kinked][None, :])
    return Q


def sites_and_radii(E: np.ndarray, e: np.ndarray, Q: np.ndarray, radius_sign: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Sites ``E^T q`` (rows) and radii ``||E^T q||^2 + radius_sign * 2 e^T q`` for the patterns ``Q``.
    (``radius_sign = -1`` is the planted-false variant.)"""
    sites = Q @ E
    return sites, (sites**2).sum(axis=1) + radius_sign * 2.0 * (Q @ e)


def power_distance(Y: np.ndarray, sites: np.ndarray, radii: np.ndarray) -> np.ndarray:
    """``||y - mu_q||^2 - rho_q`` for every point (rows of Y) and site: shape (n, m)."""
    return ((Y[:, None, :] - sites[None, :, :]) ** 2).sum(axis=2) - radii[None, :]


def layer_diagram(net: CPANetwork, x: np.ndarray, layer: int, radius_sign: float = 1.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Layer ``layer``'s full power diagram on x's region of the earlier layers:
    ``(Q, sites, radii, E, e)`` with every pattern of the layer enumerated."""
    x = check_points(x, net.input_dim)[0]
    lay = net.layers[layer]
    if lay.activation == "identity":
        raise ValueError(f"layer {layer} has no activation, so no power diagram")
    Es, es, _ = layer_maps(net, x)
    Q = pattern_set(lay.shape[0], lay.low)
    sites, radii = sites_and_radii(Es[layer], es[layer], Q, radius_sign)
    return Q, sites, radii, Es[layer], es[layer]


def pattern_index(Q: np.ndarray, q: np.ndarray) -> int:
    """Row of ``Q`` equal to ``q``."""
    hit = np.flatnonzero(np.all(Q == q[None, :], axis=1))
    if hit.size != 1:
        raise ValueError("pattern not in the enumerated set")
    return int(hit[0])
