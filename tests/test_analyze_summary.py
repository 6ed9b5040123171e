"""The summary ``normalign analyze`` ends with, and streaming a data set from a memory-mapped ``.npy``.

- Oracle: the summary's medians, fraction and quantiles recomputed from the printed per-point records
  with Python's ``statistics`` module (another implementation than the numpy calls of
  ``normalign.report.Summary``: ``median``, and ``quantiles(method="inclusive")``, which is the same
  linear interpolation as numpy's default), grouped by the printed predicted class.
- Streaming: a 200k-point file analysed in small chunks gives the summary of the in-memory path, and
  peak memory (tracemalloc: numpy's allocations; a memory map is not one) grows with n by the
  summary's per-point scalars only, not by the points or the per-point output.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import statistics
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from normalign.cli import main
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.report import Summary


def _net(rng: np.random.Generator, widths: list[int]) -> CPANetwork:
    Ws = [rng.normal(size=(o, i)) * 1.5 / np.sqrt(i) for i, o in zip(widths, widths[1:])]
    return CPANetwork.from_arrays(Ws, [rng.normal(size=o) * 0.5 for o in widths[1:]])


def _oracle_group(recs: list[dict], t: float) -> dict:
    na = [r["normal_alignment"] for r in recs if r["normal_alignment"] is not None]
    ca = [r["centroid_alignment"] for r in recs if r["centroid_alignment"] != "undefined"]
    er = [r["effective_rank"] for r in recs if r["effective_rank"] is not None]
    rad = [r["robustness_radius"] for r in recs if r["robustness_radius"] != "inf"]
    med = (lambda v: statistics.median(v) if v else None)  # noqa: E731
    if len(rad) >= 2:
        cuts = statistics.quantiles(rad, n=20, method="inclusive")  # 5%, 10%, ..., 95%
        q = (cuts[0], cuts[9], cuts[18])
    else:
        q = (rad[0],) * 3 if rad else (None,) * 3
    return {"n": len(recs), "median_normal_alignment": med(na), "median_centroid_alignment": med(ca),
            "median_effective_rank": med(er), "fraction_aligned": sum(v >= t for v in na) / len(na) if na else None,
            "radius_q05": q[0], "radius_q50": q[1], "radius_q95": q[2],
            "infinite_radius": sum(r["robustness_radius"] == "inf" for r in recs),
            "undefined_normal_alignment": len(recs) - len(na), "undefined_centroid_alignment": len(recs) - len(ca)}


def _close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for k, v in want.items():
        if isinstance(v, float):
            assert got[k] == pytest.approx(v, rel=1e-12, abs=1e-15), (k, got[k], v)
        else:
            assert got[k] == v, (k, got[k], v)


@pytest.mark.theorem("D1")
@pytest.mark.theorem("D2")
@pytest.mark.theorem("T2")
@pytest.mark.parametrize("widths, t", [([4, 12, 9, 3], 0.9), ([3, 8, 1], 0.5), ([5, 7, 4], 0.99)])
def test_summary_matches_statistics_of_the_records(tmp_path: Path, capsys, widths: list[int], t: float) -> None:
    rng = np.random.default_rng(sum(widths))
    net = _net(rng, widths)
    npz, pts = tmp_path / "m.npz", tmp_path / "x.npy"
    net.to_npz(npz)
    np.save(pts, rng.normal(size=(301, widths[0])))
    argv = ["analyze", str(npz), str(pts), "--jsonl", "--chunk", "37", "--allow-undefined", "--align-threshold", str(t)]
    assert main(argv) == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.splitlines()]
    recs, summary = lines[:-1], lines[-1]["summary"]
    assert [r["index"] for r in recs] == list(range(301)) and summary["n"] == 301
    assert summary["align_threshold"] == t
    _close(summary["overall"], _oracle_group(recs, t))
    classes = sorted({r["predicted_class"] for r in recs})
    assert [g["class"] for g in summary["by_class"]] == classes
    assert len(classes) > 1, "the case must exercise more than one class"
    for g in summary["by_class"]:
        _close({k: v for k, v in g.items() if k != "class"},
               _oracle_group([r for r in recs if r["predicted_class"] == g["class"]], t))
    # the table prints the same summary
    assert main(argv[:3] + ["--summary-only", "--allow-undefined", "--align-threshold", str(t)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[-1].split()[:3] == ["all", "301", f"{summary['overall']['median_normal_alignment']:.4f}"]


def test_summary_counts_undefined_and_infinite() -> None:
    """A point with J = 0 (all units dead) has undefined NA/CA and an infinite radius: counted, and left
    out of the medians and quantiles (not NaN in them)."""
    net = CPANetwork.from_arrays([np.array([[1.0, 0.0]]), np.array([[2.0], [1.0]])], [np.array([0.0]), np.array([0.0, 1.0])])
    X = np.array([[1.0, 1.0], [-1.0, 1.0], [2.0, -1.0]])  # the second point: relu(-1) = 0, J = 0
    geo = analyze(net, X)
    s = Summary(3)
    s.add(geo, 0)
    out = s.result(0.9)["overall"]
    assert out["undefined_normal_alignment"] == 1 and out["undefined_centroid_alignment"] == 1
    assert out["infinite_radius"] == 1
    assert out["median_normal_alignment"] == pytest.approx(statistics.median(
        [v for v in geo.scores["normal_alignment"] if not math.isnan(v)]))
    assert math.isfinite(out["radius_q95"])


def _stream_peak(net_file: Path, pts: Path, argv: list[str]) -> int:
    """tracemalloc peak (bytes) of one in-process ``normalign analyze`` with stdout sent to /dev/null."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        tracemalloc.start()
        try:
            assert main(["analyze", str(net_file), str(pts), *argv]) == 0
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


@pytest.mark.theorem("D1")
def test_streamed_summary_equals_in_memory_and_memory_does_not_grow(tmp_path: Path, capsys) -> None:
    # one BLAS thread: on a busy 2-core machine OpenBLAS's threads make these small products ~10x slower
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        _assert_streamed_summary_and_flat_memory(tmp_path, capsys)


def _assert_streamed_summary_and_flat_memory(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(7)
    d = 64
    net = _net(rng, [d, 16, 12, 4])
    npz = tmp_path / "m.npz"
    net.to_npz(npz)
    n = 200_000
    big = tmp_path / "big.npy"
    X = np.lib.format.open_memmap(big, mode="w+", dtype=np.float64, shape=(n, d))
    for lo in range(0, n, 50_000):
        X[lo:lo + 50_000] = rng.normal(size=(min(50_000, n - lo), d))
    X.flush()
    del X

    assert main(["analyze", str(npz), str(big), "--summary-only", "--json", "--chunk", "1000", "--allow-undefined"]) == 0
    streamed = json.loads(capsys.readouterr().out)["summary"]
    X = np.load(big)
    ref = Summary(n)
    ref.add(analyze(net, X, jacobian=False), 0)
    want = ref.result(0.9)
    _close(streamed["overall"], want["overall"])
    for g, h in zip(streamed["by_class"], want["by_class"], strict=True):
        _close(g, h)
    del X, ref

    # peak memory: table rows streamed to /dev/null, chunks of 1000 points, n = 20k and 100k
    files = {}
    for m in (20_000, 100_000):
        files[m] = tmp_path / f"first{m}.npy"
        np.save(files[m], np.load(big, mmap_mode="r")[:m])
    peak_small = _stream_peak(npz, files[20_000], ["--chunk", "1000", "--allow-undefined"])
    peak_big = _stream_peak(npz, files[100_000], ["--chunk", "1000", "--allow-undefined"])
    per_point = (peak_big - peak_small) / 80_000
    # Summary keeps 40 bytes a point (and its per-class selections); loading the points would add 8 d = 512
    assert per_point <= 128, f"peak memory grows by {per_point:.0f} bytes a point"
