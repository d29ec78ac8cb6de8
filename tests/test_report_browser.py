"""report.html as a person sees it: headless Chromium, no network, no console errors, charts drawn.

Needs Debian's chromium at /usr/bin/chromium (`.ci/run` installs it); skips
with the reason otherwise. Uses the Python playwright package as a driver
only: no browser is downloaded. The full-page screenshot lands in
test-artifacts/report_full.png for a human to look at.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from report_synth import REPORT_WEEK, build_from_tables, make_backlog, make_tables

CHROMIUM = Path(os.environ.get("VOC_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium; .ci/run does this in CI)",
    ),
]


def _write_report(out_dir: Path) -> Path:
    from voc.report.render_html import render_html

    t = make_tables()
    data = build_from_tables(
        t,
        backlog=make_backlog(t),
    )
    assert data.period.label == REPORT_WEEK
    path = out_dir / "report.html"
    path.write_text(render_html(data), encoding="utf-8")
    return path


def _probe(path: Path) -> dict:
    """Load any page the same way and return only what left it and what went wrong."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
    )
    blocked: list[str] = []
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(offline=True)
            context.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith("file://")
                    else (blocked.append(r.request.url), r.abort())
                ),
            )
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(200)
        finally:
            browser.close()
    return {"blocked": blocked, "errors": errors}


def test_the_harness_catches_leaks_and_errors(tmp_path: Path) -> None:
    """The checks below are not vacuous: a page that reaches out or throws is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<!DOCTYPE html><html><body><img src="https://example.invalid/pixel.png">'
        "<script>undefinedFunction()</script></body></html>",
        encoding="utf-8",
    )
    seen = _probe(leaky)
    assert any("example.invalid" in u for u in seen["blocked"]), seen
    assert any("undefinedFunction" in e for e in seen["errors"]), seen


def open_report(path: Path, screenshot: Path | None = None, width: int = 1366, height: int = 900) -> dict:
    """Open `path` offline; return console errors, page errors, blocked requests and chart boxes."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="needs the playwright package (pip install playwright)"
    )
    blocked: list[str] = []
    console_errors: list[str] = []
    page_errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, offline=True)

            def route(r):  # anything that is not the file itself leaves the machine: record and refuse
                if r.request.url.startswith("file://"):
                    r.continue_()
                else:
                    blocked.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("dialog", lambda d: (page_errors.append(f"dialog opened: {d.message}"), d.dismiss()))
            page.goto(path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            boxes = page.evaluate(
                """() => Array.from(document.querySelectorAll('svg[data-chart]')).map(e => {
                    const r = e.getBoundingClientRect();
                    return {chart: e.getAttribute('data-chart'), w: r.width, h: r.height,
                            marks: e.querySelectorAll('rect, circle, polyline').length};
                })"""
            )
            heat = page.evaluate(
                "() => { const t = document.getElementById('heatmap'); if (!t) return null;"
                " const r = t.getBoundingClientRect(); return {w: r.width, h: r.height,"
                " cells: t.querySelectorAll('td.cell').length}; }"
            )
            first_screen = page.evaluate(
                "() => document.getElementById('changed').getBoundingClientRect().top"
            )
            changed_text = page.inner_text("#changed")
            scripts = page.evaluate("() => document.scripts.length")
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
                page.screenshot(path=str(screenshot.with_name(screenshot.stem + "_first_screen.png")))
            # Sorting works: click 'This week' (sorted descending) -> ascending.
            page.click("#theme-table thead th:nth-child(3)")
            first_after_sort = page.inner_text("#theme-table tbody tr:first-child td:nth-child(3)")
            page.click("#theme-table thead th:nth-child(3)")
            first_desc = page.inner_text("#theme-table tbody tr:first-child td:nth-child(3)")
            page.set_viewport_size({"width": 420, "height": 900})  # a phone, or a narrow mail pane
            narrow_width = page.evaluate("() => document.documentElement.scrollWidth")
        finally:
            browser.close()
    return {
        "blocked": blocked,
        "console_errors": console_errors,
        "page_errors": page_errors,
        "boxes": boxes,
        "heat": heat,
        "first_screen_top": first_screen,
        "changed_text": changed_text,
        "scripts": scripts,
        "sort": (first_after_sort, first_desc),
        "narrow_width": narrow_width,
    }


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("report")
    path = _write_report(out)
    shot = ARTIFACTS / "report_full.png"
    result = open_report(path, screenshot=shot)
    shutil.copy(path, ARTIFACTS / "report.html")
    result["html"] = path.read_text(encoding="utf-8")
    return result


def test_opens_offline_without_errors_or_requests(opened: dict) -> None:
    assert opened["blocked"] == [], f"report.html tried to reach: {opened['blocked']}"
    assert opened["console_errors"] == [], opened["console_errors"]
    assert opened["page_errors"] == [], opened["page_errors"]


def test_charts_render_with_size(opened: dict) -> None:
    kinds = {b["chart"] for b in opened["boxes"]}
    assert {"volume", "sentiment", "accounts", "sparkline", "breakdown"} <= kinds, kinds
    for b in opened["boxes"]:
        assert b["w"] > 0 and b["h"] > 0, b
        assert b["marks"] > 0, b
    sparks = [b for b in opened["boxes"] if b["chart"] == "sparkline"]
    assert len(sparks) >= 12  # one per theme in the table, plus the top-themes list
    heat = opened["heat"]
    assert heat and heat["w"] > 0 and heat["h"] > 0 and heat["cells"] > 0


def test_first_screen_says_what_changed(opened: dict) -> None:
    # The summary starts within the first screen and names the planted changes with numbers and quotes.
    assert opened["first_screen_top"] < 600
    text = opened["changed_text"]
    assert "New this week: “Settings reset after update”" in text
    assert "Rising: “CSV export broken”, 30 items" in text
    assert "vs last week" in text and "%" in text
    assert "“" in text  # at least one customer quote


def test_hostile_text_stays_text(opened: dict) -> None:
    # The only script on the page is the report's own; the XSS payloads show as text.
    assert opened["scripts"] == 1
    assert "<script>alert(1)</script>" in opened["changed_text"] or "onerror=alert(1)" in opened[
        "html"
    ].replace("&lt;", "<")
    assert not any("dialog opened" in e for e in opened["page_errors"])


def test_table_sorts(opened: dict) -> None:
    asc, desc = opened["sort"]
    assert int(asc) <= int(desc)


def test_no_sideways_scrolling_on_a_narrow_window(opened: dict) -> None:
    assert opened["narrow_width"] <= 420
