"""The themes stage's core: mentions and the registry in, assignments and a registry diff out (pure).

No store and no file: `voc.themes.stage` reads the mentions, their
embeddings and sentiment and the registry, calls `update_registry` (a fit,
a refit or an incremental run) or `assign_new` (the weekly append-only
path), and writes what comes back. Both return a `RegistryDiff`: the
registry after the run plus what changed in it (new themes, themes a refit
matched to their old id, status changes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from voc.clean.language import may_be_english
from voc.config.themes import ThemesConfig
from voc.themes.boilerplate import mention_kinds
from voc.themes.describe import describe_themes
from voc.themes.discover import fit_themes, linked_mentions
from voc.themes.frames import REGISTRY_COLUMNS, retire_empty
from voc.themes.overrides import apply_overrides
from voc.themes.registry import (
    UNASSIGNED,
    assign_to_centroids,
    cosine_to,
    match_centroids,
    nearest_centroid,
    new_ids,
)
from voc.themes.verdicts import apply_merges, verdict_merges

log = logging.getLogger(__name__)

EncodeFn = Callable[[list[str]], np.ndarray]


@dataclass
class RegistryDiff:
    """What one run changes in the theme registry.

    `registry` is the whole registry after the run (what the stage writes);
    `new` the ids this run created, `matched` the refitted themes that kept
    an existing id, `status` each theme whose status changed: id -> (before,
    after), before None for a new theme.
    """

    registry: pd.DataFrame
    new: list[str] = field(default_factory=list)
    matched: list[str] = field(default_factory=list)
    status: dict[str, tuple[str | None, str]] = field(default_factory=dict)


@dataclass
class ThemeUpdate:
    """One run's assignments (aligned with the mentions given) and its registry diff."""

    theme_of: np.ndarray  # registry id per mention, or UNASSIGNED
    score: np.ndarray  # cosine of each mention to its theme's centroid (0 when unassigned)
    usable: np.ndarray  # the mentions that could be themed (English, some content)
    diff: RegistryDiff
    override_notes: list[str] = field(default_factory=list)
    note: str = ""  # discovery's remark on this fit (e.g. too few mentions), or ""
    fit_info: dict[str, Any] | None = None  # the `theme_fits` row of a fit, None otherwise

    @property
    def registry(self) -> pd.DataFrame:
        """The registry after the run."""
        return self.diff.registry


def usable_mentions(mentions: pd.DataFrame, texts: list[str]) -> np.ndarray:
    """Only English mentions with some content are themed (the encoder and the labels are English)."""
    lang = mentions["language"].astype(object).where(mentions["language"].notna(), None).tolist()
    survey = (mentions["kind"] == "survey").to_numpy() if "kind" in mentions.columns else None
    return (mention_kinds(texts, survey) != "boilerplate") & np.array(
        [may_be_english(lg) for lg in lang], dtype=bool
    )


def update_registry(
    mentions: pd.DataFrame,
    emb: np.ndarray,
    registry: pd.DataFrame,
    cfg: ThemesConfig,
    *,
    fit: bool,
    known: pd.DataFrame | None,
    polarity: np.ndarray,
    now: datetime,
    label_encode_fn: EncodeFn | None = None,
) -> ThemeUpdate:
    """Theme every mention and update the registry: a fit (`fit`) or an incremental run.

    `mentions` has item_id, sent_idx, text, created_at, language, kind, with
    `emb` their embeddings; `known` the stored theme and score of the
    mentions themed before (item_id, sent_idx, theme_id, score; incremental
    runs keep them), `polarity` each mention's sentiment label (None when
    unscored). `label_encode_fn` embeds label candidates when a theme needs a
    new label (None: labels from counts alone, as in tests without a model).
    """
    texts = mentions["text"].astype(str).tolist()
    usable = usable_mentions(mentions, texts)
    before = registry.copy()
    note, fit_info, matched = "", None, []
    if fit:
        theme_of, score, registry, note, fit_info, matched = fit_registry(mentions, texts, emb, usable, registry, cfg,
                                                                          now=now)  # fmt: skip
    else:
        theme_of, score, registry = keep_known(mentions, emb, usable, registry, known, cfg)

    ov = apply_overrides(theme_of, emb, registry, cfg.overrides, seed=cfg.seed)
    theme_of, registry = ov.theme_of, ov.registry
    if fit and cfg.verdict_share < 1:
        theme_of, registry = merge_verdicts(theme_of, registry, mentions, texts, polarity, cfg.verdict_share)
    # Label candidates are embedded (KeyBERT-style) only when some theme needs a new label:
    # an incremental week would otherwise load the encoder just to recompute labels it keeps.
    labelled = set(registry.loc[registry["label"].fillna("").astype(str).str.strip() != "", "theme_id"])
    needs_labels = fit or any(t not in labelled for t in set(theme_of.tolist()) - {UNASSIGNED})
    registry = describe_themes(registry, texts, emb, theme_of, cfg, relabel_all=False,
                               use_spacy=fit and cfg.label_noun_chunks,
                               encode_fn=label_encode_fn if needs_labels else None, now=now,
                               polarity=polarity, relabel_polar=fit)  # fmt: skip
    score = rescore(theme_of, score, emb, registry)
    # `describe_themes` sized each theme by its mentions here, which are all of them on this path.
    registry = retire_empty(registry)
    diff = registry_diff(before, registry, matched)
    return ThemeUpdate(theme_of, score, usable, diff, override_notes=ov.notes, note=note, fit_info=fit_info)


def assign_new(new: pd.DataFrame, emb: np.ndarray, registry: pd.DataFrame, cfg: ThemesConfig) -> ThemeUpdate:
    """The weekly path: theme only `new` mentions against the registry's active centroids.

    Themes keep their centroids, labels, keywords, quotes and groups until
    the next refit (so a theme's identity does not drift week to week); only
    last run's "new" flags are cleared. Sizes and retirement are counted in
    the store when the tables are written.
    """
    texts = new["text"].astype(str).tolist()
    usable = usable_mentions(new, texts)
    theme_of = np.full(len(new), UNASSIGNED, dtype=object)
    score = np.zeros(len(new), dtype=np.float32)
    _assign_to_active(theme_of, score, np.flatnonzero(usable), emb, registry, cfg.assign_threshold)
    reg = _settle(registry)
    return ThemeUpdate(theme_of, score, usable, registry_diff(registry, reg, []))


def fit_registry(
    mentions: pd.DataFrame,
    texts: list[str],
    emb: np.ndarray,
    usable: np.ndarray,
    registry: pd.DataFrame,
    cfg: ThemesConfig,
    *,
    now: datetime,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, str, dict[str, Any], list[str]]:
    """Discover themes in (a sample of) the usable mentions and match them to the registry.

    Returns each mention's theme id, zero scores (set later against the final
    centroids), the registry with new and matched themes, discovery's note,
    the `theme_fits` row and the ids a refit matched to existing themes.
    """
    n = len(texts)
    rng = np.random.default_rng(cfg.seed)
    pool = np.flatnonzero(usable)
    fit_idx = (
        pool
        if len(pool) <= cfg.max_fit_mentions
        else np.sort(rng.choice(pool, cfg.max_fit_mentions, replace=False))
    )
    # The item of each mention lets discovery tell boilerplate from issues and join an issue's facets.
    groups = mentions["item_id"].to_numpy(dtype=object)[fit_idx]
    # Their dates keep an emerging issue from being merged into an old one it co-occurs with.
    times = mentions["created_at"].to_numpy()[fit_idx] if "created_at" in mentions else None
    linked = linked_mentions(mentions["kind"].to_numpy()[fit_idx], cfg) if "kind" in mentions else None
    disc = fit_themes(
        [texts[i] for i in fit_idx], emb[fit_idx], cfg, groups=groups, times=times, linked=linked
    )
    if disc.n_boilerplate:
        log.info(
            "themes: %s mentions left unassigned as boilerplate (greetings, sign-offs next to any issue)",
            f"{disc.n_boilerplate:,}",
        )
    k = disc.n_themes
    # Every mention (sampled or not) goes to the nearest fitted theme or stays unassigned.
    labels = np.full(n, -1, dtype=int)
    labels[fit_idx] = disc.labels
    if len(fit_idx) < len(pool) and k:
        rest = np.setdiff1d(pool, fit_idx)
        best, sim = nearest_centroid(emb, disc.centroids, rows=rest)
        ok = sim >= cfg.assign_threshold
        labels[rest[ok]] = best[ok]
    id_of, reg, new = match_registry(disc.centroids, registry, cfg, now=now, dim=emb.shape[1])
    theme_of = np.array([id_of[v] if v >= 0 else UNASSIGNED for v in labels.tolist()], dtype=object)
    score = np.zeros(n, dtype=np.float32)
    matched = [t for t in id_of if t not in set(new)]
    info = {"mentions": n, "fit_mentions": len(fit_idx), "themes": k, "matched": len(matched),
            "new": len(new), "raw_clusters": disc.n_raw_clusters, "seconds": round(disc.seconds, 2)}  # fmt: skip
    return theme_of, score, reg, disc.note, info, matched


def match_registry(
    centroids: np.ndarray, registry: pd.DataFrame, cfg: ThemesConfig, *, now: datetime, dim: int
) -> tuple[list[str], pd.DataFrame, list[str]]:
    """Give each fitted theme an id: a refitted theme keeps its id when its centroid is close to one.

    Returns the id of each of `centroids`, the registry with the new themes
    added and every fitted theme's centroid and status set, and the new ids.
    """
    reg = registry.copy()
    k = len(centroids)
    has_children = set(reg["parent_id"].dropna().tolist()) if "parent_id" in reg else set()
    cand = reg[reg["centroid"].notna() & ~reg["theme_id"].isin(has_children)] if len(reg) else reg
    old_c = np.stack(cand["centroid"].tolist()) if len(cand) else np.zeros((0, dim), np.float32)
    matched, _ = match_centroids(centroids, old_c, cfg.match_threshold)
    fresh = iter(new_ids(reg["theme_id"].tolist() if len(reg) else [], k - len(matched)))
    first_fit = len(reg) == 0
    id_of: list[str] = []
    new_rows = []
    for j in range(k):
        if j in matched:
            tid = cand["theme_id"].iloc[matched[j]]
        else:
            tid = next(fresh)
            new_rows.append({"theme_id": tid, "label": "", "status": "active" if first_fit else "new",
                             "is_new": not first_fit, "pinned": False, "label_source": "auto",
                             "created_at": now})  # fmt: skip
        id_of.append(tid)
    if new_rows:
        reg = (
            pd.concat([reg, pd.DataFrame(new_rows)], ignore_index=True)
            if len(reg)
            else pd.DataFrame(new_rows)
        )
    for col in REGISTRY_COLUMNS:
        if col not in reg.columns:
            reg[col] = None
    new = [r["theme_id"] for r in new_rows]
    reg = reg.set_index("theme_id", drop=False)
    reg["is_new"] = reg["theme_id"].isin(new)
    for j, tid in enumerate(id_of):
        reg.at[tid, "centroid"] = centroids[j]
        if reg.at[tid, "status"] == "retired" and pd.isna(reg.at[tid, "merged_into"]):
            reg.at[tid, "status"] = "active"  # a theme that came back keeps its old id
        elif tid not in set(new):
            reg.at[tid, "status"] = "active"
    return id_of, reg.reset_index(drop=True), new


def keep_known(
    mentions: pd.DataFrame,
    emb: np.ndarray,
    usable: np.ndarray,
    registry: pd.DataFrame,
    known: pd.DataFrame | None,
    cfg: ThemesConfig,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Keep known mentions' themes; new and unassigned mentions go to the nearest active theme."""
    n = len(mentions)
    theme_of = np.full(n, UNASSIGNED, dtype=object)
    score = np.zeros(n, dtype=np.float32)
    if known is not None:
        m = mentions[["item_id", "sent_idx"]].merge(known, on=["item_id", "sent_idx"], how="left")
        have = m["theme_id"].notna().to_numpy()
        theme_of[have] = m.loc[have, "theme_id"].to_numpy(dtype=object)
        score[have] = m.loc[have, "score"].to_numpy(dtype=np.float32)
    todo = np.flatnonzero((theme_of == UNASSIGNED) & usable)
    _assign_to_active(theme_of, score, todo, emb, registry, cfg.assign_threshold)
    return theme_of, score, _settle(registry)


def _assign_to_active(
    theme_of: np.ndarray,
    score: np.ndarray,
    todo: np.ndarray,
    emb: np.ndarray,
    registry: pd.DataFrame,
    threshold: float,
) -> None:
    """Set the mentions `todo` to the nearest active theme above `threshold` (in place)."""
    active = registry[(registry["status"] != "retired") & registry["centroid"].notna()]
    if len(todo) and len(active):
        got, sc = assign_to_centroids(
            emb[todo], np.stack(active["centroid"].tolist()), active["theme_id"].tolist(), threshold
        )
        theme_of[todo] = np.asarray(got, dtype=object)
        score[todo] = sc


def _settle(registry: pd.DataFrame) -> pd.DataFrame:
    """A run without a fit makes no theme new: last run's new themes become active."""
    reg = registry.copy()
    reg["is_new"] = False
    reg.loc[reg["status"] == "new", "status"] = "active"
    return reg


def merge_verdicts(
    theme_of: np.ndarray,
    registry: pd.DataFrame,
    mentions: pd.DataFrame,
    texts: list[str],
    polarity: np.ndarray,
    share: float,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Merge the themes made mostly of verdicts without an aspect, one per tone (`voc.themes.verdicts`).

    A theme the user pinned or named is left as it is.
    """
    survey = (mentions["kind"] == "survey").to_numpy() if "kind" in mentions.columns else None
    kept = set(registry.loc[registry["pinned"].fillna(False).astype(bool), "theme_id"])
    kept |= set(registry.loc[registry["label_source"] == "user", "theme_id"])
    groups = [
        [t for t in g if t not in kept]
        for g in verdict_merges(theme_of, mention_kinds(texts, survey), polarity, share)
    ]
    groups = [g for g in groups if len(g) > 1]
    if groups:
        log.info("themes: merged %d verdict themes into %d (one per tone): %s",
                 sum(len(g) for g in groups), len(groups), "; ".join(",".join(g) for g in groups))  # fmt: skip
    return apply_merges(theme_of, registry, groups)


def rescore(theme_of: np.ndarray, score: np.ndarray, emb: np.ndarray, registry: pd.DataFrame) -> np.ndarray:
    """Each assigned mention's cosine to its theme's final centroid (after overrides and merges)."""
    cent = {r.theme_id: r.centroid for r in registry.itertuples() if r.centroid is not None}
    pos = {t: i for i, t in enumerate(cent)}
    which = np.array([pos.get(t, -1) for t in theme_of.tolist()], dtype=np.int64)
    has = np.flatnonzero(which >= 0)
    if not len(has):
        return score
    score = score.copy()
    score[has] = cosine_to(emb, np.stack(list(cent.values())), which[has], has)
    return score


def registry_diff(before: pd.DataFrame, after: pd.DataFrame, matched: list[str]) -> RegistryDiff:
    """The diff from registry `before` to `after`; `matched` as `fit_registry` found them."""
    old = dict(zip(before["theme_id"], before["status"], strict=True)) if len(before) else {}
    status = {}
    for tid, st in zip(after["theme_id"], after["status"], strict=True):
        if old.get(tid) != st:
            status[tid] = (old.get(tid), st)
    new = [t for t in after["theme_id"].tolist() if t not in old]
    return RegistryDiff(registry=after, new=new, matched=list(matched), status=status)
