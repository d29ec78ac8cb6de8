"""Which columns of an unknown export hold the text, the date and the rating (`voc analyze`).

Names are tried first, but a name alone misleads on real exports (Amazon's
review file calls its 0/1 label `feedback` and its text `verified_reviews`;
Google Play calls its timestamp `at`), so each guess is checked against a
sample of the values: text is words, a date parses, a rating is a small
whole number on a known scale. When no name fits, the content decides.
Pure functions over a sample of rows; `sample_rows` is the only I/O.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.ingest.dates import DateProblem
from voc.ingest.mapping import is_blank, parse_datetime, parse_number
from voc.schema import RATING_RANGES, RatingScale

SAMPLE_ROWS = 500

TEXT_NAMES = ("text", "review", "review_text", "reviews", "comment", "comments", "body", "description",
              "content", "message", "feedback", "verbatim", "response", "answer", "verified_reviews",
              "review_body", "comment_text", "narrative", "complaint")  # fmt: skip
DATE_NAMES = ("created_at", "date", "created", "timestamp", "time", "submitted_at", "submitted", "review_date",
              "tweet_created", "datetime", "at", "date_received", "created_date", "posted_at")  # fmt: skip
ID_NAMES = ("id", "review_id", "ticket_id", "response_id", "tweet_id", "uuid", "comment_id", "complaint_id")
RATING_NAMES = ("rating", "stars", "score", "star_rating", "nps", "csat", "review_rating", "overall_rating")

_WORD = re.compile(r"[^\W\d_]{2,}")
_NUMERIC = re.compile(r"^\s*-?\d+(?:[.,]\d+)?\s*$")


@dataclass(frozen=True)
class Guess:
    """A guessed column and why it was chosen ('name' or 'content')."""

    column: str
    by: str


def sample_rows(
    path: Path, fmt: str, delimiter: str | None = None, n: int = SAMPLE_ROWS
) -> list[dict[str, Any]]:
    """The first `n` readable rows of a generic export, through the ingest readers."""
    from voc.ingest.files import read_csv, read_excel, read_jsonl, read_parquet

    if fmt == "csv":
        stream = read_csv(path, delimiter=delimiter)
    elif fmt == "jsonl":
        stream = read_jsonl(path)
    elif fmt == "parquet":
        stream = read_parquet(path)
    elif fmt == "excel":
        stream = read_excel(path)
    else:
        return []
    with stream:
        return [r.data for r in itertools.islice(stream.rows, n * 2) if r.data is not None][:n]


def _values(rows: Sequence[Mapping[str, Any]], col: str) -> list[Any]:
    return [r.get(col) for r in rows if not is_blank(r.get(col))]


def text_score(values: Sequence[Any]) -> float:
    """Mean words per value, 0 for a column of numbers or codes (a text column holds words)."""
    if not values:
        return 0.0
    strings = [str(v) for v in values]
    numeric = sum(bool(_NUMERIC.match(s)) for s in strings) / len(strings)
    if numeric > 0.5:
        return 0.0
    return sum(len(_WORD.findall(s)) for s in strings) / len(strings)


def date_share(values: Sequence[Any]) -> float:
    """Share of the values that parse as a date (numbers do not count: an id is no date)."""
    if not values:
        return 0.0
    ok = 0
    for v in values:
        if isinstance(v, int | float) or (isinstance(v, str) and _NUMERIC.match(v)):
            continue
        try:
            ok += parse_datetime(v) is not None
        except DateProblem as problem:  # 03/04/2025 alone: a date whose order its column decides
            ok += problem.reason == "ambiguous_date"
        except (ValueError, OverflowError, OSError):
            pass
    return ok / len(values)


def rating_scale_of(values: Sequence[Any]) -> RatingScale | None:
    """stars when every value is a whole number 1-5, nps when 0-10 with some above 5; else None."""
    nums: list[float] = []
    for v in values:
        try:
            x = parse_number(v)
        except ValueError:
            return None
        if x is None or x != int(x):
            return None
        nums.append(x)
    if len(nums) < 5:
        return None
    lo, hi = min(nums), max(nums)
    s_lo, s_hi = RATING_RANGES[RatingScale.stars]
    if s_lo <= lo and hi <= s_hi:
        return RatingScale.stars
    n_lo, n_hi = RATING_RANGES[RatingScale.nps]
    if n_lo <= lo and hi <= n_hi and hi > 5:
        return RatingScale.nps
    return None


def _by_name(header: Sequence[str], names: Sequence[str]) -> list[str]:
    lower = {h.lower().strip().replace(" ", "_"): h for h in header}
    return [lower[n] for n in names if n in lower]


def guess_text(header: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Guess | None:
    """The text column: the first named one that holds words, else the wordiest column."""
    scores = {h: text_score(_values(rows, h)) for h in header}
    for col in _by_name(header, TEXT_NAMES):
        if scores[col] >= 1.0:
            return Guess(col, "name")
    best = max(scores, key=lambda h: scores[h], default=None)
    if best is not None and scores[best] >= 3.0:
        return Guess(best, "content")
    named = _by_name(header, TEXT_NAMES)
    return Guess(named[0], "name") if named and not rows else None


def guess_date(header: Sequence[str], rows: Sequence[Mapping[str, Any]], exclude: set[str]) -> Guess | None:
    """The date column: the first named one whose values parse, else the first column that parses."""
    named = [c for c in _by_name(header, DATE_NAMES) if c not in exclude]
    if not rows:
        return Guess(named[0], "name") if named else None
    for col in named:
        if date_share(_values(rows, col)) >= 0.9:
            return Guess(col, "name")
    for col in header:
        if col in exclude or col in named:
            continue
        vals = _values(rows, col)
        if len(vals) >= max(5, 0.5 * len(rows)) and date_share(vals) >= 0.95:
            return Guess(col, "content")
    # A named date column that does not parse is still the date column: its rows are quarantined
    # with the reason, which says more than silently analysing the file as undated.
    for col in named:
        vals = [str(v) for v in _values(rows, col)]
        if vals and sum(any(ch.isdigit() for ch in v) for v in vals) >= 0.8 * len(vals):
            return Guess(col, "name")
    return None


def guess_rating(
    header: Sequence[str], rows: Sequence[Mapping[str, Any]], exclude: set[str]
) -> tuple[Guess, RatingScale] | None:
    """A named rating column whose values fit a known scale, with that scale."""
    for col in _by_name(header, RATING_NAMES):
        if col in exclude:
            continue
        scale = rating_scale_of(_values(rows, col))
        if scale is not None:
            return Guess(col, "name"), scale
    return None


def guess_id(header: Sequence[str], rows: Sequence[Mapping[str, Any]], exclude: set[str]) -> Guess | None:
    """A named id column whose sample values are all distinct (a repeated 'id' is not a record id)."""
    for col in _by_name(header, ID_NAMES):
        if col in exclude:
            continue
        vals = [str(v) for v in _values(rows, col)]
        if vals and len(set(vals)) == len(vals):
            return Guess(col, "name")
    return None
