"""``normalign search`` and the conjecture API (normalign.conjecture, normalign.property, normalign.search).

Small budgets only (a few hundred examples); no timing assertions. The last test replays every case that
``normalign search`` saved in tests/corpus/<ID>/search/.
"""

from __future__ import annotations

import json
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import strategies as st

from normalign.checks import Budget, Outcome
from normalign.cli import main
from normalign.conjecture import Conjecture, conjecture, load
from normalign.corpus import load_search_cases
from normalign.property import run_chunk
from normalign.search import load_saved, resolve, search

PROPS = "normalign.numerics.checks.optimality.properties"

USER_FILE = textwrap.dedent('''
    """A user's conjectures, in a file of their own (the README tutorial's)."""
    import numpy as np

    from normalign import strategies as S
    from normalign.conjecture import conjecture
    from normalign.numerics.maths import minnorm as mn


    @conjecture(id="T2", strategy=S.robust_cases(), tol=1e-9, drops=("norm_x",))
    def radius_without_norm_x(case):
        """T2(a)'s bound without the factor ||x||: false as soon as ||x|| > 1."""
        x, v, b, y = case["x"], case["v"], case["b"], case["y"]
        J = np.outer(v, x) / (x @ x)
        bound = mn.robust_bound(x, v, v + b, y) / np.linalg.norm(x)
        return (mn.robust_radius(J, b, x, y) - bound) / bound


    @conjecture(id="T2", strategy=S.robust_cases(), tol=1e-9)
    def cauchy_schwarz(case):
        """|<x, x>| <= ||x||^2 (true): relative excess."""
        x = case["x"]
        return (abs(x @ x) - np.linalg.norm(x) ** 2) / (np.linalg.norm(x) ** 2)
''')


@pytest.fixture()
def user_file(tmp_path: Path) -> Path:
    p = tmp_path / "my_conjectures.py"
    p.write_text(USER_FILE)
    return p


# ------------------------------------------------------------------------------ the API
def test_decorator_makes_a_conjecture_that_is_still_its_residual() -> None:
    @conjecture(id="T1", strategy=st.integers(0, 50), tol=0.5, to_case=lambda k: {"k": k},
                from_case=lambda c: c["k"])
    def below_17(k: int) -> float:
        """k < 17 (false)."""
        return float(k >= 17)

    assert isinstance(below_17, Conjecture) and below_17.name == "below_17" and below_17(20) == 1.0
    assert below_17.detail == "k < 17 (false)" and below_17.expect == "holds"
    result = below_17.check(Budget())
    assert result.outcome == Outcome.REFUTED and result.counterexamples[0]["k"] == 17  # shrunk
    assert below_17.replay(result.counterexamples[0]) == 1.0  # recomputed from the JSON case


def test_default_case_round_trip_of_dict_and_tuple_examples() -> None:
    c = Conjecture(id="T1", name="t", strategy=st.just(0), residual=lambda e: 0.0, tol=0.0)
    ex = {"x": np.array([1.0, -2.0]), "N": np.eye(2), "c": 3, "loss": "ce"}
    back = c.from_case(json.loads(json.dumps(c.to_case(ex))))
    assert np.array_equal(back["N"], np.eye(2)) and back["c"] == 3 and back["loss"] == "ce"
    tup = (np.array([1.5]), np.zeros((2, 2)))
    back = c.from_case(json.loads(json.dumps(c.to_case(tup))))
    assert isinstance(back, tuple) and np.array_equal(back[1], np.zeros((2, 2)))


def test_registry_property_checks_are_conjectures() -> None:
    """One mechanism: ID targets find the conjectures behind the registry's property checks and its
    planted and boundary checks over drawn examples."""
    refs = resolve("T1")
    assert f"{PROPS}:t1_ball" in refs and f"{PROPS}:planted_t1c_constant" in refs
    homogeneous = "normalign.numerics.checks.centroid.homogeneous"
    assert resolve("P2:bias_free") == [f"{homogeneous}:p2_euler_with_bias", f"{homogeneous}:p2_relu_with_bias"]
    assert load(f"{PROPS}:planted_t1c_constant").expect == "fails"
    # a registry check's name finds the conjecture it searches
    assert resolve("D1:planted_na_one_implies_rank_one") == [
        "normalign.numerics.checks.definitions.engine_oracles:na_one_implies_rank_one"]


def _fails_checks() -> list:
    from normalign.registry import THEOREMS

    return [pytest.param(t.id, c, id=c.target.rpartition(":")[2]) for t in THEOREMS for c in t.checks
            if c.expect == "fails"]


@pytest.mark.parametrize(("tid", "spec"), _fails_checks())
def test_every_planted_and_boundary_check_is_a_conjecture_or_says_why_not(tid: str, spec) -> None:
    """A planted or boundary check is either ``CONJ.check`` (a search over drawn examples that
    ``normalign search`` runs, declared as the registry declares the check) or listed in
    ``normalign.registry.NOT_SEARCHED`` with the reason, never both, never neither."""
    from normalign.conjecture import conjecture_of
    from normalign.registry import NOT_SEARCHED
    from normalign.search import registry_conjectures, resolve

    conj = None if spec.kind == "symbolic" else conjecture_of(spec.load())
    assert (conj is None) == (spec.target in NOT_SEARCHED), (
        f"{spec.target}: write a planted or boundary check over drawn examples as `NAME = CONJ.check` (a "
        "conjecture, normalign.conjecture), or list it in normalign.registry.NOT_SEARCHED with why it is not a "
        "search over examples (not both)")
    if conj is None:
        assert NOT_SEARCHED[spec.target].strip()
        return
    assert conj.id == tid and conj.expect == "fails"
    assert conj in registry_conjectures().values()
    if spec.hypothesis_dropped:
        assert spec.hypothesis_dropped in conj.drops
    name = spec.target.rpartition(":")[2]
    assert any(load(ref) is conj for ref in resolve(f"{tid}:{name}"))


def test_not_searched_lists_only_registered_planted_and_boundary_checks() -> None:
    from normalign.registry import NOT_SEARCHED, THEOREMS

    fails = {c.target for t in THEOREMS for c in t.checks if c.expect == "fails"}
    assert set(NOT_SEARCHED) <= fails


def test_a_variant_that_is_not_a_search_exits_2_naming_why_and_what_can_be_searched(capsys) -> None:
    assert main(["search", "T1:frobenius", "--quiet"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "boundary_spectral" in line and "convex-solver" in line
    assert "can be searched: " in line and "planted_t1c_constant" in line


@pytest.mark.parametrize("engine", ["random", "targeted", "optimise"])
def test_every_engine_shrinks_its_counterexample(engine: str) -> None:
    """Integers: the minimal violation of k < 17 is 17; floats: of x <= 0.5 on [0, 4] it is the
    simplest float above 0.5 that hypothesis reaches (1.0), whatever the engine found first."""
    ints = Conjecture(id="T1", name="k", strategy=st.integers(0, 1000), residual=lambda k: float(k >= 17),
                      tol=0.5, to_case=lambda k: {"k": k}, from_case=lambda d: d["k"])
    assert run_chunk(ints, engine=engine, seed=2, examples=200).case["k"] == 17
    flts = Conjecture(id="T1", name="x", strategy=st.floats(0.0, 4.0), residual=lambda x: x, tol=0.5,
                      to_case=lambda x: {"x": x}, from_case=lambda d: d["x"])
    assert run_chunk(flts, engine=engine, seed=2, examples=200).case["x"] == 1.0


@pytest.mark.parametrize("engine", ["random", "optimise"])
def test_a_counterexample_that_does_not_replay_from_its_json_is_not_reported_as_found(engine: str) -> None:
    """Re-checked from the saved JSON: a lossy ``to_case`` (here it forgets k) gives no counterexample,
    and the registry check is inconclusive with the reason, never refuted on an unreplayable case."""
    c = Conjecture(id="T1", name="lossy", strategy=st.integers(0, 100), residual=lambda k: float(k >= 17),
                   tol=0.5, to_case=lambda k: {"k": 0}, from_case=lambda d: d["k"])
    res = run_chunk(c, engine=engine, seed=0, examples=100)
    assert res.first_at is not None and res.case is None and "did not reproduce" in res.note
    assert c.check(Budget()).outcome == Outcome.INCONCLUSIVE


@pytest.mark.parametrize("engine", ["random", "targeted", "optimise"])
def test_every_engine_stays_inside_the_strategy(engine: str) -> None:
    """Every example an engine evaluates is one the strategy can draw (the optimiser moves hypothesis'
    choices within their bounds, and filters still apply), so a hypothesis is never silently dropped."""
    seen: list[float] = []

    def record(x: float) -> float:
        seen.append(x)
        return x

    c = Conjecture(id="T1", name="bounded", strategy=st.floats(0.0, 1.0).filter(lambda v: v > 0.25),
                   residual=record, tol=2.0, to_case=lambda v: {"v": v}, from_case=lambda d: d["v"])
    res = run_chunk(c, engine=engine, seed=1, examples=150)
    assert res.case is None and seen and all(0.25 < v <= 1.0 for v in seen)
    assert res.best == max(seen)


@pytest.mark.parametrize("engine", ["random", "optimise"])
def test_a_seed_draws_the_same_examples_whatever_modules_are_imported(engine: str, tmp_path: Path) -> None:
    """Hypothesis mixes constants of every local module in sys.modules into generation; a chunk does
    not, so a seed draws the same examples before and after a new module (with new constants) loads."""
    def drawn() -> list[float]:
        seen: list[float] = []
        c = Conjecture(id="T1", name="f", strategy=st.tuples(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6)),
                       residual=lambda ex: seen.extend(ex) or 0.0, tol=1.0)
        run_chunk(c, engine=engine, seed=5, examples=100)
        return seen

    before = drawn()
    module = tmp_path / "many_constants.py"
    module.write_text("C = [" + ", ".join(f"{k * 1237 + 5}, {k * 1234.56789 + 0.5:.5f}" for k in range(300)) + "]\n")
    from normalign.conjecture import import_file

    import_file(module)
    assert drawn() == before


# ------------------------------------------------------------------------------ the command
def test_false_user_conjecture_is_found_shrunk_saved_and_replays(user_file: Path, tmp_path: Path, capsys) -> None:
    corpus = tmp_path / "corpus"
    code = main(["search", f"{user_file}:radius_without_norm_x", "--examples", "200", "--corpus", str(corpus),
                 "--quiet"])
    assert code == 1
    out = capsys.readouterr().out
    assert "COUNTEREXAMPLE" in out and "saved" in out
    (saved,) = load_search_cases(corpus)[:1]
    assert saved["id"] == "T2" and saved["conjecture"].endswith("my_conjectures.py:radius_without_norm_x")
    conj = load_saved(saved["conjecture"])
    assert conj.violated(conj.replay(saved["case"]))
    assert np.linalg.norm(saved["case"]["x"]) > 1.0  # where the dropped factor matters


def test_true_user_conjecture_exits_0(user_file: Path, tmp_path: Path, capsys) -> None:
    code = main(["search", f"{user_file}:cauchy_schwarz", "--examples", "150", "--corpus", str(tmp_path), "--quiet"])
    assert code == 0 and "0 counterexample(s) [as expected]" in capsys.readouterr().out
    assert not list(tmp_path.rglob("*.json"))


def test_time_budget_and_workers_from_the_command(user_file: Path, tmp_path: Path, capsys) -> None:
    code = main(["search", f"{user_file}:cauchy_schwarz", "--time", "1", "--workers", "2", "--corpus", str(tmp_path),
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0 and "0 counterexample(s)" in out and " 0 examples" not in out


@pytest.mark.parametrize("argv", [
    ["search", "T9"],
    ["search", "T1:no_such_hypothesis"],
    ["search", "missing_file.py:x"],
    ["search", "T1", "--examples", "0"],
    ["search", "T1", "--workers", "0"],
])
def test_bad_input_exits_2_with_one_line(argv: list[str], capsys) -> None:
    assert main(argv + ["--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("normalign: error:")


def test_file_without_the_named_conjecture_exits_2(user_file: Path, capsys) -> None:
    assert main(["search", f"{user_file}:nope", "--quiet"]) == 2
    assert "radius_without_norm_x" in capsys.readouterr().err  # lists what is there


@pytest.mark.parametrize("engine", ["random", "optimise"])
def test_same_seed_same_counterexamples_with_1_and_2_workers(engine: str) -> None:
    """First-found mode and --all (every chunk searched, several counterexamples): the same chunks, the
    same counterexamples, in the same order, whatever the number of workers."""
    ref = f"{PROPS}:planted_t1p_no_x"
    one = search(ref, engine=engine, seed=3, examples=300, workers=1)
    two = search(ref, engine=engine, seed=3, examples=300, workers=2)
    assert one.cases and one.cases == two.cases and one.examples == two.examples
    every_one = search(ref, engine=engine, seed=4, examples=300, workers=1, first=False)
    every_two = search(ref, engine=engine, seed=4, examples=300, workers=2, first=False)
    assert len(every_one.cases) >= 2 and every_one.cases == every_two.cases
    assert [c.index for c in every_one.chunks] == [c.index for c in every_two.chunks] == [0, 1, 2]


def test_targeted_engine_finds_the_planted_t1c_constant_without_a_hand_placed_candidate() -> None:
    """The thin-set planted T1(c) bound, drawn ball points only (no candidate in the residual)."""
    out = search(f"{PROPS}:planted_t1c_constant_drawn_only", engine="targeted", seed=0, examples=1000)
    assert out.cases
    case = out.cases[0]
    assert case["loss"] == "ce" and case["R"] > 0 and out.conj.violated(out.conj.replay(case))


def _examples_to_first(conj: Conjecture, engine: str, seed: int, budget: int = 500) -> int:
    """Examples before the first violation over chunks of 100 with sub-seeds (as normalign search runs)."""
    done = 0
    for i in range(budget // 100):
        res = run_chunk(conj, engine=engine, seed=f"steer{seed}/{i}", examples=100, shrink=False)
        if res.first_at is not None:
            return done + res.first_at
        done += res.examples
    return budget


def test_optimise_engine_finds_the_thin_t1c_set_several_times_sooner_than_plain_generation() -> None:
    """The steering itself (a count of residual evaluations, seeded: no timing): on the thin-set T1(c)
    constant without its hand-placed candidate, the optimise engine's median examples to the first
    counterexample over 15 seeds is at most a fifth of plain generation's (here 12 against 81;
    benchmarks/bench_search.py measures 4-10x on sets of 25 seeds; the previous engine, 19, fails this).
    On these seeds it fails when the starts lose both the small scope and the arcsine law (median 20), not
    when either alone is dropped (9 and 15): tests/test_search_provider.py checks each one directly."""
    conj = load(f"{PROPS}:planted_t1c_constant_drawn_only")
    steered = sorted(_examples_to_first(conj, "optimise", s) for s in range(15))
    plain = sorted(_examples_to_first(conj, "random", s) for s in range(15))
    assert 5 * steered[7] <= plain[7], (steered, plain)


def test_optimise_engine_climbs_where_sampling_cannot_reach() -> None:
    """A violating set of volume ~4e-6 of the box (a ball of radius 0.01 around (0.7, 0.7, 0.7)): the
    starts alone essentially never land in it; the Nelder-Mead climb from the best start does, within
    two chunks' budget on every seed. Fails when the climb is broken."""
    bowl = Conjecture(id="T1", name="bowl", strategy=st.tuples(*[st.floats(0.0, 1.0)] * 3), tol=0.0,
                      residual=lambda x: 1e-4 - float(np.sum((np.asarray(x) - 0.7) ** 2)))
    assert all(run_chunk(bowl, engine="optimise", seed=s, examples=200, shrink=False).first_at for s in range(5))


def test_optimise_engine_tries_hypothesis_simplest_example_first_among_its_plain_draws() -> None:
    """A violation at exactly x = 0 (measure zero: no re-drawn float reaches it) is found at evaluation
    2 DRAW_EVERY + 2 of the first chunk, where the optimise engine tries hypothesis' simplest example; and
    P1 without 1^T u != 0 (violations on a measure-zero set) is found through the plain draws."""
    from normalign.property import DRAW_EVERY

    zero = Conjecture(id="T1", name="zero", strategy=st.floats(-1.0, 1.0), tol=0.5,
                      residual=lambda x: float(x == 0.0), to_case=lambda x: {"x": x}, from_case=lambda d: d["x"])
    assert [run_chunk(zero, engine="optimise", seed=s, examples=100, shrink=False).first_at
            for s in range(3)] == [2 * DRAW_EVERY + 2] * 3
    p1 = "normalign.numerics.checks.centroid.centroid:planted_p1_no_sum"
    assert search(p1, engine="optimise", seed=0, examples=300).cases


def test_dask_cluster_gives_the_same_counterexamples() -> None:
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed (pip install '.[dask]')")
    ref = f"{PROPS}:planted_t1p_no_x"
    here = search(ref, engine="optimise", seed=3, examples=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the in-process worker's own threads touch `random`: hypothesis warns
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                      host="127.0.0.1", dashboard_address=None) as cluster:
            there = search(ref, engine="optimise", seed=3, examples=300, scheduler=cluster.scheduler_address)
    assert here.cases and here.cases == there.cases


def _failing_refs() -> list:
    from normalign.search import registry_conjectures

    return [pytest.param(ref, id=ref.rpartition(":")[2]) for ref, c in registry_conjectures().items()
            if c.expect == "fails"]


@pytest.mark.slow
@pytest.mark.parametrize("ref", _failing_refs())
def test_search_finds_every_registered_planted_and_boundary_conjecture_in_its_default_budget(ref: str) -> None:
    out = search(ref, engine="optimise", seed=0)
    assert out.cases and out.conj.violated(out.conj.replay(out.cases[0]))


def _holding_refs() -> list:
    from normalign.search import registry_conjectures

    return [pytest.param(ref, engine, id=f"{ref.rpartition(':')[2]}-{engine}")
            for ref, c in registry_conjectures().items() if c.expect == "holds" for engine in ("targeted", "optimise")]


@pytest.mark.slow
@pytest.mark.parametrize(("ref", "engine"), _holding_refs())
def test_steered_search_finds_no_counterexample_to_a_theorem_that_holds(ref: str, engine: str) -> None:
    """The steered engines push the residual up on purpose: at the default budget they still stay within
    tolerance on every registered claim that holds (a counterexample here is a bug in the suite or a
    tolerance reasoned too tight)."""
    out = search(ref, engine=engine, seed=0)
    assert not out.cases and not out.notes and out.examples > 0, out.cases[:1] or out.notes


# ------------------------------------------------------------------------------ the saved corpus
def _saved() -> list:
    return [pytest.param(c, id=c["path"].split("corpus/")[-1]) for c in load_search_cases()]


@pytest.mark.parametrize("saved", _saved())
def test_saved_search_case_still_refutes_its_conjecture(saved: dict) -> None:
    """Every case ``normalign search`` saved is still a counterexample (its residual, recomputed from
    the JSON, exceeds the tolerance); a saved counterexample to a registered theorem (expect "holds") is a
    finding to investigate, flagged here."""
    conj = load_saved(saved["conjecture"])
    r = conj.replay(saved["case"])
    assert conj.violated(r), f"{saved['path']}: no longer a counterexample (residual {r:.3e} <= tol {conj.tol:.1e})"
    assert not (conj.expect == "holds" and saved["conjecture"].startswith("normalign.")), (
        f"{saved['path']}: counterexample to the registered claim {conj.id}:{conj.name} (residual {r:.3e})")


def test_search_ignores_hypothesis_constants_cached_earlier_in_the_process() -> None:
    """Hypothesis caches the constants it mixes into generation (``CONSTANTS_CACHE``) the first time a
    choice type is drawn; filled outside a search (here: by a plain ``find`` while pytest's test modules
    are loaded, as earlier tests of a suite do) it must not change what a seed finds. Oracle: the same
    search in a fresh Python process (planted: the search reading the process-wide cache)."""
    import json
    import subprocess
    import sys

    from hypothesis import find, settings
    from hypothesis.errors import NoSuchExample
    from hypothesis.internal.conjecture import providers
    from normalign.numerics.checks.optimality import properties

    ref = f"{PROPS}:planted_t1p_no_x"
    code = ("import json, sys; from normalign.search import search; "
            f"o = search({ref!r}, engine='random', seed=4, examples=300, first=False); "
            "sys.stdout.write(json.dumps(o.cases))")
    fresh = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      check=True).stdout)
    providers.CONSTANTS_CACHE = type(providers.CONSTANTS_CACHE)(1024)  # empty, then filled below
    try:
        find(properties.planted_t1p_no_x.strategy, lambda _: False, settings=settings(max_examples=200, database=None))
    except NoSuchExample:
        pass
    here = search(ref, engine="random", seed=4, examples=300, first=False)
    assert len(fresh) >= 2 and json.loads(json.dumps(here.cases)) == fresh


EXAMPLE_FORMS = textwrap.dedent('''
    """Conjectures over examples of various forms (a user's file)."""
    from hypothesis import strategies as st

    from normalign.conjecture import conjecture


    @conjecture(id="T1", strategy=st.floats(-1.0, 1.0), tol=0.0)
    def small_float(x):
        """A float example (default JSON form {"value": x}); false for x > 0.5."""
        return x - 0.5


    @conjecture(id="T1", strategy=st.frozensets(st.integers(0, 3), min_size=1), tol=0.0)
    def a_set(s):
        """A set example: no default JSON form; false for any non-empty set."""
        return float(len(s))


    @conjecture(id="T1", strategy=st.floats(0.0, 1.0), tol=0.0,
                to_case=lambda x: {"x": round(x, 1)}, from_case=lambda c: c["x"])
    def lossy(x):
        """to_case rounds: a violation at x in (0.70, 0.75) replays as 0.7, which holds."""
        return x - 0.7 if 0.7 < x < 0.75 else -1.0
''')


@pytest.fixture()
def forms_file(tmp_path: Path) -> Path:
    p = tmp_path / "forms.py"
    p.write_text(EXAMPLE_FORMS)
    return p


def test_float_example_is_saved_and_replayed(forms_file: Path, tmp_path: Path, capsys) -> None:
    code = main(["search", f"{forms_file}:small_float", "--examples", "100", "--corpus", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1 and "1 counterexample(s) [COUNTEREXAMPLE]" in out, out
    (saved,) = list(tmp_path.rglob("*.json"))
    case = json.loads(saved.read_text())["case"]
    assert isinstance(case["value"], float) and case["value"] > 0.5


def test_example_without_a_json_form_is_bad_input(forms_file: Path, tmp_path: Path, capsys) -> None:
    code = main(["search", f"{forms_file}:a_set", "--examples", "20", "--corpus", str(tmp_path), "--quiet"])
    assert code == 2
    assert "no default JSON form for a frozenset example" in capsys.readouterr().err
    assert not list(tmp_path.rglob("*.json"))


def test_a_violation_that_does_not_replay_is_never_a_pass(forms_file: Path, tmp_path: Path, capsys) -> None:
    """The violation's JSON case loses information, so it is not saved; the search must not say 'as
    expected' nor exit 0 after seeing a violation."""
    code = main(["search", f"{forms_file}:lossy", "--examples", "300", "--corpus", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1 and "[VIOLATION NOT REPRODUCIBLE]" in out and "did not reproduce" in out, out
    assert not list(tmp_path.rglob("*.json"))
