"""Registry checks of P2: Euler identities of homogeneous networks and the scalar-fit relation.

A map with ``f(t x) = t^k f(x)`` for ``t > 0`` satisfies Euler's identity ``J_x x = k f(x)`` (differentiate
in ``t`` at 1), so its offset is ``b_x = f(x) - J_x x = (1 - k) f(x)``:

- bias-free ReLU / leaky-ReLU networks: ``k = 1``, ``J x = f(x)``, ``b = 0``, ``<mu_x, x> = 1^T J x = 1^T f(x)``;
- bias-free networks with square activations: each square layer doubles the degree; one square layer
  gives ``k = 2``: ``J x = 2 f(x)``, ``b = -f(x)``.

Scalar fit: for scalar bias-free ReLU ``f`` with ``f(x) = y = +-1``, ``mu = grad f`` and
``CA = <grad f, x> / (||grad f|| ||x||) = f(x) / (||grad f|| ||x||)``, so ``y CA = 1 / (||grad f|| ||x||)``;
its maximum 1 is reached exactly at the bias-free L1 minimum ``||grad f|| = 1/||x||``.

Oracles: the CPA engine's ``(J, b)`` against a plain forward pass; torch autograd Jacobians (float64) for
square activations; an independent autograd gradient norm for the scalar relation.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from normalign.numerics.checks.centroid.power_diagram import net_case, net_from_case
from normalign.numerics.engine.geometry import analyze, region_maps
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import FIT_LOGIT_MIN, matmul_tol

from normalign.checks import Budget, CheckResult, verdict
from normalign.conjecture import Conjecture
from normalign.strategies import cpa_networks, matrices, nonzero_vectors, points_for


def _bias_free_cpa(rng: np.random.Generator, c: int | None = None, bias: bool = False) -> tuple[CPANetwork, np.ndarray]:
    depth = int(rng.integers(1, 5))
    d = int(rng.integers(1, 6))
    widths = [d] + [int(w) for w in rng.integers(1, 8, size=depth - 1)] + [c if c else int(rng.integers(1, 4))]
    acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=depth - 1)] + ["identity"]
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) for i, o in zip(widths, widths[1:])]
    bs = [rng.normal(size=o) if bias else None for o in widths[1:]]
    return CPANetwork.from_arrays(Ws, bs, acts, negative_slope=0.1), rng.normal(size=(6, d)) * 2


def relu_euler_residuals(net: CPANetwork, X: np.ndarray) -> np.ndarray:
    """Per point, relative to the scale ``sum_l ||W_l||-style`` of the terms: max of ``|J x - f(x)|``,
    ``|b|`` and ``|<mu, x> - 1^T f(x)|``, over ``(1 + |f| + |J| |x|)`` (the size of what cancels)."""
    J, b = region_maps(net, X)
    f = net.forward(X)
    geo = analyze(net, X, jacobian=False, layer_sites=False)
    Jx = np.einsum("ncd,nd->nc", J, X)
    scale = 1.0 + np.abs(f).max(axis=1) + np.einsum("ncd,nd->nc", np.abs(J), np.abs(X)).max(axis=1)
    r1 = np.abs(Jx - f).max(axis=1)
    r2 = np.abs(b).max(axis=1)
    r3 = np.abs(np.einsum("nd,nd->n", geo.centroid, X) - f.sum(axis=1)) / max(1, net.output_dim)
    return np.maximum(np.maximum(r1, r2), r3) / scale


def check_p2_relu_euler(budget: Budget) -> CheckResult:
    """Bias-free ReLU / leaky-ReLU nets: J x = f(x), b = 0, <mu, x> = 1^T f(x) (engine vs forward pass)."""
    rng = np.random.default_rng(budget.seed + 60)
    res = []
    for _ in range(budget.n(30, 400)):
        net, X = _bias_free_cpa(rng)
        res.append(float(relu_euler_residuals(net, X).max() / matmul_tol(len(net.layers), max(net.widths))))
    return verdict(res, 1.0, detail="max(|Jx - f|, |b|, |<mu,x> - 1^T f|) / (scale * matmul_tol)")


# ------------------------------------------------------------------------------ square activations
def square_network(weights: list[np.ndarray], acts: list[str]):
    """A bias-free torch float64 network: Linear layers with ``acts[i]`` in {'square', 'relu', 'identity'}
    after layer i. Returns a callable ``f(X)`` on tensors and its homogeneity degree."""
    import torch

    Ws = [torch.as_tensor(W, dtype=torch.float64) for W in weights]
    degree = 1
    for a in acts:
        if a == "square":
            degree *= 2
        elif a not in ("relu", "identity"):
            raise ValueError(f"unsupported activation {a!r}")

    def f(x):
        h = x
        for W, a in zip(Ws, acts):
            h = h @ W.T
            if a == "square":
                h = h * h
            elif a == "relu":
                h = torch.relu(h)
        return h

    return f, degree


def square_euler_residuals(weights: list[np.ndarray], acts: list[str], X: np.ndarray, claimed_degree: int | None = None
                           ) -> np.ndarray:
    """Per point, ``max(|J x - k f|, |b - (1 - k) f|) / (1 + |f| + |J||x|)`` with ``J`` from autograd and
    ``k`` the true degree (or ``claimed_degree``, for the planted variant)."""
    import torch

    f, k = square_network(weights, acts)
    k = claimed_degree if claimed_degree is not None else k
    Xt = torch.as_tensor(X, dtype=torch.float64)
    J = torch.func.vmap(torch.func.jacrev(f))(Xt).detach().numpy()
    F = f(Xt).detach().numpy()
    Jx = np.einsum("ncd,nd->nc", J, X)
    b = F - Jx
    scale = 1.0 + np.abs(F).max(axis=1) + np.einsum("ncd,nd->nc", np.abs(J), np.abs(X)).max(axis=1)
    return np.maximum(np.abs(Jx - k * F).max(axis=1), np.abs(b - (1 - k) * F).max(axis=1)) / scale


def _square_cases(budget: Budget, seed: int):
    rng = np.random.default_rng(budget.seed + seed)
    for i in range(budget.n(10, 100)):
        d, m, c = int(rng.integers(1, 6)), int(rng.integers(1, 8)), int(rng.integers(1, 4))
        if i % 2 == 0:  # the authors' modular-addition shape: one square layer, degree 2
            widths, acts = [d, m, c], ["square", "identity"]
        else:  # square then ReLU: still degree 2
            widths, acts = [d, m, int(rng.integers(1, 6)), c], ["square", "relu", "identity"]
        Ws = [rng.normal(size=(o, i_)) / np.sqrt(i_) for i_, o in zip(widths, widths[1:])]
        yield Ws, acts, rng.normal(size=(5, d))


def check_p2_quadratic_euler(budget: Budget) -> CheckResult:
    """Bias-free square-activation nets (degree 2): J x = 2 f(x), b = -f(x), J by torch autograd."""
    res = []
    for Ws, acts, X in _square_cases(budget, 62):
        res.append(float(square_euler_residuals(Ws, acts, X).max() / matmul_tol(len(Ws) + 1, max(W.shape[0] for W in Ws))))
    return verdict(res, 1.0, detail="max(|Jx - 2f|, |b + f|) / (scale * matmul_tol)")


def _square_net_cases():
    """(Ws, acts, X): a bias-free net d -> m -> c with a square activation (d <= 5, m <= 7, c <= 3), or
    d -> m -> k -> c with square then ReLU (k <= 5); 5 points."""
    def build(d: int, m: int, c: int, k: int | None):
        widths = [d, m, c] if k is None else [d, m, k, c]
        acts = ["square", "identity"] if k is None else ["square", "relu", "identity"]
        return st.tuples(st.tuples(*[matrices(o, i) for i, o in zip(widths, widths[1:])]), st.just(acts),
                         matrices(5, d))
    return st.tuples(st.integers(1, 5), st.integers(1, 7), st.integers(1, 3),
                     st.none() | st.integers(1, 5)).flatmap(lambda t: build(*t))


def _square_case(case) -> dict:
    Ws, acts, X = case
    return {"weights": list(Ws), "acts": list(acts), "X": X}


def _square_from_case(c: dict):
    Ws = [np.asarray(W, dtype=np.float64) for W in c["weights"]]
    return Ws, list(c["acts"]), np.asarray(c["X"], dtype=np.float64).reshape(-1, Ws[0].shape[1])


p2_quadratic_degree_one = Conjecture(
    id="P2", name="p2_quadratic_degree_one", strategy=_square_net_cases(), tol=1.0,
    residual=lambda case: float(square_euler_residuals(list(case[0]), list(case[1]), case[2], claimed_degree=1).max()
                                / matmul_tol(len(case[0]) + 1, max(W.shape[0] for W in case[0]))),
    drops=("homogeneous_activation",), expect="fails", planted=True, examples=(10, 100),
    doc="planted: every bias-free network satisfies J x = f(x) (square activations, autograd J)",
    to_case=_square_case, from_case=_square_from_case)
"""Planted: Euler's identity of degree 1 on square-activation nets (their degree is 2)."""

planted_p2_quadratic_degree_one = p2_quadratic_degree_one.check
"""Planted: 'every bias-free network satisfies J x = f(x)' on square-activation nets (the conjecture's search)."""


# ------------------------------------------------------------------------------ scalar fit
def fit_one_point(net: CPANetwork, x: np.ndarray, y: float) -> CPANetwork:
    """Rescale the read-out of a bias-free scalar net so that ``f(x) = y`` exactly (up to rounding):
    homogeneous in the last layer's weights."""
    fx = float(net.forward(x[None])[0, 0])
    if fx == 0:
        raise ValueError("f(x) = 0: cannot rescale the read-out to fit y")
    last = net.layers[-1]
    Ws = [l.weight for l in net.layers[:-1]] + [last.weight * (y / fx)]
    return CPANetwork.from_arrays(Ws, None, [l.activation for l in net.layers], net.layers[0].negative_slope)


def scalar_fit_residual(net: CPANetwork, x: np.ndarray, y: float, drop_norm_x: bool = False) -> float:
    """``|y CA - 1/(||grad f|| ||x||)|`` with CA from the engine and ``grad f`` from torch autograd
    (``drop_norm_x``: the planted ``1/||grad f||``)."""
    import torch

    geo = analyze(net, x[None], jacobian=False, layer_sites=False)
    xt = torch.as_tensor(x[None], dtype=torch.float64).requires_grad_(True)
    (g,) = torch.autograd.grad(net.to_sequential()(xt).sum(), xt)
    gn = float(np.linalg.norm(g.numpy()))
    rhs = 1.0 / (gn * (1.0 if drop_norm_x else float(np.linalg.norm(x))))
    return abs(y * float(geo.centroid_alignment[0]) - rhs) / max(1.0, rhs)


def _fit_cases(budget: Budget, seed: int):
    rng = np.random.default_rng(budget.seed + seed)
    done = 0
    while done < budget.n(15, 200):
        net, X = _bias_free_cpa(rng, c=1)
        x = X[0]
        fx = float(net.forward(x[None])[0, 0])
        if abs(fx) < FIT_LOGIT_MIN:
            continue
        y = float(rng.choice([-1.0, 1.0]))
        done += 1
        yield fit_one_point(net, x, y), x, y


def check_p2_scalar_fit(budget: Budget) -> CheckResult:
    """Scalar bias-free ReLU nets rescaled to fit y = +-1 at x: y CA = 1/(||grad f|| ||x||); and on the
    L1-minimum net f(x') = (y/||x||) relu(x^T x'/||x||) the value is exactly 1."""
    res = []
    for net, x, y in _fit_cases(budget, 64):
        res.append(scalar_fit_residual(net, x, y) / matmul_tol(len(net.layers), max(net.widths)))
    rng = np.random.default_rng(budget.seed + 65)
    for _ in range(budget.n(5, 50)):
        x = rng.normal(size=int(rng.integers(1, 6)))
        y = float(rng.choice([-1.0, 1.0]))
        nx = float(np.linalg.norm(x))
        net = CPANetwork.from_arrays([(x / nx)[None], np.array([[y / nx]])])
        geo = analyze(net, x[None], jacobian=False, layer_sites=False)
        tol = matmul_tol(2, x.size)
        res.append(max(abs(float(net.forward(x[None])[0, 0]) - y), abs(y * float(geo.centroid_alignment[0]) - 1.0)) / tol)
    return verdict(res, 1.0, detail="|y CA - 1/(||grad f|| ||x||)| / matmul_tol; L1 minimum gives 1")


def _fit_point_cases():
    """(net, x, y): a bias-free scalar ReLU / leaky-ReLU network (1-4 layers, width <= 7), a point x != 0
    with |f(x)| >= FIT_LOGIT_MIN (so the read-out can be rescaled to fit), and a label y = +-1."""
    nets = cpa_networks(min_layers=1, max_layers=4, max_width=7, output_dim=1, bias=False,
                        activations=("relu", "leaky_relu"))
    return nets.flatmap(lambda n: st.tuples(st.just(n), nonzero_vectors(n.input_dim), st.sampled_from([-1.0, 1.0]))
                        ).filter(lambda t: abs(float(t[0].forward(t[1][None])[0, 0])) >= FIT_LOGIT_MIN)


def _fit_case(case) -> dict:
    net, x, y = case
    return {**net_case(net), "x": x, "y": y}


def _fit_from_case(c: dict):
    return net_from_case(c), np.asarray(c["x"], dtype=np.float64), float(c["y"])


p2_scalar_fit_no_norm = Conjecture(
    id="P2", name="p2_scalar_fit_no_norm", strategy=_fit_point_cases(), tol=1.0,
    residual=lambda case: scalar_fit_residual(fit_one_point(*case), case[1], case[2], drop_norm_x=True)
    / matmul_tol(len(case[0].layers), max(case[0].widths)),
    expect="fails", planted=True, examples=(15, 200), doc="planted: y CA = 1 / ||grad f|| (||x|| dropped)",
    to_case=_fit_case, from_case=_fit_from_case)
"""Planted scalar fit without ||x||, on nets rescaled to fit y at x (``fit_one_point``)."""

planted_p2_scalar_fit_no_norm = p2_scalar_fit_no_norm.check
"""Planted: 'y CA = 1 / ||grad f||' (the ||x|| dropped; the conjecture's search)."""


def check_p2_trained_fit(budget: Budget) -> CheckResult:
    """SANITY CHECK (registered with ``sanity=True``; never makes P2 "verified"): the relation below is an
    identity of every bias-free scalar net (Euler: f = <grad f, x>), so training adds nothing that
    ``check_p2_scalar_fit`` does not already test; it only shows the relation on trained nets.

    Trained scalar bias-free ReLU nets (MSE to y = +-1, tiny): the exact relation behind the fit,
    ``|y CA - 1/(||grad f|| ||x||)| = |f(x) - y| / (||grad f|| ||x||)`` (y CA = y f / (||g|| ||x||)),
    so y CA -> 1/(||grad f|| ||x||) as the fit becomes exact. Residual: the difference of the two
    sides, relative, over matmul_tol. Also reported in ``detail``: the worst fit error."""
    import torch
    from normalign.numerics.maths.training import blobs, train_mlp

    res, fit_err = [], 0.0
    for seed in range(budget.n(2, 10)):
        X, lab = blobs(16, 2, seed=seed)
        X = 1.5 * X / np.linalg.norm(X, axis=1, keepdims=True)  # on a circle: a 1-homogeneous f can fit +-1
        y = np.where(lab == 0, -1.0, 1.0)
        net = train_mlp(X, y, (32, 32), bias=False, loss="mse", steps=budget.n(600, 3000), seed=seed)
        geo = analyze(net, X, jacobian=False, layer_sites=False)
        Xt = torch.as_tensor(X, dtype=torch.float64).requires_grad_(True)
        (g,) = torch.autograd.grad(net.to_sequential()(Xt).sum(), Xt)
        gx = np.linalg.norm(g.numpy(), axis=1) * np.linalg.norm(X, axis=1)
        f = net.forward(X)[:, 0]
        ok = ~np.ma.getmaskarray(geo.centroid_alignment)
        lhs = np.abs(y * np.ma.getdata(geo.centroid_alignment) - 1.0 / gx)
        rhs = np.abs(f - y) / gx
        tol = matmul_tol(len(net.layers), max(net.widths))
        res.extend(list((np.abs(lhs - rhs) / (1.0 + 1.0 / gx))[ok] / tol))
        fit_err = max(fit_err, float(np.abs(f - y).max()))
    return verdict(res, 1.0, detail=f"|y CA - 1/(|g||x|)| vs |f - y|/(|g||x|); worst fit error {fit_err:.2e}")


def _euler_cases(bias: bool):
    """(net, X): a drawn ReLU / leaky-ReLU network (with biases iff ``bias``) and points for it."""
    return cpa_networks(bias=bias, activations=("relu", "leaky_relu")).flatmap(
        lambda n: st.tuples(st.just(n), points_for(n.input_dim)))


def _net_points_case(case: tuple[CPANetwork, np.ndarray]) -> dict:
    return {**net_case(case[0]), "X": case[1]}


def _net_points_from_case(c: dict) -> tuple[CPANetwork, np.ndarray]:
    return net_from_case(c), np.asarray(c["X"], dtype=np.float64).reshape(-1, len(c["weights"][0][0]))


def _euler_residual(case: tuple[CPANetwork, np.ndarray]) -> float:
    net, X = case
    return float(relu_euler_residuals(net, X).max() / matmul_tol(len(net.layers), max(net.widths)))


p2_euler = Conjecture(
    id="P2", name="p2_euler", strategy=_euler_cases(bias=False), residual=_euler_residual, tol=1.0,
    doc="Euler J x = f (bias=False), residual / matmul_tol", examples=(100, 1000),
    to_case=_net_points_case, from_case=_net_points_from_case)
"""P2 for bias-free ReLU / leaky-ReLU networks: J x = f(x), b = 0, <mu, x> = 1^T f(x)."""

p2_euler_with_bias = Conjecture(
    id="P2", name="p2_euler_with_bias", strategy=_euler_cases(bias=True), residual=_euler_residual, tol=1.0,
    drops=("bias_free",), expect="fails", doc="Euler J x = f (bias=True), residual / matmul_tol",
    examples=(100, 1000), to_case=_net_points_case, from_case=_net_points_from_case)
"""The same claim with biases allowed (the hypothesis bias_free dropped): expected to fail."""


def property_p2_euler_hypothesis(budget: Budget) -> CheckResult:
    """Hypothesis search (shrinking networks and points) for a bias-free ReLU / leaky-ReLU network that
    violates J x = f(x), b = 0 or <mu, x> = 1^T f(x)."""
    return p2_euler.check(budget)


boundary_p2_euler_hypothesis_with_bias = p2_euler_with_bias.check
"""The same search with biases allowed: hypothesis finds and shrinks a counterexample."""


def _deep_euler_cases():
    """(net, X): a ReLU / leaky-ReLU network with biases, 1-4 layers of width <= 7, and 1-6 points."""
    return cpa_networks(min_layers=1, max_layers=4, max_width=7, bias=True,
                        activations=("relu", "leaky_relu")).flatmap(
        lambda n: st.tuples(st.just(n), points_for(n.input_dim)))


p2_relu_with_bias = Conjecture(
    id="P2", name="p2_relu_with_bias", strategy=_deep_euler_cases(), residual=_euler_residual, tol=1.0,
    drops=("bias_free",), expect="fails", doc="Euler J x = f on ReLU nets with biases, residual / matmul_tol",
    examples=(10, 100), to_case=_net_points_case, from_case=_net_points_from_case)
"""Boundary (bias_free dropped): J x = f(x), b = 0, <mu, x> = 1^T f(x) on deeper ReLU / leaky-ReLU nets
with biases (``relu_euler_residuals``): expected to fail."""

boundary_p2_relu_with_bias = p2_relu_with_bias.check
"""Boundary (bias_free dropped): the same identities on ReLU nets with biases fail (the conjecture's search)."""
