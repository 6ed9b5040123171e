"""Registry checks of the definitions D1-D3 against independent oracles.

- D1 scores: the engine's Gram-route scores (``normalign.numerics.engine.scores``) against a direct SVD of ``J``.
- D2 centroid: the engine's ``mu_x = J_x^T 1`` against torch autograd's vector-Jacobian product.
- D3 power diagram of one ReLU layer: the active pattern against the argmin of the power distance over
  all ``2^K`` patterns, with sites and radii from autograd (not from the engine).
Planted-false variants (``planted_*``) must come out refuted.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.scores import scores_from_jacobians
from normalign.numerics.tolerances import (
    ALIGNED_TOL,
    BOUNDARY_CLEARANCE,
    GRAM_PATH_MIN_NORM,
    GRAM_SINGULAR_TOL,
    NA_GAP_MIN,
    SCORE_TOL,
    matmul_tol,
)

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import conjecture
from normalign.strategies import matrices, nonzero_vectors, points_for, vectors


# ----------------------------------------------------------------------------- oracles
def svd_scores(J: np.ndarray, x: np.ndarray) -> dict[str, float]:
    """D1 scores of one ``J`` (c, d) at ``x`` straight from the definitions, via a full SVD."""
    _, s, Vt = np.linalg.svd(J)
    xn = np.linalg.norm(x)
    return {
        "normal_alignment": abs(Vt[0] @ x) / xn,
        "frobenius_ratio": np.linalg.norm(J @ x) / (np.linalg.norm(J) * xn),
        "effective_rank": s.sum() ** 2 / (s**2).sum(),
        "pc1": s[0] ** 2 / (s**2).sum(),
        "gap": (s[0] ** 2 - (s[1] ** 2 if s.size > 1 else 0.0)) / s[0] ** 2,
    }


def autograd_jacobian(net: CPANetwork, X: np.ndarray, upto: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(J, z)`` of the pre-activation of layer ``upto`` (default: the output) by torch.func.jacrev."""
    import torch

    seq = net.to_sequential()
    mods = list(seq)
    if upto is not None:  # keep Linear layers 0..upto and the activations between them
        keep, lin = [], -1
        for m in mods:
            if isinstance(m, torch.nn.Linear):
                lin += 1
                if lin > upto:
                    break
            elif lin == upto:
                break
            keep.append(m)
        seq = torch.nn.Sequential(*keep)
    Xt = torch.as_tensor(X, dtype=torch.float64)
    J = torch.func.vmap(torch.func.jacrev(seq))(Xt)
    return J.detach().numpy(), seq(Xt).detach().numpy()


def _random_net(rng: np.random.Generator, widths: tuple[int, ...], acts: list[str] | None = None,
                bias: bool = True) -> CPANetwork:
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) for i, o in itertools.pairwise(widths)]
    bs = [rng.normal(size=o) * 0.5 if bias else None for o in widths[1:]]
    return CPANetwork.from_arrays(Ws, bs, acts)


def _arrays_case(names: tuple[str, ...]):
    """(to_case, from_case) of a conjecture whose example is a tuple of float arrays named ``names``."""
    def to_case(case: tuple) -> dict:
        return dict(zip(names, case))

    def from_case(c: dict) -> tuple:
        return tuple(np.asarray(c[k], dtype=np.float64) for k in names)
    return to_case, from_case


# ----------------------------------------------------------------------------- D1
def check_scores_vs_svd(budget: Budget) -> CheckResult:
    """Gram-route scores equal SVD scores on random J; every score is 1 on planted J = u x^T.

    Residual: the largest difference, relative to the tolerance of each score (so <= 1 passes):
    NA is compared only where the top singular value is separated (relative gap >= NA_GAP_MIN), with
    tolerance ``SCORE_TOL / gap`` (eigenvector perturbation ~ EPS / gap)."""
    rng = np.random.default_rng(budget.seed)
    n = budget.n(200, 5000)
    ratios = []
    for _ in range(n):
        c, d = rng.integers(1, 6), rng.integers(1, 9)
        x = rng.normal(size=d)
        planted = rng.random() < 0.5
        J = np.outer(rng.normal(size=c), x) if planted else rng.normal(size=(c, d))
        got = {k: float(v[0]) for k, v in scores_from_jacobians(J[None], x[None]).items()}
        ref = svd_scores(J, x)
        er_tol = 2 * max(c - 1, 1) * GRAM_SINGULAR_TOL
        r = [abs(got["frobenius_ratio"] - ref["frobenius_ratio"]) / SCORE_TOL,
             abs(got["pc1"] - ref["pc1"]) / SCORE_TOL,
             abs(got["effective_rank"] - ref["effective_rank"]) / er_tol]
        if ref["gap"] >= NA_GAP_MIN:
            r.append(abs(got["normal_alignment"] - ref["normal_alignment"]) / (SCORE_TOL / ref["gap"]))
        if planted:
            r += [abs(got[k] - 1.0) / (er_tol if k == "effective_rank" else ALIGNED_TOL)
                  for k in ("normal_alignment", "frobenius_ratio", "effective_rank", "pc1")]
        ratios.append(max(r))
    return verdict(ratios, 1.0, detail="max |gram - svd| / tolerance over random and rank-one J")


def _gram_path_cases():
    """(J, x): J of shape (c, d), c <= 4, d <= 5, and x != 0."""
    return st.integers(1, 4).flatmap(lambda c: st.integers(1, 5).flatmap(
        lambda d: st.tuples(matrices(c, d), nonzero_vectors(d))))


@conjecture(id="D1", strategy=_gram_path_cases(), tol=SCORE_TOL, examples=(150, 3000),
            to_case=lambda case: {"J": case[0], "x": case[1]},
            from_case=lambda c: (np.asarray(c["J"], dtype=np.float64), np.asarray(c["x"], dtype=np.float64)))
def scores_gram_path(case: tuple[np.ndarray, np.ndarray]) -> float:
    """D1 scores, Gram route vs SVD.

    max |gram - svd| over the Frobenius ratio and PC1 (J with ||J|| < GRAM_PATH_MIN_NORM skipped: residual 0)."""
    J, x = case
    if np.linalg.norm(J) < GRAM_PATH_MIN_NORM:
        return 0.0
    got = scores_from_jacobians(J[None], x[None])
    ref = svd_scores(J, x)
    return float(max(abs(got[k][0] - ref[k]) for k in ("frobenius_ratio", "pc1")))


def property_scores_gram_path(budget: Budget) -> CheckResult:
    """Hypothesis search (shrinking) for a J whose Frobenius ratio or PC1 differs between the Gram
    route and the SVD oracle by more than SCORE_TOL."""
    return scores_gram_path.check(budget)


def _na_one_cases():
    """(x, M, s): d in 2..5, x != 0, M of shape (d, d - 1) (completes x to an orthonormal basis Q by QR),
    singular values s in [0.1, 1] (the top one is set to 2 where the case is built)."""
    return st.integers(2, 5).flatmap(lambda d: st.tuples(
        nonzero_vectors(d), matrices(d, d - 1), arrays(np.float64, d, elements=st.floats(0.1, 1.0))))


def na_one_jacobian(x: np.ndarray, M: np.ndarray, s: np.ndarray) -> np.ndarray:
    """J = Q diag(s') Q^T with Q from QR of [x | M] and s' = s sorted down with s'_0 = 2: its top right
    singular vector is +-x / ||x|| (NA = 1) and its effective rank is > 1."""
    Q, _ = np.linalg.qr(np.column_stack([x, M]))
    s = np.sort(np.asarray(s, dtype=np.float64))[::-1].copy()
    s[0] = 2.0
    return (Q * s) @ Q.T


@conjecture(id="D1", strategy=_na_one_cases(), tol=2 * ALIGNED_TOL, expect="fails", planted=True, examples=(20, 200),
            to_case=_arrays_case(("x", "M", "s"))[0], from_case=_arrays_case(("x", "M", "s"))[1])
def na_one_implies_rank_one(case: tuple[np.ndarray, np.ndarray, np.ndarray]) -> float:
    """planted: NA(x) = 1 implies J is rank one.

    Effective rank - 1 of J = Q diag(s) Q^T (top right singular vector x / ||x||) where the engine's NA is
    1 to ALIGNED_TOL (0 elsewhere): any such J of effective rank > 1 refutes the claim."""
    x = case[0]
    sc = scores_from_jacobians(na_one_jacobian(*case)[None], x[None])
    na_is_one = abs(sc["normal_alignment"][0] - 1.0) <= ALIGNED_TOL
    return float(sc["effective_rank"][0] - 1.0) if na_is_one else 0.0


planted_na_one_implies_rank_one = na_one_implies_rank_one.check
"""Planted claim: 'NA(x) = 1 implies J is rank one' (registry check: the conjecture's search)."""


# ----------------------------------------------------------------------------- D2
def _centroid_cases(budget: Budget):
    rng = np.random.default_rng(budget.seed + 1)
    for _ in range(budget.n(20, 300)):
        depth = int(rng.integers(1, 4))
        widths = tuple(int(w) for w in rng.integers(1, 7, size=depth + 1))
        acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=depth - 1)] + ["identity"]
        net = _random_net(rng, widths, acts, bias=bool(rng.integers(0, 2)))
        yield net, rng.normal(size=(8, widths[0]))


def check_centroid_vs_autograd(budget: Budget) -> CheckResult:
    """``mu_x`` (engine, without forming J) against autograd's VJP ``J^T 1``; relative residual."""
    import torch

    res = []
    for net, X in _centroid_cases(budget):
        geo = analyze(net, X, jacobian=False, layer_sites=False)
        Xt = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
        (mu_ref,) = torch.autograd.grad(net.to_sequential()(Xt).sum(), Xt)
        scale = np.abs(mu_ref.numpy()).max() + 1e-300
        tol = matmul_tol(len(net.layers), max(net.widths))
        res.append(np.abs(geo.centroid - mu_ref.numpy()).max() / scale / tol)
    return verdict(res, 1.0, detail="|mu_engine - mu_autograd|_max / (scale * matmul_tol)")


def _square_net_cases():
    """(W1, b1, W2, b2, X): a square net d -> 6 -> d (d in 2..4, ReLU hidden layer, biases) and 4 points."""
    return st.integers(2, 4).flatmap(lambda d: st.tuples(
        matrices(6, d), vectors(6), matrices(d, 6), vectors(d), matrices(4, d)))


_ROW_SUM_CASE = _arrays_case(("W1", "b1", "W2", "b2", "X"))


@conjecture(id="D2", strategy=_square_net_cases(), tol=1.0, expect="fails", planted=True, examples=(10, 100),
            to_case=_ROW_SUM_CASE[0], from_case=_ROW_SUM_CASE[1])
def centroid_row_sum(case: tuple) -> float:
    """planted: the centroid as J 1 (row sums) instead of J^T 1.

    On square nets (c = d, so the shapes agree): max |J 1 - autograd J^T 1| / (scale * matmul_tol(2, 6))."""
    import torch

    W1, b1, W2, b2, X = case
    X = X.reshape(-1, W1.shape[1])
    net = CPANetwork.from_arrays([W1.reshape(6, -1), W2.reshape(-1, 6)], [b1, b2])
    J, _ = autograd_jacobian(net, X)
    wrong = J.sum(axis=2)  # J 1
    Xt = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
    (mu_ref,) = torch.autograd.grad(net.to_sequential()(Xt).sum(), Xt)
    scale = np.abs(mu_ref.numpy()).max() + 1e-300
    return float(np.abs(wrong - mu_ref.numpy()).max() / scale / matmul_tol(2, 6))


planted_centroid_row_sum = centroid_row_sum.check
"""Planted: the centroid computed as ``J 1`` instead of ``J^T 1`` (registry check: the conjecture's search)."""


# ----------------------------------------------------------------------------- D3
def power_residual(net: CPANetwork, X: np.ndarray, radius_sign: float) -> float | None:
    """For one ReLU layer (plus a linear read-out), compare the active pattern with the argmin over all
    2^K patterns of ``||x - W^T q||^2 - rho_q``, ``rho_q = ||W^T q||^2 + radius_sign * 2 b^T q``.
    Residual (over matmul_tol): how much the active pattern's power distance exceeds the minimum, over
    the scale, plus the engine's site / radius error against the oracle's. None when every point lies
    on a boundary."""
    W, b = net.layers[0].weight, net.layers[0].bias
    d, K = W.shape[1], W.shape[0]
    z = X @ W.T + b
    keep = np.min(np.abs(z), axis=1) > BOUNDARY_CLEARANCE * (1 + np.abs(z).max())  # no point on a boundary
    X, z = X[keep], z[keep]
    if X.shape[0] == 0:
        return None
    Q = np.array(list(itertools.product([0.0, 1.0], repeat=K)))  # (2^K, K)
    sites = Q @ W  # (2^K, d): W^T q
    rho = (sites**2).sum(axis=1) + radius_sign * 2.0 * (Q @ b)
    power = ((X[:, None, :] - sites[None]) ** 2).sum(axis=2) - rho[None]  # (n, 2^K)
    active = (z > 0).astype(float)
    idx = np.array([int(np.flatnonzero((Q == a).all(axis=1))[0]) for a in active])
    scale = 1.0 + (X**2).sum(axis=1) + np.abs(power).max(axis=1)
    excess = (power[np.arange(len(idx)), idx] - power.min(axis=1)) / scale
    geo = analyze(net, X, jacobian=False)
    site_err = np.abs(geo.layer_sites[0] - sites[idx]).max(axis=1) / (1 + np.abs(sites).max())
    rad_ref = (sites[idx] ** 2).sum(axis=1) + 2.0 * (active @ b)
    rad_err = np.abs(geo.layer_radii[0] - rad_ref) / (1 + np.abs(rad_ref))
    tol = matmul_tol(2, max(d, K))
    return float(max(excess.max(), site_err.max(), rad_err.max())) / tol


def _power_residuals(budget: Budget, radius_sign: float) -> tuple[list[float], list[dict]]:
    """:func:`power_residual` on random one-layer nets (d <= 3, K <= 5) and 10 points each."""
    rng = np.random.default_rng(budget.seed + 3)
    res, cases = [], []
    for _ in range(budget.n(15, 200)):
        d, K = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        net = _random_net(rng, (d, K, 2))
        X = rng.normal(size=(10, d)) * 2
        r = power_residual(net, X, radius_sign)
        if r is None:
            continue
        res.append(r)
        cases.append({"W": net.layers[0].weight, "b": net.layers[0].bias, "X": X, "radius_sign": radius_sign})
    return res, cases


def check_power_diagram_exhaustive(budget: Budget) -> CheckResult:
    """D3 on one ReLU layer, all 2^K patterns enumerated (K <= 5)."""
    res, _ = _power_residuals(budget, +1.0)
    return verdict(res, 1.0, detail="power-distance excess of the active pattern / tol (K <= 5, exhaustive)")


def _one_layer_cases():
    """(W, b, W2, b2, X): one ReLU layer d -> K (d <= 3, K <= 5) with biases, a read-out K -> 2, 10 points x != 0."""
    return st.integers(1, 3).flatmap(lambda d: st.integers(1, 5).flatmap(lambda K: st.tuples(
        matrices(K, d), vectors(K), matrices(2, K), vectors(2), points_for(d, 10))))


_ONE_LAYER_CASE = _arrays_case(("W", "b", "W2", "b2", "X"))


@conjecture(id="D3", strategy=_one_layer_cases(), tol=1.0, expect="fails", planted=True, examples=(15, 200),
            to_case=_ONE_LAYER_CASE[0], from_case=_ONE_LAYER_CASE[1])
def power_radius_sign(case: tuple) -> float:
    """planted: rho_q = ||W^T q||^2 - 2 b^T q.

    The active pattern must then fail to be the argmin of the power distance (:func:`power_residual`
    with the radius sign flipped; 0 when every point lies on a boundary)."""
    W, b, W2, b2, X = case
    K = b.size
    W, W2 = W.reshape(K, -1), W2.reshape(2, K)
    net = CPANetwork.from_arrays([W, W2], [b, b2])
    r = power_residual(net, X.reshape(-1, W.shape[1]), -1.0)
    return 0.0 if r is None else r


planted_power_radius_sign = power_radius_sign.check
"""Planted: ``rho_q = ||W^T q||^2 - 2 b^T q`` (registry check: the conjecture's search)."""


# ----------------------------------------------------------------------------- convolutional nets (issue 17)
def _conv_case(budget: Budget):
    """A small eval-mode conv net (convolutions with padding / stride / dilation / groups, batch norm,
    leaky ReLU, max-pool, a residual block with PReLU, avg-pool, Linear) lowered from its nn.Module, its
    points, and the autograd Jacobians of the module itself (never the engine)."""
    from normalign.numerics.checks.definitions.conv_nets import small_conv_net, torch_jacobians

    shape = (2, 7, 7)
    module = small_conv_net(seed=budget.seed, in_shape=shape)
    net = CPANetwork.from_module(module, shape)
    X = np.random.default_rng(budget.seed).normal(size=(8, int(np.prod(shape))))
    return module, shape, net, X, torch_jacobians(module, X, shape)


def check_conv_scores_vs_autograd(budget: Budget) -> CheckResult:
    """D1 on a convolutional / residual net: analyze's scores (explicit-J and Gram routes) against
    ``scores_from_jacobians`` of torch autograd's J of the nn.Module; residual / SCORE_TOL."""
    _, _, net, X, Jt = _conv_case(budget)
    res = []
    for jac in (True, False):
        res += list(score_residuals(analyze(net, X, jacobian=jac, layer_sites=False).scores, Jt, X))
    return verdict(res, 1.0, detail="max |score_engine - score(autograd J)| / tolerance (SCORE_TOL; effective rank "
                   "2 (c-1) GRAM_SINGULAR_TOL; NA SCORE_TOL / gap), conv net with max-pool, batch norm, residual block")


def score_residuals(scores: dict[str, np.ndarray], J: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Per point, the largest ``|score - score(J)| / tolerance`` over the D1 scores, against
    ``scores_from_jacobians`` of an oracle ``J``: ``SCORE_TOL`` for the Frobenius ratio and PC1,
    ``2 (c - 1) GRAM_SINGULAR_TOL`` for the effective rank (square roots of small eigenvalues), and
    ``SCORE_TOL / gap`` for NA (``gap = (s_1^2 - s_2^2) / s_1^2`` of the oracle; NA skipped below NA_GAP_MIN)."""
    ref = scores_from_jacobians(J, X)
    s = np.linalg.svd(J, compute_uv=False)
    gap = (s[:, 0] ** 2 - (s[:, 1] ** 2 if s.shape[1] > 1 else 0.0)) / s[:, 0] ** 2
    c = J.shape[1]
    r = np.maximum(np.abs(scores["frobenius_ratio"] - ref["frobenius_ratio"]), np.abs(scores["pc1"] - ref["pc1"])) \
        / SCORE_TOL
    r = np.maximum(r, np.abs(scores["effective_rank"] - ref["effective_rank"]) / (2 * max(c - 1, 1) * GRAM_SINGULAR_TOL))
    na = np.where(gap >= NA_GAP_MIN, np.abs(scores["normal_alignment"] - ref["normal_alignment"]) * gap / SCORE_TOL, 0.0)
    return np.maximum(r, na)


def check_conv_layer_site_vs_autograd(budget: Budget) -> CheckResult:
    """D3 on a convolutional net: the power-diagram site ``E^T q`` of the first activation layer (conv,
    batch norm, leaky ReLU; ``q`` its slopes) against autograd's vector-Jacobian product of the module's
    own conv + batch norm with ``q``; residual / (scale * matmul_tol)."""
    import torch

    module, shape, net, X, _ = _conv_case(budget)
    geo = analyze(net, X, robustness=False)
    xt = torch.from_numpy(X).requires_grad_(True)
    z = module[1](module[0](xt.reshape((-1,) + shape)))
    slope = module[2].negative_slope
    q = torch.where(z > 0, 1.0, slope).detach()
    (site,) = torch.autograd.grad(z, xt, q)
    ref = site.numpy()
    tol = matmul_tol(len(net.layers), max(net.widths))
    return verdict([np.abs(geo.layer_sites[0] - ref).max() / (np.abs(ref).max() * tol)], 1.0,
                   detail="|site_engine - autograd q^T dz/dx|_max / (scale * matmul_tol), first layer of a conv net")
