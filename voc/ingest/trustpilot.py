"""Trustpilot: the Business reviews export (CSV).

Columns: `Review ID, Review Created (UTC), Review Stars, Review Title,
Review Content, Review Language, Reference Id, Consumer Name, Location`.
`Reference Id` is the order/customer reference the business passed when
inviting the review, so it becomes `customer_id`; the consumer's name is
not kept. Star reviews (1-5), kind `review`, channel `trustpilot`.
"""

from __future__ import annotations

from pathlib import Path

from voc.config import SourceConfig
from voc.ingest.files import RowStream, read_csv
from voc.ingest.filesource import FileFormat
from voc.ingest.mapping import Profile
from voc.schema import Kind, RatingScale

TRUSTPILOT_FIELDS: dict[str, list[str]] = {
    "id": ["Review ID"],
    "created_at": ["Review Created (UTC)"],
    "rating": ["Review Stars"],
    "title": ["Review Title"],
    "text": ["Review Content"],
    "language": ["Review Language"],
    "customer_id": ["Reference Id"],
}


def _open(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(path, encoding=source.encoding, delimiter=source.delimiter)


def _profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    profile = Profile(
        source=source.name,
        kind=source.kind or Kind.review,
        fields={k: list(v) for k, v in TRUSTPILOT_FIELDS.items()},
        channel="trustpilot",
        rating_scale=source.rating_scale or RatingScale.stars,
        url_template=source.url_template,
        date_format=source.date_format,
    ).override(source.columns)
    if stream.columns is not None:
        profile.bind(stream.columns, shown, source.columns)
    return profile


TRUSTPILOT = FileFormat("trustpilot", _open, _profile)
