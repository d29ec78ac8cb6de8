"""Write a backlog as CSV, JSON, Markdown and a CSV that Jira's importer takes (I/O at the edge).

Customer text is untrusted: CSV cells that a spreadsheet would run as a
formula get a leading apostrophe, and Markdown escapes HTML and table syntax.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from voc.rank.backlog import Backlog, BacklogEntry
from voc.rank.priority import COMPONENTS
from voc.rank.trend import format_p
from voc.safe import csv_cell, jira_text, markdown_link, markdown_text, safe_url

FILES = {"csv": "backlog.csv", "json": "backlog.json", "md": "backlog.md", "jira": "backlog_jira.csv"}


def safe_cell(value: object) -> str:
    """A CSV cell that spreadsheets will not evaluate as a formula (see `voc.safe.csv_cell`)."""
    return csv_cell("" if value is None else str(value))


def _fmt(v: float | None, digits: int = 2) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def breakdown_text(entry: BacklogEntry) -> str:
    """'negative_volume 35.0 + negative_share 14.2 + ...' for non-zero components, largest first."""
    parts = sorted(((k, v) for k, v in entry.breakdown.items() if v), key=lambda kv: -kv[1])
    return " + ".join(f"{k} {v:.1f}" for k, v in parts) or "0"


def csv_rows(backlog: Backlog) -> tuple[list[str], list[list[str]]]:
    """Header and rows of backlog.csv (one row per entry, breakdown points as columns)."""
    header = [
        "rank",
        "theme_id",
        "theme_label",
        "theme_name",
        "group_label",
        "journey_stage",
        "pillar",
        "status",
        "score",
        *(f"points_{c}" for c in COMPONENTS),
        "volume",
        "negative_volume",
        "prev_volume",
        "unique_customers",
        "share_negative",
        "mean_sentiment",
        "growth",
        "growth_p",
        "nps_impact",
        "csat_impact",
        "revenue_at_risk",
        "severity",
        "verbatim_1",
        "verbatim_2",
        "verbatim_3",
        "example_ids",
        "example_urls",
        "first_seen",
        "last_seen",
        "owner",
        "period",
    ]
    rows = []
    for e in backlog.entries:
        verb = [v.text for v in e.verbatims[:3]] + [""] * (3 - min(3, len(e.verbatims)))
        rows.append(
            [
                str(e.rank),
                e.theme_id,
                e.theme_label,
                e.theme_name or "",
                e.group_label or "",
                e.journey_stage or "",
                e.pillar or "",
                e.status,
                _fmt(e.score),
                *(_fmt(e.breakdown.get(c, 0.0)) for c in COMPONENTS),
                str(e.volume),
                str(e.negative_volume),
                str(e.prev_volume),
                str(e.unique_customers),
                _fmt(e.share_negative, 3),
                _fmt(e.mean_sentiment, 3),
                _fmt(e.growth, 3),
                "" if e.growth_p is None else f"{e.growth_p:.3g}",
                _fmt(e.nps_impact),
                _fmt(e.csat_impact),
                _fmt(e.revenue_at_risk),
                ";".join(e.severity),
                *verb,
                " ".join(e.example_ids),
                " ".join(safe_url(u) or "" for u in e.example_urls),
                e.first_seen or "",
                e.last_seen or "",
                e.owner or "",
                e.period,
            ]
        )
    return header, [[safe_cell(c) for c in r] for r in rows]


def _md(text: object) -> str:
    return markdown_text(text or "")


def _md_marked(text: str, highlight: list[int] | None) -> str:
    """A verbatim with its mention in bold; each part escaped on its own."""
    if not highlight or not 0 <= highlight[0] < highlight[1] <= len(text):
        return _md(text)
    a, b = highlight
    return " ".join(f"{_md(text[:a])} **{_md(text[a:b])}** {_md(text[b:])}".split())


def markdown(backlog: Backlog) -> str:
    """A triage list: a summary table, then one section per entry with its 'why' and verbatims."""
    lines = [f"# Issue backlog, {backlog.period}", ""]
    if not backlog.entries:
        lines.append("No problem with enough feedback in this period.")
        return "\n".join(lines) + "\n"
    lines += [
        "| # | theme | status | score | items (neg.) | stage | pillar | owner |",
        "|---:|---|---|---:|---:|---|---|---|",
    ]
    for e in backlog.entries:
        lines.append(
            f"| {e.rank} | {_md(e.theme_label)} | {e.status} | {e.score:.1f} | {e.volume} ({e.negative_volume}) | "
            f"{_md(e.journey_stage or '')} | {_md(e.pillar or '')} | {_md(e.owner or '')} |"
        )
    for e in backlog.entries:
        lines += ["", f"## {e.rank}. {_md(e.theme_label)} ({e.status}, score {e.score:.1f})", ""]
        if e.theme_name and e.theme_name != e.theme_label:
            lines.append(f"- in the theme {_md(e.theme_name)}")
        facts = [f"{e.volume} items ({e.prev_volume} last period), {e.unique_customers} customers"]
        if e.share_negative is not None:
            facts.append(f"{100 * e.share_negative:.0f}% negative")
        if e.growth is not None:
            facts.append(f"growth {e.growth:.2f}x ({format_p(e.growth_p)})")
        if e.nps_impact is not None:
            facts.append(f"NPS impact {e.nps_impact:+.1f}")
        if e.csat_impact is not None:
            facts.append(f"CSAT impact {e.csat_impact:+.1f}")
        if e.revenue_at_risk is not None:
            facts.append(f"revenue at risk {e.revenue_at_risk:,.0f}")
        if e.severity:
            facts.append("signals: " + ", ".join(e.severity))
        lines.append("- " + "; ".join(facts))
        lines.append(f"- why this rank: {breakdown_text(e)} = {e.score:.1f}")
        lines.append(
            f"- stage {_md(e.journey_stage or 'unmapped')}, pillar {_md(e.pillar or 'unmapped')}, "
            f"group {_md(e.group_label or '-')}, owner {_md(e.owner or '-')}"
        )
        lines.append(f"- seen {(e.first_seen or '')[:10]} to {(e.last_seen or '')[:10]}")
        for v in e.verbatims:
            link = markdown_link(v.url, v.item_id) or _md(v.item_id)
            lines.append(f"  > {_md_marked(v.text, v.highlight)} ({link})")
    return "\n".join(lines) + "\n"


def jira_priority(score: float) -> str:
    """Jira priority from the score (the score is out of 100 with default weights)."""
    if score >= 70:
        return "Highest"
    if score >= 55:
        return "High"
    if score >= 40:
        return "Medium"
    return "Low"


def _label(s: str | None) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", s or "").strip("-")


def jira_rows(
    backlog: Backlog, project: str = "VOC", issue_type: str = "Task"
) -> tuple[list[str], list[list[str]]]:
    """Rows for Jira's CSV importer (repeated `Labels` columns are how Jira takes several labels)."""
    header = [
        "Summary",
        "Issue Type",
        "Project Key",
        "Priority",
        "Description",
        "Labels",
        "Labels",
        "Labels",
        "Component/s",
        "External ID",
    ]
    rows = []
    for e in backlog.entries:
        desc = [
            f"VoC backlog {e.period}, rank {e.rank}, score {e.score:.1f} ({e.status}).",
            f"Why: {breakdown_text(e)}.",
            f"{e.volume} items, {e.negative_volume} negative, {e.unique_customers} customers.",
        ]
        desc += [f'"{jira_text(v.text)}" ({safe_url(v.url) or v.item_id})' for v in e.verbatims]
        desc.append("Examples: " + ", ".join(e.example_ids))
        rows.append(
            [
                f"[VoC] {e.theme_label}",
                issue_type,
                project,
                jira_priority(e.score),
                "\n".join(desc),
                _label(f"stage-{e.journey_stage or 'unmapped'}"),
                _label(f"pillar-{e.pillar or 'unmapped'}"),
                _label(f"voc-{e.status}"),
                e.owner or "",
                f"voc:{e.theme_id}:{e.period}",
            ]
        )
    return header, [[safe_cell(c) for c in r] for r in rows]


def json_text(backlog: Backlog) -> str:
    """backlog.json: the backlog as is, with links back to records kept only when they are http(s)."""
    data = backlog.model_dump(mode="json")
    for e in data["entries"]:
        e["example_urls"] = [safe_url(u) for u in e.get("example_urls", [])]
        for v in e.get("verbatims", []):
            v["url"] = safe_url(v.get("url"))
    return json.dumps(data, indent=2, ensure_ascii=False)


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def write_backlog(
    backlog: Backlog, out_dir: Path, project: str = "VOC", issue_type: str = "Task"
) -> dict[str, Path]:
    """Write the four backlog files into `out_dir`; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: out_dir / v for k, v in FILES.items()}
    _write_csv(paths["csv"], *csv_rows(backlog))
    paths["json"].write_text(json_text(backlog), encoding="utf-8")
    paths["md"].write_text(markdown(backlog), encoding="utf-8")
    _write_csv(paths["jira"], *jira_rows(backlog, project, issue_type))
    return paths
