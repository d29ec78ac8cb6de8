"""What each theme is called and how it groups: labels, keywords, quotes, polar names, hierarchy (pure).

Run by `voc.themes.core` after mentions are assigned; reads only arrays and
the registry frame, so it can be tested without a store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from voc.themes.boilerplate import mention_kinds, opinion_share
from voc.themes.hierarchy import group_themes
from voc.themes.labels import Parse, label_themes
from voc.themes.polar_labels import polar_labels
from voc.themes.problems import reads_as_praise
from voc.themes.registry import UNASSIGNED, normalise

# A theme needs this many negative (positive) mentions at its fit for a problem (praise) name of its own.
MIN_POLAR_MENTIONS = 3


def describe_themes(
    registry: pd.DataFrame,
    texts: list[str],
    emb: np.ndarray,
    theme_of: np.ndarray,
    cfg: Any,
    *,
    relabel_all: bool,
    use_spacy: bool,
    encode_fn: Callable[[list[str]], np.ndarray] | None,
    now: datetime,
    polarity: np.ndarray | None = None,
    relabel_polar: bool = False,
) -> pd.DataFrame:
    """Centroids, keywords, quotes, labels (only where missing) and groups of the themes with mentions.

    With `polarity` (each mention's sentiment label), a theme also gets the name
    of its complaints (`problem_label`, from its negative mentions: what the
    backlog calls it) and of its praise (`praise_label`), each chosen against
    the theme's other mentions (renamed on every fit, `relabel_polar`: what
    customers complain about in an aspect moves on; the theme's own label and id
    stay), and the share of its mentions that are verdicts without an aspect
    (`opinion_share`). Sizes, dates and share
    negative are counted in the store when the tables are written
    (`voc.themes.stage`).
    """
    reg = registry.set_index("theme_id", drop=False).copy()
    present = [t for t in dict.fromkeys(theme_of.tolist()) if t != UNASSIGNED and t in reg.index]
    index_of = {t: i for i, t in enumerate(present)}
    lab = np.array([index_of.get(t, -1) for t in theme_of.tolist()], dtype=int)
    parses: dict[str, Parse] = {}  # spaCy parses, shared by the theme and the group labels
    desc = label_themes(texts, lab, emb, n_keywords=cfg.n_keywords, n_quotes=cfg.n_quotes,
                        use_spacy=use_spacy, encode_fn=encode_fn, parses=parses, neutral=True)  # fmt: skip
    reg["size"] = 0
    for t, i in index_of.items():
        mask = lab == i
        d = desc[i]
        reg.at[t, "size"] = int(mask.sum())
        reg.at[t, "centroid"] = normalise(emb[mask].mean(axis=0))[0]
        reg.at[t, "keywords"] = json.dumps(d.keywords)
        reg.at[t, "quotes"] = json.dumps(d.quotes)
        lbl = reg.at[t, "label"]
        needs_label = relabel_all or not isinstance(lbl, str) or not lbl.strip()
        if needs_label and reg.at[t, "label_source"] != "user":
            reg.at[t, "label"] = d.label
        if pd.isna(reg.at[t, "created_at"]):
            reg.at[t, "created_at"] = now
    kinds = mention_kinds(texts)
    for t, i in index_of.items():
        reg.at[t, "opinion_share"] = round(opinion_share(kinds[lab == i].tolist()), 4)
    if polarity is not None:
        for pol, col in (("negative", "problem"), ("positive", "praise")):
            polar_names(reg, col, texts, emb, lab, np.asarray(polarity, dtype=object) == pol, index_of, cfg,
                        relabel_all=relabel_all or relabel_polar, use_spacy=use_spacy, parses=parses)  # fmt: skip
    # Hierarchy over the themes that have mentions.
    reg["group_id"] = None
    reg["group_label"] = None
    if present:
        cents = np.stack([reg.at[t, "centroid"] for t in present])
        sizes = np.array([reg.at[t, "size"] for t in present])
        groups = group_themes(cents, sizes, max_groups=cfg.max_groups)
        glab = np.array([groups[i] if i >= 0 else -1 for i in lab.tolist()], dtype=int)
        gdesc = (
            label_themes(
                texts, glab, emb, n_keywords=3, n_quotes=0, use_spacy=use_spacy, parses=parses, neutral=True
            )
            if len(set(groups)) > 1
            else {}
        )
        for t, g in zip(present, groups.tolist(), strict=True):
            reg.at[t, "group_id"] = f"G{g + 1:02d}"
            reg.at[t, "group_label"] = gdesc[g].label if g in gdesc else "All themes"
    return reg.reset_index(drop=True)


def polar_names(
    reg: pd.DataFrame,
    col: str,
    texts: list[str],
    emb: np.ndarray,
    lab: np.ndarray,
    chosen: np.ndarray,
    index_of: dict[str, int],
    cfg: Any,
    *,
    relabel_all: bool,
    use_spacy: bool,
    parses: dict[str, Parse],
) -> None:
    """Name each theme's negative (`col` "problem") or positive ("praise") mentions (in place).

    Named like themes, against the other themes' complaints (praise), with negations kept for
    complaints; a complaint name that would read as praise takes the name that sets the complaints
    apart from the theme's other mentions instead. Kept as fitted unless `relabel_all`.
    """
    rows = np.flatnonzero(chosen & (lab >= 0))
    counts = np.bincount(lab[rows], minlength=len(index_of)) if len(rows) else np.zeros(len(index_of), int)
    sub = np.where(counts[lab[rows]] >= MIN_POLAR_MENTIONS, lab[rows], -1) if len(rows) else lab[rows]
    problems = col == "problem"
    desc = {}
    if len(rows):
        desc = label_themes([texts[i] for i in rows], sub, emb[rows], n_keywords=cfg.n_keywords, n_quotes=0,
                            use_spacy=use_spacy, parses=parses, negations=problems)  # fmt: skip
    if problems and any(reads_as_praise(d.label) for d in desc.values()):
        rest = np.flatnonzero(~chosen & (lab >= 0))
        contrast = polar_labels([texts[i] for i in rows], sub, [texts[i] for i in rest], lab[rest],
                                n_keywords=cfg.n_keywords, min_mentions=MIN_POLAR_MENTIONS)  # fmt: skip
        for i, d in list(desc.items()):
            if reads_as_praise(d.label) and i in contrast and not reads_as_praise(contrast[i].label):
                desc[i] = contrast[i]
    for t, i in index_of.items():
        have = reg.at[t, f"{col}_label"]
        if not relabel_all and isinstance(have, str) and have.strip():
            continue
        d = desc.get(i)
        reg.at[t, f"{col}_label"] = d.label if d is not None else None
        reg.at[t, f"{col}_keywords"] = json.dumps(d.keywords) if d is not None else None
