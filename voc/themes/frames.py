"""The rows the themes stage writes, built from frames and arrays (pure: no store).

`voc.themes.stage` reads the store and writes these frames; `voc.themes.core`
decides what goes in them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from voc.themes.registry import UNASSIGNED

REGISTRY_COLUMNS = [
    "theme_id", "label", "keywords", "group_id", "group_label", "size", "share_negative", "first_seen",
    "last_seen", "status", "is_new", "centroid", "pinned", "created_at", "parent_id", "merged_into",
    "label_source", "quotes", "problem_label", "problem_keywords", "praise_label", "praise_keywords",
    "opinion_share",
]  # fmt: skip


def mention_frame(mentions: pd.DataFrame, theme_of: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    """The `mentions` rows: (item_id, sent_idx) of each mention with its theme and score."""
    return pd.DataFrame(
        {
            "item_id": mentions["item_id"].to_numpy(dtype=object),
            "sent_idx": mentions["sent_idx"].astype("int32").to_numpy(),
            "theme_id": np.asarray(theme_of).astype(str),
            "score": np.asarray(score, dtype=np.float32),
        }
    )


def retire_empty(registry: pd.DataFrame) -> pd.DataFrame:
    """Themes left with no mentions are retired, unless pinned."""
    reg = registry.copy()
    empty = (pd.to_numeric(reg["size"]).fillna(0) == 0) & ~reg["pinned"].fillna(False).astype(bool)
    reg.loc[empty, "status"] = "retired"
    reg.loc[empty, "is_new"] = False
    return reg


def item_themes(
    items: pd.DataFrame, mention_df: pd.DataFrame, neg: np.ndarray, registry: pd.DataFrame
) -> pd.DataFrame:
    """Per item of `items` (column item_id): all its themes (by mention order) and the primary one.

    The primary theme prefers the complaint; `mention_df` holds (at least)
    these items' mentions and `neg` their negativity.
    """
    label_of = dict(zip(registry["theme_id"], registry["label"], strict=True))
    df = mention_df.assign(neg=np.nan_to_num(neg, nan=0.0))
    assigned = df[df["theme_id"] != UNASSIGNED]
    # Vectorised (one sort per question, not one per item: 100,000 items took minutes).
    # Most salient: a negative mention first, then the closest to its theme, then the earliest.
    best = (
        assigned.sort_values(["item_id", "neg", "score", "sent_idx"], ascending=[True, False, False, True])
        .drop_duplicates("item_id")
        .set_index("item_id")["theme_id"]
    )
    in_order = (
        assigned.sort_values(["item_id", "sent_idx"])
        .drop_duplicates(["item_id", "theme_id"])
        .groupby("item_id", sort=False)["theme_id"]
        .agg(lambda s: json.dumps(s.tolist()))
    )
    out = items.assign(
        theme_id=items["item_id"].map(best).fillna(UNASSIGNED),
        theme_ids=items["item_id"].map(in_order).fillna("[]"),
    )
    out["theme_label"] = [
        "Unassigned" if t == UNASSIGNED else label_of.get(t, t) for t in out["theme_id"].tolist()
    ]
    return out[["item_id", "theme_id", "theme_label", "theme_ids"]].reset_index(drop=True)


def registry_frame(reg: pd.DataFrame) -> pd.DataFrame:
    """The `themes` rows: the registry's columns in order, typed for the store, sorted by id."""
    out = reg.reindex(columns=REGISTRY_COLUMNS).copy()
    out["centroid"] = [np.asarray(c, dtype=np.float32).tolist() if c is not None and not (
        isinstance(c, float) and np.isnan(c)) else None for c in out["centroid"]]  # fmt: skip
    out["size"] = pd.to_numeric(out["size"]).fillna(0).astype("int64")
    out["share_negative"] = pd.to_numeric(out["share_negative"], errors="coerce").astype("float64")
    out["opinion_share"] = pd.to_numeric(out["opinion_share"], errors="coerce").astype("float64")
    out["is_new"] = out["is_new"].fillna(False).astype(bool)
    out["pinned"] = out["pinned"].fillna(False).astype(bool)
    for col in ("first_seen", "last_seen", "created_at"):
        out[col] = pd.to_datetime(out[col], utc=True)
    for col in ("theme_id", "label", "keywords", "group_id", "group_label", "status", "parent_id", "merged_into",
                "label_source", "quotes", "problem_label", "problem_keywords", "praise_label",
                "praise_keywords"):  # fmt: skip
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.sort_values("theme_id").reset_index(drop=True)
