"""The PII benchmark's inputs: real feedback texts with PII and look-alikes inserted at known offsets.

Base texts are real customer feedback from several datasets in ../shared/data
(never copied into the repository). Into each text go one to three values at
a word boundary, each inside a short English carrier phrase or bare:

- PII made by Faker in the locale's own formats (phone numbers, street
  addresses, names, e-mails, IBANs, cards, IPs; US SSNs from en_US), so the
  values follow Faker's formats and not voc's regexes;
- non-PII look-alikes that must survive redaction: order numbers, prices,
  versions, dates, times, tracking ids, quantities.

Two sets: `dev` (seed 1; en_US, en_GB, de_DE, fr_FR, es_ES, it_IT, nl_NL),
the one looked at while the redactor was written; `holdout` (seed 2027;
en_AU, en_CA, en_IE, pt_PT, pl_PL, sv_SE, da_DK), meant to stay unseen, but
its missed values were printed once during development and one phone rule
was changed after that (digit groups like "504 249 012" are no longer taken
for an amount unless every group after the first ends in "00"), so it is not
a clean hold-out; and `fresh` (seed 90210; en_NZ, de_AT, de_CH, fr_CA,
es_MX, nl_BE, fi_FI, cs_CZ), made after that: its scores were read, its
missed values never printed, and nothing was changed for it. The gold spans are character offsets of the values alone (a
carrier phrase such as "call me on" is not PII).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

SETS: dict[str, tuple[int, tuple[str, ...]]] = {
    "dev": (1, ("en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL")),
    "holdout": (2027, ("en_AU", "en_CA", "en_IE", "pt_PT", "pl_PL", "sv_SE", "da_DK")),
    "fresh": (90210, ("en_NZ", "de_AT", "de_CH", "fr_CA", "es_MX", "nl_BE", "fi_FI", "cs_CZ")),
}
PII_TYPES = ("EMAIL", "PHONE", "CARD", "IBAN", "IP", "SSN", "NAME", "ADDRESS")
LOOKALIKE_TYPES = ("ORDER", "PRICE", "VERSION", "DATE", "TIME", "TRACKING", "QUANTITY")

# Carrier phrases; "{}" is the value. About a third of each type is inserted bare.
_CARRIERS: dict[str, list[str]] = {
    "EMAIL": ["email me at {}", "my email is {}", "{}", "contact {} about it", "reply to {}"],
    "PHONE": ["call me on {}", "my number is {}", "{}", "you can reach me at {}", "phone: {}", "text {}"],
    "CARD": ["my card {} was charged twice", "card number {}", "{}", "they billed {} again"],
    "IBAN": ["please refund to {}", "my IBAN is {}", "{}", "account {} was debited"],
    "IP": ["login from {} was blocked", "my IP is {}", "{}", "the server at {} timed out"],
    "SSN": ["my SSN is {}", "social security number {}", "{}", "they asked for {} on the form"],
    "NAME": [
        "my name is {}",
        "I spoke to {}",
        "{} was very rude",
        "ask for {}",
        "{} here",
        "thanks to {}",
        "{}",
        "the agent, {}, hung up",
    ],
    "ADDRESS": ["I live at {}", "ship it to {}", "{}", "deliver to {} please", "my address is {}"],
}
_LOOKALIKE_CARRIERS = ["{}", "it was {}", "since {}", "about {}"]


@dataclass
class Insert:
    """One inserted value: its gold type and character offsets in the row's text."""

    kind: str
    start: int
    end: int
    value: str
    locale: str = ""
    # The whole inserted piece (carrier phrase and value): later inserts go around it.
    piece_start: int = 0
    piece_end: int = 0


@dataclass
class Row:
    """One benchmark text and what was inserted into it."""

    text: str
    dataset: str
    inserts: list[Insert] = field(default_factory=list)


def _read_column(path: Path, column: str, delimiter: str = ",", encoding: str = "utf-8-sig") -> list[str]:
    with path.open(encoding=encoding, newline="") as fh:
        return [
            r[column].strip()
            for r in csv.DictReader(fh, delimiter=delimiter)
            if (r.get(column) or "").strip()
        ]


def load_texts(data_dir: Path, per_dataset: int, seed: int) -> list[tuple[str, str]]:
    """(dataset, text) pairs: `per_dataset` texts of 20-600 characters from each of six datasets."""
    sources = {
        "airline_tweets": (data_dir / "twitter_us_airline_sentiment" / "Tweets.csv", "text", ","),
        "amazon_alexa": (data_dir / "amazon_alexa_reviews" / "amazon_alexa.tsv", "verified_reviews", "\t"),
        "uber_reviews": (data_dir / "uber_app_reviews" / "uber_reviews_without_reviewid.csv", "content", ","),
        "nhs_fft": (data_dir / "nhs_fft_patient_feedback" / "v6framework_230831.csv", "FFT answer", ","),
        "tripadvisor": (
            data_dir / "tripadvisor_hotel_reviews_2k" / "tripadvisor_hotel_reviews.csv",
            "Review",
            ",",
        ),
        "banking77": (data_dir / "banking77" / "train.csv", "text", ","),
    }
    rnd = random.Random(seed)
    out: list[tuple[str, str]] = []
    for name, (path, column, delimiter) in sources.items():
        if not path.exists():
            continue
        texts = [t for t in _read_column(path, column, delimiter) if 20 <= len(t) <= 600]
        rnd.shuffle(texts)
        out.extend((name, t) for t in texts[:per_dataset])
    if not out:
        raise SystemExit(f"no datasets found under {data_dir}")
    return out


def _grouped(digits: str, size: int = 4) -> str:
    return " ".join(digits[i : i + size] for i in range(0, len(digits), size))


def pii_value(kind: str, fake, us_fake, rnd: random.Random) -> str:
    """One PII value in a format Faker uses for the locale (cards and IBANs also as people write them)."""
    if kind == "EMAIL":
        return rnd.choice([fake.email, fake.free_email, fake.company_email])()
    if kind == "PHONE":
        return fake.phone_number()
    if kind == "CARD":
        number = fake.credit_card_number()
        return _grouped(number) if rnd.random() < 0.5 else number
    if kind == "IBAN":
        number = fake.iban()
        return _grouped(number) if rnd.random() < 0.5 else number
    if kind == "IP":
        return rnd.choice([fake.ipv4, fake.ipv4_public, fake.ipv6])()
    if kind == "SSN":
        return us_fake.ssn()
    if kind == "NAME":
        return fake.name()
    if kind == "ADDRESS":
        if rnd.random() < 0.6:
            return fake.street_address()
        return ", ".join(line.strip() for line in fake.address().splitlines() if line.strip())
    raise ValueError(kind)


def lookalike_value(kind: str, fake, rnd: random.Random) -> tuple[str, str]:
    """(carrier with "{}", value) for a non-PII look-alike that redaction must keep."""
    r = rnd.randrange
    if kind == "ORDER":
        return rnd.choice(
            [
                ("order {}", str(r(10**5, 10**10))),
                ("order #{}", str(r(10**5, 10**10))),
                ("order no. {}", f"{r(2015, 2027)}-{r(10**5, 10**6):06d}"),
                ("invoice {}", f"INV-{r(10**4, 10**7)}"),
                ("ticket #{}", str(r(10**4, 10**9))),
                ("reference {}", fake.bothify("??-########").upper()),
            ]
        )
    if kind == "PRICE":
        return rnd.choice(
            [
                ("paid {}", f"${r(1, 3000):,}.{r(100):02d}"),
                ("it cost {}", f"€{r(1, 999)},{r(100):02d}"),
                ("charged {}", f"£{r(1, 5000):,}.{r(100):02d}"),
                ("{}", f"{r(1000, 99999):,}".replace(",", ".") + f",{r(100):02d} EUR"),
                ("about {}", f"{r(100, 9999)} dollars"),
                ("{}", f"USD {r(10, 99999):,}"),
            ]
        )
    if kind == "VERSION":
        return rnd.choice(
            [
                ("since version {}", f"{r(1, 20)}.{r(0, 20)}.{r(0, 50)}"),
                ("on iOS {}", f"{r(12, 19)}.{r(0, 9)}.{r(0, 5)}"),
                ("app {}", f"{r(1, 9)}.{r(100, 999)}.{r(10000, 99999)}"),
                ("{}", f"v{r(1, 9)}.{r(0, 9)}.{r(0, 9)}"),
                ("build {}", str(r(10**5, 10**8))),
            ]
        )
    if kind == "DATE":
        pattern = rnd.choice(
            ["%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%B %d, %Y", "%d %b %Y", "%d-%m-%Y"]
        )
        return rnd.choice(["on {}", "{}", "since {}"]), fake.date(pattern=pattern)
    if kind == "TIME":
        return rnd.choice(
            [
                ("at {}", fake.time(pattern="%H:%M")),
                ("at {}", fake.time(pattern="%I:%M %p")),
                ("from {}", f"{fake.time(pattern='%H:%M')}-{fake.time(pattern='%H:%M')}"),
                ("at {}", fake.time(pattern="%H:%M:%S")),
            ]
        )
    if kind == "TRACKING":
        return rnd.choice(
            [
                ("tracking {}", "1Z" + fake.bothify("???###########").upper()),
                ("tracking number {}", str(r(10**11, 10**12))),
                ("parcel {}", fake.bothify("??#########GB").upper()),
                ("{}", "JD" + str(r(10**17, 10**18))),
                ("tracking {}", _grouped(str(r(10**21, 10**22)))),
            ]
        )
    if kind == "QUANTITY":
        return rnd.choice(
            [
                ("walked {}", f"{r(1000, 99999):,} steps"),
                ("{}", f"{r(1, 999)} 000 points"),
                ("after {}", f"{r(10, 500):,},000 miles"),
                ("{}", f"{r(1000, 999999):,} users"),
            ]
        )
    raise ValueError(kind)


def _boundary(row: Row, rnd: random.Random) -> int:
    # Never inside a value inserted before (nor right at its edges).
    taken = [(ins.piece_start - 1, ins.piece_end + 1) for ins in row.inserts]
    spaces = [i for i, c in enumerate(row.text) if c == " " and not any(s <= i <= e for s, e in taken)]
    return rnd.choice(spaces) if spaces else len(row.text)


def _insert(row: Row, phrase: str, value: str, kind: str, locale: str, rnd: random.Random, end: bool) -> None:
    piece = phrase.replace("{}", value, 1)
    offset = phrase.index("{}")
    text = row.text
    at = _boundary(row, rnd) + 1 if not end else len(text)
    if at >= len(text):
        sep = rnd.choice([". ", "\n", " - "]) if text and text[-1] not in ".!?" else " "
        at = len(text) + len(sep)
        row.text = text + sep + piece
    else:
        row.text = text[:at] + piece + " " + text[at:]
        # Values already inserted after this point move right.
        shift = len(piece) + 1
        for ins in row.inserts:
            if ins.piece_start >= at:
                ins.start += shift
                ins.end += shift
                ins.piece_start += shift
                ins.piece_end += shift
    start = at + offset
    row.inserts.append(Insert(kind, start, start + len(value), value, locale, at, at + len(piece)))


def build_set(name: str, data_dir: Path, n_rows: int) -> list[Row]:
    """`n_rows` benchmark rows of set `name` ("dev" or "holdout"), reproducible from its seed."""
    from faker import Faker

    seed, locales = SETS[name]
    rnd = random.Random(seed)
    texts = load_texts(data_dir, per_dataset=max(1, n_rows // 6 + 1), seed=seed)
    rnd.shuffle(texts)
    fakers = {}
    for loc in locales:
        f = Faker(loc)
        f.seed_instance(seed + len(fakers))
        fakers[loc] = f
    us = Faker("en_US")
    us.seed_instance(seed)
    rows: list[Row] = []
    for i in range(n_rows):
        dataset, base = texts[i % len(texts)]
        row = Row(text=base, dataset=dataset)
        for _ in range(rnd.choice([1, 2, 2, 3])):
            locale = rnd.choice(locales)
            fake = fakers[locale]
            if rnd.random() < 0.6:
                kind = PII_TYPES[i % len(PII_TYPES)] if not row.inserts else rnd.choice(PII_TYPES)
                value = pii_value(kind, fake, us, rnd)
                phrase = rnd.choice(_CARRIERS[kind])
            else:
                kind = rnd.choice(LOOKALIKE_TYPES)
                phrase, value = lookalike_value(kind, fake, rnd)
                phrase = rnd.choice(_LOOKALIKE_CARRIERS).replace("{}", phrase)
            _insert(row, phrase, value, kind, locale, rnd, end=rnd.random() < 0.2)
        rows.append(row)
    return rows
