"""Reporting periods and the window an analysis speaks about (pure).

Period labels sort in time order within a granularity: '2026-11-24' (day),
'2026-W47' (ISO week), '2026-11' (month), '2026-Q4' (quarter), 'all'.

A `Window` is what the backlog ranks and the report describes: a run of
periods at one granularity, the *focus* period whose change is tested
against the *baseline* periods before it, and which periods are partial.
The scheduled weekly job uses a one-week window (`week_window`); the one-file
path (`voc analyze`) uses the whole span of the file (`choose_window`), with a
granularity that fits the span and the latest complete period that holds
enough items as its focus, so a nearly empty last week is never read as a
collapse. An export without dates is one undated period with no focus.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import pandas as pd

from voc.errors import InputError

Granularity = Literal["day", "week", "month", "quarter", "all"]
_FREQ = {"day": "D", "week": "W-SUN", "month": "M", "quarter": "Q-DEC"}
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_EXAMPLES = {"week": "2026-W47", "day": "2026-11-24", "month": "2026-11", "quarter": "2026-Q4", "all": "all"}
UNDATED = "undated"

# Spans (days) up to which each granularity is chosen: a few months by week, a few years by month.
AUTO_WEEK_MAX_DAYS = 120
AUTO_MONTH_MAX_DAYS = 3 * 365
# A last period that ends more than this before its calendar end is partial (the export stopped).
_PARTIAL_SLACK = {"day": timedelta(hours=2), "week": timedelta(days=1), "month": timedelta(days=3),
                  "quarter": timedelta(days=9)}  # fmt: skip
_UNIT = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "all": "period"}


def _label(p: pd.Period, granularity: str) -> str:
    if granularity == "week":
        iso = p.start_time.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if granularity == "day":
        return p.start_time.strftime("%Y-%m-%d")
    if granularity == "quarter":
        return f"{p.start_time.year}-Q{p.quarter}"
    return p.start_time.strftime("%Y-%m")


def period_labels(ts: pd.Series, granularity: str) -> pd.Series:
    """The period label of each timestamp (UTC); 'all' puts everything in one period.

    A missing timestamp (an undated item) gets the label 'undated' at every
    granularity but 'all', so it is never silently dropped from a count.
    """
    if granularity == "all":
        return pd.Series("all", index=ts.index, dtype=object)
    t = pd.to_datetime(ts, utc=True).dt.tz_localize(None)
    periods = t.dt.to_period(_FREQ[granularity])
    uniq = {p: _label(p, granularity) for p in periods.dropna().unique()}
    return periods.map(uniq).astype(object).where(periods.notna(), UNDATED)


def parse_period(label: str, granularity: str) -> pd.Period:
    """A period label back to a pandas Period; a clear error when it does not fit the granularity."""
    try:
        if granularity == "week":
            m = _WEEK.match(label)
            if not m:
                raise ValueError
            monday = pd.Timestamp.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
            return monday.to_period(_FREQ["week"])
        if granularity == "quarter":
            m = _QUARTER.match(label)
            if not m:
                raise ValueError
            return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq=_FREQ["quarter"])
        return pd.Period(label, freq=_FREQ[granularity])
    except (ValueError, KeyError):
        raise InputError(
            f"period {label!r} does not fit ranking.period={granularity!r}; write it like {_EXAMPLES.get(granularity)!r}",
            code="E280",
        ) from None


def previous_periods(label: str, granularity: str, n: int) -> list[str]:
    """The `n` periods before `label`, oldest first."""
    if granularity == "all" or n <= 0:
        return []
    p = parse_period(label, granularity)
    return [_label(p - k, granularity) for k in range(n, 0, -1)]


def period_start(label: str, granularity: str) -> date:
    """The first day of a period label."""
    return parse_period(label, granularity).start_time.date()


def period_end(label: str, granularity: str) -> date:
    """The last day of a period label (inclusive)."""
    return parse_period(label, granularity).end_time.date()


def bucket_starts(ts: pd.Series, granularity: str) -> pd.Series:
    """The first day (a `date`) of each timestamp's period; NaT stays missing."""
    t = pd.to_datetime(ts, utc=True).dt.tz_localize(None)
    if granularity in ("all",):
        return pd.Series(pd.NaT, index=ts.index, dtype=object)
    return t.dt.to_period(_FREQ[granularity]).dt.start_time.dt.date


def granularity_for_span(days: float) -> Granularity:
    """Weeks for a few months of data, months for up to three years, quarters beyond."""
    if days < AUTO_WEEK_MAX_DAYS:
        return "week"
    if days < AUTO_MONTH_MAX_DAYS:
        return "month"
    return "quarter"


def period_bounds(label: str) -> tuple[datetime, datetime, Granularity]:
    """(start, end exclusive, granularity) of a period written as a user would: 2019, 2019-Q4, 2019-12,
    2019-W05 or 2019-12-03."""
    s = label.strip()
    patterns: list[tuple[str, Granularity]] = [
        (r"^\d{4}$", "month"),  # a year is shown by month
        (r"^\d{4}-Q[1-4]$", "month"),
        (r"^\d{4}-\d{2}$", "week"),
        (r"^\d{4}-W\d{2}$", "day"),
        (r"^\d{4}-\d{2}-\d{2}$", "day"),
    ]
    for pat, inner in patterns:
        if not re.match(pat, s, re.IGNORECASE):
            continue
        try:
            if "W" in s.upper():
                p = parse_period(s.upper(), "week")
            elif "Q" in s.upper():
                p = parse_period(s.upper(), "quarter")
            elif len(s) == 4:
                p = pd.Period(s, freq="Y")
            elif len(s) == 7:
                p = pd.Period(s, freq="M")
            else:
                p = pd.Period(s, freq="D")
        except (ValueError, InputError):
            break
        start = p.start_time.to_pydatetime().replace(tzinfo=UTC)
        end = (p + 1).start_time.to_pydatetime().replace(tzinfo=UTC)
        return start, end, inner
    raise InputError(
        f"--period {label!r} is not a period; write a year (2019), quarter (2019-Q4), month (2019-12), "
        "ISO week (2019-W05) or day (2019-12-03)",
        code="E281",
    )


@dataclass(frozen=True)
class Window:
    """The stretch of time a backlog ranks and a report describes.

    - `periods`: every period label in the window at `granularity`, oldest first
      (empty periods in between included, so a gap shows as a gap);
    - `scope`: "period" when the numbers are about one period (the weekly job),
      "window" when they are about the whole window (the one-file path);
    - `focus`: the period whose change is tested (new, rising, vs last period), or
      None when nothing can be compared (one period, undated, too few items);
      `baseline`: the periods before it that it is compared against;
    - `partial`: periods the data covers only in part (never the focus).
    """

    granularity: Granularity
    periods: tuple[str, ...]
    focus: str | None
    baseline: tuple[str, ...] = ()
    partial: tuple[str, ...] = ()
    scope: Literal["period", "window"] = "window"
    undated: bool = False
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    items_total: int = 0  # items the window was chosen from
    items_in_window: int = 0
    first: datetime | None = None  # the earliest and latest item inside the window
    last: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def label(self) -> str:
        """'2026-W47' for one period, '2015-Q1 to 2020-Q1' for several, 'undated' without dates."""
        if self.undated:
            return UNDATED
        if not self.periods:
            return "none"
        if len(self.periods) == 1:
            return self.periods[0]
        return f"{self.periods[0]} to {self.periods[-1]}"

    @property
    def unit(self) -> str:
        """The granularity as a word for sentences ('week', 'month', 'quarter', 'period')."""
        return _UNIT[self.granularity]

    @property
    def ranked_periods(self) -> tuple[str, ...]:
        """The periods whose items the backlog counts: the focus alone (weekly) or the whole window."""
        if self.scope == "period":
            return (self.focus,) if self.focus else self.periods[-1:]
        return self.periods


def week_window(label: str, baseline_periods: int, granularity: Granularity = "week") -> Window:
    """The scheduled job's window: one period, compared with the `baseline_periods` before it."""
    if granularity == "all":
        return Window(granularity="all", periods=("all",), focus=None, scope="period")
    baseline = tuple(previous_periods(label, granularity, baseline_periods))
    return Window(granularity=granularity, periods=(label,), focus=label, baseline=baseline, scope="period")


def _complete_last(last: str, hi: pd.Timestamp, granularity: str) -> bool:
    end = parse_period(last, granularity).end_time.tz_localize(UTC)
    return bool(end - hi <= _PARTIAL_SLACK[granularity])


def _complete_first(first: str, lo: pd.Timestamp, granularity: str) -> bool:
    start = parse_period(first, granularity).start_time.tz_localize(UTC)
    return bool(lo - start <= _PARTIAL_SLACK[granularity])


def choose_window(
    ts: pd.Series,
    *,
    granularity: Granularity | Literal["auto"] = "auto",
    since: datetime | None = None,
    until: datetime | None = None,
    baseline_periods: int = 4,
    min_focus_items: int = 20,
    min_focus_share: float = 0.25,
) -> Window:
    """The window over timestamps `ts` (missing = undated), narrowed by `since` / `until` (exclusive).

    Granularity `auto` follows the span (`granularity_for_span`). The focus is
    the latest complete period with at least `min_focus_items` items and at
    least `min_focus_share` of the median non-empty period, and with at least
    one earlier period holding items to compare it with; otherwise there is no
    focus and the report makes no trend claims. Pure: no clock is read.
    """
    t = pd.to_datetime(ts, utc=True)
    total = len(t)
    dated = t.dropna()
    notes: list[str] = []
    if dated.empty:
        note = "The data carry no dates: one period, no trend or growth claims."
        return Window(granularity="all", periods=("all",), focus=None, undated=True, items_total=total,
                      items_in_window=total, notes=(note,))  # fmt: skip
    if len(dated) < total:
        notes.append(f"{total - len(dated):,} items have no date and are outside the dated window.")
    if since is not None:
        dated = dated[dated >= pd.Timestamp(since)]
    if until is not None:
        dated = dated[dated < pd.Timestamp(until)]
    if dated.empty:
        raise InputError(
            f"no item falls between {since or 'the start'} and {until or 'the end'}; "
            f"the data run from {t.min():%Y-%m-%d} to {t.max():%Y-%m-%d}: widen --since/--until or --period",
            code="E282",
        )
    lo, hi = dated.min(), dated.max()
    gran: Granularity = (
        granularity_for_span((hi - lo).total_seconds() / 86400) if granularity == "auto" else granularity
    )
    if gran == "all":
        return Window(granularity="all", periods=("all",), focus=None, since=since, until=until,
                      items_total=total, items_in_window=len(dated), notes=tuple(notes))  # fmt: skip
    first_p = lo.tz_localize(None).to_period(_FREQ[gran])
    last_p = hi.tz_localize(None).to_period(_FREQ[gran])
    periods = tuple(_label(first_p + k, gran) for k in range((last_p - first_p).n + 1))
    counts = period_labels(dated, gran).value_counts()
    partial = []
    if not _complete_first(periods[0], lo, gran) and since is None:
        partial.append(periods[0])
    if not _complete_last(periods[-1], hi, gran) and until is None and periods[-1] not in partial:
        partial.append(periods[-1])
    nonzero = counts[counts > 0]
    floor = (
        max(min_focus_items, min_focus_share * float(nonzero.median())) if len(nonzero) else min_focus_items
    )
    focus = None
    for k in range(len(periods) - 1, 0, -1):
        p = periods[k]
        if p in partial or counts.get(p, 0) < floor:
            continue
        if sum(counts.get(q, 0) for q in periods[:k]) > 0:
            focus = p
            break
    if focus is None:
        if len(periods) == 1:
            notes.append(f"The data fall in one {_UNIT[gran]}: no trend or growth claims.")
        else:
            notes.append(
                f"No complete {_UNIT[gran]} holds enough items ({floor:.0f}) with earlier data to compare: "
                "no trend or growth claims."
            )
    baseline = (
        tuple(p for p in previous_periods(focus, gran, baseline_periods) if p >= periods[0]) if focus else ()
    )
    return Window(
        granularity=gran,
        periods=periods,
        focus=focus,
        baseline=baseline,
        partial=tuple(partial),
        scope="window",
        since=since,
        until=until,
        items_total=total,
        items_in_window=len(dated),
        first=lo.floor("us").to_pydatetime(),
        last=hi.floor("us").to_pydatetime(),
        notes=tuple(notes),
    )
