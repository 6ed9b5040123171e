"""Exact regions and exact radii, per second, and the exact L-inf radius by MILP against brute force.

In one run, on the same small 2-d networks:

1. the exact partition of a box (the complete walk through LP-certified facets, layer by layer, with
   HalfspaceIntersection polygons): regions per second, whether the walk certified completeness, and
   the area defect (sum of region areas vs the box, a diagnostic with a rounding floor); and the same
   walk against brute force over all 2^K activation patterns on a small network whose regions near the
   origin have inradius ~1e-4, in a box of half-width 1e5 (the old probe-step search lost about half);
2. Chebyshev centres (linprog on HiGHS) of the regions found: centres per second;
3. exact radii per second: the in-region L2 QP (cvxpy, Clarabel), the global L-inf MILP (HiGHS), the
   global L2 best-first region search;
4. the exact global L-inf radius of the same points by MILP and by brute force (every region in the
   domain box enumerated, one LP per region and target): both times, their ratio, the largest
   relative disagreement of the radii (both witnesses re-verified by a forward pass), and the widest
   certified bracket (radius - lower) / radius.

Throughputs are one run each; the MILP vs brute-force comparison (4.) uses the shared protocol of
``benchmarks/timing.py`` (cold call, ``--runs`` interleaved warm rounds, medians, paired ratio).

Run: ``python benchmarks/bench_regions.py [--points 6] [--width 8] [--runs 5]``.
No timing assertions anywhere (DEVELOPERS.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from timing import interleaved, paired

from normalign.numerics.engine.exact_robustness import brute_force_radius, in_region_l2, milp_radius, region_search_l2
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.engine.regions import brute_force_regions, chebyshev, enumerate_partition, walk_regions


def _net(seed: int, width: int, depth: int, classes: int) -> CPANetwork:
    rng = np.random.default_rng(seed)
    widths = [2] + [width] * depth + [classes]
    Ws = [rng.normal(size=(o, i)) / np.sqrt(i) * 1.5 for i, o in zip(widths, widths[1:])]
    bs = [rng.normal(size=o) * 0.5 for o in widths[1:]]
    return CPANetwork.from_arrays(Ws, bs)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--points", type=int, default=6)
    p.add_argument("--width", type=int, default=8)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--R", type=float, default=1.5, help="domain box half-width for the global radii")
    p.add_argument("--runs", type=int, default=5, help="interleaved warm rounds of MILP vs brute force")
    a = p.parse_args(argv)
    net = _net(0, a.width, a.depth, 3)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(a.points, 2))

    t = time.perf_counter()
    part = enumerate_partition(net, [-3, -3], [3, 3])
    t_part = time.perf_counter() - t
    print(f"network 2-{'-'.join([str(a.width)] * a.depth)}-3; box [-3,3]^2")
    print(f"partition: {len(part.regions)} regions in {t_part:.3f} s = {len(part.regions) / t_part:.1f} regions/s "
          f"(complete: {part.complete}, thin cells {len(part.thin)}, area defect {part.area_defect:.1e} "
          f"<= floor {part.area_tol:.1e})")

    rng0 = np.random.default_rng(0)
    tiny = CPANetwork.from_arrays([rng0.normal(size=(o, i)) for i, o in ((2, 5), (5, 4), (4, 2))],
                                  [rng0.normal(size=o) * 1e-2 for o in (5, 4, 2)])
    H = np.full(2, 1e5)
    t = time.perf_counter()
    walk = walk_regions(tiny, -H, H)
    t_walk = time.perf_counter() - t
    t = time.perf_counter()
    ref, _ = brute_force_regions(tiny, -H, H)
    t_ref = time.perf_counter() - t
    got = {c.key for c in walk.regions}
    print(f"tiny regions, box half-width 1e5 (2-5-4-2, biases ~1e-2): walk {len(got)} regions in {t_walk:.3f} s "
          f"(complete: {walk.complete}); brute force over 2^9 patterns {len(ref)} in {t_ref:.3f} s; equal: "
          f"{got == set(ref)}; smallest inradius {min(c.radius for c in walk.regions):.1e}")

    t = time.perf_counter()
    cs = [chebyshev(r.poly) for r in part.regions]
    t_ch = time.perf_counter() - t
    print(f"Chebyshev centres: {len(cs)} in {t_ch:.3f} s = {len(cs) / t_ch:.1f} /s "
          f"(all optimal: {all(c.status == 0 for c in cs)})")

    t = time.perf_counter()
    inr = [in_region_l2(net, x) for x in X]
    t_in = time.perf_counter() - t
    print(f"in-region L2 QP: {len(inr)} in {t_in:.3f} s = {len(inr) / t_in:.1f} /s "
          f"(verified {sum(r.verified for r in inr)})")

    # the one comparison of two ways to the same numbers: timed warm and interleaved (benchmarks/timing.py)
    found: dict[str, list] = {}

    def radii(name: str, fn) -> None:
        found[name] = [fn(net, x, "linf", R=a.R) for x in X]

    times = interleaved({"MILP": lambda: radii("MILP", milp_radius),
                         "brute force": lambda: radii("brute force", brute_force_radius)}, runs=a.runs)
    mil, bf = found["MILP"], found["brute force"]
    t_milp, t_bf = times["MILP"].median, times["brute force"].median
    ratio_med, ratio_min = paired(times, "brute force", "MILP")
    print(f"global L-inf MILP: {len(mil)} in {t_milp:.3f} s (median of {a.runs} warm runs) = "
          f"{len(mil) / t_milp:.2f} /s (verified {sum(r.verified for r in mil)})")

    t = time.perf_counter()
    l2 = [region_search_l2(net, x, R=a.R) for x in X]
    t_l2 = time.perf_counter() - t
    print(f"global L2 region search: {len(l2)} in {t_l2:.3f} s = {len(l2) / t_l2:.2f} /s "
          f"(verified {sum(r.verified for r in l2)}, regions visited {sum(r.regions for r in l2)})")

    dis = max(abs(m.radius - b.radius) / max(b.radius, 1e-12) if np.isfinite(b.radius) else
              (0.0 if np.isinf(m.radius) else np.inf) for m, b in zip(mil, bf))
    print(f"brute-force L-inf (enumerate {sum(b.regions for b in bf)} regions, LP each): {t_bf:.3f} s; "
          f"MILP {t_milp:.3f} s (medians); brute force / MILP = {ratio_med:.1f}x paired median, {ratio_min:.1f}x min; "
          f"max relative radius disagreement {dis:.1e} (verified {sum(b.verified for b in bf)}/{len(bf)})")
    widths = [(r.radius - r.lower) / r.radius for r in mil + bf + l2 if r.verified and np.isfinite(r.radius)]
    print(f"certified brackets (radius - lower) / radius: max {max(widths):.1e} over {len(widths)} radii")
    fo = np.array([r.radius for r in l2])
    print("exact global L2 radii:", np.round(fo, 4).tolist())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
