"""The pinned Lean statements: what "proved" means for each registry ID, written once, reviewed, and
kept OUTSIDE ``proofs_lean/`` (that folder is untrusted input: a proof file may change how a thing is
proved, never what is proved).

HOW TO ADD A PIN (read this before editing)
-------------------------------------------
1. A theorem of ``proofs_lean/`` that should count for registry ID ``X``: append to ``PINS``

       Pin("X", "NormAlign.my_theorem",
           "{m n : Nat} (u : Fin m → α) (x : Fin n → α) : frob (outer u x) = norm2 u * norm2 x",
           "what part of X this proves, in words")

   ``statement`` is the Lean text "binders : type" exactly as the theorem should read (explicit
   arguments in the theorem's order; binders may be empty: ``": 1 + 1 = 2"``). It is elaborated in
   the generated checker file after ``PREAMBLE`` (so ``α`` and its ordered-field instances are in
   scope) with ``open NormAlign NormAlign.CrossCheck``, as

       theorem pinned_7 : ∀ <binders>, <type> := NormAlign.my_theorem

   and the theorem counts only if this checks, ``#print`` shows a ``theorem``, and no ``sorry`` is
   reachable. The registry's ``lean`` list of ID ``X`` IS the list of its pins (no second list).
   Do not pin ``rfl`` restatements of definitions (they prove nothing about the paper).
2. Every project definition (``def``, ``inductive``, ``abbrev``) whose name appears in a pinned
   statement must have a ``DefPin`` here: its defining equations, each "binders : lhs = rhs", closed
   in the checker by ``rfl`` (so the definition means exactly this), and, for an ``inductive``, the
   type of every constructor ("name : type"; Lean's ``#print`` must list exactly these). The audit
   refuses a statement that names an unpinned project definition. Equations may use other pinned
   definitions; go down to core notions (``Fin``, ``Nat``, ``+``, ``*``, ``List.getD``, ...).
3. Generated cross-checks (``normalign/lean_crosscheck.py``, ``decide +kernel``) are pinned
   automatically from ``lean_crosscheck.render()`` (Python computes the expected values): add a
   theorem there, and it is pinned here with the ID of its ``[ID]`` docstring tag.
4. Run ``pytest -q tests/test_lean_audit.py`` (fast, no Lean), then the Lean audit
   (``python -c "from normalign import lean as L; print(L.lean_columns_report())"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Pin:
    """A pinned theorem: registry ID, full Lean name, Lean statement "binders : type", what it covers."""

    id: str
    decl: str
    statement: str
    covers: str


@dataclass(frozen=True)
class DefPin:
    """A pinned definition: its defining equations ("binders : lhs = rhs", each proved by ``rfl`` in
    the checker) and, for an ``inductive``, its constructors ("name : type")."""

    decl: str
    equations: tuple[str, ...] = ()
    kind: str = "def"  # "def" or "inductive": what Lean's ``#print`` must show
    constructors: tuple[str, ...] = ()


PREAMBLE = """universe u

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]"""
"""Lean context of every pinned statement: ``α`` is an ordered field in the core ``Lean.Grind`` sense."""

OPEN = ("NormAlign", "NormAlign.CrossCheck")
"""Namespaces opened in the checker file (a clash with a core name is an ambiguity error there)."""

# ----------------------------------------------------------------------------- definitions
DEF_PINS: tuple[DefPin, ...] = (
    # Basic.lean: sums, vectors, matrices
    DefPin("NormAlign.vsum", (
        "(f : Fin 0 → α) : vsum f = 0",
        "{n : Nat} (f : Fin (n + 1) → α) : vsum f = vsum (fun i => f (Fin.castSucc i)) + f (Fin.last n)",
    )),
    DefPin("NormAlign.dot", ("{n : Nat} (x y : Fin n → α) : dot x y = vsum (fun i => x i * y i)",)),
    DefPin("NormAlign.norm2", ("{n : Nat} (x : Fin n → α) : norm2 x = dot x x",)),
    DefPin("NormAlign.ones", ("(n : Nat) : (ones n : Fin n → α) = fun _ => 1",)),
    DefPin("NormAlign.relu", ("(a : α) : relu a = if 0 ≤ a then a else 0",)),
    DefPin("NormAlign.matVec", (
        "{m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : matVec W x = fun i => dot (W i) x",)),
    DefPin("NormAlign.vecMat", (
        "{m n : Nat} (v : Fin m → α) (W : Fin m → Fin n → α) : "
        "vecMat v W = fun j => vsum (fun i => v i * W i j)",)),
    DefPin("NormAlign.matMul", (
        "{m k n : Nat} (W : Fin m → Fin k → α) (A : Fin k → Fin n → α) : "
        "matMul W A = fun i j => vsum (fun l => W i l * A l j)",)),
    DefPin("NormAlign.frob", ("{m n : Nat} (W : Fin m → Fin n → α) : frob W = vsum (fun i => norm2 (W i))",)),
    DefPin("NormAlign.outer", (
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) : outer u x = fun i j => u i * x j",)),
    # D1 (A2: update this equation together with IsAligned when u ≠ 0 is added)
    DefPin("NormAlign.IsAligned", (
        "{m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : "
        "IsAligned W x = ∃ u : Fin m → α, W = outer u x",)),
    DefPin("NormAlign.ofList", ("(l : List α) (n : Nat) : ofList l n = fun i => l.getD i.val 0",)),
    DefPin("NormAlign.ofLists", (
        "(l : List (List α)) (m n : Nat) : ofLists l m n = fun i j => (l.getD i.val []).getD j.val 0",)),
    # MinNorm.lean (L1)
    DefPin("NormAlign.minNormSol", (
        "{m n : Nat} (z : Fin m → α) (y : Fin n → α) : minNormSol z y = outer (fun i => z i / norm2 y) y",)),
    # Optimality.lean (T1)
    DefPin("NormAlign.logits", (
        "{N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α) : "
        "logits W y = fun p => matVec (W p) (y p)",)),
    DefPin("NormAlign.Feasible", (
        "{N m n : Nat} (a : α) (W : Fin N → Fin m → Fin n → α) : Feasible a W = ∀ p, frob (W p) ≤ a",)),
    DefPin("NormAlign.IsMinimiser", (
        "{N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α) (y : Fin N → Fin n → α) "
        "(W : Fin N → Fin m → Fin n → α) : IsMinimiser ℓ a y W = "
        "(Feasible a W ∧ ∀ V, Feasible a V → ℓ (logits W y) ≤ ℓ (logits V y))",)),
    DefPin("NormAlign.alignedOf", (
        "{N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α) : "
        "alignedOf W y = fun p => minNormSol (matVec (W p) (y p)) (y p)",)),
    # Centroid.lean (D2, P1)
    DefPin("NormAlign.centroid", ("{m n : Nat} (J : Fin m → Fin n → α) : centroid J = vecMat (ones m) J",)),
    DefPin("NormAlign.converseJ", (": converseJ = (ofLists [[1, 1], [1, -1]] 2 2 : Fin 2 → Fin 2 → Rat)",)),
    # Homogeneous.lean (P2)
    DefPin("NormAlign.Net", kind="inductive", constructors=(
        "last : ∀ {n m : Nat}, (Fin m → Fin n → α) → Net α n m",
        "cons : ∀ {n k m : Nat}, (Fin k → Fin n → α) → Net α k m → Net α n m",
    )),
    DefPin("NormAlign.Net.eval", (
        "{n m : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : (Net.last W).eval x = matVec W x",
        "{n k m : Nat} (W : Fin k → Fin n → α) (N : Net α k m) (x : Fin n → α) : "
        "(Net.cons W N).eval x = N.eval (fun i => relu (matVec W x i))",
    )),
    # PowerDiagram.lean (PD)
    DefPin("NormAlign.ind", ("{K : Nat} (q : Fin K → Bool) (k : Fin K) : (ind q k : α) = if q k then 1 else 0",)),
    DefPin("NormAlign.pre", (
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : "
        "pre W b x = fun k => dot (W k) x + b k",)),
    DefPin("NormAlign.active", (
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : "
        "active W b x = fun k => decide (0 ≤ pre W b x k)",)),
    DefPin("NormAlign.score", (
        "{K : Nat} (q : Fin K → Bool) (z : Fin K → α) : score q z = vsum (fun k => ind q k * z k)",)),
    DefPin("NormAlign.site", (
        "{K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) : "
        "site W q = fun j => vsum (fun k => ind q k * W k j)",)),
    DefPin("NormAlign.radius", (
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool) : "
        "radius W b q = norm2 (site W q) + 2 * score q b",)),
    DefPin("NormAlign.powDist", (
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool) (x : Fin n → α) : "
        "powDist W b q x = norm2 (fun j => x j - site W q j) - radius W b q",)),
    # Agop.lean (R1)
    DefPin("NormAlign.gram", (
        "{m n : Nat} (J : Fin m → Fin n → α) : gram J = fun j l => vsum (fun r => J r j * J r l)",)),
    DefPin("NormAlign.agop", (
        "{N m n : Nat} (Js : Fin N → Fin m → Fin n → α) : "
        "agop Js = fun j l => vsum (fun p => gram (Js p) j l) / vsum (ones N : Fin N → α)",)),
    # CrossCheck.lean (generated)
    DefPin("NormAlign.CrossCheck.ofList'", (
        "(l : List Bool) (n : Nat) : ofList' l n = fun i => l.getD i.val false",)),
    DefPin("NormAlign.CrossCheck.radiusWrong", (
        "{K n : Nat} (W : Fin K → Fin n → Rat) (b : Fin K → Rat) (q : Fin K → Bool) : "
        "radiusWrong W b q = norm2 (site W q) - 2 * score q b",)),
)

# ----------------------------------------------------------------------------- theorems
PINS: tuple[Pin, ...] = (
    # L1
    Pin("L1", "NormAlign.matVec_minNormSol",
        "{m n : Nat} (z : Fin m → α) (y : Fin n → α) (hy : norm2 y ≠ 0) : matVec (minNormSol z y) y = z",
        "the map z yᵀ/‖y‖² satisfies W y = z"),
    Pin("L1", "NormAlign.frob_minNormSol",
        "{m n : Nat} (z : Fin m → α) (y : Fin n → α) (hy : norm2 y ≠ 0) : "
        "frob (minNormSol z y) = norm2 z / norm2 y",
        "its squared Frobenius norm is ‖z‖²/‖y‖²"),
    Pin("L1", "NormAlign.frob_ge_of_matVec_eq",
        "{m n : Nat} (W : Fin m → Fin n → α) (y : Fin n → α) (z : Fin m → α) (hy : norm2 y ≠ 0) "
        "(hW : matVec W y = z) : norm2 z / norm2 y ≤ frob W",
        "every W with W y = z has ‖W‖_F² ≥ ‖z‖²/‖y‖²"),
    Pin("L1", "NormAlign.eq_minNormSol_of_frob_eq",
        "{m n : Nat} (W : Fin m → Fin n → α) (y : Fin n → α) (z : Fin m → α) (hy : norm2 y ≠ 0) "
        "(hW : matVec W y = z) (hmin : frob W = norm2 z / norm2 y) : W = minNormSol z y",
        "the minimum is attained only at z yᵀ/‖y‖²"),
    # T1
    Pin("T1", "NormAlign.aligned_minimiser",
        "{N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α) (y : Fin N → Fin n → α) "
        "(hy : ∀ p, norm2 (y p) ≠ 0) (W : Fin N → Fin m → Fin n → α) (hW : IsMinimiser ℓ a y W) : "
        "IsMinimiser ℓ a y (alignedOf W y) ∧ ∀ p, IsAligned (alignedOf W y p) (y p)",
        "(a), per-point constraint: an aligned minimiser exists whenever a minimiser exists"),
    Pin("T1", "NormAlign.aligned_pooled",
        "{N m n : Nat} (a : α) (y : Fin N → Fin n → α) (hy : ∀ p, norm2 (y p) ≠ 0) "
        "(W : Fin N → Fin m → Fin n → α) (hW : vsum (fun p => frob (W p)) ≤ a) : "
        "logits (alignedOf W y) y = logits W y ∧ vsum (fun p => frob (alignedOf W y p)) ≤ a",
        "(a), pooled constraint: the aligned family keeps the logits and the constraint"),
    Pin("T1", "NormAlign.minimiser_aligned_of_binding",
        "{N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α) (y : Fin N → Fin n → α) "
        "(hy : ∀ p, norm2 (y p) ≠ 0) (W : Fin N → Fin m → Fin n → α) (hW : IsMinimiser ℓ a y W) "
        "(hbind : ∀ V, IsMinimiser ℓ a y V → ∀ p, frob (V p) = a) : ∀ p, IsAligned (W p) (y p)",
        "(b): if the constraint binds at every minimiser, every minimiser is aligned"),
    # T1'
    Pin("T1'", "NormAlign.rank_one_parallel",
        "{m n : Nat} (u : Fin m → α) (v x : Fin n → α) (hx : norm2 x ≠ 0) : "
        "matVec (outer u (fun j => dot v x / norm2 x * x j)) x = matVec (outer u v) x ∧ "
        "norm2 u * norm2 (fun j => dot v x / norm2 x * x j) ≤ norm2 u * norm2 v",
        "projecting v on x keeps the logits and does not increase ‖u‖²‖v‖²"),
    # T2
    Pin("T2", "NormAlign.boundary_dist_sq_le",
        "{c n : Nat} (J : Fin c → Fin n → α) (x : Fin n → α) (y k : Fin c) (m : α) "
        "(hv : matVec J x y - matVec J x k ≠ 0) : m * m / norm2 (fun j => J y j - J k j) ≤ "
        "norm2 x * (m * m) / ((matVec J x y - matVec J x k) * (matVec J x y - matVec J x k))",
        "(a) squared boundary distance bound"),
    Pin("T2", "NormAlign.boundary_dist_sq_le_norm",
        "{n : Nat} (d x : Fin n → α) (hd : norm2 d ≠ 0) : dot d x * dot d x / norm2 d ≤ norm2 x",
        "(a) bias-free form: boundary distance at most ‖x‖"),
    Pin("T2", "NormAlign.sensitivity_min",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (v : Fin m → α) (hx : norm2 x ≠ 0) "
        "(h : matVec J x = v) : norm2 v / norm2 x ≤ frob J ∧ (frob J = norm2 v / norm2 x → J = minNormSol v x)",
        "(b) ‖J‖_F² under J x = v is minimal only at v xᵀ/‖x‖²"),
    Pin("T2", "NormAlign.aligned_kills_orthogonal",
        "{m n : Nat} (u : Fin m → α) (x δ : Fin n → α) (h : dot x δ = 0) : "
        "matVec (outer u x) δ = fun _ => 0",
        "(c) an aligned J is blind to x-perp"),
    Pin("T2", "NormAlign.aligned_of_kills_orthogonal",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0) "
        "(h : ∀ δ, dot x δ = 0 → matVec J δ = fun _ => 0) : J = outer (fun i => matVec J x i / norm2 x) x",
        "(c) a J blind to x-perp is aligned"),
    # P1
    Pin("P1", "NormAlign.centroid_outer",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) : centroid (outer u x) = fun j => vsum u * x j",
        "J = u xᵀ gives μ = (1ᵀu) x"),
    Pin("P1", "NormAlign.centroid_alignment",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) (hx : norm2 x ≠ 0) : "
        "dot (centroid (outer u x)) x = vsum u * norm2 x ∧ "
        "dot (centroid (outer u x)) x * dot (centroid (outer u x)) x = norm2 (centroid (outer u x)) * norm2 x ∧ "
        "(0 < vsum u → 0 < dot (centroid (outer u x)) x) ∧ (vsum u < 0 → dot (centroid (outer u x)) x < 0)",
        "CA(x) = sign(1ᵀu) in squared form"),
    Pin("P1", "NormAlign.centroid_outer_eq_zero",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) (h : vsum u = 0) : centroid (outer u x) = fun _ => 0",
        "boundary: 1ᵀu = 0 gives μ = 0"),
    Pin("P1", "NormAlign.converse_false",
        ": centroid converseJ = (fun j => 2 * ofList [1, 0] 2 j) ∧ ¬ IsAligned converseJ (ofList [1, 0] 2)",
        "the converse fails (explicit J)"),
    # P2
    Pin("P2", "NormAlign.Net.eval_smul",
        "{n m : Nat} (N : Net α n m) (t : α) (ht : 0 ≤ t) : "
        "∀ x : Fin n → α, N.eval (fun j => t * x j) = fun i => t * N.eval x i",
        "bias-free ReLU networks are positively 1-homogeneous"),
    Pin("P2", "NormAlign.offset_zero_of_homogeneous",
        "{m n : Nat} (J : Fin m → Fin n → α) (b fx ftx : Fin m → α) (x : Fin n → α) (t : α) (ht : t ≠ 1) "
        "(h1 : ∀ i, fx i = matVec J x i + b i) (h2 : ∀ i, ftx i = matVec J (fun j => t * x j) i + b i) "
        "(h3 : ∀ i, ftx i = t * fx i) : (∀ i, b i = 0) ∧ ∀ i, matVec J x i = fx i",
        "an affine piece of a homogeneous f at x and t x has b = 0 and J x = f(x)"),
    Pin("P2", "NormAlign.quadratic_homogeneous",
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) (t : α) : "
        "vsum (fun k => a k * (dot (W k) (fun j => t * x j) * dot (W k) (fun j => t * x j))) = "
        "t * t * vsum (fun k => a k * (dot (W k) x * dot (W k) x))",
        "a layer of squares is 2-homogeneous"),
    Pin("P2", "NormAlign.dot_centroid",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) : dot (centroid J) x = vsum (matVec J x)",
        "⟨μ, x⟩ = 1ᵀ(J x)"),
    # PD
    Pin("PD", "NormAlign.sum_relu_eq_score_active",
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : "
        "vsum (fun k => relu (pre W b x k)) = score (active W b x) (pre W b x)",
        "Σ relu = score of the active pattern"),
    Pin("PD", "NormAlign.score_le_sum_relu",
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) (q : Fin K → Bool) : "
        "score q (pre W b x) ≤ vsum (fun k => relu (pre W b x k))",
        "every pattern scores at most Σ relu (so Σ relu = max_q)"),
    Pin("PD", "NormAlign.active_min_powDist",
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) (q : Fin K → Bool) : "
        "powDist W b (active W b x) x ≤ powDist W b q x",
        "one layer: the active pattern minimises the power distance"),
    Pin("PD", "NormAlign.site_eq_row_sum",
        "{K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) (j : Fin n) : "
        "site W q j = vsum (fun k => (fun k j => ind q k * W k j : Fin K → Fin n → α) k j)",
        "the site is the row sum of diag(q) W (a restatement of the definition)"),
    Pin("PD", "NormAlign.subdivision",
        "{K k n : Nat} (W : Fin K → Fin k → α) (b : Fin K → α) (A : Fin k → Fin n → α) (c : Fin k → α) "
        "(x : Fin n → α) (q : Fin K → Bool) : "
        "powDist (matMul W A) (fun r => dot (W r) c + b r) (active W b (fun i => matVec A x i + c i)) x ≤ "
        "powDist (matMul W A) (fun r => dot (W r) c + b r) q x",
        "one layer composed with an affine region map is again a power diagram"),
    # R1
    Pin("R1", "NormAlign.gram_outer",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) : gram (outer u x) = fun j l => norm2 u * (x j * x l)",
        "(u xᵀ)ᵀ(u xᵀ) = ‖u‖² x xᵀ"),
    Pin("R1", "NormAlign.agop_aligned",
        "{N m n : Nat} (Js : Fin N → Fin m → Fin n → α) (u : Fin N → Fin m → α) (x : Fin N → Fin n → α) "
        "(h : ∀ p, Js p = outer (u p) (x p)) : "
        "agop Js = fun j l => vsum (fun p => norm2 (u p) * (x p j * x p l)) / vsum (ones N : Fin N → α)",
        "AGOP of aligned maps = (1/N) Σ ‖u_p‖² x_p x_pᵀ"),
)

# ----------------------------------------------------------------------------- generated cross-checks
_CC_THEOREM = re.compile(r"/-- \[(?P<id>[A-Z][A-Za-z0-9]*'?)(?:\([a-z]+\))?\](?P<doc>(?:(?!-/).)*)-/\s*"
                         r"theorem (?P<name>[^\s:]+) :\s*(?P<stmt>.*?) := by\s+decide \+kernel", re.S)


@lru_cache(maxsize=1)
def crosscheck_pins() -> tuple[Pin, ...]:
    """Pins of the ``decide +kernel`` cross-checks, read from ``lean_crosscheck.render()`` (Python's
    own text, not the file in ``proofs_lean/``)."""
    from normalign import lean_crosscheck as CC

    namespace = "NormAlign.CrossCheck"
    return tuple(Pin(m.group("id"), f"{namespace}.{m.group('name')}", ": " + " ".join(m.group("stmt").split()),
                     "cross-check (decide +kernel): " + " ".join(m.group("doc").split()))
                 for m in _CC_THEOREM.finditer(CC.render()))


def all_pins() -> tuple[Pin, ...]:
    """Hand-written pins, then the generated cross-check pins."""
    return PINS + crosscheck_pins()


def pins_of(theorem_id: str) -> tuple[Pin, ...]:
    """The pins of one registry ID, in order."""
    return tuple(p for p in all_pins() if p.id == theorem_id)


def def_pin(decl: str) -> DefPin | None:
    return next((d for d in DEF_PINS if d.decl == decl), None)
