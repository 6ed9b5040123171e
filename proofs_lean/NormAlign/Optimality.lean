module

public import NormAlign.MinNorm

/-!
# T1, T1': norm-constrained optimality of normal alignment

Per-point maps `W p` (augmented maps `[J_p | b_p]` with points `y p = x~_p`, or bias-free maps with
`y p = x_p`), logits `W p (y p)`, a loss `ℓ` that sees the model only through the logits, and the
per-point constraint `‖W p‖_F² ≤ a`. Replacing each map by the minimum-norm map with the same logits
(L1) keeps the loss and the constraint, and is normal-aligned: (a) an aligned minimiser exists
whenever a minimiser exists; (b) if the constraint binds at every minimiser, every minimiser is
aligned (`u ≠ 0` needs non-zero logits). T1': a rank-one `u vᵀ` can replace `v` by its projection on `x`
(Cauchy–Schwarz), so a minimiser with `v ∥ x` exists whenever a minimiser exists, and every minimiser
has `v ∥ x` when the constraint binds.
Paper: arXiv 2605.08464 (registry IDs T1, T1').
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-- The logits `z_p = W_p y_p` of all points. -/
def logits {N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α) :
    Fin N → Fin m → α := fun p => matVec (W p) (y p)

/-- Per-point constraint `‖W_p‖_F² ≤ a`. -/
def Feasible {N m n : Nat} (a : α) (W : Fin N → Fin m → Fin n → α) : Prop := ∀ p, frob (W p) ≤ a

/-- `W` minimises `ℓ ∘ logits` over the feasible set. -/
def IsMinimiser {N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α) (y : Fin N → Fin n → α)
    (W : Fin N → Fin m → Fin n → α) : Prop :=
  Feasible a W ∧ ∀ V, Feasible a V → ℓ (logits W y) ≤ ℓ (logits V y)

/-- Each map replaced by the minimum-norm map with the same logits. -/
def alignedOf {N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α) :
    Fin N → Fin m → Fin n → α := fun p => minNormSol (matVec (W p) (y p)) (y p)

theorem logits_alignedOf {N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α)
    (hy : ∀ p, norm2 (y p) ≠ 0) : logits (alignedOf W y) y = logits W y := by
  funext p; exact matVec_minNormSol _ _ (hy p)

theorem frob_alignedOf_le {N m n : Nat} (W : Fin N → Fin m → Fin n → α) (y : Fin N → Fin n → α)
    (hy : ∀ p, norm2 (y p) ≠ 0) (p : Fin N) : frob (alignedOf W y p) ≤ frob (W p) := by
  unfold alignedOf; rw [frob_minNormSol _ _ (hy p)]
  exact frob_ge_of_matVec_eq (W p) (y p) _ (hy p) rfl

/-- The minimum-norm map of non-zero logits `z ≠ 0` at `y ≠ 0` is normal-aligned (`u = z/‖y‖² ≠ 0`). -/
theorem minNormSol_aligned {m n : Nat} (z : Fin m → α) (y : Fin n → α) (hy : norm2 y ≠ 0)
    (hz : ∃ i, z i ≠ 0) : IsAligned (minNormSol z y) y := by
  obtain ⟨i, hi⟩ := hz
  refine ⟨_, ⟨i, fun h0 => hi ?_⟩, rfl⟩
  have := div_mul_cancel' (a := z i) hy
  rw [h0] at this; grind

/-- [T1(a)] For any loss of the logits: if `W` is a minimiser under the per-point constraint, the
family `W'_p = (W_p y_p) y_pᵀ / ‖y_p‖²` is also a minimiser, and it is normal-aligned at every point
whose optimal logits `z_p = W_p y_p` are not zero (`W'_p = u_p y_pᵀ`, `u_p = z_p/‖y_p‖² ≠ 0`); so an
aligned minimiser exists whenever a minimiser with non-zero logits exists. (At a point with `z_p = 0`
no aligned map, `u ≠ 0`, has these logits.) For the augmented form take `y_p = x~_p = (x_p, 1)` and
`W_p = [J_p | b_p]`. -/
theorem aligned_minimiser {N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α)
    (y : Fin N → Fin n → α) (hy : ∀ p, norm2 (y p) ≠ 0) (W : Fin N → Fin m → Fin n → α)
    (hW : IsMinimiser ℓ a y W) :
    IsMinimiser ℓ a y (alignedOf W y) ∧
      ∀ p, (∃ i, logits W y p i ≠ 0) → IsAligned (alignedOf W y p) (y p) := by
  refine ⟨⟨fun p => ?_, fun V hV => ?_⟩, fun p hz => minNormSol_aligned _ _ (hy p) hz⟩
  · have := frob_alignedOf_le W y hy p; have := hW.1 p; grind
  · rw [logits_alignedOf W y hy]; exact hW.2 V hV

/-- [T1(a)] Pooled constraint `Σ_p ‖W_p‖_F² ≤ a`: the aligned family keeps the logits and the pooled
constraint. -/
theorem aligned_pooled {N m n : Nat} (a : α) (y : Fin N → Fin n → α) (hy : ∀ p, norm2 (y p) ≠ 0)
    (W : Fin N → Fin m → Fin n → α) (hW : vsum (fun p => frob (W p)) ≤ a) :
    logits (alignedOf W y) y = logits W y ∧ vsum (fun p => frob (alignedOf W y p)) ≤ a := by
  refine ⟨logits_alignedOf W y hy, ?_⟩
  have := vsum_le (fun p => frob_alignedOf_le W y hy p); grind

/-- [T1(b)] If the constraint binds at every minimiser (`‖V_p‖_F² = a` for all `p`) and `a ≠ 0`,
then every minimiser is normal-aligned: `W_p = u_p y_pᵀ` with `u_p ≠ 0`. -/
theorem minimiser_aligned_of_binding {N m n : Nat} (ℓ : (Fin N → Fin m → α) → α) (a : α)
    (ha : a ≠ 0) (y : Fin N → Fin n → α) (hy : ∀ p, norm2 (y p) ≠ 0)
    (W : Fin N → Fin m → Fin n → α) (hW : IsMinimiser ℓ a y W)
    (hbind : ∀ V, IsMinimiser ℓ a y V → ∀ p, frob (V p) = a) : ∀ p, IsAligned (W p) (y p) := by
  intro p
  have h1 := hbind _ (aligned_minimiser ℓ a y hy W hW).1 p
  have h2 := frob_alignedOf_le W y hy p
  have h3 := hW.1 p
  have e : frob (alignedOf W y p) = norm2 (matVec (W p) (y p)) / norm2 (y p) :=
    frob_minNormSol _ _ (hy p)
  have h4 : frob (W p) = norm2 (matVec (W p) (y p)) / norm2 (y p) := by grind
  have hWp := eq_minNormSol_of_frob_eq (W p) (y p) _ (hy p) rfl h4
  rw [hWp]
  apply minNormSol_aligned _ _ (hy p)
  apply Classical.byContradiction; intro hne
  have hz : norm2 (matVec (W p) (y p)) = 0 :=
    (norm2_eq_zero_iff _).2 (fun i => Classical.byContradiction fun hi => hne ⟨i, hi⟩)
  rw [hz] at e
  rw [Lean.Grind.Field.div_eq_mul_inv] at e
  grind

/-- [T1'] Low-rank form: for `J = u vᵀ` and `x ≠ 0`, replacing `v` by its projection
`v' = (v·x / ‖x‖²) x` (parallel to `x`) keeps the logits `J x` and does not increase `‖u‖² ‖v‖²`;
so under `‖u‖ ‖v‖ ≤ α` any loss of the logits is minimised with `v` parallel to `± x`. -/
theorem rank_one_parallel {m n : Nat} (u : Fin m → α) (v x : Fin n → α) (hx : norm2 x ≠ 0) :
    matVec (outer u (fun j => dot v x / norm2 x * x j)) x = matVec (outer u v) x ∧
    norm2 u * norm2 (fun j => dot v x / norm2 x * x j) ≤ norm2 u * norm2 v := by
  have hp := norm2_pos_of_ne hx
  have hv : norm2 (fun j => dot v x / norm2 x * x j) = dot v x * dot v x / norm2 x := by
    rw [norm2_smul]
    have e : dot v x / norm2 x * norm2 x = dot v x := div_mul_cancel' hx
    have hd := Lean.Grind.Field.div_eq_mul_inv (dot v x) (norm2 x)
    have hd2 := Lean.Grind.Field.div_eq_mul_inv (dot v x * dot v x) (norm2 x)
    rw [hd2]; rw [hd] at e ⊢; grind
  refine ⟨?_, ?_⟩
  · rw [matVec_outer, matVec_outer, dot_smul_left]
    have e : dot x x = norm2 x := rfl
    rw [e, div_mul_cancel' hx]
  · rw [hv]
    have hcs := cauchy_schwarz v x
    have hle : dot v x * dot v x / norm2 x ≤ norm2 v := (div_le_iff_of_pos hp).2 hcs
    exact Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hle (norm2_nonneg u)

/-- `(u, v)` minimises `ℓ(u vᵀ x)` over the rank-one maps with `‖u‖² ‖v‖² ≤ a` (`a = α²` for the
constraint `‖u‖ ‖v‖ ≤ α`). -/
def IsRankOneMinimiser {m n : Nat} (ℓ : (Fin m → α) → α) (a : α) (x : Fin n → α) (u : Fin m → α)
    (v : Fin n → α) : Prop :=
  norm2 u * norm2 v ≤ a ∧
    ∀ u' v', norm2 u' * norm2 v' ≤ a → ℓ (matVec (outer u v) x) ≤ ℓ (matVec (outer u' v') x)

/-- [T1'] The minimiser claim: for any loss `ℓ` of the logits `u vᵀ x` under `‖u‖² ‖v‖² ≤ a`
(`x ≠ 0`): if `(u, v)` is a minimiser, so is `(u, v')` with `v' = (v·x/‖x‖²) x` parallel to `x`; and if
the constraint binds at every minimiser and `a ≠ 0`, every minimiser has `v` parallel to `x`
(`v = (v·x/‖x‖²) x`). -/
theorem rank_one_minimiser {m n : Nat} (ℓ : (Fin m → α) → α) (a : α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) :
    (∀ u v, IsRankOneMinimiser ℓ a x u v →
      IsRankOneMinimiser ℓ a x u (fun j => dot v x / norm2 x * x j)) ∧
    (a ≠ 0 → (∀ u v, IsRankOneMinimiser ℓ a x u v → norm2 u * norm2 v = a) →
      ∀ u v, IsRankOneMinimiser ℓ a x u v → v = fun j => dot v x / norm2 x * x j) := by
  have hmin : ∀ u v, IsRankOneMinimiser ℓ a x u v →
      IsRankOneMinimiser ℓ a x u (fun j => dot v x / norm2 x * x j) := by
    intro u v h
    have hp := rank_one_parallel u v x hx
    refine ⟨?_, fun u' v' h' => ?_⟩
    · have := h.1; have := hp.2; grind
    · rw [hp.1]; exact h.2 u' v' h'
  refine ⟨hmin, fun ha hbind u v h => ?_⟩
  have h1 := hbind _ _ (hmin u v h)
  have h2 := hbind _ _ h
  have hU : norm2 u ≠ 0 := by
    intro hu; rw [hu] at h2; grind
  have h3 : norm2 (fun j => dot v x / norm2 x * x j) = norm2 v := by
    generalize norm2 (fun j => dot v x / norm2 x * x j) = P at h1 ⊢
    have h5 : norm2 u * (P - norm2 v) = 0 := by grind
    have := mul_eq_zero_right hU h5
    grind
  have hv : norm2 (fun j => dot v x / norm2 x * x j) = dot v x * dot v x / norm2 x := by
    rw [norm2_smul]
    have hd := Lean.Grind.Field.div_eq_mul_inv (dot v x) (norm2 x)
    have hd2 := Lean.Grind.Field.div_eq_mul_inv (dot v x * dot v x) (norm2 x)
    have hi : norm2 x * (norm2 x)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hx
    rw [hd, hd2]; grind
  rw [hv] at h3
  have h4 : dot v x * dot v x = norm2 v * norm2 x := by
    have := div_mul_cancel' (a := dot v x * dot v x) hx
    rw [h3] at this; exact this.symm
  exact (cauchy_schwarz_eq_iff v x hx).1 h4

end NormAlign
