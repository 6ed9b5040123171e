module

public import NormAlign.PowerDiagram

/-!
# P2: homogeneous networks

Bias-free ReLU networks, modelled as a list of weight matrices (`Net`: hidden ReLU layers, then a
linear read-out), are positively 1-homogeneous: `f(t x) = t f(x)` for `t ≥ 0`. An affine piece
`(J, b)` that agrees with a homogeneous `f` at `x` and `t x` (`t ≠ 1`, both in the region) has `b = 0`
and `J x = f(x)`, so `⟨μ_x, x⟩ = 1ᵀ f(x)`. On the region of `x` (same pattern at every layer, a cone
containing every `t x`, `t > 0`) the network is the linear map `J_x` built from `x`'s patterns, so
`f(x) = J_x x` and `b_x = 0` (Euler). For a scalar model fitting `y = ±1`, `y CA(x) = 1/(‖∇f‖ ‖x‖)`
(squared form). One hidden layer of squares, `f(x) = V (W x)²`, has derivative `J_x = V diag(2 W x) W`
(exact expansion `f(x + δ) = f(x) + J_x δ + f(δ)`), `J_x x = 2 f(x)` and `b_x = -f(x)`. Paper: arXiv
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

/-- The activation pattern of a bias-free layer at `x`: `q_k = [0 ≤ w_k·x]`. -/
def pat {k n : Nat} (W : Fin k → Fin n → α) (x : Fin n → α) : Fin k → Bool :=
  fun i => decide (0 ≤ matVec W x i)

theorem relu_matVec_on_cell {k n : Nat} (W : Fin k → Fin n → α) (q : Fin k → Bool)
    (x : Fin n → α) (hq : pat W x = q) :
    (fun i => relu (matVec W x i)) = matVec (layerJac W q) x := by
  funext i
  rw [relu_eq_ind_mul]
  have e1 : matVec (layerJac W q) x i = ind q i * dot (W i) x := dot_smul_left _ _ _
  have e2 : (if decide (0 ≤ matVec W x i) then (1 : α) else 0) = ind q i := by
    rw [← hq]; rfl
  rw [e1, e2]; rfl

namespace Net

/-- `x'` lies in the region of `x`: the same pattern at every hidden layer. -/
def SameRegion : {n m : Nat} → Net α n m → (Fin n → α) → (Fin n → α) → Prop
  | _, _, .last _, _, _ => True
  | _, _, .cons W N, x, x' =>
    pat W x' = pat W x ∧ N.SameRegion (fun i => relu (matVec W x i)) (fun i => relu (matVec W x' i))

/-- The linear map of `x`'s region: `W_L diag(q_{L-1}) W_{L-1} ⋯ diag(q_1) W_1` with `x`'s patterns. -/
def jac : {n m : Nat} → Net α n m → (Fin n → α) → Fin m → Fin n → α
  | _, _, .last W, _ => W
  | _, _, .cons W N, x => matMul (N.jac (fun i => relu (matVec W x i))) (layerJac W (pat W x))

theorem sameRegion_refl {n m : Nat} (N : Net α n m) : ∀ x, N.SameRegion x x := by
  induction N with
  | last W => intro x; trivial
  | cons W N ih => intro x; exact ⟨rfl, ih _⟩

/-- [P2] A bias-free ReLU network is linear on each region: for every `x'` in the region of `x`,
`f(x') = J_x x'` (the offset `b_x` of the region's affine map is `0`). -/
theorem eval_on_region {n m : Nat} (N : Net α n m) :
    ∀ x x', N.SameRegion x x' → N.eval x' = matVec (N.jac x) x' := by
  induction N with
  | last W => intro x x' _; rfl
  | cons W N ih =>
    intro x x' h
    obtain ⟨hq, hN⟩ := h
    show N.eval (fun i => relu (matVec W x' i)) =
      matVec (matMul (N.jac (fun i => relu (matVec W x i))) (layerJac W (pat W x))) x'
    rw [ih _ _ hN, matVec_matMul, relu_matVec_on_cell W (pat W x) x' hq]

theorem decide_nonneg_mul {t a : α} (ht : 0 < t) : decide (0 ≤ t * a) = decide (0 ≤ a) := by
  by_cases h : 0 ≤ a
  · have := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt ht) h
    simp [h, this]
  · have h1 : 0 < -a := by grind
    have := Lean.Grind.OrderedRing.mul_pos ht h1
    have h2 : ¬ (0 ≤ t * a) := by grind
    simp [h, h2]

/-- [P2] The region of `x` is a cone: `t x` lies in it for every `t > 0`, and `f(t x) = t f(x)`; so
`J_x` is the Jacobian of `f` along the whole ray through `x`. -/
theorem sameRegion_smul {n m : Nat} (N : Net α n m) (t : α) (ht : 0 < t) :
    ∀ x, N.SameRegion x (fun j => t * x j) := by
  induction N with
  | last W => intro x; trivial
  | cons W N ih =>
    intro x
    refine ⟨?_, ?_⟩
    · funext i; unfold pat; rw [matVec_smul]; exact decide_nonneg_mul ht
    · have e : (fun i => relu (matVec W (fun j => t * x j) i)) =
          fun i => t * relu (matVec W x i) := by
        rw [matVec_smul]; funext i; exact relu_smul t _ (Std.le_of_lt ht)
      rw [e]; exact ih _

/-- [P2] Euler's identity for bias-free ReLU networks: `f(x) = J_x x`, so the offset
`b_x = f(x) - J_x x` is `0`, and `⟨μ_x, x⟩ = 1ᵀ f(x)` for the centroid `μ_x = J_xᵀ 1`. -/
theorem euler {n m : Nat} (N : Net α n m) (x : Fin n → α) :
    N.eval x = matVec (N.jac x) x ∧
    (fun i => N.eval x i - matVec (N.jac x) x i) = (fun _ => 0) ∧
    dot (centroid (N.jac x)) x = vsum (N.eval x) := by
  have h := N.eval_on_region x x (N.sameRegion_refl x)
  refine ⟨h, ?_, ?_⟩
  · funext i; rw [h]; grind
  · rw [dot_centroid, h]

end Net

theorem centroid_fin_one {n : Nat} (J : Fin 1 → Fin n → α) : centroid J = J 0 := by
  funext j; rw [centroid_apply, vsum_succ, vsum_zero]; grind

/-- [P2] A scalar model that fits `y = ±1` (`y² = 1`) at `x ≠ 0` with `J_x x = y` (the homogeneous
case `J_x x = f(x)`), with gradient `μ_x = J_xᵀ1` (the single row of `J_x`): `y (μ·x) = 1`, so
`y CA(x) = y (μ·x)/(‖μ‖ ‖x‖) = 1/(‖∇f‖ ‖x‖)`, in squared form `CA² = 1/(‖J‖_F² ‖x‖²)`; by L1
`‖J‖_F² ≥ 1/‖x‖²`, and `CA² = 1` exactly at that minimum. -/
theorem scalar_fit_alignment {n : Nat} (J : Fin 1 → Fin n → α) (x : Fin n → α) (y : α)
    (hx : norm2 x ≠ 0) (hfit : matVec J x 0 = y) (hy : y * y = 1) :
    y * dot (centroid J) x = 1 ∧
    norm2 (centroid J) = frob J ∧
    dot (centroid J) x * dot (centroid J) x / (norm2 (centroid J) * norm2 x) =
      1 / (frob J * norm2 x) ∧
    1 / norm2 x ≤ frob J ∧
    (dot (centroid J) x * dot (centroid J) x / (norm2 (centroid J) * norm2 x) = 1 ↔
      frob J = 1 / norm2 x) := by
  have hc := centroid_fin_one J
  have hF : frob J = norm2 (J 0) := by
    unfold frob; rw [vsum_succ, vsum_zero]; grind
  have hd : dot (centroid J) x = y := by rw [hc]; exact hfit
  have hA := norm2_pos_of_ne hx
  have hcs := cauchy_schwarz (J 0) x
  have hd1 : dot (J 0) x * dot (J 0) x = 1 := by rw [← hc, hd]; exact hy
  have hG : norm2 (J 0) * norm2 x ≠ 0 := by intro h; rw [h] at hcs; grind
  have hG0 : norm2 (J 0) ≠ 0 := by intro h; apply hG; rw [h]; grind
  rw [hc] at hd ⊢
  rw [hF, hd1]
  refine ⟨by rw [hd]; exact hy, rfl, rfl, ?_, ?_⟩
  · exact (div_le_iff_of_pos hA).2 (by grind)
  · have e1 := div_mul_cancel' (a := (1 : α)) hG
    have e2 := div_mul_cancel' (a := (1 : α)) hx
    have hi : norm2 x * (norm2 x)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hx
    have hd2 := Lean.Grind.Field.div_eq_mul_inv (1 : α) (norm2 x)
    constructor
    · intro h
      rw [h] at e1
      have : norm2 (J 0) = norm2 (J 0) * (norm2 x * (norm2 x)⁻¹) := by rw [hi]; grind
      grind
    · intro h
      have h3 : norm2 (J 0) * norm2 x = 1 := by rw [h]; exact e2
      rw [h3]; have := div_mul_cancel' (a := (1 : α)) (c := (1 : α)) (by grind); grind

/-- One hidden layer of squares, no bias: `f(x)_i = Σ_k V_ik (w_k·x)²`. -/
def quadNet {m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) :
    Fin m → α :=
  fun i => vsum (fun k => V i k * (dot (W k) x * dot (W k) x))

/-- Its Jacobian `J_x = V diag(2 W x) W`. -/
def quadJac {m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) :
    Fin m → Fin n → α :=
  fun i j => vsum (fun k => V i k * (2 * dot (W k) x) * W k j)

theorem matVec_quadJac {m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α)
    (x δ : Fin n → α) (i : Fin m) :
    matVec (quadJac V W x) δ i = vsum (fun k => V i k * (2 * dot (W k) x) * dot (W k) δ) := by
  show vsum (fun j => vsum (fun k => V i k * (2 * dot (W k) x) * W k j) * δ j) = _
  rw [vsum_congr (fun j => (vsum_mul_right (δ j) _).symm), vsum_comm]
  refine vsum_congr (fun k => ?_)
  show vsum (fun j => V i k * (2 * dot (W k) x) * W k j * δ j) =
    V i k * (2 * dot (W k) x) * vsum (fun j => W k j * δ j)
  rw [← vsum_mul_left]; exact vsum_congr (fun j => by grind)

/-- [P2] `J_x = V diag(2 W x) W` is the derivative of the quadratic network: exactly
`f(x + δ) = f(x) + J_x δ + f(δ)`, and the remainder `f(δ)` is 2-homogeneous, `f(t δ) = t² f(δ)`
(so it is `o(‖δ‖)`). -/
theorem quadNet_expansion {m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α)
    (x δ : Fin n → α) :
    quadNet V W (fun j => x j + δ j) =
      (fun i => quadNet V W x i + matVec (quadJac V W x) δ i + quadNet V W δ i) ∧
    ∀ t, quadNet V W (fun j => t * δ j) = fun i => t * t * quadNet V W δ i := by
  refine ⟨?_, fun t => ?_⟩
  · funext i
    rw [matVec_quadJac]
    unfold quadNet
    rw [← vsum_add, ← vsum_add]
    refine vsum_congr (fun k => ?_)
    have e : dot (W k) (fun j => x j + δ j) = dot (W k) x + dot (W k) δ := by
      rw [dot_comm, dot_add_left, dot_comm x, dot_comm δ]
    rw [e]; grind
  · funext i; unfold quadNet; rw [← vsum_mul_left]
    exact vsum_congr (fun k => by rw [dot_smul_right]; grind)

/-- [P2] Euler's identities for the bias-free quadratic network: `J_x x = 2 f(x)`, so the offset
`b_x = f(x) - J_x x` is `-f(x)`. -/
theorem quadNet_euler {m K n : Nat} (V : Fin m → Fin K → α) (W : Fin K → Fin n → α)
    (x : Fin n → α) :
    matVec (quadJac V W x) x = (fun i => 2 * quadNet V W x i) ∧
    (fun i => quadNet V W x i - matVec (quadJac V W x) x i) = fun i => -quadNet V W x i := by
  have h : matVec (quadJac V W x) x = (fun i => 2 * quadNet V W x i) := by
    funext i; rw [matVec_quadJac]; unfold quadNet; rw [← vsum_mul_left]
    exact vsum_congr (fun k => by grind)
  refine ⟨h, ?_⟩
  rw [h]; funext i; grind

end NormAlign
