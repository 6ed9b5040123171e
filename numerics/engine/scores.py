"""Scores of D1 (normal alignment) and D2 (centroid alignment), batched.

Every score depends on the Jacobian ``J`` (c x d) only through its Gram matrix ``G = J J^T`` (c x c)
and ``J x`` (c), so they are computed from those; :func:`gram_inputs` forms them from an explicit
``J`` when one is at hand. With ``G = U diag(s^2) U^T`` (eigen-decomposition, ``s`` the singular
values of ``J``) and ``u_1`` the top eigenvector:

- normal alignment ``NA = |cos(v_1, x)| = |u_1^T J x| / (s_1 ||x||)`` since ``J^T u_1 = s_1 v_1``;
- Frobenius ratio ``||J x|| / (||J||_F ||x||)`` with ``||J||_F^2 = tr G``;
- effective rank ``(sum s)^2 / sum s^2`` (the authors' "stable rank"), ``PC1 = s_1^2 / sum s^2``.

The augmented variants use ``W = [J | b]``: ``W W^T = G + b b^T``, ``W x~ = J x + b = f(x)`` and
``||x~||^2 = ||x||^2 + 1``. Each score equals 1 exactly when ``J = u x^T`` (D1).
Singular values from ``G`` carry an absolute error of about ``sqrt(EPS) s_1`` (square root of an
eigenvalue error ``EPS s_1^2``); see ``normalign.numerics.tolerances.GRAM_SINGULAR_TOL``.
"""

from __future__ import annotations

import numpy as np

SCORE_NAMES: tuple[str, ...] = ("normal_alignment", "frobenius_ratio", "effective_rank", "pc1")


def gram_inputs(J: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(J J^T, J x)`` for a batch: ``J`` of shape (n, c, d), ``X`` of shape (n, d)."""
    J = np.asarray(J, dtype=np.float64)
    X = np.asarray(X, dtype=np.float64)
    if J.ndim != 3 or X.ndim != 2 or J.shape[0] != X.shape[0] or J.shape[2] != X.shape[1]:
        raise ValueError(f"expected J of shape (n, c, d) and X of shape (n, d), got {J.shape} and {X.shape}")
    return J @ J.transpose(0, 2, 1), np.einsum("ncd,nd->nc", J, X)


def scores_from_gram(G: np.ndarray, Jx: np.ndarray, x_norm: np.ndarray) -> dict[str, np.ndarray]:
    """D1 scores from ``G = J J^T`` (n, c, c), ``J x`` (n, c) and ``||x||`` (n,).

    A point with ``J = 0`` or ``x = 0`` has no defined score: it gets NaN in every score (callers that
    report per point say "undefined" there).
    """
    G = np.asarray(G, dtype=np.float64)
    Jx = np.asarray(Jx, dtype=np.float64)
    x_norm = np.asarray(x_norm, dtype=np.float64)
    lam, U = np.linalg.eigh(G)  # ascending eigenvalues
    s = np.sqrt(np.clip(lam, 0.0, None))
    fro2 = np.clip(np.trace(G, axis1=1, axis2=2), 0.0, None)
    s1 = s[:, -1]
    u1 = U[:, :, -1]
    defined = (fro2 > 0) & (x_norm > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        na = np.abs(np.einsum("nc,nc->n", u1, Jx)) / (s1 * x_norm)
        fr = np.linalg.norm(Jx, axis=1) / (np.sqrt(fro2) * x_norm)
        er = s.sum(axis=1) ** 2 / (s**2).sum(axis=1)
        pc1 = s1**2 / (s**2).sum(axis=1)
    out = {"normal_alignment": na, "frobenius_ratio": fr, "effective_rank": er, "pc1": pc1}
    return {k: np.where(defined, v, np.nan) for k, v in out.items()}


def scores_from_jacobians(J: np.ndarray, X: np.ndarray) -> dict[str, np.ndarray]:
    """D1 scores for explicit Jacobians ``J`` (n, c, d) at points ``X`` (n, d)."""
    G, Jx = gram_inputs(J, X)
    return scores_from_gram(G, Jx, np.linalg.norm(X, axis=1))


def augmented_scores(G: np.ndarray, Jx: np.ndarray, offset: np.ndarray, x_norm: np.ndarray) -> dict[str, np.ndarray]:
    """D1 scores of the augmented map ``W = [J | b]`` at ``x~ = (x, 1)``."""
    b = np.asarray(offset, dtype=np.float64)
    Gw = G + b[:, :, None] * b[:, None, :]
    return scores_from_gram(Gw, Jx + b, np.sqrt(np.asarray(x_norm) ** 2 + 1.0))


def cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine ``<a, b> / (||a|| ||b||)``; NaN where either row is zero."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    na, nb = np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.einsum("...d,...d->...", a, b) / (na * nb)
    return np.where((na > 0) & (nb > 0), c, np.nan)
