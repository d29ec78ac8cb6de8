"""Who said what, when: the plan of every demo item before any text exists.

Pure functions of a `random.Random`. The plan fixes each item's export
file, timestamp, themes, polarity, rating and customer; `voc.demo.text`
then writes the words and `voc.demo.rows` the export rows.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from voc.demo import generic
from voc.demo.slots import phone
from voc.demo.themes import (
    APP_STORE,
    EMERGING,
    FILES,
    GOOGLE_PLAY,
    QUALTRICS,
    THEME_BY_KEY,
    THEMES,
    TYPEFORM,
    ZENDESK,
    ThemeSpec,
)
from voc.errors import ConfigError

# Share of items per export file: tickets ~40%, reviews ~30%, surveys ~30%.
FILE_SHARES: dict[str, float] = {
    ZENDESK: 0.40,
    APP_STORE: 0.15,
    GOOGLE_PLAY: 0.15,
    QUALTRICS: 0.17,
    TYPEFORM: 0.13,
}
# Chance that an item raises a second theme.
MULTI_THEME: dict[str, float] = {
    ZENDESK: 0.34,
    APP_STORE: 0.2,
    GOOGLE_PLAY: 0.18,
    QUALTRICS: 0.26,
    TYPEFORM: 0.28,
}
# Relative volume by weekday (Mon..Sun) and by hour of day (UTC).
WEEKDAY_WEIGHTS: dict[str, tuple[float, ...]] = {
    ZENDESK: (1.35, 1.2, 1.1, 1.05, 0.95, 0.45, 0.4),
    APP_STORE: (0.9, 0.85, 0.9, 0.95, 1.0, 1.25, 1.3),
    GOOGLE_PLAY: (0.9, 0.85, 0.9, 0.95, 1.0, 1.25, 1.3),
    QUALTRICS: (0.8, 1.6, 1.3, 1.0, 0.8, 0.4, 0.4),  # survey invitations go out on Tuesdays
    TYPEFORM: (1.2, 1.15, 1.1, 1.05, 1.0, 0.5, 0.45),
}
_OFFICE = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.8,
    1.6,
    2.6,
    3.0,
    2.9,
    2.6,
    2.0,
    2.5,
    2.8,
    2.6,
    2.2,
    1.5,
    0.9,
    0.7,
    0.6,
    0.5,
    0.4,
    0.3,
)
_EVENING = (
    0.5,
    0.3,
    0.2,
    0.15,
    0.15,
    0.2,
    0.5,
    0.9,
    1.0,
    1.0,
    1.0,
    1.1,
    1.3,
    1.2,
    1.1,
    1.1,
    1.2,
    1.5,
    1.9,
    2.3,
    2.5,
    2.4,
    1.8,
    1.0,
)
HOUR_WEIGHTS: dict[str, tuple[float, ...]] = {
    ZENDESK: _OFFICE,
    APP_STORE: _EVENING,
    GOOGLE_PLAY: _EVENING,
    QUALTRICS: _OFFICE,
    TYPEFORM: _OFFICE,
}
SEGMENTS: tuple[str, ...] = ("enterprise", "mid-market", "smb", "consumer")
# Which segments answer in each file (reviews are consumers by nature).
SEGMENT_MIX: dict[str, tuple[float, ...]] = {
    ZENDESK: (0.17, 0.25, 0.28, 0.30),
    QUALTRICS: (0.12, 0.22, 0.30, 0.36),
    TYPEFORM: (0.12, 0.22, 0.30, 0.36),
    APP_STORE: (0.0, 0.02, 0.08, 0.90),
    GOOGLE_PLAY: (0.0, 0.02, 0.08, 0.90),
}
ACCOUNTS_PER_SEGMENT: dict[str, int] = {"enterprise": 36, "mid-market": 140, "smb": 480, "consumer": 2600}
ARR_RANGE: dict[str, tuple[float, float] | None] = {
    "enterprise": (50_000, 500_000),
    "mid-market": (10_000, 50_000),
    "smb": (1_000, 10_000),
    "consumer": None,
}
# Negative themes that drive the unhappy high-revenue accounts.
AT_RISK_THEMES: tuple[str, ...] = ("slow_sync", "login_2fa", "double_charge", "support_wait", "setup_pairing")
N_AT_RISK = 4
FOREIGN_SHARE = 0.012
PRODUCTS: tuple[str, ...] = ("Northwind Hub", "Hub Mini", "Hub Pro", "Sense 2", "Northwind Tag")


@dataclass
class Contact:
    """A person at an account who files tickets."""

    requester_id: int
    first: str
    last: str
    email: str
    phone: str
    title: str


@dataclass
class Account:
    """A paying customer: a company (B2B) or a household (consumer)."""

    customer_id: str
    organization_id: int | None
    segment: str
    arr: int | None
    company: str | None
    domain: str
    product: str
    contacts: list[Contact] = field(default_factory=list)
    at_risk: bool = False
    weight: float = 1.0


class Accounts(dict[str, list[Account]]):
    """Accounts per segment, with cumulative activity weights cached for fast draws."""

    def __init__(self) -> None:
        super().__init__()
        self._cum: dict[str, list[float]] = {}

    def cum_weights(self, segment: str) -> list[float]:
        if segment not in self._cum:
            self._cum[segment] = list(itertools.accumulate(a.weight for a in self[segment]))
        return self._cum[segment]


@dataclass
class PlannedItem:
    """One feedback item before its text is written."""

    file: str
    created: datetime
    week: int
    themes: list[str]
    polarity: str
    rating: int | None
    account: Account | None
    contact: Contact | None
    language: str = "en"
    version: str = ""


@dataclass
class Calendar:
    """The demo period: `weeks` whole weeks ending on `end` (inclusive)."""

    start: date
    end: date
    weeks: int

    @classmethod
    def ending(cls, end: date, weeks: int) -> Calendar:
        return cls(start=end - timedelta(days=7 * weeks - 1), end=end, weeks=weeks)

    def week_start(self, week: int) -> date:
        return self.start + timedelta(days=7 * week)

    @property
    def export_time(self) -> datetime:
        """When the exports were pulled: the morning after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time(6, 0))


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def make_accounts(rng: random.Random) -> Accounts:
    """Accounts per segment, with Zipf-like activity weights (a few noisy accounts)."""
    out = Accounts()
    req_id = 381_000_000_000
    org_id = 360_000_100_000
    used_companies: set[str] = set()
    for seg in SEGMENTS:
        accounts: list[Account] = []
        for i in range(ACCOUNTS_PER_SEGMENT[seg]):
            company = None
            if seg != "consumer":
                while True:
                    suffix = rng.choice(generic.COMPANY_SUFFIXES)
                    company = f"{rng.choice(generic.COMPANY_HEADS)} {rng.choice(generic.COMPANY_TAILS)} {suffix}".strip()
                    if company not in used_companies:
                        used_companies.add(company)
                        break
                head = company.split()[0].lower()
                domain = f"{head}{rng.choice(('', '-group', 'corp', 'hq'))}.{rng.choice(('com', 'com', 'co.uk', 'de', 'io'))}"
                org_id += rng.randrange(3, 400)
                organization = org_id
            else:
                domain = rng.choice(generic.CONSUMER_MAIL)
                organization = None
            rng_arr = ARR_RANGE[seg]
            arr = None
            if rng_arr:
                lo, hi = rng_arr
                # log-uniform: many small contracts, a few big ones
                arr = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi))), -2))
            n_contacts = {"enterprise": 5, "mid-market": 3, "smb": 2, "consumer": 1}[seg]
            contacts = []
            for _ in range(rng.randint(1, n_contacts)):
                first, last = rng.choice(generic.FIRST_NAMES), rng.choice(generic.LAST_NAMES)
                req_id += rng.randrange(7, 9000)
                local = rng.choice(
                    (f"{first}.{last}", f"{first[0]}{last}", f"{first}{rng.randrange(10, 99)}", first)
                )
                local = local.lower().replace("'", "").replace("á", "a")
                contacts.append(
                    Contact(
                        req_id,
                        first,
                        last,
                        f"{local}@{domain}",
                        phone(rng),
                        rng.choice(generic.TITLES) if seg != "consumer" else "",
                    )
                )
            cid = str(organization) if organization is not None else str(contacts[0].requester_id)
            accounts.append(
                Account(
                    cid,
                    organization,
                    seg,
                    arr,
                    company,
                    domain,
                    rng.choice(PRODUCTS),
                    contacts,
                    weight=1.0 / (i + 3) ** 0.6,
                )
            )
        rng.shuffle(accounts)  # so activity does not follow creation order
        out[seg] = accounts
    # The unhappy big accounts for the report's at-risk quadrant.
    ent = sorted(out["enterprise"], key=lambda a: a.arr or 0, reverse=True)
    for a in ent[1 : 1 + N_AT_RISK]:
        a.at_risk = True
        a.arr = max(a.arr or 0, 240_000)
    return out


def app_version(cal: Calendar, when: datetime, rng: random.Random) -> str:
    """The app version a customer ran on `when`: releases every six weeks, 5.2.0 at the
    start of the second-to-last week; a fifth of users lag one release behind."""
    release_52 = cal.week_start(cal.weeks - 2)
    releases = [
        (release_52 - timedelta(days=42 * 3), "4.9"),
        (release_52 - timedelta(days=42 * 2), "5.0"),
        (release_52 - timedelta(days=42), "5.1"),
        (release_52, "5.2"),
    ]
    current = [i for i, (d, _) in enumerate(releases) if d <= when.date()]
    idx = current[-1] if current else 0
    if idx > 0 and rng.random() < 0.2:
        idx -= 1
    released, minor = releases[idx]
    patch = min(4, max(0, (when.date() - released).days // 9))
    return f"{minor}.{patch}"


def polarity_of(themes: list[str]) -> str:
    pols = {THEME_BY_KEY[t].polarity for t in themes}
    if "negative" in pols and "positive" in pols:
        return "mixed"
    if "negative" in pols:
        return "negative"
    if "positive" in pols:
        return "positive"
    return "neutral"


# Rating distributions given polarity; the noise is the off-diagonal mass.
STARS: dict[str, dict[int, float]] = {
    "negative": {1: 0.62, 2: 0.27, 3: 0.08, 4: 0.02, 5: 0.01},
    "positive": {5: 0.72, 4: 0.23, 3: 0.04, 2: 0.01},
    "mixed": {2: 0.2, 3: 0.45, 4: 0.3, 5: 0.05},
    "neutral": {2: 0.05, 3: 0.35, 4: 0.45, 5: 0.15},
}
NPS: dict[str, dict[int, float]] = {
    "negative": {0: 0.12, 1: 0.08, 2: 0.12, 3: 0.14, 4: 0.14, 5: 0.16, 6: 0.14, 7: 0.06, 8: 0.03, 9: 0.01},
    "positive": {10: 0.5, 9: 0.35, 8: 0.12, 7: 0.03},
    "mixed": {4: 0.05, 5: 0.15, 6: 0.25, 7: 0.3, 8: 0.2, 9: 0.05},
    "neutral": {5: 0.05, 6: 0.15, 7: 0.35, 8: 0.35, 9: 0.1},
}
CSAT: dict[str, dict[int, float]] = {
    "negative": {1: 0.55, 2: 0.33, 3: 0.1, 4: 0.02},
    "positive": {5: 0.75, 4: 0.22, 3: 0.03},
    "mixed": {2: 0.15, 3: 0.5, 4: 0.3, 5: 0.05},
    "neutral": {3: 0.4, 4: 0.45, 5: 0.15},
}


def draw_rating(rng: random.Random, file: str, polarity: str, at_risk: bool = False) -> int | None:
    if file == ZENDESK:
        return None
    table = {QUALTRICS: NPS, TYPEFORM: CSAT}.get(file, STARS)[polarity]
    if at_risk and file == QUALTRICS:
        table = {0: 0.2, 1: 0.2, 2: 0.25, 3: 0.2, 4: 0.15}
    return _weighted(rng, list(table), list(table.values()))


def _theme_week_factors(rng: random.Random, cal: Calendar) -> dict[str, list[float]]:
    """Per theme and week: bounded noise times an optional seasonal hump."""
    out: dict[str, list[float]] = {}
    for t in THEMES:
        factors = []
        for w in range(cal.weeks):
            f = rng.uniform(0.88, 1.12)
            if t.season:
                centre, height = t.season
                x = (w + 0.5) / cal.weeks
                f *= 1 + height * math.exp(-(((x - centre) / 0.1) ** 2))
            factors.append(f)
        out[t.key] = factors
    return out


def _weekly_totals(rng: random.Random, total: int, weeks: int) -> list[int]:
    """Split `total` over weeks: mild seasonality plus noise, exact sum."""
    raw = [(1 + 0.05 * math.sin(2 * math.pi * (w + 2) / 9)) * rng.uniform(0.95, 1.05) for w in range(weeks)]
    scale = total / sum(raw)
    counts = [int(r * scale) for r in raw]
    rest = sorted(range(weeks), key=lambda w: raw[w] * scale - counts[w], reverse=True)
    for w in rest[: total - sum(counts)]:
        counts[w] += 1
    return counts


def _timestamp(rng: random.Random, cal: Calendar, week: int, file: str) -> datetime:
    day = _weighted(rng, list(range(7)), list(WEEKDAY_WEIGHTS[file]))
    hour = _weighted(rng, list(range(24)), list(HOUR_WEIGHTS[file]))
    d = cal.week_start(week) + timedelta(days=day)
    return datetime.combine(d, time(hour, rng.randrange(60), rng.randrange(60)))


def _pick_account(rng: random.Random, accounts: Accounts, file: str) -> Account:
    seg = _weighted(rng, list(SEGMENTS), list(SEGMENT_MIX[file]))
    return rng.choices(accounts[seg], cum_weights=accounts.cum_weights(seg), k=1)[0]


def _second_theme(rng: random.Random, spec: ThemeSpec, file: str) -> str | None:
    pairs = {k: w for k, w in spec.pairs.items() if THEME_BY_KEY[k].weights[file] > 0}
    if not pairs:
        return None
    return _weighted(rng, list(pairs), list(pairs.values()))


def plan_items(rng: random.Random, cal: Calendar, n_items: int, accounts: Accounts) -> list[PlannedItem]:
    """Plan `n_items` items over the calendar, the emerging theme included."""
    if cal.weeks < 3:
        raise ConfigError(
            f"the demo needs at least 3 weeks to show an emerging theme, got weeks={cal.weeks}; use --weeks 3 or more",
            code="E191",
        )
    emerging = [round(n_items * 0.0025), round(n_items * 0.009)]  # week -2 small, week -1 clearly larger
    steady_total = n_items - sum(emerging)
    factors = _theme_week_factors(rng, cal)
    at_risk = [a for a in accounts["enterprise"] if a.at_risk]
    files = list(FILES)
    items: list[PlannedItem] = []
    for week, count in enumerate(_weekly_totals(rng, steady_total, cal.weeks)):
        for _ in range(count):
            file = _weighted(rng, files, [FILE_SHARES[f] for f in files])
            keys = [t.key for t in THEMES]
            first = _weighted(rng, keys, [t.weights[file] * factors[t.key][week] for t in THEMES])
            items.append(_plan_one(rng, cal, week, file, first, accounts, at_risk))
    for offset, count in zip((2, 1), emerging, strict=True):
        week = cal.weeks - offset
        for _ in range(count):
            file = _weighted(rng, files, [FILE_SHARES[f] * EMERGING.weights[f] for f in files])
            items.append(_plan_one(rng, cal, week, file, EMERGING.key, accounts, at_risk))
    items.sort(key=lambda it: it.created)
    return items


def _plan_one(
    rng: random.Random,
    cal: Calendar,
    week: int,
    file: str,
    first: str,
    accounts: Accounts,
    at_risk: list[Account],
) -> PlannedItem:
    spec = THEME_BY_KEY[first]
    themes = [first]
    multi = MULTI_THEME[file] * (0.6 if spec is EMERGING else 1.0)
    if rng.random() < multi:
        second = _second_theme(rng, spec, file)
        if second and second != first:
            themes.append(second)
    created = _timestamp(rng, cal, week, file)
    account = contact = None
    risky = False
    if file in (ZENDESK, QUALTRICS):
        account = _pick_account(rng, accounts, file)
        negative = polarity_of(themes) == "negative"
        if negative and first in AT_RISK_THEMES and rng.random() < (0.09 if file == ZENDESK else 0.12):
            account = rng.choice(at_risk)
        while account.at_risk and not negative:  # unhappy accounts do not send praise
            account = _pick_account(rng, accounts, file)
        risky = account.at_risk
        contact = rng.choice(account.contacts)
    elif file in (APP_STORE, GOOGLE_PLAY):
        account = _pick_account(rng, accounts, file)
        contact = account.contacts[0]
    language = "en"
    if file != TYPEFORM and len(themes) == 1 and rng.random() < FOREIGN_SHARE * 1.6:
        langs = [lang for lang, bank in generic.FOREIGN.items() if first in bank]
        if langs:
            language = rng.choice(langs)
    polarity = polarity_of(themes)
    version = app_version(cal, created, rng)
    if spec is EMERGING:  # the bug ships with 5.2; a patch the next week does not fix it
        version = "5.2.0" if week < cal.weeks - 1 or rng.random() < 0.4 else "5.2.1"
    return PlannedItem(
        file=file,
        created=created,
        week=week,
        themes=themes,
        polarity=polarity,
        rating=draw_rating(rng, file, polarity, risky),
        account=account,
        contact=contact,
        language=language,
        version=version,
    )
