"""Run the registry's checks and summarise them per theorem ID, in words that mean what they say.

Status of one check (``CheckRun.status``): ``ok`` (found what it expects), ``FAILED`` (found the
opposite), ``inconclusive`` (could not decide: a solver status that is not optimal, a check that
raised, a result its own numbers contradict, see :func:`normalign.checks.run_check`), ``not run
(slow)`` (a slow check at the quick budget).

Status of an ID, and of each kind of check for it (symbolic, numeric, property), by the first rule
that applies to its checks:

1. ``not yet checked``: no check is registered;
2. ``FAILED``: some check found the opposite of what it expects (for the ID: or Lean failed,
   see :func:`normalign.lean.lean_failed`);
3. ``inconclusive``: some check could not decide;
4. ``verified``: at least one check that expects the claim to hold (and is not a sanity check) ran
   and passed, and every other check that ran passed;
5. ``not run (slow)``: such a check exists but is slow and the budget was quick;
6. ``sanity only``: the only checks expecting the claim to hold that ran are sanity checks
   (constructions that hold by design);
7. ``boundaries only``: every check that ran expects failure (boundaries and planted-false
   variants, all refuted as they should be): nothing checked that the claim holds.

Measured claims (``Theorem.measured``: empirical findings of experiments) are reported beside the
checks and never change a status or the exit code. The exit code of ``normalign verify`` is
:func:`exit_code`: 1 when any ID is ``FAILED`` or ``inconclusive``, else 0.
"""

from __future__ import annotations

import math
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from normalign.checks import KINDS, Budget, CheckResult, CheckSpec, Outcome, run_check
from normalign.registry import THEOREMS, MeasuredClaim, Theorem

# check statuses
OK = "ok"
FAILED = "FAILED"
INCONCLUSIVE = "inconclusive"
NOT_RUN_SLOW = "not run (slow)"
# ID / kind statuses (besides FAILED, INCONCLUSIVE, NOT_RUN_SLOW)
VERIFIED = "verified"
SANITY_ONLY = "sanity only"
BOUNDARIES_ONLY = "boundaries only"
NOT_YET_CHECKED = "not yet checked"
STATUSES: tuple[str, ...] = (NOT_YET_CHECKED, FAILED, INCONCLUSIVE, VERIFIED, NOT_RUN_SLOW, SANITY_ONLY,
                             BOUNDARIES_ONLY)
"""The ID / kind vocabulary, in the order the rules of the module docstring apply."""

EXIT_OK, EXIT_FAILED = 0, 1
NO_LEAN = "no Lean statement"


@dataclass
class CheckRun:
    """One check's spec, result (``None`` when not run) and time."""

    theorem_id: str
    spec: CheckSpec
    result: CheckResult | None
    seconds: float

    @property
    def status(self) -> str:
        if self.result is None:
            return NOT_RUN_SLOW
        if self.spec.passed(self.result):
            return OK
        return INCONCLUSIVE if self.result.outcome == Outcome.INCONCLUSIVE else FAILED

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.spec.name, "kind": self.spec.kind, "target": self.spec.target,
            "expect": self.spec.expect, "planted": self.spec.planted,
            "hypothesis_dropped": self.spec.hypothesis_dropped, "slow": self.spec.slow,
            "sanity": self.spec.sanity, "counts": self.spec.counts, "status": self.status,
            "seconds": round(self.seconds, 3),
            "result": None if self.result is None else self.result.to_json(),
        }


def summarise(runs: list[CheckRun]) -> str:
    """The status of a group of check runs (one kind of one ID, or all of an ID's): rules 1-7 of the
    module docstring, without Lean."""
    if not runs:
        return NOT_YET_CHECKED
    statuses = {r.status for r in runs}
    if FAILED in statuses:
        return FAILED
    if INCONCLUSIVE in statuses:
        return INCONCLUSIVE
    ran = [r for r in runs if r.result is not None]  # every one of them is ok here
    if any(r.spec.counts for r in ran):
        return VERIFIED
    if not ran or any(r.spec.counts for r in runs):
        return NOT_RUN_SLOW
    if any(r.spec.expect == "holds" for r in ran):
        return SANITY_ONLY
    return BOUNDARIES_ONLY


def lean_failed(status: str) -> bool:
    """Whether a Lean column fails the run (``normalign.lean.lean_failed``, looked up at call time)."""
    from normalign import lean

    return bool(lean.lean_failed(status))


@dataclass
class TheoremReport:
    """All check runs of one ID, plus its Lean status (a string from ``normalign.lean``)."""

    theorem: Theorem
    runs: list[CheckRun] = field(default_factory=list)
    lean: str = NO_LEAN

    def kind_status(self, kind: str) -> str:
        return summarise([r for r in self.runs if r.spec.kind == kind])

    @property
    def lean_failed(self) -> bool:
        return lean_failed(self.lean)

    @property
    def overall(self) -> str:
        """The ID's status: :func:`summarise` over all its checks, ``FAILED`` when Lean failed."""
        status = summarise(self.runs)
        if status != FAILED and self.lean_failed:
            return FAILED
        return status

    @property
    def worst_resid_over_tol(self) -> float | None:
        """Largest ``worst_residual / tolerance`` among the checks expecting the claim to hold that ran
        and state a tolerance (below 1: within tolerance); ``None`` when there is none."""
        vals = [r.result.resid_over_tol for r in self.runs if r.result is not None and r.spec.expect == "holds"]
        vals = [v for v in vals if v is not None and not math.isnan(v)]
        return max(vals) if vals else None

    @property
    def counterexamples(self) -> int:
        """Counterexamples found by boundary and planted checks (refuted as they should be)."""
        return sum(len(r.result.counterexamples) for r in self.runs
                   if r.result is not None and r.result.outcome == Outcome.REFUTED)

    def to_json(self) -> dict[str, Any]:
        t = self.theorem
        return {
            "id": t.id, "title": t.title, "statement": t.statement, "source": t.source,
            "claim": t.claim, "formalisation": t.formalisation, "hypotheses": t.hypotheses,
            "notes": t.notes, "status": self.overall,
            **{kind: self.kind_status(kind) for kind in KINDS},
            "lean": self.lean, "lean_failed": self.lean_failed, "lean_declarations": list(t.lean),
            "lean_not_formalised": t.lean_not_formalised,
            "worst_resid_over_tol": self.worst_resid_over_tol,
            "counterexamples_found": self.counterexamples,
            "measured_claims": [m.name for m in t.measured],
            "checks": [r.to_json() for r in self.runs],
        }


def exit_code(reports: list[TheoremReport]) -> int:
    """1 when any ID is FAILED (a check, or Lean) or inconclusive; else 0. Measured claims never count."""
    return EXIT_FAILED if any(r.overall in (FAILED, INCONCLUSIVE) for r in reports) else EXIT_OK


def run_status(reports: list[TheoremReport]) -> str:
    """One word for the whole run: ``FAILED``, else ``inconclusive``, else ``ok``."""
    overall = {r.overall for r in reports}
    return FAILED if FAILED in overall else INCONCLUSIVE if INCONCLUSIVE in overall else OK


def measured_claims(reports: list[TheoremReport]) -> list[tuple[str, MeasuredClaim]]:
    """(ID, claim) for every measured claim of the reported IDs."""
    return [(r.theorem.id, m) for r in reports for m in r.theorem.measured]


def report_json(reports: list[TheoremReport], budget: Budget) -> dict[str, Any]:
    """The JSON document of ``normalign verify --json`` (fields documented in the README)."""
    return {
        "budget": budget.level, "seed": budget.seed,
        "status": run_status(reports), "exit_code": exit_code(reports),
        "summary": dict(Counter(r.overall for r in reports)),
        "theorems": [r.to_json() for r in reports],
        "measured_claims": [{"id": tid, **m.to_json()} for tid, m in measured_claims(reports)],
    }


def run_registry(budget: Budget, ids: Iterable[str] | None = None, *, include_slow: bool = False,
                 progress: Callable[[str], None] | None = None) -> list[TheoremReport]:
    """Run the checks of the chosen IDs (all by default); slow checks only with ``include_slow``."""
    wanted = set(ids) if ids else None
    chosen = [t for t in THEOREMS if wanted is None or t.id in wanted]
    total = sum(len(t.checks) for t in chosen)
    reports, done = [], 0
    for t in chosen:
        rep = TheoremReport(t)
        for spec in t.checks:
            done += 1
            if spec.slow and not include_slow:
                rep.runs.append(CheckRun(t.id, spec, None, 0.0))
                continue
            if progress:
                progress(f"[{done}/{total}] {t.id} {spec.kind}: {spec.name[:70]}")
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
    """One row per ID: status, status per kind, Lean, worst residual / tolerance, counterexamples."""
    head = ("ID", "status", "symbolic", "numeric", "property", "Lean", "resid/tol", "cex", "statement")
    rows = [head]
    for rep in reports:
        w = rep.worst_resid_over_tol
        rows.append((rep.theorem.id, rep.overall, rep.kind_status("symbolic"), rep.kind_status("numeric"),
                     rep.kind_status("property"), rep.lean, "-" if w is None else f"{w:.2g}",
                     str(rep.counterexamples), _clip(rep.theorem.title, 44)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(wd) for cell, wd in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    return "\n".join(lines)


def format_measured(reports: list[TheoremReport]) -> str:
    """The measured claims of the reported IDs, one paragraph each ('' when there are none)."""
    claims = measured_claims(reports)
    if not claims:
        return ""
    out = ["Measured claims (empirical findings; they do not change the status or the exit code):"]
    for tid, m in claims:
        where = f"; results in {m.results}" if m.results else ""
        out.append(f"{tid} {m.name}: {m.outcome}")
        for text in (f"claim: {m.claim}", m.numbers,
                     f"measured by `{m.command}` on {m.measured_on} at commit {m.commit}{where}"):
            out.append(textwrap.fill(text, 110, initial_indent="    ", subsequent_indent="    "))
    return "\n".join(out)


def format_failures(reports: list[TheoremReport]) -> str:
    """Details of every check that did not find what it expects, and of every Lean failure."""
    out = []
    for rep in reports:
        for r in rep.runs:
            if r.status in (FAILED, INCONCLUSIVE):
                detail = r.result.detail if r.result else ""
                out.append(f"{r.status}: {rep.theorem.id} {r.spec.kind} {r.spec.target} "
                           f"(expects {r.spec.expect}, found {r.result.outcome.value if r.result else '-'}): {detail}")
        if rep.lean_failed:
            out.append(f"FAILED: {rep.theorem.id} Lean: {rep.lean}")
    return "\n".join(out)


def format_summary(reports: list[TheoremReport]) -> str:
    """One closing line: how many IDs are in each status, and the exit code."""
    counts = Counter(r.overall for r in reports)
    parts = [f"{counts[s]} {s}" for s in STATUSES if counts[s]]
    return f"{len(reports)} IDs: {', '.join(parts)}; exit {exit_code(reports)}"


def format_report(reports: list[TheoremReport]) -> str:
    """The text report: table, measured claims, failures, summary line."""
    sections = [format_table(reports), format_measured(reports), format_failures(reports), format_summary(reports)]
    return "\n\n".join(s for s in sections if s)


def _clip(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def stderr_progress(msg: str) -> None:
    """Progress lines on stderr, so stdout stays a clean table or JSON."""
    print(msg, file=sys.stderr, flush=True)
