module

public import NormAlign.Basic
public import NormAlign.Scores
public import NormAlign.MinNorm
public import NormAlign.Optimality
public import NormAlign.Robustness
public import NormAlign.Centroid
public import NormAlign.PowerDiagram
public import NormAlign.Homogeneous
public import NormAlign.Agop
public import NormAlign.Dynamics
public import NormAlign.GrokAlign
public import NormAlign.Regimes
public import NormAlign.Optimality2
public import NormAlign.CrossCheck

/-!
# NormAlign

Machine-checked statements and proofs for "The Geometric Structure of Models Learning Sparse Data"
(Walker, Roddenberry, Humayun, Balestriero, Baraniuk; arXiv 2605.08464). Each declaration that
represents a registry ID of `shared/THEOREMS.md` has a docstring starting with `[ID]`; the registry
(`normalign/registry.py`) names them and `normalign/lean.py` reads Lean's verdict.
-/
