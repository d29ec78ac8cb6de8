"""`voc eval sentiment`: the active model against VADER on labelled data, in one run.

The model is scored on each text read whole, then once more through the
sentiment stage's item path (spaCy sentences and clauses; an item of several
read whole, or with `sentiment.sentences_in_context = false` combined from its
sentences read alone), which is what `voc analyze` stores as the item's
sentiment: for a ticket the model's reading, for a review or survey the
calibrated overall tone (`voc.nlp.calibrate`). Both are printed.

Labels may be 3-class (negative/neutral/positive) or binary (0/1, as SST-2).
For binary data a 3-class prediction is mapped to the more likely of
negative/positive (for VADER: the sign of the compound score).

With an id column (default `tweet_id`) present, only the fixed test split
(20% by a hash of the id, duplicates removed: `voc.train.data.split_test`)
is scored, so the numbers never include rows the default model trained on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.eval.metrics import accuracy, confusion, macro_f1, per_class_f1
from voc.nlp.sentiment import LABELS, NEG, POS

VADER_THRESHOLD = 0.05


@dataclass
class EvalResult:
    """Metrics of one system on one dataset."""

    system: str
    n: int
    accuracy: float
    macro_f1: float
    labels: list[str]
    confusion: np.ndarray
    per_class_f1: dict[str, float]
    texts_per_s: float
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system, "n": self.n, "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4), "labels": self.labels, "confusion": self.confusion.tolist(),
            "per_class_f1": {k: round(v, 4) for k, v in self.per_class_f1.items()},
            "texts_per_s": round(self.texts_per_s, 1), **self.extra,
        }  # fmt: skip


def vader_scores(texts: list[str]) -> np.ndarray:
    """VADER compound score of each text."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sia = SentimentIntensityAnalyzer()
    return np.array([sia.polarity_scores(t)["compound"] for t in texts], dtype=np.float64)


def vader_labels(compound: np.ndarray, binary: bool) -> list[str]:
    """The usual thresholds (+-0.05); binary: the sign (0 counts as positive)."""
    if binary:
        return ["positive" if c >= 0 else "negative" for c in compound]
    return [
        "positive" if c >= VADER_THRESHOLD else "negative" if c <= -VADER_THRESHOLD else "neutral"
        for c in compound
    ]


def model_labels(probs: np.ndarray, binary: bool) -> list[str]:
    """Argmax over 3 classes; binary: the more likely of negative/positive."""
    if binary:
        return ["positive" if p[POS] >= p[NEG] else "negative" for p in probs]
    return [LABELS[i] for i in probs.argmax(1)]


def item_labels(
    model: Any, texts: list[str], binary: bool, in_context: bool = True, calibrated: bool = False
) -> list[str]:
    """Item labels as the sentiment stage stores them: a ticket's (the model's reading), or with
    `calibrated` a review's or survey's (the tone reader beside the model, else its item calibrator).
    Binary: the more likely of negative/positive."""
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.stage import score_texts

    tone = [calibrated] * len(texts) if getattr(model, "tone", None) is not None else None
    cal = calibrator_for(model) if calibrated and tone is None else None
    _spans, _per_sentence, items, _vecs = score_texts(
        model, texts, in_context=in_context, calibrator=cal, tone=tone
    )
    if binary:
        return ["negative" if it.score < 0 else "positive" for it in items]
    return [it.label for it in items]


def load_eval_frame(
    data: Path,
    text_col: str,
    label_col: str,
    *,
    split: str = "auto",
    id_col: str = "tweet_id",
    limit: int | None = None,
) -> tuple[pd.DataFrame, str]:
    """The rows to score (columns text, label) and a note on which split was used."""  # fmt: skip
    from voc.train.data import normalise_labels, read_labelled, split_test

    df = read_labelled(data, text_col, label_col)
    if split not in ("auto", "all", "test"):
        raise InputError(f"--split must be auto, all or test, got {split!r}", code="E279")
    use_test = split == "test" or (split == "auto" and id_col in df.columns)
    if use_test:
        if id_col not in df.columns:
            raise InputError(
                f"--split test needs an id column; {data} has no {id_col!r} (use --id-col)", code="E284"
            )
        _train, df = split_test(df, id_col, text_col)
        note = f"test split: 20% by hash of {id_col}, duplicates removed ({len(df)} rows)"
    else:
        note = f"all rows ({len(df)})"
    out = pd.DataFrame(
        {"text": df[text_col].astype(str).str.strip(), "label": normalise_labels(df[label_col])}
    )
    out = out.loc[out["text"] != ""].reset_index(drop=True)
    if limit:
        out = out.iloc[:limit]
        note += f", first {limit} rows"
    return out, note


def _result(system: str, y: list[str], pred: list[str], labels: list[str], seconds: float) -> EvalResult:
    return EvalResult(
        system=system, n=len(y), accuracy=accuracy(y, pred), macro_f1=macro_f1(y, pred, labels=labels),
        labels=labels, confusion=confusion(y, pred, labels), per_class_f1=per_class_f1(y, pred, labels),
        texts_per_s=len(y) / max(seconds, 1e-9),
    )  # fmt: skip


def evaluate_sentiment(
    data: Path,
    text_col: str,
    label_col: str,
    *,
    model_ref: str = "default",
    root: str | None = None,
    split: str = "auto",
    id_col: str = "tweet_id",
    limit: int | None = None,
    baseline: bool = True,
    item_path: bool = True,
    sentences_in_context: bool = True,
) -> dict[str, Any]:
    """Score the model and VADER on the same rows; returns {'note', 'binary', 'results': [EvalResult...]}."""  # fmt: skip
    from voc.nlp.sentiment import load_sentiment_model

    df, note = load_eval_frame(data, text_col, label_col, split=split, id_col=id_col, limit=limit)
    if df.empty:
        raise InputError(
            f"{data}: no labelled rows to evaluate; "
            "check --label-col and that its values are sentiment labels",
            code="E285",
        )
    binary = "neutral" not in set(df["label"])
    labels = ["negative", "positive"] if binary else list(LABELS)
    texts, y = df["text"].tolist(), df["label"].tolist()
    model = load_sentiment_model(model_ref, root)
    t0 = time.perf_counter()
    probs = model.predict(texts).probs
    results = [_result(model.name, y, model_labels(probs, binary), labels, time.perf_counter() - t0)]
    if baseline:
        t0 = time.perf_counter()
        comp = vader_scores(texts)
        results.append(_result("VADER", y, vader_labels(comp, binary), labels, time.perf_counter() - t0))
    if item_path:  # what `voc analyze` writes to items.csv, which users see, not only the model
        from voc.nlp.calibrate import calibrator_for

        t0 = time.perf_counter()
        stored = item_labels(model, texts, binary, sentences_in_context)
        seconds = time.perf_counter() - t0
        results.append(
            _result(f"{model.name}, as voc analyze stores items (tickets)", y, stored, labels, seconds)
        )
        has_tone = getattr(model, "tone", None) is not None
        if has_tone or calibrator_for(model) is not None:
            t0 = time.perf_counter()
            stored = item_labels(model, texts, binary, sentences_in_context, calibrated=True)
            seconds = time.perf_counter() - t0
            reader = "tone reader" if has_tone else "calibrated"
            name = f"{model.name}, as voc analyze stores items (reviews, surveys: {reader})"
            results.append(_result(name, y, stored, labels, seconds))
    return {"data": str(data), "note": note, "binary": binary, "results": results}
