module

public import NormAlign.Centroid

/-!
# D3, PD: the power diagram of a ReLU layer and the subdivision of a deep network

For a layer `h = relu(W x + b)` and a pattern `q ∈ {0,1}^K`: `Σ_k relu(w_k·x + b_k) = max_q qᵀ(Wx + b)`,
attained at the active pattern of `x`; with site `μ_q = Wᵀ q` (the row sum of `diag(q) W`) and radius
`ρ_q = ‖μ_q‖² + 2 bᵀq`, the power distance `‖x - μ_q‖² - ρ_q = ‖x‖² - 2 qᵀ(Wx + b)`, so the active pattern
minimises it: the layer's activation partition is this power diagram. For a deep network, a layer
composed with the affine map `x ↦ A x + c` of the region of earlier layers is again such a layer
(`W A`, `W c + b`): the subdivision statement. On the cell of `q` the layer is affine with Jacobian
`diag(q) W`, whose row sum is the site (D3). A deep network (`Layers`, a stack of ReLU layers) is,
by induction over its layers, affine on the region of `x` (same pattern at every layer) with the map
built from `x`'s patterns; so every layer's partition, restricted to a region of the earlier layers,
is the power diagram of the composed layer, and the whole network's summed output is a power
distance with site `μ = Jᵀ1` and radius `‖μ‖² + 2·1ᵀb`. Paper: arXiv 2605.08464 after Balestriero et
al. 2019 (registry IDs D3, PD).
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

/-- The layer Jacobian `diag(q) W` on the cell of pattern `q`. -/
def layerJac {K n : Nat} (W : Fin K → Fin n → α) (q : Fin K → Bool) : Fin K → Fin n → α :=
  fun k j => ind q k * W k j

/-- The layer `x ↦ relu(W x + b)`. -/
def reluLayer {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) : Fin K → α :=
  fun k => relu (pre W b x k)

/-- [D3] On the cell of pattern `q` (every `x` whose active pattern is `q`) the layer
`relu(W x + b)` is the affine map with Jacobian `diag(q) W` and offset `diag(q) b`, and the cell's
site `Wᵀq` is the sum of the rows of that Jacobian, its centroid `(diag(q) W)ᵀ 1`. -/
theorem reluLayer_on_cell {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (q : Fin K → Bool)
    (x : Fin n → α) (hq : active W b x = q) :
    reluLayer W b x = (fun k => matVec (layerJac W q) x k + ind q k * b k) ∧
    centroid (layerJac W q) = site W q := by
  refine ⟨?_, ?_⟩
  · funext k
    unfold reluLayer
    rw [relu_eq_ind_mul]
    have e1 : matVec (layerJac W q) x k = ind q k * dot (W k) x := dot_smul_left _ _ _
    have e2 : (if decide (0 ≤ pre W b x k) then (1 : α) else 0) = ind q k := by
      rw [← hq]; rfl
    rw [e1, e2]; unfold pre; grind
  · funext j; rw [centroid_apply]; rfl

/-- [D3] A ReLU layer's activation partition is a power diagram: with site `Wᵀq` and radius
`‖Wᵀq‖² + 2 bᵀq`, the power distance of pattern `q` at `x` is `‖x‖² - 2 qᵀ(W x + b)`;
`Σ_k relu(w_k·x + b_k) = max_q qᵀ(W x + b)`, attained at the active pattern; so the active pattern
of `x` minimises the power distance over all patterns. -/
theorem layer_power_diagram {K n : Nat} (W : Fin K → Fin n → α) (b : Fin K → α) (x : Fin n → α) :
    (∀ q, powDist W b q x = norm2 x - 2 * score q (pre W b x)) ∧
    vsum (fun k => relu (pre W b x k)) = score (active W b x) (pre W b x) ∧
    (∀ q, score q (pre W b x) ≤ vsum (fun k => relu (pre W b x k))) ∧
    (∀ q, powDist W b (active W b x) x ≤ powDist W b q x) :=
  ⟨fun q => powDist_eq W b q x, sum_relu_eq_score_active W b x, score_le_sum_relu W b x,
    active_min_powDist W b x⟩

/-- The identity matrix. -/
def idMat (n : Nat) : Fin n → Fin n → α := fun i j => if i = j then 1 else 0

theorem matVec_idMat {n : Nat} (x : Fin n → α) : matVec (idMat n) x = x := by
  funext i
  unfold matVec dot idMat
  rw [vsum_single _ i (fun j hj => by
    have : ¬ (i = j) := fun e => hj e.symm
    rw [if_neg this]; grind)]
  simp only [if_pos]; grind

theorem matVec_add {m n : Nat} (A : Fin m → Fin n → α) (u v : Fin n → α) (i : Fin m) :
    matVec A (fun k => u k + v k) i = matVec A u i + matVec A v i := by
  unfold matVec; rw [dot_comm, dot_add_left, dot_comm u, dot_comm v]

/-- A stack of ReLU layers `x ↦ relu(W x + b)`, from width `n` to width `m`. -/
inductive Layers (α : Type u) : Nat → Nat → Type u
  | nil {n : Nat} : Layers α n n
  | cons {n k m : Nat} : (Fin k → Fin n → α) → (Fin k → α) → Layers α k m → Layers α n m

namespace Layers

/-- The output of the stack. -/
def eval : {n m : Nat} → Layers α n m → (Fin n → α) → Fin m → α
  | _, _, .nil, x => x
  | _, _, .cons W b L, x => L.eval (reluLayer W b x)

/-- `x'` lies in the region of `x`: the same activation pattern at every layer. -/
def SameRegion : {n m : Nat} → Layers α n m → (Fin n → α) → (Fin n → α) → Prop
  | _, _, .nil, _, _ => True
  | _, _, .cons W b L, x, x' =>
    active W b x' = active W b x ∧ L.SameRegion (reluLayer W b x) (reluLayer W b x')

/-- Linear part of the affine map of `x`'s region: `diag(q_L) W_L ⋯ diag(q_1) W_1` with `x`'s patterns. -/
def jac : {n m : Nat} → Layers α n m → (Fin n → α) → Fin m → Fin n → α
  | _, _, .nil, _ => idMat _
  | _, _, .cons W b L, x => matMul (L.jac (reluLayer W b x)) (layerJac W (active W b x))

/-- Offset of the affine map of `x`'s region. -/
def off : {n m : Nat} → Layers α n m → (Fin n → α) → Fin m → α
  | _, _, .nil, _ => fun _ => 0
  | _, _, .cons W b L, x => fun i =>
    matVec (L.jac (reluLayer W b x)) (fun k => ind (active W b x) k * b k) i + L.off (reluLayer W b x) i

theorem sameRegion_refl {n m : Nat} (L : Layers α n m) : ∀ x, L.SameRegion x x := by
  induction L with
  | nil => intro x; trivial
  | cons W b L ih => intro x; exact ⟨rfl, ih _⟩

/-- [PD] Induction over the layers: on the region of `x` (every `x'` with `x`'s pattern at every
layer) the stack is the affine map `x' ↦ J x' + c` built from `x`'s patterns. -/
theorem eval_on_region {n m : Nat} (L : Layers α n m) :
    ∀ x x', L.SameRegion x x' → L.eval x' = fun i => matVec (L.jac x) x' i + L.off x i := by
  induction L with
  | nil =>
    intro x x' _
    funext i
    show x' i = matVec (idMat _) x' i + 0
    rw [matVec_idMat]; grind
  | cons W b L ih =>
    intro x x' h
    obtain ⟨hq, hL⟩ := h
    show L.eval (reluLayer W b x') = fun i =>
      matVec (matMul (L.jac (reluLayer W b x)) (layerJac W (active W b x))) x' i +
        (matVec (L.jac (reluLayer W b x)) (fun k => ind (active W b x) k * b k) i +
          L.off (reluLayer W b x) i)
    rw [ih _ _ hL, (reluLayer_on_cell W b (active W b x) x' hq).1]
    funext i
    rw [matVec_add, matVec_matMul]; grind

/-- [PD] Subdivision of a deep network: for any stack `L` of earlier ReLU layers, any next layer
`(W, b)` and any `x'` in the region of `x` (the pattern of `x` at every earlier layer), the next
layer's pattern at `x'` minimises, over all patterns `q`, the power distance of the composed layer
`(W J, W c + b)`, where `x' ↦ J x' + c` is the earlier layers' map on that region. So, restricted to a
region of the earlier layers, the layer's partition is one power diagram, with sites `(W J)ᵀq` and
radii `‖(W J)ᵀq‖² + 2 (W c + b)ᵀq`. -/
theorem subdivision_deep {n k K : Nat} (L : Layers α n k) (W : Fin K → Fin k → α) (b : Fin K → α)
    (x x' : Fin n → α) (hx : L.SameRegion x x') (q : Fin K → Bool) :
    powDist (matMul W (L.jac x)) (fun r => dot (W r) (L.off x) + b r) (active W b (L.eval x')) x'
      ≤ powDist (matMul W (L.jac x)) (fun r => dot (W r) (L.off x) + b r) q x' := by
  rw [L.eval_on_region x x' hx]
  exact subdivision W b (L.jac x) (L.off x) x' q

/-- [PD] The whole-network centroid and radius: for a ReLU network `f(x') = V h(x') + β` (the stack
`L`, then a linear read-out `(V, β)`), on the region of `x` the network is the affine map
`f(x') = J x' + b` with `J = V J_L`, `b = V c_L + β`, and with its centroid `μ = Jᵀ1` and radius
`ρ = ‖μ‖² + 2·1ᵀb`, `‖x' - μ‖² - ρ = ‖x'‖² - 2·1ᵀ f(x')` for every `x'` of the region. -/
theorem network_power_form {n k m : Nat} (L : Layers α n k) (V : Fin m → Fin k → α)
    (β : Fin m → α) (x x' : Fin n → α) (hx : L.SameRegion x x') :
    (fun i => matVec V (L.eval x') i + β i) =
      (fun i => matVec (matMul V (L.jac x)) x' i + (matVec V (L.off x) i + β i)) ∧
    norm2 (fun j => x' j - centroid (matMul V (L.jac x)) j) -
        centroidRadius (matMul V (L.jac x)) (fun i => matVec V (L.off x) i + β i) =
      norm2 x' - 2 * vsum (fun i => matVec V (L.eval x') i + β i) := by
  have h : (fun i => matVec V (L.eval x') i + β i) =
      (fun i => matVec (matMul V (L.jac x)) x' i + (matVec V (L.off x) i + β i)) := by
    rw [L.eval_on_region x x' hx]
    funext i
    rw [matVec_add, matVec_matMul]; grind
  refine ⟨h, ?_⟩
  rw [h, power_form]

end Layers

end NormAlign
