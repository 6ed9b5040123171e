"""The ``normalign`` command: analyze on saved models, clean errors on bad input, verify's report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from normalign.cli import main
from normalign.numerics.checks.definitions.engine_oracles import autograd_jacobian
from normalign.numerics.engine.network import CPANetwork
from normalign.report import table_row


@pytest.fixture(autouse=True)
def _own_run_cache(tmp_path, monkeypatch) -> None:
    """`verify` saves its run for `normalign report`; runs from tests go to a temporary file."""
    monkeypatch.setenv("NORMALIGN_VERIFY_CACHE", str(tmp_path / "verify-last.json"))


@pytest.fixture()
def model_files(tmp_path: Path) -> tuple[CPANetwork, Path, Path, Path]:
    rng = np.random.default_rng(0)
    net = CPANetwork.from_arrays([rng.normal(size=(5, 3)), rng.normal(size=(2, 5))], [rng.normal(size=5), rng.normal(size=2)])
    npz, pt, pts = tmp_path / "m.npz", tmp_path / "m.pt", tmp_path / "x.npy"
    net.to_npz(npz)
    torch.save(net.to_sequential().state_dict(), pt)
    np.save(pts, rng.normal(size=(4, 3)))
    return net, npz, pt, pts


@pytest.mark.theorem("D1")
@pytest.mark.theorem("D2")
def test_analyze_json_matches_autograd(model_files, capsys) -> None:
    net, npz, pt, pts = model_files
    X = np.load(pts)
    J_ref, f_ref = autograd_jacobian(net, X)
    for model in (npz, pt):
        assert main(["analyze", str(model), str(pts), "--json"]) == 0
        doc = json.loads(capsys.readouterr().out)
        recs = doc["points"]
        assert len(recs) == 4 and doc["summary"]["n"] == 4
        for i, r in enumerate(recs):
            np.testing.assert_allclose(r["jacobian"], J_ref[i], rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(r["centroid"], J_ref[i].sum(axis=0), rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(r["offset"], f_ref[i] - J_ref[i] @ X[i], rtol=1e-12, atol=1e-12)
            mu = J_ref[i].sum(axis=0)
            assert r["centroid_alignment"] == pytest.approx(mu @ X[i] / np.linalg.norm(mu) / np.linalg.norm(X[i]), abs=1e-12)
            for key in ("pattern", "normal_alignment", "frobenius_ratio", "effective_rank", "robustness_radius"):
                assert key in r


def test_analyze_table(model_files, capsys) -> None:
    """Header, one row per point (the rows carry the same numbers as the JSON records), a blank line,
    then the summary table (one row per predicted class and ``all``)."""
    _, npz, _, pts = model_files
    assert main(["analyze", str(npz), str(pts)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["pt", "class", "NA"] and out[5] == ""
    assert main(["analyze", str(npz), str(pts), "--json"]) == 0
    recs = json.loads(capsys.readouterr().out)["points"]
    for line, r in zip(out[1:5], recs):  # every column (rows come from the arrays, records separately)
        assert line == table_row(r)
    assert out[6].startswith("summary of 4 points") and out[7].split()[:2] == ["class", "n"]
    assert out[-1].split()[:2] == ["all", "4"]


def _same(a, b) -> None:
    """Equal JSON values, floats up to rounding (BLAS results depend on the batch size by an ulp)."""
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, list):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and isinstance(b, float):
        assert b == pytest.approx(a, rel=1e-12, abs=1e-12)
    else:
        assert a == b


def test_analyze_formats_agree(model_files, capsys) -> None:
    """--jsonl (one object per line, then {"summary": ...}), --json ({"points", "summary"}) and
    --summary-only carry the same records and summary; other chunk sizes agree to rounding."""
    _, npz, _, pts = model_files
    assert main(["analyze", str(npz), str(pts), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert main(["analyze", str(npz), str(pts), "--jsonl"]) == 0
    lines = [json.loads(s) for s in capsys.readouterr().out.splitlines()]
    assert lines[:-1] == doc["points"] and lines[-1] == {"summary": doc["summary"]}
    assert main(["analyze", str(npz), str(pts), "--jsonl", "--chunk", "3"]) == 0
    _same([json.loads(s) for s in capsys.readouterr().out.splitlines()], lines)
    # --summary-only forms no J (Gram route), one point per chunk here
    assert main(["analyze", str(npz), str(pts), "--json", "--summary-only", "--chunk", "1"]) == 0
    _same(json.loads(capsys.readouterr().out), {"summary": doc["summary"]})


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("normalign: error: ") and "\n" not in err and "Traceback" not in err
    return err


def test_bad_inputs_give_one_line_errors(model_files, tmp_path: Path, capsys) -> None:
    net, npz, pt, pts = model_files
    cases = {
        "shape": np.ones((3, 7)), "nan": np.array([[1.0, np.inf, 0.0]]), "zero": np.array([[1.0, 1, 1], [0.0, 0, 0]]),
        "rank3": np.ones((2, 3, 1)), "nopoints": np.ones((0, 3)),
    }
    expect = {"shape": "dimension 7", "nan": "NaN or inf", "zero": "x = 0", "rank3": "shape (n, d)", "nopoints": "no points"}
    cases["late_nan"] = np.vstack([np.ones((5, 3)), [[0.0, np.nan, 1.0]]])  # found before any output, by index
    expect["late_nan"] = "point 5 contains NaN"
    cases["text"] = np.array([["a", "b", "c"]])
    expect["text"] = "numeric"
    for name, arr in cases.items():
        p = tmp_path / f"{name}.npy"
        np.save(p, arr)
        assert expect[name] in _error(capsys, ["analyze", str(npz), str(p)])
    empty = tmp_path / "empty.npy"
    empty.write_bytes(b"")
    assert "empty" in _error(capsys, ["analyze", str(npz), str(empty)])
    assert "empty" in _error(capsys, ["analyze", str(empty), str(pts)])
    assert "no such model" in _error(capsys, ["analyze", str(tmp_path / "nope.npz"), str(pts)])
    # an unsupported layer inside a saved state dict (a conv weight is not a Linear (out, in) matrix)
    bad = tmp_path / "conv.pt"
    torch.save(torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3)).state_dict(), bad)
    assert "2-d" in _error(capsys, ["analyze", str(bad), str(pts)])
    # a pickled module object is refused, never unpickled
    whole = tmp_path / "whole.pt"
    torch.save(net.to_sequential(), whole)
    assert "weights-only" in _error(capsys, ["analyze", str(whole), str(pts)])


def test_zero_centroid_is_an_error_unless_allowed(tmp_path: Path, capsys) -> None:
    net = CPANetwork.from_arrays([np.array([[1.0, 2.0], [-1.0, -2.0]])], None, ["identity"])
    npz, pts = tmp_path / "z.npz", tmp_path / "x.npy"
    net.to_npz(npz)
    np.save(pts, np.array([[1.0, 1.0]]))
    assert "centroid" in _error(capsys, ["analyze", str(npz), str(pts)])
    assert main(["analyze", str(npz), str(pts), "--json", "--allow-undefined"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["points"][0]["centroid_alignment"] == "undefined"
    assert doc["summary"]["overall"]["undefined_centroid_alignment"] == 1
    assert doc["summary"]["overall"]["median_centroid_alignment"] is None


@pytest.mark.theorem("D3")
def test_verify_json_for_one_id(capsys) -> None:
    assert main(["verify", "--id", "D3", "--json", "--quiet", "--no-lean"]) == 0
    rep = json.loads(capsys.readouterr().out)
    (d3,) = rep["theorems"]
    assert d3["id"] == "D3" and d3["numeric"] == "verified"
    planted = [c for c in d3["checks"] if c["planted"]]
    assert planted and all(c["result"]["outcome"] == "refuted" for c in planted)
    assert _error(capsys, ["verify", "--id", "XX"]).endswith("known: " + ", ".join(
        __import__("normalign.registry", fromlist=["BY_ID"]).BY_ID))


def test_verify_exit_status_is_nonzero_when_a_check_fails(monkeypatch, capsys) -> None:
    """A planted variant registered as if it held must make `verify` fail (exit 1)."""
    import dataclasses

    from normalign import registry
    from normalign.checks import CheckSpec

    d2 = registry.BY_ID["D2"]
    wrong = CheckSpec("planted registered as holding", "numeric", "normalign.numerics.checks.definitions.engine_oracles:planted_centroid_row_sum")
    monkeypatch.setattr(registry, "THEOREMS", (dataclasses.replace(d2, checks=(wrong,)),))
    monkeypatch.setattr("normalign.verify.THEOREMS", registry.THEOREMS)
    assert main(["verify", "--quiet", "--no-lean"]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_closed_pipe_ends_quietly(model_files, tmp_path: Path) -> None:
    """`normalign analyze ... | head -1`: the reader goes away after one line; the command exits 141
    (as a tool killed by SIGPIPE) with nothing on stderr, not a BrokenPipeError traceback."""
    _, npz, _, _ = model_files
    pts = tmp_path / "many.npy"
    np.save(pts, np.random.default_rng(3).normal(size=(2000, 3)))  # ~1 MB of JSON, far above a pipe buffer
    cmd = [sys.executable, "-m", "normalign.cli", "analyze", str(npz), str(pts), "--json", "--allow-undefined"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b'{"points": ['
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=300) == 141, err
    assert err == ""


def test_verify_stdout_is_only_json(tmp_path: Path) -> None:
    """The real command in a subprocess: standard output parses as JSON (progress goes to stderr)."""
    out = subprocess.run([sys.executable, "-m", "normalign.cli", "verify", "--id", "D3", "--json", "--no-lean"],
                         capture_output=True, text=True, timeout=600)
    rep = json.loads(out.stdout)
    assert out.returncode == rep["exit_code"] == 0 and rep["status"] == "ok"
    assert "[1/" in out.stderr


def test_console_script_runs() -> None:
    out = subprocess.run([sys.executable, "-m", "normalign.cli", "analyze", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "POINTS" in out.stdout.upper()


@pytest.mark.theorem("G1")
def test_experiment_and_plot_dispatch(model_files, tmp_path: Path, capsys) -> None:
    assert main(["experiment", "nope"]) == 2
    assert "unknown experiment" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # argparse's --help exits 0
        main(["experiment", "feature-learning", "--help"])
    assert exc.value.code == 0 and "--full" in capsys.readouterr().out
    out = tmp_path / "g"
    assert main(["experiment", "grokalign", "--task", "xor", "--smoke", "--no-progress", "--out", str(out)]) == 0
    assert json.loads((out / "xor.json").read_text())["task"] == "xor"
    rng = np.random.default_rng(2)
    net = CPANetwork.from_arrays([rng.normal(size=(4, 2)), rng.normal(size=(2, 4))], [rng.normal(size=4), rng.normal(size=2)])
    net.to_npz(tmp_path / "n2.npz")
    png = tmp_path / "r.png"
    assert main(["plot-regions", str(tmp_path / "n2.npz"), "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
