"""The Markdown twin of the page, for a repository: the same sections, figures as linked files.

Status words are written as they are (``**FAILED**`` in bold); the graph is ``graph.svg`` and the
figures ``figures/*.png`` next to ``report.md`` (written by ``normalign.report_html.build``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from normalign.report_html import graph
from normalign.report_html.page import KINDS, PROBLEMS, run_time, ratio_text

if TYPE_CHECKING:
    from normalign.report_html.build import ReportData


def render(data: ReportData, figure_files: dict[Any, str], graph_file: str) -> str:
    """The Markdown document; ``figure_files`` maps picture keys to paths relative to the document."""
    doc, run = data.run["verify"], data.run.get("run", {})
    theorems = doc.get("theorems", [])
    counts = ", ".join(f"{n} {s}" for s, n in (doc.get("summary") or {}).items())
    out = [
        "# normalign: verification report",
        "",
        f"Run: {_w(doc.get('status', '?'), strong=True)}, exit code {doc.get('exit_code', '?')}; {len(theorems)} IDs: {counts}.",
        "",
        f"From the `{run.get('command') or 'normalign verify'}` run finished {run_time(data.run)} at "
        f"commit `{run.get('commit') or 'unknown'}`{' with uncommitted changes' if run.get('dirty') else ''}; budget "
        f"{doc.get('budget', '?')}, seed {doc.get('seed', '?')}. Rendered {run_time({'run': {'finished': data.rendered}})}.",
        "",
        "## Summary",
        "",
        "| ID | status | symbolic | numeric | property | Lean | resid/tol | counterexamples | statement |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for t in theorems:
        tid = str(t.get("id", "?"))
        out.append(f"| [{tid}](#{_anchor(_heading(t))}) | {_w(t.get('status'))} | "
                   + " | ".join(_kind(t.get(k)) for k in KINDS)
                   + f" | {_w(t.get('lean'))} | {ratio_text(t.get('worst_resid_over_tol'))} | "
                   f"{t.get('counterexamples_found', 0)} | {_cell(t.get('title', ''))} |")
    out += ["", "## How the statements depend on each other", "",
            "Each arrow points from a statement down to one it builds on; boxes are coloured by status.", "",
            f"![dependency graph]({graph_file})", "",
            "| ID | builds on |", "|---|---|"]
    for tid, deps in graph.DEPENDS_ON.items():
        out.append(f"| {tid} | {', '.join(deps)} |")
    out += ["", "## Statements", ""]
    for t in theorems:
        out += _card(t, data, figure_files)
    out += ["## Measured claims", "",
            "Empirical findings of experiments; they never change a status or the exit code.", ""]
    for m in doc.get("measured_claims", []):
        tid, name = str(m.get("id", "?")), str(m.get("name", "?"))
        out += [f"### {tid} {name}: {m.get('outcome', '?')}", "",
                f"**Claim.** {m.get('claim', '')}", "", f"**Numbers.** {m.get('numbers', '')}", "",
                f"Measured by `{m.get('command', '')}` on {m.get('measured_on', '?')} at commit `{m.get('commit', '?')}`"
                + (f"; results in `{m['results']}`." if m.get("results") else "."), ""]
        figs = data.measured.get((tid, name), [])
        for j, pic in enumerate(figs):
            out += [f"![{tid} {name}]({figure_files[(tid, name, j)]})", "", f"*{pic.caption}*", ""]
        if not figs:
            out += [f"Figures: not measured on this machine (no figure under `{data.results_dir}`); the numbers are "
                    f"the registry's, measured on {m.get('measured_on', '?')} at commit `{m.get('commit', '?')}`.", ""]
    return "\n".join(out) + "\n"


def _card(t: dict, data: ReportData, figure_files: dict[Any, str]) -> list[str]:
    tid = str(t.get("id", "?"))
    out = [f"### {_heading(t)}", "",
           f"Status {_w(t.get('status'), strong=True)}; Lean: {_w(t.get('lean'))}.", "",
           f"> {t.get('statement', '')}", ""]
    for key, label in (("source", "Source"), ("claim", "The paper claims"), ("formalisation", "We formalise")):
        if t.get(key):
            out.append(f"- {label}: {t[key]}")
    deps = graph.DEPENDS_ON.get(tid, ())
    if deps:
        out.append(f"- Builds on: {', '.join(deps)}")
    out.append("")
    hyps = t.get("hypotheses") or {}
    if hyps:
        out += ["Hypotheses:", ""] + [f"- `{k}`: {v}" for k, v in hyps.items()] + [""]
    checks = t.get("checks") or []
    if checks:
        out += ["| kind | check | expects | status | found | worst residual | tolerance | resid/tol |",
                "|---|---|---|---|---|---|---|---|"]
        for c in checks:
            r = c.get("result") or {}
            expect = str(c.get("expect", "?")) + (" (planted)" if c.get("planted") else "") + (
                f" (drops {c['hypothesis_dropped']})" if c.get("hypothesis_dropped") else "") + (
                " (sanity)" if c.get("sanity") else "")
            out.append(f"| {c.get('kind', '')} | {_cell(c.get('name', ''))} | {expect} | {_w(c.get('status'))} | "
                       f"{r.get('outcome', '-')} | {_n(r.get('worst_residual'))} | {_n(r.get('tolerance'))} | "
                       f"{ratio_text(r.get('resid_over_tol'))} |")
        out.append("")
    pins = data.run.get("lean_pins", {}).get(tid, [])
    if pins:
        out += ["Lean (pinned statements):", ""]
        for p in pins:
            out += [f"- `{p.get('decl', '')}` ({_w(p.get('status'))}): {p.get('covers', '')}",
                    f"  `{p.get('statement', '')}`"]
        out.append("")
    if t.get("lean_not_formalised"):
        out += [f"Not formalised in Lean: {t['lean_not_formalised']}", ""]
    for ci, c in enumerate(checks):
        for k, case in enumerate((c.get("result") or {}).get("counterexamples") or []):
            out += [f"Counterexample ({c.get('name', '')}):", "", "```", data.case_text(case), "```", ""]
            if (tid, ci, k) in figure_files:
                pic = data.pictures[(tid, ci, k)]
                out += [f"![regions around the counterexample of {tid}]({figure_files[(tid, ci, k)]})", "",
                        f"*{getattr(pic, 'caption', '')}*", ""]
    if t.get("notes"):
        out += [f"Notes: {t['notes']}", ""]
    return out


def _w(status: Any, strong: bool = False) -> str:
    """A status word; bold when it is a problem (or ``strong``)."""
    s = str(status if status is not None else "?")
    return f"**{s}**" if strong or s in PROBLEMS or s.startswith(("failed", "rejected", "missing")) else s


def _kind(status: Any) -> str:
    """A kind's status; "not yet checked" (no check of this kind registered) as a dash, as on the page."""
    from normalign.verify import NOT_YET_CHECKED

    return "–" if status == NOT_YET_CHECKED else _w(status)


def _cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("\n", " ")


def _n(x: Any) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    return "0" if x == 0 else f"{x:.3g}"


def _heading(t: dict) -> str:
    return f"{t.get('id', '?')}: {t.get('title', '')}"


def _anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation other than ``-`` and ``_`` dropped,
    spaces as ``-``."""
    return "".join(ch for ch in heading.lower().replace(" ", "-") if ch.isalnum() or ch in "-_")
