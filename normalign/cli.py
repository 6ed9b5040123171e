"""The ``normalign`` command.

- ``normalign verify [--json] [--full] [--id ID ...] [--corpus DIR] [--no-lean]``: run every registered
  check; one row per theorem ID, then the measured claims; exit 1 when any ID is FAILED (a check found
  the opposite of what it expects, or Lean failed) or inconclusive (see ``normalign.verify``).
- ``normalign lean-setup [DIR] [--dry-run]``: install a core Lean 4 for ``proofs_lean/`` (``normalign.lean_setup``).
- ``normalign search TARGET [--examples N | --time S] [--seed] [--workers N] [--scheduler ADDRESS]
  [--corpus DIR] [--engine {random,targeted,optimise,crosshair}]``: counterexample search over
  conjectures (an ID, ``ID:hypothesis``, or ``path/file.py:name``); exit 1 when one is found
  (``normalign.search``).
- ``normalign report [--out DIR] [--from FILE] [--run]``: the last verify run (saved by ``normalign verify``
  in ``.cache/verify-last.json``) as one static HTML page plus a Markdown twin (``normalign.report_html``).
- ``normalign analyze MODEL POINTS [--json | --jsonl] [--chunk N] [--align-threshold T]``: per-point exact
  geometry of a CPA network, streamed chunk by chunk from a memory-mapped ``.npy``, then a summary per
  predicted class and overall (``normalign.report.Summary``). ``--json`` prints one document
  ``{"points": [...], "summary": {...}}`` (before the summary it was a bare list of points). MODEL may be an
  ``.onnx`` file, or with ``--module FILE.py:FACTORY --input-shape C,H,W`` the weights of that nn.Module
  (convolutional and residual networks, lowered exactly by ``normalign.numerics.engine.lowering``; read by
  torch.fx, or by torch.export with ``--trace export``). POINTS may be (n, d) or (n, *input shape).
- ``normalign plot-regions MODEL [...]``: PNG of the exact 2-d partition (see ``normalign.numerics.experiments.plotting``).
- ``normalign experiment NAME [...]``: the experiments behind the measured claims (``grokalign``,
  ``rfam``, ``feature-learning``).

Exit status: 0 all good; 1 a check or Lean failed or was inconclusive; 2 bad input (one line
``normalign: error: ...`` on stderr, never a traceback); 141 (128 + SIGPIPE, as for a tool killed by
SIGPIPE) when the reader of standard output went away (``normalign analyze ... | head``), silently.
Standard output carries only the report; progress and solver chatter go to standard error.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Sequence

from normalign.checks import Budget, dumps

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BROKEN_PIPE = 0, 1, 2, 141

EXPERIMENTS: dict[str, str] = {
    "grokalign": "normalign.numerics.experiments.grokalign:main",
    "grokalign-mnist": "normalign.numerics.experiments.grokalign_mnist:main",
    "rfam": "normalign.numerics.experiments.rfam:main",
    "rfam-keel": "normalign.numerics.experiments.rfam_keel:main",
    "feature-learning": "normalign.numerics.experiments.feature_learning:main",
}
"""``normalign experiment NAME`` dispatches to ``module:main(argv) -> int``."""

PLOT_REGIONS = "normalign.numerics.experiments.plotting:plot_regions_main"


class UsageError(Exception):
    """Bad input from the user: reported as one line, exit status 2."""


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
    except BrokenPipeError:
        # The reader went away (``| head``). Point stdout at devnull so that Python's final flush at
        # exit cannot raise again, and exit like a tool killed by SIGPIPE.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return code


def _run(argv: list[str]) -> int:
    if argv and argv[0] in ("experiment", "plot-regions"):
        return _dispatch(argv)
    args = _parser().parse_args(argv)
    args.argv = argv
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"normalign: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="normalign", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("verify", help="run every registered check, one row per theorem ID")
    v.add_argument("--json", action="store_true", help="print the report as JSON")
    v.add_argument("--full", action="store_true", help="full budget and slow checks (minutes to hours)")
    v.add_argument("--id", action="append", default=None, metavar="ID", help="only this ID (repeatable)")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--corpus", type=Path, default=None, help="save every counterexample found under DIR")
    v.add_argument("--no-lean", action="store_true", help="do not run Lean (use a cached audit if fresh)")
    v.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    v.set_defaults(func=_cmd_verify)

    a = sub.add_parser("analyze", help="per-point exact geometry of a CPA network, and a summary over the points")
    a.add_argument("model", type=Path, help=".npz (W0, b0, W1, ...), .onnx, or a torch state dict (of nn.Sequential; "
                   "with --module, of that module, or '-' for the factory's own weights)")
    a.add_argument("points", type=Path, help=".npy array of shape (n, d), or (n, C, H, W) for a network with that input "
                   "shape (flattened row-major per chunk, as torch's flatten), memory-mapped (may exceed memory)")
    a.add_argument("--module", metavar="FILE.py:FACTORY", default=None,
                   help="build the network by calling FACTORY() in FILE.py (an nn.Module: convolutions, pooling, batch "
                   "norm, residual additions, ...), traced with torch.fx (or torch.export: --trace export); needs --input-shape")
    a.add_argument("--input-shape", default=None, metavar="C,H,W",
                   help="shape of one input of --module without the batch dimension, e.g. 1,28,28")
    a.add_argument("--trace", choices=("fx", "export"), default="fx",
                   help="how --module's graph is read: torch.fx symbolic tracing (default) or torch.export's ATen graph")
    fmt = a.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true",
                     help='one JSON document {"points": [one object per point], "summary": {...}}')
    fmt.add_argument("--jsonl", action="store_true",
                     help='JSON lines: one object per point, then {"summary": {...}}')
    a.add_argument("--chunk", type=int, default=None, metavar="N",
                   help="points analysed (and held in memory) at a time (default: a chunk's Jacobians within 64 MiB)")
    a.add_argument("--align-threshold", type=float, default=0.9, metavar="T",
                   help="summary: fraction of points with normal alignment >= T (default 0.9)")
    a.add_argument("--summary-only", action="store_true",
                   help='print only the summary (with --json or --jsonl: {"summary": {...}})')
    a.add_argument("--activation", choices=("relu", "leaky_relu"), default="relu",
                   help="activation between Linear layers of a state dict (default relu)")
    a.add_argument("--negative-slope", type=float, default=0.01, metavar="S",
                   help="slope of leaky_relu on the negative side, for a state dict (default 0.01, torch's)")
    a.add_argument("--allow-undefined", action="store_true",
                   help="report a vanishing centroid as 'undefined' alignment instead of an error")
    a.set_defaults(func=_cmd_analyze)

    ls = sub.add_parser("lean-setup", help="install a core Lean 4 into .cache/lean (elan, else npm's WebAssembly build)")
    _lean_setup_arguments(ls)
    ls.set_defaults(func=_cmd_lean_setup)

    se = sub.add_parser("search", help="search conjectures for counterexamples (ID, ID:hypothesis, file.py:name)")
    _search_arguments(se)
    se.set_defaults(func=_cmd_search)

    r = sub.add_parser("report", help="the last verify run as a static HTML page and a Markdown twin")
    r.add_argument("--out", type=Path, default=Path("results/report"),
                   help="output folder (default results/report): index.html, report.md, graph.svg, figures/")
    r.add_argument("--from", dest="source", type=Path, default=None, metavar="FILE",
                   help="render this run (a saved run, or `normalign verify --json` output) instead of the cached one")
    r.add_argument("--run", action="store_true", help="run `normalign verify` first (quick budget, with Lean)")
    r.add_argument("--results", type=Path, default=Path("results"),
                   help="where the experiments wrote their figures (default results)")
    r.set_defaults(func=_cmd_report)

    sub.add_parser("plot-regions", help="PNG of the exact 2-d partition (see --help of the subcommand)")
    sub.add_parser("experiment", help=f"training experiments: {', '.join(EXPERIMENTS)}")
    return p


# ------------------------------------------------------------------------------ verify
def _lean_setup_arguments(p: argparse.ArgumentParser) -> None:
    from normalign.lean_setup import add_arguments

    add_arguments(p)


def _cmd_lean_setup(args: argparse.Namespace) -> int:
    from normalign.lean_setup import run

    return run(args)


def _cmd_verify(args: argparse.Namespace) -> int:
    from normalign.registry import BY_ID
    from normalign.verify import exit_code, format_report, report_json, run_registry, save_counterexamples, stderr_progress

    ids = args.id
    for i in ids or []:
        if i not in BY_ID:
            raise UsageError(f"unknown theorem ID {i!r}; known: {', '.join(BY_ID)}")
    budget = Budget("full" if args.full else "quick", args.seed)
    t0 = time.perf_counter()
    reports = run_registry(budget, ids, include_slow=args.full, progress=None if args.quiet else stderr_progress)
    _attach_lean(reports, run_lean=not args.no_lean, progress=None if args.quiet else stderr_progress)
    if args.corpus is not None:
        paths = save_counterexamples(reports, args.corpus)
        print(f"saved {len(paths)} counterexample(s) under {args.corpus}", file=sys.stderr)
    doc = report_json(reports, budget)
    _save_last_run(doc, args, time.perf_counter() - t0)
    print(dumps(doc) if args.json else format_report(reports))
    return exit_code(reports)


def _save_last_run(doc: dict, args: argparse.Namespace, seconds: float) -> None:
    """Keep the run for ``normalign report`` (``normalign.report_html.runs``); a cache that cannot be
    written is a warning on stderr, never a failed verify."""
    from normalign.report_html.runs import save_run

    command = " ".join(["normalign", *getattr(args, "argv", ["verify"])])
    try:
        save_run(doc, command=command, seconds=seconds)
    except OSError as exc:
        print(f"normalign: warning: could not save the run for `normalign report`: {exc}", file=sys.stderr)


def _attach_lean(reports: list, run_lean: bool, progress) -> None:
    """Fill each report's Lean column from Lean's own messages (``normalign.lean``)."""
    from normalign.lean import lean_columns

    columns = lean_columns([r.theorem for r in reports], run=run_lean, progress=progress)
    for r in reports:
        r.lean = columns[r.theorem.id]  # "proved (partial)" is decided in normalign.lean


# ------------------------------------------------------------------------------ search
def _search_arguments(p: argparse.ArgumentParser) -> None:
    from normalign.search import add_arguments

    add_arguments(p)


def _cmd_search(args: argparse.Namespace) -> int:
    """``normalign search``: see ``normalign.search`` (exit 0 none found, 1 found, 2 bad input)."""
    from normalign.search import SearchInputError, run

    try:
        return run(args)
    except SearchInputError as exc:
        raise UsageError(str(exc)) from None


# ------------------------------------------------------------------------------ report
def _cmd_report(args: argparse.Namespace) -> int:
    """Render the cached run (``normalign.report_html``); with ``--run``, run verify first and return
    its exit code, else 0 once the page is written."""
    from normalign.report_html.build import build_report
    from normalign.report_html.runs import ReportError, load_run

    code = EXIT_OK
    if args.run:
        if args.source is not None:
            raise UsageError("--run and --from exclude each other")
        vargs = _parser().parse_args(["verify"])
        vargs.argv = ["verify"]
        code = _cmd_verify(vargs)
    try:
        run = load_run(args.source)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    files = build_report(run, args.out, args.results)
    print(f"wrote {files.html} and {files.markdown} ({len(files.figures)} figures)")
    return code


# ------------------------------------------------------------------------------ analyze
ANALYZE_CHUNK_BYTES = 64 * 2**20
"""Default ``--chunk``: as many points as keep a chunk's Jacobians (8 c d bytes a point) within this."""


def _cmd_analyze(args: argparse.Namespace) -> int:
    """Stream the points chunk by chunk: each chunk's rows (table, ``--jsonl`` lines or ``--json`` array
    items) are written as soon as it is analysed, and only the summary's per-point scalars
    (``normalign.report.Summary``, 40 bytes a point) outlive a chunk."""
    import math

    import numpy as np

    from normalign.numerics.engine.geometry import analyze
    from normalign.numerics.engine.network import CPANetwork, NetworkError
    from normalign.report import Summary, iter_records, iter_table_rows, summary_table, table_header

    try:
        if args.module is not None:
            from normalign.numerics.engine.model_import import from_factory, parse_shape

            net = from_factory(args.module, None if str(args.model) == "-" else args.model, parse_shape(args.input_shape),
                               args.trace)
        else:
            net = CPANetwork.load(args.model, activation=args.activation, negative_slope=args.negative_slope)
    except NetworkError as exc:
        raise UsageError(str(exc)) from None
    if not math.isfinite(args.align_threshold):
        raise UsageError(f"--align-threshold must be a finite number, got {args.align_threshold}")
    X = _load_points(args.points)
    _check_point_shape(X.shape, net, args.points)
    n, d, c = X.shape[0], net.input_dim, net.output_dim
    chunk = args.chunk if args.chunk is not None else max(1, min(4096, ANALYZE_CHUNK_BYTES // (8 * c * d)))
    if chunk < 1:
        raise UsageError(f"--chunk must be at least 1, got {chunk}")
    _validate_points(X, args.points, max(chunk, 1024))
    fmt = "json" if args.json else "jsonl" if args.jsonl else "table"
    summary = Summary(n)
    out = sys.stdout
    if not args.summary_only:
        out.write({"json": '{"points": [\n', "jsonl": "", "table": table_header() + "\n"}[fmt])
    for lo in range(0, n, chunk):
        Xc = _flat_rows(X, lo, lo + chunk)  # this chunk only, out of the memory map
        try:  # J is formed only when the records print it
            geo = analyze(net, Xc, jacobian=fmt != "table" and not args.summary_only)
        except ValueError as exc:  # validated above; kept so that no input gives a traceback
            raise UsageError(f"{args.points}: points {lo}..{lo + len(Xc) - 1}: {exc}") from None
        undefined = np.flatnonzero(np.ma.getmaskarray(geo.centroid_alignment))
        if undefined.size and not args.allow_undefined:
            raise UsageError(f"point {lo + int(undefined[0])}: the centroid mu_x = J_x^T 1 vanishes, so centroid "
                             "alignment is undefined (pass --allow-undefined to report it as 'undefined')")
        summary.add(geo, lo)
        if args.summary_only:
            continue
        if fmt == "table":
            out.writelines(row + "\n" for row in iter_table_rows(geo, lo))
        else:  # a JSON array item (comma-separated) or a JSON line per point
            sep = ",\n" if fmt == "json" else ""
            end = "" if fmt == "json" else "\n"
            out.writelines(("" if lo + i == 0 else sep) + json.dumps(rec) + end
                           for i, rec in enumerate(iter_records(geo, lo)))
    result = summary.result(args.align_threshold)
    if args.summary_only:
        out.write(summary_table(result) + "\n" if fmt == "table" else json.dumps({"summary": result}) + "\n")
    else:
        out.write({"json": '\n], "summary": ' + json.dumps(result) + "}\n",
                   "jsonl": json.dumps({"summary": result}) + "\n",
                   "table": "\n" + summary_table(result) + "\n"}[fmt])
    return EXIT_OK


def _load_points(path: Path):
    """The points of an ``.npy`` file, memory-mapped read-only (nothing is read until used)."""
    import numpy as np

    if not path.exists():
        raise UsageError(f"no such points file: {path}")
    if path.stat().st_size == 0:
        raise UsageError(f"points file {path} is empty")
    try:
        X = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {path} as a .npy array: {str(exc).splitlines()[0]}") from None
    if not isinstance(X, np.ndarray):
        raise UsageError(f"{path} holds several arrays; give one .npy array of shape (n, d)")
    if X.ndim < 2:
        raise UsageError(f"{path}: points must have shape (n, d) or (n, C, H, W), got {X.shape}")
    if X.shape[0] == 0:
        raise UsageError(f"{path}: no points (shape {X.shape})")
    if not np.issubdtype(X.dtype, np.number):
        raise UsageError(f"{path}: points must be numeric, got dtype {X.dtype}")
    return X


def _check_point_shape(shape: tuple[int, ...], net, path: Path) -> None:
    """Points are (n, d) with d the network's input dimension, or (n, *input_shape) when the network has an
    input shape (an image (C, H, W) of --module or ONNX); anything else is a usage error."""
    want = tuple(net.input_shape) if net.input_shape is not None and len(net.input_shape) > 1 else None
    also = f" or (n, {', '.join(map(str, want))})" if want else ""
    if len(shape) == 2 and shape[1] != net.input_dim:
        raise UsageError(f"{path}: points have dimension {shape[1]} but the network expects {net.input_dim}{also}")
    if len(shape) > 2 and tuple(shape[1:]) != want:
        raise UsageError(f"{path}: points must have shape (n, d) = (n, {net.input_dim}){also}, got {tuple(shape)}")


def _flat_rows(X, lo: int, hi: int):
    """Points ``lo .. hi - 1`` of a (memory-mapped) array as float64 rows (m, d): only these rows are read,
    and an image point (C, H, W) is flattened row-major (C order), as torch's ``flatten`` and the lowered
    network's input."""
    import numpy as np

    B = np.array(X[lo:hi], dtype=np.float64)
    return B.reshape(B.shape[0], -1)


def _validate_points(X, path: Path, rows: int) -> None:
    """One pass over the (memory-mapped) points, ``rows`` at a time, before any output: the first point
    with NaN or inf, or equal to 0 (the theorems assume x != 0), is a usage error naming its index."""
    import numpy as np

    for lo in range(0, X.shape[0], rows):
        B = _flat_rows(X, lo, lo + rows)
        bad = np.flatnonzero(~np.isfinite(B).all(axis=1))
        if bad.size:
            raise UsageError(f"{path}: point {lo + int(bad[0])} contains NaN or inf")
        zero = np.flatnonzero(~B.any(axis=1))
        if zero.size:
            raise UsageError(f"{path}: point {lo + int(zero[0])} is x = 0: alignment with x is undefined there")


# ------------------------------------------------------------------------------ dispatch
def _dispatch(argv: list[str]) -> int:
    command, rest = argv[0], argv[1:]
    if command == "plot-regions":
        target = PLOT_REGIONS
    else:
        if not rest or rest[0] in ("-h", "--help"):
            print(f"usage: normalign experiment {{{','.join(EXPERIMENTS)}}} [options]\n"
                  f"each experiment takes --help")
            return EXIT_OK if rest else EXIT_USAGE
        name, rest = rest[0], rest[1:]
        if name not in EXPERIMENTS:
            print(f"normalign: error: unknown experiment {name!r}; known: {', '.join(EXPERIMENTS)}", file=sys.stderr)
            return EXIT_USAGE
        target = EXPERIMENTS[name]
    module, _, attr = target.partition(":")
    try:
        fn = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError):
        print(f"normalign: error: {command} is not available in this version ({target} missing)", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(fn(rest))
    except UsageError as exc:
        print(f"normalign: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
