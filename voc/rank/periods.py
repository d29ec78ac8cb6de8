"""Reporting periods: label timestamps ('2026-W47', '2026-11-24', '2026-11', 'all') and step back in time."""

from __future__ import annotations

import re

import pandas as pd

from voc.errors import InputError

_FREQ = {"day": "D", "week": "W-SUN", "month": "M"}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def _label(p: pd.Period, granularity: str) -> str:
    if granularity == "week":
        iso = p.start_time.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if granularity == "day":
        return p.start_time.strftime("%Y-%m-%d")
    return p.start_time.strftime("%Y-%m")


def period_labels(ts: pd.Series, granularity: str) -> pd.Series:
    """The period label of each timestamp (UTC); 'all' puts everything in one period."""
    if granularity == "all":
        return pd.Series("all", index=ts.index, dtype=object)
    t = pd.to_datetime(ts, utc=True).dt.tz_localize(None)
    periods = t.dt.to_period(_FREQ[granularity])
    uniq = {p: _label(p, granularity) for p in periods.dropna().unique()}
    return periods.map(uniq).astype(object)


def parse_period(label: str, granularity: str) -> pd.Period:
    """A period label back to a pandas Period; a clear error when it does not fit the granularity."""
    try:
        if granularity == "week":
            m = _WEEK.match(label)
            if not m:
                raise ValueError
            monday = pd.Timestamp.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return monday.to_period(_FREQ["week"])
        return pd.Period(label, freq=_FREQ[granularity])
    except (ValueError, KeyError):
        examples = {"week": "2026-W47", "day": "2026-11-24", "month": "2026-11", "all": "all"}
        raise InputError(
            f"period {label!r} does not fit ranking.period={granularity!r}; write it like {examples.get(granularity)!r}",
            code="E280",
        ) from None


def previous_periods(label: str, granularity: str, n: int) -> list[str]:
    """The `n` periods before `label`, oldest first."""
    if granularity == "all" or n <= 0:
        return []
    p = parse_period(label, granularity)
    return [_label(p - k, granularity) for k in range(n, 0, -1)]
