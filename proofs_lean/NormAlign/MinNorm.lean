module

public import NormAlign.Basic

/-!
# L1: the minimum-norm lemma

For a point `y` (the input `x` for the bias-free form, the augmented `x~ = (x, 1)` for the form with
an offset, whose `‖x~‖² = ‖x‖² + 1`), among all maps `W` with `W y = z` the squared Frobenius norm is
at least `‖z‖² / ‖y‖²`, attained only at `W = z yᵀ / ‖y‖²`. The augmented form is also stated directly
for `(J, b)` with `J x + b = z` (`minNorm_augmented`). Paper: arXiv 2605.08464 (registry ID L1).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-- The minimum-norm solution `z yᵀ / ‖y‖²` of `W y = z`. -/
def minNormSol {m n : Nat} (z : Fin m → α) (y : Fin n → α) : Fin m → Fin n → α :=
  outer (fun i => z i / norm2 y) y

/-- [L1] The minimum-norm map satisfies the constraint: `(z yᵀ / ‖y‖²) y = z`. -/
theorem matVec_minNormSol {m n : Nat} (z : Fin m → α) (y : Fin n → α) (hy : norm2 y ≠ 0) :
    matVec (minNormSol z y) y = z := by
  unfold minNormSol; rw [matVec_outer]; funext i
  exact div_mul_cancel' hy

/-- [L1] The minimum value: `‖z yᵀ / ‖y‖²‖_F² = ‖z‖² / ‖y‖²`. -/
theorem frob_minNormSol {m n : Nat} (z : Fin m → α) (y : Fin n → α) (hy : norm2 y ≠ 0) :
    frob (minNormSol z y) = norm2 z / norm2 y := by
  have h := norm2_matVec_outer_self (fun i => z i / norm2 y) y
  have e : outer (fun i => z i / norm2 y) y = minNormSol z y := rfl
  rw [e, matVec_minNormSol z y hy] at h
  have hp := norm2_pos_of_ne hy
  have := div_mul_cancel' (a := frob (minNormSol z y)) hy
  have h2 : frob (minNormSol z y) * norm2 y / norm2 y = frob (minNormSol z y) := by
    have hd := Lean.Grind.Field.div_eq_mul_inv (frob (minNormSol z y) * norm2 y) (norm2 y)
    have hi : norm2 y * (norm2 y)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hy
    rw [hd]; grind
  rw [h, h2]

/-- [L1] The lower bound: `W y = z` implies `‖z‖² / ‖y‖² ≤ ‖W‖_F²`. -/
theorem frob_ge_of_matVec_eq {m n : Nat} (W : Fin m → Fin n → α) (y : Fin n → α)
    (z : Fin m → α) (hy : norm2 y ≠ 0) (hW : matVec W y = z) : norm2 z / norm2 y ≤ frob W := by
  rw [div_le_iff_of_pos (norm2_pos_of_ne hy), ← hW]
  exact norm2_matVec_le W y

/-- [L1] Uniqueness: a map with `W y = z` attaining `‖W‖_F² = ‖z‖² / ‖y‖²` is `z yᵀ / ‖y‖²`. -/
theorem eq_minNormSol_of_frob_eq {m n : Nat} (W : Fin m → Fin n → α) (y : Fin n → α)
    (z : Fin m → α) (hy : norm2 y ≠ 0) (hW : matVec W y = z)
    (hmin : frob W = norm2 z / norm2 y) : W = minNormSol z y := by
  have h1 : norm2 (matVec W y) = frob W * norm2 y := by
    rw [hmin, hW]; exact (div_mul_cancel' hy).symm
  have h2 := (norm2_matVec_eq_iff W y hy).1 h1
  rw [h2, hW]; rfl

/-- The augmented point `x~ = (x, 1)`. -/
def aug {n : Nat} (x : Fin n → α) : Fin (n + 1) → α := fun j => Fin.lastCases 1 x j

/-- The augmented map `[J | b]`. -/
def augMat {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) : Fin m → Fin (n + 1) → α :=
  fun i j => Fin.lastCases (b i) (J i) j

theorem dot_aug {n : Nat} (w x : Fin n → α) (c : α) :
    dot (fun j => Fin.lastCases c w j) (aug x) = dot w x + c := by
  unfold dot aug; rw [vsum_succ]; simp only [Fin.lastCases_castSucc, Fin.lastCases_last]; grind

theorem norm2_lastCases {n : Nat} (w : Fin n → α) (c : α) :
    norm2 (fun j => Fin.lastCases c w j) = norm2 w + c * c := by
  unfold norm2 dot; rw [vsum_succ]; simp only [Fin.lastCases_castSucc, Fin.lastCases_last]

theorem matVec_augMat {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) (x : Fin n → α) :
    matVec (augMat J b) (aug x) = fun i => matVec J x i + b i := by
  funext i; exact dot_aug (J i) x (b i)

theorem norm2_aug {n : Nat} (x : Fin n → α) : norm2 (aug x) = norm2 x + 1 := by
  have := norm2_lastCases x 1; unfold aug; rw [this]; grind

theorem frob_augMat {m n : Nat} (J : Fin m → Fin n → α) (b : Fin m → α) :
    frob (augMat J b) = frob J + norm2 b := by
  unfold frob augMat
  rw [vsum_congr (fun i => norm2_lastCases (J i) (b i)), vsum_add]; rfl

/-- [L1] Augmented form, stated directly for `(J, b)`: every `(J, b)` with `J x + b = z` has
`‖J‖_F² + ‖b‖² ≥ ‖z‖² / (‖x‖² + 1)`; the pair `J* = z xᵀ / (‖x‖² + 1)`, `b* = z / (‖x‖² + 1)` satisfies
the constraint and attains this value; and it is the only pair that does. -/
theorem minNorm_augmented {m n : Nat} (J : Fin m → Fin n → α) (b z : Fin m → α) (x : Fin n → α)
    (h : ∀ i, matVec J x i + b i = z i) :
    norm2 z / (norm2 x + 1) ≤ frob J + norm2 b ∧
    (∀ i, matVec (outer (fun i => z i / (norm2 x + 1)) x) x i + z i / (norm2 x + 1) = z i) ∧
    frob (outer (fun i => z i / (norm2 x + 1)) x) + norm2 (fun i => z i / (norm2 x + 1)) =
      norm2 z / (norm2 x + 1) ∧
    (frob J + norm2 b = norm2 z / (norm2 x + 1) ↔
      J = outer (fun i => z i / (norm2 x + 1)) x ∧ b = fun i => z i / (norm2 x + 1)) := by
  have hA : norm2 (aug x) ≠ 0 := by
    rw [norm2_aug]; have := norm2_nonneg x; grind
  have hW : matVec (augMat J b) (aug x) = z := by rw [matVec_augMat]; funext i; exact h i
  -- the candidate is the minimum-norm augmented map
  have hc : augMat (outer (fun i => z i / (norm2 x + 1)) x) (fun i => z i / (norm2 x + 1)) =
      minNormSol z (aug x) := by
    funext i j
    unfold minNormSol
    rw [norm2_aug]
    unfold augMat outer aug
    induction j using Fin.lastCases with
    | last => simp only [Fin.lastCases_last]; grind
    | cast j => simp only [Fin.lastCases_castSucc]
  have hcW : matVec (augMat (outer (fun i => z i / (norm2 x + 1)) x) (fun i => z i / (norm2 x + 1)))
      (aug x) = z := by rw [hc]; exact matVec_minNormSol z (aug x) hA
  have hcF : frob (outer (fun i => z i / (norm2 x + 1)) x) + norm2 (fun i => z i / (norm2 x + 1)) =
      norm2 z / (norm2 x + 1) := by
    rw [← frob_augMat, hc, frob_minNormSol z (aug x) hA, norm2_aug]
  refine ⟨?_, ?_, hcF, ?_⟩
  · have := frob_ge_of_matVec_eq (augMat J b) (aug x) z hA hW
    rw [frob_augMat, norm2_aug] at this; exact this
  · intro i; have := congrFun hcW i; rw [matVec_augMat] at this; exact this
  · constructor
    · intro hmin
      have hm : frob (augMat J b) = norm2 z / norm2 (aug x) := by
        rw [frob_augMat, norm2_aug]; exact hmin
      have he := eq_minNormSol_of_frob_eq (augMat J b) (aug x) z hA hW hm
      rw [← hc] at he
      refine ⟨?_, ?_⟩
      · funext i j
        have := congrFun (congrFun he i) (Fin.castSucc j)
        unfold augMat at this; simp only [Fin.lastCases_castSucc] at this; exact this
      · funext i
        have := congrFun (congrFun he i) (Fin.last n)
        unfold augMat at this; simp only [Fin.lastCases_last] at this; exact this
    · rintro ⟨rfl, rfl⟩; exact hcF

end NormAlign
