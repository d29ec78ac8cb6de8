"""The themes stage (store in, store out): mentions -> themes, with stable ids over time.

Reads `sentences` (written by the sentiment stage; split here if absent),
optionally `sentence_sentiment`/`item_sentiment`, and writes:

- `themes`: the registry (theme_id, label, keywords, group_id, group_label,
  size, share_negative, first_seen, last_seen, status, is_new, centroid,
  pinned, created_at, plus parent_id/merged_into/label_source/quotes, and
  problem_label/problem_keywords, praise_label/praise_keywords, opinion_share:
  the names of the theme's complaints and praise, and how much of it is verdicts
  with no aspect);
- `mentions(item_id, sent_idx, theme_id, score)`;
- `item_themes(item_id, theme_id, theme_label, theme_ids)`;
- `theme_weekly(theme_id, week, mentions, items)`;
- `theme_fits`: one row per fit (when, how many mentions and themes).

The first run fits; later runs assign new mentions to the registry's
themes and refit when `themes.refit_every_days` have passed (or when asked).
A weekly run with nothing else to redo (no refit, the same edits, every theme
labelled) only reads the new sentences and appends their rows: its cost
follows the new items, not the size of the store.
Only this module touches the store; fitting, matching and labelling are
pure functions in the sibling modules.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from voc.clean.language import may_be_english
from voc.config import VocConfig
from voc.themes.boilerplate import mention_kinds, opinion_share
from voc.themes.cache import cached_embeddings
from voc.themes.discover import fit_themes
from voc.themes.hierarchy import group_themes
from voc.themes.labels import Parse, label_themes
from voc.themes.overrides import apply_overrides
from voc.themes.polar_labels import polar_labels
from voc.themes.problems import reads_as_praise, update_problems
from voc.themes.registry import (
    UNASSIGNED,
    assign_to_centroids,
    cosine_to,
    match_centroids,
    nearest_centroid,
    new_ids,
    normalise,
)
from voc.themes.verdicts import apply_merges, verdict_merges

log = logging.getLogger(__name__)

REGISTRY_COLUMNS = [
    "theme_id", "label", "keywords", "group_id", "group_label", "size", "share_negative", "first_seen",
    "last_seen", "status", "is_new", "centroid", "pinned", "created_at", "parent_id", "merged_into",
    "label_source", "quotes", "problem_label", "problem_keywords", "praise_label", "praise_keywords",
    "opinion_share",
]  # fmt: skip
# A theme needs this many negative (positive) mentions at its fit for a problem (praise) name of its own.
MIN_POLAR_MENTIONS = 3


def _now() -> datetime:
    return datetime.now(UTC)


# -- reading -----------------------------------------------------------------
# A sentence is a mention when it has text; one definition for the full and the append-only reads.
_IS_MENTION = "s.text IS NOT NULL AND length(trim(s.text)) > 0"
_MENTION_COLUMNS = "s.item_id, s.sent_idx, s.text, i.created_at, i.language, i.kind"
_MENTION_ORDER = "ORDER BY i.created_at, s.item_id, s.sent_idx"


def load_mentions(store: Any) -> pd.DataFrame:
    """Mentions (item_id, sent_idx, text, created_at, language); splits items when `sentences` is absent."""
    if not store.table_exists("sentences"):
        _write_sentences(store)
    return store.query(
        f"SELECT {_MENTION_COLUMNS} FROM sentences s JOIN items i ON i.id = s.item_id WHERE {_IS_MENTION} "
        + _MENTION_ORDER
    )


def _unthemed_mentions(store: Any) -> pd.DataFrame:
    """Mentions with no row in `mentions` yet (the new sentences since the last run)."""
    return store.query(
        f"SELECT {_MENTION_COLUMNS} FROM sentences s JOIN items i ON i.id = s.item_id WHERE {_IS_MENTION} "
        "AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = s.item_id AND m.sent_idx = s.sent_idx) "
        + _MENTION_ORDER
    )


def _write_sentences(store: Any) -> None:
    from voc.nlp.sentences import split_texts

    items = store.query("SELECT id, text FROM items ORDER BY created_at, id")
    rows = []
    for item_id, spans in zip(
        items["id"].tolist(), split_texts(items["text"].fillna("").tolist()), strict=True
    ):
        for k, sp in enumerate(spans):
            rows.append((item_id, k, sp.text, sp.start, sp.end))
    df = pd.DataFrame(rows, columns=["item_id", "sent_idx", "text", "start_char", "end_char"])
    df = df.astype({"sent_idx": "int32", "start_char": "int32", "end_char": "int32"})
    store.write_frame("sentences", df, key=["item_id", "sent_idx"])
    log.info(
        "themes: split %s items into %s sentences (no sentiment stage output)",
        f"{len(items):,}",
        f"{len(df):,}",
    )


def _negativity(store: Any, mentions: pd.DataFrame, *, only_their_items: bool = False) -> np.ndarray:
    """Per mention: 1.0 negative, 0.0 not, NaN unknown (sentence label, else its item's).

    `only_their_items` reads the labels of these mentions' items only (a few
    new items) instead of whole tables (a fit over all of them).
    """
    neg = np.full(len(mentions), np.nan)
    key = mentions[["item_id", "sent_idx"]].reset_index(drop=True)
    where, params = "", []
    if only_their_items:
        where, params = " WHERE item_id IN (SELECT unnest(?::VARCHAR[]))", [key["item_id"].unique().tolist()]
    if store.table_exists("sentence_sentiment"):
        s = store.query("SELECT item_id, sent_idx, label FROM sentence_sentiment" + where, params)
        m = key.merge(s, on=["item_id", "sent_idx"], how="left")
        known = m["label"].notna().to_numpy()
        neg[known] = (m.loc[known, "label"] == "negative").to_numpy(dtype=float)
    if store.table_exists("item_sentiment") and np.isnan(neg).any():
        s = store.query("SELECT item_id, label FROM item_sentiment" + where, params)
        m = key.merge(s, on="item_id", how="left")
        fill = np.isnan(neg) & m["label"].notna().to_numpy()
        neg[fill] = (m.loc[fill, "label"] == "negative").to_numpy(dtype=float)
    return neg


def _polarity(store: Any, mentions: pd.DataFrame) -> np.ndarray:
    """Per mention its own sentiment label ('negative', 'neutral', 'positive'; None when not scored).

    Only the mention's label: a complaint is found in the sentence that makes it,
    never inferred from the tone of the item around it.
    """
    out = np.full(len(mentions), None, dtype=object)
    if not store.table_exists("sentence_sentiment") or not len(mentions):
        return out
    key = mentions[["item_id", "sent_idx"]].reset_index(drop=True)
    s = store.query("SELECT item_id, sent_idx, label FROM sentence_sentiment")
    m = key.merge(s, on=["item_id", "sent_idx"], how="left")
    known = m["label"].notna().to_numpy()
    out[known] = m.loc[known, "label"].to_numpy(dtype=object)
    return out


def load_registry(store: Any) -> pd.DataFrame:
    """The theme registry as stored (empty frame with the columns when there is none)."""
    if not store.table_exists("themes"):
        return pd.DataFrame(columns=REGISTRY_COLUMNS)
    reg = store.query("SELECT * FROM themes")
    for col in REGISTRY_COLUMNS:
        if col not in reg.columns:
            reg[col] = None
    reg["centroid"] = [np.asarray(c, dtype=np.float32) if c is not None else None for c in reg["centroid"]]
    return reg


def _last_fit(store: Any) -> datetime | None:
    if not store.table_exists("theme_fits"):
        return None
    got = store.query("SELECT max(fitted_at) AS t FROM theme_fits")
    t = got["t"].iloc[0]
    return None if pd.isna(t) else pd.Timestamp(t).to_pydatetime()


# -- the stage ---------------------------------------------------------------
def update_themes(
    store: Any,
    config: VocConfig,
    *,
    refit: bool | None = None,
    progress: bool = True,
    encode_fn: Callable[[list[str]], np.ndarray] | None = None,
) -> dict[str, Any]:
    """Assign mentions to themes (fit, refit or incremental) and write the theme tables.

    `refit=None` refits when due (first run, or `refit_every_days` since the
    last fit); True forces a refit; False only assigns incrementally (a fit
    still happens when there is no registry yet). `encode_fn` replaces the
    configured encoder (tests). Returns a summary dict.
    """
    cfg = config.themes
    t0 = time.perf_counter()
    now = _now()
    if not store.table_exists("sentences"):
        _write_sentences(store)
    embedding_model_ref: str | None = config.encoder.model if encode_fn is None else None
    encode_fn = encode_fn or _configured_encoder(config, progress)
    registry = load_registry(store)
    last = _last_fit(store)
    has_registry = len(registry) > 0
    due = last is None or now - last >= timedelta(days=cfg.refit_every_days)
    do_fit = (not has_registry) or refit is True or (refit is None and due)
    edits = _edits_key(cfg)
    if not do_fit and _only_new_mentions_to_assign(store, registry, edits):
        return _append_new_mentions(store, config, registry, encode_fn, t0)

    mentions = load_mentions(store)
    texts = mentions["text"].astype(str).tolist()
    emb = cached_embeddings(store, texts, config.encoder.model, encode_fn)
    usable = _usable(mentions, texts)
    note = ""
    if do_fit:
        theme_of, score, registry, note, fit_info = _fit(
            mentions, texts, emb, usable, registry, config, embedding_model_ref
        )
    else:
        theme_of, score, registry = _incremental(store, mentions, emb, usable, registry, cfg)
        fit_info = None

    ov = apply_overrides(theme_of, emb, registry, cfg.overrides, seed=cfg.seed)
    theme_of, registry = ov.theme_of, ov.registry
    polarity = _polarity(store, mentions)
    if do_fit and cfg.verdict_share < 1:
        theme_of, registry = _merge_verdicts(theme_of, registry, mentions, texts, polarity, cfg.verdict_share)
    neg = _negativity(store, mentions)
    # Label candidates are embedded (KeyBERT-style) only when some theme needs a new label:
    # an incremental week would otherwise load the encoder just to recompute labels it keeps.
    labelled = set(registry.loc[registry["label"].fillna("").astype(str).str.strip() != "", "theme_id"])
    needs_labels = do_fit or any(t not in labelled for t in set(theme_of.tolist()) - {UNASSIGNED})
    registry = _describe(registry, texts, emb, theme_of, cfg, relabel_all=False, use_spacy=do_fit and cfg.label_noun_chunks,
                         encode_fn=encode_fn if embedding_model_ref is not None and needs_labels else None, now=now,
                         polarity=polarity, relabel_polar=do_fit)  # fmt: skip
    # Scores are recomputed against the final centroids so overrides and merges are reflected.
    cent = {r.theme_id: r.centroid for r in registry.itertuples() if r.centroid is not None}
    pos = {t: i for i, t in enumerate(cent)}
    which = np.array([pos.get(t, -1) for t in theme_of.tolist()], dtype=np.int64)
    has = np.flatnonzero(which >= 0)
    if len(has):
        score = score.copy()
        score[has] = cosine_to(emb, np.stack(list(cent.values())), which[has], has)

    mention_df = _mention_frame(mentions, theme_of, score)
    items_df = _item_themes(store.query("SELECT id AS item_id FROM items"), mention_df, neg, registry)
    with store.transaction():
        for table in ("mentions", "item_themes"):
            if store.table_exists(table):
                store.execute(f"DROP TABLE {table}")
        store.write_frame("mentions", mention_df)
        store.write_frame("item_themes", items_df)
        registry = _write_theme_tables(store, registry)
        if fit_info is not None:
            store.write_frame("theme_fits", pd.DataFrame([{**fit_info, "fitted_at": now}]))
        store.set_watermark("themes", "edits", edits)

    problems = update_problems(store, config, refit=do_fit, encode_fn=encode_fn)
    out = _summary("fit" if do_fit else "incremental", registry, mentions, theme_of, usable, t0,
                   notes=ov.notes, note=note)  # fmt: skip
    out["problems"] = problems
    return out


def _merge_verdicts(
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


def _configured_encoder(config: VocConfig, progress: bool) -> Callable[[list[str]], np.ndarray]:
    from voc.nlp.encoder import encode

    def encode_fn(batch: list[str]) -> np.ndarray:
        return encode(batch, ref=config.encoder.model, batch_size=config.encoder.batch_size,
                      show_progress=progress, precision=config.encoder.precision)  # fmt: skip

    return encode_fn


def _usable(mentions: pd.DataFrame, texts: list[str]) -> np.ndarray:
    """Only English mentions with some content are themed (the encoder and the labels are English)."""
    lang = mentions["language"].astype(object).where(mentions["language"].notna(), None).tolist()
    survey = (mentions["kind"] == "survey").to_numpy() if "kind" in mentions.columns else None
    return (mention_kinds(texts, survey) != "boilerplate") & np.array(
        [may_be_english(lg) for lg in lang], dtype=bool
    )


def _edits_key(cfg: Any) -> str:
    """A fingerprint of the user's theme edits: when they change, every mention is looked at again."""
    return hashlib.sha1(cfg.overrides.model_dump_json().encode("utf-8")).hexdigest()


def _only_new_mentions_to_assign(store: Any, registry: pd.DataFrame, edits: str) -> bool:
    """True when a run only has to theme the new sentences: same edits, tables in place, every theme labelled."""
    if not all(store.table_exists(t) for t in ("mentions", "item_themes", "theme_weekly")):
        return False
    if store.get_watermark("themes", "edits") != edits:
        return False
    live = registry[registry["status"] != "retired"]
    return bool(live["label"].fillna("").astype(str).str.strip().ne("").all())


def _append_new_mentions(
    store: Any,
    config: VocConfig,
    registry: pd.DataFrame,
    encode_fn: Callable[[list[str]], np.ndarray],
    t0: float,
) -> dict[str, Any]:
    """The weekly path: theme only the sentences without a row in `mentions`, append them, refresh counts.

    Known mentions keep their theme and score, themes keep their centroids,
    labels, keywords, quotes and groups until the next refit (so a theme's
    identity does not drift week to week), and only the new items' rows of
    `item_themes` are written. Sizes, dates, share negative and the weekly
    counts are recounted in the store over all mentions.
    """
    new = _unthemed_mentions(store)
    texts = new["text"].astype(str).tolist()
    emb = cached_embeddings(store, texts, config.encoder.model, encode_fn)
    usable = _usable(new, texts)
    theme_of = np.full(len(new), UNASSIGNED, dtype=object)
    score = np.zeros(len(new), dtype=np.float32)
    active = registry[(registry["status"] != "retired") & registry["centroid"].notna()]
    todo = np.flatnonzero(usable)
    if len(todo) and len(active):
        got, sc = assign_to_centroids(
            emb[todo], np.stack(active["centroid"].tolist()), active["theme_id"].tolist(),
            config.themes.assign_threshold,
        )  # fmt: skip
        theme_of[todo] = np.asarray(got, dtype=object)
        score[todo] = sc
    reg = registry.copy()
    reg["is_new"] = False
    reg.loc[reg["status"] == "new", "status"] = "active"
    mention_df = _mention_frame(new, theme_of, score)
    with store.transaction():
        # Sentences that are gone (an item's text was updated and re-split) take their mentions with them.
        orphan = (
            "NOT EXISTS (SELECT 1 FROM sentences s "
            f"WHERE s.item_id = m.item_id AND s.sent_idx = m.sent_idx AND {_IS_MENTION})"
        )
        gone = store.query(f"SELECT DISTINCT m.item_id FROM mentions m WHERE {orphan}")["item_id"].tolist()
        if gone:
            store.execute(f"DELETE FROM mentions m WHERE {orphan}")
        store.write_frame("mentions", mention_df)
        # Items to (re)write in item_themes: those with new or removed mentions, and new items with none.
        touched = store.query(
            "SELECT id AS item_id FROM items WHERE id IN (SELECT unnest(?::VARCHAR[])) "
            "OR id NOT IN (SELECT item_id FROM item_themes)",
            [sorted(set(new["item_id"].tolist()) | set(gone))],
        )
        their = store.query(
            "SELECT item_id, sent_idx, theme_id, score FROM mentions WHERE item_id IN (SELECT unnest(?::VARCHAR[]))",
            [touched["item_id"].tolist()],
        )
        neg = _negativity(store, their, only_their_items=True)
        store.write_frame("item_themes", _item_themes(touched, their, neg, reg), key=["item_id"])
        reg = _write_theme_tables(store, reg)
    log.info("themes: %s new mentions of %s items to theme (append-only run)", f"{len(new):,}",
             f"{new['item_id'].nunique():,}")  # fmt: skip
    problems = update_problems(store, config, refit=False, encode_fn=encode_fn)
    out = _summary("incremental", reg, new, theme_of, usable, t0, total=_count_mentions(store))
    out["problems"] = problems
    return out


def _count_mentions(store: Any) -> tuple[int, int]:
    got = store.query("SELECT count(*) AS n, count(DISTINCT item_id) AS items FROM mentions")
    return int(got["n"].iloc[0]), int(got["items"].iloc[0])


def _mention_frame(mentions: pd.DataFrame, theme_of: np.ndarray, score: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": mentions["item_id"].to_numpy(dtype=object),
            "sent_idx": mentions["sent_idx"].astype("int32").to_numpy(),
            "theme_id": np.asarray(theme_of).astype(str),
            "score": np.asarray(score, dtype=np.float32),
        }
    )


def _write_theme_tables(store: Any, registry: pd.DataFrame) -> pd.DataFrame:
    """Recount the registry's statistics and the weekly counts from `mentions`, then write both tables.

    Counting in the store (not in memory) is what lets a weekly run touch only
    its new rows; the fit path uses the same queries, so both agree.
    """
    reg = registry.set_index("theme_id", drop=False).copy()
    stats = _theme_stats(store).set_index("theme_id").reindex(reg.index)
    reg["size"] = stats["size"].fillna(0).astype("int64")
    reg["share_negative"] = stats["share_negative"]
    for col in ("first_seen", "last_seen"):
        reg[col] = pd.to_datetime(stats[col], utc=True)
    reg = _retire_empty(reg.reset_index(drop=True))
    out = _registry_frame(reg)
    for table in ("themes", "theme_weekly"):
        if store.table_exists(table):
            store.execute(f"DROP TABLE {table}")
    store.write_frame("themes", out)
    # The week is the Monday of the UTC date (ISO weeks), whatever the session's time zone.
    store.execute(
        "CREATE TABLE theme_weekly AS SELECT m.theme_id, "
        "CAST(date_trunc('week', i.created_at AT TIME ZONE 'UTC') AS DATE) AS week, "
        "count(*) AS mentions, count(DISTINCT m.item_id) AS items "
        "FROM mentions m JOIN items i ON i.id = m.item_id GROUP BY ALL ORDER BY ALL"
    )
    return out


def _theme_stats(store: Any) -> pd.DataFrame:
    """Per theme: size, first and last seen, and the share of its mentions that are negative.

    Negative is the sentence's label, else its item's; mentions with neither
    are left out of the share (NULL when a theme has none).
    """
    joins, label = [], "NULL"
    if store.table_exists("sentence_sentiment"):
        joins.append("LEFT JOIN sentence_sentiment ss ON ss.item_id = m.item_id AND ss.sent_idx = m.sent_idx")
        label = "ss.label"
    if store.table_exists("item_sentiment"):
        joins.append("LEFT JOIN item_sentiment its ON its.item_id = m.item_id")
        label = f"coalesce({label}, its.label)"
    return store.query(
        "SELECT m.theme_id, count(*) AS size, min(i.created_at) AS first_seen, max(i.created_at) AS last_seen, "
        f"avg(CASE WHEN {label} IS NULL THEN NULL WHEN {label} = 'negative' THEN 1.0 ELSE 0.0 END) "
        "AS share_negative FROM mentions m JOIN items i ON i.id = m.item_id "
        f"{' '.join(joins)} WHERE m.theme_id != '{UNASSIGNED}' GROUP BY m.theme_id"
    )


def _summary(
    mode: str,
    registry: pd.DataFrame,
    mentions: pd.DataFrame,
    theme_of: np.ndarray,
    usable: np.ndarray,
    t0: float,
    *,
    notes: list[str] | None = None,
    note: str = "",
    total: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The stage's summary and log line; counts are of this run's mentions (the new ones on the weekly path)."""
    active = registry[registry["status"] != "retired"]
    # Unassigned share among the mentions that could be themed; greetings, fragments
    # and non-English mentions are counted apart as skipped.
    n_usable = int(usable.sum())
    unassigned = float(((theme_of == UNASSIGNED) & usable).sum() / n_usable) if n_usable else 0.0
    seconds = time.perf_counter() - t0
    n_mentions, n_items = total or (len(mentions), int(mentions["item_id"].nunique()) if len(mentions) else 0)
    verb = "fitted" if mode == "fit" else "assigned"
    log.info(
        "themes: %s %s mentions into %d themes (%d new, %.1f%% unassigned, %s skipped as greetings, "
        "fragments or non-English) in %.0f s",
        verb, f"{n_usable:,}", len(active), int(active["is_new"].sum()), 100 * unassigned,
        f"{len(mentions) - n_usable:,}", seconds,
    )  # fmt: skip
    if note:
        log.info("themes: %s", note)
    return {
        "mode": mode,
        "mentions": n_mentions,
        "items": n_items,
        "new_mentions": len(mentions) if total else n_mentions,
        "themes": len(active),
        "new_themes": active.loc[active["is_new"].astype(bool), "theme_id"].tolist(),
        "groups": int(active["group_id"].nunique()) if len(active) else 0,
        "unassigned_share": round(unassigned, 4),
        "skipped_mentions": len(mentions) - n_usable,
        "override_notes": notes or [],
        "note": note,
        "seconds": round(seconds, 2),
    }


def _fit(
    mentions: pd.DataFrame,
    texts: list[str],
    emb: np.ndarray,
    usable: np.ndarray,
    registry: pd.DataFrame,
    config: VocConfig,
    embedding_model_ref: str | None,
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, str, dict[str, Any]]:
    cfg = config.themes
    n = len(texts)
    rng = np.random.default_rng(cfg.seed)
    pool = np.flatnonzero(usable)
    fit_idx = (
        pool
        if len(pool) <= cfg.max_fit_mentions
        else np.sort(rng.choice(pool, cfg.max_fit_mentions, replace=False))
    )
    model = None
    if embedding_model_ref is not None and len(fit_idx) >= 2 * cfg.min_cluster_size:
        from voc.nlp.encoder import load_encoder

        model = load_encoder(embedding_model_ref)
    # The item of each mention lets discovery tell boilerplate from issues and join an issue's facets.
    groups = mentions["item_id"].to_numpy(dtype=object)[fit_idx]
    # Their dates keep an emerging issue from being merged into an old one it co-occurs with.
    times = mentions["created_at"].to_numpy()[fit_idx] if "created_at" in mentions else None
    disc = fit_themes(
        [texts[i] for i in fit_idx], emb[fit_idx], cfg, embedding_model=model, groups=groups, times=times
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

    # Match to the registry: a refitted theme keeps its id when its centroid is close to one.
    reg = registry.copy()
    has_children = set(reg["parent_id"].dropna().tolist()) if "parent_id" in reg else set()
    cand = reg[reg["centroid"].notna() & ~reg["theme_id"].isin(has_children)] if len(reg) else reg
    old_c = np.stack(cand["centroid"].tolist()) if len(cand) else np.zeros((0, emb.shape[1]), np.float32)
    matched, _ = match_centroids(disc.centroids, old_c, cfg.match_threshold)
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
                             "created_at": _now()})  # fmt: skip
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
    reg = reg.set_index("theme_id", drop=False)
    reg["is_new"] = reg["theme_id"].isin([r["theme_id"] for r in new_rows])
    for j, tid in enumerate(id_of):
        reg.at[tid, "centroid"] = disc.centroids[j]
        if reg.at[tid, "status"] == "retired" and pd.isna(reg.at[tid, "merged_into"]):
            reg.at[tid, "status"] = "active"  # a theme that came back keeps its old id
        elif tid not in {r["theme_id"] for r in new_rows}:
            reg.at[tid, "status"] = "active"
    theme_of = np.array([id_of[v] if v >= 0 else UNASSIGNED for v in labels.tolist()], dtype=object)
    score = np.zeros(n, dtype=np.float32)
    info = {"mentions": n, "fit_mentions": len(fit_idx), "themes": k, "matched": len(matched),
            "new": len(new_rows), "raw_clusters": disc.n_raw_clusters, "seconds": round(disc.seconds, 2)}  # fmt: skip
    return theme_of, score, reg.reset_index(drop=True), disc.note, info


def _incremental(
    store: Any, mentions: pd.DataFrame, emb: np.ndarray, usable: np.ndarray, registry: pd.DataFrame, cfg: Any
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Keep known mentions' themes; new and unassigned mentions go to the nearest active theme."""
    n = len(mentions)
    theme_of = np.full(n, UNASSIGNED, dtype=object)
    score = np.zeros(n, dtype=np.float32)
    if store.table_exists("mentions"):
        old = store.query("SELECT item_id, sent_idx, theme_id, score FROM mentions")
        m = mentions[["item_id", "sent_idx"]].merge(old, on=["item_id", "sent_idx"], how="left")
        known = m["theme_id"].notna().to_numpy()
        theme_of[known] = m.loc[known, "theme_id"].to_numpy(dtype=object)
        score[known] = m.loc[known, "score"].to_numpy(dtype=np.float32)
    active = registry[(registry["status"] != "retired") & registry["centroid"].notna()]
    todo = np.flatnonzero((theme_of == UNASSIGNED) & usable)
    if len(todo) and len(active):
        ids = active["theme_id"].tolist()
        got, sc = assign_to_centroids(
            emb[todo], np.stack(active["centroid"].tolist()), ids, cfg.assign_threshold
        )
        theme_of[todo] = np.asarray(got, dtype=object)
        score[todo] = sc
    reg = registry.copy()
    reg["is_new"] = False
    reg.loc[reg["status"] == "new", "status"] = "active"
    return theme_of, score, reg


def _describe(
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
    (`_write_theme_tables`).
    """
    reg = registry.set_index("theme_id", drop=False).copy()
    present = [t for t in dict.fromkeys(theme_of.tolist()) if t != UNASSIGNED and t in reg.index]
    index_of = {t: i for i, t in enumerate(present)}
    lab = np.array([index_of.get(t, -1) for t in theme_of.tolist()], dtype=int)
    parses: dict[str, Parse] = {}  # spaCy parses, shared by the theme and the group labels
    desc = label_themes(texts, lab, emb, n_keywords=cfg.n_keywords, n_quotes=cfg.n_quotes,
                        use_spacy=use_spacy, encode_fn=encode_fn, parses=parses)  # fmt: skip
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
            _polar_labels(reg, col, texts, emb, lab, np.asarray(polarity, dtype=object) == pol, index_of, cfg,
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
            label_themes(texts, glab, emb, n_keywords=3, n_quotes=0, use_spacy=use_spacy, parses=parses)
            if len(set(groups)) > 1
            else {}
        )
        for t, g in zip(present, groups.tolist(), strict=True):
            reg.at[t, "group_id"] = f"G{g + 1:02d}"
            reg.at[t, "group_label"] = gdesc[g].label if g in gdesc else "All themes"
    return reg.reset_index(drop=True)


def _polar_labels(
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


def _retire_empty(registry: pd.DataFrame) -> pd.DataFrame:
    """Themes left with no mentions are retired, unless pinned."""
    reg = registry.copy()
    empty = (pd.to_numeric(reg["size"]).fillna(0) == 0) & ~reg["pinned"].fillna(False).astype(bool)
    reg.loc[empty, "status"] = "retired"
    reg.loc[empty, "is_new"] = False
    return reg


def _item_themes(
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


def _registry_frame(reg: pd.DataFrame) -> pd.DataFrame:
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
