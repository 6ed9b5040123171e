"""Checkpoint provenance digests (numerics/experiments/provenance.py and its use by rfam_keel), against
hashlib as the oracle (review of 2026-12-01: a digest without the shape or without the dtype, and the
KEEL key hashing the raw file for a 'processed' run, each passed the suite)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from normalign.numerics.experiments import rfam_keel as rk
from normalign.numerics.experiments.keel_data import KeelFiles
from normalign.numerics.experiments.provenance import arrays_sha256


def test_array_digest_sees_bytes_shape_and_dtype() -> None:
    a = np.arange(6, dtype=np.int64)
    assert arrays_sha256(a) == arrays_sha256(a.copy())
    assert arrays_sha256(a) != arrays_sha256(a.reshape(2, 3))          # the same bytes, another shape
    assert arrays_sha256(a) != arrays_sha256(a.view(np.float64))       # the same bytes, another dtype
    assert arrays_sha256(a, a) != arrays_sha256(np.concatenate([a, a]))  # the split between arrays
    assert arrays_sha256(np.asfortranarray(a.reshape(2, 3))) == arrays_sha256(a.reshape(2, 3))  # C order


@pytest.mark.parametrize("source, path", [("raw", "raw/t.dat"), ("processed", "processed/t.npz")])
def test_keel_checkpoint_key_hashes_the_file_the_run_reads(tmp_path: Path, source: str, path: str) -> None:
    files = KeelFiles(tmp_path / "raw", tmp_path / "processed")
    files.raw.mkdir()
    files.processed.mkdir()
    (files.raw / "t.dat").write_bytes(b"raw table")
    (files.processed / "t.npz").write_bytes(b"processed folds")
    key = rk.inputs_version("t", rk.KeelConfig(source=source), files)
    assert key["data_sha256"] == hashlib.sha256((tmp_path / path).read_bytes()).hexdigest()
