"""Generic files - CSV/TSV, JSON lines, Parquet, Excel - mapped by `source.columns`.

With no ColumnMap entry for a field, a few usual column names are tried
(case-insensitive): `text`, `body`, `comment`, `review`, ...; `created_at`,
`date`, `timestamp`, .... JSON lines may name nested keys with dots
(`"author.id"`). Kind defaults from the rating scale (nps/csat -> survey,
stars -> review), else review when a rating column exists (JSON lines: a
rating key in the first object), else ticket.
"""

from __future__ import annotations

from pathlib import Path

from voc.config import SourceConfig
from voc.ingest.files import RowStream, read_csv, read_excel, read_jsonl, read_parquet
from voc.ingest.filesource import FileFormat
from voc.ingest.mapping import Profile, get_dotted
from voc.ingest.typecheck import check_column_types
from voc.schema import Kind, RatingScale

GENERIC_FIELDS: dict[str, list[str]] = {
    "id": ["id", "external_id", "review_id", "ticket_id", "response_id"],
    "text": [
        "text",
        "body",
        "comment",
        "comments",
        "review",
        "review_text",
        "message",
        "content",
        "feedback",
        "description",
    ],
    "title": ["title", "subject", "summary"],
    "created_at": ["created_at", "date", "created", "timestamp", "time", "submitted_at", "datetime"],
    "updated_at": ["updated_at", "updated"],
    "rating": ["rating", "stars", "star_rating", "score"],
    "customer_id": ["customer_id", "user_id", "account_id"],
    "segment": ["segment", "plan", "tier"],
    "revenue": ["revenue", "arr", "mrr"],
    "product": ["product", "app"],
    "channel": ["channel", "source_channel"],
    "url": ["url", "link"],
    "language": ["language", "lang"],
}


def _kind(source: SourceConfig, has_rating: bool) -> Kind:
    if source.kind is not None:
        return source.kind
    if source.rating_scale in (RatingScale.nps, RatingScale.csat):
        return Kind.survey
    if source.rating_scale == RatingScale.stars or has_rating:
        return Kind.review
    return Kind.ticket


def generic_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    """Profile from the defaults plus the user's ColumnMap, bound to the header when there is one."""
    fields = {k: list(v) for k, v in GENERIC_FIELDS.items()}
    if source.undated:
        fields["created_at"] = []  # even a column named "date" is not read: the user said so
    profile = Profile(
        source=source.name,
        kind=Kind.ticket,
        fields=fields,
        rating_scale=source.rating_scale,
        url_template=source.url_template,
        date_format=source.date_format,
        first_match_only=True,
        required=("text",) if source.undated else ("text", "created_at"),
    ).override(source.columns)
    if stream.columns is not None:
        profile.bind(stream.columns, shown, source.columns)
        if stream.arrow_schema is not None:
            check_column_types(profile.fields, stream.arrow_schema, shown)
        has_rating = bool(profile.fields.get("rating"))
    else:
        profile.getter = get_dotted
        keys = {k.lower() for k in stream.sample_keys}
        for name, candidates in profile.fields.items():  # the alias the data uses, as for a header
            present = [c for c in candidates if c.split(".", 1)[0].lower() in keys]
            if present:
                profile.fields[name] = present[:1]
        has_rating = source.columns.rating is not None or any(c.lower() in keys for c in fields["rating"])
    profile.kind = _kind(source, has_rating)
    return profile


def _open_csv(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(path, encoding=source.encoding, delimiter=source.delimiter)


def _open_jsonl(path: Path, source: SourceConfig) -> RowStream:
    return read_jsonl(path, encoding=source.encoding)


def _open_parquet(path: Path, source: SourceConfig) -> RowStream:
    return read_parquet(path, batch_rows=source.chunk_rows)


def _open_excel(path: Path, source: SourceConfig) -> RowStream:
    return read_excel(path, sheet=source.sheet)


CSV = FileFormat("csv", _open_csv, generic_profile)
JSONL = FileFormat("jsonl", _open_jsonl, generic_profile, has_header=False)
PARQUET = FileFormat("parquet", _open_parquet, generic_profile)
EXCEL = FileFormat("excel", _open_excel, generic_profile)
