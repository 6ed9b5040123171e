module

public import NormAlign.MinNorm

/-!
# T2: local robustness under the constraint `J x = v`

(a) Boundary distance, squared: for classes `y, k` with row difference `d = J_y - J_k`, margin `m` and
`d·x = v_y - v_k ≠ 0`, `m² / ‖d‖² ≤ ‖x‖² m² / (v_y - v_k)²` (Cauchy–Schwarz); bias-free (`m = v_y - v_k`)
the squared distance is at most `‖x‖²`. (b) Sensitivity: `E‖J δ‖² = σ² ‖J‖_F²`, whose unique minimiser
under `J x = v` is `v xᵀ/‖x‖²` (L1). (c) Invariance: an aligned `J = u xᵀ` is blind to every `δ ⊥ x`,
and a `J` blind to all of `x^⊥` is aligned. Paper: arXiv 2605.08464 (registry ID T2).
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

end NormAlign
