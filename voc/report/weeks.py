"""ISO weeks: parse `YYYY-Www`, bucket timestamps, pick the week just ended."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from voc.errors import InputError

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def parse_week(label: str) -> date:
    """'2026-W47' -> Monday of that ISO week; a clear error for anything else."""
    m = _WEEK.match(label.strip())
    if not m:
        raise InputError(
            f"week {label!r} is not an ISO week; write it as YYYY-Www, e.g. 2026-W07", code="E260"
        )
    year, week = int(m.group(1)), int(m.group(2))
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise InputError(
            f"week {label!r} does not exist: {year} has no ISO week {week}; pick a week it has (W01 to W52 or W53)",
            code="E261",
        ) from None


def week_label(monday: date) -> str:
    """Monday of a week -> '2026-W47'."""
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def monday_of(d: date | datetime) -> date:
    """The Monday (UTC) of the week containing `d`."""
    if isinstance(d, datetime):
        d = d.astimezone(UTC).date() if d.tzinfo else d.date()
    return d - timedelta(days=d.weekday())


def week_starts(ts: pd.Series) -> pd.Series:
    """Monday (a `date`) of each UTC timestamp."""
    t = pd.to_datetime(ts, utc=True)
    day = t.dt.tz_localize(None).dt.normalize()
    return (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.date


def default_week(weeks_with_data: Iterable[date], now: datetime) -> date:
    """The week just ended: last week by the calendar, unless the data stops earlier.

    Data that runs into the current (unfinished) week reports on the previous
    week; data that ended long ago (a historical export) reports on its last
    week; data only in the running week (a fresh export) reports on that week
    rather than on nothing. Same rule as the backlog's `default_period`.
    """
    current = monday_of(now)
    weeks = sorted(set(weeks_with_data))
    if not weeks:
        return current - timedelta(days=7)
    latest = weeks[-1]
    if latest < current:
        return latest
    prev = current - timedelta(days=7)
    return prev if prev in weeks else latest
