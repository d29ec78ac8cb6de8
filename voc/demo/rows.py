"""Export rows in the real formats, plus planted duplicates and bad rows (pure).

`build_demo_data` turns a seed into everything the writers need: header
rows and data rows per file, the ground truth per item, and the list of
planted rows. Nothing here touches the file system.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from voc.demo.exports import (
    APP_STORE_COLUMNS,
    DEV_REPLIES,
    EN_COUNTRIES,
    GOOGLE_PLAY_COLUMNS,
    NPS_QUESTION,
    NPS_REASON,
    PLAY_DEVICES,
    PLAY_PACKAGE,
    QUALTRICS_COLUMNS,
    QUALTRICS_IMPORT_IDS,
    QUALTRICS_LABELS,
    STAGE_TAGS,
    TYPEFORM_COLUMNS,
    ZENDESK_ARR_FIELD,
    ZENDESK_FIELDS,
    ZENDESK_HOST,
    ZENDESK_SEGMENT_FIELD,
    DemoData,
    FileData,
    Planted,
    RawLine,
)
from voc.demo.formats import _app_store, _google_play, _iso_z, _Nicknames, _qualtrics, _ticket, _typeform
from voc.demo.plan import (
    Calendar,
    PlannedItem,
    _plan_one,
    _weighted,
    make_accounts,
    plan_items,
)
from voc.demo.planting import (
    BAD_ROWS,
    EXACT_DUPLICATES,
    UPDATED_TICKETS,
    _number_planted,
    _plant_bad_rows,
    _plant_duplicates,
)
from voc.demo.text import Written, write_review, write_survey, write_ticket
from voc.demo.themes import (
    APP_STORE,
    EMERGING,
    FILE_KIND,
    FILES,
    GOOGLE_PLAY,
    QUALTRICS,
    THEMES,
    TYPEFORM,
    ZENDESK,
)
from voc.errors import ConfigError

# The export formats (`voc.demo.formats`, `voc.demo.exports`) and the planted rows (`voc.demo.planting`)
# have their own modules; callers have always found the columns and containers here.
__all__ = [
    "APP_STORE_COLUMNS", "BAD_ROWS", "DEV_REPLIES", "EN_COUNTRIES", "EXACT_DUPLICATES", "GOOGLE_PLAY_COLUMNS",
    "NPS_QUESTION", "NPS_REASON", "PLAY_DEVICES", "PLAY_PACKAGE", "QUALTRICS_COLUMNS", "QUALTRICS_IMPORT_IDS",
    "QUALTRICS_LABELS", "STAGE_TAGS", "TYPEFORM_COLUMNS", "UPDATED_TICKETS", "ZENDESK_ARR_FIELD", "ZENDESK_FIELDS",
    "ZENDESK_HOST", "ZENDESK_SEGMENT_FIELD", "DemoData", "FileData", "Planted", "RawLine", "build_demo_data",
]  # fmt: skip

# --- the whole data set --------------------------------------------------------


def build_demo_data(seed: int, n_items: int, weeks: int, end: date) -> DemoData:
    """Generate every row of the demo for `seed` (pure; deterministic)."""
    if n_items < 200:
        raise ConfigError(
            f"n_items={n_items} is too small for a demo with 16 themes and planted rows; use at least 200",
            code="E192",
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
