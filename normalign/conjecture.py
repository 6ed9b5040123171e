"""Conjectures: the public way to state a claim that the machine searches for counterexamples.

A *conjecture* is

- a **strategy** of examples (a hypothesis ``SearchStrategy``; the project's shrinking strategies are
  in :mod:`normalign.strategies`, documented there and public),
- a **residual** ``r(example) -> float`` that is ``<= tol`` wherever the claim holds (NaN counts as a
  violation, never as a pass),
- the **tolerance** ``tol`` (reason it from float64 epsilon and scale, see
  ``normalign.numerics.tolerances``),
- the theorem **ID** it belongs to and the **hypotheses it drops** (``drops``), and what it is
  expected to do: ``expect="holds"`` (a theorem) or ``"fails"`` (a planted-false variant, or a boundary
  where a hypothesis is dropped).

Declare one in any Python file with the decorator (the decorated name is the :class:`Conjecture`; it is
still callable as the residual)::

    from normalign import strategies as S
    from normalign.conjecture import conjecture

    @conjecture(id="T2", strategy=S.robust_cases(), tol=1e-9, drops=("aligned",), expect="fails")
    def radius_bound_without_alignment(case: dict) -> float:
        '''(rho(J) - bound) / bound for any J with J x = v.'''
        ...

and search it with ``normalign search path/to/file.py:radius_bound_without_alignment`` (see
``normalign.search``). The registry's property checks and its planted and boundary checks over drawn
examples are conjectures too: each is ``CONJ.check`` (:meth:`Conjecture.check`, found back from the
check by :func:`conjecture_of`), so ``normalign verify`` and ``normalign search`` run the same search
(``normalign.property``).

A counterexample is saved as JSON: ``to_case(example)`` makes it JSON-ready and ``from_case(case)``
rebuilds the example, so that the residual can be recomputed from the saved file (:meth:`replay`).
The defaults handle a dict of arrays and scalars (the strategies of ``normalign.strategies``) and a
tuple of arrays; give both functions for anything else (a network, say).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from normalign.checks import Budget, CheckResult, Expectation, to_jsonable

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy


class CaseFormError(TypeError):
    """An example with no default JSON form (the conjecture needs ``to_case=`` and ``from_case=``)."""


def default_to_case(example: Any) -> dict[str, Any]:
    """A dict example as itself; a tuple or list as ``{"example": [...]}``; a single number or array as
    ``{"value": ...}`` (JSON-ready either way). Anything else raises :class:`CaseFormError`."""
    if isinstance(example, dict):
        return to_jsonable(example)
    if isinstance(example, (tuple, list)):
        return {"example": to_jsonable(list(example))}
    if isinstance(example, (int, float, np.integer, np.floating, np.ndarray)) and not isinstance(example, bool):
        return {"value": to_jsonable(example)}
    raise CaseFormError(f"no default JSON form for a {type(example).__name__} example: give the conjecture "
                        "to_case= and from_case=")


def _arrays(value: Any) -> Any:
    """A JSON list of numbers (at any depth) as a float64 array; other values unchanged."""
    if isinstance(value, list):
        try:
            return np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            return value
    return value


def default_from_case(case: dict[str, Any]) -> Any:
    """Inverse of :func:`default_to_case`: JSON lists of numbers become float64 arrays (a replay that then
    differs, e.g. an integer array, is reported as not reproduced, never saved)."""
    body = {k: v for k, v in case.items() if k != "residual"}
    if set(body) == {"example"}:
        return tuple(_arrays(v) for v in body["example"])
    if set(body) == {"value"}:
        return _arrays(body["value"])
    return {k: _arrays(v) for k, v in body.items()}


@dataclass(frozen=True, eq=False)
class Conjecture:
    """A claim to search: ``residual(example) <= tol`` for every ``example`` drawn from ``strategy``.

    ``id`` is the theorem ID (``shared/THEOREMS.md``), ``name`` names this variant, ``drops`` the
    hypotheses of the theorem it removes, ``expect`` what a correct suite finds (``"fails"`` for planted
    and boundary variants), ``examples`` the (quick, full) budget of :meth:`check`.
    """

    id: str
    name: str
    strategy: SearchStrategy[Any]
    residual: Callable[[Any], float]
    tol: float
    drops: tuple[str, ...] = ()
    expect: Expectation = "holds"
    planted: bool = False
    doc: str = ""
    examples: tuple[int, int] = (150, 2000)
    to_case: Callable[[Any], dict[str, Any]] = field(default=default_to_case)
    from_case: Callable[[dict[str, Any]], Any] = field(default=default_from_case)

    def __post_init__(self) -> None:
        if self.expect not in ("holds", "fails"):
            raise ValueError(f"conjecture {self.name!r}: expect must be 'holds' or 'fails', not {self.expect!r}")
        if not (self.tol >= 0 and math.isfinite(self.tol)):
            raise ValueError(f"conjecture {self.name!r}: tol must be finite and >= 0, not {self.tol!r}")
        object.__setattr__(self, "drops", tuple(self.drops))

    def __call__(self, example: Any) -> float:
        """The residual of one example (so a decorated function is still a function)."""
        return float(self.residual(example))

    def violated(self, r: float) -> bool:
        """Whether a residual refutes the claim: above ``tol``, or NaN."""
        return not (r <= self.tol)

    @property
    def detail(self) -> str:
        """First line of the doc, else the name (the text of the check's result)."""
        return (self.doc.strip().splitlines() or [self.name])[0].rstrip(".")

    def case(self, example: Any) -> dict[str, Any]:
        """The JSON-ready saved form of an example (with its residual)."""
        return dict(self.to_case(example), residual=self(example))

    def replay(self, case: dict[str, Any]) -> float:
        """The residual recomputed from a saved case (its ``residual`` entry is ignored)."""
        return self(self.from_case({k: v for k, v in case.items() if k != "residual"}))

    def check(self, budget: Budget) -> CheckResult:
        """The registry check of this conjecture: a random search (``normalign.property``) of
        ``budget.n(*examples)`` examples seeded by ``budget.seed``. VERIFIED with the worst residual seen
        when nothing exceeds ``tol``; REFUTED with the shrunk, re-checked counterexample otherwise."""
        from normalign.property import as_check_result, run_chunk

        return as_check_result(self, run_chunk(self, engine="random", seed=budget.seed,
                                               examples=budget.n(*self.examples)))


def conjecture(*, id: str, strategy: SearchStrategy[Any], tol: float, drops: tuple[str, ...] = (),
               expect: Expectation = "holds", planted: bool = False, name: str | None = None,
               examples: tuple[int, int] = (150, 2000),
               to_case: Callable[[Any], dict[str, Any]] | None = None,
               from_case: Callable[[dict[str, Any]], Any] | None = None) -> Callable[[Callable[[Any], float]], Conjecture]:
    """Decorator: turn a residual function into a :class:`Conjecture` (its name and docstring are the
    conjecture's ``name`` and ``doc`` unless ``name`` is given)."""
    def wrap(fn: Callable[[Any], float]) -> Conjecture:
        return Conjecture(id=id, name=name or fn.__name__, strategy=strategy, residual=fn, tol=tol,
                          drops=tuple(drops), expect=expect, planted=planted, doc=fn.__doc__ or "",
                          examples=examples, to_case=to_case or default_to_case,
                          from_case=from_case or default_from_case)
    return wrap


# ------------------------------------------------------------------------------ finding conjectures
def conjecture_of(check: Callable[..., Any]) -> Conjecture | None:
    """The conjecture a registry check searches, when the check is written ``CHECK = CONJ.check`` (also
    through a decorator that keeps ``__wrapped__``); None for any other check."""
    while check is not None:
        owner = getattr(check, "__self__", None)
        if isinstance(owner, Conjecture):
            return owner
        check = getattr(check, "__wrapped__", None)
    return None


def conjectures_in(module: Any) -> dict[str, Conjecture]:
    """Every module-level conjecture of a module, by attribute name (in definition order)."""
    return {k: v for k, v in vars(module).items() if isinstance(v, Conjecture)}


def import_file(path: str | Path) -> Any:
    """Import a Python file by its path (no package needed, nothing installed). The module is cached
    in ``sys.modules`` under a name made from the resolved path, so a second import is free."""
    p = Path(path).resolve()
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    key = "normalign_user_" + "".join(c if c.isalnum() else "_" for c in str(p))
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, p)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path} as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module


def load(ref: str) -> Conjecture:
    """The conjecture named by ``ref``: ``"package.module:NAME"`` (imported) or ``"path/file.py:NAME"``
    (imported by path). Raises ``LookupError`` when the name is not a conjecture."""
    where, _, attr = ref.rpartition(":")
    if not where or not attr:
        raise LookupError(f"{ref!r} is not of the form 'module:name' or 'path/file.py:name'")
    module = import_file(where) if where.endswith(".py") else importlib.import_module(where)
    obj = getattr(module, attr, None)
    if not isinstance(obj, Conjecture):
        known = ", ".join(conjectures_in(module)) or "none"
        raise LookupError(f"{where} has no conjecture {attr!r} (conjectures there: {known})")  # noqa: TRY004
    return obj
