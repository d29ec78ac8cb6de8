"""Classification and clustering metrics shared by the sentiment and themes evaluations.

Thin, typed wrappers over scikit-learn so every `voc eval` reports the same
numbers the same way (labels as integer indices or strings).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def accuracy(y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray) -> float:
    """Share of exact matches (0.0 for empty input)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if len(t) != len(p):
        raise ValueError(f"y_true has {len(t)} items, y_pred {len(p)}")
    return float((t == p).mean()) if len(t) else 0.0


def macro_f1(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    n_labels: int | None = None,
    labels: Sequence[Any] | None = None,
) -> float:
    """Unweighted mean of per-class F1 over `labels` (or 0..n_labels-1, or the labels seen)."""
    from sklearn.metrics import f1_score

    if labels is None and n_labels is not None:
        labels = list(range(n_labels))
    return float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0))


def confusion(
    y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray, labels: Sequence[Any]
) -> np.ndarray:
    """Confusion matrix: rows are true labels, columns predicted, in `labels` order."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(y_true, y_pred, labels=list(labels))


def per_class_f1(
    y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray, labels: Sequence[Any]
) -> dict[Any, float]:
    """F1 of each label."""
    from sklearn.metrics import f1_score

    scores = f1_score(y_true, y_pred, labels=list(labels), average=None, zero_division=0)
    return {lab: float(s) for lab, s in zip(labels, scores, strict=True)}


def nmi(labels_true: Sequence[Any] | np.ndarray, labels_pred: Sequence[Any] | np.ndarray) -> float:
    """Normalised mutual information between two clusterings (arithmetic normalisation)."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels_true, labels_pred))


def format_confusion(matrix: np.ndarray, labels: Sequence[str]) -> str:
    """Plain-text confusion matrix (rows true, columns predicted)."""
    width = max(8, *(len(str(lab)) for lab in labels)) + 1
    head = " " * width + "".join(f"{str(lab)[:width - 1]:>{width}}" for lab in labels)
    rows = [f"{lab!s:<{width}}" + "".join(f"{int(v):>{width}}" for v in row) for lab, row in zip(labels, matrix, strict=True)]
    title = "true \\ pred"
    return "\n".join([f"{title:<{width}}", head, *rows])
