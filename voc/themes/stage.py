"""The themes stage (store in, store out): mentions -> themes, with stable ids over time.

Reads `sentences` (written by the sentiment stage; split here if absent),
optionally `sentence_sentiment`/`item_sentiment`, and writes:

- `themes`: the registry (theme_id, label, keywords, group_id, group_label,
  size, share_negative, first_seen, last_seen, status, is_new, centroid,
  pinned, created_at, plus parent_id/merged_into/label_source/quotes);
- `mentions(item_id, sent_idx, theme_id, score)`;
- `item_themes(item_id, theme_id, theme_label, theme_ids)`;
- `theme_weekly(theme_id, week, mentions, items)`;
- `theme_fits`: one row per fit (when, how many mentions and themes).

The first run fits; later runs assign new mentions to the registry's
themes and refit when `themes.refit_every_days` have passed (or when asked).
Only this module touches the store; fitting, matching and labelling are
pure functions in the sibling modules.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from voc.config import VocConfig
from voc.themes.cache import cached_embeddings
from voc.themes.discover import fit_themes
from voc.themes.hierarchy import group_themes
from voc.themes.labels import label_themes, substantive
from voc.themes.overrides import apply_overrides
from voc.themes.registry import UNASSIGNED, assign_to_centroids, match_centroids, new_ids, normalise

log = logging.getLogger(__name__)

REGISTRY_COLUMNS = [
    "theme_id", "label", "keywords", "group_id", "group_label", "size", "share_negative", "first_seen",
    "last_seen", "status", "is_new", "centroid", "pinned", "created_at", "parent_id", "merged_into",
    "label_source", "quotes",
]  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


# -- reading -----------------------------------------------------------------
def load_mentions(store: Any) -> pd.DataFrame:
    """Mentions (item_id, sent_idx, text, created_at, language); splits items when `sentences` is absent."""
    if not store.table_exists("sentences"):
        _write_sentences(store)
    return store.query(
        "SELECT s.item_id, s.sent_idx, s.text, i.created_at, i.language FROM sentences s "
        "JOIN items i ON i.id = s.item_id "
        "WHERE s.text IS NOT NULL AND length(trim(s.text)) > 0 ORDER BY i.created_at, s.item_id, s.sent_idx"
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


def _negativity(store: Any, mentions: pd.DataFrame) -> np.ndarray:
    """Per mention: 1.0 negative, 0.0 not, NaN unknown (sentence label, else its item's)."""
    neg = np.full(len(mentions), np.nan)
    key = mentions[["item_id", "sent_idx"]].reset_index(drop=True)
    if store.table_exists("sentence_sentiment"):
        s = store.query("SELECT item_id, sent_idx, label FROM sentence_sentiment")
        m = key.merge(s, on=["item_id", "sent_idx"], how="left")
        known = m["label"].notna().to_numpy()
        neg[known] = (m.loc[known, "label"] == "negative").to_numpy(dtype=float)
    if store.table_exists("item_sentiment") and np.isnan(neg).any():
        s = store.query("SELECT item_id, label FROM item_sentiment")
        m = key.merge(s, on="item_id", how="left")
        fill = np.isnan(neg) & m["label"].notna().to_numpy()
        neg[fill] = (m.loc[fill, "label"] == "negative").to_numpy(dtype=float)
    return neg


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
    mentions = load_mentions(store)
    texts = mentions["text"].astype(str).tolist()
    if encode_fn is None:
        from voc.nlp.encoder import encode

        def encode_fn(batch: list[str]) -> np.ndarray:
            return encode(batch, ref=config.encoder.model, batch_size=config.encoder.batch_size,
                          show_progress=progress, precision=config.encoder.precision)  # fmt: skip

        embedding_model_ref: str | None = config.encoder.model
    else:
        embedding_model_ref = None
    emb = (
        cached_embeddings(store, texts, config.encoder.model, encode_fn)
        if texts
        else np.zeros((0, 384), np.float32)
    )
    # Only English mentions with some content are themed (the encoder and the labels are English);
    # the rest stay unassigned and are counted as such.
    lang = mentions["language"].astype(object).where(mentions["language"].notna(), None).tolist()
    usable = substantive(texts) & np.array(
        [lg is None or str(lg).lower().startswith("en") for lg in lang], dtype=bool
    )
    registry = load_registry(store)
    last = _last_fit(store)
    has_registry = len(registry) > 0
    due = last is None or now - last >= timedelta(days=cfg.refit_every_days)
    do_fit = (not has_registry) or refit is True or (refit is None and due)

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
    neg = _negativity(store, mentions)
    # Label candidates are embedded (KeyBERT-style) only when some theme needs a new label:
    # an incremental week would otherwise load the encoder just to recompute labels it keeps.
    labelled = set(registry.loc[registry["label"].fillna("").astype(str).str.strip() != "", "theme_id"])
    needs_labels = do_fit or any(t not in labelled for t in set(theme_of.tolist()) - {UNASSIGNED})
    registry = _describe(registry, mentions, texts, emb, theme_of, neg, cfg, relabel_all=False, use_spacy=do_fit and cfg.label_noun_chunks,
                         encode_fn=encode_fn if embedding_model_ref is not None and needs_labels else None, now=now)  # fmt: skip
    registry = _retire_empty(registry, theme_of)
    # Scores are recomputed against the final centroids so overrides and merges are reflected.
    cent = {r.theme_id: r.centroid for r in registry.itertuples() if r.centroid is not None}
    has = np.array([t in cent for t in theme_of.tolist()])
    if has.any():
        c = normalise(np.stack([cent[t] for t in theme_of[has].tolist()]))
        score = score.copy()
        score[has] = np.einsum("ij,ij->i", normalise(emb[has]), c)

    mention_df = pd.DataFrame(
        {
            "item_id": mentions["item_id"].to_numpy(dtype=object),
            "sent_idx": mentions["sent_idx"].astype("int32").to_numpy(),
            "theme_id": theme_of.astype(str),
            "score": np.asarray(score, dtype=np.float32),
        }
    )
    items_df = _item_themes(store, mention_df, neg, registry)
    weekly = _weekly(mention_df, mentions)
    reg_out = _registry_frame(registry)
    with store.transaction():
        for table in ("themes", "mentions", "item_themes", "theme_weekly"):
            if store.table_exists(table):
                store.execute(f"DROP TABLE {table}")
        store.write_frame("themes", reg_out)
        store.write_frame("mentions", mention_df)
        store.write_frame("item_themes", items_df)
        store.write_frame("theme_weekly", weekly)
        if fit_info is not None:
            store.write_frame("theme_fits", pd.DataFrame([{**fit_info, "fitted_at": now}]))

    active = reg_out[reg_out["status"] != "retired"]
    # Unassigned share among the mentions that could be themed; greetings, fragments
    # and non-English mentions are counted apart as skipped.
    n_usable = int(usable.sum())
    unassigned = float(((theme_of == UNASSIGNED) & usable).sum() / n_usable) if n_usable else 0.0
    seconds = time.perf_counter() - t0
    verb = "fitted" if do_fit else "assigned"
    log.info(
        "themes: %s %s mentions into %d themes (%d new, %.1f%% unassigned, %s skipped as greetings, "
        "fragments or non-English) in %.0f s",
        verb, f"{n_usable:,}", len(active), int(active["is_new"].sum()), 100 * unassigned,
        f"{len(mentions) - n_usable:,}", seconds,
    )  # fmt: skip
    if note:
        log.info("themes: %s", note)
    return {
        "mode": "fit" if do_fit else "incremental",
        "mentions": len(mentions),
        "items": int(mentions["item_id"].nunique()) if len(mentions) else 0,
        "themes": len(active),
        "new_themes": active.loc[active["is_new"], "theme_id"].tolist(),
        "groups": int(active["group_id"].nunique()) if len(active) else 0,
        "unassigned_share": round(unassigned, 4),
        "skipped_mentions": len(mentions) - n_usable,
        "override_notes": ov.notes,
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
        sim = normalise(emb[rest]) @ disc.centroids.T
        best = sim.argmax(axis=1)
        ok = sim[np.arange(len(rest)), best] >= cfg.assign_threshold
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
    mentions: pd.DataFrame,
    texts: list[str],
    emb: np.ndarray,
    theme_of: np.ndarray,
    neg: np.ndarray,
    cfg: Any,
    *,
    relabel_all: bool,
    use_spacy: bool,
    encode_fn: Callable[[list[str]], np.ndarray] | None,
    now: datetime,
) -> pd.DataFrame:
    """Sizes, centroids, keywords, quotes, labels (only where missing), groups, dates, share negative."""
    reg = registry.set_index("theme_id", drop=False).copy()
    present = [t for t in dict.fromkeys(theme_of.tolist()) if t != UNASSIGNED and t in reg.index]
    index_of = {t: i for i, t in enumerate(present)}
    lab = np.array([index_of.get(t, -1) for t in theme_of.tolist()], dtype=int)
    desc = label_themes(texts, lab, emb, n_keywords=cfg.n_keywords, n_quotes=cfg.n_quotes,
                        use_spacy=use_spacy, encode_fn=encode_fn)  # fmt: skip
    created = pd.to_datetime(mentions["created_at"], utc=True).reset_index(drop=True)
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
        nm = neg[mask]
        reg.at[t, "share_negative"] = float(np.nanmean(nm)) if np.isfinite(nm).any() else None
        reg.at[t, "first_seen"] = created[mask].min()
        reg.at[t, "last_seen"] = created[mask].max()
        if pd.isna(reg.at[t, "created_at"]):
            reg.at[t, "created_at"] = now
    # Hierarchy over the themes that have mentions.
    reg["group_id"] = None
    reg["group_label"] = None
    if present:
        cents = np.stack([reg.at[t, "centroid"] for t in present])
        sizes = np.array([reg.at[t, "size"] for t in present])
        groups = group_themes(cents, sizes, max_groups=cfg.max_groups)
        glab = np.array([groups[i] if i >= 0 else -1 for i in lab.tolist()], dtype=int)
        gdesc = (
            label_themes(texts, glab, emb, n_keywords=3, n_quotes=0, use_spacy=use_spacy)
            if len(set(groups)) > 1
            else {}
        )
        for t, g in zip(present, groups.tolist(), strict=True):
            reg.at[t, "group_id"] = f"G{g + 1:02d}"
            reg.at[t, "group_label"] = gdesc[g].label if g in gdesc else "All themes"
    return reg.reset_index(drop=True)


def _retire_empty(registry: pd.DataFrame, theme_of: np.ndarray) -> pd.DataFrame:
    reg = registry.copy()
    present = set(theme_of.tolist())
    empty = ~reg["theme_id"].isin(present) & ~reg["pinned"].fillna(False).astype(bool)
    reg.loc[empty, "status"] = "retired"
    reg.loc[empty, "size"] = 0
    reg.loc[empty, "is_new"] = False
    return reg


def _item_themes(
    store: Any, mention_df: pd.DataFrame, neg: np.ndarray, registry: pd.DataFrame
) -> pd.DataFrame:
    """Per item: all its themes (by mention order) and the primary one, preferring the complaint."""
    label_of = dict(zip(registry["theme_id"], registry["label"], strict=True))
    df = mention_df.assign(neg=np.nan_to_num(neg, nan=0.0))
    items = store.query("SELECT id AS item_id FROM items")
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


def _weekly(mention_df: pd.DataFrame, mentions: pd.DataFrame) -> pd.DataFrame:
    """Mentions and distinct items per theme per ISO week (week = its Monday)."""
    if not len(mention_df):
        return pd.DataFrame({"theme_id": pd.Series(dtype=str), "week": pd.Series(dtype="datetime64[ns]"),
                             "mentions": pd.Series(dtype="int64"), "items": pd.Series(dtype="int64")})  # fmt: skip
    created = pd.to_datetime(mentions["created_at"], utc=True).reset_index(drop=True)
    day = created.dt.tz_convert(None).dt.normalize()
    week = (day - pd.to_timedelta(day.dt.weekday, unit="D")).dt.date
    df = pd.DataFrame({"theme_id": mention_df["theme_id"].to_numpy(), "week": week.to_numpy(),
                       "item_id": mention_df["item_id"].to_numpy()})  # fmt: skip
    out = df.groupby(["theme_id", "week"], sort=True).agg(
        mentions=("item_id", "size"), items=("item_id", "nunique")
    )
    return out.reset_index()


def _registry_frame(reg: pd.DataFrame) -> pd.DataFrame:
    out = reg.reindex(columns=REGISTRY_COLUMNS).copy()
    out["centroid"] = [np.asarray(c, dtype=np.float32).tolist() if c is not None and not (
        isinstance(c, float) and np.isnan(c)) else None for c in out["centroid"]]  # fmt: skip
    out["size"] = pd.to_numeric(out["size"]).fillna(0).astype("int64")
    out["share_negative"] = pd.to_numeric(out["share_negative"], errors="coerce").astype("float64")
    out["is_new"] = out["is_new"].fillna(False).astype(bool)
    out["pinned"] = out["pinned"].fillna(False).astype(bool)
    for col in ("first_seen", "last_seen", "created_at"):
        out[col] = pd.to_datetime(out[col], utc=True)
    for col in ("theme_id", "label", "keywords", "group_id", "group_label", "status", "parent_id", "merged_into",
                "label_source", "quotes"):  # fmt: skip
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out.sort_values("theme_id").reset_index(drop=True)
