module

public import NormAlign.Basic

/-!
# P1: normal alignment implies centroid alignment

The centroid of `x`'s region is `μ = Jᵀ 1` (D2). If `J = u xᵀ` then `μ = (1ᵀu) x`, so
`cos(μ, x) = sign(1ᵀu)` when `1ᵀu ≠ 0` (in squared form: `(μ·x)² = ‖μ‖²‖x‖²` and `μ·x` has the sign of
`1ᵀu`). The converse fails. Paper: arXiv 2605.08464 (registry ID P1).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-- The centroid `μ = Jᵀ 1` (sum of the rows of `J`). -/
def centroid {m n : Nat} (J : Fin m → Fin n → α) : Fin n → α := vecMat (ones m) J

theorem centroid_apply {m n : Nat} (J : Fin m → Fin n → α) (j : Fin n) :
    centroid J j = vsum (fun i => J i j) := by
  unfold centroid vecMat ones; exact vsum_congr (fun i => by grind)

/-- [P1] `J = u xᵀ` gives `μ = Jᵀ 1 = (1ᵀ u) x`. -/
theorem centroid_outer {m n : Nat} (u : Fin m → α) (x : Fin n → α) :
    centroid (outer u x) = fun j => vsum u * x j := by
  funext j; rw [centroid_apply]; unfold outer; rw [vsum_mul_right]

/-- [P1] Under alignment `μ·x = (1ᵀu) ‖x‖²` and `(μ·x)² = ‖μ‖² ‖x‖²` (so `cos²(μ, x) = 1`), and
`μ·x` is positive when `1ᵀu > 0`, negative when `1ᵀu < 0` (`x ≠ 0`): `CA(x) = sign(1ᵀu)`. -/
theorem centroid_alignment {m n : Nat} (u : Fin m → α) (x : Fin n → α) (hx : norm2 x ≠ 0) :
    dot (centroid (outer u x)) x = vsum u * norm2 x ∧
    dot (centroid (outer u x)) x * dot (centroid (outer u x)) x =
      norm2 (centroid (outer u x)) * norm2 x ∧
    (0 < vsum u → 0 < dot (centroid (outer u x)) x) ∧
    (vsum u < 0 → dot (centroid (outer u x)) x < 0) := by
  rw [centroid_outer, dot_smul_left]
  have hp := norm2_pos_of_ne hx
  have e : dot x x = norm2 x := rfl
  refine ⟨rfl, ?_, ?_, ?_⟩
  · rw [norm2_smul, e]; grind
  · intro h; rw [e]; exact Lean.Grind.OrderedRing.mul_pos h hp
  · intro h
    have := Lean.Grind.OrderedRing.mul_pos (a := -vsum u) (b := norm2 x) (by grind) hp
    rw [e]; grind

/-- [P1] Boundary: when `1ᵀu = 0` the centroid of an aligned map vanishes (CA undefined). -/
theorem centroid_outer_eq_zero {m n : Nat} (u : Fin m → α) (x : Fin n → α) (h : vsum u = 0) :
    centroid (outer u x) = fun _ => 0 := by
  rw [centroid_outer, h]; funext j; grind

/-- [P2] `μ·x = 1ᵀ (J x)` for every `J`; with `J_x x = f(x)` (bias-free networks) `⟨μ_x, x⟩ = 1ᵀ f(x)`. -/
theorem dot_centroid {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) :
    dot (centroid J) x = vsum (matVec J x) := by
  unfold centroid; rw [← dot_matVec]; unfold dot ones; exact vsum_congr (fun i => by grind)

/-- The converse-counterexample map: rows `x + w` and `x - w` with `x = (1, 0)`, `w = (0, 1)`. -/
def converseJ : Fin 2 → Fin 2 → Rat := ofLists [[1, 1], [1, -1]] 2 2

/-- [P1] The converse is false: `J = [x + w; x - w]` with `w ⊥ x` has centroid `2x` (aligned with
`x = (1, 0)`) but is not of the form `u xᵀ`. -/
theorem converse_false :
    centroid converseJ = (fun j => 2 * ofList [1, 0] 2 j) ∧ ¬ IsAligned converseJ (ofList [1, 0] 2) := by
  refine ⟨?_, ?_⟩
  · funext j; rw [centroid_apply]; revert j; decide +kernel
  · rintro ⟨u, hu⟩
    have h := congrFun (congrFun hu 0) 1
    revert h; unfold outer; simp [converseJ, ofLists, ofList]

example : ¬ IsAligned converseJ (ofList [1, 0] 2) := converse_false.2

end NormAlign
