"""`normalign verify`: status words that mean what they say, exit codes, measured claims, resid/tol.

The checks here are fakes in a throw-away module, so each test controls exactly what a check finds.
"""

from __future__ import annotations

import json
import math
import sys
import types

import pytest

from normalign import lean, verify
from normalign.checks import Budget, CheckResult, CheckSpec, Outcome, run_check, verdict
from normalign.cli import main
from normalign.registry import MeasuredClaim, Theorem

FAKE = "normalign_fake_checks"


def _fake_module() -> types.ModuleType:
    m = types.ModuleType(FAKE)
    m.holds = lambda budget: verdict([1e-3, 5e-3], 1e-2, detail="fake")
    m.refuted = lambda budget: CheckResult(Outcome.REFUTED, 1.0, 1, "fake", [{"x": 1}])
    m.undecided = lambda budget: CheckResult(Outcome.INCONCLUSIVE, math.nan, 0, "solver status optimal_inaccurate")

    def boom(budget: Budget) -> CheckResult:
        raise RuntimeError("boom")

    m.boom = boom
    m.not_a_result = lambda budget: 42
    return m


def _spec(fn: str, **kw) -> CheckSpec:
    return CheckSpec(name=fn, kind=kw.pop("kind", "numeric"), target=f"{FAKE}:{fn}", **kw)


def _theorem(*checks: CheckSpec, tid: str = "X1", **kw) -> Theorem:
    return Theorem(id=tid, title="fake", statement="s", source="ours", claim="c", formalisation="f",
                   checks=checks, **kw)


@pytest.fixture(autouse=True)
def _own_run_cache(tmp_path, monkeypatch) -> None:
    """`verify` saves its run for `normalign report`; these fake runs go to a temporary file."""
    monkeypatch.setenv("NORMALIGN_VERIFY_CACHE", str(tmp_path / "verify-last.json"))


@pytest.fixture()
def install(monkeypatch):
    """Make the fake checks importable; returns a function installing fake theorems for `verify`."""
    monkeypatch.setitem(sys.modules, FAKE, _fake_module())

    def installer(*theorems: Theorem) -> None:
        monkeypatch.setattr(verify, "THEOREMS", theorems)

    return installer


@pytest.fixture()
def registry(install, monkeypatch):
    """As ``install``, with every Lean column 'no Lean statement' (no Lean run, no cache read)."""
    monkeypatch.setattr(lean, "lean_columns", lambda theorems, run=True, progress=None:
                        {t.id: lean.NO_STATEMENT for t in theorems})
    return install


def _verify_json(capsys, *extra: str) -> tuple[int, dict]:
    code = main(["verify", "--quiet", "--no-lean", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


# ----------------------------------------------------------------------------- statuses and exit codes
def test_verified_needs_a_passing_holds_check(registry, capsys) -> None:
    registry(_theorem(_spec("holds"), _spec("refuted", expect="fails", planted=True)))
    code, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert code == 0 and t["status"] == "verified" and t["numeric"] == "verified"
    assert rep["status"] == "ok" and rep["exit_code"] == 0 and rep["summary"] == {"verified": 1}
    assert t["symbolic"] == t["property"] == "not yet checked"


@pytest.mark.parametrize("fn", ["undecided", "boom", "not_a_result"])
def test_inconclusive_or_raising_check_exits_1(registry, capsys, fn: str) -> None:
    registry(_theorem(_spec("holds"), _spec(fn)))
    code, rep = _verify_json(capsys)
    assert code == 1 and rep["exit_code"] == 1
    (t,) = rep["theorems"]
    assert t["status"] == t["numeric"] == "inconclusive" and rep["status"] == "inconclusive"
    assert [c["status"] for c in t["checks"]] == ["ok", "inconclusive"]


_SELF_CONTRADICTING = {
    "verified_nan": CheckResult(Outcome.VERIFIED, math.nan, 5, "fake"),
    "verified_inf": CheckResult(Outcome.VERIFIED, math.inf, 5, "fake"),
    "verified_above_tol": CheckResult(Outcome.VERIFIED, 2.0, 5, "fake", tolerance=1.0),
    "verified_nan_tol": CheckResult(Outcome.VERIFIED, 0.5, 5, "fake", tolerance=math.nan),
    "verified_nothing": CheckResult(Outcome.VERIFIED, 0.0, 0, "fake"),
    "verified_string": CheckResult("verified", 0.0, 5, "fake"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("name", sorted(_SELF_CONTRADICTING))
def test_verified_result_that_contradicts_itself_is_inconclusive(registry, monkeypatch, capsys, name: str) -> None:
    """A check that says "verified" with a NaN or infinite residual, a residual above its own
    tolerance, no instance, or an outcome that is not an Outcome, decides nothing: never "verified"."""
    monkeypatch.setattr(sys.modules[FAKE], name, lambda budget: _SELF_CONTRADICTING[name], raising=False)
    registry(_theorem(_spec(name)))
    code, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert code == 1 and t["status"] == "inconclusive", t["checks"][0]
    assert "verified" not in json.dumps(rep["summary"])


@pytest.mark.parametrize("result", [
    verdict([0.5, math.nan], 1.0),                             # refuted only by a NaN instance
    CheckResult(Outcome.REFUTED, 3.0, 1, "fake"),              # refuted without a counterexample
])
def test_planted_check_needs_a_real_counterexample(registry, monkeypatch, capsys, result: CheckResult) -> None:
    """A planted or boundary check passes by a counterexample, not by a NaN or by saying so."""
    monkeypatch.setattr(sys.modules[FAKE], "planted", lambda budget: result, raising=False)
    registry(_theorem(_spec("holds"), _spec("planted", expect="fails", planted=True)))
    code, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert code == 1 and t["status"] == "inconclusive" and t["checks"][1]["status"] == "inconclusive"


@pytest.mark.parametrize("field, value", [("expect", "hold"), ("kind", "numerics")])
def test_check_spec_vocabulary(field: str, value: str) -> None:
    """A misspelt `expect` would make a theorem's check pass on a refutation: refused at once."""
    with pytest.raises(ValueError, match=field):
        CheckSpec("x", **{"kind": "numeric", "target": f"{FAKE}:holds", field: value})


def test_unloadable_check_is_inconclusive() -> None:
    res = run_check(CheckSpec("x", "numeric", f"{FAKE}_missing_module:f"), Budget())
    assert res.outcome == Outcome.INCONCLUSIVE and "could not be loaded" in res.detail


def test_failed_check_exits_1_and_is_listed(registry, capsys) -> None:
    registry(_theorem(_spec("refuted")), _theorem(_spec("holds"), tid="X2"))
    assert main(["verify", "--quiet", "--no-lean"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: X1 numeric normalign_fake_checks:refuted" in out and out.rstrip().endswith("exit 1")


def test_boundaries_only_is_not_verified(registry, capsys) -> None:
    registry(_theorem(_spec("refuted", expect="fails", hypothesis_dropped="h"),
                      _spec("refuted", expect="fails", planted=True)))
    code, rep = _verify_json(capsys)
    assert code == 0 and rep["theorems"][0]["status"] == "boundaries only"


def test_sanity_only_is_not_verified(registry, capsys) -> None:
    registry(_theorem(_spec("holds", sanity=True), _spec("refuted", expect="fails", planted=True)))
    code, rep = _verify_json(capsys)
    assert code == 0 and rep["theorems"][0]["status"] == "sanity only"
    assert rep["theorems"][0]["checks"][0]["counts"] is False


def test_only_slow_holds_check_is_not_run_at_quick_budget(registry, capsys) -> None:
    registry(_theorem(_spec("holds", slow=True), _spec("refuted", expect="fails", planted=True)))
    code, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert code == 0 and t["status"] == "not run (slow)" and t["numeric"] == "not run (slow)"
    assert t["checks"][0]["status"] == "not run (slow)" and t["checks"][0]["result"] is None
    assert "verified" not in json.dumps(rep["summary"])


def test_a_verified_kind_makes_the_id_verified_despite_a_slow_kind(registry, capsys) -> None:
    registry(_theorem(_spec("holds", kind="symbolic"), _spec("holds", slow=True)))
    _, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert t["status"] == "verified" and t["symbolic"] == "verified" and t["numeric"] == "not run (slow)"


# ----------------------------------------------------------------------------- Lean
@pytest.mark.parametrize("status", [lean.FAILED, lean.SORRY_IN_PROOF, lean.REJECTED, lean.MISSING])
def test_failing_lean_status_exits_1(registry, monkeypatch, capsys, status: str) -> None:
    assert lean.lean_failed(status)
    registry(_theorem(_spec("holds")))
    monkeypatch.setattr(lean, "lean_columns", lambda theorems, run=True, progress=None: {"X1": status})
    code, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert code == 1 and t["status"] == "FAILED" and t["lean"] == status and t["lean_failed"] is True
    assert t["numeric"] == "verified"
    assert main(["verify", "--quiet", "--no-lean"]) == 1
    assert f"FAILED: X1 Lean: {status}" in capsys.readouterr().out


@pytest.mark.parametrize("status", [lean.PROVED, lean.PARTIAL, lean.STATED, lean.NO_STATEMENT, lean.NOT_CHECKED,
                                    lean.STALE])
def test_passing_lean_status_exits_0(registry, monkeypatch, capsys, status: str) -> None:
    assert not lean.lean_failed(status)
    registry(_theorem(_spec("holds")))
    monkeypatch.setattr(lean, "lean_columns", lambda theorems, run=True, progress=None: {"X1": status})
    code, rep = _verify_json(capsys)
    assert code == 0 and rep["theorems"][0]["status"] == "verified"


def test_missing_linked_lean_declaration_fails(install, monkeypatch, capsys) -> None:
    """Through the real `lean_columns`: a linked declaration absent from a checked audit (its file
    is gone) is 'missing', and that fails the run."""
    install(_theorem(_spec("holds"), lean=("NormAlign.gone",)))
    monkeypatch.setattr(lean, "lean_status", lambda run=True, progress=None: lean.LeanAudit(checked=True))
    code, rep = _verify_json(capsys)
    assert code == 1 and rep["theorems"][0]["lean"] == lean.MISSING and rep["theorems"][0]["status"] == "FAILED"


# ----------------------------------------------------------------------------- measured claims
def _claim(outcome: str) -> MeasuredClaim:
    return MeasuredClaim(name="speed-up", claim="A is faster than B", outcome=outcome, numbers="3x [2, 4]",
                         command="normalign experiment fake", measured_on="2026-01-01", commit="abc1234",
                         results="results/fake.json")


@pytest.mark.parametrize("outcome", ["reproduced", "partly reproduced", "not reproduced", "not measured"])
def test_measured_claims_are_shown_and_never_change_the_exit_code(registry, capsys, outcome: str) -> None:
    registry(_theorem(_spec("holds"), measured=(_claim(outcome),)))
    code, rep = _verify_json(capsys)
    assert code == 0 and rep["theorems"][0]["status"] == "verified"
    (m,) = rep["measured_claims"]
    assert m == {"id": "X1", **_claim(outcome).to_json()} and rep["theorems"][0]["measured_claims"] == ["speed-up"]
    assert main(["verify", "--quiet", "--no-lean"]) == 0
    out = capsys.readouterr().out
    assert "Measured claims" in out and outcome in out and "normalign experiment fake" in out and "abc1234" in out


def test_measured_claim_outcome_vocabulary() -> None:
    with pytest.raises(ValueError):
        _claim("verified")


def test_measured_claims_alone_do_not_verify(registry, capsys) -> None:
    registry(_theorem(_spec("refuted", expect="fails", planted=True), measured=(_claim("reproduced"),)))
    _, rep = _verify_json(capsys)
    assert rep["theorems"][0]["status"] == "boundaries only"


# ----------------------------------------------------------------------------- resid / tol
def test_verdict_carries_its_tolerance() -> None:
    res = verdict([1e-3, 5e-3], 1e-2)
    assert res.tolerance == 1e-2 and res.resid_over_tol == pytest.approx(0.5)
    assert verdict([2.0], 1.0).resid_over_tol == pytest.approx(2.0)
    assert verdict([-1.0], 0.0).resid_over_tol is None  # no positive tolerance: no ratio
    assert CheckResult(Outcome.VERIFIED, 1e-9).resid_over_tol is None
    assert verdict([], 1.0).tolerance == 1.0


def test_resid_over_tol_column_takes_the_worst_holds_check(registry, capsys) -> None:
    registry(_theorem(_spec("holds"), _spec("refuted", expect="fails", planted=True)))
    _, rep = _verify_json(capsys)
    (t,) = rep["theorems"]
    assert t["worst_resid_over_tol"] == pytest.approx(0.5)  # the refuted planted check (ratio 1e2) is not counted
    assert t["checks"][0]["result"]["tolerance"] == 1e-2
    main(["verify", "--quiet", "--no-lean"])
    head, _, row = capsys.readouterr().out.splitlines()[:3]
    assert "resid/tol" in head and "0.5" in row.split()


def test_verdict_prefers_a_finite_counterexample_to_a_nan() -> None:
    res = verdict([0.5, math.nan, 5.0, 2.0], 1.0)
    assert res.outcome == Outcome.REFUTED and res.worst_residual == 5.0 and res.counterexamples == [{"instance": 2}]
    only_nan = verdict([0.5, math.nan], 1.0)
    assert only_nan.outcome == Outcome.REFUTED and math.isnan(only_nan.worst_residual)
    assert verdict([0.5, 0.25], 1.0).worst_residual == 0.5



def test_combined_parts_refuted_only_by_nan_have_a_nan_residual(monkeypatch) -> None:
    """``combine`` (checks made of parts) follows ``verdict``: a NaN in a part refutes, but when no part has
    a finite violation the residual is NaN, so a planted check is not passed by a broken computation; a
    finite violation is the counterexample even when a NaN sits next to it."""
    from normalign.numerics.checks.parts import combine, part

    a, b = part("a", 1.0), part("b", 2.0)
    a.add(0.5, {"i": 0})
    a.add(math.nan, {"i": 1})
    b.add(1.0, {"i": 0})
    only_nan = combine([a, b], 2, "parts")
    assert only_nan.outcome == Outcome.REFUTED and math.isnan(only_nan.worst_residual)
    assert only_nan.counterexamples[0]["i"] == 1 and math.isnan(only_nan.counterexamples[0]["residual"])
    module = _fake_module()
    module.planted_parts = lambda budget: only_nan
    monkeypatch.setitem(sys.modules, FAKE, module)
    planted = CheckSpec("p", "numeric", f"{FAKE}:planted_parts", expect="fails", planted=True)
    assert run_check(planted, Budget()).outcome == Outcome.INCONCLUSIVE
    a.add(3.0, {"i": 2})
    finite = combine([a, b], 3, "parts")
    assert finite.outcome == Outcome.REFUTED and finite.worst_residual == 3.0
    assert finite.counterexamples == [{"part": "a", "residual": 3.0, "tol": 1.0, "i": 2}]
    c = part("c", 1.0)
    c.add(math.nan, {"i": 0})  # a part refuted only by NaN next to a finite violation: not the size
    both = combine([a, b, c], 3, "parts")
    assert both.outcome == Outcome.REFUTED and both.worst_residual == 3.0 and len(both.counterexamples) == 2
