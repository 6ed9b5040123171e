"""The report page in a real browser: headless Chromium (the system's package) driven by playwright.

Built from the fixed fixture run (``tests/report_fixture.py``), loaded through ``file://``: every ID
has a visible card, no console error or page error occurs, no request leaves the file, the dependency
graph and every figure render at their natural size, the "only FAILED / inconclusive" button works;
a screenshot goes to ``tmp_path``. Skipped with a reason where no Chromium or no playwright is found;
with ``NORMALIGN_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing browser fails
``test_browser_present_when_required`` instead. Playwright's own browser download
is never used: the Chromium of the system is launched by path (``NORMALIGN_CHROMIUM``, else
``chromium`` / ``chromium-browser`` on the PATH).

``python tests/test_report_browser.py PAGE.html OUT.png`` takes the README's screenshot of a page.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}


def find_chromium() -> str | None:
    """The system's Chromium: ``$NORMALIGN_CHROMIUM``, else ``chromium`` or ``chromium-browser``."""
    env = os.environ.get("NORMALIGN_CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    if find_chromium() is None:
        return "no Chromium found (apt-get install chromium, or set NORMALIGN_CHROMIUM)"
    return None


@contextmanager
def browser_page(viewport: dict[str, int] = VIEWPORT) -> Iterator[object]:
    """A fresh page of the system's headless Chromium, with a throw-away profile."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="normalign-chromium-") as profile, sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(profile, executable_path=find_chromium(), headless=True,
                                                   args=CHROMIUM_ARGS, viewport=viewport)
        try:
            yield ctx.new_page()
        finally:
            ctx.close()


_why = _missing()
needs_browser = pytest.mark.skipif(_why is not None, reason=_why or "")


def test_browser_present_when_required() -> None:
    """CI sets NORMALIGN_REQUIRE_BROWSER=1 after installing Chromium: a missing browser must fail, not skip."""
    if os.environ.get("NORMALIGN_REQUIRE_BROWSER") != "1":
        pytest.skip("NORMALIGN_REQUIRE_BROWSER is not set: the browser test is optional here")
    assert _why is None, f"NORMALIGN_REQUIRE_BROWSER=1 but {_why}"


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> tuple[dict, Path]:
    import report_fixture as F

    from normalign.report_html.build import build_report

    out = tmp_path_factory.mktemp("report")
    run = F.run_envelope()
    files = build_report(run, out, out / "no-results")
    return run, files.html


@needs_browser
def test_page_renders_in_chromium(page_file, tmp_path: Path) -> None:
    import report_fixture as F

    run, html = page_file
    ids = [t["id"] for t in run["verify"]["theorems"]]
    errors: list[str] = []
    requests: list[str] = []
    with browser_page() as page:
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(html.as_uri(), wait_until="load")
        assert page.get_attribute("body", "data-ready") == "1"  # the inline script ran to its end

        for tid in ids:  # one visible card per ID, with its status
            card = page.locator(f'section.card[data-id="{tid}"]')
            assert card.count() == 1, tid
            assert card.is_visible(), tid
            assert card.get_attribute("data-status") == next(t["status"] for t in run["verify"]["theorems"]
                                                              if t["id"] == tid)

        graph = page.locator("svg.depgraph")  # the graph: drawn, one non-empty box per ID
        box = graph.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 150
        nodes = page.locator("svg.depgraph g.node")
        assert nodes.count() == len(ids)
        assert all((nodes.nth(i).bounding_box() or {}).get("width", 0) > 50 for i in range(nodes.count()))

        images = page.evaluate("""() => Array.from(document.images).map(i => ({
            complete: i.complete, w: i.naturalWidth, h: i.naturalHeight,
            want_w: +i.dataset.naturalWidth, want_h: +i.dataset.naturalHeight}))""")
        assert images, "no figure on the page"
        for im in images:  # decoded, at the size the PNG says
            assert im["complete"] and im["w"] > 0 and (im["w"], im["h"]) == (im["want_w"], im["want_h"]), im
        pic = page.locator(f'section.card[data-id="{F.PICTURE_ID}"] figure img')
        assert pic.count() >= 1 and pic.first.bounding_box()["width"] > 200

        page.click("#problems-only")  # only the cards with a problem remain visible
        visible = [tid for tid in ids if page.locator(f'section.card[data-id="{tid}"]').is_visible()]
        assert set(visible) == {F.FAILED_ID, F.INCONCLUSIVE_ID, F.LEAN_FAILED_ID}
        page.click("#problems-only")

        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot))
        assert shot.stat().st_size > 20_000
    assert errors == []
    assert all(u.startswith(("file://", "data:")) for u in requests), requests


def screenshot(page_html: Path, out: Path, height: int = 1500) -> Path:
    """The top of a report page (header, graph, summary table) as a PNG (for the README)."""
    with browser_page({"width": 1280, "height": height}) as page:
        page.goto(page_html.resolve().as_uri(), wait_until="load")
        page.screenshot(path=str(out))
    return out


if __name__ == "__main__":  # pragma: no cover - the README's screenshot
    if len(sys.argv) != 3:
        sys.exit("usage: python tests/test_report_browser.py PAGE.html OUT.png")
    if _why:
        sys.exit(f"cannot take a screenshot: {_why}")
    print(screenshot(Path(sys.argv[1]), Path(sys.argv[2])))
