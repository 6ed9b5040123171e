"""Mutation testing of the engine, the theorem modules and theory/ against the default test suite.

    python mutation/run.py                        # stratified sample: 200 engine + 100 other mutants
    python mutation/run.py --engine -1 --rest -1  # every mutant (about 22,000: days on 2 cores)
    python mutation/run.py --score-only           # scores of the last run (no testing)

Slow, so not part of CI. Needs the project's venv plus ``pip install mutmut==3.8.1``.

Why a staged copy: the editable install maps ``normalign.numerics`` to the working tree, so tests run
from the repository would import the original files, never mutmut's mutants. The copy (default
``.cache/mutation``) puts ``numerics/`` and ``theory/`` at their import paths ``normalign/numerics`` and
``normalign/theory``; mutmut's ``mutants/`` directory comes first on ``sys.path`` there, and mutmut's own
forced-fail run (every mutated function raises; the tests must fail) stops a run whose tests would
import the originals.

Score: killed / (tested - equivalent), where a mutant no default test reaches counts as survived, and
the mutants judged equivalent are the rows marked ``equivalent`` in ``mutation/survivors.md``.
Sampling is stratified by file (each file gets its share of the sample, at least one mutant), with a
fixed seed, so a rerun tests the same mutants; the score comes with a 95% Wilson interval.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
ENGINE = ("normalign.numerics.engine.", "normalign.numerics.tolerances.")
KILLED = ("killed", "timeout", "segfault")  # the default suite fails (a crash or a CPU-time limit counts)


def status(code: int | None) -> str:
    """mutmut's word for a mutant's exit code (mutmut.stats.status_by_exit_code)."""
    from mutmut.stats import status_by_exit_code

    return status_by_exit_code[code]


def stage(dest: Path) -> None:
    """Copy the sources into ``dest`` with ``numerics/`` and ``theory/`` at their import paths."""
    for name in ("mutants", "normalign", "tests", "proofs_lean"):
        shutil.rmtree(dest / name, ignore_errors=True)
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".lake", "build")
    shutil.copytree(REPO / "normalign", dest / "normalign", ignore=ignore)
    shutil.copytree(REPO / "numerics", dest / "normalign" / "numerics", ignore=ignore)
    shutil.copytree(REPO / "theory", dest / "normalign" / "theory", ignore=ignore)
    shutil.copytree(REPO / "tests", dest / "tests", ignore=ignore)
    shutil.copytree(REPO / "proofs_lean", dest / "proofs_lean", ignore=ignore)
    shutil.copy2(REPO / "pyproject.toml", dest / "pyproject.toml")
    shutil.copy2(HERE / "setup.cfg", dest / "setup.cfg")
    shutil.copy2(HERE / "pytest_suite_order.py", dest / "pytest_suite_order.py")
    head = _git("rev-parse", "HEAD") or "unknown"
    dirty = _git("status", "--porcelain", "--", "numerics", "theory", "normalign", "tests") or ""
    (dest / "SNAPSHOT.json").write_text(json.dumps({
        "commit": head, "dirty_files": dirty.split("\n") if dirty else [],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}, indent=1))


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def env() -> dict[str, str]:
    """CI=1: hypothesis derandomised, no example database (every mutant sees the same examples); one
    BLAS / torch thread per worker (the machine is shared)."""
    e = dict(os.environ)
    e.update(CI="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    return e


def _selection(dest: Path) -> list[str]:
    import configparser

    cp = configparser.ConfigParser()
    cp.read(dest / "setup.cfg")
    return [x for x in cp.get("mutmut", "pytest_add_cli_args_test_selection").split("\n") if x]


def preflight(dest: Path) -> list[str]:
    """Run the selected suite once on the unmutated staged copy; a test that fails there can kill no
    mutant, and mutmut refuses to start while one fails, so it is deselected (a test file that does not
    even import is ignored), and listed."""
    excluded: list[str] = []
    out = ""
    for _ in range(3):  # a collection error stops the session: ignore that file and run again
        cmd = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider", "-p", "no:randomly",
               *_selection(dest)]
        out = subprocess.run(["nice", "-n", "19", *cmd], cwd=dest, env=env(), capture_output=True, text=True,
                             check=False).stdout
        red = sorted({m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", out, re.MULTILINE)})
        broken = [t for t in red if "::" not in t]
        args = [f"--ignore={t}" for t in broken] if broken else [x for t in red for x in ("--deselect", t)]
        if args:
            cfg = (dest / "setup.cfg").read_text()
            cfg = cfg.replace("pytest_add_cli_args_test_selection =\n", "pytest_add_cli_args_test_selection =\n"
                              + "".join(f"    {x}\n" for x in args), 1)
            (dest / "setup.cfg").write_text(cfg)
        excluded += red
        if not broken:
            break
    snap = json.loads((dest / "SNAPSHOT.json").read_text())
    snap["failing_on_unmutated_code"] = excluded
    snap["preflight"] = out.strip().splitlines()[-1] if out.strip() else ""
    (dest / "SNAPSHOT.json").write_text(json.dumps(snap, indent=1))
    print(f"preflight: {snap['preflight']}; left out {len(excluded)} red test(s) or file(s)", *excluded, sep="\n  ")
    return excluded


def generate(dest: Path, jobs: int) -> None:
    """Write mutmut's mutants (all of them, into ``dest/mutants``) without testing any."""
    code = ("import sys; from mutmut.utils.file_utils import copy_src_dir, copy_also_copy_files; "
            "from mutmut.__main__ import create_mutants; from mutmut.mutation.trampoline import "
            "set_mutant_under_test; set_mutant_under_test('mutant_generation'); "
            "import os; os.makedirs('mutants', exist_ok=True); copy_src_dir(); copy_also_copy_files(); "
            f"print(create_mutants({jobs}))")
    subprocess.run([sys.executable, "-c", code], cwd=dest, env=env(), check=True, stdout=subprocess.DEVNULL)


def results(dest: Path) -> dict[str, int | None]:
    """Exit code by mutant name, from mutmut's per-file ``.meta`` files."""
    out: dict[str, int | None] = {}
    for meta in sorted((dest / "mutants").rglob("*.py.meta")):
        out.update(json.loads(meta.read_text())["exit_code_by_key"])
    return out


def module_of(name: str) -> str:
    return name.rsplit(".", 1)[0]


def sample(names: list[str], k: int, seed: int) -> list[str]:
    """``k`` names stratified by module (largest remainder; each module at least one); all if k < 0."""
    if k == 0:
        return []
    if k < 0 or k >= len(names):
        return sorted(names)
    by_mod: dict[str, list[str]] = defaultdict(list)
    for n in sorted(names):
        by_mod[module_of(n)].append(n)
    quota = {m: max(1, math.floor(k * len(v) / len(names))) for m, v in by_mod.items()}
    rest = sorted(by_mod, key=lambda m: -(k * len(by_mod[m]) / len(names) - quota[m]))
    for m in rest[: max(0, k - sum(quota.values()))]:
        quota[m] += 1
    rng = random.Random(seed)
    return sorted(n for m, v in by_mod.items() for n in rng.sample(v, min(quota[m], len(v))))


def survivors_table(path: Path = HERE / "survivors.md") -> dict[str, str]:
    """Classification by mutant name from the rows ``| `name` | class | ... |`` of survivors.md."""
    out = {}
    if path.exists():
        for m in re.finditer(r"^\|\s*`([^`]+)`\s*\|\s*([a-z ]+?)\s*\|", path.read_text(), re.MULTILINE):
            out[m.group(1)] = m.group(2)
    return out


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    c = (p + z * z / (2 * n)) / (1 + z * z / n)
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (c - h, c + h)


def _group_stats(names: list[str], codes: dict[str, int | None], cls: dict[str, str]) -> dict:
    c = Counter(status(codes.get(n)) for n in names)
    surv = [n for n in names if status(codes.get(n)) in ("survived", "no tests")]
    equiv = sum(1 for n in surv if cls.get(n) == "equivalent")
    killed = sum(c[k] for k in KILLED)
    denom = killed + len(surv) - equiv
    lo, hi = wilson(killed, denom)
    return {"sampled": len(names), "killed": c["killed"], "timeout": c["timeout"] + c["segfault"],
            "survived": c["survived"], "no_tests": c["no tests"], "equivalent": equiv,
            "not_checked": len(names) - killed - len(surv), "score": killed / denom if denom else float("nan"),
            "wilson95": [lo, hi]}


def score(dest: Path, chosen: list[str], out_json: Path | None) -> dict:
    """Scores of the chosen mutants: engine, other, and overall (the two strata weighted by their sizes)."""
    codes = results(dest)
    cls = survivors_table()
    population = {"engine": sum(1 for n in codes if n.startswith(ENGINE))}
    population["other"] = len(codes) - population["engine"]
    report: dict = {"snapshot": json.loads((dest / "SNAPSHOT.json").read_text())
                    if (dest / "SNAPSHOT.json").exists() else {}, "groups": {}}
    strata = {"engine": [n for n in chosen if n.startswith(ENGINE)],
              "other": [n for n in chosen if not n.startswith(ENGINE)]}
    for g, names in strata.items():
        report["groups"][g] = {"population": population[g], **_group_stats(names, codes, cls)}
    # overall: stratified estimate sum_h N_h p_h / N, variance sum_h (N_h / N)^2 p_h (1 - p_h) / n_h
    used = {g: r for g, r in report["groups"].items() if r["score"] == r["score"]}
    N = sum(population[g] for g in used)
    if N:
        p = sum(population[g] * r["score"] for g, r in used.items()) / N
        n_of = {g: r["killed"] + r["timeout"] + r["survived"] + r["no_tests"] - r["equivalent"] for g, r in used.items()}
        var = sum((population[g] / N) ** 2 * r["score"] * (1 - r["score"]) / max(n_of[g], 1) for g, r in used.items())
        report["groups"]["overall"] = {"population": N, "strata": sorted(used), "score": p,
                                       "normal95": [p - 1.96 * math.sqrt(var), p + 1.96 * math.sqrt(var)]}
    report["by_module"] = {}
    for mod in sorted({module_of(n) for n in chosen}):
        names = [n for n in chosen if module_of(n) == mod]
        report["by_module"][mod] = dict(Counter(status(codes.get(n)) for n in names))
    report["survivors"] = sorted(n for n in chosen if status(codes.get(n)) in ("survived", "no tests"))
    if out_json:
        out_json.write_text(json.dumps(report, indent=1))
    for g, r in report["groups"].items():
        if g == "overall":
            print(f"overall  {r['score']:.1%} [{r['normal95'][0]:.1%}, {r['normal95'][1]:.1%}] "
                  f"(strata {', '.join(r['strata'])} weighted by their {r['population']} mutants)")
            continue
        print(f"{g:8s} {r['score']:.1%} [{r['wilson95'][0]:.1%}, {r['wilson95'][1]:.1%}]  "
              f"killed {r['killed']} timeout {r['timeout']} survived {r['survived']} no-tests {r['no_tests']} "
              f"equivalent {r['equivalent']} not-checked {r['not_checked']} (sample {r['sampled']} of "
              f"{r['population']})")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", type=Path, default=REPO / ".cache" / "mutation", help="staged copy")
    ap.add_argument("--engine", type=int, default=200, help="engine mutants to sample (-1: all)")
    ap.add_argument("--rest", type=int, default=100, help="other mutants to sample (-1: all)")
    ap.add_argument("--seed", type=int, default=2605)
    ap.add_argument("--jobs", type=int, default=1, help="mutmut workers (the machine is shared)")
    ap.add_argument("--resume", action="store_true", help="keep the staged copy and its results")
    ap.add_argument("--retest", action="store_true", help="with --resume: test again mutants that have a result")
    ap.add_argument("--no-preflight", action="store_true", help="skip the clean run that deselects red tests")
    ap.add_argument("--score-only", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="write the scores here")
    a = ap.parse_args(argv)
    dest = a.dir.resolve()
    if not (a.resume or a.score_only):
        stage(dest)
        if not a.no_preflight:
            preflight(dest)
        generate(dest, a.jobs)
    names = list(results(dest))
    eng = [n for n in names if n.startswith(ENGINE)]
    other = [n for n in names if not n.startswith(ENGINE)]
    chosen = sample(eng, a.engine, a.seed) + sample(other, a.rest, a.seed)
    (dest / "SAMPLE.txt").write_text("\n".join(chosen) + "\n")
    codes = results(dest)
    todo = chosen if a.retest else [n for n in chosen if codes.get(n) is None]
    if todo and not a.score_only:
        cmd = ["nice", "-n", "19", sys.executable, "-m", "mutmut", "run", "--max-children", str(a.jobs), *todo]
        subprocess.run(cmd, cwd=dest, env=env(), check=False)
    score(dest, chosen, a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
