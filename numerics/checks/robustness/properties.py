"""Property checks of T2(a): no J with J x = v has a robust radius above the bound."""

from __future__ import annotations

import numpy as np
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.tolerances import CLOSED_FORM_TOL

from normalign import strategies as S
from normalign.checks import Budget, CheckResult
from normalign.conjecture import conjecture

# ------------------------------------------------------------------------------------- residuals


@conjecture(id="T2", strategy=S.robust_cases(), tol=CLOSED_FORM_TOL)
def t2a_radius_bound(case: dict) -> float:
    """T2(a) radius bound.

    (rho(J) - bound) / bound for J = v x^T / ||x||^2 + N_perp (J x = v); must be <= tol."""
    x, v, b, N, y = case["x"], case["v"], case["b"], case["N"], case["y"]
    Np = N - np.outer(N @ x, x) / float(x @ x)
    J = np.outer(v, x) / float(x @ x) + Np
    bound = mn.robust_bound(x, v, v + b, y)
    return (mn.robust_radius(J, b, x, y) - bound) / bound


def property_t2a(budget: Budget) -> CheckResult:
    """T2(a): every J with J x = v has robust radius <= ||x|| min_k (z_y - z_k) / |v_y - v_k|."""
    return t2a_radius_bound.check(budget)
