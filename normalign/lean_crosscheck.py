"""Exact rational cross-checks between Python and Lean.

Python computes each number with ``fractions.Fraction`` from its own formula (independently of the
Lean definitions), and :func:`render` writes the results as equations about the Lean definitions of
``proofs_lean/NormAlign`` (one theorem per ID, tagged ``[ID]``), decided by the kernel
(``decide +kernel``). Per ID:

* D1: the squared Frobenius ratio ``‖Jx‖²/(‖J‖_F²‖x‖²)`` (plain and augmented ``[J | b]``, ``(x, 1)``);
* D2: the centroid ``μ = Jᵀ1`` of a non-aligned ``J`` and the parts ``μ·x``, ``‖μ‖²`` of ``CA(x)``;
* D3: the power distance ``‖x - Wᵀq‖² - ‖Wᵀq‖² - 2bᵀq`` of every pattern ``q``, minimal at x's pattern;
* D4: an NTK Gram matrix ``g_i·g_j``, its quadratic form ``‖Σ v_i g_i‖²``, and the change of the
  all-parameter kernel when only the last layer moves;
* L1: minimum-norm solutions ``z yᵀ/‖y‖²`` and minima ``‖z‖²/‖y‖²``;
* T1: T1(c)'s ``z* = R √(c/(c-1)) (e_y - 1/c)`` (on the sphere, ``1ᵀz* = 0``), T1(d)'s ``e_y min(1, R)``;
* T1': the projection of ``v`` on ``x`` (same logits, smaller norm);
* T2: the squared boundary distance ``m²/‖J_y - J_k‖²`` and its bound, with equality at the aligned J;
* P1: centroids ``(u xᵀ)ᵀ 1 = (1ᵀu) x``;
* P2: a bias-free ReLU network at ``x`` and ``t x`` (``f(t x) = t f(x)``);
* P3: one gradient step of a two-layer ReLU network: ``⟨μ_x₀, x₀⟩`` before and after, the first-order
  coefficient ``mean_i Θ(x₀, x_i) r_i`` and the second-order term (Python asserts the exact identity);
* P4: two steps of gradient descent with weight decay on a first layer, and ``G(t)``;
* PD: active pattern, site ``Wᵀq`` and radius ``‖Wᵀq‖² + 2 bᵀq``;
* G1: the one-vector estimator averaged over the ``±e_r`` and the sign vectors (``= ‖J‖_F²``), the
  exact finite difference of a bias-free network, and the finite-difference offset across a kink;
* R1: the AGOP ``(1/N) Σ ‖u_p‖² x_p x_pᵀ``.

``render(wrong=True)`` perturbs one value so that Lean must reject the file.
``proofs_lean/NormAlign/CrossCheck.lean`` is ``render()``; a test checks that it is up to date.
"""

from __future__ import annotations

from fractions import Fraction as F
from pathlib import Path

from normalign.lean import PROJECT

CROSSCHECK_FILE = PROJECT / "NormAlign" / "CrossCheck.lean"

Vec = list[F]
Mat = list[list[F]]


def _q(x: F) -> str:
    x = F(x)
    s = str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    return f"({s} : Rat)"


def _vec(v: Vec) -> str:
    return f"(ofList ([{', '.join(_q(a) for a in v)}] : List Rat) {len(v)})"


def _mat(m: Mat) -> str:
    rows = ", ".join("[" + ", ".join(_q(a) for a in r) + "]" for r in m)
    return f"(ofLists ([{rows}] : List (List Rat)) {len(m)} {len(m[0])})"


def _dot(a: Vec, b: Vec) -> F:
    return sum((F(x) * F(y) for x, y in zip(a, b)), F(0))


def min_norm(z: Vec, y: Vec) -> tuple[Mat, F]:
    """L1: minimiser z yᵀ/‖y‖² and minimum ‖z‖²/‖y‖²."""
    a = _dot(y, y)
    if a == 0:
        raise ValueError("y = 0")
    return [[F(zi) * F(yj) / a for yj in y] for zi in z], _dot(z, z) / a


def centroid(J: Mat) -> Vec:
    """D2/P1: μ = Jᵀ1 (column sums)."""
    return [sum((F(r[j]) for r in J), F(0)) for j in range(len(J[0]))]


def site_radius(W: Mat, b: Vec, q: list[bool]) -> tuple[Vec, F]:
    """PD: site Wᵀq and radius ‖Wᵀq‖² + 2 bᵀq."""
    s = [sum((F(W[k][j]) for k in range(len(W)) if q[k]), F(0)) for j in range(len(W[0]))]
    return s, _dot(s, s) + 2 * sum((F(b[k]) for k in range(len(b)) if q[k]), F(0))


def active(W: Mat, b: Vec, x: Vec) -> list[bool]:
    return [_dot(w, x) + F(bk) >= 0 for w, bk in zip(W, b)]


def agop_aligned(u: list[Vec], x: list[Vec]) -> Mat:
    """R1: (1/N) Σ_p ‖u_p‖² x_p x_pᵀ."""
    n, d = len(x), len(x[0])
    return [[sum((_dot(u[p], u[p]) * F(x[p][j]) * F(x[p][l]) for p in range(n)), F(0)) / n
             for l in range(d)] for j in range(d)]


def relu(a: F) -> F:
    return a if a >= 0 else F(0)


def frob2(J: Mat) -> F:
    """‖J‖_F²."""
    return sum((_dot(r, r) for r in J), F(0))


def mat_vec(J: Mat, x: Vec) -> Vec:
    return [_dot(r, x) for r in J]


def frobenius_ratio_sq(J: Mat, x: Vec) -> F:
    """D1: ‖J x‖² / (‖J‖_F² ‖x‖²), 1 exactly when J = u xᵀ."""
    Jx = mat_vec(J, x)
    return _dot(Jx, Jx) / (frob2(J) * _dot(x, x))


def power_distance(W: Mat, b: Vec, q: list[bool], x: Vec) -> F:
    """D3: ‖x - Wᵀq‖² - (‖Wᵀq‖² + 2 bᵀq)."""
    s, r = site_radius(W, b, q)
    d = [F(xi) - si for xi, si in zip(x, s)]
    return _dot(d, d) - r


def ntk_gram(g: list[Vec]) -> Mat:
    """D4: Θ_ij = g_i · g_j for parameter gradients g_i."""
    return [[_dot(gi, gj) for gj in g] for gi in g]


def _gates(W: Mat, x: Vec) -> Vec:
    return [F(1) if _dot(w, x) >= 0 else F(0) for w in W]


def two_layer_grads(a: Vec, W: Mat, x: Vec) -> tuple[Vec, Mat]:
    """P3: (∂f/∂a, ∂f/∂W) of f(x) = Σ_k a_k relu(W_k·x) on x's region: q_k (W_k·x) and a_k q_k x_j."""
    q = _gates(W, x)
    return [qk * _dot(w, x) for qk, w in zip(q, W)], [[F(ak) * qk * F(xj) for xj in x] for ak, qk in zip(a, q)]


def two_layer_ntk(a: Vec, W: Mat, x: Vec, x2: Vec) -> F:
    """P3/D4: Θ(x, x') = ⟨∇_θ f(x), ∇_θ f(x')⟩ over θ = (a, W)."""
    ga, gW = two_layer_grads(a, W, x)
    ha, hW = two_layer_grads(a, W, x2)
    return _dot(ga, ha) + sum((_dot(r1, r2) for r1, r2 in zip(gW, hW)), F(0))


def relu_net2(a: Vec, W: Mat, x: Vec) -> F:
    return sum((F(ak) * relu(_dot(w, x)) for ak, w in zip(a, W)), F(0))


def p3_step(a: Vec, W: Mat, xs: list[Vec], r: Vec, eta: F, x0: Vec) -> dict:
    """P3 on one instance: one gradient step (a, W) += η mean_i r_i ∇_θ f(x_i); returns the step, the
    centroid term ⟨μ_x₀, x₀⟩ = f(x₀) before and after (evaluated as a ReLU network), the first-order
    coefficient mean_i Θ(x₀, x_i) r_i and the second-order coefficient Σ_k Δa_k q₀_k (ΔW_k·x₀).
    Raises if x₀ changes its activation pattern or the exact identity fails."""
    n = len(xs)
    grads = [two_layer_grads(a, W, x) for x in xs]
    da = [sum((F(r[i]) * grads[i][0][k] for i in range(n)), F(0)) / n for k in range(len(a))]
    dW = [[sum((F(r[i]) * grads[i][1][k][j] for i in range(n)), F(0)) / n for j in range(len(x0))]
          for k in range(len(a))]
    a2 = [F(ak) + eta * d for ak, d in zip(a, da)]
    W2 = [[F(w) + eta * d for w, d in zip(wr, dr)] for wr, dr in zip(W, dW)]
    q0 = _gates(W, x0)
    if _gates(W2, x0) != q0:
        raise ValueError("x0 changes its activation pattern: choose a smaller eta")
    before, after = relu_net2(a, W, x0), relu_net2(a2, W2, x0)
    c1 = sum((two_layer_ntk(a, W, x0, xs[i]) * F(r[i]) for i in range(n)), F(0)) / n
    c2 = sum((da[k] * q0[k] * _dot(dW[k], x0) for k in range(len(a))), F(0))
    if after != before + eta * c1 + eta * eta * c2:
        raise AssertionError("P3 identity fails on the instance")
    return {"gates0": q0, "before": before, "after": after, "first": c1, "second": c2}


def gd_first_layer(eta: F, lam: F, X: Mat, W0: Mat, deltas: list[Mat]) -> tuple[Mat, Mat]:
    """P4: W(t+1) = (1 - ηλ) W(t) - η δ_t X and G(t+1) = (1 - ηλ) G(t) - η δ_t after len(deltas)
    steps; raises unless W(T) = (1 - ηλ)^T W(0) + G(T) X."""
    rho = 1 - eta * lam
    K, n, N = len(W0), len(W0[0]), len(X)
    Wt = [[F(w) for w in r] for r in W0]
    G = [[F(0)] * N for _ in range(K)]
    for d in deltas:
        Wt = [[rho * Wt[k][j] - eta * sum((F(d[k][i]) * F(X[i][j]) for i in range(N)), F(0))
               for j in range(n)] for k in range(K)]
        G = [[rho * G[k][i] - eta * F(d[k][i]) for i in range(N)] for k in range(K)]
    T = len(deltas)
    for k in range(K):
        for j in range(n):
            if Wt[k][j] != rho ** T * F(W0[k][j]) + sum((G[k][i] * F(X[i][j]) for i in range(N)), F(0)):
                raise AssertionError("P4 span identity fails")
    return Wt, G


def sqrt_exact(x: F) -> F:
    """The square root of a rational square (ValueError otherwise)."""
    from math import isqrt

    x = F(x)
    p, q = isqrt(x.numerator), isqrt(x.denominator)
    if x < 0 or p * p != x.numerator or q * q != x.denominator:
        raise ValueError(f"{x} is not the square of a rational")
    return F(p, q)


def ce_optimum(c: int, y: int, R2: F) -> Vec:
    """T1(c): z* = R √(c/(c-1)) (e_y - 1/c) with R² = R2 (rational instances only)."""
    M = sqrt_exact(F(R2) * c / (c - 1))
    return [M * ((1 if k == y else 0) - F(1, c)) for k in range(c)]


def sqerr_optimum(c: int, y: int, R: F) -> Vec:
    """T1(d): z* = e_y min(1, R)."""
    return [min(F(1), F(R)) if k == y else F(0) for k in range(c)]


def signs(c: int) -> list[Vec]:
    """The 2^c sign vectors of {±1}^c."""
    out: list[Vec] = [[]]
    for _ in range(c):
        out = [s + [F(e)] for s in out for e in (1, -1)]
    return out


def vec_mat(v: Vec, J: Mat) -> Vec:
    """Jᵀ v."""
    return [sum((F(v[i]) * F(J[i][j]) for i in range(len(J))), F(0)) for j in range(len(J[0]))]


def net_eval(layers: list[Mat], x: Vec) -> Vec:
    """A bias-free ReLU network: relu after every layer but the last."""
    h = [F(a) for a in x]
    for W in layers[:-1]:
        h = [relu(a) for a in mat_vec(W, h)]
    return mat_vec(layers[-1], h)


# fixed instances (small, so that the kernel decides them in seconds)
L1_CASES = [([F(1), F(-2)], [F(3), F(1, 2), F(-1)]), ([F(2, 3)], [F(1), F(1)])]
P1_CASES = [([F(1), F(2), F(-1, 2)], [F(3), F(-1)]), ([F(1, 3), F(-1, 3)], [F(2), F(5)])]
PD_CASES = [([[F(1), F(-1)], [F(2), F(1, 2)]], [F(1, 2), F(-3)], [F(1), F(2)])]
R1_CASES = [([[F(1), F(2)], [F(-1), F(1, 2)]], [[F(1), F(0), F(2)], [F(1, 2), F(-1), F(1)]])]

D1_CASES = [([[F(1), F(2)], [F(0), F(1)]], [F(1), F(1)]), ([[F(2), F(1)], [F(-2), F(-1)]], [F(2), F(1)])]
D1_AUG_CASES = [([[F(1), F(0)], [F(1), F(2)]], [F(1), F(-1)], [F(2), F(1)])]  # J, b, x
D2_CASES = [([[F(1), F(2)], [F(0), F(1)], [F(-1), F(1)]], [F(1), F(1)])]
D3_CASES = [([[F(1), F(-1)], [F(2), F(1, 2)]], [F(1, 2), F(-3)], [F(1), F(3)])]
D4_GRADS = ([[F(1), F(0), F(2), F(-1)], [F(0), F(1), F(1), F(1)], [F(1, 2), F(-1), F(0), F(2)]],
            [F(1), F(-2), F(1, 2)])
D4_LAST = ([F(1), F(-2)], [F(3), F(1, 2)], [[F(1), F(-1, 2)], [F(1, 2), F(1)]], [F(1), F(1)], [F(1), F(0)])
T1C_CASES = [(3, 1, F(8, 3)), (2, 0, F(2))]  # c, y, R² (R √(c/(c-1)) rational)
T1D_CASES = [(3, 1, F(1, 2)), (2, 0, F(3))]  # c, y, R
T1P_CASES = [([F(1), F(2), F(-1)], [F(1), F(1), F(0)])]  # v, x
T2_CASES = [([[F(1), F(0), F(2)], [F(0), F(1), F(-1)], [F(1), F(1), F(0)]], [F(1), F(2), F(1)], 0, 1)]
P2_NET = ([[[F(1), F(-1)], [F(2), F(1)], [F(-1), F(3)]], [[F(1), F(-2), F(1, 2)]]], [F(1), F(2)], F(3))
P3_CASE = ([F(1), F(-2)], [[F(1), F(-1, 2)], [F(1, 2), F(1)]], [[F(1), F(0)], [F(0), F(1)]],
           [F(1, 2), F(-1, 4)], F(1, 10), [F(1), F(1)])  # a, W, xs, r, η, x0
P4_CASE = (F(1, 2), F(1, 5), [[F(1), F(0), F(1)], [F(0), F(1), F(-1)]], [[F(1), F(2), F(0)], [F(0), F(-1), F(1)]],
           [[[F(1), F(-1)], [F(1, 2), F(0)]], [[F(0), F(2)], [F(-1), F(1)]]])  # η, λ, X, W0, δ_0, δ_1
G1_J = [[F(1), F(-2), F(0)], [F(1, 2), F(1), F(3)]]
G1_FD = (F(1, 2))  # ε for the bias-free network of P2_NET
G1_KINK = (F(999, 1000), F(1, 100))  # f(x) = relu(x - 1) at x, step ε: x and (1+ε)x on two pieces

_HEADER = '''module

public import NormAlign.MinNorm
public import NormAlign.Centroid
public import NormAlign.PowerDiagram
public import NormAlign.Agop
public import NormAlign.Dynamics
public import NormAlign.GrokAlign
public import NormAlign.Regimes
public import NormAlign.Optimality2

/-!
# Cross-checks: exact rational instances decided by the kernel

GENERATED by `normalign/lean_crosscheck.py` (do not edit): the expected values are computed in
Python with `fractions.Fraction`, the left sides are the Lean definitions of this project at `Rat`,
and `decide +kernel` decides each conjunction. Registry IDs D1, D2, D3, D4, L1, T1, T1', T2, P1,
P2, P3, P4, PD, G1, R1.
-/

@[expose] public noncomputable section

namespace NormAlign.CrossCheck

open NormAlign

/-- A Bool vector from a list. -/
def ofList' (l : List Bool) (n : Nat) : Fin n → Bool := fun i => l.getD i.val false
'''


def _conj(parts: list[str]) -> str:
    return " ∧\n    ".join(parts)


def render(wrong: bool = False) -> str:
    """The Lean source of the cross-check file; ``wrong=True`` adds 1 to the first L1 entry."""
    out = [_HEADER]
    eqs = []
    for z, y in L1_CASES:
        M, val = min_norm(z, y)
        for i in range(len(z)):
            for j in range(len(y)):
                e = M[i][j] + (1 if wrong and not eqs else 0)
                eqs.append(f"minNormSol {_vec(z)} {_vec(y)} {i} {j} = {_q(e)}")
        eqs.append(f"frob (minNormSol {_vec(z)} {_vec(y)}) = {_q(val)}")
    out.append("/-- [L1] Cross-check: minimum-norm solutions `z yᵀ/‖y‖²` and minima `‖z‖²/‖y‖²`. -/\n"
               f"theorem l1_instances :\n    {_conj(eqs)} := by\n  decide +kernel\n")
    eqs = []
    for u, x in P1_CASES:
        J = [[F(a) * F(b) for b in x] for a in u]
        mu = centroid(J)
        eqs += [f"centroid (outer {_vec(u)} {_vec(x)}) {j} = {_q(mu[j])}" for j in range(len(x))]
    out.append("/-- [P1] Cross-check: centroids `(u xᵀ)ᵀ 1 = (1ᵀu) x`. -/\n"
               f"theorem p1_instances :\n    {_conj(eqs)} := by\n  decide +kernel\n")
    eqs = []
    for W, b, x in PD_CASES:
        act = active(W, b, x)
        qv = "(fun k => " + _bools(act) + ")"
        eqs += [f"active {_mat(W)} {_vec(b)} {_vec(x)} {k} = {str(a).lower()}" for k, a in enumerate(act)]
        s, r = site_radius(W, b, act)
        eqs += [f"site {_mat(W)} {qv} {j} = {_q(s[j])}" for j in range(len(s))]
        eqs.append(f"radius {_mat(W)} {_vec(b)} {qv} = {_q(r)}")
    out.append("/-- [PD] Cross-check: active pattern, site `Wᵀq` and radius `‖Wᵀq‖² + 2 bᵀq`. -/\n"
               f"theorem pd_instances :\n    {_conj(eqs)} := by\n  decide +kernel\n")
    out.append(_PD_WRONG)
    eqs = []
    for u, x in R1_CASES:
        A = agop_aligned(u, x)
        Js = "(fun p => outer (" + _fin_vecs(u) + " p) (" + _fin_vecs(x) + " p))"
        eqs += [f"agop {Js} {j} {l} = {_q(A[j][l])}" for j in range(len(A)) for l in range(len(A))]
    out.append("/-- [R1] Cross-check: the AGOP of aligned maps is `(1/N) Σ_p ‖u_p‖² x_p x_pᵀ`. -/\n"
               f"theorem r1_instances :\n    {_conj(eqs)} := by\n  decide +kernel\n")
    out += _render_more()
    out.append("end NormAlign.CrossCheck\n")
    return "\n".join(out)


def _thm(tag: str, name: str, doc: str, eqs: list[str]) -> str:
    return f"/-- [{tag}] Cross-check: {doc} -/\ntheorem {name} :\n    {_conj(eqs)} := by\n  decide +kernel\n"


def _rows(m: Mat) -> str:
    return "[" + ", ".join("[" + ", ".join(_q(a) for a in r) + "]" for r in m) + "]"


def _bvec(bs: list[bool]) -> str:
    return "(fun k => " + _bools(bs) + ")"


def _render_more() -> list[str]:
    """The cross-checks of D1, D2, D3, D4, T1, T1', T2, P2, P3, P4, G1 (see the module docstring)."""
    out = []
    # D1: squared Frobenius ratio
    eqs = []
    for J, x in D1_CASES:
        eqs.append(f"norm2 (matVec {_mat(J)} {_vec(x)}) / (frob {_mat(J)} * norm2 {_vec(x)}) = "
                   f"{_q(frobenius_ratio_sq(J, x))}")
    for J, b, x in D1_AUG_CASES:
        Ja, xa = [list(r) + [bi] for r, bi in zip(J, b)], list(x) + [F(1)]
        eqs.append(f"norm2 (matVec {_mat(Ja)} {_vec(xa)}) / (frob {_mat(Ja)} * norm2 {_vec(xa)}) = "
                   f"{_q(frobenius_ratio_sq(Ja, xa))}")
    out.append(_thm("D1", "d1_instances", "squared Frobenius ratios `‖Jx‖²/(‖J‖_F²‖x‖²)` (1 for the aligned "
                    "`J = u xᵀ`; augmented `[J | b]`, `(x, 1)`).", eqs))
    # D2: centroid and CA parts
    eqs = []
    for J, x in D2_CASES:
        mu = centroid(J)
        eqs += [f"centroid {_mat(J)} {j} = {_q(mu[j])}" for j in range(len(mu))]
        eqs += [f"dot (centroid {_mat(J)}) {_vec(x)} = {_q(_dot(mu, x))}",
                f"norm2 (centroid {_mat(J)}) = {_q(_dot(mu, mu))}"]
    out.append(_thm("D2", "d2_instances", "the centroid `μ = Jᵀ1` of a non-aligned `J` and `μ·x`, `‖μ‖²` "
                    "(`CA(x)² = (μ·x)²/(‖μ‖²‖x‖²)`).", eqs))
    # D3: power distances of every pattern
    eqs = []
    for W, b, x in D3_CASES:
        act = active(W, b, x)
        pats = [[bool((m >> k) & 1) for k in range(len(W))] for m in range(2 ** len(W))]
        dists = {tuple(q): power_distance(W, b, q, x) for q in pats}
        if min(dists.values()) != dists[tuple(act)]:
            raise AssertionError("D3: the active pattern does not minimise the power distance")
        eqs += [f"powDist {_mat(W)} {_vec(b)} {_bvec(q)} {_vec(x)} = {_q(dists[tuple(q)])}" for q in pats]
    out.append(_thm("D3", "d3_instances", "power distances `‖x - Wᵀq‖² - ‖Wᵀq‖² - 2bᵀq` of all four patterns "
                    "of a two-unit layer; the smallest is x's own pattern (see `pd_instances`).", eqs))
    # D4: NTK Gram matrix and the last-layer kernel change
    g, v = D4_GRADS
    Th = ntk_gram(g)
    G = _mat(g)
    eqs = [f"ntkGram {G} {i} {j} = {_q(Th[i][j])}" for i in range(len(g)) for j in range(len(g))]
    qf = sum((F(v[i]) * Th[i][j] * F(v[j]) for i in range(len(g)) for j in range(len(g))), F(0))
    comb = vec_mat(v, g)
    if qf != _dot(comb, comb):
        raise AssertionError("D4: vᵀΘv differs from ‖Σ v_i g_i‖²")
    eqs += [f"vsum (fun i => vsum (fun j => {_vec(v)} i * ntkGram {G} i j * {_vec(v)} j)) = {_q(qf)}",
            f"norm2 (vecMat {_vec(v)} {G}) = {_q(_dot(comb, comb))}"]
    a, a2, W, x, x2 = D4_LAST
    Wm = _mat(W)
    change = two_layer_ntk(a2, W, x, x2) - two_layer_ntk(a, W, x, x2)
    feat = [relu(_dot(w, x)) for w in W]
    feat2 = [relu(_dot(w, x2)) for w in W]
    eqs += [f"ntk2 {_vec(a2)} {Wm} (gate {Wm} {_vec(x)}) {_vec(x)} (gate {Wm} {_vec(x2)}) {_vec(x2)} - "
            f"ntk2 {_vec(a)} {Wm} (gate {Wm} {_vec(x)}) {_vec(x)} (gate {Wm} {_vec(x2)}) {_vec(x2)} = {_q(change)}",
            f"dot (features {Wm} {_vec(x)}) (features {Wm} {_vec(x2)}) = {_q(_dot(feat, feat2))}"]
    out.append(_thm("D4", "d4_instances", "an NTK Gram matrix `g_i·g_j`, its quadratic form `‖Σ v_i g_i‖²`; "
                    "moving only the last layer changes the all-parameter kernel by the stated amount, "
                    "while the last-layer kernel `φ(x)·φ(x')` has no `a` in it.", eqs))
    # T1: closed forms (c) and (d)
    eqs = []
    for c, y, R2 in T1C_CASES:
        z = ce_optimum(c, y, R2)
        M = sqrt_exact(F(R2) * c / (c - 1))
        opt = f"(ceOpt ({y} : Fin {c}) {_q(M)})"
        eqs += [f"{opt} {k} = {_q(z[k])}" for k in range(c)]
        eqs += [f"norm2 {opt} = {_q(_dot(z, z))}", f"vsum {opt} = {_q(sum(z, F(0)))}",
                f"{_q(M)} * {_q(M)} * (vsum (ones {c} : Fin {c} → Rat) - 1) = {_q(R2)} * vsum (ones {c} : Fin {c} → Rat)"]
        if _dot(z, z) != R2:
            raise AssertionError("T1(c): z* is not on the sphere")
    for c, y, R in T1D_CASES:
        z = sqerr_optimum(c, y, R)
        e = [F(1) if k == y else F(0) for k in range(c)]
        loss = sum(((zk - ek) ** 2 for zk, ek in zip(z, e)), F(0))
        m = z[y]
        eqs += [f"norm2 (fun k => {_q(m)} * (basisVec ({y} : Fin {c}) k : Rat) - basisVec ({y} : Fin {c}) k) = {_q(loss)}",
                f"norm2 (fun k => {_q(m)} * (basisVec ({y} : Fin {c}) k : Rat)) = {_q(_dot(z, z))}"]
    out.append(_thm("T1", "t1_instances", "T1(c)'s `z* = R √(c/(c-1)) (e_y - 1/c)` (on the sphere `‖z‖² = R²`, "
                    "`1ᵀz* = 0`, the instance meets `M²(c-1) = R² c`), and T1(d)'s loss `‖e_y min(1, R) - e_y‖²` and "
                    "norm.", eqs))
    # T1': projection on x
    eqs = []
    for v, x in T1P_CASES:
        t = _dot(v, x) / _dot(x, x)
        pv = [t * F(a) for a in x]
        eqs += [f"norm2 (fun j => dot {_vec(v)} {_vec(x)} / norm2 {_vec(x)} * {_vec(x)} j) = {_q(_dot(pv, pv))}",
                f"norm2 {_vec(v)} = {_q(_dot(v, v))}",
                f"dot (fun j => dot {_vec(v)} {_vec(x)} / norm2 {_vec(x)} * {_vec(x)} j) {_vec(x)} = {_q(_dot(v, x))}"]
    out.append(_thm("T1'", "t1p_instances", "projecting `v` on `x` keeps `v·x` and lowers `‖v‖²`.", eqs))
    # T2: boundary distance
    eqs = []
    for J, x, y, k in T2_CASES:
        z = mat_vec(J, x)
        d = [F(a) - F(b) for a, b in zip(J[y], J[k])]
        m = z[y] - z[k]
        dist2 = m * m / _dot(d, d)
        Ja, _ = min_norm(z, x)
        da = [a - b for a, b in zip(Ja[y], Ja[k])]
        Jm, xv = _mat(J), _vec(x)
        zs = f"(matVec {Jm} {xv} {y} - matVec {Jm} {xv} {k})"
        mn = f"(minNormSol (matVec {Jm} {xv}) {xv})"
        zas = f"(matVec {mn} {xv} {y} - matVec {mn} {xv} {k})"
        eqs += [f"{zs} * {zs} / norm2 (fun j => {Jm} {y} j - {Jm} {k} j) = {_q(dist2)}",
                f"norm2 {xv} * ({zs} * {zs}) / ({zs} * {zs}) = {_q(_dot(x, x))}",
                f"{zas} * {zas} / norm2 (fun j => {mn} {y} j - {mn} {k} j) = {_q(m * m / _dot(da, da))}"]
        if m * m / _dot(da, da) != _dot(x, x) or dist2 > _dot(x, x):
            raise AssertionError("T2(a): bound or equality case fails")
    out.append(_thm("T2", "t2_instances", "the squared boundary distance `m²/‖J_y - J_k‖²` is below its bound "
                    "`‖x‖²` (bias-free), with equality for the aligned `v xᵀ/‖x‖²` with the same logits.", eqs))
    # P2: homogeneity of a bias-free network
    layers, x, t = P2_NET
    net = f"(Net.cons {_mat(layers[0])} (Net.last {_mat(layers[1])}) : Net Rat {len(x)} {len(layers[1])})"
    fx, ftx = net_eval(layers, x), net_eval(layers, [t * F(a) for a in x])
    if ftx != [t * a for a in fx]:
        raise AssertionError("P2: f(t x) != t f(x)")
    eqs = [f"{net}.eval {_vec(x)} {i} = {_q(fx[i])}" for i in range(len(fx))]
    eqs += [f"{net}.eval (fun j => {_q(t)} * {_vec(x)} j) {i} = {_q(ftx[i])}" for i in range(len(fx))]
    out.append(_thm("P2", "p2_instances", "a bias-free ReLU network at `x` and `t x` (`f(t x) = t f(x)`).", eqs))
    # P3: one gradient step
    a, W, xs, r, eta, x0 = P3_CASE
    res = p3_step(a, W, xs, r, eta, x0)
    A, Wm, XS, Rv, E, X0 = _vec(a), _mat(W), _mat(xs), _vec(r), _q(eta), _vec(x0)
    qs = f"(fun i => gate {Wm} ({XS} i))"
    a2 = f"(fun k => {A} k + {E} * stepA {Wm} {qs} {XS} {Rv} k)"
    W2 = f"(fun k j => {Wm} k j + {E} * stepW {A} {qs} {XS} {Rv} k j)"
    eqs = [f"gate {W2} {X0} {k} = gate {Wm} {X0} {k}" for k in range(len(a))]
    eqs += [f"reluNet2 {A} {Wm} {X0} = {_q(res['before'])}",
            f"dot (centroid (twoLayerJac {a2} {W2} (gate {W2} {X0}))) {X0} = {_q(res['after'])}",
            f"meanOf (fun i => ntk2 {A} {Wm} (gate {Wm} {X0}) {X0} (gate {Wm} ({XS} i)) ({XS} i) * {Rv} i) = "
            f"{_q(res['first'])}",
            f"twoLayer (stepA {Wm} {qs} {XS} {Rv}) (stepW {A} {qs} {XS} {Rv}) (gate {Wm} {X0}) {X0} = "
            f"{_q(res['second'])}"]
    out.append(_thm("P3", "p3_instances", "one gradient step of `f(x) = Σ_k a_k relu(W_k·x)`: `x₀` keeps its "
                    "pattern, `⟨μ_x₀, x₀⟩` before and after, the first-order coefficient `mean_i Θ(x₀, x_i) r_i` "
                    "and the second-order term (Python checks after = before + η first + η² second).", eqs))
    # P4: gradient descent with weight decay on a first layer
    eta, lam, X, W0, deltas = P4_CASE
    WT, GT = gd_first_layer(eta, lam, X, W0, deltas)
    K, N, T = len(W0), len(X), len(deltas)
    dl = "(fun t => ofLists (([" + ", ".join(_rows(dm) for dm in deltas) + f"] : List (List (List Rat))).getD t []) {K} {N})"
    args = f"{_q(eta)} {_q(lam)} {_mat(X)} {_mat(W0)} {dl} {T}"
    eqs = [f"gdFirstLayer {args} {k} {j} = {_q(WT[k][j])}" for k in range(K) for j in range(len(W0[0]))]
    eqs += [f"gdCoeff {_q(eta)} {_q(lam)} {dl} {T} {k} {i} = {_q(GT[k][i])}" for k in range(K) for i in range(N)]
    out.append(_thm("P4", "p4_instances", "two steps of gradient descent with weight decay on a first layer and "
                    "the coefficients `G(2)` (Python checks `W(2) = (1 - ηλ)² W(0) + G(2) X`).", eqs))
    # G1: estimator averages and offsets
    J = G1_J
    Jm, c = _mat(J), len(J)
    coord = sum((_dot(vec_mat(v, J), vec_mat(v, J)) for r in range(c)
                 for v in ([F(1) if i == r else F(0) for i in range(c)], [F(-1) if i == r else F(0) for i in range(c)])),
                F(0))
    S = signs(c)
    mean_s = sum((_dot(vec_mat(sv, J), vec_mat(sv, J)) for sv in S), F(0)) / len(S)
    if coord * c / (2 * c) != frob2(J) or mean_s != frob2(J):
        raise AssertionError("G1: the estimator average is not ‖J‖_F²")
    eqs = [f"frob {Jm} = {_q(frob2(J))}",
           f"vsum (fun r => norm2 (vecMat (basisVec r) {Jm}) + norm2 (vecMat (fun i => -basisVec r i) {Jm})) = "
           f"{_q(coord)}",
           f"vsum (fun m => {_q(F(1, len(S)))} * norm2 (vecMat ({_mat(S)} m) {Jm})) = {_q(mean_s)}"]
    layers, x, _ = P2_NET
    eps = G1_FD
    fx, fe = net_eval(layers, x), net_eval(layers, [(1 + eps) * F(a) for a in x])
    eqs += [f"({net}.eval (fun j => (1 + {_q(eps)}) * {_vec(x)} j) {i} - {net}.eval {_vec(x)} {i}) / {_q(eps)} = "
            f"{_q((fe[i] - fx[i]) / eps)}" for i in range(len(fx))]
    xk, ek = G1_KINK
    f0, f1 = relu(xk - 1), relu((1 + ek) * xk - 1)
    off = f0 - (f1 - f0) / ek
    eqs += [f"relu ({_q(xk)} - 1) - (relu ((1 + {_q(ek)}) * {_q(xk)} - 1) - relu ({_q(xk)} - 1)) / {_q(ek)} = {_q(off)}"]
    out.append(_thm("G1", "g1_instances", "`c ‖Jᵀv‖²` summed over the `2c` directions `±e_r` and averaged over "
                    "the sign vectors (both give `‖J‖_F²`); the finite difference of a bias-free network equals "
                    "`f(x)`; across the kink of `relu(x - 1)` the finite-difference offset is not the region's "
                    "offset `0`.", eqs))
    return out


def _bools(bs: list[bool]) -> str:
    return "(ofList' [" + ", ".join(str(b).lower() for b in bs) + f"] {len(bs)}) k"


def _fin_vecs(vs: list[Vec]) -> str:
    rows = ", ".join("[" + ", ".join(_q(a) for a in r) + "]" for r in vs)
    return f"ofLists ([{rows}] : List (List Rat)) {len(vs)} {len(vs[0])}"


_PD_WRONG = '''/-- The planted-false radius `‖Wᵀq‖² - 2 bᵀq` (wrong sign). -/
def radiusWrong {K n : Nat} (W : Fin K → Fin n → Rat) (b : Fin K → Rat) (q : Fin K → Bool) : Rat :=
  norm2 (site W q) - 2 * score q b

/-- [PD] With the wrong radius sign the active pattern need not minimise the power distance: for
`W = [1]`, `b = [1]`, `x = [0]` the active pattern `q = 1` has distance `2`, the pattern `q = 0` has `0`. -/
theorem pd_wrong_sign_refuted :
    active (ofLists [[1]] 1 1 : Fin 1 → Fin 1 → Rat) (ofList [1] 1) (ofList [0] 1) 0 = true ∧
    norm2 (fun j => (ofList [0] 1 : Fin 1 → Rat) j - site (ofLists [[1]] 1 1) (fun _ => true) j)
      - radiusWrong (ofLists [[1]] 1 1) (ofList [1] 1) (fun _ => true) = 2 ∧
    norm2 (fun j => (ofList [0] 1 : Fin 1 → Rat) j - site (ofLists [[1]] 1 1) (fun _ => false) j)
      - radiusWrong (ofLists [[1]] 1 1) (ofList [1] 1) (fun _ => false) = 0 := by
  decide +kernel
'''


def write(path: Path = CROSSCHECK_FILE, wrong: bool = False) -> Path:
    path.write_text(render(wrong=wrong))
    return path
