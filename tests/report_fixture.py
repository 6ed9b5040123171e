"""A fixed, fast ``normalign verify`` run for the report tests (no check is run).

Built through the real code path (``TheoremReport.to_json`` and ``report_json``), so its fields are
those ``normalign verify --json`` writes today. Every registry ID gets a result for each of its checks:
a check expecting the claim to hold is verified (residual below tolerance), a planted or boundary check
is refuted with a counterexample, a slow check is not run. Planted into it, so the page has something
to show in every colour: :data:`FAILED_ID` has a holds-check refuted, :data:`INCONCLUSIVE_ID` a check
that could not decide, :data:`PICTURE_ID` a counterexample carrying a 2-d network (drawn from the exact
partition); one Lean pin failed, the rest proved.
"""

from __future__ import annotations

import math
from types import SimpleNamespace
from typing import Any

import numpy as np

FAILED_ID, INCONCLUSIVE_ID, PICTURE_ID, LEAN_FAILED_ID = "T2", "P3", "PD", "L1"


def two_d_case() -> dict[str, Any]:
    """A 2-8-3 ReLU network and a point, in the layout of ``net_case``."""
    rng = np.random.default_rng(7)
    W0, b0 = rng.normal(size=(8, 2)), rng.normal(size=8) * 0.3
    W1, b1 = rng.normal(size=(3, 8)), rng.normal(size=3) * 0.1
    return {"weights": [W0.tolist(), W1.tolist()], "biases": [b0.tolist(), b1.tolist()],
            "activations": ["relu", "identity"], "negative_slope": 0.01, "x": [0.6, -0.4]}


def verify_doc() -> dict[str, Any]:
    """The ``normalign verify --json`` document of the fixed run."""
    from normalign import lean
    from normalign.checks import Budget, CheckResult, Outcome
    from normalign.registry import THEOREMS
    from normalign.verify import CheckRun, TheoremReport, report_json

    reports = []
    for t in THEOREMS:
        rep = TheoremReport(t)
        planted_failure = t.id == FAILED_ID
        for i, spec in enumerate(t.checks):
            if spec.slow:
                rep.runs.append(CheckRun(t.id, spec, None, 0.0))
                continue
            if spec.expect == "holds":
                if planted_failure:
                    res = CheckResult(Outcome.REFUTED, 3.5e-2, 10, "fixture: planted failure", [{"x": [1.0, 2.0]}],
                                      tolerance=1e-2)
                    planted_failure = False
                elif t.id == INCONCLUSIVE_ID and i == 0:
                    res = CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, "fixture: solver status optimal_inaccurate")
                else:
                    res = CheckResult(Outcome.VERIFIED, 10.0 ** -(3 + i % 9), 10 + i, "fixture", tolerance=1e-2)
            else:
                case = two_d_case() if t.id == PICTURE_ID else {"x": [1.0, -2.0], "residual": 0.5}
                res = CheckResult(Outcome.REFUTED, 0.5, 3, "fixture counterexample", [case], tolerance=1e-2)
            rep.runs.append(CheckRun(t.id, spec, res, 0.01 * (i + 1)))
        rep.lean = (lean.NO_STATEMENT if not t.lean else lean.FAILED if t.id == LEAN_FAILED_ID
                    else lean.PARTIAL if t.lean_not_formalised else lean.PROVED)
        reports.append(rep)
    return report_json(reports, Budget("quick", 0))


def run_envelope() -> dict[str, Any]:
    """The cached-run envelope (``normalign.report_html.runs``) of the fixed run, with every Lean pin
    proved except the first of :data:`LEAN_FAILED_ID`."""
    from normalign import lean
    from normalign.lean_statements import all_pins
    from normalign.report_html.runs import FORMAT, lean_pins

    doc = verify_doc()
    pins = {}
    for p in all_pins():
        failed = p.id == LEAN_FAILED_ID and not any(q.id == LEAN_FAILED_ID for q in pins.values())
        pins[p.decl] = SimpleNamespace(decl=p.decl, id=p.id, status=lean.FAILED if failed else lean.PROVED,
                                       reason="fixture: type mismatch" if failed else "")
    audit = SimpleNamespace(checked=True, reason="", pins=pins)
    return {"format": FORMAT,
            "run": {"finished": "2026-12-01T12:00:00+00:00", "commit": "abc1234", "dirty": False,
                    "command": "normalign verify", "seconds": 42.0},
            "lean_pins": lean_pins([t["id"] for t in doc["theorems"]], audit),
            "verify": doc}
