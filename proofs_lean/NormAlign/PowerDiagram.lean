module

public import NormAlign.Basic

/-!
# PD: the power diagram of a ReLU layer

For a layer `h = relu(W x + b)` and a pattern `q ∈ {0,1}^K`: `Σ_k relu(w_k·x + b_k) = max_q qᵀ(Wx + b)`,
attained at the active pattern of `x`; with site `μ_q = Wᵀ q` (the row sum of `diag(q) W`) and radius
`ρ_q = ‖μ_q‖² + 2 bᵀq`, the power distance `‖x - μ_q‖² - ρ_q = ‖x‖² - 2 qᵀ(Wx + b)`, so the active pattern
minimises it: the layer's activation partition is this power diagram. For a deep network, a layer
composed with the affine map `x ↦ A x + c` of the region of earlier layers is again such a layer
(`W A`, `W c + b`): the subdivision statement. Paper: arXiv 2605.08464 after Balestriero et al. 2019
(registry ID PD).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]

/-- `q_k ∈ {0, 1}` as a scalar. -/
def ind {K : Nat} (q : Fin K → Bool) (k : Fin K) : α := if q k then 1 else 0

/-- Pre-activations `W x + b`. -/
def pre {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : Fin K → α :=
  fun k => dot (W k) x + b k

/-- The activation pattern of `x`. -/
def active {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : Fin K → Bool :=
  fun k => decide (0 ≤ pre W b x k)

/-- `qᵀ z`. -/
def score {K : Nat} (q : Fin K → Bool) (z : Fin K → α) : α := vsum (fun k => ind q k * z k)

/-- Site `μ_q = Wᵀ q`. -/
def site {K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) : Fin n → α :=
  fun j => vsum (fun k => ind q k * W k j)

/-- Squared radius `ρ_q = ‖Wᵀq‖² + 2 bᵀq`. -/
def radius {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool) : α :=
  norm2 (site W q) + 2 * score q b

/-- Power distance `‖x - μ_q‖² - ρ_q`. -/
def powDist {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool)
    (x : Fin n → α) : α :=
  norm2 (fun j => x j - site W q j) - radius W b q

theorem relu_eq_ind_mul (a : α) : relu a = (if decide (0 ≤ a) then (1 : α) else 0) * a := by
  unfold relu; by_cases h : 0 ≤ a <;> simp [h] <;> grind

/-- [PD] `Σ_k relu(w_k·x + b_k)` equals the score of the active pattern. -/
theorem sum_relu_eq_score_active {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α)
    (x : Fin n → α) : vsum (fun k => relu (pre W b x k)) = score (active W b x) (pre W b x) := by
  unfold score; exact vsum_congr (fun k => by rw [relu_eq_ind_mul]; rfl)

/-- [PD] Every pattern scores at most `Σ_k relu(w_k·x + b_k)`: with the previous theorem,
`Σ_k relu(w_k·x + b_k) = max_q qᵀ(W x + b)`. -/
theorem score_le_sum_relu {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α)
    (q : Fin K → Bool) : score q (pre W b x) ≤ vsum (fun k => relu (pre W b x k)) := by
  unfold score; apply vsum_le; intro k
  unfold ind relu
  by_cases hq : q k = true <;> by_cases h : 0 ≤ pre W b x k <;> simp [hq, h] <;> grind

/-- The power distance is `‖x‖² - 2 qᵀ(W x + b)`. -/
theorem powDist_eq {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool)
    (x : Fin n → α) : powDist W b q x = norm2 x - 2 * score q (pre W b x) := by
  have hs : site W q = vecMat (fun k => ind q k) W := rfl
  have h1 : norm2 (fun j => x j - site W q j) =
      norm2 x - 2 * dot (site W q) x + norm2 (site W q) := by
    have := norm2_sub_smul x (site W q) 1
    have e : (fun j => x j - 1 * site W q j) = (fun j => x j - site W q j) := by
      funext j; grind
    rw [e] at this; rw [this, dot_comm]; grind
  have h2 : dot (site W q) x = vsum (fun k => ind q k * dot (W k) x) := by
    rw [hs, ← dot_matVec]; rfl
  have h3 : score q (pre W b x) = vsum (fun k => ind q k * dot (W k) x) + score q b := by
    unfold score pre; rw [← vsum_add]; exact vsum_congr (fun k => by grind)
  unfold powDist radius; rw [h1, h2, h3]; grind

/-- [PD] The active pattern of `x` minimises the power distance `‖x - Wᵀq‖² - (‖Wᵀq‖² + 2 bᵀq)`
over all patterns `q`: the ReLU layer's partition is the power diagram with these sites and radii. -/
theorem active_min_powDist {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α)
    (q : Fin K → Bool) : powDist W b (active W b x) x ≤ powDist W b q x := by
  rw [powDist_eq, powDist_eq]
  have h1 := score_le_sum_relu W b x q
  have h2 := sum_relu_eq_score_active W b x
  grind

/-- [PD] The site of a cell is the row sum of the layer Jacobian `diag(q) W`: `Wᵀq = (diag(q) W)ᵀ 1`. -/
theorem site_eq_row_sum {K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) (j : Fin n) :
    site W q j = vsum (fun k => (fun k j => ind q k * W k j : Fin K → Fin n → α) k j) := rfl

/-- [PD] Subdivision: on a region where the earlier layers act as `x ↦ A x + c`, layer `(W, b)`'s
pattern at `A x + c` minimises the power distance of the composed layer `(W A, W c + b)` at `x`. -/
theorem subdivision {K k n : Nat} (W : Fin K → Fin k → α) (b : Fin K → α)
    (A : Fin k → Fin n → α) (c : Fin k → α) (x : Fin n → α) (q : Fin K → Bool) :
    powDist (matMul W A) (fun r => dot (W r) c + b r) (active W b (fun i => matVec A x i + c i)) x
      ≤ powDist (matMul W A) (fun r => dot (W r) c + b r) q x := by
  have hpre : pre W b (fun i => matVec A x i + c i) = pre (matMul W A) (fun r => dot (W r) c + b r) x := by
    funext r; unfold pre
    have h1 : dot (matMul W A r) x = dot (W r) (matVec A x) := congrFun (matVec_matMul W A x) r
    have h2 : dot (W r) (fun i => matVec A x i + c i) = dot (W r) (matVec A x) + dot (W r) c := by
      rw [dot_comm, dot_add_left, dot_comm (matVec A x), dot_comm c]
    dsimp only
    rw [h1, h2]; grind
  have ha : active W b (fun i => matVec A x i + c i) = active (matMul W A) (fun r => dot (W r) c + b r) x := by
    unfold active; rw [hpre]
  rw [ha]; exact active_min_powDist _ _ x q

end NormAlign
