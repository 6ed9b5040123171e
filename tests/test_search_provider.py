"""The optimise engine's start distribution and start choice, each tested on its own against an
independent oracle (review of 2026-12-01: SMALL_SCOPE set to 0, the arcsine law replaced by the uniform
one, and the climb started from the worst start each passed the seeded example-count tests)."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import strategies as st
from scipy import stats

from normalign import property as P
from normalign.conjecture import Conjecture

N = 2000


def _starts(strategy, n: int = N, seed: int = 0) -> list:
    """``n`` examples drawn as the optimise engine draws its starts (seeded)."""
    from hypothesis.internal.conjecture.data import ConjectureData

    rnd, out = random.Random(seed), []
    for _ in range(n):
        ok, example = P._draw(strategy, ConjectureData(random=rnd, provider=P._spread_provider()))
        assert ok
        out.append(example)
    return out


def _plain(strategy, n: int = N, seed: int = 0) -> list:
    from hypothesis.internal.conjecture.data import ConjectureData

    rnd = random.Random(seed)
    return [P._draw(strategy, ConjectureData(random=rnd))[1] for _ in range(n)]


def test_integer_choices_are_their_simplest_value_with_probability_small_scope() -> None:
    """P(the lower bound) >= SMALL_SCOPE for an integer choice (binomial: 2000 draws, 4 sigma below);
    hypothesis' own draws hit it far less often, so the test sees the provider, not hypothesis."""
    ints = st.integers(3, 50)
    share = np.mean(np.array(_starts(ints)) == 3)
    plain = np.mean(np.array(_plain(ints)) == 3)
    sigma = np.sqrt(P.SMALL_SCOPE * (1 - P.SMALL_SCOPE) / N)
    assert plain < P.SMALL_SCOPE / 2, plain
    assert share >= P.SMALL_SCOPE - 4 * sigma, (share, plain)


def test_bounded_float_choices_follow_the_arcsine_law() -> None:
    """Starts of a float in [0, 1] follow Beta(SPREAD, SPREAD) (scipy's Kolmogorov-Smirnov test against
    scipy.stats.beta, an independent implementation); the uniform law is rejected on the same draws'
    sample size (the test can fail)."""
    x = np.array(_starts(st.floats(0.0, 1.0)))
    assert stats.kstest(x, stats.beta(P.SPREAD, P.SPREAD).cdf).pvalue > 1e-3
    assert stats.kstest(x, "uniform").pvalue < 1e-6


def test_the_climb_starts_from_the_best_start(monkeypatch) -> None:
    """``_optimise`` climbs from the start with the highest residual, with that residual as r0 (planted:
    ``min`` for ``max`` passed every other test)."""
    seen: list[float] = []

    def residual(x: float) -> float:
        seen.append(float(x))
        return float(x) - 10.0  # never violated

    conj = Conjecture(id="T1", name="line", strategy=st.floats(0.0, 1.0), tol=0.0, residual=residual)
    climbs: list[tuple[float, float]] = []

    def fake_climb(conj, count, examples, data, r0):
        from hypothesis.internal.conjecture.data import ConjectureData

        again = P._draw(conj.strategy, ConjectureData.for_choices(tuple(data.choices)))[1] - 10.0
        climbs.append((r0, again))
        raise StopIteration

    monkeypatch.setattr(P, "DRAW_EVERY", 10 ** 9)  # starts only: every evaluation before the climb is a start
    monkeypatch.setattr(P, "_climb", fake_climb)
    count = P._Counter(conj, None, None)
    assert P._optimise(conj, count, 1000, random.Random(0)) is None
    (r0, again), = climbs
    best = max(seen[:P.SCREEN]) - 10.0
    assert len(seen) == P.SCREEN and r0 == best and again == pytest.approx(best), (r0, again, seen)
