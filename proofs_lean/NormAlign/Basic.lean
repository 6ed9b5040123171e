module

/-!
# Vectors and matrices over an ordered field

Shared definitions for the NormAlign proofs (paper: Walker, Roddenberry, Humayun, Balestriero,
Baraniuk, "The Geometric Structure of Models Learning Sparse Data", arXiv 2605.08464; statement IDs
of `shared/THEOREMS.md`). Vectors are functions `Fin n → α`, matrices `Fin m → Fin n → α` (rows),
over an ordered field given by the core `Lean.Grind` classes (`Rat` is an instance). Norms are kept
in squared form. The central fact is the Cauchy–Schwarz gap identity `cs_gap`:
`‖x‖² (‖w‖² ‖x‖² - (w·x)²) = ‖x‖² · ‖x‖² ‖w - t x‖²` with `t = (w·x)/‖x‖²` (stated below in the form
used), from which the minimum-norm lemma (L1) and its consequences follow.
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α]

/-! ## Scalars -/

theorem sq_nonneg' (a : α) : 0 ≤ a * a := by
  have := Lean.Grind.OrderedRing.sq_nonneg (a := a); grind

theorem eq_zero_of_mul_self_eq_zero {a : α} (h : a * a = 0) : a = 0 := by grind

theorem inv_pos_of_pos {a : α} (h : 0 < a) : 0 < a⁻¹ := by
  have h1 : a * a⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel (by grind)
  false_or_by_contra
  have h2 : a⁻¹ ≤ 0 := by grind
  have h3 := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h2 (Std.le_of_lt h)
  grind

theorem mul_div_cancel_left' {a c : α} (hc : c ≠ 0) : c * (a / c) = a := by
  have h1 : c * c⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hc
  have hd : a / c = a * c⁻¹ := Lean.Grind.Field.div_eq_mul_inv a c
  have e : c * (a * c⁻¹) = a * (c * c⁻¹) := by grind
  rw [hd, e, h1]; grind

theorem div_mul_cancel' {a c : α} (hc : c ≠ 0) : a / c * c = a := by
  have := mul_div_cancel_left' (a := a) hc; grind

theorem inv_mul_mul_cancel' {a c : α} (hc : c ≠ 0) : c⁻¹ * (a * c) = a := by
  have h1 : c * c⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hc
  have e : c⁻¹ * (a * c) = a * (c * c⁻¹) := by grind
  rw [e, h1]; grind

theorem div_le_iff_of_pos {a b c : α} (hc : 0 < c) : a / c ≤ b ↔ a ≤ b * c := by
  have hi := inv_pos_of_pos hc
  have hc0 : c ≠ 0 := by grind
  have hd : a / c = c⁻¹ * a := by rw [Lean.Grind.Field.div_eq_mul_inv a c]; grind
  constructor
  · intro h
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h (Std.le_of_lt hc)
    rw [mul_div_cancel_left' hc0] at this; grind
  · intro h
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h (Std.le_of_lt hi)
    rw [inv_mul_mul_cancel' hc0, ← hd] at this; exact this

theorem le_div_iff_of_pos {a b c : α} (hc : 0 < c) : a ≤ b / c ↔ a * c ≤ b := by
  have hi := inv_pos_of_pos hc
  have hc0 : c ≠ 0 := by grind
  have hd : b / c = c⁻¹ * b := by rw [Lean.Grind.Field.div_eq_mul_inv b c]; grind
  constructor
  · intro h
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h (Std.le_of_lt hc)
    rw [mul_div_cancel_left' hc0] at this; grind
  · intro h
    have := Lean.Grind.OrderedRing.mul_le_mul_of_nonneg_left h (Std.le_of_lt hi)
    rw [inv_mul_mul_cancel' hc0, ← hd] at this; exact this

/-- `relu a = max a 0`. -/
def relu [DecidableLE α] (a : α) : α := if 0 ≤ a then a else 0

/-! ## Sums over `Fin n` -/

/-- `vsum f = f 0 + ... + f (n-1)` (summed from the last index down). -/
def vsum : {n : Nat} → (Fin n → α) → α
  | 0, _ => 0
  | _ + 1, f => vsum (fun i => f (Fin.castSucc i)) + f (Fin.last _)

@[simp] theorem vsum_zero (f : Fin 0 → α) : vsum f = 0 := rfl

theorem vsum_succ {n : Nat} (f : Fin (n + 1) → α) :
    vsum f = vsum (fun i => f (Fin.castSucc i)) + f (Fin.last n) := rfl

theorem vsum_add {n : Nat} (f g : Fin n → α) :
    vsum (fun i => f i + g i) = vsum f + vsum g := by
  induction n with
  | zero => simp; grind
  | succ n ih => rw [vsum_succ, vsum_succ f, vsum_succ g, ih]; grind

theorem vsum_mul_left {n : Nat} (c : α) (f : Fin n → α) :
    vsum (fun i => c * f i) = c * vsum f := by
  induction n with
  | zero => simp; grind
  | succ n ih => rw [vsum_succ, vsum_succ f, ih]; grind

theorem vsum_mul_right {n : Nat} (c : α) (f : Fin n → α) :
    vsum (fun i => f i * c) = vsum f * c := by
  induction n with
  | zero => simp; grind
  | succ n ih => rw [vsum_succ, vsum_succ f, ih]; grind

theorem vsum_neg {n : Nat} (f : Fin n → α) : vsum (fun i => -f i) = -vsum f := by
  induction n with
  | zero => simp; grind
  | succ n ih => rw [vsum_succ, vsum_succ f, ih]; grind

theorem vsum_sub {n : Nat} (f g : Fin n → α) :
    vsum (fun i => f i - g i) = vsum f - vsum g := by
  induction n with
  | zero => simp; grind
  | succ n ih => rw [vsum_succ, vsum_succ f, vsum_succ g, ih]; grind

theorem vsum_congr {n : Nat} {f g : Fin n → α} (h : ∀ i, f i = g i) : vsum f = vsum g := by
  have : f = g := funext h
  rw [this]

theorem vsum_zero_fun {n : Nat} : vsum (fun _ : Fin n => (0 : α)) = 0 := by
  induction n with
  | zero => rfl
  | succ n ih => rw [vsum_succ, ih]; grind

theorem vsum_comm {m n : Nat} (f : Fin m → Fin n → α) :
    vsum (fun i => vsum (fun j => f i j)) = vsum (fun j => vsum (fun i => f i j)) := by
  induction m with
  | zero => simp; exact vsum_zero_fun.symm
  | succ m ih =>
    rw [vsum_succ, ih]
    conv => rhs; arg 1; ext j; rw [vsum_succ]
    rw [vsum_add]

theorem vsum_nonneg {n : Nat} {f : Fin n → α} (h : ∀ i, 0 ≤ f i) : 0 ≤ vsum f := by
  induction n with
  | zero => simp; exact Std.le_refl _
  | succ n ih =>
    rw [vsum_succ]
    have := ih (fun i => h (Fin.castSucc i))
    have := h (Fin.last n)
    grind

theorem vsum_le {n : Nat} {f g : Fin n → α} (h : ∀ i, f i ≤ g i) : vsum f ≤ vsum g := by
  induction n with
  | zero => simp; exact Std.le_refl _
  | succ n ih =>
    rw [vsum_succ, vsum_succ g]
    have := ih (fun i => h (Fin.castSucc i))
    have := h (Fin.last n)
    grind

theorem vsum_eq_zero_iff_of_nonneg {n : Nat} {f : Fin n → α} (h : ∀ i, 0 ≤ f i) :
    vsum f = 0 ↔ ∀ i, f i = 0 := by
  induction n with
  | zero => simp
  | succ n ih =>
    rw [vsum_succ]
    have h1 := vsum_nonneg (fun i => h (Fin.castSucc i))
    have h2 := h (Fin.last n)
    constructor
    · intro hs i
      have hl : f (Fin.last n) = 0 := by grind
      have hc : vsum (fun i => f (Fin.castSucc i)) = 0 := by grind
      have hc' := (ih (fun i => h (Fin.castSucc i))).1 hc
      induction i using Fin.lastCases with
      | last => exact hl
      | cast j => exact hc' j
    · intro hz
      have hc : vsum (fun i => f (Fin.castSucc i)) = 0 :=
        (ih (fun i => h (Fin.castSucc i))).2 (fun j => hz _)
      rw [hc, hz]; grind

/-- Sum of a function that vanishes off one index. -/
theorem vsum_single {n : Nat} (f : Fin n → α) (j : Fin n) (h : ∀ i, i ≠ j → f i = 0) :
    vsum f = f j := by
  induction n with
  | zero => exact j.elim0
  | succ n ih =>
    rw [vsum_succ]
    induction j using Fin.lastCases with
    | last =>
      have : vsum (fun i => f (Fin.castSucc i)) = 0 := by
        rw [vsum_congr (g := fun _ => 0) (fun i => h _ (by
          intro he; have := congrArg Fin.val he; simp at this; omega))]
        exact vsum_zero_fun
      rw [this]; grind
    | cast j =>
      have hl : f (Fin.last n) = 0 := h _ (by
        intro he; have := congrArg Fin.val he; simp at this; omega)
      rw [ih (fun i => f (Fin.castSucc i)) j (fun i hi => h _ (by
        intro he; exact hi (Fin.castSucc_inj.mp he))), hl]
      grind

/-! ## Vectors -/

/-- Dot product `x · y`. -/
def dot {n : Nat} (x y : Fin n → α) : α := vsum (fun i => x i * y i)

/-- Squared Euclidean norm `‖x‖²`. -/
def norm2 {n : Nat} (x : Fin n → α) : α := dot x x

/-- The all-ones vector `1`. -/
def ones (n : Nat) : Fin n → α := fun _ => 1

theorem dot_comm {n : Nat} (x y : Fin n → α) : dot x y = dot y x := by
  unfold dot; exact vsum_congr (fun i => by grind)

theorem dot_smul_left {n : Nat} (c : α) (x y : Fin n → α) :
    dot (fun i => c * x i) y = c * dot x y := by
  unfold dot; rw [← vsum_mul_left]; exact vsum_congr (fun i => by grind)

theorem dot_smul_right {n : Nat} (c : α) (x y : Fin n → α) :
    dot x (fun i => c * y i) = c * dot x y := by
  unfold dot; rw [← vsum_mul_left]; exact vsum_congr (fun i => by grind)

theorem dot_sub_left {n : Nat} (x y z : Fin n → α) :
    dot (fun i => x i - y i) z = dot x z - dot y z := by
  unfold dot; rw [← vsum_sub]; exact vsum_congr (fun i => by grind)

theorem dot_add_left {n : Nat} (x y z : Fin n → α) :
    dot (fun i => x i + y i) z = dot x z + dot y z := by
  unfold dot; rw [← vsum_add]; exact vsum_congr (fun i => by grind)

theorem norm2_nonneg {n : Nat} (x : Fin n → α) : 0 ≤ norm2 x :=
  vsum_nonneg (fun i => sq_nonneg' (x i))

theorem norm2_eq_zero_iff {n : Nat} (x : Fin n → α) : norm2 x = 0 ↔ ∀ i, x i = 0 := by
  unfold norm2 dot
  rw [vsum_eq_zero_iff_of_nonneg (fun i => sq_nonneg' (x i))]
  constructor
  · intro h i; exact eq_zero_of_mul_self_eq_zero (h i)
  · intro h i; rw [h i]; grind

theorem norm2_pos_of_ne {n : Nat} {x : Fin n → α} (h : norm2 x ≠ 0) : 0 < norm2 x := by
  have := norm2_nonneg x; grind

theorem norm2_smul {n : Nat} (c : α) (x : Fin n → α) :
    norm2 (fun i => c * x i) = c * c * norm2 x := by
  unfold norm2; rw [dot_smul_left, dot_smul_right]; grind

/-- Expansion of `‖w - t x‖²`. -/
theorem norm2_sub_smul {n : Nat} (w x : Fin n → α) (t : α) :
    norm2 (fun i => w i - t * x i) = norm2 w - 2 * t * dot w x + t * t * norm2 x := by
  unfold norm2 dot
  rw [← vsum_mul_left, ← vsum_mul_left, ← vsum_sub, ← vsum_add]
  exact vsum_congr (fun i => by grind)

/-- The Cauchy–Schwarz gap identity: with `A = ‖x‖² ≠ 0` and `t = (w·x)/A`,
`A ‖w‖² - (w·x)² = A ‖w - t x‖²`. -/
theorem cs_gap {n : Nat} (w x : Fin n → α) (hx : norm2 x ≠ 0) :
    norm2 w * norm2 x - dot w x * dot w x =
      norm2 x * norm2 (fun i => w i - dot w x / norm2 x * x i) := by
  rw [norm2_sub_smul]
  grind

/-- Cauchy–Schwarz, squared form: `(w·x)² ≤ ‖w‖² ‖x‖²`. -/
theorem cauchy_schwarz {n : Nat} (w x : Fin n → α) :
    dot w x * dot w x ≤ norm2 w * norm2 x := by
  by_cases hx : norm2 x = 0
  · have hz := (norm2_eq_zero_iff x).1 hx
    have : dot w x = 0 := by
      unfold dot; rw [vsum_congr (g := fun _ => 0) (fun i => by rw [hz i]; grind)]
      exact vsum_zero_fun
    rw [this, hx]; grind
  · have h := cs_gap w x hx
    have h1 := norm2_nonneg (fun i => w i - dot w x / norm2 x * x i)
    have h2 := norm2_nonneg x
    have := Lean.Grind.OrderedRing.mul_nonneg h2 h1
    grind

/-- Equality in Cauchy–Schwarz (for `x ≠ 0`) holds exactly when `w` is a multiple of `x`. -/
theorem cauchy_schwarz_eq_iff {n : Nat} (w x : Fin n → α) (hx : norm2 x ≠ 0) :
    dot w x * dot w x = norm2 w * norm2 x ↔ w = fun i => dot w x / norm2 x * x i := by
  constructor
  · intro h
    have hg := cs_gap w x hx
    have h0 : norm2 (fun i => w i - dot w x / norm2 x * x i) = 0 := by
      have : norm2 x * norm2 (fun i => w i - dot w x / norm2 x * x i) = 0 := by grind
      have hA := norm2_pos_of_ne hx
      have hinv : norm2 x * (norm2 x)⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hx
      grind
    have hz := (norm2_eq_zero_iff _).1 h0
    funext i; have := hz i; grind
  · intro h
    have hA : dot w x / norm2 x * norm2 x = dot w x := by grind
    rw [h, dot_smul_left, norm2_smul]
    have e : dot x x = norm2 x := rfl
    rw [e]; grind

/-! ## Matrices -/

/-- `W x` for `W : Fin m → Fin n → α` (rows). -/
def matVec {m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : Fin m → α :=
  fun i => dot (W i) x

/-- `Wᵀ v`. -/
def vecMat {m n : Nat} (v : Fin m → α) (W : Fin m → Fin n → α) : Fin n → α :=
  fun j => vsum (fun i => v i * W i j)

/-- Matrix product `W A`. -/
def matMul {m k n : Nat} (W : Fin m → Fin k → α) (A : Fin k → Fin n → α) : Fin m → Fin n → α :=
  fun i j => vsum (fun l => W i l * A l j)

/-- Squared Frobenius norm `‖W‖_F² = Σ_i ‖W_i‖²`. -/
def frob {m n : Nat} (W : Fin m → Fin n → α) : α := vsum (fun i => norm2 (W i))

/-- Outer product `u xᵀ`. -/
def outer {m n : Nat} (u : Fin m → α) (x : Fin n → α) : Fin m → Fin n → α :=
  fun i j => u i * x j

/-- `W` is normal-aligned with `x` (D1): `W = u xᵀ` for some `u ≠ 0` (some entry of `u` is not `0`).
With `x ≠ 0` an aligned `W` is not the zero map (`zero_not_aligned`). -/
def IsAligned {m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) : Prop :=
  ∃ u : Fin m → α, (∃ i, u i ≠ 0) ∧ W = outer u x

theorem frob_nonneg {m n : Nat} (W : Fin m → Fin n → α) : 0 ≤ frob W :=
  vsum_nonneg (fun i => norm2_nonneg (W i))

theorem matVec_outer {m n : Nat} (u : Fin m → α) (x y : Fin n → α) :
    matVec (outer u x) y = fun i => u i * dot x y := by
  funext i; unfold matVec outer; rw [dot_smul_left]

theorem frob_outer {m n : Nat} (u : Fin m → α) (x : Fin n → α) :
    frob (outer u x) = norm2 u * norm2 x := by
  unfold frob
  have : ∀ i, norm2 (outer u x i) = u i * u i * norm2 x := fun i => norm2_smul (u i) x
  rw [vsum_congr this, vsum_mul_right]; rfl

theorem dot_matVec {m n : Nat} (v : Fin m → α) (W : Fin m → Fin n → α) (x : Fin n → α) :
    dot v (matVec W x) = dot (vecMat v W) x := by
  unfold dot matVec vecMat dot
  have h1 : ∀ i, v i * vsum (fun j => W i j * x j) = vsum (fun j => v i * W i j * x j) := by
    intro i; rw [← vsum_mul_left]; exact vsum_congr (fun j => by grind)
  have h2 : ∀ j, vsum (fun i => v i * W i j) * x j = vsum (fun i => v i * W i j * x j) := by
    intro j; rw [← vsum_mul_right]
  rw [vsum_congr h1, vsum_congr h2, vsum_comm]

theorem matVec_matMul {m k n : Nat} (W : Fin m → Fin k → α) (A : Fin k → Fin n → α)
    (x : Fin n → α) : matVec (matMul W A) x = matVec W (matVec A x) := by
  funext i
  simp only [matVec, matMul, dot]
  have h1 : ∀ j, vsum (fun l => W i l * A l j) * x j = vsum (fun l => W i l * A l j * x j) :=
    fun j => (vsum_mul_right _ _).symm
  have h2 : ∀ l, W i l * vsum (fun j => A l j * x j) = vsum (fun j => W i l * A l j * x j) := by
    intro l; rw [← vsum_mul_left]; exact vsum_congr (fun j => by grind)
  rw [vsum_congr h1, vsum_congr h2, vsum_comm]

/-- The L1 inequality: `‖W x‖² ≤ ‖W‖_F² ‖x‖²` (Cauchy–Schwarz row by row). -/
theorem norm2_matVec_le {m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) :
    norm2 (matVec W x) ≤ frob W * norm2 x := by
  unfold frob
  rw [← vsum_mul_right]
  exact vsum_le (fun i => cauchy_schwarz (W i) x)

theorem norm2_mul_const {n : Nat} (u : Fin n → α) (c : α) :
    norm2 (fun i => u i * c) = norm2 u * (c * c) := by
  unfold norm2 dot; rw [← vsum_mul_right]; exact vsum_congr (fun i => by grind)

/-- An aligned `W = u xᵀ` attains equality in the L1 inequality. -/
theorem norm2_matVec_outer_self {m n : Nat} (u : Fin m → α) (x : Fin n → α) :
    norm2 (matVec (outer u x) x) = frob (outer u x) * norm2 x := by
  rw [matVec_outer, frob_outer, norm2_mul_const]
  have e : dot x x = norm2 x := rfl
  rw [e]; grind

/-- [D1] Cauchy–Schwarz equality, squared form: for `x ≠ 0`, `‖W x‖² = ‖W‖_F² ‖x‖²` (Frobenius ratio
`1`) exactly when `W = u xᵀ` with `u = W x / ‖x‖²`. -/
theorem norm2_matVec_eq_iff {m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α)
    (hx : norm2 x ≠ 0) :
    norm2 (matVec W x) = frob W * norm2 x ↔
      W = outer (fun i => matVec W x i / norm2 x) x := by
  constructor
  · intro h
    have e1 : norm2 (matVec W x) = vsum (fun i => dot (W i) x * dot (W i) x) := rfl
    have e2 : frob W = vsum (fun i => norm2 (W i)) := rfl
    have hs : vsum (fun i => norm2 (W i) * norm2 x - dot (W i) x * dot (W i) x) = 0 := by
      rw [vsum_sub, vsum_mul_right]; rw [e1, e2] at h; grind
    have hz := (vsum_eq_zero_iff_of_nonneg (fun i => by
      have := cauchy_schwarz (W i) x; grind)).1 hs
    funext i j
    have hi := (cauchy_schwarz_eq_iff (W i) x hx).1 (by have := hz i; grind)
    have := congrFun hi j
    unfold outer matVec; exact this
  · intro h
    rw [h]; exact norm2_matVec_outer_self _ x

theorem mul_eq_zero_right {a b : α} (ha : a ≠ 0) (h : a * b = 0) : b = 0 := by
  have h1 : a⁻¹ * a = 1 := by have := Lean.Grind.Field.mul_inv_cancel ha; grind
  have : b = a⁻¹ * (a * b) := by grind
  rw [this, h]; grind

theorem norm2_ne_zero_iff {n : Nat} (x : Fin n → α) : norm2 x ≠ 0 ↔ ∃ i, x i ≠ 0 := by
  rw [Ne, norm2_eq_zero_iff]
  constructor
  · intro h
    exact Classical.byContradiction fun h' =>
      h (fun i => Classical.byContradiction fun hi => h' ⟨i, hi⟩)
  · rintro ⟨i, hi⟩ h; exact hi (h i)

/-- `‖u xᵀ‖_F² ≠ 0` when `u ≠ 0` and `x ≠ 0`. -/
theorem frob_outer_ne_zero {m n : Nat} (u : Fin m → α) (x : Fin n → α) (hu : ∃ i, u i ≠ 0)
    (hx : norm2 x ≠ 0) : frob (outer u x) ≠ 0 := by
  rw [frob_outer]
  have hu' := (norm2_ne_zero_iff u).2 hu
  intro h; exact hx (mul_eq_zero_right hu' h)

/-- A map with `‖W‖_F² ≠ 0` and equality in the L1 inequality at `x ≠ 0` is aligned with `x`,
and an aligned map attains equality. -/
theorem isAligned_iff_eq {m n : Nat} (W : Fin m → Fin n → α) (x : Fin n → α) (hx : norm2 x ≠ 0)
    (hW : frob W ≠ 0) : norm2 (matVec W x) = frob W * norm2 x ↔ IsAligned W x := by
  constructor
  · intro h
    refine ⟨_, ?_, (norm2_matVec_eq_iff W x hx).1 h⟩
    apply Classical.byContradiction; intro hne
    have hz : ∀ i, matVec W x i / norm2 x = 0 := fun i =>
      Classical.byContradiction fun hi => hne ⟨i, hi⟩
    apply hW
    rw [(norm2_matVec_eq_iff W x hx).1 h, frob_outer]
    rw [(norm2_eq_zero_iff _).2 hz]; grind
  · rintro ⟨u, -, rfl⟩; exact norm2_matVec_outer_self u x

/-- A vector given by a list (missing entries are `0`); used by the generated cross-checks. -/
def ofList (l : List α) (n : Nat) : Fin n → α := fun i => l.getD i.val 0

/-- A matrix given by a list of rows. -/
def ofLists (l : List (List α)) (m n : Nat) : Fin m → Fin n → α :=
  fun i j => (l.getD i.val []).getD j.val 0

end NormAlign
