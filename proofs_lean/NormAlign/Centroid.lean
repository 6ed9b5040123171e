module

public import NormAlign.MinNorm

/-!
# D2: the centroid; P1: normal alignment implies centroid alignment

D2: the centroid of an affine map `f(x) = J x + b` (the map of `x`'s linear region) is `μ = Jᵀ 1`, the
gradient of `1ᵀ f` (one vector-Jacobian product with `1`); with the radius `ρ = ‖μ‖² + 2·1ᵀb` the
summed output is a power distance: `‖x - μ‖² - ρ = ‖x‖² - 2·1ᵀ f(x)`.

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
  · rintro ⟨u, -, hu⟩
    have h := congrFun (congrFun hu 0) 1
    revert h; unfold outer; simp [converseJ, ofLists, ofList]

example : ¬ IsAligned converseJ (ofList [1, 0] 2) := converse_false.2

/-- The squared radius `ρ = ‖μ‖² + 2·1ᵀb` of the affine map `x ↦ J x + b`, `μ = Jᵀ1` (D2, D3). -/
def centroidRadius {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) : α :=
  norm2 (centroid J) + 2 * vsum b

/-- [D2] The centroid `μ = Jᵀ1` is the gradient of the summed output of the region's affine map
`f(x) = J x + b`: `1ᵀ f(x + δ) = 1ᵀ f(x) + μ·δ` for every `x`, `δ` (one vector-Jacobian product with
the all-ones vector). -/
theorem centroid_gradient {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) (x δ : Fin n → α) :
    vsum (fun i => matVec J (fun j => x j + δ j) i + b i) =
      vsum (fun i => matVec J x i + b i) + dot (centroid J) δ := by
  rw [dot_centroid]
  have h : ∀ i, matVec J (fun j => x j + δ j) i + b i = (matVec J x i + b i) + matVec J δ i := by
    intro i; unfold matVec; rw [dot_comm, dot_add_left, dot_comm x, dot_comm δ]; grind
  rw [vsum_congr h, vsum_add]

/-- [D2] Power-diagram form of the summed output, the whole-network radius: for the affine map
`f(x) = J x + b` of a region, with `μ = Jᵀ1` and `ρ = ‖μ‖² + 2·1ᵀb`,
`‖x - μ‖² - ρ = ‖x‖² - 2·1ᵀ f(x)`, i.e. `1ᵀ f(x) = (‖x‖² + ρ - ‖x - μ‖²)/2`: among affine pieces, a
larger summed output is a smaller power distance to the site `μ` with radius `ρ`. -/
theorem power_form {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) (x : Fin n → α) :
    norm2 (fun j => x j - centroid J j) - centroidRadius J b =
      norm2 x - 2 * vsum (fun i => matVec J x i + b i) := by
  have h1 := norm2_sub_smul x (centroid J) 1
  have e : (fun j => x j - 1 * centroid J j) = (fun j => x j - centroid J j) := by
    funext j; grind
  rw [e] at h1
  unfold centroidRadius
  rw [h1, vsum_add, dot_comm, dot_centroid]; grind

theorem vsum_ones_pos (c : Nat) : 0 < vsum (ones (c + 1) : Fin (c + 1) → α) := by
  rw [vsum_succ]
  have : 0 ≤ vsum (fun i : Fin c => (ones (c + 1) : Fin (c + 1) → α) (Fin.castSucc i)) :=
    vsum_nonneg (fun _ => by unfold ones; exact Std.le_of_lt Lean.Grind.OrderedRing.zero_lt_one)
  have h1 : (ones (c + 1) : Fin (c + 1) → α) (Fin.last c) = 1 := rfl
  have := (Lean.Grind.OrderedRing.zero_lt_one : (0 : α) < 1)
  grind

/-- [P1] Boundary: at the cross-entropy optimum of T1(c) the logits are `z* = s (e_y - 1/c)` with `c`
classes (`s = R sqrt(c/(c-1))`), whose entries sum to `0`; so the aligned map `z* yᵀ/‖y‖²` has
`1ᵀu = 0` and centroid `0`, and CA is undefined there. -/
theorem ce_optimum_centroid_zero {c n : Nat} (s : α) (k : Fin (c + 1)) (y : Fin n → α) :
    centroid (minNormSol (fun i => s * ((if i = k then 1 else 0) - 1 / vsum (ones (c + 1) : Fin (c + 1) → α))) y) =
      fun _ => 0 := by
  unfold minNormSol
  apply centroid_outer_eq_zero
  try dsimp only
  have hN := vsum_ones_pos (α := α) c
  have hN0 : vsum (ones (c + 1) : Fin (c + 1) → α) ≠ 0 := by grind
  have hk : vsum (fun i : Fin (c + 1) => if i = k then (1 : α) else 0) = 1 :=
    (vsum_single _ k (fun i hi => by simp [hi])).trans (by simp)
  have hc : vsum (fun _ : Fin (c + 1) => 1 / vsum (ones (c + 1) : Fin (c + 1) → α)) = 1 := by
    have := vsum_mul_left (1 / vsum (ones (c + 1) : Fin (c + 1) → α)) (ones (c + 1))
    have e : (fun i : Fin (c + 1) => 1 / vsum (ones (c + 1) : Fin (c + 1) → α) * ones (c + 1) i) =
        fun _ => 1 / vsum (ones (c + 1) : Fin (c + 1) → α) := by funext i; unfold ones; grind
    rw [e] at this; rw [this]
    have := div_mul_cancel' (a := (1 : α)) hN0
    grind
  have hz : vsum (fun i : Fin (c + 1) =>
      s * ((if i = k then 1 else 0) - 1 / vsum (ones (c + 1) : Fin (c + 1) → α))) = 0 := by
    rw [vsum_mul_left, vsum_sub, hk, hc]; grind
  have e : (fun i : Fin (c + 1) => s * ((if i = k then 1 else 0) -
      1 / vsum (ones (c + 1) : Fin (c + 1) → α)) / norm2 y) =
      fun i => s * ((if i = k then 1 else 0) - 1 / vsum (ones (c + 1) : Fin (c + 1) → α)) *
        (norm2 y)⁻¹ := funext fun i => Lean.Grind.Field.div_eq_mul_inv _ _
  rw [e, vsum_mul_right, hz]; grind

end NormAlign
