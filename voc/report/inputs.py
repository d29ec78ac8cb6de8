"""Reading the report's inputs: items with sentiment, (item, theme) pairs, a backlog in any of its shapes.

Small tolerant converters too: stage tables arrive with NaN, JSON text or lists.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import InputError, StageError
from voc.rank.periods import bucket_starts
from voc.report import fmt
from voc.report.models import (
    AlertView,
    BacklogEntryView,
    Quote,
)
from voc.report.weeks import parse_week, week_starts
from voc.safe import safe_url

REQUIRED_ITEM_COLUMNS = ("id", "created_at", "text")
UNASSIGNED = "unassigned"  # voc.themes.registry.UNASSIGNED: items no theme claimed
UNMAPPED = "unmapped"  # voc.taxonomy: a theme no stage or pillar fits
KINDS = ("ticket", "review", "survey")
# Customer-journey order for the heatmap rows; stages not listed follow alphabetically.
JOURNEY_ORDER = [
    "awareness", "discovery", "consideration", "evaluation", "purchase", "checkout", "signup", "sign-up",
    "onboarding", "setup", "activation", "usage", "use", "product use", "adoption", "delivery", "billing",
    "payment", "support", "service", "renewal", "retention", "cancellation", "churn", "advocacy",
]  # fmt: skip


def as_list(value: Any) -> list[str]:
    """theme_ids / keywords arrive as a JSON string, a list, an array or nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return []
        if s.startswith("["):
            try:
                return [str(v) for v in json.loads(s) if v is not None]
            except ValueError:
                pass
        return [p.strip() for p in s.split(",") if p.strip()]
    if isinstance(value, Iterable):
        return [str(v) for v in value if v is not None]
    return [str(value)]


def opt_float(x: Any) -> float | None:
    """A float, or None for missing/NaN/unparseable values."""
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def opt_str(x: Any) -> str | None:
    """A stripped string, or None for missing/blank values."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return None
    s = str(x).strip()
    return s or None


def opt_date(x: Any) -> date | None:
    """The date of a timestamp-like value, or None."""
    if x is None or x is pd.NaT or (isinstance(x, float) and math.isnan(x)):
        return None
    try:
        ts = pd.Timestamp(x)
    except (TypeError, ValueError):
        return None
    return None if pd.isna(ts) else ts.date()


def has(df: pd.DataFrame | None, *cols: str) -> bool:
    """True when `df` exists, has rows and has every one of `cols`."""
    return df is not None and len(df) > 0 and all(c in df.columns for c in cols)


def to_dict(obj: Any) -> dict[str, Any]:
    """A pydantic model, mapping or plain object as a dict."""
    if hasattr(obj, "model_dump"):
        return obj.model_dump()
    if isinstance(obj, Mapping):
        return dict(obj)
    return dict(vars(obj))


def quote_from_row(row: Mapping[str, Any], limit: int) -> Quote:
    """A `Quote` from an item row, cut to `limit` characters, keeping only http(s) links."""
    return Quote(
        item_id=str(row.get("id", "")),
        text=fmt.shorten(str(row.get("text", "")), limit),
        url=safe_url(row.get("url")),
        sentiment=opt_str(row.get("label")),
        source=opt_str(row.get("source")),
    )


def pick_quote(rows: pd.DataFrame, limit: int) -> Quote | None:
    """The most telling item: negative first, then the strongest score, preferring readable lengths."""
    if rows.empty:
        return None
    r = rows.assign(
        _neg=(rows["label"] != "negative").astype(int),
        _len=(~rows["text"].astype(str).str.len().between(30, 400)).astype(int),
        _score=rows["score"].fillna(0.0),
    ).sort_values(["_neg", "_len", "_score", "id"])
    return quote_from_row(r.iloc[0].to_dict(), limit)


# The one period of an undated report: every item is filed under this day.
UNDATED_DAY = date(1970, 1, 1)


def prepare_items(
    items: pd.DataFrame, sentiment: pd.DataFrame | None, granularity: str = "week"
) -> pd.DataFrame:
    """Items with their period (column `week`: the first day of the item's week, month or quarter)
    and item sentiment joined on; a clear error when key columns are missing.

    With granularity 'all' (an undated report) every item is in one period, `UNDATED_DAY`.
    """
    missing = [c for c in REQUIRED_ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise StageError(
            f"report: the items frame lacks column(s) {', '.join(missing)}; it needs at least "
            f"{', '.join(REQUIRED_ITEM_COLUMNS)} (see voc.schema.ITEM_COLUMNS)",
            code="E560",
        )
    it = items.copy()
    for col in ("source", "kind", "rating", "rating_scale", "customer_id", "segment", "revenue", "url"):
        if col not in it.columns:
            it[col] = None
    it["id"] = it["id"].astype(str)
    it["created_at"] = pd.to_datetime(it["created_at"], utc=True)
    if granularity == "all":
        it["week"] = UNDATED_DAY
    elif granularity == "week":
        it["week"] = week_starts(it["created_at"])
    else:
        it["week"] = bucket_starts(it["created_at"], granularity)
    it["rating"] = pd.to_numeric(it["rating"], errors="coerce")
    it["revenue"] = pd.to_numeric(it["revenue"], errors="coerce")
    # Stores written before revenue was checked at ingest may hold inf or negatives: not an amount.
    it["revenue"] = it["revenue"].where(np.isfinite(it["revenue"]) & (it["revenue"] >= 0))
    it["kind"] = it["kind"].astype(object).where(it["kind"].notna(), "unknown").astype(str)
    if has(sentiment, "item_id", "label"):
        s = sentiment[["item_id", "label", *(["score"] if "score" in sentiment.columns else [])]].copy()
        s["item_id"] = s["item_id"].astype(str)
        s = s.drop_duplicates("item_id", keep="last")
        it = it.merge(s, left_on="id", right_on="item_id", how="left").drop(columns=["item_id"])
    else:
        it["label"] = None
    if "score" not in it.columns:
        it["score"] = np.nan
    it["score"] = pd.to_numeric(it["score"], errors="coerce")
    it["label"] = it["label"].astype(object)
    return it


def theme_pairs(it: pd.DataFrame, item_themes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (item, theme): an item in two themes counts once in each.

    `complaint` says whether the item carries a complaint about the theme, as the themes stage
    stored it (`item_themes.complaint_ids`, `voc.nlp.complaints`); a store from before that column
    falls back to the item's own tone.
    """
    cols = ["id", "theme_id", "week", "created_at", "label", "score", "text", "url", "source", "kind",
            "complaint"]  # fmt: skip
    if not has(item_themes, "item_id"):
        return pd.DataFrame(columns=cols)
    f = item_themes.copy()
    f["item_id"] = f["item_id"].astype(str)
    if "theme_ids" in f.columns:
        ids = [
            as_list(many) or ([str(one)] if opt_str(one) else [])
            for many, one in zip(f["theme_ids"], f.get("theme_id", [None] * len(f)), strict=True)
        ]
    else:
        ids = [[str(one)] if opt_str(one) else [] for one in f["theme_id"]]
    stored = f["complaint_ids"] if "complaint_ids" in f.columns else pd.Series(None, index=f.index)
    complained = [None if not isinstance(c, str) else set(as_list(c)) for c in stored]
    f = pd.DataFrame(
        {
            "item_id": f["item_id"].to_numpy(dtype=object),
            "theme_id": pd.Series(ids, dtype=object),
            "complained": pd.Series(complained, dtype=object),
        }
    )
    f = f.explode("theme_id").dropna(subset=["theme_id"])
    f = f[f["theme_id"] != UNASSIGNED]
    f = f.assign(
        stored=[None if c is None else t in c for t, c in zip(f["theme_id"], f["complained"], strict=True)]
    ).drop(columns=["complained"])
    f = f.drop_duplicates(["item_id", "theme_id"])
    pairs = f.merge(
        it[[c for c in cols if c not in ("theme_id", "complaint")]],
        left_on="item_id",
        right_on="id",
        how="inner",
    )
    tone = (pairs["label"] == "negative").astype(float)
    pairs["complaint"] = pairs["stored"].astype("boolean").astype("Float64").astype(float).fillna(tone)
    # Counted where the item's sentiment is known, as before.
    pairs["complaint"] = pairs["complaint"].where(pairs["label"].notna())
    return pairs[cols].reset_index(drop=True)


def backlog_parts(backlog: Any) -> tuple[list[BacklogEntryView] | None, list[Any], str | None]:
    """Entries, alerts and period from a `Backlog`, a dict, or a plain list of entries."""
    if backlog is None:
        return None, [], None
    if isinstance(backlog, list | tuple):
        raw_entries, alerts, period = list(backlog), [], None
    else:
        d = to_dict(backlog)
        raw_entries, alerts, period = (
            list(d.get("entries") or []),
            list(d.get("alerts") or []),
            d.get("period"),
        )
    entries = [BacklogEntryView.model_validate(decode_entry(to_dict(e))) for e in raw_entries]
    entries.sort(key=lambda e: e.rank)
    return entries, alerts, opt_str(period)


def backlog_values(backlog: Any) -> list[BacklogEntryView]:
    """The "what customers value" entries a `Backlog` (or its dict) carries; [] for anything else."""
    if backlog is None or isinstance(backlog, list | tuple):
        return []
    raw = to_dict(backlog).get("values") or []
    return sorted(
        (BacklogEntryView.model_validate(decode_entry(to_dict(e))) for e in raw), key=lambda e: e.rank
    )


def backlog_period_of(backlog: Any) -> str | None:
    """The period label a backlog carries (None for a bare list, 'none' or 'all')."""
    if backlog is None or isinstance(backlog, list | tuple):
        return None
    period = opt_str(to_dict(backlog).get("period"))
    return None if period in ("none", "all") else period


def decode_entry(d: dict[str, Any]) -> dict[str, Any]:
    """A backlog row as read back from the `backlog` table: JSON text to lists and dicts, NaN to absent."""
    d = dict(d)
    for key in ("breakdown", "verbatims", "severity", "example_ids", "example_urls"):
        if isinstance(d.get(key), str):
            try:
                d[key] = json.loads(d[key])
            except ValueError:
                d[key] = [d[key]] if key == "severity" else None
        if d.get(key) is None:
            d.pop(key, None)
    for key, value in list(d.items()):
        if isinstance(value, float) and math.isnan(value):
            d[key] = None
    return d


def looks_like_week(label: str) -> bool:
    """True for an ISO week label such as '2026-W47'."""
    try:
        parse_week(label)
    except InputError:
        return False
    return True


def alert_view(a: Any) -> AlertView:
    """An alert from any producer (voc.alerts Alert, dict, or text) in the report's shape."""
    if isinstance(a, str):
        return AlertView(title=a)
    d = to_dict(a)
    title = next(
        (str(d[k]) for k in ("title", "message", "text", "summary", "rule", "kind") if d.get(k)), str(d)
    )
    detail = next((str(d[k]) for k in ("detail", "reason", "description", "why") if d.get(k)), "")
    if not detail and d.get("title") and d.get("text"):
        # voc.alerts.rules.Alert: text is the message body; its 'Why:' and 'Stage:' lines explain it.
        body = [ln for ln in str(d["text"]).splitlines() if ln.startswith(("Why:", "Stage:"))]
        detail = " ".join(body)
    return AlertView(
        severity=str(d.get("severity") or d.get("level") or d.get("kind") or "warning").replace("_", " "),
        title=title,
        detail=detail,
        theme_id=opt_str(d.get("theme_id")),
    )
