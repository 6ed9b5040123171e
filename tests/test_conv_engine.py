"""The engine on convolutional and residual networks read from an nn.Module (issue 17).

Oracles (never the engine itself): torch running the module in float64 (forward), torch autograd
(``jacrev``: J, b = f - J x, centroids, first-layer sites), ``scores_from_jacobians`` on the autograd J,
and torch's own activation pattern (signs at every ReLU / LeakyReLU / PReLU and max-pool argmax indices,
from forward hooks) for the region half-spaces.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from normalign.numerics.checks.definitions.conv_nets import (
    raw_skip_net,
    small_conv1d_net,
    small_conv_net,
    torch_forward,
    torch_jacobians,
    torch_patterns,
)
from normalign.numerics.checks.definitions.engine_oracles import score_residuals
from normalign.numerics.engine.geometry import analyze, region_maps
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.engine.regions import region_polytope
from normalign.numerics.tolerances import matmul_tol


class _CatChannels(nn.Module):
    """``cat([conv_a(d), conv_b(d)], dim=1)`` with ``d = (x - 0.25) / 2 * 3``: Concat on the channel axis
    and element-wise affine ops with constants."""

    def __init__(self) -> None:
        super().__init__()
        self.a, self.b = nn.Conv2d(2, 3, 3, padding=1), nn.Conv2d(2, 2, 1)

    def forward(self, x):
        d = (x - 0.25) / 2.0 * 3.0
        return torch.cat([self.a(d), self.b(d)], dim=1)


class _Permute(nn.Module):
    def forward(self, x):
        return x.permute(0, 2, 3, 1)


class _CatTransposed(nn.Module):
    """``cat([z, 0.5 z^T], dim=-1)`` (last two axes swapped): Concat on the last axis interleaves rows."""

    def forward(self, z):
        return torch.cat([z, z.transpose(2, 3) * 0.5], dim=-1)


def cat_permute_net() -> nn.Module:
    """Concat (channel and last axis), permute, transpose and constant Sub / Div / Mul on a (2, 4, 5) input;
    ``net[0:2]`` is the first pre-activation and ``net[2]`` its ReLU (as ``test_first_layer_site``
    reads)."""
    torch.manual_seed(31)
    return nn.Sequential(_CatChannels(), _Permute(), nn.ReLU(), _CatTransposed(), nn.Flatten(), nn.Linear(200, 6),
                         nn.ReLU(), nn.Linear(6, 3)).double().eval()


NETS = {"conv2d": (small_conv_net, (2, 9, 9)), "conv1d": (small_conv1d_net, (2, 16)), "raw_skip": (raw_skip_net, (1, 5, 5)),
        "cat_permute": (cat_permute_net, (2, 4, 5))}


@pytest.fixture(scope="module", params=sorted(NETS))
def case(request):
    make, shape = NETS[request.param]
    module = make()
    net = CPANetwork.from_module(module, shape)
    X = np.random.default_rng(1).normal(size=(24, int(np.prod(shape))))
    J = torch_jacobians(module, X, shape)
    return module, shape, net, X, J


def _tol(net: CPANetwork) -> float:
    """Products of len(layers) maps of width <= max(widths), relative to the scale of the result."""
    return matmul_tol(len(net.layers), max(net.widths))


def test_forward_matches_torch(case) -> None:
    module, shape, net, X, _ = case
    f = torch_forward(module, X, shape)
    assert np.abs(net.forward(X) - f).max() <= _tol(net) * (1 + np.abs(f).max())


def test_region_maps_match_autograd(case) -> None:
    module, shape, net, X, Jt = case
    J, b = region_maps(net, X)
    f = torch_forward(module, X, shape)
    assert np.abs(J - Jt).max() <= _tol(net) * np.abs(Jt).max()
    bt = f - np.einsum("ncd,nd->nc", Jt, X)
    assert np.abs(b - bt).max() <= _tol(net) * (1 + np.abs(f).max())


@pytest.mark.parametrize("jacobian", [True, False])
def test_analyze_matches_autograd(case, jacobian: bool) -> None:
    """Scores (D1, against ``scores_from_jacobians`` of the autograd J, per-score tolerances of
    ``score_residuals``), centroid and offset (D2), T2(a) local radius, all against the autograd J."""
    module, shape, net, X, Jt = case
    geo = analyze(net, X, jacobian=jacobian)
    assert np.all(score_residuals(geo.scores, Jt, X) <= 1.0)
    assert np.abs(geo.centroid - Jt.sum(axis=1)).max() <= _tol(net) * np.abs(Jt).sum(axis=1).max()
    f = torch_forward(module, X, shape)
    assert np.abs(geo.offset - (f - np.einsum("ncd,nd->nc", Jt, X))).max() <= _tol(net) * (1 + np.abs(f).max())
    # T2(a): min over k != y of (f_y - f_k) / ||J_y - J_k||, from the autograd J
    y = f.argmax(axis=1)
    rows = np.arange(len(X))
    gaps = f[rows, y][:, None] - f
    dj = np.linalg.norm(Jt[rows, y][:, None, :] - Jt, axis=2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(np.arange(f.shape[1])[None] == y[:, None], np.inf, gaps / dj)
    rho = ratio.min(axis=1)
    assert np.allclose(geo.robustness_radius, rho, rtol=1e-9, atol=0)


def test_first_layer_site_matches_autograd(case) -> None:
    """D3: layer 1's power-diagram site E^T q with q its slopes, against autograd's vjp of the module's
    first pre-activation (convolution then batch norm)."""
    module, shape, net, X, _ = case
    if not isinstance(module[2], (nn.LeakyReLU, nn.PReLU, nn.ReLU)):
        pytest.skip("the first nonlinearity is not the module's third layer")
    geo = analyze(net, X[:6], robustness=False)
    first = nn.Sequential(module[0], module[1])
    xt = torch.from_numpy(X[:6]).requires_grad_(True)
    z = first(xt.reshape((-1,) + shape))
    act = module[2]
    with torch.no_grad():
        q = torch.where(z > 0, torch.ones_like(z), act(torch.full_like(z, -1.0)) * -1.0)
    (site,) = torch.autograd.grad(z, xt, q)
    assert np.abs(geo.layer_sites[0] - site.numpy()).max() <= _tol(net) * (1 + np.abs(site.numpy()).max())


def test_region_halfspaces_brute_force(case) -> None:
    """Every half-space of x's region holds at x; a point just across any one of them has another torch
    pattern; random points strictly inside (outside) have (not) x's torch pattern."""
    module, shape, net, X, _ = case
    rng = np.random.default_rng(2)
    for x in X[:3]:
        poly = region_polytope(net, x)
        res = poly.resolution(x[None])[0]
        assert np.all(poly.slack(x[None])[0] >= -res)
        p0 = torch_patterns(module, x[None], shape)[0]
        rows = rng.choice(poly.A.shape[0], size=min(40, poly.A.shape[0]), replace=False)
        s = poly.slack(x[None])[0]
        across = x[None] + (s[rows] + 1e-7)[:, None] * poly.A[rows]
        pats = torch_patterns(module, across, shape)
        assert np.all(np.any(pats != p0[None], axis=1)), "a half-space whose crossing does not change the pattern"
        # random points at the scale of the region: membership <=> torch pattern
        r = np.sort(np.abs(s))[len(s) // 50]
        Y = x[None] + rng.normal(size=(400, x.size)) * (r / np.sqrt(x.size)) * rng.uniform(0.2, 8, size=(400, 1))
        sl = poly.slack(Y)
        resY = poly.resolution(Y)
        inside = np.all(sl > resY, axis=1)
        outside = np.any(sl < -resY, axis=1)
        same = np.all(torch_patterns(module, Y, shape) == p0[None], axis=1)
        assert inside.any() and outside.any()
        assert np.all(same[inside]) and not np.any(same[outside])


def _pool_only(kernel: int, stride: int, padding: int) -> nn.Module:
    torch.manual_seed(3)
    return nn.Sequential(nn.MaxPool2d(kernel, stride, padding), nn.Flatten(), nn.LazyLinear(3)).double()


def _tie_net(pool_first: bool) -> nn.Module:
    """Max-pool 2x2 on a 1x4x4 input, then Linear 4-5, ReLU, Linear 5-3; ``pool_first=False`` puts an exact
    identity layer before the pool (1x1 conv of weight 1, LeakyReLU of slope 1), so that the engine takes
    the pool's reverse step in one gather (``operators.Tournament``) instead of round by round."""
    torch.manual_seed(4)
    head = [] if pool_first else [nn.Conv2d(1, 1, 1), nn.LeakyReLU(1.0)]
    m = nn.Sequential(*head, nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3)).double()
    if not pool_first:
        with torch.no_grad():
            m[0].weight.fill_(1.0)
            m[0].bias.zero_()
    return m.eval()


@pytest.mark.parametrize("pool_first", [True, False])
def test_maxpool_ties_pick_the_first_tap(pool_first: bool) -> None:
    """At a tie in a window torch's max-pool passes the gradient to the first maximal tap; so does the
    engine's tournament (``max(a, b) = a + relu(b - a)``). Ties are built in: equal values per window."""
    m = _tie_net(pool_first)
    net = CPANetwork.from_module(m, (1, 4, 4))
    assert bool(net.tournaments) != pool_first  # both reverse routes are exercised
    rng = np.random.default_rng(5)
    X = rng.normal(size=(8, 16))
    X[:, 1] = X[:, 0]  # window (0, 0): taps 0 and 1 tie ...
    X[:, 4] = X[:, 5] = X[:, 0] - 1.0  # ... above the other two
    X[:, 10] = X[:, 11] = X[:, 14] = X[:, 15]  # window (1, 1): a four-way tie
    J, _ = region_maps(net, X)
    Jt = torch_jacobians(m, X, (1, 4, 4))
    assert np.abs(J - Jt).max() <= _tol(net) * np.abs(Jt).max()


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel:UserWarning")
def test_padding_stride_dilation_groups_each_matter() -> None:
    """Convolutions and pools whose outputs differ with each attribute: the forward pass and autograd's J
    pin every one (kernel 4 with padding 'same' pads unequally: 1 before, 2 after)."""
    for k, kw in ((3, {"padding": 2}), (3, {"stride": 3}), (3, {"dilation": 2}), (3, {"groups": 2}),
                  (3, {"padding": (1, 2), "stride": (2, 1)}), (4, {"padding": "same"})):
        torch.manual_seed(6)
        m = nn.Sequential(nn.Conv2d(2, 4, k, **kw), nn.ReLU(), nn.AvgPool2d(2, 1, 1), nn.MaxPool2d(2, 2, 1),
                          nn.Flatten()).double().eval()
        net = CPANetwork.from_module(m, (2, 8, 8))
        X = np.random.default_rng(7).normal(size=(5, 128))
        f = torch_forward(m, X, (2, 8, 8))
        assert np.abs(net.forward(X) - f).max() <= _tol(net) * (1 + np.abs(f).max()), kw
        J, Jt = region_maps(net, X)[0], torch_jacobians(m, X, (2, 8, 8))
        assert np.abs(J - Jt).max() <= _tol(net) * np.abs(Jt).max(), kw


def test_mlp_lowers_to_the_dense_chain() -> None:
    """A Sequential of Linear / ReLU lowers to the same dense layers as ``from_sequential`` (the fast path)."""
    torch.manual_seed(8)
    m = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3)).double()
    a, b = CPANetwork.from_module(m, (5,)), CPANetwork.from_sequential(m)
    assert all(l.is_dense for l in a.layers) and len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers):
        assert np.array_equal(la.weight, lb.weight) and np.array_equal(la.bias, lb.bias)
        assert la.activation == lb.activation


class _Sigmoid(nn.Module):
    def forward(self, x):
        return torch.sigmoid(x)


class _Square(nn.Module):
    def forward(self, x):
        return x * x


class _Branchy(nn.Module):
    def forward(self, x):
        return F.relu(x) if x.sum() > 0 else x


class _Fwd(nn.Module):
    """A conv and a forward given as a function (review of issue 17: silent wrong answers now refused)."""

    def __init__(self, fwd) -> None:
        super().__init__()
        self.c, self.fwd = nn.Conv2d(2, 2, 3, padding=1), fwd

    def forward(self, x):
        return self.fwd(self, x)


def _relu_then_reuse(s, x):
    y = s.c(x)
    return torch.flatten(F.relu(y, inplace=True) + y, 1)  # torch: 2 relu(y); fx: relu(y) + y


def _relu_through_view(s, x):
    y = s.c(x)
    y.flatten(1).relu_()  # overwrites y through a view
    return y.flatten(1)


def _aliased_iadd(s, x):
    y = s.c(x)
    w = y
    w += x  # fx traces this out of place: only the cross-check against torch sees it
    return torch.flatten(F.relu(y) + w, 1)


@pytest.mark.parametrize("module, shape, words", [
    (_Fwd(_relu_then_reuse), (2, 4, 4), "in-place operation overwrites"),
    (_Fwd(_relu_through_view), (2, 4, 4), "in-place operation overwrites"),
    (nn.Sequential(nn.Conv2d(2, 2, 1), nn.ReLU(inplace=True)), (2, 3, 3), None),  # in place, nothing stale: fine
    (_Fwd(_aliased_iadd), (2, 4, 4), "disagrees with running it"),
    (_Fwd(lambda s, x: torch.flatten(F.avg_pool2d(s.c(x), 2, divisor_override=3), 1)), (2, 4, 4), "divisor_override"),
    (_Fwd(lambda s, x: torch.flatten(F.avg_pool2d(s.c(x), 2, 2, 0, False, True, 3), 1)), (2, 4, 4), "divisor_override"),
    (_Fwd(lambda s, x: torch.flatten(F.dropout(s.c(x), 0.5), 1)), (2, 4, 4), "training=True"),
    (nn.Sequential(nn.Linear(3, 3), nn.Tanh()), (3,), "unsupported layer Tanh"),
    (_Sigmoid(), (3,), "unsupported operation sigmoid"),
    (_Square(), (3,), "unsupported operation mul"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).train(), (1, 5, 5), "eval mode"),
    (nn.Sequential(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect")), (1, 5, 5), "padding_mode"),
    (_Branchy(), (3,), "cannot trace"),
    (nn.Sequential(nn.Linear(4, 3)), (3,), "Linear with 4 inputs"),
    (_Fwd(lambda s, x: torch.flatten(torch.cat([s.c(x), x], dim=0), 1)), (2, 4, 4), "batch axis"),
    (_Fwd(lambda s, x: torch.flatten(torch.cat([s.c(x), x[:, :1]], dim=2), 1)), (2, 4, 4), "unsupported operation getitem"),
    (_Fwd(lambda s, x: torch.flatten(s.c(x).permute(1, 0, 2, 3), 1)), (2, 4, 4), "moves the batch axis"),
    (_Fwd(lambda s, x: torch.flatten(s.c(x).transpose(0, 1), 1)), (2, 4, 4), "moves the batch axis"),
    (_Fwd(lambda s, x: torch.flatten(s.c(x) - x, 1)), (2, 4, 4), "sub of two computed values"),
    (_Fwd(lambda s, x: torch.flatten(2.0 / s.c(x), 1)), (2, 4, 4), "unsupported operation div"),
])
def test_unsupported_modules_are_named(module, shape, words: str | None) -> None:
    if words is None:
        CPANetwork.from_module(module.double(), shape)
        return
    with pytest.raises(NetworkError, match=words):
        CPANetwork.from_module(module.double(), shape)


def test_residual_skip_is_carried_by_identity_units() -> None:
    """The identity units that carry a residual skip have no kink: no region row, pattern always on."""
    module, shape = small_conv_net(), (2, 9, 9)
    net = CPANetwork.from_module(module, shape)
    carriers = [l for l in net.layers if np.ndim(l.negative_slope) == 1 and np.any(l.negative_slope == 1.0)]
    assert carriers
    x = np.random.default_rng(9).normal(size=(1, 162))
    zs = net.preactivations(x)
    geo = analyze(net, x, robustness=False, layer_sites=False)
    for j, i in enumerate(net.activation_layers):
        lay = net.layers[i]
        assert np.all(lay.pattern(zs[i])[0][~lay.kinked]) and np.all(geo.patterns[j][0][~lay.kinked])
        assert np.array_equal(geo.patterns[j][0][lay.kinked], zs[i][0][lay.kinked] > 0)


def test_power_diagram_of_tournament_layers() -> None:
    """PD on the layers of a pooled conv net (PReLU units, then tournament rounds whose identity units
    have the single slope 1): at each point, the pattern minimising the literal power distance
    ``||x - mu_q||^2 - rho_q`` over every pattern of the layer is the point's own slopes."""
    from normalign.numerics.engine.power_diagram import layer_diagram, power_distance

    torch.manual_seed(10)
    m = nn.Sequential(nn.Conv2d(1, 1, 2), nn.PReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1, 2)).double().eval()
    net = CPANetwork.from_module(m, (1, 3, 3))
    X = np.random.default_rng(11).normal(size=(20, 9))
    zs = net.preactivations(X)
    assert len(net.activation_layers) == 3
    for l in net.activation_layers:
        for x, z in zip(X, zs[l]):
            Q, sites, radii, _, _ = layer_diagram(net, x, l)
            assert Q.shape[0] == 2 ** int(net.layers[l].kinked.sum())
            best = Q[np.argmin(power_distance(x[None], sites, radii)[0])]
            assert np.array_equal(best, net.layers[l].slopes(z))


def test_exact_radius_on_a_pooled_conv_net() -> None:
    """T2 exact L-inf radius on a conv / PReLU / max-pool net: the MILP (big-M per kinked unit, identity
    units exact) and the complete region walk agree, and torch's module classifies the witness as
    another class."""
    from normalign.numerics.engine.exact_robustness import (
        brute_force_radius,
        milp_radius,
    )

    torch.manual_seed(10)
    m = nn.Sequential(nn.Conv2d(1, 1, 2), nn.PReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1, 2)).double().eval()
    with torch.no_grad():
        m[4].weight.copy_(torch.tensor([[1.0], [-1.0]]))
        m[4].bias.copy_(torch.tensor([0.05, -0.05]))
    net = CPANetwork.from_module(m, (1, 3, 3))
    x = np.random.default_rng(3).normal(size=9) * 0.3
    a, b = milp_radius(net, x, "linf", R=0.5), brute_force_radius(net, x, "linf", R=0.5)
    assert a.verified and b.verified and np.isfinite(a.radius)
    assert max(a.lower, b.lower) <= min(a.radius, b.radius)  # the two brackets overlap
    f = torch_forward(m, np.stack([x, a.witness, b.witness]), (1, 3, 3))
    assert f[0].argmax() != f[1].argmax() and f[0].argmax() != f[2].argmax()


def test_cli_analyze_with_module_factory(tmp_path, capsys) -> None:
    """``normalign analyze WEIGHTS POINTS --module file.py:factory --input-shape C,H,W``: the printed Jacobian
    is autograd's of the module with those weights; missing pieces are one-line errors (exit 2)."""
    import json

    from normalign.cli import main

    src = tmp_path / "model.py"
    src.write_text("import torch.nn as nn\n\ndef make():\n    return nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), "
                   "nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8, 3))\n")
    ns: dict = {}
    exec(src.read_text(), ns)  # noqa: S102 - the test's own file
    torch.manual_seed(12)
    module = ns["make"]().double()
    with torch.no_grad():
        module[1].running_mean.uniform_(-1, 1)
        module[1].running_var.uniform_(0.5, 2)
    weights = tmp_path / "w.pt"
    torch.save(module.state_dict(), weights)
    X = np.random.default_rng(13).normal(size=(4, 16))
    pts = tmp_path / "pts.npy"
    np.save(pts, X)
    assert main(["analyze", str(weights), str(pts), "--module", f"{src}:make", "--input-shape", "1,4,4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    J = np.array([p["jacobian"] for p in doc["points"]])
    Jt = torch_jacobians(module.eval(), X, (1, 4, 4))
    assert np.abs(J - Jt).max() <= 1e-12 * np.abs(Jt).max()
    for extra, words in ((["--input-shape", "1,4,4"], "defines no 'nope'"), ([], "needs --input-shape")):
        args = ["analyze", str(weights), str(pts), "--module", f"{src}:{'nope' if extra else 'make'}", *extra]
        assert main(args) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0]


_IMAGE_MODEL = ("import torch.nn as nn\n\ndef make():\n    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), "
                "nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 3))\n")


def _image_model(tmp_path):
    """A factory file (input (2, 4, 4)), its module with the weights of ``w.pt``, and those weights."""
    src = tmp_path / "img_model.py"
    src.write_text(_IMAGE_MODEL)
    ns: dict = {}
    exec(src.read_text(), ns)  # noqa: S102 - the test's own file
    torch.manual_seed(32)
    module = ns["make"]().double().eval()
    weights = tmp_path / "w.pt"
    torch.save(module.state_dict(), weights)
    return src, module, weights


@pytest.mark.parametrize("name", sorted(NETS))
def test_torch_export_trace_matches_autograd(name: str) -> None:
    """The module read through ``torch.export`` (its ATen graph) instead of torch.fx: forward, J and b
    against torch running the module and autograd."""
    make, shape = NETS[name]
    module = make()
    net = CPANetwork.from_module(module, shape, trace="export")
    X = np.random.default_rng(35).normal(size=(8, int(np.prod(shape))))
    f, Jt = torch_forward(module, X, shape), torch_jacobians(module, X, shape)
    J, b = region_maps(net, X)
    assert np.abs(net.forward(X) - f).max() <= _tol(net) * (1 + np.abs(f).max())
    assert np.abs(J - Jt).max() <= _tol(net) * np.abs(Jt).max()
    assert np.abs(b - (f - np.einsum("ncd,nd->nc", Jt, X))).max() <= _tol(net) * (1 + np.abs(f).max())


@pytest.mark.parametrize("module, shape, words", [
    (_Sigmoid(), (3,), "unsupported operation aten.sigmoid"),
    (_Square(), (3,), "aten.mul.Tensor of these operands"),
    (_Fwd(lambda s, x: torch.flatten(torch.cat([s.c(x), x], dim=0), 1)), (2, 4, 4), "batch axis|keep the batch"),
    (_Fwd(lambda s, x: torch.flatten(F.dropout(s.c(x), 0.5, True), 1)), (2, 4, 4), "training mode"),
    (_Fwd(lambda s, x: s.c(x).reshape(-1, 16)), (2, 4, 4), "cannot reshape"),
    (nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2)).train(), (1, 5, 5), "1: batch norm in training mode"),
])
def test_torch_export_refusals_are_named(module, shape, words: str) -> None:
    from normalign.numerics.engine.model_import import from_module

    with pytest.raises(NetworkError, match=words):
        from_module(module.double(), shape, trace="export")


def test_cli_module_accepts_image_points(tmp_path, capsys) -> None:
    """Points (n, C, H, W) with ``--module`` (read by torch.fx and by torch.export): the printed Jacobians
    are autograd's of the module run on those unflattened points (C order flattening, as the lowered network's input); a shape that is
    neither (n, d) nor (n, C, H, W) (an HWC array, a wrong rank) is a one-line error, exit 2."""
    import json

    from normalign.cli import main

    src, module, weights = _image_model(tmp_path)
    X = np.random.default_rng(33).normal(size=(6, 2, 4, 4))
    pts = tmp_path / "img.npy"
    np.save(pts, X)
    argv = ["analyze", str(weights), str(pts), "--module", f"{src}:make", "--input-shape", "2,4,4"]
    Xt = torch.from_numpy(X).requires_grad_(True)
    out = module(Xt)
    Jt = np.stack([torch.autograd.grad(out[:, k].sum(), Xt, retain_graph=True)[0].numpy().reshape(6, -1)
                   for k in range(3)], axis=1)
    net = CPANetwork.from_module(module, (2, 4, 4))
    for trace in ("fx", "export"):
        assert main([*argv, "--json", "--trace", trace]) == 0
        J = np.array([p["jacobian"] for p in json.loads(capsys.readouterr().out)["points"]])
        assert np.abs(J - Jt).max() <= _tol(net) * np.abs(Jt).max(), trace
    for bad in (X.transpose(0, 2, 3, 1).copy(), X.reshape(6, 2, 16), X.reshape(6, 4, 8)):
        np.save(pts, bad)
        assert main(argv) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "(n, 32) or (n, 2, 4, 4)" in err[0], err


def test_cli_image_points_stream_without_a_full_copy(tmp_path, capsys) -> None:
    """Memory-mapped (n, C, H, W) files stored in Fortran order (so that flattening a whole array at once
    copies it) are read chunk by chunk: the peak of the traced allocations grows by less than half a
    point's 8 d bytes (per point) from n = 2,000 to 8,000 (the summary keeps 40 bytes a point; a full copy
    adds 8 d = 256), and the summary is the one of the points flattened in memory."""
    import json
    import os
    import tracemalloc

    from normalign.numerics.engine.geometry import analyze as geo_analyze

    from normalign.cli import main
    from normalign.report import Summary

    src, module, weights = _image_model(tmp_path)
    X = np.asfortranarray(np.random.default_rng(34).normal(size=(8_000, 2, 4, 4)))
    files = {}
    for n in (2_000, 8_000):
        files[n] = tmp_path / f"pts{n}.npy"
        np.save(files[n], np.asfortranarray(X[:n]))
    argv = ["--module", f"{src}:make", "--input-shape", "2,4,4", "--summary-only", "--json", "--chunk", "1000",
            "--allow-undefined"]

    def peak(path) -> int:
        with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
            tracemalloc.start()
            try:
                assert main(["analyze", str(weights), str(path), *argv]) == 0
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

    peak(files[2_000])  # first run: imports and caches
    per_point = (peak(files[8_000]) - peak(files[2_000])) / 6_000
    assert per_point <= 4 * 32, f"peak memory grows by {per_point:.0f} bytes a point"
    assert main(["analyze", str(weights), str(files[8_000]), *argv]) == 0
    got = json.loads(capsys.readouterr().out)["summary"]["overall"]
    ref = Summary(X.shape[0])
    ref.add(geo_analyze(CPANetwork.from_module(module, (2, 4, 4)), X.reshape(X.shape[0], -1), jacobian=False), 0)
    want = ref.result(0.9)["overall"]
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert np.allclose(np.asarray(got[k], dtype=float), np.asarray(v, dtype=float), rtol=1e-9, atol=1e-12), k


def test_pair_stage_abs_is_the_entrywise_absolute_value() -> None:
    """``|W|`` of a max-pool tournament round (used for ``|W| E`` in regions._apply) equals the entrywise
    absolute value of its dense matrix, written out by hand: per pair (a, b) the rows ``c_b - c_a`` and
    ``c_a``, then the unpaired candidates (mutant at 5ed4d94: abs() keeping sign -1, i.e. ``W`` itself)."""
    from normalign.numerics.engine.operators import PairStageMap

    m = PairStageMap(np.array([0, 3]), np.array([2, 1]), np.array([4]), 5)
    W = np.zeros((5, 5))
    W[0, [0, 2]] = [-1.0, 1.0]
    W[1, [3, 1]] = [-1.0, 1.0]
    W[2, 0] = W[3, 3] = W[4, 4] = 1.0
    assert np.array_equal(m.dense(), W)
    assert np.array_equal(m.abs().dense(), np.abs(W))
    E = np.random.default_rng(0).normal(size=(2, 5))
    assert np.allclose(m.abs().forward(E), E @ np.abs(W).T, rtol=0, atol=1e-15)
