"""Structured linear maps of a layer: dense matrices, convolutions, sparse selections, and their
compositions, each usable without forming its matrix.

A layer's linear part ``W`` (shape (out, in), torch's convention) is used by the engine in three ways,
always on batches of row vectors:

- ``forward(X) = X W^T``  (n, in) -> (n, out): pre-activations, and the region maps ``E_l^T`` column-wise;
- ``vjp(V) = V W``        (n, out) -> (n, in): the reverse (output-side) Jacobian product and
  vector-Jacobian products (sites, centroids);
- ``dense() = W``          the matrix itself, formed once on demand (cached) for the few places that
  need rows of a small network (MILP encodings, 2-d slices).

``abs()`` is a map whose matrix bounds ``|W|`` entrywise (for a composition ``W = W_2 W_1`` it is
``|W_2| |W_1| >= |W|``): the scale of the rounding error of a computed ``W x``, which is what the region
code's rounding bounds need (they bound the products actually computed, which are the compositions).

Convolutions run on torch (``torch.nn.functional.conv2d`` and ``torch.nn.grad.conv2d_input``) in float64
on zero-copy views of numpy arrays; everything else is numpy / scipy.sparse. A 1-d convolution is the
2-d one on a height-1 image.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp


class LinearMap:
    """Base of every structured map: ``shape = (out, in)``; subclasses define ``forward``, ``vjp``, ``abs``."""

    shape: tuple[int, int]

    def forward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def vjp(self, V: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def abs(self) -> "LinearMap":  # pragma: no cover - abstract
        raise NotImplementedError

    def dense(self) -> np.ndarray:
        """``W`` (out, in), formed from the cheaper side (rows by ``vjp`` of the identity, or columns by
        ``forward``) and cached."""
        cached = getattr(self, "_dense_cache", None)
        if cached is None:
            out, inp = self.shape
            cached = self.vjp(np.eye(out)) if out <= inp else np.ascontiguousarray(self.forward(np.eye(inp)).T)
            object.__setattr__(self, "_dense_cache", cached)
        return cached


@dataclass(frozen=True, eq=False)
class DenseMap(LinearMap):
    """A plain matrix ``W`` (out, in)."""

    W: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (int(self.W.shape[0]), int(self.W.shape[1]))

    def forward(self, X: np.ndarray) -> np.ndarray:
        return X @ self.W.T

    def vjp(self, V: np.ndarray) -> np.ndarray:
        return V @ self.W

    def abs(self) -> LinearMap:
        return DenseMap(np.abs(self.W))

    def dense(self) -> np.ndarray:
        return self.W


@dataclass(frozen=True, eq=False)
class IdentityMap(LinearMap):
    """The identity of R^n."""

    n: int

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (self.n, self.n)

    def forward(self, X: np.ndarray) -> np.ndarray:
        return X

    def vjp(self, V: np.ndarray) -> np.ndarray:
        return V

    def abs(self) -> LinearMap:
        return self


@dataclass(frozen=True, eq=False)
class DiagMap(LinearMap):
    """``diag(scale)``; ``channels`` (optional) says the scale is constant over each of that many equal
    consecutive blocks (a per-channel scale, as batch norm's), which lets a convolution absorb it."""

    scale: np.ndarray
    channels: int = 0

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (self.scale.size, self.scale.size)

    def forward(self, X: np.ndarray) -> np.ndarray:
        return X * self.scale

    def vjp(self, V: np.ndarray) -> np.ndarray:
        return V * self.scale

    def abs(self) -> LinearMap:
        return DiagMap(np.abs(self.scale), self.channels)

    def channel_scale(self) -> np.ndarray:
        return self.scale.reshape(self.channels, -1)[:, 0]


@dataclass(frozen=True, eq=False)
class SparseMap(LinearMap):
    """A scipy CSR matrix (out, in): pooling windows, selections, sums of units."""

    S: sp.csr_matrix

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (int(self.S.shape[0]), int(self.S.shape[1]))

    @cached_property
    def _ST(self) -> sp.csr_matrix:
        return self.S.T.tocsr()

    def forward(self, X: np.ndarray) -> np.ndarray:
        return np.asarray(self.S @ X.T).T

    def vjp(self, V: np.ndarray) -> np.ndarray:
        return np.asarray(self._ST @ V.T).T

    def abs(self) -> LinearMap:
        return SparseMap(abs(self.S).tocsr())

    def dense(self) -> np.ndarray:
        return self.S.toarray()


@dataclass(frozen=True, eq=False)
class ConvMap(LinearMap):
    """A 2-d convolution without bias on images of shape ``in_shape = (C, H, W)``: torch's ``conv2d`` with
    ``weight`` (O, C / groups, kh, kw), ``stride``, ``dilation``, ``groups`` and zero padding
    ``pads = (top, bottom, left, right)`` (ONNX allows unequal sides). Flattened row-major, as torch's
    ``flatten``."""

    weight: np.ndarray
    in_shape: tuple[int, int, int]
    stride: tuple[int, int] = (1, 1)
    pads: tuple[int, int, int, int] = (0, 0, 0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1
    _w: object = field(default=None, init=False, repr=False)  # the weights as a torch tensor (a view)

    def __post_init__(self) -> None:
        import torch

        object.__setattr__(self, "_w", torch.from_numpy(np.ascontiguousarray(self.weight, dtype=np.float64)))

    @property
    def out_shape(self) -> tuple[int, int, int]:
        return conv_out_shape(self.in_shape, self.weight.shape, self.stride, self.pads, self.dilation)

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (int(np.prod(self.out_shape)), int(np.prod(self.in_shape)))

    @property
    def _symmetric(self) -> bool:
        t, b, l, r = self.pads
        return t == b and l == r

    def forward(self, X: np.ndarray) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        n = X.shape[0]
        x = torch.from_numpy(np.ascontiguousarray(X)).reshape((n,) + self.in_shape)
        t, b, l, r = self.pads
        if self._symmetric:
            y = F.conv2d(x, self._w, None, self.stride, (t, l), self.dilation, self.groups)
        else:
            y = F.conv2d(F.pad(x, (l, r, t, b)), self._w, None, self.stride, 0, self.dilation, self.groups)
        return y.reshape(n, -1).numpy()

    def vjp(self, V: np.ndarray) -> np.ndarray:
        import torch

        n = V.shape[0]
        g = torch.from_numpy(np.ascontiguousarray(V)).reshape((n,) + self.out_shape)
        t, b, l, r = self.pads
        C, H, W = self.in_shape
        if self._symmetric:
            x = _conv_input_grad(g, (n, C, H, W), self._w, self.stride, (t, l), self.dilation, self.groups)
        else:
            x = _conv_input_grad(g, (n, C, H + t + b, W + l + r), self._w, self.stride, (0, 0), self.dilation,
                                 self.groups)[:, :, t:t + H, l:l + W]
        return x.reshape(n, -1).numpy()

    def abs(self) -> LinearMap:
        return ConvMap(np.abs(self.weight), self.in_shape, self.stride, self.pads, self.dilation, self.groups)

    def scaled(self, s: np.ndarray) -> "ConvMap":
        """``diag(s) W`` for a per-output-channel scale ``s`` (batch norm folded into the convolution)."""
        return ConvMap(self.weight * s[:, None, None, None], self.in_shape, self.stride, self.pads, self.dilation,
                       self.groups)


def _conv_input_grad(g: object, in_size: tuple[int, int, int, int], w: object, stride: tuple[int, int],
                     padding: tuple[int, int], dilation: tuple[int, int], groups: int) -> object:
    """The gradient of ``conv2d`` with respect to its input for output cotangents ``g``: autograd's own
    kernel (``aten.convolution_backward``, input gradient only), given an uninitialised input of the right
    size (it reads only its shape; ``torch.nn.grad.conv2d_input`` passes a broadcast view, which takes a
    slower path)."""
    import torch

    inp = torch.empty(in_size, dtype=torch.float64)
    return torch.ops.aten.convolution_backward(g, inp, w, None, list(stride), list(padding), list(dilation), False,
                                               [0, 0], groups, [True, False, False])[0]


def conv_out_shape(in_shape: tuple[int, int, int], wshape: tuple[int, ...], stride: tuple[int, int],
                   pads: tuple[int, int, int, int], dilation: tuple[int, int]) -> tuple[int, int, int]:
    """Output shape ``(O, H', W')`` of a convolution (floor division, as torch and ONNX)."""
    _, H, W = in_shape
    O, _, kh, kw = wshape
    Ho = (H + pads[0] + pads[1] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + pads[2] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return (int(O), int(Ho), int(Wo))


@dataclass(frozen=True, eq=False)
class ChainMap(LinearMap):
    """``maps[-1] ... maps[1] maps[0]``: apply ``maps[0]`` first."""

    maps: tuple[LinearMap, ...]

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (self.maps[-1].shape[0], self.maps[0].shape[1])

    def forward(self, X: np.ndarray) -> np.ndarray:
        for m in self.maps:
            X = m.forward(X)
        return X

    def vjp(self, V: np.ndarray) -> np.ndarray:
        for m in reversed(self.maps):
            V = m.vjp(V)
        return V

    def abs(self) -> LinearMap:
        return ChainMap(tuple(m.abs() for m in self.maps))


@dataclass(frozen=True, eq=False)
class SumMap(LinearMap):
    """``sum_i maps[i]`` (all of one shape)."""

    maps: tuple[LinearMap, ...]

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return self.maps[0].shape

    def forward(self, X: np.ndarray) -> np.ndarray:
        out = np.array(self.maps[0].forward(X))
        for m in self.maps[1:]:
            out += m.forward(X)
        return out

    def vjp(self, V: np.ndarray) -> np.ndarray:
        out = np.array(self.maps[0].vjp(V))
        for m in self.maps[1:]:
            out += m.vjp(V)
        return out

    def abs(self) -> LinearMap:
        return SumMap(tuple(m.abs() for m in self.maps))


@dataclass(frozen=True, eq=False)
class BlockMap(LinearMap):
    """A block matrix: the input is the concatenation of blocks of sizes ``in_sizes``, the output that of
    groups of sizes ``out_sizes``; ``terms[(g, b)]`` maps block ``b`` into group ``g`` (absent: zero)."""

    out_sizes: tuple[int, ...]
    in_sizes: tuple[int, ...]
    terms: dict[tuple[int, int], LinearMap]

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (sum(self.out_sizes), sum(self.in_sizes))

    @cached_property
    def _offsets(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([[0], np.cumsum(self.out_sizes)]), np.concatenate([[0], np.cumsum(self.in_sizes)])

    def forward(self, X: np.ndarray) -> np.ndarray:
        oo, io = self._offsets
        out = np.zeros((X.shape[0], self.shape[0]))
        for (g, b), m in self.terms.items():
            out[:, oo[g]:oo[g + 1]] += m.forward(X[:, io[b]:io[b + 1]])
        return out

    def vjp(self, V: np.ndarray) -> np.ndarray:
        oo, io = self._offsets
        out = np.zeros((V.shape[0], self.shape[1]))
        for (g, b), m in self.terms.items():
            out[:, io[b]:io[b + 1]] += m.vjp(V[:, oo[g]:oo[g + 1]])
        return out

    def abs(self) -> LinearMap:
        return BlockMap(self.out_sizes, self.in_sizes, {k: m.abs() for k, m in self.terms.items()})


def compose(first: LinearMap, then: LinearMap) -> LinearMap:
    """``then o first`` (apply ``first``, then ``then``), simplified where that is exact and cheaper:
    identities vanish, a per-channel scale after a convolution folds into its weights (batch norm),
    diagonals and sparse matrices multiply out, and so do dense matrices."""
    if first.shape[0] != then.shape[1]:
        raise ValueError(f"cannot compose maps of shapes {first.shape} then {then.shape}")
    if isinstance(first, IdentityMap):
        return then
    if isinstance(then, IdentityMap):
        return first
    if isinstance(first, ChainMap):
        return _chain(first.maps[:-1] + (compose(first.maps[-1], then),))
    if isinstance(then, DiagMap) and isinstance(first, ConvMap) and then.channels == first.out_shape[0]:
        return first.scaled(then.channel_scale())
    if isinstance(then, DiagMap) and isinstance(first, DiagMap):
        return DiagMap(first.scale * then.scale, first.channels if first.channels == then.channels else 0)
    if isinstance(then, DiagMap) and isinstance(first, DenseMap):
        return DenseMap(then.scale[:, None] * first.W)
    if isinstance(first, DiagMap) and isinstance(then, DenseMap):
        return DenseMap(then.W * first.scale[None, :])
    if isinstance(then, (SparseMap, DiagMap)) and isinstance(first, (SparseMap, DiagMap)):
        return SparseMap(sp.csr_matrix(_as_sparse(then) @ _as_sparse(first)))
    if isinstance(then, DenseMap) and isinstance(first, DenseMap):
        return DenseMap(then.W @ first.W)
    return _chain((first, then))


def _chain(maps: tuple[LinearMap, ...]) -> LinearMap:
    flat: list[LinearMap] = []
    for m in maps:
        flat.extend(m.maps if isinstance(m, ChainMap) else (m,))
    return flat[0] if len(flat) == 1 else ChainMap(tuple(flat))


def _as_sparse(m: LinearMap) -> sp.csr_matrix:
    return sp.diags(m.scale).tocsr() if isinstance(m, DiagMap) else m.S  # type: ignore[attr-defined]


def add_maps(a: LinearMap, b: LinearMap) -> LinearMap:
    """``a + b`` (same shape), merged into one matrix when both are sparse / diagonal or both dense."""
    if a.shape != b.shape:
        raise ValueError(f"cannot add maps of shapes {a.shape} and {b.shape}")
    sparse = (SparseMap, DiagMap, IdentityMap)
    if isinstance(a, sparse) and isinstance(b, sparse):
        return SparseMap(sp.csr_matrix(_sp(a) + _sp(b)))
    if isinstance(a, DenseMap) and isinstance(b, DenseMap):
        return DenseMap(a.W + b.W)
    return SumMap(tuple((a.maps if isinstance(a, SumMap) else (a,)) + (b.maps if isinstance(b, SumMap) else (b,))))


def _sp(m: LinearMap) -> sp.csr_matrix:
    if isinstance(m, IdentityMap):
        return sp.identity(m.n, format="csr")
    return _as_sparse(m)


def _scatter(n: int, parts: list[tuple[np.ndarray, np.ndarray]], unique: bool) -> np.ndarray:
    """``out`` (m, n) with ``out[:, idx] += V`` for every ``(idx, V)`` of ``parts`` (torch's ``index_copy_``
    when no index repeats across the parts, else ``index_add_``; on a zero-copy view of ``out``)."""
    import torch

    out = np.zeros((parts[0][1].shape[0], n))
    t = torch.from_numpy(out)
    for idx, V in parts:
        if idx.size:
            src = torch.from_numpy(np.ascontiguousarray(V))
            if unique:
                t.index_copy_(1, torch.from_numpy(idx), src)
            else:
                t.index_add_(1, torch.from_numpy(idx), src)
    return out


@dataclass(frozen=True, eq=False)
class GatherMap(LinearMap):
    """``y = x[idx]`` (a selection; ``idx`` may repeat only if ``unique`` is False)."""

    idx: np.ndarray
    n_in: int

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (int(self.idx.size), self.n_in)

    @cached_property
    def unique(self) -> bool:
        return bool(np.unique(self.idx).size == self.idx.size)

    def forward(self, X: np.ndarray) -> np.ndarray:
        return X[:, self.idx]

    def vjp(self, V: np.ndarray) -> np.ndarray:
        return _scatter(self.n_in, [(self.idx, V)], self.unique)

    def abs(self) -> LinearMap:
        return self


@dataclass(frozen=True, eq=False)
class PairStageMap(LinearMap):
    """One round of a max-pool tournament on candidates ``c`` (length ``n_in``): the units
    ``[c[ib] - c[ia], c[ia], c[il]]`` (per pair ``(a, b)``: the ReLU unit ``b - a`` and the identity unit
    ``a``, whose sum is ``max(a, b)``; then the unpaired candidates). ``sign = +1`` is its ``abs()``
    (``c[ib] + c[ia]``)."""

    ia: np.ndarray
    ib: np.ndarray
    il: np.ndarray
    n_in: int
    sign: float = -1.0

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (2 * self.ia.size + self.il.size, self.n_in)

    @cached_property
    def unique(self) -> bool:
        allidx = np.concatenate([self.ia, self.ib, self.il])
        return bool(np.unique(allidx).size == allidx.size)

    @cached_property
    def _slices(self) -> tuple[slice, slice, slice] | None:
        """The three index sets as slices when each is a contiguous range and together they do not
        overlap (later tournament rounds on equal windows): then no gather or scatter is needed."""
        out = []
        for idx in (self.ia, self.ib, self.il):
            if idx.size and not np.array_equal(idx, np.arange(idx[0], idx[0] + idx.size)):
                return None
            out.append(slice(int(idx[0]), int(idx[0]) + idx.size) if idx.size else slice(0, 0))
        return tuple(out) if self.unique else None  # type: ignore[return-value]

    def forward(self, X: np.ndarray) -> np.ndarray:
        sl = self._slices
        if sl is not None:
            a = X[:, sl[0]]
            return np.concatenate([X[:, sl[1]] + self.sign * a, a, X[:, sl[2]]], axis=1)
        a = X[:, self.ia]
        return np.concatenate([X[:, self.ib] + self.sign * a, a, X[:, self.il]], axis=1)

    def vjp(self, V: np.ndarray) -> np.ndarray:
        P = self.ia.size
        d, c, l = V[:, :P], V[:, P:2 * P], V[:, 2 * P:]
        sl = self._slices
        if sl is not None:
            out = np.zeros((V.shape[0], self.n_in))
            out[:, sl[0]] = c + self.sign * d
            out[:, sl[1]] = d
            out[:, sl[2]] = l
            return out
        return _scatter(self.n_in, [(self.ia, c + self.sign * d), (self.ib, d), (self.il, l)], self.unique)

    def abs(self) -> LinearMap:
        return PairStageMap(self.ia, self.ib, self.il, self.n_in, 1.0)


@dataclass(frozen=True, eq=False)
class PairSumMap(LinearMap):
    """The candidates after a tournament round: ``[u_diff + u_carry, u_left]`` from the round's units
    ``[u_diff (P), u_carry (P), u_left (L)]``."""

    pairs: int
    left: int

    @property
    def shape(self) -> tuple[int, int]:  # type: ignore[override]
        return (self.pairs + self.left, 2 * self.pairs + self.left)

    def forward(self, X: np.ndarray) -> np.ndarray:
        P = self.pairs
        return np.concatenate([X[:, :P] + X[:, P:2 * P], X[:, 2 * P:]], axis=1)

    def vjp(self, V: np.ndarray) -> np.ndarray:
        P = self.pairs
        return np.concatenate([V[:, :P], V], axis=1)

    def abs(self) -> LinearMap:
        return self


@dataclass(frozen=True, eq=False)
class Tournament:
    """The reverse (vector-Jacobian) step through a max-pool's tournament layers ``first..last`` and the
    linear map ``rest`` that reads the pooled value in layer ``last + 1``, in one scatter.

    Composed, those layers map the pool's input ``a`` (width ``n_in``) to the pooled value by a selection
    that depends on the point: each window's winner, which the tournament's ReLU units decide (round by
    round, pair ``(a, b)``: ``b`` when its unit ``b - a`` is active). So for cotangents ``V`` of layer
    ``last + 1``'s pre-activation, ``V W_{last+1} diag(s_last) W_last ... diag(s_first) W_first`` is
    ``rest^T V`` scattered to the winners' positions: the same product as the chain's layer-by-layer
    one, without its (n, width) intermediates. ``rounds`` holds each round's ``(ia, ib, il)``
    (:class:`PairStageMap`), ``order`` the windows' final candidates (None: already in order)."""

    first: int
    last: int
    rounds: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    n_in: int
    rest: LinearMap | None
    order: np.ndarray | None = None

    def winners(self, slopes: list[np.ndarray]) -> np.ndarray:
        """Per point, the input index of each window's maximum (m, windows)."""
        m = slopes[self.first].shape[0]
        tap = np.broadcast_to(np.arange(self.n_in), (m, self.n_in))
        for r, (ia, ib, il) in enumerate(self.rounds):
            won = slopes[self.first + r][:, :ia.size] > 0.5  # the ReLU unit b - a is active: b wins
            tap = np.concatenate([np.where(won, tap[:, ib], tap[:, ia]), tap[:, il]], axis=1)
        return tap if self.order is None else tap[:, self.order]

    @cached_property
    def owner(self) -> np.ndarray | None:
        """The window of each input (-1: in none) when no input lies in two windows (pools whose windows
        do not overlap); None otherwise."""
        ia, ib, il = self.rounds[0]
        every = np.concatenate([ia, ib, il])
        if np.unique(every).size != every.size:
            return None
        own = np.full(self.n_in, -1)
        for r, (ja, jb, jl) in enumerate(self.rounds):
            step = np.full(int(max(ja.max(initial=-1), jb.max(initial=-1), jl.max(initial=-1))) + 1, -1)
            step[ja], step[jb], step[jl] = np.arange(ja.size), np.arange(jb.size), ja.size + np.arange(jl.size)
            own = step[every] if r == 0 else np.where(own >= 0, step[np.maximum(own, 0)], -1)
            if r == 0:
                first = np.full(self.n_in, -1)
                first[every] = own
                own = first
        if self.order is not None:
            inv = np.empty(self.order.size, dtype=np.int64)
            inv[self.order] = np.arange(self.order.size)
            own = np.where(own >= 0, inv[np.maximum(own, 0)], -1)
        return own

    def vjp(self, V: np.ndarray, slopes: list[np.ndarray], c: int) -> np.ndarray:
        """``V`` (m c, width of layer last + 1), rows point-major with ``c`` rows per point, already
        multiplied by that layer's slopes; result (m c, n_in). Windows that do not overlap: each window's
        cotangent put at its winner; else added there (a tap may win two windows)."""
        g = V if self.rest is None else self.rest.vjp(V)
        win = self.winners(slopes)
        if self.owner is not None:  # distinct winners: a plain assignment per window
            m, W = win.shape
            out = np.zeros((m, c, self.n_in))
            np.put_along_axis(out, np.broadcast_to(win[:, None, :], (m, c, W)), g.reshape(m, c, W), axis=2)
            return out.reshape(m * c, self.n_in)
        import torch

        out = np.zeros((V.shape[0], self.n_in))
        idx = np.repeat(win, c, axis=0)
        torch.from_numpy(out).scatter_add_(1, torch.from_numpy(idx), torch.from_numpy(np.ascontiguousarray(g)))
        return out


def find_tournaments(layers: list) -> dict[int, Tournament]:
    """The fusable max-pool tournaments of a chain, keyed by the layer that reads the pooled value: rounds
    that are whole layers of one block (round 1 a :class:`PairStageMap`, later rounds ``PairSumMap`` then
    ``PairStageMap``), followed by a layer whose map starts with the last ``PairSumMap``."""
    out: dict[int, Tournament] = {}
    L = len(layers)
    for i, lay in enumerate(layers):
        if i == 0 or not isinstance(lay.linear, PairStageMap):  # (a pool on the input: the chain's own steps)
            continue
        rounds = [(lay.linear.ia, lay.linear.ib, lay.linear.il)]
        j = i
        while j + 1 < L and _is_round(layers[j + 1].linear):
            st = layers[j + 1].linear.maps[1]
            rounds.append((st.ia, st.ib, st.il))
            j += 1
        if j + 1 >= L:
            continue
        nxt = layers[j + 1].linear
        maps = nxt.maps if isinstance(nxt, ChainMap) else (nxt,)
        if not isinstance(maps[0], PairSumMap):
            continue
        rest = list(maps[1:])
        order = None
        if rest and isinstance(rest[0], GatherMap):
            order = rest.pop(0).idx
        rm = None if not rest else rest[0] if len(rest) == 1 else ChainMap(tuple(rest))
        out[j + 1] = Tournament(i, j, tuple(rounds), lay.linear.n_in, rm, order)
    return out


def _is_round(m: LinearMap) -> bool:
    return isinstance(m, ChainMap) and len(m.maps) == 2 and isinstance(m.maps[0], PairSumMap) \
        and isinstance(m.maps[1], PairStageMap)
