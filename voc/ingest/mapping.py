"""Raw row -> `FeedbackRecord`: value parsing and the per-export field profile.

Every connector ends here. A `Profile` says which column (or dotted JSON
path) feeds each record field, with fallbacks tried in order; `Profile.map`
turns one raw row into a record or a `QuarantineRow` whose reason is a
stable code (`missing_text`, `bad_date`, `bad_rating`, `rating_out_of_range`,
`binary_garbage`, `bad_row`) and whose detail names the offending value.
Text is passed through as found: cleaning (HTML, redaction, language) is a
later stage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from voc.config.sources import ColumnMap
from voc.errors import InputError
from voc.ingest.dates import DateProblem, DateReader
from voc.ingest.values import revenue_problem, star_glyphs
from voc.schema import RATING_RANGES, FeedbackRecord, Flag, Kind, QuarantineRow, RatingScale, stable_id

# Record fields a column can feed (the ColumnMap fields, in ColumnMap's vocabulary).
MAPPABLE_FIELDS: tuple[str, ...] = tuple(ColumnMap.model_fields)

# Columns that only identify a person: not copied into metadata, because
# redaction runs on text and title, not on metadata values.
PII_COLUMNS: frozenset[str] = frozenset(
    {
        "requester",
        "user name",
        "consumer name",
        "reviewer name",
        "author",
        "email",
        "email address",
        "ipaddress",
        "ip address",
        "recipientlastname",
        "recipientfirstname",
        "recipientemail",
        "first name",
        "last name",
        "locationlatitude",
        "locationlongitude",
        "network id",
        "phone",
    }
)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


class RowProblem(Exception):
    """One row cannot be mapped; carries the quarantine reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# -- value parsing -------------------------------------------------------------


def is_blank(value: Any) -> bool:
    """None, NaN, or a string of only whitespace."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN from parquet/pandas
        return True
    return isinstance(value, str) and not value.strip()


def looks_binary(text: str) -> bool:
    """Mostly control/replacement characters: not human text. A few (a stray NUL) are stripped by cleaning."""
    if len(text) < 8 or not _CONTROL.search(text):
        return False
    return len(_CONTROL.findall(text)) / len(text) > 0.3


def parse_datetime(value: Any, date_format: str | None = None) -> datetime | None:
    """Parse one timestamp on its own to an aware UTC datetime; None for blank; ValueError when unparseable.

    Accepts datetime/date objects (Excel, Parquet), epoch seconds or
    milliseconds, ISO 8601, and common forms such as `2026-01-05 13:45:00`
    and `Jan 5, 2026 10:00 PM PST`. `date_format` (strptime) is used
    strictly when given. A lone `01/05/2026` is ambiguous (`DateProblem`,
    reason `ambiguous_date`): connectors read files through a per-column
    `voc.ingest.dates.DateReader`, which decides the order from the column.
    """
    return DateReader(date_format=date_format).parse(value, "date")


def parse_number(value: Any, *, lenient: bool = False) -> float | None:
    """A float, None for blank, ValueError otherwise.

    `lenient` accepts a label holding exactly one number, as survey tools
    export choices (`"10 - Extremely likely"`), and money (`"$12,000"`).
    """
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    s = str(value).strip()
    try:
        return float(s)
    except ValueError:
        pass
    if lenient:
        numbers = _NUMBER.findall(s.replace(",", ""))
        if len(numbers) == 1:
            return float(numbers[0])
    raise ValueError(f"not a number: {s!r}")


def parse_money(value: Any) -> float | None:
    """Revenue like `12000`, `12,000.50`, `$12k`; None for blank; ValueError otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    s = str(value).strip().replace(",", "").lstrip("$€£").strip()
    mult = 1.0
    if s[-1:].lower() in {"k", "m"}:
        mult = 1e3 if s[-1].lower() == "k" else 1e6
        s = s[:-1]
    return float(s) * mult


def as_id(value: Any) -> str | None:
    """An id as text: `123.0` from a spreadsheet becomes `123`."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def as_text(value: Any) -> str | None:
    if is_blank(value):
        return None
    return value if isinstance(value, str) else str(value)


def to_json(value: Any) -> str:
    """The raw row for a quarantine entry."""
    return json.dumps(value, default=str, ensure_ascii=False)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


# -- getters ---------------------------------------------------------------------


def get_flat(row: Mapping[str, Any], key: str) -> Any:
    return row.get(key)


def get_dotted(row: Mapping[str, Any], key: str) -> Any:
    """Walk `a.b.c` through dicts; `custom_fields.<id>` picks the entry with that id's `value`."""
    if key in row:
        return row[key]
    node: Any = row
    for part in key.split("."):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list):
            node = next(
                (e.get("value") for e in node if isinstance(e, Mapping) and str(e.get("id")) == part),
                None,
            )
        else:
            return None
        if node is None:
            return None
    return node


# -- profile -------------------------------------------------------------------


@dataclass
class Profile:
    """How rows of one export become records.

    `fields` maps a record field (ColumnMap vocabulary) to candidate keys,
    first non-blank wins. `required` fields must have a column in the header
    (tabular files); `bind` resolves candidates against the header
    case-insensitively and raises `InputError` naming what is missing.
    """

    source: str
    kind: Kind
    fields: dict[str, list[str]]
    required: tuple[str, ...] = ("text", "created_at")
    channel: str | None = None
    rating_scale: RatingScale | None = None
    rating_parser: Callable[[Any], float | None] | None = None
    lenient_rating: bool = False
    use_external_id: bool = True
    url_template: str | None = None
    date_format: str | None = None
    getter: Callable[[Mapping[str, Any], str], Any] = get_flat
    # Keys never copied to metadata (already mapped, or noise such as PII-only columns).
    skip_metadata: set[str] = field(default_factory=set)
    # Fixed metadata added to every record (e.g. the question a survey comment answers).
    extra_metadata: dict[str, Any] = field(default_factory=dict)
    metadata_transform: Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]] | None = None
    bound: bool = False
    # Generic files list aliases, not fallbacks: bind keeps only the first alias found.
    first_match_only: bool = False
    # Reads the date fields (order per column, zones); file connectors set one per file.
    dates: DateReader | None = None
    _used: set[str] | None = field(default=None, repr=False)

    def override(self, columns: ColumnMap) -> Profile:
        """Apply the user's ColumnMap: a column set there replaces the defaults and must exist."""
        for name, value in columns.model_dump(exclude_none=True).items():
            self.fields[name] = [value]
            self.skip_metadata.add(value)
        self._used = None
        return self

    def bind(self, header: Sequence[str], path: Path | str, explicit: ColumnMap | None = None) -> Profile:
        """Resolve candidates against a header; InputError if a required or configured column is absent."""
        lookup = {h.strip().lower(): h for h in header if isinstance(h, str)}
        explicit_fields = set(explicit.model_dump(exclude_none=True)) if explicit else set()
        resolved: dict[str, list[str]] = {}
        for name, candidates in self.fields.items():
            found = [lookup[c.strip().lower()] for c in candidates if c.strip().lower() in lookup]
            if not found and (name in self.required or name in explicit_fields):
                wanted = " or ".join(repr(c) for c in candidates)
                raise InputError(
                    f"{path}: required column {wanted} (for {name}) is not in the header. "
                    f"Columns present: {', '.join(map(repr, header))}. "
                    f"Set sources[].columns.{name} to the column that holds it.",
                    code="E214",
                )
            resolved[name] = found[:1] if self.first_match_only else found
        self.fields = resolved
        self.bound = True
        self._used = None
        return self

    def used_keys(self) -> set[str]:
        """Keys that feed a field (or are skipped): not copied to metadata. Cached after first use."""
        if self._used is None:
            self._used = self._compute_used()
        return self._used

    def _compute_used(self) -> set[str]:
        used = set(self.skip_metadata)
        for candidates in self.fields.values():
            for c in candidates:
                used.add(c)
                used.add(c.split(".", 1)[0])
        return used

    def _get(self, row: Mapping[str, Any], name: str) -> Any:
        for key in self.fields.get(name, ()):
            value = self.getter(row, key)
            if not is_blank(value):
                return value
        return None

    def map(self, row: Mapping[str, Any], *, input_file: str | None, input_row: int | None) -> FeedbackRecord:
        """One raw row to a record; `RowProblem` with a reason code when it cannot be."""
        text = as_text(self._get(row, "text"))
        if text is None:
            cols = self.fields.get("text", [])
            found = self.getter(row, cols[0]) if cols else None
            raise RowProblem("missing_text", f"text column {'/'.join(cols) or 'text'!r} is empty ({found!r})")
        title = as_text(self._get(row, "title"))
        for label, value in (("text", text), ("title", title)):
            if value is not None and looks_binary(value):
                raise RowProblem("binary_garbage", f"{label} holds binary data: {value[:60]!r}")

        # A profile without a date column (an undated export) stores no date; a date column with
        # an empty or unparseable cell still costs its row, since a guess would be silent.
        created_at = None
        if self.fields.get("created_at"):
            created_at = self._date(self._get(row, "created_at"), "created_at")
            if created_at is None:
                col = "/".join(self.fields["created_at"])
                raise RowProblem("bad_date", f"created_at column {col!r} is empty")
        # updated_at and revenue only qualify a record: an odd value ("n/a") is kept
        # in metadata rather than costing the row.
        unparsed: dict[str, Any] = {}
        updated_raw = self._get(row, "updated_at")
        try:
            updated_at = self._date_reader().parse(updated_raw, "updated_at")
        except (ValueError, OverflowError, OSError):
            updated_at, unparsed["updated_at_unparsed"] = None, _jsonable(updated_raw)

        flags: list[str] = []
        rating = self._rating_or_flag(self._get(row, "rating"), unparsed, flags)
        revenue_raw = self._get(row, "revenue")
        try:
            revenue = parse_money(revenue_raw)
        except ValueError:
            revenue, unparsed["revenue_unparsed"] = None, _jsonable(revenue_raw)
        # inf, negative, absurd: kept aside, never stored as a number
        if revenue_problem(revenue) is not None:
            revenue, unparsed["revenue_unparsed"] = None, _jsonable(revenue_raw)
            flags.append(Flag.bad_revenue.value)

        external_id = as_id(self._get(row, "id")) if self.use_external_id else None
        url = as_text(self._get(row, "url"))
        if self.url_template and external_id:
            url = self.url_template.format(id=external_id)

        used = self.used_keys()
        metadata = {
            k: _jsonable(v)
            for k, v in row.items()
            if k not in used and not is_blank(v) and str(k).strip().lower() not in PII_COLUMNS
        }
        if self.metadata_transform:
            metadata = self.metadata_transform(metadata, row)
        metadata.update(self.extra_metadata)
        metadata.update(unparsed)

        try:
            return FeedbackRecord(
                id=stable_id(self.source, external_id, text, created_at),
                source=self.source,
                external_id=external_id,
                kind=self.kind,
                channel=as_text(self._get(row, "channel")) or self.channel,
                created_at=created_at,
                updated_at=updated_at,
                title=title,
                text=text,
                rating=rating,
                rating_scale=(self.rating_scale or RatingScale.stars) if rating is not None else None,
                customer_id=as_id(self._get(row, "customer_id")),
                segment=as_text(self._get(row, "segment")),
                revenue=revenue,
                product=as_text(self._get(row, "product")),
                language=as_text(self._get(row, "language")),
                url=url,
                metadata=metadata,
                flags=flags,
                input_file=input_file,
                input_row=input_row,
            )
        except ValidationError as exc:
            raise RowProblem("bad_row", f"record does not validate: {exc.errors()[0]['msg']}") from None

    def _date_reader(self) -> DateReader:
        if self.dates is None:
            self.dates = DateReader(date_format=self.date_format)
        return self.dates

    def _date(self, value: Any, name: str) -> datetime | None:
        try:
            return self._date_reader().parse(value, name)
        except DateProblem as problem:
            raise RowProblem(problem.reason, problem.detail) from None
        except (ValueError, OverflowError, OSError):
            raise RowProblem("bad_date", f"{name} {value!r} is not a date") from None

    def _rating_or_flag(self, value: Any, unparsed: dict[str, Any], flags: list[str]) -> float | None:
        # A rating that is not a number ("five") costs the rating, not the row.
        try:
            return self._rating(value)
        except RowProblem as problem:
            if problem.reason != "bad_rating":
                raise
            unparsed["rating_unparsed"] = _jsonable(value)
            flags.append(Flag.bad_rating.value)
            return None

    def _rating(self, value: Any) -> float | None:
        try:
            if self.rating_parser is not None:
                rating = self.rating_parser(value)
            else:
                try:
                    rating = parse_number(value, lenient=self.lenient_rating)
                except ValueError:
                    rating = star_glyphs(value)  # "★★★★"; only tried when a number fails (hot path)
                    if rating is None:
                        raise
        except ValueError:
            raise RowProblem("bad_rating", f"rating {value!r} is not a number") from None
        if rating is None:
            return None
        scale = self.rating_scale or RatingScale.stars
        lo, hi = RATING_RANGES[scale]
        if not lo <= rating <= hi:
            raise RowProblem(
                "rating_out_of_range", f"rating {value!r} is outside the {scale.value} range {lo:g}-{hi:g}"
            )
        return rating


def quarantine(
    source: str, reason: str, detail: str, raw: Any, *, input_file: str | None, input_row: int | None
) -> QuarantineRow:
    """A quarantine row; `raw` is the row as found (dict, list or line text)."""
    return QuarantineRow(
        source=source,
        input_file=input_file,
        input_row=input_row,
        reason=reason,
        detail=detail,
        raw=to_json(raw),
    )
