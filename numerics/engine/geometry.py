"""Exact region geometry of a CPA network, batched over points (no Python loop over points).

For a point ``x`` with per-layer activation slopes ``s_l`` (1 or 0 for ReLU, 1 or ``a`` for leaky ReLU)
the network is affine on ``x``'s region: ``f(x') = J_x x' + b_x`` with

    J_x = diag(s_L) W_L diag(s_{L-1}) W_{L-1} ... diag(s_1) W_1,     b_x = f(x) - J_x x.

The product is formed from the output side (reverse mode): every intermediate is (n, c, width), never
(n, width, d), and the last factor ``W_1`` is applied as one (n c, k_1) x (k_1, d) matrix product.
Writing ``J_x = A_x W_1`` with ``A_x`` of shape (c, k_1), the scores need only
``J J^T = A (W_1 W_1^T) A^T`` and ``J x = A (W_1 x)``, and the centroid ``mu_x = J_x^T 1 = W_1^T (A^T 1)``
(one vector-Jacobian product), so :func:`analyze` with ``jacobian=False`` never forms ``J``.

Per-layer power diagrams (D3, PD): layer ``l``'s pre-activation on the region of the earlier layers is
the affine map ``z_l(x') = E_l x' + e_l``; with the layer's pattern ``q`` (the slope vector) the power
diagram site is ``E_l^T q`` (a vector-Jacobian product) and the squared radius is
``||E_l^T q||^2 + 2 e_l^T q`` where ``e_l^T q = q^T z_l(x) - (E_l^T q)^T x``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from normalign.numerics.engine.network import CPANetwork, check_points
from normalign.numerics.engine.scores import augmented_scores, scores_from_gram
from normalign.numerics.tolerances import GRAM_REFINE_REL, matmul_tol

CHUNK_BYTES: int = 256 * 2**20
"""Largest intermediate a chunk of points may allocate (bytes); bounds peak memory to the output plus
a few times this."""


@dataclass
class RegionGeometry:
    """Per-point geometry of a batch of ``n`` points (arrays indexed by point first).

    ``centroid_alignment`` is a masked array: masked (undefined) where the centroid vanishes, i.e.
    ``||mu_x|| <= zero_tol * sqrt(c) ||J_x||_F``; it is never NaN or 0 there.
    """

    points: np.ndarray
    patterns: list[np.ndarray]
    logits: np.ndarray
    offset: np.ndarray
    centroid: np.ndarray
    centroid_radius: np.ndarray
    centroid_alignment: np.ma.MaskedArray
    scores: dict[str, np.ndarray]
    augmented: dict[str, np.ndarray]
    gram: np.ndarray
    jx: np.ndarray
    robustness_radius: np.ndarray
    nearest_boundary: np.ndarray
    boundary_in_region: np.ndarray
    layer_sites: list[np.ndarray] = field(default_factory=list)
    layer_radii: list[np.ndarray] = field(default_factory=list)
    jacobian: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.points.shape[0])


def activation_slopes(net: CPANetwork, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations ``z_l`` and slopes ``s_l = sigma_l'(z_l)`` of every layer, each (n, width_l)."""
    zs = net.preactivations(X)
    return zs, [layer.slopes(z) for layer, z in zip(net.layers, zs)]


def patterns(net: CPANetwork, X: np.ndarray) -> list[np.ndarray]:
    """Boolean activation patterns ``z_l > 0`` of the layers with a non-identity activation."""
    zs = net.preactivations(X)
    return [zs[i] > 0 for i in net.activation_layers]


def _reverse_product(net: CPANetwork, slopes: list[np.ndarray]) -> np.ndarray:
    """``A = diag(s_L) W_L ... W_2 diag(s_1)`` of shape (n, c, k_1), so that ``J_x = A W_1``."""
    L = len(net.layers)
    if L == 1:
        return slopes[0][:, :, None] * np.eye(net.output_dim)[None]
    A = slopes[L - 1][:, :, None] * net.layers[L - 1].weight[None]  # (n, c, k_{L-1})
    for l in range(L - 2, 0, -1):
        n, c, k = A.shape
        A = ((A * slopes[l][:, None, :]).reshape(n * c, k) @ net.layers[l].weight).reshape(n, c, -1)
    return A * slopes[0][:, None, :]


def _vjp_to_input(net: CPANetwork, slopes: list[np.ndarray], layer: int, v: np.ndarray) -> np.ndarray:
    """``(d z_layer / d x)^T v`` for cotangents ``v`` of shape (n, width_layer): result (n, d)."""
    g = v @ net.layers[layer].weight
    for l in range(layer - 1, -1, -1):
        g = (g * slopes[l]) @ net.layers[l].weight
    return g


def region_maps(net: CPANetwork, X: np.ndarray, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(J_x, b_x)`` for every point: shapes (n, c, d) and (n, c)."""
    X = check_points(X, net.input_dim)
    n, d, c = X.shape[0], net.input_dim, net.output_dim
    J = np.empty((n, c, d))
    b = np.empty((n, c))
    for lo, hi in _chunks(net, n, chunk):
        zs, s = activation_slopes(net, X[lo:hi])
        A = _reverse_product(net, s)
        m = hi - lo
        J[lo:hi] = (A.reshape(m * c, -1) @ net.layers[0].weight).reshape(m, c, d)
        fx = net.layers[-1].act(zs[-1])
        b[lo:hi] = fx - np.einsum("ncd,nd->nc", J[lo:hi], X[lo:hi])
    return J, b


def analyze(net: CPANetwork, X: np.ndarray, *, jacobian: bool = True, layer_sites: bool = True,
            robustness: bool = True, chunk: int | None = None) -> RegionGeometry:
    """All per-point geometry of D1-D3 and T2(a) for a batch ``X`` (n, d) of non-zero points.

    With ``jacobian=False`` the Jacobians are not formed: scores come from ``A (W_1 W_1^T) A^T``.
    ``layer_sites=False`` and ``robustness=False`` skip the per-layer power diagrams and the T2(a)
    radius (left empty / NaN), for callers that want only the scores.
    """
    X = check_points(X, net.input_dim, allow_zero=False)
    n, d, c = X.shape[0], net.input_dim, net.output_dim
    W1 = net.layers[0].weight
    G1 = W1 @ W1.T
    g1_norm = float(np.linalg.norm(G1, 2))
    tol_gram = matmul_tol(len(net.layers), max(net.widths))
    x_norm = np.linalg.norm(X, axis=1)
    out = {k: [] for k in ("logits", "offset", "centroid", "gram", "jx", "pat", "sites", "radii", "J", "rob")}
    for lo, hi in _chunks(net, n, chunk):
        Xc = X[lo:hi]
        zs, s = activation_slopes(net, Xc)
        A = _reverse_product(net, s)  # (m, c, k_1): J = A W_1
        fx = net.layers[-1].act(zs[-1])
        if jacobian:
            Jc = (A.reshape(-1, A.shape[2]) @ W1).reshape(hi - lo, c, d)
            out["J"].append(Jc)
            gram = Jc @ Jc.transpose(0, 2, 1)
            jx = np.einsum("ncd,nd->nc", Jc, Xc)
        else:
            gram = np.einsum("nck,kj,nej->nce", A, G1, A, optimize=True)
            jx = np.einsum("nck,nk->nc", A, Xc @ W1.T)
            _refine_cancelled(gram, jx, A, W1, Xc, g1_norm, tol_gram)
        out["centroid"].append(A.sum(axis=1) @ W1)
        out["logits"].append(fx)
        out["offset"].append(fx - jx)
        out["gram"].append(gram)
        out["jx"].append(jx)
        out["pat"].append([zs[i] > 0 for i in net.activation_layers])
        if robustness:
            out["rob"].append(_local_robustness(net, Xc, zs, s, fx, gram))
        if layer_sites:
            sites, radii = [], []
            for i in net.activation_layers:
                q = s[i]
                site = _vjp_to_input(net, s, i, q)
                e_q = np.einsum("nk,nk->n", q, zs[i]) - np.einsum("nd,nd->n", site, Xc)
                sites.append(site)
                radii.append(np.einsum("nd,nd->n", site, site) + 2.0 * e_q)
            out["sites"].append(sites)
            out["radii"].append(radii)

    cat = lambda key: np.concatenate(out[key], axis=0)  # noqa: E731
    logits, offset, mu, gram, jx = cat("logits"), cat("offset"), cat("centroid"), cat("gram"), cat("jx")
    pats = [np.concatenate([p[j] for p in out["pat"]], axis=0) for j in range(len(net.activation_layers))]
    fro = np.sqrt(np.clip(np.trace(gram, axis1=1, axis2=2), 0, None))
    mu_norm = np.linalg.norm(mu, axis=1)
    zero_tol = matmul_tol(len(net.layers), max(net.widths))
    vanishing = mu_norm <= zero_tol * np.sqrt(c) * fro
    with np.errstate(divide="ignore", invalid="ignore"):
        ca = np.einsum("nd,nd->n", mu, X) / (mu_norm * x_norm)
    ca = np.ma.masked_array(np.where(vanishing, 0.0, ca), mask=vanishing)
    if robustness:
        radius = np.concatenate([r[0] for r in out["rob"]])
        x_star = np.concatenate([r[1] for r in out["rob"]])
        inside = np.concatenate([r[2] for r in out["rob"]])
    else:
        radius, x_star, inside = np.full(n, np.nan), np.full((n, d), np.nan), np.zeros(n, dtype=bool)
    geo = RegionGeometry(
        points=X, patterns=pats, logits=logits, offset=offset, centroid=mu,
        centroid_radius=mu_norm**2 + 2.0 * offset.sum(axis=1), centroid_alignment=ca,
        scores=scores_from_gram(gram, jx, x_norm), augmented=augmented_scores(gram, jx, offset, x_norm),
        gram=gram, jx=jx, robustness_radius=radius, nearest_boundary=x_star, boundary_in_region=inside,
        jacobian=cat("J") if jacobian else None,
    )
    if layer_sites:
        L = len(net.activation_layers)
        geo.layer_sites = [np.concatenate([r[j] for r in out["sites"]], axis=0) for j in range(L)]
        geo.layer_radii = [np.concatenate([r[j] for r in out["radii"]], axis=0) for j in range(L)]
    return geo


def _refine_cancelled(gram: np.ndarray, jx: np.ndarray, A: np.ndarray, W1: np.ndarray, X: np.ndarray,
                      g1_norm: float, tol: float) -> None:
    """In place: where the rounding bound ``tol ||A||_F^2 ||G_1||_2`` exceeds ``GRAM_REFINE_REL`` times
    ``tr(A G_1 A^T)`` (J tiny against its factors, so the Gram route cancels), recompute ``J J^T`` and ``J x`` from an explicit
    ``J = A W_1`` for those points only."""
    scale = np.einsum("nck,nck->n", A, A) * g1_norm
    bad = np.flatnonzero(GRAM_REFINE_REL * np.trace(gram, axis1=1, axis2=2) <= tol * scale)
    if bad.size:
        J = A[bad] @ W1
        gram[bad] = J @ J.transpose(0, 2, 1)
        jx[bad] = np.einsum("ncd,nd->nc", J, X[bad])


def _local_robustness(net: CPANetwork, X: np.ndarray, zs: list[np.ndarray], s: list[np.ndarray],
                      logits: np.ndarray, gram: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """T2(a) inside the region: ``rho(x) = min_{k != y} (z_y - z_k) / ||J_y - J_k||`` (for c = 1 the
    class is the sign of the logit and ``rho = |z| / ||J||``), the nearest point of the local model's
    decision boundary, and whether that point has ``x``'s activation pattern (then ``rho`` is exact).
    A zero row difference gives ``rho = inf`` (the local model never changes class that way)."""
    n, c = logits.shape
    if c == 1:
        gap = np.abs(logits[:, 0])
        dir_vec = np.sign(logits[:, 0])[:, None]  # cotangent on the logit
        dn2 = gram[:, 0, 0]
    else:
        y = np.argmax(logits, axis=1)
        rows = np.arange(n)
        zy = logits[rows, y]
        dn2_all = gram[rows, y, y][:, None] + np.einsum("nkk->nk", gram) - 2.0 * gram[rows, y, :]
        gaps = zy[:, None] - logits
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(dn2_all > 0, gaps / np.sqrt(np.clip(dn2_all, 0, None)), np.inf)
        ratio[rows, y] = np.inf
        k = np.argmin(ratio, axis=1)
        gap, dn2 = gaps[rows, k], dn2_all[rows, k]
        dir_vec = np.zeros((n, c))
        dir_vec[rows, y] = 1.0
        dir_vec[rows, k] -= 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        radius = np.where(dn2 > 0, gap / np.sqrt(dn2), np.inf)
    L = len(net.layers)
    grad = _vjp_to_input(net, s, L - 1, dir_vec * s[L - 1])  # J^T (e_y - e_k), the row difference
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(dn2 > 0, gap / dn2, 0.0)
    x_star = X - step[:, None] * grad
    same = np.ones(n, dtype=bool)
    z_star = net.preactivations(x_star)
    for i in net.activation_layers:
        same &= np.all((z_star[i] > 0) == (zs[i] > 0), axis=1)
    same &= np.isfinite(radius)
    return radius, x_star, same


def _chunks(net: CPANetwork, n: int, chunk: int | None):
    if chunk is None:
        per_point = 8 * net.output_dim * (max(net.widths) + net.input_dim) * 2
        chunk = max(1, min(n, CHUNK_BYTES // max(per_point, 1)))
    for lo in range(0, n, chunk):
        yield lo, min(n, lo + chunk)
