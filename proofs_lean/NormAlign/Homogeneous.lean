module

public import NormAlign.Basic

/-!
# P2: homogeneous networks

Bias-free ReLU networks, modelled as a list of weight matrices (`Net`: hidden ReLU layers, then a
linear read-out), are positively 1-homogeneous: `f(t x) = t f(x)` for `t ≥ 0`. An affine piece
`(J, b)` that agrees with a homogeneous `f` at `x` and `t x` (`t ≠ 1`, both in the region) has `b = 0`
and `J x = f(x)`, so `⟨μ_x, x⟩ = 1ᵀ f(x)`. One hidden layer of squares is 2-homogeneous. Paper: arXiv
2605.08464 (registry ID P2).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]
  [DecidableLE α]

/-- A bias-free ReLU network `R^n → R^m` as a list of weight matrices. -/
inductive Net (α : Type u) : Nat → Nat → Type u
  | last {n m : Nat} : (Fin m → Fin n → α) → Net α n m
  | cons {n k m : Nat} : (Fin k → Fin n → α) → Net α k m → Net α n m

/-- Evaluation: `relu` after every layer but the last. -/
def Net.eval : {n m : Nat} → Net α n m → (Fin n → α) → Fin m → α
  | _, _, .last W, x => matVec W x
  | _, _, .cons W N, x => N.eval (fun i => relu (matVec W x i))

theorem relu_smul (t a : α) (ht : 0 ≤ t) : relu (t * a) = t * relu a := by
  unfold relu
  by_cases h : 0 ≤ a
  · have h1 := Lean.Grind.OrderedRing.mul_nonneg ht h
    simp [h, h1]
  · have h2 : a ≤ 0 := by grind
    have h3 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h2 ht
    by_cases h1 : 0 ≤ t * a <;> simp [h, h1] <;> grind

theorem matVec_smul {m n : Nat} (W : Fin m → Fin n → α) (t : α) (x : Fin n → α) :
    matVec W (fun j => t * x j) = fun i => t * matVec W x i := by
  funext i; exact dot_smul_right t (W i) x

/-- [P2] Bias-free ReLU networks are positively homogeneous: `f(t x) = t f(x)` for `t ≥ 0`. -/
theorem Net.eval_smul {n m : Nat} (N : Net α n m) (t : α) (ht : 0 ≤ t) :
    ∀ x : Fin n → α, N.eval (fun j => t * x j) = fun i => t * N.eval x i := by
  induction N with
  | last W => intro x; exact matVec_smul W t x
  | cons W N ih =>
    intro x
    simp only [Net.eval]
    rw [matVec_smul]
    have : (fun i => relu (t * matVec W x i)) = fun i => t * relu (matVec W x i) :=
      funext fun i => relu_smul t _ ht
    rw [this, ih]

/-- [P2] If the affine piece `(J, b)` of a positively homogeneous `f` holds at `x` and at `t x`
(`t ≠ 1`), then `b = 0` and `J x = f(x)` (Euler's identity for a CPA network's region). -/
theorem offset_zero_of_homogeneous {m n : Nat} (J : Fin m → Fin n → α) (b fx ftx : Fin m → α)
    (x : Fin n → α) (t : α) (ht : t ≠ 1) (h1 : ∀ i, fx i = matVec J x i + b i)
    (h2 : ∀ i, ftx i = matVec J (fun j => t * x j) i + b i) (h3 : ∀ i, ftx i = t * fx i) :
    (∀ i, b i = 0) ∧ ∀ i, matVec J x i = fx i := by
  have hb : ∀ i, b i = 0 := by
    intro i
    have e := congrFun (matVec_smul J t x) i
    have a1 := h1 i; have a2 := h2 i; have a3 := h3 i
    rw [e] at a2
    have h4 : (t - 1) * b i = 0 := by grind
    have h5 : t - 1 ≠ 0 := by grind
    have hi : (t - 1) * (t - 1)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel h5
    have : b i = (t - 1)⁻¹ * ((t - 1) * b i) := by grind
    rw [this, h4]; grind
  exact ⟨hb, fun i => by have := h1 i; have := hb i; grind⟩

/-- [P2] A bias-free layer of squares `f(x) = Σ_k a_k (w_k·x)²` is 2-homogeneous: `f(t x) = t² f(x)`. -/
theorem quadratic_homogeneous {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α)
    (t : α) :
    vsum (fun k => a k * (dot (W k) (fun j => t * x j) * dot (W k) (fun j => t * x j))) =
      t * t * vsum (fun k => a k * (dot (W k) x * dot (W k) x)) := by
  rw [← vsum_mul_left]
  exact vsum_congr (fun k => by rw [dot_smul_right]; grind)

end NormAlign
