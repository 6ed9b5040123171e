"""Speed of the convex checks: build each cvxpy problem once with Parameters (DPP) and re-solve,
against rebuilding it for every instance; both in one run, on the same instances.

An instance is *verified* when its solve ends with status optimal and the numpy re-check of the
witness agrees with the closed form (T1(c) full (J, b) problem: loss within SOLVER_OBJ_TOL; the
near-optimal-set misalignment problem: max misalignment^2 <= 2 delta_rel alpha).

Timed with the shared protocol of ``benchmarks/timing.py``: one untimed cold call of each way, then
``--runs`` interleaved rounds; instances verified per second at the median time, and the paired ratio
``t_rebuild / t_dpp`` of each round (median, min).

Run: ``python benchmarks/bench_convex.py [--n 40] [--runs 5]``. No timing assertions anywhere
(DEVELOPERS.md).
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from timing import interleaved, paired

from normalign.numerics.maths import minnorm as mn
from normalign.numerics.maths.convex_problems import MapProblem, MisalignProblem, orth_direction
from normalign.numerics.tolerances import MISALIGN_SQ_TOL, SOLVER_OBJ_TOL


def _instances(n: int, c: int, d: int, seed: int) -> list[tuple[np.ndarray, int, float]]:
    rng = np.random.default_rng(seed)
    return [(mn.augment(rng.standard_normal(d)), int(rng.integers(c)), float(rng.uniform(0.2, 2.0)))
            for _ in range(n)]


def run_map(insts, c: int, rebuild: bool) -> int:
    """T1(c) full problem: solve, re-check the witness in numpy against the closed form."""
    prob = MapProblem("ce", c, insts[0][0].size, "fro")
    ok = 0
    for a, y, alpha in insts:
        r = math.sqrt(alpha)
        _, W = prob.solve(a, y, r, rebuild=rebuild)
        W = W * min(1.0, r / float(np.linalg.norm(W)))
        R = r * float(np.linalg.norm(a))
        ok += abs(mn.loss_value("ce", W @ a, y) - mn.optimal_loss("ce", c, R)) <= SOLVER_OBJ_TOL * (1 + R)
    return ok


def run_misalign(insts, c: int, rebuild: bool, delta_rel: float = 1e-3) -> int:
    """T1(b): max misalignment over the near-optimal set (Frobenius), checked against 2 delta_rel alpha."""
    prob = MisalignProblem("ce", c, insts[0][0].size, "fro")
    rng = np.random.default_rng(0)
    ok = 0
    for a, y, alpha in insts:
        R = math.sqrt(alpha * float(a @ a))
        level = mn.optimal_loss("ce", c, R) + delta_rel * R * mn.optimal_loss_slope("ce", c, R)
        val, W = prob.solve(a, orth_direction(rng, c, a), math.sqrt(alpha), y=y, level=level, rebuild=rebuild)
        m2 = max(val, mn.misalignment(W, a)) ** 2 / alpha
        ok += m2 - 2 * delta_rel <= MISALIGN_SQ_TOL
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="instances per problem and way")
    ap.add_argument("--c", type=int, default=3)
    ap.add_argument("--d", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5, help="interleaved warm rounds")
    args = ap.parse_args()
    insts = _instances(args.n, args.c, args.d, seed=0)
    print(f"{args.n} instances, c = {args.c}, d = {args.d}, solver Clarabel; {args.runs} warm interleaved rounds")
    print(f"{'problem':<34}{'DPP re-solve /s':>17}{'rebuild /s':>13}{'ratio med':>11}{'ratio min':>11}{'verified':>12}")
    for name, fn in (("T1(c) full (J, b) problem", run_map), ("T1(b) max misalignment (near-opt)", run_misalign)):
        ok: dict[str, int] = {}

        def way(rebuild: bool, fn=fn, ok=ok) -> None:
            ok["rebuild" if rebuild else "dpp"] = fn(insts, args.c, rebuild=rebuild)

        times = interleaved({"dpp": lambda: way(False), "rebuild": lambda: way(True)}, runs=args.runs)
        rate_d, rate_r = ok["dpp"] / times["dpp"].median, ok["rebuild"] / times["rebuild"].median
        med, lo = paired(times, "rebuild", "dpp")
        verified = f"{ok['dpp']}/{ok['rebuild']} of {args.n}"
        print(f"{name:<34}{rate_d:>17.1f}{rate_r:>13.1f}{med:>11.2f}{lo:>11.2f}{verified:>12}")


if __name__ == "__main__":
    main()
