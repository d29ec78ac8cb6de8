"""How well the stored themes recover the demo's planted themes, item by item.

The demo generator writes each item's planted themes to `_truth.csv`. An
item that carries one planted theme should have a primary theme (the one
its backlog entry counts it under) that stands for that planted theme.
Scored on those items only: an item with two planted themes has no single
right answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from voc.eval.metrics import nmi
from voc.themes.registry import UNASSIGNED


@dataclass
class ThemeRecovery:
    """One stored theme: the planted theme most of its single-theme items carry, and how many do."""

    theme_id: str
    label: str
    items: int
    planted: str
    purity: float


@dataclass
class DemoThemeScore:
    """Item-level agreement between stored primary themes and planted themes."""

    items: int  # single-theme items with a stored primary theme
    unthemed: int  # single-theme items with no theme, or only unassigned mentions
    planted: int
    themes: int
    nmi: float
    ari: float
    majority_accuracy: float  # each theme read as its majority planted theme (optimistic: fit on these items)
    recovery: list[ThemeRecovery] = field(default_factory=list)


def score_demo_themes(item_themes: pd.DataFrame, truth: pd.DataFrame) -> DemoThemeScore:
    """Score `item_themes` (item_id, theme_id, theme_label) against `truth` (item_id, themes as lists).

    Truth rows with no stored item (`item_id` missing) are ignored; single-theme
    items without a stored theme (none, or only unassigned mentions) are counted
    as `unthemed`, not scored and not dropped silently.
    """
    from sklearn.metrics import adjusted_rand_score

    known = truth.dropna(subset=["item_id"])
    named = known["themes"].map(lambda t: [x for x in t if x])
    one = named.map(len) == 1
    single = known[one].assign(planted=named[one].str[0])
    joined = single[["item_id", "planted"]].merge(
        item_themes[["item_id", "theme_id", "theme_label"]], on="item_id", how="left"
    )
    none = joined["theme_id"].isna() | (joined["theme_id"] == UNASSIGNED)
    unthemed = int(none.sum())
    joined = joined[~none]
    if joined.empty:
        return DemoThemeScore(0, unthemed, single["planted"].nunique(), 0, 0.0, 0.0, 0.0)
    recovery = []
    for (tid, label), grp in joined.groupby(["theme_id", "theme_label"], sort=False):
        counts = grp["planted"].value_counts()
        recovery.append(ThemeRecovery(str(tid), str(label), len(grp), str(counts.index[0]),
                                      float(counts.iloc[0] / len(grp))))  # fmt: skip
    recovery.sort(key=lambda r: (-r.items, r.theme_id))
    majority = {r.theme_id: r.planted for r in recovery}
    hits = (joined["theme_id"].map(majority) == joined["planted"]).mean()
    return DemoThemeScore(
        items=len(joined),
        unthemed=unthemed,
        planted=single["planted"].nunique(),
        themes=joined["theme_id"].nunique(),
        nmi=nmi(joined["planted"], joined["theme_id"]),
        ari=float(adjusted_rand_score(joined["planted"], joined["theme_id"])),
        majority_accuracy=float(hits),
        recovery=recovery,
    )
