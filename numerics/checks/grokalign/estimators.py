"""Registry checks of G1: the GrokAlign estimators and offsets against the exact engine (oracle).

Both Jacobian modes of the penalty module are checked against the engine's explicit ``(J_x, b_x)``:
``jacobian="exact"`` (``check_g1_penalty_value``) and ``jacobian="estimate"`` with v fixed
(``check_g1_estimate_fixed_v``), at c = 1 (``check_g1_estimator_exact_c1``) and in distribution
(the z-tests of the squared estimator and of the planted un-squared one).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from normalign.numerics.engine.threads import single_threaded
from normalign.numerics.maths.grokalign import (
    GrokAlign,
    fd_shared_eps,
    jacobian_fro2_estimate,
    jacobian_fro_estimate,
    offset_fd,
    offset_jvp,
)


# ============================================================================ checks (G1)
def _random_cpa(seed: int, d: int = 6, widths: tuple[int, ...] = (12, 12), c: int = 5, bias: bool = True):
    """A random float64 ReLU CPANetwork (He init, biases N(0, 0.25)) and its torch twin."""
    from normalign.numerics.engine.network import CPANetwork

    rng = np.random.default_rng(seed)
    dims = (d,) + widths + (c,)
    Ws = [rng.standard_normal((o, i)) * math.sqrt(2.0 / i) for i, o in itertools.pairwise(dims)]
    bs = [0.5 * rng.standard_normal(o) if bias else None for o in dims[1:]]
    net = CPANetwork.from_arrays(Ws, bs)
    return net, net.to_sequential()


def _estimator_z(seed: int, draws: int, squared: bool) -> tuple[float, dict[str, object]]:
    """z statistic of the one-vector estimator (squared or not) against the engine's exact norm at one
    point of a random c = 5 network: ``(mean - truth) / (sd / sqrt(draws))``."""
    from normalign.numerics.engine.geometry import region_maps

    net, model = _random_cpa(seed)
    rng = np.random.default_rng(seed + 1)
    x = rng.standard_normal(net.input_dim)
    J, _ = region_maps(net, x[None])
    truth2 = float((J**2).sum())
    g = torch.Generator().manual_seed(seed + 2)
    X = torch.as_tensor(np.repeat(x[None], draws, axis=0))
    est2 = jacobian_fro2_estimate(model, X, g).detach().numpy()
    est = est2 if squared else np.sqrt(est2)
    truth = truth2 if squared else math.sqrt(truth2)
    z = (est.mean() - truth) / (est.std(ddof=1) / math.sqrt(draws))
    return float(z), {"seed": seed, "x": x, "draws": draws, "squared": squared, "truth": truth,
                      "mean": float(est.mean()), "z": float(z)}


def _z_check(budget, squared: bool, what: str):
    from normalign.numerics.tolerances import G1_Z_CRIT

    from normalign.checks import verdict

    k, draws = budget.n(3, 10), budget.n(20_000, 100_000)
    zs, cases = [], []
    for i in range(k):
        z, case = _estimator_z(budget.seed * 100 + i, draws, squared)
        zs.append(abs(z))
        cases.append(case)
    return verdict(zs, G1_Z_CRIT, detail=f"{what}: |z| of the mean of {draws} one-vector estimates against "
                   f"the engine's exact value, c = 5 (two-sided false-alarm rate 1e-6 per point)",
                   counterexample=lambda j: cases[j])


@single_threaded
def check_g1_squared_estimator_unbiased(budget):
    """G1: ``c ||J^T v||^2`` is unbiased for ``||J||_F^2`` (z-test, alpha = 1e-6, fixed seeds)."""
    return _z_check(budget, True, "G1 squared estimator")


@single_threaded
def planted_g1_sqrt_estimator_unbiased(budget):
    """Planted: 'sqrt(c ||J^T v||^2) is unbiased for ||J||_F' (it is biased low by Jensen)."""
    return _z_check(budget, False, "planted G1 (sqrt estimator unbiased)")


def _replayed_unit_vectors(n: int, c: int, seed: int) -> np.ndarray:
    """The unit vectors a ``GrokAlign(..., generator=torch.Generator().manual_seed(seed))`` draws on its
    first call, written out here: standard normals from torch's stream, each row normalised. (If the
    module changed how it draws v, the fixed-v comparison below fails loudly rather than passing.)"""
    v = torch.randn(n, c, generator=torch.Generator().manual_seed(seed), dtype=torch.float64).numpy()
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _sqrt_error(delta: np.ndarray, value2: np.ndarray) -> np.ndarray:
    """Largest error of ``sqrt(e)`` when ``e`` (true value ``value2``) carries an absolute error ``delta``:
    ``min(sqrt(delta), delta / sqrt(value2))`` (from |sqrt a - sqrt b| = |a - b| / (sqrt a + sqrt b))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.minimum(np.sqrt(delta), np.where(value2 > 0, delta / np.sqrt(value2), np.inf))


@single_threaded
def check_g1_estimate_fixed_v(budget):
    """G1's ``jacobian="estimate"`` path against the engine's explicit J, with v fixed:

    - ``jacobian_fro2_estimate(V=v) = c ||J^T v||^2`` and ``jacobian_fro_estimate(V=v) = sqrt(c) ||J^T v||``
      per point (compared as squares);
    - over the symmetric family v in {+-q_1, ..., +-q_c} (q an orthonormal basis, E[v v^T] = I / c) the
      mean of ``c ||J^T v||^2`` is ``||J||_F^2`` exactly (the unbiasedness identity, no sampling);
    - the penalty module ``GrokAlign(model, lam, jacobian="estimate", squared=., offset=.)`` with a seeded
      generator equals ``lam (mean_x sqrt(c) ||J^T v_x|| + mean_x ||b_x||^2)`` (squared: ``c ||J^T v_x||^2``)
      with the same v replayed (``_replayed_unit_vectors``) and (J, b) from the engine.

    c in {2, 3, 5, 10}; residual ``|got - want| / tolerance`` with tolerance ``matmul_tol(3, 12)`` times
    the scale ``c ||J||_F^2`` of the squared terms (propagated through the square root by ``_sqrt_error``)."""
    return _estimate_fixed_v(budget, planted=False)


@single_threaded
def planted_g1_estimate_sqrt_c_times_square(budget):
    """Planted: the estimate path's ||J||_F term is ``sqrt(c) ||J^T v||^2`` (sqrt misplaced): the oracle of
    ``check_g1_estimate_fixed_v`` with that formula against the same product calls; must be refuted."""
    return _estimate_fixed_v(budget, planted=True)


def _estimate_fixed_v(budget, planted: bool):
    from normalign.numerics.checks.definitions.reference import ratio
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    tol = matmul_tol(3, 12)
    lam = 0.7
    res, cases = [], []
    for i in range(budget.n(8, 40)):
        seed = budget.seed * 100 + 50 + i
        c = (2, 3, 5, 10)[i % 4]
        net, model = _random_cpa(seed, c=c)
        rng = np.random.default_rng(seed)
        n = 12
        X = rng.standard_normal((n, net.input_dim))
        Xt = torch.as_tensor(X)
        J, b = region_maps(net, X)
        fro2 = (J**2).sum(axis=(1, 2))
        delta = tol * c * fro2  # absolute rounding scale of c ||J^T v||^2
        parts = {}
        V = rng.standard_normal((n, c))
        V /= np.linalg.norm(V, axis=1, keepdims=True)
        want2 = c * (np.einsum("ncd,nc->nd", J, V) ** 2).sum(axis=1)
        got2 = jacobian_fro2_estimate(model, Xt, V=torch.as_tensor(V)).detach().numpy()
        got1 = jacobian_fro_estimate(model, Xt, V=torch.as_tensor(V)).detach().numpy()
        parts["fro2 estimate, fixed v"] = ratio(got2 - want2, delta)
        parts["fro estimate (squared), fixed v"] = ratio(got1**2 - want2, delta)
        Q, _ = np.linalg.qr(rng.standard_normal((c, c)))
        fam = np.vstack([Q.T, -Q.T])
        x_rep = torch.as_tensor(np.repeat(X[:1], 2 * c, axis=0))
        fam_mean = float(jacobian_fro2_estimate(model, x_rep, V=torch.as_tensor(fam)).detach().mean())
        parts["symmetric family mean vs ||J||_F^2"] = ratio(np.array([fam_mean - fro2[0]]), delta[:1])
        Vr = _replayed_unit_vectors(n, c, seed)
        e2 = c * (np.einsum("ncd,nc->nd", J, Vr) ** 2).sum(axis=1)
        b2 = (b**2).sum(axis=1)
        b_tol = tol * (b2.mean() + 1e-300)
        for squared in (False, True):
            jterm, jerr = (e2, delta) if squared else (np.sqrt(e2), _sqrt_error(delta, e2))
            if planted and not squared:
                jterm = e2 / math.sqrt(c)  # sqrt(c) ||J^T v||^2
            for offset in ("none", "jvp"):
                want = lam * (jterm.mean() + (b2.mean() if offset == "jvp" else 0.0))
                err = lam * (jerr.mean() + (b_tol if offset == "jvp" else 0.0))
                g = torch.Generator().manual_seed(seed)
                got = float(GrokAlign(model, lam, jacobian="estimate", squared=squared, offset=offset,
                                      generator=g)(Xt).detach())
                parts[f"module estimate squared={squared} offset={offset}"] = ratio(np.array([got - want]), np.array([err]))
        worst_k = max(parts, key=lambda k: float(np.max(parts[k])))
        res.append(float(np.max(parts[worst_k])))
        cases.append({"seed": seed, "c": c, "worst": worst_k})
    return verdict(res, 1.0, detail="G1 estimate path (fixed v, symmetric family, penalty module with replayed v) "
                   "vs engine J: |got - want| / rounding tolerance", counterexample=lambda j: cases[j])


@single_threaded
def check_g1_estimator_exact_c1(budget):
    """G1 at c = 1 through the product code: the penalty module's estimate path
    ``GrokAlign(model, lam, jacobian="estimate", offset="none")`` equals ``lam mean_x ||J_x||_F`` (and
    ``lam mean_x ||J_x||_F^2`` with ``squared=True``), and ``jacobian_fro_estimate`` equals ``||J_x||_F``
    per point, with J from the engine (for c = 1, v = +-1, so the one-vector estimate is exact)."""
    from normalign.numerics.checks.definitions.reference import ratio
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(5, 50)):
        net, model = _random_cpa(budget.seed * 100 + i, c=1)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        Xt = torch.as_tensor(X)
        J, _ = region_maps(net, X)
        exact = np.sqrt((J**2).sum(axis=(1, 2)))
        est = jacobian_fro_estimate(model, Xt, torch.Generator().manual_seed(i)).detach().numpy()
        res.append(float(np.max(ratio(est - exact, exact))))  # J = 0 (dead region): the estimate must be 0
        for squared, want in ((False, exact.mean()), (True, (exact**2).mean())):
            got = float(GrokAlign(model, 0.3, jacobian="estimate", offset="none", squared=squared,
                                  generator=torch.Generator().manual_seed(i))(Xt).detach())
            res.append(float(ratio(got - 0.3 * want, 0.3 * want)))
    return verdict(res, matmul_tol(3, 12), detail="G1 c = 1: penalty module's estimate path and "
                   "jacobian_fro_estimate vs the engine's ||J||_F, relative")


@single_threaded
def check_g1_jvp_offset_engine(budget):
    """G1: the JVP offset ``f(x) - J_x x`` equals the engine's exact ``b_x`` on random CPA networks
    with biases (relative to ``|f(x)| + ||J_x|| ||x||``)."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(5, 50)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((32, net.input_dim))
        J, b = region_maps(net, X)
        bt = offset_jvp(model, torch.as_tensor(X)).detach().numpy()
        scale = np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
        res.append(np.max(np.abs(bt - b) / scale))
    return verdict(res, matmul_tol(3, 12), detail="G1 JVP offset vs engine b_x, relative")


@single_threaded
def check_g1_fd_exact_shared_region(budget):
    """G1: the finite-difference offset equals the engine's ``b_x`` when ``x`` and ``(1 + eps) x`` share
    a region; for bias-free ReLU networks at every eps (here eps = 0.5). The FD quotient's rounding is
    ``~ EPS * scale / eps``, so the residual is measured as ``eps |b_fd - b| / scale``."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res, skipped = [], 0
    for i in range(budget.n(5, 40)):
        for bias in (True, False):
            net, model = _random_cpa(budget.seed * 100 + i, bias=bias)
            X = np.random.default_rng(i).standard_normal((16, net.input_dim))
            J, b = region_maps(net, X)
            scale = np.abs(net.forward(X)) + np.linalg.norm(J, axis=2) * np.linalg.norm(X, axis=1)[:, None]
            for j, x in enumerate(X):
                eps = 0.5 if not bias else fd_shared_eps(net, x)
                if eps is None:
                    skipped += 1
                    continue
                bf = offset_fd(model, torch.as_tensor(x[None]), eps).detach().numpy()[0]
                res.append(float(np.max(eps * np.abs(bf - b[j]) / scale[j])))
    return verdict(res, matmul_tol(3, 12), detail=f"G1 FD offset in a shared region (bias-free: eps = 0.5), "
                   f"eps-scaled relative error; {skipped} points with no shared eps skipped")


@single_threaded
def boundary_g1_fd_region_crossed(budget):
    """Boundary: the FD offset is wrong when ``(1 + eps) x`` leaves x's region. Hand-built oracle:
    ``f(x) = relu(x - 1)`` at x = 0.999 has ``J = 0, b = 0``; with eps = 0.01 the step crosses the kink at
    1 and the FD gives ``J x ~ 0.899``, ``b ~ -0.899``. Also random biased networks at eps = 0.5 where the
    engine says the region changes."""
    from normalign.numerics.engine.geometry import patterns, region_maps
    from normalign.numerics.engine.network import CPANetwork
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    net = CPANetwork.from_arrays([np.array([[1.0]]), np.array([[1.0]])], [np.array([-1.0]), None])
    x = np.array([[0.999]])
    _, b = region_maps(net, x)
    bf = offset_fd(net.to_sequential(), torch.as_tensor(x), 0.01).detach().numpy()
    res = [float(abs(bf[0, 0] - b[0, 0]))]
    cases = [{"network": "relu(x - 1)", "x": 0.999, "eps": 0.01, "b_engine": b[0, 0], "b_fd": bf[0, 0]}]
    for i in range(budget.n(3, 20)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        crossed = [j for j, xx in enumerate(X) if not all(
            np.array_equal(a, c) for a, c in zip(patterns(net, xx[None]), patterns(net, (1.5 * xx)[None])))]
        if not crossed:
            continue
        J, b = region_maps(net, X[crossed])
        bf = offset_fd(model, torch.as_tensor(X[crossed]), 0.5).detach().numpy()
        scale = np.abs(net.forward(X[crossed])) + np.linalg.norm(J, axis=2) * np.linalg.norm(X[crossed], axis=1)[:, None]
        # the largest eps-scaled error over the crossed points (the claim 'FD is exact' fails at it)
        res.append(float(np.max(0.5 * np.abs(bf - b) / scale)))
        cases.append({"seed": budget.seed * 100 + i, "eps": 0.5, "points": X[crossed]})
    return verdict(res, matmul_tol(3, 12), detail="G1 FD offset across a region boundary (claim: exact)",
                   counterexample=lambda j: cases[j])


@single_threaded
def check_g1_penalty_value(budget):
    """G1: ``GrokAlign(model, lam, jacobian='exact')`` equals ``lam (mean ||J||_F + mean ||b||^2)`` and the
    squared option ``lam (mean ||J||_F^2 + mean ||b||^2)``, both from the engine's exact (J, b)."""
    from normalign.numerics.engine.geometry import region_maps
    from normalign.numerics.tolerances import matmul_tol

    from normalign.checks import verdict

    res = []
    for i in range(budget.n(3, 20)):
        net, model = _random_cpa(budget.seed * 100 + i)
        X = np.random.default_rng(i).standard_normal((16, net.input_dim))
        J, b = region_maps(net, X)
        fro = np.sqrt((J**2).sum(axis=(1, 2)))
        b2 = (b**2).sum(axis=1).mean()
        for squared, want in ((False, 0.3 * (fro.mean() + b2)), (True, 0.3 * ((fro**2).mean() + b2))):
            got = float(GrokAlign(model, 0.3, jacobian="exact", squared=squared)(torch.as_tensor(X)).detach())
            res.append(abs(got - want) / want)
    return verdict(res, matmul_tol(3, 12), detail="G1 penalty (exact Jacobian, JVP offset) vs engine, relative")
