"""Run the registry's checks and summarise them per theorem ID.

Status of one kind of check (symbolic, numeric, property) for an ID:
``verified`` every check of that kind found what it expects (theorems verified, planted-false and
boundary variants refuted); ``FAILED`` some check found the opposite; ``inconclusive`` some check
could not decide; ``skipped (slow)`` only slow checks exist and the run was quick; ``not yet checked``
no check of that kind is registered. An ID is never shown as verified without a check behind it.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from normalign.checks import Budget, CheckResult, CheckSpec, Outcome, run_check
from normalign.registry import THEOREMS, Theorem

KINDS: tuple[str, ...] = ("symbolic", "numeric", "property")


@dataclass
class CheckRun:
    """One check's spec, result and time."""

    theorem_id: str
    spec: CheckSpec
    result: CheckResult | None
    seconds: float

    @property
    def status(self) -> str:
        if self.result is None:
            return "skipped (slow)"
        if self.spec.passed(self.result):
            return "ok"
        return "inconclusive" if self.result.outcome == Outcome.INCONCLUSIVE else "FAILED"

    def to_json(self) -> dict:
        return {
            "name": self.spec.name, "kind": self.spec.kind, "target": self.spec.target,
            "expect": self.spec.expect, "planted": self.spec.planted,
            "hypothesis_dropped": self.spec.hypothesis_dropped, "status": self.status,
            "seconds": round(self.seconds, 3),
            "result": None if self.result is None else self.result.to_json(),
        }


@dataclass
class TheoremReport:
    """All check runs of one ID, plus its Lean status (a string from ``normalign.lean``)."""

    theorem: Theorem
    runs: list[CheckRun] = field(default_factory=list)
    lean: str = "no Lean statement"

    def kind_status(self, kind: str) -> str:
        runs = [r for r in self.runs if r.spec.kind == kind]
        if not runs:
            return "not yet checked"
        statuses = {r.status for r in runs}
        for s in ("FAILED", "inconclusive"):
            if s in statuses:
                return s
        if statuses == {"skipped (slow)"}:
            return "skipped (slow)"
        return "verified"

    @property
    def worst_residual(self) -> float:
        """Largest residual among the checks expected to hold (NaN when none ran)."""
        vals = [r.result.worst_residual for r in self.runs
                if r.result is not None and r.spec.expect == "holds" and not math.isnan(r.result.worst_residual)]
        return max(vals) if vals else math.nan

    @property
    def counterexamples(self) -> int:
        """Counterexamples found by boundary and planted checks (refuted as they should be)."""
        return sum(len(r.result.counterexamples) for r in self.runs
                   if r.result is not None and r.result.outcome == Outcome.REFUTED)

    @property
    def failed(self) -> bool:
        return any(r.status == "FAILED" for r in self.runs) or self.lean.startswith("FAILED")

    @property
    def overall(self) -> str:
        kinds = [self.kind_status(k) for k in KINDS]
        if self.failed:
            return "FAILED"
        if all(k == "not yet checked" for k in kinds):
            return "not yet checked"
        if "inconclusive" in kinds:
            return "inconclusive"
        return "verified"

    def to_json(self) -> dict:
        t = self.theorem
        return {
            "id": t.id, "title": t.title, "statement": t.statement, "source": t.source,
            "claim": t.claim, "formalisation": t.formalisation, "hypotheses": t.hypotheses,
            "notes": t.notes, "status": self.overall,
            **{kind: self.kind_status(kind) for kind in KINDS},
            "lean": self.lean, "lean_declarations": list(t.lean),
            "lean_not_formalised": t.lean_not_formalised,
            "worst_residual": None if math.isnan(self.worst_residual) else self.worst_residual,
            "counterexamples_found": self.counterexamples,
            "checks": [r.to_json() for r in self.runs],
        }


def run_registry(budget: Budget, ids: Iterable[str] | None = None, *, include_slow: bool = False,
                 progress: Callable[[str], None] | None = None) -> list[TheoremReport]:
    """Run the checks of the chosen IDs (all by default); slow checks only with ``include_slow``."""
    wanted = set(ids) if ids else None
    reports = []
    todo = [(t, c) for t in THEOREMS if wanted is None or t.id in wanted for c in t.checks]
    done = 0
    for t in THEOREMS:
        if wanted is not None and t.id not in wanted:
            continue
        rep = TheoremReport(t)
        for spec in t.checks:
            done += 1
            if spec.slow and not include_slow:
                rep.runs.append(CheckRun(t.id, spec, None, 0.0))
                continue
            if progress:
                progress(f"[{done}/{len(todo)}] {t.id} {spec.kind}: {spec.name[:70]}")
            t0 = time.perf_counter()
            result = run_check(spec, budget)
            rep.runs.append(CheckRun(t.id, spec, result, time.perf_counter() - t0))
        reports.append(rep)
    return reports


def save_counterexamples(reports: list[TheoremReport], root: Path) -> list[Path]:
    """Write every counterexample found into the corpus folder ``root`` (atomic writes)."""
    from normalign.corpus import save_case

    paths = []
    for rep in reports:
        for run in rep.runs:
            if run.result is None:
                continue
            for i, case in enumerate(run.result.counterexamples):
                name = case.get("kind") or f"{run.spec.target.rpartition(':')[2]}_{i}"
                paths.append(save_case(rep.theorem.id, name, run.spec.target, case,
                                       found_by="normalign verify", root=root))
    return paths


def format_table(reports: list[TheoremReport]) -> str:
    """One row per ID: status per kind, Lean, worst residual, counterexamples."""
    head = ("ID", "status", "symbolic", "numeric", "property", "Lean", "worst resid.", "cex", "statement")
    rows = [head]
    for rep in reports:
        w = rep.worst_residual
        rows.append((rep.theorem.id, rep.overall, rep.kind_status("symbolic"), rep.kind_status("numeric"),
                     rep.kind_status("property"), rep.lean, "-" if math.isnan(w) else f"{w:.2e}",
                     str(rep.counterexamples), _clip(rep.theorem.title, 44)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(wd) for cell, wd in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def format_failures(reports: list[TheoremReport]) -> str:
    """Details of every check that did not find what it expects."""
    out = []
    for rep in reports:
        for r in rep.runs:
            if r.status in ("FAILED", "inconclusive"):
                detail = r.result.detail if r.result else ""
                out.append(f"{r.status}: {rep.theorem.id} {r.spec.kind} {r.spec.target} "
                           f"(expects {r.spec.expect}, found {r.result.outcome.value if r.result else '-'}): {detail}")
    return "\n".join(out)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def stderr_progress(msg: str) -> None:
    """Progress lines on stderr, so stdout stays a clean table or JSON."""
    print(msg, file=sys.stderr, flush=True)
