"""Read networks from a torch ``nn.Module`` (torch.fx symbolic tracing) and from ONNX files (the ``onnx``
package: graph and initializers only, nothing is executed) into a :class:`lowering.Graph`, then lower it to
the engine's chain (:func:`normalign.numerics.engine.lowering.lower`).

Weights are read as float64. Supported: Linear / Gemm / MatMul, Conv1d / Conv2d (stride, padding,
dilation, groups), BatchNorm in eval mode, MaxPool, AvgPool (and adaptive / global average pooling),
Flatten / Reshape (ONNX: 0 copies a size, -1 is inferred), Concat / torch.cat and Transpose / permute
(not across the batch axis), additions (residual skips), ReLU, LeakyReLU, PReLU, Identity, Dropout
(inference: the identity), and element-wise affine ops with constants (Add, Sub, Mul, Div). Anything
else is a :class:`NetworkError` naming the operation.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import numpy as np
from normalign.numerics.engine.lowering import Graph, Op, lower
from normalign.numerics.engine.network import CPANetwork, NetworkError
from normalign.numerics.tolerances import matmul_tol


TRACERS = ("fx", "export")
"""How an nn.Module's graph is read: ``torch.fx.symbolic_trace`` (:func:`module_graph`) or ``torch.export``
(:func:`export_graph`, the ATen graph)."""


def from_module(module: Any, input_shape: tuple[int, ...], trace: str = "fx") -> CPANetwork:
    """The exact chain of an ``nn.Module`` (one input of shape ``input_shape`` without the batch), read by
    ``trace`` (:data:`TRACERS`) and checked against the module itself (:func:`_cross_check`)."""
    if trace not in TRACERS:
        raise NetworkError(f"unknown tracer {trace!r}; known: {', '.join(TRACERS)}")
    net = lower((module_graph if trace == "fx" else export_graph)(module, input_shape))
    _cross_check(module, net, tuple(input_shape))
    return net


def _cross_check(module: Any, net: CPANetwork, input_shape: tuple[int, ...]) -> None:
    """Refuse unless the chain and torch (a float64 copy of the module) agree on 4 fixed random inputs to
    ``matmul_tol(depth, width)`` of the output's scale: torch.fx can drop semantics its graph does not show
    (``w = y; w += x`` is traced out of place, so ``y`` keeps its old value), and analysing a different
    function silently is the worst outcome."""
    import copy

    import torch

    X = np.random.default_rng(0).normal(size=(4, int(np.prod(input_shape))))
    try:
        with torch.no_grad():
            y = copy.deepcopy(module).double()(torch.tensor(X).reshape((4,) + input_shape)).reshape(4, -1).numpy()
    except Exception as exc:  # noqa: BLE001 - the user's module may raise anything
        raise NetworkError(f"running {type(module).__name__} on inputs of shape {input_shape} failed: "
                           f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    f = net.forward(X)
    err = np.abs(f - y).max() if f.shape == y.shape else np.inf
    tol = matmul_tol(len(net.layers), max(net.widths)) * (1 + np.abs(y).max())
    if not err <= tol:
        raise NetworkError(f"the traced graph of {type(module).__name__} disagrees with running it (max difference "
                           f"{err:.3g} > {tol:.3g}): an operation the tracer (torch.fx or torch.export) does not "
                           "record faithfully (an in-place update of an aliased tensor, randomness, ...)")


def from_onnx(path: str | Path) -> CPANetwork:
    """The exact chain of an ONNX model file."""
    return lower(onnx_graph(path))


def parse_shape(text: str | None) -> tuple[int, ...]:
    """``"1,28,28"`` -> (1, 28, 28) (positive integers); None is an error naming the option."""
    if text is None:
        raise NetworkError("--module needs --input-shape (one input's shape without the batch, e.g. 1,28,28)")
    try:
        shape = tuple(int(v) for v in str(text).replace("x", ",").split(","))
    except ValueError:
        raise NetworkError(f"--input-shape must be integers separated by commas, got {text!r}") from None
    if not shape or any(v < 1 for v in shape):
        raise NetworkError(f"--input-shape must be positive integers, got {text!r}")
    return shape


def from_factory(spec: str, weights: str | Path | None, input_shape: tuple[int, ...], trace: str = "fx"
                 ) -> CPANetwork:
    """``spec = "path/to/file.py:factory"``: run that file (it is the user's own code) and call
    ``factory()`` for an ``nn.Module``; load ``weights`` (a state dict saved with ``torch.save``, read with
    ``weights_only=True``) into it unless None; eval mode; then :func:`from_module`."""
    import importlib.util

    import torch

    path, sep, name = str(spec).rpartition(":")
    if not sep or not path or not name.isidentifier():
        raise NetworkError(f"--module must be FILE.py:FACTORY, got {spec!r}")
    if not Path(path).is_file():
        raise NetworkError(f"no such module file: {path}")
    mod_spec = importlib.util.spec_from_file_location("_normalign_user_model", path)
    if mod_spec is None or mod_spec.loader is None:
        raise NetworkError(f"cannot import {path} as Python")
    user = importlib.util.module_from_spec(mod_spec)
    try:
        mod_spec.loader.exec_module(user)
        factory = getattr(user, name)
        module = factory()
    except AttributeError:
        raise NetworkError(f"{path} defines no {name!r}") from None
    except Exception as exc:  # noqa: BLE001 - the user's code may raise anything
        raise NetworkError(f"{spec}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}") from None
    if not isinstance(module, torch.nn.Module):
        raise NetworkError(f"{spec} returned {type(module).__name__}, not a torch.nn.Module")
    module = module.double()  # before loading: float64 weights must not pass through float32 parameters
    if weights is not None:
        try:
            sd = torch.load(weights, map_location="cpu", weights_only=True)
            module.load_state_dict(sd)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file or mismatched keys
            raise NetworkError(f"cannot load {weights} into {spec}: "
                               f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    return from_module(module.eval(), input_shape, trace)


# ----------------------------------------------------------------------------- torch
def _np(t: Any) -> np.ndarray:
    """A torch tensor as a float64 numpy array (a copy)."""
    import torch

    return t.detach().cpu().to(dtype=torch.float64).numpy().copy()


def _pair(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))


def _conv_params(m: Any, where: str) -> dict:
    import torch.nn as nn

    if m.padding_mode != "zeros":
        raise NetworkError(f"{where}: padding_mode {m.padding_mode!r} is not supported (only 'zeros')")
    one_d = isinstance(m, nn.Conv1d)
    w = _np(m.weight)
    k = w.shape[2:]
    dil = (1, int(m.dilation[0])) if one_d else _pair(m.dilation)
    if isinstance(m.padding, str):
        ks = (1, k[0]) if one_d else k
        tot = [0, 0] if m.padding == "valid" else [dil[i] * (ks[i] - 1) for i in range(2)]
        pads = (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
    else:
        p = (0, int(m.padding[0])) if one_d else _pair(m.padding)
        pads = (p[0], p[0], p[1], p[1])
    return {"weight": w[:, :, None, :] if one_d else w, "bias": None if m.bias is None else _np(m.bias),
            "stride": (1, int(m.stride[0])) if one_d else _pair(m.stride), "pads": pads, "dilation": dil,
            "groups": int(m.groups)}


def _pool_params(kernel: Any, stride: Any, padding: Any, one_d: bool, dilation: Any = 1, ceil: bool = False) -> dict:
    if one_d:
        k = int(kernel[0] if isinstance(kernel, (tuple, list)) else kernel)
        s = k if stride is None or stride == [] else int(stride[0] if isinstance(stride, (tuple, list)) else stride)
        p = int(padding[0] if isinstance(padding, (tuple, list)) else padding)
        d = int(dilation[0] if isinstance(dilation, (tuple, list)) else dilation)
        return {"kernel": (1, k), "stride": (1, s), "pads": (0, 0, p, p), "dilation": (1, d), "ceil_mode": bool(ceil)}
    k = _pair(kernel)
    s = k if stride is None or stride == [] else _pair(stride)
    p = _pair(padding)
    return {"kernel": k, "stride": s, "pads": (p[0], p[0], p[1], p[1]), "dilation": _pair(dilation),
            "ceil_mode": bool(ceil)}


def _module_op(name: str, m: Any, x: str, where: str) -> Op:
    import torch.nn as nn

    if isinstance(m, nn.Linear):
        return Op(name, "linear", (x,), {"W": _np(m.weight), "b": None if m.bias is None else _np(m.bias)}, where)
    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        return Op(name, "conv", (x,), _conv_params(m, where), where)
    if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
        if m.training or not m.track_running_stats or m.running_mean is None:
            raise NetworkError(f"{where}: {type(m).__name__} must be in eval mode with running statistics "
                               "(call module.eval())")
        scale = 1.0 / np.sqrt(_np(m.running_var) + float(m.eps))
        gamma = _np(m.weight) if m.weight is not None else np.ones_like(scale)
        beta = _np(m.bias) if m.bias is not None else np.zeros_like(scale)
        return Op(name, "scale_shift", (x,), {"scale": gamma * scale, "shift": beta - _np(m.running_mean) * gamma * scale,
                                              "channel": True}, where)
    if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
        if m.return_indices:
            raise NetworkError(f"{where}: MaxPool with return_indices is not supported")
        return Op(name, "maxpool", (x,), _pool_params(m.kernel_size, m.stride, m.padding, isinstance(m, nn.MaxPool1d),
                                                      m.dilation, m.ceil_mode), where)
    if isinstance(m, (nn.AvgPool1d, nn.AvgPool2d)):
        if getattr(m, "divisor_override", None):
            raise NetworkError(f"{where}: AvgPool with divisor_override is not supported")
        p = _pool_params(m.kernel_size, m.stride, m.padding, isinstance(m, nn.AvgPool1d), 1, m.ceil_mode)
        p["count_include_pad"] = bool(m.count_include_pad)
        return Op(name, "avgpool", (x,), p, where)
    if isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d)):
        o = m.output_size
        hw = (1, int(o[0] if isinstance(o, (tuple, list)) else o)) if isinstance(m, nn.AdaptiveAvgPool1d) else _pair(o)
        if None in hw:
            raise NetworkError(f"{where}: adaptive pooling with output size None is not supported")
        return Op(name, "avgpool", (x,), {"adaptive": hw}, where)
    if isinstance(m, nn.Flatten):
        if m.start_dim != 1 or m.end_dim != -1:
            raise NetworkError(f"{where}: only Flatten(start_dim=1, end_dim=-1) is supported")
        return Op(name, "reshape", (x,), {"shape": (-1,)}, where)
    if isinstance(m, nn.ReLU):
        return Op(name, "relu", (x,), {}, where)
    if isinstance(m, nn.LeakyReLU):
        return Op(name, "leaky_relu", (x,), {"slope": float(m.negative_slope)}, where)
    if isinstance(m, nn.PReLU):
        return Op(name, "prelu", (x,), {"slope": _np(m.weight), "channel": True}, where)
    if isinstance(m, (nn.Identity, nn.Dropout)):
        if isinstance(m, nn.Dropout) and m.training and m.p > 0:
            raise NetworkError(f"{where}: Dropout in training mode is random (call module.eval())")
        return Op(name, "identity", (x,), {}, where)
    raise NetworkError(f"unsupported layer {type(m).__name__} ({where})")


_VIEW_METHODS = ("view", "reshape", "flatten", "contiguous", "view_as", "reshape_as", "permute", "transpose")


def _inplace(node: Any, mods: dict) -> bool:
    """Whether an fx node overwrites its first argument (``y.relu_()``, ``y += x``, ``F.relu(y, inplace=True)``,
    ``nn.ReLU(inplace=True)``)."""
    import torch.nn as nn
    import torch.nn.functional as F

    if node.op == "call_method":
        return str(node.target).endswith("_") and not str(node.target).startswith("_")
    if node.op == "call_module":
        m = mods[str(node.target)]
        return bool(getattr(m, "inplace", False)) and not isinstance(m, nn.Dropout)  # eval dropout: no write
    if node.op == "call_function":
        if node.target is operator.iadd:
            return True
        pos = {F.relu: 1, F.leaky_relu: 2}.get(node.target)
        if pos is not None:
            return bool(node.args[pos] if len(node.args) > pos else node.kwargs.get("inplace", False))
    return False


def _aliases_input(node: Any, mods: dict) -> bool:
    """Whether an fx node's result may share memory with its first argument (views, identities, in-place ops)."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    if node.op == "call_method":
        return node.target in _VIEW_METHODS
    if node.op == "call_module":
        return isinstance(mods[str(node.target)], (nn.Identity, nn.Dropout, nn.Flatten))
    if node.op == "call_function":
        return node.target in (torch.flatten, torch.reshape, F.dropout, torch.permute, torch.transpose)
    return False


def _refuse_stale_inplace(gm: Any, mods: dict) -> None:
    """torch.fx records an in-place op as a new value, but later readers of the overwritten tensor (or of a
    view of it) still name the old value: the traced graph would then compute something torch does not.
    Refuse an in-place op when a value sharing its memory, from before it, is read after it."""
    import torch.fx

    nodes = list(gm.graph.nodes)
    order = {n: i for i, n in enumerate(nodes)}
    parent: dict[Any, Any] = {}
    for n in nodes:
        if (_aliases_input(n, mods) or _inplace(n, mods)) and n.args and isinstance(n.args[0], torch.fx.Node):
            parent[n] = n.args[0]

    def root(n: Any) -> Any:
        while n in parent:
            n = parent[n]
        return n

    def after(a: Any, p: Any) -> bool:  # a is p or derived from p through aliases (it names the new value)
        while a is not p and a in parent:
            a = parent[a]
        return a is p

    for p in nodes:
        if not (_inplace(p, mods) and p.args and isinstance(p.args[0], torch.fx.Node)):
            continue
        r = root(p.args[0])
        for a in nodes:
            if root(a) is not r or after(a, p):
                continue
            for u in a.users:
                if u is not p and order[u] > order[p]:
                    raise NetworkError(f"{p.op} {p.target}: an in-place operation overwrites {a.name!r}, which "
                                       f"{u.op} {u.target} reads afterwards (torch.fx would read the old value); "
                                       "use the out-of-place form")


def module_graph(module: Any, input_shape: tuple[int, ...]) -> Graph:
    """The graph of an ``nn.Module`` by ``torch.fx.symbolic_trace`` (its Python code runs on proxies;
    weights are read from the module as float64)."""
    import torch
    import torch.fx
    import torch.nn as nn
    import torch.nn.functional as F

    if not isinstance(module, nn.Module):
        raise NetworkError(f"expected a torch.nn.Module, got {type(module).__name__}")
    try:
        gm = torch.fx.symbolic_trace(module)
    except Exception as exc:  # noqa: BLE001 - tracing raises many types (data-dependent control flow, ...)
        raise NetworkError(f"cannot trace {type(module).__name__} with torch.fx: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    mods = dict(gm.named_modules())
    _refuse_stale_inplace(gm, mods)
    ops: list[Op] = []
    inp, out = None, None
    alias: dict[str, str] = {}
    consts: dict[str, np.ndarray] = {}
    sizes: set[str] = set()

    def val(a: Any) -> str:
        if not isinstance(a, torch.fx.Node):
            raise NetworkError(f"expected a tensor argument, got {a!r}")
        return alias.get(a.name, a.name)

    for node in gm.graph.nodes:
        name, where = node.name, f"{node.op} {node.target}"
        if node.op == "placeholder":
            if inp is not None:
                raise NetworkError("the module takes more than one input; the engine needs one")
            inp = name
        elif node.op == "output":
            res = node.args[0]
            if not isinstance(res, torch.fx.Node):
                raise NetworkError("the module must return one tensor")
            out = val(res)
        elif node.op == "get_attr":
            t = gm
            for part in str(node.target).split("."):
                t = getattr(t, part)
            consts[name] = _np(t)
        elif node.op == "call_module":
            m = mods[str(node.target)]
            if len(node.args) != 1 or node.kwargs:
                raise NetworkError(f"{where}: a module called with {len(node.args)} arguments")
            if isinstance(m, (nn.Sequential,)):
                raise NetworkError(f"{where}: unexpected container module")
            ops.append(_module_op(name, m, val(node.args[0]), f"{node.target} ({type(m).__name__})"))
        elif node.op in ("call_function", "call_method"):
            f = node.target
            a, kw = node.args, node.kwargs
            if f in (operator.add, operator.iadd, torch.add, "add", "add_"):
                if kw:
                    raise NetworkError(f"{where}: add with keyword arguments ({sorted(kw)}) is not supported")
                x, y = a[0], a[1]
                if isinstance(x, torch.fx.Node) and isinstance(y, torch.fx.Node) and y.name not in consts \
                        and x.name not in consts:
                    ops.append(Op(name, "add", (val(x), val(y)), {}, where))
                else:
                    if not isinstance(x, torch.fx.Node) or x.name in consts:
                        x, y = y, x
                    c = consts[y.name] if isinstance(y, torch.fx.Node) else np.asarray(float(y))
                    ops.append(Op(name, "add", (val(x),), {"const": c}, where))
            elif f in (operator.sub, operator.mul, operator.truediv, torch.sub, torch.mul, torch.div, "sub", "mul",
                       "div"):
                fname = {operator.truediv: "div", torch.div: "div", "div": "div", operator.mul: "mul",
                         torch.mul: "mul", "mul": "mul"}.get(f, "sub")
                x, y = a[0], a[1]
                data_x, data_y = (isinstance(v, torch.fx.Node) and v.name not in consts for v in (x, y))
                if kw or data_x == data_y or (fname == "div" and data_y):
                    what = "two computed values" if data_x else "these operands"
                    raise NetworkError(f"unsupported operation {fname} of {what} ({node.op}): only a computed value "
                                       "and a constant (not affine otherwise)")
                cv = y if data_x else x
                c = consts[cv.name] if isinstance(cv, torch.fx.Node) else np.asarray(float(cv))
                xin = val(x if data_x else y)
                if fname == "sub":  # x - c, or c - x
                    ops.append(Op(name, "add", (xin,), {"const": -c}, where) if data_x else
                               Op(name, "scale_shift", (xin,), {"scale": np.asarray(-1.0), "shift": c}, where))
                else:
                    ops.append(Op(name, "scale_shift", (xin,), {"scale": c if fname == "mul" else 1.0 / c,
                                                                 "shift": np.asarray(0.0)}, where))
            elif f in (torch.relu, F.relu, "relu", "relu_"):
                ops.append(Op(name, "relu", (val(a[0]),), {}, where))
            elif f is F.leaky_relu or f == "leaky_relu":
                slope = a[1] if len(a) > 1 else kw.get("negative_slope", 0.01)
                ops.append(Op(name, "leaky_relu", (val(a[0]),), {"slope": float(slope)}, where))
            elif f in (torch.flatten, "flatten"):
                start = a[1] if len(a) > 1 else kw.get("start_dim", 0 if f is torch.flatten else 0)
                end = a[2] if len(a) > 2 else kw.get("end_dim", -1)
                if start != 1 or end != -1:
                    raise NetworkError(f"{where}: only flatten(x, 1) is supported (got start_dim={start}, "
                                       f"end_dim={end})")
                ops.append(Op(name, "reshape", (val(a[0]),), {"shape": (-1,)}, where))
            elif f in ("view", "reshape") or f is torch.reshape:
                dims = a[1] if len(a) == 2 and isinstance(a[1], (tuple, list)) else a[1:]
                if not dims or not (isinstance(dims[0], torch.fx.Node) and dims[0].name in sizes or dims[0] in (-1,)):
                    raise NetworkError(f"{where}: reshape must keep the batch dimension (x.view(x.size(0), ...))")
                rest = tuple(int(v) for v in dims[1:])
                ops.append(Op(name, "reshape", (val(a[0]),), {"shape": rest or (-1,)}, where))
            elif f in (torch.cat, torch.concat, torch.concatenate):
                dim = a[1] if len(a) > 1 else kw.get("dim", kw.get("axis", 0))
                if not isinstance(a[0], (tuple, list)) or not isinstance(dim, int):
                    raise NetworkError(f"{where}: cat needs a list of tensors and an integer dim")
                ops.append(Op(name, "concat", tuple(val(v) for v in a[0]), {"axis": dim}, where))
            elif f in ("permute", torch.permute):
                dims = a[1] if len(a) == 2 and isinstance(a[1], (tuple, list)) else a[1:] or kw.get("dims")
                ops.append(Op(name, "transpose", (val(a[0]),), {"perm": _axes(dims, where)}, where))
            elif f in ("transpose", torch.transpose) and len(a) == 3:
                ops.append(Op(name, "transpose", (val(a[0]),), {"swap": (int(a[1]), int(a[2]))}, where))
            elif f == "size" and len(a) == 2 and a[1] == 0:
                sizes.add(name)
            elif f in (F.max_pool2d, F.max_pool1d):
                if kw.get("return_indices"):
                    raise NetworkError(f"{where}: max_pool with return_indices is not supported")
                args = list(a[1:]) + [None] * 6
                ops.append(Op(name, "maxpool", (val(a[0]),), _pool_params(
                    kw.get("kernel_size", args[0]), kw.get("stride", args[1]), kw.get("padding", args[2] or 0),
                    f is F.max_pool1d, kw.get("dilation", args[3] or 1), kw.get("ceil_mode", args[4] or False)), where))
            elif f in (F.avg_pool2d, F.avg_pool1d):
                args = list(a[1:]) + [None] * 6
                p = _pool_params(kw.get("kernel_size", args[0]), kw.get("stride", args[1]),
                                 kw.get("padding", args[2] or 0), f is F.avg_pool1d, 1, kw.get("ceil_mode", args[3] or False))
                if kw.get("divisor_override", args[5]) is not None:
                    raise NetworkError(f"{where}: avg_pool with divisor_override is not supported")
                cip = kw.get("count_include_pad", True if args[4] is None else args[4])
                p["count_include_pad"] = bool(cip)
                ops.append(Op(name, "avgpool", (val(a[0]),), p, where))
            elif f in (F.dropout, "contiguous") or f is torch.nn.functional.dropout:
                if f is F.dropout:
                    p_drop = a[1] if len(a) > 1 else kw.get("p", 0.5)
                    training = a[2] if len(a) > 2 else kw.get("training", True)
                    if training and p_drop:
                        raise NetworkError(f"{where}: F.dropout with training=True (its default) is random; "
                                           "pass training=self.training and call module.eval()")
                ops.append(Op(name, "identity", (val(a[0]),), {}, where))
            else:
                fname = getattr(f, "__name__", str(f))
                raise NetworkError(f"unsupported operation {fname} ({node.op})")
        else:  # pragma: no cover - fx has no other node kinds
            raise NetworkError(f"unsupported fx node {node.op}")
    if inp is None or out is None:
        raise NetworkError("the traced module has no input or no output")
    return Graph(inp, tuple(input_shape), ops, out)


def _axes(dims: Any, where: str) -> tuple[int, ...]:
    """A permute's dims as integers, negative ones counted from the end (``v % rank``)."""
    if not isinstance(dims, (tuple, list)) or not all(isinstance(v, int) for v in dims):
        raise NetworkError(f"{where}: permute needs integer dims, got {dims!r}")
    rank = len(dims)
    return tuple(v % rank for v in dims)


# ----------------------------------------------------------------------------- torch.export
EXPORT_BATCH = 2
"""The batch size of the example input ``torch.export`` traces with (not 1: torch specialises sizes 0
and 1). A reshape must keep it first (or -1)."""


def export_graph(module: Any, input_shape: tuple[int, ...]) -> Graph:
    """The graph of an ``nn.Module`` by ``torch.export.export`` on a float64 example input: its ATen graph
    (``aten.conv2d``, ``aten.batch_norm``, ``aten.linear``, ...), weights read from the exported program's
    state dict and constants as float64. The same operations as :func:`module_graph` are supported."""
    import torch
    import torch.nn as nn

    if not isinstance(module, nn.Module):
        raise NetworkError(f"expected a torch.nn.Module, got {type(module).__name__}")
    import copy

    module = copy.deepcopy(module).double()  # a float64 copy (training mode kept: refused here, as by fx)
    for name, m in module.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training:
            raise NetworkError(f"{name or type(module).__name__}: batch norm in training mode (call module.eval())")
    try:
        ep = torch.export.export(module, (torch.zeros((EXPORT_BATCH,) + tuple(input_shape), dtype=torch.float64),))
    except Exception as exc:  # noqa: BLE001 - export raises many types (data-dependent control flow, ...)
        raise NetworkError(f"cannot export {type(module).__name__} with torch.export: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    sig = ep.graph_signature
    if len(sig.user_inputs) != 1 or len(sig.user_outputs) != 1:
        raise NetworkError(f"the module takes {len(sig.user_inputs)} inputs and returns {len(sig.user_outputs)} "
                           "values; the engine needs one of each")
    consts: dict[str, np.ndarray] = {}
    for table, source in ((sig.inputs_to_parameters, ep.state_dict), (sig.inputs_to_buffers, ep.state_dict),
                          (getattr(sig, "inputs_to_lifted_tensor_constants", {}), ep.constants)):
        for node_name, key in table.items():
            consts[node_name] = _np(source[key]) if key in source else _np(dict(module.named_buffers())[key])
    aten = torch.ops.aten
    ops: list[Op] = []
    out = None
    for node in ep.graph.nodes:
        if node.op == "output":
            out = node.args[0][0].name
        elif node.op == "call_function":
            ops.extend(_aten_op(node, aten, consts))
        elif node.op != "placeholder":  # pragma: no cover - exported graphs hold no other node kinds
            raise NetworkError(f"unsupported exported node {node.op}")
    return Graph(sig.user_inputs[0], tuple(input_shape), ops, out)


def _aten_op(node: Any, aten: Any, consts: dict[str, np.ndarray]) -> list[Op]:
    """One ATen node of an exported graph as lowering ops (arguments by the ATen schema's positions)."""
    import torch.fx

    f, name = node.target, node.name
    where = f"{f} ({name})"

    def arg(i: int, key: str, default: Any = None) -> Any:
        return node.args[i] if len(node.args) > i else node.kwargs.get(key, default)

    def data(v: Any) -> str:
        if not isinstance(v, torch.fx.Node) or v.name in consts:
            raise NetworkError(f"{where}: expected a value computed from the input, got {v!r}")
        return v.name

    def const(v: Any) -> np.ndarray:
        return consts[v.name] if isinstance(v, torch.fx.Node) else np.asarray(float(v))

    def is_data(v: Any) -> bool:
        return isinstance(v, torch.fx.Node) and v.name not in consts

    x = node.args[0] if node.args else None
    if f in (aten.conv2d.default, aten.conv1d.default, aten.conv2d.padding, aten.conv1d.padding):
        one_d = f in (aten.conv1d.default, aten.conv1d.padding)
        w = consts[arg(1, "weight").name]
        b = arg(2, "bias")
        def fix(v: Any) -> tuple[int, int]:
            return (1, int(v[0] if isinstance(v, (tuple, list)) else v)) if one_d else _pair(v)

        dil = fix(arg(5, "dilation", 1))
        pad = arg(4, "padding", 0)
        k = (1, w.shape[2]) if one_d else w.shape[2:]
        if isinstance(pad, str):
            tot = [0, 0] if pad == "valid" else [dil[i] * (k[i] - 1) for i in range(2)]
            pads = (tot[0] // 2, tot[0] - tot[0] // 2, tot[1] // 2, tot[1] - tot[1] // 2)
        else:
            p = (0, fix(pad)[1]) if one_d else fix(pad)
            pads = (p[0], p[0], p[1], p[1])
        return [Op(name, "conv", (data(x),), {
            "weight": w[:, :, None, :] if one_d else w, "bias": None if b is None else consts[b.name],
            "stride": fix(arg(3, "stride", 1)), "pads": pads, "dilation": dil, "groups": int(arg(6, "groups", 1))},
            where)]
    if f in (aten.batch_norm.default, aten._native_batch_norm_legit_no_training.default):
        no_training = f is aten._native_batch_norm_legit_no_training.default
        if not no_training and arg(5, "training"):
            raise NetworkError(f"{where}: batch norm in training mode (call module.eval())")
        gamma, beta, mean, var = (None if arg(i, k) is None else consts[arg(i, k).name]
                                  for i, k in ((1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")))
        if mean is None or var is None:
            raise NetworkError(f"{where}: batch norm without running statistics")
        s = (np.ones_like(mean) if gamma is None else gamma) / np.sqrt(var + float(arg(6 if no_training else 7, "eps")))
        shift = (np.zeros_like(mean) if beta is None else beta) - mean * s
        return [Op(name, "scale_shift", (data(x),), {"scale": s, "shift": shift, "channel": True}, where)]
    if f in (aten.relu.default, aten.relu_.default):
        return [Op(name, "relu", (data(x),), {}, where)]
    if f in (aten.leaky_relu.default, aten.leaky_relu_.default):
        return [Op(name, "leaky_relu", (data(x),), {"slope": float(arg(1, "negative_slope", 0.01))}, where)]
    if f is aten.prelu.default:
        return [Op(name, "prelu", (data(x),), {"slope": consts[arg(1, "weight").name], "channel": True}, where)]
    if f in (aten.max_pool2d.default, aten.max_pool1d.default):
        return [Op(name, "maxpool", (data(x),), _pool_params(arg(1, "kernel_size"), arg(2, "stride", []),
                                                             arg(3, "padding", 0), f is aten.max_pool1d.default,
                                                             arg(4, "dilation", 1), arg(5, "ceil_mode", False)), where)]
    if f in (aten.avg_pool2d.default, aten.avg_pool1d.default):
        if arg(6, "divisor_override") is not None:
            raise NetworkError(f"{where}: avg_pool with divisor_override is not supported")
        p = _pool_params(arg(1, "kernel_size"), arg(2, "stride", []), arg(3, "padding", 0),
                         f is aten.avg_pool1d.default, 1, arg(4, "ceil_mode", False))
        p["count_include_pad"] = bool(arg(5, "count_include_pad", True))
        return [Op(name, "avgpool", (data(x),), p, where)]
    if f in (aten.adaptive_avg_pool2d.default, aten.adaptive_avg_pool1d.default):
        o = arg(1, "output_size")
        hw = (1, int(o[0])) if f is aten.adaptive_avg_pool1d.default else _pair(o)
        return [Op(name, "avgpool", (data(x),), {"adaptive": hw}, where)]
    if f is aten.linear.default:
        b = arg(2, "bias")
        return [Op(name, "linear", (data(x),), {"W": consts[arg(1, "weight").name],
                                                "b": None if b is None else consts[b.name]}, where)]
    if f is aten.flatten.using_ints:
        if int(arg(1, "start_dim", 0)) != 1 or int(arg(2, "end_dim", -1)) != -1:
            raise NetworkError(f"{where}: only flatten(x, 1) is supported")
        return [Op(name, "reshape", (data(x),), {"shape": (-1,)}, where)]
    if f in (aten.view.default, aten.reshape.default, aten._unsafe_view.default):
        shape = [int(v) for v in arg(1, "size")]
        if len(shape) < 2 or shape[0] not in (EXPORT_BATCH, -1) or (shape[0] == -1 and -1 in shape[1:]):
            raise NetworkError(f"{where}: reshape to {shape} must keep the batch dimension first")
        return [Op(name, "reshape", (data(x),), {"shape": tuple(shape[1:])}, where)]
    if f is aten.cat.default:
        return [Op(name, "concat", tuple(data(v) for v in x), {"axis": int(arg(1, "dim", 0))}, where)]
    if f is aten.permute.default:
        return [Op(name, "transpose", (data(x),), {"perm": _axes(list(arg(1, "dims")), where)}, where)]
    if f is aten.transpose.int:
        return [Op(name, "transpose", (data(x),), {"swap": (int(arg(1, "dim0")), int(arg(2, "dim1")))}, where)]
    if f in (aten.dropout.default, aten.clone.default, aten.contiguous.default, aten.alias.default):
        if f is aten.dropout.default and arg(2, "train") and float(arg(1, "p")):
            raise NetworkError(f"{where}: dropout in training mode is random (call module.eval())")
        return [Op(name, "identity", (data(x),), {}, where)]
    if f in (aten.add.Tensor, aten.sub.Tensor, aten.mul.Tensor, aten.div.Tensor):
        y = node.args[1]
        if float(arg(2, "alpha", 1)) != 1.0:
            raise NetworkError(f"{where}: add / sub with alpha != 1 is not supported")
        if f is aten.add.Tensor and is_data(x) and is_data(y):
            return [Op(name, "add", (x.name, y.name), {}, where)]
        if is_data(x) == is_data(y) or (f is aten.div.Tensor and is_data(y)):
            raise NetworkError(f"unsupported operation {f} of these operands ({name}): only a computed value and "
                               "a constant (not affine otherwise)")
        c, v = (const(y), x.name) if is_data(x) else (const(x), y.name)
        if f is aten.add.Tensor:
            return [Op(name, "add", (v,), {"const": c}, where)]
        if f is aten.sub.Tensor:
            return [Op(name, "add", (v,), {"const": -c}, where)] if is_data(x) else \
                [Op(name, "scale_shift", (v,), {"scale": np.asarray(-1.0), "shift": c}, where)]
        return [Op(name, "scale_shift", (v,), {"scale": c if f is aten.mul.Tensor else 1.0 / c,
                                               "shift": np.asarray(0.0)}, where)]
    raise NetworkError(f"unsupported operation {f} ({name})")


# ----------------------------------------------------------------------------- ONNX
def onnx_graph(path: str | Path) -> Graph:
    """The graph of an ONNX file: nodes and initializers read with the ``onnx`` package (checked by
    ``onnx.checker``); nothing is executed."""
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path))
        onnx.checker.check_model(model)
    except Exception as exc:  # noqa: BLE001 - protobuf decode errors, ValidationError, ...
        raise NetworkError(f"cannot read {path} as an ONNX model: "
                           f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    g = model.graph
    consts: dict[str, np.ndarray] = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    data_inputs = [i for i in g.input if i.name not in consts]
    if len(data_inputs) != 1:
        raise NetworkError(f"{path}: the model has {len(data_inputs)} data inputs; the engine needs one")
    if len(g.output) != 1:
        raise NetworkError(f"{path}: the model has {len(g.output)} outputs; the engine needs one")
    x0 = data_inputs[0]
    dims = x0.type.tensor_type.shape.dim
    shape = []
    for d in list(dims)[1:]:
        if not d.HasField("dim_value") or d.dim_value < 1:
            raise NetworkError(f"{path}: input {x0.name!r} needs fixed sizes after the batch dimension")
        shape.append(int(d.dim_value))
    if len(dims) < 2:
        raise NetworkError(f"{path}: input {x0.name!r} must have a batch dimension and at least one more")
    ops: list[Op] = []
    for node in g.node:
        where = f"{node.op_type} node {node.name or node.output[0]!r}"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Constant":
            if "value" not in attrs:
                raise NetworkError(f"{where}: only Constant with a tensor 'value' is supported")
            consts[node.output[0]] = numpy_helper.to_array(attrs["value"]).astype(np.float64)
            continue
        ops.extend(_onnx_op(node, attrs, consts, where))
    return Graph(x0.name, tuple(shape), ops, g.output[0].name)


def _onnx_op(node: Any, at: dict, consts: dict[str, np.ndarray], where: str) -> list[Op]:
    t, ins, out = node.op_type, [i for i in node.input], node.output[0]
    used_outputs = [o for o in node.output[1:] if o]

    def const(i: int) -> np.ndarray:
        if i >= len(ins) or ins[i] not in consts:
            raise NetworkError(f"{where}: input {i} must be an initializer or a Constant")
        return consts[ins[i]]

    def data(i: int) -> str:
        if ins[i] in consts:
            raise NetworkError(f"{where}: input {i} must be computed from the network's input, not a constant")
        return ins[i]

    def pads2(k: int) -> tuple[int, int, int, int]:
        if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET", b"VALID", "VALID"):
            raise NetworkError(f"{where}: auto_pad {at['auto_pad']!r} is not supported (give explicit pads)")
        p = list(at.get("pads", [0] * 2 * k))
        return (0, 0, p[0], p[1]) if k == 1 else (p[0], p[2], p[1], p[3])

    def two(v: Any, k: int, default: int) -> tuple[int, int]:
        v = list(v) if v is not None else [default] * k
        return (1, int(v[0])) if k == 1 else (int(v[0]), int(v[1]))

    if used_outputs and t not in ("Dropout",):
        raise NetworkError(f"{where}: extra outputs {used_outputs} are not supported")
    if t == "Dropout" and len(ins) > 2 and ins[2] and (ins[2] not in consts or np.any(consts[ins[2]])):
        raise NetworkError(f"{where}: Dropout with training_mode (random) is not supported")
    if t in ("Identity", "Dropout"):
        return [Op(out, "identity", (data(0),), {}, where)]
    if t == "Relu":
        return [Op(out, "relu", (data(0),), {}, where)]
    if t == "LeakyRelu":
        return [Op(out, "leaky_relu", (data(0),), {"slope": float(at.get("alpha", 0.01))}, where)]
    if t == "PRelu":
        return [Op(out, "prelu", (data(0),), {"slope": const(1)}, where)]
    if t == "Conv":
        w = const(1)
        k = w.ndim - 2
        if k not in (1, 2):
            raise NetworkError(f"{where}: only 1-d and 2-d convolutions are supported")
        if "kernel_shape" in at and tuple(at["kernel_shape"]) != w.shape[2:]:
            raise NetworkError(f"{where}: kernel_shape {list(at['kernel_shape'])} disagrees with the weight's "
                               f"{list(w.shape[2:])}")
        b = const(2) if len(ins) > 2 and ins[2] else None
        return [Op(out, "conv", (data(0),), {
            "weight": w[:, :, None, :] if k == 1 else w, "bias": b, "stride": two(at.get("strides"), k, 1),
            "pads": pads2(k), "dilation": two(at.get("dilations"), k, 1), "groups": int(at.get("group", 1))}, where)]
    if t in ("MaxPool", "AveragePool"):
        ks = list(at["kernel_shape"])
        k = len(ks)
        if k not in (1, 2):
            raise NetworkError(f"{where}: only 1-d and 2-d pooling is supported")
        p = {"kernel": two(ks, k, 1), "stride": two(at.get("strides"), k, 1), "pads": pads2(k),
             "ceil_mode": bool(at.get("ceil_mode", 0))}
        if t == "MaxPool":
            if at.get("storage_order", 0):
                raise NetworkError(f"{where}: storage_order = 1 is not supported")
            p["dilation"] = two(at.get("dilations"), k, 1)
            return [Op(out, "maxpool", (data(0),), p, where)]
        if at.get("dilations") and any(int(v) != 1 for v in at["dilations"]):
            raise NetworkError(f"{where}: dilated average pooling is not supported")
        p["count_include_pad"] = bool(at.get("count_include_pad", 0))
        return [Op(out, "avgpool", (data(0),), p, where)]
    if t == "GlobalAveragePool":
        return [Op(out, "avgpool", (data(0),), {"adaptive": (1, 1), "global": True}, where)]
    if t == "BatchNormalization":
        if at.get("training_mode", 0):
            raise NetworkError(f"{where}: BatchNormalization in training mode is not supported")
        gamma, beta, mean, var = const(1), const(2), const(3), const(4)
        s = gamma / np.sqrt(var + float(at.get("epsilon", 1e-5)))
        return [Op(out, "scale_shift", (data(0),), {"scale": s, "shift": beta - mean * s, "channel": True}, where)]
    if t == "Gemm":
        if at.get("transA", 0):
            raise NetworkError(f"{where}: Gemm with transA = 1 is not supported")
        B = const(1)
        W = float(at.get("alpha", 1.0)) * (B if at.get("transB", 0) else B.T)
        b = None
        if len(ins) > 2 and ins[2]:
            try:
                b = float(at.get("beta", 1.0)) * np.broadcast_to(const(2), (1, W.shape[0]))[0]
            except ValueError:
                raise NetworkError(f"{where}: Gemm bias C of shape {const(2).shape} does not broadcast to "
                                   f"(1, {W.shape[0]})") from None
        return [Op(out, "linear", (data(0),), {"W": W, "b": b}, where)]
    if t == "MatMul":
        B = const(1)
        if B.ndim != 2:
            raise NetworkError(f"{where}: MatMul with a {B.ndim}-d constant is not supported")
        return [Op(out, "linear", (data(0),), {"W": B.T.copy(), "b": None}, where)]
    if t in ("Add", "Sub", "Mul", "Div"):
        if t == "Add" and ins[0] not in consts and ins[1] not in consts:
            return [Op(out, "add", (ins[0], ins[1]), {}, where)]
        ci = 1 if ins[1] in consts else 0
        c, x = consts.get(ins[ci]), ins[1 - ci]
        if c is None or x in consts:
            raise NetworkError(f"{where}: {t} of two computed values is not supported (not affine)")
        if t == "Add":
            return [Op(out, "add", (x,), {"const": c}, where)]
        if t == "Sub":
            return [Op(out, "add", (x,), {"const": -c}, where)] if ci == 1 else \
                [Op(out, "scale_shift", (x,), {"scale": np.asarray(-1.0), "shift": c}, where)]
        if t == "Mul":
            return [Op(out, "scale_shift", (x,), {"scale": c, "shift": np.asarray(0.0)}, where)]
        if ci == 0:
            raise NetworkError(f"{where}: division by a computed value is not supported (not affine)")
        return [Op(out, "scale_shift", (x,), {"scale": 1.0 / c, "shift": np.asarray(0.0)}, where)]
    if t == "Flatten":
        if int(at.get("axis", 1)) != 1:
            raise NetworkError(f"{where}: Flatten with axis != 1 is not supported")
        return [Op(out, "reshape", (data(0),), {"shape": (-1,)}, where)]
    if t == "Reshape":  # 0 copies the input's size on that axis (unless allowzero), -1 is inferred
        target = [int(v) for v in const(1).reshape(-1)]
        if at.get("allowzero", 0) and 0 in target:
            raise NetworkError(f"{where}: reshape to {target} with allowzero = 1 makes an empty tensor")
        if len(target) < 2 or target[0] not in (0, -1, 1) or (target[0] == -1 and -1 in target[1:]):
            raise NetworkError(f"{where}: reshape to {target} must keep the batch dimension first")
        return [Op(out, "reshape", (data(0),), {"shape": tuple(target[1:]), "zero_copies": True}, where)]
    if t == "Concat":
        if "axis" not in at:
            raise NetworkError(f"{where}: Concat needs its axis attribute")
        return [Op(out, "concat", tuple(data(i) for i in range(len(ins))), {"axis": int(at["axis"])}, where)]
    if t == "Transpose":
        return [Op(out, "transpose", (data(0),), {"perm": tuple(at["perm"]) if "perm" in at else None}, where)]
    raise NetworkError(f"unsupported ONNX operation {t} ({where})")
