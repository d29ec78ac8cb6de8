"""Which backlog entries deserve an alert (pure).

A theme alerts when it is `new` or `rising` (significantly, see
`voc.rank.trend`) with at least `alerts.min_volume` items, or when its
negative items in the period reach `alerts.negative_volume_threshold`.
The alert key is `theme_id|kind|period`: the same alert is sent once, not
on every run, and a muted theme never alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from voc.config.alerts import AlertsConfig
from voc.rank.trend import format_p

if TYPE_CHECKING:
    from voc.rank.backlog import BacklogEntry

AlertKind = Literal["new", "rising", "negative_volume"]


class Alert(BaseModel):
    """One notification about one theme in one period."""

    key: str
    kind: AlertKind
    theme_id: str
    theme_label: str
    period: str
    rank: int
    score: float
    status: str
    volume: int
    negative_volume: int
    growth: float | None = None
    growth_p: float | None = None
    journey_stage: str | None = None
    owner: str | None = None
    verbatim: str | None = None
    link: str | None = None
    title: str
    text: str


def alert_key(theme_id: str, kind: str, period: str) -> str:
    return f"{theme_id}|{kind}|{period}"


def _describe(entry: BacklogEntry, kind: AlertKind) -> tuple[str, str]:
    if kind == "new":
        title = f"New theme: {entry.theme_label}"
        why = f"first seen this period with {entry.volume} items"
    elif kind == "rising":
        growth = f"{entry.growth:.1f}x its trailing baseline" if entry.growth else "up from none before"
        p = format_p(entry.growth_p)
        title = f"Rising theme: {entry.theme_label}"
        why = f"{entry.volume} items, {growth}" + (f" ({p})" if p else "")
    else:
        title = f"Negative feedback piling up: {entry.theme_label}"
        why = f"{entry.negative_volume} negative items this period"
    lines = [
        f"{title} ({entry.period}, backlog rank {entry.rank}, score {entry.score:.1f})",
        f"Why: {why}.",
        f"Stage: {entry.journey_stage or 'unmapped'}; owner: {entry.owner or 'unassigned'}.",
    ]
    if entry.verbatims:
        lines.append(f'Example: "{entry.verbatims[0].text}"')
    return title, "\n".join(lines)


def evaluate_alerts(
    entries: Iterable[BacklogEntry],
    cfg: AlertsConfig,
    muted: Iterable[str] = (),
    already_sent: Iterable[str] = (),
) -> list[Alert]:
    """Alerts to send for these entries, minus muted themes and keys already sent."""
    muted_set, sent = set(muted), set(already_sent)
    out: list[Alert] = []
    for e in entries:
        if e.theme_id in muted_set:
            continue
        kinds: list[AlertKind] = []
        if cfg.on_new and e.status == "new" and e.volume >= cfg.min_volume:
            kinds.append("new")
        if cfg.on_rising and e.status == "rising" and e.volume >= cfg.min_volume:
            kinds.append("rising")
        if cfg.negative_volume_threshold is not None and e.negative_volume >= cfg.negative_volume_threshold:
            kinds.append("negative_volume")
        for kind in kinds:
            key = alert_key(e.theme_id, kind, e.period)
            if key in sent:
                continue
            title, text = _describe(e, kind)
            if cfg.report_url:
                text += f"\nReport: {cfg.report_url}"
            out.append(
                Alert(
                    key=key,
                    kind=kind,
                    theme_id=e.theme_id,
                    theme_label=e.theme_label,
                    period=e.period,
                    rank=e.rank,
                    score=e.score,
                    status=e.status,
                    volume=e.volume,
                    negative_volume=e.negative_volume,
                    growth=e.growth,
                    growth_p=e.growth_p,
                    journey_stage=e.journey_stage,
                    owner=e.owner,
                    verbatim=e.verbatims[0].text if e.verbatims else None,
                    link=e.example_urls[0] if e.example_urls else None,
                    title=title,
                    text=text,
                )
            )
    return out
