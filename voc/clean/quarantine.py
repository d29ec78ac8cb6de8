"""Quarantined rows keep their structure, file, line and reason, never their raw PII.

A row that could not be mapped (bad date, bad rating, missing text, a broken
line) reaches the store as the raw row in JSON. Its text fields are redacted
with the same redactor as stored items; values under keys that only identify
a person ("email", "phone", "requester", "author" ...) are replaced whole,
numbers included, because a bare phone number in its own column has no
context to recognise it by. The `detail` message, which quotes the offending
value, is redacted too.

`clean.quarantine_keep_raw = true` keeps rows as read, for debugging an
export: raw PII then sits in the `quarantine` table and `quarantine.csv`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from voc.clean.pii import redact
from voc.config.core import CleanConfig
from voc.ingest.mapping import PII_COLUMNS
from voc.schema import QuarantineRow

# Keys (lower-cased) whose value identifies a person whatever it looks like.
PERSON_KEYS: frozenset[str] = PII_COLUMNS | frozenset(
    {
        "name",
        "email_address",
        "e-mail",
        "mail",
        "phone_number",
        "telephone",
        "mobile",
        "author_name",
        "requester_name",
        "contact_name",
        "customer_name",
        "first_name",
        "last_name",
        "full_name",
        "username",
        "user_name",
        "user name",
        "username_display",
        "address",
        "street",
        "ip",
        "ip_address",
    }
)
MASK = "[REDACTED]"


def _redact_json(value: Any, cfg: CleanConfig, key: str | None = None) -> Any:
    if key is not None and key.strip().lower() in PERSON_KEYS and value not in (None, ""):
        if isinstance(value, dict):
            return {k: _redact_json(v, cfg, k) for k, v in value.items()}
        return MASK
    if isinstance(value, str):
        return redact(
            value, phone_regions=cfg.phone_regions, names=cfg.redact_names, addresses=cfg.redact_addresses
        )[0]
    if isinstance(value, dict):
        return {k: _redact_json(v, cfg, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_json(v, cfg) for v in value]
    return value


def redact_raw(raw: str, cfg: CleanConfig) -> str:
    """The raw row (JSON, or the line's text when it was not JSON) with its PII redacted."""
    try:
        parsed = json.loads(raw)
    except (ValueError, TypeError):
        return _redact_json(raw, cfg)
    return json.dumps(_redact_json(parsed, cfg), ensure_ascii=False, default=str)


def redact_quarantine(rows: Sequence[QuarantineRow], cfg: CleanConfig) -> list[QuarantineRow]:
    """Quarantine rows with `raw` and `detail` redacted (unchanged with redaction off or keep-raw on)."""
    if not cfg.redact_pii or cfg.quarantine_keep_raw:
        return list(rows)
    out = []
    for row in rows:
        detail = _redact_json(row.detail, cfg) if row.detail else row.detail
        out.append(
            row.model_copy(update={"raw": redact_raw(row.raw, cfg) if row.raw else row.raw, "detail": detail})
        )
    return out
