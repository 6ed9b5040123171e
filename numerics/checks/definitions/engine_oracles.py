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
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.scores import scores_from_jacobians
from normalign.numerics.tolerances import (
    ALIGNED_TOL,
    GRAM_SINGULAR_TOL,
    SCORE_TOL,
    matmul_tol,
)

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import conjecture
from normalign.strategies import matrices, nonzero_vectors


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


# ----------------------------------------------------------------------------- D1
def check_scores_vs_svd(budget: Budget) -> CheckResult:
    """Gram-route scores equal SVD scores on random J; every score is 1 on planted J = u x^T.

    Residual: the largest difference, relative to the tolerance of each score (so <= 1 passes):
    NA is compared only where the top singular value is separated (relative gap >= 1e-3), with
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
        if ref["gap"] >= 1e-3:
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

    max |gram - svd| over the Frobenius ratio and PC1 (J with ||J|| < 1e-3 skipped: residual 0)."""
    J, x = case
    if np.linalg.norm(J) < 1e-3:
        return 0.0
    got = scores_from_jacobians(J[None], x[None])
    ref = svd_scores(J, x)
    return float(max(abs(got[k][0] - ref[k]) for k in ("frobenius_ratio", "pc1")))


def property_scores_gram_path(budget: Budget) -> CheckResult:
    """Hypothesis search (shrinking) for a J whose Frobenius ratio or PC1 differs between the Gram
    route and the SVD oracle by more than SCORE_TOL."""
    return scores_gram_path.check(budget)


def planted_na_one_implies_rank_one(budget: Budget) -> CheckResult:
    """Planted claim: 'NA(x) = 1 implies J is rank one'. Searched on J = diag-like matrices whose top
    right singular vector is x; refuted as soon as such a J of effective rank > 1 is found."""
    rng = np.random.default_rng(budget.seed)
    res = []
    cases = []
    for _ in range(budget.n(20, 200)):
        d = int(rng.integers(2, 6))
        x = rng.normal(size=d)
        Q, _ = np.linalg.qr(np.column_stack([x, rng.normal(size=(d, d - 1))]))
        s = np.sort(rng.uniform(0.1, 1.0, size=d))[::-1]
        s[0] = 2.0
        J = (Q * s) @ Q.T  # top right singular vector is +-x / ||x||
        sc = scores_from_jacobians(J[None], x[None])
        na_is_one = abs(sc["normal_alignment"][0] - 1.0) <= ALIGNED_TOL
        rank_excess = sc["effective_rank"][0] - 1.0 if na_is_one else 0.0
        res.append(rank_excess)
        cases.append({"J": J, "x": x, "normal_alignment": sc["normal_alignment"][0],
                      "effective_rank": sc["effective_rank"][0]})
    return verdict(res, 2 * ALIGNED_TOL, detail="effective rank - 1 where NA = 1",
                   counterexample=lambda i: cases[i])


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


def planted_centroid_row_sum(budget: Budget) -> CheckResult:
    """Planted: the centroid computed as ``J 1`` (row sums) instead of ``J^T 1``, on square nets
    (c = d so the shapes agree); compared against autograd exactly as the true centroid is."""
    import torch

    rng = np.random.default_rng(budget.seed + 2)
    res, cases = [], []
    for _ in range(budget.n(10, 100)):
        d = int(rng.integers(2, 5))
        net = _random_net(rng, (d, 6, d))
        X = rng.normal(size=(4, d))
        J, _ = autograd_jacobian(net, X)
        wrong = J.sum(axis=2)  # J 1
        Xt = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
        (mu_ref,) = torch.autograd.grad(net.to_sequential()(Xt).sum(), Xt)
        scale = np.abs(mu_ref.numpy()).max() + 1e-300
        res.append(np.abs(wrong - mu_ref.numpy()).max() / scale / matmul_tol(2, 6))
        cases.append({"weights": [l.weight for l in net.layers], "biases": [l.bias for l in net.layers], "X": X})
    return verdict(res, 1.0, detail="planted J 1 vs autograd J^T 1", counterexample=lambda i: cases[i])


# ----------------------------------------------------------------------------- D3
def _power_residuals(budget: Budget, radius_sign: float) -> tuple[list[float], list[dict]]:
    """For one ReLU layer (plus a linear read-out), compare the active pattern with the argmin over all
    2^K patterns of ``||x - W^T q||^2 - rho_q``, ``rho_q = ||W^T q||^2 + radius_sign * 2 b^T q``.
    Residual: how much the active pattern's power distance exceeds the minimum, over the scale, plus
    the engine's site / radius error against the oracle's."""
    rng = np.random.default_rng(budget.seed + 3)
    res, cases = [], []
    for _ in range(budget.n(15, 200)):
        d, K = int(rng.integers(1, 4)), int(rng.integers(1, 6))
        net = _random_net(rng, (d, K, 2))
        X = rng.normal(size=(10, d)) * 2
        W, b = net.layers[0].weight, net.layers[0].bias
        z = X @ W.T + b
        keep = np.min(np.abs(z), axis=1) > 1e-9 * (1 + np.abs(z).max())  # no point on a boundary
        X, z = X[keep], z[keep]
        if X.shape[0] == 0:
            continue
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
        res.append(float(max(excess.max(), site_err.max(), rad_err.max())) / tol)
        cases.append({"W": W, "b": b, "X": X, "radius_sign": radius_sign})
    return res, cases


def check_power_diagram_exhaustive(budget: Budget) -> CheckResult:
    """D3 on one ReLU layer, all 2^K patterns enumerated (K <= 5)."""
    res, _ = _power_residuals(budget, +1.0)
    return verdict(res, 1.0, detail="power-distance excess of the active pattern / tol (K <= 5, exhaustive)")


def planted_power_radius_sign(budget: Budget) -> CheckResult:
    """Planted: ``rho_q = ||W^T q||^2 - 2 b^T q``; the active pattern must then fail to be the argmin."""
    res, cases = _power_residuals(budget, -1.0)
    return verdict(res, 1.0, detail="planted radius sign", counterexample=lambda i: cases[i])

