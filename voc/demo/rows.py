"""Export rows in the real formats, plus planted duplicates and bad rows (pure).

`build_demo_data` turns a seed into everything the writers need: header
rows and data rows per file, the ground truth per item, and the list of
planted rows. Nothing here touches the file system.
"""

from __future__ import annotations

import json
import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from voc.demo import generic
from voc.demo.plan import (
    Account,
    Calendar,
    PlannedItem,
    _plan_one,
    _weighted,
    make_accounts,
    plan_items,
)
from voc.demo.text import Written, write_review, write_survey, write_ticket
from voc.demo.themes import (
    APP_STORE,
    EMERGING,
    FILE_KIND,
    FILES,
    GOOGLE_PLAY,
    QUALTRICS,
    THEME_BY_KEY,
    THEMES,
    TYPEFORM,
    ZENDESK,
)
from voc.errors import ConfigError

ZENDESK_FIELDS: list[str] = [
    "id",
    "url",
    "created_at",
    "updated_at",
    "subject",
    "description",
    "status",
    "priority",
    "requester_id",
    "organization_id",
    "tags",
    "via",
    "satisfaction_rating",
    "custom_fields",
]
ZENDESK_SEGMENT_FIELD = 360001
ZENDESK_ARR_FIELD = 360002
ZENDESK_HOST = "https://northwind.zendesk.com"
APP_STORE_COLUMNS: list[str] = [
    "Review ID",
    "Date",
    "Rating",
    "Title",
    "Review",
    "User Name",
    "App Version",
    "Country",
]
GOOGLE_PLAY_COLUMNS: list[str] = [
    "Package Name",
    "App Version Code",
    "App Version Name",
    "Reviewer Language",
    "Device",
    "Review Submit Date and Time",
    "Review Submit Millis Since Epoch",
    "Review Last Update Date and Time",
    "Review Last Update Millis Since Epoch",
    "Star Rating",
    "Review Title",
    "Review Text",
    "Developer Reply Date and Time",
    "Developer Reply Millis Since Epoch",
    "Developer Reply Text",
    "Review Link",
]
NPS_QUESTION = "How likely are you to recommend Northwind to a friend or colleague?"
NPS_REASON = "What is the primary reason for your score?"
QUALTRICS_COLUMNS: list[str] = [
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "DistributionChannel",
    "UserLanguage",
    "Q1",
    "Q2",
    "CustomerID",
    "Segment",
    "ARR",
]
QUALTRICS_LABELS: list[str] = [
    "Start Date",
    "End Date",
    "Response Type",
    "IP Address",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "Recorded Date",
    "Response ID",
    "Recipient Last Name",
    "Recipient First Name",
    "Recipient Email",
    "External Data Reference",
    "Distribution Channel",
    "User Language",
    NPS_QUESTION + " - 0-10",
    NPS_REASON,
    "CustomerID",
    "Segment",
    "ARR",
]
QUALTRICS_IMPORT_IDS: list[str] = [
    '{"ImportId":"startDate","timeZone":"UTC"}',
    '{"ImportId":"endDate","timeZone":"UTC"}',
    '{"ImportId":"status"}',
    '{"ImportId":"ipAddress"}',
    '{"ImportId":"progress"}',
    '{"ImportId":"duration"}',
    '{"ImportId":"finished"}',
    '{"ImportId":"recordedDate","timeZone":"UTC"}',
    '{"ImportId":"_recordId"}',
    '{"ImportId":"recipientLastName"}',
    '{"ImportId":"recipientFirstName"}',
    '{"ImportId":"recipientEmail"}',
    '{"ImportId":"externalDataReference"}',
    '{"ImportId":"distributionChannel"}',
    '{"ImportId":"userLanguage"}',
    '{"ImportId":"QID1"}',
    '{"ImportId":"QID2_TEXT"}',
    '{"ImportId":"CustomerID"}',
    '{"ImportId":"Segment"}',
    '{"ImportId":"ARR"}',
]
CSAT_QUESTION = "How satisfied were you with your support experience?"
CSAT_COMMENT = "Tell us more about your experience"
TYPEFORM_COLUMNS: list[str] = [
    "#",
    CSAT_QUESTION,
    CSAT_COMMENT,
    "Start Date (UTC)",
    "Submit Date (UTC)",
    "Network ID",
]
PLAY_PACKAGE = "com.northwind.home"
PLAY_DEVICES: tuple[str, ...] = (
    "shiba",
    "husky",
    "komodo",
    "caiman",
    "a54x",
    "a35x",
    "dm1q",
    "dm3q",
    "e3q",
    "OnePlus12",
    "aurora",
    "tokay",
    "lynx",
    "felix",
    "m34x",
    "ginkgo",
    "sweet",
    "cancunf",
    "",
)
DEV_REPLIES: dict[str, tuple[str, ...]] = {
    "negative": (
        "Hi, we're sorry about this experience. Please contact us at support@northwind.example so we can look into it.",
        "Thanks for the feedback and apologies for the trouble. Our team is working on a fix in the next release.",
        "Sorry to hear that! Could you send us the details via the in-app chat? We'd like to help.",
        "We apologise for the inconvenience. Please update to the latest version and let us know if it persists.",
    ),
    "positive": (
        "Thank you so much for the kind words!",
        "Thanks for the review, we're glad you like the app!",
        "We really appreciate it, thanks for being a Northwind customer.",
    ),
}
EN_COUNTRIES: tuple[str, ...] = ("US", "US", "US", "GB", "GB", "CA", "AU", "IE", "NZ")

STAGE_TAGS: dict[str, str] = {
    "onboarding & delivery": "shipping",
    "product use": "app",
    "billing & account": "billing",
    "renewal & cancellation": "account",
    "purchase & evaluation": "sales",
    "support & service": "",
}


@dataclass(frozen=True)
class RawLine:
    """A line written as-is, bypassing the format's writer (malformed rows)."""

    text: str


@dataclass
class Planted:
    """A duplicate or bad row planted in an export, for `voc status` to account for."""

    file: str
    row: int  # 1-based data-record number in the file (header rows not counted)
    kind: str  # "duplicate" | "updated_duplicate" | "bad"
    reason: str
    key: str


@dataclass
class FileData:
    """What a writer needs for one export file."""

    name: str
    header: list[list[str]] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # dict (json), list[str] (csv) or RawLine
    keys: list[str] = field(default_factory=list)  # external key of each record ("" when none)


@dataclass
class DemoData:
    """Everything generated for one seed, before any file is written."""

    calendar: Calendar
    files: dict[str, FileData]
    truth: list[dict[str, Any]]
    planted: list[Planted]
    items: list[PlannedItem]
    templates: list[list[str]]  # per truth row: the bank entries its text used
    at_risk_accounts: list[str]
    emerging_counts: dict[str, int]


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


# --- the whole data set --------------------------------------------------------


# Planted bad rows per file: (reason, how to break the row).
BAD_ROWS: dict[str, tuple[str, ...]] = {
    ZENDESK: ("unparseable created_at", "malformed JSON line"),
    APP_STORE: ("rating out of range", "empty review text", "unparseable date"),
    GOOGLE_PLAY: ("rating out of range", "empty review text", "unparseable date"),
    QUALTRICS: ("rating out of range", "empty comment", "unparseable date"),
    TYPEFORM: ("rating out of range", "empty comment", "malformed CSV line"),
}
EXACT_DUPLICATES: dict[str, int] = {ZENDESK: 2, APP_STORE: 2, GOOGLE_PLAY: 2, QUALTRICS: 2, TYPEFORM: 1}
UPDATED_TICKETS = 3


def build_demo_data(seed: int, n_items: int, weeks: int, end: date) -> DemoData:
    """Generate every row of the demo for `seed` (pure; deterministic)."""
    if n_items < 200:
        raise ConfigError(
            f"n_items={n_items} is too small for a demo with 16 themes and planted rows; use at least 200",
            code="E190",
        )
    cal = Calendar.ending(end, weeks)
    plan_rng = random.Random(f"voc-demo-plan-{seed}")
    accounts = make_accounts(plan_rng)
    items = plan_items(plan_rng, cal, n_items, accounts)
    at_risk_list = [a for a in accounts["enterprise"] if a.at_risk]
    # Extra items that become the planted bad rows (not part of n_items).
    bad_items: list[tuple[PlannedItem, str]] = []
    for file in FILES:
        for reason in BAD_ROWS[file]:
            week = plan_rng.randrange(cal.weeks)
            keys = [t.key for t in THEMES]
            theme = _weighted(plan_rng, keys, [t.weights[file] for t in THEMES])
            bad_items.append((_plan_one(plan_rng, cal, week, file, theme, accounts, at_risk_list), reason))

    text_rng = random.Random(f"voc-demo-text-{seed}")
    row_rng = random.Random(f"voc-demo-rows-{seed}")
    nick = _Nicknames(row_rng)
    files = {f: FileData(f) for f in FILES}
    files[GOOGLE_PLAY].header = [GOOGLE_PLAY_COLUMNS]
    files[APP_STORE].header = [APP_STORE_COLUMNS]
    files[QUALTRICS].header = [QUALTRICS_COLUMNS, QUALTRICS_LABELS, QUALTRICS_IMPORT_IDS]
    files[TYPEFORM].header = [TYPEFORM_COLUMNS]
    truth: list[dict[str, Any]] = []
    templates: list[list[str]] = []
    ticket_id = 48_211
    review_id = 11_873_402_115

    def emit(item: PlannedItem) -> tuple[Any, str, Written]:
        nonlocal ticket_id, review_id
        kind = FILE_KIND[item.file]
        writer = {"ticket": write_ticket, "review": write_review, "survey": write_survey}[kind]
        w = writer(text_rng, item)
        if item.file == ZENDESK:
            ticket_id += row_rng.choice((1, 1, 1, 2, 3))
            return _ticket(row_rng, item, w, ticket_id, cal), str(ticket_id), w
        if item.file == APP_STORE:
            review_id += row_rng.randrange(1, 40_000)
            return _app_store(item, w, review_id, nick(item.account)), str(review_id), w
        if item.file == GOOGLE_PLAY:
            row, key = _google_play(row_rng, item, w, cal)
            return row, key, w
        if item.file == QUALTRICS:
            row, key = _qualtrics(row_rng, item, w)
            return row, key, w
        row, key = _typeform(row_rng, item, w)
        return row, key, w

    for item in items:
        record, key, w = emit(item)
        files[item.file].records.append(record)
        files[item.file].keys.append(key)
        truth.append(_truth_row(item, key, cal))
        templates.append(w.templates)

    planted: list[Planted] = []
    _plant_bad_rows(row_rng, files, bad_items, emit, planted)
    _plant_duplicates(row_rng, files, cal, planted)
    _number_planted(files, planted)  # row numbers are final only after every insertion

    emerging_counts = {
        cal.week_start(cal.weeks - off).isoformat(): sum(
            1 for t in truth if EMERGING.key in t["themes"].split(";") and t["week"] == cal.weeks - off
        )
        for off in (2, 1)
    }
    return DemoData(
        calendar=cal,
        files=files,
        truth=truth,
        planted=planted,
        items=items,
        templates=templates,
        at_risk_accounts=[a.customer_id for a in at_risk_list],
        emerging_counts=emerging_counts,
    )


def _truth_row(item: PlannedItem, key: str, cal: Calendar) -> dict[str, Any]:
    account = item.account
    return {
        "file": item.file,
        "key": key,
        "kind": FILE_KIND[item.file],
        "created_at": _iso_z(item.created),
        "week": item.week,
        "week_start": cal.week_start(item.week).isoformat(),
        "themes": ";".join(item.themes),
        "primary_theme": item.themes[0],
        "polarity": item.polarity,
        "rating": "" if item.rating is None else item.rating,
        "language": item.language,
        "customer_id": account.customer_id if account and item.file in (ZENDESK, QUALTRICS) else "",
        "segment": account.segment if account and item.file in (ZENDESK, QUALTRICS) else "",
        "arr": account.arr if account and account.arr and item.file in (ZENDESK, QUALTRICS) else "",
        "at_risk": bool(account and account.at_risk and item.file in (ZENDESK, QUALTRICS)),
    }


def _insert(fd: FileData, pos: int, record: Any, key: str) -> None:
    fd.records.insert(pos, record)
    fd.keys.insert(pos, key)


def _plant_bad_rows(
    rng: random.Random,
    files: dict[str, FileData],
    bad_items: list[tuple[PlannedItem, str]],
    emit,
    planted: list[Planted],
) -> None:
    for item, reason in bad_items:
        fd = files[item.file]
        record, key, _ = emit(item)
        if item.file == ZENDESK:
            if reason == "unparseable created_at":
                record["created_at"] = "31/11/2026 25:61"
            else:
                line = json.dumps(record, ensure_ascii=False)
                record = RawLine(line[: len(line) // 2])  # cut off mid-object, as a killed export would
        elif item.file == APP_STORE:
            col = {"rating out of range": 2, "empty review text": 4, "unparseable date": 1}[reason]
            record[col] = {2: "6", 4: "", 1: "yesterday"}[col]
        elif item.file == GOOGLE_PLAY:
            if reason == "rating out of range":
                record[9] = "0"
            elif reason == "empty review text":
                record[11] = ""
            else:
                record[5], record[6] = "2026-02-30T10:00:00Z", ""
        elif item.file == QUALTRICS:
            if reason == "rating out of range":
                record[15] = "11"
            elif reason == "empty comment":
                record[16] = ""
            else:
                record[0] = record[1] = record[7] = "13/45/2026 10:00"
        else:  # Typeform
            if reason == "rating out of range":
                record[1] = "7"
            elif reason == "empty comment":
                record[2] = ""
            else:
                # An unquoted comma-laden comment: the line has too many fields.
                record = RawLine(
                    ",".join([record[0], record[1], "great, quick, friendly support", *record[3:]])
                )
        pos = rng.randrange(1, len(fd.records))
        _insert(fd, pos, record, key)
        planted.append(Planted(item.file, -1, "bad", reason, key))


def _plant_duplicates(
    rng: random.Random, files: dict[str, FileData], cal: Calendar, planted: list[Planted]
) -> None:
    for file, count in EXACT_DUPLICATES.items():
        fd = files[file]
        # A re-export lands a little after the original; small demos have short files.
        gap = max(2, min(50, len(fd.records) // 2))
        for _ in range(count):
            while True:
                i = rng.randrange(max(1, len(fd.records) - gap))
                if not isinstance(fd.records[i], RawLine) and not _is_bad(fd.keys[i], planted, file):
                    break
            record = fd.records[i]
            copy = json.loads(json.dumps(record)) if isinstance(record, dict) else list(record)
            _insert(fd, i + rng.randrange(1, gap), copy, fd.keys[i])
            planted.append(Planted(file, -1, "duplicate", "exact re-export of a row", fd.keys[i]))
    # Tickets that changed after the first export: appended again with a newer updated_at.
    fd = files[ZENDESK]
    candidates = [
        i
        for i, r in enumerate(fd.records)
        if isinstance(r, dict)
        and r["status"] in ("open", "pending")
        and not _is_bad(fd.keys[i], planted, ZENDESK)
    ]
    for i in sorted(rng.sample(candidates, k=min(UPDATED_TICKETS, len(candidates)))):
        newer = json.loads(json.dumps(fd.records[i]))
        updated = datetime.strptime(newer["updated_at"], "%Y-%m-%dT%H:%M:%SZ")
        later = updated + (cal.export_time - updated) * rng.uniform(0.3, 0.9)
        newer["updated_at"] = _iso_z(later.replace(microsecond=0))
        newer["status"] = "solved"
        fd.records.append(newer)
        fd.keys.append(fd.keys[i])
        planted.append(
            Planted(ZENDESK, -1, "updated_duplicate", "same ticket with a newer updated_at", fd.keys[i])
        )


def _is_bad(key: str, planted: list[Planted], file: str) -> bool:
    return any(p.file == file and p.key == key for p in planted)


def _number_planted(files: dict[str, FileData], planted: list[Planted]) -> None:
    """Fill each planted row's 1-based record number (the second occurrence for duplicates)."""
    for file, fd in files.items():
        positions: dict[str, list[int]] = {}
        for i, key in enumerate(fd.keys):
            positions.setdefault(key, []).append(i + 1)
        for p in (p for p in planted if p.file == file):
            rows = positions[p.key]
            if p.kind == "bad":
                p.row = rows[0]
            else:
                # the n-th duplicate of a key takes the n-th extra occurrence
                taken = sum(
                    1 for q in planted if q.file == file and q.key == p.key and q.kind != "bad" and q.row > 0
                )
                p.row = rows[1 + taken]
