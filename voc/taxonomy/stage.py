"""The taxonomy stage (store in, store out): journey stage and CX pillar per theme, mention and item.

Reads `themes`, `mentions`, `sentences` and `item_themes`; writes

- `theme_mapping(theme_id, journey_stage, stage_confidence, stage_score, stage_evidence,
  pillar, pillar_confidence, pillar_score, pillar_evidence, framework)`;
- `mention_mapping(item_id, sent_idx, theme_id, journey_stage, stage_confidence, stage_evidence,
  pillar, pillar_confidence, pillar_evidence)`;
- `item_mapping(item_id, journey_stage, pillar, theme_id)`, which fills items.csv.

A theme is represented by its mention centroid blended with the embedding
of its label and keywords. A mention's scores blend its own sentence with
its theme's scores (`taxonomy.theme_weight_for_mentions`), so one sentence
about a refund inside a delivery theme can still land on billing.
Overrides in config always win, for the theme and all its mentions.

Item rule: an item takes the stage and pillar of its primary theme's
mention (the primary theme is the one `item_themes` names, which prefers
the complaint); when that theme has several of the item's sentences, the
one mapped with the highest stage score. Items without a themed mention
take their best-scoring mention, which may well be `unmapped`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from voc.config import VocConfig
from voc.config.taxonomy import MappingOverride
from voc.taxonomy.mapping import MappingParams, Scores, TaxonomyIndex, blend, build_index, decide, score
from voc.taxonomy.taxonomies import load_framework, load_stages

log = logging.getLogger(__name__)

UNASSIGNED = "unassigned"


def _keywords(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return [w.strip() for w in value.split(",") if w.strip()]
    return [str(v) for v in value]


def theme_texts(themes: pd.DataFrame) -> list[str]:
    """What is embedded for a theme: its label, then its top keywords."""
    out = []
    for label, kws in zip(themes["label"].fillna(""), themes["keywords"], strict=True):
        words = _keywords(kws)[:10]
        out.append(f"{label}. {', '.join(words)}" if words else str(label))
    return out


def theme_vectors(themes: pd.DataFrame, text_vecs: np.ndarray, centroid_weight: float) -> np.ndarray:
    """Blend each theme's centroid (when it has one) with its label+keywords embedding, L2-normalised."""
    out = np.asarray(text_vecs, dtype=np.float32).copy()
    cents = themes["centroid"].tolist() if "centroid" in themes.columns else [None] * len(themes)
    for i, c in enumerate(cents):
        if c is None or (isinstance(c, float) and np.isnan(c)):
            continue
        c = np.asarray(c, dtype=np.float32)
        if c.shape != out[i].shape or not np.isfinite(c).all() or not c.any():
            continue
        c = c / np.linalg.norm(c)
        out[i] = centroid_weight * c + (1 - centroid_weight) * out[i]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)


def override_for(
    theme_id: str, text: str, overrides: list[MappingOverride]
) -> tuple[str | None, str | None, str]:
    """(stage, pillar, note) from the first overrides that set each; later rules fill only what is still open."""
    stage = pillar = None
    notes = []
    for k, o in enumerate(overrides):
        hit = (o.theme_id is not None and o.theme_id == theme_id) or (
            o.label_pattern is not None and re.search(o.label_pattern, text, re.IGNORECASE) is not None
        )
        if not hit:
            continue
        if o.journey_stage and stage is None:
            stage = o.journey_stage
            notes.append(f"override #{k} stage")
        if o.pillar and pillar is None:
            pillar = o.pillar
            notes.append(f"override #{k} pillar")
    return stage, pillar, ", ".join(notes)


def _params(config: VocConfig, pillar: bool = False) -> MappingParams:
    t = config.taxonomy
    return MappingParams(
        min_similarity=t.pillar_min_similarity if pillar else t.min_similarity,
        description_weight=t.description_weight,
        keyword_bonus=t.keyword_bonus,
        keyword_bonus_max=t.keyword_bonus_max,
    )


def map_themes(
    themes: pd.DataFrame,
    stage_index: TaxonomyIndex,
    pillar_index: TaxonomyIndex,
    config: VocConfig,
    encode: Callable[[list[str]], np.ndarray],
) -> tuple[pd.DataFrame, Scores, Scores]:
    """Theme mapping frame plus the raw scores (mentions blend with them)."""
    texts = theme_texts(themes)
    vecs = theme_vectors(themes, encode(texts), config.taxonomy.centroid_weight)
    s_scores = score(vecs, texts, stage_index, _params(config))
    p_scores = score(vecs, texts, pillar_index, _params(config, pillar=True))
    st = decide(s_scores, stage_index, config.taxonomy.min_similarity)
    pi = decide(p_scores, pillar_index, config.taxonomy.pillar_min_similarity)
    out = pd.DataFrame(
        {
            "theme_id": themes["theme_id"].astype(str).to_numpy(),
            "journey_stage": st["label"].to_numpy(dtype=object),
            "stage_confidence": st["confidence"].to_numpy(),
            "stage_score": st["score"].to_numpy(),
            "stage_evidence": st["evidence"].to_numpy(dtype=object),
            "pillar": pi["label"].to_numpy(dtype=object),
            "pillar_confidence": pi["confidence"].to_numpy(),
            "pillar_score": pi["score"].to_numpy(),
            "pillar_evidence": pi["evidence"].to_numpy(dtype=object),
            "framework": pillar_index.taxonomy.name,
        }
    )
    for i, (tid, text) in enumerate(zip(out["theme_id"], texts, strict=True)):
        stage, pillar, note = override_for(tid, text, config.taxonomy.overrides)
        if stage:
            out.loc[i, ["journey_stage", "stage_confidence", "stage_evidence"]] = [stage, 1.0, note]
        if pillar:
            out.loc[i, ["pillar", "pillar_confidence", "pillar_evidence"]] = [pillar, 1.0, note]
    return out, s_scores, p_scores


def map_mentions(
    mentions: pd.DataFrame,
    vectors: np.ndarray,
    theme_map: pd.DataFrame,
    theme_scores: tuple[Scores, Scores],
    stage_index: TaxonomyIndex,
    pillar_index: TaxonomyIndex,
    config: VocConfig,
) -> pd.DataFrame:
    """Mention mapping: own sentence blended with its theme; the theme's overrides win."""
    texts = mentions["text"].fillna("").astype(str).tolist()
    row_of = {t: i for i, t in enumerate(theme_map["theme_id"])}
    rows = np.array([row_of.get(t, -1) for t in mentions["theme_id"].astype(str)], dtype=np.int64)
    w = config.taxonomy.theme_weight_for_mentions
    out = pd.DataFrame({"item_id": mentions["item_id"].to_numpy(dtype=object),
                        "sent_idx": mentions["sent_idx"].to_numpy(),
                        "theme_id": mentions["theme_id"].astype(str).to_numpy(dtype=object)})  # fmt: skip
    for kind, index, scores, col, params in (
        ("stage", stage_index, theme_scores[0], "journey_stage", _params(config)),
        ("pillar", pillar_index, theme_scores[1], "pillar", _params(config, pillar=True)),
    ):
        own = score(vectors, texts, index, params)
        prior = np.where(
            rows[:, None] >= 0, scores.total[np.clip(rows, 0, None)] if len(scores.total) else 0, own.total
        )
        dec = decide(blend(own, prior, w), index, params.min_similarity)
        labels = dec["label"].to_numpy(dtype=object).copy()
        conf = dec["confidence"].to_numpy().copy()
        sc = dec["score"].to_numpy()
        ev = dec["evidence"].to_numpy(dtype=object).copy()
        # Overrides of the theme apply to its mentions too.
        overridden = theme_map.set_index("theme_id")[f"{kind}_evidence"].str.startswith("override").to_dict()
        fixed = theme_map.set_index("theme_id")[col].to_dict()
        for i, t in enumerate(out["theme_id"]):
            if overridden.get(t):
                labels[i], conf[i], ev[i] = fixed[t], 1.0, f"theme {t} override"
        out[col] = labels
        out[f"{kind}_confidence"] = conf
        out[f"{kind}_score"] = sc
        out[f"{kind}_evidence"] = ev
    return out


def item_mapping(mention_map: pd.DataFrame, item_themes: pd.DataFrame | None) -> pd.DataFrame:
    """One row per item: stage and pillar of its primary theme's best mention (see module docstring)."""
    if mention_map.empty:
        return pd.DataFrame(columns=["item_id", "journey_stage", "pillar", "theme_id"])
    mm = mention_map
    if item_themes is not None and len(item_themes):
        primary = item_themes[["item_id", "theme_id"]].rename(columns={"theme_id": "primary"})
        mm = mm.merge(primary, on="item_id", how="left")
        mm["is_primary"] = (mm["theme_id"] == mm["primary"]) & (mm["theme_id"] != UNASSIGNED)
    else:
        mm = mm.assign(is_primary=mm["theme_id"] != UNASSIGNED)
    mm = mm.sort_values(
        ["item_id", "is_primary", "stage_score", "sent_idx"], ascending=[True, False, False, True]
    )
    best = mm.drop_duplicates("item_id", keep="first")
    return best[["item_id", "journey_stage", "pillar", "theme_id"]].reset_index(drop=True)


# A mention_mapping row `mm` that still describes mention `m` (same sentence, same theme).
_SAME_MENTION = "mm.item_id = m.item_id AND mm.sent_idx = m.sent_idx AND mm.theme_id = m.theme_id"


def _inputs_key(
    config: VocConfig,
    stages: Any,
    framework: Any,
    theme_map: pd.DataFrame,
    s_scores: Scores,
    p_scores: Scores,
) -> str:
    """Fingerprint of everything a mention's mapping depends on besides its own sentence."""
    h = hashlib.sha1()
    for part in (config.taxonomy.model_dump_json(), config.encoder.model, stages.model_dump_json(),
                 framework.model_dump_json()):  # fmt: skip
        h.update(part.encode("utf-8"))
    h.update(pd.util.hash_pandas_object(theme_map.round(4).astype(str), index=False).to_numpy().tobytes())
    for sc in (s_scores, p_scores):
        h.update(np.round(sc.total, 4).astype(np.float32).tobytes())
    return h.hexdigest()


def _update_mappings(store: Any, mention_map: pd.DataFrame) -> pd.DataFrame:
    """Replace the rows of changed or gone mentions, add the new ones, and redo their items' rows."""
    gone = f"NOT EXISTS (SELECT 1 FROM {store.relation('mentions')} m WHERE {_SAME_MENTION})"
    stale = store.query(f"SELECT DISTINCT mm.item_id FROM mention_mapping mm WHERE {gone}")
    stale = stale["item_id"].tolist()
    if stale:
        store.execute(f"DELETE FROM mention_mapping mm WHERE {gone}")
    store.write("mention_mapping", mention_map)
    touched = sorted(set(mention_map["item_id"].tolist()) | set(stale))
    ids = "item_id IN (SELECT unnest(?::VARCHAR[]))"
    their = store.query(f"SELECT * FROM mention_mapping WHERE {ids}", [touched])
    items = item_mapping(their, store.read("item_themes", ["item_id", "theme_id"], item_ids=touched))
    store.execute(f"DELETE FROM item_mapping WHERE {ids}", [touched])
    store.write("item_mapping", items)
    return items


def map_taxonomy(
    store: Any, config: VocConfig, encode_fn: Callable[[list[str]], np.ndarray] | None = None
) -> dict[str, Any]:
    """Map every theme, mention and item to a journey stage and a pillar; write the three mapping tables."""
    t0 = time.perf_counter()
    if not store.written("themes") or not store.written("mentions"):
        log.info("taxonomy: no themes yet, nothing to map (run the themes stage first)")
        return {"themes": 0, "mentions": 0, "items": 0, "seconds": 0.0}
    if encode_fn is None:
        from voc.nlp.encoder import get_encoder

        # The configured encoder, precision and device included (the closure here once dropped precision).
        encode_fn = get_encoder(config.encoder).encode

    stages = load_stages(config)
    framework = load_framework(config)
    stage_index = build_index(stages, encode_fn)
    pillar_index = build_index(framework, encode_fn)
    themes = store.read("themes", where=f"theme_id <> '{UNASSIGNED}'", order_by="theme_id")
    for col in ("keywords", "centroid", "label"):
        if col not in themes.columns:
            themes[col] = None
    theme_map, s_scores, p_scores = map_themes(themes, stage_index, pillar_index, config, encode_fn)

    # Known mentions keep their rows when nothing they were mapped from has changed: the same
    # taxonomies and settings, and the same scores for every theme (a refit or relabel changes them).
    key = _inputs_key(config, stages, framework, theme_map, s_scores, p_scores)
    only_new = (
        store.written("mention_mapping")
        and store.written("item_mapping")
        and store.get_watermark("taxonomy", "inputs") == key
    )
    join = f"LEFT JOIN {store.relation('sentences')} s USING (item_id, sent_idx)"
    where = f"WHERE NOT EXISTS (SELECT 1 FROM mention_mapping mm WHERE {_SAME_MENTION})" if only_new else ""
    mentions = store.query(
        f"SELECT m.item_id, m.sent_idx, m.theme_id, s.text FROM {store.relation('mentions')} m {join} {where} "
        "ORDER BY 1, 2"
    )
    texts = mentions["text"].fillna("").astype(str).tolist()
    if texts:
        from voc.themes.cache import cached_embeddings

        vectors = cached_embeddings(store, texts, config.encoder.model, encode_fn)
    else:
        vectors = np.zeros((0, stage_index.description_vectors.shape[1]), np.float32)
    mention_map = map_mentions(
        mentions, vectors, theme_map, (s_scores, p_scores), stage_index, pillar_index, config
    )
    with store.transaction():
        if only_new:
            items = _update_mappings(store, mention_map)
        else:
            items = item_mapping(mention_map, store.read("item_themes", ["item_id", "theme_id"]))
            store.replace("mention_mapping", mention_map)
            store.replace("item_mapping", items)
        store.write("theme_mapping", theme_map)  # declared `replace`
        store.set_watermark("taxonomy", "inputs", key)
    seconds = time.perf_counter() - t0
    unmapped = float((theme_map["journey_stage"] == "unmapped").mean()) if len(theme_map) else 0.0
    log.info(
        "taxonomy: mapped %d themes, %s " + ("new " if only_new else "") + "mentions and %s items to %d stages and %d %s pillars "
        "(%.0f%% of themes unmapped) in %.0f s",
        len(theme_map), f"{len(mention_map):,}", f"{len(items):,}", len(stages.entries), len(framework.entries),
        framework.name, 100 * unmapped, seconds,
    )  # fmt: skip
    return {
        "mode": "new mentions only" if only_new else "all mentions",
        "themes": len(theme_map),
        "mentions": len(mention_map),
        "items": len(items),
        "framework": framework.name,
        "stage_counts": theme_map["journey_stage"].value_counts().to_dict(),
        "pillar_counts": theme_map["pillar"].value_counts().to_dict(),
        "themes_unmapped_share": round(unmapped, 4),
        "seconds": round(seconds, 2),
    }
