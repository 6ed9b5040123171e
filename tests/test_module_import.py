"""Reading nn.Modules: the --trace option reaches its tracer, negative permute/transpose axes, float32
modules through torch.export (each test catches a one-line bug the rest of the suite let through in the
review of 2026-12-01)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from normalign.numerics.engine import model_import as MI
from normalign.numerics.engine.network import NetworkError

_FACTORY = """
import torch
from torch import nn


def make():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(8, 2))
"""


@pytest.mark.parametrize("trace, called", [("fx", "module_graph"), ("export", "export_graph")])
def test_cli_trace_option_reaches_the_tracer(tmp_path: Path, monkeypatch, capsys, trace: str, called: str) -> None:
    """`normalign analyze --module ... --trace T` reads the module with tracer T: both tracers give the
    same network for supported modules, so which one ran is observed directly (planted: `from_factory`
    dropping `trace`, and the CLI passing "fx", each passed the suite)."""
    from normalign.cli import main

    src = tmp_path / "net.py"
    src.write_text(_FACTORY)
    pts = tmp_path / "x.npy"
    np.save(pts, np.random.default_rng(0).normal(size=(3, 1, 2, 2)))

    def refuse(name):
        def f(*args, **kwargs):
            raise NetworkError(f"{name} was called")
        return f

    for name in ("module_graph", "export_graph"):
        monkeypatch.setattr(MI, name, refuse(name))
    assert main(["analyze", "-", str(pts), "--module", f"{src}:make", "--input-shape", "1,2,2",
                 "--trace", trace]) == 2
    err = capsys.readouterr().err
    assert f"{called} was called" in err, err


class _NegativeAxes:
    """Conv1d, then ``transpose(-1, -2)`` and ``permute(0, -1, -2)`` (negative axes, as torch code often
    writes them), flatten, Linear."""

    @staticmethod
    def make():
        import torch
        from torch import nn

        class M(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.c, self.l = nn.Conv1d(2, 3, 3), nn.Linear(15, 2)

            def forward(self, x):
                y = torch.relu(self.c(x)).transpose(-1, -2)   # (n, 5, 3)
                y = y.permute(0, -1, -2) * 2.0               # back to (n, 3, 5)
                return self.l(y.transpose(1, 2).flatten(1))

        torch.manual_seed(1)
        return M().eval()


@pytest.mark.parametrize("trace", ["fx", "export"])
def test_negative_transpose_and_permute_axes(trace: str) -> None:
    """The lowered network equals torch on fresh points (torch as the oracle; from_module's own cross-check
    would refuse a wrong lowering, so a wrong axis shows as a refusal: planted `v + rank - 1` for negative
    swap axes passed the suite)."""
    import torch

    module = _NegativeAxes.make().double()  # float32 and export: see the test below
    net = MI.from_module(module, (2, 7), trace)
    X = np.random.default_rng(5).normal(size=(9, 2, 7))
    with torch.no_grad():
        want = module.double()(torch.from_numpy(X)).numpy()
    got = net.forward(X.reshape(9, -1))
    assert np.abs(got - want).max() <= 1e-12 * (1 + np.abs(want).max())


def test_export_reads_a_float32_module_as_fx_does() -> None:
    """README: ``CPANetwork.from_module(module, input_shape, trace="fx" | "export")``; a module as torch builds
    it (float32) is read by fx, so by export too."""
    module = _NegativeAxes.make()
    X = np.random.default_rng(6).normal(size=(4, 2, 7))
    fx = MI.from_module(module, (2, 7), "fx").forward(X.reshape(4, -1))
    ex = MI.from_module(module, (2, 7), "export").forward(X.reshape(4, -1))
    assert np.abs(fx - ex).max() <= 1e-12 * (1 + np.abs(fx).max())


# ------------------------------------------------------------ one-line bugs mutmut found (2026-12-01)
def _modules():
    """(name, factory, input shape): each reaches one import / lowering path the rest of the suite did
    not; torch in float64 is the oracle."""
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Buffer(nn.Module):  # a get_attr node; a (W,) scale on a (C, H, W) value with C == W
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("s", torch.tensor([2.0, -3.0]))

        def forward(self, x):
            return torch.flatten(x * self.s, 1)

    class ViewBatch(nn.Module):
        def forward(self, x):
            return torch.relu(x).view(x.size(0), -1)

    class LeakyDefault(nn.Module):
        def forward(self, x):
            return torch.flatten(F.leaky_relu(x), 1)

    class MaxPoolKw(nn.Module):
        def forward(self, x):
            return torch.flatten(F.max_pool2d(x, kernel_size=3, stride=2, padding=1), 1)

    class AvgPoolFn(nn.Module):
        def forward(self, x):
            return torch.flatten(F.avg_pool2d(x, 2), 1)

    return [
        ("get_attr buffer, (W,) scale", Buffer, (2, 3, 2)),
        ("view(x.size(0), -1)", ViewBatch, (2, 3)),
        ("F.leaky_relu default slope", LeakyDefault, (2, 3)),
        ("F.max_pool2d padding keyword", MaxPoolKw, (1, 5, 5)),
        ("F.avg_pool2d", AvgPoolFn, (1, 4, 4)),
        ("nn.AdaptiveAvgPool2d", lambda: nn.Sequential(nn.AdaptiveAvgPool2d((2, 2)), nn.Flatten()), (2, 5, 5)),
        ("AvgPool2d ceil_mode", lambda: nn.Sequential(nn.AvgPool2d(2, ceil_mode=True), nn.Flatten(), nn.Linear(9, 2)),
         (1, 5, 5)),
        ("AvgPool2d leaving inputs unread", lambda: nn.Sequential(nn.AvgPool2d(2), nn.Flatten()), (1, 5, 5)),
        ("MaxPool2d of one-tap windows", lambda: nn.Sequential(nn.MaxPool2d(1, stride=2), nn.Flatten()), (1, 5, 5)),
        ("Conv1d padding='same'", lambda: nn.Sequential(nn.Conv1d(2, 2, 3, padding="same"), nn.Flatten()), (2, 6)),
    ]


@pytest.mark.parametrize("name, make, shape", _modules(), ids=[m[0] for m in _modules()])
def test_module_paths_match_torch(name: str, make, shape: tuple[int, ...]) -> None:
    """The lowered network equals torch (float64) on random points. Each case killed a surviving mutant
    (mutation run at 5ed4d94): get_attr nodes ignored, a (W,) constant broadcast along channels, the
    ``x.size(0)`` test of view negated or its op kind misspelt, F.max_pool2d's
    ``padding`` keyword, F.avg_pool2d / AdaptiveAvgPool2d inputs dropped, avg-pool ceil_mode dropped from
    the shape (seen by the Linear after it), the avg-pool matrix's shape inferred from its entries, the one-tap max-pool selection
    matrix, and Conv1d's padding='same' reading the wrong kernel axis."""
    import torch

    torch.manual_seed(3)
    module = make().double().eval()
    net = MI.from_module(module, shape, "fx")
    X = np.random.default_rng(7).normal(size=(6,) + shape)
    with torch.no_grad():
        want = module(torch.from_numpy(X)).numpy().reshape(6, -1)
    got = net.forward(X.reshape(6, -1))
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-12 * (1 + np.abs(want).max())


def test_unsupported_method_is_named() -> None:
    """An unsupported tensor method (an fx call_method, whose target is a string) is named in the
    refusal (mutant: the name read as ``None``)."""
    import torch
    from torch import nn

    class M(nn.Module):
        def forward(self, x):
            return torch.flatten(x.sigmoid(), 1)

    with pytest.raises(NetworkError, match="unsupported operation sigmoid"):
        MI.from_module(M().double(), (2, 3), "fx")
