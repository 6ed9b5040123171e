"""cvxpy problems of L1, T1, T1', T2 and their boundaries, each built once with Parameters (DPP).

Every class builds its problem in ``__init__`` with ``cp.Parameter``s for the data (points, labels,
radius, level, directions) and re-solves it with new values in ``solve``; ``rebuild=True`` builds a
fresh problem instead (the naive way, measured in ``benchmarks/bench_convex.py``). A solve that does
not end with status ``optimal`` raises :class:`SolverInconclusive`; callers turn that into an
inconclusive outcome. Witnesses are returned as numpy arrays for re-verification by the caller.

Norms of W = [J | b] (constraint ``norm(W) <= r``): 'fro' Frobenius, 'nuc' nuclear, 'spec' spectral,
'l1' entrywise sum of |W_ij|. Losses: see :mod:`normalign.numerics.maths.minnorm`.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import cvxpy as cp
import numpy as np

NORMS: tuple[str, ...] = ("fro", "nuc", "spec", "l1")
SOLVER: str = "CLARABEL"
"""Interior-point conic solver with exponential (cross-entropy) and PSD (nuclear, spectral) cones."""


class SolverInconclusive(RuntimeError):
    """The solver did not return status 'optimal'."""


def norm_expr(W: cp.Expression, norm: str) -> cp.Expression:
    """The convex expression of ``norm`` applied to the matrix ``W``."""
    if norm == "fro":
        return cp.norm(W, "fro")
    if norm == "nuc":
        return cp.normNuc(W)
    if norm == "spec":
        return cp.sigma_max(W)
    if norm == "l1":
        return cp.sum(cp.abs(W))
    raise ValueError(f"unknown norm {norm!r}; known: {NORMS}")


def norm_value(W: np.ndarray, norm: str) -> float:
    """numpy value of ``norm`` (the independent re-check of a solver witness)."""
    W = np.asarray(W, dtype=np.float64)
    if norm == "fro":
        return float(np.linalg.norm(W))
    if norm == "nuc":
        return float(np.sum(np.linalg.svd(W, compute_uv=False)))
    if norm == "spec":
        return float(np.linalg.svd(W, compute_uv=False)[0])
    if norm == "l1":
        return float(np.sum(np.abs(W)))
    raise ValueError(f"unknown norm {norm!r}; known: {NORMS}")


def loss_expr(loss: str, z: cp.Expression, lab: cp.Parameter) -> cp.Expression:
    """l(z, y) in DPP form; ``lab`` is the one-hot e_y ('ce', 'sq') or the sign y, shape (1,) ('logistic')."""
    if loss == "ce":
        return cp.log_sum_exp(z) - lab @ z
    if loss == "sq":
        return cp.sum_squares(z - lab)
    if loss == "logistic":
        return cp.sum(cp.logistic(-cp.multiply(lab, z)))
    raise ValueError(f"unknown loss {loss!r}")


def label_value(loss: str, c: int, y: int) -> np.ndarray:
    """The value of the label parameter: e_y, or the sign y for 'logistic'."""
    if loss == "logistic":
        return np.array([float(y)])
    e = np.zeros(c)
    e[y] = 1.0
    return e


RETRY_SETTINGS: tuple[dict[str, object], ...] = (
    {}, {"equilibrate_enable": False}, {"presolve_enable": False}, {"max_iter": 400})
"""Clarabel settings tried in turn when a solve ends 'optimal_inaccurate' (thin near-optimal sets
sometimes stall the default run; another scaling usually converges). Only status 'optimal' counts."""


def margin_matrix(loss: str, c: int, y: int) -> np.ndarray:
    """D with D z = (z_k - z_y)_{k != y} ('ce'), or D z = -y z ('logistic', c = 1)."""
    if loss == "logistic":
        return np.array([[-float(y)]])
    D = np.zeros((c - 1, c))
    for row, k in enumerate(k for k in range(c) if k != y):
        D[row, k], D[row, y] = 1.0, -1.0
    return D


def _solve(prob: cp.Problem) -> float:
    statuses = []
    for opts in RETRY_SETTINGS:
        try:
            with warnings.catch_warnings():  # 'solution may be inaccurate': handled by the status below
                warnings.simplefilter("ignore", UserWarning)
                prob.solve(solver=SOLVER, **opts)
        except cp.error.SolverError as exc:
            statuses.append(f"error {exc}")
            continue
        if prob.status == cp.OPTIMAL:
            return float(prob.value)
        statuses.append(str(prob.status))
        if prob.status in (cp.INFEASIBLE, cp.UNBOUNDED):
            break
    raise SolverInconclusive(f"solver status {statuses}, not optimal")


class _Reusable:
    """Base: subclasses define ``_build`` returning (problem, params dict, outputs dict)."""

    def __init__(self) -> None:
        self._prob, self._par, self._out = self._build()

    def _build(self) -> tuple[cp.Problem, dict[str, cp.Parameter], dict[str, cp.Variable]]:
        raise NotImplementedError

    def _run(self, values: dict[str, np.ndarray | float], rebuild: bool) -> tuple[float, dict[str, np.ndarray]]:
        prob, par, out = self._build() if rebuild else (self._prob, self._par, self._out)
        for k, v in values.items():
            par[k].value = v
        val = _solve(prob)
        return val, {k: np.asarray(o.value, dtype=np.float64) for k, o in out.items()}

    @property
    def is_dpp(self) -> bool:
        return self._prob.is_dcp(dpp=True)


class MinNormProblem(_Reusable):
    """L1: min ||W||_F^2 s.t. W a = z (a = x~ with bias, a = x bias-free). W is c x m."""

    def __init__(self, c: int, m: int) -> None:
        self.c, self.m = c, m
        super().__init__()

    def _build(self):  # noqa: ANN202
        W = cp.Variable((self.c, self.m))
        a, z = cp.Parameter(self.m), cp.Parameter(self.c)
        prob = cp.Problem(cp.Minimize(cp.sum_squares(W)), [W @ a == z])
        return prob, {"a": a, "z": z}, {"W": W}

    def solve(self, a: np.ndarray, z: np.ndarray, rebuild: bool = False) -> tuple[float, np.ndarray]:
        val, out = self._run({"a": a, "z": z}, rebuild)
        return val, out["W"]


class LogitBallProblem(_Reusable):
    """T1 after L1: min l(z, y) s.t. ||z|| <= R (convex in z)."""

    def __init__(self, loss: str, c: int) -> None:
        self.loss, self.c = loss, c
        super().__init__()

    def _build(self):  # noqa: ANN202
        z = cp.Variable(self.c)
        lab = cp.Parameter(1 if self.loss == "logistic" else self.c)
        R = cp.Parameter(nonneg=True)
        prob = cp.Problem(cp.Minimize(loss_expr(self.loss, z, lab)), [cp.norm(z) <= R])
        return prob, {"lab": lab, "R": R}, {"z": z}

    def solve(self, y: int, R: float, rebuild: bool = False) -> tuple[float, np.ndarray]:
        val, out = self._run({"lab": label_value(self.loss, self.c, y), "R": R}, rebuild)
        return val, out["z"]


class MapProblem(_Reusable):
    """The full problem: min l(W a, y) s.t. norm(W) <= r, W in R^{c x m} (a = x~)."""

    def __init__(self, loss: str, c: int, m: int, norm: str = "fro") -> None:
        self.loss, self.c, self.m, self.norm = loss, c, m, norm
        super().__init__()

    def _build(self):  # noqa: ANN202
        W, z = cp.Variable((self.c, self.m)), cp.Variable(self.c)
        a = cp.Parameter(self.m)
        lab = cp.Parameter(1 if self.loss == "logistic" else self.c)
        r = cp.Parameter(nonneg=True)
        cons = [z == W @ a, norm_expr(W, self.norm) <= r]
        prob = cp.Problem(cp.Minimize(loss_expr(self.loss, z, lab)), cons)
        return prob, {"a": a, "lab": lab, "r": r}, {"W": W, "z": z}

    def solve(self, a: np.ndarray, y: int, r: float, rebuild: bool = False) -> tuple[float, np.ndarray]:
        val, out = self._run({"a": a, "lab": label_value(self.loss, self.c, y), "r": r}, rebuild)
        return val, out["W"]


class SublevelMinNorm(_Reusable):
    """min ||z||^2 s.t. l(z, y) <= level: the smallest logit norm among near-optimal logits.

    With L1's Pythagoras, the largest misalignment ||N||_F over {||W||_F^2 <= alpha, l(W x~) <= level}
    is sqrt(alpha - value / X) exactly.
    """

    def __init__(self, loss: str, c: int) -> None:
        self.loss, self.c = loss, c
        super().__init__()

    def _build(self):  # noqa: ANN202
        z = cp.Variable(self.c)
        lab = cp.Parameter(1 if self.loss == "logistic" else self.c)
        level = cp.Parameter()
        prob = cp.Problem(cp.Minimize(cp.sum_squares(z)), [loss_expr(self.loss, z, lab) <= level])
        return prob, {"lab": lab, "level": level}, {"z": z}

    def solve(self, y: int, level: float, rebuild: bool = False) -> tuple[float, np.ndarray]:
        val, out = self._run({"lab": label_value(self.loss, self.c, y), "level": level}, rebuild)
        return val, out["z"]


class MisalignProblem(_Reusable):
    """Maximise <G, W> over {norm(W) <= r, z = W a, l(z, y) <= level} (or z = z_fixed when ``fixed``).

    Pass G already projected onto a's orthogonal complement (G P, P = I - a a^T / ||a||^2), so the
    objective is the component of W orthogonal to a in direction G: a convex program (linear objective)
    whose optimum over unit G is the largest misalignment over the near-optimal (or optimal) set.
    """

    def __init__(self, loss: str, c: int, m: int, norm: str, fixed: bool = False) -> None:
        self.loss, self.c, self.m, self.norm, self.fixed = loss, c, m, norm, fixed
        super().__init__()

    def _build(self):  # noqa: ANN202
        W, z = cp.Variable((self.c, self.m)), cp.Variable(self.c)
        a, G = cp.Parameter(self.m), cp.Parameter((self.c, self.m))
        r = cp.Parameter(nonneg=True)
        par = {"a": a, "G": G, "r": r}
        cons = [z == W @ a, norm_expr(W, self.norm) <= r]
        if self.fixed:
            zf = cp.Parameter(self.c)
            par["zf"] = zf
            cons.append(z == zf)
        elif self.loss in ("ce", "logistic"):
            # l(z) <= level as a well-scaled margin constraint: with D z = (z_k - z_y)_{k != y} (for
            # logistic D z = -y z), CE <= level  <=>  log sum_k exp((D z)_k) <= log(expm1(level)).
            # The direct form log_sum_exp(z) - z_y <= level cancels two O(R) terms to reach a level of
            # order exp(-R) and stalls the solver for R >~ 5.
            D = cp.Parameter((max(self.c - 1, 1), self.c))
            L = cp.Parameter()
            par.update(D=D, L=L)
            cons.append(cp.log_sum_exp(D @ z) <= L if self.c > 1 else D @ z <= L)
        else:
            lab = cp.Parameter(self.c)
            level = cp.Parameter()
            par.update(lab=lab, level=level)
            cons.append(loss_expr(self.loss, z, lab) <= level)
        prob = cp.Problem(cp.Maximize(cp.sum(cp.multiply(G, W))), cons)
        return prob, par, {"W": W}

    def solve(self, a: np.ndarray, G: np.ndarray, r: float, *, y: int = 0, level: float = 0.0,
              z_fixed: np.ndarray | None = None, rebuild: bool = False) -> tuple[float, np.ndarray]:
        vals: dict[str, np.ndarray | float] = {"a": a, "G": G, "r": r}
        if self.fixed:
            if z_fixed is None:
                raise ValueError("fixed=True needs z_fixed")
            vals["zf"] = z_fixed
        elif self.loss in ("ce", "logistic"):
            if not level > 0:
                raise ValueError("a cross-entropy / logistic level must be > 0")
            vals.update(D=margin_matrix(self.loss, self.c, y), L=math.log(math.expm1(level)))
        else:
            vals.update(lab=label_value(self.loss, self.c, y), level=level)
        val, out = self._run(vals, rebuild)
        return val, out["W"]


class SharedMapProblem(_Reusable):
    """k points sharing one W (the dense regime, or the pooled constraint when ``pooled``).

    Shared: min sum_i l(W a_i, y_i) s.t. norm(W) <= r. Pooled: one W_i per point,
    min sum_i l(W_i a_i, y_i) s.t. sum_i ||W_i||_F^2 <= r (here r is the squared budget n alpha).
    """

    def __init__(self, loss: str, c: int, m: int, k: int, norm: str = "fro", pooled: bool = False) -> None:
        if loss == "logistic":
            raise ValueError("SharedMapProblem supports 'ce' and 'sq'")
        self.loss, self.c, self.m, self.k, self.norm, self.pooled = loss, c, m, k, norm, pooled
        super().__init__()

    def _build(self):  # noqa: ANN202
        A = cp.Parameter((self.m, self.k))
        Y = cp.Parameter((self.c, self.k))
        r = cp.Parameter(nonneg=True)
        Z = cp.Variable((self.c, self.k))
        if self.pooled:
            Ws = [cp.Variable((self.c, self.m)) for _ in range(self.k)]
            cons = [Z[:, i] == Ws[i] @ A[:, i] for i in range(self.k)]
            cons.append(cp.sum(cp.hstack([cp.sum_squares(Wi) for Wi in Ws])) <= r)
            out = {f"W{i}": Wi for i, Wi in enumerate(Ws)}
        else:
            W = cp.Variable((self.c, self.m))
            cons = [Z == W @ A, norm_expr(W, self.norm) <= r]
            out = {"W": W}
        if self.loss == "ce":
            obj = cp.sum(cp.log_sum_exp(Z, axis=0)) - cp.sum(cp.multiply(Y, Z))
        else:
            obj = cp.sum_squares(Z - Y)
        prob = cp.Problem(cp.Minimize(obj), cons)
        return prob, {"A": A, "Y": Y, "r": r}, out

    def solve(self, A: np.ndarray, labels: np.ndarray, r: float,
              rebuild: bool = False) -> tuple[float, dict[str, np.ndarray]]:
        Y = np.zeros((self.c, self.k))
        Y[np.asarray(labels, dtype=int), np.arange(self.k)] = 1.0
        return self._run({"A": A, "Y": Y, "r": r}, rebuild)


class PooledLogitProblem(_Reusable):
    """Pooled T1 after L1: min sum_i l(z_i, y_i) s.t. sum_i ||z_i||^2 / X_i <= n alpha (w_i = 1 / X_i)."""

    def __init__(self, loss: str, c: int, n: int) -> None:
        self.loss, self.c, self.n = loss, c, n
        super().__init__()

    def _build(self):  # noqa: ANN202
        Z = cp.Variable((self.c, self.n))
        Y = cp.Parameter((self.c, self.n))
        w = cp.Parameter(self.n, nonneg=True)
        budget = cp.Parameter(nonneg=True)
        if self.loss == "ce":
            obj = cp.sum(cp.log_sum_exp(Z, axis=0)) - cp.sum(cp.multiply(Y, Z))
        else:
            obj = cp.sum_squares(Z - Y)
        cons = [cp.sum(cp.multiply(w, cp.sum(cp.square(Z), axis=0))) <= budget]
        return cp.Problem(cp.Minimize(obj), cons), {"Y": Y, "w": w, "budget": budget}, {"Z": Z}

    def solve(self, labels: np.ndarray, X: np.ndarray, budget: float,
              rebuild: bool = False) -> tuple[float, np.ndarray]:
        Y = np.zeros((self.c, self.n))
        Y[np.asarray(labels, dtype=int), np.arange(self.n)] = 1.0
        val, out = self._run({"Y": Y, "w": 1.0 / np.asarray(X, dtype=np.float64), "budget": budget}, rebuild)
        return val, out["Z"]


class RobustRadiusProblem(_Reusable):
    """T2(a): min t s.t. ||J_y - J_k|| <= t (z_y - z_k) for k != y, J x = v (J is c x d).

    The optimum is 1 / max rho over {J : J x = v} with the margins z_y - z_k fixed (z = v + b).
    """

    def __init__(self, c: int, d: int, y: int) -> None:
        self.c, self.d, self.y = c, d, y
        super().__init__()

    def _build(self):  # noqa: ANN202
        J, t = cp.Variable((self.c, self.d)), cp.Variable()
        x, v = cp.Parameter(self.d), cp.Parameter(self.c)
        inv_margin = cp.Parameter(self.c, nonneg=True)  # 1 / (z_y - z_k); entry y unused
        cons = [J @ x == v]
        cons += [inv_margin[k] * cp.norm(J[self.y] - J[k]) <= t for k in range(self.c) if k != self.y]
        return cp.Problem(cp.Minimize(t), cons), {"x": x, "v": v, "im": inv_margin}, {"J": J}

    def solve(self, x: np.ndarray, v: np.ndarray, margins: np.ndarray,
              rebuild: bool = False) -> tuple[float, np.ndarray]:
        im = np.zeros(self.c)
        for k in range(self.c):
            if k != self.y:
                im[k] = 1.0 / margins[k]
        val, out = self._run({"x": x, "v": v, "im": im}, rebuild)
        return val, out["J"]


def orth_direction(rng: np.random.Generator, c: int, a: np.ndarray) -> np.ndarray:
    """A random unit-Frobenius G with G a = 0 (a direction orthogonal to alignment with a)."""
    G = rng.standard_normal((c, a.size))
    G -= np.outer(G @ a, a) / float(a @ a)
    return G / np.linalg.norm(G)


SolveFn = Callable[..., tuple[float, np.ndarray]]
