"""Sentence and clause splitting (spaCy senter + contrastive cuts)."""

from __future__ import annotations

import pytest

from voc.nlp.sentences import Span, contrast_pairs, split_texts

pytestmark = pytest.mark.model


def _check_offsets(text: str, spans: list[Span]) -> None:
    for s in spans:
        assert text[s.start : s.end] == s.text
    starts = [s.start for s in spans]
    assert starts == sorted(starts)


def test_sentences_and_offsets() -> None:
    text = "The app crashed twice today. Support answered quickly! Will the fix ship soon?"
    [spans] = list(split_texts([text]))
    assert [s.text for s in spans] == [
        "The app crashed twice today.",
        "Support answered quickly!",
        "Will the fix ship soon?",
    ]
    _check_offsets(text, spans)


def test_contrast_splits_praise_from_complaint() -> None:
    text = "the staff were lovely but my refund is three weeks late"
    [spans] = list(split_texts([text]))
    assert [s.text for s in spans] == ["the staff were lovely", "but my refund is three weeks late"]
    _check_offsets(text, spans)
    [whole] = list(split_texts([text], clauses=False))
    assert [s.text for s in whole] == [text]


def test_contrast_pairs_are_clauses_cut_at_a_contrast_word() -> None:
    texts = [
        "the staff were lovely but my refund is three weeks late",
        "The staff were lovely. But my refund is three weeks late.",  # a sentence opening with "But" too
        "The seats were great, however the wifi never worked. Thanks anyway.",
        "The seats were fine. The wifi never worked, and nobody came.",  # no contrast word
    ]
    spans = list(split_texts(texts))
    assert [contrast_pairs(ss) for ss in spans] == [[1], [1], [1], []]
    assert spans[2][1].text == "however the wifi never worked."


def test_short_clause_stays_with_its_neighbour() -> None:
    [spans] = list(split_texts(["Fine but slow."]))
    assert [s.text for s in spans] == ["Fine but slow."]


def test_empty_and_blank_text() -> None:
    assert list(split_texts(["", "   ", None])) == [[], [], []]  # type: ignore[list-item]


def test_order_is_kept_and_long_text_is_fully_covered() -> None:
    long = " ".join(f"Sentence number {i} talks about the delivery delay." for i in range(300))
    texts = ["First one.", long, "Last one."]
    out = list(split_texts(texts))
    assert out[0][0].text == "First one." and out[2][0].text == "Last one."
    assert len(out[1]) == 300
    _check_offsets(long, out[1])
    assert sum(len(s.text) for s in out[1]) + 299 == len(long)  # nothing dropped but the joining spaces


def test_redaction_placeholders_are_never_cut_and_blank_lines_end_sentences() -> None:
    texts = [
        "Call me on [PHONE] pls.\n\nG. Doe\nFacilities Lead",
        "Hi team,\n\nfirst time contacting support. The app crashes on login.",
        "Email [EMAIL] or ring [PHONE]. Thanks!",
        "The hub is offline again\nand the app shows nothing",  # a hard-wrapped sentence stays whole
    ]
    got = list(split_texts(texts))
    assert [s.text for s in got[0]] == ["Call me on [PHONE] pls.", "G. Doe\nFacilities Lead"]
    assert [s.text for s in got[1]] == [
        "Hi team",
        "first time contacting support.",
        "The app crashes on login.",
    ]
    assert [s.text for s in got[2]] == ["Email [EMAIL] or ring [PHONE].", "Thanks!"]
    assert len(got[3]) == 1


def test_a_transcribers_bracketed_note_is_never_cut() -> None:
    texts = ["The driver was late [word unreadable] before going to hospital. Staff were kind.",
             "[Name Redacted] was good at pretending to listen"]  # fmt: skip
    got = list(split_texts(texts, clauses=False))
    assert [s.text for s in got[0]] == [
        "The driver was late [word unreadable] before going to hospital.",
        "Staff were kind.",
    ]
    assert [s.text for s in got[1]] == [texts[1]]
    _check_offsets(texts[0], got[0])
    for text, spans in zip(texts, got, strict=True):
        assert all(text[s.start : s.end] == s.text for s in spans)  # offsets index the original text


def test_streaming_keeps_input_order_across_chunks() -> None:
    texts = [f"Order {i} arrived late.\n\nSecond paragraph {i}." if i % 3 else "" for i in range(50)]
    got = list(split_texts(texts, batch_size=7))
    assert len(got) == 50
    for i, spans in enumerate(got):
        assert [s.text for s in spans] == (
            [] if i % 3 == 0 else [f"Order {i} arrived late.", f"Second paragraph {i}."]
        )
