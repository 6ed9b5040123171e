"""P3: centroid dynamics equal kernel dynamics to first order; planted and boundary variants refuted."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from normalign.numerics.maths import dynamics as F
from normalign.numerics.tolerances import P3_SLOPE_TOL


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.theorem("P3")
def test_centroid_dot_is_f_for_bias_free_scalar() -> None:
    """P2 underneath P3: <mu_x0, x0> (engine) = f(x0) (torch) for bias-free scalar nets."""
    inst = F.p3_instance(3)
    x0 = inst.x0.numpy()
    with torch.no_grad():
        f = float(inst.model(inst.x0[None]))
    assert F.centroid_dot(inst.model, x0) == pytest.approx(f, rel=1e-12, abs=1e-12)


@pytest.mark.theorem("P3")
def test_p3_residual_quarters_when_eta_halves() -> None:
    inst = F.p3_instance(7)
    r, same = F.p3_residuals(inst)
    assert same
    slope, local = F.loglog_slopes(inst.etas, r)
    assert abs(slope - 2.0) <= P3_SLOPE_TOL
    assert np.all(np.abs(r[:-1] / r[1:] - 4.0) <= 4.0 * (2**P3_SLOPE_TOL - 1))


@pytest.mark.theorem("P3")
def test_bce_step_rejects_bad_labels() -> None:
    inst = F.p3_instance(0)
    with pytest.raises(ValueError):
        F.bce_gradient_step(inst.model, inst.X, 2 * inst.y - 1, 0.1)
