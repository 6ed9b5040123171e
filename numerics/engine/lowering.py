"""Lower a network graph (convolutions, pooling, batch norm, residual additions, ...) to the engine's chain.

The engine (``geometry``, ``regions``, ``power_diagram``, ``exact_robustness``) works on a chain of layers
``a_l = sigma_l(W_l a_{l-1} + b_l)`` with per-unit activations. Every supported graph is exactly such a
chain:

- **Affine operations** (Linear, Conv1d/2d, BatchNorm in eval mode ``y = s x + t`` per channel, AvgPool,
  Flatten / Reshape, additions of two values or of a constant, Concat, Transpose) compose: every value of
  the graph is kept as an affine expression ``sum_b M_b(state_b) + c`` of the current state (the blocks of
  the last layer's output), and a layer's linear map is the block map of its units' expressions. Batch norm
  after a convolution folds into its weights (``operators.compose``). A concatenation stacks its parts'
  maps (``operators.BlockMap`` with one input block per state block), then, along any axis after the
  first of a value, selects its entries in row-major order (``operators.GatherMap``, a permutation); a
  transpose is that permutation alone (``y = x[idx]``, ``idx = arange(n).reshape(shape).transpose(perm)``).
- **ReLU / LeakyReLU / PReLU** on a value start a new layer whose units are that value (slope 0, ``a``,
  or the channel's slope on the negative side).
- **Residual skips**: a value still needed after a layer (the skip of ``relu(F(x) + x)``) is carried
  through it by *identity units* (slope 1 on both sides: no kink, no region boundary).
- **MaxPool** is ``max(a, b) = a + relu(b - a)``: a window of ``k`` taps is a tournament of
  ``ceil(log2 k)`` layers, each pairing the remaining candidates ``(a, b)`` into a ReLU unit ``b - a``
  and an identity unit ``a`` (whose sum is the pair's max); an odd candidate is carried. The pattern
  of these units is the argmax, and at a tie the earlier tap wins (``relu(0) = 0``), as torch's and
  ONNX's max-pool pick the first maximum. Padding taps (``-inf``) are left out of the window.

Levels: a nonlinear operation sits one layer (a max-pool ``ceil(log2 k)`` layers) after the latest
nonlinear operation it depends on; all nonlinear operations of one level share a layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from normalign.numerics.engine.network import CPANetwork, Layer, NetworkError
from normalign.numerics.engine.operators import (
    BlockMap,
    ConvMap,
    DenseMap,
    DiagMap,
    GatherMap,
    IdentityMap,
    LinearMap,
    PairStageMap,
    PairSumMap,
    SparseMap,
    add_maps,
    compose,
    conv_out_shape,
)

AFFINE = ("linear", "conv", "scale_shift", "avgpool", "reshape", "add", "identity", "concat", "transpose")
NONLINEAR = ("relu", "leaky_relu", "prelu", "maxpool")


@dataclass(frozen=True)
class Op:
    """One operation of a graph: ``name`` is the value it produces, ``kind`` one of ``AFFINE`` or
    ``NONLINEAR``, ``inputs`` the values it reads, ``params`` its weights (float64 arrays) and attributes:

    - linear: ``W`` (out, in), ``b`` or None;  conv: ``weight`` (O, C/g, kh, kw), ``bias``, ``stride``,
      ``pads`` (top, bottom, left, right), ``dilation``, ``groups`` (1-d: kh = 1 on a height-1 image);
    - scale_shift: ``scale``, ``shift`` broadcast against the value's shape (batch norm, constants);
    - avgpool / maxpool: ``kernel``, ``stride``, ``pads``, ``dilation`` (max), ``ceil_mode``,
      ``count_include_pad`` (avg); avgpool ``adaptive`` = output size instead;
    - reshape: ``shape`` (without the batch dimension; one -1 allowed; with ``zero_copies`` an entry 0
      copies the value's size on that axis, as ONNX's Reshape);
    - concat: two or more inputs, ``axis`` counted with the batch dimension (axis 0) as ONNX and torch
      count it (negative: from the end); transpose: ``perm`` of every axis (the batch axis staying first)
      or ``swap`` (two axes);
    - add: two inputs, or one and ``const`` (broadcast); identity: nothing;
    - leaky_relu: ``slope``; prelu: ``slope`` broadcast against the value's shape (per channel)."""

    name: str
    kind: str
    inputs: tuple[str, ...]
    params: dict = field(default_factory=dict)
    source: str = ""  # what the user calls it (module path, ONNX node name), for error messages


@dataclass
class Graph:
    """A network as a list of operations in topological order, one input of shape ``input_shape``
    (without the batch dimension) and one output value."""

    input: str
    input_shape: tuple[int, ...]
    ops: list[Op]
    output: str


@dataclass
class _Expr:
    """An affine value ``sum_b terms[b](state_b) + const`` of shape ``shape``."""

    terms: dict[int, LinearMap]
    const: np.ndarray
    shape: tuple[int, ...]

    def then(self, m: LinearMap, bias: np.ndarray | None, shape: tuple[int, ...]) -> "_Expr":
        const = m.forward(self.const[None])[0]
        if bias is not None:
            const = const + bias
        return _Expr({b: compose(t, m) for b, t in self.terms.items()}, const, shape)

    def plus(self, other: "_Expr") -> "_Expr":
        terms = dict(self.terms)
        for b, t in other.terms.items():
            terms[b] = add_maps(terms[b], t) if b in terms else t
        return _Expr(terms, self.const + other.const, self.shape)


def lower(graph: Graph) -> CPANetwork:
    """The chain of layers computing ``graph`` exactly (module docstring)."""
    return _Lowering(graph).run()


# ----------------------------------------------------------------------------- shapes and windows
def _image(shape: tuple[int, ...], what: str) -> tuple[int, int, int]:
    """A (C, H, W) or (C, L) value as an image (C, H, W) (1-d: H = 1)."""
    if len(shape) == 3:
        return shape  # type: ignore[return-value]
    if len(shape) == 2:
        return (shape[0], 1, shape[1])
    raise NetworkError(f"{what} needs an input of shape (C, L) or (C, H, W), got {shape}")


def _pool_out(n: int, k: int, s: int, p0: int, p1: int, d: int, ceil_mode: bool) -> int:
    span = n + p0 + p1 - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p0:  # the last window must start inside the input or left padding
        out -= 1
    return out


def pool_windows(in_shape: tuple[int, int, int], kernel: tuple[int, int], stride: tuple[int, int],
                 pads: tuple[int, int, int, int], dilation: tuple[int, int] = (1, 1), ceil_mode: bool = False
                 ) -> tuple[tuple[int, int, int], np.ndarray, np.ndarray]:
    """Windows of a pooling: output shape (C, H', W'), ``taps`` (outputs, kh kw) flat input indices in
    row-major window order (-1 where the window lies in the padding) and the number of window positions
    inside the padded input (torch's ``count_include_pad`` divisor)."""
    C, H, W = in_shape
    (kh, kw), (sh, sw), (t, b, l, r), (dh, dw) = kernel, stride, pads, dilation
    Ho = _pool_out(H, kh, sh, t, b, dh, ceil_mode)
    Wo = _pool_out(W, kw, sw, l, r, dw, ceil_mode)
    if Ho < 1 or Wo < 1:
        raise NetworkError(f"pooling window {kernel} does not fit an input of shape {in_shape}")
    rows = np.arange(Ho)[:, None] * sh - t + np.arange(kh)[None, :] * dh  # (Ho, kh)
    cols = np.arange(Wo)[:, None] * sw - l + np.arange(kw)[None, :] * dw  # (Wo, kw)
    R = rows[:, None, :, None]
    Cc = cols[None, :, None, :]
    ok = (R >= 0) & (R < H) & (Cc >= 0) & (Cc < W)  # (Ho, Wo, kh, kw)
    inpad = (R < H + b) & (Cc < W + r)
    idx = np.where(ok, R * W + Cc, -1).reshape(Ho * Wo, kh * kw)
    taps = np.where(idx[None] >= 0, idx[None] + (np.arange(C) * H * W)[:, None, None], -1).reshape(-1, kh * kw)
    count = np.broadcast_to(inpad.reshape(Ho * Wo, kh * kw).sum(axis=1), (C, Ho * Wo)).reshape(-1)
    return (C, Ho, Wo), taps, count


def adaptive_windows(in_shape: tuple[int, int, int], out_hw: tuple[int, int]) -> tuple[tuple[int, int, int], list]:
    """torch's adaptive pooling windows: rows ``floor(i H / H')`` to ``ceil((i + 1) H / H')``."""
    C, H, W = in_shape
    Ho, Wo = out_hw
    wins = []
    for c in range(C):
        for i in range(Ho):
            r0, r1 = (i * H) // Ho, -(-((i + 1) * H) // Ho)
            for j in range(Wo):
                c0, c1 = (j * W) // Wo, -(-((j + 1) * W) // Wo)
                wins.append((c * H * W + np.arange(r0, r1)[:, None] * W + np.arange(c0, c1)[None, :]).ravel())
    return (C, Ho, Wo), wins


# ----------------------------------------------------------------------------- the lowering
class _Lowering:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.ops = {op.name: op for op in graph.ops}
        if graph.output != graph.input and graph.output not in self.ops:
            raise NetworkError(f"the graph's output {graph.output!r} is computed by no operation")
        self.consumers: dict[str, list[str]] = {}
        for op in graph.ops:
            for v in op.inputs:
                if v != graph.input and v not in self.ops:
                    raise NetworkError(f"operation {op.source or op.name} reads {v!r}, which nothing computes")
                self.consumers.setdefault(v, []).append(op.name)
        self.exprs: dict[str, _Expr] = {}
        self.done: set[str] = set()
        self.sizes: dict[int, int] = {}
        self.state: list[int] = []
        self.layers: list[Layer] = []
        self.pools: dict[str, tuple[_Expr, list[list[int]], tuple[int, ...]]] = {}

    # --------------------------------------------------------------- levels
    def _stages(self, op: Op, shape: tuple[int, ...]) -> int:
        if op.kind == "maxpool":
            _, taps = self._max_windows(op, shape)
            k = max(len(t) for t in taps)
            return math.ceil(math.log2(k)) if k > 1 else 0
        return 1 if op.kind in NONLINEAR else 0

    def run(self) -> CPANetwork:
        d = int(np.prod(self.g.input_shape))
        self.sizes[0], self.state = d, [0]
        self.exprs[self.g.input] = _Expr({0: IdentityMap(d)}, np.zeros(d), tuple(self.g.input_shape))
        self.done.add(self.g.input)
        # levels need shapes, shapes need the affine maps: walk the ops once symbolically for shapes
        self.shapes = shapes = self._shapes()
        level = {self.g.input: 0}
        start: dict[str, int] = {}
        for op in self.g.ops:
            if op.kind not in AFFINE + NONLINEAR:
                raise NetworkError(f"unsupported operation {op.kind!r} ({op.source or op.name})")
            base = max(level[v] for v in op.inputs)
            k = self._stages(op, shapes[op.inputs[0]])
            start[op.name], level[op.name] = base, base + k
        self.start = start
        top = max(level.values())
        for t in range(1, top + 1):
            self._affine_at(level, t - 1)
            jobs = [op for op in self.g.ops if op.kind in NONLINEAR and start[op.name] < t <= level[op.name]]
            self._layer(jobs, {op.name: t - start[op.name] for op in jobs})
        self._affine_at(level, top)
        return self._finish()

    def _shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {self.g.input: tuple(self.g.input_shape)}
        for op in self.g.ops:
            shapes[op.name] = self._shape_of(op, [shapes[v] for v in op.inputs])
        return shapes

    def _shape_of(self, op: Op, ins: list[tuple[int, ...]]) -> tuple[int, ...]:
        x = ins[0]
        p = op.params
        where = op.source or op.name
        if op.kind == "linear":
            if len(x) != 1 or x[0] != p["W"].shape[1]:
                raise NetworkError(f"{where}: Linear with {p['W'].shape[1]} inputs applied to a value of shape {x} "
                                   "(flatten first)")
            return (int(p["W"].shape[0]),)
        if op.kind == "conv":
            img = _image(x, where)
            if img[0] != p["weight"].shape[1] * p["groups"]:
                raise NetworkError(f"{where}: convolution expects {p['weight'].shape[1] * p['groups']} channels, "
                                   f"got {img[0]}")
            o = conv_out_shape(img, p["weight"].shape, p["stride"], p["pads"], p["dilation"])
            if min(o) < 1:
                raise NetworkError(f"{where}: convolution output would be empty for input shape {x}")
            return o if len(x) == 3 else (o[0], o[2])
        if op.kind == "avgpool":
            img = _image(x, where)
            o = adaptive_windows(img, p["adaptive"])[0] if "adaptive" in p else pool_windows(
                img, p["kernel"], p["stride"], p["pads"], (1, 1), p.get("ceil_mode", False))[0]
            return o if len(x) == 3 else (o[0], o[2])
        if op.kind == "maxpool":
            o, _ = self._max_windows(op, x)
            return o if len(x) == 3 else (o[0], o[2])
        if op.kind == "reshape":
            return _reshape(x, p["shape"], where, p.get("zero_copies", False))
        if op.kind == "concat":
            return _concat_shape(ins, p["axis"], where)[0]
        if op.kind == "transpose":
            return tuple(x[i] for i in _sample_perm(x, p, where))
        if op.kind == "add" and len(ins) == 2:
            if ins[0] != ins[1]:
                raise NetworkError(f"{where}: adding values of shapes {ins[0]} and {ins[1]} (broadcasting between "
                                   "two computed values is not supported)")
        return x

    def _max_windows(self, op: Op, shape: tuple[int, ...]) -> tuple[tuple[int, int, int], list[list[int]]]:
        p = op.params
        out, taps, _ = pool_windows(_image(shape, op.source or op.name), p["kernel"], p["stride"], p["pads"],
                                    p.get("dilation", (1, 1)), p.get("ceil_mode", False))
        return out, [[int(i) for i in row if i >= 0] for row in taps]

    # --------------------------------------------------------------- affine operations
    def _affine_at(self, level: dict[str, int], t: int) -> None:
        for op in self.g.ops:
            selection = op.kind == "maxpool" and self.start[op.name] == level[op.name]  # 1-tap windows
            if (op.kind in AFFINE or selection) and level[op.name] == t and op.name not in self.done:
                self.exprs[op.name] = self._affine(op, [self.exprs[v] for v in op.inputs])
                self.done.add(op.name)

    def _affine(self, op: Op, ins: list[_Expr]) -> _Expr:
        x, p = ins[0], op.params
        shape = self._shape_of(op, [e.shape for e in ins])
        if op.kind == "identity":
            return x
        if op.kind == "reshape":
            return _Expr(x.terms, x.const, shape)
        if op.kind == "concat":
            return _concat(ins, _concat_shape([e.shape for e in ins], p["axis"], op.source or op.name)[1], shape)
        if op.kind == "transpose":
            perm = _sample_perm(x.shape, p, op.source or op.name)
            idx = np.arange(x.const.size).reshape(x.shape).transpose(perm).reshape(-1)
            return x.then(GatherMap(idx, int(x.const.size)), None, shape)
        if op.kind == "linear":
            return x.then(DenseMap(np.asarray(p["W"], dtype=np.float64)), p.get("b"), shape)
        if op.kind == "conv":
            img = _image(x.shape, op.source)
            m = ConvMap(p["weight"], img, p["stride"], p["pads"], p["dilation"], p["groups"])
            bias = None if p.get("bias") is None else np.repeat(p["bias"], int(np.prod(m.out_shape[1:])))
            return x.then(m, bias, shape)
        if op.kind == "scale_shift":
            scale = _broadcast(p["scale"], x.shape, op)
            shift = _broadcast(p["shift"], x.shape, op)
            per_channel = scale.reshape(x.shape[0], -1)
            channels = x.shape[0] if len(x.shape) > 1 and np.all(per_channel == per_channel[:, :1]) else 0
            return x.then(DiagMap(scale, channels), shift, shape)
        if op.kind == "avgpool":
            return x.then(SparseMap(self._avg_matrix(op, x.shape)), None, shape)
        if op.kind == "maxpool":  # windows of one tap: a selection
            _, taps = self._max_windows(op, x.shape)
            S = sp.csr_matrix((np.ones(len(taps)), (np.arange(len(taps)), [w[0] for w in taps])),
                              shape=(len(taps), x.const.size))
            return x.then(SparseMap(S), None, shape)
        if op.kind == "add":
            if len(ins) == 2:
                return x.plus(ins[1])
            return _Expr(x.terms, x.const + _broadcast(p["const"], x.shape, op), x.shape)
        raise NetworkError(f"unsupported operation {op.kind!r} ({op.source or op.name})")  # pragma: no cover

    def _avg_matrix(self, op: Op, shape: tuple[int, ...]) -> sp.csr_matrix:
        p = op.params
        img = _image(shape, op.source)
        n_in = int(np.prod(img))
        if "adaptive" in p:
            _, wins = adaptive_windows(img, p["adaptive"])
            rows = np.concatenate([np.full(w.size, i) for i, w in enumerate(wins)])
            cols = np.concatenate(wins)
            vals = np.concatenate([np.full(w.size, 1.0 / w.size) for w in wins])
            return sp.csr_matrix((vals, (rows, cols)), shape=(len(wins), n_in))
        _, taps, count = pool_windows(img, p["kernel"], p["stride"], p["pads"], (1, 1), p.get("ceil_mode", False))
        real = (taps >= 0).sum(axis=1)
        div = count if p.get("count_include_pad", True) else real
        r, k = np.nonzero(taps >= 0)
        return sp.csr_matrix((1.0 / div[r], (r, taps[r, k])), shape=(taps.shape[0], n_in))

    # --------------------------------------------------------------- one layer
    def _layer(self, jobs: list[Op], stage: dict[str, int]) -> None:
        groups: list[tuple[_Expr, np.ndarray]] = []
        finish = []
        for op in jobs:
            if op.kind == "maxpool":
                groups.append(self._pool_stage(op, stage[op.name]))
            else:
                x = self.exprs[op.inputs[0]]
                n = x.const.size
                if op.kind == "relu":
                    low = np.zeros(n)
                elif op.kind == "leaky_relu":
                    low = np.full(n, float(op.params["slope"]))
                else:
                    low = _broadcast(op.params["slope"], x.shape, op)
                groups.append((x, low))
            finish.append(op)
        # carry every block that an expression still needed later reads
        jobs_names = {op.name for op in jobs}
        live = [v for v in self.exprs if self._needed(v, jobs_names)]
        used = sorted({b for v in live for b in self.exprs[v].terms})  # (a pool's candidates are used up now)
        carry_at = {}
        for b in used:
            carry_at[b] = len(groups)
            groups.append((_Expr({b: IdentityMap(self.sizes[b])}, np.zeros(self.sizes[b]), (self.sizes[b],)),
                           np.ones(self.sizes[b])))
        # the layer: units of every group, from the blocks of the current state
        pos = {b: i for i, b in enumerate(self.state)}
        out_sizes = tuple(int(e.const.size) for e, _ in groups)
        terms = {(g, pos[b]): m for g, (e, _) in enumerate(groups) for b, m in e.terms.items()}
        in_sizes = tuple(self.sizes[b] for b in self.state)
        if len(out_sizes) == 1 and len(in_sizes) == 1 and (0, 0) in terms:
            lin: LinearMap = terms[(0, 0)]
        else:
            lin = BlockMap(out_sizes, in_sizes, terms)
        bias = np.concatenate([e.const for e, _ in groups])
        low = np.concatenate([lo for _, lo in groups])
        self.layers.append(_make_layer(lin, bias, low))
        # the new state: one block per group
        first = max(self.sizes) + 1
        new_ids = list(range(first, first + len(groups)))
        for i, (e, _) in zip(new_ids, groups):
            self.sizes[i] = int(e.const.size)
        remap = {b: new_ids[g] for b, g in carry_at.items()}
        self.exprs = {v: _remap(self.exprs[v], remap) for v in live}
        for g, op in enumerate(finish):
            blk = new_ids[g]
            if op.kind == "maxpool":
                self._pool_combine(op, blk)
            else:
                n = self.sizes[blk]
                self.exprs[op.name] = _Expr({blk: IdentityMap(n)}, np.zeros(n), self.shapes[op.name])
                self.done.add(op.name)
        self.state = new_ids

    def _needed(self, v: str, now: set[str]) -> bool:
        """A computed value read after this layer: the graph's output, or read by an operation that is
        neither computed nor reading it in this layer (a max-pool reads its input in its first round)."""
        return v == self.g.output or any(c not in self.done and c not in now for c in self.consumers.get(v, []))

    # --------------------------------------------------------------- max-pool tournament
    def _pool_stage(self, op: Op, r: int) -> tuple[_Expr, np.ndarray]:
        """Units of tournament round ``r`` (``operators.PairStageMap``): per window, pairs ``(a, b)`` of its
        remaining candidates (in tap order) give a ReLU unit ``b - a`` and an identity unit ``a``; an odd
        last candidate is carried by an identity unit."""
        if r == 1:
            x = self.exprs[op.inputs[0]]
            out_shape, taps = self._max_windows(op, x.shape)
            self.pools[op.name] = (x, taps, out_shape)
        cand_expr, cands, _ = self.pools[op.name]
        # pairs slot by slot (pair j of every window, then pair j + 1, ...): with windows of equal size the
        # later rounds read and write contiguous blocks (operators.PairStageMap uses slices then)
        ia, ib, il = [], [], []
        for j in range(max(len(w) for w in cands) // 2):
            for w in cands:
                if len(w) > 2 * j + 1:
                    ia.append(w[2 * j])
                    ib.append(w[2 * j + 1])
        il = [w[-1] for w in cands if len(w) % 2]
        m = PairStageMap(np.array(ia, dtype=np.int64), np.array(ib, dtype=np.int64), np.array(il, dtype=np.int64),
                         int(cand_expr.const.size))
        low = np.concatenate([np.zeros(len(ia)), np.ones(len(ia) + len(il))])
        return cand_expr.then(m, None, (m.shape[0],)), low

    def _pool_combine(self, op: Op, blk: int) -> None:
        """After a round: the new candidates ``[pair maxima, carried]`` (``operators.PairSumMap``) as an
        expression of the round's block; after the last round, the pooled value in window order."""
        _, cands, _ = self.pools[op.name]
        P = sum(len(w) // 2 for w in cands)
        L = sum(len(w) % 2 for w in cands)
        new: list[list[int]] = [[] for _ in cands]
        k = 0
        for j in range(max(len(w) for w in cands) // 2):  # the pair order of _pool_stage
            for i, w in enumerate(cands):
                if len(w) > 2 * j + 1:
                    new[i].append(k)
                    k += 1
        for i, w in enumerate(cands):
            if len(w) % 2:
                new[i].append(k)
                k += 1
        e = _Expr({blk: PairSumMap(P, L)}, np.zeros(P + L), (P + L,))
        assert self.sizes[blk] == 2 * P + L
        if all(len(w) == 1 for w in new):
            order = np.array([w[0] for w in new], dtype=np.int64)
            if not np.array_equal(order, np.arange(P + L)):
                e = e.then(GatherMap(order, P + L), None, (order.size,))
            del self.pools[op.name]
            self.exprs[op.name] = _Expr(e.terms, e.const, self.shapes[op.name])
            self.done.add(op.name)
        else:
            self.pools[op.name] = (e, new, None)

    # --------------------------------------------------------------- the output layer
    def _finish(self) -> CPANetwork:
        out = self.exprs[self.g.output]
        if (self.layers and len(self.state) == 1 and list(out.terms) == self.state
                and isinstance(out.terms[self.state[0]], IdentityMap) and not np.any(out.const)):
            return CPANetwork(tuple(self.layers), tuple(self.g.input_shape))
        pos = {b: i for i, b in enumerate(self.state)}
        in_sizes = tuple(self.sizes[b] for b in self.state)
        terms = {(0, pos[b]): m for b, m in out.terms.items()}
        n = int(out.const.size)
        if not terms:
            raise NetworkError("the network's output does not depend on its input")
        lin = terms[(0, 0)] if len(in_sizes) == 1 and (0, 0) in terms else BlockMap((n,), in_sizes, terms)
        self.layers.append(Layer(lin, out.const.copy(), "identity", 0.01, bool(np.any(out.const))))
        return CPANetwork(tuple(self.layers), tuple(self.g.input_shape))


def _make_layer(lin: LinearMap, bias: np.ndarray, low: np.ndarray) -> Layer:
    if np.all(low == 0.0):
        return Layer(lin, bias, "relu")
    if np.all(low == 1.0):
        return Layer(lin, bias, "identity")
    if np.all(low == low[0]):
        return Layer(lin, bias, "leaky_relu", float(low[0]))
    return Layer(lin, bias, "leaky_relu", low)


def _remap(e: _Expr, remap: dict[int, int]) -> _Expr:
    return _Expr({remap[b]: m for b, m in e.terms.items()}, e.const, e.shape)


def _broadcast(a: object, shape: tuple[int, ...], op: Op) -> np.ndarray:
    """A parameter as one value per unit of a value of ``shape``: numpy broadcasting against
    (batch,) + shape (a leading batch axis of size 1 dropped); with ``params['channel']`` a vector of
    one entry per channel (axis 0 of the value: batch norm, torch's PReLU)."""
    arr = np.asarray(a, dtype=np.float64)
    if op.params.get("channel") and arr.ndim == 1 and arr.size in (1, shape[0]):
        arr = arr.reshape((arr.size,) + (1,) * (len(shape) - 1))
    elif arr.ndim == len(shape) + 1 and arr.shape[0] == 1:
        arr = arr[0]
    try:
        return np.broadcast_to(arr, shape).reshape(-1).copy()
    except ValueError:
        raise NetworkError(f"{op.source or op.name}: parameter of shape {arr.shape} does not broadcast to the value's "
                           f"shape {shape}") from None


def _reshape(shape: tuple[int, ...], target: tuple[int, ...], where: str, zero_copies: bool = False
             ) -> tuple[int, ...]:
    """The shape ``target`` gives a value of ``shape`` (both without the batch dimension): one -1 is
    inferred; with ``zero_copies`` (ONNX) an entry 0 at position i is ``shape[i]``."""
    n = int(np.prod(shape))
    t = list(int(v) for v in target)
    if zero_copies:
        for i, v in enumerate(t):
            if v == 0:
                if i >= len(shape):
                    raise NetworkError(f"{where}: reshape to {tuple(target)} copies (0) axis {i + 1} of a value of "
                                       f"shape {shape}, which has no such axis")
                t[i] = shape[i]
    if t.count(-1) > 1:
        raise NetworkError(f"{where}: reshape to {tuple(target)} has more than one -1")
    if -1 in t:
        rest = int(np.prod([v for v in t if v != -1])) or 1
        t[t.index(-1)] = n // rest
    if int(np.prod(t)) != n or any(v < 1 for v in t):
        raise NetworkError(f"{where}: cannot reshape a value of shape {shape} to {tuple(target)}")
    return tuple(t)


def _concat_shape(shapes: list[tuple[int, ...]], axis: int, where: str) -> tuple[tuple[int, ...], int]:
    """The shape of a concatenation of values of ``shapes`` along ``axis`` (counted with the batch
    dimension, negative from the end), and that axis within a value (the batch axis is refused)."""
    rank = len(shapes[0]) + 1
    ax = axis + rank if axis < 0 else axis
    if not 0 <= ax < rank:
        raise NetworkError(f"{where}: concatenation axis {axis} is out of range for values of shape {shapes[0]}")
    if ax == 0:
        raise NetworkError(f"{where}: concatenation along the batch axis is not supported (it mixes points)")
    k = ax - 1
    for s in shapes[1:]:
        if len(s) != len(shapes[0]) or any(a != b for i, (a, b) in enumerate(zip(s, shapes[0])) if i != k):
            raise NetworkError(f"{where}: cannot concatenate values of shapes {shapes} along axis {axis}")
    out = list(shapes[0])
    out[k] = sum(s[k] for s in shapes)
    return tuple(out), k


def _concat(parts: list[_Expr], k: int, shape: tuple[int, ...]) -> _Expr:
    """The concatenation of ``parts`` along axis ``k`` of a value: per state block ``b``, the block map
    stacking the parts' maps of ``b`` (a part that does not read ``b``: a zero block); along an axis after
    the first, the stacked vector's entries are then taken in the result's row-major order."""
    sizes = tuple(int(e.const.size) for e in parts)
    terms: dict[int, LinearMap] = {}
    for b in sorted({b for e in parts for b in e.terms}):
        stack = {(i, 0): e.terms[b] for i, e in enumerate(parts) if b in e.terms}
        terms[b] = BlockMap(sizes, (next(iter(stack.values())).shape[1],), stack)
    out = _Expr(terms, np.concatenate([e.const for e in parts]), shape)
    if k == 0:
        return out
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = np.concatenate([(o + np.arange(n)).reshape(e.shape) for o, n, e in zip(offsets, sizes, parts)], axis=k)
    return out.then(GatherMap(idx.reshape(-1), sum(sizes)), None, shape)


def _sample_perm(shape: tuple[int, ...], params: dict, where: str) -> tuple[int, ...]:
    """A transpose's ``perm`` (over every axis, batch first; None: reversed, as ONNX's default) or ``swap``
    (two axes, torch's ``transpose``; negative from the end) as a permutation of a value's axes; one that
    moves the batch axis is refused."""
    rank = len(shape) + 1
    if "swap" in params:
        i, j = (v + rank if v < 0 else v for v in params["swap"])
        if not (0 <= i < rank and 0 <= j < rank):
            raise NetworkError(f"{where}: transpose of axes {params['swap']} of a value of rank {rank}")
        swapped = list(range(rank))
        swapped[i], swapped[j] = j, i
        params = {"perm": swapped}
    perm = params["perm"]
    p = tuple(range(rank))[::-1] if perm is None else tuple(int(v) for v in perm)
    if sorted(p) != list(range(rank)):
        raise NetworkError(f"{where}: transpose perm {list(p)} is not a permutation of the {rank} axes of a value "
                           f"of shape (batch, {', '.join(map(str, shape))})")
    if p[0] != 0:
        raise NetworkError(f"{where}: transpose perm {list(p)} moves the batch axis (it must stay first)")
    return tuple(v - 1 for v in p[1:])
