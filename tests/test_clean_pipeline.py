"""clean_record / clean_records: flags, quarantine, truncation, no mutation, order."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from voc.clean import CleanStats, clean_record, clean_records, truncate
from voc.config.core import CleanConfig
from voc.schema import FeedbackRecord, QuarantineRow


def make(text: str, i: int = 1, **kw) -> FeedbackRecord:
    return FeedbackRecord(
        id=f"t:{i}",
        source="t",
        kind=kw.pop("kind", "ticket"),
        created_at=datetime(2026, 1, 5, 10, 0),
        text=text,
        input_file="export.csv",
        input_row=i,
        **kw,
    )


CFG = CleanConfig()


def test_html_email_ticket_end_to_end() -> None:
    rec = make(
        "<p>Hi, my card 4111 1111 1111 1111 was charged twice &amp; nobody answers.</p>"
        "<p>Mail me at jane@example.com</p><p>Best regards,<br>Jane Doe</p>",
        title="Re: <b>double charge</b> call 415-555-0134",
        metadata={"requester": "jane@example.com", "nested": {"ip": "10.0.0.1"}, "n": 3},
    )
    out = clean_record(rec, CFG)
    assert isinstance(out, FeedbackRecord)
    assert out.text == "Hi, my card [CARD] was charged twice & nobody answers.\n\nMail me at [EMAIL]"
    assert out.title == "Re: double charge call [PHONE]"
    assert out.metadata == {"requester": "[EMAIL]", "nested": {"ip": "[IP]"}, "n": 3}
    assert out.language == "en"
    assert set(out.flags) == {"html_stripped", "quoted_reply_removed", "pii_redacted"}


def test_input_record_is_not_mutated() -> None:
    rec = make("Call me: +1 (415) 555-0134 <b>now</b>", metadata={"email": "a@b.com"}, flags=["from_source"])
    before = rec.model_dump()
    out = clean_record(rec, CFG)
    assert rec.model_dump() == before
    assert out is not rec
    assert out.flags == ["from_source", "html_stripped", "pii_redacted"]
    assert rec.metadata == {"email": "a@b.com"}


def test_clean_record_without_changes_is_an_equal_copy() -> None:
    rec = make("The app keeps crashing whenever I open the settings page.", language="en")
    out = clean_record(rec, CFG)
    assert out == rec
    assert out is not rec


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Le service client était très lent et personne n'a répondu à mes courriels.", "fr"),
        ("Die Lieferung kam zwei Wochen zu spät und das Paket war beschädigt.", "de"),
        ("El producto llegó roto y nadie me devolvió el dinero todavía.", "es"),
    ],
)
def test_non_english_is_kept_and_flagged(text: str, code: str) -> None:
    out = clean_record(make(text), CFG)
    assert isinstance(out, FeedbackRecord)
    assert out.text == text
    assert out.language == code
    assert "non_english" in out.flags


def test_source_language_is_kept() -> None:
    out = clean_record(make("The app keeps crashing whenever I open it.", language="de"), CFG)
    assert out.language == "de"
    assert "non_english" in out.flags


def test_short_text_language_is_undetermined() -> None:
    out = clean_record(make("ok"), CFG)
    assert out.language == "und"
    assert "non_english" not in out.flags


def test_mojibake_record_is_repaired_and_flagged() -> None:
    out = clean_record(make("Le service Ã©tait trÃ¨s lent, je suis dÃ©Ã§u du produit."), CFG)
    assert out.text == "Le service était très lent, je suis déçu du produit."
    assert "unicode_repaired" in out.flags


@pytest.mark.parametrize("text", ["<p>   </p>", "   \n\t ", "<script>alert(1)</script>", "\u200b\u200b"])
def test_empty_after_cleaning_is_quarantined(text: str) -> None:
    out = clean_record(make(text, i=7), CFG)
    assert isinstance(out, QuarantineRow)
    assert out.reason == "empty_after_cleaning"
    assert (out.source, out.input_file, out.input_row) == ("t", "export.csv", 7)
    assert json.loads(out.raw)["text"] == text


def test_binary_garbage_is_quarantined_with_pii_redacted() -> None:
    garbage = "\x00\x01\x02\x03\x04\x05\ufffd\ufffd\x06\x07 a@b.com"
    out = clean_record(make(garbage, title="from x@y.org"), CFG)
    assert isinstance(out, QuarantineRow)
    assert out.reason == "binary_garbage"
    assert "binary_garbage_ratio" in out.detail
    raw = json.loads(out.raw)
    assert "a@b.com" not in out.raw and "x@y.org" not in out.raw
    assert raw["text"].endswith("[EMAIL]")
    assert raw["title"] == "from [EMAIL]"


def test_quarantine_raw_redacts_pii_of_empty_record() -> None:
    out = clean_record(make("<p></p>", metadata={"from": "+1 (415) 555-0134"}), CFG)
    assert isinstance(out, QuarantineRow)
    assert "555-0134" not in out.raw


def test_too_short_is_quarantined() -> None:
    out = clean_record(make("hi"), CFG.model_copy(update={"min_text_chars": 5}))
    assert isinstance(out, QuarantineRow)
    assert out.reason == "too_short"


def test_truncation_is_flagged_at_a_word_boundary() -> None:
    text = " ".join(["word"] * 60)  # 299 chars
    out = clean_record(make(text), CFG.model_copy(update={"max_text_chars": 100}))
    assert "truncated" in out.flags
    assert len(out.text) <= 100
    assert out.text.endswith("word")
    assert text.startswith(out.text)


def test_very_long_text_is_truncated_and_still_redacted() -> None:
    text = "call 415-555-0134 now. " * 2000  # 46,000 chars
    out = clean_record(make(text), CFG.model_copy(update={"max_text_chars": 1000}))
    assert "truncated" in out.flags and "pii_redacted" in out.flags
    assert len(out.text) <= 1000
    assert "555" not in out.text


def test_truncate_without_spaces_cuts_hard() -> None:
    assert truncate("x" * 150, 100) == ("x" * 100, True)
    assert truncate("short", 100) == ("short", False)


def test_truncation_never_splits_pii_unredacted() -> None:
    # The card sits across the cut: it is redacted before the text is cut.
    text = "a" * 95 + " 4111 1111 1111 1111 end"
    out = clean_record(make(text), CFG.model_copy(update={"max_text_chars": 100}))
    assert "4111" not in out.text
    assert "truncated" in out.flags


def test_switches_turn_steps_off() -> None:
    cfg = CleanConfig(redact_pii=False, strip_html=False, strip_quoted_replies=False, detect_language=False)
    rec = make("<b>call</b> 415-555-0134\n> quoted")
    out = clean_record(rec, cfg)
    assert out.text == rec.text
    assert out.language is None
    assert out.flags == []


def test_clean_records_keeps_order_and_counts() -> None:
    recs = [
        make("First: the app crashes when I log in.", i=1),
        make("<p></p>", i=2),
        make("Second: mail a@b.com about it.", i=3),
        make("\x00\x01\x02\x03", i=4),
        make("Third: all good now, thanks for the quick fix.", i=5),
    ]
    stats = CleanStats()
    kept, quarantined = clean_records(recs, CFG, source="t", stats=stats)
    assert [r.input_row for r in kept] == [1, 3, 5]
    assert [(q.input_row, q.reason) for q in quarantined] == [
        (2, "empty_after_cleaning"),
        (4, "binary_garbage"),
    ]
    assert stats.records == 5 and stats.kept == 3
    assert stats.pii["EMAIL"] == 1
    assert stats.flags["pii_redacted"] == 1
    assert "quarantined binary_garbage=1, empty_after_cleaning=1" in stats.summary()


def test_clean_records_in_a_process_pool_matches_in_process() -> None:
    recs = [
        make(f"Record {i}: call 415-555-0134 or mail u{i}@example.com about the crash.", i=i)
        for i in range(40)
    ]
    recs.append(make("<p></p>", i=99))
    serial = clean_records(recs, CFG, source="t")
    cfg = CFG.model_copy(update={"workers": 2, "parallel_min_records": 10})
    parallel = clean_records(recs, cfg, source="t")
    assert parallel == serial


@pytest.mark.model
def test_names_are_redacted_in_batches_when_enabled() -> None:
    cfg = CleanConfig(redact_names=True)
    recs = [
        make(
            "I spoke to John Smith at the desk and he was rude to me.",
            i=1,
            title="Complaint about Mary Jones",
        ),
        make("The app crashes whenever I open the settings page.", i=2),
    ]
    kept, quarantined = clean_records(recs, cfg, source="t")
    assert not quarantined
    assert "John Smith" not in kept[0].text and "[NAME]" in kept[0].text
    assert kept[0].title == "Complaint about [NAME]"
    assert "pii_redacted" in kept[0].flags
    assert kept[1].text == recs[1].text
    assert "pii_redacted" not in kept[1].flags


@pytest.mark.shared_data
def test_airline_tweets_clean_without_leaking_emails(shared_data) -> None:
    import csv
    import re

    path = shared_data / "twitter_us_airline_sentiment" / "Tweets.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        texts = [row["text"] for row in csv.DictReader(fh)]
    recs = [make(t, i=i) for i, t in enumerate(texts)]
    kept, quarantined = clean_records(recs, CFG, source="t")
    assert len(kept) + len(quarantined) == len(recs)
    assert len(quarantined) < 0.01 * len(recs)
    raw_email = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
    assert sum(bool(raw_email.search(t)) for t in texts) > 0  # the data does hold e-mail addresses
    assert not [r.text for r in kept if raw_email.search(r.text)]
    english = sum(r.language == "en" for r in kept) / len(kept)
    assert english > 0.9
    assert sum("non_english" in r.flags for r in kept) < 0.01 * len(kept)
