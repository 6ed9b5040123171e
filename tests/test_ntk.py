"""The exact empirical NTK (normalign.numerics.maths.ntk) against a per-sample autograd loop and a closed form."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from normalign.numerics.maths.ntk import empirical_ntk, param_jacobian, parameter_slices, relative_change
from normalign.numerics.tolerances import matmul_tol


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _loop_jacobian(model: nn.Module, X: torch.Tensor) -> torch.Tensor:
    rows = []
    for x in X:
        out = model(x[None]).reshape(-1)
        per_out = []
        for k in range(out.shape[0]):
            g = torch.autograd.grad(out[k], list(model.parameters()), retain_graph=True)
            per_out.append(torch.cat([t.reshape(-1) for t in g]))
        rows.append(torch.stack(per_out))
    return torch.stack(rows)


@pytest.mark.theorem("D4")
@pytest.mark.parametrize("c", [1, 3])
def test_ntk_equals_autograd_loop(c: int) -> None:
    torch.manual_seed(0)
    # three layers: a two-layer net's Theta(x, x')[a, b] is symmetric in (a, b), which would hide a
    # transposed output pair
    model = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 6), nn.ReLU(), nn.Linear(6, c)).double()
    X = torch.randn(4, 5, dtype=torch.float64)
    Jl = _loop_jacobian(model, X)
    assert torch.allclose(param_jacobian(model, X), Jl, rtol=0, atol=matmul_tol(2, 7))
    X2 = torch.randn(3, 5, dtype=torch.float64)  # a second batch: Theta(X, X2) is not symmetric
    J2 = _loop_jacobian(model, X2)
    K = empirical_ntk(model, X, X2)
    # entry by entry: Theta[i, j, a, b] = <d f_a(x_i) / d theta, d f_b(x2_j) / d theta>
    oracle = torch.tensor([[[[float(Jl[i, a] @ J2[j, b]) for b in range(c)] for a in range(c)]
                            for j in range(3)] for i in range(4)], dtype=torch.float64)
    oracle = oracle[:, :, 0, 0] if c == 1 else oracle
    assert torch.allclose(K, oracle, rtol=matmul_tol(2, 64), atol=0)


@pytest.mark.theorem("D4")
def test_ntk_closed_form_linear_model() -> None:
    """f(x) = w^T x (no bias): Theta(x, x') = x^T x' exactly."""
    model = nn.Sequential(nn.Linear(4, 1, bias=False)).double()
    X = torch.randn(5, 4, dtype=torch.float64)
    assert torch.allclose(empirical_ntk(model, X), X @ X.T, rtol=0, atol=matmul_tol(1, 4) * 10)


@pytest.mark.theorem("D4")
def test_ntk_parameter_subset_and_slices() -> None:
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.ReLU(), nn.Linear(4, 1, bias=False)).double()
    X = torch.randn(6, 3, dtype=torch.float64)
    Jall = param_jacobian(model, X)
    sl = parameter_slices(model)
    K_last = empirical_ntk(model, X, params=["2.weight"])
    feats = torch.relu(X @ model[0].weight.T)  # closed form: the last layer's kernel is the feature Gram
    assert torch.allclose(K_last, feats @ feats.T, atol=1e-13, rtol=0)
    Jt = Jall[:, :, sl["2.weight"]]
    assert torch.allclose(K_last, Jt[:, 0] @ Jt[:, 0].T, atol=1e-13, rtol=0)
    with pytest.raises(ValueError):
        empirical_ntk(model, X, params=["nope"])


@pytest.mark.theorem("D4")
def test_relative_change_and_errors() -> None:
    K = torch.eye(3, dtype=torch.float64)
    assert relative_change(K, 2 * K) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        relative_change(torch.zeros(2, 2), K[:2, :2])
    with pytest.raises(ValueError):
        param_jacobian(nn.Linear(2, 1), torch.full((2, 2), float("nan")))


@pytest.mark.theorem("D4")
def test_two_layer_closed_form_and_frozen_kernel_check() -> None:
    """The closed-form NTK of w2^T relu(W1 x) equals torch.func's over the last layer and over all
    parameters; the D4 frozen-kernel check (product trainer + product NTK vs closed form) passes."""
    from normalign.checks import Budget, Outcome
    from normalign.numerics.checks.dynamics import regimes as R
    from normalign.numerics.maths.dynamics import antisymmetric_two_layer, sparse_data

    X, _ = sparse_data(5, 7, 0)
    model = antisymmetric_two_layer(7, 3, 1.0, 0)
    with torch.no_grad():
        model[2].weight.add_(0.2 * torch.randn_like(model[2].weight))
    W1, w2 = model[0].weight.detach().numpy(), model[2].weight.detach().numpy()[0]
    K_last, K_all = R.two_layer_ntk_closed_form(W1, w2, X.numpy())
    tol = matmul_tol(2, 64)
    assert torch.allclose(empirical_ntk(model, X, params=["2.weight"]), torch.as_tensor(K_last), rtol=0, atol=tol)
    assert torch.allclose(empirical_ntk(model, X), torch.as_tensor(K_all), rtol=0, atol=tol)
    assert R.check_d4_last_layer_frozen_kernel(Budget()).outcome == Outcome.VERIFIED
