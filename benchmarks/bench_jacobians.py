"""Exact Jacobians of many points through a 784-256-256-10 ReLU network, float64, in one run.

Compared: a per-point autograd loop (the naive way), ``torch.func.vmap(jacrev(f))``, the engine's
``region_maps`` (J and b from the pattern product, formed from the output side, in chunks), and the
engine's scores-only path (``analyze(jacobian=False)``: D1/D2 scores from ``A (W_1 W_1^T) A^T`` and
``A (W_1 x)`` without forming J). Prints each time, the ratios, the largest disagreement with
vmap(jacrev), and peak memory (numpy's allocations by tracemalloc; the process's peak RSS).

    python benchmarks/bench_jacobians.py [--n 10000] [--threads 2] [--loop-n N]

``--loop-n`` times the per-point loop on the first N points only and scales to n (it is the slow one).
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--loop-n", type=int, default=None, help="points for the per-point loop (default: all)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    from threadpoolctl import threadpool_limits

    from normalign.numerics.engine.geometry import analyze, region_maps
    from normalign.numerics.engine.network import CPANetwork

    torch.set_num_threads(args.threads)
    threadpool_limits(args.threads)
    gen = torch.Generator().manual_seed(args.seed)
    seq = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                              torch.nn.ReLU(), torch.nn.Linear(256, 10)).double()
    X_t = torch.randn(args.n, 784, dtype=torch.float64, generator=gen)
    X = X_t.numpy()
    net = CPANetwork.from_sequential(seq)
    print(f"n = {args.n} points, 784-256-256-10 ReLU, float64, {args.threads} threads")

    rows = []

    # naive: per-point autograd loop
    m = args.loop_n or args.n
    t0 = time.perf_counter()
    for i in range(m):
        torch.autograd.functional.jacobian(seq, X_t[i])
    t_loop = (time.perf_counter() - t0) * args.n / m
    rows.append(("per-point autograd loop" + (f" ({m} pts, scaled)" if m < args.n else ""), t_loop, None))

    # torch.func.vmap(jacrev)
    t0 = time.perf_counter()
    with torch.no_grad():
        J_ref = torch.func.vmap(torch.func.jacrev(seq))(X_t)
    t_vmap = time.perf_counter() - t0
    rows.append(("torch.func.vmap(jacrev(f))", t_vmap, None))
    J_ref = J_ref.numpy()

    # engine, J path
    tracemalloc.start()
    t0 = time.perf_counter()
    J, b = region_maps(net, X)
    t_eng = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    err = float(np.abs(J - J_ref).max())
    rows.append(("engine region_maps (J, b)", t_eng, peak - J.nbytes - b.nbytes))
    del J_ref

    # engine, scores without J
    tracemalloc.start()
    t0 = time.perf_counter()
    geo = analyze(net, X, jacobian=False, layer_sites=False, robustness=False)
    t_sc = time.perf_counter() - t0
    _, peak_sc = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append(("engine scores only (no J)", t_sc, peak_sc))

    # same scores from the J path, for the agreement check
    geo_j = analyze(net, X[:500], jacobian=True, layer_sites=False, robustness=False)
    sc_err = max(float(np.nanmax(np.abs(geo.scores[k][:500] - geo_j.scores[k]))) for k in ("frobenius_ratio", "pc1"))

    print(f"{'method':44s} {'seconds':>9s} {'vs loop':>9s} {'vs vmap':>9s} {'extra peak (numpy)':>20s}")
    for name, t, mem in rows:
        memtxt = "-" if mem is None else f"{mem / 2**20:.0f} MiB"
        print(f"{name:44s} {t:9.3f} {t_loop / t:8.1f}x {t_vmap / t:8.2f}x {memtxt:>20s}")
    print(f"J path vs scores path: {t_eng / t_sc:.2f}x  (target >= 1.7x)")
    print(f"engine vs vmap(jacrev): {t_vmap / t_eng:.2f}x  (target >= 1.3x)")
    print(f"max |J_engine - J_vmap| = {err:.2e}; max score difference J path vs Gram path = {sc_err:.2e}")
    print(f"process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB "
          f"(J output alone: {args.n * 10 * 784 * 8 / 2**20:.0f} MiB)")


if __name__ == "__main__":
    main()
