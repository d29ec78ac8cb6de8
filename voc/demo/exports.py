"""The demo exports' columns and the containers the writers take (no logic).

The header of each real format (Zendesk, App Store, Google Play, Qualtrics, Typeform),
and `FileData`/`DemoData`, what `voc.demo.rows.build_demo_data` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voc.demo.plan import (
    Calendar,
    PlannedItem,
)

ZENDESK_FIELDS: list[str] = [
    "id",
    "url",
    "created_at",
    "updated_at",
    "subject",
    "description",
    "status",
    "priority",
    "requester_id",
    "organization_id",
    "tags",
    "via",
    "satisfaction_rating",
    "custom_fields",
]
ZENDESK_SEGMENT_FIELD = 360001
ZENDESK_ARR_FIELD = 360002
ZENDESK_HOST = "https://northwind.zendesk.com"
APP_STORE_COLUMNS: list[str] = [
    "Review ID",
    "Date",
    "Rating",
    "Title",
    "Review",
    "User Name",
    "App Version",
    "Country",
]
GOOGLE_PLAY_COLUMNS: list[str] = [
    "Package Name",
    "App Version Code",
    "App Version Name",
    "Reviewer Language",
    "Device",
    "Review Submit Date and Time",
    "Review Submit Millis Since Epoch",
    "Review Last Update Date and Time",
    "Review Last Update Millis Since Epoch",
    "Star Rating",
    "Review Title",
    "Review Text",
    "Developer Reply Date and Time",
    "Developer Reply Millis Since Epoch",
    "Developer Reply Text",
    "Review Link",
]
NPS_QUESTION = "How likely are you to recommend Northwind to a friend or colleague?"
NPS_REASON = "What is the primary reason for your score?"
QUALTRICS_COLUMNS: list[str] = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "DistributionChannel",
    "UserLanguage",
    "Q1",
    "Q2",
    "CustomerID",
    "Segment",
    "ARR",
]
QUALTRICS_LABELS: list[str] = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient First Name",
    "Recipient Email",
    "External Data Reference",
    "Distribution Channel",
    "User Language",
    NPS_QUESTION + " - 0-10",
    NPS_REASON,
    "CustomerID",
    "Segment",
    "ARR",
]
QUALTRICS_IMPORT_IDS: list[str] = [
    '{"ImportId":"startDate","timeZone":"UTC"}',
    '{"ImportId":"endDate","timeZone":"UTC"}',
    '{"ImportId":"status"}',
    '{"ImportId":"ipAddress"}',
    '{"ImportId":"progress"}',
    '{"ImportId":"duration"}',
    '{"ImportId":"finished"}',
    '{"ImportId":"recordedDate","timeZone":"UTC"}',
    '{"ImportId":"_recordId"}',
    '{"ImportId":"recipientLastName"}',
    '{"ImportId":"recipientFirstName"}',
    '{"ImportId":"recipientEmail"}',
    '{"ImportId":"externalDataReference"}',
    '{"ImportId":"distributionChannel"}',
    '{"ImportId":"userLanguage"}',
    '{"ImportId":"QID1"}',
    '{"ImportId":"QID2_TEXT"}',
    '{"ImportId":"CustomerID"}',
    '{"ImportId":"Segment"}',
    '{"ImportId":"ARR"}',
]
CSAT_QUESTION = "How satisfied were you with your support experience?"
CSAT_COMMENT = "Tell us more about your experience"
TYPEFORM_COLUMNS: list[str] = [
    "#",
    CSAT_QUESTION,
    CSAT_COMMENT,
    "Start Date (UTC)",
    "Submit Date (UTC)",
    "Network ID",
]
PLAY_PACKAGE = "com.northwind.home"
PLAY_DEVICES: tuple[str, ...] = (
    "shiba",
    "husky",
    "komodo",
    "caiman",
    "a54x",
    "a35x",
    "dm1q",
    "dm3q",
    "e3q",
    "OnePlus12",
    "aurora",
    "tokay",
    "lynx",
    "felix",
    "m34x",
    "ginkgo",
    "sweet",
    "cancunf",
    "",
)
DEV_REPLIES: dict[str, tuple[str, ...]] = {
    "negative": (
        "Hi, we're sorry about this experience. Please contact us at support@northwind.example so we can look into it.",
        "Thanks for the feedback and apologies for the trouble. Our team is working on a fix in the next release.",
        "Sorry to hear that! Could you send us the details via the in-app chat? We'd like to help.",
        "We apologise for the inconvenience. Please update to the latest version and let us know if it persists.",
    ),
    "positive": (
        "Thank you so much for the kind words!",
        "Thanks for the review, we're glad you like the app!",
        "We really appreciate it, thanks for being a Northwind customer.",
    ),
}
EN_COUNTRIES: tuple[str, ...] = ("US", "US", "US", "GB", "GB", "CA", "AU", "IE", "NZ")

STAGE_TAGS: dict[str, str] = {
    "onboarding & delivery": "shipping",
    "product use": "app",
    "billing & account": "billing",
    "renewal & cancellation": "account",
    "purchase & evaluation": "sales",
    "support & service": "",
}


@dataclass(frozen=True)
class RawLine:
    """A line written as-is, bypassing the format's writer (malformed rows)."""

    text: str


@dataclass
class Planted:
    """A duplicate or bad row planted in an export, for `voc status` to account for."""

    file: str
    row: int  # 1-based data-record number in the file (header rows not counted)
    kind: str  # "duplicate" | "updated_duplicate" | "bad"
    reason: str
    key: str


@dataclass
class FileData:
    """What a writer needs for one export file."""

    name: str
    header: list[list[str]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # dict (json), list[str] (csv) or RawLine
    keys: list[str] = field(default_factory=list)  # external key of each record ("" when none)


@dataclass
class DemoData:
    """Everything generated for one seed, before any file is written."""

    calendar: Calendar
    files: dict[str, FileData]
    truth: list[dict[str, Any]]
    planted: list[Planted]
    items: list[PlannedItem]
    templates: list[list[str]]  # per truth row: the bank entries its text used
    at_risk_accounts: list[str]
    emerging_counts: dict[str, int]
