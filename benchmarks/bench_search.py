"""Counterexample search: examples and seconds to the first counterexample, per engine; 1 vs 2 workers.

Part 1: every registered conjecture that expects to fail (planted and boundary variants, in the modules
of the registry's property checks; ``planted_t1c_constant_drawn_only`` is the thin-set T1(c) constant
with no hand-placed candidate) is searched by the ``random``, ``targeted`` and ``optimise`` engines
(``normalign.property.run_chunk``) with ``--seeds`` seeds and a budget of ``--budget`` examples each,
run as ``normalign search`` runs it: chunks of ``normalign.search.CHUNK`` examples with sub-seeds, in order. Reported: how many seeds found
one, and the median over seeds of the examples and seconds spent before the first violation was seen
(before shrinking); a seed that found nothing counts as the whole budget (the median is then a lower
bound of the true figure when half or more found nothing, marked ">=").

Part 2: throughput (examples per second, pool start-up included) of ``normalign.search.search`` on a
conjecture that holds (``T2:t2a_radius_bound``, so every chunk runs its whole budget), 1 vs 2 local
worker processes, with the protocol of ``benchmarks/timing.py``: one cold call each, ``--rounds``
interleaved warm rounds, paired ratios (median and worst round).

    python benchmarks/bench_search.py [--seeds 5] [--budget 2000] [--rounds 5] [--examples 2000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def first_counterexample(conj, engine: str, seed: int, budget: int) -> tuple[int | None, float]:
    """Examples and seconds before the first violation, running the chunks of ``normalign search``
    (sub-seeds "bench{seed}/{i}", CHUNK examples each) in order; (None, seconds spent) if none in budget."""
    from normalign.property import run_chunk
    from normalign.search import chunk_sizes

    done, secs = 0, 0.0
    for i, n in enumerate(chunk_sizes(budget)):
        r = run_chunk(conj, engine=engine, seed=f"bench{seed}/{i}", examples=n, index=i)
        if r.first_at is not None:
            return done + r.first_at, secs + r.first_seconds
        done, secs = done + r.examples, secs + r.seconds
    return None, secs


def first_counterexamples(seeds: int, budget: int, engines: tuple[str, ...]) -> list[dict]:
    from normalign.search import registry_conjectures

    rows = []
    for conj in registry_conjectures().values():
        if conj.expect != "fails":
            continue
        for engine in engines:
            at, secs, found = [], [], 0
            for s in range(seeds):
                n, t = first_counterexample(conj, engine, s, budget)
                found += n is not None
                at.append(budget if n is None else n)
                secs.append(t)
            upper = ">=" if found <= seeds / 2 else "  "
            rows.append({"conjecture": f"{conj.id}:{conj.name}", "engine": engine, "found": found, "seeds": seeds,
                         "median_examples": statistics.median(at), "median_seconds": statistics.median(secs),
                         "examples": at, "median_is_upper_bound": upper == ">="})
            print(f"{conj.id}:{conj.name:34s} {engine:9s} found {found}/{seeds}  median examples to first "
                  f"{upper}{statistics.median(at):6.0f}  median s {statistics.median(secs):6.2f}  per seed {at}",
                  flush=True)
    return rows


def throughput(rounds: int, examples: int) -> dict:
    """1 vs 2 local workers on the same search (same chunks, same examples), timed with the protocol of
    benchmarks/timing.py (one cold call each, then ``rounds`` interleaved rounds, paired ratios)."""
    from timing import interleaved, paired

    from normalign.search import search

    ref = "normalign.numerics.checks.robustness.properties:t2a_radius_bound"

    def run(workers: int):
        out = search(ref, engine="random", seed=0, examples=examples, workers=workers)
        assert not out.cases and out.examples >= examples
        return out

    times = interleaved({"1 worker": lambda: run(1), "2 workers": lambda: run(2)}, runs=rounds)
    median, worst = paired(times, "1 worker", "2 workers")
    rate = {k: examples / t.median for k, t in times.items()}
    print(f"throughput (T2:t2a_radius_bound, {examples} examples, random engine, pool start-up included): "
          f"1 worker {rate['1 worker']:.0f} ex/s, 2 workers {rate['2 workers']:.0f} ex/s (medians of {rounds} warm "
          f"runs); paired speed-up t1/t2 median {median:.2f}, min {worst:.2f}", flush=True)
    return {"examples": examples, "rounds": rounds, "seconds": {k: t.runs for k, t in times.items()},
            "cold": {k: t.cold for k, t in times.items()}, "speedup_median": median, "speedup_min": worst}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=2000, help="examples per seed and engine")
    ap.add_argument("--engines", default="random,targeted,optimise")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved warm rounds of the throughput part")
    ap.add_argument("--examples", type=int, default=2000, help="examples per throughput run")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    t0 = time.time()
    load = os.getloadavg()[0]
    print(f"load average at start {load:.1f} on {os.cpu_count()} cores", flush=True)
    rows = first_counterexamples(args.seeds, args.budget, tuple(args.engines.split(",")))
    tp = throughput(args.rounds, args.examples)
    print(f"total {time.time() - t0:.0f}s; load average at end {os.getloadavg()[0]:.1f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"first": rows, "throughput": tp, "load_start": load, "load_end": os.getloadavg()[0]}, fh, indent=1)


if __name__ == "__main__":
    main()
