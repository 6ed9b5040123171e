module

public import NormAlign.Centroid

/-!
# P3, P4: one gradient step of the centroid, and the first layer under gradient descent

**P3.** A one-hidden-layer bias-free network with scalar output, `f(x) = Σ_k a_k relu(W_k·x)`, is on
the activation region of `x` (pattern `q`) the bilinear function `Σ_k a_k q_k (W_k·x)` of the
parameters `(a, W)`; its input Jacobian there is the row `J = Σ_k a_k q_k W_k`, so the centroid is
`μ_x = Jᵀ1 = J` and `⟨μ_x, x⟩ = f(x)` (P2). Moving the parameters by `t (Δa, ΔW)` changes the region
function by exactly `t ⟨∇_θ f(x), (Δa, ΔW)⟩ + t² f_{Δa,ΔW}(x)` (`twoLayer_expand`: the gradient is the
linear coefficient of a polynomial of degree two). One full-batch gradient step with rate `η` on a loss
of the outputs whose negative derivative at the point `x_i` is `r_i` (for binary cross-entropy on
`{0,1}` labels, `r_i = y_i - sigmoid(f(x_i))`) moves the parameters by `η mean_i r_i ∇_θ f(x_i)`, so,
while `x₀` keeps its activation pattern, the change of `⟨μ_x₀, x₀⟩` is exactly
`η mean_i Θ(x₀, x_i) r_i + η² R` with the empirical NTK `Θ` and an explicit `R`.

**P4.** Gradient descent with weight decay `λ` on a first linear layer whose loss gradient is
`Σ_i δ_i x_iᵀ` keeps `W₁(t) = (1 - ηλ)^t W₁(0) + G(t) X` (rows of `X` are the training points), so
every Jacobian `J_x = M W₁(t)` is `(1 - ηλ)^t M W₁(0)` plus rows in `span{x_i}`.

Paper: arXiv 2605.08464; GrokAlign arXiv 2506.12284 (registry IDs P3, P4).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]

/-! ## Sums -/

/-- The mean `(1/N) Σ_i f_i` (`N` written as `Σ_i 1`). -/
def meanOf {N : Nat} (f : Fin N → α) : α := vsum f / vsum (ones N : Fin N → α)

/-- Frobenius inner product `⟨A, B⟩ = Σ_k A_k · B_k`. -/
def mdot {K n : Nat} (A B : Fin K → Fin n → α) : α := vsum (fun k => dot (A k) (B k))

theorem vsum_div_const {n : Nat} (f : Fin n → α) (D : α) :
    vsum (fun i => f i / D) = vsum f / D := by
  rw [Lean.Grind.Field.div_eq_mul_inv (vsum f) D, ← vsum_mul_right]
  exact vsum_congr (fun i => Lean.Grind.Field.div_eq_mul_inv (f i) D)

theorem dot_meanOf {K N : Nat} (g : Fin K → α) (f : Fin N → Fin K → α) :
    dot g (fun k => meanOf (fun i => f i k)) = meanOf (fun i => dot g (f i)) := by
  unfold meanOf dot
  have h1 : ∀ k, g k * (vsum (fun i => f i k) / vsum (ones N : Fin N → α)) =
      vsum (fun i => g k * f i k) / vsum (ones N : Fin N → α) := by
    intro k; rw [vsum_mul_left]
    rw [Lean.Grind.Field.div_eq_mul_inv, Lean.Grind.Field.div_eq_mul_inv]; grind
  rw [vsum_congr h1, vsum_div_const, vsum_comm]

theorem mdot_meanOf {K n N : Nat} (G : Fin K → Fin n → α) (f : Fin N → Fin K → Fin n → α) :
    mdot G (fun k j => meanOf (fun i => f i k j)) = meanOf (fun i => mdot G (f i)) := by
  have h1 : ∀ k, dot (G k) (fun j => meanOf (fun i => f i k j)) =
      vsum (fun i => dot (G k) (f i k)) / vsum (ones N : Fin N → α) :=
    fun k => dot_meanOf (G k) (fun i => f i k)
  unfold mdot
  rw [vsum_congr h1, vsum_div_const, vsum_comm]
  rfl

theorem meanOf_add {N : Nat} (f g : Fin N → α) :
    meanOf f + meanOf g = meanOf (fun i => f i + g i) := by
  unfold meanOf; rw [vsum_add, Lean.Grind.Field.div_eq_mul_inv, Lean.Grind.Field.div_eq_mul_inv,
    Lean.Grind.Field.div_eq_mul_inv]; grind

theorem vsum_quad {n : Nat} (A B C : Fin n → α) (t : α) :
    vsum (fun k => A k + t * B k + t * t * C k) = vsum A + t * vsum B + t * t * vsum C := by
  rw [vsum_add, vsum_add, vsum_mul_left, vsum_mul_left]

/-! ## P3: the two-layer network on one activation region -/

/-- The region function of a one-hidden-layer bias-free network with output weights `a`, first layer
`W` and fixed activation pattern `q` (`q_k ∈ {0, 1}` for ReLU): `f(x) = Σ_k a_k q_k (W_k·x)`. -/
def twoLayer {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) : α :=
  vsum (fun k => a k * (q k * dot (W k) x))

/-- Its input Jacobian on the region, a `1 × n` matrix: the row `Σ_k a_k q_k W_k`. -/
def twoLayerJac {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) :
    Fin 1 → Fin n → α :=
  fun _ j => vsum (fun k => a k * (q k * W k j))

/-- Parameter gradient in `a`: `∂f/∂a_k = q_k (W_k·x)`. -/
def gradA {K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α) : Fin K → α :=
  fun k => q k * dot (W k) x

/-- Parameter gradient in `W`: `∂f/∂W_kj = a_k q_k x_j`. -/
def gradW {K n : Nat} (a : Fin K → α) (q : Fin K → α) (x : Fin n → α) : Fin K → Fin n → α :=
  fun k j => a k * (q k * x j)

/-- The empirical NTK `Θ(x, x') = ⟨∇_θ f(x), ∇_θ f(x')⟩` over all parameters `θ = (a, W)`, with the
activation patterns `q` of `x` and `q'` of `x'`. -/
def ntk2 {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (q : Fin K → α) (x : Fin n → α)
    (q' : Fin K → α) (x' : Fin n → α) : α :=
  dot (gradA W q x) (gradA W q' x') + mdot (gradW a q x) (gradW a q' x')

/-- Gradient-step direction for `a`: `mean_i r_i ∂_a f(x_i)` (`r_i` = minus the loss derivative in
the output at `x_i`, e.g. `y_i - sigmoid(f(x_i))` for binary cross-entropy). -/
def stepA {K n N : Nat} (W : Fin K → Fin n → α) (qs : Fin N → Fin K → α) (xs : Fin N → Fin n → α)
    (r : Fin N → α) : Fin K → α :=
  fun k => meanOf (fun i => r i * gradA W (qs i) (xs i) k)

/-- Gradient-step direction for `W`: `mean_i r_i ∂_W f(x_i)`. -/
def stepW {K n N : Nat} (a : Fin K → α) (qs : Fin N → Fin K → α) (xs : Fin N → Fin n → α)
    (r : Fin N → α) : Fin K → Fin n → α :=
  fun k j => meanOf (fun i => r i * gradW a (qs i) (xs i) k j)

/-- [P3] On a region, `⟨μ_x, x⟩ = f(x)`: the centroid of the Jacobian row paired with `x` is the
network's output (bias-free, scalar output). -/
theorem dot_centroid_twoLayerJac {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α)
    (q : Fin K → α) (x : Fin n → α) :
    dot (centroid (twoLayerJac a W q)) x = twoLayer a W q x := by
  rw [dot_centroid]
  have e1 : twoLayerJac a W q 0 = vecMat (fun k => a k * q k) W := by
    funext j; unfold twoLayerJac vecMat; exact vsum_congr (fun k => by grind)
  have e2 : vsum (matVec (twoLayerJac a W q) x) = dot (twoLayerJac a W q 0) x := by
    rw [vsum_succ, vsum_zero]; unfold matVec; grind
  rw [e2, e1, ← dot_matVec]
  unfold dot twoLayer matVec
  exact vsum_congr (fun k => by grind)

/-- [P3] The gradient as the linear coefficient: moving `(a, W)` by `t (Δa, ΔW)` changes the region
function by exactly `t ⟨∇_θ f(x), (Δa, ΔW)⟩ + t² Σ_k Δa_k q_k (ΔW_k·x)`. -/
theorem twoLayer_expand {K n : Nat} (a Da : Fin K → α) (W DW : Fin K → Fin n → α) (q : Fin K → α)
    (x : Fin n → α) (t : α) :
    twoLayer (fun k => a k + t * Da k) (fun k j => W k j + t * DW k j) q x =
      twoLayer a W q x + t * (dot (gradA W q x) Da + mdot (gradW a q x) DW) +
        t * t * twoLayer Da DW q x := by
  have hterm : ∀ k, (a k + t * Da k) * (q k * dot (fun j => W k j + t * DW k j) x) =
      a k * (q k * dot (W k) x) + t * (gradA W q x k * Da k + dot (gradW a q x k) (DW k)) +
        t * t * (Da k * (q k * dot (DW k) x)) := by
    intro k
    have e1 : dot (fun j => W k j + t * DW k j) x = dot (W k) x + t * dot (DW k) x := by
      rw [dot_add_left, dot_smul_left]
    have e2 : dot (gradW a q x k) (DW k) = a k * q k * dot (DW k) x := by
      have : gradW a q x k = fun j => (a k * q k) * x j := funext fun j => by unfold gradW; grind
      rw [this, dot_smul_left, dot_comm]
    have e3 : gradA W q x k = q k * dot (W k) x := rfl
    rw [e1, e2, e3]; grind
  calc twoLayer (fun k => a k + t * Da k) (fun k j => W k j + t * DW k j) q x
      = vsum (fun k => a k * (q k * dot (W k) x) +
          t * (gradA W q x k * Da k + dot (gradW a q x k) (DW k)) +
          t * t * (Da k * (q k * dot (DW k) x))) := vsum_congr hterm
    _ = twoLayer a W q x + t * vsum (fun k => gradA W q x k * Da k + dot (gradW a q x k) (DW k)) +
          t * t * twoLayer Da DW q x := vsum_quad _ _ _ t
    _ = _ := by rw [vsum_add]; rfl

/-- [P3] One gradient step on a fixed activation pattern: with `Δa = mean_i r_i ∂_a f(x_i)`,
`ΔW = mean_i r_i ∂_W f(x_i)` (patterns `qs i` of the training points `xs i`) and `x₀` keeping its
pattern `q₀`, the change of `⟨μ_x₀, x₀⟩` is exactly `η mean_i Θ(x₀, x_i) r_i + η² Σ_k Δa_k q₀_k (ΔW_k·x₀)`. -/
theorem centroid_step {K n N : Nat} (a : Fin K → α) (W : Fin K → Fin n → α)
    (qs : Fin N → Fin K → α) (xs : Fin N → Fin n → α) (r : Fin N → α) (η : α)
    (q0 : Fin K → α) (x0 : Fin n → α) :
    dot (centroid (twoLayerJac (fun k => a k + η * stepA W qs xs r k)
        (fun k j => W k j + η * stepW a qs xs r k j) q0)) x0 =
      dot (centroid (twoLayerJac a W q0)) x0 +
        η * meanOf (fun i => ntk2 a W q0 x0 (qs i) (xs i) * r i) +
        η * η * twoLayer (stepA W qs xs r) (stepW a qs xs r) q0 x0 := by
  rw [dot_centroid_twoLayerJac, dot_centroid_twoLayerJac, twoLayer_expand]
  have hA : dot (gradA W q0 x0) (stepA W qs xs r) =
      meanOf (fun i => r i * dot (gradA W q0 x0) (gradA W (qs i) (xs i))) := by
    have := dot_meanOf (gradA W q0 x0) (fun i k => r i * gradA W (qs i) (xs i) k)
    rw [show (fun k => meanOf (fun i => r i * gradA W (qs i) (xs i) k)) = stepA W qs xs r from rfl]
      at this
    rw [this]; unfold meanOf
    rw [vsum_congr (fun i => dot_smul_right (r i) (gradA W q0 x0) (gradA W (qs i) (xs i)))]
  have hW : mdot (gradW a q0 x0) (stepW a qs xs r) =
      meanOf (fun i => r i * mdot (gradW a q0 x0) (gradW a (qs i) (xs i))) := by
    have := mdot_meanOf (gradW a q0 x0) (fun i k j => r i * gradW a (qs i) (xs i) k j)
    rw [show (fun k j => meanOf (fun i => r i * gradW a (qs i) (xs i) k j)) = stepW a qs xs r
      from rfl] at this
    rw [this]; unfold meanOf
    have hsm : ∀ i, mdot (gradW a q0 x0) (fun k j => r i * gradW a (qs i) (xs i) k j) =
        r i * mdot (gradW a q0 x0) (gradW a (qs i) (xs i)) := by
      intro i; unfold mdot; rw [← vsum_mul_left]
      exact vsum_congr (fun k => dot_smul_right (r i) _ _)
    rw [vsum_congr hsm]
  rw [hA, hW, meanOf_add]
  have hN : (fun i => r i * dot (gradA W q0 x0) (gradA W (qs i) (xs i)) +
      r i * mdot (gradW a q0 x0) (gradW a (qs i) (xs i))) =
      fun i => ntk2 a W q0 x0 (qs i) (xs i) * r i := by
    funext i; unfold ntk2; grind
  rw [hN]

/-! ## P3 for the ReLU network itself -/

/-- The activation pattern of `x` as `0/1` gates: `q_k = 1` iff `W_k·x ≥ 0`. -/
def gate {K n : Nat} (W : Fin K → Fin n → α) (x : Fin n → α) : Fin K → α :=
  fun k => if 0 ≤ dot (W k) x then 1 else 0

/-- The one-hidden-layer bias-free ReLU network `f(x) = Σ_k a_k relu(W_k·x)`. -/
def reluNet2 {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α) : α :=
  vsum (fun k => a k * relu (dot (W k) x))

theorem relu_eq_gate_mul (b : α) : relu b = (if 0 ≤ b then 1 else 0) * b := by
  unfold relu; by_cases h : 0 ≤ b <;> simp [h] <;> grind

/-- [P3] The ReLU network on the region of `x`: at every `x'` with the pattern of `x`,
`f(x') = twoLayer a W q_x x' = ⟨μ_x, x'⟩` with `μ_x` the centroid of `x`'s Jacobian row. -/
theorem reluNet2_on_region {K n : Nat} (a : Fin K → α) (W : Fin K → Fin n → α) (x x' : Fin n → α)
    (h : gate W x' = gate W x) :
    reluNet2 a W x' = twoLayer a W (gate W x) x' ∧
      reluNet2 a W x' = dot (centroid (twoLayerJac a W (gate W x))) x' := by
  have e : reluNet2 a W x' = twoLayer a W (gate W x) x' := by
    rw [← h]; unfold reluNet2 twoLayer gate
    exact vsum_congr (fun k => by rw [relu_eq_gate_mul])
  exact ⟨e, by rw [e, dot_centroid_twoLayerJac]⟩

/-- [P3] P3 for the ReLU network: one full-batch gradient step with rate `η` (residuals `r_i`, the
patterns of the training points taken before the step) on `f(x) = Σ_k a_k relu(W_k·x)`; if `x₀`
keeps its activation pattern, the centroid term `⟨μ_x₀, x₀⟩ = f(x₀)` changes by exactly
`η mean_i Θ(x₀, x_i) r_i + η² R`, `R = Σ_k Δa_k q₀_k (ΔW_k·x₀)`. -/
theorem centroid_step_relu {K n N : Nat} (a : Fin K → α) (W : Fin K → Fin n → α)
    (xs : Fin N → Fin n → α) (r : Fin N → α) (η : α) (x0 : Fin n → α)
    (hsame : gate (fun k j => W k j + η * stepW a (fun i => gate W (xs i)) xs r k j) x0 =
      gate W x0) :
    reluNet2 (fun k => a k + η * stepA W (fun i => gate W (xs i)) xs r k)
        (fun k j => W k j + η * stepW a (fun i => gate W (xs i)) xs r k j) x0 =
      reluNet2 a W x0 +
        η * meanOf (fun i => ntk2 a W (gate W x0) x0 (gate W (xs i)) (xs i) * r i) +
        η * η * twoLayer (stepA W (fun i => gate W (xs i)) xs r)
          (stepW a (fun i => gate W (xs i)) xs r) (gate W x0) x0 := by
  rw [(reluNet2_on_region _ _ x0 x0 rfl).2, hsame, (reluNet2_on_region a W x0 x0 rfl).2]
  exact centroid_step a W (fun i => gate W (xs i)) xs r η (gate W x0) x0

/-! ## P4: the first layer under gradient descent with weight decay -/

/-- Gradient descent with weight decay `λ` on a first layer whose loss gradient at step `t` is
`Σ_i δ_t,i x_iᵀ` (`δ t k i`: the back-propagated signal of hidden unit `k` at point `i`; rows of `X`
are the points): `W(t+1) = (1 - ηλ) W(t) - η Σ_i δ_t,i x_iᵀ`. -/
def gdFirstLayer {K n N : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α)
    (δ : Nat → Fin K → Fin N → α) : Nat → Fin K → Fin n → α
  | 0 => W0
  | t + 1 => fun k j => (1 - η * lam) * gdFirstLayer η lam X W0 δ t k j -
      η * vsum (fun i => δ t k i * X i j)

/-- The coefficients `G(t)`: `G(0) = 0`, `G(t+1) = (1 - ηλ) G(t) - η δ_t`. -/
def gdCoeff {K N : Nat} (η lam : α) (δ : Nat → Fin K → Fin N → α) : Nat → Fin K → Fin N → α
  | 0 => fun _ _ => 0
  | t + 1 => fun k i => (1 - η * lam) * gdCoeff η lam δ t k i - η * δ t k i

/-- [P4] `W₁(t) = (1 - ηλ)^t W₁(0) + G(t) X`: the first layer is its decayed initial value plus a
matrix whose rows lie in `span{x_i}`. -/
theorem gdFirstLayer_eq {K n N : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α)
    (δ : Nat → Fin K → Fin N → α) (t : Nat) :
    gdFirstLayer η lam X W0 δ t =
      fun k j => (1 - η * lam) ^ t * W0 k j + matMul (gdCoeff η lam δ t) X k j := by
  induction t with
  | zero =>
    funext k j
    have h0 : matMul (gdCoeff η lam δ 0) X k j = 0 := by
      unfold matMul
      rw [vsum_congr (g := fun _ => 0) (fun l => by unfold gdCoeff; grind)]
      exact vsum_zero_fun
    rw [h0, Lean.Grind.Semiring.pow_zero]
    show W0 k j = 1 * W0 k j + 0
    grind
  | succ t ih =>
    funext k j
    show (1 - η * lam) * gdFirstLayer η lam X W0 δ t k j - η * vsum (fun i => δ t k i * X i j) = _
    rw [ih]
    have hG : matMul (gdCoeff η lam δ (t + 1)) X k j =
        (1 - η * lam) * matMul (gdCoeff η lam δ t) X k j - η * vsum (fun i => δ t k i * X i j) := by
      unfold matMul
      rw [← vsum_mul_left, ← vsum_mul_left, ← vsum_sub]
      exact vsum_congr (fun l => by show ((1 - η * lam) * gdCoeff η lam δ t k l - η * δ t k l) * X l j = _; grind)
    rw [hG, Lean.Grind.Semiring.pow_succ]
    grind

theorem matMul_assoc' {m k l n : Nat} (M : Fin m → Fin k → α) (G : Fin k → Fin l → α)
    (X : Fin l → Fin n → α) : matMul (matMul M G) X = matMul M (matMul G X) := by
  funext r j
  unfold matMul
  have h1 : ∀ i, vsum (fun p => M r p * G p i) * X i j = vsum (fun p => M r p * (G p i * X i j)) := by
    intro i; rw [← vsum_mul_right]; exact vsum_congr (fun p => by grind)
  have h2 : ∀ p, M r p * vsum (fun i => G p i * X i j) = vsum (fun i => M r p * (G p i * X i j)) :=
    fun p => (vsum_mul_left _ _).symm
  rw [vsum_congr h1, vsum_congr h2, vsum_comm]

/-- [P4] Every Jacobian that factors through the first layer, `J_x = M W₁(t)` (`M`: the Jacobian of the
rest of the network at `x`), is `(1 - ηλ)^t M W₁(0) + (M G(t)) X`: a decayed initial part plus rows in
`span{x_i}`. -/
theorem jacobian_span {K n N m : Nat} (η lam : α) (X : Fin N → Fin n → α) (W0 : Fin K → Fin n → α)
    (δ : Nat → Fin K → Fin N → α) (t : Nat) (M : Fin m → Fin K → α) :
    matMul M (gdFirstLayer η lam X W0 δ t) =
      fun r j => (1 - η * lam) ^ t * matMul M W0 r j + matMul (matMul M (gdCoeff η lam δ t)) X r j := by
  rw [gdFirstLayer_eq, matMul_assoc']
  funext r j
  unfold matMul
  rw [← vsum_mul_left, ← vsum_add]
  exact vsum_congr (fun p => by grind)

end NormAlign
