"""Quarantine rows as stored: one row per (source, file, line, reason), fields of bounded size.

Re-reading a file (`voc ingest --full`, `voc analyze --store` again) meets
the same bad rows again; keyed by where they are and why, they are stored
once, so `voc status` counts each bad input row once. A row without a line
(an API record) is keyed by its raw text too.

A 10 MB field is not useful in quarantine.csv and costs memory on every
read: each string in the raw row is cut to `MAX_FIELD_CHARS`, saying how
long it was, and the raw JSON and the detail are bounded as a whole too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from voc.schema import QuarantineRow

MAX_FIELD_CHARS = 2_000
MAX_RAW_CHARS = 20_000
MAX_DETAIL_CHARS = 1_000

# The key as SQL over the table's columns; `key()` below computes the same in Python, so stores
# written before keys existed are re-keyed in place (see `rekey_statements`).
KEY_SQL = (
    "'k' || md5(concat_ws(chr(31), source, coalesce(input_file, ''), coalesce(CAST(input_row AS VARCHAR), ''), "
    "reason, CASE WHEN input_row IS NULL THEN coalesce(raw, '') ELSE '' END))"
)


def key(q: QuarantineRow) -> str:
    """The quarantine row's id: where the row is and why it was set aside."""
    parts = [
        q.source,
        q.input_file or "",
        "" if q.input_row is None else str(q.input_row),
        q.reason,
        q.raw if q.input_row is None else "",
    ]
    return "k" + hashlib.md5("\x1f".join(parts).encode("utf-8")).hexdigest()


def cut(text: str, limit: int) -> str:
    """`text` cut to about `limit` characters, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... [cut: {len(text):,} characters in all]"


def _bound_value(value: Any) -> Any:
    if isinstance(value, str):
        return cut(value, MAX_FIELD_CHARS)
    if isinstance(value, dict):
        return {k: _bound_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bound_value(v) for v in value]
    return value


def bound_raw(raw: str) -> str:
    """The raw row with every long string cut; still JSON when it was JSON."""
    if len(raw) <= MAX_FIELD_CHARS:
        return raw
    try:
        parsed = json.loads(raw)
    except ValueError:
        return cut(raw, MAX_RAW_CHARS)
    bounded = json.dumps(_bound_value(parsed), ensure_ascii=False, default=str)
    return bounded if len(bounded) <= MAX_RAW_CHARS else cut(bounded, MAX_RAW_CHARS)


def bound(q: QuarantineRow) -> QuarantineRow:
    """A copy of `q` whose raw and detail are of bounded size (`q` itself when already small)."""
    raw, detail = bound_raw(q.raw), cut(q.detail, MAX_DETAIL_CHARS)
    if raw is q.raw and detail is q.detail:
        return q
    return q.model_copy(update={"raw": raw, "detail": detail})


def quarantine_frame(rows: Sequence[QuarantineRow], run_id: str | None, now: datetime) -> pd.DataFrame:
    """Rows for the `quarantine` table, bounded and keyed, one per key (the first wins)."""
    seen: dict[str, dict[str, Any]] = {}
    for q in rows:
        b = bound(q)
        k = key(b)
        if k not in seen:
            seen[k] = {
                "qid": k,
                "source": b.source,
                "input_file": b.input_file,
                "input_row": b.input_row,
                "reason": b.reason,
                "detail": b.detail,
                "raw": b.raw,
                "run_id": run_id,
                "quarantined_at": now,
            }
    frame = pd.DataFrame(
        list(seen.values()),
        columns=[
            "qid",
            "source",
            "input_file",
            "input_row",
            "reason",
            "detail",
            "raw",
            "run_id",
            "quarantined_at",
        ],
    )
    frame["input_row"] = frame["input_row"].astype("Int64")
    return frame


def rekey_statements() -> list[str]:
    """SQL that gives rows stored before keys existed their key, keeping the latest of each key."""
    return [
        "CREATE OR REPLACE TEMP TABLE _q_rekey AS SELECT * EXCLUDE (rn) FROM ("
        f"SELECT * REPLACE ({KEY_SQL} AS qid), row_number() OVER (PARTITION BY {KEY_SQL} "
        "ORDER BY quarantined_at DESC) AS rn FROM quarantine WHERE qid NOT LIKE 'k%') WHERE rn = 1",
        "DELETE FROM quarantine WHERE qid NOT LIKE 'k%'",
        "INSERT INTO quarantine SELECT * FROM _q_rekey WHERE qid NOT IN (SELECT qid FROM quarantine)",
        "DROP TABLE _q_rekey",
    ]
