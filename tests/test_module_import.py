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
