"""A check made of several *parts*: measured quantities, each with its own tolerance.

A part collects per-instance residuals against one tolerance (from ``normalign.numerics.tolerances``);
:func:`combine` turns parts into one result: refuted if any part exceeds its tolerance (its worst
instance is the counterexample), with ``worst_residual`` the largest part residual **in units of that
part's tolerance** (so <= 1 means verified; ``tolerance`` is 1; NaN when only NaN residuals refute),
and ``detail`` listing every part's worst raw value and tolerance. A part with tolerance 0 is an exact claim: any positive residual refutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


from normalign.checks import CheckResult, Outcome, worst_instance


@dataclass
class Part:
    """One measured quantity of a check: per-instance residuals against one tolerance."""

    name: str
    tol: float
    residuals: list[float]
    cases: list[dict[str, Any]]

    def add(self, residual: float, case: dict[str, Any] | None = None) -> None:
        self.residuals.append(float(residual))
        self.cases.append(case or {})

    @property
    def worst_index(self) -> int:
        """The instance to report (``normalign.checks.worst_instance``, the same rule as ``verdict``)."""
        return worst_instance(self.residuals, self.tol)

    @property
    def finite_violation(self) -> bool:
        """Some residual is a number above the tolerance (not only NaNs)."""
        return any(r > self.tol for r in self.residuals if not math.isnan(r))

    @property
    def worst(self) -> float:
        return float(self.residuals[self.worst_index]) if self.residuals else 0.0

    @property
    def failed(self) -> bool:
        return any(not (r <= self.tol) for r in self.residuals)


def part(name: str, tol: float) -> Part:
    """An empty part named ``name`` judged against ``tol``."""
    return Part(name, tol, [], [])


def combine(parts: list[Part], instances: int, detail: str) -> CheckResult:
    """Refuted if any part exceeds its tolerance (its worst instance is the counterexample)."""
    used = [p for p in parts if p.residuals]
    if not used:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"{detail}: no instances were checked")
    ratios = [_ratio(p.worst, p.tol) for p in used]
    text = "; ".join(f"{p.name}: worst {p.worst:.2e} (tol {p.tol:.1e})" for p in used)
    text = f"{detail} [worst_residual in units of each part's tolerance] {text}"
    bad = [p for p in used if p.failed]
    if bad:
        cases = [dict(part=p.name, residual=p.worst, tol=p.tol, **p.cases[p.worst_index]) for p in bad]
        # refuted only by NaNs: the residual is NaN (a broken computation, which never passes a planted check)
        finite = [r for p, r in zip(used, ratios) if not math.isnan(p.worst)]  # a NaN-only part is not a size
        worst = max(finite) if any(p.finite_violation for p in bad) else math.nan
        return CheckResult(Outcome.REFUTED, worst, instances, text, cases, tolerance=1.0)
    return CheckResult(Outcome.VERIFIED, max(ratios), instances, text, tolerance=1.0)


def _ratio(worst: float, tol: float) -> float:
    if math.isnan(worst):
        return math.inf
    if tol > 0:
        return worst / tol
    return 0.0 if worst <= 0 else math.inf
