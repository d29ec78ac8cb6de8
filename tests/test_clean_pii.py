"""PII redaction: each type, the validators, and the false-positive traps."""

from __future__ import annotations

from collections import Counter

import pytest

from voc.clean import redact


@pytest.mark.parametrize(
    ("text", "expected", "kind"),
    [
        ("mail me at jane.doe+news@example.co.uk today", "mail me at [EMAIL] today", "EMAIL"),
        ("card 4111 1111 1111 1111 was charged twice", "card [CARD] was charged twice", "CARD"),
        ("card 5555-5555-5555-4444 declined", "card [CARD] declined", "CARD"),
        ("amex 378282246310005.", "amex [CARD].", "CARD"),
        ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [IBAN] please", "IBAN"),
        ("to DE89370400440532013000 yesterday", "to [IBAN] yesterday", "IBAN"),
        ("login from 192.168.1.20 failed", "login from [IP] failed", "IP"),
        ("seen from 2001:db8::8a2e:370:7334 at 10:30:00", "seen from [IP] at 10:30:00", "IP"),
        ("call +1 (415) 555-0134 please", "call [PHONE] please", "PHONE"),
        ("ring 020 7946 0958 after five", "ring [PHONE] after five", "PHONE"),
        ("Berlin office +49 30 901820.", "Berlin office [PHONE].", "PHONE"),
        ("phone number: 415-555-0134", "phone number: [PHONE]", "PHONE"),
        ("appelez le 01 23 45 67 89", "appelez le [PHONE]", "PHONE"),
        ("call 0044 20 7946 0958", "call [PHONE]", "PHONE"),
        # Numbers a strict numbering-plan check rejects are still someone's phone.
        ("call 555-123-4567 today", "call [PHONE] today", "PHONE"),
        ("my mobile +44 7700 900123.", "my mobile [PHONE].", "PHONE"),
        ("reach me at (741)354-9909x123 anytime", "reach me at [PHONE] anytime", "PHONE"),
        ("tel 0580-730215", "tel [PHONE]", "PHONE"),
        ("whatsapp 346580730 please", "whatsapp [PHONE] please", "PHONE"),
        # A mistyped IBAN is still a bank account (structure kept, checksum wrong).
        ("IBAN GB82 WEST 1234 5698 7654 33 (bad checksum)", "IBAN [IBAN] (bad checksum)", "IBAN"),
        # Its own checksum holds, the UK's length does not (21 characters, not 22): still an account number.
        ("IBAN GB23 HSRE 5979 1907 4833 7 thanks", "IBAN [IBAN] thanks", "IBAN"),
        ("SSN 123-45-6789 on file", "SSN [SSN] on file", "SSN"),
        ("my social security number 123456789.", "my social security number [SSN].", "SSN"),
        ("NI number AB 12 34 56 C", "NI number [ID]", "ID"),
        ("I live at 42 Baker Street, London", "I live at [ADDRESS]", "ADDRESS"),
        ("ship to Hauptstraße 12a, 10115 Berlin now", "ship to [ADDRESS] now", "ADDRESS"),
        ("au 24, rue de la Paix", "au [ADDRESS]", "ADDRESS"),
        ("en Calle Mayor 5 Piso 3", "en [ADDRESS]", "ADDRESS"),
        ("Hi, my name is Jo Smith and the app crashes", "Hi, my name is [NAME] and the app crashes", "NAME"),
        ("I spoke to Mrs Anna Kowalski at the desk", "I spoke to [NAME] at the desk", "NAME"),
        ("App is broken.\nRegards,\nJohn Smith", "App is broken.\nRegards,\n[NAME]", "NAME"),
    ],
)
def test_pii_is_redacted(text: str, expected: str, kind: str) -> None:
    out, counts = redact(text)
    assert out == expected
    assert counts == Counter({kind: 1})


@pytest.mark.parametrize(
    "text",
    [
        "order #123456789 never arrived",
        "ref QQ19ABCD12345678901 is late",  # IBAN-shaped, checksum holds, but QQ is no IBAN country
        "order no. 0123456789 is late",
        "it broke on 2026-01-05 again",
        "delivered 05.01.2026 at 14:30",
        "paid $1,299.00 for a broken phone",
        "version 10.2.3 crashes on start",
        "since v1.2.3.4 the sync is broken",
        "in 2026 I paid 45 dollars",
        "card 4111 1111 1111 1112 (fails Luhn)",
        "reference 4111111111111112",
        "not an address 999.1.1.1",
        "rated 3.5 out of 5, 10:30:00 wait",
        "tracking 1Z999AA10123456784",
        "ticket 12345 and 67890",
        "invoice 2026-000123 is wrong",
        "bag claim 4016688561 still missing",
        "use this lol :: http://t.co/x",
        "loopback ::1 only",
        "paid €1.299.000 in total",
        "it costs 1 299 000 EUR",
        "we paid 45 000 dollars",
        "since 2019-2020 it got worse",
        "2,000 miles and 1 000 000 points",
        "order 555-123-4567 is late",
        "ticket #4155550134",
        "the flight at 14:30 was moved to 16:45",
        "on 15/03/2024 and 2024-03-15",
        "iOS 17.2.1 and version 10.4.2",
        "Thanks JetBlue for nothing",
        "I'm Happy with it overall",
        "I waited 3 hours on Main Street",
    ],
)
def test_false_positive_traps_are_not_redacted(text: str) -> None:
    assert redact(text) == (text, Counter())


def test_counts_per_type_and_several_hits() -> None:
    text = "a@b.com, c@d.org, 4111 1111 1111 1111 and +1 415 555 0134 from 10.0.0.1"
    out, counts = redact(text)
    assert out == "[EMAIL], [EMAIL], [CARD] and [PHONE] from [IP]"
    assert counts == Counter({"EMAIL": 2, "CARD": 1, "PHONE": 1, "IP": 1})


def test_phone_regions_matter_only_for_bare_numbers() -> None:
    # A formatted number is a phone in any region; a bare run of digits only
    # when it is valid for a configured region (or a word like "call" says so).
    assert redact("appelez le 01 23 45 67 89", phone_regions=["US"])[1] == Counter({"PHONE": 1})
    assert redact("it was 346580730 again", phone_regions=["US"])[1] == Counter()
    assert redact("it was 346580730 again", phone_regions=["IT"])[1] == Counter({"PHONE": 1})


def test_text_without_candidates_is_returned_as_is() -> None:
    text = "Nothing personal here, just a bad app."
    out, counts = redact(text)
    assert out is text
    assert not counts


@pytest.mark.model
def test_names_are_redacted_with_spacy() -> None:
    out, counts = redact("I spoke to John Smith at the desk and he was rude.", names=True)
    assert "John Smith" not in out
    assert "[NAME]" in out
    assert counts["NAME"] == 1
