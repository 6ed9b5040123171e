"""``normalign experiment feature-learning``: the P4 sweep behind P4's measured claims (and D4's regimes).

    normalign experiment feature-learning [--full] [--seeds N --steps T --width W] [--out DIR]

Trains the two-layer bias-free ReLU networks of ``normalign.numerics.maths.dynamics`` (d = 200, n = 20,
MSE, full-batch GD) in four regimes (rich = small init, weight decay, lazy = large init, lazy = last
layer only), prints mean [95% CI] per regime and metric, then what P4's measured claims are judged on:
for every (rich, lazy) pair the paired (same seeds) one-sided 99.9% lower bound of the difference in
span fraction and in normal alignment ("alignment rise": both > 0), and the lazy span fractions
against chance n/d ("lazy stays near n/d"). Default sizes (5 seeds, width 32, 2000 steps, about 30 s)
are the quick budget's; ``--full`` is 10 seeds, width 128, 4000 steps (minutes), as ``normalign
verify --full``. With ``--out`` the sweep is written to ``DIR/p4_s<seeds>_t<steps>_w<width>.json``.
Exit status 0 whatever the numbers say: this is a measurement, recorded in the registry as
``MeasuredClaim``s, not a check.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from normalign.numerics.maths.dynamics import LAZY, RICH, mean_ci, p4_sweep, p4_table, paired_lower_bound

from normalign.files import write_json_atomic

QUICK = {"seeds": 5, "steps": 2000, "width": 32}
FULL = {"seeds": 10, "steps": 4000, "width": 128}
ALPHA = 1e-3
D, N = 200, 20  # p4_sweep's defaults


def summary(sweep: dict) -> str:
    """The paired lower bounds (rich minus lazy) and the lazy span fractions against n/d, as text."""
    lines = [f"paired one-sided {1 - ALPHA:.1%} lower bound of (rich - lazy), > 0 means the rise is significant:"]
    for metric in ("span_fraction", "normal_alignment"):
        for hi in RICH:
            for lo in LAZY:
                lb = paired_lower_bound(sweep[hi][metric], sweep[lo][metric], ALPHA)
                lines.append(f"  {metric}: {hi} - {lo}: {lb:.4f}")
    lines.append(f"lazy span fraction, mean [95% CI], against n/d = {N / D}:")
    for lab in LAZY:
        m, lo_, hi_ = mean_ci(sweep[lab]["span_fraction"])
        lines.append(f"  {lab}: {m:.4f} [{lo_:.4f}, {hi_:.4f}] = {m / (N / D):.2f} n/d")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """CLI entry (dispatched by ``normalign experiment feature-learning``)."""
    ap = argparse.ArgumentParser(prog="normalign experiment feature-learning", description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="the full budget's sizes: 10 seeds, width 128, 4000 steps")
    ap.add_argument("--seeds", type=int, default=None, help=f"seeds (default {QUICK['seeds']})")
    ap.add_argument("--steps", type=int, default=None, help=f"GD steps (default {QUICK['steps']})")
    ap.add_argument("--width", type=int, default=None, help=f"hidden width (default {QUICK['width']})")
    ap.add_argument("--out", type=Path, default=None, help="write the sweep as JSON under DIR")
    args = ap.parse_args(argv)
    sizes = dict(FULL if args.full else QUICK)
    sizes.update({k: v for k, v in (("seeds", args.seeds), ("steps", args.steps), ("width", args.width)) if v})
    if sizes["seeds"] < 2 or sizes["steps"] < 1 or sizes["width"] < 1:
        ap.error("need --seeds >= 2 (for a CI), --steps >= 1, --width >= 1")
    sweep = p4_sweep(seeds=sizes["seeds"], steps=sizes["steps"], width=sizes["width"])  # cached: as the checks call it
    print(f"P4 sweep: d = {D}, n = {N}, {sizes['seeds']} seeds, width {sizes['width']}, {sizes['steps']} steps")
    print(p4_table(sweep))
    print(summary(sweep))
    if args.out is not None:
        name = f"p4_s{sizes['seeds']}_t{sizes['steps']}_w{sizes['width']}.json"
        print(f"wrote {write_json_atomic(args.out / name, {'sizes': sizes, 'd': D, 'n': N, 'sweep': sweep})}")
    return 0
