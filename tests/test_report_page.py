"""``normalign report``: the page and its Markdown twin say what the run says (pure Python, fast).

The run is the fixed fixture of ``tests/report_fixture.py`` (every registry ID, one planted FAILED,
one inconclusive, one failed Lean pin, one 2-d counterexample), rendered without a browser; the
browser test is ``tests/test_report_browser.py``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import report_fixture as F

from normalign.cli import main
from normalign.registry import BY_ID, THEOREMS
from normalign.report_html import graph, palette
from normalign.report_html.build import build_report
from normalign.report_html.figures import png_size
from normalign.report_html.page import ratio_bar


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each card."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _tags(html: str) -> list[tuple[str, dict[str, str]]]:
    p = _Tags()
    p.feed(html)
    return p.tags


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[dict, Path]:
    out = tmp_path_factory.mktemp("report")
    run = F.run_envelope()
    build_report(run, out, out / "no-results")
    return run, out


def test_every_id_has_one_card_with_its_status(built) -> None:
    run, out = built
    tags = _tags((out / "index.html").read_text())
    cards = {a["data-id"]: a["data-status"] for t, a in tags if t == "section" and "card" in a.get("class", "")}
    expected = {t["id"]: t["status"] for t in run["verify"]["theorems"]}
    assert cards == expected and set(cards) == set(BY_ID)
    assert cards[F.FAILED_ID] == "FAILED" and cards[F.INCONCLUSIVE_ID] == "inconclusive"
    assert cards[F.LEAN_FAILED_ID] == "FAILED"  # a failed Lean pin fails the ID


def test_check_rows_show_each_status_and_ratio(built) -> None:
    run, out = built
    html = (out / "index.html").read_text()
    rows = [a["data-status"] for t, a in _tags(html) if t == "tr" and "data-status" in a]
    want = [c["status"] for t in run["verify"]["theorems"] for c in t["checks"]]
    assert rows == want
    failed = next(t for t in run["verify"]["theorems"] if t["id"] == F.FAILED_ID)
    ratio = next(c["result"]["resid_over_tol"] for c in failed["checks"] if c["status"] == "FAILED")
    assert f"{ratio:.2g}" in html  # the failed check's resid/tol (3.5) is on the page


def test_summary_table_and_markdown_twin_have_the_same_ids(built) -> None:
    run, out = built
    html = (out / "index.html").read_text()
    rows = [a["data-id"] for t, a in _tags(html) if t == "tr" and "data-id" in a]
    ids = [t["id"] for t in run["verify"]["theorems"]]
    assert rows == ids
    md = (out / "report.md").read_text()
    assert re.findall(r"^### (\S+): ", md, flags=re.MULTILINE) == ids
    for t in run["verify"]["theorems"]:
        assert re.search(rf"^\| \[{re.escape(t['id'])}\]\(#[^)]+\) \| (\*\*)?{re.escape(t['status'])}(\*\*)? \|", md, re.MULTILINE), t["id"]


def test_page_loads_nothing_from_the_network(built) -> None:
    _, out = built
    html = (out / "index.html").read_text()
    for tag, attrs in _tags(html):
        for key in ("src", "href"):
            v = attrs.get(key, "")
            assert not v or v.startswith(("data:image/png;base64,", "#")), (tag, key, v[:80])
    assert "default-src 'none'" in html  # and the browser is told so


def test_lean_pins_are_shown_with_their_statements(built) -> None:
    import html as H

    from normalign.lean_statements import pins_of

    _, out = built
    html = (out / "index.html").read_text()
    pin = pins_of(F.LEAN_FAILED_ID)[0]
    assert pin.decl in html
    assert H.escape(pin.statement) in html
    assert "fixture: type mismatch" in html


def test_counterexample_picture_is_the_exact_partition(built) -> None:
    """The 2-d counterexample is drawn; its caption's region count is the engine's enumeration."""
    from normalign.numerics.engine.regions import enumerate_partition

    from normalign.report_html.figures import case_network, case_points, picture_box

    _, out = built
    pngs = sorted((out / "figures").glob(f"{F.PICTURE_ID}-*.png"))
    assert pngs, "no picture of the 2-d counterexample"
    w, h = png_size(pngs[0].read_bytes())
    assert 300 < w < 1200 and 250 < h < 900
    case = F.two_d_case()
    net = case_network(case)
    part = enumerate_partition(net, *picture_box(case_points(case, 2)))
    md = (out / "report.md").read_text()
    assert f"({len(part.regions)} regions in" in md
    html = (out / "index.html").read_text()
    imgs = [a for t, a in _tags(html) if t == "img"]
    assert imgs and all(a["src"].startswith("data:image/png;base64,") for a in imgs)
    assert all(int(a["width"]) == int(a["data-natural-width"]) > 0 for a in imgs)


def test_graph_svg_has_one_box_per_id_and_parses(built) -> None:
    run, out = built
    root = ET.fromstring((out / "graph.svg").read_text())
    ns = "{http://www.w3.org/2000/svg}"
    nodes = {g.get("data-id"): g.get("data-status") for g in root.iter(f"{ns}g") if g.get("class") == "node"}
    assert nodes == {t["id"]: t["status"] for t in run["verify"]["theorems"]}
    edges = {(p.get("data-from"), p.get("data-to")) for p in root.iter(f"{ns}path") if p.get("class") == "edge"}
    assert edges == {(n, d) for n, deps in graph.DEPENDS_ON.items() for d in deps}


def test_dependency_edges_name_registry_ids_and_sit_below() -> None:
    for n, deps in graph.DEPENDS_ON.items():
        assert n in BY_ID and all(d in BY_ID for d in deps), n
    ids = [t.id for t in THEOREMS]
    lay = graph.layers(ids)
    assert all(lay[d] < lay[n] for n, deps in graph.DEPENDS_ON.items() for d in deps)
    for edge in (("T1", "L1"), ("T2", "L1"), ("P1", "PD"), ("T1'", "T1"), ("PD", "D3"), ("P3", "P2")):
        assert edge[1] in graph.DEPENDS_ON[edge[0]]
    with pytest.raises(ValueError, match="cycle"):
        graph.layers(["A", "B"], {"A": ("B",), "B": ("A",)})


def test_graph_layout_has_no_overlapping_boxes() -> None:
    lay = graph.layout([t.id for t in THEOREMS])
    boxes = list(lay.nodes.values())
    for i, (x, y) in enumerate(boxes):
        assert 0 <= x and x + graph.NODE_W <= lay.width and 0 <= y and y + graph.NODE_H <= lay.height
        for (u, v) in boxes[i + 1:]:
            assert abs(x - u) >= graph.NODE_W or abs(y - v) >= graph.NODE_H
    for n, d, pts in lay.edges:  # an edge goes down: from the dependent's bottom to the dependency's top
        assert pts[0][1] == lay.nodes[n][1] + graph.NODE_H and pts[-1][1] == lay.nodes[d][1]


def test_every_status_word_has_a_colour() -> None:
    from normalign import lean, verify
    from normalign.registry import MEASURED_OUTCOMES

    words = set(verify.STATUSES) | {verify.OK, verify.FAILED, verify.INCONCLUSIVE, verify.NOT_RUN_SLOW}
    words |= set(lean.STATUSES) | set(MEASURED_OUTCOMES)
    assert [w for w in words if not palette.known(w)] == []
    assert palette.tone(verify.FAILED).border == palette.BAD.border
    assert palette.tone(verify.VERIFIED).border == palette.GOOD.border
    assert palette.tone("some new word") is palette.UNKNOWN  # never a "good" colour
    from normalign.report_html.page import PROBLEMS

    assert set(PROBLEMS) == {verify.FAILED, verify.INCONCLUSIVE}  # the words that make verify exit 1


@pytest.mark.parametrize("ratio, expect, dot_left, colour", [
    (0.5, "holds", True, "#2e7d32"), (2.0, "holds", False, "#c62828"),
    (2.0, "fails", False, "#2e7d32"), (0.5, "fails", True, "#c62828"), ("inf", "fails", False, "#2e7d32")])
def test_ratio_bar_puts_the_dot_on_the_right_side_of_the_tolerance(ratio, expect, dot_left, colour) -> None:
    svg = ET.fromstring(ratio_bar(ratio, expect))
    ns = "{http://www.w3.org/2000/svg}"
    tick = next(float(e.get("x1")) for e in svg.iter(f"{ns}line") if e.get("stroke") == "#c62828")
    dot = next(svg.iter(f"{ns}circle"))
    assert (float(dot.get("cx")) < tick) is dot_left
    assert dot.get("fill") == colour


def test_measured_claims_say_not_measured_without_results(built) -> None:
    run, out = built
    html = (out / "index.html").read_text()
    claims = run["verify"]["measured_claims"]
    assert claims
    assert html.count("not measured on this machine") == len(claims)
    for m in claims:
        assert m["measured_on"] in html and m["commit"] in html


def test_measured_figures_found_under_results(tmp_path: Path) -> None:
    from normalign.report_html.build import gather

    run = F.run_envelope()
    claim = next(m for m in run["verify"]["measured_claims"] if m.get("results"))
    rel = Path(claim["results"])
    folder = tmp_path / Path(*rel.parts[1:]).parent
    folder.mkdir(parents=True)
    png = (tmp_path / "x.png")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1), dpi=50)
    fig.savefig(png)
    (folder / "curve.png").write_bytes(png.read_bytes())
    data = gather(run, tmp_path, pictures=False)
    figs = data.measured[(claim["id"], claim["name"])]
    assert len(figs) == 1 and figs[0].size == (100, 50)


# ----------------------------------------------------------------------------- the command
def test_report_without_a_cached_run_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NORMALIGN_VERIFY_CACHE", str(tmp_path / "none.json"))
    assert main(["report", "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("normalign: error: no cached verify run") and "normalign verify" in err[0]
    assert not (tmp_path / "r").exists()


def test_report_from_a_bare_verify_json(tmp_path: Path, capsys) -> None:
    src = tmp_path / "v.json"
    src.write_text(json.dumps(F.verify_doc()))
    assert main(["report", "--from", str(src), "--out", str(tmp_path / "r")]) == 0
    assert "wrote" in capsys.readouterr().out
    assert (tmp_path / "r" / "index.html").is_file() and (tmp_path / "r" / "report.md").is_file()
    (tmp_path / "bad.json").write_text("[1, 2]")
    assert main(["report", "--from", str(tmp_path / "bad.json"), "--out", str(tmp_path / "r")]) == 2


@pytest.mark.theorem("D3")
def test_verify_saves_the_run_that_report_renders(tmp_path: Path, monkeypatch, capsys) -> None:
    cache = tmp_path / "cache" / "verify-last.json"
    monkeypatch.setenv("NORMALIGN_VERIFY_CACHE", str(cache))
    assert main(["verify", "--id", "D3", "--json", "--quiet", "--no-lean"]) == 0
    printed = json.loads(capsys.readouterr().out)
    saved = json.loads(cache.read_text())
    assert saved["verify"] == printed  # the same document as --json
    assert saved["run"]["command"] == "normalign verify --id D3 --json --quiet --no-lean"
    assert [t["id"] for t in saved["verify"]["theorems"]] == ["D3"]
    assert main(["report", "--out", str(tmp_path / "r")]) == 0
    tags = _tags((tmp_path / "r" / "index.html").read_text())
    assert [a["data-id"] for t, a in tags if t == "section" and "card" in a.get("class", "")] == ["D3"]
