"""Property checks: a hypothesis search for a counterexample, turned into a CheckResult.

``search(strategy, residual, tol, budget, detail)`` draws examples from ``strategy`` (shrinking
strategies from ``normalign.strategies``) and looks for one with ``residual(example) > tol`` (a NaN
residual counts as a violation). None in the budget: VERIFIED with the worst residual seen. Found:
REFUTED with the *shrunk* example, made JSON-ready by ``to_case`` (default: the example itself when it
is a dict), so it can be saved to the corpus and replayed. The search is reproducible: hypothesis is
seeded from ``budget.seed`` and uses no example database.
"""

from __future__ import annotations

import math
import random
from typing import Any, Callable

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis.errors import NoSuchExample
from hypothesis.strategies import SearchStrategy

from normalign.checks import Budget, CheckResult, Outcome


def search(strategy: SearchStrategy, residual: Callable[[Any], float], tol: float, budget: Budget,
           detail: str, *, examples: tuple[int, int] = (150, 2000),
           to_case: Callable[[Any], dict[str, Any]] | None = None) -> CheckResult:
    """Counterexample search; ``examples`` is the (quick, full) budget. A violation confined to a thin
    set is found only by luck: give such a check a deterministic candidate in its residual instead."""
    worst = [0.0]
    count = [0]

    def bad(example: Any) -> bool:
        r = float(residual(example))
        count[0] += 1
        worst[0] = max(worst[0], r) if not math.isnan(r) else math.inf
        return not (r <= tol)

    cfg = settings(max_examples=budget.n(*examples), database=None, deadline=None,
                   phases=[Phase.generate, Phase.shrink],
                   suppress_health_check=list(HealthCheck))
    try:
        example = find(strategy, bad, settings=cfg, random=random.Random(budget.seed))
    except NoSuchExample:
        return CheckResult(Outcome.VERIFIED, worst[0], count[0],
                           f"{detail}: no counterexample in {count[0]} examples (tol {tol:.1e})")
    r = float(residual(example))
    case = to_case(example) if to_case is not None else dict(example)
    return CheckResult(Outcome.REFUTED, r, count[0],
                       f"{detail}: shrunk counterexample with residual {r:.3e} (tol {tol:.1e})",
                       [dict(case, residual=r)])
