"""T2(a) as ``normalign analyze`` reports it: the local robustness radius, its nearest boundary point and
the "exact in the region" flag, against an oracle built from torch autograd and a forward pass.

On x's region the network is the affine map ``f(x') = J x' + b`` (J by autograd, ``b = f(x) - J x``).
Its decision boundary against class k is the hyperplane ``{x' : (J_y - J_k) x' + b_y - b_k = 0}``
(``y`` the predicted class; for one output, the hyperplane ``J x' + b = 0``), whose distance from x
is ``(z_y - z_k) / ||J_y - J_k||`` and whose nearest point is the orthogonal projection of x. The oracle
forms these rows explicitly, per k (the engine goes through the Gram matrix and one vector-Jacobian
product), and decides "the nearest boundary point lies in x's region" by a torch forward pass at that
point (activation pattern equal to x's). Checked: the radius, the point (on the local boundary, at
distance rho, equal to the oracle's projection) and the flag, on both routes of ``analyze``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from normalign.numerics.checks.definitions.reference import (
    Reference,
    interior_networks,
    net_case,
    ratio,
    reference,
    torch_pass,
)
from normalign.numerics.checks.definitions.outputs import interior_points, output_cases, output_from_case
from normalign.numerics.engine.geometry import analyze
from normalign.numerics.engine.network import CPANetwork
from normalign.numerics.tolerances import TIE_REL

from normalign.checks import Budget, CheckResult, Outcome, verdict
from normalign.conjecture import Conjecture


def local_oracle(ref: Reference) -> dict[str, np.ndarray]:
    """Per point: ``rho`` (inf when every row difference is 0), the nearest boundary point ``x_star``,
    the runner-up distance ``second`` (for ties) and the rounding scales of rho and x_star (relative)."""
    X, J, f = ref.X, ref.J, ref.f
    n, c, _ = J.shape
    rho, second = np.full(n, np.inf), np.full(n, np.inf)
    x_star, cond = X.copy(), np.ones(n)
    for i in range(n):
        if c == 1:
            rows = [(abs(f[i, 0]), np.sign(f[i, 0]) * J[i, 0], ref.f_abs[i, 0], ref.J_abs[i, 0])]
        else:
            y = int(np.argmax(f[i]))
            rows = [(f[i, y] - f[i, k], J[i, y] - J[i, k], ref.f_abs[i, y] + ref.f_abs[i, k],
                     ref.J_abs[i, y] + ref.J_abs[i, k]) for k in range(c) if k != y]
        dist = []
        for gap, g, gap_abs, g_abs in rows:
            gn = float(np.linalg.norm(g))
            if gn == 0.0:
                dist.append((np.inf, None, 1.0))
                continue
            # relative conditioning: of the gap (cancellation) and of the row difference (squared: Gram route)
            kappa = gap_abs / max(gap, 1e-300) + (float(np.linalg.norm(g_abs)) / gn) ** 2
            dist.append((gap / gn, X[i] - (gap / gn**2) * g, kappa))
        order = sorted(range(len(dist)), key=lambda j: dist[j][0])
        best = dist[order[0]]
        rho[i], cond[i] = best[0], best[2]
        if best[1] is not None:
            x_star[i] = best[1]
        if len(order) > 1:
            second[i] = dist[order[1]][0]
    return {"rho": rho, "x_star": x_star, "second": second, "cond": cond}


def in_region(net: CPANetwork, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Whether each Y[i] has X[i]'s activation pattern in every activation layer (torch forward passes)."""
    _, _, zx, _ = torch_pass(net, X)
    _, _, zy, _ = torch_pass(net, Y)
    same = np.ones(X.shape[0], dtype=bool)
    for l in net.activation_layers:
        same &= np.all((zx[l].detach().numpy() > 0) == (zy[l].detach().numpy() > 0), axis=1)
    return same


def check_t2a_local_outputs(budget: Budget) -> CheckResult:
    """``robustness_radius``, ``nearest_boundary`` and ``boundary_in_region`` of ``analyze`` (both routes)
    against the per-class hyperplane projections of autograd's J and a torch forward pass at the point.

    Residuals in tolerance units: radius ``|rho - rho_ref| / (tol * kappa * rho_ref)``; point
    ``||x* - x*_ref|| / (tol * kappa * (||x|| + rho))`` (skipped at ties, see TIE_REL), the local model's
    class margin at the engine's point ``|max_{k != y} z_k - z_y| / (tol * kappa * scale)``; flag: any
    disagreement with the forward pass is infinite (points whose nearest boundary point lies within
    rounding of an activation boundary are left out). Inconclusive unless both flag values occur."""
    return _local_outputs(budget, planted_flag=False)


def _always_in_region(case: tuple[CPANetwork, np.ndarray]) -> float:
    inside = interior_points(*case)
    return 0.0 if inside is None else local_outputs_residual(case[0], *inside, planted_flag=True)[0]


t2a_always_in_region = Conjecture(
    id="T2", name="t2a_always_in_region", strategy=output_cases(), residual=_always_in_region, tol=1.0,
    expect="fails", planted=True, examples=(30, 300), to_case=lambda case: net_case(*case),
    from_case=output_from_case,
    doc="planted: the nearest point of the local decision boundary always lies in x's region (flag forced True)")
"""Planted: the engine's in-region flag replaced by True, against the forward-pass oracle, on drawn networks."""

planted_t2a_always_in_region = t2a_always_in_region.check
"""Planted: 'the nearest point of the local decision boundary always lies in x's region' (so T2(a)'s rho
would always be exact): the conjecture's search over drawn networks; must be refuted."""


def local_outputs_residual(net: CPANetwork, X: np.ndarray, ref: Reference, planted_flag: bool
                           ) -> tuple[float, str, tuple[int, int, int]]:
    """For one network and its interior points: the worst residual (tolerance units) of the radius, the
    nearest point and the in-region flag over both routes of ``analyze``, what attained it, and the
    counts of points whose boundary point is in the region, outside it, and with rho = inf."""
    ora = local_oracle(ref)
    fin = np.isfinite(ora["rho"])
    flag_ref = np.zeros(X.shape[0], dtype=bool)
    if fin.any():
        flag_ref[fin] = in_region(net, X[fin], ora["x_star"][fin])
        # x*'s own rounding: tol * kappa * (||x|| + rho); within that of an activation boundary the
        # flag is not decided by float64 (e.g. x* = 0 in a bias-free network)
        star_ref = reference(net, ora["x_star"][fin])
        delta = ref.tol * ora["cond"][fin] * (np.linalg.norm(X[fin], axis=1) + ora["rho"][fin])
        decided = np.ones(X.shape[0], dtype=bool)
        decided[fin] = ~star_ref.undecided(delta)
    else:
        decided = np.ones(X.shape[0], dtype=bool)
    counts = (int(np.sum(flag_ref & decided)), int(np.sum(~flag_ref & fin & decided)), int(np.sum(~fin)))
    worst, where = 0.0, ""
    with np.errstate(invalid="ignore"):  # inf - inf where rho = inf (handled by the np.where)
        untied = fin & (ora["second"] - ora["rho"] > TIE_REL * ora["rho"])
    for route, jac in (("explicit J", True), ("Gram route", False)):
        geo = analyze(net, X, jacobian=jac, layer_sites=False)
        if planted_flag:
            geo.boundary_in_region = np.isfinite(geo.robustness_radius)
        tol = ref.tol * ora["cond"]
        with np.errstate(invalid="ignore"):
            d_rho = np.where(fin, geo.robustness_radius - ora["rho"], 0.0)
        parts = {
            "radius": np.where(fin, ratio(d_rho, tol * ora["rho"]),
                               np.where(np.isinf(geo.robustness_radius), 0.0, np.inf)),
            "flag": np.where(decided & (geo.boundary_in_region != flag_ref), np.inf, 0.0),
        }
        scale = np.linalg.norm(X, axis=1) + np.where(fin, ora["rho"], 0.0)
        dx = np.linalg.norm(geo.nearest_boundary - ora["x_star"], axis=1)
        parts["point"] = np.where(untied, ratio(dx, tol * scale), 0.0)
        # the engine's point is on the local model's decision boundary (class margin 0 there)
        z = np.einsum("ncd,nd->nc", ref.J, geo.nearest_boundary) + ref.b
        zs = np.abs(z).max(axis=1) + np.einsum("ncd,nd->nc", ref.J_abs, np.abs(geo.nearest_boundary)).max(axis=1) \
            + ref.f_abs.max(axis=1)
        if ref.f.shape[1] == 1:
            margin = np.abs(z[:, 0])
        else:
            y = np.argmax(ref.f, axis=1)
            zy = z[np.arange(len(y)), y]
            zo = np.where(np.eye(z.shape[1], dtype=bool)[y], -np.inf, z).max(axis=1)
            margin = np.abs(zy - zo)
        parts["on local boundary"] = np.where(fin, ratio(margin, tol * zs), 0.0)
        for k, v in parts.items():
            m = float(np.max(np.where(np.isnan(v), np.inf, v))) if v.size else 0.0
            if m > worst or not where:
                worst, where = m, f"{route}: {k}"
    return worst, where, counts


def _local_outputs(budget: Budget, planted_flag: bool) -> CheckResult:
    res: list[float] = []
    cases: list[dict[str, Any]] = []
    n_in = n_out = n_inf = 0
    for net, X, ref in interior_networks(budget, 41):
        worst, where, (i_in, i_out, i_inf) = local_outputs_residual(net, X, ref, planted_flag)
        n_in, n_out, n_inf = n_in + i_in, n_out + i_out, n_inf + i_inf
        res.append(worst)
        cases.append({**net_case(net, X), "worst": where})
    detail = (f"T2(a) radius / nearest point / in-region flag vs autograd hyperplanes and a forward pass "
              f"({n_in} points with the boundary point in the region, {n_out} outside, {n_inf} with rho = inf)")
    if n_in == 0 or n_out == 0:
        return CheckResult(Outcome.INCONCLUSIVE, float(max(res, default=0.0)), len(res),
                           f"{detail}: the flag was not exercised both ways")
    return verdict(res, 1.0, detail=detail, counterexample=lambda i: cases[i])
