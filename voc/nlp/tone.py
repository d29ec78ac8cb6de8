"""The tone reader: how a review or survey answer reads overall, as its stars would say.

The sentence model (`voc.nlp.sentiment`) was trained on messages to a company
and movie-review phrases: it reads what a sentence says, and read whole, a
warm review with one complaint ("Love it, but it runs small") or a lukewarm
three-star review comes out negative or positive, rarely neutral. The tone
reader is a fine-tuned copy of the sentence model's last layer(s) and a head,
trained on star-rated reviews and survey scores (stars as weak labels; `voc
train item-tone`, see models/sentiment/MODEL_CARD.md). It reads the same
frozen states as the sentence model, so it costs its own layers only, and it
sets the label of the items of the kinds it was trained for (`applies_to`,
reviews and surveys); tickets keep the sentence model's whole reading, and
complaints stay at the mention level.

Files beside the model: `tone.json` (what it reads, what it was fitted on,
validation figures) and `tone_top.safetensors` (its weights).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voc.errors import ModelError

TONE_META = "tone.json"
TONE_WEIGHTS = "tone_top.safetensors"
KIND = "voc-tone-top"


@dataclass
class ToneTop:
    """The tone reader's layers and head, and after how many of the sentence model's top layers it reads."""

    top: Any  # voc.nlp.toplayers.TopClassifier
    shared: int  # the sentence model's fine-tuned layers both run before the tone reader's own
    meta: dict[str, Any]
    digest: str

    @property
    def applies_to(self) -> tuple[str, ...]:
        """The kinds of feedback (items.kind) whose label it sets."""
        return tuple(self.meta.get("applies_to", ("review", "survey")))


def tone_meta(folder: Path) -> dict[str, Any] | None:
    """The folder's `tone.json`, checked; None when the folder has no tone reader."""
    path = folder / TONE_META
    if not path.exists():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(
            f"cannot read the tone reader {path}: {exc}; restore it from the repository, retrain it with "
            "`voc train item-tone`, or delete tone.json to use the item calibrator",
            code="E427",
        ) from exc
    if meta.get("kind") != KIND or not isinstance(meta.get("shared"), int):
        raise ModelError(
            f"{path}: not a tone reader (kind {meta.get('kind')!r}, shared {meta.get('shared')!r}); expected "
            f"kind {KIND!r} with an integer 'shared'. Retrain it with `voc train item-tone`",
            code="E428",
        )
    if not (folder / TONE_WEIGHTS).exists():
        raise ModelError(
            f"{path} names a tone reader but {folder / TONE_WEIGHTS} is missing; restore both files or "
            "delete tone.json",
            code="E429",
        )
    return meta


def load_tone(folder: Path, base: Any, split: int, n_sentiment_layers: int) -> ToneTop | None:
    """The tone reader stored beside a model (None without `tone.json`); errors name the file and the fix."""
    meta = tone_meta(folder)
    if meta is None:
        return None
    from voc.nlp.toplayers import TopClassifier, read_weights

    shared = int(meta["shared"])
    if not 0 <= shared < n_sentiment_layers:
        raise ModelError(
            f"{folder / TONE_META}: shared = {shared}, but the sentence model has {n_sentiment_layers} "
            f"fine-tuned layers; it must be 0..{n_sentiment_layers - 1}. Retrain it with `voc train item-tone`",
            code="E430",
        )
    top = TopClassifier(base, split + shared, int(len(meta.get("labels", ())) or 3))
    weights = read_weights(folder / TONE_WEIGHTS)
    top.load_state_dict(weights)
    top.eval()
    raw = (folder / TONE_WEIGHTS).read_bytes()
    return ToneTop(top, shared, meta, hashlib.sha1(raw).hexdigest()[:8])
