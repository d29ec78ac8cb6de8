"""Per-theme, per-period metrics from items, mentions and sentiment (pure: frames in, frames out).

One row per (item, theme) is the unit: an item that mentions a theme in
three sentences counts once towards that theme's volume. The item is
negative for the theme when it carries a complaint about it: any of its
mentions of the theme is negative, as the themes stage stored it
(`mentions.negative`, `voc.nlp.complaints`), else when the item as a whole is negative.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from voc.nlp.complaints import mention_negative
from voc.rank.periods import period_labels

ITEM_FIELDS = [
    "id",
    "created_at",
    "text",
    "rating",
    "rating_scale",
    "customer_id",
    "revenue",
    "url",
    "external_id",
]


def theme_items(
    items: pd.DataFrame,
    mentions: pd.DataFrame,
    item_sentiment: pd.DataFrame | None = None,
    granularity: str = "week",
    skip_themes: Sequence[str] = ("unassigned",),
) -> pd.DataFrame:
    """One row per (item, theme) with the item's fields, period, negativity and sentiment.

    `mentions` needs item_id and theme_id; optional `sent_idx`, `score`
    (similarity to the theme), `negative` (the stored complaint flag; from
    `label` when absent), `label` and `sentiment` (the sentence's sentiment
    label and score in [-1, 1]). `item_sentiment` (item_id, label, score)
    fills in where neither is known.

    Per row: `negative` / `positive` (the item has a negative / positive mention
    of the theme: a complaint, praise), `neg_sent` / `pos_sent` (the sent_idx of
    the strongest such mention), and the item's own tone (`item_label`, `item_score`).
    """
    m = mentions[~mentions["theme_id"].isin(list(skip_themes))].copy()
    for col, default in (("score", np.nan), ("label", None), ("sentiment", np.nan), ("sent_idx", -1)):
        if col not in m.columns:
            m[col] = default
    # A mention with no stored flag (problem mentions, or a store from before the flag) gets it from its
    # own label by the same definition.
    own = pd.Series(mention_negative(m["label"], pd.Series([None] * len(m), dtype=object)), index=m.index)
    stored = m["negative"] if "negative" in m.columns else pd.Series(np.nan, index=m.index)
    flag = stored.astype("boolean").astype("Float64").astype(float).fillna(own)
    m["is_neg"] = flag.eq(1.0).to_numpy()
    m["neg_known"] = flag.notna().to_numpy()
    m["is_pos"] = m["label"].eq("positive")
    m["has_label"] = m["label"].notna()
    # The strongest complaint (praise) of each (item, theme): the lowest (highest) sentence score.
    key = m["sentiment"].fillna(0.0)
    m["neg_key"] = np.where(m["is_neg"], key, np.inf)
    m["pos_key"] = np.where(m["is_pos"], -key, np.inf)
    grouped = (
        m.groupby(["item_id", "theme_id"], sort=False)
        .agg(
            mention_score=("score", "max"),
            neg=("is_neg", "any"),
            neg_known=("neg_known", "any"),
            positive=("is_pos", "any"),
            has_label=("has_label", "any"),
            sentiment=("sentiment", "min"),
            mentions=("theme_id", "size"),
        )
        .reset_index()
    )
    for flag, sort_key, out_col in (("is_neg", "neg_key", "neg_sent"), ("is_pos", "pos_key", "pos_sent")):
        best = (
            m[m[flag]]
            .sort_values(["item_id", "theme_id", sort_key, "sent_idx"], kind="mergesort")
            .drop_duplicates(["item_id", "theme_id"])[["item_id", "theme_id", "sent_idx"]]
            .rename(columns={"sent_idx": out_col})
        )
        grouped = grouped.merge(best, on=["item_id", "theme_id"], how="left")
    cols = [c for c in ITEM_FIELDS if c in items.columns]
    it = items[cols].rename(columns={"id": "item_id"})
    for col in ITEM_FIELDS:
        key_col = "item_id" if col == "id" else col
        if key_col not in it.columns:
            it[key_col] = None
    out = grouped.merge(it, on="item_id", how="inner")
    if item_sentiment is not None and len(item_sentiment):
        isent = item_sentiment[["item_id", "label", "score"]].rename(
            columns={"label": "item_label", "score": "item_score"}
        )
        out = out.merge(isent, on="item_id", how="left")
    else:
        out["item_label"] = None
        out["item_score"] = np.nan
    # The stored complaint flag wins; the item's own label fills in where there is none.
    out["negative"] = np.where(out["neg_known"], out["neg"], out["item_label"].eq("negative"))
    out["positive"] = np.where(out["has_label"], out["positive"], out["item_label"].eq("positive"))
    out["known_sentiment"] = out["has_label"] | out["neg_known"] | out["item_label"].notna()
    out["sentiment"] = out["sentiment"].where(out["sentiment"].notna(), out["item_score"])
    out["period"] = period_labels(out["created_at"], granularity) if len(out) else pd.Series(dtype=object)
    return out.drop(columns=["neg", "neg_known", "has_label"])


def severity_signals(texts: pd.Series, patterns: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Boolean frame (one column per signal) of which severity patterns each text matches."""
    out = pd.DataFrame(index=texts.index)
    t = texts.fillna("").astype(str)
    for name, pats in patterns.items():
        rx = re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE) if pats else None
        out[name] = t.map(lambda s, rx=rx: bool(rx.search(s)) if rx else False).astype(bool)
    return out


def period_metrics(
    ti: pd.DataFrame, periods: str | Sequence[str], patterns: Mapping[str, Sequence[str]]
) -> pd.DataFrame:
    """Volume, customers, negativity, sentiment, revenue at risk and severity per theme over `periods`.

    Unique customers count items without a customer id as one customer
    each. Revenue at risk sums, over customers with a negative mention, the
    largest revenue seen for that customer; None when no affected item has revenue.
    """
    wanted = [periods] if isinstance(periods, str) else list(periods)
    cur = ti[ti["period"].isin(wanted)]
    columns = [
        "volume",
        "negative_volume",
        "unique_customers",
        "share_negative",
        "mean_sentiment",
        "revenue_at_risk",
        "severity",
        "severity_share",
    ]
    if cur.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="theme_id"))
    cur = cur.assign(
        customer_key=cur["customer_id"].where(
            cur["customer_id"].notna(), "item:" + cur["item_id"].astype(str)
        )
    )
    sev = severity_signals(cur["text"], patterns)
    rows = {}
    for theme_id, g in cur.groupby("theme_id", sort=True):
        known = g["known_sentiment"].any()
        neg = g[g["negative"]]
        rev = neg.dropna(subset=["revenue"]).groupby("customer_key")["revenue"].max()
        s = sev.loc[g.index]
        signals = [name for name in s.columns if s[name].any()]
        rows[theme_id] = {
            "volume": len(g),
            "negative_volume": len(neg) if known else len(g),
            "unique_customers": int(g["customer_key"].nunique()),
            "share_negative": float(g.loc[g["known_sentiment"], "negative"].mean()) if known else None,
            "mean_sentiment": float(g["sentiment"].mean()) if g["sentiment"].notna().any() else None,
            "revenue_at_risk": float(rev.sum()) if len(rev) else None,
            "severity": signals,
            "severity_share": float(s.any(axis=1).mean()) if len(s.columns) else 0.0,
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    out.index.name = "theme_id"
    return out
