"""Any Hugging Face sequence-classification model as a voc sentiment model (`sentiment.model = "org/name"`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from voc.errors import ModelError
from voc.nlp.sentiment_base import LABELS, NEG, POS, SentimentModel


def _label_order(id2label: dict[Any, str]) -> list[int]:
    """For a HF model's id2label, the column index of negative, neutral, positive (-1 if absent)."""
    names = {int(k): str(v).lower() for k, v in id2label.items()}
    n = len(names)
    if all(v.startswith("label_") for v in names.values()):
        # Unnamed labels (e.g. cardiffnlp/twitter-roberta-base-sentiment): the usual order.
        if n == 3:
            return [0, 1, 2]
        if n == 2:
            return [0, -1, 1]
    found = []
    for want in ("neg", "neu", "pos"):
        hits = [k for k, v in names.items() if v.startswith(want)]
        found.append(hits[0] if hits else -1)
    if found[NEG] < 0 or found[POS] < 0:
        raise ModelError(
            f"cannot map the model's labels {sorted(names.values())} to negative/neutral/positive; "
            "use a model whose config names them (id2label)",
            code="E405",
        )
    return found


class HFSentiment(SentimentModel):
    """Any `AutoModelForSequenceClassification` folder or hub id with sentiment labels."""

    def __init__(self, path: str, name: str | None = None) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            tok = AutoTokenizer.from_pretrained(path)
            self.model = AutoModelForSequenceClassification.from_pretrained(path)
        except Exception as exc:
            raise ModelError(
                f"cannot load sentiment model {path!r}: {exc}; "
                "set sentiment.model to a sequence-classification folder or hub id",
                code="E418",
            ) from exc
        super().__init__(tok)
        self.model.eval()
        self.order = _label_order(self.model.config.id2label)
        self.max_length = min(int(getattr(tok, "model_max_length", 512) or 512), 512)
        self.name = name or path

    def _modules(self) -> list[Any]:
        return [self.model]

    def _window_logits(self, ids: Any, mask: Any) -> np.ndarray:
        raw = self.model(input_ids=ids, attention_mask=mask).logits.float().cpu().numpy()
        out = np.full((len(raw), len(LABELS)), -1e4, dtype=np.float32)  # absent class: never predicted
        for j, col in enumerate(self.order):
            if col >= 0:
                out[:, j] = raw[:, col]
        return out
