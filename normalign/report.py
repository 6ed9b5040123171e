"""Per-point geometry as records (JSON-ready dicts) and as a plain-text table."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from normalign.numerics.engine.geometry import RegionGeometry


def geometry_records(geo: RegionGeometry) -> list[dict[str, Any]]:
    """One dict per point: pattern (per activation layer, 0/1), jacobian, offset, centroid,
    centroid_alignment (the string "undefined" where the centroid vanishes), the D1 scores (and the
    augmented ones), the T2(a) robustness radius and whether it is exact inside the region."""
    ca = geo.centroid_alignment
    mask = np.ma.getmaskarray(ca)
    recs = []
    for i in range(geo.n):
        rec: dict[str, Any] = {
            "index": i,
            "predicted_class": int(np.argmax(geo.logits[i])) if geo.logits.shape[1] > 1 else int(geo.logits[i, 0] > 0),
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
        recs.append(rec)
    return recs


def geometry_table(records: list[dict[str, Any]]) -> str:
    """A fixed-width table of the per-point scores."""
    cols = [("index", "pt"), ("predicted_class", "class"), ("normal_alignment", "NA"),
            ("frobenius_ratio", "frob"), ("effective_rank", "eff.rank"), ("pc1", "PC1"),
            ("centroid_alignment", "CA"), ("robustness_radius", "radius"), ("radius_exact_in_region", "exact")]
    rows = [[h for _, h in cols]]
    for r in records:
        rows.append([_fmt(r[k]) for k, _ in cols])
    w = [max(len(row[j]) for row in rows) for j in range(len(cols))]
    return "\n".join("  ".join(c.rjust(wj) for c, wj in zip(row, w)) for row in rows)


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
