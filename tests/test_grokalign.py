"""G1: the GrokAlign regulariser against exact oracles, and a smoke run of the grokking experiment."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings

from normalign import strategies as nst
from normalign.numerics.maths import grokalign as G
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import matmul_tol


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.theorem("G1")
def test_squared_estimator_exact_expectation_by_quadrature() -> None:
    """For c = 2, v = (cos t, sin t) uniform: E[2 ||J^T v||^2] = ||J||_F^2 exactly (trapezoid rule on a
    trigonometric polynomial of degree 2 is exact); the un-squared mean differs (Jensen)."""
    J = torch.tensor([[3.0, 0.0, 1.0], [0.0, 0.5, 0.0]], dtype=torch.float64)
    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False)).double()
    with torch.no_grad():
        model[0].weight.copy_(J)
    t = torch.arange(64, dtype=torch.float64) * (2 * math.pi / 64)
    V = torch.stack([t.cos(), t.sin()], dim=1)
    X = torch.ones(64, 3, dtype=torch.float64)
    est2 = G.jacobian_fro2_estimate(model, X, V=V).detach()
    fro2 = float((J**2).sum())
    assert float(est2.mean()) == pytest.approx(fro2, rel=1e-13)
    assert float(est2.sqrt().mean()) < math.sqrt(fro2) * 0.99


@pytest.mark.theorem("G1")
@settings(max_examples=25)
@given(net=nst.cpa_networks(input_dim=3, bias=True), X=nst.points_for(3, 4))
def test_jvp_offset_equals_engine_property(net: CPANetwork, X: np.ndarray) -> None:
    J, b = region_maps(net, X)
    bt = G.offset_jvp(net.to_sequential(), torch.as_tensor(X)).detach().numpy()
    scale = 1.0 + np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
    assert np.all(np.abs(bt - b) <= matmul_tol(len(net.layers), max(net.widths)) * scale)


@pytest.mark.theorem("G1")
@settings(max_examples=25)
@given(net=nst.cpa_networks(input_dim=3, bias=False), X=nst.points_for(3, 4))
def test_fd_offset_bias_free_any_eps_property(net: CPANetwork, X: np.ndarray) -> None:
    """Bias-free ReLU: patterns are invariant to positive scaling, so the FD offset (eps = 1) is exact: 0."""
    J, _ = region_maps(net, X)
    bf = G.offset_fd(net.to_sequential(), torch.as_tensor(X), 1.0).detach().numpy()
    scale = 1.0 + np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
    assert np.all(np.abs(bf) <= 4 * matmul_tol(len(net.layers), max(net.widths)) * scale)


@pytest.mark.theorem("G1")
def test_penalty_is_differentiable_and_matches_autograd_double_backward() -> None:
    """d/dtheta of the JVP offset term equals the gradient of the explicit offset f(x) - J x, where
    J x comes from reverse-mode autograd with create_graph (an independent route)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.ReLU(), torch.nn.Linear(6, 2)).double()
    X = torch.randn(5, 4, dtype=torch.float64)
    pen = G.GrokAlign(model, 0.7, jacobian="exact")(X)
    g1 = torch.autograd.grad(pen, list(model.parameters()), allow_unused=True)
    Xg = X.clone().requires_grad_(True)
    out = model(Xg)
    Jrows = [torch.autograd.grad(out[:, k].sum(), Xg, create_graph=True)[0] for k in range(2)]
    J = torch.stack(Jrows, dim=1)  # (n, c, d)
    b = out - torch.einsum("ncd,nd->nc", J, X)
    oracle = 0.7 * (J.flatten(1).norm(dim=1).mean() + b.pow(2).sum(dim=1).mean())
    g2 = torch.autograd.grad(oracle, list(model.parameters()), allow_unused=True)
    assert float(pen.detach()) == pytest.approx(float(oracle.detach()), rel=1e-13)
    for a, c in zip(g1, g2):
        za = torch.zeros(()) if a is None else a
        zc = torch.zeros(()) if c is None else c
        assert torch.allclose(za.double(), zc.double(), atol=1e-12, rtol=0)


@pytest.mark.theorem("G1")
def test_quadratic_network_offset_is_minus_f() -> None:
    """Bias-free quadratic activation is 2-homogeneous: J x = 2 f(x), so the JVP offset is -f(x)."""
    from normalign.numerics.experiments.grokking import Square

    torch.manual_seed(2)
    model = torch.nn.Sequential(torch.nn.Linear(5, 7, bias=False), Square(), torch.nn.Linear(7, 3, bias=False)).double()
    X = torch.randn(4, 5, dtype=torch.float64)
    with torch.no_grad():
        f = model(X)
    assert torch.allclose(G.offset_jvp(model, X).detach(), -f, atol=1e-13, rtol=0)


@pytest.mark.theorem("G1")
def test_bad_input() -> None:
    model = torch.nn.Linear(3, 2).double()
    with pytest.raises(ValueError):
        G.GrokAlign(model, -1.0)
    with pytest.raises(ValueError):
        G.GrokAlign(model, 1.0, offset="bogus")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        G.offset_fd(model, torch.ones(2, 3, dtype=torch.float64), eps=0.0)
    with pytest.raises(ValueError):
        G.jacobians(model, torch.full((2, 3), float("nan"), dtype=torch.float64))


@pytest.mark.theorem("G1")
def test_speedup_statistics() -> None:
    from normalign.numerics.experiments.grokking import speedup

    sp = speedup([100, 200, 400], [50, 100, 200], 1000)
    assert sp["ratio_geomean"] == pytest.approx(2.0)
    assert sp["ci_low"] == pytest.approx(2.0) and sp["ci_high"] == pytest.approx(2.0)
    sp = speedup([None, 200], [100, 100], 1000)
    assert sp["wd_censored"] == 1 and sp["ratio_geomean"] == pytest.approx(math.sqrt(10 * 2))


@pytest.mark.theorem("G1")
@pytest.mark.parametrize("task", ["sparse-parity", "xor", "modular-addition"])
def test_grokalign_experiment_smoke(task: str, tmp_path) -> None:
    from normalign.numerics.experiments.grokalign import main

    assert main(["--task", task, "--seeds", "2", "--smoke", "--no-progress", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / f"{task}.json").read_text())
    assert data["task"] == task and len(data["runs"]) == 4
    assert {r["method"] for r in data["runs"]} == {"wd", "grokalign"}
    assert (tmp_path / f"{task}.png").stat().st_size > 1000
    assert "speed-up" in (tmp_path / f"{task}.txt").read_text()


@pytest.mark.slow
@pytest.mark.theorem("G1")
@pytest.mark.parametrize("task", ["sparse-parity", "xor", "modular-addition"])
def test_grokalign_experiment_full(task: str, tmp_path) -> None:
    from normalign.numerics.experiments.grokalign import main

    assert main(["--task", task, "--seeds", "5", "--no-progress", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / f"{task}.json").read_text())
    sp = data["speedup"]
    assert sp["ci_low"] <= sp["ratio_geomean"] <= sp["ci_high"]


@pytest.mark.theorem("G1")
def test_penalty_gradient_finite_at_a_dead_point() -> None:
    """A point where every hidden unit is off has J_x = 0: the estimated ||J_x||_F is 0 there and its
    gradient contribution is 0 (a subgradient), not NaN; the other points' gradients equal those of the
    penalty without the dead point (autograd on the live points alone is the oracle)."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).double()
    with torch.no_grad():
        model[0].bias.copy_(torch.tensor([-50.0, -50.0, -50.0, -50.0]))
        model[0].weight.copy_(torch.tensor([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0], [1.0, 1.0, 1.0]]) * 10)
    X = torch.tensor([[0.1, 0.2, 0.3], [9.0, 8.0, 7.0]], dtype=torch.float64)  # row 0 dead, row 1 live
    V = G.random_unit_vectors(2, 2, torch.Generator().manual_seed(1))
    fro = G.jacobian_fro_estimate(model, X, V=V)
    assert float(fro[0]) == 0.0 and float(fro[1]) > 0
    params = [model[0].weight, model[0].bias, model[2].weight]  # J_x does not depend on the last bias
    grads = torch.autograd.grad(fro.sum(), params)
    assert all(torch.isfinite(g).all() for g in grads)
    live = torch.autograd.grad(G.jacobian_fro_estimate(model, X[1:], V=V[1:]).sum(), params)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-12) for a, b in zip(grads, live))
