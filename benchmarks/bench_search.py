"""Counterexample search: examples and seconds to the first counterexample, per engine; 1 vs 2 workers.

Part 1: every registered conjecture that expects to fail (the planted and boundary variants over drawn
examples, in the modules of the registry's checks; ``planted_t1c_constant_drawn_only`` is the thin-set
T1(c) constant with no hand-placed candidate) is searched by the ``random`` (plain hypothesis
generation), ``targeted`` and ``optimise`` engines (``normalign.property.run_chunk``, shrinking off: only
the search is timed) with ``--seeds`` seeds and a budget of ``--budget`` examples each, run as
``normalign search`` runs it: chunks of ``normalign.search.CHUNK`` examples with sub-seeds
"{prefix}{seed}/{i}", in order. Every residual evaluation counts as an example, the optimiser's included.
Reported per variant and engine: how many seeds found one, the median over seeds of the examples and
seconds spent before the first violation was seen, and the ratio random / engine of both medians. A
seed that found nothing counts as the whole budget (its median is then a lower bound, marked ">=").
Engines run interleaved (for each seed every engine in turn, the order rotated by one each seed, after
one untimed cold run each: the protocol of benchmarks/timing.py), so the seconds of one seed's engines
saw about the same machine load; the example counts do not depend on load at all and are the figure to
judge a change by. The optimise engine's constants were tuned on the seed prefix "tune" only (before
that on "fresh"; normalign.property.SCREEN has the figures); report on a prefix never used for tuning
(the README's figures: "heldoutI-" and "heldoutJ-").

Part 2: throughput (examples per second, process-pool start-up included) of ``normalign.search.search``
on a conjecture that holds (every chunk runs its whole budget), 1 vs 2 local worker processes, with the
protocol of ``benchmarks/timing.py``: one cold call each, ``--rounds`` interleaved warm rounds, paired
ratios t1 / t2 (median and worst round). The machine's load average is printed before and after, and
the same protocol times pure CPU work with 1 and 2 processes before and after the search: the speed-up
the machine can give at the moment (2 on two idle cores). The search's speed-up over that is its
parallel efficiency.

    python benchmarks/bench_search.py [--seeds 5] [--budget 2000] [--prefix bench] [--rounds 5]
                                      [--examples 6000] [--only NAME,...] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time


def first_counterexample(conj, engine: str, seed: str, budget: int) -> tuple[int | None, float]:
    """Examples and seconds before the first violation, running the chunks of ``normalign search``
    (sub-seeds "{seed}/{i}", CHUNK examples each) in order; (None, seconds spent) if none in budget."""
    from normalign.property import run_chunk
    from normalign.search import chunk_sizes

    done, secs = 0, 0.0
    for i, n in enumerate(chunk_sizes(budget)):
        r = run_chunk(conj, engine=engine, seed=f"{seed}/{i}", examples=n, index=i, shrink=False)
        if r.first_at is not None:
            return done + r.first_at, secs + r.first_seconds
        done, secs = done + r.examples, secs + r.seconds
    return None, secs


def failing_conjectures(only: tuple[str, ...] = ()) -> list:
    """The registry's conjectures that expect to fail (by name when ``only`` is given)."""
    from normalign.search import registry_conjectures

    return [c for c in registry_conjectures().values() if c.expect == "fails" and (not only or c.name in only)]


def first_counterexamples(seeds: int, budget: int, engines: tuple[str, ...], prefix: str = "bench",
                          only: tuple[str, ...] = ()) -> list[dict]:
    """Per conjecture: every engine once untimed on the seed "{prefix}warm" (the cold call: lazy imports of
    the residual), then for each seed every engine in turn, the order rotated by one each seed (the
    protocol of benchmarks/timing.py: the engines of one seed see about the same machine load)."""
    rows = []
    for conj in failing_conjectures(only):
        for engine in engines:
            first_counterexample(conj, engine, f"{prefix}warm", min(budget, 100))
        at: dict[str, list[float]] = {e: [] for e in engines}
        secs: dict[str, list[float]] = {e: [] for e in engines}
        hits = dict.fromkeys(engines, 0)
        for s in range(seeds):
            for j in range(len(engines)):
                engine = engines[(s + j) % len(engines)]
                n, t = first_counterexample(conj, engine, f"{prefix}{s}", budget)
                at[engine].append(budget if n is None else n)
                hits[engine] += n is not None
                secs[engine].append(t)
        base = (statistics.median(at["random"]), statistics.median(secs["random"])) if "random" in at else None
        for engine in engines:
            found = hits[engine]
            med_n, med_s = statistics.median(at[engine]), statistics.median(secs[engine])
            ratio_n = base[0] / med_n if base else float("nan")
            ratio_s = base[1] / med_s if base and med_s > 0 else float("nan")
            upper = ">=" if found <= seeds / 2 else "  "
            rows.append({"conjecture": f"{conj.id}:{conj.name}", "engine": engine, "found": found, "seeds": seeds,
                         "median_examples": med_n, "median_seconds": med_s, "examples": at[engine],
                         "seconds": secs[engine], "ratio_examples": ratio_n, "ratio_seconds": ratio_s,
                         "median_is_upper_bound": upper == ">="})
            print(f"{conj.id + ':' + conj.name:40s} {engine:9s} found {found}/{seeds}  median examples "
                  f"{upper}{med_n:6.1f}  median s {med_s:7.3f}  random/engine {ratio_n:5.2f}x ex, {ratio_s:6.2f}x s  "
                  f"per seed {at[engine]}", flush=True)
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


def _spin(n: int = 5_000_000) -> int:
    """Pure-Python CPU work (no I/O, no memory traffic): the calibration of the machine's parallelism."""
    s = 0
    for i in range(n):
        s += i
    return s


def _spin_pool(workers: int, chunks: int = 8) -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        list(pool.map(_spin, [5_000_000] * chunks))


def available_parallelism(rounds: int) -> dict:
    """Speed-up of 2 processes over 1 on pure CPU work, timed like the search (interleaved warm rounds):
    what the machine gives this run at the moment (2.0 on two idle cores, 1.0 when other work leaves one
    core's worth). The search's own parallel efficiency is its speed-up divided by this."""
    from timing import interleaved, paired

    times = interleaved({"1 worker": lambda: _spin_pool(1), "2 workers": lambda: _spin_pool(2)}, runs=rounds)
    median, worst = paired(times, "1 worker", "2 workers")
    print(f"calibration (pure CPU spin, 8 equal chunks, process pool): 2 vs 1 processes paired speed-up median "
          f"{median:.2f}, min {worst:.2f}", flush=True)
    return {"speedup_median": median, "speedup_min": worst, "seconds": {k: t.runs for k, t in times.items()}}


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=2000, help="examples per seed and engine")
    ap.add_argument("--prefix", default="bench", help="seed prefix (the engine was tuned on 'tune' and 'fresh')")
    ap.add_argument("--engines", default="random,targeted,optimise")
    ap.add_argument("--only", default="", help="comma-separated conjecture names (default: every one)")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved warm rounds of the throughput part")
    ap.add_argument("--examples", type=int, default=6000, help="examples per throughput run")
    ap.add_argument("--skip-first", action="store_true", help="throughput only")
    ap.add_argument("--skip-throughput", action="store_true", help="first counterexamples only")
    ap.add_argument("--json", default=None, help="write the figures here")
    args = ap.parse_args()
    t0 = time.time()
    start = _load()
    print(f"start: {start}", flush=True)
    only = tuple(n for n in args.only.split(",") if n)
    rows = [] if args.skip_first else first_counterexamples(args.seeds, args.budget, tuple(args.engines.split(",")),
                                                            args.prefix, only)
    mid = _load()
    tp = cal = None
    if not args.skip_throughput:
        cal = available_parallelism(args.rounds)
        tp = throughput(args.rounds, args.examples)
        cal_after = available_parallelism(args.rounds)
        print(f"2-worker search speed-up {tp['speedup_median']:.2f} with machine parallelism {cal['speedup_median']:.2f} "
              f"before and {cal_after['speedup_median']:.2f} after: parallel efficiency "
              f"{tp['speedup_median'] / max(cal['speedup_median'], cal_after['speedup_median']):.2f}", flush=True)
        cal = {"before": cal, "after": cal_after}
    end = _load()
    print(f"total {time.time() - t0:.0f}s; before throughput: {mid}; end: {end}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"first": rows, "throughput": tp, "parallelism": cal, "load_start": start, "load_before_throughput": mid,
                       "load_end": end}, fh, indent=1)


if __name__ == "__main__":
    main()
