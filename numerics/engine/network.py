"""Continuous piecewise-affine (CPA) networks as float64 arrays and structured maps.

A :class:`CPANetwork` is a chain of affine layers ``z_l = W_l a_{l-1} + b_l`` followed by an
activation ``a_l = sigma_l(z_l)`` with ``sigma_l`` one of ReLU, leaky ReLU or the identity (the last
layer is usually the identity, giving the logits); the inactive-side slope may differ per unit (PReLU;
identity units of slope 1 carrying residual skips and max-pool candidates). Weights follow torch's
``(out, in)`` convention; ``W_l`` is a dense array or a structured map (convolution, pooling, block map:
:mod:`normalign.numerics.engine.operators`). Such a network is affine on every linear region:
``f(x') = J_x x' + b_x`` for every ``x'`` with the activation pattern of ``x``.

Convolutional and residual networks (an ``nn.Module``, an ``.onnx`` file) are lowered to this chain by
:mod:`normalign.numerics.engine.lowering` (:meth:`CPANetwork.from_module`, :meth:`CPANetwork.load`).

Networks come from arrays, from an ``.npz`` file holding ``W0, b0, W1, b1, ...`` (biases optional,
an optional string array ``activations``), from a torch ``nn.Sequential`` of ``Linear`` / ``ReLU`` /
``LeakyReLU`` / ``Identity`` modules, or from such a module's state dict saved with ``torch.save``
(read with ``weights_only=True``; a user's file is never unpickled into arbitrary objects).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, Sequence

import numpy as np
from normalign.numerics.engine.operators import DenseMap, LinearMap, Tournament, find_tournaments

Activation = Literal["relu", "leaky_relu", "identity"]
ACTIVATIONS: tuple[str, ...] = ("relu", "leaky_relu", "identity")


class NetworkError(ValueError):
    """A network (or a file describing one) that the engine cannot represent; the message says why."""


@dataclass(frozen=True, eq=False)
class Layer:
    """One affine layer ``z = W a + b`` and its activation. ``linear`` is ``W``: a dense (out, in) array, or a
    structured map (:mod:`normalign.numerics.engine.operators`: convolution, pooling selection, block
    map) whose matrix is formed only on demand (:attr:`weight`). ``bias`` is zeros when the layer has
    none.

    ``negative_slope`` is the slope on the inactive side of ``leaky_relu``: one number, or one per unit
    (PReLU's per-channel slopes, or a layer mixing ReLU units, slope 0, with identity units, slope 1, as
    the lowering of residual skips and max-pooling makes). A unit of slope exactly 1 has no kink: it
    carves no region, and its pattern bit is always on (:meth:`pattern`)."""

    linear: np.ndarray | LinearMap
    bias: np.ndarray
    activation: Activation = "relu"
    negative_slope: float | np.ndarray = 0.01
    has_bias: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.linear, DenseMap):
            object.__setattr__(self, "linear", self.linear.W)

    @property
    def is_dense(self) -> bool:
        """The linear part is a plain matrix (the fast path of every product)."""
        return isinstance(self.linear, np.ndarray)

    @property
    def weight(self) -> np.ndarray:
        """``W`` as a dense (out, in) array (formed once and cached for a structured map)."""
        return self.linear if isinstance(self.linear, np.ndarray) else self.linear.dense()

    @cached_property
    def op(self) -> LinearMap:
        """``W`` as a map with ``forward``, ``vjp`` and ``abs``."""
        return DenseMap(self.linear) if isinstance(self.linear, np.ndarray) else self.linear

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.linear.shape[0]), int(self.linear.shape[1]))

    def forward(self, A: np.ndarray) -> np.ndarray:
        """``A W^T`` for rows ``A`` (n, in) (the pre-activation without its bias)."""
        return A @ self.linear.T if isinstance(self.linear, np.ndarray) else self.linear.forward(A)

    def vjp(self, V: np.ndarray) -> np.ndarray:
        """``V W`` for rows ``V`` (n, out)."""
        return V @ self.linear if isinstance(self.linear, np.ndarray) else self.linear.vjp(V)

    @property
    def low(self) -> float | np.ndarray:
        """The inactive-side slope: 0 (ReLU), 1 (identity), or ``negative_slope`` (one or per unit)."""
        return 0.0 if self.activation == "relu" else 1.0 if self.activation == "identity" else self.negative_slope

    @cached_property
    def kinked(self) -> np.ndarray:
        """Per unit: the activation has a kink at 0 (its slopes differ), so the unit carves regions."""
        return np.broadcast_to(np.asarray(self.low, dtype=np.float64) != 1.0, (self.shape[0],))

    def pattern(self, z: np.ndarray) -> np.ndarray:
        """Activation pattern ``z > 0`` of the kinked units; units without a kink are always on (their
        slope is 1 on both sides)."""
        if self.activation == "relu" or np.ndim(self.negative_slope) == 0:
            return z > 0 if self.activation != "identity" else np.ones_like(z, dtype=bool)
        return (z > 0) | ~self.kinked

    def slopes(self, z: np.ndarray) -> np.ndarray:
        """Derivative of the activation at pre-activations ``z`` (at 0: the right-continuous
        convention of torch's autograd, slope of the negative side)."""
        if self.activation == "identity":
            return np.ones_like(z)
        return np.where(z > 0, 1.0, self.low)

    def act(self, z: np.ndarray) -> np.ndarray:
        """The activation itself."""
        return z * self.slopes(z) if self.activation != "identity" else z


@dataclass(frozen=True)
class CPANetwork:
    """A CPA network ``f: R^d -> R^c`` held as float64 arrays."""

    layers: tuple[Layer, ...]
    input_shape: tuple[int, ...] | None = None
    """Shape of one input before flattening (row-major), e.g. (C, H, W) for an image; None: (d,)."""

    @cached_property
    def tournaments(self) -> dict[int, Tournament]:
        """Max-pool tournaments whose reverse step the engine takes in one scatter
        (:class:`operators.Tournament`), keyed by the layer that reads the pooled value; empty for a
        network of dense layers."""
        if all(l.is_dense for l in self.layers):
            return {}
        return find_tournaments(list(self.layers))

    def __post_init__(self) -> None:
        if not self.layers:
            raise NetworkError("a network needs at least one Linear layer")
        for i, (a, b) in enumerate(zip(self.layers, self.layers[1:])):
            if b.shape[1] != a.shape[0]:
                raise NetworkError(
                    f"layer {i + 1} expects {b.shape[1]} inputs but layer {i} gives {a.shape[0]}")
        if self.input_shape is not None and int(np.prod(self.input_shape)) != self.input_dim:
            raise NetworkError(f"input shape {self.input_shape} does not have {self.input_dim} entries")

    @property
    def input_dim(self) -> int:
        return int(self.layers[0].shape[1])

    @property
    def output_dim(self) -> int:
        return int(self.layers[-1].shape[0])

    @property
    def widths(self) -> tuple[int, ...]:
        return (self.input_dim,) + tuple(int(l.shape[0]) for l in self.layers)

    @property
    def dense(self) -> bool:
        """Every layer is a plain matrix with one activation slope (the arrays-and-.npz world)."""
        return all(l.is_dense and np.ndim(l.negative_slope) == 0 for l in self.layers)

    @property
    def bias_free(self) -> bool:
        return all(not l.has_bias or not np.any(l.bias) for l in self.layers)

    @property
    def activation_layers(self) -> tuple[int, ...]:
        """Indices of the layers with a non-identity activation (the ones that carve regions)."""
        return tuple(i for i, l in enumerate(self.layers) if l.activation != "identity")

    def preactivations(self, X: np.ndarray) -> list[np.ndarray]:
        """``[z_1, ..., z_L]``, each of shape (n, width_l), for a batch ``X`` of shape (n, d)."""
        X = check_points(X, self.input_dim)
        zs, a = [], X
        for layer in self.layers:
            z = layer.forward(a) + layer.bias
            zs.append(z)
            a = layer.act(z)
        return zs

    def forward(self, X: np.ndarray) -> np.ndarray:
        """``f(X)``, shape (n, c)."""
        zs = self.preactivations(X)
        return self.layers[-1].act(zs[-1])

    # ---------------------------------------------------------------- constructors
    @classmethod
    def from_arrays(cls, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray | None] | None = None,
                    activations: Sequence[str] | None = None, negative_slope: float = 0.01) -> "CPANetwork":
        """Build from weights ``(out, in)``; biases default to none; activations default to ReLU on
        every layer but the last (identity)."""
        n = len(weights)
        if n == 0:
            raise NetworkError("no weight matrices given")
        biases = list(biases) if biases is not None else [None] * n
        if len(biases) != n:
            raise NetworkError(f"{n} weight matrices but {len(biases)} biases")
        acts = list(activations) if activations is not None else ["relu"] * (n - 1) + ["identity"]
        if len(acts) != n:
            raise NetworkError(f"{n} layers but {len(acts)} activations")
        slope_arr = _finite_array(negative_slope, "negative_slope")
        if slope_arr.size != 1:
            raise NetworkError(f"negative_slope must be one number, got shape {slope_arr.shape}")
        slope = float(slope_arr.reshape(-1)[0])
        layers = []
        for i, (W, b, act) in enumerate(zip(weights, biases, acts)):
            W = _finite_array(W, f"W{i}")
            if W.ndim != 2 or 0 in W.shape:
                raise NetworkError(f"W{i} must be a non-empty 2-d (out, in) matrix, got shape {W.shape}")
            if b is None:
                bias, has_bias = np.zeros(W.shape[0]), False
            else:
                bias, has_bias = _finite_array(b, f"b{i}").reshape(-1), True
                if bias.shape != (W.shape[0],):
                    raise NetworkError(f"b{i} has shape {np.shape(b)} but W{i} has {W.shape[0]} outputs")
            if act not in ACTIVATIONS:
                raise NetworkError(f"unsupported activation {act!r} in layer {i}; supported: {', '.join(ACTIVATIONS)}")
            layers.append(Layer(W, bias, act, slope, has_bias))  # type: ignore[arg-type]
        return cls(tuple(layers))

    @classmethod
    def from_npz(cls, path: str | Path) -> "CPANetwork":
        """Load ``W0, b0, W1, b1, ...`` (``b`` optional) and an optional ``activations`` string array."""
        try:
            data = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise NetworkError(f"cannot read {path}: {exc}") from None
        with data:
            keys = set(data.files)
            idx = sorted(int(m.group(1)) for k in keys if (m := re.fullmatch(r"W(\d+)", k)))
            if not idx:
                raise NetworkError(f"{path} holds no weight arrays W0, W1, ... (found: {sorted(keys) or 'nothing'})")
            if idx != list(range(len(idx))):
                raise NetworkError(f"{path}: weight arrays must be W0..W{len(idx) - 1} without gaps, found {idx}")
            extra = keys - {f"W{i}" for i in idx} - {f"b{i}" for i in idx} - {"activations", "negative_slope"}
            if extra:
                raise NetworkError(f"{path}: unexpected arrays {sorted(extra)}")
            weights = [data[f"W{i}"] for i in idx]
            biases = [data[f"b{i}"] if f"b{i}" in keys else None for i in idx]
            acts = [str(a) for a in data["activations"]] if "activations" in keys else None
            slope = data["negative_slope"] if "negative_slope" in keys else 0.01
        return cls.from_arrays(weights, biases, acts, slope)

    def to_npz(self, path: str | Path) -> None:
        """Save in the ``.npz`` format read by :meth:`from_npz`."""
        self._require_dense("an .npz file")
        arrays: dict[str, np.ndarray] = {}
        for i, l in enumerate(self.layers):
            arrays[f"W{i}"] = l.weight
            if l.has_bias:
                arrays[f"b{i}"] = l.bias
        arrays["activations"] = np.array([l.activation for l in self.layers])
        arrays["negative_slope"] = np.array(self.layers[0].negative_slope)
        np.savez(path, **arrays)

    @classmethod
    def from_sequential(cls, module: object) -> "CPANetwork":
        """Read an ``nn.Sequential`` of Linear / ReLU / LeakyReLU / Identity (nested Sequentials are
        flattened). Any other module is refused with its name."""
        import torch.nn as nn

        if not isinstance(module, nn.Sequential):
            raise NetworkError(f"expected torch.nn.Sequential, got {type(module).__name__}")
        mods = list(_flatten(module))
        weights: list[np.ndarray] = []
        biases: list[np.ndarray | None] = []
        acts: list[str] = []
        slope = 0.01
        for m in mods:
            if isinstance(m, nn.Linear):
                weights.append(m.weight.detach().cpu().double().numpy().copy())
                biases.append(None if m.bias is None else m.bias.detach().cpu().double().numpy().copy())
                acts.append("identity")
            elif isinstance(m, (nn.ReLU, nn.LeakyReLU)):
                if not acts or acts[-1] != "identity":
                    raise NetworkError(f"{type(m).__name__} must follow a Linear layer directly")
                acts[-1] = "relu" if isinstance(m, nn.ReLU) else "leaky_relu"
                if isinstance(m, nn.LeakyReLU):
                    slope = float(m.negative_slope)
            elif isinstance(m, (nn.Identity, nn.Flatten, nn.Dropout)):
                continue  # affine-neutral at inference on (n, d) inputs
            else:
                raise NetworkError(f"unsupported layer {type(m).__name__}: the engine handles Linear, ReLU, "
                                   "LeakyReLU and Identity")
        return cls.from_arrays(weights, biases, acts, slope)

    @classmethod
    def from_state_dict_file(cls, path: str | Path, activation: Activation = "relu",
                             negative_slope: float = 0.01) -> "CPANetwork":
        """Load the state dict of an ``nn.Sequential`` of Linear layers saved with ``torch.save``.

        The state dict names no activations: ``activation`` is put between consecutive Linear layers
        and the last layer is the identity (``negative_slope`` for ``leaky_relu``).
        """
        import torch

        try:
            sd = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:  # noqa: BLE001 - torch raises many types for a bad file
            raise NetworkError(f"cannot read {path} as a weights-only torch state dict: "
                               f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
        if not isinstance(sd, dict) or not sd:
            raise NetworkError(f"{path} does not hold a non-empty state dict")
        groups: dict[str, dict[str, np.ndarray]] = {}
        for key, val in sd.items():
            prefix, _, name = str(key).rpartition(".")
            if name not in ("weight", "bias") or not hasattr(val, "detach"):
                raise NetworkError(f"{path}: unsupported entry {key!r} (only Linear weight and bias)")
            groups.setdefault(prefix, {})[name] = val.detach().cpu().double().numpy()
        order = sorted(groups, key=_natural_key)
        if any("weight" not in groups[p] for p in order):
            raise NetworkError(f"{path}: a layer has a bias but no weight")
        weights = [groups[p]["weight"] for p in order]
        biases = [groups[p].get("bias") for p in order]
        acts = [activation] * (len(order) - 1) + ["identity"]
        return cls.from_arrays(weights, biases, acts, negative_slope)

    @classmethod
    def load(cls, path: str | Path, activation: Activation = "relu", negative_slope: float = 0.01) -> "CPANetwork":
        """Load a model file: ``.npz`` (arrays), ``.onnx`` (graph and initializers, nothing executed) or
        anything else as a torch state dict."""
        p = Path(path)
        if not p.exists():
            raise NetworkError(f"no such model file: {p}")
        if p.stat().st_size == 0:
            raise NetworkError(f"model file {p} is empty")
        if p.suffix == ".npz":
            return cls.from_npz(p)
        if p.suffix == ".onnx":
            from normalign.numerics.engine.model_import import from_onnx

            return from_onnx(p)
        return cls.from_state_dict_file(p, activation, negative_slope)

    @classmethod
    def from_module(cls, module: object, input_shape: Sequence[int], trace: str = "fx") -> "CPANetwork":
        """Any ``nn.Module`` built of the supported operations (convolutions, pooling, batch norm in eval
        mode, residual additions, ReLU / LeakyReLU / PReLU, Linear, Flatten, ...), read by torch.fx
        (``trace="fx"``) or torch.export (``"export"``); one input of shape ``input_shape`` (without the
        batch dimension)."""
        from normalign.numerics.engine.model_import import from_module

        return from_module(module, tuple(int(v) for v in input_shape), trace)

    def _require_dense(self, what: str) -> None:
        if not self.dense:
            raise NetworkError(f"this network has structured layers or per-unit slopes; it cannot be written as {what}")

    def to_sequential(self, dtype: object = None) -> object:
        """The same network as a torch ``nn.Sequential`` (float64 unless ``dtype`` says otherwise)."""
        import torch
        import torch.nn as nn

        self._require_dense("an nn.Sequential of Linear layers")
        dtype = dtype or torch.float64
        mods: list[nn.Module] = []
        for l in self.layers:
            lin = nn.Linear(l.weight.shape[1], l.weight.shape[0], bias=l.has_bias, dtype=dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.as_tensor(l.weight))
                if l.has_bias:
                    lin.bias.copy_(torch.as_tensor(l.bias))
            mods.append(lin)
            if l.activation == "relu":
                mods.append(nn.ReLU())
            elif l.activation == "leaky_relu":
                mods.append(nn.LeakyReLU(l.negative_slope))
        return nn.Sequential(*mods)


def check_points(X: np.ndarray, dim: int, *, allow_zero: bool = True) -> np.ndarray:
    """Validate a batch of points: float64 array of shape (n, dim), n >= 1, finite.

    With ``allow_zero=False`` a zero row is refused (the theorems assume x != 0).
    """
    X = np.asarray(X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(f"points must have shape (n, {dim}), got {X.shape}")
    if X.shape[0] == 0:
        raise ValueError("no points given (empty array)")
    if X.shape[1] != dim:
        raise ValueError(f"points have dimension {X.shape[1]} but the network expects {dim}")
    if not np.issubdtype(X.dtype, np.number) or np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"points must be real numbers, got dtype {X.dtype}")
    X = X.astype(np.float64, copy=False)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        raise ValueError(f"point {int(np.flatnonzero(bad)[0])} contains NaN or inf")
    if not allow_zero:
        zero = ~X.any(axis=1)
        if zero.any():
            raise ValueError(f"point {int(np.flatnonzero(zero)[0])} is x = 0: alignment with x is undefined there")
    return X


def _finite_array(a: object, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise NetworkError(f"{name} must be real numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        raise NetworkError(f"{name} contains NaN or inf")
    return arr


def _flatten(module: object):
    import torch.nn as nn

    for m in module.children():  # type: ignore[attr-defined]
        if isinstance(m, nn.Sequential):
            yield from _flatten(m)
        else:
            yield m


def _natural_key(s: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]
