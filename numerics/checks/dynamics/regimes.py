"""Registry checks of D4, P3 and P4: regimes, centroid dynamics against the NTK, and feature learning."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import numpy as np
import torch
from normalign.numerics import tolerances as tol
from normalign.numerics.checks.parts import combine, part
from normalign.numerics.engine.threads import single_threaded

# ============================================================================ P3
from normalign.numerics.maths.dynamics import (
    LAZY,
    RICH,
    antisymmetric_two_layer,
    gd_two_layer,
    loglog_slopes,
    mean_ci,
    p3_instance,
    p3_residuals,
    p4_sweep,
    paired_lower_bound,
    sparse_data,
)
from normalign.numerics.maths.ntk import relative_change
from torch import nn

from normalign.checks import Budget, CheckResult, Outcome, verdict


@single_threaded
def _p3_check(budget: Budget, *, sign: float = 1.0, average: bool = True, bias: bool = False,
              what: str = "P3") -> CheckResult:
    k = budget.n(3, 20)
    devs, cases, slopes, skipped = [], [], [], 0
    for i in range(k):
        inst = p3_instance(budget.seed * 1000 + i, bias=bias)
        r, same = p3_residuals(inst, sign=sign, average=average)
        if not same:
            skipped += 1
            continue
        slope, local = loglog_slopes(inst.etas, r)
        slopes.append(slope)
        devs.append(max(abs(slope - 2.0), float(np.max(np.abs(local - 2.0)))))
        cases.append({"seed": budget.seed * 1000 + i, "etas": inst.etas, "residuals": r, "slope": slope,
                      "local_slopes": local, "bias": bias, "sign": sign, "average": average})
    if not devs:
        return CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, f"{what}: x0 changed region in every instance")
    detail = (f"{what}: |log-log slope of |actual - predicted| vs eta - 2| (fitted and every halving), "
              f"{len(devs)} instances, slopes {np.round(slopes, 3).tolist()}, {skipped} skipped (region change)")
    return verdict(devs, tol.P3_SLOPE_TOL, detail=detail, counterexample=lambda j: cases[j])


def check_p3_second_order(budget: Budget) -> CheckResult:
    """P3: the residual of the first-order prediction is O(eta^2) (slope 2; halving eta quarters it)."""
    return _p3_check(budget)


def planted_p3_wrong_sign(budget: Budget) -> CheckResult:
    """Planted: prediction ``-eta mean_i Theta (y_i - sigma_i)`` (descent direction flipped)."""
    return _p3_check(budget, sign=-1.0, what="planted P3 (wrong sign)")


def planted_p3_missing_mean(budget: Budget) -> CheckResult:
    """Planted: prediction with ``sum_i`` instead of ``mean_i`` (a missing factor 1/n)."""
    return _p3_check(budget, average=False, what="planted P3 (sum, missing 1/n)")


def boundary_p3_with_bias(budget: Budget) -> CheckResult:
    """Boundary: with biases ``<mu_x0, x0> = J x0 = f(x0) - b_x0 != f(x0)``: the NTK of f mispredicts
    the centroid's change at first order (the offset moves too)."""
    return _p3_check(budget, bias=True, what="P3 with biases")


def _sweep_for(budget: Budget) -> dict[str, dict[str, np.ndarray]]:
    """Quick: 5 seeds, width 32, 2000 steps; full: 10 seeds, width 128, 4000 steps (d = 200, n = 20)."""
    if budget.full:
        return p4_sweep(seeds=10, steps=4000, width=128)
    return p4_sweep(seeds=5, steps=2000, width=32)


def _ordering(sweep: dict[str, dict[str, np.ndarray]], metric: str, high: tuple[str, ...],
              low: tuple[str, ...], what: str) -> CheckResult:
    """Every regime of ``high`` above every regime of ``low`` in ``metric``: the paired (same seeds)
    one-sided lower confidence bound of the difference, at false-alarm rate ``P4_ALPHA``, must be > 0.
    The residual reported is minus the smallest lower bound (<= 0 when the ordering holds)."""
    bounds, cases = [], []
    for h in high:
        for l in low:
            lb = paired_lower_bound(sweep[h][metric], sweep[l][metric], tol.P4_ALPHA)
            bounds.append(-lb)
            cases.append({"high": h, "low": l, "metric": metric, "lower_bound": lb,
                          "high_values": sweep[h][metric], "low_values": sweep[l][metric]})
    stats = "; ".join(f"{lab}: {mean_ci(sweep[lab][metric])[0]:.3f} [{mean_ci(sweep[lab][metric])[1]:.3f}, "
                      f"{mean_ci(sweep[lab][metric])[2]:.3f}]" for lab in high + low)
    seeds = len(next(iter(sweep.values()))[metric])
    return verdict(bounds, 0.0, instances=seeds,
                   detail=f"{what}: -(paired one-sided {1 - tol.P4_ALPHA:.4g} lower bound of {metric} "
                   f"difference), {seeds} seeds; mean [95% CI]: {stats}",
                   counterexample=lambda j: cases[j])


# ------------------------------------------------------------------ P4's mechanism, against autograd
P4_SMALL = {"d": 30, "n": 6, "width": 8, "steps": 200, "lr": 0.5}
"""A small P4 instance for the mechanism checks (a few hundred ms per run): unit-norm data in R^30, the
antisymmetric two-layer net of width 2 x 8, full-batch steps at rate 0.5 / max(1, s)^2 (stable: the
kernel of this net at unit-norm inputs has lambda_max / n < 2)."""


def autograd_train(model: nn.Sequential, X: torch.Tensor, y: torch.Tensor, *, lr: float, weight_decay: float,
                   steps: int, optimizer: str = "gd", input_map: Callable[[torch.Tensor], torch.Tensor] | None = None,
                   train_first: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The oracle trainer: full-batch steps on ``1/2 mean_i (f(phi(x_i)) - y_i)^2`` with gradients by torch
    autograd (nothing hand-derived), on a copy of ``model``; returns ``(W_1(T), w_2(T))``.
    ``optimizer="gd"``: ``theta <- (1 - lr wd) theta - lr grad``; ``"adam"``: ``torch.optim.Adam`` (no decay).
    ``input_map`` (phi, default identity) feeds the first layer a non-linear map of the input."""
    m = copy.deepcopy(model)
    ps = [m[0].weight, m[2].weight] if train_first else [m[2].weight]
    opt = torch.optim.Adam(ps, lr=lr) if optimizer == "adam" else None
    if optimizer not in ("gd", "adam"):
        raise ValueError(f"optimizer must be 'gd' or 'adam', got {optimizer!r}")
    Xi = X if input_map is None else input_map(X)
    for _ in range(steps):
        loss = 0.5 * (m(Xi).reshape(-1) - y).pow(2).mean()
        grads = torch.autograd.grad(loss, ps)
        with torch.no_grad():
            for p_, g in zip(ps, grads):
                if opt is None:
                    p_.mul_(1.0 - lr * weight_decay).sub_(lr * g)
                else:
                    p_.grad = g
        if opt is not None:
            opt.step()
    return m[0].weight.detach().numpy().copy(), m[2].weight.detach().numpy()[0].copy()


def out_of_span(D: np.ndarray, X: np.ndarray) -> float:
    """``||D - C X||_F`` minimised over C (least squares, ``numpy.linalg.lstsq``): the part of D's rows
    outside span(rows of X), computed independently of the QR projector in ``dynamics``."""
    C = np.linalg.lstsq(X.T, D.T, rcond=None)[0]
    return float(np.linalg.norm(D.T - X.T @ C))


def _span_runs(budget: Budget, *, optimizer: str = "gd", input_map: Callable[[torch.Tensor], torch.Tensor] | None = None
               ) -> tuple[list[float], list[float], list[dict[str, object]]]:
    """Per run (seeds x {s = 1, wd 0; s = 1, wd 0.05; s = 0.1, wd 0}): the out-of-span residual of
    ``W_1(T) - (1 - lr wd)^T W_1(0)`` on the autograd trajectory (relative to ||W_1(T)||), and (plain GD,
    identity input only) the distance of the product's ``gd_two_layer`` trajectory to autograd's."""
    cfg = P4_SMALL
    span, traj, cases = [], [], []
    for seed in range(budget.n(2, 6)):
        X, y = sparse_data(cfg["n"], cfg["d"], budget.seed + seed)
        for scale, wd in ((1.0, 0.0), (1.0, 0.05), (0.1, 0.0)):
            if optimizer == "adam" and wd:
                continue
            model = antisymmetric_two_layer(cfg["d"], cfg["width"], scale, budget.seed + seed)
            W10 = model[0].weight.detach().numpy().copy()
            w20 = model[2].weight.detach().numpy()[0].copy()
            lr = (1e-2 if optimizer == "adam" else cfg["lr"]) / max(1.0, scale) ** 2
            W1a, w2a = autograd_train(model, X, y, lr=lr, weight_decay=wd, steps=cfg["steps"], optimizer=optimizer,
                                      input_map=input_map)
            decay = (1.0 - lr * wd) ** cfg["steps"] if optimizer == "gd" else 1.0
            span.append(out_of_span(W1a - decay * W10, X.numpy()) / float(np.linalg.norm(W1a)))
            case = {"seed": budget.seed + seed, "scale": scale, "weight_decay": wd, "lr": lr, "optimizer": optimizer,
                    "input_map": None if input_map is None else getattr(input_map, "__name__", "phi"), **cfg}
            if optimizer == "gd" and input_map is None:
                W1p, w2p = gd_two_layer(X.numpy(), y.numpy(), W10.copy(), w20.copy(), lr=lr, weight_decay=wd,
                                        steps=cfg["steps"])
                traj.append(max(float(np.linalg.norm(W1p - W1a) / np.linalg.norm(W1a)),
                                float(np.linalg.norm(w2p - w2a) / np.linalg.norm(w2a))))
            cases.append(case)
    return span, traj, cases


@single_threaded
def check_p4_span_identity(budget: Budget) -> CheckResult:
    """P4's mechanism against autograd: trained with plain GD (+ weight decay) whose gradients come from
    torch autograd (``autograd_train``, nothing hand-derived), ``W_1(T) - (1 - lr wd)^T W_1(0)`` has rows
    in span(X) (least-squares residual, ``out_of_span``), and the product trainer ``gd_two_layer``
    (closed-form gradients) follows the same trajectory. Tolerances: the span residual is rounding
    (``P4_SPAN_IDENTITY_TOL``); the two trajectories differ by per-step rounding of work d + n over T
    steps, ``rel_tol(T (d + n))``. The planted Adam and non-linear-input variants must fail."""

    span, traj, cases = _span_runs(budget)
    cfg = P4_SMALL
    sp_ = part("autograd GD: ||(W1(T) - (1 - lr wd)^T W1(0)) outside span(X)||_F / ||W1(T)||_F",
               tol.P4_SPAN_IDENTITY_TOL)
    tr = part("gd_two_layer vs autograd trajectory: max rel. distance of W1(T), w2(T)",
              tol.rel_tol(cfg["steps"] * (cfg["d"] + cfg["n"])))
    for r, c in zip(span, cases):
        sp_.add(r, c)
    for r, c in zip(traj, cases):
        tr.add(r, c)
    return combine([sp_, tr], len(span), f"P4 mechanism on {len(span)} autograd GD runs (d = {cfg['d']}, "
                   f"n = {cfg['n']}, width 2x{cfg['width']}, {cfg['steps']} steps; s = 1 and 0.1, wd 0 and 0.05)")


@single_threaded
def boundary_p4_span_adam(budget: Budget) -> CheckResult:
    """Boundary (drops 'gd'): the same runs with Adam (per-coordinate step sizes) instead of GD:
    W_1(T) - W_1(0) leaves span(X). Expected: refuted."""
    span, _, cases = _span_runs(budget, optimizer="adam")
    return verdict(span, tol.P4_SPAN_IDENTITY_TOL, detail="P4 with Adam: out-of-span part of W1(T) - W1(0), "
                   "relative to ||W1(T)||", counterexample=lambda j: cases[j])


@single_threaded
def boundary_p4_span_nonlinear_input(budget: Budget) -> CheckResult:
    """Boundary (drops 'first_linear'): the first layer sees relu(x) instead of x, so its gradients lie in
    span(relu(X)), not span(X). Expected: refuted."""
    span, _, cases = _span_runs(budget, input_map=torch.relu)
    return verdict(span, tol.P4_SPAN_IDENTITY_TOL, detail="P4 with input map relu: out-of-span part of "
                   "W1(T) - W1(0) relative to ||W1(T)||", counterexample=lambda j: cases[j])


def planted_p4_lazy_above_rich(budget: Budget) -> CheckResult:
    """Planted: 'the lazy regimes concentrate ||J||_F^2 in span(X) more than the rich ones'."""
    return _ordering(_sweep_for(budget), "span_fraction", LAZY, RICH, "planted P4 (lazy above rich)")


def check_d4_ntk_ordering(budget: Budget) -> CheckResult:
    """D4: the relative change of the NTK (over the trained parameters) is larger in the rich regime
    (small init) than in the lazy one (large init), paired over seeds."""
    return _ordering(_sweep_for(budget), "ntk_change_trained", ("rich (small init)",), ("lazy (large init)",),
                     "D4 relative NTK change")


def two_layer_ntk_closed_form(W1: np.ndarray, w2: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The NTK of ``f(x) = w2^T relu(W1 x)`` in closed form (numpy): ``d f / d w2 = h(x) = relu(W1 x)`` and
    ``d f / d W1 = (w2 * 1[W1 x > 0]) x^T``, so with ``H = relu(X W1^T)`` and ``M = 1[X W1^T > 0]``

        Theta_last = H H^T,    Theta_all = H H^T + (X X^T) * (M diag(w2^2) M^T)   (entrywise *).

    Returns ``(Theta_last, Theta_all)``."""
    Z = X @ W1.T
    H = np.maximum(Z, 0.0)
    M = (Z > 0).astype(np.float64)
    K_last = H @ H.T
    return K_last, K_last + (X @ X.T) * ((M * w2**2) @ M.T)


@single_threaded
def check_d4_last_layer_frozen_kernel(budget: Budget) -> CheckResult:
    """D4, last layer only => frozen kernel, on product code: train only the last layer with the product
    trainer (``gd_two_layer(train_first=False)``), and compute the NTK with the product's torch.func code
    (``empirical_ntk`` of the last layer; all parameters; the slice route ``param_jacobian`` +
    ``parameter_slices`` that ``train_p4`` uses) before and after. Oracle: the closed form
    ``two_layer_ntk_closed_form``. Parts: every product kernel equals the closed form; the last-layer
    kernel's relative change (product ``relative_change``) is 0 (frozen features); the all-parameter
    kernel's change equals the closed form's (it moves through w2 only). Tolerance ``rel_tol(P + d)``:
    each entry is a dot product of length P (number of parameters) of terms that are themselves
    dot products of length d, relative to the largest diagonal entry."""
    from normalign.numerics.maths.ntk import (
        empirical_ntk,
        kernel_from_jacobians,
        param_jacobian,
        parameter_slices,
    )

    cfg = P4_SMALL
    P = 2 * cfg["width"] * (cfg["d"] + 1)
    tl = tol.rel_tol(P + cfg["d"])
    kern = part("product NTK vs closed form: max |K - K_closed| / max diag K_closed", tl)
    froz = part("last-layer NTK: product relative change (claimed 0)", tl)
    moved = part("all-parameter NTK: |product relative change - closed form's| / (1 + closed form's)", tl)
    changes, k = [], 0
    for seed in range(budget.n(2, 6)):
        X, y = sparse_data(cfg["n"], cfg["d"], budget.seed + seed)
        Xn = X.numpy()
        for scale in (1.0, 0.3):
            model = antisymmetric_two_layer(cfg["d"], cfg["width"], scale, budget.seed + seed)
            W10 = model[0].weight.detach().numpy().copy()
            w20 = model[2].weight.detach().numpy()[0].copy()
            # the loss is quadratic in w2 with Hessian H^T H / n: rate 1 / lambda_max(H H^T / n) is stable
            lr = 1.0 / float(np.linalg.eigvalsh(two_layer_ntk_closed_form(W10, w20, Xn)[0] / cfg["n"]).max())
            W1, w2 = gd_two_layer(Xn, y.numpy(), W10.copy(), w20.copy(), lr=lr, weight_decay=0.0,
                                  steps=cfg["steps"], train_first=False)
            trained = copy.deepcopy(model)
            with torch.no_grad():
                trained[0].weight.copy_(torch.as_tensor(W1))
                trained[2].weight.copy_(torch.as_tensor(w2)[None])
            case = {"seed": budget.seed + seed, "scale": scale, **cfg, "lr": lr}
            Kc = {}
            for when, net, (A, b) in (("0", model, (W10, w20)), ("T", trained, (W10, w2))):
                Kl_c, Ka_c = two_layer_ntk_closed_form(A, b, Xn)  # W1 frozen: the oracle uses W1(0)
                Kl = empirical_ntk(net, X, params=["2.weight"]).numpy()
                Ka = empirical_ntk(net, X).numpy()
                Jp = param_jacobian(net, X)
                Jt = Jp[:, :, parameter_slices(net)["2.weight"]]
                Ks = kernel_from_jacobians(Jt, Jt).numpy()
                for K, ref in ((Kl, Kl_c), (Ka, Ka_c), (Ks, Kl_c)):
                    kern.add(float(np.abs(K - ref).max() / np.abs(np.diag(ref)).max()), dict(case, at=when))
                Kc[when] = (torch.as_tensor(Kl), torch.as_tensor(Ka), Ka_c)
            froz.add(relative_change(Kc["0"][0], Kc["T"][0]), case)
            ch_p = relative_change(Kc["0"][1], Kc["T"][1])
            ch_c = float(np.linalg.norm(Kc["T"][2] - Kc["0"][2]) / np.linalg.norm(Kc["0"][2]))
            moved.add(abs(ch_p - ch_c) / (1 + ch_c), case)
            changes.append(ch_c)
            k += 1
    return combine([kern, froz, moved], k, f"D4 last layer only ({k} runs, d = {cfg['d']}, n = {cfg['n']}, width "
                   f"2x{cfg['width']}, {cfg['steps']} steps); all-parameter NTK change (closed form) "
                   f"{min(changes):.3g}..{max(changes):.3g}")


def planted_d4_small_init_lazy(budget: Budget) -> CheckResult:
    """Planted: 'small initialisation is the lazy regime' (its NTK changes less than at large init)."""
    return _ordering(_sweep_for(budget), "ntk_change_trained", ("lazy (large init)",), ("rich (small init)",),
                     "planted D4 (small init lazy)")
