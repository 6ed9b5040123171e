"""Exact Jacobians and scores of many points through a 784-256-256-10 ReLU network, float64, in one run.

Methods, timed with the shared protocol of ``benchmarks/timing.py`` (one untimed cold call each, then
``--runs`` interleaved rounds; min and median per method; paired ratios per round):

- ``vmap(jacrev)``: ``torch.func.vmap(torch.func.jacrev(f))`` on all points (torch's fast way);
- ``autograd loop``: ``torch.autograd.functional.jacobian`` point by point (the naive way), on the first
  ``--loop-n`` points only, its times scaled by ``n / loop_n``; ``--loop-n 0`` skips it;
- ``engine J``: ``region_maps`` (exact ``J_x`` and ``b_x``, output-side pattern product in chunks);
- ``engine scores``: ``analyze(jacobian=False, layer_sites=False, robustness=False)``: every D1/D2 score
  (plain and augmented), centroid and offset, from ``A (W_1 W_1^T) A^T`` and ``A (W_1 x)``, no J;
- ``engine scores via J``: the same outputs through the explicit J (``analyze(jacobian=True, ...)``);
- ``torch pattern product``: a reference, not the engine: the engine's output-side product written in
  torch, to separate the algorithm from the BLAS;
- ``GEMM floor``: a bound, not a method: only the dense products every exact method must do for this
  network (the forward pass and the output-side products ``(n c, 10) x (10, 256)``, ``(n c, 256) x
  (256, 256)``, ``(n c, 256) x (256, 784)``: torch's own jacrev does exactly these), on the same BLAS,
  with no masks. A method cannot be much faster than this: ``vmap(jacrev) / GEMM floor`` is the most
  any exact-J method can gain over vmap here;
- ``scores floor``: a bound, not a method: the dense work every output-side (reverse-mode) way of
  computing the scores and the centroid does for this network (a forward-mode route would carry
  (n, 784, width) products, 78 times more), on random operands of the same shapes with no masks: the forward
  pass, the output-side products down to ``A`` (``J = A W_1``), half of ``A (W_1 W_1^T)`` (a triangular
  factor of ``W_1 W_1^T`` halves that product, so half is the most charitable count), the centroid
  product ``(n, 256) x (256, 784)``, and the eigenvalues (only) of the plain and augmented ``G``. Hence
  ``engine J / scores floor`` is the most any scores path can gain over the engine's J path here, and
  ``GEMM floor / scores floor`` what it can gain over a J path at its own floor;
- ``eigen-solves``: a part, not a method: the two batched ``c x c`` symmetric eigen-decompositions
  (plain and augmented ``G``) that every score path does, J or not; the scores path's speed-up over the
  J path is bounded by the share this takes (Amdahl).

Targets (issue 17), read off the paired ratios of the same run: engine J >= 1.3x faster than
vmap(jacrev); engine scores >= 2x faster than engine J; peak memory <= output + 1 GiB. Peak memory is
measured one method per fresh process (``timing.isolated_peak``). Also printed: the largest
disagreement of the engine's J with vmap(jacrev) and of the scores path with the J path, and the
machine's load average (the machine may be shared; paired ratios are what to compare). Timings run
with glibc keeping freed memory for reuse (see ``timing.retain_freed_memory``; ``--fresh-memory`` not).

    python benchmarks/bench_jacobians.py [--n 10000] [--threads 2] [--runs 5] [--loop-n 10] [--no-memory] [--fresh-memory]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import numpy as np

from timing import MEMORY_FLAG, interleaved, isolated_peak, load_average, paired, report_peak, retain_freed_memory

GiB = 2**30
TARGETS = (("vmap(jacrev)", "engine J", 1.3), ("engine J", "engine scores", 2.0))
"""(slower, faster, speed-up asked of the faster): the paired ratio t_slower / t_faster."""


def _setup(n: int, seed: int, threads: int) -> dict[str, Any]:
    import torch
    from threadpoolctl import threadpool_limits

    from normalign.numerics.engine.network import CPANetwork

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    gen = torch.Generator().manual_seed(seed)
    seq = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 256),
                              torch.nn.ReLU(), torch.nn.Linear(256, 10)).double()
    X_t = torch.randn(n, 784, dtype=torch.float64, generator=gen)
    return {"seq": seq, "X_t": X_t, "X": X_t.numpy(), "net": CPANetwork.from_sequential(seq)}


def _methods(env: dict[str, Any], loop_n: int) -> dict[str, Callable[[], Any]]:
    import torch

    from normalign.numerics.engine.geometry import analyze, region_maps

    seq, X_t, X, net = env["seq"], env["X_t"], env["X"], env["net"]

    def vmap_jacrev():
        with torch.no_grad():
            return torch.func.vmap(torch.func.jacrev(seq))(X_t)

    def loop():
        return [torch.autograd.functional.jacobian(seq, X_t[i]) for i in range(loop_n)]

    methods: dict[str, Callable[[], Any]] = {"vmap(jacrev)": vmap_jacrev}
    if loop_n:
        methods["autograd loop"] = loop
    methods["engine J"] = lambda: region_maps(net, X)
    methods["engine scores"] = lambda: analyze(net, X, jacobian=False, layer_sites=False, robustness=False)
    methods["engine scores via J"] = lambda: analyze(net, X, jacobian=True, layer_sites=False, robustness=False)
    methods["torch pattern product"] = lambda: _torch_pattern_product(seq, X_t)
    methods["GEMM floor"] = _gemm_floor(seq, X_t)
    methods["scores floor"] = _scores_floor(seq, X_t)
    G = np.einsum("ncd,nmd->ncm", *(2 * [np.random.default_rng(0).standard_normal((X.shape[0], 10, 30))]))
    methods["eigen-solves"] = lambda: (np.linalg.eigh(G), np.linalg.eigh(G + 1.0))
    return methods


def _floor_operands(seq: Any, X_t: Any) -> tuple[int, int, Any, list[Any]]:
    """``(n, c, A10, [W_1, W_2, W_3])``: random (n c, 10) output-side cotangents and the weights."""
    import torch

    n, c = X_t.shape[0], seq[4].weight.shape[0]
    return n, c, torch.randn(n * c, 10, dtype=torch.float64), [m.weight.detach() for m in (seq[0], seq[2], seq[4])]


def _forward_and_A(X_t: Any, A10: Any, W: list[Any]) -> Any:
    """The forward pass's dense products, then ``A`` (n c, k_1) of the output-side product (no masks)."""
    h = X_t @ W[0].T
    h = h @ W[1].T
    h @ W[2].T
    return (A10 @ W[2]) @ W[1]


def _gemm_floor(seq: Any, X_t: Any) -> Callable[[], Any]:
    """The dense products of the forward pass and of the output-side Jacobian product, on random
    operands of the same shapes (no masks, no bias): a floor for any exact-J method on this BLAS."""
    import torch

    _, _, A10, W = _floor_operands(seq, X_t)

    def run():
        with torch.no_grad():
            return _forward_and_A(X_t, A10, W) @ W[0]

    return run


def _scores_floor(seq: Any, X_t: Any) -> Callable[[], Any]:
    """The scores path's necessary dense work (see the module docstring), on random operands of the
    same shapes: forward pass, ``A``, half of ``A G_1``, ``G = B A^T``, the centroid product, and the
    eigenvalues of two batches of ``c x c`` symmetric matrices."""
    import torch

    n, c, A10, W = _floor_operands(seq, X_t)
    half = torch.randn(W[1].shape[1], W[1].shape[1] // 2, dtype=torch.float64)
    rows = torch.randn(n, W[0].shape[0], dtype=torch.float64)

    def run():
        with torch.no_grad():
            A = _forward_and_A(X_t, A10, W)
            B = A @ half
            G = torch.bmm(B.reshape(n, c, -1), A[:, : half.shape[1]].reshape(n, c, -1).transpose(1, 2))
            rows @ W[0]  # the centroid W_1^T (A^T 1)
            G = G + G.transpose(1, 2)
            return torch.linalg.eigvalsh(G), torch.linalg.eigvalsh(G + 1.0)

    return run


def _torch_pattern_product(seq: Any, X_t: Any) -> Any:
    """Reference (not the engine): ``J = diag(s_3) W_3 diag(s_2) W_2 diag(s_1) W_1`` from the output side in
    torch, for this benchmark's Linear-ReLU-Linear-ReLU-Linear network."""
    import torch

    l1, l2, l3 = seq[0], seq[2], seq[4]
    with torch.no_grad():
        z1 = X_t @ l1.weight.T + l1.bias
        s1 = (z1 > 0).to(X_t.dtype)
        s2 = ((z1 * s1) @ l2.weight.T + l2.bias > 0).to(X_t.dtype)
        n, c = X_t.shape[0], l3.weight.shape[0]
        A = l3.weight[None] * s2[:, None, :]
        A = (A.reshape(n * c, -1) @ l2.weight).reshape(n, c, -1) * s1[:, None, :]
        return (A.reshape(n * c, -1) @ l1.weight).reshape(n, c, -1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5, help="interleaved warm rounds (>= 5 for the report)")
    ap.add_argument("--loop-n", type=int, default=10, help="points for the per-point loop, times scaled (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-memory", action="store_true", help="skip the per-method memory processes")
    ap.add_argument("--fresh-memory", action="store_true",
                    help="time with the default allocator (every large array fresh from the kernel)")
    ap.add_argument(MEMORY_FLAG, dest="memory_of", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    loop_n = min(args.loop_n, args.n)

    allocator = "allocator: default" if args.fresh_memory or args.memory_of is not None else retain_freed_memory()
    env = _setup(args.n, args.seed, args.threads)
    methods = _methods(env, loop_n)
    if args.memory_of is not None:  # child process of isolated_peak
        report_peak(methods[args.memory_of], inputs=(env["X"], env["X_t"]))
        return 0

    load_before = load_average()
    print(f"n = {args.n} points, 784-256-256-10 ReLU, float64, {args.threads} threads; "
          f"{args.runs} warm interleaved rounds after one cold call each; {allocator}")
    times = interleaved(methods, runs=args.runs)
    if loop_n:
        scale = args.n / loop_n
        t = times["autograd loop"]
        t.cold *= scale
        t.runs = [r * scale for r in t.runs]
    load_after = load_average()

    mem: dict[str, dict[str, int]] = {}
    if not args.no_memory:
        child = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--fresh-memory"]
        for name in methods:
            mem[name] = isolated_peak(__file__, child, name)

    print(f"\n{'method':<22}{'cold s':>9}{'min s':>9}{'median s':>10}{'peak extra':>13}{'output':>11}{'extra - out':>13}")
    for name, t in times.items():
        label = name
        m = mem.get(name)
        memtxt = (f"{m['peak_extra'] / 2**20:>10.0f} MiB{m['output'] / 2**20:>8.0f} MiB"
                  f"{(m['peak_extra'] - m['output']) / 2**20:>9.0f} MiB") if m else f"{'-':>13}{'-':>11}{'-':>13}"
        print(f"{label:<22}{t.cold:>9.3f}{t.min:>9.3f}{t.median:>10.3f}{memtxt}")
        if name == "autograd loop":
            print(f"{'':<22}(times above are for all {args.n} points: {loop_n}-point runs times {args.n / loop_n:g})")

    print("\npaired ratios t_slower / t_faster per round (median, min over rounds):")
    pairs = [(a, b, tgt) for a, b, tgt in TARGETS]
    pairs += [("engine scores via J", "engine scores", None), ("vmap(jacrev)", "engine scores", None),
              ("engine J", "torch pattern product", None), ("vmap(jacrev)", "torch pattern product", None),
              ("vmap(jacrev)", "GEMM floor", None), ("engine J", "GEMM floor", None),
              ("engine J", "scores floor", None), ("GEMM floor", "scores floor", None),
              ("engine scores", "scores floor", None),
              ("engine scores", "eigen-solves", None)]
    if loop_n:
        pairs += [("autograd loop", "engine J", None), ("autograd loop", "vmap(jacrev)", None)]
    met = True
    for a, b, tgt in pairs:
        med, lo = paired(times, a, b)
        verdict = ""
        if tgt is not None:
            ok = med >= tgt
            met &= ok
            verdict = f"  target >= {tgt}x: {'met' if ok else 'NOT met'} at the median" + \
                      (f", {'met' if lo >= tgt else 'not met'} in every round" if ok else "")
        print(f"  {a} / {b}: {med:.2f}x median, {lo:.2f}x min{verdict}")
    for name, m in mem.items():
        if name.startswith("engine"):
            ok = m["peak_extra"] <= m["output"] + GiB
            met &= ok
            print(f"  memory {name}: peak extra {m['peak_extra'] / 2**20:.0f} MiB <= output "
                  f"{m['output'] / 2**20:.0f} MiB + 1 GiB: {'met' if ok else 'NOT met'}")

    _agreement(env)
    print(f"load average (1, 5, 15 min): before {load_before}; after {load_after}")
    print("all targets met" if met else "some targets NOT met")
    return 0


def _agreement(env: dict[str, Any], m: int = 500) -> None:
    """Untimed: the engine's J against vmap(jacrev), and the scores path against the J path, on m points."""
    import torch

    from normalign.numerics.engine.geometry import analyze, region_maps

    seq, X_t, X, net = env["seq"], env["X_t"][:m], env["X"][:m], env["net"]
    with torch.no_grad():
        J_ref = torch.func.vmap(torch.func.jacrev(seq))(X_t).numpy()
    J, _ = region_maps(net, X)
    rel = float(np.abs(J - J_ref).max() / np.abs(J_ref).max())
    ref_rel = float(np.abs(_torch_pattern_product(seq, X_t).numpy() - J_ref).max() / np.abs(J_ref).max())
    g0 = analyze(net, X, jacobian=False, layer_sites=False, robustness=False)
    g1 = analyze(net, X, jacobian=True, layer_sites=False, robustness=False)
    sc = max(float(np.nanmax(np.abs(g0.scores[k] - g1.scores[k]))) for k in g0.scores)
    au = max(float(np.nanmax(np.abs(g0.augmented[k] - g1.augmented[k]))) for k in g0.augmented)
    print(f"agreement on {m} points: max |J - J_vmap| / max |J|: engine {rel:.1e}, torch pattern product "
          f"{ref_rel:.1e}; max score difference scores path vs J path = {sc:.1e} (augmented {au:.1e})")


if __name__ == "__main__":
    sys.exit(main())
