module

public import NormAlign.Homogeneous

/-!
# G1: the exact parts of GrokAlign's estimators

GrokAlign's penalty needs `‖J_x‖_F` and the offset `b_x = f(x) - J_x x`.

* `‖J‖_F²` from one random direction: for any finitely supported distribution of directions `v`
  (weights `w_m`) with second moment `E[v vᵀ] = κ I`, `E ‖Jᵀ v‖² = κ ‖J‖_F²`
  (`sq_estimator_unbiased`); for unit directions `κ = 1/c`, so `c ‖Jᵀ v‖²` is unbiased for `‖J‖_F²`.
  Instances: the `2c` directions `±e_r` (`sq_estimator_coordinates`) and the `2^c` sign vectors
  (`sq_estimator_signs`; `v = s/√c`, so `c‖Jᵀv‖² = ‖Jᵀs‖²`). For `c = 1` it is exact. The estimate of
  `‖J‖_F` itself, `e = √(c‖Jᵀv‖²)`, is biased low: `(E e)² ≤ E e² = ‖J‖_F²`.
* The offset: for an affine piece `f(x') = J x' + b`, the JVP gives `f(x) - J x = b`, and the finite
  difference `(f((1+ε)x) - f(x))/ε` equals `J x` when `x` and `(1+ε)x` share the piece; for a
  bias-free ReLU network it equals `f(x)` for every `ε > -1`, `ε ≠ 0` (so the estimated offset is 0).

Paper: arXiv 2605.08464, GrokAlign arXiv 2506.12284 (registry ID G1).
-/

@[expose] public noncomputable section

set_option linter.unusedSectionVars false

namespace NormAlign

variable {α : Type u} [Lean.Grind.Field α] [LE α] [LT α] [Std.LawfulOrderLT α]
  [Std.IsLinearOrder α] [Lean.Grind.OrderedRing α] [DecidableLE α]

theorem vsum_mul_vsum {m n : Nat} (f : Fin m → α) (g : Fin n → α) :
    vsum f * vsum g = vsum (fun r => vsum (fun r' => f r * g r')) := by
  rw [← vsum_mul_right]
  exact vsum_congr (fun r => (vsum_mul_left _ _).symm)

/-- `‖Jᵀ v‖² = Σ_j Σ_r Σ_r' v_r v_r' J_rj J_r'j`. -/
theorem norm2_vecMat_expand {c n : Nat} (v : Fin c → α) (J : Fin c → Fin n → α) :
    norm2 (vecMat v J) =
      vsum (fun j => vsum (fun r => vsum (fun r' => (v r * v r') * (J r j * J r' j)))) := by
  unfold norm2 dot vecMat
  refine vsum_congr (fun j => ?_)
  rw [vsum_mul_vsum]
  exact vsum_congr (fun r => vsum_congr (fun r' => by grind))

/-- [G1] Unbiasedness of the squared one-vector estimator for every finitely supported isotropic
distribution of directions: weights `w_m` on directions `v_m ∈ R^c` with `Σ_m w_m v_m v_mᵀ = κ I` give
`Σ_m w_m ‖Jᵀ v_m‖² = κ ‖J‖_F²` (for unit directions `κ = 1/c`: `E[c ‖Jᵀv‖²] = ‖J‖_F²`). -/
theorem sq_estimator_unbiased {M c n : Nat} (J : Fin c → Fin n → α) (v : Fin M → Fin c → α)
    (w : Fin M → α) (κ : α)
    (hiso : ∀ r r', vsum (fun m => w m * (v m r * v m r')) = if r = r' then κ else 0) :
    vsum (fun m => w m * norm2 (vecMat (v m) J)) = κ * frob J := by
  have h1 : ∀ m, w m * norm2 (vecMat (v m) J) =
      vsum (fun j => vsum (fun r => vsum (fun r' => w m * (v m r * v m r') * (J r j * J r' j)))) := by
    intro m
    rw [norm2_vecMat_expand, ← vsum_mul_left]
    refine vsum_congr (fun j => ?_)
    rw [← vsum_mul_left]
    refine vsum_congr (fun r => ?_)
    rw [← vsum_mul_left]
    exact vsum_congr (fun r' => by grind)
  rw [vsum_congr h1, vsum_comm]
  have h2 : ∀ j, vsum (fun m => vsum (fun r => vsum (fun r' =>
      w m * (v m r * v m r') * (J r j * J r' j)))) = vsum (fun r => κ * (J r j * J r j)) := by
    intro j
    rw [vsum_comm]
    refine vsum_congr (fun r => ?_)
    rw [vsum_comm]
    have h3 : ∀ r', vsum (fun m => w m * (v m r * v m r') * (J r j * J r' j)) =
        (if r = r' then κ else 0) * (J r j * J r' j) := by
      intro r'; rw [vsum_mul_right, hiso]
    rw [vsum_congr h3]
    rw [vsum_single _ r (fun r' hr' => by
      have : ¬ (r = r') := fun h => hr' h.symm
      rw [if_neg this]; grind)]
    rw [if_pos rfl]
  rw [vsum_congr h2, vsum_comm]
  unfold frob
  rw [← vsum_mul_left]
  refine vsum_congr (fun r => ?_)
  unfold norm2 dot
  rw [vsum_mul_left]

/-- The standard basis vector `e_r`. -/
def basisVec {c : Nat} (r : Fin c) : Fin c → α := fun i => if i = r then 1 else 0

theorem vecMat_basisVec {c n : Nat} (r : Fin c) (J : Fin c → Fin n → α) (s : α) :
    vecMat (fun i => s * basisVec r i) J = fun j => s * J r j := by
  funext j
  show vsum (fun i => s * basisVec r i * J i j) = s * J r j
  rw [vsum_single _ r (fun i hi => by
    show s * (if i = r then 1 else 0) * J i j = 0
    rw [if_neg hi]; grind)]
  show s * (if r = r then 1 else 0) * J r j = s * J r j
  rw [if_pos rfl]; grind

/-- [G1] The `2c` unit directions `±e_r`: `Σ_r (‖Jᵀe_r‖² + ‖Jᵀ(-e_r)‖²) = 2 ‖J‖_F²`, so the average of
`c ‖Jᵀv‖²` over them is `‖J‖_F²`. -/
theorem sq_estimator_coordinates {c n : Nat} (J : Fin c → Fin n → α) :
    vsum (fun r => norm2 (vecMat (basisVec r) J) + norm2 (vecMat (fun i => -basisVec r i) J)) =
      2 * frob J := by
  have h : ∀ r, norm2 (vecMat (basisVec r) J) + norm2 (vecMat (fun i => -basisVec r i) J) =
      2 * norm2 (J r) := by
    intro r
    have e1 := vecMat_basisVec r J 1
    have e2 := vecMat_basisVec r J (-1)
    have f1 : (fun i => 1 * basisVec r i) = (basisVec r : Fin c → α) := funext fun i => by grind
    have f2 : (fun i => -1 * basisVec r i) = (fun i => -(basisVec r i : α)) :=
      funext fun i => by grind
    rw [f1] at e1; rw [f2] at e2
    rw [e1, e2, norm2_smul, norm2_smul]; grind
  rw [vsum_congr h, vsum_mul_left]; rfl

/-- `s` extended by a last entry `e`. -/
def snocVec {c : Nat} (s : Fin c → α) (e : α) : Fin (c + 1) → α :=
  fun i => Fin.lastCases e s i

/-- The sum of `F s` over the `2^c` sign vectors `s ∈ {±1}^c`. -/
def signSum : (c : Nat) → ((Fin c → α) → α) → α
  | 0, F => F (fun _ => 0)
  | c + 1, F => signSum c (fun s => F (snocVec s 1)) + signSum c (fun s => F (snocVec s (-1)))

theorem signSum_add {c : Nat} (F G : (Fin c → α) → α) :
    signSum c (fun s => F s + G s) = signSum c F + signSum c G := by
  induction c with
  | zero => rfl
  | succ c ih =>
    show signSum c (fun s => F (snocVec s 1) + G (snocVec s 1)) +
        signSum c (fun s => F (snocVec s (-1)) + G (snocVec s (-1))) = _
    rw [ih, ih]; show _ = (signSum c _ + signSum c _) + (signSum c _ + signSum c _); grind

theorem signSum_mul_left {c : Nat} (k : α) (F : (Fin c → α) → α) :
    signSum c (fun s => k * F s) = k * signSum c F := by
  induction c with
  | zero => rfl
  | succ c ih =>
    show signSum c (fun s => k * F (snocVec s 1)) + signSum c (fun s => k * F (snocVec s (-1))) = _
    rw [ih, ih]; show _ = k * (signSum c _ + signSum c _); grind

theorem signSum_const {c : Nat} (k : α) : signSum c (fun _ => k) = 2 ^ c * k := by
  induction c with
  | zero => show k = 2 ^ 0 * k; rw [Lean.Grind.Semiring.pow_zero]; grind
  | succ c ih =>
    show signSum c (fun _ => k) + signSum c (fun _ => k) = _
    rw [ih, Lean.Grind.Semiring.pow_succ]; grind

theorem vecMat_snocVec {c n : Nat} (s : Fin c → α) (e : α) (J : Fin (c + 1) → Fin n → α) :
    vecMat (snocVec s e) J = fun j => vecMat s (fun i => J (Fin.castSucc i)) j + e * J (Fin.last c) j := by
  funext j; unfold vecMat snocVec
  rw [vsum_succ]; simp

/-- [G1] The `2^c` sign vectors `s ∈ {±1}^c` (`v = s/√c` are unit vectors, `c ‖Jᵀv‖² = ‖Jᵀs‖²`):
`Σ_s ‖Jᵀ s‖² = 2^c ‖J‖_F²`, so the Rademacher estimate `c ‖Jᵀv‖²` averages to `‖J‖_F²`. -/
theorem sq_estimator_signs {c n : Nat} (J : Fin c → Fin n → α) :
    signSum c (fun s => norm2 (vecMat s J)) = 2 ^ c * frob J := by
  induction c with
  | zero =>
    show norm2 (vecMat (fun _ => 0) J) = 2 ^ 0 * frob J
    have hz : norm2 (vecMat (fun _ => (0 : α)) J) = 0 := (norm2_eq_zero_iff _).2 (fun j => rfl)
    have hf : frob J = 0 := rfl
    rw [hz, hf, Lean.Grind.Semiring.pow_zero]; grind
  | succ c ih =>
    show signSum c (fun s => norm2 (vecMat (snocVec s 1) J)) +
        signSum c (fun s => norm2 (vecMat (snocVec s (-1)) J)) = _
    have hpm : ∀ s : Fin c → α, norm2 (vecMat (snocVec s 1) J) + norm2 (vecMat (snocVec s (-1)) J) =
        2 * norm2 (vecMat s (fun i => J (Fin.castSucc i))) + 2 * norm2 (J (Fin.last c)) := by
      intro s
      rw [vecMat_snocVec, vecMat_snocVec]
      have a1 := norm2_sub_smul (vecMat s (fun i => J (Fin.castSucc i))) (J (Fin.last c)) (-1)
      have a2 := norm2_sub_smul (vecMat s (fun i => J (Fin.castSucc i))) (J (Fin.last c)) 1
      have f1 : (fun j => vecMat s (fun i => J (Fin.castSucc i)) j - -1 * J (Fin.last c) j) =
          (fun j => vecMat s (fun i => J (Fin.castSucc i)) j + 1 * J (Fin.last c) j) :=
        funext fun j => by grind
      have f2 : (fun j => vecMat s (fun i => J (Fin.castSucc i)) j - 1 * J (Fin.last c) j) =
          (fun j => vecMat s (fun i => J (Fin.castSucc i)) j + -1 * J (Fin.last c) j) :=
        funext fun j => by grind
      rw [f1] at a1; rw [f2] at a2
      rw [a1, a2]; grind
    have hf : frob J = frob (fun i => J (Fin.castSucc i)) + norm2 (J (Fin.last c)) := vsum_succ _
    calc signSum c (fun s => norm2 (vecMat (snocVec s 1) J)) +
          signSum c (fun s => norm2 (vecMat (snocVec s (-1)) J))
        = signSum c (fun s => norm2 (vecMat (snocVec s 1) J) + norm2 (vecMat (snocVec s (-1)) J)) :=
          (signSum_add _ _).symm
      _ = signSum c (fun s => 2 * norm2 (vecMat s (fun i => J (Fin.castSucc i))) +
            2 * norm2 (J (Fin.last c))) := congrArg (signSum c) (funext hpm)
      _ = 2 * signSum c (fun s => norm2 (vecMat s (fun i => J (Fin.castSucc i)))) +
            2 ^ c * (2 * norm2 (J (Fin.last c))) := by
          rw [signSum_add, signSum_mul_left, signSum_const]
      _ = 2 ^ (c + 1) * frob J := by
          rw [ih, hf, Lean.Grind.Semiring.pow_succ]; grind

/-- [G1] For `c = 1` the one-vector estimate is exact: a unit `v` (`v₀² = 1`) gives `‖Jᵀv‖² = ‖J‖_F²`. -/
theorem estimator_exact_c1 {n : Nat} (J : Fin 1 → Fin n → α) (v : Fin 1 → α) (hv : v 0 * v 0 = 1) :
    norm2 (vecMat v J) = frob J := by
  have e : vecMat v J = fun j => v 0 * J 0 j := by
    funext j; unfold vecMat; rw [vsum_succ, vsum_zero]; grind
  have hf : frob J = norm2 (J 0) := by
    unfold frob; rw [vsum_succ, vsum_zero]; grind
  rw [e, norm2_smul, hf, hv]; grind

theorem weighted_mean_sq_le {M : Nat} (w e : Fin M → α) (hw : ∀ m, 0 ≤ w m) (hw1 : vsum w = 1) :
    vsum (fun m => w m * e m) * vsum (fun m => w m * e m) ≤ vsum (fun m => w m * (e m * e m)) := by
  have key : ∀ μ : α, vsum (fun m => w m * ((e m - μ) * (e m - μ))) =
      vsum (fun m => w m * (e m * e m)) - 2 * μ * vsum (fun m => w m * e m) + μ * μ * vsum w := by
    intro μ
    have t : ∀ m, w m * ((e m - μ) * (e m - μ)) =
        w m * (e m * e m) - (2 * μ) * (w m * e m) + (μ * μ) * w m := fun m => by grind
    rw [vsum_congr t, vsum_add, vsum_sub, vsum_mul_left, vsum_mul_left]
  have h0 := vsum_nonneg (fun m => Lean.Grind.OrderedRing.mul_nonneg (hw m)
    (sq_nonneg' (e m - vsum (fun m => w m * e m))))
  rw [key, hw1] at h0
  grind

/-- [G1] The estimate of `‖J‖_F` itself is biased low: estimates `e_m` with `e_m² = k ‖Jᵀ v_m‖²` (`k = c`
for unit directions, `k κ = 1`) under an isotropic probability distribution (`w ≥ 0`, `Σ w = 1`,
`Σ_m w_m v_m v_mᵀ = κ I`) satisfy `(Σ_m w_m e_m)² ≤ ‖J‖_F²`, i.e. `E e ≤ ‖J‖_F`. -/
theorem sqrt_estimator_biased_low {M c n : Nat} (J : Fin c → Fin n → α) (v : Fin M → Fin c → α)
    (w : Fin M → α) (κ k : α) (est : Fin M → α)
    (hiso : ∀ r r', vsum (fun m => w m * (v m r * v m r')) = if r = r' then κ else 0)
    (hw : ∀ m, 0 ≤ w m) (hw1 : vsum w = 1) (hk : k * κ = 1)
    (hest : ∀ m, est m * est m = k * norm2 (vecMat (v m) J)) :
    vsum (fun m => w m * est m) * vsum (fun m => w m * est m) ≤ frob J := by
  have h1 := weighted_mean_sq_le w est hw hw1
  have h2 : vsum (fun m => w m * (est m * est m)) = frob J := by
    have t : ∀ m, w m * (est m * est m) = k * (w m * norm2 (vecMat (v m) J)) :=
      fun m => by rw [hest m]; grind
    rw [vsum_congr t, vsum_mul_left, sq_estimator_unbiased J v w κ hiso]
    grind
  rw [h2] at h1; exact h1

/-- [G1] The offset of an affine piece `f(x') = J x' + b`: the JVP gives `f(x) - J x = b`; if `x` and
`(1+ε)x` share the piece (`ε ≠ 0`), the finite difference `(f((1+ε)x) - f(x))/ε` equals `J x` exactly,
so the finite-difference offset `f(x) - (f((1+ε)x) - f(x))/ε` equals `b`. -/
theorem offset_estimates_exact {m n : Nat} (J : Fin m → Fin n → α) (b fx fe : Fin m → α)
    (x : Fin n → α) (ε : α) (hε : ε ≠ 0) (h1 : ∀ i, fx i = matVec J x i + b i)
    (h2 : ∀ i, fe i = matVec J (fun j => (1 + ε) * x j) i + b i) :
    (∀ i, fx i - matVec J x i = b i) ∧ (∀ i, (fe i - fx i) / ε = matVec J x i) ∧
      (∀ i, fx i - (fe i - fx i) / ε = b i) := by
  have hinv : ε * ε⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hε
  have hfd : ∀ i, (fe i - fx i) / ε = matVec J x i := by
    intro i
    have e : matVec J (fun j => (1 + ε) * x j) i = (1 + ε) * matVec J x i := dot_smul_right _ _ _
    rw [h2 i, h1 i, e, Lean.Grind.Field.div_eq_mul_inv]
    grind
  refine ⟨fun i => by rw [h1 i]; grind, hfd, fun i => by rw [hfd i, h1 i]; grind⟩

/-- [G1] For a bias-free ReLU network the finite difference is exact for every step `ε ≠ 0` with
`1 + ε ≥ 0`: `(f((1+ε)x) - f(x))/ε = f(x)` (= `J_x x`, P2), so the estimated offset is `0` (= `b_x`). -/
theorem fd_exact_bias_free {n m : Nat} (N : Net α n m) (x : Fin n → α) (ε : α) (hε : ε ≠ 0)
    (hε1 : 0 ≤ 1 + ε) (i : Fin m) :
    (N.eval (fun j => (1 + ε) * x j) i - N.eval x i) / ε = N.eval x i := by
  have hinv : ε * ε⁻¹ = 1 := Lean.Grind.Field.mul_inv_cancel hε
  rw [Net.eval_smul N (1 + ε) hε1 x, Lean.Grind.Field.div_eq_mul_inv]
  grind

end NormAlign
