"""Every field ``normalign analyze --json`` prints (``normalign.report.geometry_records``), against the
torch oracle of ``normalign.numerics.checks.definitions.reference``.

The registry checks (D1-D3, T2) verify the engine's arrays; this test verifies the last step, the
mapping of those arrays into the printed records (a swapped key, a plain score printed as the augmented
one, a c = 1 class read off the wrong sign), and it fails when a new field is printed without an oracle
here: ``ORACLED`` must list every key of a record.
"""

from __future__ import annotations

import numpy as np
import pytest
from normalign.numerics.checks.definitions.engine_oracles import svd_scores
from normalign.numerics.checks.definitions.outputs import score_residuals
from normalign.numerics.checks.definitions.reference import (
    radius_from_sum,
    radius_scale,
    random_networks,
    reference,
)
from normalign.numerics.checks.robustness.local_radius import in_region, local_oracle
from normalign.numerics.engine.geometry import analyze

from normalign.checks import Budget
from normalign.report import geometry_records

SCORES = ("normal_alignment", "frobenius_ratio", "effective_rank", "pc1")
ORACLED = {"index", "predicted_class", "logits", "pattern", "jacobian", "offset", "centroid", "centroid_radius",
           "centroid_alignment", "robustness_radius", "radius_exact_in_region", *SCORES,
           *(f"augmented_{k}" for k in SCORES)}


def _close(got, want, scale, tol) -> None:
    got, want, scale = np.asarray(got, dtype=float), np.asarray(want, dtype=float), np.asarray(scale, dtype=float)
    assert np.all(np.abs(got - want) <= tol * scale), (got, want)


@pytest.mark.theorem("D1")
@pytest.mark.theorem("D2")
@pytest.mark.theorem("T2")
def test_every_printed_field_matches_the_oracle() -> None:
    seen_c = set()
    for net, X in random_networks(Budget("quick"), 90, counts=(12, 12), points=5):
        ref = reference(net, X)
        if ref.on_boundary().any():
            continue
        recs = geometry_records(analyze(net, X))
        ora = local_oracle(ref)
        fin = np.isfinite(ora["rho"])
        flag, decided = np.zeros(len(X), dtype=bool), np.ones(len(X), dtype=bool)
        if fin.any():
            flag[fin] = in_region(net, X[fin], ora["x_star"][fin])
            delta = ref.tol * ora["cond"][fin] * (np.linalg.norm(X[fin], axis=1) + ora["rho"][fin])
            decided[fin] = ~reference(net, ora["x_star"][fin]).undecided(delta)
        W = np.concatenate([ref.J, ref.b[:, :, None]], axis=2)
        W_abs = np.concatenate([ref.J_abs, ref.b_abs[:, :, None]], axis=2)
        a = np.concatenate([X, np.ones((len(X), 1))], axis=1)
        c = ref.f.shape[1]
        seen_c.add(c)
        for i, r in enumerate(recs):
            assert set(r) == ORACLED, f"printed fields without an oracle here: {set(r) ^ ORACLED}"
            assert r["index"] == i
            assert r["predicted_class"] == (int(np.argmax(ref.f[i])) if c > 1 else int(ref.f[i, 0] > 0))
            _close(r["logits"], ref.f[i], ref.f_abs[i], ref.tol)
            assert r["pattern"] == [p[i].astype(int).tolist() for p in ref.patterns]
            _close(r["jacobian"], ref.J[i], ref.J_abs[i], ref.tol)
            _close(r["offset"], ref.b[i], ref.b_abs[i], ref.tol)
            mu_abs = ref.J_abs[i].sum(axis=0)
            _close(r["centroid"], ref.mu[i], mu_abs, ref.tol)
            rho = radius_from_sum(X[i:i + 1], ref.mu[i:i + 1], ref.f[i:i + 1].sum(axis=1))
            _close(r["centroid_radius"], rho, radius_scale(X[i:i + 1], mu_abs[None], ref.f_abs[i:i + 1].sum(axis=1)),
                   ref.tol)
            mu_n = float(np.linalg.norm(ref.mu[i]))
            if mu_n == 0.0:
                assert r["centroid_alignment"] == "undefined"
            else:
                cos = float(ref.mu[i] @ X[i]) / (mu_n * float(np.linalg.norm(X[i])))
                _close(r["centroid_alignment"], cos, float(np.linalg.norm(mu_abs)) / mu_n, ref.tol)
            for prefix, WW, aa, WA in (("", ref.J, X, ref.J_abs), ("augmented_", W, a, W_abs)):
                if float(np.linalg.norm(WW[i])) == 0.0:
                    assert all(r[prefix + k] is None for k in SCORES)  # undefined: null in JSON
                    continue
                got = {k: np.array([r[prefix + k]]) for k in SCORES}
                res = score_residuals(got, WW[i:i + 1], aa[i:i + 1], WA[i:i + 1])
                assert max(float(v[0]) for k, v in res.items() if k != "defined") <= 1.0, (prefix, res, svd_scores(WW[i], aa[i]))
            if fin[i]:
                _close(r["robustness_radius"], ora["rho"][i], ref.tol * ora["cond"][i] * ora["rho"][i], 1.0)
                assert r["radius_exact_in_region"] == bool(flag[i]) or not decided[i]
            else:
                assert r["robustness_radius"] == "inf" and r["radius_exact_in_region"] is False
    assert 1 in seen_c and max(seen_c) > 1, f"both c = 1 and c > 1 must be exercised, saw {seen_c}"
