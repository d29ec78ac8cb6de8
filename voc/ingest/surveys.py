"""Survey exports: Qualtrics, SurveyMonkey and Typeform response CSVs.

Each export names its questions by their text, so the rating question and
the open comment are found by what they ask:

- NPS (0-10): "how likely ... recommend", or a column id containing `NPS`
  (not Qualtrics' derived `..._NPS_GROUP`);
- CSAT (1-5): "how satisfied" / "satisfaction", or an id containing `CSAT`;
- the comment: "reason for your score", "why", "comment", "tell us",
  "feedback", "anything else", "improve"; SurveyMonkey's
  `Open-Ended Response` and Qualtrics' `_TEXT` columns are preferred.

`sources[].columns.rating` / `.text` override the detection and
`rating_scale` forces the scale. A response with no comment is quarantined
as `missing_text`. Embedded-data columns `CustomerID` (or Qualtrics'
`ExternalReference`), `Segment` and `ARR` (case-insensitive) become
customer_id, segment and revenue.

Layouts:
- Qualtrics (Data & Analysis > Export > CSV): row 1 column ids (`StartDate,
  EndDate, Status, IPAddress, Progress, Duration (in seconds), Finished,
  RecordedDate, ResponseId, Recipient..., ExternalReference,
  DistributionChannel, UserLanguage, Q1, Q2, ...` + embedded data), row 2
  the question texts, row 3 ImportId JSON (`{"ImportId":"QID1"}`; absent in
  legacy exports). `ResponseId` -> id, `RecordedDate` -> created_at.
- SurveyMonkey (Analyze > Save as > CSV, expanded): row 1 question texts and
  fixed fields (`Respondent ID, Collector ID, Start Date, End Date, IP
  Address, Email Address, First Name, Last Name, Custom Data 1`), row 2
  sub-headers (`Response`, `Open-Ended Response`, or a choice per column).
  `Respondent ID` -> id, `End Date` -> created_at, `Custom Data 1` -> customer_id.
- Typeform (Results > Download > CSV): one header row: `#`, the question
  texts, hidden fields, `Start Date (UTC)`, `Submit Date (UTC)`, `Network ID`.
  `#` -> id, `Submit Date (UTC)` -> created_at.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voc.config import SourceConfig
from voc.errors import InputError
from voc.ingest.files import RowStream, read_csv, unique_names
from voc.ingest.filesource import FileFormat
from voc.ingest.mapping import Profile
from voc.schema import Kind, RatingScale

log = logging.getLogger(__name__)

NPS_TEXT = re.compile(r"likely\b.*\brecommend|net promoter", re.I)
CSAT_TEXT = re.compile(r"how satisfied|\bsatisf(?:ied|action)\b", re.I)
COMMENT_TEXT = re.compile(
    r"reason for your (?:score|rating|answer)|\bwhy\b|comment|tell us|feedback|anything else|"
    r"improve|explain|what (?:could|can|should) we|describe",
    re.I,
)

# Embedded data / hidden fields every survey layout may carry (matched case-insensitively).
COMMON_FIELDS: dict[str, list[str]] = {
    "customer_id": ["CustomerID", "Customer ID", "customer_id", "AccountID", "account_id"],
    "segment": ["Segment", "plan"],
    "revenue": ["ARR", "Revenue", "MRR"],
}


@dataclass
class SurveyColumns:
    """What detection found: the rating and comment columns, with their questions."""

    rating: str | None
    scale: RatingScale | None
    comment: str
    rating_question: str | None
    comment_question: str


def detect_columns(
    questions: list[tuple[str, str]],
    *,
    scale: RatingScale | None,
    preferred_comments: set[str],
    shown: str,
) -> SurveyColumns:
    """Pick the NPS/CSAT and comment columns from (column key, question text) pairs."""
    rating = None
    found_scale = None
    for want, pattern, tag in ((RatingScale.nps, NPS_TEXT, "nps"), (RatingScale.csat, CSAT_TEXT, "csat")):
        if scale not in (None, want) or rating is not None:
            continue
        for key, text in questions:
            k = key.lower()
            if k.endswith("_nps_group"):
                continue
            if pattern.search(text) or re.search(rf"(?:^|[^a-z]){tag}(?:[^a-z]|$)", k):
                rating, found_scale = key, want
                break
    texts = dict(questions)
    candidates = [k for k, t in questions if k != rating and COMMENT_TEXT.search(t)]
    preferred = [k for k in candidates if k in preferred_comments]
    comment = (
        preferred
        or candidates
        or [k for k, _ in questions if k in preferred_comments and k != rating]
        or [None]
    )[0]
    if comment is None:
        listed = "; ".join(f"{k}: {t[:60]!r}" for k, t in questions[:30])
        raise InputError(
            f"{shown}: no open-ended comment question found (looked for 'reason for your score', 'why', "
            f"'comment', 'tell us', ...). Questions: {listed}. Set sources[].columns.text to the comment column.",
            code="E207",
        )
    if rating is None:
        log.warning("ingest: %s: no NPS or CSAT question found; responses get no rating", shown)
    return SurveyColumns(rating, found_scale, comment, texts.get(rating) if rating else None, texts[comment])


def _build(
    source: SourceConfig,
    stream: RowStream,
    shown: str,
    *,
    fields: dict[str, list[str]],
    questions: list[tuple[str, str]],
    preferred_comments: set[str],
    channel: str,
) -> Profile:
    scale = source.rating_scale
    if source.columns.text and source.columns.rating:
        cols = SurveyColumns(source.columns.rating, scale, source.columns.text, None, source.columns.text)
    else:
        cols = detect_columns(questions, scale=scale, preferred_comments=preferred_comments, shown=shown)
    all_fields = {**{k: list(v) for k, v in COMMON_FIELDS.items()}, **{k: list(v) for k, v in fields.items()}}
    all_fields["text"] = [cols.comment]
    if cols.rating:
        all_fields["rating"] = [cols.rating]
    extra = {"question": cols.comment_question}
    if cols.rating_question:
        extra["rating_question"] = cols.rating_question
    profile = Profile(
        source=source.name,
        kind=source.kind or Kind.survey,
        fields=all_fields,
        channel=channel,
        rating_scale=source.rating_scale or cols.scale or RatingScale.nps,
        lenient_rating=True,
        url_template=source.url_template,
        date_format=source.date_format,
        extra_metadata=extra,
    ).override(source.columns)
    if stream.columns is not None:
        profile.bind(stream.columns, shown, source.columns)
    return profile


# -- Qualtrics -------------------------------------------------------------------

QUALTRICS_FIELDS: dict[str, list[str]] = {
    "id": ["ResponseId", "ResponseID"],
    "created_at": ["RecordedDate", "EndDate"],
    "customer_id": ["ExternalReference", "ExternalDataReference", *COMMON_FIELDS["customer_id"]],
}
QUALTRICS_FIXED = {
    "startdate",
    "enddate",
    "status",
    "ipaddress",
    "progress",
    "duration (in seconds)",
    "finished",
    "recordeddate",
    "responseid",
    "recipientlastname",
    "recipientfirstname",
    "recipientemail",
    "externalreference",
    "locationlatitude",
    "locationlongitude",
    "distributionchannel",
    "userlanguage",
}


def _is_import_id_row(row: list[str]) -> bool:
    return bool(row) and "ImportId" in row[0]


def _open_qualtrics(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(
        path,
        encoding=source.encoding,
        delimiter=source.delimiter,
        header_rows=2,
        extra_header=_is_import_id_row,
    )


def _qualtrics_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    columns = stream.columns or []
    texts = stream.header_rows[1] if len(stream.header_rows) > 1 else columns
    questions = [
        (c, (texts[i] if i < len(texts) else c) or c)
        for i, c in enumerate(columns)
        if c.lower() not in QUALTRICS_FIXED
    ]
    preferred = {c for c, _ in questions if c.upper().endswith("_TEXT")}
    return _build(
        source,
        stream,
        shown,
        fields=QUALTRICS_FIELDS,
        questions=questions,
        preferred_comments=preferred,
        channel="qualtrics",
    )


# -- SurveyMonkey ----------------------------------------------------------------

SURVEYMONKEY_FIELDS: dict[str, list[str]] = {
    "id": ["Respondent ID"],
    "created_at": ["End Date", "Start Date"],
    "customer_id": ["Custom Data 1", *COMMON_FIELDS["customer_id"]],
}
SURVEYMONKEY_FIXED = {
    "respondent id",
    "collector id",
    "start date",
    "end date",
    "ip address",
    "email address",
    "first name",
    "last name",
    "custom data 1",
}
_SM_PLAIN_SUBS = {"", "response", "open-ended response"}


def surveymonkey_columns(headers: list[list[str]]) -> list[str]:
    """Column keys from SurveyMonkey's two header rows.

    A question spans several columns with its text only over the first;
    single-answer and open-ended columns are keyed by the question text,
    the others by `question - sub-header`. Keys are made unique.
    """
    top = headers[0]
    sub = headers[1] if len(headers) > 1 else []
    keys: list[str] = []
    last = ""
    for i, t in enumerate(top):
        t = t.strip()
        s = sub[i].strip() if i < len(sub) else ""
        if t:
            last = t
            key = t if s.lower() in _SM_PLAIN_SUBS else f"{t} - {s}"
        else:
            key = f"{last} - {s}" if s else f"column_{i + 1}"
        keys.append(key)
    return unique_names(keys)


def _open_surveymonkey(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(
        path,
        encoding=source.encoding,
        delimiter=source.delimiter,
        header_rows=2,
        make_columns=surveymonkey_columns,
    )


def _surveymonkey_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    columns = stream.columns or []
    sub = stream.header_rows[1] if len(stream.header_rows) > 1 else []
    questions = [(c, c) for c in columns if c.lower() not in SURVEYMONKEY_FIXED]
    preferred = {
        c for i, c in enumerate(columns) if i < len(sub) and sub[i].strip().lower() == "open-ended response"
    }
    return _build(
        source,
        stream,
        shown,
        fields=SURVEYMONKEY_FIELDS,
        questions=questions,
        preferred_comments=preferred,
        channel="surveymonkey",
    )


# -- Typeform --------------------------------------------------------------------

TYPEFORM_FIELDS: dict[str, list[str]] = {
    "id": ["#", "Response ID", "Token"],
    "created_at": ["Submit Date (UTC)", "Start Date (UTC)"],
}
TYPEFORM_FIXED = {
    "#",
    "start date (utc)",
    "submit date (utc)",
    "stage date (utc)",
    "network id",
    "tags",
    "token",
    "response id",
}


def _open_typeform(path: Path, source: SourceConfig) -> RowStream:
    return read_csv(path, encoding=source.encoding, delimiter=source.delimiter)


def _typeform_profile(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
    columns = stream.columns or []
    questions = [(c, c) for c in columns if c.lower() not in TYPEFORM_FIXED]
    return _build(
        source,
        stream,
        shown,
        fields=TYPEFORM_FIELDS,
        questions=questions,
        preferred_comments=set(),
        channel="typeform",
    )


def _guard_empty(profile: Callable[[RowStream, SourceConfig, str], Profile]):
    """An empty file has no header to detect questions in; it simply has no rows."""

    def build(stream: RowStream, source: SourceConfig, shown: str) -> Profile:
        if stream.columns is None:
            return Profile(source=source.name, kind=Kind.survey, fields={})
        return profile(stream, source, shown)

    return build


QUALTRICS = FileFormat("qualtrics", _open_qualtrics, _guard_empty(_qualtrics_profile))
# SurveyMonkey writes "01/05/2026 01:40:00 PM": month first, whatever the account's locale.
SURVEYMONKEY = FileFormat(
    "surveymonkey", _open_surveymonkey, _guard_empty(_surveymonkey_profile), date_order="mdy"
)
TYPEFORM = FileFormat("typeform", _open_typeform, _guard_empty(_typeform_profile))
