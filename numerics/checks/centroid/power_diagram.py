"""Registry checks of PD: every layer's pattern is the argmin of its power diagram on the earlier region.

For a point ``x`` and an activation layer ``l`` (K <= 8 units, so all ``2^K`` patterns are enumerated),
the sites and radii come from x's region of the layers before ``l`` (``normalign.numerics.engine.power_diagram``). Points
``y`` are drawn inside that region (hit-and-run from ``x``): far from boundaries, within ``1e-9``
(relative) of a layer-``l`` boundary, and within ``1e-9`` of the earlier region's own boundary. Oracle:
the pattern of ``y`` from a plain forward pass. Residual: how much the pattern's power distance exceeds
the minimum over all patterns, over ``matmul_tol * scale`` (scale = ``1 + ||y||^2 + max ||mu_q||^2 +
max |rho_q|``, the size of the terms whose cancellation gives the power distance). Near a layer-``l``
boundary the winner's margin is ``2|z_k| ~ 2e-9 scale``, far above that tolerance, so the argmin is
checked strictly there too. The engine's ``layer_sites``/``layer_radii`` (a reverse-mode route) are
compared with this forward-composition route.

Planted-false variants: the radius with the wrong sign (``||W^T q||^2 - 2 b^T q``), and the layer's
diagram used globally (x's sites for points outside x's earlier region).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.power_diagram import (
    layer_diagram,
    pattern_index,
    power_distance,
)
from normalign.numerics.engine.regions import Polytope, region_polytope
from normalign.numerics.tolerances import matmul_tol

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import Conjecture
from normalign.strategies import cpa_networks, points_for

MAX_ENUM_UNITS: int = 8
"""Layers up to this width are checked by full enumeration of their 2^K patterns."""

NEAR: float = 1e-9
"""Relative distance of the 'near a boundary' points: far above the rounding level of the power
distances (matmul_tol ~ 1e-13 relative) so the argmin is still strict, far below any region's size."""


def net_case(net: CPANetwork) -> dict[str, Any]:
    """JSON-ready description of a network (rebuild with :func:`net_from_case`)."""
    return {"weights": [l.weight for l in net.layers], "biases": [l.bias if l.has_bias else None for l in net.layers],
            "activations": [l.activation for l in net.layers], "negative_slope": net.layers[0].negative_slope}


def net_from_case(case: dict[str, Any]) -> CPANetwork:
    return CPANetwork.from_arrays([np.array(w, dtype=float) for w in case["weights"]],
                                  [None if b is None else np.array(b, dtype=float) for b in case["biases"]],
                                  case["activations"], float(case.get("negative_slope", 0.01)))


def hit_and_run(poly: Polytope, x: np.ndarray, rng: np.random.Generator, n: int, radius: float,
                to_edge: bool = False) -> np.ndarray:
    """``n`` points ``x + t u`` inside ``poly`` and the ball of ``radius``: ``u`` uniform on the sphere,
    ``t`` uniform up to the exit time (``to_edge``: at ``1 - NEAR`` of the exit time)."""
    d = x.size
    U = rng.normal(size=(n, d))
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    slack = np.maximum(poly.b - poly.A @ x, 0.0)
    rate = U @ poly.A.T  # (n, m)
    with np.errstate(divide="ignore", invalid="ignore"):
        times = np.where(rate > 0, slack[None, :] / rate, np.inf)
    tmax = np.minimum(times.min(axis=1) if times.shape[1] else np.full(n, np.inf), radius)
    t = tmax * (1.0 - NEAR) if to_edge else tmax * rng.uniform(0.0, 1.0, size=n)
    return x[None, :] + t[:, None] * U


def _layer_points(net: CPANetwork, x: np.ndarray, layer: int, E: np.ndarray, e: np.ndarray,
                  rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points in x's earlier region: far ones, near-earlier-boundary ones, near-layer-boundary ones.
    Returns (Y, kind) with kind 0 far, 1 near the earlier region's boundary, 2 near a layer boundary."""
    poly = region_polytope(net, x, upto=layer)
    scale = 1.0 + float(np.linalg.norm(x))
    far = np.vstack([x[None], hit_and_run(poly, x, rng, n, 3 * scale)])
    edge = hit_and_run(poly, x, rng, n, 3 * scale, to_edge=True)
    near = []
    for y in far:
        k = int(rng.integers(E.shape[0]))
        nrm2 = float(E[k] @ E[k])
        if not nrm2 > 1e-100:  # a (numerically) constant unit has no boundary to approach
            continue
        zk = float(E[k] @ y + e[k])
        target = float(rng.choice([-1.0, 1.0])) * NEAR * (1.0 + abs(e[k]) + np.sqrt(nrm2) * float(np.linalg.norm(y)))
        y2 = y - (zk - target) / nrm2 * E[k]
        if poly.contains(y2[None])[0]:
            near.append(y2)
    Y = np.vstack([far, edge] + ([np.array(near)] if near else []))
    kind = np.concatenate([np.zeros(len(far)), np.ones(len(edge)), np.full(len(near), 2.0)])
    return Y, kind


def pd_residuals(net: CPANetwork, X: np.ndarray, rng: np.random.Generator, *, n_per: int = 6,
                 radius_sign: float = 1.0, foreign: np.ndarray | None = None) -> tuple[float, dict[str, Any]]:
    """Worst PD residual (in units of the tolerance) over the points X, their layers and sampled points
    of each earlier region; with the case that attains it. ``foreign`` replaces the in-region samples by
    arbitrary points (the planted 'global diagram' variant)."""
    tol = matmul_tol(len(net.layers), max(net.widths))
    worst, case = 0.0, {}
    geo = analyze(net, X, jacobian=False)
    for j, l in enumerate(net.activation_layers):
        if net.layers[l].weight.shape[0] > MAX_ENUM_UNITS:
            continue
        for i, x in enumerate(X):
            Q, sites, radii, E, e = layer_diagram(net, x, l, radius_sign)
            Y = foreign if foreign is not None else _layer_points(net, x, l, E, e, rng, n_per)[0]
            zy = net.preactivations(Y)[l]
            qy = net.layers[l].slopes(zy)
            P = power_distance(Y, sites, radii)
            idx = np.array([pattern_index(Q, q) for q in qy])
            scale = 1.0 + (Y**2).sum(axis=1) + (sites**2).sum(axis=1).max() + np.abs(radii).max()
            excess = (P[np.arange(len(Y)), idx] - P.min(axis=1)) / (tol * scale)
            # the engine's site and radius of x (reverse mode) against this forward composition
            ix = pattern_index(Q, net.layers[l].slopes(E @ x + e))
            s_scale = 1.0 + np.abs(sites[ix]).max() + abs(radii[ix])
            eng = max(np.abs(geo.layer_sites[j][i] - sites[ix]).max(), abs(geo.layer_radii[j][i] - radii[ix])) \
                if radius_sign > 0 else 0.0
            r = max(float(excess.max()), float(eng / (tol * s_scale)))
            if r > worst or not case:
                k = int(np.argmax(excess))
                worst = max(worst, r)
                case = {**net_case(net), "x": x, "layer": l, "y": Y[k], "radius_sign": radius_sign,
                        "pattern_y": qy[k], "argmin_pattern": Q[int(np.argmin(P[k]))]}
    return worst, case


def _random_nets(budget: Budget, seed: int):
    rng = np.random.default_rng(budget.seed + seed)
    for _ in range(budget.n(12, 150)):
        depth = int(rng.integers(2, 5))
        d = int(rng.integers(1, 5))
        widths = [d] + [int(w) for w in rng.integers(1, 7, size=depth - 1)] + [int(rng.integers(1, 4))]
        acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=depth - 1)] + ["identity"]
        Ws = [rng.normal(size=(o, i)) / np.sqrt(i) for i, o in zip(widths, widths[1:])]
        bs = [rng.normal(size=o) * 0.5 for o in widths[1:]]
        net = CPANetwork.from_arrays(Ws, bs, acts, negative_slope=float(rng.choice([0.01, 0.2])))
        yield net, rng.normal(size=(3, d)) * 1.5, rng


def check_pd_subdivision(budget: Budget) -> CheckResult:
    """PD on random deep ReLU / leaky-ReLU nets: far, near-boundary and near-earlier-boundary points."""
    res, cases = [], []
    for net, X, rng in _random_nets(budget, 40):
        r, case = pd_residuals(net, X, rng)
        res.append(r)
        cases.append(case)
    return verdict(res, 1.0, detail="power-distance excess of the true pattern over the min of 2^K, / tol",
                   counterexample=lambda i: cases[i])


def _pd_cases():
    """(net, X): a drawn 2-4 layer ReLU / leaky-ReLU network of width <= 4 and 1-3 points for it."""
    return cpa_networks(min_layers=2, max_layers=4, max_width=4, activations=("relu", "leaky_relu")).flatmap(
        lambda net: st.tuples(st.just(net), points_for(net.input_dim, st.integers(1, 3))))


def _pd_case(case: tuple[CPANetwork, np.ndarray]) -> dict[str, Any]:
    return {**pd_residuals(*case, np.random.default_rng(0), n_per=3)[1], "X": case[1]}


def _pd_from_case(c: dict[str, Any]) -> tuple[CPANetwork, np.ndarray]:
    return net_from_case(c), np.asarray(c["X"], dtype=np.float64).reshape(-1, len(c["weights"][0][0]))


pd_power_diagram = Conjecture(
    id="PD", name="pd_power_diagram", strategy=_pd_cases(),
    residual=lambda case: pd_residuals(*case, np.random.default_rng(0), n_per=3)[0], tol=1.0,
    doc="PD on shrinking networks (residual / tol)", examples=(60, 600), to_case=_pd_case, from_case=_pd_from_case)
"""PD: each layer's pattern is the argmin of its power diagram on the earlier region (power-distance
excess over the tolerance, at the drawn points and 3 sampled points of each earlier region)."""


def property_pd_hypothesis(budget: Budget) -> CheckResult:
    """Hypothesis search (shrinking networks and points) for a layer whose pattern is not the argmin of
    its power diagram on the earlier region (residual: power-distance excess / tol)."""
    return pd_power_diagram.check(budget)


pd_radius_sign = Conjecture(
    id="PD", name="pd_radius_sign", strategy=_pd_cases(), tol=1.0, expect="fails", planted=True,
    residual=lambda case: pd_residuals(*case, np.random.default_rng(0), n_per=3, radius_sign=-1.0)[0],
    doc="planted: rho_q = ||E^T q||^2 - 2 e^T q (residual / tol)", examples=(12, 150),
    to_case=_pd_case, from_case=_pd_from_case)
"""Planted radius sign: the true pattern must then stop being the argmin of the power distance."""

planted_pd_radius_sign = pd_radius_sign.check
"""Planted: ``rho_q = ||E^T q||^2 - 2 e^T q`` (the conjecture's search)."""


def _pd_foreign_cases():
    """(net, X, F): a drawn network with at least two ReLU / leaky-ReLU layers (3-4 linear layers, width
    <= 4), 1-3 points and 6 foreign points F anywhere (entries in [-4, 4])."""
    return cpa_networks(min_layers=3, max_layers=4, max_width=4, activations=("relu", "leaky_relu")).flatmap(
        lambda net: st.tuples(st.just(net), points_for(net.input_dim, st.integers(1, 3)),
                              points_for(net.input_dim, 6)))


def _pd_foreign_from_case(c: dict[str, Any]) -> tuple[CPANetwork, np.ndarray, np.ndarray]:
    net, X = _pd_from_case(c)
    return net, X, np.asarray(c["foreign"], dtype=np.float64).reshape(-1, net.input_dim)


pd_global_diagram = Conjecture(
    id="PD", name="pd_global_diagram", strategy=_pd_foreign_cases(), tol=1.0, expect="fails", planted=True,
    residual=lambda case: pd_residuals(case[0], case[1], np.random.default_rng(0), foreign=case[2])[0],
    doc="planted: x's diagram of layer l, built on x's earlier region, gives every point's pattern",
    examples=(12, 150), to_case=lambda case: {**_pd_case(case[:2]), "foreign": case[2]},
    from_case=_pd_foreign_from_case)
"""Planted: the restriction to x's earlier region dropped (points drawn anywhere)."""

planted_pd_global_diagram = pd_global_diagram.check
"""Planted: 'layer l's power diagram, built on x's region of the earlier layers, gives the pattern of every
point' (the conjecture's search)."""


def replay_case(case: dict[str, Any]) -> float:
    """Residual (in tol units) of a saved case: the argmin excess of ``y``'s pattern under the case's
    radius sign, with the sites of ``x``'s earlier region."""
    net = net_from_case(case)
    x, y, l = np.array(case["x"], dtype=float), np.array(case["y"], dtype=float), int(case["layer"])
    Q, sites, radii, _, _ = layer_diagram(net, x, l, float(case["radius_sign"]))
    qy = net.layers[l].slopes(net.preactivations(y[None])[l])[0]
    P = power_distance(y[None], sites, radii)[0]
    tol = matmul_tol(len(net.layers), max(net.widths))
    scale = 1.0 + y @ y + (sites**2).sum(axis=1).max() + np.abs(radii).max()
    return float((P[pattern_index(Q, qy)] - P.min()) / (tol * scale))
