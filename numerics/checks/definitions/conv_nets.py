"""Small convolutional and residual torch networks, and torch-side oracles for the engine on them.

The oracles never use the engine: the forward pass, Jacobians (``torch.func.jacrev`` under ``vmap``) and
the activation pattern (signs at every ReLU / LeakyReLU / PReLU input and max-pool argmax indices, from
forward hooks) all come from torch running the module itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _torch() -> Any:
    import torch

    return torch


def _randomise_bn(module: Any, gen: Any) -> None:
    """Non-trivial eval-mode batch-norm statistics and affine parameters."""
    import torch.nn as nn

    for m in module.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.copy_(_torch().rand(c, generator=gen, dtype=m.running_mean.dtype) * 2 - 1)
            m.running_var.copy_(_torch().rand(c, generator=gen, dtype=m.running_var.dtype) * 1.5 + 0.5)
            m.weight.data.copy_(_torch().rand(c, generator=gen, dtype=m.weight.dtype) * 3 - 1.5)
            m.bias.data.copy_(_torch().rand(c, generator=gen, dtype=m.bias.dtype) * 2 - 1)


def residual_block(channels: int) -> Any:
    """``PReLU(BN(conv(ReLU(BN(conv(x))))) + x)``: a ResNet basic block with per-channel PReLU."""
    import torch.nn as nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
            self.bn1 = nn.BatchNorm2d(channels)
            self.relu = nn.ReLU()
            self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(channels)
            self.act = nn.PReLU(channels)

        def forward(self, x: Any) -> Any:
            return self.act(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + x)

    return Block()


def small_conv_net(seed: int = 0, in_shape: tuple[int, int, int] = (2, 9, 9), classes: int = 3) -> Any:
    """A float64 eval-mode net with every supported 2-d layer: Conv2d (padding, then stride 2 with
    dilation 2 and groups 2), BatchNorm, LeakyReLU, MaxPool (3x3, stride 2, padding 1: windows of 4, 6
    and 9 taps), a residual block with PReLU, AvgPool, Flatten, Linear, ReLU. Weights are float32
    numbers (exact in an ONNX float32 file)."""
    torch = _torch()
    import torch.nn as nn

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    C = in_shape[0]
    net = nn.Sequential(
        nn.Conv2d(C, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.LeakyReLU(0.125),  # exact in float32 (an ONNX attribute is float32)
        nn.MaxPool2d(3, stride=2, padding=1),
        residual_block(4),
        nn.Conv2d(4, 4, 3, stride=2, padding=2, dilation=2, groups=2),
        nn.ReLU(),
        nn.AvgPool2d(2, stride=1),
        nn.Flatten(),
    )
    with torch.no_grad():
        n_flat = net(torch.zeros((1,) + tuple(in_shape))).shape[1]
    net = nn.Sequential(*net, nn.Linear(n_flat, 6), nn.ReLU(), nn.Linear(6, classes))
    with torch.no_grad():
        _randomise_bn(net, gen)
        for m in net.modules():
            if isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) * 0.5)
        for p in net.parameters():
            p.copy_(p.float())
        for b in net.buffers():
            if b.is_floating_point():
                b.copy_(b.float())
    return net.double().eval()


def small_conv1d_net(seed: int = 0, in_shape: tuple[int, int] = (2, 16), classes: int = 2) -> Any:
    """1-d layers: Conv1d (padding 2, stride 2, dilation 2, groups 2), BatchNorm1d, PReLU (one slope),
    MaxPool1d (3, stride 2, padding 1), AvgPool1d (count_include_pad False), Linear."""
    torch = _torch()
    import torch.nn as nn

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    C = in_shape[0]
    body = nn.Sequential(
        nn.Conv1d(C, 4, 3, stride=2, padding=2, dilation=2, groups=2),
        nn.BatchNorm1d(4),
        nn.PReLU(),
        nn.MaxPool1d(3, stride=2, padding=1),
        nn.Conv1d(4, 3, 2, padding=1),
        nn.ReLU(),
        nn.AvgPool1d(2, stride=1, padding=1, count_include_pad=False),
        nn.Flatten(),
    )
    with torch.no_grad():
        n_flat = body(torch.zeros((1,) + tuple(in_shape))).shape[1]
    net = nn.Sequential(*body, nn.Linear(n_flat, classes))
    with torch.no_grad():
        _randomise_bn(net, gen)
    return net.double().eval()


def raw_skip_net(seed: int = 0, in_shape: tuple[int, int, int] = (1, 5, 5)) -> Any:
    """Residual and max-pool on values without a kink at 0: conv, batch norm, max-pool (2, stride 1) of the
    raw conv output, then ``ReLU(conv(p)) + p`` (the skip carries the raw pooled value), Flatten,
    Linear. Its identity units have hyperplanes of their own (no activation sits on them)."""
    torch = _torch()
    import torch.nn as nn

    class Skip(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(2, 2, 3, padding=1)
            self.relu = nn.ReLU()

        def forward(self, x: Any) -> Any:
            return self.relu(self.conv(x)) + x

    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    C, H, W = in_shape
    net = nn.Sequential(nn.Conv2d(C, 2, 2), nn.BatchNorm2d(2), nn.MaxPool2d(2, stride=1), Skip(), nn.Flatten(),
                        nn.Linear(2 * (H - 2) * (W - 2), 3))
    with torch.no_grad():
        _randomise_bn(net, gen)
    return net.double().eval()


def lenet5(seed: int = 0) -> Any:
    """LeNet-5 sized (28x28 input): conv 6@5x5 pad 2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2,
    120, 84, 10."""
    torch = _torch()
    import torch.nn as nn

    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    ).double().eval()


# ----------------------------------------------------------------------------- torch oracles
def torch_forward(module: Any, X: np.ndarray, in_shape: tuple[int, ...]) -> np.ndarray:
    torch = _torch()
    with torch.no_grad():
        return module(torch.from_numpy(np.asarray(X, dtype=np.float64)).reshape((-1,) + tuple(in_shape))).numpy()


def torch_jacobians(module: Any, X: np.ndarray, in_shape: tuple[int, ...]) -> np.ndarray:
    """``J`` (n, c, d) by reverse-mode autograd (``torch.func.jacrev``) of ``sum_i f(x_i)``: the points do
    not interact (eval mode), so its Jacobian (c, n, d) holds every ``J_{x_i}``. (``vmap(jacrev)`` is not
    used here: torch 2.13's batching rule of PReLU's backward fails under vmap.)"""
    torch = _torch()

    def f(x: Any) -> Any:
        return module(x.reshape((-1,) + tuple(in_shape))).sum(dim=0)

    J = torch.func.jacrev(f)(torch.from_numpy(np.asarray(X, dtype=np.float64)))
    return J.detach().numpy().transpose(1, 0, 2).copy()


def tournament_bits(windows: np.ndarray) -> np.ndarray:
    """The comparisons of a max-pool tournament on window values (n, windows, k) in tap order, padding
    (``-inf``, at the same taps for every point) left out: per round, consecutive remaining values
    ``(a, b)`` give the bit ``b > a`` and ``max(a, b)``; an odd last value goes on. Per point, the bits
    window by window, round by round."""
    out = []
    for w in range(windows.shape[1]):
        v = windows[:, w, :]
        cands = [v[:, j] for j in range(v.shape[1]) if np.isfinite(v[0, j])]
        while len(cands) > 1:
            nxt = []
            for j in range(0, len(cands) - 1, 2):
                a, b = cands[j], cands[j + 1]
                out.append(b > a)
                nxt.append(np.maximum(a, b))
            if len(cands) % 2:
                nxt.append(cands[-1])
            cands = nxt
    return np.stack(out, axis=1).astype(float) if out else np.zeros((windows.shape[0], 0))


def torch_patterns(module: Any, X: np.ndarray, in_shape: tuple[int, ...]) -> np.ndarray:
    """Per point, the activation pattern from torch's own values: ``input > 0`` at every ReLU / LeakyReLU /
    PReLU module, and at every max-pool the comparisons of its tournament (:func:`tournament_bits`) on
    the windows torch's ``unfold`` cuts from the pool's input (padding ``-inf``). The argmax of a window is
    a function of these bits; the bits also record comparisons between taps that lose (as a ReLU
    network's pattern records units that only feed inactive ones)."""
    torch = _torch()
    import torch.nn as nn
    import torch.nn.functional as F

    parts: list[Any] = []

    def hook(m: Any, inp: Any, out: Any) -> None:
        x = inp[0]
        if isinstance(m, (nn.MaxPool1d, nn.MaxPool2d)):
            if isinstance(m, nn.MaxPool1d):
                x = x[:, :, None, :]
                ks = (1, _one(m.kernel_size))
                st = (1, _one(m.stride))
                pd = (0, _one(m.padding))
                dl = (1, _one(m.dilation))
            else:
                ks, st, pd, dl = (_two(m.kernel_size), _two(m.stride), _two(m.padding), _two(m.dilation))
            xp = F.pad(x, (pd[1], pd[1], pd[0], pd[0]), value=float("-inf"))
            w = F.unfold(xp, ks, dilation=dl, stride=st)  # (n, C kh kw, L)
            C = x.shape[1]
            w = w.reshape(x.shape[0], C, ks[0] * ks[1], -1).permute(0, 1, 3, 2).reshape(x.shape[0], -1, ks[0] * ks[1])
            parts.append(torch.from_numpy(tournament_bits(w.numpy())))
        else:
            parts.append((x > 0).reshape(x.shape[0], -1).double())

    hs = [m.register_forward_hook(hook) for m in module.modules()
          if isinstance(m, (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.MaxPool1d, nn.MaxPool2d))]
    try:
        with torch.no_grad():
            module(torch.from_numpy(np.asarray(X, dtype=np.float64)).reshape((-1,) + tuple(in_shape)))
    finally:
        for h in hs:
            h.remove()
    return torch.cat(parts, dim=1).numpy()


def _one(v: Any) -> int:
    return int(v[0] if isinstance(v, (tuple, list)) else v)


def _two(v: Any) -> tuple[int, int]:
    return (int(v[0]), int(v[1])) if isinstance(v, (tuple, list)) else (int(v), int(v))
