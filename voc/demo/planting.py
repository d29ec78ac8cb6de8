"""Planted duplicates and bad rows in the demo exports, for `voc status` to account for (pure)."""

from __future__ import annotations

import json
import random
from datetime import datetime
from typing import Any

from voc.demo.exports import FileData, Planted, RawLine
from voc.demo.formats import _iso_z
from voc.demo.plan import (
    Calendar,
    PlannedItem,
)
from voc.demo.themes import (
    APP_STORE,
    GOOGLE_PLAY,
    QUALTRICS,
    TYPEFORM,
    ZENDESK,
)

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
