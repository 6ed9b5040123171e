module

public import NormAlign.Agop

/-!
# D1: normal alignment and its scores

`J` is normal-aligned with `x` when `J = u xᵀ` with `u ≠ 0` (`IsAligned`, in `Basic`). The scores
of D1, in squared form (no square roots in core Lean): the Frobenius ratio squared
`‖J x‖² / (‖J‖_F² ‖x‖²)` lies in `[0, 1]` and is `1` exactly for aligned `J` (Cauchy–Schwarz
equality, `norm2_matVec_eq_iff`); for an aligned `J` the point `x` is the unique (up to scale)
maximiser of the Rayleigh quotient `‖J w‖² / ‖w‖²` of `JᵀJ`, so the top right singular vector is
`± x / ‖x‖` and `NA(x) = 1`; and `‖JᵀJ‖_F² = (‖J‖_F²)²`, i.e. `Σ sᵢ⁴ = (Σ sᵢ²)²`: one non-zero
singular value, so PC1 and the effective rank are `1`. The statements are generic in the matrix and
the point, so they hold for the augmented `W = [J | b]` and `x~ = (x, 1)` too.
Paper: arXiv 2605.08464 (registry ID D1).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-- The squared Frobenius ratio `‖J x‖² / (‖J‖_F² ‖x‖²)` (D1's Frobenius ratio is its square root;
`a / 0 = 0`). -/
def frobRatioSq {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) : α :=
  norm2 (matVec J x) / (frob J * norm2 x)

/-- [D1] The zero map is not normal-aligned with any `x ≠ 0`. -/
theorem zero_not_aligned {m n : Nat} (x : Fin n → α) (hx : norm2 x ≠ 0) :
    ¬ IsAligned (fun (_ : Fin m) (_ : Fin n) => (0 : α)) x := by
  rintro ⟨u, hu, h⟩
  have h1 := frob_outer_ne_zero u x hu hx
  rw [← h] at h1
  apply h1
  unfold frob
  rw [vsum_congr (g := fun _ => (0 : α)) (fun i => (norm2_eq_zero_iff _).2 (fun _ => rfl))]
  exact vsum_zero_fun

/-- [D1] The squared Frobenius ratio lies in `[0, 1]` (the L1 inequality `‖J x‖² ≤ ‖J‖_F² ‖x‖²`). -/
theorem frobRatioSq_mem_unit {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) :
    0 ≤ frobRatioSq J x ∧ frobRatioSq J x ≤ 1 := by
  unfold frobRatioSq
  have ha := norm2_nonneg (matVec J x)
  have hle := norm2_matVec_le J x
  have hd := Lean.Grind.OrderedRing.mul_nonneg (frob_nonneg J) (norm2_nonneg x)
  by_cases h0 : frob J * norm2 x = 0
  · rw [h0, Lean.Grind.Field.div_eq_mul_inv, Lean.Grind.Field.inv_zero]; grind
  · have hp : 0 < frob J * norm2 x := by grind
    exact ⟨(le_div_iff_of_pos hp).2 (by grind), (div_le_iff_of_pos hp).2 (by grind)⟩

/-- [D1] For `x ≠ 0` and `J ≠ 0` the (squared) Frobenius ratio is `1` exactly when `J` is
normal-aligned with `x`. -/
theorem frobRatioSq_eq_one_iff {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) (hJ : frob J ≠ 0) : frobRatioSq J x = 1 ↔ IsAligned J x := by
  have hd : frob J * norm2 x ≠ 0 := fun h => hx (mul_eq_zero_right hJ h)
  rw [← isAligned_iff_eq J x hx hJ]
  unfold frobRatioSq
  constructor
  · intro h
    have := div_mul_cancel' (a := norm2 (matVec J x)) hd
    rw [h] at this; grind
  · intro h
    rw [h, Lean.Grind.Field.div_eq_mul_inv]
    exact Lean.Grind.Field.mul_inv_cancel hd

/-- [D1] A normal-aligned `J` (at `x ≠ 0`) has (squared) Frobenius ratio `1`. -/
theorem frobRatioSq_of_aligned {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) (h : IsAligned J x) : frobRatioSq J x = 1 := by
  have hJ : frob J ≠ 0 := by
    obtain ⟨u, hu, rfl⟩ := h; exact frob_outer_ne_zero u x hu hx
  exact (frobRatioSq_eq_one_iff J x hx hJ).2 h

/-- [D1] NA is `1` under alignment: for `J = u xᵀ` with `u ≠ 0`, `x ≠ 0`, the point `x` maximises the
Rayleigh quotient `‖J w‖² / ‖w‖²` of `JᵀJ` (`‖J w‖² ‖x‖² ≤ ‖J x‖² ‖w‖²` for every `w`), and the
maximisers are exactly the multiples `w = (w·x / ‖x‖²) x` of `x`; so the top right singular vector
is `v₁ = ± x / ‖x‖` and `NA(x) = |cos(v₁, x)| = 1`. -/
theorem aligned_top_singular {m n : Nat} (u : Fin m → α) (x : Fin n → α) (hu : ∃ i, u i ≠ 0)
    (hx : norm2 x ≠ 0) (w : Fin n → α) :
    norm2 (matVec (outer u x) w) * norm2 x ≤ norm2 (matVec (outer u x) x) * norm2 w ∧
    (norm2 (matVec (outer u x) w) * norm2 x = norm2 (matVec (outer u x) x) * norm2 w ↔
      w = fun j => dot w x / norm2 x * x j) := by
  rw [matVec_outer, matVec_outer, norm2_mul_const, norm2_mul_const, dot_comm x w]
  have e : dot x x = norm2 x := rfl
  rw [e]
  have hU := (norm2_ne_zero_iff u).2 hu
  have hU0 := norm2_nonneg u
  have hA0 := norm2_nonneg x
  have hcs := cauchy_schwarz w x
  have hUA : 0 ≤ norm2 u * norm2 x := Lean.Grind.OrderedRing.mul_nonneg hU0 hA0
  have hUA0 : norm2 u * norm2 x ≠ 0 := fun h => hx (mul_eq_zero_right hU h)
  refine ⟨?_, ?_⟩
  · have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hcs hUA
    grind
  · rw [← cauchy_schwarz_eq_iff w x hx]
    constructor
    · intro h
      have h2 : (norm2 u * norm2 x) * (dot w x * dot w x - norm2 w * norm2 x) = 0 := by grind
      have := mul_eq_zero_right hUA0 h2
      grind
    · intro h; rw [h]; grind

/-- [D1] PC1 and the effective rank are `1` under alignment: for `J = u xᵀ`, `JᵀJ = (‖u‖² x) xᵀ` has
rank one and `‖JᵀJ‖_F² = (‖J‖_F²)²`, i.e. `Σ sᵢ⁴ = (Σ sᵢ²)²` over the singular values: at most one
of them is non-zero (exactly one when `u ≠ 0`, `x ≠ 0`), so `PC1 = s₁² / Σ sᵢ² = 1` and
`(Σ sᵢ)² / Σ sᵢ² = 1`. -/
theorem aligned_gram {m n : Nat} (u : Fin m → α) (x : Fin n → α) :
    gram (outer u x) = outer (fun j => norm2 u * x j) x ∧
    frob (gram (outer u x)) = frob (outer u x) * frob (outer u x) := by
  have hg : gram (outer u x) = outer (fun j => norm2 u * x j) x := by
    rw [gram_outer]; funext j l; unfold outer; grind
  refine ⟨hg, ?_⟩
  rw [hg, frob_outer, frob_outer, norm2_smul]; grind

end NormAlign
