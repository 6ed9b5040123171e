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
from normalign.numerics.checks.definitions.conv_nets import small_conv_net, torch_forward, torch_jacobians
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.tolerances import matmul_tol

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")  # the test extra: `pip install -e .[test]`
pytest.importorskip("onnxscript")  # torch.onnx.export's dynamo exporter writes through it
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

SHAPE = (2, 9, 9)

F32_TOL = 10 * 16 * 128 * 2.0**-24
"""onnxruntime computes in float32 (unit roundoff 2^-24): an output of at most 16 layers whose dot
products have at most 128 terms carries a relative error of at most depth x length x 2^-24 of the scale
of its terms, with the safety factor 10 of ``numerics/tolerances.py``: 1.2e-3 of the output's scale. A
misread attribute (pads order, BN sign, transB) moves outputs by O(1) of that scale."""


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
