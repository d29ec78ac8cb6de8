"""Problems: what customers complain about, found among the complaint mentions alone.

Themes are aspects, found among every mention: praise and complaints about
one thing fall together ("sound quality" holds "great sound" and "sounds
like a tin can"), and generic verdicts ("It is useless.", "Love it!") fall
into whichever aspect they resemble. Named and counted from such themes, a
backlog names aspects, not problems. So problems are discovered on their own,
with the same discovery (`voc.themes.discover.fit_themes`), among the
negative mentions only: complaints cluster with complaints, each problem is
named by what its complaints say against the other problems' complaints
(negation kept: `voc.themes.polar_labels`), and belongs to the aspect theme
most of its mentions sit in (its group in the backlog, its journey stage and
pillar). A problem made mostly of verdicts with no aspect ("Ridiculous.",
"Not happy") names nothing to fix (`opinion_share`) and is not ranked.

Identity works as for themes: a refit matches new problems to the registry's
centroids (one-to-one, `themes.match_threshold`); between refits a new
complaint joins the nearest problem when close enough (`themes.assign_threshold`).

Tables (this module owns both):
- `problems`: problem_id ("P0001"), label, keywords, theme_id (the aspect),
  centroid, size, opinion_share, status, is_new, first_seen, last_seen,
  created_at, label_source;
- `problem_mentions(item_id, sent_idx, problem_id, score)`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from voc.clean.language import may_be_english
from voc.nlp.complaints import COMPLAINT_LABEL
from voc.themes.boilerplate import mention_kinds, opinion_share
from voc.themes.cache import cached_embeddings
from voc.themes.discover import fit_themes, linked_mentions
from voc.themes.labels import label_themes, reads_positive, vader
from voc.themes.polar_labels import polar_labels
from voc.themes.registry import (
    UNASSIGNED,
    assign_to_centroids,
    match_centroids,
    nearest_centroid,
    new_ids,
    normalise,
)

log = logging.getLogger(__name__)

TABLE = "problems"
MENTIONS = "problem_mentions"
COLUMNS = ["problem_id", "label", "keywords", "theme_id", "centroid", "size", "opinion_share", "status",
           "is_new", "first_seen", "last_seen", "created_at", "label_source"]  # fmt: skip
_NEGATIVE = COMPLAINT_LABEL  # a complaint is a negative mention (voc.nlp.complaints)
_ASPECT_SAMPLE = 400  # non-complaint mentions of an aspect read when naming its problems


def _now() -> datetime:
    return datetime.now(UTC)


def load_complaints(store: Any, *, only_new: bool = False) -> pd.DataFrame:
    """Negative mentions (item_id, sent_idx, text, created_at, language, kind, theme_id); `only_new`: those
    without a `problem_mentions` row yet."""
    new = (
        " AND NOT EXISTS (SELECT 1 FROM problem_mentions p WHERE p.item_id = s.item_id AND p.sent_idx = s.sent_idx)"
        if only_new and store.written(MENTIONS)
        else ""
    )
    return store.query(
        f"SELECT s.item_id, s.sent_idx, s.text, i.created_at, i.language, i.kind, m.theme_id "
        f"FROM {store.relation('sentences')} s JOIN {store.relation('sentence_sentiment')} ss "
        f"USING (item_id, sent_idx) JOIN items i ON i.id = s.item_id "
        f"LEFT JOIN {store.relation('mentions')} m USING (item_id, sent_idx) "
        f"WHERE ss.label = '{_NEGATIVE}' AND s.text IS NOT NULL AND length(trim(s.text)) > 0{new} "
        "ORDER BY i.created_at, s.item_id, s.sent_idx"
    )


def load_registry(store: Any) -> pd.DataFrame:
    """The problems registry (an empty frame with its columns when there is none)."""
    reg = store.read(TABLE)
    if reg.empty:
        return pd.DataFrame(columns=COLUMNS)
    for col in COLUMNS:
        if col not in reg.columns:
            reg[col] = None
    reg["centroid"] = [np.asarray(c, dtype=np.float32) if c is not None else None for c in reg["centroid"]]
    return reg


def fit_problems(
    texts: list[str],
    emb: np.ndarray,
    usable: np.ndarray,
    registry: pd.DataFrame,
    config: Any,
    *,
    groups: np.ndarray | None = None,
    times: np.ndarray | None = None,
    linked: np.ndarray | None = None,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Discover problems among the usable complaints and match them to the registry (pure).

    Returns the problem id of each complaint ("unassigned" for none) and the
    registry with matched rows updated and new rows added.
    """
    cfg = config.themes
    pool = np.flatnonzero(usable)
    rng = np.random.default_rng(cfg.seed)
    fit_idx = (
        pool if len(pool) <= cfg.max_fit_mentions else np.sort(rng.choice(pool, cfg.max_fit_mentions, False))
    )
    disc = fit_themes(
        [texts[i] for i in fit_idx], emb[fit_idx], cfg,
        groups=groups[fit_idx] if groups is not None else None,
        times=times[fit_idx] if times is not None else None,
        linked=linked[fit_idx] if linked is not None else None,
    )  # fmt: skip
    labels = np.full(len(texts), -1, dtype=int)
    labels[fit_idx] = disc.labels
    rest = np.setdiff1d(pool, fit_idx)
    if len(rest) and disc.n_themes:
        best, sim = nearest_centroid(emb, disc.centroids, rows=rest)
        ok = sim >= cfg.assign_threshold
        labels[rest[ok]] = best[ok]
    reg = registry.copy()
    old = reg[reg["centroid"].notna()] if len(reg) else reg
    old_c = np.stack(old["centroid"].tolist()) if len(old) else np.zeros((0, emb.shape[1]), np.float32)
    matched, _ = match_centroids(disc.centroids, old_c, cfg.match_threshold)
    fresh = iter(new_ids(reg["problem_id"].tolist() if len(reg) else [], disc.n_themes - len(matched), "P"))
    first_fit = len(reg) == 0
    ids, rows = [], []
    for j in range(disc.n_themes):
        if j in matched:
            ids.append(str(old["problem_id"].iloc[matched[j]]))
        else:
            pid = next(fresh)
            ids.append(pid)
            rows.append({"problem_id": pid, "status": "active" if first_fit else "new", "is_new": not first_fit,
                         "label_source": "auto", "created_at": _now()})  # fmt: skip
    if rows:
        reg = pd.concat([reg, pd.DataFrame(rows)], ignore_index=True) if len(reg) else pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in reg.columns:
            reg[col] = None
    reg = reg.set_index("problem_id", drop=False)
    reg["is_new"] = reg["problem_id"].isin([r["problem_id"] for r in rows])
    for j, pid in enumerate(ids):
        reg.at[pid, "centroid"] = disc.centroids[j]
        if pid not in {r["problem_id"] for r in rows}:
            reg.at[pid, "status"] = "active"
    of = np.array([ids[v] if v >= 0 else UNASSIGNED for v in labels.tolist()], dtype=object)
    return of, reg.reset_index(drop=True)


def describe_problems(
    registry: pd.DataFrame,
    texts: list[str],
    emb: np.ndarray,
    problem_of: np.ndarray,
    theme_of: np.ndarray,
    config: Any,
    *,
    rename: dict[str, str] | None = None,
    aspect_texts: pd.DataFrame | None = None,
    encode_fn: Callable[[list[str]], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Name, keywords, aspect theme, centroid and opinion share of every problem with mentions (pure).

    Names are chosen against the other problems' complaints and, with
    `aspect_texts` (theme_id, text: the themes' mentions that are not
    complaints), against what the problem's aspect says when it is not a
    complaint. A user's rename (`themes.overrides.rename` naming a problem id)
    wins and is kept.
    """
    reg = registry.set_index("problem_id", drop=False).copy()
    present = [p for p in dict.fromkeys(problem_of.tolist()) if p != UNASSIGNED and p in reg.index]
    idx = {p: i for i, p in enumerate(present)}
    lab = np.array([idx.get(p, -1) for p in problem_of.tolist()], dtype=int)
    aspect: dict[str, str | None] = {}
    for p, i in idx.items():
        themes = pd.Series(theme_of[lab == i]).replace({UNASSIGNED: None}).dropna()
        aspect[p] = themes.mode().iloc[0] if len(themes) else None
    other_texts: list[str] = []
    other_lab: list[int] = []
    if aspect_texts is not None and len(aspect_texts):
        by_theme = {
            t: g["text"].astype(str).tolist()[:_ASPECT_SAMPLE] for t, g in aspect_texts.groupby("theme_id")
        }
        for p, i in idx.items():
            got = by_theme.get(aspect[p], [])
            other_texts += got
            other_lab += [i] * len(got)
    names = label_themes(texts, lab, emb, n_keywords=config.themes.n_keywords, n_quotes=0,
                         use_spacy=config.themes.label_noun_chunks, encode_fn=encode_fn, negations=True)  # fmt: skip
    # The phrase that sets the complaints apart from the aspect's other mentions (`polar_labels`) names a
    # problem instead when the first name reads as a compliment ("Room clean" for rooms that were not), or
    # names only a thing ("Room bathroom", "Internet access") where the contrast says what is wrong with
    # it ("Bathrooms small", "No wireless internet").
    contrast = polar_labels(texts, lab, other_texts, np.asarray(other_lab, dtype=int),
                            n_keywords=config.themes.n_keywords, min_mentions=2)  # fmt: skip
    for i, d in list(names.items()):
        alt = contrast.get(i)
        if alt is None or reads_as_praise(alt.label):
            continue
        if reads_as_praise(d.label) or (states_problem(alt.label) and not states_problem(d.label)):
            names[i] = alt
    kinds = mention_kinds(texts)
    rename = rename or {}
    for p, i in idx.items():
        mask = lab == i
        reg.at[p, "centroid"] = normalise(emb[mask].mean(axis=0))[0]
        reg.at[p, "opinion_share"] = round(opinion_share(kinds[mask].tolist()), 4)
        reg.at[p, "theme_id"] = aspect[p]
        if p in rename:
            reg.at[p, "label"], reg.at[p, "label_source"] = rename[p], "user"
        elif reg.at[p, "label_source"] != "user":
            d = names.get(i)
            reg.at[p, "label"] = d.label if d is not None else None
            reg.at[p, "keywords"] = json.dumps(d.keywords) if d is not None else None
    return _dedupe(reg.reset_index(drop=True))


def _dedupe(reg: pd.DataFrame) -> pd.DataFrame:
    """Two live problems never share a name: a later one gets its first keyword not in the name."""
    reg = reg.copy()
    seen: dict[str, str] = {}
    live = reg["status"].fillna("active") != "retired"
    for k in reg.index[live & reg["label"].notna()]:
        name = str(reg.at[k, "label"])
        if name.lower() not in seen:
            seen[name.lower()] = reg.at[k, "problem_id"]
            continue
        kws = json.loads(reg.at[k, "keywords"]) if isinstance(reg.at[k, "keywords"], str) else []
        extra = next((w for w in kws if w.lower() not in name.lower()), None)
        reg.at[k, "label"] = f"{name} ({extra})" if extra else f"{name} ({reg.at[k, 'problem_id']})"
        seen[str(reg.at[k, "label"]).lower()] = reg.at[k, "problem_id"]
    return reg


def _aspect_texts(store: Any) -> pd.DataFrame:
    """The themes' mentions that are not complaints (theme_id, text), to name problems against."""
    return store.query(
        f"SELECT m.theme_id, s.text FROM {store.relation('mentions')} m "
        f"JOIN {store.relation('sentences')} s USING (item_id, sent_idx) "
        f"LEFT JOIN {store.relation('sentence_sentiment')} ss USING (item_id, sent_idx) "
        f"WHERE m.theme_id <> '{UNASSIGNED}' AND coalesce(ss.label, '') <> '{_NEGATIVE}'"
    )


def reads_as_praise(label: str) -> bool:
    """True when a name reads as a compliment: a word VADER's lexicon rates positive used as a verdict
    (an adjective, adverb or verb: "Room clean", "Love the product"), not in a thing's name ("Support
    agent", "Help center"), and the whole name positive (compound >= 0.3); or a negated complaint ("No
    regrets", "No complaints"), which is praise however it is tagged."""
    if not reads_positive(label):  # neither a negated complaint nor positive enough for any word to carry
        return False
    from voc.themes.labels import _chunker

    nlp = _chunker()
    if nlp is None:
        return True
    lexicon = vader().lexicon
    verdicts = {
        t.lower_ for t in nlp(label) if t.pos_ in ("ADJ", "ADV", "VERB") and lexicon.get(t.lower_, 0.0) > 0
    }
    return reads_positive(label, verdicts)


def states_problem(label: str) -> bool:
    """A name says what is wrong with a thing: a common noun, and a negation, an adjective VADER rates
    negative, or an adjective said of the noun after it ("Bathrooms small", "Room not ready", "No
    wireless internet", "Dead bugs"; not "Internet access", "Hot tub", "Prime day", where the adjective
    is part of the thing's name). By spaCy's tagger; False without spaCy."""
    from voc.themes.labels import _chunker
    from voc.themes.negations import NEGATORS

    nlp = _chunker()
    if nlp is None:
        return False
    doc = nlp(label.lower())
    lexicon = vader().lexicon
    nouns = [t.i for t in doc if t.pos_ == "NOUN"]
    if not nouns:
        return False
    return any(
        t.lower_ in NEGATORS or (t.pos_ == "ADJ" and (lexicon.get(t.lower_, 0.0) < 0 or t.i > nouns[0]))
        for t in doc
    )


def _usable(frame: pd.DataFrame, texts: list[str]) -> np.ndarray:
    """Complaints that say what is wrong: English, and neither framing nor a bare verdict ("Ugh.",
    "Not happy."), which would only gather into a problem that names nothing to fix."""
    lang = frame["language"].astype(object).where(frame["language"].notna(), None).tolist()
    english = np.array([may_be_english(lg) for lg in lang], dtype=bool)
    return (mention_kinds(texts) == "content") & english


def update_problems(
    store: Any,
    config: Any,
    *,
    refit: bool,
    encode_fn: Callable[[list[str]], np.ndarray],
) -> dict[str, Any]:
    """Find (refit) or extend (new complaints only) the problems and write both tables."""
    t0 = time.perf_counter()
    if not all(store.written(t) for t in ("sentences", "sentence_sentiment", "mentions")):
        # No mention sentiment (the stage has not run): no complaints to find problems in; the
        # backlog then ranks the themes' complaints as before.
        log.info("problems: no sentence sentiment in the store; skipped")
        return {"mode": "skipped", "complaints": 0, "assigned": 0, "problems": 0, "seconds": 0.0}
    registry = load_registry(store)
    fit = refit or not len(registry) or not store.written(MENTIONS)
    frame = load_complaints(store, only_new=not fit)
    texts = frame["text"].astype(str).tolist()
    emb = cached_embeddings(store, texts, config.encoder.model, encode_fn)
    usable = _usable(frame, texts)
    score = np.zeros(len(frame), dtype=np.float32)
    if fit:
        times = frame["created_at"].to_numpy()
        problem_of, registry = fit_problems(texts, emb, usable, registry, config,
                                            groups=frame["item_id"].to_numpy(dtype=object), times=times,
                                            linked=linked_mentions(frame["kind"].to_numpy(), config.themes))  # fmt: skip
        registry = describe_problems(registry, texts, emb, problem_of,
                                     frame["theme_id"].fillna(UNASSIGNED).to_numpy(dtype=object), config,
                                     rename=config.themes.overrides.rename, aspect_texts=_aspect_texts(store),
                                     encode_fn=encode_fn)  # fmt: skip
    else:
        problem_of = np.full(len(frame), UNASSIGNED, dtype=object)
        live = registry[(registry["status"] != "retired") & registry["centroid"].notna()]
        todo = np.flatnonzero(usable)
        if len(todo) and len(live):
            got, sc = assign_to_centroids(emb[todo], np.stack(live["centroid"].tolist()),
                                          live["problem_id"].tolist(), config.themes.assign_threshold)  # fmt: skip
            problem_of[todo] = np.asarray(got, dtype=object)
            score[todo] = sc
        registry = registry.assign(is_new=False)
        registry.loc[registry["status"] == "new", "status"] = "active"
    cent = {r.problem_id: r.centroid for r in registry.itertuples() if r.centroid is not None}
    has = np.flatnonzero(problem_of != UNASSIGNED)
    if fit and len(has) and cent:
        c = normalise(np.stack([cent[p] for p in problem_of[has]]))
        score[has] = np.einsum("ij,ij->i", normalise(emb[has]), c)
    rows = pd.DataFrame(
        {
            "item_id": frame["item_id"].to_numpy(dtype=object),
            "sent_idx": frame["sent_idx"].astype("int32").to_numpy(),
            "problem_id": problem_of.astype(str),
            "score": score,
        }
    )
    with store.transaction():
        if fit:
            store.replace(MENTIONS, rows)
        else:
            # Complaints whose sentence is gone or no longer negative (an item re-scored) leave with it.
            store.execute(
                f"DELETE FROM {MENTIONS} p WHERE NOT EXISTS (SELECT 1 FROM {store.relation('sentence_sentiment')} "
                f"ss WHERE ss.item_id = p.item_id AND ss.sent_idx = p.sent_idx AND ss.label = '{_NEGATIVE}')"
            )
            store.write(MENTIONS, rows)
        registry = _write_registry(store, registry)
    n_live = int((registry["status"] != "retired").sum())
    assigned = int((problem_of != UNASSIGNED).sum())
    log.info(
        "problems: %s %s complaint mentions (%s usable, %s assigned) into %d problems in %.1f s",
        "fitted" if fit else "assigned", f"{len(frame):,}", f"{int(usable.sum()):,}", f"{assigned:,}", n_live,
        time.perf_counter() - t0,
    )  # fmt: skip
    return {"mode": "fit" if fit else "incremental", "complaints": len(frame), "assigned": assigned,
            "problems": n_live, "seconds": round(time.perf_counter() - t0, 2)}  # fmt: skip


def _write_registry(store: Any, registry: pd.DataFrame) -> pd.DataFrame:
    """Recount sizes and dates from `problem_mentions`, retire problems left empty, write `problems`."""
    stats = store.query(
        f"SELECT p.problem_id, count(*) AS size, min(i.created_at) AS first_seen, max(i.created_at) AS last_seen "
        f"FROM {MENTIONS} p JOIN items i ON i.id = p.item_id WHERE p.problem_id <> '{UNASSIGNED}' "
        "GROUP BY p.problem_id"
    ).set_index("problem_id")
    reg = registry.set_index("problem_id", drop=False).copy()
    stats = stats.reindex(reg.index)
    reg["size"] = stats["size"].fillna(0).astype("int64")
    for col in ("first_seen", "last_seen", "created_at"):
        src = stats[col] if col in stats.columns else reg[col]
        reg[col] = pd.to_datetime(src, utc=True)
    reg.loc[reg["size"] == 0, "status"] = "retired"
    out = reg.reset_index(drop=True).reindex(columns=COLUMNS)
    out["centroid"] = [np.asarray(c, dtype=np.float32).tolist() if c is not None and not (
        isinstance(c, float) and np.isnan(c)) else None for c in out["centroid"]]  # fmt: skip
    out["opinion_share"] = pd.to_numeric(out["opinion_share"], errors="coerce").astype("float64")
    out["is_new"] = out["is_new"].fillna(False).astype(bool)
    for col in ("problem_id", "label", "keywords", "theme_id", "status", "label_source"):
        out[col] = out[col].astype(object).where(out[col].notna(), None)
    store.replace(TABLE, out.sort_values("problem_id").reset_index(drop=True))
    return out
