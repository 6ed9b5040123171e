"""Exact region geometry of a CPA network, batched over points (no Python loop over points).

For a point ``x`` with per-layer activation slopes ``s_l`` (1 or 0 for ReLU, 1 or ``a`` for leaky ReLU)
the network is affine on ``x``'s region: ``f(x') = J_x x' + b_x`` with

    J_x = diag(s_L) W_L diag(s_{L-1}) W_{L-1} ... diag(s_1) W_1,     b_x = f(x) - J_x x.

The product is formed from the output side (reverse mode): every intermediate is (n, c, width), never
(n, width, d), and every step is one matrix product over all points of a chunk: the top step as
``s_{L-1} T`` with ``T = W_L (x) W_{L-1}`` folded once per network (:func:`_top_fold`), each further step
as (n c, k) x (k, k'), and the last factor ``W_1`` as one (n c, k_1) x (k_1, d) product written straight
into the output. ``W_1 x`` is kept from the forward pass, so ``J x = A (W_1 x)`` and ``b = f(x) - J x``
never read J.
Writing ``J_x = A_x W_1`` with ``A_x`` of shape (c, k_1), the scores need only
``J J^T = A (W_1 W_1^T) A^T`` and ``J x = A (W_1 x)``, and the centroid ``mu_x = J_x^T 1 = W_1^T (A^T 1)``
(one vector-Jacobian product), so :func:`analyze` with ``jacobian=False`` never forms ``J``.

Structured layers (convolutions, pooling, block maps: ``operators``, lowered by ``lowering``): products
with ``W_l`` are the layer's ``forward`` / ``vjp`` (a dense layer keeps its plain matrix products), a
max-pool's tournament layers are one reverse step (``operators.Tournament``), and with a structured first
layer the scores path forms ``J`` chunk by chunk instead of ``W_1 W_1^T``.

Per-layer power diagrams (D3, PD): layer ``l``'s pre-activation on the region of the earlier layers is
the affine map ``z_l(x') = E_l x' + e_l``; with the layer's pattern ``q`` (the slope vector) the power
diagram site is ``E_l^T q`` (a vector-Jacobian product) and the squared radius is
``||E_l^T q||^2 + 2 e_l^T q`` where ``e_l^T q = q^T z_l(x) - (E_l^T q)^T x``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from normalign.numerics.engine.network import CPANetwork, Layer, check_points
from normalign.numerics.engine.scores import augmented_scores, scores_from_gram
from normalign.numerics.tolerances import GRAM_REFINE_REL, matmul_tol

FOLD_BYTES: int = 64 * 2**20
"""Largest folded top-layer product (:func:`_top_fold`) the engine precomputes (bytes)."""

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
    p = _forward(net, check_points(X, net.input_dim))
    return p.zs, p.s


def patterns(net: CPANetwork, X: np.ndarray) -> list[np.ndarray]:
    """Boolean activation patterns ``z_l > 0`` of the layers with a non-identity activation."""
    zs = net.preactivations(X)
    return [net.layers[i].pattern(zs[i]) for i in net.activation_layers]


@dataclass
class _Pass:
    """One forward pass over a chunk: pre-activations ``z_l``, slopes ``s_l``, ``u = X W_1^T`` (the first
    pre-activation before its bias, so that ``J x = A u``) and the output ``f(X)``."""

    zs: list[np.ndarray]
    s: list[np.ndarray]
    u: np.ndarray
    f: np.ndarray


def _forward(net: CPANetwork, X: np.ndarray) -> _Pass:
    """The floating-point operations of :meth:`CPANetwork.preactivations` (``a W^T``, then ``+ b``), keeping
    ``u = X W_1^T`` and the slopes."""
    zs, s, a, u = [], [], X, X
    for l, layer in enumerate(net.layers):
        z = np.matmul(a, layer.weight.T) if layer.is_dense else layer.forward(a)
        if l == 0:
            u, z = z, z + layer.bias
        else:
            z += layer.bias
        sl = layer.slopes(z)
        zs.append(z)
        s.append(sl)
        a = z * sl if layer.activation != "identity" else z
    return _Pass(zs, s, u, a)


def _top_fold(net: CPANetwork) -> np.ndarray | None:
    """For ``L >= 3`` layers: ``T[k, (j, m)] = W_L[j, k] W_{L-1}[k, m]``, shape (k_{L-1}, c k_{L-2}), so that
    ``W_L diag(s_{L-1}) W_{L-1}`` of every point is the row ``s_{L-1} T``: one (n, k_{L-1}) x (k_{L-1}, c k_{L-2})
    matrix product, the multiply-adds of the unfolded step without the (n, c, k_{L-1}) scaled copies of
    ``W_L``. ``None`` for shallower networks or when ``T`` would exceed ``FOLD_BYTES``."""
    L = len(net.layers)
    if L < 3 or not (net.layers[L - 1].is_dense and net.layers[L - 2].is_dense):
        return None
    WL, Wp = net.layers[L - 1].weight, net.layers[L - 2].weight
    if 8 * WL.size * Wp.shape[1] > FOLD_BYTES:
        return None
    return (WL.T[:, :, None] * Wp[:, None, :]).reshape(WL.shape[1], -1)


def _reverse_product(net: CPANetwork, slopes: list[np.ndarray], fold: np.ndarray | None = None) -> np.ndarray:
    """``A = diag(s_L) W_L ... W_2 diag(s_1)`` of shape (n, c, k_1), so that ``J_x = A W_1``; every step is
    one (n c, k) x (k, k') matrix product over all points. ``fold`` is :func:`_top_fold` of the network
    (pass it when calling chunk by chunk)."""
    L, m, c = len(net.layers), slopes[0].shape[0], net.output_dim
    if L == 1:
        return slopes[0][:, :, None] * np.eye(c)[None]
    fold = _top_fold(net) if fold is None else fold
    if fold is not None:
        A = np.matmul(slopes[L - 2], fold).reshape(m, c, -1)  # W_L diag(s_{L-1}) W_{L-1}
        if net.layers[L - 1].activation != "identity":
            A *= slopes[L - 1][:, :, None]
        below = L - 3
    else:
        A = slopes[L - 1][:, :, None] * net.layers[L - 1].weight[None]  # diag(s_L) W_L
        below = L - 2
    l = below
    while l > 0:
        A *= slopes[l][:, None, :]
        pool = net.tournaments.get(l) if net.tournaments else None
        if pool is None:
            A = _vjp(net.layers[l], A.reshape(m * c, -1)).reshape(m, c, -1)
            l -= 1
        else:  # layer l's map after a max-pool and the pool's tournament layers: one scatter
            A = pool.vjp(A.reshape(m * c, -1), slopes, c).reshape(m, c, -1)
            l = pool.first - 1
    A *= slopes[0][:, None, :]
    return A


def _vjp(layer: Layer, V: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``V W`` for rows ``V`` and a layer's linear part ``W`` (dense: one matrix product; structured: its
    ``vjp``, e.g. a transposed convolution), into ``out`` if given."""
    if layer.is_dense:
        return np.matmul(V, layer.weight, out=out)
    if out is None:
        return layer.vjp(V)
    out[...] = layer.vjp(V)
    return out


def _vjp_to_input(net: CPANetwork, slopes: list[np.ndarray], layer: int, v: np.ndarray) -> np.ndarray:
    """``(d z_layer / d x)^T v`` for cotangents ``v`` of shape (n, width_layer): result (n, d)."""
    g = _vjp(net.layers[layer], v)
    for l in range(layer - 1, -1, -1):
        g = _vjp(net.layers[l], g * slopes[l])
    return g


def region_maps(net: CPANetwork, X: np.ndarray, chunk: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(J_x, b_x)`` for every point: shapes (n, c, d) and (n, c). ``J = A W_1`` is written straight
    into the output; ``b = f(x) - A (W_1 x)`` reuses ``W_1 x`` from the forward pass."""
    X = check_points(X, net.input_dim)
    n, d, c = X.shape[0], net.input_dim, net.output_dim
    fold = _top_fold(net)
    J = np.empty((n, c, d))
    b = np.empty((n, c))
    for lo, hi in _chunks(net, n, chunk):
        p = _forward(net, X[lo:hi])
        A = _reverse_product(net, p.s, fold)
        _vjp(net.layers[0], A.reshape((hi - lo) * c, -1), out=J[lo:hi].reshape((hi - lo) * c, d))
        b[lo:hi] = p.f - np.einsum("nck,nk->nc", A, p.u)
    return J, b


def analyze(net: CPANetwork, X: np.ndarray, *, jacobian: bool = True, layer_sites: bool = True,
            robustness: bool = True, chunk: int | None = None) -> RegionGeometry:
    """All per-point geometry of D1-D3 and T2(a) for a batch ``X`` (n, d) of non-zero points.

    With ``jacobian=False`` the Jacobians are not formed: scores come from ``A (W_1 W_1^T) A^T`` and
    ``A (W_1 x)`` (``W_1 x`` from the forward pass), refined from an explicit ``J`` where that cancels.
    ``layer_sites=False`` and ``robustness=False`` skip the per-layer power diagrams and the T2(a)
    radius (left empty / NaN), for callers that want only the scores. Outputs are allocated once and
    filled chunk by chunk (no concatenation copies).
    """
    X = check_points(X, net.input_dim, allow_zero=False)
    n, d, c = X.shape[0], net.input_dim, net.output_dim
    first, fold = net.layers[0], _top_fold(net)
    gram_route = not jacobian and first.is_dense  # a structured first layer: J is formed, not returned
    if gram_route:
        W1 = first.weight
        G1 = W1 @ W1.T
        g1_norm = float(np.linalg.norm(G1))  # ||G_1||_F >= ||G_1||_2: refines at least where the 2-norm bound would
    tol_gram = matmul_tol(len(net.layers), max(net.widths))
    x_norm = np.linalg.norm(X, axis=1)
    logits, offset, jx = np.empty((n, c)), np.empty((n, c)), np.empty((n, c))
    mu, gram = np.empty((n, d)), np.empty((n, c, c))
    J = np.empty((n, c, d)) if jacobian else None
    pats = [np.empty((n, net.widths[i + 1]), dtype=bool) for i in net.activation_layers]
    radius, inside = np.full(n, np.nan), np.zeros(n, dtype=bool)
    # without robustness the nearest boundary points are undefined: a read-only NaN view, not n x d floats
    x_star = np.empty((n, d)) if robustness else np.broadcast_to(np.nan, (n, d))
    sites = [np.empty((n, d)) for _ in net.activation_layers] if layer_sites else []
    radii = [np.empty(n) for _ in net.activation_layers] if layer_sites else []
    for lo, hi in _chunks(net, n, chunk):
        Xc, m = X[lo:hi], hi - lo
        p = _forward(net, Xc)
        A = _reverse_product(net, p.s, fold)  # (m, c, k_1): J = A W_1
        if not gram_route:
            Jc = J[lo:hi] if J is not None else np.empty((m, c, d))
            _vjp(first, A.reshape(m * c, -1), out=Jc.reshape(m * c, d))
            np.matmul(Jc, Jc.transpose(0, 2, 1), out=gram[lo:hi])
            jx[lo:hi] = np.einsum("ncd,nd->nc", Jc, Xc)
        else:
            B = np.matmul(A.reshape(m * c, -1), G1).reshape(m, c, -1)
            np.matmul(B, A.transpose(0, 2, 1), out=gram[lo:hi])
            jx[lo:hi] = np.einsum("nck,nk->nc", A, p.u)
            _refine_cancelled(gram[lo:hi], jx[lo:hi], A, W1, Xc, g1_norm, tol_gram)
        _vjp(first, A.sum(axis=1), out=mu[lo:hi])
        logits[lo:hi] = p.f
        offset[lo:hi] = p.f - jx[lo:hi]
        for j, i in enumerate(net.activation_layers):
            pats[j][lo:hi] = net.layers[i].pattern(p.zs[i])
        if robustness:
            radius[lo:hi], x_star[lo:hi], inside[lo:hi] = _local_robustness(net, Xc, p.zs, p.s, p.f, gram[lo:hi])
        for j, i in enumerate(net.activation_layers if layer_sites else ()):
            q = p.s[i]
            site = _vjp_to_input(net, p.s, i, q)
            e_q = np.einsum("nk,nk->n", q, p.zs[i]) - np.einsum("nd,nd->n", site, Xc)
            sites[j][lo:hi] = site
            radii[j][lo:hi] = np.einsum("nd,nd->n", site, site) + 2.0 * e_q

    fro = np.sqrt(np.clip(np.trace(gram, axis1=1, axis2=2), 0, None))
    mu_norm = np.linalg.norm(mu, axis=1)
    zero_tol = matmul_tol(len(net.layers), max(net.widths))
    vanishing = mu_norm <= zero_tol * np.sqrt(c) * fro
    with np.errstate(divide="ignore", invalid="ignore"):
        ca = np.einsum("nd,nd->n", mu, X) / (mu_norm * x_norm)
    ca = np.ma.masked_array(np.where(vanishing, 0.0, ca), mask=vanishing)
    return RegionGeometry(
        points=X, patterns=pats, logits=logits, offset=offset, centroid=mu,
        centroid_radius=mu_norm**2 + 2.0 * offset.sum(axis=1), centroid_alignment=ca,
        scores=scores_from_gram(gram, jx, x_norm), augmented=augmented_scores(gram, jx, offset, x_norm),
        gram=gram, jx=jx, robustness_radius=radius, nearest_boundary=x_star, boundary_in_region=inside,
        layer_sites=sites, layer_radii=radii, jacobian=J,
    )


def _refine_cancelled(gram: np.ndarray, jx: np.ndarray, A: np.ndarray, W1: np.ndarray, X: np.ndarray,
                      g1_norm: float, tol: float) -> None:
    """In place: where the rounding bound ``tol ||A||_F^2 ||G_1||`` exceeds ``GRAM_REFINE_REL`` times
    ``tr(A G_1 A^T)`` (J tiny against its factors, so the Gram route cancels), recompute ``J J^T`` and ``J x``
    from an explicit ``J = A W_1`` for those points only. ``g1_norm`` is ``||G_1||_F``, an upper bound of
    ``||G_1||_2`` that costs no eigen-solve: it can only refine more points, never fewer."""
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
        same &= np.all(net.layers[i].pattern(z_star[i]) == net.layers[i].pattern(zs[i]), axis=1)
    same &= np.isfinite(radius)
    return radius, x_star, same


def _chunks(net: CPANetwork, n: int, chunk: int | None):
    """``(lo, hi)`` ranges of at most ``chunk`` points; by default as many points as keep a chunk's
    intermediates (two (c, k) products of the reverse pass, pre-activations, slopes and activations of
    every layer, and a few d-vectors: sites, boundary points) within ``CHUNK_BYTES``. Outputs, J included,
    are allocated once by the caller and are not intermediates."""
    if chunk is None:
        hidden = max(net.widths[1:])
        per_point = 8 * (2 * net.output_dim * hidden + 3 * sum(net.widths[1:]) + 4 * net.input_dim)
        chunk = max(1, min(n, CHUNK_BYTES // per_point))
    for lo in range(0, n, chunk):
        yield lo, min(n, lo + chunk)
