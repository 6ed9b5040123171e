"""Closed forms of L1, T1(c), T1(d), T2 and the numpy oracles the convex checks compare against.

Notation (shared/THEOREMS.md): x~ = (x, 1), W = [J | b] in R^{c x (d+1)}, X = ||x~||^2 = ||x||^2 + 1.

- L1: min ||W||_F^2 s.t. W x~ = z is ||z||^2 / X, attained only at W = z x~^T / X. Any feasible W splits
  as W = z x~^T / X + N with N x~ = 0 and ||W||_F^2 = ||z||^2 / X + ||N||_F^2 (Pythagoras), so
  ``misalignment(W, x~) = ||N||_F = ||W (I - x~ x~^T / X)||_F`` measures the distance to alignment.
- T1 reduction: {W x~ : ||W||_F^2 <= alpha} is the ball ||z|| <= R, R = sqrt(alpha X).
- T1(c): cross-entropy optimum z* = R s (e_y - 1/c), s = sqrt(c/(c-1)); loss log(1 + (c-1) e^{-R s}).
- T1(d): squared error to e_y: z* = e_y min(1, R), loss (1 - R)_+^2.
- Logistic (c = 1, label y in {-1, +1}): z* = y R, loss log(1 + e^{-R}).
"""

from __future__ import annotations

import math

import numpy as np

LOSSES: tuple[str, ...] = ("ce", "sq", "logistic")
"""Losses of the logits: softmax cross-entropy (c >= 2), squared error to e_y, logistic (c = 1)."""


def _vec(a: np.ndarray, name: str) -> np.ndarray:
    v = np.asarray(a, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-d array, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} has NaN or inf entries")
    return v


def augment(x: np.ndarray) -> np.ndarray:
    """x~ = (x, 1)."""
    return np.append(_vec(x, "x"), 1.0)


def minnorm_map(x: np.ndarray, z: np.ndarray, bias: bool = True) -> np.ndarray:
    """L1's minimiser: W = z x~^T / ||x~||^2 (c x (d+1)); bias-free: J = z x^T / ||x||^2 (c x d)."""
    x = _vec(x, "x")
    z = _vec(z, "z")
    a = np.append(x, 1.0) if bias else x
    aa = float(a @ a)
    if aa == 0.0:
        raise ValueError("x = 0: the bias-free minimum-norm map is undefined")
    return np.outer(z, a) / aa


def minnorm_value(x: np.ndarray, z: np.ndarray, bias: bool = True) -> float:
    """L1's value: ||z||^2 / (||x||^2 + 1), or ||z||^2 / ||x||^2 bias-free (squared Frobenius norm)."""
    x = _vec(x, "x")
    z = _vec(z, "z")
    aa = float(x @ x) + (1.0 if bias else 0.0)
    if aa == 0.0:
        raise ValueError("x = 0: the bias-free minimum-norm value is undefined")
    return float(z @ z) / aa


def misalignment(W: np.ndarray, a: np.ndarray) -> float:
    """||W (I - a a^T / ||a||^2)||_F: the part of W's rows orthogonal to a (0 iff W = u a^T)."""
    W = np.asarray(W, dtype=np.float64)
    a = _vec(a, "a")
    if W.ndim != 2 or W.shape[1] != a.size:
        raise ValueError(f"W must be c x {a.size}, got shape {W.shape}")
    aa = float(a @ a)
    if aa == 0.0:
        raise ValueError("a = 0: alignment with the zero vector is undefined")
    N = W - np.outer(W @ a, a) / aa
    return float(np.linalg.norm(N))


def frobenius_ratio(W: np.ndarray, a: np.ndarray) -> float:
    """||W a|| / (||W||_F ||a||) in [0, 1]; 1 exactly when W = u a^T (D1)."""
    W = np.asarray(W, dtype=np.float64)
    a = _vec(a, "a")
    nw, na = float(np.linalg.norm(W)), float(np.linalg.norm(a))
    if nw == 0.0 or na == 0.0:
        raise ValueError("Frobenius ratio undefined for W = 0 or a = 0")
    return float(np.linalg.norm(W @ a)) / (nw * na)


def na_score(W: np.ndarray, a: np.ndarray) -> float:
    """|cos(v1(W), a)| with v1 the top right singular vector (D1's normal-alignment score)."""
    W = np.asarray(W, dtype=np.float64)
    a = _vec(a, "a")
    _, _, vt = np.linalg.svd(W)
    return float(abs(vt[0] @ a) / np.linalg.norm(a))


def numerical_rank(W: np.ndarray, rel: float) -> int:
    """Number of singular values above ``rel * s_1``."""
    s = np.linalg.svd(np.asarray(W, dtype=np.float64), compute_uv=False)
    return int(np.sum(s > rel * s[0])) if s[0] > 0 else 0


def logsumexp(z: np.ndarray) -> float:
    m = float(np.max(z))
    return m + math.log(float(np.sum(np.exp(z - m))))


def loss_value(loss: str, z: np.ndarray, y: int) -> float:
    """l(z, y): 'ce' = logsumexp(z) - z_y; 'sq' = ||z - e_y||^2; 'logistic' (c = 1, y = +-1) = log(1+e^{-y z})."""
    z = _vec(z, "z")
    if loss == "ce":
        return logsumexp(z) - float(z[y])
    if loss == "sq":
        e = np.zeros_like(z)
        e[y] = 1.0
        return float(np.sum((z - e) ** 2))
    if loss == "logistic":
        if z.size != 1 or y not in (-1, 1):
            raise ValueError("logistic loss needs c = 1 and y in {-1, +1}")
        t = -y * float(z[0])
        return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))
    raise ValueError(f"unknown loss {loss!r}; known: {LOSSES}")


def ce_scale(c: int) -> float:
    """s = sqrt(c / (c - 1)), the margin per unit logit norm at the T1(c) optimum."""
    if c < 2:
        raise ValueError("cross-entropy needs c >= 2 classes")
    return math.sqrt(c / (c - 1))


def optimal_logits(loss: str, c: int, y: int, R: float) -> np.ndarray:
    """argmin l(z, y) over ||z|| <= R (closed forms of T1(c), T1(d), logistic)."""
    if not (R >= 0 and math.isfinite(R)):
        raise ValueError(f"R must be finite and >= 0, got {R!r}")
    if loss == "ce":
        z = -np.full(c, 1.0 / c)
        z[y] += 1.0
        return R * ce_scale(c) * z
    if loss == "sq":
        z = np.zeros(c)
        z[y] = min(1.0, R)
        return z
    if loss == "logistic":
        return np.array([y * R], dtype=np.float64)
    raise ValueError(f"unknown loss {loss!r}; known: {LOSSES}")


def optimal_loss(loss: str, c: int, R: float) -> float:
    """min l(z, y) over ||z|| <= R."""
    if loss == "ce":
        return math.log1p((c - 1) * math.exp(-R * ce_scale(c)))
    if loss == "sq":
        return max(0.0, 1.0 - R) ** 2
    if loss == "logistic":
        return math.log1p(math.exp(-R))
    raise ValueError(f"unknown loss {loss!r}; known: {LOSSES}")


def optimal_loss_slope(loss: str, c: int, R: float) -> float:
    """g(R) = -d/dR optimal_loss(R) >= 0. Since optimal_loss is convex and decreasing in R, the smallest
    ||z|| on {l <= opt(R) + delta} is >= R - delta / g(R), so the largest squared misalignment over the
    Frobenius near-optimal set is at most alpha * 2 delta / (R g(R)) (see ``predicted_max_misalignment``)."""
    if loss == "ce":
        s = ce_scale(c)
        e = (c - 1) * math.exp(-R * s)
        return s * e / (1 + e)
    if loss == "sq":
        return 2.0 * max(0.0, 1.0 - R)
    if loss == "logistic":
        return 1.0 / (1.0 + math.exp(R))
    raise ValueError(f"unknown loss {loss!r}; known: {LOSSES}")


def radius_at_level(loss: str, c: int, level: float) -> float:
    """Smallest ||z|| with l(z, y) <= level: inverse of ``optimal_loss`` (which decreases in R)."""
    if loss == "ce":
        e = math.expm1(level) / (c - 1)
        return max(0.0, -math.log(e) / ce_scale(c)) if e < 1 else 0.0
    if loss == "sq":
        return max(0.0, 1.0 - math.sqrt(max(level, 0.0)))
    if loss == "logistic":
        e = math.expm1(level)
        return max(0.0, -math.log(e)) if e < 1 else 0.0
    raise ValueError(f"unknown loss {loss!r}; known: {LOSSES}")


def predicted_max_misalignment(loss: str, c: int, X: float, alpha: float, delta: float) -> float:
    """Largest ||N||_F over {W : ||W||_F^2 <= alpha, l(W x~) <= opt + delta} (Frobenius constraint).

    With W = z x~^T / X + N: ||N||^2 <= alpha - ||z||^2 / X and the smallest ||z|| on the sublevel set
    is ``radius_at_level(opt + delta)``; so the max is sqrt(alpha - R'^2 / X).
    """
    R = math.sqrt(alpha * X)
    Rp = radius_at_level(loss, c, optimal_loss(loss, c, R) + delta)
    return math.sqrt(max(0.0, alpha - Rp * Rp / X))


def robust_radius(J: np.ndarray, b: np.ndarray, x: np.ndarray, y: int) -> float:
    """T2(a): rho = min_{k != y} (z_y - z_k) / ||J_y - J_k|| with z = J x + b (inf if a row difference is 0)."""
    J = np.asarray(J, dtype=np.float64)
    z = J @ _vec(x, "x") + _vec(b, "b")
    out = math.inf
    for k in range(J.shape[0]):
        if k == y:
            continue
        nk = float(np.linalg.norm(J[y] - J[k]))
        if nk > 0:
            out = min(out, (z[y] - z[k]) / nk)
    return out


def robust_bound(x: np.ndarray, v: np.ndarray, z: np.ndarray, y: int) -> float:
    """T2(a)'s bound ||x|| min_{k != y} (z_y - z_k) / |v_y - v_k| (for J x = v, z = v + b)."""
    x, v, z = _vec(x, "x"), _vec(v, "v"), _vec(z, "z")
    ks = [k for k in range(v.size) if k != y and v[y] != v[k]]
    return float(np.linalg.norm(x)) * min((z[y] - z[k]) / abs(v[y] - v[k]) for k in ks)
