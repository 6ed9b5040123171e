module

public import NormAlign.MinNorm

/-!
# T2: local robustness under the constraint `J x = v`

(a) Boundary distance, squared: for classes `y, k` with row difference `d = J_y - J_k`, margin `m` and
`d·x = v_y - v_k ≠ 0`, `m² / ‖d‖² ≤ ‖x‖² m² / (v_y - v_k)²` (Cauchy–Schwarz), with equality exactly when
`d` is parallel to `x` (so for every pair of classes of an aligned `J`); bias-free (`m = v_y - v_k`)
the squared distance is at most `‖x‖²`. (b) Sensitivity: `Σ_p w_p ‖J δ_p‖² = σ² ‖J‖_F²` for perturbations
with isotropic second moment `σ² I`; under `J x = v` its unique minimiser is `v xᵀ/‖x‖²` (L1); the
spectral norm is at least `‖v‖/‖x‖`, attained by the aligned map and by others. (c) Invariance: for
`x ≠ 0` and `J ≠ 0`, `ker J = x^⊥` exactly when `J = u xᵀ` with `u ≠ 0`. Paper: arXiv 2605.08464 (registry ID T2).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

theorem mul_self_pos_of_ne {a : α} (h : a ≠ 0) : 0 < a * a := by
  have h1 := sq_nonneg' a
  have h2 : a * a ≠ 0 := fun h0 => h (eq_zero_of_mul_self_eq_zero h0)
  grind

/-- [T2(a)] Squared boundary distance: with `J x = v`, `d = J_y - J_k` and `v_y ≠ v_k`, the squared
distance `m² / ‖d‖²` to the boundary between classes `y` and `k` is at most `‖x‖² m² / (v_y - v_k)²`. -/
theorem boundary_dist_sq_le {c n : Nat} (J : Fin c → Fin n → α) (x : Fin n → α) (y k : Fin c)
    (m : α) (hv : matVec J x y - matVec J x k ≠ 0) :
    m * m / norm2 (fun j => J y j - J k j) ≤
      norm2 x * (m * m) / ((matVec J x y - matVec J x k) * (matVec J x y - matVec J x k)) := by
  have hD : dot (fun j => J y j - J k j) x = matVec J x y - matVec J x k := dot_sub_left _ _ _
  have hcs := cauchy_schwarz (fun j => J y j - J k j) x
  rw [hD] at hcs
  have hDD := mul_self_pos_of_ne hv
  have hN0 := norm2_nonneg (fun j => J y j - J k j)
  have hA0 := norm2_nonneg x
  have hN : 0 < norm2 (fun j => J y j - J k j) := by
    false_or_by_contra
    have : norm2 (fun j => J y j - J k j) = 0 := by grind
    rw [this] at hcs; grind
  have hq : 0 ≤ m * m / norm2 (fun j => J y j - J k j) :=
    (le_div_iff_of_pos hN).2 (by have := sq_nonneg' m; grind)
  rw [le_div_iff_of_pos hDD]
  have h1 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hcs hq
  have e : m * m / norm2 (fun j => J y j - J k j) *
      (norm2 (fun j => J y j - J k j) * norm2 x) =
      (m * m / norm2 (fun j => J y j - J k j) * norm2 (fun j => J y j - J k j)) * norm2 x := by
    grind
  rw [e, div_mul_cancel' (by grind)] at h1
  grind

/-- [T2(a)] Bias-free form: `(d·x)² / ‖d‖² ≤ ‖x‖²`, i.e. the boundary distance `|v_y - v_k| / ‖d‖` is
at most `‖x‖`. -/
theorem boundary_dist_sq_le_norm {n : Nat} (d x : Fin n → α) (hd : norm2 d ≠ 0) :
    dot d x * dot d x / norm2 d ≤ norm2 x := by
  rw [div_le_iff_of_pos (norm2_pos_of_ne hd)]
  have := cauchy_schwarz d x; grind

/-- [T2(b)] Under `J x = v` the sensitivity `‖J‖_F²` (`E‖Jδ‖² = σ²‖J‖_F²` for isotropic `δ`) is at least
`‖v‖²/‖x‖²`, with equality only at `J = v xᵀ/‖x‖²`. -/
theorem sensitivity_min {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (v : Fin m → α)
    (hx : norm2 x ≠ 0) (h : matVec J x = v) :
    norm2 v / norm2 x ≤ frob J ∧ (frob J = norm2 v / norm2 x → J = minNormSol v x) :=
  ⟨frob_ge_of_matVec_eq J x v hx h, eq_minNormSol_of_frob_eq J x v hx h⟩

/-- [T2(c)] An aligned `J = u xᵀ` is blind to every perturbation orthogonal to `x`. -/
theorem aligned_kills_orthogonal {m n : Nat} (u : Fin m → α) (x δ : Fin n → α) (h : dot x δ = 0) :
    matVec (outer u x) δ = fun _ => 0 := by
  rw [matVec_outer, h]; funext i; grind

/-- [T2(c)] Conversely, a `J` blind to the whole hyperplane `x^⊥` (`x ≠ 0`) is aligned: `J = u xᵀ` with
`u = J x / ‖x‖²` (so its kernel is as large as a non-zero map's can be only when it has rank one). -/
theorem aligned_of_kills_orthogonal {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) (h : ∀ δ, dot x δ = 0 → matVec J δ = fun _ => 0) :
    J = outer (fun i => matVec J x i / norm2 x) x := by
  funext i j
  have ht : dot (J i) x / norm2 x * norm2 x = dot (J i) x := div_mul_cancel' hx
  have e : dot x x = norm2 x := rfl
  have hxd : dot x (fun j => J i j - dot (J i) x / norm2 x * x j) = 0 := by
    rw [dot_comm, dot_sub_left, dot_smul_left, e]; grind
  have hJd := congrFun (h _ hxd) i
  have hn : norm2 (fun j => J i j - dot (J i) x / norm2 x * x j) = 0 := by
    change dot (fun j => J i j - dot (J i) x / norm2 x * x j)
      (fun j => J i j - dot (J i) x / norm2 x * x j) = 0
    rw [dot_sub_left, dot_smul_left, hxd]
    have : dot (J i) (fun j => J i j - dot (J i) x / norm2 x * x j) = 0 := hJd
    rw [this]; grind
  have := (norm2_eq_zero_iff _).1 hn j
  unfold outer matVec; grind

theorem div_eq_div_iff' {a b c d : α} (hb : b ≠ 0) (hd : d ≠ 0) : a / b = c / d ↔ a * d = c * b := by
  have h1 : b * b⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hb
  have h2 : d * d⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hd
  rw [Lean.Grind.Field.div_eq_mul_inv, Lean.Grind.Field.div_eq_mul_inv]
  constructor
  · intro h
    have : a * b⁻¹ * (b * d) = c * d⁻¹ * (b * d) := by rw [h]
    grind
  · intro h
    have : a * d * (b⁻¹ * d⁻¹) = c * b * (b⁻¹ * d⁻¹) := by rw [h]
    grind

/-- Equality in the squared boundary-distance bound for one row difference `d` with `d·x ≠ 0` and a
non-zero margin: `m²/‖d‖² = ‖x‖² m²/(d·x)²` exactly when `d` is parallel to `x`. -/
theorem dist_sq_eq_iff_parallel {n : Nat} (d x : Fin n → α) (m : α) (hm : m ≠ 0)
    (hD : dot d x ≠ 0) :
    m * m / norm2 d = norm2 x * (m * m) / (dot d x * dot d x) ↔
      d = fun j => dot d x / norm2 x * x j := by
  have hcs := cauchy_schwarz d x
  have hDD := mul_self_pos_of_ne hD
  have hN0 := norm2_nonneg d
  have hA0 := norm2_nonneg x
  have hx : norm2 x ≠ 0 := by intro h; rw [h] at hcs; grind
  have hN : norm2 d ≠ 0 := by intro h; rw [h] at hcs; grind
  have hM : m * m ≠ 0 := by have := mul_self_pos_of_ne hm; grind
  rw [div_eq_div_iff' hN (by grind), ← cauchy_schwarz_eq_iff d x hx]
  constructor
  · intro h
    have h2 : (m * m) * (dot d x * dot d x - norm2 d * norm2 x) = 0 := by grind
    have := mul_eq_zero_right hM h2; grind
  · intro h; rw [h]; grind

/-- [T2(a)] Equality case: with `J x = v`, classes `y, k`, `v_y ≠ v_k` and a non-zero margin `m`, the
squared distance `m²/‖J_y - J_k‖²` equals the bound `‖x‖² m²/(v_y - v_k)²` exactly when the row
difference `J_y - J_k` is parallel to `x`. -/
theorem boundary_dist_sq_eq_iff {c n : Nat} (J : Fin c → Fin n → α) (x : Fin n → α) (y k : Fin c)
    (m : α) (hm : m ≠ 0) (hv : matVec J x y - matVec J x k ≠ 0) :
    m * m / norm2 (fun j => J y j - J k j) =
        norm2 x * (m * m) / ((matVec J x y - matVec J x k) * (matVec J x y - matVec J x k)) ↔
      (fun j => J y j - J k j) = fun j => (matVec J x y - matVec J x k) / norm2 x * x j := by
  have hD : dot (fun j => J y j - J k j) x = matVec J x y - matVec J x k := dot_sub_left _ _ _
  have := dist_sq_eq_iff_parallel (fun j => J y j - J k j) x m hm (by rw [hD]; exact hv)
  rw [hD] at this; exact this

/-- [T2(a)] For an aligned `J = u xᵀ` (`x ≠ 0`) every pair of classes with `u_y ≠ u_k` attains the
bound: `m²/‖J_y - J_k‖² = ‖x‖² m²/(v_y - v_k)²` for every margin `m` (`v = J x`); so the boundary
distance `ρ(x)` equals `‖x‖ min_k (z_y - z_k)/|v_y - v_k|`. -/
theorem aligned_boundary_dist_eq {c n : Nat} (u : Fin c → α) (x : Fin n → α) (y k : Fin c)
    (m : α) (hx : norm2 x ≠ 0) (hu : u y ≠ u k) :
    m * m / norm2 (fun j => outer u x y j - outer u x k j) =
      norm2 x * (m * m) / ((matVec (outer u x) x y - matVec (outer u x) x k) *
        (matVec (outer u x) x y - matVec (outer u x) x k)) := by
  have e : dot x x = norm2 x := rfl
  have hv : matVec (outer u x) x y - matVec (outer u x) x k = (u y - u k) * norm2 x := by
    rw [matVec_outer, e]; grind
  by_cases hm : m = 0
  · rw [hm, Lean.Grind.Field.div_eq_mul_inv, Lean.Grind.Field.div_eq_mul_inv]; grind
  · have hne : matVec (outer u x) x y - matVec (outer u x) x k ≠ 0 := by
      rw [hv]; intro h
      have := mul_eq_zero_right (a := norm2 x) (b := u y - u k) hx (by grind)
      exact hu (by grind)
    apply (boundary_dist_sq_eq_iff (outer u x) x y k m hm hne).2
    rw [hv]; funext j; unfold outer
    have := div_mul_cancel' (a := u y - u k) hx
    have hd : (u y - u k) * norm2 x / norm2 x = u y - u k := by
      rw [Lean.Grind.Field.div_eq_mul_inv]
      have : norm2 x * (norm2 x)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hx
      grind
    rw [hd]; grind

theorem dot_mul_dot {n : Nat} (a b c d : Fin n → α) :
    dot a b * dot c d = vsum (fun j => vsum (fun l => (a j * b j) * (c l * d l))) := by
  unfold dot; rw [← vsum_mul_right]
  exact vsum_congr (fun j => by rw [← vsum_mul_left])

/-- [T2(b)] The sensitivity as an expectation: for perturbations `δ_p` with weights `w_p` whose second
moment is isotropic, `Σ_p w_p δ_p δ_pᵀ = σ² I` (the second moment of `N(0, σ² I)`; here a finite
family), `Σ_p w_p ‖J δ_p‖² = σ² ‖J‖_F²`. -/
theorem sensitivity_expectation {N m n : Nat} (J : Fin m → Fin n → α) (w : Fin N → α)
    (δ : Fin N → Fin n → α) (s2 : α)
    (h : ∀ j l, vsum (fun p => w p * (δ p j * δ p l)) = if j = l then s2 else 0) :
    vsum (fun p => w p * norm2 (matVec J (δ p))) = s2 * frob J := by
  have h1 : ∀ p, w p * norm2 (matVec J (δ p)) = vsum (fun i => vsum (fun j => vsum (fun l =>
      w p * ((J i j * δ p j) * (J i l * δ p l))))) := by
    intro p
    have e : norm2 (matVec J (δ p)) = vsum (fun i => dot (J i) (δ p) * dot (J i) (δ p)) := rfl
    rw [e, ← vsum_mul_left]
    refine vsum_congr (fun i => ?_)
    rw [dot_mul_dot, ← vsum_mul_left]
    exact vsum_congr (fun j => by rw [← vsum_mul_left])
  rw [vsum_congr h1, vsum_comm]
  have h2 : ∀ i, vsum (fun p => vsum (fun j => vsum (fun l =>
      w p * ((J i j * δ p j) * (J i l * δ p l))))) = vsum (fun j => J i j * J i j * s2) := by
    intro i
    rw [vsum_comm]
    refine vsum_congr (fun j => ?_)
    rw [vsum_comm]
    have h3 : ∀ l, vsum (fun p => w p * ((J i j * δ p j) * (J i l * δ p l))) =
        J i j * J i l * (if j = l then s2 else 0) := by
      intro l; rw [← h j l, ← vsum_mul_left]; exact vsum_congr (fun p => by grind)
    rw [vsum_congr h3, vsum_single _ j (fun l hl => by
      have : ¬ (j = l) := fun e => hl e.symm
      rw [if_neg this]; grind)]
    simp
  rw [vsum_congr h2]
  unfold frob norm2 dot
  rw [← vsum_mul_left]
  exact vsum_congr (fun i => by rw [← vsum_mul_left]; exact vsum_congr (fun j => by grind))

/-- [T2(b)] The spectral norm, in squared form: if `J x = v` (`x ≠ 0`), every bound `s` with
`‖J w‖² ≤ s ‖w‖²` for all `w` (so `‖J‖₂² ≤ s`) has `s ≥ ‖v‖²/‖x‖²`, i.e. `‖J‖₂ ≥ ‖v‖/‖x‖`; and the aligned
`J = v xᵀ/‖x‖²` has `‖v‖²/‖x‖²` as such a bound, so it attains `‖J‖₂ = ‖v‖/‖x‖`. -/
theorem spectral_bound {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α) (v : Fin m → α)
    (hx : norm2 x ≠ 0) (h : matVec J x = v) :
    (∀ s, (∀ w, norm2 (matVec J w) ≤ s * norm2 w) → norm2 v / norm2 x ≤ s) ∧
    ∀ w, norm2 (matVec (minNormSol v x) w) ≤ norm2 v / norm2 x * norm2 w := by
  have hp := norm2_pos_of_ne hx
  refine ⟨fun s hs => ?_, fun w => ?_⟩
  · have := hs x; rw [h] at this
    exact (div_le_iff_of_pos hp).2 this
  · unfold minNormSol
    rw [matVec_outer, norm2_mul_const]
    have hu : norm2 (fun i => v i / norm2 x) = norm2 v * ((norm2 x)⁻¹ * (norm2 x)⁻¹) := by
      have : (fun i => v i / norm2 x) = (fun i => v i * (norm2 x)⁻¹) :=
        funext fun i => Lean.Grind.Field.div_eq_mul_inv _ _
      rw [this, norm2_mul_const]
    rw [hu, Lean.Grind.Field.div_eq_mul_inv]
    have hcs := cauchy_schwarz x w
    have hi : norm2 x * (norm2 x)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hx
    have hc : 0 ≤ norm2 v * ((norm2 x)⁻¹ * (norm2 x)⁻¹) := by
      have := inv_pos_of_pos hp
      exact Lean.Grind.OrderedRing.mul_nonneg (norm2_nonneg v)
        (Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt this) (Std.le_of_lt this))
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hcs hc
    have e2 : norm2 v * ((norm2 x)⁻¹ * (norm2 x)⁻¹) * (norm2 x * norm2 w) =
        norm2 v * (norm2 x)⁻¹ * norm2 w * (norm2 x * (norm2 x)⁻¹) := by grind
    rw [hi] at e2
    grind

theorem vsum_two (f : Fin 2 → α) : vsum f = f 0 + f 1 := by
  rw [vsum_succ, vsum_succ, vsum_zero]; grind

/-- The map `diag(1, 1/2)` of the spectral-norm example. -/
def spectralExample : Fin 2 → Fin 2 → Rat :=
  fun i j => if i = 0 then (if j = 0 then 1 else 0) else (if j = 0 then 0 else 1/2)

/-- [T2(b)] The spectral-norm optimum is not unique: at `x = (1, 0)` with `v = (1, 0)`, the map
`J = diag(1, 1/2)` has `J x = v`, is not the aligned `v xᵀ/‖x‖²`, and still has
`‖J w‖² ≤ (‖v‖²/‖x‖²) ‖w‖²` for every `w` (`‖J‖₂ = ‖v‖/‖x‖ = 1`). -/
theorem spectral_not_unique :
    matVec spectralExample (ofList [1, 0] 2) = ofList [1, 0] 2 ∧
    spectralExample ≠ minNormSol (ofList [1, 0] 2) (ofList [1, 0] 2) ∧
    ∀ w : Fin 2 → Rat, norm2 (matVec spectralExample w) ≤
      norm2 (ofList [(1 : Rat), 0] 2) / norm2 (ofList [(1 : Rat), 0] 2) * norm2 w := by
  refine ⟨?_, ?_, ?_⟩
  · funext i; revert i; decide +kernel
  · intro h
    have := congrFun (congrFun h 1) 1
    revert this; decide +kernel
  · intro w
    have e : norm2 (ofList [(1 : Rat), 0] 2) / norm2 (ofList [(1 : Rat), 0] 2) = 1 := by decide +kernel
    rw [e]
    simp only [norm2, dot, matVec, vsum_two, spectralExample]
    simp
    have := Lean.Grind.OrderedRing.sq_nonneg (a := w 1)
    grind

/-- [T2(c)] Invariance, both directions (for `x ≠ 0` and `J ≠ 0`): the kernel of `J` is exactly the
hyperplane `x^⊥` (`J δ = 0 ↔ x·δ = 0` for every `δ`) if and only if `J` is normal-aligned with `x`
(`J = u xᵀ`, `u ≠ 0`). So an aligned `J` is blind to the whole hyperplane orthogonal to `x` and to
nothing else, and a non-zero `J` with kernel `x^⊥` is rank one (rank one with row space `x`). -/
theorem kernel_eq_perp_iff_aligned {m n : Nat} (J : Fin m → Fin n → α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) (hJ : frob J ≠ 0) :
    (∀ δ, matVec J δ = (fun _ => 0) ↔ dot x δ = 0) ↔ IsAligned J x := by
  constructor
  · intro h
    have he := aligned_of_kills_orthogonal J x hx (fun δ hδ => (h δ).2 hδ)
    refine ⟨_, ?_, he⟩
    apply Classical.byContradiction; intro hne
    apply hJ
    rw [he, frob_outer, (norm2_eq_zero_iff _).2 (fun i =>
      Classical.byContradiction fun hi => hne ⟨i, hi⟩)]
    grind
  · rintro ⟨u, ⟨i, hi⟩, rfl⟩ δ
    constructor
    · intro h
      have := congrFun h i
      rw [matVec_outer] at this
      exact mul_eq_zero_right hi this
    · intro h; exact aligned_kills_orthogonal u x δ h

end NormAlign
