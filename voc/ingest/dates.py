"""Dates as exports write them: day/month order per column, time zones, epoch numbers.

A date such as `03/04/2025` reads as 3 April (day first) or 4 March (month
first). One value cannot say which; a column can. `DateReader` therefore
decides the order once per column of a file, from the values that can only
be read one way (`31/12/2025` is day-first, `12/31/2025` month-first), and
applies it to every value of that column:

- only day-first evidence -> day-first for the whole column; the same for month-first;
- no evidence, but every numeric date is written with dots (`04.03.2025`) ->
  day-first: no locale writes month-first dates with dots;
- no evidence and the export format has a known convention (SurveyMonkey
  writes month-first) -> that convention;
- otherwise, or when the column holds both kinds of evidence (two systems
  merged into one file), a value that could be read both ways is not
  guessed: the row is quarantined as `ambiguous_date`, with both readings
  and the fix (`sources[].date_order`). Values that only read one way are
  still read that way.

`sources[].date_order = "dmy" | "mdy"` overrides the detection; a value that
does not fit the configured order is a `bad_date`. `sources[].date_format`
(strptime) is stricter still.

Time zones are kept: offsets (`+05:30`, `-0800`, `Z`), the usual
abbreviations (`PST`, `CEST`, ...; see `ZONE_ABBREVIATIONS`), `GMT+1`/`UTC-5`
read as people mean them (dateutil alone reads them POSIX-style, inverted)
and IANA names (`America/Los_Angeles`). A zone that is not known, or an
abbreviation that names several zones (`IST`), is a `bad_timezone`, never
silently dropped. Times without a zone are in `sources[].timezone` (UTC
when unset). Every result is an aware datetime in UTC.

Numbers are Unix time: seconds (9-10 digits) or milliseconds (13 digits).
Anything else numeric (`2.5`, an Excel serial day `45000`) is a `bad_date`,
not a moment in January 1970.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

log = logging.getLogger(__name__)

DateOrder = Literal["auto", "dmy", "mdy"]

# Abbreviations that name one zone offset in practice. CST is US Central (as
# US exports use it), not China. IST (India, Ireland, Israel) is deliberately
# absent: it is rejected as ambiguous below.
_H = 3600
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0,
    "EST": -5 * _H, "EDT": -4 * _H, "CST": -6 * _H, "CDT": -5 * _H,
    "MST": -7 * _H, "MDT": -6 * _H, "PST": -8 * _H, "PDT": -7 * _H,
    "AKST": -9 * _H, "AKDT": -8 * _H, "HST": -10 * _H, "AST": -4 * _H, "NST": -(3 * _H + 1800),
    "WEST": 1 * _H, "BST": 1 * _H, "CET": 1 * _H, "CEST": 2 * _H, "MET": 1 * _H, "MEST": 2 * _H,
    "EET": 2 * _H, "EEST": 3 * _H, "MSK": 3 * _H,
    "JST": 9 * _H, "KST": 9 * _H, "HKT": 8 * _H, "SGT": 8 * _H, "AWST": 8 * _H,
    "ACST": 9 * _H + 1800, "ACDT": 10 * _H + 1800, "AEST": 10 * _H, "AEDT": 11 * _H,
    "NZST": 12 * _H, "NZDT": 13 * _H,
}  # fmt: skip
AMBIGUOUS_ZONES: dict[str, str] = {
    "IST": "India (+05:30), Ireland (+01:00) or Israel (+02:00)",
}

# d/m/y or m/d/y with the year last; `2025-03-04` (year first) never matches.
_NUMERIC_DATE = re.compile(r"^\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?!\d)(.*)$", re.DOTALL)
_EPOCH = re.compile(r"^\d{9,13}(\.\d+)?$")
# dateutil happily turns "12" into the 12th of this month; demand something date-like first.
_DATEISH = re.compile(r"\d{4}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}[-/ .][A-Za-z]{3,9}\.?[-/ .,]+\d{2}\b")
# "GMT+1" / "UTC-05:30" as people write them (east of Greenwich is +).
_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC)\s*([+-])(\d{1,2})(?::?(\d{2}))?\b")
_IANA = re.compile(
    r"\b((?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z0-9_+\-/]+)"
)
_ZONE_WORD = re.compile(r"tzname (\S+) identified but not understood")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
# Unix time accepted: 1973-03-03 up to year 5138, in seconds or milliseconds.
_EPOCH_MIN, _EPOCH_MAX = 1e8, 1e14


class DateProblem(ValueError):
    """A value that is not a usable date; `reason` is the quarantine reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# -- one value ---------------------------------------------------------------------


def numeric_parts(text: str) -> tuple[int, int, int, str, str] | None:
    """(first, second, year, separator, rest) of `dd/mm/yyyy`-like text; None for other forms."""
    m = _NUMERIC_DATE.match(text)
    if m is None:
        return None
    a, sep, b, y, rest = m.groups()
    return int(a), int(b), _year(y), sep, rest


def _year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    # Two-digit years: the century that puts the year nearest to now (as dateutil does).
    yy, now = int(text), datetime.now(UTC).year
    year = now - now % 100 + yy
    return year - 100 if year > now + 49 else year + 100 if year <= now - 50 else year


def evidence(first: int, second: int) -> str:
    """What one numeric date says about the order: dmy, mdy, same (3/3), either, or invalid."""
    if first == second:
        return "same"
    if first > 12 and second > 12:
        return "invalid"
    if first > 12:
        return "dmy"
    if second > 12:
        return "mdy"
    return "either"


def _describe(d: int, m: int, y: int) -> str:
    return f"{d} {_MONTHS[m - 1]} {y}" if 1 <= m <= 12 else f"day {d} of month {m} of {y}"


def _from_epoch(x: float, shown: Any) -> datetime:
    if not _EPOCH_MIN <= x < _EPOCH_MAX:
        raise DateProblem(
            "bad_date",
            f"{shown!r} is a number, not a date: numbers are read as Unix time in seconds (9-10 digits) "
            "or milliseconds (13 digits); convert the column to dates (an Excel serial day? format it as a date)",
        )
    # 13-digit values are milliseconds (Play Console, JavaScript); 10-digit are seconds.
    if x >= 1e11:
        x /= 1000.0
    return datetime.fromtimestamp(x, tz=UTC)


# -- a column ----------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnOrder:
    """How one column's numeric dates are ordered, and why."""

    order: str | None  # "dmy" | "mdy" | None (not decided: ambiguous values are quarantined)
    basis: str  # data | dots | format | mixed | none
    day_first: int = 0
    month_first: int = 0
    ambiguous: int = 0
    example_day_first: str | None = None
    example_month_first: str | None = None

    def why(self) -> str:
        """One phrase for messages: what the column showed."""
        dmy = f"{self.day_first:,} day-first (e.g. {self.example_day_first!r})"
        mdy = f"{self.month_first:,} month-first (e.g. {self.example_month_first!r})"
        if self.basis == "mixed":
            return f"holds both orders: {dmy} and {mdy} values"
        if self.basis == "data":
            return f"reads {'day' if self.order == 'dmy' else 'month'}-first: {dmy if self.order == 'dmy' else mdy}"
        if self.basis == "dots":
            return "is written with dots (dd.mm.yyyy) and has no value that contradicts day-first"
        if self.basis == "format":
            return (
                f"follows the export format's convention ({'day' if self.order == 'dmy' else 'month'} first)"
            )
        return "has no value whose day is above 12, so nothing shows the order"


def detect_order(values: Iterable[Any], *, default: str | None = None) -> ColumnOrder:
    """Decide one column's day/month order from all its values (see the module docstring)."""
    day_first = month_first = ambiguous = numeric = dotted = 0
    ex_d: str | None = None
    ex_m: str | None = None
    for value in values:
        if not isinstance(value, str):
            continue
        parts = numeric_parts(value)
        if parts is None:
            continue
        numeric += 1
        dotted += parts[3] == "."
        ev = evidence(parts[0], parts[1])
        if ev == "dmy":
            day_first += 1
            ex_d = ex_d or value.strip()
        elif ev == "mdy":
            month_first += 1
            ex_m = ex_m or value.strip()
        elif ev == "either":
            ambiguous += 1
    counts = {"day_first": day_first, "month_first": month_first, "ambiguous": ambiguous,
              "example_day_first": ex_d, "example_month_first": ex_m}  # fmt: skip
    if day_first and month_first:
        return ColumnOrder(None, "mixed", **counts)
    if day_first or month_first:
        return ColumnOrder("dmy" if day_first else "mdy", "data", **counts)
    if numeric and dotted == numeric:
        return ColumnOrder("dmy", "dots", **counts)
    if default in ("dmy", "mdy"):
        return ColumnOrder(default, "format", **counts)
    return ColumnOrder(None, "none", **counts)


# -- the reader ----------------------------------------------------------------------


@dataclass
class DateReader:
    """Parses the date fields of one file (or one API source) to aware UTC datetimes.

    `scan(field)` yields every value of a field in the file; it is called at
    most once per field, and only when a value that reads both ways turns up
    (an ISO-dated export never pays for it). `columns` names the column
    behind each field for messages.
    """

    date_format: str | None = None
    order: DateOrder = "auto"
    default_order: str | None = None
    timezone: str | None = None
    scan: Callable[[str], Iterable[Any]] | None = None
    where: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)
    _orders: dict[str, ColumnOrder] = field(default_factory=dict, repr=False)
    _tz: tzinfo | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.timezone:
            try:
                self._tz = ZoneInfo(self.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise DateProblem(
                    "bad_timezone",
                    f"time zone {self.timezone!r} is not an IANA name; use e.g. 'Europe/Berlin' or 'UTC'",
                ) from None

    def parse(self, value: Any, name: str = "date") -> datetime | None:
        """One value to an aware UTC datetime; None for blank; `DateProblem` when it cannot be."""
        if value is None:
            return None
        if isinstance(value, str):
            s = value.strip()
            if not s:
                return None
            return self._utc(self._parse_text(s, name))
        if isinstance(value, datetime):
            return self._utc(value)
        if isinstance(value, date):
            return self._utc(datetime(value.year, value.month, value.day))
        if isinstance(value, bool):
            raise DateProblem("bad_date", f"{name} {value!r} is not a date")
        if isinstance(value, int | float):
            if value != value:  # NaN from parquet/pandas
                return None
            return _from_epoch(float(value), value)
        raise DateProblem("bad_date", f"{name} {value!r} is not a date")

    def _utc(self, dt: datetime) -> datetime:
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=self._tz or UTC)
        return dt.astimezone(UTC)

    def _parse_text(self, s: str, name: str) -> datetime:
        if self.date_format:
            try:
                return datetime.strptime(s, self.date_format)
            except ValueError:
                raise DateProblem(
                    "bad_date", f"{name} {s!r} is not a date in sources[].date_format {self.date_format!r}"
                ) from None
        try:
            return datetime.fromisoformat(s)  # the common case, and the fastest
        except ValueError:
            pass
        if _EPOCH.match(s):
            return _from_epoch(float(s), s)
        parts = numeric_parts(s)
        if parts is not None:
            return self._numeric(s, parts, name)
        if not _DATEISH.search(s):
            raise DateProblem("bad_date", f"{name} {s!r} is not a date")
        return _parse_general(s, name)

    def _numeric(self, s: str, parts: tuple[int, int, int, str, str], name: str) -> datetime:
        a, b, year, sep, rest = parts
        ev = evidence(a, b)
        if ev == "invalid":
            raise DateProblem("bad_date", f"{name} {s!r} is not a date: neither {a} nor {b} is a month")
        if self.order in ("dmy", "mdy"):
            order = self.order
            if ev not in ("same", "either", order):
                raise DateProblem(
                    "bad_date",
                    f"{name} {s!r} does not fit sources[].date_order {order!r} "
                    f"({'day' if order == 'dmy' else 'month'} first); it only reads "
                    f"{'month' if order == 'dmy' else 'day'} first",
                )
        elif ev in ("dmy", "mdy"):
            order = ev  # this value can be read one way only
        elif ev == "same":
            order = "dmy"
        else:
            col = self.column_order(name, sep)
            if col.order is None:
                raise DateProblem("ambiguous_date", self._ambiguous(s, name, a, b, year, col))
            order = col.order
        day, month = (a, b) if order == "dmy" else (b, a)
        try:
            base = date(year, month, day)
        except ValueError:
            raise DateProblem(
                "bad_date", f"{name} {s!r} is not a date: {_describe(day, month, year)} does not exist"
            ) from None
        rest = rest.strip().lstrip(",").strip()
        if not rest:
            return datetime(base.year, base.month, base.day)
        return _parse_general(f"{base.isoformat()} {rest}", name, shown=s)

    def _ambiguous(self, s: str, name: str, a: int, b: int, year: int, col: ColumnOrder) -> str:
        column = self.columns.get(name) or name
        where = f" of {self.where}" if self.where else ""
        return (
            f"{name} {s!r} could be {_describe(a, b, year)} or {_describe(b, a, year)}: column {column!r}{where} "
            f'{col.why()}. Set sources[].date_order = "dmy" or "mdy" (voc analyze: --date-order) '
            "if one order holds for the whole column"
        )

    def column_order(self, name: str, sep: str = "/") -> ColumnOrder:
        """The order of `name`'s column, decided from the whole column once (then cached)."""
        found = self._orders.get(name)
        if found is not None:
            return found
        if self.scan is None:
            # No file to look at (one value alone): only the separator and the format can decide.
            return detect_order([f"01{sep}02{sep}2000"], default=self.default_order)
        col = detect_order(self.scan(name), default=self.default_order)
        self._orders[name] = col
        column = self.columns.get(name) or name
        where = f"{self.where}: " if self.where else ""
        if col.order is None:
            log.warning(
                "dates: %scolumn %r %s; its %s values that read both ways are quarantined as "
                "ambiguous_date (set sources[].date_order to decide)",
                where, column, col.why(), f"{col.ambiguous:,}",
            )  # fmt: skip
        else:
            log.info("dates: %scolumn %r %s; %s values that read both ways follow it",
                     where, column, col.why(), f"{col.ambiguous:,}")  # fmt: skip
        return col


def _parse_general(s: str, name: str, *, shown: str | None = None) -> datetime:
    """ISO, month names, year-first forms, with zones; via dateutil with known zone names."""
    shown = shown if shown is not None else s
    text = _GMT_OFFSET.sub(lambda m: f"{m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}", s)
    zone: tzinfo | None = None
    iana = _IANA.search(text)
    if iana is not None:
        try:
            zone = ZoneInfo(iana.group(1))
        except (ZoneInfoNotFoundError, ValueError):
            raise DateProblem(
                "bad_timezone", f"{name} {shown!r}: unknown time zone {iana.group(1)!r}"
            ) from None
        text = (text[: iana.start()] + text[iana.end() :]).strip()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        dt = _dateutil(text, name, shown)
    if zone is not None:
        if dt.tzinfo is not None:
            raise DateProblem("bad_timezone", f"{name} {shown!r} gives both an offset and a zone name")
        dt = dt.replace(tzinfo=zone)
    return dt


def _dateutil(text: str, name: str, shown: str) -> datetime:
    from dateutil import parser as dateparser

    for word in re.findall(r"\b[A-Z]{2,5}\b", text):
        if word in AMBIGUOUS_ZONES:
            raise DateProblem(
                "bad_timezone",
                f"{name} {shown!r}: {word} could mean {AMBIGUOUS_ZONES[word]}; write the offset instead",
            )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            dt = dateparser.parse(text, tzinfos=ZONE_ABBREVIATIONS)
        except (ValueError, OverflowError) as exc:
            raise DateProblem("bad_date", f"{name} {shown!r} is not a date") from exc
    for w in caught:
        m = _ZONE_WORD.search(str(w.message))
        if m is not None:  # dateutil would drop the zone and return local wall time as if UTC
            raise DateProblem(
                "bad_timezone",
                f"{name} {shown!r}: time zone {m.group(1)!r} is not known; write an offset such as "
                "-08:00 or an IANA name such as America/Los_Angeles",
            )
    return dt
