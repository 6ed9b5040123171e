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
   reachable. A statement whose proof is not done yet: ``Pin(..., proof=False)`` (shown as
   "stated (sorry)"; without it a ``sorry`` fails ``normalign verify``). The registry's ``lean``
   list of ID ``X`` IS the list of its pins (no second list).
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
   (``python -m normalign.lean`` prints every ID's status and why; minutes cold, cached afterwards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Pin:
    """A pinned theorem: registry ID, full Lean name, Lean statement "binders : type", what it covers.
    ``proof=False`` pins a statement only (its proof may be ``sorry``: the ID shows "stated (sorry)");
    with ``proof=True`` (the default) a ``sorry`` fails ``normalign verify``."""

    id: str
    decl: str
    statement: str
    covers: str
    proof: bool = True


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
    # D1 (IsAligned requires u ≠ 0)
    DefPin("NormAlign.IsAligned", (
        "{m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : "
        "IsAligned W x = ∃ u : Fin m → α, (∃ i, u i ≠ 0) ∧ W = outer u x",)),
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
    # --- helper A2: definitions of the new D1, D2, D3, L1, T1', T2, P2, PD statements
    # D1
    DefPin("NormAlign.frobRatioSq", (
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) : "
        "frobRatioSq J x = norm2 (matVec J x) / (frob J * norm2 x)",)),
    # T1'
    DefPin("NormAlign.IsRankOneMinimiser", (
        "{m n : Nat} (ℓ : (Fin m → α) → α) (a : α) (x : Fin n → α) (u : Fin m → α) (v : Fin n → α) : "
        "IsRankOneMinimiser ℓ a x u v = (norm2 u * norm2 v ≤ a ∧ ∀ u' v', norm2 u' * norm2 v' ≤ a → "
        "ℓ (matVec (outer u v) x) ≤ ℓ (matVec (outer u' v') x))",)),
    # T2
    DefPin("NormAlign.spectralExample", (
        ": spectralExample = (fun i j => if i = 0 then (if j = 0 then 1 else 0) else "
        "(if j = 0 then 0 else 1/2) : Fin 2 → Fin 2 → Rat)",)),
    # D2
    DefPin("NormAlign.centroidRadius", (
        "{m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) : "
        "centroidRadius J b = norm2 (centroid J) + 2 * vsum b",)),
    # D3, PD
    DefPin("NormAlign.layerJac", (
        "{K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) : "
        "layerJac W q = fun k j => ind q k * W k j",)),
    DefPin("NormAlign.reluLayer", (
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : "
        "reluLayer W b x = fun k => relu (pre W b x k)",)),
    DefPin("NormAlign.idMat", ("(n : Nat) : (idMat n : Fin n → Fin n → α) = fun i j => if i = j then 1 else 0",)),
    DefPin("NormAlign.Layers", kind="inductive", constructors=(
        "nil : ∀ {n : Nat}, Layers α n n",
        "cons : ∀ {n k m : Nat}, (Fin k → Fin n → α) → (Fin k → α) → Layers α k m → Layers α n m",
    )),
    DefPin("NormAlign.Layers.eval", (
        "{n : Nat} (x : Fin n → α) : (Layers.nil : Layers α n n).eval x = x",
        "{n k m : Nat} (W : Fin k → Fin n → α) (b : Fin k → α) (L : Layers α k m) (x : Fin n → α) : "
        "(Layers.cons W b L).eval x = L.eval (reluLayer W b x)",
    )),
    DefPin("NormAlign.Layers.SameRegion", (
        "{n : Nat} (x x' : Fin n → α) : (Layers.nil : Layers α n n).SameRegion x x' = True",
        "{n k m : Nat} (W : Fin k → Fin n → α) (b : Fin k → α) (L : Layers α k m) (x x' : Fin n → α) : "
        "(Layers.cons W b L).SameRegion x x' = "
        "(active W b x' = active W b x ∧ L.SameRegion (reluLayer W b x) (reluLayer W b x'))",
    )),
    DefPin("NormAlign.Layers.jac", (
        "{n : Nat} (x : Fin n → α) : (Layers.nil : Layers α n n).jac x = idMat n",
        "{n k m : Nat} (W : Fin k → Fin n → α) (b : Fin k → α) (L : Layers α k m) (x : Fin n → α) : "
        "(Layers.cons W b L).jac x = matMul (L.jac (reluLayer W b x)) (layerJac W (active W b x))",
    )),
    DefPin("NormAlign.Layers.off", (
        "{n : Nat} (x : Fin n → α) : (Layers.nil : Layers α n n).off x = fun _ => 0",
        "{n k m : Nat} (W : Fin k → Fin n → α) (b : Fin k → α) (L : Layers α k m) (x : Fin n → α) : "
        "(Layers.cons W b L).off x = fun i => matVec (L.jac (reluLayer W b x)) "
        "(fun k => ind (active W b x) k * b k) i + L.off (reluLayer W b x) i",
    )),
    # P2
    DefPin("NormAlign.pat", (
        "{k n : Nat} (W : Fin k → Fin n → α) (x : Fin n → α) : "
        "pat W x = fun i => decide (0 ≤ matVec W x i)",)),
    DefPin("NormAlign.Net.SameRegion", (
        "{n m : Nat} (W : Fin m → Fin n → α) (x x' : Fin n → α) : (Net.last W).SameRegion x x' = True",
        "{n k m : Nat} (W : Fin k → Fin n → α) (N : Net α k m) (x x' : Fin n → α) : "
        "(Net.cons W N).SameRegion x x' = (pat W x' = pat W x ∧ "
        "N.SameRegion (fun i => relu (matVec W x i)) (fun i => relu (matVec W x' i)))",
    )),
    DefPin("NormAlign.Net.jac", (
        "{n m : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : (Net.last W).jac x = W",
        "{n k m : Nat} (W : Fin k → Fin n → α) (N : Net α k m) (x : Fin n → α) : "
        "(Net.cons W N).jac x = matMul (N.jac (fun i => relu (matVec W x i))) (layerJac W (pat W x))",
    )),
    DefPin("NormAlign.quadNet", (
        "{m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) : "
        "quadNet V W x = fun i => vsum (fun k => V i k * (dot (W k) x * dot (W k) x))",)),
    DefPin("NormAlign.quadJac", (
        "{m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) : "
        "quadJac V W x = fun i j => vsum (fun k => V i k * (2 * dot (W k) x) * W k j)",)),
    # Dynamics.lean (P3, P4; helper A3)
    DefPin("NormAlign.meanOf", (
        "{N : Nat} (f : Fin N → α) : meanOf f = vsum f / vsum (ones N : Fin N → α)",)),
    DefPin("NormAlign.mdot", (
        "{K n : Nat} (A B : Fin K → Fin n → α) : mdot A B = vsum (fun k => dot (A k) (B k))",)),
    DefPin("NormAlign.twoLayer", (
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) : "
        "twoLayer a W q x = vsum (fun k => a k * (q k * dot (W k) x))",)),
    DefPin("NormAlign.twoLayerJac", (
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) : "
        "twoLayerJac a W q = fun _ j => vsum (fun k => a k * (q k * W k j))",)),
    DefPin("NormAlign.gradA", (
        "{K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) : "
        "gradA W q x = fun k => q k * dot (W k) x",)),
    DefPin("NormAlign.gradW", (
        "{K n : Nat} (a : Fin K → α) (q : Fin K → α) (x : Fin n → α) : "
        "gradW a q x = fun k j => a k * (q k * x j)",)),
    DefPin("NormAlign.ntk2", (
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) "
        "(q' : Fin K → α) (x' : Fin n → α) : "
        "ntk2 a W q x q' x' = dot (gradA W q x) (gradA W q' x') + mdot (gradW a q x) (gradW a q' x')",)),
    DefPin("NormAlign.stepA", (
        "{K n N : Nat} (W : Fin K → Fin n → α) (qs : Fin N → Fin K → α) (xs : Fin N → Fin n → α) "
        "(r : Fin N → α) : stepA W qs xs r = fun k => meanOf (fun i => r i * gradA W (qs i) (xs i) k)",)),
    DefPin("NormAlign.stepW", (
        "{K n N : Nat} (a : Fin K → α) (qs : Fin N → Fin K → α) (xs : Fin N → Fin n → α) "
        "(r : Fin N → α) : stepW a qs xs r = fun k j => meanOf (fun i => r i * gradW a (qs i) (xs i) k j)",)),
    DefPin("NormAlign.gate", (
        "{K n : Nat} (W : Fin K → Fin n → α) (x : Fin n → α) : "
        "gate W x = fun k => if 0 ≤ dot (W k) x then 1 else 0",)),
    DefPin("NormAlign.reluNet2", (
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) : "
        "reluNet2 a W x = vsum (fun k => a k * relu (dot (W k) x))",)),
    DefPin("NormAlign.gdFirstLayer", (
        "{K n N : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α) "
        "(δ : Nat → Fin K → Fin N → α) : gdFirstLayer η lam X W0 δ 0 = W0",
        "{K n N : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α) "
        "(δ : Nat → Fin K → Fin N → α) (t : Nat) : gdFirstLayer η lam X W0 δ (t + 1) = "
        "fun k j => (1 - η * lam) * gdFirstLayer η lam X W0 δ t k j - η * vsum (fun i => δ t k i * X i j)",
    )),
    DefPin("NormAlign.gdCoeff", (
        "{K N : Nat} (η lam : α) (δ : Nat → Fin K → Fin N → α) : gdCoeff η lam δ 0 = fun _ _ => 0",
        "{K N : Nat} (η lam : α) (δ : Nat → Fin K → Fin N → α) (t : Nat) : gdCoeff η lam δ (t + 1) = "
        "fun k i => (1 - η * lam) * gdCoeff η lam δ t k i - η * δ t k i",
    )),
    # GrokAlign.lean (G1; helper A3)
    DefPin("NormAlign.basisVec", ("{c : Nat} (r : Fin c) : (basisVec r : Fin c → α) = fun i => if i = r then 1 else 0",)),
    DefPin("NormAlign.snocVec", (
        "{c : Nat} (s : Fin c → α) (e : α) : snocVec s e = fun i => Fin.lastCases e s i",)),
    DefPin("NormAlign.signSum", (
        "(F : (Fin 0 → α) → α) : signSum 0 F = F (fun _ => 0)",
        "{c : Nat} (F : (Fin (c + 1) → α) → α) : "
        "signSum (c + 1) F = signSum c (fun s => F (snocVec s 1)) + signSum c (fun s => F (snocVec s (-1)))",
    )),
    # Regimes.lean (D4; helper A3)
    DefPin("NormAlign.ntkGram", (
        "{N P : Nat} (g : Fin N → Fin P → α) : ntkGram g = fun i j => dot (g i) (g j)",)),
    DefPin("NormAlign.features", (
        "{K n : Nat} (W : Fin K → Fin n → α) (x : Fin n → α) : features W x = fun k => relu (dot (W k) x)",)),
    # Optimality2.lean (T1(c); helper A3)
    DefPin("NormAlign.ceLoss", (
        "{c : Nat} (g φ : α → α) (y : Fin c) (z : Fin c → α) : ceLoss g φ y z = g (vsum (fun k => φ (z k - z y)))",)),
    DefPin("NormAlign.ceOpt", (
        "{c : Nat} (y : Fin c) (M : α) : "
        "ceOpt y M = fun k => M * (basisVec y k - 1 / vsum (ones c : Fin c → α))",)),
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
        "IsMinimiser ℓ a y (alignedOf W y) ∧ "
        "∀ p, (∃ i, logits W y p i ≠ 0) → IsAligned (alignedOf W y p) (y p)",
        "(a), per-point constraint: the min-norm family is a minimiser, aligned at every point with "
        "non-zero logits"),
    Pin("T1", "NormAlign.aligned_pooled",
        "{N m n : Nat} (a : α) (y : Fin N → Fin n → α) (hy : ∀ p, norm2 (y p) ≠ 0) "
        "(W : Fin N → Fin m → Fin n → α) (hW : vsum (fun p => frob (W p)) ≤ a) : "
        "logits (alignedOf W y) y = logits W y ∧ vsum (fun p => frob (alignedOf W y p)) ≤ a",
        "(a), pooled constraint: the aligned family keeps the logits and the constraint"),
    Pin("T1", "NormAlign.minimiser_aligned_of_binding",
        "{N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α) (ha : a ≠ 0) (y : Fin N → Fin n → α) "
        "(hy : ∀ p, norm2 (y p) ≠ 0) (W : Fin N → Fin m → Fin n → α) (hW : IsMinimiser ℓ a y W) "
        "(hbind : ∀ V, IsMinimiser ℓ a y V → ∀ p, frob (V p) = a) : ∀ p, IsAligned (W p) (y p)",
        "(b): if the constraint (a ≠ 0) binds at every minimiser, every minimiser is aligned"),
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
    # --- helper A2: D1, D2, D3 and more of L1, T1', T2, P1, P2, PD
    # D1
    Pin("D1", "NormAlign.norm2_matVec_eq_iff",
        "{m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0) : "
        "norm2 (matVec W x) = frob W * norm2 x ↔ W = outer (fun i => matVec W x i / norm2 x) x",
        "Cauchy–Schwarz equality, squared: ‖Jx‖² = ‖J‖_F²‖x‖² iff J = (Jx/‖x‖²) xᵀ (x ≠ 0)"),
    Pin("D1", "NormAlign.zero_not_aligned",
        "{m n : Nat} (x : Fin n → α) (hx : norm2 x ≠ 0) : "
        "¬ IsAligned (fun (_ : Fin m) (_ : Fin n) => (0 : α)) x",
        "the zero map is not normal-aligned (u ≠ 0 in the definition)"),
    Pin("D1", "NormAlign.frobRatioSq_mem_unit",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) : 0 ≤ frobRatioSq J x ∧ frobRatioSq J x ≤ 1",
        "the squared Frobenius ratio lies in [0, 1]"),
    Pin("D1", "NormAlign.frobRatioSq_eq_one_iff",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0) (hJ : frob J ≠ 0) : "
        "frobRatioSq J x = 1 ↔ IsAligned J x",
        "Frobenius ratio 1 iff J = u xᵀ with u ≠ 0 (x ≠ 0, J ≠ 0)"),
    Pin("D1", "NormAlign.frobRatioSq_of_aligned",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0) (h : IsAligned J x) : "
        "frobRatioSq J x = 1",
        "an aligned J has Frobenius ratio 1"),
    Pin("D1", "NormAlign.aligned_top_singular",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) (hu : ∃ i, u i ≠ 0) (hx : norm2 x ≠ 0) "
        "(w : Fin n → α) : norm2 (matVec (outer u x) w) * norm2 x ≤ norm2 (matVec (outer u x) x) * norm2 w ∧ "
        "(norm2 (matVec (outer u x) w) * norm2 x = norm2 (matVec (outer u x) x) * norm2 w ↔ "
        "w = fun j => dot w x / norm2 x * x j)",
        "NA = 1 under alignment: x is the unique (up to scale) maximiser of the Rayleigh quotient of JᵀJ"),
    Pin("D1", "NormAlign.aligned_gram",
        "{m n : Nat} (u : Fin m → α) (x : Fin n → α) : "
        "gram (outer u x) = outer (fun j => norm2 u * x j) x ∧ "
        "frob (gram (outer u x)) = frob (outer u x) * frob (outer u x)",
        "PC1 = effective rank = 1 under alignment: JᵀJ rank one, Σ s⁴ = (Σ s²)²"),
    # D2
    Pin("D2", "NormAlign.centroid_gradient",
        "{m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) (x δ : Fin n → α) : "
        "vsum (fun i => matVec J (fun j => x j + δ j) i + b i) = "
        "vsum (fun i => matVec J x i + b i) + dot (centroid J) δ",
        "μ = Jᵀ1 is the gradient of 1ᵀf for the region's affine map (a VJP with 1)"),
    Pin("D2", "NormAlign.power_form",
        "{m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) (x : Fin n → α) : "
        "norm2 (fun j => x j - centroid J j) - centroidRadius J b = "
        "norm2 x - 2 * vsum (fun i => matVec J x i + b i)",
        "radius ‖μ‖² + 2·1ᵀb: 1ᵀf(x) = (‖x‖² + ρ − ‖x − μ‖²)/2 (power-distance form)"),
    # D3
    Pin("D3", "NormAlign.reluLayer_on_cell",
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool) (x : Fin n → α) "
        "(hq : active W b x = q) : "
        "reluLayer W b x = (fun k => matVec (layerJac W q) x k + ind q k * b k) ∧ "
        "centroid (layerJac W q) = site W q",
        "on the cell of q the layer is affine with Jacobian diag(q) W; the site Wᵀq is its row sum"),
    Pin("D3", "NormAlign.layer_power_diagram",
        "{K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : "
        "(∀ q, powDist W b q x = norm2 x - 2 * score q (pre W b x)) ∧ "
        "vsum (fun k => relu (pre W b x k)) = score (active W b x) (pre W b x) ∧ "
        "(∀ q, score q (pre W b x) ≤ vsum (fun k => relu (pre W b x k))) ∧ "
        "(∀ q, powDist W b (active W b x) x ≤ powDist W b q x)",
        "Σ relu = max_q qᵀ(Wx+b); the active pattern minimises the power distance (sites Wᵀq, "
        "radii ‖Wᵀq‖² + 2bᵀq)"),
    # L1
    Pin("L1", "NormAlign.minNorm_augmented",
        "{m n : Nat} (J : Fin m → Fin n → α) (b z : Fin m → α) (x : Fin n → α) "
        "(h : ∀ i, matVec J x i + b i = z i) : "
        "norm2 z / (norm2 x + 1) ≤ frob J + norm2 b ∧ "
        "(∀ i, matVec (outer (fun i => z i / (norm2 x + 1)) x) x i + z i / (norm2 x + 1) = z i) ∧ "
        "frob (outer (fun i => z i / (norm2 x + 1)) x) + norm2 (fun i => z i / (norm2 x + 1)) = "
        "norm2 z / (norm2 x + 1) ∧ "
        "(frob J + norm2 b = norm2 z / (norm2 x + 1) ↔ "
        "J = outer (fun i => z i / (norm2 x + 1)) x ∧ b = fun i => z i / (norm2 x + 1))",
        "augmented form for (J, b) directly: min ‖J‖_F² + ‖b‖² = ‖z‖²/(‖x‖²+1), only at "
        "(z xᵀ, z)/(‖x‖²+1)"),
    # T1'
    Pin("T1'", "NormAlign.rank_one_minimiser",
        "{m n : Nat} (ℓ : (Fin m → α) → α) (a : α) (x : Fin n → α) (hx : norm2 x ≠ 0) : "
        "(∀ u v, IsRankOneMinimiser ℓ a x u v → "
        "IsRankOneMinimiser ℓ a x u (fun j => dot v x / norm2 x * x j)) ∧ "
        "(a ≠ 0 → (∀ u v, IsRankOneMinimiser ℓ a x u v → norm2 u * norm2 v = a) → "
        "∀ u v, IsRankOneMinimiser ℓ a x u v → v = fun j => dot v x / norm2 x * x j)",
        "the minimiser claim: a minimiser with v ∥ x exists; if the constraint binds, every minimiser "
        "has v ∥ x"),
    # T2
    Pin("T2", "NormAlign.boundary_dist_sq_eq_iff",
        "{c n : Nat} (J : Fin c → Fin n → α) (x : Fin n → α) (y k : Fin c) (m : α) (hm : m ≠ 0) "
        "(hv : matVec J x y - matVec J x k ≠ 0) : "
        "m * m / norm2 (fun j => J y j - J k j) = "
        "norm2 x * (m * m) / ((matVec J x y - matVec J x k) * (matVec J x y - matVec J x k)) ↔ "
        "(fun j => J y j - J k j) = fun j => (matVec J x y - matVec J x k) / norm2 x * x j",
        "(a) equality case: the bound is attained iff J_y − J_k is parallel to x"),
    Pin("T2", "NormAlign.aligned_boundary_dist_eq",
        "{c n : Nat} (u : Fin c → α) (x : Fin n → α) (y k : Fin c) (m : α) (hx : norm2 x ≠ 0) "
        "(hu : u y ≠ u k) : m * m / norm2 (fun j => outer u x y j - outer u x k j) = "
        "norm2 x * (m * m) / ((matVec (outer u x) x y - matVec (outer u x) x k) * "
        "(matVec (outer u x) x y - matVec (outer u x) x k))",
        "(a) the aligned J attains the bound for every pair of classes"),
    Pin("T2", "NormAlign.sensitivity_expectation",
        "{N m n : Nat} (J : Fin m → Fin n → α) (w : Fin N → α) (δ : Fin N → Fin n → α) (s2 : α) "
        "(h : ∀ j l, vsum (fun p => w p * (δ p j * δ p l)) = if j = l then s2 else 0) : "
        "vsum (fun p => w p * norm2 (matVec J (δ p))) = s2 * frob J",
        "(b) E‖Jδ‖² = σ²‖J‖_F² for any finite distribution with second moment σ² I"),
    Pin("T2", "NormAlign.spectral_bound",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (v : Fin m → α) (hx : norm2 x ≠ 0) "
        "(h : matVec J x = v) : "
        "(∀ s, (∀ w, norm2 (matVec J w) ≤ s * norm2 w) → norm2 v / norm2 x ≤ s) ∧ "
        "∀ w, norm2 (matVec (minNormSol v x) w) ≤ norm2 v / norm2 x * norm2 w",
        "(b) ‖J‖₂ ≥ ‖v‖/‖x‖, attained by the aligned J (squared form)"),
    Pin("T2", "NormAlign.spectral_not_unique",
        ": matVec spectralExample (ofList [1, 0] 2) = ofList [1, 0] 2 ∧ "
        "spectralExample ≠ minNormSol (ofList [1, 0] 2) (ofList [1, 0] 2) ∧ "
        "∀ w : Fin 2 → Rat, norm2 (matVec spectralExample w) ≤ "
        "norm2 (ofList [(1 : Rat), 0] 2) / norm2 (ofList [(1 : Rat), 0] 2) * norm2 w",
        "(b) the spectral-norm optimum is not unique (explicit non-aligned J attaining it)"),
    Pin("T2", "NormAlign.kernel_eq_perp_iff_aligned",
        "{m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0) (hJ : frob J ≠ 0) : "
        "(∀ δ, matVec J δ = (fun _ => 0) ↔ dot x δ = 0) ↔ IsAligned J x",
        "(c) ker J = x⊥ iff J = u xᵀ, u ≠ 0 (x ≠ 0, J ≠ 0)"),
    # P1
    Pin("P1", "NormAlign.ce_optimum_centroid_zero",
        "{c n : Nat} (s : α) (k : Fin (c + 1)) (y : Fin n → α) : "
        "centroid (minNormSol (fun i => s * ((if i = k then 1 else 0) - "
        "1 / vsum (ones (c + 1) : Fin (c + 1) → α))) y) = fun _ => 0",
        "boundary: at the T1(c) optimum z* ∝ e_y − 1/c, 1ᵀu = 0 and μ = 0"),
    # P2
    Pin("P2", "NormAlign.Net.eval_on_region",
        "{n m : Nat} (N : Net α n m) : ∀ x x', N.SameRegion x x' → N.eval x' = matVec (N.jac x) x'",
        "a bias-free ReLU network is linear (b = 0) on each region"),
    Pin("P2", "NormAlign.Net.sameRegion_smul",
        "{n m : Nat} (N : Net α n m) (t : α) (ht : 0 < t) : ∀ x, N.SameRegion x (fun j => t * x j)",
        "the region of x is a cone (contains t x, t > 0)"),
    Pin("P2", "NormAlign.Net.euler",
        "{n m : Nat} (N : Net α n m) (x : Fin n → α) : N.eval x = matVec (N.jac x) x ∧ "
        "(fun i => N.eval x i - matVec (N.jac x) x i) = (fun _ => 0) ∧ "
        "dot (centroid (N.jac x)) x = vsum (N.eval x)",
        "Euler: J_x x = f(x), b_x = 0, ⟨μ_x, x⟩ = 1ᵀf(x)"),
    Pin("P2", "NormAlign.scalar_fit_alignment",
        "{n : Nat} (J : Fin 1 → Fin n → α) (x : Fin n → α) (y : α) (hx : norm2 x ≠ 0) "
        "(hfit : matVec J x 0 = y) (hy : y * y = 1) : "
        "y * dot (centroid J) x = 1 ∧ norm2 (centroid J) = frob J ∧ "
        "dot (centroid J) x * dot (centroid J) x / (norm2 (centroid J) * norm2 x) = 1 / (frob J * norm2 x) ∧ "
        "1 / norm2 x ≤ frob J ∧ "
        "(dot (centroid J) x * dot (centroid J) x / (norm2 (centroid J) * norm2 x) = 1 ↔ frob J = 1 / norm2 x)",
        "scalar fit y = ±1: y CA = 1/(‖∇f‖‖x‖) (squared form), 1 exactly at the L1 minimum"),
    Pin("P2", "NormAlign.quadNet_expansion",
        "{m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x δ : Fin n → α) : "
        "quadNet V W (fun j => x j + δ j) = "
        "(fun i => quadNet V W x i + matVec (quadJac V W x) δ i + quadNet V W δ i) ∧ "
        "∀ t, quadNet V W (fun j => t * δ j) = fun i => t * t * quadNet V W δ i",
        "J_x = V diag(2Wx) W is the derivative of the quadratic net (exact expansion, 2-homogeneous "
        "remainder)"),
    Pin("P2", "NormAlign.quadNet_euler",
        "{m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) : "
        "matVec (quadJac V W x) x = (fun i => 2 * quadNet V W x i) ∧ "
        "(fun i => quadNet V W x i - matVec (quadJac V W x) x i) = fun i => -quadNet V W x i",
        "quadratic net: J_x x = 2 f(x), b_x = −f(x)"),
    # PD
    Pin("PD", "NormAlign.Layers.eval_on_region",
        "{n m : Nat} (L : Layers α n m) : "
        "∀ x x', L.SameRegion x x' → L.eval x' = fun i => matVec (L.jac x) x' i + L.off x i",
        "induction over layers: a deep ReLU stack is affine on each region"),
    Pin("PD", "NormAlign.Layers.subdivision_deep",
        "{n k K : Nat} (L : Layers α n k) (W : Fin K → Fin k → α) (b : Fin K → α) (x x' : Fin n → α) "
        "(hx : L.SameRegion x x') (q : Fin K → Bool) : "
        "powDist (matMul W (L.jac x)) (fun r => dot (W r) (L.off x) + b r) (active W b (L.eval x')) x' ≤ "
        "powDist (matMul W (L.jac x)) (fun r => dot (W r) (L.off x) + b r) q x'",
        "subdivision for every layer of every deep ReLU network"),
    Pin("PD", "NormAlign.Layers.network_power_form",
        "{n k m : Nat} (L : Layers α n k) (V : Fin m → Fin k → α) (β : Fin m → α) (x x' : Fin n → α) "
        "(hx : L.SameRegion x x') : "
        "(fun i => matVec V (L.eval x') i + β i) = "
        "(fun i => matVec (matMul V (L.jac x)) x' i + (matVec V (L.off x) i + β i)) ∧ "
        "norm2 (fun j => x' j - centroid (matMul V (L.jac x)) j) - "
        "centroidRadius (matMul V (L.jac x)) (fun i => matVec V (L.off x) i + β i) = "
        "norm2 x' - 2 * vsum (fun i => matVec V (L.eval x') i + β i)",
        "whole-network centroid μ = Jᵀ1 and radius ‖μ‖² + 2·1ᵀb on each region"),
    # P3 (Dynamics.lean; helper A3)
    Pin("P3", "NormAlign.dot_centroid_twoLayerJac",
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) : "
        "dot (centroid (twoLayerJac a W q)) x = twoLayer a W q x",
        "on an activation region ⟨μ_x, x⟩ = f(x) for a bias-free two-layer network (scalar output)"),
    Pin("P3", "NormAlign.twoLayer_expand",
        "{K n : Nat} (a Da : Fin K → α) (W DW : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) (t : α) : "
        "twoLayer (fun k => a k + t * Da k) (fun k j => W k j + t * DW k j) q x = "
        "twoLayer a W q x + t * (dot (gradA W q x) Da + mdot (gradW a q x) DW) + t * t * twoLayer Da DW q x",
        "exact expansion in the step: the gradient (∂_a f, ∂_W f) is the linear coefficient"),
    Pin("P3", "NormAlign.centroid_step",
        "{K n N : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (qs : Fin N → Fin K → α) "
        "(xs : Fin N → Fin n → α) (r : Fin N → α) (η : α) (q0 : Fin K → α) (x0 : Fin n → α) : "
        "dot (centroid (twoLayerJac (fun k => a k + η * stepA W qs xs r k) "
        "(fun k j => W k j + η * stepW a qs xs r k j) q0)) x0 = dot (centroid (twoLayerJac a W q0)) x0 + "
        "η * meanOf (fun i => ntk2 a W q0 x0 (qs i) (xs i) * r i) + "
        "η * η * twoLayer (stepA W qs xs r) (stepW a qs xs r) q0 x0",
        "one gradient step at fixed patterns: change of ⟨μ_x₀, x₀⟩ = η mean_i Θ(x₀, x_i) r_i + η² R exactly"),
    Pin("P3", "NormAlign.reluNet2_on_region",
        "{K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x x' : Fin n → α) (h : gate W x' = gate W x) : "
        "reluNet2 a W x' = twoLayer a W (gate W x) x' ∧ "
        "reluNet2 a W x' = dot (centroid (twoLayerJac a W (gate W x))) x'",
        "the ReLU network on x's region is the region function and ⟨μ_x, ·⟩"),
    Pin("P3", "NormAlign.centroid_step_relu",
        "{K n N : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (xs : Fin N → Fin n → α) (r : Fin N → α) "
        "(η : α) (x0 : Fin n → α) "
        "(hsame : gate (fun k j => W k j + η * stepW a (fun i => gate W (xs i)) xs r k j) x0 = gate W x0) : "
        "reluNet2 (fun k => a k + η * stepA W (fun i => gate W (xs i)) xs r k) "
        "(fun k j => W k j + η * stepW a (fun i => gate W (xs i)) xs r k j) x0 = reluNet2 a W x0 + "
        "η * meanOf (fun i => ntk2 a W (gate W x0) x0 (gate W (xs i)) (xs i) * r i) + "
        "η * η * twoLayer (stepA W (fun i => gate W (xs i)) xs r) (stepW a (fun i => gate W (xs i)) xs r) "
        "(gate W x0) x0",
        "P3 for f(x) = Σ_k a_k relu(W_k·x): if x₀ keeps its pattern, ⟨μ_x₀, x₀⟩ = f(x₀) changes by "
        "η mean_i Θ(x₀, x_i) r_i + η² R"),
    # P4 (Dynamics.lean; helper A3)
    Pin("P4", "NormAlign.gdFirstLayer_eq",
        "{K n N : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α) "
        "(δ : Nat → Fin K → Fin N → α) (t : Nat) : gdFirstLayer η lam X W0 δ t = "
        "fun k j => (1 - η * lam) ^ t * W0 k j + matMul (gdCoeff η lam δ t) X k j",
        "W₁(t) = (1 - ηλ)^t W₁(0) + G(t) X under gradient descent with weight decay"),
    Pin("P4", "NormAlign.jacobian_span",
        "{K n N m : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α) "
        "(δ : Nat → Fin K → Fin N → α) (t : Nat) (M : Fin m → Fin K → α) : "
        "matMul M (gdFirstLayer η lam X W0 δ t) = "
        "fun r j => (1 - η * lam) ^ t * matMul M W0 r j + matMul (matMul M (gdCoeff η lam δ t)) X r j",
        "every J_x = M W₁(t) is a decayed initial part plus rows in span{x_i}"),
    # G1 (GrokAlign.lean; helper A3)
    Pin("G1", "NormAlign.sq_estimator_unbiased",
        "{M c n : Nat} (J : Fin c → Fin n → α) (v : Fin M → Fin c → α) (w : Fin M → α) (κ : α) "
        "(hiso : ∀ r r', vsum (fun m => w m * (v m r * v m r')) = if r = r' then κ else 0) : "
        "vsum (fun m => w m * norm2 (vecMat (v m) J)) = κ * frob J",
        "E‖Jᵀv‖² = κ ‖J‖_F² for every finitely supported isotropic distribution (E vvᵀ = κ I)"),
    Pin("G1", "NormAlign.sq_estimator_coordinates",
        "{c n : Nat} (J : Fin c → Fin n → α) : "
        "vsum (fun r => norm2 (vecMat (basisVec r) J) + norm2 (vecMat (fun i => -basisVec r i) J)) = 2 * frob J",
        "the 2c directions ±e_r: the mean of c‖Jᵀv‖² is ‖J‖_F²"),
    Pin("G1", "NormAlign.sq_estimator_signs",
        "{c n : Nat} (J : Fin c → Fin n → α) : signSum c (fun s => norm2 (vecMat s J)) = 2 ^ c * frob J",
        "the 2^c sign vectors (v = s/√c): the mean of c‖Jᵀv‖² is ‖J‖_F²"),
    Pin("G1", "NormAlign.estimator_exact_c1",
        "{n : Nat} (J : Fin 1 → Fin n → α) (v : Fin 1 → α) (hv : v 0 * v 0 = 1) : norm2 (vecMat v J) = frob J",
        "c = 1: the one-vector estimate is exact"),
    Pin("G1", "NormAlign.sqrt_estimator_biased_low",
        "{M c n : Nat} (J : Fin c → Fin n → α) (v : Fin M → Fin c → α) (w : Fin M → α) (κ k : α) "
        "(est : Fin M → α) (hiso : ∀ r r', vsum (fun m => w m * (v m r * v m r')) = if r = r' then κ else 0) "
        "(hw : ∀ m, 0 ≤ w m) (hw1 : vsum w = 1) (hk : k * κ = 1) "
        "(hest : ∀ m, est m * est m = k * norm2 (vecMat (v m) J)) : "
        "vsum (fun m => w m * est m) * vsum (fun m => w m * est m) ≤ frob J",
        "the estimate √(c‖Jᵀv‖²) of ‖J‖_F is biased low: (E est)² ≤ ‖J‖_F²"),
    Pin("G1", "NormAlign.offset_estimates_exact",
        "{m n : Nat} (J : Fin m → Fin n → α) (b fx fe : Fin m → α) (x : Fin n → α) (ε : α) (hε : ε ≠ 0) "
        "(h1 : ∀ i, fx i = matVec J x i + b i) (h2 : ∀ i, fe i = matVec J (fun j => (1 + ε) * x j) i + b i) : "
        "(∀ i, fx i - matVec J x i = b i) ∧ (∀ i, (fe i - fx i) / ε = matVec J x i) ∧ "
        "(∀ i, fx i - (fe i - fx i) / ε = b i)",
        "JVP offset f(x) - J x = b; the finite difference is exact when x, (1+ε)x share the affine piece"),
    Pin("G1", "NormAlign.fd_exact_bias_free",
        "{n m : Nat} (N : Net α n m) (x : Fin n → α) (ε : α) (hε : ε ≠ 0) (hε1 : 0 ≤ 1 + ε) (i : Fin m) : "
        "(N.eval (fun j => (1 + ε) * x j) i - N.eval x i) / ε = N.eval x i",
        "bias-free ReLU networks: the finite difference equals f(x) (= J_x x) for every ε > -1"),
    # D4 (Regimes.lean; helper A3)
    Pin("D4", "NormAlign.ntkGram_psd",
        "{N P : Nat} (g : Fin N → Fin P → α) (v : Fin N → α) : (∀ i j, ntkGram g i j = ntkGram g j i) ∧ "
        "vsum (fun i => vsum (fun j => v i * ntkGram g i j * v j)) = norm2 (vecMat v g) ∧ "
        "0 ≤ vsum (fun i => vsum (fun j => v i * ntkGram g i j * v j))",
        "the empirical NTK is a symmetric positive semidefinite Gram matrix"),
    Pin("D4", "NormAlign.lastLayer_linear",
        "{K n : Nat} (a D : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) (t : α) : "
        "reluNet2 (fun k => a k + t * D k) W x = reluNet2 a W x + t * dot D (features W x) ∧ "
        "gradA W (gate W x) x = features W x",
        "last layer only: f is linear in the trained parameters with an a-free gradient (constant kernel)"),
    Pin("D4", "NormAlign.ntk2_lastLayer_change",
        "{K n : Nat} (a a' : Fin K → α) (W : Fin K → Fin n → α) (q q' : Fin K → α) (x x' : Fin n → α) : "
        "ntk2 a W q x q' x' = dot (gradA W q x) (gradA W q' x') + vsum (fun k => a k * a k * (q k * q' k)) * dot x x' ∧ "
        "ntk2 a' W q x q' x' - ntk2 a W q x q' x' = vsum (fun k => (a' k * a' k - a k * a k) * (q k * q' k)) * dot x x'",
        "the all-parameter kernel still moves when only the last layer is trained, by this amount"),
    # D5 (Regimes.lean; helper A3)
    Pin("D5", "NormAlign.pooled_min_iff_per_point",
        "{β : Type} {N : Nat} (L : Fin N → β → α) (C : Fin N → β → Prop) (W : Fin N → β) (hW : ∀ p, C p (W p)) : "
        "(∀ V : Fin N → β, (∀ p, C p (V p)) → vsum (fun p => L p (W p)) ≤ vsum (fun p => L p (V p))) ↔ "
        "(∀ p (V : β), C p V → L p (W p) ≤ L p V)",
        "sparse regime: the pooled problem decouples (its minimisers are the families of per-point minimisers)"),
    Pin("D5", "NormAlign.dense_aligned_constraint",
        "{m n : Nat} (u : Fin m → α) (x1 x2 : Fin n → α) (z1 z2 : Fin m → α) "
        "(h1 : matVec (outer u x1) x1 = z1) (h2 : matVec (outer u x1) x2 = z2) : "
        "∀ i, norm2 x1 * z2 i = dot x1 x2 * z1 i",
        "dense regime: a shared map aligned at x₁ fits (z₁, z₂) only if ‖x₁‖² z₂ = (x₁·x₂) z₁"),
    Pin("D5", "NormAlign.dense_no_aligned_fit",
        ": ∀ u : Fin 1 → Rat, ¬ (matVec (outer u (ofList [1, 0] 2)) (ofList [1, 0] 2) = (fun _ => 1) ∧ "
        "matVec (outer u (ofList [1, 0] 2)) (ofList [0, 1] 2) = (fun _ => 1))",
        "a concrete dense case with no map aligned at x₁"),
    # T1(c), T1(d) (Optimality2.lean; helper A3)
    Pin("T1", "NormAlign.logit_ball",
        "{m n : Nat} (y : Fin n → α) (hy : norm2 y ≠ 0) (a : α) (z : Fin m → α) : "
        "(∃ W : Fin m → Fin n → α, frob W ≤ a ∧ matVec W y = z) ↔ norm2 z ≤ a * norm2 y",
        "(c), (d): the reachable logits are the ball ‖z‖² ≤ a ‖x~‖²"),
    Pin("T1", "NormAlign.ce_ball_opt",
        "{c : Nat} (g φ : α → α) (y : Fin c) (R2 M s : α) (hc : 2 ≤ c) (hM : 0 ≤ M) "
        "(hMR : M * M * (vsum (ones c : Fin c → α) - 1) = R2 * vsum (ones c : Fin c → α)) (hs : 0 < s) "
        "(htan : ∀ t, φ (-M) + s * (t + M) ≤ φ t) (hφ : ∀ t, 0 < φ t) "
        "(hg : ∀ a b, 0 < a → a < b → g a < g b) : "
        "norm2 (ceOpt y M) = R2 ∧ vsum (ceOpt y M) = 0 ∧ "
        "ceLoss g φ y (ceOpt y M) = g (φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M)) ∧ "
        "(∀ z, norm2 z ≤ R2 → ceLoss g φ y (ceOpt y M) ≤ ceLoss g φ y z) ∧ "
        "(∀ z, norm2 z ≤ R2 → ceLoss g φ y z ≤ ceLoss g φ y (ceOpt y M) → z = ceOpt y M)",
        "(c) with exp, log as parameters (φ above its tangent at -M, g increasing): z* = M(e_y - 1/c) is the "
        "unique optimum, binding, 1ᵀz* = 0, loss g(φ(0) + (c-1)φ(-M))"),
    Pin("T1", "NormAlign.sqerr_ball_small",
        "{c : Nat} (e : Fin c → α) (he : norm2 e = 1) (R : α) (hR0 : 0 ≤ R) (hR1 : R ≤ 1) : "
        "norm2 (fun k => R * e k) = R * R ∧ norm2 (fun k => R * e k - e k) = (1 - R) * (1 - R) ∧ "
        "∀ z : Fin c → α, norm2 z ≤ R * R → norm2 (fun k => R * e k - e k) ≤ norm2 (fun k => z k - e k) ∧ "
        "(norm2 (fun k => z k - e k) = norm2 (fun k => R * e k - e k) → z = fun k => R * e k)",
        "(d), R ≤ 1: z* = R e_y is the unique optimum, binding"),
    Pin("T1", "NormAlign.sqerr_ball_large",
        "{c : Nat} (e : Fin c → α) (he : norm2 e = 1) (R : α) (hR : 1 ≤ R) : "
        "norm2 e ≤ R * R ∧ (1 < R → norm2 e < R * R) ∧ norm2 (fun k => e k - e k) = 0 ∧ "
        "∀ z : Fin c → α, 0 ≤ norm2 (fun k => z k - e k) ∧ (norm2 (fun k => z k - e k) = 0 → z = e)",
        "(d), R ≥ 1: z* = e_y (loss 0) is the unique optimum, slack for R > 1"),
    Pin("T1", "NormAlign.slack_not_aligned",
        "{m n : Nat} (z e : Fin m → α) (y w : Fin n → α) (hy : norm2 y ≠ 0) (hw : dot y w = 0) "
        "(hw0 : norm2 w ≠ 0) (he : norm2 e ≠ 0) : "
        "matVec (fun i j => minNormSol z y i j + e i * w j) y = z ∧ "
        "frob (fun i j => minNormSol z y i j + e i * w j) = norm2 z / norm2 y + norm2 e * norm2 w ∧ "
        "∀ u : Fin m → α, (fun i j => minNormSol z y i j + e i * w j) ≠ outer u y",
        "(d), slack: non-aligned maps with the optimal logits and any norm above the minimum"),
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


def pinned_decls(theorem_id: str) -> tuple[str, ...]:
    """The registry's ``lean`` list of an ID: the declarations of its pins."""
    return tuple(p.decl for p in pins_of(theorem_id))


def def_pin(decl: str) -> DefPin | None:
    return next((d for d in DEF_PINS if d.decl == decl), None)
