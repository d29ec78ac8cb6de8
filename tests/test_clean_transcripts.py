"""Chat transcripts are cut to the customer's turns; other text is left alone."""

from __future__ import annotations

import pytest

from voc.clean.pipeline import clean_fields
from voc.clean.transcripts import is_filler, strip_transcript
from voc.config.core import CleanConfig
from voc.schema import Flag

ZENDESK_CHAT = """Chat started: 2024-03-05 10:31 AM UTC

(10:31:02 AM) Dana Whitfield: hi
(10:31:40 AM) Priya: Hi Dana, thanks for contacting Acme! How can I help?
(10:32:11 AM) Dana Whitfield: My thermostat keeps dropping off the wifi every night.
(10:32:50 AM) Priya: One moment please.
(10:33:05 AM) Dana Whitfield: ok
(10:34:17 AM) Dana Whitfield: It started after the firmware update on Monday
(10:35:00 AM) Priya: I understand, that's frustrating.
(10:35:30 AM) Dana Whitfield: thanks"""


def test_zendesk_chat_keeps_only_the_customers_words() -> None:
    out, changed = strip_transcript(ZENDESK_CHAT)
    assert changed
    assert out.split("\n") == [
        "My thermostat keeps dropping off the wifi every night.",
        "It started after the firmware update on Monday.",  # a turn ends a sentence
    ]


def test_agent_who_opens_the_chat_is_still_found_by_welcome_and_greeting() -> None:
    text = "\n".join(
        [
            "[14:02] Tom: Hi Sam, welcome to Acme support, how can I help you today?",
            "[14:03] Sam Ortiz: the invoice for March charged us twice",
            "[14:04] Tom: Let me check that for you.",
            "[14:05] Sam Ortiz: we were billed $240 instead of $120",
            "[14:06] Tom: Is there anything else I can help with?",
            "[14:06] Sam Ortiz: no that's all",
        ]
    )
    out, changed = strip_transcript(text)
    assert changed
    assert out == "the invoice for March charged us twice.\nwe were billed $240 instead of $120."


def test_plain_time_prefix_and_role_names() -> None:
    text = "\n".join(
        [
            "10:32 Visitor 48213: hello",
            "10:32 Support Bot: Thanks for reaching out. What can I do for you?",
            "10:33 Visitor 48213: my order never arrived and tracking stopped updating",
            "10:34 Support Bot: Sorry to hear that.",
        ]
    )
    out, changed = strip_transcript(text)
    assert changed
    assert out == "my order never arrived and tracking stopped updating."


def test_author_name_decides_the_customer() -> None:
    # No welcome lines: without the author the first speaker would be taken.
    text = "\n".join(
        [
            "(09:00:01 AM) Lee: Reset the hub and try pairing again.",
            "(09:01:12 AM) Morgan Hale: I did, the app still says pairing failed.",
            "(09:02:40 AM) Lee: Which app version are you on?",
            "(09:03:05 AM) Morgan Hale: version 5.1 on an old android phone",
        ]
    )
    first, _ = strip_transcript(text)
    assert first.startswith("Reset the hub")
    out, changed = strip_transcript(text, author="Morgan Hale")
    assert changed
    assert out == "I did, the app still says pairing failed.\nversion 5.1 on an old android phone."
    # A first-name match is enough when it is unambiguous.
    assert strip_transcript(text, author="morgan")[0] == out


def test_wrapped_turns_and_system_lines() -> None:
    text = "\n".join(
        [
            "Conversation with Ana Ruiz",
            "(11:00:00 AM) *** Ana Ruiz joined the chat ***",
            "(11:00:05 AM) Ana Ruiz: The export button does nothing.",
            "I tried Chrome and Firefox.",
            "(11:00:40 AM) Kim: Hi Ana, how can I help?",
            "(11:01:30 AM) Ana Ruiz: Just said it, export is broken",
            "*** Chat ended by Kim ***",
        ]
    )
    out, changed = strip_transcript(text)
    assert changed
    assert (
        out == "The export button does nothing. I tried Chrome and Firefox.\nJust said it, export is broken."
    )


def test_customer_who_only_said_fillers_keeps_them_rather_than_nothing() -> None:
    text = "\n".join(
        [
            "(01:00:00 PM) Jo: hi",
            "(01:00:30 PM) Agent Max: Hi Jo, how can I help?",
            "(01:01:00 PM) Jo: one sec",
            "(01:02:00 PM) Agent Max: Sure.",
            "(01:03:00 PM) Jo: ok thanks",
        ]
    )
    out, changed = strip_transcript(text)
    assert changed
    assert out == "hi.\none sec.\nok thanks."


@pytest.mark.parametrize(
    "text",
    [
        # Prose with times and colons.
        "We called at 10:30: nobody answered.\nAt 11:15 the line was busy again.\nThis is the third day.",
        # A meeting agenda: every "speaker" once.
        "09:00 Welcome: coffee\n09:30 Keynote: roadmap\n10:30 Breakout: billing\n11:00 Lunch: canteen",
        # A pasted log.
        "10:32 ERROR: sync failed\n10:33 ERROR: retry 1\n10:34 INFO: sync ok\n10:35 ERROR: sync failed",
        # Only two timestamped lines.
        "(10:00 AM) Ann: the app crashes\n(10:01 AM) Bob: which phone?",
        # One line.
        "(10:31:02 AM) Dana: hi (10:31:40 AM) Priya: Hi Dana! (10:32 AM) Dana: ok",
        # An e-mail with label lines.
        "Hello,\nOrder: NW-1234\nStatus: delayed\nTracking: none since 12:00 Monday\nPlease help.",
        # A pasted transcript inside a long message: prose outweighs the turns.
        "I want to complain about your chat support.\nThe agent ignored my question.\nThen the chat closed.\n"
        "I had to start over.\nNobody followed up.\n(10:00 AM) Me: hello\n(10:01 AM) Agent: hi\n(10:02 AM) Me: ??",
    ],
)
def test_text_that_is_not_a_transcript_is_untouched(text: str) -> None:
    assert strip_transcript(text) == (text, False)


@pytest.mark.parametrize(
    ("turn", "filler"),
    [
        ("hi", True),
        ("OK, thanks!", True),
        ("yep", True),
        ("one sec", True),
        ("no that's all", True),
        ("Hello, I need help", True),
        ("👍", True),
        ("no help at all from the app", False),
        ("thanks but the refund is still missing", False),
        ("the hub is offline", False),
    ],
)
def test_is_filler(turn: str, filler: bool) -> None:
    assert is_filler(turn) is filler


def test_cleaning_pipeline_strips_transcripts_by_default_and_can_be_switched_off() -> None:
    on = clean_fields(ZENDESK_CHAT, None, {}, "en", CleanConfig())
    assert Flag.chat_agent_turns_removed.value in on.flags
    assert "Priya" not in on.update["text"]
    assert "thermostat" in on.update["text"]
    off = clean_fields(ZENDESK_CHAT, None, {}, "en", CleanConfig(strip_chat_agent_turns=False))
    assert Flag.chat_agent_turns_removed.value not in off.flags
    assert "Priya" in off.update.get("text", ZENDESK_CHAT)


def test_cleaning_pipeline_uses_the_author_from_metadata() -> None:
    text = "\n".join(
        [
            "(09:00:01 AM) Lee: Reset the hub and try pairing again.",
            "(09:01:12 AM) Morgan Hale: I did, the app still says pairing failed.",
            "(09:02:40 AM) Lee: Which app version are you on?",
            "(09:03:05 AM) Morgan Hale: version 5.1 on an old android phone",
        ]
    )
    got = clean_fields(text, None, {"requester_name": "Morgan Hale"}, "en", CleanConfig())
    assert got.update["text"].startswith("I did, the app still says pairing failed.")
