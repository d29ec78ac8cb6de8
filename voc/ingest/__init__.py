"""Connectors: read a configured source in chunks of `FeedbackRecord`s.

`make_connector(source, config)` returns an object whose
`read(watermarks, full=False)` yields `Chunk`s (records, quarantined rows,
and the watermark that becomes true once the chunk is committed).

| format | module | reads |
|---|---|---|
| csv, jsonl, parquet, excel | `generic` | any table, mapped by `sources[].columns` |
| zendesk_json, zendesk_csv | `zendesk` | Zendesk ticket JSON/NDJSON, view CSV export |
| zendesk_api | `zendesk_api` | Zendesk incremental ticket export API (cursor) |
| app_store, google_play | `app_reviews` | App Store Connect / Play Console review CSVs |
| trustpilot | `trustpilot` | Trustpilot Business review export |
| qualtrics, surveymonkey, typeform | `surveys` | survey response CSVs |
"""

from __future__ import annotations

from voc.config import SourceConfig, VocConfig
from voc.errors import ConfigError
from voc.ingest.base import Chunk, Connector
from voc.ingest.filesource import FileConnector, FileFormat


def file_formats() -> dict[str, FileFormat]:
    """Every file format by its `sources[].format` name."""
    from voc.ingest import app_reviews, generic, surveys, trustpilot, zendesk

    formats = [
        generic.CSV, generic.JSONL, generic.PARQUET, generic.EXCEL,
        zendesk.ZENDESK_JSON, zendesk.ZENDESK_CSV,
        app_reviews.APP_STORE, app_reviews.GOOGLE_PLAY,
        trustpilot.TRUSTPILOT,
        surveys.QUALTRICS, surveys.SURVEYMONKEY, surveys.TYPEFORM,
    ]  # fmt: skip
    return {f.name: f for f in formats}


def make_connector(source: SourceConfig, config: VocConfig) -> Connector:
    """The connector for one configured source."""
    if source.format == "zendesk_api":
        from voc.ingest.zendesk_api import ZendeskApiConnector

        return ZendeskApiConnector(source, config)
    formats = file_formats()
    fmt = formats.get(source.format)
    if fmt is None:  # pragma: no cover - SourceFormat and this table list the same names
        raise ConfigError(f"source {source.name!r}: no connector for format {source.format!r}", code="E105")
    return FileConnector(source, config, fmt)


__all__ = ["Chunk", "Connector", "FileConnector", "make_connector"]
