"""The sentiment stage: split stored items into sentences and score them (store in, store out).

Incremental and idempotent: an item is (re)scored only when it has no row in
`item_sentiment`, when its text changed (content hash), or when the active
model changed. Tables written:

- `sentences(item_id, sent_idx, text, start_char, end_char)`
- `sentence_sentiment(item_id, sent_idx, label, score, confidence, model)`
- `item_sentiment(item_id, label, score, confidence, mixed, model, content_hash)`

Items of several sentences are read whole and their sentences scored in
that context (`SentimentConfig.sentences_in_context`). With the default model,
the frozen layers' pass over each sentence also fills the themes' embeddings
cache (see `SentimentConfig.share_embeddings`).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from voc.nlp.pending import needs_sentiment
from voc.nlp.sentiment import (
    SentimentModel,
    TopLayersSentiment,
    aggregate_many,
    load_sentiment_model,
)

if TYPE_CHECKING:
    from voc.nlp.calibrate import ItemCalibrator

log = logging.getLogger(__name__)

# The encoder truncates at this many tokens; the shared pass uses the same window.
_ENCODER_MAX_TOKENS = 128


@dataclass(frozen=True)
class Reading:
    """What the model says about one item, before the item label is decided.

    `probs` are its mentions' probabilities [k, 3] (each mention read on its
    own, or inside the item with `mentions_in_context`); `whole` the item read
    whole (None for a one-mention item, whose mention is the whole reading, and
    for items not read whole); `contrast` the scores of the two sides of each
    explicit contrast read alone, when the mentions were read in context.
    """

    spans: list[Any]
    probs: np.ndarray
    whole: np.ndarray | None
    contrast: tuple[tuple[float, float], ...]
    # `whole` is the tone reader's (voc.nlp.tone): the item's label is its reading, not calibrated.
    tone: bool = False

    @property
    def lengths(self) -> list[int]:
        return [len(s.text) for s in self.spans]


def read_texts(
    model: SentimentModel,
    texts: list[str],
    *,
    with_embeddings: bool = False,
    in_context: bool = True,
    mentions_in_context: bool = False,
    tone: Sequence[bool] | None = None,
) -> tuple[list[Reading], np.ndarray | None]:
    """Split texts into mentions (sentences, clauses) and score them (pure apart from the model).

    Each mention is read on its own: read inside a warm review, "The breakfast
    was cold." takes the review's praise (on the SemEval-2014 train files, terms
    in sentences of several mentions: 0.656 accuracy alone against 0.592 in
    context, restaurants; 0.645 against 0.591, laptops). With `in_context`, an
    item of several mentions is also read whole, for its overall tone. With
    `mentions_in_context` (and the default model) the mentions are instead
    scored inside that whole reading, as until session 11
    (`TopLayersSentiment.predict_in_context`), and the two sides of each
    explicit contrast are read alone for the `mixed` flag.

    The items `tone` marks are read whole by the model's tone reader
    (`voc.nlp.tone`; reviews and surveys) instead: a one-mention item's tone
    comes from its mention's pass, a longer one's replaces the whole reading.

    Returns one `Reading` per text and (with the default model and
    `with_embeddings`) the theme embeddings of all mentions in order; a mention
    read alone shares its frozen-layer pass with its theme vector.
    """
    from voc.nlp.sentences import contrast_pairs, split_texts
    from voc.nlp.sentiment import join_sentences

    spans = list(split_texts(texts))
    flat = [s.text for ss in spans for s in ss]
    own_model = isinstance(model, TopLayersSentiment)
    toned: set[int] = set()
    if tone is not None and own_model and model.tone is not None:
        toned = {i for i, (t, ss) in enumerate(zip(tone, spans, strict=True)) if t and ss}
    multi = [i for i, ss in enumerate(spans) if len(ss) > 1] if in_context else []
    whole: dict[int, np.ndarray] = {}  # item -> its probabilities read whole
    inside: dict[int, np.ndarray] = {}  # item -> its mentions' probabilities read inside it
    contrast: dict[int, list[tuple[float, float]]] = {}
    if multi and own_model and mentions_in_context:
        sent_p, item_p = model.predict_in_context([[s.text for s in spans[i]] for i in multi])
        whole, inside = dict(zip(multi, item_p, strict=True)), dict(zip(multi, sent_p, strict=True))
        # In context, "the staff were lovely" reads the "but my refund is late" after it; each side of
        # an explicit contrast is also read on its own, for the `mixed` flag.
        pairs = [(i, k) for i in multi for k in contrast_pairs(spans[i])]
        sides = list(dict.fromkeys(spans[i][j].text for i, k in pairs for j in (k - 1, k)))
        side_score = dict(zip(sides, model.predict(sides).scores.tolist(), strict=True))
        for i, k in pairs:
            left, right = spans[i][k - 1].text, spans[i][k].text
            contrast.setdefault(i, []).append((side_score[left], side_score[right]))
    elif plain := [i for i in multi if i not in toned]:
        # The same text `predict_in_context` reads whole: the mentions, normalised, joined by spaces.
        joined = [join_sentences([s.text for s in spans[i]])[0] for i in plain]
        whole = dict(zip(plain, model.predict(joined).probs, strict=True))
    # A several-mention item's tone reads its joined mentions (as its whole reading would); a one-mention
    # item's is its mention's, taken from the pass that reads the mention.
    long_toned = [i for i in sorted(toned) if len(spans[i]) > 1]
    if long_toned:
        joined = [join_sentences([s.text for s in spans[i]])[0] for i in long_toned]
        whole.update(zip(long_toned, model.predict_tone(joined).probs, strict=True))  # type: ignore[union-attr]
    alone = [s.text for i, ss in enumerate(spans) if i not in inside for s in ss]
    one_toned = {spans[i][0].text for i in toned if len(spans[i]) == 1}
    probs_alone, vecs, tone_of = _read_alone(
        model, alone, flat if with_embeddings and own_model else [], one_toned
    )
    readings: list[Reading] = []
    pos = 0
    for i, ss in enumerate(spans):
        if i in inside:
            p = inside[i]
        else:
            p, pos = probs_alone[pos : pos + len(ss)], pos + len(ss)
        w = tone_of[ss[0].text] if i in toned and len(ss) == 1 else whole.get(i)
        readings.append(Reading(ss, p, w, tuple(contrast.get(i, ())), tone=i in toned))
    return readings, vecs


def score_texts(
    model: SentimentModel,
    texts: list[str],
    *,
    with_embeddings: bool = False,
    in_context: bool = True,
    mentions_in_context: bool = False,
    calibrator: ItemCalibrator | None = None,
    calibrate: Sequence[bool] | None = None,
    tone: Sequence[bool] | None = None,
) -> tuple[list[list[Any]], list[np.ndarray], list[Any], np.ndarray | None]:
    """`read_texts`, then each item's overall tone (`aggregate_many`).

    The items `tone` marks get the model's tone reader; the calibrator applies
    to the other items `calibrate` marks (all without it); the rest keep the
    model's reading. Returns, per text, its spans and its mention
    probabilities, the item results, and (with the default model and
    `with_embeddings`) the theme embeddings of all mentions in order.
    """
    readings, vecs = read_texts(
        model, texts, with_embeddings=with_embeddings, in_context=in_context,
        mentions_in_context=mentions_in_context, tone=tone,
    )  # fmt: skip
    use = [(calibrate is None or bool(calibrate[i])) and not r.tone for i, r in enumerate(readings)]
    items = aggregate_many(readings, calibrator, use)
    return [r.spans for r in readings], [r.probs for r in readings], items, vecs


def _read_alone(
    model: SentimentModel,
    alone: list[str],
    embed: list[str],
    toned: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """Probabilities of the `alone` sentences, theme vectors of the `embed` ones (one row per text), and
    the tone reader's probabilities of the `toned` texts (one-mention items; each is also in `alone`).

    Short feedback repeats itself ("Thank you!", "Still waiting"): each distinct
    sentence is read once, and a sentence that needs several readings shares one
    pass of the frozen layers (`read_with_tone`).
    """
    need_p = list(dict.fromkeys(alone))
    own = isinstance(model, TopLayersSentiment)
    if embed and not own:
        raise TypeError("theme vectors come only from the default model's shared pass")
    if not own or not (embed or toned):
        return _expand(alone, need_p, model.predict(need_p).probs), None, {}
    mask = [t in toned for t in need_p]
    pred, vecs_p, tone_p = model.read_with_tone(need_p, mask, embed=bool(embed))
    tone_of = {t: tone_p[k] for k, t in enumerate(need_p) if mask[k]}
    if not embed:
        return _expand(alone, need_p, pred.probs), None, tone_of
    both = set(need_p)
    vec_only = [t for t in dict.fromkeys(embed) if t not in both]
    vecs = np.concatenate([vecs_p, model.embed(vec_only)])
    return _expand(alone, need_p, pred.probs), _expand(embed, need_p + vec_only, vecs), tone_of


def _expand(texts: list[str], unique: list[str], rows: np.ndarray) -> np.ndarray:
    """Rows of `unique` repeated for `texts` in order."""
    where = {t: i for i, t in enumerate(unique)}
    return rows[np.fromiter((where[t] for t in texts), dtype=np.int64, count=len(texts))]


def _share_embeddings(
    store: Any, config: Any, model: TopLayersSentiment, texts: list[str], vecs: np.ndarray
) -> int:
    """Write exact theme embeddings to the cache: texts that fit the encoder's window whole.

    A longer text's shared vector is the mean over its windows, while
    `encode()` truncates; only single-window texts are the same vector both ways.
    """
    from voc.themes.cache import cached_embeddings

    lookup: dict[str, np.ndarray] = {}
    for t, v in zip(texts, vecs, strict=True):
        lookup.setdefault(t, v)
    kept = list(lookup)
    _windows, owner = model._windows(kept)
    whole = np.bincount(owner, minlength=len(kept)) == 1
    kept = [t for t, ok in zip(kept, whole, strict=True) if ok]
    if not kept:
        return 0
    cached_embeddings(
        store, kept, config.encoder.model, lambda missing: np.stack([lookup[t] for t in missing])
    )
    return len(kept)


# -- the worker process ---------------------------------------------------------
@dataclass(frozen=True)
class ReadOptions:
    """How the stage reads items (picklable, for the worker process)."""

    share: bool  # also return theme vectors from the shared pass
    in_context: bool  # read items of several mentions whole
    mentions_in_context: bool  # score mentions inside that reading instead of alone
    calibrate: bool  # apply the model folder's item calibrator to the items marked for it
    tone: bool = False  # read the items marked for it with the model folder's tone reader instead


_WORKER_MODEL: SentimentModel | None = None


def _worker_init(
    ref: str, root: str, batch_size: int, precision: str, device: str, threads: int, parent: int
) -> None:
    import torch

    from voc.pipeline.lifeline import watch_parent

    # Without this, a worker whose parent was SIGKILLed stayed blocked on its pipe (746 MB, 15 min).
    watch_parent(parent)
    global _WORKER_MODEL
    torch.set_num_threads(threads)
    _WORKER_MODEL = load_sentiment_model(ref, root)
    _WORKER_MODEL.batch_size = batch_size
    _WORKER_MODEL.precision = precision
    _WORKER_MODEL.to_device(device)


def _score_chunk(model: SentimentModel, texts: list[str], use: list[bool], opts: ReadOptions) -> Any:
    from voc.nlp.calibrate import calibrator_for

    return score_texts(
        model, texts, with_embeddings=opts.share, in_context=opts.in_context,
        mentions_in_context=opts.mentions_in_context,
        calibrator=calibrator_for(model) if opts.calibrate else None, calibrate=use,
        tone=use if opts.tone else None,
    )  # fmt: skip


def _worker_score(texts: list[str], use: list[bool], opts: ReadOptions) -> Any:
    assert _WORKER_MODEL is not None, "_worker_init did not run"
    return _score_chunk(_WORKER_MODEL, texts, use, opts)


def _chunk_scores(
    chunks: list[tuple[list[str], list[bool]]],
    model: SentimentModel,
    config: Any,
    opts: ReadOptions,
    worker: bool,
) -> Iterator[Any]:
    """`score_texts` of each chunk (texts, which items to calibrate) in order: here, or in one spawned worker.

    glibc keeps the heap that a long scoring run fragments (variable-length
    batches, several threads), and the themes stage then grows on top of it:
    at 100,000 items the rebuild peaked about 0.8 GB higher than the themes
    stage alone. A worker's memory goes back to the system when it exits.
    The worker scores the next chunk while this process writes the last one.
    """
    if not worker:
        for texts, use in chunks:
            yield _score_chunk(model, texts, use, opts)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import torch

    args = (
        config.sentiment.model,
        str(config.root),
        model.batch_size,
        model.precision,
        model.device,
        torch.get_num_threads(),
        os.getpid(),
    )
    ctx = multiprocessing.get_context("spawn")  # a fork would copy this process's heap and threads
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init, initargs=args) as pool:
        pending = [pool.submit(_worker_score, t, u, opts) for t, u in chunks[:2]]
        for k in range(len(chunks)):
            got = pending.pop(0).result()
            if k + 2 < len(chunks):
                pending.append(pool.submit(_worker_score, *chunks[k + 2], opts))
            yield got


def item_tag(model: SentimentModel, config: Any) -> str:
    """How items were read, stored in `item_sentiment.model`: changing any of it rescores the items once."""
    from voc.nlp.calibrate import calibrator_for

    tag = model.name + ("+whole" if config.sentiment.sentences_in_context else "")
    if config.sentiment.mentions_in_context:
        tag += "+context"
    tone = item_tone(model, config)
    if tone is not None:
        return tag + f"+tone:{tone.digest}"
    cal = calibrator_for(model) if config.sentiment.item_calibration else None
    return tag + (f"+cal:{cal.digest}" if cal is not None else "")


def item_tone(model: SentimentModel, config: Any) -> Any:
    """The tone reader that sets reviews' and surveys' labels (`voc.nlp.tone.ToneTop`), or None.

    The model folder's tone reader when it has one and `sentiment.item_calibration` is on; it takes
    precedence over the folder's item calibrator, which then serves only folders without one.
    """
    if not config.sentiment.item_calibration or not isinstance(model, TopLayersSentiment):
        return None
    return model.tone


def enrich_sentiment(store: Any, config: Any, *, progress: bool = True) -> dict[str, Any]:
    """Score every item that needs it; returns {'items', 'sentences', 'seconds', 'model'}."""
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.encoder import resolve_device
    from voc.pipeline.progress import progress_bar

    t0 = time.perf_counter()
    model = load_sentiment_model(config.sentiment.model, str(config.root))
    model.batch_size = config.sentiment.batch_size
    model.precision = config.encoder.precision
    # The encoder's device: the sentiment model is the encoder's layers plus a fine-tuned top.
    model.to_device(resolve_device(config.encoder.device))
    tone = item_tone(model, config)
    cal = calibrator_for(model) if config.sentiment.item_calibration and tone is None else None
    tag = item_tag(model, config)
    todo = needs_sentiment(store, tag)
    share = (
        config.sentiment.share_embeddings
        and isinstance(model, TopLayersSentiment)
        and config.encoder.model in ("", "default")
        and config.encoder.max_seq_length >= _ENCODER_MAX_TOKENS
    )
    opts = ReadOptions(share, config.sentiment.sentences_in_context, config.sentiment.mentions_in_context,
                       cal is not None, tone is not None)  # fmt: skip
    # The tone reader (or calibrator) learned what a rating means; it applies to the kinds it was fitted on.
    reader = tone if tone is not None else cal
    item_reader = "tone" if tone is not None else "calibrator" if cal is not None else "model"
    kinds = set(reader.applies_to) if reader is not None else set()
    use = todo["kind"].isin(kinds).tolist() if len(todo) else []
    n_items = n_sent = n_shared = 0
    step = config.sentiment.chunk_items
    starts = range(0, len(todo), step)
    worker = 0 < config.sentiment.worker_from_items <= len(todo)
    chunks = [(todo["text"].iloc[s : s + step].fillna("").tolist(), use[s : s + step]) for s in starts]
    scored = _chunk_scores(chunks, model, config, opts, worker)
    with progress_bar(progress) as bar:
        task = bar.add_task("sentiment", total=len(todo), note="")
        for start, (spans, probs, items, vecs) in zip(starts, scored, strict=True):
            chunk = todo.iloc[start : start + step]
            ids = chunk["id"].tolist()
            sent_rows, score_rows, item_rows = [], [], []
            for item_id, ss, p, res, h in zip(
                ids, spans, probs, items, chunk["content_hash"].tolist(), strict=True
            ):
                for k, (s, row) in enumerate(zip(ss, p, strict=True)):
                    sent_rows.append((item_id, k, s.text, s.start, s.end))
                    lab = int(row.argmax())
                    score_rows.append((item_id, k, ("negative", "neutral", "positive")[lab],
                                       float(row[2] - row[0]), float(row[lab]), model.name))  # fmt: skip
                item_rows.append((item_id, res.label, res.score, res.confidence, res.mixed, tag, h))
            sentences = pd.DataFrame(
                sent_rows, columns=["item_id", "sent_idx", "text", "start_char", "end_char"]
            )
            scores = pd.DataFrame(
                score_rows, columns=["item_id", "sent_idx", "label", "score", "confidence", "model"]
            )
            item_df = pd.DataFrame(
                item_rows,
                columns=["item_id", "label", "score", "confidence", "mixed", "model", "content_hash"],
            )
            sentences = sentences.astype({"sent_idx": "int32", "start_char": "int32", "end_char": "int32"})
            scores = scores.astype({"sent_idx": "int32", "score": "float32", "confidence": "float32"})
            item_df = item_df.astype({"score": "float32", "confidence": "float32", "mixed": "bool"})
            with store.transaction():
                # A re-scored item may now have fewer or other sentences: its old rows go first, and
                # with them what the catalogue declares they invalidate (the themes stage's mentions).
                store.drop_items("sentences", ids)
                store.write("sentences", sentences)
                store.write("sentence_sentiment", scores)
                store.write("item_sentiment", item_df)
            if share and vecs is not None and len(sentences):
                n_shared += _share_embeddings(store, config, model, sentences["text"].tolist(), vecs)
            n_items += len(chunk)
            n_sent += len(sentences)
            bar.update(task, advance=len(chunk), note=f"{n_sent:,} sentences")
    seconds = time.perf_counter() - t0
    log.info("sentiment: scored %s items (%s sentences) in %.1f s%s%s", f"{n_items:,}", f"{n_sent:,}", seconds,
             f"; {sum(use):,} reviews and surveys labelled by the {item_reader} reader" if sum(use) else "",
             " (in a worker process)" if worker else "")  # fmt: skip
    return {"items": n_items, "sentences": n_sent, "seconds": round(seconds, 2), "model": model.name,
            "shared_embeddings": n_shared, "calibrated_items": int(sum(use)),
            "item_reader": item_reader}  # fmt: skip
