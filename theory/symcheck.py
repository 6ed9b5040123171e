"""Turning sympy identities into check outcomes.

An identity ``lhs = rhs`` is passed as its residual ``lhs - rhs``. ``prove_zero`` simplifies every
residual: all zero gives VERIFIED. A residual that does not simplify to zero is evaluated at a witness
point (exact rationals, 50 digits): a clearly non-zero value proves the identity false (REFUTED, with
the residual expression and the witness); a value that is numerically zero means sympy could not
decide (INCONCLUSIVE), never a pass.
"""

from __future__ import annotations

from typing import Any, Mapping

import sympy as sp

from normalign.checks import CheckResult, Outcome

WITNESS_ZERO: float = 1e-30
"""A residual evaluated with 50 significant digits at a rational witness point counts as non-zero
above 1e-30 (the evaluation error of expressions of a few dozen operations at 50 digits is far below
this; every refuted residual here is of order 1e-2 or larger)."""


def _simplified(expr: sp.Expr) -> sp.Expr:
    """0 when ``expr`` is identically zero (as far as sympy can tell), else a simplified form. First the
    cheap exact route: the numerator of ``together(expr)`` expands to 0 (polynomial arithmetic, no
    heuristics; decides rational identities, also with radicals treated as symbols). Then simplify."""
    if sp.expand(sp.together(expr).as_numer_denom()[0]) == 0:
        return sp.Integer(0)
    r = sp.simplify(sp.expand(expr))
    if r != 0:
        r = sp.simplify(sp.powsimp(sp.expand_power_base(r, force=True), force=True))
    return r


def prove_zero(residuals: Mapping[str, sp.Expr | sp.MatrixBase], witness: Mapping[sp.Symbol, Any],
               detail: str) -> CheckResult:
    """VERIFIED iff every residual simplifies to 0; else REFUTED (non-zero at ``witness``) or INCONCLUSIVE."""
    n = 0
    for name, res in residuals.items():
        items = list(res) if isinstance(res, sp.MatrixBase) else [res]
        for k, e in enumerate(items):
            n += 1
            r = _simplified(sp.sympify(e))
            if r == 0:
                continue
            val = sp.N(r.subs(witness), 50)
            label = f"{name}[{k}]" if len(items) > 1 else name
            case = {"identity": label, "residual": str(r),
                    "witness": {str(s): str(v) for s, v in witness.items()}, "value_at_witness": str(val)}
            if val.is_number and abs(complex(val)) > WITNESS_ZERO:
                return CheckResult(Outcome.REFUTED, float(abs(complex(val))), n,
                                   f"{detail}: {label} has residual {r}, = {sp.N(val, 8)} at {case['witness']}",
                                   [case])
            return CheckResult(Outcome.INCONCLUSIVE, float("nan"), n,
                               f"{detail}: sympy could not simplify {label} to 0 (residual {r}); "
                               f"it vanishes at the witness, so this is undecided", [case])
    return CheckResult(Outcome.VERIFIED, 0.0, n, f"{detail}: {n} identities simplify to 0 exactly")


def vec(name: str, n: int, **assumptions: Any) -> sp.Matrix:
    """A column vector of n real symbols name1..name_n."""
    return sp.Matrix(sp.symbols(f"{name}1:{n + 1}", real=True, **assumptions))


def sumsq(v: sp.MatrixBase) -> sp.Expr:
    return sum(e**2 for e in v)


def minors_sq(a: sp.MatrixBase, b: sp.MatrixBase) -> sp.Expr:
    """sum_{i<j} (a_i b_j - a_j b_i)^2: the sum of squares in Lagrange's identity."""
    n = len(a)
    return sum((a[i] * b[j] - a[j] * b[i]) ** 2 for i in range(n) for j in range(i + 1, n))
