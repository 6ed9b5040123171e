"""Exact Jacobians of a LeNet-5-sized convolutional network on many 28x28 inputs, float64 (issue 17).

Network (``normalign.numerics.checks.definitions.conv_nets.lenet5``): conv 6@5x5 (padding 2), ReLU,
max-pool 2, conv 16@5x5, ReLU, max-pool 2, Linear 400-120, ReLU, 120-84, ReLU, 84-10; read from the
nn.Module by ``CPANetwork.from_module`` (torch.fx) into the engine's chain.

Methods, timed with the shared protocol of ``benchmarks/timing.py`` (one untimed cold call each, then
``--runs`` interleaved warm rounds; min and median per method; paired ratios per round):

- ``vmap(jacrev)``: ``torch.func.vmap(torch.func.jacrev(f))`` on all points;
- ``engine J``: ``region_maps`` (exact ``J_x`` and ``b_x``): forward pass, then the output-side product
  through transposed convolutions and, for each max-pool, one gather of the winners' cotangents
  (``operators.Tournament``);
- ``engine scores``: ``analyze(jacobian=False, layer_sites=False, robustness=False)`` (with a convolution
  as first layer the scores path forms J chunk by chunk, without returning it).

- ``reverse floor``: a bound, not a method: the module's forward pass, then for ``c`` cotangents per point
  only the linear layers' reverse products and the two convolutions' input gradients (torch's own
  kernels), in chunks of ``--floor-chunk`` points, with no activation masks and no max-pool routing
  (those only add work). Every exact reverse-mode J of this network does at least these products, so
  ``vmap(jacrev) / reverse floor`` is the most an exact-J method can gain over vmap here.

Target (issue 17): engine J at least 1.3x faster than vmap(jacrev), read off the paired ratio of the
same run. Also printed: the largest disagreement of the engine's J with vmap(jacrev), and the load
average (the machine may be shared; paired ratios are what to compare). Timings run with glibc keeping
freed memory for reuse (``timing.retain_freed_memory``; ``--fresh-memory`` not).

    python benchmarks/bench_conv.py [--n 10000] [--threads 2] [--runs 5] [--floor-chunk 1000] [--fresh-memory]
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

import numpy as np

from timing import interleaved, load_average, paired, retain_freed_memory

TARGET = ("vmap(jacrev)", "engine J", 1.3)


def _setup(n: int, seed: int, threads: int) -> dict[str, Any]:
    import torch
    from threadpoolctl import threadpool_limits

    from normalign.numerics.checks.definitions.conv_nets import lenet5
    from normalign.numerics.engine.network import CPANetwork

    torch.set_num_threads(threads)
    threadpool_limits(threads)
    module = lenet5(seed)
    net = CPANetwork.from_module(module, (1, 28, 28))
    X = np.random.default_rng(seed).uniform(0, 1, size=(n, 784))  # image-like: pixel intensities
    return {"module": module, "net": net, "X": X, "X_t": torch.from_numpy(X)}


def _vmap_jacrev(module: Any, X_t: Any) -> Callable[[], Any]:
    import torch

    def f(x: Any) -> Any:
        return module(x.reshape(1, 1, 28, 28))[0]

    def run() -> Any:
        return torch.func.vmap(torch.func.jacrev(f))(X_t).detach()

    return run


def _reverse_floor(module: Any, X_t: Any, chunk: int) -> Callable[[], Any]:
    """The forward pass and the reverse products of every linear layer and convolution for ``c`` random
    cotangents per point (no masks, no pool routing), chunk by chunk; output J of shape (n, c, 784)."""
    import torch

    from normalign.numerics.engine.operators import _conv_input_grad

    conv1, conv2, lin = module[0], module[3], [module[7], module[9], module[11]]
    n, c = X_t.shape[0], lin[-1].weight.shape[0]

    def run() -> Any:
        J = torch.empty((n, c, 784), dtype=torch.float64)
        with torch.no_grad():
            module(X_t.reshape(-1, 1, 28, 28))
            for lo in range(0, n, chunk):
                m = min(n, lo + chunk) - lo
                g = torch.ones((m * c, c), dtype=torch.float64)
                for layer in reversed(lin):
                    g = g @ layer.weight
                g = _conv_input_grad(g.reshape(m * c, 16, 5, 5).repeat_interleave(2, 2).repeat_interleave(2, 3),
                                     (m * c, 6, 14, 14), conv2.weight, conv2.stride, conv2.padding, conv2.dilation, 1)
                g = g.repeat_interleave(2, 2).repeat_interleave(2, 3)
                J[lo:lo + m] = _conv_input_grad(g, (m * c, 1, 28, 28), conv1.weight, conv1.stride, conv1.padding,
                                                conv1.dilation, 1).reshape(m, c, 784)
        return J

    return run


def _methods(env: dict[str, Any], floor_chunk: int) -> dict[str, Callable[[], Any]]:
    from normalign.numerics.engine.geometry import analyze, region_maps

    net, X = env["net"], env["X"]
    return {
        "vmap(jacrev)": _vmap_jacrev(env["module"], env["X_t"]),
        "engine J": lambda: region_maps(net, X),
        "engine scores": lambda: analyze(net, X, jacobian=False, layer_sites=False, robustness=False),
        "reverse floor": _reverse_floor(env["module"], env["X_t"], floor_chunk),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5, help="interleaved warm rounds (>= 5 for the report)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--floor-chunk", type=int, default=1000, help="points per chunk of the reverse floor")
    ap.add_argument("--fresh-memory", action="store_true",
                    help="time with the default allocator (every large array fresh from the kernel)")
    args = ap.parse_args(argv)
    allocator = "allocator: default" if args.fresh_memory else retain_freed_memory()
    env = _setup(args.n, args.seed, args.threads)
    print(f"n = {args.n} inputs 1x28x28, LeNet-5 (conv 6@5x5 p2, ReLU, max-pool 2, conv 16@5x5, ReLU, max-pool 2, "
          f"400-120-84-10), float64, {args.threads} threads; engine chain of {len(env['net'].layers)} layers, "
          f"widths {env['net'].widths}; {args.runs} warm interleaved rounds after one cold call each; {allocator}")
    load_before = load_average()
    times = interleaved(_methods(env, args.floor_chunk), runs=args.runs)
    load_after = load_average()
    print(f"\n{'method':<16}{'cold s':>9}{'min s':>9}{'median s':>10}")
    for name, t in times.items():
        print(f"{name:<16}{t.cold:>9.3f}{t.min:>9.3f}{t.median:>10.3f}")
    print("\npaired ratios t_slower / t_faster per round (median, min over rounds):")
    met = True
    for a, b, tgt in (TARGET, ("vmap(jacrev)", "engine scores", None), ("engine J", "engine scores", None),
                      ("vmap(jacrev)", "reverse floor", None), ("engine J", "reverse floor", None)):
        med, lo = paired(times, a, b)
        verdict = ""
        if tgt is not None:
            met = med >= tgt
            verdict = f"  target >= {tgt}x: {'met' if met else 'NOT met'} at the median"
        print(f"  {a} / {b}: {med:.2f}x median, {lo:.2f}x min{verdict}")
    _agreement(env)
    print(f"load average (1, 5, 15 min): before {load_before}; after {load_after}")
    print("target met" if met else "target NOT met")
    return 0


def _agreement(env: dict[str, Any], m: int = 200) -> None:
    """Untimed: the engine's J against vmap(jacrev) on m points."""
    from normalign.numerics.engine.geometry import region_maps

    J_ref = _vmap_jacrev(env["module"], env["X_t"][:m])().numpy()
    J, _ = region_maps(env["net"], env["X"][:m])
    print(f"agreement on {m} points: max |J - J_vmap| / max |J| = {np.abs(J - J_ref).max() / np.abs(J_ref).max():.1e}")


if __name__ == "__main__":
    sys.exit(main())
