"""Property checks of L1, T1, T1', T2 (numpy oracles, hypothesis search) and planted-false variants.

Each property is a residual function of one drawn case (strategies in ``normalign.strategies``); a
check asks ``normalign.property.search`` for a case whose residual exceeds the tolerance. None found: VERIFIED
(with the worst residual seen); found: REFUTED with the shrunk case. The planted variants use the same
machinery with a deliberately wrong claim and must be refuted.
"""

from __future__ import annotations

import math

import numpy as np
from normalign.numerics.maths import minnorm as mn
from normalign.numerics.tolerances import CLOSED_FORM_TOL

from normalign import strategies as S
from normalign.checks import Budget, CheckResult
from normalign.property import search

# ------------------------------------------------------------------------------------- residuals


def l1_residual(case: dict) -> float:
    """L1: for W = W0 + N_perp (W0 the closed form, N_perp x~ = 0): W a = z, Pythagoras
    ||W||^2 = ||W0||^2 + ||N_perp||^2 and ||W0||^2 = ||z||^2 / ||a||^2; each relative to the scale of the
    terms computed (||W0||^2 + ||N||^2, resp. (||W0|| + ||N||) ||a|| + ||z||), not of the result."""
    x, z, N, bias = case["x"], case["z"], case["N"], case["bias"]
    a = np.append(x, 1.0) if bias else x
    W0 = mn.minnorm_map(x, z, bias)
    Np = N - np.outer(N @ a, a) / float(a @ a)
    W = W0 + Np
    # scales of the computation (not of its result, which may be ~0 by cancellation)
    sq_scale = float(np.sum(W0 * W0)) + float(np.sum(N * N)) + 1e-300
    lin_scale = (float(np.linalg.norm(W0)) + float(np.linalg.norm(N))) * float(np.linalg.norm(a)) \
        + float(np.linalg.norm(z)) + 1e-300
    r1 = abs(float(np.sum(W * W)) - float(np.sum(W0 * W0)) - float(np.sum(Np * Np))) / sq_scale
    r2 = float(np.linalg.norm(W @ a - z)) / lin_scale
    r3 = abs(float(np.sum(W0 * W0)) - mn.minnorm_value(x, z, bias)) / (float(np.sum(W0 * W0)) + 1e-300)
    return max(r1, r2, r3)


def ball_point(case: dict) -> np.ndarray:
    u = np.asarray(case["u"], dtype=np.float64)
    nu = float(np.linalg.norm(u))
    return np.zeros_like(u) if nu == 0 else case["t"] * case["R"] * u / nu


def t1_ball_residual(case: dict) -> float:
    """T1(c)/(d)/logistic: (closed-form optimum - l(z)) / (1 + R) for z in the ball; must be <= tol."""
    z = ball_point(case)
    return (mn.optimal_loss(case["loss"], case["c"], case["R"]) - mn.loss_value(case["loss"], z, case["y"])) \
        / (1 + case["R"])


def planted_t1c_residual(case: dict) -> float:
    """Planted: claimed optimum log(1 + (c-1) exp(-R sqrt((c-1)/c))) as a lower bound of CE on the ball.

    Any feasible point with a lower loss refutes the bound. Besides the drawn ball point, the point
    z = R (e_y - 1/c) / ||e_y - 1/c|| is tried (its norm and loss recomputed here, directly): the drawn
    points alone reach the narrow violating set only by luck, which made this planted check flaky."""
    c, R, y = case["c"], case["R"], case["y"]
    claimed = math.log1p((c - 1) * math.exp(-R * math.sqrt((c - 1) / c)))
    d = -np.full(c, 1.0 / c)
    d[y] += 1.0
    z = R * d / float(np.linalg.norm(d))
    assert float(np.linalg.norm(z)) <= R * (1 + 4 * np.finfo(float).eps)  # feasible
    best = min(mn.loss_value("ce", ball_point(case), y), mn.loss_value("ce", z, y))
    return (claimed - best) / (1 + R)


def rank_one_logits(case: dict) -> np.ndarray:
    u, v, x = case["u"], case["v"], case["x"]
    return case["alpha"] * u * float(v @ x) / (float(np.linalg.norm(u)) * float(np.linalg.norm(v)))


def t1p_residual(case: dict) -> float:
    """T1': (opt of the ball with R = alpha ||x|| - CE(u v^T x)) / (1 + R) for ||u|| ||v|| = alpha."""
    R = case["alpha"] * float(np.linalg.norm(case["x"]))
    return (mn.optimal_loss("ce", case["c"], R) - mn.loss_value("ce", rank_one_logits(case), case["y"])) / (1 + R)


def planted_t1p_residual(case: dict) -> float:
    """Planted: the rank-one optimum with R = alpha (||x|| forgotten) as a lower bound."""
    R = case["alpha"]
    return (mn.optimal_loss("ce", case["c"], R) - mn.loss_value("ce", rank_one_logits(case), case["y"])) / (1 + R)


def property_l1(budget: Budget) -> CheckResult:
    """L1 on hypothesis-drawn (x, z, N): the closed form is feasible, has value ||z||^2/||a||^2, and every
    other feasible W = W0 + N_perp costs exactly ||N_perp||^2 more."""
    return search(S.minnorm_cases(), l1_residual, CLOSED_FORM_TOL, budget, "L1 Pythagoras and value")


def property_t1_ball(budget: Budget) -> CheckResult:
    """T1(c), T1(d), logistic: no point of the logit ball has loss below the closed-form optimum."""
    return search(S.logit_ball_cases(), t1_ball_residual, CLOSED_FORM_TOL, budget,
                  "T1: no logits in the ball beat the closed form")


def planted_property_t1c_constant(budget: Budget) -> CheckResult:
    """Planted false: T1(c) loss with sqrt((c-1)/c): claimed as a lower bound; expected refuted."""
    return search(S.logit_ball_cases(losses=("ce",)), planted_t1c_residual, CLOSED_FORM_TOL, budget,
                  "planted T1(c) with sqrt((c-1)/c)", examples=(400, 1000))


def property_t1p(budget: Budget) -> CheckResult:
    """T1': no rank-one J = u v^T with ||u|| ||v|| = alpha beats the ball optimum with R = alpha ||x||."""
    return search(S.rank_one_cases(), t1p_residual, CLOSED_FORM_TOL, budget, "T1' rank-one lower bound")


def planted_property_t1p_no_x(budget: Budget) -> CheckResult:
    """Planted false: the rank-one bound with R = alpha (||x|| forgotten); expected refuted."""
    return search(S.rank_one_cases(), planted_t1p_residual, CLOSED_FORM_TOL, budget, "planted T1' with R = alpha")
