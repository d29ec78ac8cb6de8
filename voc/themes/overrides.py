"""User edits to themes (rename, merge, split, pin), re-applied after every fit and match.

Edits name registry ids, which are stable, so applying the same edits again
after a refit gives the same result: a merged theme's mentions go to the
kept id, a split theme is cut again into the same children (matched to the
children's previous centroids), a renamed or pinned theme keeps its label.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from voc.config.themes import ThemeOverrides
from voc.themes.registry import UNASSIGNED, match_centroids, new_ids, normalise

log = logging.getLogger(__name__)


@dataclass
class OverrideResult:
    """Mention assignments and registry after the edits, and what was done."""

    theme_of: np.ndarray  # theme id per mention (object array of str)
    registry: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def _ensure_columns(registry: pd.DataFrame) -> pd.DataFrame:
    reg = registry.copy()
    for col, default in (
        ("parent_id", None),
        ("merged_into", None),
        ("pinned", False),
        ("label_source", "auto"),
    ):
        if col not in reg.columns:
            reg[col] = default
    return reg


def apply_overrides(
    theme_of: np.ndarray,
    embeddings: np.ndarray,
    registry: pd.DataFrame,
    overrides: ThemeOverrides,
    *,
    seed: int = 42,
) -> OverrideResult:
    """Apply merge, split, rename and pin to mention assignments and the registry.

    `theme_of` holds one registry id (or "unassigned") per mention, aligned
    with `embeddings`; `registry` has at least theme_id, label, centroid,
    status. Unknown ids are reported in `notes` and otherwise ignored, so a
    stale edit never stops a run. Nothing is changed in place.
    """
    theme_of = np.asarray(theme_of, dtype=object).copy()
    reg = _ensure_columns(registry).set_index("theme_id", drop=False)
    notes: list[str] = []
    known = set(reg.index)

    for group in overrides.merge:
        keep, *others = group
        missing = [t for t in group if t not in known]
        if missing:
            notes.append(f"merge {group}: unknown theme ids {missing}; skipped")
            continue
        mask = np.isin(theme_of, others)
        theme_of[mask] = keep
        reg.loc[others, "merged_into"] = keep
        reg.loc[others, "status"] = "retired"
        reg.loc[keep, "status"] = (
            reg.loc[keep, "status"] if reg.loc[keep, "status"] != "retired" else "active"
        )
        notes.append(f"merged {others} into {keep} ({int(mask.sum())} mentions moved)")

    for parent, parts in overrides.split.items():
        if parent not in known:
            notes.append(f"split {parent}: unknown theme id; skipped")
            continue
        theme_of, reg, note = _split(theme_of, embeddings, reg, parent, parts, seed)
        notes.append(note)

    for tid, label in overrides.rename.items():
        if tid not in reg.index:
            notes.append(f"rename {tid}: unknown theme id; skipped")
            continue
        reg.loc[tid, "label"] = label
        reg.loc[tid, "label_source"] = "user"
    for tid in overrides.pin:
        if tid not in reg.index:
            notes.append(f"pin {tid}: unknown theme id; skipped")
            continue
        reg.loc[tid, "pinned"] = True
        if reg.loc[tid, "status"] == "retired" and pd.isna(reg.loc[tid, "merged_into"]):
            reg.loc[tid, "status"] = "active"
    for n in notes:
        log.info("themes: override: %s", n)
    return OverrideResult(theme_of=theme_of, registry=reg.reset_index(drop=True), notes=notes)


def _split(
    theme_of: np.ndarray, embeddings: np.ndarray, reg: pd.DataFrame, parent: str, parts: int, seed: int
) -> tuple[np.ndarray, pd.DataFrame, str]:
    from sklearn.cluster import KMeans

    children = reg.index[reg["parent_id"] == parent].tolist()
    family = [parent, *children]
    mask = np.isin(theme_of, family)
    n = int(mask.sum())
    if n < parts:
        return theme_of, reg, f"split {parent}: only {n} mentions, fewer than {parts} parts; left as is"
    x = normalise(embeddings[mask])
    km = KMeans(n_clusters=parts, n_init=10, random_state=seed).fit(x)
    part_c = normalise(km.cluster_centers_)
    # Keep the children's ids: match this cut's parts to their previous centroids.
    child_ids: list[str | None] = [None] * parts
    if children:
        old = np.stack([np.asarray(reg.loc[c, "centroid"], dtype=np.float32) for c in children])
        matched, _ = match_centroids(part_c, old, threshold=-1.0)
        for p, c in matched.items():
            child_ids[p] = children[c]
    fresh = iter(new_ids(reg.index, sum(c is None for c in child_ids)))
    rows = []
    for p in range(parts):
        if child_ids[p] is None:
            tid = next(fresh)
            child_ids[p] = tid
            rows.append(
                {
                    "theme_id": tid,
                    "label": "",
                    "status": "new",
                    "parent_id": parent,
                    "centroid": part_c[p].tolist(),
                    "pinned": False,
                    "label_source": "auto",
                }
            )
    if rows:
        add = pd.DataFrame(rows).set_index("theme_id", drop=False)
        reg = pd.concat([reg, add.reindex(columns=reg.columns)])
    for p, tid in enumerate(child_ids):
        reg.at[tid, "centroid"] = part_c[p].tolist()
        if reg.at[tid, "status"] == "retired":
            reg.at[tid, "status"] = "active"
    sub = np.asarray(child_ids, dtype=object)[km.labels_]
    theme_of[np.flatnonzero(mask)] = sub
    reg.loc[parent, "status"] = "retired"
    return theme_of, reg, f"split {parent} ({n} mentions) into {', '.join(str(c) for c in child_ids)}"


def is_assigned(theme_of: np.ndarray) -> np.ndarray:
    """Boolean mask of mentions that have a theme."""
    return np.asarray(theme_of, dtype=object) != UNASSIGNED
