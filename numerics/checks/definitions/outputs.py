"""Every per-point number ``normalign analyze`` prints, against an independent oracle (D1-D3).

The oracle is torch autograd on the same network (:mod:`.reference`): Jacobians by ``jacrev``, a plain
forward pass, ``grad 1^T f`` for the centroid, ``grad 1^T sigma_l(z_l)`` for each layer's site, radii from
the power-distance identity (no offset needed), and scores from a numpy SVD of the explicit ``J`` or of
``W = [J | b]``. Both routes of :func:`~normalign.numerics.engine.geometry.analyze` are checked
(``jacobian=True``: explicit J; ``jacobian=False``: the Gram route ``A (W_1 W_1^T) A^T``), and
``region_maps``. Residuals are in units of the tolerance (<= 1 passes); tolerances are the rounding
bounds of :mod:`.reference` (``tol`` times the absolute-value scale of each computed quantity).

What each check would catch (planted one-line bugs, see the registry): a zero or sign-flipped offset, a
wrong centroid radius sign, an augmented Gram matrix without ``b b^T``, a wrong effective-rank or PC1
formula, a deeper layer's site or radius off, a Jacobian or pattern off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from normalign.numerics.checks.definitions.engine_oracles import svd_scores
from normalign.numerics.checks.definitions.reference import (
    Reference,
    interior_networks,
    net_case,
    radius_from_sum,
    radius_scale,
    ratio,
    reference,
)
from normalign.numerics.engine.geometry import (
    RegionGeometry,
    analyze,
    patterns,
    region_maps,
)
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.scores import scores_from_gram
from normalign.numerics.tolerances import (
    GRAM_SINGULAR_TOL,
    NA_GAP_MIN,
    SCORE_KAPPA_MAX,
    SCORE_TOL,
)

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import Conjecture
from normalign.strategies import cpa_networks, points_for


def _both_routes(net: CPANetwork, X: np.ndarray) -> list[tuple[str, RegionGeometry]]:
    return [("explicit J", analyze(net, X, jacobian=True)), ("Gram route", analyze(net, X, jacobian=False))]


def _run(budget: Budget, seed: int, per_net: Callable[[CPANetwork, np.ndarray, Reference], tuple[float, str]],
         detail: str) -> CheckResult:
    """Apply ``per_net`` (worst residual in tolerance units, and what attained it) to every network of
    :func:`random_networks`; a verdict at tolerance 1."""
    res: list[float] = []
    cases: list[dict[str, Any]] = []
    for net, X, ref in interior_networks(budget, seed):
        r, where = per_net(net, X, ref)
        res.append(r)
        cases.append({**net_case(net, X), "worst": where})
    return verdict(res, 1.0, detail=detail, counterexample=lambda i: cases[i])


def _worst(parts: dict[str, np.ndarray]) -> tuple[float, str]:
    best, name = 0.0, ""
    for k, v in parts.items():
        v = np.asarray(v, dtype=np.float64).ravel()
        if v.size == 0:
            continue
        m = float(np.max(np.where(np.isnan(v), np.inf, v)))
        if m > best or not name:
            best, name = m, k
    return best, name


def output_cases():
    """(net, X): a drawn CPA network (1-4 linear layers, width <= 7, ReLU or leaky ReLU, biases drawn)
    and 1-4 points x != 0 (the shrinking counterpart of :func:`random_networks`)."""
    return cpa_networks(min_layers=1, max_layers=4, max_width=7, activations=("relu", "leaky_relu")).flatmap(
        lambda net: st.tuples(st.just(net), points_for(net.input_dim, st.integers(1, 4))))


def interior_points(net: CPANetwork, X: np.ndarray) -> tuple[np.ndarray, Reference] | None:
    """The points of X off every activation boundary and their torch reference (None: no point left),
    as :func:`~normalign.numerics.checks.definitions.reference.interior_networks` keeps them."""
    ref = reference(net, X)
    keep = ~ref.on_boundary()
    if not keep.any():
        return None
    if not keep.all():
        X = X[keep]
        ref = reference(net, X)
    return X, ref


def output_conjecture(tid: str, name: str, per_net: Callable[[CPANetwork, np.ndarray, Reference], tuple[float, str]],
                      doc: str, examples: tuple[int, int] = (30, 300)) -> Conjecture:
    """A planted conjecture on :func:`output_cases`: ``per_net``'s worst residual (tolerance units, so
    tol = 1) at the drawn points off every activation boundary (0 when none is left), as in :func:`_run`."""
    def residual(case: tuple[CPANetwork, np.ndarray]) -> float:
        inside = interior_points(*case)
        return 0.0 if inside is None else per_net(case[0], *inside)[0]

    return Conjecture(id=tid, name=name, strategy=output_cases(), residual=residual, tol=1.0, expect="fails",
                      planted=True, doc=doc, examples=examples, to_case=lambda case: net_case(*case),
                      from_case=output_from_case)


def output_from_case(c: dict[str, Any]) -> tuple[CPANetwork, np.ndarray]:
    """Inverse of ``net_case``: the network and its points."""
    net = CPANetwork.from_arrays([np.array(w, dtype=float) for w in c["weights"]],
                                 [None if b is None else np.array(b, dtype=float) for b in c["biases"]],
                                 c["activations"], float(c["negative_slope"]))
    return net, np.asarray(c["X"], dtype=np.float64).reshape(-1, net.input_dim)


# ----------------------------------------------------------------------------- D1: region maps
def check_region_maps_vs_autograd(budget: Budget) -> CheckResult:
    """``region_maps`` (J, b), ``patterns`` and ``analyze``'s Jacobian, logits and activation patterns against torch:
    ``jacrev`` Jacobians, a forward pass, and the signs of torch's pre-activations."""
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        J, b = region_maps(net, X)
        geo = analyze(net, X, jacobian=True, layer_sites=False, robustness=False)
        pats = patterns(net, X)
        parts = {
            "region_maps J": ratio(J - ref.J, ref.tol * ref.J_abs),
            "region_maps b": ratio(b - ref.b, ref.tol * ref.b_abs),
            "analyze jacobian": ratio(geo.jacobian - ref.J, ref.tol * ref.J_abs),
            "analyze logits": ratio(geo.logits - ref.f, ref.tol * ref.f_abs),
            "patterns": np.array([np.inf if not np.array_equal(p, q) else 0.0
                                  for p, q in zip(geo.patterns, ref.patterns)] + [0.0]),
            "patterns()": np.array([np.inf if not np.array_equal(p, q) else 0.0
                                    for p, q in zip(pats, ref.patterns)] + [0.0]),
        }
        if not len(geo.patterns) == len(pats) == len(ref.patterns):
            parts["pattern layers"] = np.array([np.inf])
        return _worst(parts)

    return _run(budget, 11, per_net, "max |engine - autograd| / (tol * |.|-scale) of J, b, logits; patterns equal")


# ----------------------------------------------------------------------------- D1: scores
def score_residuals(got: dict[str, np.ndarray], W: np.ndarray, a: np.ndarray, W_abs: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Per-point residuals (tolerance units) of the four scores of the maps ``W`` (n, c, m) at ``a`` (n, m)
    against the SVD oracle. Tolerances: the SVD-vs-Gram tolerances of a fixed matrix (SCORE_TOL;
    ``2 (c - 1) GRAM_SINGULAR_TOL`` for the effective rank; ``SCORE_TOL / gap`` for NA, compared where the
    top singular value is separated, relative gap >= NA_GAP_MIN), times the conditioning
    ``kappa = (||W_abs||_F / ||W||_F)^2`` of the engine's W against its factors (sqrt(kappa) for the
    effective rank, whose error is that of a square root). Undefined (W = 0) must be NaN in the engine."""
    n, c = W.shape[0], W.shape[1]
    out = {k: np.zeros(n) for k in ("normal_alignment", "frobenius_ratio", "effective_rank", "pc1", "defined")}
    for i in range(n):
        fro = float(np.linalg.norm(W[i]))
        if fro == 0.0:
            out["defined"][i] = 0.0 if all(np.isnan(got[k][i]) for k in got) else np.inf
            continue
        kappa = (float(np.linalg.norm(W_abs[i])) / fro) ** 2
        if kappa > SCORE_KAPPA_MAX:
            continue
        ref = svd_scores(W[i], a[i])
        er_tol = 2 * max(c - 1, 1) * GRAM_SINGULAR_TOL * np.sqrt(kappa)
        out["frobenius_ratio"][i] = abs(got["frobenius_ratio"][i] - ref["frobenius_ratio"]) / (SCORE_TOL * kappa)
        out["pc1"][i] = abs(got["pc1"][i] - ref["pc1"]) / (SCORE_TOL * kappa)
        out["effective_rank"][i] = abs(got["effective_rank"][i] - ref["effective_rank"]) / er_tol
        if ref["gap"] >= NA_GAP_MIN:
            out["normal_alignment"][i] = abs(got["normal_alignment"][i] - ref["normal_alignment"]) \
                / (SCORE_TOL * kappa / ref["gap"])
    return out


def check_analyze_scores_vs_svd(budget: Budget) -> CheckResult:
    """``analyze``'s D1 scores (NA, Frobenius ratio, effective rank, PC1), both routes, against a numpy
    SVD of the autograd Jacobian J at x."""
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        parts = {}
        for route, geo in _both_routes(net, X):
            for k, v in score_residuals(geo.scores, ref.J, X, ref.J_abs).items():
                parts[f"{route}: {k}"] = v
        return _worst(parts)

    return _run(budget, 12, per_net, "max |engine score - SVD score of autograd J| / tolerance, both routes")


def _augmented_per_net(planted: bool) -> Callable[[CPANetwork, np.ndarray, Reference], tuple[float, str]]:
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        W = np.concatenate([ref.J, ref.b[:, :, None]], axis=2)
        W_abs = np.concatenate([ref.J_abs, ref.b_abs[:, :, None]], axis=2)
        a = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
        parts = {}
        for route, geo in _both_routes(net, X):
            got = geo.augmented
            if planted:  # W W^T taken as J J^T: the b b^T term dropped
                x_aug = np.sqrt((X**2).sum(axis=1) + 1.0)
                got = scores_from_gram(geo.gram, geo.jx + geo.offset, x_aug)
            for k, v in score_residuals(got, W, a, W_abs).items():
                parts[f"{route}: augmented {k}"] = v
        return _worst(parts)
    return per_net


def _augmented(budget: Budget, planted: bool) -> CheckResult:
    what = "planted augmented scores without b b^T" if planted else "engine augmented score"
    return _run(budget, 13, _augmented_per_net(planted), f"max |{what} - SVD score of [J | b] at (x, 1)| / tolerance")


def check_analyze_augmented_vs_svd(budget: Budget) -> CheckResult:
    """``analyze``'s augmented scores, both routes, against a numpy SVD of ``W = [J | b]`` (autograd J,
    ``b = f(x) - J x`` from a torch forward pass) at ``x~ = (x, 1)``."""
    return _augmented(budget, planted=False)


augmented_without_bbt = output_conjecture(
    "D1", "augmented_without_bbt", _augmented_per_net(planted=True),
    "planted: augmented scores from J J^T (the b b^T term of W W^T dropped), vs an SVD of [J | b] at (x, 1)")

planted_augmented_without_bbt = augmented_without_bbt.check
"""Planted: augmented scores from ``J J^T`` instead of ``W W^T = J J^T + b b^T`` (same oracle; the
conjecture's search over drawn networks)."""


# ----------------------------------------------------------------------------- D2
def check_offset_vs_autograd(budget: Budget) -> CheckResult:
    """The offset ``b_x`` of ``analyze`` (both routes) against ``f(x) - J x`` with ``f`` a torch forward
    pass and ``J`` autograd's Jacobian."""
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        return _worst({f"{route}: offset": ratio(geo.offset - ref.b, ref.tol * ref.b_abs)
                       for route, geo in _both_routes(net, X)})

    return _run(budget, 21, per_net, "max |engine b_x - (f(x) - J x)_autograd| / (tol * |.|-scale)")


def _centroid_radius_per_net(sign: float) -> Callable[[CPANetwork, np.ndarray, Reference], tuple[float, str]]:
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        rho = radius_from_sum(X, ref.mu, ref.f.sum(axis=1))
        mu_abs = ref.J_abs.sum(axis=1)
        scale = radius_scale(X, mu_abs, ref.f_abs.sum(axis=1))
        parts = {}
        for route, geo in _both_routes(net, X):
            got = geo.centroid_radius if sign > 0 else \
                (geo.centroid**2).sum(axis=1) - 2.0 * geo.offset.sum(axis=1)  # planted: wrong sign
            parts[f"{route}: centroid radius"] = ratio(got - rho, ref.tol * scale)
            parts[f"{route}: centroid"] = ratio(geo.centroid - ref.mu, ref.tol * mu_abs)
        return _worst(parts)
    return per_net


def _centroid_radius(budget: Budget, sign: float) -> CheckResult:
    what = "engine" if sign > 0 else "planted ||mu||^2 - 2 1^T b"
    return _run(budget, 22, _centroid_radius_per_net(sign), f"max |{what} - oracle| / (tol * scale): centroid radius "
                "from 1^T f and ||x - mu||^2 (autograd mu), centroid")


def check_centroid_radius_vs_forward(budget: Budget) -> CheckResult:
    """The centroid radius (``||mu||^2 + 2 1^T b`` in the engine) against its meaning: on x's region
    ``1^T f(x') = (||x'||^2 - (||x' - mu||^2 - rho)) / 2``, so ``rho = ||x - mu||^2 - ||x||^2 + 2 1^T f(x)``
    with ``mu`` by autograd (``grad 1^T f``) and ``f`` a torch forward pass (no offset involved). Also the
    centroid itself (both routes)."""
    return _centroid_radius(budget, +1.0)


centroid_radius_sign = output_conjecture(
    "D2", "centroid_radius_sign", _centroid_radius_per_net(-1.0),
    "planted: centroid radius ||mu||^2 - 2 1^T b (engine's mu and b) vs 1^T f and ||x - mu||^2 (autograd mu)")

planted_centroid_radius_sign = centroid_radius_sign.check
"""Planted: centroid radius ``||mu||^2 - 2 1^T b`` (same oracle; the conjecture's search over drawn networks)."""


def check_centroid_alignment_vs_autograd(budget: Budget) -> CheckResult:
    """Centroid alignment ``cos(mu, x)`` (both routes) against the cosine of autograd's ``mu`` with x,
    masked ("undefined") exactly where ``mu = 0`` (autograd gives exact zeros there). Tolerance relative
    to the conditioning ``||mu_abs|| / ||mu||`` of the centroid."""
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        mu_norm = np.linalg.norm(ref.mu, axis=1)
        mu_abs = np.linalg.norm(ref.J_abs.sum(axis=1), axis=1)
        xn = np.linalg.norm(X, axis=1)
        parts = {}
        for route, geo in _both_routes(net, X):
            mask = np.ma.getmaskarray(geo.centroid_alignment)
            zero = mu_norm == 0.0
            # surely non-zero, so the engine must define CA: the engine masks ||mu|| <= matmul_tol sqrt(c) ||J||_F
            # and ||mu_abs|| >= max_k ||J_k|| >= ||J||_F / sqrt(c), so c <= 1e3 puts this above its threshold
            clear = mu_norm > 1e3 * ref.tol * mu_abs
            parts[f"{route}: mask"] = np.where((zero & ~mask) | (clear & mask), np.inf, 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                cos = np.einsum("nd,nd->n", ref.mu, X) / (mu_norm * xn)
                r = np.abs(np.asarray(geo.centroid_alignment.data) - cos) / (ref.tol * mu_abs / mu_norm)
            parts[f"{route}: CA"] = np.where(clear & ~mask, r, 0.0)
        return _worst(parts)

    return _run(budget, 23, per_net, "CA vs cos(mu_autograd, x) / (tol ||mu_abs|| / ||mu||); mask iff mu = 0")


# ----------------------------------------------------------------------------- D3 (every layer)
def check_layer_sites_vs_autograd(budget: Budget) -> CheckResult:
    """Every activation layer's power-diagram site and radius (``analyze``, both routes) against autograd:
    site ``= grad_x 1^T sigma_l(z_l(x))`` and radius ``= ||x - site||^2 - ||x||^2 + 2 * 1^T sigma_l(z_l(x))``
    (the power-distance identity; ReLU and leaky ReLU, deep networks)."""
    def per_net(net: CPANetwork, X: np.ndarray, ref: Reference) -> tuple[float, str]:
        parts = {}
        for route, geo in _both_routes(net, X):
            if len(geo.layer_sites) != len(ref.sites):
                parts[f"{route}: number of layers"] = np.array([np.inf])
                continue
            for j, l in enumerate(ref.activation_layers):
                rho = radius_from_sum(X, ref.sites[j], ref.act_sums[j])
                scale = radius_scale(X, ref.site_abs[j], ref.z_abs[l].sum(axis=1))
                parts[f"{route}: layer {l} site"] = ratio(geo.layer_sites[j] - ref.sites[j], ref.tol * ref.site_abs[j])
                parts[f"{route}: layer {l} radius"] = ratio(geo.layer_radii[j] - rho, ref.tol * scale)
        return _worst(parts)

    return _run(budget, 31, per_net, "max |engine - autograd| / (tol * scale) of every layer's site and radius")
