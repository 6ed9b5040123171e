module

public import NormAlign.Basic

/-!
# R1: the AGOP of a normal-aligned predictor

RFM's update is the average gradient outer product `AGOP = (1/N) Σ_p J_pᵀ J_p`. If every `J_p = u_p x_pᵀ`,
then `AGOP = (1/N) Σ_p ‖u_p‖² x_p x_pᵀ`, a weighted second moment of the data. Paper: arXiv
2605.08464 (registry ID R1).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-- `Jᵀ J`. -/
def gram {m n : Nat} (J : Fin m → Fin n → α) : Fin n → Fin n → α :=
  fun j l => vsum (fun r => J r j * J r l)

/-- `AGOP = (1/N) Σ_p J_pᵀ J_p` (`N` written as `Σ_p 1`). -/
def agop {N m n : Nat} (Js : Fin N → Fin m → Fin n → α) : Fin n → Fin n → α :=
  fun j l => vsum (fun p => gram (Js p) j l) / vsum (ones N : Fin N → α)

/-- [R1] `(u xᵀ)ᵀ (u xᵀ) = ‖u‖² x xᵀ`. -/
theorem gram_outer {m n : Nat} (u : Fin m → α) (x : Fin n → α) :
    gram (outer u x) = fun j l => norm2 u * (x j * x l) := by
  funext j l; unfold gram outer norm2 dot; rw [← vsum_mul_right]
  exact vsum_congr (fun r => by grind)

/-- [R1] For a normal-aligned predictor (`J_p = u_p x_pᵀ`), `AGOP = (1/N) Σ_p ‖u_p‖² x_p x_pᵀ`. -/
theorem agop_aligned {N m n : Nat} (Js : Fin N → Fin m → Fin n → α) (u : Fin N → Fin m → α)
    (x : Fin N → Fin n → α) (h : ∀ p, Js p = outer (u p) (x p)) :
    agop Js = fun j l => vsum (fun p => norm2 (u p) * (x p j * x p l)) / vsum (ones N : Fin N → α) := by
  funext j l; unfold agop
  rw [vsum_congr (fun p => by rw [h p, gram_outer])]

end NormAlign
