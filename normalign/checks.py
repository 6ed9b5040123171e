"""The vocabulary of a check: what it is, what it expects, what it found.

A *check* is a plain function ``fn(budget: Budget) -> CheckResult`` named in the registry by a dotted
path ``"package.module:function"``. It compares a claim against an independent oracle and returns one
of three outcomes:

- ``verified``: every instance tried agreed with the claim within the stated tolerance;
- ``refuted``: a counterexample was found (it is returned, so it can be saved and replayed);
- ``inconclusive``: the oracle could not decide (a solver status that is not optimal, a budget ran
  out), with the reason.

A check *expects* ``holds`` (a theorem) or ``fails`` (a planted-false variant or a boundary where a
hypothesis is dropped). It *passes* when what it found matches what it expects. A *sanity* check
(``CheckSpec.sanity``) tests a construction that holds by design (it cannot fail against an independent
oracle): it is run and shown, and a failure still fails the run, but it never makes an ID "verified".

``CheckResult.tolerance`` is the tolerance the residual was judged against (set by :func:`verdict`), so
that ``resid_over_tol`` compares checks with different units: below 1 means within tolerance.
"""

from __future__ import annotations

import importlib
import json
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Literal, get_args

import numpy as np

Kind = Literal["symbolic", "numeric", "property"]
Expectation = Literal["holds", "fails"]
KINDS: tuple[str, ...] = get_args(Kind)
EXPECTATIONS: tuple[str, ...] = get_args(Expectation)


class Outcome(str, Enum):
    """The three outcomes of a check."""

    VERIFIED = "verified"
    REFUTED = "refuted"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Budget:
    """How hard a check should try. ``quick`` is the default suite's size; ``full`` the slow sweep."""

    level: Literal["quick", "full"] = "quick"
    seed: int = 0

    @property
    def full(self) -> bool:
        return self.level == "full"

    def n(self, quick: int, full: int) -> int:
        """Number of instances to try at this level."""
        return full if self.full else quick


@dataclass
class CheckResult:
    """What a check found.

    ``worst_residual`` is the largest violation seen, in the units the check states in ``detail``
    (for a verified check it is below tolerance; for a refuted one it is the counterexample's).
    ``counterexamples`` are JSON-serialisable dicts from which the case can be rebuilt.
    """

    outcome: Outcome
    worst_residual: float = 0.0
    instances: int = 0
    detail: str = ""
    counterexamples: list[dict[str, Any]] = field(default_factory=list)
    tolerance: float | None = None

    @property
    def resid_over_tol(self) -> float | None:
        """``worst_residual / tolerance`` (below 1: within tolerance); ``None`` when the check states no
        positive tolerance or the residual is NaN."""
        if self.tolerance is None or not self.tolerance > 0 or math.isnan(self.worst_residual):
            return None
        return self.worst_residual / self.tolerance

    def to_json(self) -> dict[str, Any]:
        ratio = self.resid_over_tol
        return {
            "outcome": self.outcome.value,
            "worst_residual": _finite_or_none(self.worst_residual),
            "tolerance": None if self.tolerance is None else _finite_or_none(self.tolerance),
            "resid_over_tol": None if ratio is None else _finite_or_none(ratio),
            "instances": self.instances,
            "detail": self.detail,
            "counterexamples": [to_jsonable(c) for c in self.counterexamples],
        }


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: where its code lives and what it should find.

    ``target`` is ``"module:function"``; ``hypothesis_dropped`` names the hypothesis of the theorem that
    this check removes (for ``expect="fails"`` boundary checks) or ``None``; ``planted`` marks a
    deliberately false variant that the suite must reject; ``slow`` checks run only at the full budget;
    ``sanity`` marks a check of a construction that holds by design (never counted as verifying).
    A ``kind`` or ``expect`` outside the vocabulary is a ValueError (a misspelt ``expect`` would make
    a theorem's check pass on a refutation).
    """

    name: str
    kind: Kind
    target: str
    expect: Expectation = "holds"
    planted: bool = False
    hypothesis_dropped: str | None = None
    slow: bool = False
    sanity: bool = False

    def __post_init__(self) -> None:
        for name, value, allowed in (("kind", self.kind, KINDS), ("expect", self.expect, EXPECTATIONS)):
            if value not in allowed:
                raise ValueError(f"check {self.name!r}: {name} {value!r} is not one of {', '.join(allowed)}")

    @property
    def counts(self) -> bool:
        """Whether passing this check can make its ID "verified": it expects the claim to hold and is
        not a sanity check."""
        return self.expect == "holds" and not self.sanity

    def load(self) -> Callable[[Budget], CheckResult]:
        """Import the check function named by ``target``."""
        module_name, _, attr = self.target.partition(":")
        if not attr:
            raise ValueError(f"check target {self.target!r} is not of the form 'module:function'")
        module = importlib.import_module(module_name)
        fn = getattr(module, attr, None)
        if fn is None or not callable(fn):
            raise ValueError(f"check target {self.target!r}: no function {attr!r} in {module_name}")
        return fn

    def passed(self, result: CheckResult) -> bool:
        """A theorem passes when verified; a planted or boundary variant passes when refuted."""
        wanted = Outcome.VERIFIED if self.expect == "holds" else Outcome.REFUTED
        return result.outcome == wanted


def run_check(spec: CheckSpec, budget: Budget) -> CheckResult:
    """Run one check. A check that cannot be imported, raises, or returns something other than a
    :class:`CheckResult` is reported as inconclusive (with why), never swallowed silently; so is a
    result its own numbers contradict (:func:`_undecided`)."""
    try:
        fn = spec.load()
    except Exception as exc:  # noqa: BLE001 - an unloadable target decides nothing
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"check could not be loaded: {type(exc).__name__}: {exc}")
    try:
        result = fn(budget)
    except Exception as exc:  # noqa: BLE001 - reported, with its type, as an inconclusive outcome
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"check raised {type(exc).__name__}: {exc}")
    if not isinstance(result, CheckResult):
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0,
                           f"check {spec.target} returned {type(result).__name__}, not CheckResult")
    why = _undecided(spec, result)
    if why:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, result.instances, f"{why}: {result.detail}",
                           tolerance=result.tolerance)
    return result


def _undecided(spec: CheckSpec, result: CheckResult) -> str:
    """Why a result that claims to decide decides nothing ('' when it may stand): a verification
    with a residual that is not finite or not within its own tolerance, or over no instance; a
    refutation that makes a planted or boundary check pass with no counterexample, only a NaN, or a
    worst residual within its own tolerance."""
    if not isinstance(result.outcome, Outcome):
        return f"outcome {result.outcome!r} is not an Outcome"
    if result.outcome == Outcome.VERIFIED:
        r = result.worst_residual
        if not math.isfinite(r):
            return f"verified with a worst residual of {r}"
        if result.tolerance is not None and not r <= result.tolerance:
            return f"verified with a worst residual {r:.3e} above its tolerance {result.tolerance:.3e}"
        if result.instances < 1:
            return "verified on no instance"
    if result.outcome == Outcome.REFUTED and spec.expect == "fails":
        if not result.counterexamples:
            return "refuted without a counterexample"
        if math.isnan(result.worst_residual):
            return "refuted only by a NaN residual (the computation broke; nothing was refuted)"
        if result.tolerance is not None and not result.worst_residual > result.tolerance:
            return (f"refuted with a worst residual {result.worst_residual:.3e} within its tolerance "
                    f"{result.tolerance:.3e}")
    return ""


def worst_instance(residuals: np.ndarray | list[float], tol: float) -> int:
    """Index of the instance to report: the largest finite residual, or the first NaN when no finite
    residual exceeds ``tol`` (a finite counterexample is preferred to a broken computation, and a
    refutation by NaNs alone stays recognisable: ``run_check`` never lets it pass a planted check)."""
    r = np.asarray(residuals, dtype=np.float64)
    nan = np.isnan(r)
    if nan.any() and not (r[~nan] > tol).any():
        return int(np.argmax(nan))
    return int(np.argmax(np.where(nan, -np.inf, r)))


def verdict(residuals: np.ndarray | list[float], tol: float, *, instances: int | None = None,
            detail: str = "", counterexample: Callable[[int], dict[str, Any]] | None = None) -> CheckResult:
    """Turn per-instance residuals into a result: refuted at the worst instance above ``tol``.

    ``counterexample(i)`` builds the JSON case for instance ``i`` (called only when refuted).
    A NaN residual is a refutation, never a pass. The result carries ``tol`` as its ``tolerance``.
    """
    r = np.asarray(residuals, dtype=np.float64).ravel()
    if r.size == 0:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, "no instances were checked", tolerance=tol)
    bad = ~(r <= tol)  # NaN counts as bad
    worst_i = worst_instance(r, tol)
    worst = float(r[worst_i])
    n = instances if instances is not None else int(r.size)
    text = f"{detail} (tol {tol:.1e})" if detail else f"tol {tol:.1e}"
    if bad.any():
        cases = [counterexample(worst_i)] if counterexample is not None else [{"instance": worst_i}]
        return CheckResult(Outcome.REFUTED, worst, n, text, cases, tolerance=tol)
    return CheckResult(Outcome.VERIFIED, worst, n, text, tolerance=tol)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy arrays and scalars (recursively) into JSON-ready Python values."""
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return _finite_or_none(float(obj))
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    return obj


def _finite_or_none(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def dumps(obj: Any) -> str:
    """JSON text for results (numpy-aware)."""
    return json.dumps(to_jsonable(obj), indent=2, sort_keys=False)
