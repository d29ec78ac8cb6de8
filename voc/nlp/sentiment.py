"""Sentence and item sentiment: model loading, prediction, aggregation.

A sentiment model maps texts to probabilities over negative|neutral|positive.
Two kinds load behind one interface (`SentimentModel.predict`):

- the project's own model (`models/sentiment/`, kind `voc-toplayers`): fine-tuned
  top layers + head on top of the packaged all-MiniLM-L6-v2, whose frozen lower
  layers can be shared with the theme embeddings (see `predict_with_embeddings`);
- any Hugging Face sequence-classification folder or hub id (e.g. a RoBERTa
  sentiment model), with its label names read from the model's config.

Texts longer than the model's window are cut into overlapping token windows
whose probabilities are averaged (weighted by window length): nothing is
truncated silently. `aggregate` turns a text's mention results into the
item's overall tone (calibrated by `voc.nlp.calibrate` when the model folder
ships a calibrator); a confident positive next to a confident negative is
flagged `mixed`, and the complaint inside is found at the mention level
(`voc.nlp.complaints`), not by forcing the item negative.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelError

# Item results live in voc.nlp.aggregate; imported here too, where callers have always found them.
from voc.nlp.aggregate import (
    NEGATIVE_WEIGHT,
    STRONG,
    ItemSentiment,
    aggregate,
    aggregate_many,
    is_mixed,
    item_reading,
)
from voc.nlp.precision import inference_precision

# The model interface lives in voc.nlp.sentiment_base and the text view in voc.nlp.text (so the
# encoder and the Hugging Face models need not import this module); callers have always found them here.
from voc.nlp.sentiment_base import (
    LABELS,
    NEG,
    NEU,
    POS,
    Predictions,
    SentimentModel,
    _softmax,
    join_sentences,
    token_sentence,
    token_windows,
    window_starts,
)
from voc.nlp.text import normalize_text

log = logging.getLogger(__name__)

TONE_HINT = "no tone.json beside config.json"


MODEL_ENV = "VOC_SENTIMENT_MODEL_DIR"


def __getattr__(name: str) -> Any:
    # Hugging Face models live in voc.nlp.hfmodel, loaded only when asked for (it imports torch's
    # transformers); callers found them here.
    if name in ("HFSentiment", "_label_order"):
        from voc.nlp import hfmodel

        return getattr(hfmodel, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LABELS", "NEG", "NEGATIVE_WEIGHT", "NEU", "POS", "STRONG", "ItemSentiment", "Predictions", "SentimentModel",
    "TopLayersSentiment", "aggregate", "aggregate_many", "encode_shared", "is_mixed", "item_reading",
    "join_sentences", "load_sentiment_model", "normalize_text", "token_sentence", "token_windows", "window_starts",
]  # fmt: skip


class TopLayersSentiment(SentimentModel):
    """The project's model: frozen MiniLM lower layers + fine-tuned top layers and head."""

    def __init__(self, folder: Path, name: str = "voc-default") -> None:
        from voc.nlp.encoder import default_encoder_path
        from voc.nlp.toplayers import TopClassifier, load_base

        self.folder = folder
        self.meta = json.loads((folder / "config.json").read_text())
        if self.meta.get("labels") != list(LABELS):
            raise ModelError(
                f"{folder}/config.json: labels must be {list(LABELS)}, got {self.meta.get('labels')}; "
                "retrain it with `voc train sentiment`",
                code="E422",
            )
        tok, base = load_base(str(default_encoder_path()))
        super().__init__(tok)
        self.base = base
        self.split = int(self.meta["split"])
        self.max_length = 128
        # One or more members (an ensemble shares the frozen lower layers; probabilities are averaged).
        members = self.meta.get("members") or [
            {"file": "top_layers.safetensors", "bias": self.meta.get("bias")}
        ]
        self.tops = [TopClassifier.load(folder, base, len(LABELS), m["file"]) for m in members]
        self.biases = [np.asarray(m.get("bias") or [0.0, 0.0, 0.0], dtype=np.float32) for m in members]
        self.name = name
        from voc.nlp.tone import load_tone

        # The tone reader of reviews and surveys (voc.nlp.tone), when the folder has one: it reads after
        # the first `shared` fine-tuned layers of the (single) top, so it needs one top to branch from.
        self.tone = (
            load_tone(folder, base, self.split, len(self.tops[0].layers)) if len(self.tops) == 1 else None
        )

    def _modules(self) -> list[Any]:
        # The frozen base is the process's shared copy (`load_base`): it moves for every user of it.
        return [self.base, *self.tops, *([self.tone.top] if self.tone is not None else [])]

    @property
    def top(self) -> Any:
        """The first (or only) fine-tuned top; `voc train sentiment --from-ratings` adapts this one."""
        return self.tops[0]

    @property
    def bias(self) -> np.ndarray:
        return self.biases[0]

    def _top_logits(self, h: Any, mask: Any) -> np.ndarray:
        if len(self.tops) == 1:
            return self.tops[0](h, mask).float().cpu().numpy() + self.biases[0]
        probs = np.mean(
            [
                _softmax(t(h, mask).float().cpu().numpy() + b)
                for t, b in zip(self.tops, self.biases, strict=True)
            ],
            0,
        )
        return np.log(np.maximum(probs, 1e-12))

    def _window_logits(self, ids: Any, mask: Any) -> np.ndarray:
        from voc.nlp.toplayers import Batch, lower_states

        h = lower_states(self.base, Batch(np.arange(len(ids)), ids, mask), self.split)
        return self._top_logits(h, mask)

    def _sentiment_and_tone(self, h: Any, mask: Any, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sentence-model logits of every row and tone logits of `rows` (not empty), branching after the
        shared layers."""
        from voc.nlp.toplayers import mean_pool, run_layers

        assert self.tone is not None
        top, k = self.tops[0], self.tone.shared
        mid = run_layers(top.layers[:k], self.base, h, mask)
        out = run_layers(top.layers[k:], self.base, mid, mask)
        sent = top.head(mean_pool(out, mask)).float().cpu().numpy() + self.biases[0]
        if len(rows) == len(mask):  # every row (a batch of reviews): no gathered copy of the states
            return sent, self.tone.top(mid, mask).float().cpu().numpy()
        import torch

        sel = torch.from_numpy(np.ascontiguousarray(rows, dtype=np.int64)).to(mid.device)
        return sent, self.tone.top(mid[sel], mask[sel]).float().cpu().numpy()

    def _tone_window_logits(self, ids: Any, mask: Any) -> np.ndarray:
        from voc.nlp.toplayers import Batch, lower_states, run_layers

        assert self.tone is not None
        h = lower_states(self.base, Batch(np.arange(len(ids)), ids, mask), self.split)
        mid = run_layers(self.tops[0].layers[: self.tone.shared], self.base, h, mask)
        return self.tone.top(mid, mask).float().cpu().numpy()

    def predict_tone(self, texts: Sequence[str]) -> Predictions:
        """The tone reader's probabilities for whole texts (windows averaged as in `predict`)."""
        if self.tone is None:
            raise ModelError(
                f"{self.folder} has no tone reader ({TONE_HINT}); use predict(), or train one with "
                "`voc train item-tone`",
                code="E431",
            )
        return self._predict_windows(texts, self._tone_window_logits)

    def predict_with_embeddings(self, texts: Sequence[str]) -> tuple[Predictions, np.ndarray]:
        """Sentiment and the theme embedding (all-MiniLM-L6-v2, L2-normalised) from ONE lower-layer pass.

        The embedding runs the encoder's original top layers on the shared
        states; it equals `voc.nlp.encoder.encode(normalize_text(t))` for texts
        within 128 tokens (longer texts: the mean of their windows' vectors).
        """
        probs, vecs, _tone = self._shared_pass(texts, sentiment=True)
        return Predictions(probs), vecs

    def read_with_tone(
        self, texts: Sequence[str], tone: Sequence[bool], *, embed: bool = True
    ) -> tuple[Predictions, np.ndarray, np.ndarray]:
        """`predict_with_embeddings`, plus the tone reader's probabilities of the texts `tone` marks
        (NaN rows elsewhere), from the same pass: the tone reader branches off the sentence model's layers.
        Without `embed` the theme vectors are not computed (an empty [n, 0] array)."""
        probs, vecs, tone_p = self._shared_pass(
            texts, sentiment=True, tone=np.asarray(tone, dtype=bool), embed=embed
        )
        return Predictions(probs), vecs, tone_p

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The theme embedding alone (as `predict_with_embeddings` gives it), skipping the sentiment layers."""
        return self._shared_pass(texts, sentiment=False)[1]

    def _shared_pass(
        self, texts: Sequence[str], sentiment: bool, tone: np.ndarray | None = None, embed: bool = True
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(probabilities or an empty [n, 0] array, theme vectors or an empty [n, 0] array, tone
        probabilities or NaN) from one pass of the frozen layers."""
        import torch

        from voc.nlp.toplayers import Batch, lower_states, mean_pool, run_layers

        dim = self.base.config.hidden_size if embed else 0
        n_out = len(LABELS) if sentiment else 0
        with_tone = tone is not None and bool(tone.any())
        if with_tone and self.tone is None:
            raise ModelError(
                f"{self.folder} has no tone reader ({TONE_HINT}); train one with `voc train item-tone`",
                code="E432",
            )
        if not texts:
            empty = np.zeros((0, len(LABELS)), dtype=np.float32)
            return empty[:, :n_out], np.zeros((0, dim), dtype=np.float32), empty
        windows, owner = self._windows(texts)
        probs_w = np.zeros((len(windows), n_out), dtype=np.float32)
        tone_w = np.zeros((len(windows), len(LABELS)), dtype=np.float32)
        vec_w = np.zeros((len(windows), dim), dtype=np.float32)
        wants = tone[owner] if with_tone else np.zeros(len(windows), dtype=bool)
        with torch.inference_mode(), inference_precision(self.precision, self.device):
            for idx, ids, mask in self._batches(windows):
                h = lower_states(self.base, Batch(idx, ids, mask), self.split)
                if sentiment and wants[idx].any():
                    rows = np.flatnonzero(wants[idx])
                    logits, tone_logits = self._sentiment_and_tone(h, mask, rows)
                    probs_w[idx] = _softmax(logits)
                    tone_w[idx[rows]] = _softmax(tone_logits)
                elif sentiment:
                    probs_w[idx] = _softmax(self._top_logits(h, mask))
                if embed:
                    full = run_layers(self.base.encoder.layer[self.split :], self.base, h, mask)
                    vec_w[idx] = mean_pool(full, mask).float().cpu().numpy()
        weights = np.asarray([len(w) for w in windows], dtype=np.float64)
        probs = self._combine(probs_w, owner, weights, len(texts)) if sentiment else np.zeros((len(texts), 0))
        tone_p = np.full((len(texts), len(LABELS)), np.nan, dtype=np.float32)
        if with_tone:
            assert tone is not None
            tone_p[tone] = self._combine(tone_w, owner, weights * wants, len(texts))[tone]
        vecs = np.zeros((len(texts), dim), dtype=np.float64)
        np.add.at(vecs, owner, vec_w * weights[:, None])
        vecs /= np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)
        return probs, vecs.astype(np.float32), tone_p

    def predict_in_context(self, items: Sequence[Sequence[str]]) -> tuple[list[np.ndarray], np.ndarray]:
        """Each item's sentences scored in the context of the whole item, and the item read whole.

        One pass of the fine-tuned layers over the item; a sentence's result is
        the head applied to the mean of its own tokens' states, which have
        attended to its neighbours. Out of context "It is on the same ticket."
        reads as a complaint; inside a thank-you note it does not. Items longer
        than the window are cut into overlapping windows as in `predict`; a
        sentence's states are pooled over every window that holds its tokens.

        Returns per item its sentence probabilities [k, 3], and the items'
        probabilities [n, 3] (the same as `predict` on the joined sentences).
        """
        import torch

        from voc.nlp.toplayers import Batch, lower_states, mean_pool, run_layers

        n_members = len(self.tops)
        dim = self.base.config.hidden_size
        if not items:
            return [], np.zeros((0, len(LABELS)), dtype=np.float32)
        head, tail, body = self._frame()
        joined = [join_sentences(s) for s in items]
        enc = self.tok(
            [t for t, _ in joined], add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        windows: list[list[int]] = []
        owner: list[int] = []
        seg: list[np.ndarray] = []  # per window: sentence index of each position (-1: special token, gap)
        for i, (ids, offsets) in enumerate(zip(enc["input_ids"], enc["offset_mapping"], strict=True)):
            sent_of = token_sentence(offsets, joined[i][1])
            for a in window_starts(len(ids), body, max(1, body * 3 // 4)):
                windows.append(head + list(ids[a : a + body]) + tail)
                seg.append(np.concatenate([[-1] * len(head), sent_of[a : a + body], [-1] * len(tail)]))
                owner.append(i)
        first = np.concatenate([[0], np.cumsum([len(s) for s in items])])  # first sentence row of each item
        n_sent = int(first[-1])
        sums = torch.zeros((n_members, n_sent, dim), dtype=torch.float32)
        counts = torch.zeros(n_sent, dtype=torch.float32)
        probs_w = np.zeros((len(windows), len(LABELS)), dtype=np.float64)
        with torch.inference_mode(), inference_precision(self.precision, self.device):
            for idx, ids, mask in self._batches(windows):
                # Sentence row of every position in the batch (-1: special token, gap or padding).
                rows = np.full(ids.shape, -1, dtype=np.int64)
                for r, w in enumerate(idx):
                    local = seg[w]
                    rows[r, : len(local)] = np.where(local >= 0, local + first[owner[w]], -1)
                flat = torch.from_numpy(rows.reshape(-1))
                keep = flat >= 0
                counts.index_add_(0, flat[keep], torch.ones(int(keep.sum())))
                on_device = keep.to(self.device)  # the states stay on the model's device; the sums on the CPU
                low = lower_states(self.base, Batch(idx, ids, mask), self.split)
                for m, (top, bias) in enumerate(zip(self.tops, self.biases, strict=True)):
                    h = run_layers(top.layers, self.base, low, mask)
                    logits = top.head(mean_pool(h, mask)).float().cpu().numpy() + bias
                    probs_w[idx] += _softmax(logits) / n_members
                    sums[m].index_add_(0, flat[keep], h.reshape(-1, dim)[on_device].float().cpu())
            item_probs = self._combine(
                probs_w.astype(np.float32),
                np.asarray(owner, dtype=np.int64),
                np.asarray([len(w) for w in windows], dtype=np.float64),
                len(items),
            )
            pooled = sums / counts.clamp(min=1.0)[None, :, None]
            sent = np.mean(
                [
                    _softmax(top.head(pooled[m].to(self.device)).float().cpu().numpy() + bias)
                    for m, (top, bias) in enumerate(zip(self.tops, self.biases, strict=True))
                ],
                0,
            )
            # A sentence with no token of its own (nothing left after normalising) takes the item's reading.
            empty = counts.numpy() == 0
            sent[empty] = item_probs[np.searchsorted(first, np.flatnonzero(empty), side="right") - 1]
            sentence_probs = [sent[first[i] : first[i + 1]].astype(np.float32) for i in range(len(items))]
        return sentence_probs, item_probs


# -- resolving `sentiment.model` --------------------------------------------------------------
def default_model_dir() -> Path:
    """The shipped model: `models/sentiment/` of the checkout (or $VOC_SENTIMENT_MODEL_DIR)."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    import voc

    return Path(voc.__file__).resolve().parents[1] / "models" / "sentiment"


ADAPTED_DIR = Path("models") / "sentiment-adapted"


def active_model_dir(root: str | Path | None = None) -> Path:
    """The folder `sentiment.model = "default"` means.

    `voc train sentiment --from-ratings` writes adapted models under
    `<root>/models/sentiment-adapted/<name>/` and names the one in use in
    `<root>/models/sentiment-adapted/ACTIVE`; delete that file to go back to
    the shipped model.
    """
    if root is not None:
        marker = Path(root) / ADAPTED_DIR / "ACTIVE"
        if marker.exists():
            name = marker.read_text(encoding="utf-8").strip()
            target = marker.parent / name
            if name and (target / "config.json").exists():
                return target
            log.warning("sentiment: %s names %r, which has no model; using the shipped model", marker, name)
    return default_model_dir()


def _looks_like_path(ref: str) -> bool:
    return ref.startswith((".", "/", "~")) or "\\" in ref or ref.count("/") > 1


@lru_cache(maxsize=4)
def load_sentiment_model(ref: str = "default", root: str | None = None) -> SentimentModel:
    """Load 'default' (the project's model), a local folder, or a hub id; cached per process.

    Relative paths resolve against `root` (the config's project root) when given.
    """
    if ref in ("", "default"):
        folder = active_model_dir(root)
        if not (folder / "config.json").exists() and root is not None and not os.environ.get(MODEL_ENV):
            # A non-editable install has no models/ beside the package: try the project root.
            folder = Path(root) / "models" / "sentiment"
        if not (folder / "config.json").exists():
            raise ModelError(
                f"the default sentiment model is missing at {folder} (no config.json); restore models/sentiment "
                f"from the repository, set ${MODEL_ENV}, or train one with `voc train sentiment`",
                code="E406",
            )
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        adapted = folder.parent.name == ADAPTED_DIR.name
        return TopLayersSentiment(folder, name=f"voc-adapted:{folder.name}" if adapted else "voc-default")
    p = Path(ref).expanduser()
    if not p.is_absolute() and root is not None and (Path(root) / p).exists():
        p = Path(root) / p
    if p.exists():
        cfg = p / "config.json"
        if not cfg.exists():
            raise ModelError(
                f"sentiment model folder {p} has no config.json; give a saved model folder", code="E407"
            )
        if json.loads(cfg.read_text()).get("kind") == "voc-toplayers":
            return TopLayersSentiment(p, name=f"voc:{p.name}")
        from voc.nlp.hfmodel import HFSentiment

        return HFSentiment(str(p), name=str(p))
    if _looks_like_path(ref):
        raise ModelError(
            f"sentiment model path {ref!r} does not exist; set sentiment.model to 'default', "
            "an existing model folder, or a hub id like 'org/name'",
            code="E417",
        )
    from voc.nlp.hfmodel import HFSentiment

    return HFSentiment(ref, name=ref)


def encode_shared(
    texts: list[str], sentiment_ref: str = "default", root: str | None = None
) -> tuple[np.ndarray, Any]:
    """Theme embeddings and sentiment from ONE pass of the encoder's lower layers.

    Needs the project's own sentiment model (`sentiment_ref` 'default' or a folder
    trained by `voc train sentiment`), which fine-tunes only the top layers of
    this encoder. Returns (L2-normalised vectors equal to `encode()` for texts
    within the encoder's 128 tokens, `Predictions`). The sentiment stage
    already uses this pass and writes the vectors to the embeddings cache. (Here, not in
    `voc.nlp.encoder`: it needs the sentiment models, which build on the encoder.)
    """
    model = load_sentiment_model(sentiment_ref, root)
    if not isinstance(model, TopLayersSentiment):
        raise ModelError(
            f"sentiment model {sentiment_ref!r} does not share this encoder's layers; use encode() and "
            "the sentiment model separately",
            code="E410",
        )
    preds, vecs = model.predict_with_embeddings(texts)
    return vecs, preds
