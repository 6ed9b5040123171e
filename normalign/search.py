"""``normalign search TARGET``: counterexample search over conjectures, steered and scaled out.

TARGET is

- a theorem ID (``T1``): every conjecture of that ID in the modules of the registry's checks (its
  property checks, and its planted and boundary checks over drawn examples, each ``CONJ.check``);
- an ID with a dropped hypothesis, a conjecture name or a registry check name (``P2:bias_free``,
  ``T1:planted_t1c_constant``, ``D1:planted_na_one_implies_rank_one``): the conjectures of that ID that
  drop it, or the one of that name. A planted or boundary check that is not a search over examples (a
  solver construction, a symbolic derivation, a training sweep: ``normalign.registry.NOT_SEARCHED``)
  is named with the reason, exit 2;
- a file (``path/to/file.py:name``, or ``path/to/file.py`` for all its conjectures): imported by path,
  so a user's conjecture is searched with no change to the project.

**Budget and reproducibility.** A search of one conjecture is a list of *chunks* of ``CHUNK`` examples;
chunk ``i`` runs with the sub-seed ``"{seed}/{i}"`` (``normalign.property.run_chunk``). With
``--examples N`` the chunks are ``0 .. ceil(N / CHUNK) - 1`` whatever the number of workers, and the
result is the set of counterexamples they find, in chunk order: the same seed gives the same
counterexamples with 1, 2 or 20 workers, local (``--workers``) or on a Dask cluster (``--scheduler``).
With ``--time S`` chunks are issued until the time is up (how many depends on the machine). The
search stops at the first chunk, in chunk order, that finds a counterexample (chunks after it that ran
in parallel are dropped, so this too is independent of the workers); ``--all`` searches the whole
budget and keeps every counterexample.

**What is saved.** Each chunk's counterexample is shrunk and re-checked there; here it is re-checked
once more from its JSON (``Conjecture.replay``) and saved under ``CORPUS/<ID>/search/`` (named by the
conjecture and a hash of the case, so the same counterexample is saved once), with the conjecture's
reference, which tests/test_search.py uses to replay every saved case.

Exit status: 0 no counterexample found, 1 one or more found (whether expected or not: the summary says
which), 2 bad input.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normalign.conjecture import CaseFormError, Conjecture, conjectures_in, import_file, load
from normalign.property import ENGINES, ChunkResult, run_chunk

CHUNK: int = 100
"""Examples per chunk: the unit of work of a worker and of the sub-seed split."""

REPO: Path = Path(__file__).resolve().parent.parent


class SearchInputError(ValueError):
    """Bad TARGET or options (exit status 2)."""


# ------------------------------------------------------------------------------ targets
def registry_conjectures() -> dict[str, Conjecture]:
    """Every conjecture defined in a module of a registry check (numeric or property), by reference
    ``module:name``."""
    import importlib

    from normalign.registry import THEOREMS

    out: dict[str, Conjecture] = {}
    modules = dict.fromkeys(c.target.partition(":")[0] for t in THEOREMS for c in t.checks if c.kind != "symbolic")
    for name in modules:
        for attr, conj in conjectures_in(importlib.import_module(name)).items():
            out.setdefault(f"{name}:{attr}", conj)
    return out


def registry_variants(tid: str) -> list[tuple[str, str, Conjecture | None]]:
    """The planted and boundary checks (expect "fails") of an ID: (check function name, hypothesis it
    drops or "", its conjecture or None when it is not a search over examples)."""
    from normalign.conjecture import conjecture_of
    from normalign.registry import BY_ID

    return [(c.target.rpartition(":")[2], c.hypothesis_dropped or "",
             None if c.kind == "symbolic" else conjecture_of(c.load()))
            for c in BY_ID[tid].checks if c.expect == "fails"]


def resolve(target: str) -> list[str]:
    """The conjecture references a TARGET names (see the module docstring); SearchInputError if none."""
    path_part = target.split(":", 1)[0] if ".py:" in target else target
    if path_part.endswith(".py"):
        return _file_refs(target)
    from normalign.registry import BY_ID, NOT_SEARCHED

    tid, _, which = target.partition(":")
    if tid not in BY_ID:
        raise SearchInputError(f"unknown theorem ID {tid!r}; known: {', '.join(BY_ID)} (or give path/file.py:name)")
    mine = {ref: c for ref, c in registry_conjectures().items() if c.id == tid}
    names = ", ".join(c.name for c in mine.values()) or "none"
    if not which:
        if not mine:
            raise SearchInputError(f"{tid} has no conjecture to search (its planted and boundary checks are not "
                                   f"searches over examples: see normalign.registry.NOT_SEARCHED)")
        return list(mine)
    variants = registry_variants(tid)
    by_check = {id(conj) for check, _, conj in variants if conj is not None and which == check}
    chosen = [ref for ref, c in mine.items() if which in c.drops or which == c.name or id(c) in by_check]
    if chosen:
        return chosen
    unsearched = [c for c in BY_ID[tid].checks if c.expect == "fails" and c.target in NOT_SEARCHED
                  and which in (c.hypothesis_dropped, c.target.rpartition(":")[2])]
    if unsearched:
        what = "; ".join(f"{c.target.rpartition(':')[2]} ({NOT_SEARCHED[c.target]})" for c in unsearched)
        raise SearchInputError(f"{tid}:{which} is not a search over examples: {what}; conjectures of {tid} that "
                               f"can be searched: {names}")
    hyps = BY_ID[tid].hypotheses
    if which in hyps:
        raise SearchInputError(f"no conjecture of {tid} drops {which!r}; write one (see README, 'Searching for "
                               f"counterexamples') and search it as path/file.py:name; conjectures of {tid}: {names}")
    raise SearchInputError(f"{which!r} is neither a hypothesis of {tid} ({', '.join(hyps) or 'none'}) nor a "
                           f"conjecture of {tid} ({names})")


def _file_refs(target: str) -> list[str]:
    if target.endswith(".py"):
        path, name = target, ""
    else:
        path, _, name = target.rpartition(":")
    p = Path(path)
    if not p.is_file():
        raise SearchInputError(f"no such file: {path}")
    try:
        module = import_file(p)
    except Exception as exc:  # noqa: BLE001 - the user's file: report why it does not import
        raise SearchInputError(f"{path} does not import: {type(exc).__name__}: {exc}") from None
    found = conjectures_in(module)
    if name and name not in found:
        raise SearchInputError(f"{path} has no conjecture {name!r} (conjectures there: {', '.join(found) or 'none'})")
    if not found:
        raise SearchInputError(f"{path} defines no conjecture (decorate a residual with @conjecture)")
    return [f"{p.resolve()}:{n}" for n in ([name] if name else found)]


def saved_ref(ref: str) -> str:
    """The reference written into a corpus case: a file inside the repository relative to it."""
    where, _, name = ref.rpartition(":")
    if where.endswith(".py"):
        p = Path(where).resolve()
        if p.is_relative_to(REPO):
            return f"{p.relative_to(REPO)}:{name}"
    return ref


def load_saved(ref: str) -> Conjecture:
    """The conjecture of a saved reference (a relative file path is relative to the repository)."""
    where, _, name = ref.rpartition(":")
    if where.endswith(".py") and not Path(where).is_absolute():
        ref = f"{REPO / where}:{name}"
    return load(ref)


# ------------------------------------------------------------------------------ running chunks
_LOADED: dict[str, Conjecture] = {}


def chunk_task(ref: str, engine: str, seed: int, index: int, examples: int, deadline: float | None) -> ChunkResult:
    """One chunk in a worker (a process or a Dask worker): load the conjecture by reference (once per
    process) and run chunk ``index`` with sub-seed ``"{seed}/{index}"``."""
    conj = _LOADED.get(ref)
    if conj is None:
        conj = _LOADED[ref] = load(ref)
    return run_chunk(conj, engine=engine, seed=f"{seed}/{index}", examples=examples, index=index,
                     deadline=deadline)


def chunk_sizes(examples: int) -> list[int]:
    """``examples`` split into chunks of CHUNK (the last one smaller)."""
    full, rest = divmod(examples, CHUNK)
    return [CHUNK] * full + ([rest] if rest else [])


@dataclass
class Outcome:
    """The search of one conjecture: its chunks (in chunk order) and the unique counterexamples."""

    ref: str
    conj: Conjecture
    engine: str
    chunks: list[ChunkResult] = field(default_factory=list)
    seconds: float = 0.0
    saved: list[Path] = field(default_factory=list)

    @property
    def examples(self) -> int:
        return sum(c.examples for c in self.chunks)

    @property
    def best(self) -> float:
        return max((c.best for c in self.chunks), default=-math.inf)

    @property
    def cases(self) -> list[dict[str, Any]]:
        """Unique counterexamples (by their JSON), in chunk order."""
        seen, out = set(), []
        for c in sorted(self.chunks, key=lambda c: c.index):
            if c.case is not None:
                key = case_key(c.case)
                if key not in seen:
                    seen.add(key)
                    out.append(c.case)
        return out

    @property
    def notes(self) -> list[str]:
        return [c.note for c in self.chunks if c.note]


def case_key(case: dict[str, Any]) -> str:
    """A short hash of a case's JSON (its residual left out): the same counterexample, the same key."""
    body = {k: v for k, v in case.items() if k != "residual"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:10]


Progress = Callable[[int, float, int], None]
"""``progress(examples_done, best_residual, found)`` after each example (in process) or chunk (pooled)."""


def search(ref: str, *, engine: str = "optimise", seed: int = 0, examples: int | None = None,
           seconds: float | None = None, workers: int = 1, scheduler: str | None = None,
           progress: Progress | None = None, first: bool = True) -> Outcome:
    """Search one conjecture (see the module docstring for the chunk and seed rules). ``first``: stop at
    the first chunk (in chunk order) that finds a counterexample; chunks after it that ran in parallel
    are dropped, so the result does not depend on the number of workers."""
    if engine not in ENGINES:
        raise SearchInputError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")
    conj = _LOADED.get(ref) or _LOADED.setdefault(ref, load(ref))
    if examples is None and seconds is None:
        examples = conj.examples[1]
    deadline = None if seconds is None else time.time() + seconds
    plan: Iterator[tuple[int, int]] = (enumerate(chunk_sizes(examples)) if examples is not None
                                       else ((i, CHUNK) for i in _count()))
    out = Outcome(ref, conj, engine)
    t0 = time.monotonic()
    stop = _Stop(first)
    if scheduler is not None:
        _run_dask(out, plan, scheduler, seed, deadline, progress, stop)
    elif workers > 1:
        _run_pool(out, plan, workers, seed, deadline, progress, stop)
    else:
        _run_here(out, plan, seed, deadline, progress, stop)
    out.chunks = sorted((c for c in out.chunks if c.index <= stop.at), key=lambda c: c.index)
    out.seconds = time.monotonic() - t0
    return out


class _Stop:
    """With ``first``: the lowest chunk index that found a counterexample (no chunk after it is issued)."""

    def __init__(self, first: bool) -> None:
        self.first, self.at = first, math.inf

    def record(self, res: ChunkResult) -> None:
        if self.first and res.case is not None:
            self.at = min(self.at, res.index)

    def issue(self, index: int) -> bool:
        return index < self.at


def _count() -> Iterator[int]:
    i = 0
    while True:
        yield i
        i += 1


def _expired(deadline: float | None) -> bool:
    return deadline is not None and time.time() >= deadline


def _run_here(out: Outcome, plan: Iterator[tuple[int, int]], seed: int, deadline: float | None,
              progress: Progress | None, stop: _Stop) -> None:
    done, best, found = 0, -math.inf, 0

    def tick(r: float) -> None:
        nonlocal done, best
        done += 1
        best = max(best, math.inf if math.isnan(r) else r)
        if progress is not None:
            progress(done, best, found)

    for index, n in plan:
        if _expired(deadline) or not stop.issue(index):
            break
        res = run_chunk(out.conj, engine=out.engine, seed=f"{seed}/{index}", examples=n, index=index,
                        deadline=deadline, on_example=tick)
        out.chunks.append(res)
        stop.record(res)
        found += res.case is not None


def _report(out: Outcome, progress: Progress | None) -> None:
    if progress is not None:
        progress(out.examples, out.best, sum(c.case is not None for c in out.chunks))


def _run_pool(out: Outcome, plan: Iterator[tuple[int, int]], workers: int, seed: int, deadline: float | None,
              progress: Progress | None, stop: _Stop) -> None:
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    with ProcessPoolExecutor(max_workers=workers) as pool:
        running: set = set()
        plan = iter(plan)
        while True:
            while len(running) < 2 * workers and not _expired(deadline):
                nxt = next(plan, None)
                if nxt is None or not stop.issue(nxt[0]):
                    break
                running.add(pool.submit(chunk_task, out.ref, out.engine, seed, nxt[0], nxt[1], deadline))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for f in finished:
                out.chunks.append(f.result())
                stop.record(out.chunks[-1])
            _report(out, progress)


def _run_dask(out: Outcome, plan: Iterator[tuple[int, int]], scheduler: str, seed: int, deadline: float | None,
              progress: Progress | None, stop: _Stop) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SearchInputError("--scheduler needs dask.distributed: pip install 'normalign[dask]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except Exception as exc:  # noqa: BLE001 - an unreachable scheduler is bad input
        raise SearchInputError(f"cannot connect to the Dask scheduler {scheduler}: {exc}") from None
    try:
        width = max(1, sum(client.nthreads().values()))
        plan = iter(plan)
        pending = as_completed()
        for _ in range(2 * width):
            nxt = next(plan, None)
            if nxt is None or not stop.issue(nxt[0]):
                break
            pending.add(client.submit(chunk_task, out.ref, out.engine, seed, nxt[0], nxt[1], deadline, pure=False))
        for f in pending:
            out.chunks.append(f.result())
            stop.record(out.chunks[-1])
            _report(out, progress)
            nxt = None if _expired(deadline) else next(plan, None)
            if nxt is not None and stop.issue(nxt[0]):
                pending.add(client.submit(chunk_task, out.ref, out.engine, seed, nxt[0], nxt[1], deadline,
                                          pure=False))
    finally:
        client.close()


# ------------------------------------------------------------------------------ saving
def save(out: Outcome, corpus: Path, seed: int) -> list[Path]:
    """Re-check every unique counterexample from its JSON and save it under ``corpus/<ID>/search/``."""
    from normalign.corpus import save_case

    paths = []
    for case in out.cases:
        r = out.conj.replay(case)
        if not out.conj.violated(r):  # run_chunk re-checked it already: this would be nondeterminism
            out.chunks[0].note = out.chunks[0].note or f"case {case_key(case)} did not reproduce here (r = {r:.3e})"
            continue
        name = f"{out.conj.name}_{case_key(case)}"
        found_by = f"normalign search --engine {out.engine} --seed {seed}"
        paths.append(save_case(out.conj.id, name, f"conjecture {out.conj.name}", dict(case, residual=r),
                               found_by, root=corpus, sub="search",
                               extra={"conjecture": saved_ref(out.ref), "tol": out.conj.tol,
                                      "expect": out.conj.expect}))
    out.saved = paths
    return paths


def summary_line(out: Outcome) -> str:
    """One line per conjecture: what it expects, what the search found, and whether that is expected."""
    c = out.conj
    n_found = len(out.cases)
    ratio = out.best / c.tol if c.tol > 0 else out.best
    as_expected = (n_found > 0) == (c.expect == "fails")
    verdict = "as expected" if as_expected else ("COUNTEREXAMPLE" if c.expect == "holds" else "NOT FOUND")
    if out.notes and not n_found:  # a violation was seen but did not replay: never "as expected"
        verdict = "VIOLATION NOT REPRODUCIBLE"
    drops = f" drops {','.join(c.drops)}" if c.drops else ""
    return (f"{c.id}:{c.name} (expect {c.expect}{drops}) engine {out.engine}: {out.examples} examples in "
            f"{out.seconds:.1f}s, best residual/tol {ratio:.3g}, {n_found} counterexample(s) [{verdict}]")


# ------------------------------------------------------------------------------ command
def add_arguments(p: Any) -> None:
    """The options of ``normalign search`` (argparse)."""
    p.add_argument("target", help="ID, ID:hypothesis, ID:conjecture or ID:check, path/file.py:name or path/file.py "
                   "(a planted or boundary check that is not a search over examples: exit 2 with the reason)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=int, default=None, metavar="N",
                        help="examples per conjecture (default: the conjecture's full budget)")
    budget.add_argument("--time", type=float, default=None, metavar="S", help="seconds per conjecture")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=1, metavar="N", help="local worker processes")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the chunks on a Dask distributed scheduler (tcp://host:port)")
    p.add_argument("--corpus", type=Path, default=REPO / "tests" / "corpus", metavar="DIR",
                   help="save counterexamples under DIR/<ID>/search/ (default tests/corpus)")
    p.add_argument("--engine", choices=ENGINES, default="optimise",
                   help="random, targeted (hypothesis.target), optimise (rounds of starts drawn with small "
                        "integer choices and arcsine-spread floats, plus plain draws, then Nelder-Mead on the "
                        "strategy's float choices; default), crosshair (needs hypothesis-crosshair)")
    p.add_argument("--all", action="store_true",
                   help="search the whole budget (default: stop at the first chunk that finds a counterexample)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: Any) -> int:
    """``normalign search``: 0 nothing found, 1 a counterexample found (or a violation that did not replay
    from its JSON case), 2 bad input (SearchInputError, and an example with no JSON form)."""
    if args.examples is not None and args.examples < 1:
        raise SearchInputError("--examples must be >= 1")
    if args.time is not None and not args.time > 0:
        raise SearchInputError("--time must be > 0")
    if args.workers < 1:
        raise SearchInputError("--workers must be >= 1")
    if args.engine == "crosshair":
        try:
            import hypothesis_crosshair_provider  # noqa: F401
        except ImportError:
            raise SearchInputError("--engine crosshair needs hypothesis-crosshair (pip install hypothesis-crosshair)") from None
    refs = resolve(args.target)
    any_found = False
    for ref in refs:
        try:
            out = search(ref, engine=args.engine, seed=args.seed, examples=args.examples, seconds=args.time,
                         workers=args.workers, scheduler=args.scheduler, first=not args.all,
                         progress=None if args.quiet else _Bar(load(ref), args.examples, args.time))
        except CaseFormError as exc:
            raise SearchInputError(f"{ref}: {exc}") from None
        finally:
            _Bar.close_current()
        paths = save(out, args.corpus, args.seed)
        any_found |= bool(out.cases) or bool(out.notes)
        print(summary_line(out))
        for path in paths:
            print(f"  saved {_shown(path)}")
        for note in out.notes:
            print(f"  note: {note}")
    return 1 if any_found else 0


def _shown(path: Path) -> str:
    """A path relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _Bar:
    """A tqdm progress bar on stderr: examples tried, best residual so far (over tol), counterexamples."""

    current: Any = None

    def __init__(self, conj: Conjecture, examples: int | None, seconds: float | None) -> None:
        from tqdm import tqdm

        total = examples if examples is not None else (None if seconds is not None else conj.examples[1])
        _Bar.current = self.bar = tqdm(total=total, desc=f"{conj.id}:{conj.name}", unit="ex", file=sys.stderr,
                                       mininterval=0.5, leave=True)
        self.tol = conj.tol

    def __call__(self, done: int, best: float, found: int) -> None:
        self.bar.n = done
        ratio = best / self.tol if self.tol > 0 else best
        self.bar.set_postfix_str(f"best r/tol {ratio:.3g} found {found}", refresh=False)
        self.bar.refresh() if done == 1 else self.bar.update(0)

    @classmethod
    def close_current(cls) -> None:
        if cls.current is not None:
            cls.current.close()
            cls.current = None
