"""Value parsing and row mapping: dates, ratings, quarantine reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from voc.ingest.mapping import Profile, RowProblem, parse_datetime, parse_money, parse_number
from voc.schema import Kind, RatingScale


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-05T13:45:00Z", datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        ("2026-01-05T14:45:00+01:00", datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        ("2026-01-05 13:45:00", datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        ("01/13/2026 13:45", datetime(2026, 1, 13, 13, 45, tzinfo=UTC)),  # only month-first fits
        ("13/01/2026 13:45", datetime(2026, 1, 13, 13, 45, tzinfo=UTC)),  # only day-first fits
        ("Jan 5, 2026", datetime(2026, 1, 5, tzinfo=UTC)),
        ("1767620700", datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        ("1767620700000", datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        (1767620700, datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        (datetime(2026, 1, 5, 13, 45), datetime(2026, 1, 5, 13, 45, tzinfo=UTC)),
        (date(2026, 1, 5), datetime(2026, 1, 5, tzinfo=UTC)),
        ("  ", None),
        (None, None),
    ],
)
def test_parse_datetime(value, expected) -> None:
    assert parse_datetime(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "12", "2026-13-45", "not a date 2026x", "n/a"])
def test_parse_datetime_rejects(value) -> None:
    with pytest.raises(ValueError):
        parse_datetime(value)


def test_a_lone_ambiguous_numeric_date_is_not_guessed() -> None:
    # Without its column, 01/05/2026 is 1 May or 5 January: no month-first default any more.
    with pytest.raises(ValueError, match="could be 1 May 2026 or 5 January 2026"):
        parse_datetime("01/05/2026 13:45")


def test_parse_datetime_with_format() -> None:
    assert parse_datetime("05.01.2026", "%d.%m.%Y") == datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_datetime("2026-01-05", "%d.%m.%Y")


def test_parse_number_and_money() -> None:
    assert parse_number("4") == 4.0
    assert parse_number(" 4.5 ") == 4.5
    assert parse_number("") is None
    with pytest.raises(ValueError):
        parse_number("four")
    assert parse_number("10 - Extremely likely", lenient=True) == 10.0
    with pytest.raises(ValueError):
        parse_number("between 3 and 4", lenient=True)
    assert parse_money("$12,500") == 12500.0
    assert parse_money("12k") == 12000.0
    assert parse_money(None) is None


def profile(**kw) -> Profile:
    base = {
        "source": "src",
        "kind": Kind.review,
        "fields": {"id": ["id"], "text": ["text"], "created_at": ["date"], "rating": ["stars"]},
        "rating_scale": RatingScale.stars,
    }
    base.update(kw)
    return Profile(**base)


def problem(p: Profile, row: dict) -> RowProblem:
    with pytest.raises(RowProblem) as exc:
        p.map(row, input_file="f.csv", input_row=0)
    return exc.value


def test_map_reasons() -> None:
    p = profile()
    ok = {"id": "1", "text": "fine", "date": "2026-01-05", "stars": "5"}
    rec = p.map(ok, input_file="f.csv", input_row=3)
    assert (rec.id, rec.rating, rec.rating_scale, rec.input_row) == ("src:1", 5.0, RatingScale.stars, 3)
    assert problem(p, {**ok, "text": " \n "}).reason == "missing_text"
    e = problem(p, {**ok, "date": "last tuesday"})
    assert e.reason == "bad_date" and "'last tuesday'" in e.detail
    assert problem(p, {**ok, "date": ""}).reason == "bad_date"
    # A rating that is not a number costs the rating, not the row (issue 21).
    rec = p.map({**ok, "stars": "five"}, input_file=None, input_row=None)
    assert rec.rating is None and rec.flags == ["bad_rating"] and rec.metadata["rating_unparsed"] == "five"
    e = problem(p, {**ok, "stars": "0"})
    assert e.reason == "rating_out_of_range" and "1-5" in e.detail
    nps = profile(rating_scale=RatingScale.nps)
    assert nps.map({**ok, "stars": "0"}, input_file=None, input_row=None).rating == 0.0
    assert problem(nps, {**ok, "stars": "11"}).reason == "rating_out_of_range"


def test_content_hash_id_when_no_external_id() -> None:
    p = profile(use_external_id=False)
    row = {"id": "ignored", "text": "same text", "date": "2026-01-05", "stars": "3"}
    a = p.map(row, input_file=None, input_row=0)
    b = p.map(dict(row), input_file=None, input_row=9)
    assert a.id == b.id and a.id.startswith("src:h") and a.external_id is None
    c = p.map({**row, "text": "other text"}, input_file=None, input_row=0)
    assert c.id != a.id


def test_url_template_and_fallback_columns() -> None:
    p = profile(
        fields={"id": ["id"], "text": ["body", "text"], "created_at": ["date", "ts"]},
        url_template="https://x.example/t/{id}",
    )
    rec = p.map(
        {"id": 7, "body": "", "text": "fallback", "date": None, "ts": "1767620700"},
        input_file=None,
        input_row=0,
    )
    assert rec.text == "fallback" and rec.url == "https://x.example/t/7"
    assert rec.created_at == datetime(2026, 1, 5, 13, 45, tzinfo=UTC)


def test_odd_updated_at_and_revenue_are_kept_in_metadata_not_quarantined() -> None:
    p = profile(fields={"text": ["text"], "created_at": ["date"], "updated_at": ["upd"], "revenue": ["arr"]})
    rec = p.map(
        {"text": "t", "date": "2026-01-05", "upd": "soon", "arr": "n/a"}, input_file=None, input_row=0
    )
    assert (rec.updated_at, rec.revenue) == (None, None)
    assert rec.metadata == {"updated_at_unparsed": "soon", "revenue_unparsed": "n/a"}
