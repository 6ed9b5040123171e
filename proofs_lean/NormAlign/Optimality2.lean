module

public import NormAlign.MinNorm
public import NormAlign.GrokAlign

/-!
# T1(c), T1(d): the optimal logits in closed form

By L1, the logits `z = W x~` reachable under `‖W‖_F² ≤ a` are exactly the ball `‖z‖² ≤ a ‖x~‖²`
(`logit_ball`); write `R² = a (‖x‖² + 1)` for its squared radius.

(c) Softmax cross-entropy of class `y` is `g(Σ_k φ(z_k - z_y))` with `φ = exp`, `g = log`. Core Lean
has neither, so they are parameters with the properties the proof uses: `g` strictly increasing on
positive numbers, `φ > 0`, and `φ` above its tangent line at `-M` with a positive slope `s`
(`φ(t) ≥ φ(-M) + s (t + M)`; for `exp` this is convexity, `s = exp(-M)`). With `c ≥ 2` classes and
`M ≥ 0`, `M² (c - 1) = R² c` (i.e. `M = R √(c/(c-1))`), the unique minimiser over the ball is
`z* = M (e_y - 1/c)`, it lies on the sphere (the constraint binds), `1ᵀz* = 0`, and the loss is
`g(φ(0) + (c - 1) φ(-M))` (`= log(1 + (c-1) exp(-R √(c/(c-1))))`).

(d) Squared error `‖z - e_y‖²` (`e_y` any unit vector): for `R ≤ 1` the unique minimiser is `R e_y` on
the sphere; for `R ≥ 1` it is `e_y` (loss 0), slack when `R > 1`. With slack, non-aligned maps attain
the optimum: `z yᵀ/‖y‖² + e wᵀ` (`w ⊥ y`) has the same logits and norm `‖z‖²/‖y‖² + ‖e‖²‖w‖²`.

Paper: arXiv 2605.08464 (registry ID T1; the closed forms are ours).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]

/-! ## Scalar helpers -/

theorem le_of_mul_self_le' {a b : α} (hb : 0 ≤ b) (h : a * a ≤ b * b) : a ≤ b := by
  false_or_by_contra
  have h1 : 0 < a - b := by grind
  have h2 : 0 < a + b := by grind
  have := Lean.Grind.OrderedRing.mul_pos h1 h2
  grind

theorem eq_of_mul_right_eq' {a b c : α} (hc : c ≠ 0) (h : a * c = b * c) : a = b := by
  have hinv : c * c⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hc
  have : a * c * c⁻¹ = b * c * c⁻¹ := by rw [h]
  grind

theorem norm2_add' {n : Nat} (p q : Fin n → α) :
    norm2 (fun j => p j + q j) = norm2 p + 2 * dot p q + norm2 q := by
  have h := norm2_sub_smul p q (-1)
  have e : (fun i => p i - -1 * q i) = (fun j => p j + q j) := funext fun i => by grind
  rw [e] at h; rw [h]; grind

/-- The number of classes as a scalar, `Σ_k 1`. -/
theorem vsum_ones_succ (n : Nat) :
    vsum (ones (n + 1) : Fin (n + 1) → α) = vsum (ones n : Fin n → α) + 1 := rfl

theorem vsum_ones_nonneg (n : Nat) : 0 ≤ vsum (ones n : Fin n → α) :=
  vsum_nonneg (fun _ => by show (0 : α) ≤ 1; grind)

theorem vsum_ones_ge_two {c : Nat} (hc : 2 ≤ c) : 2 ≤ vsum (ones c : Fin c → α) := by
  obtain ⟨k, rfl⟩ : ∃ k, c = k + 2 := ⟨c - 2, by omega⟩
  rw [vsum_ones_succ, vsum_ones_succ]
  have := vsum_ones_nonneg (α := α) k
  grind

theorem vsum_basisVec {c : Nat} (y : Fin c) : vsum (basisVec y : Fin c → α) = 1 := by
  rw [vsum_single _ y (fun i hi => by show (if i = y then (1 : α) else 0) = 0; rw [if_neg hi])]
  show (if y = y then (1 : α) else 0) = 1
  rw [if_pos rfl]

theorem vsum_mul_basisVec {c : Nat} (y : Fin c) (z : Fin c → α) :
    vsum (fun k => z k * basisVec y k) = z y := by
  rw [vsum_single _ y (fun i hi => by
    show z i * (if i = y then (1 : α) else 0) = 0; rw [if_neg hi]; grind)]
  show z y * (if y = y then (1 : α) else 0) = z y
  rw [if_pos rfl]; grind

theorem basisVec_cases {c : Nat} (y k : Fin c) :
    (k = y ∧ (basisVec y k : α) = 1) ∨ (k ≠ y ∧ (basisVec y k : α) = 0) := by
  by_cases h : k = y
  · exact Or.inl ⟨h, by show (if k = y then (1 : α) else 0) = 1; rw [if_pos h]⟩
  · exact Or.inr ⟨h, by show (if k = y then (1 : α) else 0) = 0; rw [if_neg h]⟩

/-! ## The logit ball -/

/-- [T1] The logits reachable under the constraint: some `W` with `‖W‖_F² ≤ a` has `W y = z` iff
`‖z‖² ≤ a ‖y‖²` (`y = x~`, so the ball has `R² = a (‖x‖² + 1)`); the reduction of T1(c), T1(d) to
logits. -/
theorem logit_ball {m n : Nat} (y : Fin n → α) (hy : norm2 y ≠ 0) (a : α) (z : Fin m → α) :
    (∃ W : Fin m → Fin n → α, frob W ≤ a ∧ matVec W y = z) ↔ norm2 z ≤ a * norm2 y := by
  constructor
  · rintro ⟨W, hW, rfl⟩
    have h1 := norm2_matVec_le W y
    have h2 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right hW (norm2_nonneg y)
    grind
  · intro h
    refine ⟨minNormSol z y, ?_, matVec_minNormSol z y hy⟩
    rw [frob_minNormSol z y hy, div_le_iff_of_pos (norm2_pos_of_ne hy)]
    exact h

/-! ## T1(d): squared error -/

/-- [T1(d)] Squared error to a unit vector `e` (`e = e_y`) over the logit ball `‖z‖² ≤ R²`,
`0 ≤ R ≤ 1`: `R e` lies on the sphere (the constraint binds), has loss `(1 - R)²`, and is the unique
minimiser. -/
theorem sqerr_ball_small {c : Nat} (e : Fin c → α) (he : norm2 e = 1) (R : α) (hR0 : 0 ≤ R)
    (hR1 : R ≤ 1) :
    norm2 (fun k => R * e k) = R * R ∧
    norm2 (fun k => R * e k - e k) = (1 - R) * (1 - R) ∧
    ∀ z : Fin c → α, norm2 z ≤ R * R →
      norm2 (fun k => R * e k - e k) ≤ norm2 (fun k => z k - e k) ∧
      (norm2 (fun k => z k - e k) = norm2 (fun k => R * e k - e k) → z = fun k => R * e k) := by
  have hopt : norm2 (fun k => R * e k - e k) = (1 - R) * (1 - R) := by
    have f : (fun k => R * e k - e k) = (fun k => (R - 1) * e k) := funext fun k => by grind
    rw [f, norm2_smul, he]; grind
  refine ⟨by rw [norm2_smul, he]; grind, hopt, fun z hz => ?_⟩
  have hL : norm2 (fun k => z k - e k) = norm2 z - 2 * dot z e + 1 := by
    have h := norm2_sub_smul z e 1
    have f : (fun i => z i - 1 * e i) = (fun k => z k - e k) := funext fun i => by grind
    rw [f, he] at h; rw [h]; grind
  have hcs := cauchy_schwarz z e
  rw [he] at hcs
  have hs : dot z e ≤ R := le_of_mul_self_le' hR0 (by grind)
  have hprod := Lean.Grind.OrderedRing.mul_nonneg (a := R - dot z e) (b := 2 - dot z e - R)
    (by grind) (by grind)
  rw [hopt, hL]
  refine ⟨by grind, fun heq => ?_⟩
  have hsR : dot z e = R := by
    false_or_by_contra
    have hp := Lean.Grind.OrderedRing.mul_pos (a := R - dot z e) (b := 2 - dot z e - R)
      (by grind) (by grind)
    grind
  have hnz : dot z e * dot z e = norm2 z * norm2 e := by rw [he]; grind
  have hz' := (cauchy_schwarz_eq_iff z e (by rw [he]; grind)).1 hnz
  rw [hz']
  funext k
  rw [hsR, he]
  have : R / 1 = R := by
    have := div_mul_cancel' (a := R) (c := (1 : α)) (by grind); grind
  rw [this]

/-- [T1(d)] For `R ≥ 1`: `e` (`= e_y`) is feasible (`‖e‖² = 1 ≤ R²`, strictly inside when `R > 1`), has
loss `0`, and is the unique minimiser of the squared error over the ball. -/
theorem sqerr_ball_large {c : Nat} (e : Fin c → α) (he : norm2 e = 1) (R : α) (hR : 1 ≤ R) :
    norm2 e ≤ R * R ∧ (1 < R → norm2 e < R * R) ∧ norm2 (fun k => e k - e k) = 0 ∧
    ∀ z : Fin c → α, 0 ≤ norm2 (fun k => z k - e k) ∧
      (norm2 (fun k => z k - e k) = 0 → z = e) := by
  have h1 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left hR (by grind : (0 : α) ≤ R)
  refine ⟨by grind, fun h => ?_, ?_, fun z => ⟨norm2_nonneg _, fun h0 => ?_⟩⟩
  · have := Lean.Grind.OrderedRing.mul_lt_mul_of_pos_left h (by grind : (0 : α) < R); grind
  · exact (norm2_eq_zero_iff _).2 (fun k => by grind)
  · funext k; have := (norm2_eq_zero_iff _).1 h0 k; grind

theorem perturbed_apply {m n : Nat} (z e : Fin m → α) (y w v : Fin n → α) (i : Fin m) :
    matVec (fun i j => minNormSol z y i j + e i * w j) v i =
      z i / norm2 y * dot y v + e i * dot w v := by
  show dot (fun j => z i / norm2 y * y j + e i * w j) v = _
  rw [dot_add_left, dot_smul_left, dot_smul_left]

theorem frob_perturbed {m n : Nat} (z e : Fin m → α) (y w : Fin n → α) (hw : dot y w = 0) :
    frob (fun i j => minNormSol z y i j + e i * w j) =
      frob (minNormSol z y) + norm2 e * norm2 w := by
  have hr : ∀ i, norm2 (fun j => minNormSol z y i j + e i * w j) =
      norm2 (minNormSol z y i) + e i * e i * norm2 w := by
    intro i
    rw [norm2_add', dot_smul_right, norm2_smul]
    have h0 : dot (minNormSol z y i) w = 0 := by
      show dot (fun j => z i / norm2 y * y j) w = 0
      rw [dot_smul_left, hw]; grind
    rw [h0]; grind
  show vsum (fun i => norm2 (fun j => minNormSol z y i j + e i * w j)) = _
  rw [vsum_congr hr, vsum_add, vsum_mul_right]
  rfl

/-- [T1(d)] With slack, the optimum is attained by non-aligned maps: for `w ⊥ y`, `w ≠ 0`, `e ≠ 0`, the
map `z yᵀ/‖y‖² + e wᵀ` has the logits `z` at `y`, squared norm `‖z‖²/‖y‖² + ‖e‖²‖w‖²` (feasible whenever
that is at most `a`, e.g. T1(d) with `R > 1`, after scaling `w`), and is not of the form `u yᵀ`. -/
theorem slack_not_aligned {m n : Nat} (z e : Fin m → α) (y w : Fin n → α) (hy : norm2 y ≠ 0)
    (hw : dot y w = 0) (hw0 : norm2 w ≠ 0) (he : norm2 e ≠ 0) :
    matVec (fun i j => minNormSol z y i j + e i * w j) y = z ∧
    frob (fun i j => minNormSol z y i j + e i * w j) = norm2 z / norm2 y + norm2 e * norm2 w ∧
    ∀ u : Fin m → α, (fun i j => minNormSol z y i j + e i * w j) ≠ outer u y := by
  have hwy : dot w y = 0 := by rw [dot_comm]; exact hw
  refine ⟨?_, ?_, ?_⟩
  · funext i
    rw [perturbed_apply, hwy]
    have hyy : dot y y = norm2 y := rfl
    rw [hyy]
    have := div_mul_cancel' (a := z i) hy
    grind
  · rw [frob_perturbed z e y w hw, frob_minNormSol z y hy]
  · intro u hu
    have hne : ¬ ∀ i, e i = 0 := fun h => he ((norm2_eq_zero_iff e).2 h)
    apply hne
    intro i
    have h := congrFun (congrArg (fun W => matVec W w) hu) i
    simp only at h
    rw [perturbed_apply, matVec_outer, hw] at h
    have e2 : dot w w = norm2 w := rfl
    rw [e2] at h
    have h3 : e i * norm2 w = 0 := by grind
    have hinv : norm2 w * (norm2 w)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hw0
    have : e i = e i * norm2 w * (norm2 w)⁻¹ := by grind
    rw [this, h3]; grind

/-! ## T1(c): softmax cross-entropy with `exp`, `log` as parameters -/

/-- Cross-entropy of class `y` through `g`, `φ`: `g(Σ_k φ(z_k - z_y))`; with `g = log`, `φ = exp` this is
`-log softmax(z)_y`. -/
def ceLoss {c : Nat} (g φ : α → α) (y : Fin c) (z : Fin c → α) : α :=
  g (vsum (fun k => φ (z k - z y)))

/-- The claimed optimum `z* = M (e_y - 1/c)` (`M = R √(c/(c-1))`; `c` written as `Σ_k 1`). -/
def ceOpt {c : Nat} (y : Fin c) (M : α) : Fin c → α :=
  fun k => M * (basisVec y k - 1 / vsum (ones c : Fin c → α))

theorem ones_apply' {c : Nat} (k : Fin c) : (ones c k : α) = 1 := rfl

theorem vsum_const' {c : Nat} (a : α) : vsum (fun _ : Fin c => a) = a * vsum (ones c : Fin c → α) := by
  rw [← vsum_mul_left]; exact vsum_congr (fun k => by rw [ones_apply']; grind)

theorem basisVec_self {c : Nat} (y : Fin c) : (basisVec y y : α) = 1 := by
  show (if y = y then (1 : α) else 0) = 1; rw [if_pos rfl]

theorem one_div_eq_inv' (a : α) : 1 / a = a⁻¹ := by
  rw [Lean.Grind.Field.div_eq_mul_inv]; grind

/-- The optimum lies on the sphere: `‖M (e_y - 1/c)‖² = M² (c-1)/c = R²`. -/
theorem ceOpt_norm {c : Nat} (y : Fin c) (M R2 : α) (hc : 2 ≤ c)
    (hMR : M * M * (vsum (ones c : Fin c → α) - 1) = R2 * vsum (ones c : Fin c → α)) :
    norm2 (ceOpt y M) = R2 := by
  have hC2 := vsum_ones_ge_two (α := α) hc
  have hC0 : vsum (ones c : Fin c → α) ≠ 0 := by grind
  have hCinv : vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α))⁻¹ = 1 :=
    Lean.Grind.Field.mul_inv_cancel hC0
  have hb1 := vsum_basisVec (α := α) y
  have f : ceOpt y M = fun k => M * (basisVec y k - (vsum (ones c : Fin c → α))⁻¹) := by
    funext k; unfold ceOpt; rw [one_div_eq_inv']
  rw [f, norm2_smul]
  have t : ∀ k, (basisVec y k - (vsum (ones c : Fin c → α))⁻¹) *
      (basisVec y k - (vsum (ones c : Fin c → α))⁻¹) =
      (1 - 2 * (vsum (ones c : Fin c → α))⁻¹) * basisVec y k +
        (vsum (ones c : Fin c → α))⁻¹ * (vsum (ones c : Fin c → α))⁻¹ := by
    intro k
    rcases basisVec_cases (α := α) y k with ⟨_, h⟩ | ⟨_, h⟩ <;> rw [h] <;> grind
  have hn : norm2 (fun k => basisVec y k - (vsum (ones c : Fin c → α))⁻¹) =
      1 - (vsum (ones c : Fin c → α))⁻¹ := by
    show vsum _ = _
    rw [vsum_congr t, vsum_add, vsum_mul_left, hb1, vsum_const']
    grind
  rw [hn]
  apply eq_of_mul_right_eq' hC0
  grind

/-- The optimum has `1ᵀz* = 0` (so P1's centroid vanishes there). -/
theorem ceOpt_sum {c : Nat} (y : Fin c) (M : α) (hc : 2 ≤ c) : vsum (ceOpt y M) = 0 := by
  have hC2 := vsum_ones_ge_two (α := α) hc
  have hC0 : vsum (ones c : Fin c → α) ≠ 0 := by grind
  have hCinv : vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α))⁻¹ = 1 :=
    Lean.Grind.Field.mul_inv_cancel hC0
  unfold ceOpt
  rw [vsum_mul_left, vsum_sub, vsum_basisVec, vsum_const', one_div_eq_inv']
  grind

theorem ceOpt_gap {c : Nat} (y k : Fin c) (M : α) :
    ceOpt y M k - ceOpt y M y = M * (basisVec y k - 1) := by
  unfold ceOpt; rw [basisVec_self]; grind

theorem ceOpt_val {c : Nat} (y : Fin c) (M : α) (φ : α → α) :
    vsum (fun k => φ (ceOpt y M k - ceOpt y M y)) =
      φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) := by
  have t : ∀ k, φ (ceOpt y M k - ceOpt y M y) =
      φ 0 * basisVec y k + φ (-M) * (ones c k - basisVec y k) := by
    intro k
    rw [ceOpt_gap, ones_apply']
    rcases basisVec_cases (α := α) y k with ⟨_, h⟩ | ⟨_, h⟩ <;> rw [h]
    · rw [show M * (1 - 1) = (0 : α) by grind]; grind
    · rw [show M * (0 - 1) = -M by grind]; grind
  rw [vsum_congr t, vsum_add, vsum_mul_left, vsum_mul_left, vsum_sub, vsum_basisVec]
  grind

/-- The direction `D = c e_y - 1` of the summed margins: `z·D = Σ_k (z_y - z_k)`. -/
def ceDir {c : Nat} (y : Fin c) : Fin c → α := fun k => vsum (ones c : Fin c → α) * basisVec y k - ones c k

theorem ceDir_dot {c : Nat} (y : Fin c) (z : Fin c → α) :
    dot z (ceDir y) = vsum (ones c : Fin c → α) * z y - vsum z := by
  unfold ceDir
  rw [dot_comm, dot_sub_left, dot_smul_left]
  have e1 : dot (basisVec y) z = z y := by
    rw [dot_comm]; exact vsum_mul_basisVec y z
  have e2 : dot (ones c) z = vsum z := by
    unfold dot; exact vsum_congr (fun k => by rw [ones_apply']; grind)
  rw [e1, e2]

theorem ceDir_norm {c : Nat} (y : Fin c) :
    norm2 (ceDir y : Fin c → α) = vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α) - 1) := by
  have t : ∀ k, (ceDir y k : α) * ceDir y k =
      (vsum (ones c : Fin c → α) * vsum (ones c : Fin c → α) -
        2 * vsum (ones c : Fin c → α)) * basisVec y k + 1 := by
    intro k
    unfold ceDir; rw [ones_apply']
    rcases basisVec_cases (α := α) y k with ⟨_, h⟩ | ⟨_, h⟩ <;> rw [h] <;> grind
  show vsum _ = _
  rw [vsum_congr t, vsum_add, vsum_mul_left, vsum_basisVec, vsum_const']
  grind

/-- The tangent-line bound summed over the classes. -/
theorem ce_tangent_sum {c : Nat} (φ : α → α) (s M : α) (y : Fin c) (z : Fin c → α)
    (htan : ∀ t, φ (-M) + s * (t + M) ≤ φ t) :
    φ 0 + (vsum (ones c : Fin c → α) - 1) * (φ (-M) + s * M) +
      s * (vsum z - vsum (ones c : Fin c → α) * z y) ≤ vsum (fun k => φ (z k - z y)) := by
  have t : ∀ k, φ 0 * basisVec y k + (φ (-M) + s * M) * (ones c k - basisVec y k) +
      s * (z k - z y) ≤ φ (z k - z y) := by
    intro k
    have hk := htan (z k - z y)
    clear htan
    rw [ones_apply']
    rcases basisVec_cases (α := α) y k with ⟨hky, h⟩ | ⟨_, h⟩ <;> rw [h]
    · rw [hky, show z y - z y = 0 by grind]; grind
    · grind
  have hsum := vsum_le t
  clear htan t
  rw [vsum_add, vsum_add, vsum_mul_left, vsum_mul_left, vsum_mul_left, vsum_sub, vsum_sub,
    vsum_basisVec, vsum_const'] at hsum
  grind

/-- Cauchy–Schwarz on the summed margin: in the ball, `z·D ≤ M (c-1)`, with equality only at `z*`. -/
theorem ce_margin_bound {c : Nat} (y : Fin c) (M R2 : α) (z : Fin c → α) (hc : 2 ≤ c) (hM : 0 ≤ M)
    (hMR : M * M * (vsum (ones c : Fin c → α) - 1) = R2 * vsum (ones c : Fin c → α))
    (hz : norm2 z ≤ R2) :
    dot z (ceDir y) ≤ M * (vsum (ones c : Fin c → α) - 1) ∧
      (dot z (ceDir y) = M * (vsum (ones c : Fin c → α) - 1) → z = ceOpt y M) := by
  have hC2 := vsum_ones_ge_two (α := α) hc
  have hD := ceDir_norm (α := α) y
  have hDpos : 0 < vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α) - 1) :=
    Lean.Grind.OrderedRing.mul_pos (by grind) (by grind)
  have hcs := cauchy_schwarz z (ceDir y)
  rw [hD] at hcs
  have hz2 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_right hz (Std.le_of_lt hDpos)
  have hMC : 0 ≤ M * (vsum (ones c : Fin c → α) - 1) :=
    Lean.Grind.OrderedRing.mul_nonneg hM (by grind)
  have hR2 : R2 * (vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α) - 1)) =
      (M * (vsum (ones c : Fin c → α) - 1)) * (M * (vsum (ones c : Fin c → α) - 1)) := by
    have h := congrArg (fun t => t * (vsum (ones c : Fin c → α) - 1)) hMR
    simp only at h
    grind
  have hle : dot z (ceDir y) ≤ M * (vsum (ones c : Fin c → α) - 1) :=
    le_of_mul_self_le' hMC (by grind)
  refine ⟨hle, fun heq => ?_⟩
  have hnz : dot z (ceDir y) * dot z (ceDir y) = norm2 z * norm2 (ceDir y : Fin c → α) := by
    rw [hD]; grind
  have hz' := (cauchy_schwarz_eq_iff z _ (by rw [hD]; grind)).1 hnz
  rw [hz']
  funext k
  rw [heq, hD]
  have hDne : vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α) - 1) ≠ 0 := by grind
  have hC0 : vsum (ones c : Fin c → α) ≠ 0 := by grind
  have hCinv : vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α))⁻¹ = 1 :=
    Lean.Grind.Field.mul_inv_cancel hC0
  have hA : M * (vsum (ones c : Fin c → α) - 1) /
      (vsum (ones c : Fin c → α) * (vsum (ones c : Fin c → α) - 1)) =
      M * (vsum (ones c : Fin c → α))⁻¹ := by
    apply eq_of_mul_right_eq' hDne
    rw [div_mul_cancel' hDne]
    grind
  rw [hA]; unfold ceOpt ceDir; rw [one_div_eq_inv', ones_apply']; grind

/-- [T1(c)] Softmax cross-entropy over the logit ball `‖z‖² ≤ R²` (`c ≥ 2`, `M ≥ 0`,
`M²(c-1) = R² c`), for any `g` strictly increasing on positive numbers and any positive `φ` above its
tangent line at `-M` with slope `s > 0` (`log`, `exp` with `s = exp(-M)`): `z* = M (e_y - 1/c)` lies on
the sphere (binding), has `1ᵀz* = 0`, minimises the loss, is the only minimiser, and its loss is
`g(φ(0) + (c-1) φ(-M))`. -/
theorem ce_ball_opt {c : Nat} (g φ : α → α) (y : Fin c) (R2 M s : α) (hc : 2 ≤ c) (hM : 0 ≤ M)
    (hMR : M * M * (vsum (ones c : Fin c → α) - 1) = R2 * vsum (ones c : Fin c → α))
    (hs : 0 < s) (htan : ∀ t, φ (-M) + s * (t + M) ≤ φ t) (hφ : ∀ t, 0 < φ t)
    (hg : ∀ a b, 0 < a → a < b → g a < g b) :
    norm2 (ceOpt y M) = R2 ∧ vsum (ceOpt y M) = 0 ∧
    ceLoss g φ y (ceOpt y M) = g (φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M)) ∧
    (∀ z, norm2 z ≤ R2 → ceLoss g φ y (ceOpt y M) ≤ ceLoss g φ y z) ∧
    (∀ z, norm2 z ≤ R2 → ceLoss g φ y z ≤ ceLoss g φ y (ceOpt y M) → z = ceOpt y M) := by
  have hC2 := vsum_ones_ge_two (α := α) hc
  have hpos : 0 < φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) := by
    have h0 := hφ 0
    have h1 := Lean.Grind.OrderedRing.mul_pos (a := vsum (ones c : Fin c → α) - 1) (b := φ (-M))
      (by grind) (hφ _)
    clear hφ hg htan
    grind
  have hLz : ceLoss g φ y (ceOpt y M) = g (φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M)) := by
    unfold ceLoss; rw [ceOpt_val]
  -- every `z` in the ball: the summed tangent bound and the margin bound
  have key : ∀ z, norm2 z ≤ R2 →
      φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) +
        s * (M * (vsum (ones c : Fin c → α) - 1) - dot z (ceDir y)) ≤ vsum (fun k => φ (z k - z y)) ∧
      0 ≤ M * (vsum (ones c : Fin c → α) - 1) - dot z (ceDir y) ∧
      (dot z (ceDir y) = M * (vsum (ones c : Fin c → α) - 1) → z = ceOpt y M) := by
    intro z hz
    have hT := ce_tangent_sum φ s M y z htan
    obtain ⟨hle, heq⟩ := ce_margin_bound y M R2 z hc hM hMR hz
    have hd := ceDir_dot (α := α) y z
    have e : φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) +
        s * (M * (vsum (ones c : Fin c → α) - 1) - dot z (ceDir y)) =
        φ 0 + (vsum (ones c : Fin c → α) - 1) * (φ (-M) + s * M) +
          s * (vsum z - vsum (ones c : Fin c → α) * z y) := by
      rw [hd]; clear hφ hg htan heq hT hle; grind
    refine ⟨by rw [e]; exact hT, ?_, heq⟩
    clear hφ hg htan heq hT hd e
    grind
  refine ⟨ceOpt_norm y M R2 hc hMR, ceOpt_sum y M hc, hLz, fun z hz => ?_, fun z hz hzle => ?_⟩
  · obtain ⟨h1, h2, -⟩ := key z hz
    have h3 := Lean.Grind.OrderedRing.mul_nonneg (Std.le_of_lt hs) h2
    rw [hLz]; unfold ceLoss
    by_cases he : φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) = vsum (fun k => φ (z k - z y))
    · rw [he]; exact Std.le_refl _
    · have hlt : φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) < vsum (fun k => φ (z k - z y)) := by
        clear hφ hg htan key; grind
      exact Std.le_of_lt (hg _ _ hpos hlt)
  · obtain ⟨h1, h2, h3⟩ := key z hz
    apply h3
    rw [hLz] at hzle; unfold ceLoss at hzle
    have hS : vsum (fun k => φ (z k - z y)) ≤ φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) := by
      false_or_by_contra
      rename_i hn
      have hlt : φ 0 + (vsum (ones c : Fin c → α) - 1) * φ (-M) < vsum (fun k => φ (z k - z y)) := by
        clear hφ hg htan key; grind
      have := hg _ _ hpos hlt
      clear hφ hg htan key; grind
    false_or_by_contra
    rename_i hn
    have hp := Lean.Grind.OrderedRing.mul_pos hs
      (by clear hφ hg htan key; grind : (0 : α) < M * (vsum (ones c : Fin c → α) - 1) - dot z (ceDir y))
    clear hφ hg htan key
    grind

end NormAlign
