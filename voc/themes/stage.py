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
Only this module touches the store: it reads, calls the pure core
(`voc.themes.core`: fit, match, assign, label; it returns the assignments and
a registry diff) and writes the rows `voc.themes.frames` builds.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from voc.config import VocConfig
from voc.nlp.complaints import mention_negative
from voc.themes.cache import cached_embeddings
from voc.themes.core import ThemeUpdate, assign_new, update_registry
from voc.themes.frames import REGISTRY_COLUMNS, item_themes, mention_frame, registry_frame, retire_empty
from voc.themes.problems import update_problems
from voc.themes.registry import UNASSIGNED

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


# -- reading -----------------------------------------------------------------
# A sentence is a mention when it has text; one definition for the full and the append-only reads.
_IS_MENTION = "s.text IS NOT NULL AND length(trim(s.text)) > 0"
_MENTION_COLUMNS = "s.item_id, s.sent_idx, s.text, i.created_at, i.language, i.kind"
_MENTION_ORDER = "ORDER BY i.created_at, s.item_id, s.sent_idx"


def load_mentions(store: Any) -> pd.DataFrame:
    """Mentions (item_id, sent_idx, text, created_at, language); splits items when `sentences` is absent."""
    if not store.written("sentences"):
        _write_sentences(store)
    return store.query(
        f"SELECT {_MENTION_COLUMNS} FROM {store.relation('sentences')} s JOIN items i ON i.id = s.item_id "
        f"WHERE {_IS_MENTION} {_MENTION_ORDER}"
    )


def _unthemed_mentions(store: Any) -> pd.DataFrame:
    """Mentions with no row in `mentions` yet (the new sentences since the last run)."""
    return store.query(
        f"SELECT {_MENTION_COLUMNS} FROM {store.relation('sentences')} s JOIN items i ON i.id = s.item_id "
        f"WHERE {_IS_MENTION} "
        "AND NOT EXISTS (SELECT 1 FROM mentions m WHERE m.item_id = s.item_id AND m.sent_idx = s.sent_idx) "
        + _MENTION_ORDER
    )


def _write_sentences(store: Any) -> None:
    from voc.nlp.sentences import split_texts

    items = store.read("items", ["id", "text"], order_by="created_at, id")
    rows = []
    for item_id, spans in zip(
        items["id"].tolist(), split_texts(items["text"].fillna("").tolist()), strict=True
    ):
        for k, sp in enumerate(spans):
            rows.append((item_id, k, sp.text, sp.start, sp.end))
    df = pd.DataFrame(rows, columns=["item_id", "sent_idx", "text", "start_char", "end_char"])
    df = df.astype({"sent_idx": "int32", "start_char": "int32", "end_char": "int32"})
    store.write("sentences", df)
    log.info(
        "themes: split %s items into %s sentences (no sentiment stage output)",
        f"{len(items):,}",
        f"{len(df):,}",
    )


def _negativity(store: Any, mentions: pd.DataFrame, *, only_their_items: bool = False) -> np.ndarray:
    """Per mention: 1.0 a complaint, 0.0 not, NaN unknown (`voc.nlp.complaints.mention_negative`).

    `only_their_items` reads the labels of these mentions' items only (a few
    new items) instead of whole tables (a fit over all of them).
    """
    key = mentions[["item_id", "sent_idx"]].reset_index(drop=True)
    ids = key["item_id"].unique().tolist() if only_their_items else None
    own = store.read("sentence_sentiment", ["item_id", "sent_idx", "label"], item_ids=ids)
    whole = store.read("item_sentiment", ["item_id", "label"], item_ids=ids)
    m = key.merge(own, on=["item_id", "sent_idx"], how="left").merge(
        whole.rename(columns={"label": "item_label"}), on="item_id", how="left"
    )
    return mention_negative(m["label"], m["item_label"])


def _polarity(store: Any, mentions: pd.DataFrame) -> np.ndarray:
    """Per mention its own sentiment label ('negative', 'neutral', 'positive'; None when not scored).

    Only the mention's label: a complaint is found in the sentence that makes it,
    never inferred from the tone of the item around it.
    """
    out = np.full(len(mentions), None, dtype=object)
    if not len(mentions):
        return out
    key = mentions[["item_id", "sent_idx"]].reset_index(drop=True)
    s = store.read("sentence_sentiment", ["item_id", "sent_idx", "label"])
    m = key.merge(s, on=["item_id", "sent_idx"], how="left")
    known = m["label"].notna().to_numpy()
    out[known] = m.loc[known, "label"].to_numpy(dtype=object)
    return out


def load_registry(store: Any) -> pd.DataFrame:
    """The theme registry as stored (empty frame with the columns when there is none)."""
    reg = store.read("themes")
    if reg.empty:
        return pd.DataFrame(columns=REGISTRY_COLUMNS)
    for col in REGISTRY_COLUMNS:
        if col not in reg.columns:
            reg[col] = None
    reg["centroid"] = [np.asarray(c, dtype=np.float32) if c is not None else None for c in reg["centroid"]]
    return reg


def _last_fit(store: Any) -> datetime | None:
    t = store.read("theme_fits", ["fitted_at"])["fitted_at"].max()
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
    still happens when there is no registry yet). `encode_fn` is the run's
    `voc.nlp.encoder.Encoder` (the configured one when None) or, in tests, a
    stand-in function. Returns a summary dict.
    """
    cfg = config.themes
    t0 = time.perf_counter()
    now = _now()
    if not store.written("sentences"):
        _write_sentences(store)
    # Label candidates are embedded only with a real encoder (tests pass a fake function).
    encode_fn, configured = _encoder_of(config, encode_fn, progress)
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
    known = None if do_fit else store.read("mentions", ["item_id", "sent_idx", "theme_id", "score"])
    up = update_registry(mentions, emb, registry, cfg, fit=do_fit, known=known, polarity=_polarity(store, mentions),
                         now=now, label_encode_fn=encode_fn if configured else None)  # fmt: skip
    mention_df = mention_frame(mentions, up.theme_of, up.score, _negativity(store, mentions))
    all_items = store.read("items", ["id"]).rename(columns={"id": "item_id"})
    items_df = item_themes(all_items, mention_df, up.registry)
    with store.transaction():
        store.replace("mentions", mention_df)
        store.replace("item_themes", items_df)
        written = _write_theme_tables(store, up.registry)
        if up.fit_info is not None:
            store.write("theme_fits", pd.DataFrame([{**up.fit_info, "fitted_at": now}]))
        store.set_watermark("themes", "edits", edits)

    problems = update_problems(store, config, refit=do_fit, encode_fn=encode_fn)
    out = _summary("fit" if do_fit else "incremental", written, mentions, up, t0)
    out["problems"] = problems
    return out


def _encoder_of(
    config: VocConfig, encode_fn: Callable[[list[str]], np.ndarray] | None, progress: bool
) -> tuple[Callable[[list[str]], np.ndarray], bool]:
    """(the encode function to use, whether it is a real Encoder): the configured Encoder when none is given."""
    from voc.nlp.encoder import Encoder, get_encoder

    encoder = get_encoder(config.encoder) if encode_fn is None else encode_fn
    if isinstance(encoder, Encoder):
        return partial(encoder.encode, show_progress=progress), True
    return encoder, False


# The layout of the stored mentions: a store whose mentions predate `mentions.negative` is
# rewritten once by the full path, as after a change of edits.
_MENTIONS_LAYOUT = "negative"


def _edits_key(cfg: Any) -> str:
    """A fingerprint of the user's theme edits: when they change, every mention is looked at again."""
    return hashlib.sha1((cfg.overrides.model_dump_json() + _MENTIONS_LAYOUT).encode("utf-8")).hexdigest()


def _only_new_mentions_to_assign(store: Any, registry: pd.DataFrame, edits: str) -> bool:
    """True when a run only has to theme the new sentences: same edits, tables in place, every theme labelled."""
    if not all(store.written(t) for t in ("mentions", "item_themes", "theme_weekly")):
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
    up = assign_new(new, emb, registry, config.themes)
    mention_df = mention_frame(new, up.theme_of, up.score, _negativity(store, new, only_their_items=True))
    with store.transaction():
        # Sentences that are gone (an item's text was updated and re-split) take their mentions with them.
        orphan = (
            f"NOT EXISTS (SELECT 1 FROM {store.relation('sentences')} s "
            f"WHERE s.item_id = m.item_id AND s.sent_idx = m.sent_idx AND {_IS_MENTION})"
        )
        gone = store.query(f"SELECT DISTINCT m.item_id FROM mentions m WHERE {orphan}")["item_id"].tolist()
        if gone:
            store.execute(f"DELETE FROM mentions m WHERE {orphan}")
        store.write("mentions", mention_df)
        # Items to (re)write in item_themes: those with new or removed mentions, and new items with none.
        touched = store.query(
            "SELECT id AS item_id FROM items WHERE id IN (SELECT unnest(?::VARCHAR[])) "
            "OR id NOT IN (SELECT item_id FROM item_themes)",
            [sorted(set(new["item_id"].tolist()) | set(gone))],
        )
        their = store.read("mentions", ["item_id", "sent_idx", "theme_id", "score", "negative"],
                           item_ids=touched["item_id"].tolist())  # fmt: skip
        store.write("item_themes", item_themes(touched, their, up.registry))
        written = _write_theme_tables(store, up.registry)
    log.info("themes: %s new mentions of %s items to theme (append-only run)", f"{len(new):,}",
             f"{new['item_id'].nunique():,}")  # fmt: skip
    problems = update_problems(store, config, refit=False, encode_fn=encode_fn)
    out = _summary("incremental", written, new, up, t0, total=_count_mentions(store))
    out["problems"] = problems
    return out


def _count_mentions(store: Any) -> tuple[int, int]:
    got = store.query("SELECT count(*) AS n, count(DISTINCT item_id) AS items FROM mentions")
    return int(got["n"].iloc[0]), int(got["items"].iloc[0])


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
    reg = retire_empty(reg.reset_index(drop=True))
    out = registry_frame(reg)
    store.replace("themes", out)
    # The week is the Monday of the UTC date (ISO weeks), whatever the session's time zone.
    store.execute("DROP TABLE IF EXISTS theme_weekly")
    store.execute(
        "CREATE TABLE theme_weekly AS SELECT m.theme_id, "
        "CAST(date_trunc('week', i.created_at AT TIME ZONE 'UTC') AS DATE) AS week, "
        "count(*) AS mentions, count(DISTINCT m.item_id) AS items "
        "FROM mentions m JOIN items i ON i.id = m.item_id GROUP BY ALL ORDER BY ALL"
    )
    return out


def _theme_stats(store: Any) -> pd.DataFrame:
    """Per theme: size (mentions), first and last seen, and `share_negative`, from the stored mentions.

    `share_negative` is the share of the theme's items that carry a complaint
    about it (`voc.nlp.complaints`), among the items whose mentions of it have
    a known sentiment (NULL when none has): the backlog's and the report's
    `share_negative` over all time.
    """
    return store.query(
        "WITH per_item AS (SELECT m.theme_id, m.item_id, count(*) AS n, bool_or(m.negative) AS complaint, "
        "min(i.created_at) AS first_seen, max(i.created_at) AS last_seen FROM mentions m "
        f"JOIN items i ON i.id = m.item_id WHERE m.theme_id != '{UNASSIGNED}' GROUP BY m.theme_id, m.item_id) "
        "SELECT theme_id, sum(n) AS size, min(first_seen) AS first_seen, max(last_seen) AS last_seen, "
        "avg(CASE WHEN complaint IS NULL THEN NULL WHEN complaint THEN 1.0 ELSE 0.0 END) AS share_negative "
        "FROM per_item GROUP BY theme_id"
    )


def _summary(
    mode: str,
    registry: pd.DataFrame,
    mentions: pd.DataFrame,
    up: ThemeUpdate,
    t0: float,
    *,
    total: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The stage's summary and log line; counts are of this run's mentions (the new ones on the weekly path)."""
    theme_of, usable, note = up.theme_of, up.usable, up.note
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
        "override_notes": up.override_notes,
        "note": note,
        "seconds": round(seconds, 2),
    }
