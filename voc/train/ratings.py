"""Domain adaptation from the user's own ratings (`voc train sentiment --from-ratings`).

Stored reviews and survey answers that carry stars, NPS or CSAT become weakly
labelled examples (1-2 stars / NPS 0-6 negative, 3 / 7-8 neutral, 4-5 / 9-10
positive). A hold-out split (by a hash of the item id) measures the active
model before and after fine-tuning its top layers on the rest; the adapted
model becomes active only when its hold-out macro-F1 is higher.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from voc.errors import ModelError, StageError
from voc.nlp.sentiment import ADAPTED_DIR, LABELS, TopLayersSentiment, load_sentiment_model

log = logging.getLogger(__name__)

MIN_EXAMPLES = 30


def weak_label(rating: float | None, scale: str | None) -> str | None:
    """Sentiment label implied by a rating, or None when there is none."""
    if rating is None or scale is None or pd.isna(rating):
        return None
    r = float(rating)
    if scale == "nps":
        return "negative" if r <= 6 else "neutral" if r <= 8 else "positive"
    if scale in ("stars", "csat"):
        return "negative" if r <= 2 else "neutral" if r < 4 else "positive"
    return None


def rated_items(store: Any) -> pd.DataFrame:
    """Stored items with a rating, as id, text, label."""
    df = store.query(
        "SELECT id, text, rating, rating_scale FROM items WHERE rating IS NOT NULL AND rating_scale IS NOT NULL "
        "AND length(trim(text)) > 0 ORDER BY id"
    )
    df["label"] = [weak_label(r, s) for r, s in zip(df["rating"], df["rating_scale"], strict=True)]
    return df.loc[df["label"].notna(), ["id", "text", "label"]].reset_index(drop=True)


@dataclass
class AdaptResult:
    """What `adapt_from_ratings` did."""

    n_train: int
    n_holdout: int
    before: dict[str, float]
    after: dict[str, float]
    replaced: bool
    model_dir: Path | None
    seconds: float


def _metrics(model: Any, df: pd.DataFrame) -> dict[str, float]:
    from voc.eval.metrics import accuracy, macro_f1

    pred = [LABELS[i] for i in model.predict(df["text"].tolist()).probs.argmax(1)]
    y = df["label"].tolist()
    return {
        "accuracy": round(accuracy(y, pred), 4),
        "macro_f1": round(macro_f1(y, pred, labels=list(LABELS)), 4),
    }


def adapt_from_ratings(
    store: Any,
    config: Any,
    *,
    holdout: float = 0.2,
    epochs: int = 3,
    lr: float = 5e-5,
    head_lr: float = 2e-4,
    seed: int = 0,
    min_gain: float = 0.0,
) -> AdaptResult:
    """Fine-tune the active default model on rating-labelled items; activate it only when better on the hold-out."""  # fmt: skip
    import torch

    from voc.train.data import hash_fraction
    from voc.train.sentiment import _labels_to_index, cached_lower, class_weights, fit_top

    t0 = time.perf_counter()
    model = load_sentiment_model(config.sentiment.model, str(config.root))
    if not isinstance(model, TopLayersSentiment):
        raise ModelError(
            f"--from-ratings adapts the project's own model; sentiment.model is {config.sentiment.model!r}. "
            "Set sentiment.model = 'default' (or a folder trained by `voc train sentiment`).",
            code="E408",
        )
    data = rated_items(store)
    if len(data) < MIN_EXAMPLES:
        raise StageError(
            f"only {len(data)} stored items carry a star, NPS or CSAT rating; need at least {MIN_EXAMPLES} "
            "to adapt and measure. Ingest rated reviews or surveys first.",
            code="E501",
        )
    is_hold = data["id"].map(lambda v: hash_fraction(v, salt="ratings:") < holdout).astype(bool)
    hold, train = data.loc[is_hold].reset_index(drop=True), data.loc[~is_hold].reset_index(drop=True)
    if hold["label"].nunique() < 2 or len(train) < MIN_EXAMPLES // 2:
        raise StageError(
            f"the hold-out split ({len(hold)} items) or train split ({len(train)}) is too small", code="E502"
        )
    before = _metrics(model, hold)
    log.info(
        "train: ratings: %d train / %d hold-out items; active model %s: %s",
        len(train),
        len(hold),
        model.name,
        before,
    )

    from voc.nlp.sentiment import normalize_text

    torch.set_num_threads(min(2, torch.get_num_threads()))
    fit, val = train.iloc[: int(len(train) * 0.85)], train.iloc[int(len(train) * 0.85) :]
    states = cached_lower([normalize_text(t) for t in fit["text"]], model.split, model.max_length, None)
    val_states = cached_lower([normalize_text(t) for t in val["text"]], model.split, model.max_length, None)
    y = _labels_to_index(fit["label"])
    w = class_weights(y)[y]
    import copy

    top = copy.deepcopy(model.top)
    fit_top(
        top, states, y, w, epochs=epochs, batch_size=16, lr=lr, head_lr=head_lr, weight_decay=0.01, seed=seed,
        val={"ratings": (val_states, _labels_to_index(val["label"]))} if len(val) else {},
        select=lambda r: r.get("ratings", {}).get("macro_f1", 0.0),
    )  # fmt: skip
    adapted = copy.copy(model)
    adapted.tops, adapted.biases = [top], [model.bias]
    after = _metrics(adapted, hold)
    better = after["macro_f1"] > before["macro_f1"] + min_gain
    out_dir = None
    if better:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        base_dir = Path(config.resolve(ADAPTED_DIR))
        out_dir = base_dir / f"ratings-{stamp}"
        meta = {**{k: v for k, v in model.meta.items() if k not in ("members", "weights", "ensemble_val")}, "bias": model.bias.tolist(), "adapted_from": model.name, "adapted_at": stamp, "ratings": {
            "train": len(train), "holdout": len(hold), "before": before, "after": after}}  # fmt: skip
        top.save(out_dir, meta)
        (base_dir / "ACTIVE").write_text(out_dir.name + "\n", encoding="utf-8")
        load_sentiment_model.cache_clear()
        log.info(
            "train: ratings: adapted model is better (%s > %s); active model is now %s",
            after,
            before,
            out_dir,
        )
    else:
        log.info("train: ratings: adapted model is not better (%s vs %s); kept %s", after, before, model.name)
    return AdaptResult(
        len(train), len(hold), before, after, better, out_dir, round(time.perf_counter() - t0, 1)
    )
