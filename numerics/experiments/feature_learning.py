"""``normalign experiment feature-learning``: the P4 sweep behind P4's measured claims (and D4's regimes).

    normalign experiment feature-learning [--full] [--out DIR]

Trains the two-layer bias-free ReLU networks of ``normalign.numerics.maths.dynamics`` (d = 200, n = 20,
MSE, full-batch GD) in four regimes (rich = small init, weight decay, lazy = large init, lazy = last
layer only) for several seeds, prints mean [95% CI] per regime and metric, and the three criteria of
P4's measured claims: span fraction and normal alignment of the rich regimes above both lazy controls
(paired one-sided lower bound > 0), and the lazy span fraction within n/d (1 +- band). Quick: 5 seeds,
width 32, 2000 steps (about 30 s); ``--full``: 10 seeds, width 128, 4000 steps (minutes). With ``--out``
the sweep and the criteria are written to ``DIR/p4_<level>.json``. The exit status is 0 whatever the
criteria say: this is a measurement, recorded in the registry as ``MeasuredClaim``s, not a check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from normalign.numerics.checks.dynamics.regimes import (
    _sweep_for,
    check_p4_alignment_ordering,
    check_p4_lazy_chance,
    check_p4_span_ordering,
)
from normalign.numerics.maths.dynamics import p4_table

from normalign.checks import Budget
from normalign.files import write_json_atomic

CRITERIA = {
    "alignment rise (span fraction)": check_p4_span_ordering,
    "alignment rise (normal alignment)": check_p4_alignment_ordering,
    "lazy stays near n/d": check_p4_lazy_chance,
}


def main(argv: list[str]) -> int:
    """CLI entry (dispatched by ``normalign experiment feature-learning``)."""
    ap = argparse.ArgumentParser(prog="normalign experiment feature-learning", description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="10 seeds, width 128, 4000 steps (default: 5, 32, 2000)")
    ap.add_argument("--out", type=Path, default=None, help="write DIR/p4_<level>.json")
    args = ap.parse_args(argv)
    budget = Budget("full" if args.full else "quick")  # the sweep's seeds are 0..seeds-1
    sweep = _sweep_for(budget)
    print(p4_table(sweep))
    results = {name: fn(budget) for name, fn in CRITERIA.items()}
    for name, res in results.items():
        print(f"\n{name}: {res.outcome.value}\n  {res.detail}")
    if args.out is not None:
        path = write_json_atomic(args.out / f"p4_{budget.level}.json", {
            "budget": budget.level, "sweep": sweep,
            "criteria": {name: res.to_json() for name, res in results.items()}})
        print(f"\nwrote {path}")
    return 0
