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


def _theme_line(r: ThemeRow) -> str:
    change = fmt.pct_change(r.volume, r.prev_volume)
    vs = f"{change} vs last week" if change else ("new" if r.prev_volume == 0 else "")
    neg = f", {fmt.share(r.share_negative)} negative" if r.share_negative is not None else ""
    return f"**{md_escape(r.label)}**: {r.volume} items ({vs}{neg})"


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
    lines = [f"## {md_escape(data.title)}: {p.label} ({p.start:%d %b} to {p.end:%d %b %Y})", ""]
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
        lines += [" · ".join(kpis) + " _(vs last week)_", ""]
    for note in data.notes:
        lines.append(f"_{inert(note)}_")
    if data.notes:
        lines.append("")

    movers = [("Rising", data.rising), ("New", data.new), ("Easing", data.falling)]
    if any(rows for _, rows in movers):
        lines.append("**What changed**")
        for name, rows in movers:
            for r in rows[:3]:
                lines.append(f"- {name}: {_theme_line(r)}{_quote(r.quote) if name != 'Easing' else ''}")
        lines.append("")
    elif data.top_themes:
        lines += ["No theme is new or rising sharply this week.", ""]

    if data.top_themes:
        lines.append("**Top themes**")
        for i, r in enumerate(data.top_themes[: cfg.top_themes], 1):
            lines.append(f"{i}. {_theme_line(r)}")
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
        top = data.backlog[0]
        lines += [f"Top of the backlog: **{md_escape(top.theme_label)}** (score {top.score:.1f}).", ""]

    def url(rel: str) -> str:
        return f"{cfg.base_url.rstrip('/')}/{rel}" if cfg.base_url else rel

    lines.append(
        f"Full report: [{p.label} report]({url(report_link)}) (charts, every theme, backlog, accounts, analyst detail)"
    )
    if links:
        lines.append("Also: " + " · ".join(f"[{inert(text)}]({url(rel)})" for text, rel in links))
    return "\n".join(lines).rstrip() + "\n"
