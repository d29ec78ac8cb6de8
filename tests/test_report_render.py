"""report.html and report.md: self-contained, escaped, and saying the right things."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from report_synth import XSS_TEXT, build_from_tables, make_backlog, make_tables

from voc.report.render_html import SORT_SCRIPT, render_html
from voc.report.render_md import md_escape, render_md


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


@pytest.fixture(scope="module")
def data():
    t = make_tables()
    return build_from_tables(
        t,
        backlog=make_backlog(t),
    )


@pytest.fixture(scope="module")
def html(data) -> str:
    return render_html(data)


@pytest.fixture(scope="module")
def parsed(html) -> _Tags:
    p = _Tags()
    p.feed(html)
    return p


def test_hostile_text_is_escaped(html, parsed) -> None:
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;svg onload=alert(2)&gt;" in html
    assert "&lt;b&gt;suspected&lt;/b&gt;" in html  # alert text is escaped too
    # No element anywhere carries an event-handler attribute, and only the report's own script exists.
    for tag, attrs in parsed.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
    assert [t for t, _ in parsed.tags if t == "script"] == ["script"]
    assert not [t for t, _ in parsed.tags if t in ("img", "iframe", "object", "embed", "link", "base")]


def test_javascript_urls_never_become_links(parsed) -> None:
    hrefs = [a.get("href") or "" for t, a in parsed.tags if t == "a"]
    assert hrefs, "expected links to source items"
    for h in hrefs:
        assert h.startswith(("#", "https://", "http://")), h


def test_self_contained_and_pinned_by_csp(html, parsed) -> None:
    # Nothing is fetched: no src attributes, no url() in styles, no @import.
    assert not [a for _, a in parsed.tags if "src" in a]
    assert "url(" not in html and "@import" not in html
    csp = next(
        a["content"]
        for t, a in parsed.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    digest = base64.b64encode(hashlib.sha256(parsed.scripts[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert parsed.scripts[0] == SORT_SCRIPT


def test_summary_comes_before_the_analyst_detail(html) -> None:
    order = [
        html.index(f'id="{s}"') for s in ("summary", "changed", "themes", "backlog", "accounts", "analyst")
    ]
    assert order == sorted(order)


def test_every_theme_has_a_sparkline_and_the_charts_are_there(html, data) -> None:
    table = html[html.index('id="theme-table"') : html.index("</table>", html.index('id="theme-table"'))]
    assert table.count('data-chart="sparkline"') == len(data.themes)
    for chart in ("volume", "sentiment", "accounts", "breakdown"):
        assert f'data-chart="{chart}"' in html
    assert 'id="heatmap"' in html


def test_file_size_is_reasonable(html) -> None:
    size = len(html.encode("utf-8"))
    print(f"report.html: {size / 1024:.0f} kB for 12 themes, 12 weeks, 10 backlog entries")
    assert size < 400_000


def test_markdown_digest(data) -> None:
    md = render_md(data)
    assert md.startswith("## ")
    assert "**What changed**" in md and "**Top themes**" in md and "**Alerts**" in md
    assert "Settings reset after update" in md and "CSV export broken" in md
    assert "[2026-W47 report](report.html)" in md
    assert "<script>" not in md and "onerror=alert(1)>" not in md
    assert "javascript:" not in md
    assert len(md.splitlines()) < 45  # a digest, not a report


def test_md_escape_neutralises_markup_and_mentions() -> None:
    s = md_escape(XSS_TEXT + " [x](javascript:y) @here **bold**")
    assert "<" not in s and ">" not in s
    assert "\\[x\\](javascript:y)" in s  # no link without the brackets
    assert "@here" not in s
    assert "\\*\\*bold\\*\\*" in s


def test_markdown_link_uses_base_url(data) -> None:
    from voc.config.report import ReportConfig

    md = render_md(data, ReportConfig(base_url="https://reports.example.com/voc/"))
    assert re.search(r"\(https://reports\.example\.com/voc/report\.html\)", md)


def test_accounts_chart_is_capped(data) -> None:
    from voc.config.report import ReportConfig

    html = render_html(data, ReportConfig(max_accounts_plotted=10))
    svg = html[
        html.index('data-chart="accounts"') : html.index("</svg>", html.index('data-chart="accounts"'))
    ]
    expected = max(10, len(data.accounts.at_risk))
    assert svg.count("<circle") == expected < len(data.accounts.accounts)
    assert f"Showing {expected} of {len(data.accounts.accounts)} accounts" in html


def test_theme_table_is_capped_but_the_analyst_section_lists_all(data) -> None:
    from voc.config.report import ReportConfig

    html = render_html(data, ReportConfig(max_theme_rows=5))
    table = html[html.index('id="theme-table"') : html.index("</table>", html.index('id="theme-table"'))]
    assert table.count("<tr data-theme=") == 5
    assert f"the 5 largest of {len(data.themes)} themes" in html
    analyst = html[
        html.index('id="analyst-themes"') : html.index("</table>", html.index('id="analyst-themes"'))
    ]
    assert analyst.count("<tr>") - 1 == len(data.themes)  # minus the header row


def test_quotes_in_attributes_cannot_break_out(data) -> None:
    """A quote also lands in a title attribute: a double quote in it must not open a new attribute."""
    hostile = data.model_copy(deep=True)
    hostile.themes[0].quote.text = '" onmouseover="alert(1)" x="'
    p = _Tags()
    p.feed(render_html(hostile))
    for tag, attrs in p.tags:
        assert not [a for a in attrs if a.lower().startswith("on")], (tag, attrs)
    assert any('" onmouseover="alert(1)" x="' in (a.get("title") or "") for _, a in p.tags)
