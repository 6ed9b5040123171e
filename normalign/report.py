"""Per-point geometry as records (JSON-ready dicts) and table rows, and the summary over a data set.

A data set is processed chunk by chunk (``normalign analyze`` streams an ``.npy`` file): records and
rows carry the global point index (``start`` + position in the chunk), and :class:`Summary` keeps the
few per-point scalars the summary needs (class, NA, CA, effective rank, radius: 40 bytes a point), so
its medians and quantiles are exact whatever the chunking.
"""

from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np

from normalign.numerics.engine.geometry import RegionGeometry

QUANTILES: tuple[float, ...] = (0.05, 0.5, 0.95)
"""Robustness-radius quantiles of the summary (numpy's default linear interpolation, finite radii)."""


def predicted_classes(geo: RegionGeometry) -> np.ndarray:
    """Predicted class of every point: ``argmax`` of the logits, or ``logit > 0`` for one output."""
    if geo.logits.shape[1] > 1:
        return np.argmax(geo.logits, axis=1)
    return (geo.logits[:, 0] > 0).astype(np.int64)


def iter_records(geo: RegionGeometry, start: int = 0) -> Iterator[dict[str, Any]]:
    """One dict per point, built one at a time: index (``start + i``), predicted class, logits, pattern (per
    activation layer, 0/1), jacobian, offset, centroid, centroid_alignment (the string "undefined" where
    the centroid vanishes), the D1 scores (and the augmented ones), the T2(a) robustness radius and
    whether it is exact inside the region."""
    ca = geo.centroid_alignment
    mask = np.ma.getmaskarray(ca)
    cls = predicted_classes(geo)
    for i in range(geo.n):
        rec: dict[str, Any] = {
            "index": start + i,
            "predicted_class": int(cls[i]),
            "logits": geo.logits[i].tolist(),
            "pattern": [p[i].astype(int).tolist() for p in geo.patterns],
            "jacobian": None if geo.jacobian is None else geo.jacobian[i].tolist(),
            "offset": geo.offset[i].tolist(),
            "centroid": geo.centroid[i].tolist(),
            "centroid_radius": float(geo.centroid_radius[i]),
            "centroid_alignment": "undefined" if mask[i] else float(ca.data[i]),
        }
        for k, v in geo.scores.items():
            rec[k] = _num(v[i])
        for k, v in geo.augmented.items():
            rec[f"augmented_{k}"] = _num(v[i])
        rec["robustness_radius"] = _num(geo.robustness_radius[i])
        rec["radius_exact_in_region"] = bool(geo.boundary_in_region[i])
        yield rec


def geometry_records(geo: RegionGeometry, start: int = 0) -> list[dict[str, Any]]:
    """All records of :func:`iter_records` as a list."""
    return list(iter_records(geo, start))


# ------------------------------------------------------------------------------------------- table
COLUMNS: tuple[tuple[str, str, int], ...] = (
    ("index", "pt", 7), ("predicted_class", "class", 5), ("normal_alignment", "NA", 7),
    ("frobenius_ratio", "frob", 7), ("effective_rank", "eff.rank", 8), ("pc1", "PC1", 7),
    ("centroid_alignment", "CA", 7), ("robustness_radius", "radius", 10), ("radius_exact_in_region", "exact", 5))
"""(record key, header, width): fixed widths, so that rows can be printed as they are computed."""


def table_header() -> str:
    return "  ".join(h.rjust(w) for _, h, w in COLUMNS)


def table_row(rec: dict[str, Any]) -> str:
    return "  ".join(_fmt(rec[k]).rjust(w) for k, _, w in COLUMNS)


def iter_table_rows(geo: RegionGeometry, start: int = 0) -> Iterator[str]:
    """Table rows straight from the arrays (no per-point lists of J, centroid or pattern)."""
    mask = np.ma.getmaskarray(geo.centroid_alignment)
    cls = predicted_classes(geo)
    for i in range(geo.n):
        rec = {"index": start + i, "predicted_class": int(cls[i]),
               "centroid_alignment": "undefined" if mask[i] else float(geo.centroid_alignment.data[i]),
               "robustness_radius": _num(geo.robustness_radius[i]),
               "radius_exact_in_region": bool(geo.boundary_in_region[i])}
        rec.update({k: _num(v[i]) for k, v in geo.scores.items()})
        yield table_row(rec)


def geometry_table(records: list[dict[str, Any]]) -> str:
    """A fixed-width table of the per-point scores."""
    return "\n".join([table_header(), *(table_row(r) for r in records)])


# ----------------------------------------------------------------------------------------- summary
class Summary:
    """The per-point scalars of ``n`` points, filled chunk by chunk (:meth:`add`), and the summary over
    them (:meth:`result`): per predicted class and overall, the median NA, CA and effective rank, the
    fraction of points with NA >= a threshold, and the 5/50/95% quantiles of the robustness radius.

    Undefined values (NA of a point with J = 0, CA of a vanishing centroid) are left out of the medians
    and the fraction and counted; infinite radii (no class change in the local linear model) are left
    out of the quantiles and counted."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.cls = np.zeros(n, dtype=np.int64)
        self.na, self.ca, self.er, self.radius = (np.full(n, np.nan) for _ in range(4))
        self.filled = 0

    def add(self, geo: RegionGeometry, start: int) -> None:
        """Keep the scalars of the points ``start, ..., start + geo.n - 1``."""
        sl = slice(start, start + geo.n)
        self.cls[sl] = predicted_classes(geo)
        self.na[sl] = geo.scores["normal_alignment"]
        self.ca[sl] = np.ma.filled(geo.centroid_alignment.astype(np.float64), np.nan)
        self.er[sl] = geo.scores["effective_rank"]
        self.radius[sl] = geo.robustness_radius
        self.filled += geo.n

    def result(self, align_threshold: float) -> dict[str, Any]:
        """JSON-ready summary: ``{"n", "align_threshold", "overall": {...}, "by_class": [{"class": k, ...}]}``."""
        if self.filled != self.n:
            raise ValueError(f"summary of {self.n} points but {self.filled} were added")
        by_class = []
        for k in np.unique(self.cls):
            sel = self.cls == k
            by_class.append({"class": int(k), **self._group(sel, align_threshold)})
        return {"n": self.n, "align_threshold": align_threshold,
                "overall": self._group(np.ones(self.n, dtype=bool), align_threshold), "by_class": by_class}

    def _group(self, sel: np.ndarray, threshold: float) -> dict[str, Any]:
        na, ca, er, r = self.na[sel], self.ca[sel], self.er[sel], self.radius[sel]
        na_def = na[~np.isnan(na)]
        fin = r[np.isfinite(r)]
        q = np.quantile(fin, QUANTILES) if fin.size else [None] * len(QUANTILES)
        out: dict[str, Any] = {
            "n": int(sel.sum()),
            "median_normal_alignment": _median(na),
            "median_centroid_alignment": _median(ca),
            "median_effective_rank": _median(er),
            "fraction_aligned": float(np.mean(na_def >= threshold)) if na_def.size else None,
        }
        out.update({f"radius_q{round(100 * p):02d}": None if v is None else float(v) for p, v in zip(QUANTILES, q)})
        out.update({"infinite_radius": int(np.isinf(r).sum()), "undefined_normal_alignment": int(na.size - na_def.size),
                    "undefined_centroid_alignment": int(np.isnan(ca).sum())})
        return out


SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("n", "n"), ("median_normal_alignment", "med NA"), ("median_centroid_alignment", "med CA"),
    ("median_effective_rank", "med eff.rank"), ("fraction_aligned", "NA>=t"), ("radius_q05", "radius q05"),
    ("radius_q50", "radius q50"), ("radius_q95", "radius q95"), ("infinite_radius", "inf radius"),
    ("undefined_centroid_alignment", "CA undef"))


def summary_table(summary: dict[str, Any]) -> str:
    """The summary as a fixed-width table: one row per predicted class, then ``all``."""
    head = ["class", *(h for _, h in SUMMARY_COLUMNS)]
    rows = [head]
    for g in summary["by_class"]:
        rows.append([str(g["class"]), *(_fmt(g[k]) for k, _ in SUMMARY_COLUMNS)])
    rows.append(["all", *(_fmt(summary["overall"][k]) for k, _ in SUMMARY_COLUMNS)])
    w = [max(len(r[j]) for r in rows) for j in range(len(head))]
    lines = [f"summary of {summary['n']} points by predicted class (NA>=t: fraction with normal alignment "
             f">= {summary['align_threshold']:g}; radius quantiles over finite radii)"]
    lines += ["  ".join(c.rjust(wj) for c, wj in zip(r, w)) for r in rows]
    return "\n".join(lines)


def _median(v: np.ndarray) -> float | None:
    v = v[~np.isnan(v)]
    return float(np.median(v)) if v.size else None


def _num(x: float) -> float | str | None:
    x = float(x)
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf"
    return x


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4f}"
    if v is None:
        return "-"
    return str(v)
