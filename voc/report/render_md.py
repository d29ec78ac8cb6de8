"""Render `ReportData` as a short Markdown digest to paste into Slack or an e-mail.

Customer text is escaped: `<`, `>` and `&` become entities (so neither a
Markdown viewer nor Slack treats them as markup), Markdown punctuation is
backslash-escaped, and `@` mentions are defused so a quote cannot ping a channel.
"""

from __future__ import annotations

from voc.config.report import ReportConfig
from voc.report import fmt
from voc.report.models import Quote, ReportData, ThemeRow
from voc.safe import markdown_link, markdown_text


def inert(text: str) -> str:
    """Our own words: only keep them from being read as HTML."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def md_escape(text: str) -> str:
    """Make untrusted text inert in Markdown and Slack mrkdwn (see `voc.safe.markdown_text`)."""
    return markdown_text(text)


def _link(url: str | None) -> str:
    """An http(s) link with characters that would end the Markdown link percent-encoded."""
    link = markdown_link(url)
    return f" ({link})" if link else ""


def _quote(q: Quote | None) -> str:
    return f"\n  > _{md_escape(q.text)}_{_link(q.url)}" if q else ""


def _marked_quote(v: object, limit: int) -> str:
    """A verbatim as a quote line with its mention in bold (each part escaped)."""
    before, mid, after = fmt.marked(v.text, getattr(v, "highlight", None), limit)  # type: ignore[attr-defined]
    body = md_escape(before) + (f" **{md_escape(mid)}** " if mid else "") + md_escape(after)
    return f"\n  > {' '.join(body.split())}{_link(getattr(v, 'url', None))}"


def _theme_line(r: ThemeRow, prev_words: str | None = "last week", focus_label: str | None = None) -> str:
    """A theme in one line; with `prev_words` None (a window report) no per-theme change is claimed.

    With `focus_label` (a mover in a window report) the count is the focus period's.
    """
    change = fmt.pct_change(r.focus_volume, r.prev_volume) if prev_words else None
    vs = (
        f"{change} vs {prev_words}"
        if change
        else ("new" if prev_words and r.prev_volume == 0 and r.focus_volume else "")
    )
    neg = f", {fmt.share(r.share_negative)} negative" if r.share_negative is not None else ""
    inner = f"{vs}{neg}".lstrip(", ")
    count = f"{r.focus_volume} items in {focus_label}" if focus_label else f"{r.volume} items"
    return f"**{md_escape(r.label)}**: {count}" + (f" ({inner})" if inner else "")


def render_md(
    data: ReportData,
    config: ReportConfig | None = None,
    report_link: str = "report.html",
    links: list[tuple[str, str]] | None = None,
) -> str:
    """The digest: headline numbers, movers with a quote each, top themes, alerts and links.

    `links` adds (text, relative path) pairs, e.g. the backlog files written beside the report.
    """
    cfg = config or ReportConfig()
    p = data.period
    span = "no dates" if p.start is None or p.end is None else f"{p.start:%d %b %Y} to {p.end:%d %b %Y}"
    lines = [f"## {md_escape(data.title)}: {p.label} ({span})", ""]
    if p.scope == "window" and not p.undated:
        focus = f"; comparisons are for {p.focus_label} against {p.prev_label}" if p.focus_label else ""
        lines += [f"_Over the whole window, by {p.unit}{focus}._", ""]
    summary = next((h for h in data.headline if h.kind == "summary"), None)
    if summary is not None:
        lines += [f"**{inert(summary.text)}**", ""]
    kpis = []
    for m in data.metrics:
        if m.key == "sentiment" or m.value is None:
            continue
        d = fmt.metric_delta(m, "prev")
        kpis.append(f"{m.label}: **{fmt.metric_value(m)}**" + (f" ({d})" if d else ""))
    if kpis:
        vs = " _(vs last week)_" if p.scope == "period" else ""
        lines += [" · ".join(kpis) + vs, ""]
    if data.latest:
        lat = []
        for m in data.latest:
            if m.key in ("volume", "negative") and m.value is not None:
                d = fmt.metric_delta(m, "prev")
                lat.append(f"{m.label}: **{fmt.metric_value(m)}**" + (f" ({d})" if d else ""))
        if lat:
            lines += [
                f"Latest complete {p.unit}, {p.focus_label}: " + " · ".join(lat) + f" _(vs {p.prev_label})_",
                "",
            ]
    for note in data.notes:
        lines.append(f"_{inert(note)}_")
    if data.notes:
        lines.append("")

    prev_words = "last week" if p.scope == "period" else (p.prev_label or "the period before")
    movers = [("Rising", data.rising), ("New", data.new), ("Easing", data.falling)]
    if any(rows for _, rows in movers):
        lines.append("**What changed**")
        for name, rows in movers:
            for r in rows[:3]:
                lines.append(
                    f"- {name}: {_theme_line(r, prev_words, p.focus_label if p.scope == 'window' else None)}"
                    f"{_quote(r.quote) if name != 'Easing' else ''}"
                )
        lines.append("")
    elif data.top_themes and p.focus is not None:
        where = "this week" if p.scope == "period" else f"in {p.focus_label}"
        lines += [f"No theme is new or rising sharply {where}.", ""]

    if data.top_themes:
        lines.append("**Top themes**")
        for i, r in enumerate(data.top_themes[: cfg.top_themes], 1):
            lines.append(f"{i}. {_theme_line(r, prev_words if p.scope == 'period' else None)}")
        lines.append("")

    if data.alerts:
        lines.append("**Alerts**")
        for a in data.alerts:
            detail = f": {md_escape(a.detail)}" if a.detail else ""
            lines.append(f"- [{md_escape(a.severity)}] {md_escape(a.title)}{detail}")
        lines.append("")

    if data.accounts and data.accounts.at_risk:
        av = data.accounts
        names = ", ".join(md_escape(a.customer_id) for a in av.at_risk[:5])
        more = f" and {len(av.at_risk) - 5} more" if len(av.at_risk) > 5 else ""
        lines += [
            f"**Accounts at risk**: {len(av.at_risk)} ({fmt.money(av.revenue_at_risk)} revenue): {names}{more}",
            "",
        ]

    if data.backlog:
        lines.append("**Top problems**")
        for e in data.backlog[: cfg.top_themes]:
            v = e.verbatims[0] if e.verbatims else None
            lines.append(f"{e.rank}. {md_escape(e.theme_label)}: {e.volume} items (score {e.score:.1f})"
                         + (_marked_quote(v, cfg.quote_chars) if v else ""))  # fmt: skip
        lines.append("")
    if data.values:
        lines.append("**What customers value**")
        for e in data.values[: cfg.top_themes]:
            lines.append(f"- {md_escape(e.theme_label)}: {e.volume} items")
        lines.append("")

    def url(rel: str) -> str:
        return f"{cfg.base_url.rstrip('/')}/{rel}" if cfg.base_url else rel

    lines.append(
        f"Full report: [{p.label} report]({url(report_link)}) (charts, every theme, backlog, accounts, analyst detail)"
    )
    if links:
        lines.append("Also: " + " · ".join(f"[{inert(text)}]({url(rel)})" for text, rel in links))
    return "\n".join(lines).rstrip() + "\n"
