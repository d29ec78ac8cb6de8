"""Which backlog entries deserve an alert (pure).

Alerts are about change: a problem alerts when it is `new` or `rising`
(significantly, after the correction for many themes, see `voc.rank.trend`)
or spikes (at least `alerts.spike_ratio` times its baseline rate and that
unlikely under no change, `alerts.spike_p`), with at least
`alerts.min_volume` items in the period. A standing volume of complaints is
what the backlog ranks; `alerts.negative_volume_threshold` can still alert on
it, as an opt-in. The alert key is `theme_id|kind|period`: the same alert is
sent once, not on every run, and a muted theme never alerts.
"""

from __future__ import annotations

from collections.abc import Iterable

from voc.alerts.model import Alert, AlertKind, alert_key
from voc.config.alerts import AlertsConfig
from voc.rank.backlog import BacklogEntry
from voc.rank.trend import format_p

__all__ = ["Alert", "AlertKind", "alert_key", "evaluate_alerts", "is_spike"]


def _describe(entry: BacklogEntry, kind: AlertKind) -> tuple[str, str]:
    n = _period_volume(entry)
    if kind == "new":
        title = f"New problem: {entry.theme_label}"
        why = f"first seen this period with {n} items"
    elif kind in ("rising", "spike"):
        growth = f"{entry.growth:.1f}x its trailing baseline" if entry.growth else "up from none before"
        p = format_p(entry.growth_p)
        title = f"{'Rising' if kind == 'rising' else 'Spike'}: {entry.theme_label}"
        why = f"{n} items, {growth}" + (f" ({p})" if p else "")
    else:
        title = f"Complaints piling up: {entry.theme_label}"
        why = f"{entry.negative_volume} items with this complaint this period"
    lines = [
        f"{title} ({entry.period}, backlog rank {entry.rank}, score {entry.score:.1f})",
        f"Why: {why}.",
        f"Stage: {entry.journey_stage or 'unmapped'}; owner: {entry.owner or 'unassigned'}.",
    ]
    if entry.verbatims:
        lines.append(f'Example: "{entry.verbatims[0].text}"')
    return title, "\n".join(lines)


def _period_volume(entry: BacklogEntry) -> int:
    """Items in the period the alert is about: the focus period of a window, else the entry's period."""
    return entry.focus_volume if entry.focus_volume is not None else entry.volume


def is_spike(entry: BacklogEntry, cfg: AlertsConfig) -> bool:
    """Far above its baseline rate in the period and unlikely by chance (see `AlertsConfig.spike_*`)."""
    return (
        entry.status not in ("new", "rising", "falling", "resolved")
        and entry.growth is not None
        and entry.growth >= cfg.spike_ratio
        and entry.growth_p is not None
        and entry.growth_p < cfg.spike_p
    )


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
        n = _period_volume(e)
        if cfg.on_new and e.status == "new" and n >= cfg.min_volume:
            kinds.append("new")
        if cfg.on_rising and e.status == "rising" and n >= cfg.min_volume:
            kinds.append("rising")
        if cfg.on_spike and n >= cfg.min_volume and is_spike(e, cfg):
            kinds.append("spike")
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
                    volume=n,
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
