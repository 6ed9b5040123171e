module

public import NormAlign.Dynamics
public import NormAlign.GrokAlign

/-!
# D4, D5: the lazy regime's kernel, and the sparse regime's decoupling

**D4.** The empirical NTK on training points is the Gram matrix `Θ_ij = g_i·g_j` of the parameter
gradients `g_i = ∇_θ f(x_i)`: symmetric, positive semidefinite (`vᵀΘv = ‖Σ_i v_i g_i‖²`). Training only
the last layer of `f(x) = Σ_k a_k relu(W_k·x)` keeps `f` exactly linear in the trained parameters with
coefficient `φ(x) = relu(W x)`, which does not involve `a`: the kernel of the trained parameters is the
same at every step. The kernel over all parameters still moves: it changes by
`Σ_k (a'_k² - a_k²) q_k q'_k (x·x')` when `a` moves to `a'`.

**D5.** Sparse regime: when each point owns its parameters (its `(J_i, b_i)`) and its constraint, the
pooled objective `Σ_p L_p(W_p)` is minimised exactly by families of per-point minimisers. Dense regime
(points sharing one map): a map aligned at `x₁` fits `z₂` at `x₂` only if `‖x₁‖² z₂ = (x₁·x₂) z₁`, so
in general no shared map is aligned at both points.

Paper: arXiv 2605.08464 (registry IDs D4, D5).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]

/-! ## D4 -/

/-- The empirical NTK Gram matrix of parameter gradients `g_i = ∇_θ f(x_i)`: `Θ_ij = g_i·g_j`. -/
def ntkGram {N P : Nat} (g : Fin N → Fin P → α) : Fin N → Fin N → α := fun i j => dot (g i) (g j)

/-- [D4] The NTK Gram matrix is symmetric and positive semidefinite: `vᵀ Θ v = ‖Σ_i v_i g_i‖² ≥ 0`. -/
theorem ntkGram_psd {N P : Nat} (g : Fin N → Fin P → α) (v : Fin N → α) :
    (∀ i j, ntkGram g i j = ntkGram g j i) ∧
    vsum (fun i => vsum (fun j => v i * ntkGram g i j * v j)) = norm2 (vecMat v g) ∧
    0 ≤ vsum (fun i => vsum (fun j => v i * ntkGram g i j * v j)) := by
  have hq : vsum (fun i => vsum (fun j => v i * ntkGram g i j * v j)) = norm2 (vecMat v g) := by
    rw [norm2_vecMat_expand]
    symm
    rw [vsum_comm]
    refine vsum_congr (fun i => ?_)
    rw [vsum_comm]
    refine vsum_congr (fun j => ?_)
    unfold ntkGram dot
    rw [← vsum_mul_left, ← vsum_mul_right]
    exact vsum_congr (fun p => by grind)
  refine ⟨fun i j => dot_comm _ _, hq, ?_⟩
  rw [hq]; exact norm2_nonneg _

/-- The hidden features `φ_k(x) = relu(W_k·x)` of `f(x) = Σ_k a_k relu(W_k·x)`. -/
def features {K n : Nat} (W : Fin K → Fin n → α) (x : Fin n → α) : Fin K → α :=
  fun k => relu (dot (W k) x)

/-- [D4] Last layer only: `f` is exactly linear in the trained parameters `a`,
`f_{a + tD}(x) = f_a(x) + t D·φ(x)`, with a coefficient `φ(x) = relu(W x)` that does not involve `a`;
it is the `a`-gradient on every region (`gradA W q_x x = φ(x)`). So the trained-parameter kernel
`φ(x)·φ(x')` is the same at every step of any last-layer training run. -/
theorem lastLayer_linear {K n : Nat} (a D : Fin K → α) (W : Fin K → Fin n → α) (x : Fin n → α)
    (t : α) :
    reluNet2 (fun k => a k + t * D k) W x = reluNet2 a W x + t * dot D (features W x) ∧
      gradA W (gate W x) x = features W x := by
  refine ⟨?_, ?_⟩
  · unfold reluNet2
    rw [show dot D (features W x) = vsum (fun k => D k * relu (dot (W k) x)) from rfl,
      ← vsum_mul_left, ← vsum_add]
    exact vsum_congr (fun k => by grind)
  · funext k; unfold gradA features gate; rw [relu_eq_gate_mul]

/-- [D4] The kernel over all parameters splits as the trained-last-layer kernel plus
`(Σ_k a_k² q_k q'_k)(x·x')`; so when only `a` moves (to `a'`), it changes by exactly
`(Σ_k (a'_k² - a_k²) q_k q'_k)(x·x')`, although the last-layer kernel does not change. -/
theorem ntk2_lastLayer_change {K n : Nat} (a a' : Fin K → α) (W : Fin K → Fin n → α)
    (q q' : Fin K → α) (x x' : Fin n → α) :
    ntk2 a W q x q' x' =
        dot (gradA W q x) (gradA W q' x') + vsum (fun k => a k * a k * (q k * q' k)) * dot x x' ∧
      ntk2 a' W q x q' x' - ntk2 a W q x q' x' =
        vsum (fun k => (a' k * a' k - a k * a k) * (q k * q' k)) * dot x x' := by
  have split : ∀ b : Fin K → α, ntk2 b W q x q' x' =
      dot (gradA W q x) (gradA W q' x') + vsum (fun k => b k * b k * (q k * q' k)) * dot x x' := by
    intro b
    unfold ntk2 mdot
    rw [← vsum_mul_right]
    have : ∀ k, dot (gradW b q x k) (gradW b q' x' k) = b k * b k * (q k * q' k) * dot x x' := by
      intro k
      have e1 : gradW b q x k = fun j => (b k * q k) * x j := funext fun j => by unfold gradW; grind
      have e2 : gradW b q' x' k = fun j => (b k * q' k) * x' j :=
        funext fun j => by unfold gradW; grind
      rw [e1, e2, dot_smul_left, dot_smul_right]; grind
    rw [vsum_congr this]
  refine ⟨split a, ?_⟩
  rw [split a, split a']
  have : vsum (fun k => (a' k * a' k - a k * a k) * (q k * q' k)) =
      vsum (fun k => a' k * a' k * (q k * q' k)) - vsum (fun k => a k * a k * (q k * q' k)) := by
    rw [← vsum_sub]; exact vsum_congr (fun k => by grind)
  rw [this]; grind

/-! ## D5 -/

/-- [D5] Decoupling in the sparse regime: when point `p` owns its parameters `W_p` (any type `β`, e.g.
its `(J_p, b_p)`) with its own constraint `C_p` and the objective is `Σ_p L_p(W_p)`, a feasible family
minimises the pooled problem iff every `W_p` minimises its own problem. -/
theorem pooled_min_iff_per_point {β : Type v} {N : Nat} (L : Fin N → β → α) (C : Fin N → β → Prop)
    (W : Fin N → β) (hW : ∀ p, C p (W p)) :
    (∀ V : Fin N → β, (∀ p, C p (V p)) → vsum (fun p => L p (W p)) ≤ vsum (fun p => L p (V p))) ↔
      (∀ p (V : β), C p V → L p (W p) ≤ L p V) := by
  constructor
  · intro h p V hV
    have hfeas : ∀ q, C q (if q = p then V else W q) := by
      intro q; by_cases hq : q = p
      · rw [if_pos hq]; rw [hq]; exact hV
      · rw [if_neg hq]; exact hW q
    have h1 := h (fun q => if q = p then V else W q) hfeas
    have h2 : vsum (fun q => L q (if q = p then V else W q)) - vsum (fun q => L q (W q)) =
        L p V - L p (W p) := by
      rw [← vsum_sub]
      rw [vsum_single _ p (fun q hq => by rw [if_neg hq]; grind)]
      rw [if_pos rfl]
    grind
  · intro h V hV
    exact vsum_le (fun p => h p (V p) (hV p))

/-- [D5] Dense regime: one map `u x₁ᵀ` aligned at `x₁` that fits `z₁` at `x₁` and `z₂` at `x₂` forces
`‖x₁‖² z₂ = (x₁·x₂) z₁`; for other targets no map shared by the two points is aligned at `x₁`. -/
theorem dense_aligned_constraint {m n : Nat} (u : Fin m → α) (x1 x2 : Fin n → α)
    (z1 z2 : Fin m → α) (h1 : matVec (outer u x1) x1 = z1) (h2 : matVec (outer u x1) x2 = z2) :
    ∀ i, norm2 x1 * z2 i = dot x1 x2 * z1 i := by
  intro i
  rw [← h1, ← h2, matVec_outer, matVec_outer]
  show norm2 x1 * (u i * dot x1 x2) = dot x1 x2 * (u i * norm2 x1)
  grind

/-- [D5] A concrete dense case: `x₁ = (1, 0)`, `x₂ = (0, 1)` share one map and both must give
output `1`: no map `u x₁ᵀ` does (while separate maps, the sparse case, can be aligned at each point). -/
theorem dense_no_aligned_fit :
    ∀ u : Fin 1 → Rat, ¬ (matVec (outer u (ofList [1, 0] 2)) (ofList [1, 0] 2) = (fun _ => 1) ∧
      matVec (outer u (ofList [1, 0] 2)) (ofList [0, 1] 2) = (fun _ => 1)) := by
  rintro u ⟨h1, h2⟩
  have h := dense_aligned_constraint u _ _ _ _ h1 h2 0
  have hne : ¬ (norm2 (ofList [1, 0] 2 : Fin 2 → Rat) * 1 =
      dot (ofList [1, 0] 2 : Fin 2 → Rat) (ofList [0, 1] 2) * 1) := by decide +kernel
  exact hne h

end NormAlign
