"""ONNX files in the engine (issue 17): read with the ``onnx`` package (graph and initializers only).

Oracles: onnxruntime running the same file (a test-only dependency; its CPU kernels for Conv are float32
only, so it runs a float32 export), and torch autograd on the source module for a float64 export.
``torch.onnx.export`` (dynamo, with onnxscript) folds batch norm into the convolutions, so a graph written
by hand with ``onnx.helper`` covers BatchNormalization, asymmetric pads, Gemm's alpha / beta / transB,
MatMul, PRelu with (C, 1, 1) slopes and a residual Add.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from normalign.numerics.checks.definitions.conv_nets import small_conv_net, torch_forward, torch_jacobians
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.tolerances import matmul_tol

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")  # the test extra: `pip install -e .[test]`
pytest.importorskip("onnxscript")  # torch.onnx.export's dynamo exporter writes through it
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

from normalign.numerics.tolerances import F32_ORACLE_TOL as F32_TOL  # noqa: E402

SHAPE = (2, 9, 9)

def _export(module, dtype, path) -> None:
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(module.to(dtype), (torch.zeros((1,) + SHAPE, dtype=dtype),), str(path), dynamo=True,
                          dynamic_shapes=({0: torch.export.Dim("batch")},))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx")
    _export(small_conv_net(), torch.float64, d / "net64.onnx")
    _export(small_conv_net(), torch.float32, d / "net32.onnx")
    return d


def _ort(path, X: np.ndarray) -> np.ndarray:
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: X.astype(np.float32)})[0].astype(np.float64)


def test_float64_export_matches_the_module_and_autograd(exported) -> None:
    net = CPANetwork.load(exported / "net64.onnx")
    module = small_conv_net()
    X = np.random.default_rng(0).normal(size=(16, int(np.prod(SHAPE))))
    tol = matmul_tol(len(net.layers), max(net.widths))
    f = torch_forward(module, X, SHAPE)
    assert np.abs(net.forward(X) - f).max() <= tol * (1 + np.abs(f).max())
    J, _ = region_maps(net, X)
    Jt = torch_jacobians(module, X, SHAPE)
    assert np.abs(J - Jt).max() <= tol * np.abs(Jt).max()


def test_float32_export_matches_onnxruntime(exported) -> None:
    path = exported / "net32.onnx"
    net = CPANetwork.load(path)
    X = np.random.default_rng(1).normal(size=(16,) + SHAPE).astype(np.float32)
    y = _ort(path, X)
    assert np.abs(net.forward(X.reshape(16, -1).astype(np.float64)) - y).max() <= F32_TOL * (1 + np.abs(y).max())


def _init(name: str, a: np.ndarray):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def _hand_model() -> onnx.ModelProto:
    """Conv (asymmetric pads, stride, dilation, groups) -> BatchNormalization -> PRelu (C, 1, 1) ->
    MaxPool (pads) -> residual Add with a 1x1 Conv of the same pooled value -> AveragePool (pads, no
    count_include_pad) -> LeakyRelu -> Flatten -> Gemm (alpha, beta, transB) -> Relu -> MatMul -> Add."""
    rng = np.random.default_rng(2)
    r = lambda *s: rng.normal(size=s).astype(np.float32)  # noqa: E731
    nodes = [
        helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 0, 2, 1], strides=[1, 2], dilations=[2, 1], group=2),
        helper.make_node("BatchNormalization", ["c1", "g", "beta", "mean", "var"], ["bn"], epsilon=1e-3),
        helper.make_node("PRelu", ["bn", "slope"], ["pr"]),
        helper.make_node("MaxPool", ["pr"], ["mp"], kernel_shape=[2, 2], strides=[2, 1], pads=[1, 1, 0, 0]),
        helper.make_node("Conv", ["mp", "w2"], ["c2"]),
        helper.make_node("Add", ["mp", "c2"], ["res"]),
        helper.make_node("AveragePool", ["res"], ["ap"], kernel_shape=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0),
        helper.make_node("LeakyRelu", ["ap"], ["lr"], alpha=0.25),
        helper.make_node("Flatten", ["lr"], ["fl"]),
        helper.make_node("Gemm", ["fl", "wg", "bg"], ["g1"], alpha=0.5, beta=2.0, transB=1),
        helper.make_node("Relu", ["g1"], ["h"]),
        helper.make_node("MatMul", ["h", "wm"], ["mm"]),
        helper.make_node("Add", ["mm", "bm"], ["y"]),
    ]
    x_shape = (2, 7, 8)
    conv_hw = ((7 + 1 + 2 - 2 * 2 - 1) // 1 + 1, (8 + 0 + 1 - 1 * 2 - 1) // 2 + 1)  # (H, W) after Conv
    mp_hw = ((conv_hw[0] + 1 + 1 - 2) // 2 + 1, (conv_hw[1] - 2) // 1 + 1)
    ap_hw = ((mp_hw[0] + 2 - 2) // 1 + 1, (mp_hw[1] + 2 - 2) // 1 + 1)
    flat = 4 * ap_hw[0] * ap_hw[1]
    var = rng.uniform(0.5, 2, size=4)
    inits = [
        _init("w1", r(4, 1, 3, 2)), _init("b1", r(4)), _init("g", rng.uniform(-2, 2, 4)), _init("beta", r(4)),
        _init("mean", r(4)), _init("var", var), _init("slope", rng.uniform(0, 0.5, (4, 1, 1))),
        _init("w2", r(4, 4, 1, 1)), _init("wg", r(5, flat)), _init("bg", r(5)), _init("wm", r(5, 3)), _init("bm", r(3)),
    ]
    graph = helper.make_graph(nodes, "hand", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *x_shape])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_hand_written_graph_matches_onnxruntime(tmp_path) -> None:
    path = tmp_path / "hand.onnx"
    onnx.save(_hand_model(), str(path))
    net = CPANetwork.load(path)
    X = np.random.default_rng(3).normal(size=(32, 2, 7, 8)).astype(np.float32)
    y = _ort(path, X)
    assert np.abs(net.forward(X.reshape(32, -1).astype(np.float64)) - y).max() <= F32_TOL * (1 + np.abs(y).max())


def _model(nodes, inputs, inits=()) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "m", [helper.make_tensor_value_info(i, TensorProto.FLOAT, ["n", 3]) for i in inputs],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("model, words", [
    (_model([helper.make_node("Sigmoid", ["x"], ["y"])], ["x"]), "unsupported ONNX operation Sigmoid"),
    (_model([helper.make_node("Mul", ["x", "x"], ["y"])], ["x"]), "Mul of two computed values"),
    (_model([helper.make_node("Dropout", ["x", "r", "t"], ["y"])], ["x"],
            [_init("r", np.array(0.5)), numpy_helper.from_array(np.array(True), "t")]), "training_mode"),
    (_model([helper.make_node("Add", ["x", "z"], ["y"])], ["x", "z"]), "2 data inputs"),
    (_model([helper.make_node("Relu", ["x"], ["y"]), helper.make_node("Relu", ["nowhere"], ["q"])], ["x"]), "cannot read"),
])
def test_unsupported_and_malformed_models_are_named(tmp_path, model, words: str) -> None:
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    with pytest.raises(NetworkError, match=words):
        CPANetwork.load(path)


def test_garbage_file_is_refused(tmp_path) -> None:
    path = tmp_path / "junk.onnx"
    path.write_bytes(b"\x08\x07this is not a protobuf \xff\xfe" * 10)
    with pytest.raises(NetworkError, match="cannot read"):
        CPANetwork.load(path)


def test_cli_reads_onnx_and_refuses_bad_files(tmp_path, capsys) -> None:
    from normalign.cli import main

    path = tmp_path / "hand.onnx"
    onnx.save(_hand_model(), str(path))
    pts = tmp_path / "pts.npy"
    X = np.random.default_rng(4).normal(size=(5, 2 * 7 * 8))
    np.save(pts, X)
    assert main(["analyze", str(path), str(pts), "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert len(doc["points"]) == 5
    bad = tmp_path / "bad.onnx"
    onnx.save(_model([helper.make_node("Sigmoid", ["x"], ["y"])], ["x"]), str(bad))
    assert main(["analyze", str(bad), str(pts)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Sigmoid" in err[0]


def test_gemm_bias_of_shape_1_n_matches_onnxruntime(tmp_path) -> None:
    """Gemm's C broadcasts unidirectionally to (batch, N): (1, N) is common in exported graphs."""
    rng = np.random.default_rng(4)
    g = helper.make_graph([helper.make_node("Gemm", ["x", "w", "c"], ["y"])], "m",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])],
                          [_init("w", rng.normal(size=(3, 2))), _init("c", rng.normal(size=(1, 2)))])
    path = tmp_path / "gemm.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    X = rng.normal(size=(5, 3)).astype(np.float32)
    y = _ort(path, X)
    assert np.abs(CPANetwork.load(path).forward(X.astype(np.float64)) - y).max() <= F32_TOL * (1 + np.abs(y).max())


def test_conv_kernel_shape_must_match_the_weight(tmp_path) -> None:
    g = helper.make_graph([helper.make_node("Conv", ["x", "w"], ["y"], kernel_shape=[2, 2])], "m",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 1, 5, 5])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2, 3, 3])],
                          [_init("w", np.ones((2, 1, 3, 3)))])
    path = tmp_path / "k.onnx"
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(NetworkError, match="kernel_shape"):
        CPANetwork.load(path)


# ----------------------------------------------------------------------------- Reshape 0 / -1, Concat, Transpose
NEW_SHAPE = (2, 4, 5)


def _new_ops_params() -> dict[str, np.ndarray]:
    """Weights of :func:`_new_ops_model` (float32 numbers, so the file holds them exactly)."""
    rng = np.random.default_rng(21)
    r = lambda *s, scale=1.0: (scale * rng.normal(size=s)).astype(np.float32).astype(np.float64)
    return {"c": r(1, 2, 1, 1), "s": rng.uniform(0.5, 2, (2, 1, 1)).astype(np.float32).astype(np.float64),
            "wa": r(3, 2, 3, 3), "ba": r(3), "wb": r(2, 2, 1, 1), "bb": r(2),
            "w1": r(140, 6, scale=1 / 6), "b1": r(6), "w2": r(3, 6), "b2": r(1, 3)}


def _new_ops_model() -> onnx.ModelProto:
    """x (n, 2, 4, 5) -> Sub c, Div s (per channel) -> Concat[Conv 3x3 (3 ch), Conv 1x1 (2 ch)] on the
    channel axis -> Transpose [0, 2, 3, 1] -> Relu -> Reshape [0, 0, -1] (4, 25); beside it the input itself
    Transpose [0, 2, 1, 3] -> Reshape [0, 0, -1] (4, 10) (carried through the Relu layer); Concat of the two
    on the last axis (4, 35: interleaved rows) -> Reshape [-1, 140] -> Gemm (transA 0, transB 0) -> Relu ->
    Gemm (transB 1)."""
    P = _new_ops_params()
    nodes = [
        helper.make_node("Sub", ["x", "c"], ["d0"]),
        helper.make_node("Div", ["d0", "s"], ["d"]),
        helper.make_node("Conv", ["d", "wa", "ba"], ["ca"], pads=[1, 1, 1, 1]),
        helper.make_node("Conv", ["d", "wb", "bb"], ["cb"]),
        helper.make_node("Concat", ["ca", "cb"], ["cat"], axis=1),
        helper.make_node("Transpose", ["cat"], ["tr"], perm=[0, 2, 3, 1]),
        helper.make_node("Relu", ["tr"], ["t"]),
        helper.make_node("Reshape", ["t", "keep2"], ["t2"]),
        helper.make_node("Transpose", ["d"], ["u0"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["u0", "keep2"], ["u"]),
        helper.make_node("Concat", ["t2", "u"], ["cat2"], axis=-1),
        helper.make_node("Reshape", ["cat2", "flat"], ["f"]),
        helper.make_node("Gemm", ["f", "w1", "b1"], ["g"], transA=0, transB=0),
        helper.make_node("Relu", ["g"], ["h"]),
        helper.make_node("Gemm", ["h", "w2", "b2"], ["y"], transB=1),
    ]
    inits = [_init(k, v) for k, v in P.items()] + [
        numpy_helper.from_array(np.array([0, 0, -1], dtype=np.int64), "keep2"),
        numpy_helper.from_array(np.array([-1, 140], dtype=np.int64), "flat")]
    graph = helper.make_graph(nodes, "new_ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *NEW_SHAPE])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _new_ops_torch(X: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The same function as :func:`_new_ops_model`, written with torch's own operations (float64): the
    output and the pre-activations of both Relu nodes (for the activation pattern)."""
    P = {k: torch.from_numpy(v) for k, v in _new_ops_params().items()}
    n = X.shape[0]
    d = (X.reshape((n,) + NEW_SHAPE) - P["c"]) / P["s"]
    cat = torch.cat([F.conv2d(d, P["wa"], P["ba"], padding=1), F.conv2d(d, P["wb"], P["bb"])], dim=1)
    tr = cat.permute(0, 2, 3, 1)
    t2 = torch.relu(tr).reshape(n, 4, 25)
    u = d.permute(0, 2, 1, 3).reshape(n, 4, 10)
    g = torch.cat([t2, u], dim=2).reshape(n, 140) @ P["w1"] + P["b1"]
    return torch.relu(g) @ P["w2"].T + P["b2"], [tr.reshape(n, -1), g]


def _pattern(X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return np.concatenate([z.numpy() > 0 for z in _new_ops_torch(torch.from_numpy(X))[1]], axis=1)


@pytest.fixture(scope="module")
def new_ops(tmp_path_factory):
    path = tmp_path_factory.mktemp("new_ops") / "new_ops.onnx"
    onnx.save(_new_ops_model(), str(path))
    return path, CPANetwork.load(path)


def test_reshape_concat_transpose_match_onnxruntime_and_torch(new_ops) -> None:
    """Forward: the engine against onnxruntime (float32) and against the same function in torch (float64);
    torch's function is itself checked against onnxruntime (so the oracle computes the file's graph)."""
    path, net = new_ops
    X = np.random.default_rng(22).normal(size=(32,) + NEW_SHAPE).astype(np.float32)
    y = _ort(path, X)
    X64 = X.reshape(32, -1).astype(np.float64)
    with torch.no_grad():
        yt = _new_ops_torch(torch.from_numpy(X64))[0].numpy()
    assert np.abs(yt - y).max() <= F32_TOL * (1 + np.abs(y).max())
    assert np.abs(net.forward(X64) - y).max() <= F32_TOL * (1 + np.abs(y).max())
    assert np.abs(net.forward(X64) - yt).max() <= matmul_tol(len(net.layers), max(net.widths)) * (1 + np.abs(yt).max())


def test_reshape_concat_transpose_region_maps_match_autograd(new_ops) -> None:
    """J_x and b_x against torch autograd of the same function (float64)."""
    _, net = new_ops
    X = np.random.default_rng(23).normal(size=(16, int(np.prod(NEW_SHAPE))))
    J, b = region_maps(net, X)
    Jt = torch.func.vmap(torch.func.jacrev(lambda x: _new_ops_torch(x[None])[0][0]))(torch.from_numpy(X)).numpy()
    with torch.no_grad():
        f = _new_ops_torch(torch.from_numpy(X))[0].numpy()
    tol = matmul_tol(len(net.layers), max(net.widths))
    assert np.abs(J - Jt).max() <= tol * np.abs(Jt).max()
    assert np.abs(b - (f - np.einsum("ncd,nd->nc", Jt, X))).max() <= tol * (1 + np.abs(f).max())


def test_reshape_concat_transpose_region_halfspaces(new_ops) -> None:
    """Every half-space of x's region holds at x and crossing it changes torch's Relu pattern; random
    points strictly inside (outside) the region have (not) x's torch pattern."""
    from normalign.numerics.engine.regions import region_polytope

    _, net = new_ops
    rng = np.random.default_rng(24)
    for x in rng.normal(size=(2, int(np.prod(NEW_SHAPE)))):
        poly = region_polytope(net, x)
        s = poly.slack(x[None])[0]
        assert np.all(s >= -poly.resolution(x[None])[0])
        p0 = _pattern(x[None])[0]
        rows = rng.choice(poly.A.shape[0], size=min(40, poly.A.shape[0]), replace=False)
        assert np.all(np.any(_pattern(x[None] + (s[rows] + 1e-7)[:, None] * poly.A[rows]) != p0, axis=1))
        r = np.sort(np.abs(s))[len(s) // 50]
        Y = x[None] + rng.normal(size=(400, x.size)) * (r / np.sqrt(x.size)) * rng.uniform(0.2, 8, size=(400, 1))
        sl, res = poly.slack(Y), poly.resolution(Y)
        inside, outside = np.all(sl > res, axis=1), np.any(sl < -res, axis=1)
        same = np.all(_pattern(Y) == p0[None], axis=1)
        assert inside.any() and outside.any()
        assert np.all(same[inside]) and not np.any(same[outside])


class _CatPermute(torch.nn.Module):
    """What torch.onnx.export writes Sub, Div, Concat, Transpose and Reshape [-1, k] for."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(25)
        self.a, self.b = torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.Conv2d(2, 2, 1)
        self.lin = torch.nn.Linear(5 * 4 * 5, 3)

    def forward(self, x):
        x = (x - 0.25) / 2.0
        y = torch.cat([torch.relu(self.a(x)), self.b(x)], dim=1).permute(0, 2, 3, 1)
        return self.lin(torch.relu(y).reshape(y.size(0), -1))


def test_exported_cat_permute_matches_autograd_and_fx(tmp_path) -> None:
    """A torch.onnx.export (float64) file with Sub, Div, Concat, Transpose, Reshape [-1, k]: the engine's
    J, b against autograd of the module; the module read by torch.fx gives the same chain's function."""
    m = _CatPermute().double().eval()
    path = tmp_path / "cat.onnx"
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(m, (torch.zeros((1,) + NEW_SHAPE, dtype=torch.float64),), str(path), dynamo=True,
                          dynamic_shapes=({0: torch.export.Dim("batch")},))
    kinds = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert {"Sub", "Div", "Concat", "Transpose", "Reshape"} <= kinds, kinds
    X = np.random.default_rng(26).normal(size=(12, int(np.prod(NEW_SHAPE))))
    Jt = torch_jacobians(m, X, NEW_SHAPE)
    f = torch_forward(m, X, NEW_SHAPE)
    for net in (CPANetwork.load(path), CPANetwork.from_module(m, NEW_SHAPE)):
        tol = matmul_tol(len(net.layers), max(net.widths))
        J, b = region_maps(net, X)
        assert np.abs(J - Jt).max() <= tol * np.abs(Jt).max()
        assert np.abs(b - (f - np.einsum("ncd,nd->nc", Jt, X))).max() <= tol * (1 + np.abs(f).max())


def _shaped(nodes, inits=(), shape=(2, 3)) -> onnx.ModelProto:
    g = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *shape])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def _i64(name: str, v) -> onnx.TensorProto:
    return numpy_helper.from_array(np.array(v, dtype=np.int64), name)


@pytest.mark.parametrize("model, words", [
    (_shaped([helper.make_node("Reshape", ["x", "s"], ["y"])], [_i64("s", [0, 0, 0, 0])]), "copies \\(0\\) axis 3"),
    (_shaped([helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)], [_i64("s", [0, 6, 0])]), "allowzero"),
    (_shaped([helper.make_node("Reshape", ["x", "s"], ["y"])], [_i64("s", [-1])]), "keep the batch"),
    (_shaped([helper.make_node("Reshape", ["x", "s"], ["y"])], [_i64("s", [-1, -1])]), "keep the batch"),
    (_shaped([helper.make_node("Reshape", ["x", "s"], ["y"])], [_i64("s", [0, 4, -1])]), "cannot reshape"),
    (_shaped([helper.make_node("Concat", ["x", "x"], ["y"], axis=0)]), "batch axis"),
    (_shaped([helper.make_node("Concat", ["x", "x"], ["y"], axis=3)]), "out of range"),
    (_shaped([helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]), helper.make_node("Concat", ["x", "t"], ["y"],
                                                                                             axis=1)]), "cannot concatenate"),
    (_shaped([helper.make_node("Concat", ["x", "k"], ["y"], axis=1)], [_init("k", np.ones((1, 2, 3)))]), "not a constant"),
    (_shaped([helper.make_node("Transpose", ["x"], ["y"], perm=[1, 0, 2])]), "moves the batch axis"),
    (_shaped([helper.make_node("Transpose", ["x"], ["y"])]), "moves the batch axis"),
    (_shaped([helper.make_node("Transpose", ["x"], ["y"], perm=[0, 1, 1])]), "not a permutation"),
    (_shaped([helper.make_node("Div", ["k", "x"], ["y"])], [_init("k", np.ones((2, 3)))]), "division by a computed value"),
    (_shaped([helper.make_node("Gemm", ["x", "k"], ["y"], transA=1)], [_init("k", np.ones((2, 2)))], (2,)), "transA"),
])
def test_malformed_reshape_concat_transpose_are_named(tmp_path, model, words: str) -> None:
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    with pytest.raises(NetworkError, match=words):
        CPANetwork.load(path)


def test_cli_onnx_accepts_image_points(tmp_path, capsys) -> None:
    """``normalign analyze FILE.onnx POINTS``: points (n, C, H, W) give the Jacobians of the same points
    flattened (n, C H W), which are autograd's of the file's function on the unflattened points; a shape
    matching neither (n, d) nor (n, C, H, W) is a one-line error, exit 2."""
    import json

    from normalign.cli import main

    path = tmp_path / "new_ops.onnx"
    onnx.save(_new_ops_model(), str(path))
    X = np.random.default_rng(27).normal(size=(5,) + NEW_SHAPE)
    pts = tmp_path / "img.npy"
    np.save(pts, X)
    assert main(["analyze", str(path), str(pts), "--json"]) == 0
    J = np.array([p["jacobian"] for p in json.loads(capsys.readouterr().out)["points"]])
    Xt = torch.from_numpy(X).requires_grad_(True)
    Jt = np.stack([torch.autograd.grad(_new_ops_torch(Xt)[0][:, k].sum(), Xt)[0].numpy().reshape(5, -1)
                   for k in range(3)], axis=1)
    net = CPANetwork.load(path)
    assert np.abs(J - Jt).max() <= matmul_tol(len(net.layers), max(net.widths)) * np.abs(Jt).max()
    for bad in (X.transpose(0, 2, 3, 1), X.reshape(5, 2, 20)):
        np.save(pts, bad)
        assert main(["analyze", str(path), str(pts)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "(n, 40) or (n, 2, 4, 5)" in err[0], err


# ------------------------------------------------------------ one-line bugs mutmut found (2026-12-01)
def _graph(nodes, shape, inits=(), out=("n", "m"), opset: int = 17) -> onnx.ModelProto:
    """Input ``x`` of shape (n,) + ``shape``; output ``y`` of shape ``out``."""
    g = helper.make_graph(nodes, "m", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *shape])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, out)], list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def _flat(node_type: str, shape, inits=(), inputs=("x",), **attrs) -> onnx.ModelProto:
    """``node_type`` then Flatten; AveragePool's ``dilations`` needs opset 19."""
    return _graph([helper.make_node(node_type, list(inputs), ["h"], **attrs), helper.make_node("Flatten", ["h"], ["y"])],
                  shape, inits, opset=19 if "dilations" in attrs else 17)


@pytest.mark.parametrize("name, model, shape", [
    ("Identity", _flat("Identity", (2, 3)), (2, 3)),
    ("Dropout", _flat("Dropout", (2, 3)), (2, 3)),
    ("GlobalAveragePool", _flat("GlobalAveragePool", (2, 3, 3)), (2, 3, 3)),
    ("MaxPool ceil_mode", _flat("MaxPool", (1, 5, 5), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1), (1, 5, 5)),
    ("AveragePool ceil_mode", _flat("AveragePool", (1, 5, 5), kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1),
     (1, 5, 5)),
    ("AveragePool dilations 1", _flat("AveragePool", (1, 4, 4), kernel_shape=[2, 2], dilations=[1, 1]), (1, 4, 4)),
    ("Mul by a (W,) constant, C == W", _flat("Mul", (2, 3, 2), [_init("k", np.array([2.0, -3.0]))], ("x", "k")),
     (2, 3, 2)),
], ids=lambda v: v if isinstance(v, str) else "")
def test_onnx_paths_match_onnxruntime(tmp_path, name: str, model, shape) -> None:
    """The engine equals onnxruntime on the file. Each case killed a surviving mutant (mutation run at
    5ed4d94): Identity / Dropout / GlobalAveragePool ops built with a wrong output name, pooling's
    ``ceil_mode`` stored under a misspelt key, AveragePool's unit ``dilations`` crashing the dilation test,
    and a (W,) constant broadcast along the channel axis instead of numpy's last axis."""
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    net = CPANetwork.load(path)
    X = np.random.default_rng(11).normal(size=(5,) + shape).astype(np.float32)
    y = _ort(path, X)
    got = net.forward(X.reshape(5, -1).astype(np.float64))
    assert got.shape == y.shape
    assert np.abs(got - y).max() <= F32_TOL * (1 + np.abs(y).max())


@pytest.mark.parametrize("model, words", [
    (_flat("MaxPool", (1, 5, 5), kernel_shape=[3, 3], auto_pad="SAME_UPPER"), "auto_pad"),
    (_flat("AveragePool", (1, 5, 5), kernel_shape=[2, 2], dilations=[2, 2]), "dilated average pooling"),
    (_graph([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Transpose", ["x"], ["t"], perm=[0, 2, 1]),
             helper.make_node("Add", ["r", "t"], ["y"])], (2, 3), out=("n", 2, 3)), "adding values of shapes"),
])
def test_onnx_refusals_are_named(tmp_path, model, words: str) -> None:
    """auto_pad SAME_* (mutant: the attribute read under a misspelt key, so the pads were silently
    wrong), dilated AveragePool (mutants: the dilation test crashing with a TypeError), and adding two
    computed values of different shapes but equal size (mutant: the shape test skipped, so they were added
    in flat order)."""
    path = tmp_path / "m.onnx"
    onnx.save(model, str(path))
    with pytest.raises(NetworkError, match=words):
        CPANetwork.load(path)
