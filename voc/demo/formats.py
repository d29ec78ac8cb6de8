"""One export row per planned item, in each real format (pure); used by `voc.demo.rows`."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from voc.demo import generic
from voc.demo.exports import (
    DEV_REPLIES,
    EN_COUNTRIES,
    PLAY_DEVICES,
    PLAY_PACKAGE,
    STAGE_TAGS,
    ZENDESK_ARR_FIELD,
    ZENDESK_HOST,
    ZENDESK_SEGMENT_FIELD,
)
from voc.demo.plan import (
    Account,
    Calendar,
    PlannedItem,
    _weighted,
)
from voc.demo.text import Written
from voc.demo.themes import (
    THEME_BY_KEY,
)

# --- formatting helpers --------------------------------------------------------


def _iso_z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _plain(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _millis(t: datetime) -> str:
    return str(int(t.replace(tzinfo=UTC).timestamp() * 1000))


def _token(rng: random.Random, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


# --- one row per format --------------------------------------------------------


def _ticket(
    rng: random.Random, item: PlannedItem, w: Written, ticket_id: int, cal: Calendar
) -> dict[str, Any]:
    export = cal.export_time
    age_days = (export - item.created).total_seconds() / 86400
    if age_days > 10:
        status = _weighted(rng, ["closed", "solved", "open", "pending"], [0.84, 0.1, 0.04, 0.02])
    elif age_days > 2:
        status = _weighted(rng, ["closed", "solved", "pending", "open"], [0.15, 0.45, 0.18, 0.22])
    else:
        status = _weighted(rng, ["new", "open", "pending", "solved"], [0.35, 0.45, 0.12, 0.08])
    resolve = timedelta(hours=rng.choice((1, 3, 6, 20, 26, 49, 75, 120, 170)), minutes=rng.randrange(60))
    if status == "closed":
        updated = item.created + resolve + timedelta(days=4)
    elif status == "solved":
        updated = item.created + resolve
    elif status == "new":
        updated = item.created + timedelta(minutes=rng.randrange(0, 3))
    else:
        updated = item.created + timedelta(hours=rng.uniform(0.2, max(0.3, age_days * 24 * 0.8)))
    updated = min(updated, export)
    account = item.account
    segment = account.segment if account else "consumer"
    pri_weights = [0.1, 0.5, 0.25, 0.1, 0.05]
    if item.polarity == "negative" and segment == "enterprise":
        pri_weights = [0.05, 0.25, 0.35, 0.2, 0.15]
    priority = _weighted(rng, [None, "normal", "low", "high", "urgent"], pri_weights)
    tags = [segment.replace("-", "_")]
    area = STAGE_TAGS[THEME_BY_KEY[item.themes[0]].stage]
    if rng.random() < 0.15:  # agents mis-tag now and then
        area = rng.choice(("shipping", "app", "billing", "account", ""))
    if area and rng.random() < 0.5:
        tags.append(area)
    if w.channel == "web":
        tags.append("web_widget")
    if item.language != "en":
        tags.append(f"lang_{item.language}")
    if segment == "enterprise":
        tags.append("vip")
    if status in ("solved", "closed"):
        answered = rng.random() < 0.42
        if answered:
            good = {"positive": 0.92, "negative": 0.12, "mixed": 0.55, "neutral": 0.7}[item.polarity]
            score = "good" if rng.random() < good else "bad"
        else:
            score = "offered"
    else:
        score = "offered"
    return {
        "id": ticket_id,
        "url": f"{ZENDESK_HOST}/api/v2/tickets/{ticket_id}.json",
        "created_at": _iso_z(item.created),
        "updated_at": _iso_z(updated),
        "subject": w.title,
        "description": w.text,
        "status": status,
        "priority": priority,
        "requester_id": item.contact.requester_id if item.contact else None,
        "organization_id": account.organization_id if account else None,
        "tags": sorted(set(tags)),
        "via": {"channel": w.channel},
        "satisfaction_rating": {"score": score},
        "custom_fields": [
            {"id": ZENDESK_SEGMENT_FIELD, "value": segment},
            {"id": ZENDESK_ARR_FIELD, "value": str(account.arr) if account and account.arr else None},
        ],
    }


class _Nicknames:
    """A stable app-store nickname per reviewer."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: dict[str, str] = {}

    def __call__(self, account: Account | None) -> str:
        key = account.customer_id if account else ""
        if key not in self.names:
            r = self.rng
            first = account.contacts[0].first if account else r.choice(generic.FIRST_NAMES)
            self.names[key] = r.choice(
                (
                    f"{first}{r.randrange(1, 99)}",
                    r.choice(generic.NICK_PARTS) + str(r.randrange(100, 9999)),
                    f"{first} {r.choice(generic.LAST_NAMES)[0]}.",
                    r.choice(generic.NICK_PARTS),
                    first.lower(),
                    f"{r.choice(generic.NICK_PARTS)}_{first.lower()}",
                )
            )
        return self.names[key]


def _app_store(item: PlannedItem, w: Written, review_id: int, nick: str) -> list[str]:
    country = generic.FOREIGN_COUNTRY.get(item.language) or EN_COUNTRIES[review_id % len(EN_COUNTRIES)]
    return [
        str(review_id),
        _plain(item.created),
        str(item.rating),
        w.title,
        w.text,
        nick,
        item.version,
        country,
    ]


def _version_code(version: str) -> str:
    major, minor, patch = (int(x) for x in version.split("."))
    return str(major * 10000 + minor * 100 + patch)


def _google_play(rng: random.Random, item: PlannedItem, w: Written, cal: Calendar) -> tuple[list[str], str]:
    review_id = "gp:AOqpTO" + _token(rng, 46, string.ascii_letters + string.digits + "-_")
    updated = item.created
    if rng.random() < 0.08:  # edited later
        updated = min(item.created + timedelta(hours=rng.randrange(2, 96)), cal.export_time)
    reply_at = reply = ""
    reply_ms = ""
    reply_p = {"negative": 0.3, "mixed": 0.2, "positive": 0.12, "neutral": 0.1}[item.polarity]
    if item.language == "en" and rng.random() < reply_p:
        t = item.created + timedelta(hours=rng.randrange(3, 80), minutes=rng.randrange(60))
        if t < cal.export_time:
            bank = DEV_REPLIES["negative" if item.polarity in ("negative", "mixed") else "positive"]
            reply_at, reply_ms, reply = _iso_z(t), _millis(t), rng.choice(bank)
    no_version = rng.random() < 0.03
    row = [
        PLAY_PACKAGE,
        "" if no_version else _version_code(item.version),
        "" if no_version else item.version,
        item.language,
        rng.choice(PLAY_DEVICES),
        _iso_z(item.created),
        _millis(item.created),
        _iso_z(updated),
        _millis(updated),
        str(item.rating),
        w.title,
        w.text,
        reply_at,
        reply_ms,
        reply,
        "http://play.google.com/console/developers/8616529473020341871/app/4974083640962119522/"
        f"user-feedback/review-details?reviewId={review_id}&corpus=PUBLIC_REVIEWS",
    ]
    return row, review_id


def _qualtrics(rng: random.Random, item: PlannedItem, w: Written) -> tuple[list[str], str]:
    duration = rng.randrange(25, 900)
    start = item.created - timedelta(seconds=duration)
    response_id = "R_" + _token(rng, 15)
    account, contact = item.account, item.contact
    anonymous = rng.random() < 0.15 or account is None or contact is None
    row = [
        _plain(start),
        _plain(item.created),
        "IP Address",
        f"{rng.choice(('192.0.2', '198.51.100', '203.0.113'))}.{rng.randrange(1, 255)}",
        "100",
        str(duration),
        "True",
        _plain(item.created + timedelta(seconds=rng.randrange(1, 4))),
        response_id,
        "" if anonymous else contact.last,
        "" if anonymous else contact.first,
        "" if anonymous else contact.email,
        "" if anonymous else account.customer_id,
        "anonymous" if anonymous else "email",
        item.language.upper(),
        str(item.rating),
        w.text,
        "" if anonymous else account.customer_id,
        "" if anonymous else account.segment,
        "" if anonymous or not account.arr else str(account.arr),
    ]
    return row, response_id


def _typeform(rng: random.Random, item: PlannedItem, w: Written) -> tuple[list[str], str]:
    token = _token(rng, 32, string.ascii_lowercase + string.digits)
    start = item.created - timedelta(seconds=rng.randrange(20, 400))
    row = [
        token,
        str(item.rating),
        w.text,
        _plain(start),
        _plain(item.created),
        _token(rng, 10, "0123456789abcdef"),
    ]
    return row, token
