"""Zendesk tickets: the API/JSON ticket shape and the Zendesk CSV view export.

`zendesk_json` reads ticket objects as the Tickets API returns them -
either a `{"tickets": [...]}` document or NDJSON, one ticket per line,
which is what Zendesk's full JSON export produces. Both are streamed: NDJSON
line by line, the document one ticket at a time. Fields: `id, url,
created_at, updated_at, subject, description, status, priority,
requester_id, organization_id, tags, via.channel, satisfaction_rating.score,
custom_fields[{id, value}]`. Column-map entries may be dotted paths,
including `custom_fields.<id>`.

`zendesk_csv` reads the CSV export of a view: `Id, Subject, Description,
Status, Priority, Requester, Requester id, Organization, Via, Created at,
Updated at, Tags, Satisfaction Score`.

The satisfaction score `good`/`bad` becomes a CSAT rating of 5/1 (Zendesk
CSAT is binary; on the 1-5 scale `good` counts as satisfied and `bad` as
not); `offered`/`unoffered` mean no answer. The raw score is kept in
metadata as `satisfaction_score`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voc.config import SourceConfig
from voc.ingest.files import RowStream, is_json_lines, read_csv, read_json_document, read_jsonl
from voc.ingest.filesource import FileFormat
from voc.ingest.mapping import Profile, get_dotted, get_flat, is_blank
from voc.schema import Kind, RatingScale

JSON_FIELDS: dict[str, list[str]] = {
    "id": ["id"],
    "title": ["subject"],
    "text": ["description"],
    "created_at": ["created_at"],
    "updated_at": ["updated_at"],
    "customer_id": ["requester_id"],
    "channel": ["via.channel"],
    "url": ["url"],
    "rating": ["satisfaction_rating.score"],
}

CSV_FIELDS: dict[str, list[str]] = {
    "id": ["Id"],
    "title": ["Subject"],
    "text": ["Description"],
    "created_at": ["Created at"],
    "updated_at": ["Updated at"],
    "customer_id": ["Requester id"],
    "channel": ["Via"],
    "rating": ["Satisfaction Score"],
}


def satisfaction_rating(value: Any) -> float | None:
    """Zendesk satisfaction score -> CSAT 5 (good) / 1 (bad) / None (offered, unoffered)."""
    if is_blank(value):
        return None
    s = str(value).strip().lower()
    if s.startswith("good"):  # the CSV says "Good" or "Good with comment"
        return 5.0
    if s.startswith("bad"):
        return 1.0
    if s in {"offered", "unoffered", "not offered", "not_offered"}:
        return None
    raise ValueError(f"unknown satisfaction score {value!r}")


def _json_metadata(meta: dict[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    custom = row.get("custom_fields")
    if isinstance(custom, list):
        meta["custom_fields"] = {
            str(e.get("id")): e.get("value")
            for e in custom
            if isinstance(e, Mapping) and not is_blank(e.get("value"))
        }
    score = get_dotted(row, "satisfaction_rating.score")
    if not is_blank(score):
        meta["satisfaction_score"] = score
    return meta


def _csv_metadata(meta: dict[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    score = row.get("Satisfaction Score")
    if not is_blank(score):
        meta["satisfaction_score"] = score
    return meta


def ticket_profile(source: SourceConfig, *, url_template: str | None = None, csv: bool = False) -> Profile:
    """The Zendesk ticket profile (JSON shape by default), with the user's ColumnMap applied."""
    fields = CSV_FIELDS if csv else JSON_FIELDS
    return Profile(
        source=source.name,
        kind=source.kind or Kind.ticket,
        fields={k: list(v) for k, v in fields.items()},
        rating_scale=RatingScale.csat,
        rating_parser=satisfaction_rating,
        url_template=url_template or source.url_template,
        date_format=source.date_format,
        getter=get_flat if csv else get_dotted,
        skip_metadata={"via", "satisfaction_rating", "custom_fields"} if not csv else set(),
        metadata_transform=_csv_metadata if csv else _json_metadata,
    ).override(source.columns)


def _open_json(path: Path, source: SourceConfig) -> RowStream:
    if is_json_lines(path, "tickets"):
        return read_jsonl(path, encoding=source.encoding)
    return read_json_document(path, key="tickets", encoding=source.encoding)


def _json_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    return ticket_profile(source)


def _open_csv(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(path, encoding=source.encoding, delimiter=source.delimiter)


def _csv_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    profile = ticket_profile(source, csv=True)
    if stream.columns is not None:
        profile.bind(stream.columns, shown, source.columns)
    return profile


ZENDESK_JSON = FileFormat("zendesk_json", _open_json, _json_profile, has_header=False)
ZENDESK_CSV = FileFormat("zendesk_csv", _open_csv, _csv_profile)
