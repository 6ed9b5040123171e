module

public import NormAlign.Basic

/-!
# L1: the minimum-norm lemma

For a point `y` (the input `x` for the bias-free form, the augmented `x~ = (x, 1)` for the form with
an offset, whose `‖x~‖² = ‖x‖² + 1`), among all maps `W` with `W y = z` the squared Frobenius norm is
at least `‖z‖² / ‖y‖²`, attained only at `W = z yᵀ / ‖y‖²`. Paper: arXiv 2605.08464 (registry ID L1).
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

end NormAlign
