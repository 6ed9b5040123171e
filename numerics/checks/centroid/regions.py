"""Registry checks of the exact region enumeration (``normalign.numerics.engine.regions``), on which the
power-diagram checks (PD), the region plots and the exact radii (T2) rest.

- The complete walk (layer by layer through certified facets) finds exactly the regions that brute force
  over every activation pattern (``2^K``, an LP each) certifies, on random small networks in a normal box
  and on the review's scenario: hyperplanes near the origin cutting regions of inradius 1e-5..1e-3 there,
  inside boxes of half-width 1e4 and 1e5 (an enumerator that probes a fixed step across facets lost up
  to half of them, silently). Every region's centre is confirmed by the forward pass.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from normalign.numerics.checks.centroid.power_diagram import net_case
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.regions import (
    brute_force_regions,
    pattern_keys,
    walk_regions,
)

from normalign.checks import Budget, CheckResult, Outcome, verdict


def _cases(budget: Budget) -> list[tuple[CPANetwork, float]]:
    """(network, box half-width): small random networks in [-3, 3]^d and the tiny-regions scenario."""
    rng = np.random.default_rng(budget.seed + 140)
    out = []
    for i in range(budget.n(4, 24)):
        d = int(rng.integers(1, 4)) if budget.full else 2
        hidden = [int(w) for w in rng.integers(2, 5, size=int(rng.integers(1, 3)))]
        widths = [d] + hidden + [2]
        acts = [str(a) for a in rng.choice(["relu", "leaky_relu"], size=len(hidden), p=[0.7, 0.3])] + ["identity"]
        Ws = [rng.normal(size=(o, k)) for k, o in zip(widths, widths[1:])]
        bs = [rng.normal(size=o) for o in widths[1:]] if i % 4 else None  # every fourth bias-free
        out.append((CPANetwork.from_arrays(Ws, bs, acts, negative_slope=0.1), 3.0))
    for i in range(budget.n(1, 4)):  # the review's scenario: tiny regions near the origin, huge boxes
        Ws = [rng.normal(size=(o, k)) for k, o in zip((2, 5, 4), (5, 4, 2))]
        bs = [rng.normal(size=o) * 1e-2 for o in (5, 4, 2)]
        net = CPANetwork.from_arrays(Ws, bs)
        out += [(net, 1e4), (net, 1e5)]
    return out


def check_enumeration_vs_brute_force(budget: Budget) -> CheckResult:
    """Walk == brute force (every pattern) on small nets and on tiny regions in boxes of half-width 1e4
    and 1e5; residual: regions missed plus regions reported that brute force rejects, per case."""
    res: list[float] = []
    cases: list[dict[str, Any]] = []
    smallest, total = np.inf, 0
    for net, H in _cases(budget):
        lo, hi = -H * np.ones(net.input_dim), H * np.ones(net.input_dim)
        walk = walk_regions(net, lo, hi)
        ref, failed = brute_force_regions(net, lo, hi)
        if not walk.complete or failed:
            why = walk.inconclusive[:1] or failed[:1] or [f"{walk.unresolved} unresolved, {walk.slivers} slivers"]
            return CheckResult(Outcome.INCONCLUSIVE, np.nan, len(res), f"no certified answer (box {H:g}): {why[0]}")
        got = {c.key for c in walk.regions}
        wrong_centre = sum(pattern_keys(net, c.centre[None])[0] != c.key for c in walk.regions)
        missed, extra = set(ref) - got, got - set(ref)
        res.append(float(len(missed) + len(extra) + wrong_centre))
        smallest = min([smallest] + [ch.certified for ch in ref.values()])
        total += len(ref)
        cases.append({**net_case(net), "half_width": H, "missed": len(missed), "extra": len(extra),
                      "wrong_centre": wrong_centre})
    return verdict(res, 0.0, detail=f"regions missed + extra + centres off their pattern, per case; {total} regions "
                   f"in {len(res)} boxes, smallest certified inradius {smallest:.1e}", counterexample=lambda i: cases[i])
