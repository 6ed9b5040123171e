"""Replay every saved counterexample of P3 and G1 (tests/corpus/P3, tests/corpus/G1)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normalign.corpus import load_cases
from normalign.numerics.maths import dynamics as F
from normalign.numerics.checks.grokalign.estimators import _random_cpa
from normalign.numerics.maths import grokalign as G
from normalign.numerics.engine.geometry import region_maps
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import P3_SLOPE_TOL, matmul_tol


@pytest.mark.theorem("P3")
@pytest.mark.parametrize("case", load_cases("P3"), ids=lambda c: c["path"].rsplit("/", 1)[-1])
def test_replay_p3_case(case) -> None:
    torch.set_num_threads(1)
    c = case["case"]
    inst = F.p3_instance(int(c["seed"]), bias=bool(c["bias"]))
    r, same = F.p3_residuals(inst, sign=float(c["sign"]), average=bool(c["average"]))
    slope, _ = F.loglog_slopes(inst.etas, r)
    assert same and abs(slope - 2.0) > P3_SLOPE_TOL  # still refutes the first-order identity


@pytest.mark.theorem("G1")
@pytest.mark.parametrize("case", load_cases("G1"), ids=lambda c: c["path"].rsplit("/", 1)[-1])
def test_replay_g1_case(case) -> None:
    c = case["case"]
    if c.get("network") == "relu(x - 1)":
        net = CPANetwork.from_arrays([np.array([[1.0]]), np.array([[1.0]])], [np.array([-1.0]), None])
        X = np.array([[float(c["x"])]])
        eps = float(c["eps"])
        model = net.to_sequential()
    else:
        net, model = _random_cpa(int(c["seed"]))
        X, eps = np.asarray(c["points"], dtype=float), float(c["eps"])
    _, b = region_maps(net, X)
    bf = G.offset_fd(model, torch.as_tensor(X), eps).detach().numpy()
    assert np.max(np.abs(bf - b)) > matmul_tol(3, 12) * (1 + np.abs(b).max())
