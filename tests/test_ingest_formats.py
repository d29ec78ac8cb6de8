"""Named export formats map with no hand configuration."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from voc.config import ColumnMap, SourceConfig, VocConfig
from voc.errors import InputError
from voc.ingest import make_connector
from voc.schema import Kind, RatingScale


def read(tmp_path: Path, fmt: str, name: str, **src):
    cfg = VocConfig(root=tmp_path)
    chunks = list(make_connector(SourceConfig(name="src", format=fmt, path=name, **src), cfg).read({}))
    recs = [r for c in chunks for r in c.records]
    bad = [q for c in chunks for q in c.quarantined]
    return recs, bad


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding=encoding)


# -- Zendesk -----------------------------------------------------------------------

TICKET = {
    "id": 35436,
    "url": "https://acme.zendesk.com/api/v2/tickets/35436.json",
    "created_at": "2026-01-05T13:45:00Z",
    "updated_at": "2026-01-06T09:00:00Z",
    "subject": "Cannot log in",
    "description": "<p>The login page <b>hangs</b> after I enter my password.</p>",
    "status": "open",
    "priority": "high",
    "requester_id": 20978392,
    "organization_id": 509974,
    "tags": ["login", "web"],
    "via": {"channel": "email", "source": {"from": {}}},
    "satisfaction_rating": {"score": "bad"},
    "custom_fields": [
        {"id": 360001, "value": "enterprise"},
        {"id": 360002, "value": "48000"},
        {"id": 7, "value": None},
    ],
}


def ticket(i: int, **kw) -> dict:
    t = json.loads(json.dumps(TICKET))
    t["id"] = i
    t["url"] = f"https://acme.zendesk.com/api/v2/tickets/{i}.json"
    t.update(kw)
    return t


def check_ticket(r, i: int = 35436) -> None:
    assert r.id == f"src:{i}" and r.external_id == str(i)
    assert r.kind == Kind.ticket and r.channel == "email"
    assert r.title == "Cannot log in" and "<b>hangs</b>" in r.text  # HTML is the cleaning stage's job
    assert r.customer_id == "20978392"
    assert r.created_at.isoformat() == "2026-01-05T13:45:00+00:00"
    assert r.updated_at.isoformat() == "2026-01-06T09:00:00+00:00"
    assert (r.rating, r.rating_scale) == (1.0, RatingScale.csat)
    assert r.metadata["status"] == "open" and r.metadata["tags"] == ["login", "web"]
    assert r.metadata["custom_fields"] == {"360001": "enterprise", "360002": "48000"}
    assert r.metadata["satisfaction_score"] == "bad"


def test_zendesk_json_document(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(
        json.dumps({"tickets": [ticket(35436), ticket(2, description="")], "count": 2})
    )
    recs, bad = read(tmp_path, "zendesk_json", "t.json")
    (r,) = recs
    check_ticket(r)
    assert r.url == TICKET["url"]  # API url when no template
    assert [(q.reason, q.input_row) for q in bad] == [("missing_text", 1)]


def test_zendesk_ndjson_with_custom_field_columns_and_url_template(tmp_path: Path) -> None:
    lines = [json.dumps(ticket(1)), json.dumps(ticket(2, satisfaction_rating={"score": "offered"})), "{oops"]
    (tmp_path / "t.ndjson").write_text("\n".join(lines) + "\n")
    recs, bad = read(
        tmp_path,
        "zendesk_json",
        "t.ndjson",
        columns=ColumnMap(segment="custom_fields.360001", revenue="custom_fields.360002"),
        url_template="https://acme.zendesk.com/agent/tickets/{id}",
    )
    check_ticket(recs[0], 1)
    assert (recs[0].segment, recs[0].revenue) == ("enterprise", 48000.0)
    assert recs[0].url == "https://acme.zendesk.com/agent/tickets/1"
    assert recs[1].rating is None and recs[1].rating_scale is None
    assert [(q.reason, q.input_row) for q in bad] == [("bad_row", 2)]


ZENDESK_CSV_HEADER = [
    "Id", "Subject", "Description", "Status", "Priority", "Requester", "Requester id", "Organization",
    "Via", "Created at", "Updated at", "Tags", "Satisfaction Score",
]  # fmt: skip


def test_zendesk_csv(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "z.csv",
        [
            ZENDESK_CSV_HEADER,
            [101, "Refund", "I want my money back", "solved", "normal", "Jane Roe", 77, "Acme", "Web form",
             "2026-01-05 13:45:00", "2026-01-06 10:00:00", "billing refund", "Good"],
            [102, "Hm", "text", "open", "low", "J", 78, "", "Email", "2026-01-05", "", "", "Unoffered"],
        ],
    )  # fmt: skip
    recs, bad = read(
        tmp_path, "zendesk_csv", "z.csv", url_template="https://acme.zendesk.com/agent/tickets/{id}"
    )
    assert not bad
    r = recs[0]
    assert (r.id, r.title, r.text, r.customer_id, r.channel) == (
        "src:101",
        "Refund",
        "I want my money back",
        "77",
        "Web form",
    )
    assert (r.rating, r.rating_scale, r.kind) == (5.0, RatingScale.csat, Kind.ticket)
    assert r.url == "https://acme.zendesk.com/agent/tickets/101"
    assert r.metadata == {"Status": "solved", "Priority": "normal", "Organization": "Acme", "Tags": "billing refund",
                          "satisfaction_score": "Good"}  # fmt: skip
    assert "Jane Roe" not in json.dumps(r.metadata)  # requester name is PII: not copied
    assert recs[1].rating is None


# -- app stores, Trustpilot ------------------------------------------------------------


def test_app_store(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "ios.csv",
        [
            ["Review ID", "Date", "Rating", "Title", "Review", "User Name", "App Version", "Country"],
            ["9001", "2026-01-05T13:45:00Z", "2", "Crashes", "Crashes on launch", "jdoe", "4.2.0", "US"],
            ["9002", "2026-01-05", "7", "?", "seven stars", "x", "4.2.0", "GB"],
        ],
    )
    recs, bad = read(tmp_path, "app_store", "ios.csv")
    (r,) = recs
    assert (r.id, r.kind, r.channel, r.rating, r.rating_scale) == (
        "src:9001",
        Kind.review,
        "app_store",
        2.0,
        RatingScale.stars,
    )
    assert (r.title, r.text) == ("Crashes", "Crashes on launch")
    assert r.metadata == {"App Version": "4.2.0", "Country": "US"}
    assert [q.reason for q in bad] == ["rating_out_of_range"]


GOOGLE_PLAY_HEADER = [
    "Package Name", "App Version Code", "App Version Name", "Reviewer Language", "Device",
    "Review Submit Date and Time", "Review Submit Millis Since Epoch", "Review Last Update Date and Time",
    "Review Last Update Millis Since Epoch", "Star Rating", "Review Title", "Review Text",
    "Developer Reply Date and Time", "Developer Reply Millis Since Epoch", "Developer Reply Text", "Review Link",
]  # fmt: skip


def test_google_play_utf16(tmp_path: Path) -> None:
    link = "https://play.google.com/console/developers/1/app/2/user-feedback/review-details?reviewId=abc"
    write_csv(
        tmp_path / "reviews_com.acme.app_202601.csv",
        [
            GOOGLE_PLAY_HEADER,
            ["com.acme.app", "412", "4.1.2", "de", "a52q", "2026-01-05T13:45:00Z", "1767620700000",
             "2026-01-05T13:45:00Z", "1767620700000", "1", "", "Stürzt ständig ab ☹", "", "", "", link],
            ["com.acme.app", "412", "4.1.2", "en", "a52q", "", "1767620700000", "", "", "5", "", "love it", "", "", "", ""],
        ],
        encoding="utf-16",
    )  # fmt: skip
    recs, bad = read(tmp_path, "google_play", "reviews_com.acme.app_202601.csv")
    assert not bad
    r = recs[0]
    assert r.text == "Stürzt ständig ab ☹" and r.language == "de" and r.url == link
    assert (r.kind, r.channel, r.rating, r.product) == (Kind.review, "google_play", 1.0, "com.acme.app")
    assert r.external_id is None and r.id.startswith("src:h")  # no review id: content hash
    assert recs[1].created_at == r.created_at  # millis column used when the date column is empty
    assert r.metadata["Device"] == "a52q"


def test_trustpilot(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "tp.csv",
        [
            ["Review ID", "Review Created (UTC)", "Review Stars", "Review Title", "Review Content",
             "Review Language", "Reference Id", "Consumer Name", "Location"],
            ["5f1a", "2026-01-05 13:45:00", "4", "Good", "Quick delivery", "en", "ORD-1", "Ann", "London, GB"],
        ],
    )  # fmt: skip
    (r,), bad = read(tmp_path, "trustpilot", "tp.csv")
    assert not bad
    assert (r.id, r.channel, r.rating, r.customer_id, r.language) == (
        "src:5f1a",
        "trustpilot",
        4.0,
        "ORD-1",
        "en",
    )
    assert r.metadata == {"Location": "London, GB"}


# -- surveys ---------------------------------------------------------------------------

QUALTRICS_IDS = [
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
    "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
    "DistributionChannel", "UserLanguage", "Q1", "Q2", "Q3", "CustomerID", "Segment", "ARR",
]  # fmt: skip


def qualtrics_rows(import_row: bool = True) -> list[list[str]]:
    texts = [
        "Start Date", "End Date", "Response Type", "IP Address", "Progress", "Duration (in seconds)", "Finished",
        "Recorded Date", "Response ID", "Recipient Last Name", "Recipient First Name", "Recipient Email",
        "External Data Reference", "Distribution Channel", "User Language",
        "How likely are you to recommend Acme to a friend or colleague?",
        "What is the primary reason for your score?", "Which plan are you on?", "CustomerID", "Segment", "ARR",
    ]  # fmt: skip
    imports = [json.dumps({"ImportId": c}) for c in QUALTRICS_IDS]
    base = ["2026-01-05 13:40:00", "2026-01-05 13:45:00", "IP Address", "1.2.3.4", "100", "300", "True",
            "2026-01-05 13:45:00"]  # fmt: skip
    rows = [
        [*base, "R_abc", "Roe", "Jane", "j@x.com", "", "email", "EN", "3", "Support never answers", "Pro",
         "C-9", "enterprise", "120000"],
        [*base, "R_def", "", "", "", "EXT-2", "anonymous", "EN", "10", "", "Free", "", "", ""],
        [*base, "R_ghi", "", "", "", "", "anonymous", "EN", "12", "too high", "Free", "", "", ""],
    ]  # fmt: skip
    return [QUALTRICS_IDS, texts, *([imports] if import_row else []), *rows]


@pytest.mark.parametrize("import_row", [True, False])
def test_qualtrics_three_header_rows(tmp_path: Path, import_row: bool) -> None:
    write_csv(tmp_path / "q.csv", qualtrics_rows(import_row))
    recs, bad = read(tmp_path, "qualtrics", "q.csv")
    (r,) = recs
    assert (r.id, r.kind, r.rating_scale, r.rating) == ("src:R_abc", Kind.survey, RatingScale.nps, 3.0)
    assert (r.text, r.customer_id, r.segment, r.revenue) == (
        "Support never answers",
        "C-9",
        "enterprise",
        120000.0,
    )
    assert r.created_at.isoformat() == "2026-01-05T13:45:00+00:00"
    assert r.input_row == 0  # header rows are not data rows
    assert r.metadata["question"] == "What is the primary reason for your score?"
    assert r.metadata["Q3"] == "Pro"
    assert not {"IPAddress", "RecipientEmail", "RecipientLastName"} & set(r.metadata)
    assert [(q.reason, q.input_row) for q in bad] == [("missing_text", 1), ("rating_out_of_range", 2)]


def test_qualtrics_csat_detected(tmp_path: Path) -> None:
    rows = [
        ["ResponseId", "RecordedDate", "QID5", "QID6"],
        ["Response ID", "Recorded Date", "Overall, how satisfied are you with Acme?", "Tell us why"],
        [
            '{"ImportId":"_recordId"}',
            '{"ImportId":"recordedDate"}',
            '{"ImportId":"QID5"}',
            '{"ImportId":"QID6_TEXT"}',
        ],
        ["R_1", "2026-01-05 10:00:00", "4", "friendly staff"],
    ]
    write_csv(tmp_path / "c.csv", rows)
    (r,), _ = read(tmp_path, "qualtrics", "c.csv")
    assert (r.rating, r.rating_scale, r.text) == (4.0, RatingScale.csat, "friendly staff")


def test_survey_without_comment_question_is_an_input_error(tmp_path: Path) -> None:
    rows = [
        ["ResponseId", "RecordedDate", "Q1"],
        ["Response ID", "Recorded Date", "How likely ... recommend?"],
    ]
    write_csv(tmp_path / "n.csv", rows)
    with pytest.raises(InputError, match="comment"):
        read(tmp_path, "qualtrics", "n.csv")


def test_surveymonkey_two_header_rows(tmp_path: Path) -> None:
    top = ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
           "Last Name", "Custom Data 1", "How likely is it that you would recommend Acme to a friend or colleague?",
           "Which features do you use?", "", "Why did you give that score?"]  # fmt: skip
    sub = ["", "", "", "", "", "", "", "", "", "Response", "Reports", "Dashboards", "Open-Ended Response"]
    row = ["114", "4321", "01/05/2026 01:40:00 PM", "01/05/2026 01:45:00 PM", "1.2.3.4", "a@b.c", "A", "B",
           "CUST-7", "9", "Reports", "", "Dashboards are great"]  # fmt: skip
    write_csv(tmp_path / "sm.csv", [top, sub, row])
    (r,), bad = read(tmp_path, "surveymonkey", "sm.csv")
    assert not bad
    assert (r.id, r.rating, r.rating_scale, r.text, r.customer_id) == ("src:114", 9.0, RatingScale.nps,
                                                                      "Dashboards are great", "CUST-7")  # fmt: skip
    assert r.created_at.isoformat() == "2026-01-05T13:45:00+00:00"
    assert r.metadata["Which features do you use? - Reports"] == "Reports"
    assert r.channel == "surveymonkey"
    assert "Email Address" not in r.metadata


def test_typeform(tmp_path: Path) -> None:
    header = ["#", "On a scale of 0-10, how likely are you to recommend us?", "Anything else you'd like to tell us?",
              "customer_id", "Start Date (UTC)", "Submit Date (UTC)", "Network ID"]  # fmt: skip
    write_csv(
        tmp_path / "tf.csv",
        [
            header,
            [
                "a1b2",
                "6",
                "Pricing is confusing",
                "C-1",
                "2026-01-05 13:40:00",
                "2026-01-05 13:45:00",
                "ff00",
            ],
        ],
    )
    (r,), _ = read(tmp_path, "typeform", "tf.csv")
    assert (r.id, r.rating, r.rating_scale, r.text, r.customer_id, r.kind) == (
        "src:a1b2", 6.0, RatingScale.nps, "Pricing is confusing", "C-1", Kind.survey,
    )  # fmt: skip
    assert r.created_at.isoformat() == "2026-01-05T13:45:00+00:00"
    assert "Network ID" not in r.metadata


def test_column_map_overrides_a_named_format(tmp_path: Path) -> None:
    write_csv(
        tmp_path / "ios.csv",
        [
            ["Review ID", "Date", "Rating", "Title", "Review", "User Name", "App Version", "Country"],
            ["1", "2026-01-05", "5", "t", "r", "u", "4.2", "US"],
        ],
    )
    (r,), _ = read(tmp_path, "app_store", "ios.csv", columns=ColumnMap(product="App Version"))
    assert r.product == "4.2" and "App Version" not in r.metadata
