"""Registry checks of D4, P3 and P4: regimes, centroid dynamics against the NTK, and feature learning."""

from __future__ import annotations

import math

import numpy as np
from normalign.numerics import tolerances as tol
from normalign.numerics.engine.threads import single_threaded

# ============================================================================ P3
from normalign.numerics.maths.dynamics import (
    LAZY,
    RICH,
    loglog_slopes,
    mean_ci,
    p3_instance,
    p3_residuals,
    p4_sweep,
    paired_lower_bound,
)

from normalign.checks import Budget, CheckResult, Outcome, verdict


@single_threaded
def _p3_check(budget: Budget, *, sign: float = 1.0, average: bool = True, bias: bool = False,
              what: str = "P3") -> CheckResult:
    k = budget.n(3, 20)
    devs, cases, slopes, skipped = [], [], [], 0
    for i in range(k):
        inst = p3_instance(budget.seed * 1000 + i, bias=bias)
        r, same = p3_residuals(inst, sign=sign, average=average)
        if not same:
            skipped += 1
            continue
        slope, local = loglog_slopes(inst.etas, r)
        slopes.append(slope)
        devs.append(max(abs(slope - 2.0), float(np.max(np.abs(local - 2.0)))))
        cases.append({"seed": budget.seed * 1000 + i, "etas": inst.etas, "residuals": r, "slope": slope,
                      "local_slopes": local, "bias": bias, "sign": sign, "average": average})
    if not devs:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"{what}: x0 changed region in every instance")
    detail = (f"{what}: |log-log slope of |actual - predicted| vs eta - 2| (fitted and every halving), "
              f"{len(devs)} instances, slopes {np.round(slopes, 3).tolist()}, {skipped} skipped (region change)")
    return verdict(devs, tol.P3_SLOPE_TOL, detail=detail, counterexample=lambda j: cases[j])


def check_p3_second_order(budget: Budget) -> CheckResult:
    """P3: the residual of the first-order prediction is O(eta^2) (slope 2; halving eta quarters it)."""
    return _p3_check(budget)


def planted_p3_wrong_sign(budget: Budget) -> CheckResult:
    """Planted: prediction ``-eta mean_i Theta (y_i - sigma_i)`` (descent direction flipped)."""
    return _p3_check(budget, sign=-1.0, what="planted P3 (wrong sign)")


def planted_p3_missing_mean(budget: Budget) -> CheckResult:
    """Planted: prediction with ``sum_i`` instead of ``mean_i`` (a missing factor 1/n)."""
    return _p3_check(budget, average=False, what="planted P3 (sum, missing 1/n)")


def boundary_p3_with_bias(budget: Budget) -> CheckResult:
    """Boundary: with biases ``<mu_x0, x0> = J x0 = f(x0) - b_x0 != f(x0)``: the NTK of f mispredicts
    the centroid's change at first order (the offset moves too)."""
    return _p3_check(budget, bias=True, what="P3 with biases")


def _sweep_for(budget: Budget) -> dict[str, dict[str, np.ndarray]]:
    """Quick: 5 seeds, width 32, 2000 steps; full: 10 seeds, width 128, 4000 steps (d = 200, n = 20)."""
    if budget.full:
        return p4_sweep(seeds=10, steps=4000, width=128)
    return p4_sweep(seeds=5, steps=2000, width=32)


def _ordering(sweep: dict[str, dict[str, np.ndarray]], metric: str, high: tuple[str, ...],
              low: tuple[str, ...], what: str) -> CheckResult:
    """Every regime of ``high`` above every regime of ``low`` in ``metric``: the paired (same seeds)
    one-sided lower confidence bound of the difference, at false-alarm rate ``P4_ALPHA``, must be > 0.
    The residual reported is minus the smallest lower bound (<= 0 when the ordering holds)."""
    bounds, cases = [], []
    for h in high:
        for l in low:
            lb = paired_lower_bound(sweep[h][metric], sweep[l][metric], tol.P4_ALPHA)
            bounds.append(-lb)
            cases.append({"high": h, "low": l, "metric": metric, "lower_bound": lb,
                          "high_values": sweep[h][metric], "low_values": sweep[l][metric]})
    stats = "; ".join(f"{lab}: {mean_ci(sweep[lab][metric])[0]:.3f} [{mean_ci(sweep[lab][metric])[1]:.3f}, "
                      f"{mean_ci(sweep[lab][metric])[2]:.3f}]" for lab in high + low)
    seeds = len(next(iter(sweep.values()))[metric])
    return verdict(bounds, 0.0, instances=seeds,
                   detail=f"{what}: -(paired one-sided {1 - tol.P4_ALPHA:.4g} lower bound of {metric} "
                   f"difference), {seeds} seeds; mean [95% CI]: {stats}",
                   counterexample=lambda j: cases[j])


def check_p4_span_ordering(budget: Budget) -> CheckResult:
    """P4: the fraction of ||J_{x_i}||_F^2 in span(X) is higher in the rich and weight-decay regimes
    than in both lazy controls (paired t lower bound > 0 at alpha = P4_ALPHA)."""
    return _ordering(_sweep_for(budget), "span_fraction", RICH, LAZY, "P4 span fraction")


def check_p4_alignment_ordering(budget: Budget) -> CheckResult:
    """P4: normal alignment NA (= |CA| for scalar output) rises with feature learning: rich and
    weight decay above both lazy controls."""
    return _ordering(_sweep_for(budget), "normal_alignment", RICH, LAZY, "P4 normal alignment")


def check_p4_lazy_chance(budget: Budget) -> CheckResult:
    """P4: in the lazy regimes the span fraction stays near the chance level n/d: the 95% t-interval
    of the mean lies inside n/d (1 +- P4_CHANCE_BAND)."""
    sweep = _sweep_for(budget)
    chance = 20 / 200
    res, texts = [], []
    for lab in LAZY:
        m, lo, hi = mean_ci(sweep[lab]["span_fraction"])
        res.append(max(abs(lo - chance), abs(hi - chance)) / chance)
        texts.append(f"{lab}: {m:.4f} [{lo:.4f}, {hi:.4f}]")
    return verdict(res, tol.P4_CHANCE_BAND, instances=len(sweep[LAZY[0]]["span_fraction"]),
                   detail=f"P4 lazy ~ n/d = {chance}: relative distance of the 95% CI ends from n/d; "
                   + "; ".join(texts))


def check_p4_span_identity(budget: Budget) -> CheckResult:
    """P4's mechanism, exactly: ``W_1(T) - (1 - lr wd)^T W_1(0)`` has no component outside span(X)
    (relative to ||W_1(T)||), in every run of every regime."""
    sweep = _sweep_for(budget)
    r = np.concatenate([m["span_identity_residual"] for m in sweep.values()])
    return verdict(r, tol.P4_SPAN_IDENTITY_TOL, detail="P4: ||(W1(T) - decay W1(0)) P_perp||_F / ||W1(T)||_F")


def planted_p4_lazy_above_rich(budget: Budget) -> CheckResult:
    """Planted: 'the lazy regimes concentrate ||J||_F^2 in span(X) more than the rich ones'."""
    return _ordering(_sweep_for(budget), "span_fraction", LAZY, RICH, "planted P4 (lazy above rich)")


def check_d4_ntk_ordering(budget: Budget) -> CheckResult:
    """D4: the relative change of the NTK (over the trained parameters) is larger in the rich regime
    (small init) than in the lazy one (large init), paired over seeds."""
    return _ordering(_sweep_for(budget), "ntk_change_trained", ("rich (small init)",), ("lazy (large init)",),
                     "D4 relative NTK change")


def check_d4_last_layer_frozen_kernel(budget: Budget) -> CheckResult:
    """D4: training only the last layer leaves the NTK of the trained parameters exactly unchanged
    (it is the Gram matrix of the fixed features relu(W_1 x)): relative change at rounding level."""
    sweep = _sweep_for(budget)
    r = sweep["lazy (last layer only)"]["ntk_change_trained"]
    return verdict(r, tol.rel_tol(200 * 64), detail="D4: ||Theta_T - Theta_0||_F / ||Theta_0||_F, trained "
                   "parameters = last layer (features of width <= 256 over d = 200: work 200 * 64)")


def planted_d4_small_init_lazy(budget: Budget) -> CheckResult:
    """Planted: 'small initialisation is the lazy regime' (its NTK changes less than at large init)."""
    return _ordering(_sweep_for(budget), "ntk_change_trained", ("lazy (large init)",), ("rich (small init)",),
                     "planted D4 (small init lazy)")
