"""Config of the feedback sources: where to read and how to map columns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from voc.schema import Kind, RatingScale

SourceFormat = Literal[
    "csv",
    "jsonl",
    "parquet",
    "excel",
    "zendesk_json",
    "zendesk_csv",
    "app_store",
    "google_play",
    "trustpilot",
    "qualtrics",
    "surveymonkey",
    "typeform",
    "zendesk_api",
]


class ColumnMap(BaseModel):
    """Which column of the export holds each record field (generic formats)."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    text: str | None = None
    title: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    rating: str | None = None
    customer_id: str | None = None
    segment: str | None = None
    revenue: str | None = None
    product: str | None = None
    channel: str | None = None
    url: str | None = None
    language: str | None = None


class ZendeskApiConfig(BaseModel):
    """Zendesk incremental ticket export API."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="e.g. https://acme.zendesk.com")
    email: str | None = None
    token_env: str = Field(
        default="ZENDESK_API_TOKEN", description="environment variable holding the API token"
    )
    start_time: int = Field(default=0, description="unix time to start from on the first run")
    page_size: int = 1000
    max_retries: int = 5
    timeout_s: float = 30.0
    ticket_url_template: str | None = Field(
        default=None, description="link back to a ticket, e.g. https://acme.zendesk.com/agent/tickets/{id}"
    )


class SourceConfig(BaseModel):
    """One configured source of feedback."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    format: SourceFormat
    path: str | None = Field(
        default=None, description="file or glob, relative to the config file's project root"
    )
    kind: Kind | None = Field(
        default=None, description="defaults from the format (tickets, reviews, surveys)"
    )
    columns: ColumnMap = Field(default_factory=ColumnMap)
    rating_scale: RatingScale | None = None
    encoding: str | None = Field(
        default=None, description="file encoding; detected (utf-8, BOM, latin-1) when unset"
    )
    delimiter: str | None = Field(
        default=None, description="CSV delimiter; sniffed from the header (, ; TAB |) when unset"
    )
    sheet: str | None = Field(
        default=None, description="Excel: worksheet to read; the first sheet when unset"
    )
    date_format: str | None = Field(default=None, description="strftime format when dates are not ISO-like")
    date_order: Literal["auto", "dmy", "mdy"] = Field(
        default="auto",
        description="numeric dates like 03/04/2025: dmy (day first), mdy (month first), or auto "
        "(decided per column from values such as 31/12; ambiguous values are quarantined)",
    )
    timezone: str | None = Field(
        default=None,
        description="IANA zone of times written without one (e.g. Europe/Berlin); UTC when unset",
    )
    undated: bool = Field(
        default=False,
        description="the export carries no dates: items are stored without created_at and analysed as "
        "one period (no trends); generic formats only",
    )
    url_template: str | None = Field(default=None, description="link back to the record, e.g. https://x/{id}")
    chunk_rows: int = Field(default=5000, ge=1)
    api: ZendeskApiConfig | None = None
    enabled: bool = True

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone; use e.g. 'Europe/Berlin' or 'UTC'"
            ) from None
        return value

    @model_validator(mode="after")
    def _undated_has_no_date_column(self) -> SourceConfig:
        if self.undated and self.columns.created_at:
            raise ValueError(
                f"undated is true but columns.created_at names {self.columns.created_at!r}; "
                "remove one of the two"
            )
        if self.undated and self.format not in ("csv", "jsonl", "parquet", "excel"):
            raise ValueError(
                f"undated applies to the generic formats (csv, jsonl, parquet, excel), not {self.format!r}, "
                "whose exports always carry a date"
            )
        return self
