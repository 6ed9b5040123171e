"""Build the report from a cached run: gather the pictures once, write the page and its twin.

Written into the output folder, each file atomically (``normalign.files``):

- ``index.html``: the self-contained page (images inline as ``data:`` URIs);
- ``report.md``: the Markdown twin, linking the files below;
- ``graph.svg``: the dependency graph;
- ``figures/<ID>-<check>-<k>.png`` (counterexample regions) and ``figures/measured-*.png`` (copies of
  the experiments' figures).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from normalign.files import write_atomic
from normalign.report_html.figures import (
    Picture,
    format_case,
    measured_figures,
    region_picture,
)


@dataclass
class ReportData:
    """Everything the page and its twin show: the run envelope (``normalign.report_html.runs``), the
    counterexample pictures by ``(ID, check index, counterexample index)`` (a string says why there is
    none), the experiments' figures by ``(ID, claim name)``."""

    run: dict[str, Any]
    results_dir: Path
    pictures: dict[tuple[str, int, int], Picture | str] = field(default_factory=dict)
    measured: dict[tuple[str, str], list[Picture]] = field(default_factory=dict)
    rendered: str = ""
    current_commit: str | None = None

    @staticmethod
    def case_text(case: Any) -> str:
        return format_case(case)


@dataclass(frozen=True)
class ReportFiles:
    """Paths written by :func:`build_report`."""

    html: Path
    markdown: Path
    graph: Path
    figures: tuple[Path, ...]


def gather(run: dict[str, Any], results_dir: Path, *, pictures: bool = True) -> ReportData:
    """Draw the counterexample pictures and read the experiments' figures (``pictures=False``: skip the
    region pictures, e.g. for a quick text-only check of the page)."""
    from normalign.report_html.runs import git_state

    data = ReportData(run, Path(results_dir),
                      rendered=_dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                      current_commit=git_state()[0])
    for t in run["verify"].get("theorems", []):
        tid = str(t.get("id", "?"))
        for ci, c in enumerate(t.get("checks") or []):
            for k, case in enumerate((c.get("result") or {}).get("counterexamples") or []):
                if pictures and isinstance(case, dict):
                    pic = region_picture(case, f"{tid}: {_short_target(c.get('target', ''))}")
                    if pic is not None:
                        data.pictures[(tid, ci, k)] = pic
    for m in run["verify"].get("measured_claims", []):
        key = (str(m.get("id", "?")), str(m.get("name", "?")))
        figs = []
        for path in measured_figures(m.get("results"), data.results_dir):
            written = _dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone().strftime("%Y-%m-%d %H:%M")
            figs.append(Picture(path.read_bytes(), f"{path}: written {written} by an experiment run on this machine "
                                f"(its settings are in the JSON next to it and may differ from the run of the "
                                f"numbers above)"))
        data.measured[key] = figs
    return data


def build_report(run: dict[str, Any], out: Path, results_dir: Path = Path("results"), *,
                 pictures: bool = True) -> ReportFiles:
    """Write the page, its Markdown twin, the graph and the figures into ``out``."""
    from normalign.report_html import graph, markdown, page

    out = Path(out)
    data = gather(run, results_dir, pictures=pictures)
    figures: list[Path] = []
    fig_names: dict[Any, str] = {}
    for (tid, ci, k), pic in data.pictures.items():
        if isinstance(pic, Picture):
            name = f"figures/{_file_id(tid)}-check{ci}-{k}.png"
            figures.append(write_atomic(out / name, pic.png))
            fig_names[(tid, ci, k)] = name
    for (tid, cname), pics in data.measured.items():
        for j, pic in enumerate(pics):
            name = f"figures/measured-{_file_id(tid)}-{_file_id(cname)}-{j}.png"
            figures.append(write_atomic(out / name, pic.png))
            fig_names[(tid, cname, j)] = name
    graph_path = write_atomic(out / "graph.svg", graph.svg(run["verify"].get("theorems", []), link=False))
    html_path = write_atomic(out / "index.html", page.render(data))
    md_path = write_atomic(out / "report.md", markdown.render(data, fig_names, "graph.svg"))
    return ReportFiles(html_path, md_path, graph_path, tuple(figures))


def _short_target(target: str) -> str:
    return target.rpartition(":")[2] or target


def _file_id(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s.replace("'", "p")).strip("_")
