"""The conjecture runner: search for an example whose residual exceeds the tolerance, then shrink it.

:func:`run_chunk` is one reproducible unit of search: ``examples`` residual evaluations of one
:class:`~normalign.conjecture.Conjecture`, seeded by ``seed``, with one of the engines

- ``random``: hypothesis generation (``hypothesis.find``), then hypothesis' shrinker;
- ``targeted``: the same, steered by ``hypothesis.target(residual)`` (hypothesis hill-climbs the
  choices of the examples with the highest residual once half the budget is spent);
- ``optimise``: rounds of SCREEN starts, each a draw from the strategy with integer choices (e.g.
  dimensions) pulled to their simplest value with probability SMALL_SCOPE and bounded float choices
  from the arcsine law on their bounds (SPREAD); after every DRAW_EVERY-th start a plain hypothesis draw
  is evaluated too. From the best start, Nelder-Mead maximises the residual over the *float choices*
  hypothesis made to draw the example (bounded by each choice's own bounds; the integer and boolean
  choices stay fixed), so every point tried is an example the strategy can produce, its filters and
  hypotheses included (the falsification-by-optimisation of S-TaLiRo and Breach, on hypothesis' choice
  sequence). A climb ends at 20 + 10 k evaluations (k float choices) or when it stalls, then the next
  round starts. Every residual evaluation, the optimiser's included, counts as an example. A violation
  is handed to hypothesis' shrinker through an in-memory example database;
- ``crosshair``: hypothesis with the ``hypothesis-crosshair`` backend (symbolic execution; only when
  that optional package is installed).

Every counterexample is shrunk, turned into its JSON case (``Conjecture.case``) and *re-checked*: the
residual is recomputed from the JSON case (``Conjecture.replay``); a case that does not reproduce is
reported, never returned as found. A NaN residual is a violation. ``normalign.search`` splits a search
into chunks over sub-seeds (same seed, same counterexamples, however many workers run them), and
``Conjecture.check`` is one chunk of the ``random`` engine (the registry's property checks).
"""

from __future__ import annotations

import functools
import math
import random
import threading
import time
import unittest
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from normalign.checks import CheckResult, Outcome

if TYPE_CHECKING:
    from normalign.conjecture import Conjecture

ENGINES: tuple[str, ...] = ("random", "targeted", "optimise", "crosshair")

SCREEN: int = 12
"""Starts per round of the optimise engine; the climb starts from the one with the highest residual.
Each start is one draw with the provider of ``_spread_provider``: integer choices pulled to their
simplest value (SMALL_SCOPE), bounded float choices from the arcsine law on their bounds (SPREAD), where
hypothesis' own float draws sit on a bound or at 0 most of the time, where a residual is often flat
(R = 0 or t = 0 in T1's ball). After every DRAW_EVERY-th start, a plain hypothesis draw is evaluated too.

Tuned on the seed prefix "tune" only (benchmarks/bench_search.py's protocol: chunks of 100 with
sub-seeds, every evaluation counted), medians (means) over 100 seeds of the examples to the first
counterexample of planted_t1c_constant_drawn_only / planted_t1p_no_x / t2a_always_in_region /
planted_p1_no_sum, with an earlier implementation of the same start distribution (a plain draw made
smaller and its floats re-drawn, three draws a start): the previous engine (4 starts, uniform re-draws,
every draw also evaluated as drawn) 16 (17.5) / 6 (9.2) / 2 (4.0) / 5 (10.7); SCREEN 4: 7 (12.0) / 3 (4.2)
/ 4 (27.6) / 4 (16.4); 6: 6 (10.4) / 3 (3.9) / 4 (15.9) / 4 (9.5); 8: 6 (9.7) / 3 (4.1) / 4 (11.9) / 4 (8.0);
12: 6 (9.7) / 3 (4.2) / 4 (7.7) / 4 (5.9); 16: 6 (9.5) / 3 (4.3) / 4 (6.5) / 4 (5.7). Without SMALL_SCOPE:
13 (19.9) / 4 / 1 (1.9) / 2 (5.3); uniform re-draws (SPREAD 1): 10 (10.9) / 4 / 4 / 4.5 (SCREEN 6). These
medians are noisy: on 200 tuning seeds the same engine needs 9 (11.3) on the first, and this
implementation (one draw a start, the same distribution: 8.8% against 9.2% of 4,000 starts violate, the
same share of each c) 10 (11.8); 9.5 (11.7) / 4 (5.1) / 4 (7.0) / 4 (6.5) on the first 100. Plain
generation needs 95 on the first 25 tuning seeds. On this thin set the Nelder-Mead climb adds little at
the median (sampling alone: 9 against 9.5 in an earlier variant): it is found by the starts; the climb is
kept for residuals that grow smoothly towards a violation (planted_t1p_no_x; tests/test_search.py's
bowl, which no start reaches)."""

SMALL_SCOPE: float = 0.5
"""Probability with which each integer choice of a start (a dimension, a number of layers or points, an
index into ``sampled_from``) is its simplest value (hypothesis' shrink target, usually the lower bound).
The small-scope hypothesis (Jackson, Alloy): most counterexamples have small instances, and in few
dimensions a violating set takes a larger share of the box (T1(c)'s planted constant: 12% of uniform
ball points violate at c = 2, 2.5% at c = 3, 0.1% at c = 5). Larger instances are still drawn half the
time, per choice, and the plain draws (DRAW_EVERY) are hypothesis' own: variants that need larger
instances (t2a_always_in_region, planted_p1_no_sum) pay for this (see SCREEN: 4 examples instead of 1
and 2); 0.75 did worse on those (6.5, 4) and no better on T1(c) (6, mean 9.1)."""

SPREAD: float = 0.5
"""A float choice with finite bounds is drawn as lo + (hi - lo) B with B ~ Beta(SPREAD, SPREAD): SPREAD 1
is uniform, 1/2 the arcsine law, whose mass is pushed towards both bounds (the corners of Breach's
first samples are the limit SPREAD -> 0) without leaving the interior. Claims are tightest at the edges
of their domain (the boundary of the ball, the largest radius, an extreme weight): on T1(c)'s planted
constant 5.2% of arcsine re-draws violate against 3.8% of uniform ones and 2.4% of hypothesis' own
draws (4,000 draws each, no SMALL_SCOPE); on the medians see SCREEN (0.3 and 0.7 did worse than 0.5 on
50 tuning seeds)."""

DRAW_EVERY: int = 3
"""After every DRAW_EVERY-th start, a plain hypothesis draw is evaluated too: hypothesis' draws are rich
in zeros, bounds and simple values, where measure-zero violations such as 1^T u = 0 (P1 without its
hypothesis) live, and which the arcsine law never hits. In the first chunk (index 0) the second of
them is hypothesis' simplest example (every choice at its simplest, the example plain generation tries
first): a violation at 0 or at the smallest instance is then found at evaluation 2 DRAW_EVERY + 2 (as
the first one: t2a_always_in_region 4 -> 7, its plain draws violate often). Tuning (SCREEN 6, the
earlier implementation, as in SCREEN's docstring): DRAW_EVERY 2: 7 / 3 / 3 / 4, 3: 6 / 3 / 4 / 4, 4:
6 / 3 / 5 / 5."""

SHRINK_LIMIT: int = 1000
"""max_examples of the shrinking run of the optimise engine (hypothesis stops shrinking at its limit)."""

SHRINK_EVALS: int = 100
"""Residual evaluations a shrink may spend after the first violation (every engine). Past it, a new
example counts as not violating; the verdict of every choice sequence already evaluated is remembered,
so hypothesis' final replay of the smallest violation is consistent."""

SHRINK_STEPS: int = 50
"""Successful shrinks (each a strictly simpler violation) after which hypothesis' shrinker stops (its
own limit is 500). Most of a shrink's cost is hypothesis drawing candidate examples that do not
violate (about 10 ms each for a network), so this, not SHRINK_EVALS, bounds the time. Measured on the
registry's planted network checks (warm, at load 4 on 2 cores): the three slowest went from about 5 s
to 0.5-0.7 s, the 19 planted and boundary conjectures from 34 s to 16 s, with shrunk cases 10-40% larger
(JSON). Deterministic (a count, not a clock), so a seed still gives the same counterexample everywhere."""

STEP: float = 0.5
"""Nelder-Mead's first simplex: each float choice moved by STEP times its range."""

STALL: int = 5
"""A climb stops after STALL + 2 * (number of float choices) evaluations without improvement."""

OnExample = Callable[[float], None]
"""Called with each residual evaluated (progress bars)."""


@dataclass
class ChunkResult:
    """What one chunk found. ``best`` is the largest residual seen (``inf`` for NaN); ``first_at`` and
    ``first_seconds`` the examples and seconds spent when the first violation was seen (before
    shrinking); ``case`` the shrunk JSON case with its re-checked ``residual`` (None: nothing found);
    ``note`` why a violation was not returned (it did not reproduce from its JSON case)."""

    index: int
    seed: int | str
    engine: str
    examples: int = 0
    best: float = -math.inf
    seconds: float = 0.0
    first_at: int | None = None
    first_seconds: float | None = None
    case: dict[str, Any] | None = None
    residual: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class _Counter:
    """Residual evaluations of one chunk: counts, best so far, first violation, time budget."""

    def __init__(self, conj: Conjecture, on_example: OnExample | None, deadline: float | None) -> None:
        self.conj, self.on_example, self.deadline = conj, on_example, deadline
        self.n, self.best, self.t0 = 0, -math.inf, time.monotonic()
        self.first_at: int | None = None
        self.first_seconds: float | None = None

    def out_of_time(self) -> bool:
        return self.deadline is not None and self.first_at is None and time.time() > self.deadline

    def __call__(self, example: Any) -> float:
        r = self.conj(example)
        self.n += 1
        self.best = max(self.best, math.inf if math.isnan(r) else r)
        if self.conj.violated(r) and self.first_at is None:
            self.first_at, self.first_seconds = self.n, time.monotonic() - self.t0
        if self.on_example is not None:
            self.on_example(r)
        return r


class _Violates:
    """The predicate hypothesis shrinks on: ``conj.violated(count(example))``, remembered per choice
    sequence, with at most SHRINK_EVALS new evaluations after the first violation (see SHRINK_EVALS) and
    none once the time is out. ``steer``: report the residual to ``hypothesis.target``."""

    def __init__(self, conj: Conjecture, count: _Counter, steer: bool = False) -> None:
        self.conj, self.count, self.steer = conj, count, steer
        self.seen: dict[bytes, bool] = {}

    def __call__(self, example: Any) -> bool:
        from hypothesis import target
        from hypothesis.control import current_build_context
        from hypothesis.database import choices_to_bytes

        key = choices_to_bytes(current_build_context().data.choices)
        if key in self.seen:
            return self.seen[key]
        count = self.count
        if count.out_of_time() or (count.first_at is not None and count.n - count.first_at >= SHRINK_EVALS):
            return False
        r = count(example)
        if self.steer and math.isfinite(r):
            target(float(np.clip(r, -1e300, 1e300)), label="residual")
        self.seen[key] = v = self.conj.violated(r)
        return v


def _settings(max_examples: int, phases: list, database: Any = None, **kw: Any):
    from hypothesis import HealthCheck, settings

    return settings(max_examples=max_examples, database=database, deadline=None, phases=phases,
                    suppress_health_check=list(HealthCheck), **kw)


def _find(conj: Conjecture, count: _Counter, examples: int, rnd: random.Random, engine: str,
          shrink: bool = True) -> Any | None:
    """hypothesis.find for a violating example (random, targeted or crosshair generation)."""
    from hypothesis import Phase, find
    from hypothesis.errors import NoSuchExample

    steer = engine == "targeted"
    bad = _Violates(conj, count, steer)
    phases = [Phase.generate, Phase.target] if steer else [Phase.generate]
    phases += [Phase.shrink] if shrink else []
    extra = {"backend": "crosshair"} if engine == "crosshair" else {}
    try:
        return find(conj.strategy, bad, settings=_settings(examples, phases, **extra), random=rnd)
    except NoSuchExample:
        return None


# ------------------------------------------------------------------------------ optimise engine
class _Stalled(Exception):
    """Raised out of the optimiser when a climb has not improved for a while (next start)."""


class _Hit(Exception):
    """Raised out of the optimiser at the first violating choice sequence."""

    def __init__(self, choices: tuple) -> None:
        super().__init__()
        self.choices = choices


def _draw(strategy: Any, data: Any) -> tuple[bool, Any]:
    """Draw an example with a ConjectureData; (False, None) when the choices do not make one."""
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest, UnsatisfiedAssumption

    try:
        with BuildContext(data, wrapped_test=None):
            return True, data.draw(strategy)
    except (StopTest, UnsatisfiedAssumption):
        return False, None


@functools.cache
def _spread_provider() -> type:
    """The hypothesis provider (``PrimitiveProvider``) of the optimise engine's starts: each integer
    choice is its simplest value with probability SMALL_SCOPE (else hypothesis' own draw), each float
    choice with finite bounds lo + (hi - lo) B, B ~ Beta(SPREAD, SPREAD) (else hypothesis' own draw);
    booleans, strings and bytes as hypothesis draws them. One draw, so a start costs what a plain draw
    costs. (Hypothesis' provider interface, subclassing its default provider.)"""
    from hypothesis.internal.conjecture.choice import (
        choice_from_index,
        choice_permitted,
    )
    from hypothesis.internal.conjecture.providers import HypothesisProvider

    class SpreadProvider(HypothesisProvider):
        def draw_integer(self, min_value: int | None = None, max_value: int | None = None, *,
                         weights: dict[int, float] | None = None, shrink_towards: int = 0) -> int:
            if self._random.random() < SMALL_SCOPE:
                return choice_from_index(0, "integer", {"min_value": min_value, "max_value": max_value,
                                                        "weights": weights, "shrink_towards": shrink_towards})
            return super().draw_integer(min_value, max_value, weights=weights, shrink_towards=shrink_towards)

        def draw_float(self, *, min_value: float = -math.inf, max_value: float = math.inf, allow_nan: bool = True,
                       smallest_nonzero_magnitude: float) -> float:
            if math.isfinite(min_value) and math.isfinite(max_value):
                v = float(min_value + (max_value - min_value) * self._random.betavariate(SPREAD, SPREAD))
                v = min(max(v, min_value), max_value)
                if choice_permitted(v, {"min_value": min_value, "max_value": max_value, "allow_nan": allow_nan,
                                        "smallest_nonzero_magnitude": smallest_nonzero_magnitude}):
                    return v
            return super().draw_float(min_value=min_value, max_value=max_value, allow_nan=allow_nan,
                                      smallest_nonzero_magnitude=smallest_nonzero_magnitude)

    return SpreadProvider


def _optimise(conj: Conjecture, count: _Counter, examples: int, rnd: random.Random,
              simplest: bool = False) -> tuple | None:
    """Rounds of SCREEN starts (drawn with the provider of ``_spread_provider``; after every
    DRAW_EVERY-th, a plain hypothesis draw, the second of them hypothesis' simplest example when
    ``simplest``), then Nelder-Mead from the best start; the first violating choice sequence or None."""
    from hypothesis.internal.conjecture.choice import ChoiceTemplate
    from hypothesis.internal.conjecture.data import ConjectureData

    def budget_left() -> bool:
        return count.n < examples and not count.out_of_time()

    provider = _spread_provider()
    drawn = 0
    while budget_left():
        starts = []
        for _ in range(SCREEN):
            if not budget_left():
                break
            start = ConjectureData(random=rnd, provider=provider)
            ok, example = _draw(conj.strategy, start)
            if not ok:
                count.n += 1  # an invalid draw costs an example too (no endless loop on a strict filter)
            else:
                r = count(example)
                if conj.violated(r):
                    return tuple(start.choices)
                starts.append((r, count.n, start))
            drawn += 1
            if drawn % DRAW_EVERY == 0 and budget_left():
                if simplest and drawn == 2 * DRAW_EVERY:  # the second: hypothesis' simplest example
                    data = ConjectureData.for_choices((ChoiceTemplate("simplest", count=None),))
                else:
                    data = ConjectureData(random=rnd)
                ok, example = _draw(conj.strategy, data)
                if not ok:
                    count.n += 1
                elif conj.violated(count(example)):
                    return tuple(data.choices)
        if not starts:
            continue
        r, _, start = max(starts, key=lambda s: (s[0], -s[1]))
        try:
            _climb(conj, count, examples, start, r)
        except _Hit as hit:
            return hit.choices
        except StopIteration:
            break
    return None


def _climb(conj: Conjecture, count: _Counter, examples: int, data: Any, r0: float) -> None:
    """Nelder-Mead from one drawn example (its residual ``r0``, not evaluated again), maximising the
    residual over its float choices (each within its own bounds; the other choices fixed). Returns when
    the climb stalls or its evaluations are spent; raises _Hit at a violation, StopIteration when the
    budget or the time is out."""
    from hypothesis.internal.conjecture.data import ConjectureData
    from scipy.optimize import minimize

    choices = tuple(data.choices)
    slots = [i for i, node in enumerate(data.nodes) if node.type == "float"]
    if not slots:
        return
    lo = np.array([data.nodes[i].constraints["min_value"] for i in slots], dtype=np.float64)
    hi = np.array([data.nodes[i].constraints["max_value"] for i in slots], dtype=np.float64)
    x0 = np.array([choices[i] for i in slots], dtype=np.float64)
    best, since, patience = r0, 0, STALL + 2 * len(slots)

    def neg_residual(v: np.ndarray) -> float:
        nonlocal best, since
        if np.array_equal(np.clip(v, lo, hi), x0):  # the start: its residual is known
            return -r0
        if count.n >= examples or count.out_of_time():
            raise StopIteration
        if since > patience:
            raise _Stalled
        trial = list(choices)
        for i, val in zip(slots, np.clip(v, lo, hi)):
            trial[i] = float(val)
        ok, ex = _draw(conj.strategy, ConjectureData.for_choices(tuple(trial)))
        if not ok:
            return math.inf
        r = count(ex)
        if conj.violated(r):
            raise _Hit(tuple(trial))
        since = 0 if r > best else since + 1
        best = max(best, r)
        return -r

    span = np.where(np.isfinite(hi - lo), STEP * (hi - lo), STEP * np.maximum(1.0, np.abs(x0)))
    step = np.where(x0 + span <= hi, span, -span)  # STEP <= 0.5: one of the two stays within bounds
    simplex = np.vstack([x0, x0 + np.diag(step)])
    bounds = [(a if math.isfinite(a) else None, b if math.isfinite(b) else None) for a, b in zip(lo, hi)]
    try:
        minimize(neg_residual, x0, method="Nelder-Mead", bounds=bounds,
                 options={"maxfev": min(examples - count.n, 20 + 10 * len(slots)), "initial_simplex": simplex,
                          "xatol": 0.0, "fatol": 0.0})
    except _Stalled:
        return


def _shrink(conj: Conjecture, count: _Counter, choices: tuple, rnd: random.Random) -> Any | None:
    """Hand a violating choice sequence to hypothesis' shrinker (replayed from the secondary corpus of an
    in-memory example database, then shrunk); None when it does not reproduce."""
    from hypothesis import Phase, find
    from hypothesis.database import InMemoryExampleDatabase, choices_to_bytes
    from hypothesis.errors import NoSuchExample

    db, key = InMemoryExampleDatabase(), b"normalign-optimise"
    db.save(key + b".secondary", choices_to_bytes(choices))  # secondary: replayed, then shrunk (primary
    # entries count as shrunk already and are only replayed)
    cfg = _settings(SHRINK_LIMIT, [Phase.reuse, Phase.shrink], database=db)
    try:
        with _seeded_hypothesis(rnd):
            return find(conj.strategy, _Violates(conj, count), settings=cfg, database_key=key)
    except (NoSuchExample, unittest.SkipTest):  # SkipTest: the replay was not a violation (nothing ran)
        return None


@contextmanager
def _seeded_hypothesis(rnd: random.Random) -> Iterator[None]:
    """Seed hypothesis' per-thread random for one run. Some shrink passes draw random numbers, and the
    usual ways to seed a run (``find(random=...)``, ``@seed``, ``derandomize``) also switch the example
    database off, which the shrinking run needs. (Hypothesis internals; unseeded where they differ.)"""
    try:
        from hypothesis.core import threadlocal
        old = threadlocal._hypothesis_global_random
    except (ImportError, AttributeError):
        yield
        return
    threadlocal._hypothesis_global_random = random.Random(rnd.getrandbits(64))
    try:
        yield
    finally:
        threadlocal._hypothesis_global_random = old


@contextmanager
def _reproducible_generation() -> Iterator[None]:
    """Hypothesis mixes into generation constants read from every *local* module in ``sys.modules``
    (its "local constants"), so the same seed draws different examples depending on what happens to be
    imported (a residual's lazy import mid-search, pytest's test modules, a fresh worker process). Inside
    this context the pool is empty: a seed means the same examples everywhere. Hypothesis also caches
    the constants it may draw per choice type (``CONSTANTS_CACHE``, filled the first time a type is
    drawn): a cache filled earlier in the process, outside this context, would bring the local constants
    back, so inside it the search uses a cache of its own. (Hypothesis internals; a no-op where they
    differ.)"""
    try:
        from hypothesis.internal.conjecture import providers
        empty = type(providers._local_constants)()
        original = providers._get_local_constants
        original_cache = providers.CONSTANTS_CACHE
    except (ImportError, AttributeError, TypeError):
        yield
        return
    with _PATCH_LOCK:
        _PATCH_DEPTH[0] += 1
        if _PATCH_DEPTH[0] == 1:
            if _OWN_CACHE[0] is None:
                _OWN_CACHE[0] = type(original_cache)(1024)
            _PATCH_DEPTH[1] = (original, original_cache)
            providers._get_local_constants = lambda: empty
            providers.CONSTANTS_CACHE = _OWN_CACHE[0]
    try:
        yield
    finally:
        with _PATCH_LOCK:
            _PATCH_DEPTH[0] -= 1
            if _PATCH_DEPTH[0] == 0:
                providers._get_local_constants, providers.CONSTANTS_CACHE = _PATCH_DEPTH[1]


_PATCH_LOCK = threading.Lock()
_PATCH_DEPTH: list = [0, None]
_OWN_CACHE: list = [None]


@contextmanager
def _bounded_shrinking() -> Iterator[None]:
    """Hypothesis' shrinker stops after SHRINK_STEPS successful shrinks (its module constant
    ``MAX_SHRINKS``, read at each step; hypothesis internals, a no-op where they differ)."""
    try:
        from hypothesis.internal.conjecture import engine
        original = engine.MAX_SHRINKS
    except (ImportError, AttributeError):
        yield
        return
    with _PATCH_LOCK:
        _SHRINK_DEPTH[0] += 1
        engine.MAX_SHRINKS = min(original, SHRINK_STEPS) if _SHRINK_DEPTH[0] == 1 else engine.MAX_SHRINKS
        if _SHRINK_DEPTH[0] == 1:
            _SHRINK_DEPTH[1] = original
    try:
        yield
    finally:
        with _PATCH_LOCK:
            _SHRINK_DEPTH[0] -= 1
            if _SHRINK_DEPTH[0] == 0:
                engine.MAX_SHRINKS = _SHRINK_DEPTH[1]


_SHRINK_DEPTH: list = [0, None]


# ------------------------------------------------------------------------------ one chunk
def run_chunk(conj: Conjecture, *, engine: str = "random", seed: int | str = 0, examples: int = 150,
              index: int = 0, deadline: float | None = None, on_example: OnExample | None = None,
              shrink: bool = True) -> ChunkResult:
    """One reproducible unit of search: ``examples`` residual evaluations (shrinking not counted in
    the budget, but in ``examples`` of the result) seeded by ``seed``. ``deadline`` (``time.time()``)
    stops the generation early. The counterexample, if any, is shrunk (unless ``shrink`` is False: the
    benchmark, which times the search only) and re-checked from its JSON."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    count = _Counter(conj, on_example, deadline)
    rnd = random.Random(seed)
    with _reproducible_generation(), _bounded_shrinking():
        if engine == "optimise":
            from hypothesis.internal.conjecture.data import ConjectureData

            choices = _optimise(conj, count, examples, rnd, simplest=index == 0)
            example = None if choices is None or not shrink else _shrink(conj, count, choices, rnd)
            if choices is not None and example is None:  # the shrinker could not replay it: keep it as drawn
                example = _draw(conj.strategy, ConjectureData.for_choices(choices))[1]
        else:
            example = _find(conj, count, examples, rnd, engine, shrink)
    out = ChunkResult(index=index, seed=seed, engine=engine, examples=count.n, best=count.best,
                      seconds=time.monotonic() - count.t0, first_at=count.first_at,
                      first_seconds=count.first_seconds)
    if example is not None:
        case = conj.case(example)
        r = conj.replay(case)
        if conj.violated(r):
            out.case, out.residual = dict(case, residual=r), r
        else:
            out.note = (f"a violation (residual {case['residual']:.3e}) did not reproduce from its JSON case "
                        f"(replayed residual {r:.3e}): to_case/from_case lose information")
    return out


def as_check_result(conj: Conjecture, chunk: ChunkResult) -> CheckResult:
    """A chunk as the registry's CheckResult: VERIFIED with the worst residual seen, or REFUTED with the
    shrunk counterexample; INCONCLUSIVE when a violation did not reproduce from its JSON case."""
    if chunk.case is not None:
        r = float(chunk.residual)  # type: ignore[arg-type]
        return CheckResult(Outcome.REFUTED, r, chunk.examples,
                           f"{conj.detail}: shrunk counterexample with residual {r:.3e} (tol {conj.tol:.1e})",
                           [chunk.case], tolerance=conj.tol)
    if chunk.note:
        return CheckResult(Outcome.INCONCLUSIVE, chunk.best, chunk.examples, f"{conj.detail}: {chunk.note}",
                           tolerance=conj.tol)
    worst = max(chunk.best, 0.0)
    return CheckResult(Outcome.VERIFIED, worst, chunk.examples,
                       f"{conj.detail}: no counterexample in {chunk.examples} examples (tol {conj.tol:.1e})",
                       tolerance=conj.tol)
