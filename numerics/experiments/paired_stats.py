"""Paired effect sizes with exact confidence intervals: the Hodges-Lehmann estimator of a paired difference.

For paired differences d_1..d_n the Walsh averages are (d_i + d_j) / 2 for i <= j (N = n(n+1)/2 of
them). The Hodges-Lehmann estimate is their median. Under the null (d symmetric about 0, continuous)
the Wilcoxon signed-rank statistic T+ = sum of the ranks of |d_i| over d_i > 0 takes each value t in
0..N with probability count(t) / 2^n, count(t) = number of subsets of {1..n} summing to t (computed
exactly by :func:`signed_rank_counts`). With C = the largest c such that P(T+ <= c - 1) <= alpha / 2,
the interval [W_(C), W_(N + 1 - C)] of the sorted Walsh averages has coverage >= 1 - alpha for the
centre of symmetry (Hollander & Wolfe, Nonparametric Statistical Methods, section 3.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def signed_rank_counts(n: int) -> list[int]:
    """count[t] = number of subsets of {1, ..., n} with sum t, t = 0..n(n+1)/2 (exact integers)."""
    if n < 0:
        raise ValueError("n must be >= 0")
    N = n * (n + 1) // 2
    counts = [1] + [0] * N
    for r in range(1, n + 1):
        for t in range(N, r - 1, -1):
            counts[t] += counts[t - r]
    return counts


def signed_rank_cdf(n: int, t: int) -> float:
    """P(T+ <= t) under the null for n non-zero, untied differences."""
    counts = signed_rank_counts(n)
    if t < 0:
        return 0.0
    return sum(counts[: t + 1]) / 2**n


def hl_critical_index(n: int, alpha: float) -> int:
    """C = the largest c >= 0 with P(T+ <= c - 1) <= alpha / 2 (0 when even c = 1 fails)."""
    if not 0 < alpha < 1:
        raise ValueError("alpha must be in (0, 1)")
    counts = signed_rank_counts(n)
    total, cum, c = 2**n, 0, 0
    for t, k in enumerate(counts):  # P(T+ <= t) = cum / total after adding counts[t]
        cum += k
        if cum / total <= alpha / 2:
            c = t + 1
        else:
            break
    return c


@dataclass(frozen=True)
class HodgesLehmann:
    """Hodges-Lehmann estimate of a paired difference and its (1 - alpha) interval (NaN when undefined)."""

    n: int
    estimate: float
    low: float
    high: float
    alpha: float


def hodges_lehmann(diff: np.ndarray, alpha: float = 0.05) -> HodgesLehmann:
    """Median of the Walsh averages of ``diff`` (NaNs dropped) and its exact distribution-free interval.

    The interval is (-inf, inf) when n is too small for the level (e.g. n <= 5 at alpha = 0.05)."""
    d = np.asarray(diff, dtype=np.float64).ravel()
    d = d[np.isfinite(d)]
    n = d.size
    if n == 0:
        return HodgesLehmann(0, math.nan, math.nan, math.nan, alpha)
    i, j = np.triu_indices(n)
    walsh = np.sort((d[i] + d[j]) / 2)
    c = hl_critical_index(n, alpha)
    if c == 0:
        low, high = -math.inf, math.inf
    else:
        low, high = float(walsh[c - 1]), float(walsh[walsh.size - c])
    return HodgesLehmann(n, float(np.median(walsh)), low, high, alpha)


__all__ = ["HodgesLehmann", "hl_critical_index", "hodges_lehmann", "signed_rank_cdf", "signed_rank_counts"]
