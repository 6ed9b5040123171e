"""The HTML page: one file, CSS and a few lines of JavaScript inline, images as ``data:`` URIs.

:func:`render` takes the :class:`~normalign.report_html.build.ReportData` (the cached run, its
pictures and the experiments' figures) and returns the page. Every text from the run is escaped.
Sections: header (run, date, commit, summary), the dependency graph, the table of IDs, one card per
ID, the measured claims, how to read the page.
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING, Any

from normalign.report_html import graph
from normalign.report_html.palette import UNKNOWN, tone

if TYPE_CHECKING:
    from normalign.report_html.build import ReportData

KINDS = ("symbolic", "numeric", "property")

CSS = """
:root { --ink:#1d2330; --muted:#5b6372; --line:#d9dde3; --bg:#f6f7f9; --card:#ffffff; --accent:#274c77; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink); background:var(--bg); }
main { max-width: 1180px; margin: 0 auto; padding: 18px 22px 60px; }
h1 { font-size: 24px; margin: 4px 0 2px; } h2 { font-size: 19px; margin: 30px 0 10px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 17px; margin: 0; } h4 { font-size: 13px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); margin: 16px 0 6px; }
a { color: var(--accent); } code, pre { font-family: ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; background: #f3f4f6; padding: 6px 8px; border-radius: 5px; margin: 4px 0; }
.sub { color: var(--muted); margin: 2px 0; }
.badge { display:inline-block; padding: 1px 8px; border-radius: 10px; border: 1.5px solid; font-size: 12px; font-weight: 600; white-space: nowrap; vertical-align: middle; }
.badge.unknown { border-style: dashed; }
.warn { background:#fff4d6; border:1px solid #e0b400; padding:8px 12px; border-radius:6px; margin: 10px 0; }
table { border-collapse: collapse; width: 100%; background: var(--card); }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.summary td:first-child a { font-weight: 700; }
.graph { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 8px; overflow-x: auto; text-align: center; }
.legend { display:flex; flex-wrap: wrap; gap: 6px 14px; margin: 8px 0; font-size: 12px; color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-left: 6px solid var(--tone); border-radius: 8px; padding: 14px 18px; margin: 14px 0; }
.card header { display:flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.card .id { font-size: 20px; font-weight: 800; }
.statement { font-size: 15px; margin: 8px 0; }
dl.facts { display:grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 6px 0; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
.checks td:nth-child(2) { max-width: 430px; }
.detail { color: var(--muted); font-size: 12px; }
.tags span { font-size: 11px; border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; margin-right: 3px; color: var(--muted); white-space: nowrap; }
figure { margin: 8px 0; } figure img { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
figcaption { font-size: 12px; color: var(--muted); max-width: 720px; }
.cex { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
.measured { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0; }
.controls { margin: 8px 0; display:flex; gap: 8px; align-items: center; }
.controls button { font: inherit; font-size: 12px; padding: 3px 10px; border: 1px solid var(--line); border-radius: 5px; background: #fff; cursor: pointer; }
.controls button[aria-pressed="true"] { background: var(--accent); color: #fff; border-color: var(--accent); }
body.problems-only .card.fine { display: none; }
svg.ratio { vertical-align: middle; }
.none { color: var(--muted); }
details > summary { cursor: pointer; color: var(--accent); }
"""

JS = """
(function () {
  var body = document.body;
  var btn = document.getElementById('problems-only');
  if (btn) btn.addEventListener('click', function () {
    var on = body.classList.toggle('problems-only');
    btn.setAttribute('aria-pressed', on ? 'true' : 'false');
  });
  var open = document.getElementById('open-all');
  if (open) open.addEventListener('click', function () {
    var ds = document.querySelectorAll('details');
    var anyClosed = Array.prototype.some.call(ds, function (d) { return !d.open; });
    ds.forEach(function (d) { d.open = anyClosed; });
  });
  body.setAttribute('data-ready', '1');
})();
"""

PROBLEMS = ("FAILED", "inconclusive")


def render(data: ReportData) -> str:
    """The whole page as one HTML string."""
    doc = data.run["verify"]
    theorems = doc.get("theorems", [])
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">",
        f"<title>normalign report: {escape(doc.get('status', '?'))} ({escape(run_time(data.run))})</title>",
        f"<style>{CSS}</style></head>",
        "<body><main>",
        _header(data),
        _graph_section(theorems),
        _summary_table(theorems),
        '<h2 id="cards">Statements</h2>',
        '<div class="controls"><button id="problems-only" aria-pressed="false">only FAILED / inconclusive</button>'
        '<button id="open-all">open / close all details</button></div>',
        *(_card(t, data) for t in theorems),
        _measured_section(doc.get("measured_claims", []), data),
        _how_to_read(),
        "</main>",
        f"<script>{JS}</script>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- pieces
def badge(status: str, prefix: str = "") -> str:
    """A coloured status word (dashed when the word is unknown to the palette)."""
    tn = tone(status)
    cls = "badge unknown" if tn is UNKNOWN else "badge"
    title = f' title="{escape(tn.meaning)}"' if tn.meaning else ""
    return (f'<span class="{cls}" data-status="{escape(status)}" style="background:{tn.fill};border-color:{tn.border};'
            f'color:{tn.text}"{title}>{escape(prefix + status)}</span>')


def ratio_text(ratio: Any) -> str:
    """``resid/tol`` as text: two significant digits, ``-`` when there is none."""
    if ratio is None:
        return "-"
    if isinstance(ratio, str):
        return ratio
    return "0" if ratio == 0 else f"{ratio:.2g}"


def ratio_bar(ratio: Any, expect: str = "holds", width: int = 110) -> str:
    """``resid/tol`` as a dot on a log axis from 1e-16 to 1e4 (a small inline SVG); the red tick is the
    tolerance (1). The shaded side is where a passing check lies: left of the tick for a check
    expecting the claim to hold, right of it (the counterexample) for a planted or boundary check."""
    if ratio is None:
        return ""
    r = math.inf if ratio == "inf" else math.nan if isinstance(ratio, str) else float(ratio)
    if math.isnan(r):
        return ""
    lo, hi = -16.0, 4.0
    frac = 0.0 if r <= 0 else 1.0 if math.isinf(r) else min(max((math.log10(r) - lo) / (hi - lo), 0.0), 1.0)
    x, tol_x = 4 + frac * (width - 8), 4 + (0 - lo) / (hi - lo) * (width - 8)
    inside = r <= 1
    good = inside if expect == "holds" else not inside
    zone = (0, tol_x) if expect == "holds" else (tol_x, width)
    title = (f"resid/tol = {ratio_text(ratio)}: {'within' if inside else 'above'} the tolerance "
             f"(log axis 1e-16 .. 1e4; red tick = tolerance)")
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="ratio" width="{width}" height="12" viewBox="0 0 {width} 12" role="img">'
            f"<title>{escape(title)}</title>"
            f'<rect x="{zone[0]:.1f}" y="2" width="{zone[1] - zone[0]:.1f}" height="8" fill="#e3f1e4"/>'
            f'<line x1="0" x2="{width}" y1="6" y2="6" stroke="#b8bec7" stroke-width="1"/>'
            f'<line x1="{tol_x:.1f}" x2="{tol_x:.1f}" y1="0" y2="12" stroke="#c62828" stroke-width="1.5"/>'
            f'<circle cx="{x:.1f}" cy="6" r="3.6" fill="{"#2e7d32" if good else "#c62828"}"/></svg>')


def run_time(run: dict) -> str:
    """The run's finishing time as ``YYYY-MM-DD HH:MM (UTC+hh:mm)``."""
    import datetime as _dt

    text = run.get("run", {}).get("finished")
    if not text:
        return "unknown date"
    try:
        t = _dt.datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    return t.strftime("%Y-%m-%d %H:%M") + (f" (UTC{t.strftime('%z')[:3]}:{t.strftime('%z')[3:]})" if t.tzinfo else "")


def _header(data: ReportData) -> str:
    run, doc = data.run.get("run", {}), data.run["verify"]
    commit = run.get("commit") or "unknown"
    dirty = " with uncommitted changes" if run.get("dirty") else ""
    counts = ", ".join(f"{n} {escape(s)}" for s, n in (doc.get("summary") or {}).items())
    lines = [
        "<header>",
        '<h1>normalign: verification report</h1>',
        '<p class="sub">The theorems of <i>The Geometric Structure of Models Learning Sparse Data</i> '
        "(arXiv 2605.08464), checked by symbolic, numeric and property checks against independent oracles, "
        "and by Lean.</p>",
        f'<p>Run: {badge(str(doc.get("status", "?")))} exit code {escape(str(doc.get("exit_code", "?")))}; '
        f"{len(doc.get('theorems', []))} IDs: {counts}.</p>",
        f'<p class="sub" id="run-info">From the <code>{escape(str(run.get("command") or "normalign verify"))}</code> '
        f"run finished {escape(run_time(data.run))} at commit <code>{escape(commit)}</code>{dirty}; budget "
        f"{escape(str(doc.get('budget', '?')))}, seed {escape(str(doc.get('seed', '?')))}"
        + (f", {run['seconds']:.0f} s" if isinstance(run.get("seconds"), (int, float)) else "")
        + f". Page rendered {escape(run_time({'run': {'finished': data.rendered}}))}.</p>",
    ]
    if data.current_commit and run.get("commit") and data.current_commit != run.get("commit"):
        lines.append(f'<p class="warn">The checkout is now at commit <code>{escape(data.current_commit)}</code>; '
                     "this page shows the run above. Run <code>normalign report --run</code> for a fresh one.</p>")
    if data.run.get("lean_pins_error"):
        lines.append(f'<p class="warn">The pinned Lean statements could not be read: '
                     f'{escape(str(data.run["lean_pins_error"]))}</p>')
    if data.run.get("lean_pins_from_checkout"):
        lines.append('<p class="warn">The pinned Lean statements below are those of the current checkout (the '
                     "run file does not record them).</p>")
    lines.append("</header>")
    return "\n".join(lines)


def _summary_table(theorems: list[dict]) -> str:
    rows = ['<h2 id="summary">Summary</h2>', '<table class="summary"><thead><tr><th>ID</th><th>status</th>'
            "<th>symbolic</th><th>numeric</th><th>property</th><th>Lean</th><th>resid/tol</th>"
            "<th>counter&shy;examples</th><th>statement</th></tr></thead><tbody>"]
    for t in theorems:
        tid = str(t.get("id", "?"))
        rows.append(
            f'<tr data-id="{escape(tid)}"><td><a href="#{escape(tid)}">{escape(tid)}</a></td>'
            f"<td>{badge(str(t.get('status', '?')))}</td>"
            + "".join(f"<td>{_kind_cell(str(t.get(k, '?')))}</td>" for k in KINDS)
            + f"<td>{badge(str(t.get('lean', '?')))}</td>"
            f'<td class="num">{escape(ratio_text(t.get("worst_resid_over_tol")))}</td>'
            f'<td class="num">{escape(str(t.get("counterexamples_found", 0)))}</td>'
            f"<td>{escape(str(t.get('title', '')))}</td></tr>")
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _kind_cell(status: str) -> str:
    """A kind's status; "not yet checked" (no check of this kind registered) as a muted dash."""
    from normalign.verify import NOT_YET_CHECKED

    if status == NOT_YET_CHECKED:
        return f'<span class="none" title="{escape(NOT_YET_CHECKED)}: no check of this kind is registered">&ndash;</span>'
    return badge(status)


def _graph_section(theorems: list[dict]) -> str:
    words = sorted({str(t.get("status", "?")) for t in theorems} | {str(t.get("lean", "")) for t in theorems} - {""})
    return "\n".join([
        '<h2 id="graph">How the statements depend on each other</h2>',
        '<p class="sub">Each arrow points from a statement down to one it builds on (definitions and the '
        "minimum-norm lemma at the bottom). A box is filled with the colour of the ID's status; its bottom strip "
        "is its Lean status. Click a box for its card.</p>",
        f'<div class="graph">{graph.svg(theorems)}</div>',
        '<div class="legend">' + " ".join(f"<span>{badge(w)} {escape(tone(w).meaning)}</span>" for w in words)
        + "</div>",
    ])


def _card(t: dict, data: ReportData) -> str:
    tid = str(t.get("id", "?"))
    status = str(t.get("status", "?"))
    tn = tone(status)
    fine = "fine" if status not in PROBLEMS and not t.get("lean_failed") else "problem"
    used_by = [n for n, deps in graph.DEPENDS_ON.items() if tid in deps]
    out = [f'<section class="card {fine}" id="{escape(tid)}" data-id="{escape(tid)}" data-status="{escape(status)}" '
           f'style="--tone:{tn.border}">',
           f'<header><span class="id">{escape(tid)}</span><h3>{escape(str(t.get("title", "")))}</h3>'
           f"{badge(status)} {badge(str(t.get('lean', '?')), 'Lean: ')}</header>",
           f'<p class="statement">{escape(str(t.get("statement", "")))}</p>',
           '<dl class="facts">']
    for key, label in (("source", "source"), ("claim", "the paper claims"), ("formalisation", "we formalise")):
        if t.get(key):
            out.append(f"<dt>{label}</dt><dd>{escape(str(t[key]))}</dd>")
    deps = graph.DEPENDS_ON.get(tid, ())
    if deps:
        out.append("<dt>builds on</dt><dd>" + ", ".join(f'<a href="#{escape(d)}">{escape(d)}</a>' for d in deps) + "</dd>")
    if used_by:
        out.append("<dt>used by</dt><dd>" + ", ".join(f'<a href="#{escape(d)}">{escape(d)}</a>' for d in used_by) + "</dd>")
    out.append("</dl>")
    hyps = t.get("hypotheses") or {}
    if hyps:
        out.append("<h4>Hypotheses</h4><ul>" + "".join(
            f"<li><code>{escape(str(k))}</code>: {escape(str(v))}</li>" for k, v in hyps.items()) + "</ul>")
    out.append(_checks_table(t))
    out.append(_lean_block(t, data.run.get("lean_pins", {}).get(tid, [])))
    out.append(_counterexamples(t, data))
    if t.get("notes"):
        out.append(f"<h4>Notes</h4><p>{escape(str(t['notes']))}</p>")
    mc = t.get("measured_claims") or []
    if mc:
        out.append("<h4>Measured claims</h4><p>" + ", ".join(
            f'<a href="#measured-{escape(_slug(tid, str(m)))}">{escape(str(m))}</a>' for m in mc)
                   + " (never change the status)</p>")
    out.append("</section>")
    return "\n".join(out)


def _checks_table(t: dict) -> str:
    checks = t.get("checks") or []
    if not checks:
        return "<h4>Checks</h4><p>No check is registered.</p>"
    rows = ["<h4>Checks</h4>", '<table class="checks"><thead><tr><th>kind</th><th>check</th><th>status</th>'
            '<th>found</th><th>worst residual</th><th>tolerance</th><th>resid/tol</th><th>instances</th>'
            "<th>time (s)</th></tr></thead><tbody>"]
    for c in checks:
        r = c.get("result") or {}
        tags = [f"expects {c.get('expect', '?')}"]
        if c.get("planted"):
            tags.append("planted false")
        if c.get("hypothesis_dropped"):
            tags.append(f"drops {c['hypothesis_dropped']}")
        if c.get("sanity"):
            tags.append("sanity (true by construction)")
        if c.get("slow"):
            tags.append("slow")
        detail = f'<div class="detail">{escape(str(r.get("detail", "")))}</div>' if r.get("detail") else ""
        ratio = r.get("resid_over_tol")
        rows.append(
            f'<tr data-status="{escape(str(c.get("status", "?")))}"><td>{escape(str(c.get("kind", "")))}</td>'
            f'<td>{escape(str(c.get("name", "")))}<div class="tags">'
            + "".join(f"<span>{escape(x)}</span>" for x in tags) + f"</div>{detail}</td>"
            f"<td>{badge(str(c.get('status', '?')))}</td><td>{escape(str(r.get('outcome', '-')))}</td>"
            f'<td class="num">{escape(_num(r.get("worst_residual")))}</td>'
            f'<td class="num">{escape(_num(r.get("tolerance")))}</td>'
            f'<td class="num">{escape(ratio_text(ratio))} {ratio_bar(ratio, str(c.get("expect", "holds")))}</td>'
            f'<td class="num">{escape(str(r.get("instances", "-")))}</td>'
            f'<td class="num">{escape(_num(c.get("seconds"), 2))}</td></tr>')
    rows.append("</tbody></table>")
    return "\n".join(rows)


def _lean_block(t: dict, pins: list[dict]) -> str:
    out = [f"<h4>Lean</h4><p>{badge(str(t.get('lean', '?')))}"]
    if not pins and not t.get("lean_declarations"):
        out.append(" No Lean statement is linked to this ID.</p>")
        return "".join(out)
    out.append("</p>")
    if pins:
        bad = any(p.get("status") != "proved" for p in pins) and not str(t.get("lean", "")).startswith("not checked")
        out.append(f"<details{' open' if bad else ''}><summary>{len(pins)} pinned statement"
                   f"{'s' if len(pins) != 1 else ''} (the text Lean must prove, from normalign/lean_statements.py)"
                   "</summary>")
        out.append('<table class="pins"><thead><tr><th>declaration and pinned statement</th><th>covers</th>'
                   "<th>status</th></tr></thead><tbody>")
        for p in pins:
            reason = str(p.get("reason") or "")
            show = reason and reason not in str(p.get("status", ""))
            why = f'<div class="detail">{escape(reason[:400])}</div>' if show else ""
            out.append(f'<tr><td><code>{escape(str(p.get("decl", "")))}</code><pre>{escape(str(p.get("statement", "")))}'
                       f'</pre></td><td>{escape(str(p.get("covers", "")))}</td><td>{badge(str(p.get("status", "?")))}{why}</td></tr>')
        out.append("</tbody></table></details>")
    else:
        out.append("<p>Declarations: " + ", ".join(f"<code>{escape(str(d))}</code>" for d in t["lean_declarations"]) + "</p>")
    if t.get("lean_not_formalised"):
        out.append(f"<p><b>Not formalised in Lean</b> (so at most \"proved (partial)\"): "
                   f"{escape(str(t['lean_not_formalised']))}</p>")
    return "\n".join(out)


def _counterexamples(t: dict, data: ReportData) -> str:
    tid = str(t.get("id", "?"))
    items = []
    for ci, c in enumerate(t.get("checks") or []):
        r = c.get("result") or {}
        for k, case in enumerate(r.get("counterexamples") or []):
            pic = data.pictures.get((tid, ci, k))
            block = [f'<div class="cex" data-check="{ci}"><b>{escape(str(c.get("name", "")))}</b> '
                     f'({escape(str(c.get("status", "")))}: found {escape(str(r.get("outcome", "")))}, '
                     f'expected to {"fail" if c.get("expect") == "fails" else "hold"})',
                     f"<details><summary>the numbers</summary><pre>{escape(data.case_text(case))}</pre></details>"]
            if isinstance(pic, str):
                block.append(f'<p class="detail">{escape(pic)}</p>')
            elif pic is not None:
                w, h = pic.size
                block.append(f'<figure><img src="{pic.data_uri()}" width="{w}" height="{h}" data-natural-width="{w}" '
                             f'data-natural-height="{h}" alt="exact linear regions around the counterexample of '
                             f'{escape(tid)}"><figcaption>{escape(pic.caption)}</figcaption></figure>')
            block.append("</div>")
            items.append("\n".join(block))
    if not items:
        return ""
    return (f"<h4>Counterexamples found ({len(items)})</h4><p class=\"sub\">Found by the planted and boundary "
            "checks, which expect them: each shows where the claim stops holding.</p>" + "\n".join(items))


def _measured_section(claims: list[dict], data: ReportData) -> str:
    out = ['<h2 id="measured">Measured claims</h2>',
           '<p class="sub">Empirical findings of experiments. They are reported, never counted as checks: they do '
           "not change a status or the exit code.</p>"]
    if not claims:
        out.append("<p>No measured claims in this run.</p>")
    for m in claims:
        tid, name = str(m.get("id", "?")), str(m.get("name", "?"))
        out.append(f'<div class="measured" id="measured-{escape(_slug(tid, name))}" data-id="{escape(tid)}">'
                   f'<h3><a href="#{escape(tid)}">{escape(tid)}</a> {escape(name)} {badge(str(m.get("outcome", "?")))}</h3>'
                   f"<p><b>Claim.</b> {escape(str(m.get('claim', '')))}</p>"
                   f"<p><b>Numbers.</b> {escape(str(m.get('numbers', '')))}</p>"
                   f"<p class=\"sub\">Measured by <code>{escape(str(m.get('command', '')))}</code> on "
                   f"{escape(str(m.get('measured_on', '?')))} at commit <code>{escape(str(m.get('commit', '?')))}</code>"
                   + (f"; results in <code>{escape(str(m['results']))}</code>" if m.get("results") else "") + ".</p>")
        figs = data.measured.get((tid, name), [])
        if figs:
            for f in figs:
                w, h = f.size
                out.append(f'<figure><img src="{f.data_uri()}" width="{w}" height="{h}" data-natural-width="{w}" '
                           f'data-natural-height="{h}" alt="{escape(f.caption)}"><figcaption>{escape(f.caption)}'
                           "</figcaption></figure>")
        else:
            out.append('<p class="detail">Figures: not measured on this machine (no figure under '
                       f"<code>{escape(str(data.results_dir))}</code>); the numbers above are the registry's, "
                       f"measured on {escape(str(m.get('measured_on', '?')))} at commit "
                       f"<code>{escape(str(m.get('commit', '?')))}</code>. Run <code>{escape(str(m.get('command', '')))}"
                       "</code> to draw them.</p>")
        out.append("</div>")
    return "\n".join(out)


def _how_to_read() -> str:
    from normalign.report_html.palette import _status_tones

    rows = "".join(f"<tr><td>{badge(w)}</td><td>{escape(tn.meaning)}</td></tr>" for w, tn in _status_tones().items())
    return ('<h2 id="how">How to read this page</h2><p>Each check expects the claim to <b>hold</b> (a theorem) or '
            "to <b>fail</b> (a planted-false variant, or a boundary where one hypothesis is dropped), and finds "
            "<i>verified</i>, <i>refuted</i> (with a counterexample) or <i>inconclusive</i>. <b>resid/tol</b> is the "
            "worst residual as a fraction of the tolerance it was judged against: below 1 (left of the red tick) "
            "is within tolerance. \"proved\" means that Lean's kernel checked a proof of the pinned statement with "
            "no sorry.</p><table class=\"words\"><tbody>" + rows + "</tbody></table>")


def _num(x: Any, digits: int = 3) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _slug(tid: str, name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in f"{tid}-{name}").strip("-").lower()
