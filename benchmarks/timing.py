"""The timing protocol every benchmark uses: warm, interleaved, repeated, paired; and peak memory.

On a shared machine a single cold run measures first-call costs (imports, JIT and allocator caches,
page faults of first use) and whatever else the machine was doing at that moment. So:

- every method is called once untimed first (the *cold* call; its time is kept and may be shown,
  separately, never as the method's time);
- then ``runs`` rounds; in each round every method runs once, the order rotated by one each round
  (no method always follows the same neighbour);
- per method: the min and the median of its warm runs;
- per pair ``(a, b)``: the *paired ratio* ``t_a / t_b`` of the two runs of the same round (both saw
  about the same machine load), summarised by its median and its min over the rounds.

On Linux with glibc, :func:`retain_freed_memory` re-runs the benchmark with glibc keeping freed memory
in the process (``GLIBC_TUNABLES``: no ``mmap`` for large blocks, no trimming). Otherwise every large
array (an (n, c, d) Jacobian is hundreds of MiB) is fresh memory from the kernel on every call, and on a
virtual machine that hands freed memory back to its host (free page reporting) touching it again costs
seconds: the runs would time the host, not the method, and "warm" would not be warm. Every method gets
the same allocator; ``--fresh-memory`` in the benchmarks keeps the default one.

Peak memory is measured one method per fresh process (:func:`isolated_peak`): the peak resident set
above the level just before the call (Linux: the high-water mark is reset through
``/proc/self/clear_refs``; elsewhere ``ru_maxrss`` deltas, which can only under-count), so numpy,
torch and anything else are measured alike. No timing assertions anywhere (DEVELOPERS.md).
"""

from __future__ import annotations

import gc
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence


@dataclass
class Times:
    """Wall-clock seconds of one method: the cold first call and the warm runs."""

    name: str
    cold: float
    runs: list[float] = field(default_factory=list)

    @property
    def min(self) -> float:
        return min(self.runs)

    @property
    def median(self) -> float:
        return statistics.median(self.runs)


def load_average() -> str:
    """The machine's load average (1, 5, 15 min) and CPU count, for the report: on a shared machine the
    paired ratios are what to compare, and this says how shared it was."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "unknown"


def interleaved(methods: Mapping[str, Callable[[], Any]], runs: int = 5) -> dict[str, Times]:
    """Time every method warm and interleaved: one untimed (cold) call each, then ``runs`` rounds of
    one call per method, the order rotated each round. Results are dropped at once (a method's
    output must not inflate the next one's memory)."""
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    names = list(methods)
    out: dict[str, Times] = {}
    for name in names:
        out[name] = Times(name, _timed(methods[name]))
    for r in range(runs):
        for j in range(len(names)):
            name = names[(r + j) % len(names)]
            out[name].runs.append(_timed(methods[name]))
    return out


def paired(times: Mapping[str, Times], a: str, b: str) -> tuple[float, float]:
    """Median and min over rounds of ``t_a / t_b`` (round by round). With ``a`` the slower method this
    is the speed-up of ``b`` over ``a``; its min is the worst round."""
    ta, tb = times[a].runs, times[b].runs
    ratios = [x / y for x, y in zip(ta, tb)]
    return statistics.median(ratios), min(ratios)


def _timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    t0 = time.perf_counter()
    result = fn()
    t = time.perf_counter() - t0
    del result
    return t


# ---------------------------------------------------------------------------------------- memory
def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as fh:
            m = re.search(rf"^{key}:\s+(\d+) kB", fh.read(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_extra(fn: Callable[[], Any], inputs: Sequence[Any] = ()) -> tuple[int, int]:
    """``(peak resident bytes above the level before the call, bytes of new array memory in the result)``.
    The result counts in the peak (it is resident when the call returns); arrays of the result that are
    (views of) ``inputs`` or broadcast views count once by the memory they span (:func:`array_bytes`)."""
    gc.collect()
    if _reset_peak() and _status_kib("VmHWM") is not None:
        before = _status_kib("VmRSS") or 0
        result = fn()
        peak = _status_kib("VmHWM") or 0
    else:  # ru_maxrss only grows: a delta under-counts when an earlier peak was higher
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result = fn()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out_bytes = array_bytes(result, exclude=inputs)
    del result
    return max(0, peak - before) * 1024, out_bytes


def _spans(obj: Any, out: list[tuple[int, int]]) -> None:
    """Byte ranges ``[lo, hi)`` of the numpy arrays and torch tensors in ``obj`` (nested containers and
    dataclasses)."""
    import numpy as np
    from numpy.lib.array_utils import byte_bounds

    if isinstance(obj, np.ndarray):
        if obj.size:
            lo, hi = byte_bounds(obj)
            out.append((lo, hi))
    elif hasattr(obj, "data_ptr") and hasattr(obj, "untyped_storage"):  # torch tensor
        if obj.numel():
            lo = obj.data_ptr()
            out.append((lo, lo + obj.element_size() * obj.numel()))
    elif isinstance(obj, dict):
        for v in obj.values():
            _spans(v, out)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _spans(v, out)
    elif hasattr(obj, "__dataclass_fields__"):
        for f in obj.__dataclass_fields__:
            _spans(getattr(obj, f), out)


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def array_bytes(obj: Any, exclude: Sequence[Any] = ()) -> int:
    """Bytes of memory spanned by the arrays in ``obj``, each byte once (views and broadcasts do not
    multiply it), leaving out memory spanned by the arrays in ``exclude`` (the method's inputs)."""
    spans: list[tuple[int, int]] = []
    skip: list[tuple[int, int]] = []
    _spans(obj, spans)
    _spans(list(exclude), skip)
    have, drop = _union(spans), _union(skip)
    overlap = sum(max(0, min(h1, h2) - max(l1, l2)) for l1, h1 in have for l2, h2 in drop)
    return sum(hi - lo for lo, hi in have) - overlap


MEMORY_FLAG = "--memory-of"
"""A benchmark script run with ``--memory-of NAME`` builds its inputs, calls method NAME once warm and
prints one JSON line ``{"peak_extra": bytes, "output": bytes}`` (see :func:`report_peak`)."""


def report_peak(fn: Callable[[], Any], inputs: Sequence[Any] = ()) -> None:
    """In the child process: one warm-up call, then the measured call; print the JSON line."""
    fn()
    peak, out = peak_extra(fn, inputs)
    print(json.dumps({"peak_extra": peak, "output": out}), flush=True)


def isolated_peak(script: str, argv: Sequence[str], name: str, timeout: float = 1800) -> dict[str, int]:
    """Run ``script argv --memory-of name`` in a fresh interpreter with the default allocator (a retained
    heap would hide the peak) and return its JSON line."""
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    proc = subprocess.run([sys.executable, script, *argv, MEMORY_FLAG, name], capture_output=True, text=True,
                          timeout=timeout, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"memory run of {name} failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


RETAIN_TUNABLES = "glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=1000000000000"
"""glibc tunables under which freed memory stays in the process heap and is reused by the next call."""


def retain_freed_memory() -> str:
    """Re-execute the running script with :data:`RETAIN_TUNABLES` (once; glibc only) and return a line
    describing the allocator the timings use."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return "allocator: the platform's default (glibc tunables not available)"
    if os.environ.get("GLIBC_TUNABLES") != RETAIN_TUNABLES:
        os.execve(sys.executable, [sys.executable, *sys.argv], dict(os.environ, GLIBC_TUNABLES=RETAIN_TUNABLES))
    return f"allocator: glibc keeps freed memory for reuse (GLIBC_TUNABLES={RETAIN_TUNABLES})"
