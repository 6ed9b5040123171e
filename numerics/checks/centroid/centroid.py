"""Registry checks of P1: normal alignment implies centroid alignment (provided 1^T u != 0).

Construction of networks that are normal-aligned at chosen points ("bump" networks): for training points
``x_1..x_n`` with ``||x_i||^2 > max_{j != i} x_i^T x_j`` (each point sticks out in its own direction), the
first layer has, for each point, units ``relu(a_k (x_i^T x' - tau_i))`` with ``a_k > 0`` and
``max_{j != i} x_i^T x_j < tau_i < ||x_i||^2``: at ``x_i`` only the units of point ``i`` are active, so
whatever the later layers are, ``J_{x_i} = A diag(s_1) W_1 = (A diag(s_1) a) x_i^T = u_i x_i^T``. Then
``mu = J^T 1 = (1^T u) x`` and ``CA = cos(mu, x) = sign(1^T u)`` when ``1^T u != 0``.

Oracles: torch autograd's Jacobian (rank-one residual ``||J - u x^T||`` with ``u = J x / ||x||^2``) and
the closed form ``(1^T u) x``; the engine's ``centroid`` and masked ``centroid_alignment`` are compared.
Boundaries: the converse (``J = [x + w; x - w]`` with ``w`` orthogonal to ``x``: ``mu = 2x``, CA = 1,
rank 2), and the cross-entropy optimum of T1(c) (``1^T z* = 0``: centroid 0, CA undefined).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st
from normalign.numerics.checks.centroid.power_diagram import net_case
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import (
    ALIGNED_TOL,
    CA_REPLAY_TOL,
    P1_SUM_MIN,
    SUBNORMAL_MARGIN,
    matmul_tol,
)

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import conjecture
from normalign.strategies import matrices, nonzero_vectors, vectors


def bump_network(X: np.ndarray, units_per_point: np.ndarray, scales: np.ndarray, head: list[np.ndarray],
                 head_biases: list[np.ndarray] | None = None, frac: float = 0.5) -> CPANetwork:
    """A ReLU network normal-aligned at every row of ``X`` (see the module docstring).

    ``scales`` (positive, one per first-layer unit) are the ``a_k``; ``head`` the later weight matrices
    (the first of shape (m, total units)); ``frac`` in (0, 1) places ``tau_i`` between the largest
    foreign inner product and ``||x_i||^2``."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    G = X @ X.T
    rows, bias = [], []
    k = 0
    for i in range(X.shape[0]):
        others = np.delete(G[i], i)
        top = float(others.max()) if others.size else -np.inf
        own = float(G[i, i])
        if not own > top:
            raise ValueError(f"point {i} does not stick out: ||x_i||^2 = {own} <= max x_i^T x_j = {top}")
        tau = (top + frac * (own - top)) if np.isfinite(top) else frac * own
        for _ in range(int(units_per_point[i])):
            a = float(scales[k])
            if not a > 0:
                raise ValueError("scales must be positive")
            rows.append(a * X[i])
            bias.append(-a * tau)
            k += 1
    Ws = [np.array(rows)] + [np.asarray(W, dtype=np.float64) for W in head]
    bs = [np.array(bias)] + (list(head_biases) if head_biases is not None else [None] * len(head))
    return CPANetwork.from_arrays(Ws, bs)


def sticking_out_points(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """Random points each with ``||x_i||^2 > max_{j != i} x_i^T x_j`` (redrawn until so)."""
    while True:
        X = rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=(n, 1))
        G = X @ X.T
        off = G - np.diag(np.full(n, np.inf))
        if n == 1 or np.all(np.diag(G) > off.max(axis=1) + 1e-3 * np.diag(G)):
            return X


def p1_residuals(net: CPANetwork, X: np.ndarray) -> dict[str, np.ndarray]:
    """Per point: rank-one residual of the autograd Jacobian, |mu_engine - (1^T u) x|, |CA - sign(1^T u)|
    (inf where CA is undefined), |NA - 1|, and 1^T u -- all relative to their scale."""
    import torch

    seq = net.to_sequential()
    J = torch.func.vmap(torch.func.jacrev(seq))(torch.as_tensor(X, dtype=torch.float64)).detach().numpy()
    xn2 = (X**2).sum(axis=1)
    u = np.einsum("ncd,nd->nc", J, X) / xn2[:, None]
    rank1 = np.linalg.norm(J - u[:, :, None] * X[:, None, :], axis=(1, 2)) / (np.linalg.norm(J, axis=(1, 2)) + 1e-300)
    s = u.sum(axis=1)
    geo = analyze(net, X, jacobian=False)
    mu_ref = s[:, None] * X
    mu_err = np.abs(geo.centroid - mu_ref).max(axis=1) / (np.abs(u).sum(axis=1) * np.abs(X).max(axis=1) + 1e-300)
    ca = geo.centroid_alignment
    ca_err = np.where(np.ma.getmaskarray(ca), np.inf, np.abs(np.ma.getdata(ca) - np.sign(s)))
    na_err = np.abs(geo.scores["normal_alignment"] - 1.0)
    return {"rank1": rank1, "mu": mu_err, "ca": ca_err, "na": na_err, "sum_u": s,
            "sum_u_rel": np.abs(s) / (np.linalg.norm(u, axis=1) + 1e-300)}


def _bump_cases(budget: Budget, seed: int):
    rng = np.random.default_rng(budget.seed + seed)
    for _ in range(budget.n(15, 200)):
        n, d, c = int(rng.integers(1, 5)), int(rng.integers(2, 6)), int(rng.integers(1, 4))
        X = sticking_out_points(rng, n, d)
        upp = rng.integers(1, 4, size=n)
        K = int(upp.sum())
        m = int(rng.integers(2, 6))
        head = [rng.normal(size=(m, K)), rng.normal(size=(c, m))]
        net = bump_network(X, upp, rng.uniform(0.5, 2.0, size=K), head, [rng.normal(size=m) * 0.3, rng.normal(size=c)])
        yield net, X


def check_p1_constructed(budget: Budget) -> CheckResult:
    """Bump networks (aligned by construction at every training point, arbitrary deeper layers): autograd
    confirms J = u x^T, and the engine gives mu = (1^T u) x, CA = sign(1^T u), NA = 1, wherever
    1^T u != 0 (|1^T u| >= P1_SUM_MIN ||u||; other points are outside the hypothesis and not counted)."""
    res, cases = [], []
    for net, X in _bump_cases(budget, 50):
        r = p1_residuals(net, X)
        tol = matmul_tol(len(net.layers), max(net.widths))
        ok = (r["sum_u_rel"] >= P1_SUM_MIN) & (r["rank1"] <= tol)  # hypothesis holds
        if r["rank1"].max() > tol:  # the construction itself failed: report it as a failure
            res.append(np.inf)
        else:
            parts = [r["mu"][ok] / tol, r["ca"][ok] / tol, r["na"][ok] / ALIGNED_TOL]
            res.append(float(max([0.0] + [float(p.max()) for p in parts if p.size])))
        cases.append({**net_case(net), "X": X})
    return verdict(res, 1.0, detail="max(|mu - (1^T u) x|, |CA - sign(1^T u)|) / matmul_tol, NA vs ALIGNED_TOL",
                   counterexample=lambda i: cases[i])


def _one_point_net(x: np.ndarray, a: np.ndarray, W2: np.ndarray, frac: float) -> CPANetwork:
    return bump_network(x[None], np.array([a.size]), a, [W2], frac=frac)


def _p1_strategy():
    """(x, a, W2, frac): one point, positive scales a, read-out W2; W2 is column-centred half the time
    (then 1^T u = 1^T W2 a = 0: the cross-entropy-like case where P1's hypothesis fails)."""
    def read_out(c: int, K: int):
        return st.tuples(matrices(c, K), st.booleans()).map(lambda t: t[0] - t[0].mean(axis=0) if t[1] else t[0])

    return st.integers(2, 4).flatmap(lambda d: st.integers(1, 3).flatmap(lambda K: st.integers(1, 3).flatmap(
        lambda c: st.tuples(nonzero_vectors(d, min_norm=0.1),
                            matrices(1, K, 2.0).map(lambda m: 0.5 + np.abs(m[0])),
                            read_out(c, K), st.floats(0.1, 0.9)))))


def _p1_case(case) -> dict[str, Any]:
    x, a, W2, frac = case
    return {"x": x, "a": a, "W2": W2, "frac": frac, "u": W2 @ a}


def _p1_from_case(c: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    return (np.asarray(c["x"], dtype=np.float64), np.asarray(c["a"], dtype=np.float64),
            np.asarray(c["W2"], dtype=np.float64).reshape(-1, len(c["a"])), float(c["frac"]))


@conjecture(id="P1", strategy=_p1_strategy(), tol=1.0, examples=(100, 1000), to_case=_p1_case,
            from_case=_p1_from_case)
def p1_centroid_alignment(case) -> float:
    """P1 on constructed aligned networks.

    mu = (1^T u) x with u = W2 a (closed form), and CA = sign(1^T u) wherever 1^T u != 0, over matmul_tol
    (cases outside the hypotheses u != 0, 1^T u != 0 have residual 0)."""
    x, a, W2, frac = case
    u = W2 @ a
    s = float(u.sum())
    if np.linalg.norm(u) == 0 or abs(s) < P1_SUM_MIN * np.linalg.norm(u):
        return 0.0  # outside the hypotheses u != 0, 1^T u != 0
    if np.abs(u).max() < SUBNORMAL_MARGIN or np.abs(x).max() < SUBNORMAL_MARGIN:
        return 0.0  # near the subnormal range rounding is no longer relative: tolerances do not apply
    net = _one_point_net(x, a, W2, frac)
    geo = analyze(net, x[None], jacobian=False)
    tol = matmul_tol(2, max(net.widths))
    mu_err = np.abs(geo.centroid[0] - s * x).max() / (np.abs(W2).sum() * a.max() * np.abs(x).max())
    ca = geo.centroid_alignment
    ca_err = np.inf if np.ma.getmaskarray(ca)[0] else abs(float(ca[0]) - np.sign(s))
    return float(max(mu_err, ca_err) / tol)


@conjecture(id="P1", strategy=_p1_strategy(), tol=1.0, drops=("sum_u_nonzero",), expect="fails", planted=True,
            examples=(300, 2000), to_case=_p1_case, from_case=_p1_from_case)
def planted_p1_no_sum(case) -> float:
    """planted P1 without 1^T u != 0.

    'J = u x^T (u != 0) gives CA = sign(1^T u)' without 1^T u != 0: inf where CA is undefined or wrong."""
    x, a, W2, frac = case
    u = W2 @ a
    if not np.linalg.norm(u) > 0:
        return 0.0
    geo = analyze(_one_point_net(x, a, W2, frac), x[None], jacobian=False)
    ca = geo.centroid_alignment
    wrong = np.ma.getmaskarray(ca)[0] or abs(float(ca[0]) - np.sign(u.sum())) > matmul_tol(2, 4)
    return float("inf") if wrong else 0.0


def property_p1_hypothesis(budget: Budget) -> CheckResult:
    """Hypothesis search (shrinking) over one-hidden-layer nets with rows a_k x^T: mu = (1^T u) x with
    u = W2 a (closed form), and CA = sign(1^T u) wherever 1^T u != 0 (residual / matmul_tol)."""
    return p1_centroid_alignment.check(budget)


planted_p1_no_sum_hypothesis = planted_p1_no_sum.check
"""Planted: 'J = u x^T (u != 0) gives CA = sign(1^T u)' without 1^T u != 0. Hypothesis shrinks to a
u with 1^T u = 0, where the centroid vanishes and CA is undefined (residual inf there)."""


def converse_network(x: np.ndarray, w: np.ndarray) -> CPANetwork:
    """ReLU net with hidden rows x + w, x - w (both active at x when w is orthogonal to x) and identity
    read-out: J_x = [x + w; x - w], mu_x = 2x, CA = 1, rank 2."""
    W1 = np.vstack([x + w, x - w])
    return CPANetwork.from_arrays([W1, np.eye(2)], [np.zeros(2), None])


def _converse_cases():
    """(x, w): d in 2..5, x != 0 and w (its part orthogonal to x is used)."""
    return st.integers(2, 5).flatmap(lambda d: st.tuples(nonzero_vectors(d), vectors(d)))


@conjecture(id="P1", strategy=_converse_cases(), tol=ALIGNED_TOL, expect="fails", planted=True, examples=(10, 100),
            to_case=lambda case: {"x": case[0], "w": case[1]},
            from_case=lambda c: (np.asarray(c["x"], dtype=np.float64), np.asarray(c["w"], dtype=np.float64)))
def p1_converse(case: tuple[np.ndarray, np.ndarray]) -> float:
    """planted converse of P1: CA = 1 implies normal alignment.

    On the ReLU net with hidden rows x + w, x - w (w orthogonal to x; ``converse_network``): effective
    rank - 1 where the engine finds mu = 2x and CA = 1 to tolerance (0 elsewhere, and 0 for rank one)."""
    x, w = case
    w = w - (w @ x) / (x @ x) * x
    geo = analyze(converse_network(x, w), x[None])
    tol = matmul_tol(2, x.size)
    ca = geo.centroid_alignment
    ca_one = (not np.ma.getmaskarray(ca)[0]) and abs(float(ca[0]) - 1.0) <= tol
    mu_ok = np.abs(geo.centroid[0] - 2 * x).max() <= tol * 4 * np.abs(x).max()
    return float(geo.scores["effective_rank"][0] - 1.0) if (ca_one and mu_ok) else 0.0


planted_p1_converse = p1_converse.check
"""Planted converse: 'CA = 1 implies normal alignment' (registry check: the conjecture's search)."""


def ce_optimum_network(x: np.ndarray, y: int, c: int, alpha: float) -> tuple[CPANetwork, np.ndarray]:
    """The aligned cross-entropy optimum of T1(c) at one point as a ReLU net: one hidden unit
    relu(x^T x' + 1) (active at x, value ||x~||^2), read-out z*/||x~||^2. Returns (net, z*)."""
    X2 = float(x @ x) + 1.0
    R = np.sqrt(alpha * X2)
    z = R * np.sqrt(c / (c - 1)) * (np.eye(c)[y] - 1.0 / c)
    net = CPANetwork.from_arrays([x[None, :], (z / X2)[:, None]], [np.array([1.0]), None])
    return net, z


def _ce_cases(budget: Budget, seed: int):
    rng = np.random.default_rng(budget.seed + seed)
    for _ in range(budget.n(10, 100)):
        d, c = int(rng.integers(1, 6)), int(rng.integers(2, 6))
        x = rng.normal(size=d)
        net, z = ce_optimum_network(x, int(rng.integers(c)), c, float(rng.uniform(0.1, 5.0)))
        yield net, x, z


def check_ca_undefined_at_ce_optimum(budget: Budget) -> CheckResult:
    """At the T1(c) optimum (1^T z* = 0) the network reproduces z* at x, its centroid is 0 and the engine
    reports CA as undefined: masked, with no NaN and no value stored as an answer. Residual: logit error
    and |mu| (relative), plus inf if CA is defined."""
    res = []
    for net, x, z in _ce_cases(budget, 52):
        geo = analyze(net, x[None])
        tol = matmul_tol(2, x.size + 1)
        ca = geo.centroid_alignment
        undefined = bool(np.ma.getmaskarray(ca)[0]) and not np.isnan(np.ma.getdata(ca)[0])
        scale = np.abs(z).max() * (1 + np.abs(x).max())
        r = max(np.abs(geo.logits[0] - z).max() / scale, np.abs(geo.centroid[0]).max() / scale) / tol
        res.append(r if undefined else np.inf)
    return verdict(res, 1.0, detail="logit error, |mu| / (scale * tol); inf when CA is not reported undefined")


def _ce_optimum_cases():
    """(x, y, c, alpha): x != 0 in R^d (d <= 5), c in 2..5 classes, label y, alpha in [0.1, 5]."""
    return st.tuples(st.integers(1, 5), st.integers(2, 5)).flatmap(lambda dc: st.tuples(
        nonzero_vectors(dc[0]), st.integers(0, dc[1] - 1), st.just(dc[1]), st.floats(0.1, 5.0)))


@conjecture(id="P1", strategy=_ce_optimum_cases(), tol=1.0, drops=("sum_u_nonzero",), expect="fails",
            examples=(10, 100), to_case=lambda case: dict(zip(("x", "y", "c", "alpha"), case)),
            from_case=lambda c: (np.asarray(c["x"], dtype=np.float64), int(c["y"]), int(c["c"]), float(c["alpha"])))
def p1_at_ce_optimum(case: tuple[np.ndarray, int, int, float]) -> float:
    """P1 at the cross-entropy optimum (1^T u != 0 dropped).

    At the aligned CE optimum J = u x^T of T1(c) (``ce_optimum_network``) 1^T u = 0, so the conclusion
    CA = sign(1^T u) fails (CA is undefined). Residual |CA - sign(1^T u)|, inf if undefined."""
    x, y, c, alpha = case
    net, _ = ce_optimum_network(x, y, c, alpha)
    return float(p1_residuals(net, x[None])["ca"][0])


boundary_p1_ce_optimum = p1_at_ce_optimum.check
"""Boundary (1^T u != 0 dropped): at the aligned CE optimum the conclusion CA = sign(1^T u) fails
(the conjecture's search)."""


def replay_case(case: dict[str, Any]) -> bool:
    """True when a saved P1 counterexample (from the planted search) still has CA undefined or != sign."""
    x = np.array(case["x"], dtype=float)
    a = np.array(case["a"], dtype=float)
    W2 = np.array(case["W2"], dtype=float)
    geo = analyze(_one_point_net(x, a, W2, float(case["frac"])), x[None], jacobian=False)
    ca = geo.centroid_alignment
    return bool(np.ma.getmaskarray(ca)[0] or abs(float(ca[0]) - np.sign((W2 @ a).sum())) > CA_REPLAY_TOL)
