"""The numbers of ``normalign/lean_crosscheck.py`` (which the Lean kernel checks against the Lean
definitions) against the project's own float64 code on the same rational instances: the product
functions (``numerics.maths``), torch autograd and the CPA engine. So one instance links three
implementations: Python ``Fraction`` formulas, Lean's definitions, and the numerics a user runs."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
import torch
from torch import nn

from normalign import lean_crosscheck as CC
from normalign.numerics.maths import dynamics as D
from normalign.numerics.maths import grokalign as G
from normalign.numerics.maths import minnorm as MN
from normalign.numerics.maths.ntk import empirical_ntk
from normalign.numerics.tolerances import CLOSED_FORM_TOL


def _close(a: float, b: float, scale: float = 1.0) -> bool:
    return abs(float(a) - float(b)) <= CLOSED_FORM_TOL * max(1.0, abs(float(b)), scale)


def _arr(m) -> np.ndarray:
    return np.array([[float(a) for a in r] for r in m], dtype=np.float64)


def _two_layer(a, W) -> nn.Sequential:
    """The bias-free scalar network ``a^T relu(W x)`` with the given (rational) weights, float64."""
    net = nn.Sequential(nn.Linear(len(W[0]), len(W), bias=False), nn.ReLU(), nn.Linear(len(W), 1, bias=False))
    net = net.double()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(_arr(W)))
        net[2].weight.copy_(torch.tensor([[float(v) for v in a]], dtype=torch.float64))
    return net


@pytest.mark.theorem("D1")
def test_d1_frobenius_ratio_matches_product_code() -> None:
    for J, x in CC.D1_CASES:
        r = MN.frobenius_ratio(_arr(J), np.array([float(v) for v in x]))
        assert _close(r * r, CC.frobenius_ratio_sq(J, x))
    assert CC.frobenius_ratio_sq(*CC.D1_CASES[1]) == 1  # the aligned case


@pytest.mark.theorem("T1")
def test_t1_closed_forms_match_product_code() -> None:
    for c, y, R2 in CC.T1C_CASES:
        z = MN.optimal_logits("ce", c, y, math.sqrt(R2))
        assert all(_close(a, b) for a, b in zip(z, CC.ce_optimum(c, y, R2)))
    for c, y, R in CC.T1D_CASES:
        z = MN.optimal_logits("sq", c, y, float(R))
        assert all(_close(a, b) for a, b in zip(z, CC.sqerr_optimum(c, y, R)))
    with pytest.raises(ValueError):
        CC.ce_optimum(3, 0, F(1))  # R sqrt(3/2) irrational: no exact instance


@pytest.mark.theorem("T2")
def test_t2_boundary_distance_matches_product_code() -> None:
    for J, x, y, k in CC.T2_CASES:
        Jf, xf = _arr(J), np.array([float(v) for v in x])
        rho = MN.robust_radius(Jf, np.zeros(len(J)), xf, y)
        z = CC.mat_vec(J, x)
        d2 = [(z[y] - z[j]) ** 2 / sum((F(a) - F(b)) ** 2 for a, b in zip(J[y], J[j]))
              for j in range(len(J)) if j != y]
        assert _close(rho * rho, min(d2))
        assert rho * rho <= float(CC._dot(x, x)) * (1 + CLOSED_FORM_TOL)


@pytest.mark.theorem("P2")
def test_p2_network_matches_torch() -> None:
    layers, x, t = CC.P2_NET
    mods: list[nn.Module] = []
    for i, W in enumerate(layers):
        lin = nn.Linear(len(W[0]), len(W), bias=False).double()
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(_arr(W)))
        mods += [lin] + ([nn.ReLU()] if i < len(layers) - 1 else [])
    net = nn.Sequential(*mods)
    for scale in (F(1), t):
        xt = torch.tensor([[float(scale * v) for v in x]], dtype=torch.float64)
        out = net(xt).detach().numpy()[0]
        assert all(_close(a, b) for a, b in zip(out, CC.net_eval(layers, [scale * v for v in x])))
    # G1 on the same network: the finite-difference offset of a bias-free network is 0 for every eps
    xt = torch.tensor([[float(v) for v in x]], dtype=torch.float64)
    with torch.no_grad():
        off = float(G.offset_fd(net, xt, eps=float(CC.G1_FD))[0, 0])
        fx = float(net(xt)[0, 0])
    assert _close(off, 0.0, scale=abs(fx))


@pytest.mark.theorem("P3")
def test_p3_instance_matches_torch_ntk_and_engine() -> None:
    """The rational P3 instance: Theta(x0, x_i) from torch.func, one gradient step of the linear loss
    -mean_i r_i f(x_i) (whose output derivative at x_i is -r_i / n) by torch autograd, and <mu_x0, x0>
    after the step from the CPA engine, against the Fraction values Lean checks."""
    a, W, xs, r, eta, x0 = CC.P3_CASE
    res = CC.p3_step(a, W, xs, r, eta, x0)
    net = _two_layer(a, W)
    X = torch.tensor(_arr(xs))
    x0t = torch.tensor([float(v) for v in x0], dtype=torch.float64)
    K = empirical_ntk(net, x0t[None, :], X)[0]
    for i in range(len(xs)):
        assert _close(K[i], CC.two_layer_ntk(a, W, x0, xs[i]))
    assert _close(float((K * torch.tensor([float(v) for v in r])).mean()), res["first"])
    loss = -(torch.tensor([float(v) for v in r]) * net(X).reshape(-1)).mean()
    grads = torch.autograd.grad(loss, list(net.parameters()))
    with torch.no_grad():
        for p, g in zip(net.parameters(), grads):
            p.sub_(float(eta) * g)
    assert _close(D.centroid_dot(net, np.array([float(v) for v in x0])), res["after"])
    assert _close(res["after"] - res["before"], float(eta * res["first"] + eta * eta * res["second"]))


@pytest.mark.theorem("P3")
def test_p3_step_refuses_a_pattern_change() -> None:
    a, W, xs, r, _, x0 = CC.P3_CASE
    with pytest.raises(ValueError):
        CC.p3_step(a, W, xs, r, F(100), x0)


@pytest.mark.theorem("D4")
def test_d4_kernel_change_matches_torch() -> None:
    a, a2, W, x, x2 = CC.D4_LAST
    xt = torch.tensor([[float(v) for v in x]], dtype=torch.float64)
    x2t = torch.tensor([[float(v) for v in x2]], dtype=torch.float64)
    k1 = float(empirical_ntk(_two_layer(a, W), xt, x2t)[0, 0])
    k2 = float(empirical_ntk(_two_layer(a2, W), xt, x2t)[0, 0])
    assert _close(k2 - k1, CC.two_layer_ntk(a2, W, x, x2) - CC.two_layer_ntk(a, W, x, x2), scale=abs(k1))
    net = _two_layer(a, W)
    last = empirical_ntk(net, xt, x2t, params=["2.weight"])[0, 0]
    feats = [CC.relu(CC._dot(w, x)) * CC.relu(CC._dot(w, x2)) for w in W]
    assert _close(last, sum(feats, F(0)))
    g, v = CC.D4_GRADS
    Th = CC.ntk_gram(g)
    assert np.allclose(_arr(Th), _arr(g) @ _arr(g).T, rtol=CLOSED_FORM_TOL, atol=0)
    assert min(np.linalg.eigvalsh(_arr(Th))) >= -CLOSED_FORM_TOL * np.abs(_arr(Th)).max()


@pytest.mark.theorem("G1")
def test_g1_estimators_and_kink_offset() -> None:
    J = CC.G1_J
    Jf = _arr(J)
    fro2 = float(np.sum(Jf * Jf))
    assert _close(fro2, CC.frob2(J))
    S = np.array([[float(v) for v in s] for s in CC.signs(len(J))])
    assert _close(np.mean(np.sum((S @ Jf) ** 2, axis=1)), fro2)  # mean of ||J^T s||^2 = c ||J^T s/sqrt c||^2
    xk, ek = CC.G1_KINK
    kink = nn.Sequential(nn.Linear(1, 1).double(), nn.ReLU())
    with torch.no_grad():
        kink[0].weight.fill_(1.0)
        kink[0].bias.fill_(-1.0)
    X = torch.tensor([[float(xk)]], dtype=torch.float64)
    with torch.no_grad():
        off = float(G.offset_fd(kink, X, eps=float(ek))[0, 0])
    want = CC.relu(xk - 1) - (CC.relu((1 + ek) * xk - 1) - CC.relu(xk - 1)) / ek
    assert _close(off, want) and want != 0
    assert abs(float(G.offset_jvp(kink, X).detach()[0, 0])) == 0.0  # the region's true offset (inactive unit)


@pytest.mark.theorem("P4")
def test_p4_iteration_matches_numpy() -> None:
    eta, lam, X, W0, deltas = CC.P4_CASE
    WT, GT = CC.gd_first_layer(eta, lam, X, W0, deltas)
    Wn = _arr(W0)
    for d in deltas:
        Wn = (1 - float(eta * lam)) * Wn - float(eta) * _arr(d) @ _arr(X)
    assert np.allclose(Wn, _arr(WT), rtol=CLOSED_FORM_TOL, atol=CLOSED_FORM_TOL)
    rho = float(1 - eta * lam) ** len(deltas)
    assert np.allclose(Wn, rho * _arr(W0) + _arr(GT) @ _arr(X), rtol=CLOSED_FORM_TOL, atol=CLOSED_FORM_TOL)


@pytest.mark.theorem("D1", "D2", "D3", "D4", "T1", "T1'", "T2", "P2", "P3", "P4", "G1")
def test_every_numeric_id_has_a_crosscheck() -> None:
    text = CC.render()
    for tid in ("D1", "D2", "D3", "D4", "L1", "T1", "T1'", "T2", "P1", "P2", "P3", "P4", "PD", "G1", "R1"):
        assert f"/-- [{tid}] Cross-check" in text, tid
