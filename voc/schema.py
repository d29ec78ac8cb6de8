"""The one record schema every connector produces, and shared column names.

A connector turns a row of some export into a `FeedbackRecord`; cleaning
rewrites `text`/`title` (repair, redaction) and fills `language`; the store
persists it keyed by `id`. Everything downstream reads the `items` table,
whose columns are `ITEM_COLUMNS`.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Kind(StrEnum):
    """What sort of feedback a record is."""

    ticket = "ticket"
    review = "review"
    survey = "survey"


class RatingScale(StrEnum):
    """How to read `rating`: star reviews 1-5, NPS 0-10, CSAT 1-5."""

    stars = "stars"
    nps = "nps"
    csat = "csat"


RATING_RANGES: dict[RatingScale, tuple[float, float]] = {
    RatingScale.stars: (1, 5),
    RatingScale.nps: (0, 10),
    RatingScale.csat: (1, 5),
}


class Flag(StrEnum):
    """Notes about a stored record that a reader of the data should know."""

    truncated = "truncated"  # text was longer than clean.max_text_chars
    non_english = "non_english"  # language detected is not English: kept and tagged
    unicode_repaired = "unicode_repaired"
    html_stripped = "html_stripped"
    quoted_reply_removed = "quoted_reply_removed"
    chat_agent_turns_removed = "chat_agent_turns_removed"  # a chat transcript cut to the customer's turns
    pii_redacted = "pii_redacted"
    bad_rating = "bad_rating"  # the rating was not a number ("five"): kept in metadata.rating_unparsed
    bad_revenue = "bad_revenue"  # revenue not finite, negative or absurd: kept in metadata.revenue_unparsed


def stable_id(source: str, external_id: str | None, text: str, created_at: datetime | None) -> str:
    """Id that stays the same across re-ingests.

    `source:external_id` when the source has ids; otherwise a content hash of
    text and timestamp, so the same exported row always maps to the same id
    and exact re-exports collapse instead of duplicating.
    """
    if external_id not in (None, ""):
        return f"{source}:{external_id}"
    basis = f"{text}\x1f{created_at.isoformat() if created_at else ''}"
    return f"{source}:h{hashlib.sha1(basis.encode('utf-8')).hexdigest()[:16]}"


class FeedbackRecord(BaseModel):
    """One piece of customer feedback: a ticket, a review or a survey answer."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    id: str
    source: str
    external_id: str | None = None
    kind: Kind
    channel: str | None = None
    # None for an export that carries no dates (`sources[].undated`): analysed as one period.
    created_at: datetime | None = None
    updated_at: datetime | None = None
    title: str | None = None
    text: str
    rating: float | None = None
    rating_scale: RatingScale | None = None
    customer_id: str | None = None
    segment: str | None = None
    revenue: float | None = Field(
        default=None, ge=0, allow_inf_nan=False, description="e.g. annual recurring revenue of the account"
    )
    product: str | None = None
    language: str | None = None
    url: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    flags: list[str] = Field(default_factory=list)
    # Provenance: where the row came from, so every stored item links back.
    input_file: str | None = None
    input_row: int | None = None

    @field_validator("created_at", "updated_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _rating_in_range(self) -> FeedbackRecord:
        if self.rating is not None:
            if self.rating_scale is None:
                raise ValueError("rating given without rating_scale")
            lo, hi = RATING_RANGES[self.rating_scale]
            if not lo <= self.rating <= hi:
                raise ValueError(
                    f"rating {self.rating:g} outside {self.rating_scale.value} range {lo:g}-{hi:g}"
                )
        return self

    def content_hash(self) -> str:
        """Hash of everything that matters for 'has this record changed?'.

        Built from the field values directly rather than `model_dump(mode="json")`,
        which costs several times more on the ingest hot path.
        """
        d = self.__dict__
        parts = [
            ""
            if d[name] is None
            else (d[name].isoformat() if isinstance(d[name], datetime) else str(d[name]))
            for name in _HASHED_FIELDS
        ]
        if d["metadata"]:
            parts.append(json.dumps(d["metadata"], sort_keys=True, default=str))
        return hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()


# Provenance (input_file/row) and flags are not content: a re-export of the
# same record from another file is the same record.
_HASHED_FIELDS = [
    name
    for name in FeedbackRecord.model_fields
    if name not in {"input_file", "input_row", "flags", "metadata"}
]


# Columns of the `items` table, in order. Lists and dicts are stored as JSON text.
ITEM_COLUMNS: list[str] = [
    "id",
    "source",
    "external_id",
    "kind",
    "channel",
    "created_at",
    "updated_at",
    "title",
    "text",
    "rating",
    "rating_scale",
    "customer_id",
    "segment",
    "revenue",
    "product",
    "language",
    "url",
    "metadata",
    "flags",
    "input_file",
    "input_row",
    "content_hash",
    "ingested_at",
]

# The contract of `items.csv` written by `voc analyze` (other tools read it).
ITEMS_CSV_COLUMNS: list[str] = [
    "input_row",
    "id",
    "source",
    "kind",
    "created_at",
    "text",
    "rating",
    "language",
    "sentiment",
    "sentiment_score",
    "theme_id",
    "theme_label",
    "theme_ids",
    "journey_stage",
    "pillar",
]


class QuarantineRow(BaseModel):
    """A row that could not be used, kept with its reason so nothing is lost."""

    source: str
    input_file: str | None = None
    input_row: int | None = None
    reason: str  # short machine code, e.g. "missing_text", "bad_date"
    detail: str = ""  # human explanation with the offending value
    raw: str = ""  # the raw row as JSON (or repr for undecodable bytes)
