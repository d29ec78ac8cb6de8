"""The sentiment model interface: labels, `Predictions`, token windows and the `SentimentModel` base.

Kept apart from the concrete models and their loader (`voc.nlp.sentiment`)
so that `voc.nlp.hfmodel` can subclass the base without importing the
module that loads it. Everything here is re-exported by `voc.nlp.sentiment`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc.nlp.precision import inference_precision
from voc.nlp.text import normalize_text

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
NEG, NEU, POS = 0, 1, 2


# -- results ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Predictions:
    """Per-text results, arrays aligned with the input texts."""

    probs: np.ndarray  # [n, 3] over LABELS

    @property
    def labels(self) -> list[str]:
        return [LABELS[i] for i in self.probs.argmax(1)] if len(self.probs) else []

    @property
    def scores(self) -> np.ndarray:
        """p(positive) - p(negative), in [-1, 1]."""
        return (
            (self.probs[:, POS] - self.probs[:, NEG]).astype(np.float32) if len(self.probs) else np.zeros(0)
        )

    @property
    def confidences(self) -> np.ndarray:
        """Probability of the predicted label."""
        return self.probs.max(1).astype(np.float32) if len(self.probs) else np.zeros(0)


# -- token windows (long text) ------------------------------------------------------------
def window_starts(n: int, size: int, stride: int) -> list[int]:
    """Start offsets of overlapping windows of at most `size` covering `n` tokens (one for short input)."""
    starts = [0]
    while starts[-1] + size < n:
        starts.append(starts[-1] + stride)
    return starts


def token_windows(ids: Sequence[int], size: int, stride: int) -> list[list[int]]:
    """Overlapping windows of at most `size` token ids covering all of `ids` (one for short input)."""
    return [list(ids[a : a + size]) for a in window_starts(len(ids), size, stride)]


def join_sentences(sentences: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """The normalised sentences joined by spaces, and each one's character range in the result."""
    text, bounds = "", []
    for part in (normalize_text(s) for s in sentences):
        if text:
            text += " "
        bounds.append((len(text), len(text) + len(part)))
        text += part
    return text, bounds


def token_sentence(offsets: Sequence[tuple[int, int]], bounds: Sequence[tuple[int, int]]) -> np.ndarray:
    """For each token (character offsets), the index of the sentence range holding it, or -1."""
    starts = np.asarray([a for a, _ in bounds], dtype=np.int64)
    ends = np.asarray([b for _, b in bounds], dtype=np.int64)
    off = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    k = np.searchsorted(starts, off[:, 0], side="right") - 1
    ok = (k >= 0) & (off[:, 1] > off[:, 0])
    ok &= off[:, 1] <= ends[np.clip(k, 0, None)] if len(ends) else False
    return np.where(ok, k, -1)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


# -- models ---------------------------------------------------------------------------------
class SentimentModel:
    """Base class: `predict(texts)` -> Predictions. Subclasses implement `_window_logits`."""

    name: str = "sentiment"
    max_length: int = 128
    batch_size: int = 64
    # "auto" | "fp32" | "bf16" (see voc.nlp.precision); the stage sets it from `encoder.precision`.
    precision: str = "auto"
    # Where the forward passes run; the stage moves the model to `encoder.device` (see `to_device`).
    device: str = "cpu"

    def __init__(self, tokenizer: Any) -> None:
        self.tok = tokenizer

    def to_device(self, device: str) -> SentimentModel:
        """Run on `device` ('cpu', 'cuda', ...) from now on; returns the model."""
        for module in self._modules():
            module.to(device)
        self.device = device
        return self

    def _modules(self) -> list[Any]:  # pragma: no cover - each model names its torch modules
        return []

    def _frame(self) -> tuple[list[int], list[int], int]:
        """The special tokens around a single text ([CLS] .. [SEP], <s> .. </s>) and the room between them."""
        empty = list(self.tok("", add_special_tokens=True)["input_ids"])
        return empty[:1], empty[1:], self.max_length - len(empty)

    def _windows(self, texts: Sequence[str]) -> tuple[list[list[int]], np.ndarray]:
        """Model inputs (with special tokens) for every window, and the owning text of each."""
        head, tail, body = self._frame()
        # verbose=False: the "longer than the maximum sequence length" warning does not apply, the windows fit.
        # Only the ids are used; not building masks and type ids saves a quarter of the tokenizing time.
        enc = self.tok(
            [normalize_text(t) for t in texts],
            add_special_tokens=False,
            truncation=False,
            verbose=False,
            return_attention_mask=False,
            return_token_type_ids=False,
        )["input_ids"]
        windows: list[list[int]] = []
        owner: list[int] = []
        for i, ids in enumerate(enc):
            for w in token_windows(ids, body, max(1, body * 3 // 4)):
                windows.append(head + w + tail)
                owner.append(i)
        return windows, np.asarray(owner, dtype=np.int64)

    def _batches(self, windows: list[list[int]]) -> Any:
        import torch

        pad = self.tok.pad_token_id or 0
        order = np.argsort([len(w) for w in windows], kind="stable")
        for s in range(0, len(order), self.batch_size):
            idx = order[s : s + self.batch_size]
            width = max(len(windows[i]) for i in idx)
            ids = np.full((len(idx), width), pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for r, i in enumerate(idx):
                ids[r, : len(windows[i])] = windows[i]
                mask[r, : len(windows[i])] = 1
            yield idx, torch.from_numpy(ids).to(self.device), torch.from_numpy(mask).to(self.device)

    def _window_logits(self, ids: Any, mask: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _combine(self, probs_w: np.ndarray, owner: np.ndarray, weights: np.ndarray, n: int) -> np.ndarray:
        """Average window probabilities per text, weighted by window length."""
        out = np.zeros((n, len(LABELS)), dtype=np.float64)
        np.add.at(out, owner, probs_w * weights[:, None])
        tot = np.zeros(n)
        np.add.at(tot, owner, weights)
        return (out / np.maximum(tot, 1e-9)[:, None]).astype(np.float32)

    def predict(self, texts: Sequence[str]) -> Predictions:
        """Probabilities for each text (empty text gets neutral-ish model output, not an error)."""
        return self._predict_windows(texts, self._window_logits)

    def _predict_windows(self, texts: Sequence[str], logits: Any) -> Predictions:
        """Each text's windows through `logits(ids, mask)`, their probabilities averaged by window length."""
        import torch

        if not texts:
            return Predictions(np.zeros((0, len(LABELS)), dtype=np.float32))
        windows, owner = self._windows(texts)
        probs_w = np.zeros((len(windows), len(LABELS)), dtype=np.float32)
        with torch.inference_mode(), inference_precision(self.precision, self.device):
            for idx, ids, mask in self._batches(windows):
                probs_w[idx] = _softmax(logits(ids, mask))
        weights = np.asarray([len(w) for w in windows], dtype=np.float64)
        return Predictions(self._combine(probs_w, owner, weights, len(texts)))
