"""Classification and clustering metrics shared by the sentiment and themes evaluations.

Small numpy implementations (same definitions as scikit-learn, checked in the
tests; fast enough to call inside tuning loops) so every `voc eval` reports
the same numbers the same way, with labels as integer indices or strings.
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


def _labels(t: np.ndarray, p: np.ndarray, n_labels: int | None, labels: Sequence[Any] | None) -> list[Any]:
    if labels is not None:
        return list(labels)
    if n_labels is not None:
        return list(range(n_labels))
    return sorted(set(t.tolist()) | set(p.tolist()))


def per_class_f1(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    labels: Sequence[Any] | None = None,
    n_labels: int | None = None,
) -> dict[Any, float]:
    """F1 of each label (0 where a label is neither true nor predicted, as scikit-learn's zero_division=0)."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    out: dict[Any, float] = {}
    for lab in _labels(t, p, n_labels, labels):
        tp = float(np.sum((t == lab) & (p == lab)))
        denom = float(np.sum(t == lab) + np.sum(p == lab))
        out[lab] = 2 * tp / denom if denom else 0.0
    return out


def macro_f1(
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    n_labels: int | None = None,
    labels: Sequence[Any] | None = None,
) -> float:
    """Unweighted mean of per-class F1 over `labels` (or 0..n_labels-1, or the labels seen)."""
    scores = per_class_f1(y_true, y_pred, labels=labels, n_labels=n_labels)
    return float(np.mean(list(scores.values()))) if scores else 0.0


def macro_f1_rows(pred: np.ndarray, y: np.ndarray, n_labels: int) -> np.ndarray:
    """`macro_f1` of each row of `pred` [k, n] against `y` [n], labels 0..n_labels-1, in one vectorised pass.

    For tuning loops that score hundreds of candidate predictions of the same texts.
    """
    f = np.zeros(len(pred))
    for c in range(n_labels):
        hit, truth = pred == c, y == c
        tp = (hit & truth).sum(1)
        denom = hit.sum(1) + truth.sum()
        f += np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return f / n_labels


def confusion(
    y_true: Sequence[Any] | np.ndarray, y_pred: Sequence[Any] | np.ndarray, labels: Sequence[Any]
) -> np.ndarray:
    """Confusion matrix: rows are true labels, columns predicted, in `labels` order."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    return np.array([[int(np.sum((t == a) & (p == b))) for b in labels] for a in labels], dtype=np.int64)


def nmi(labels_true: Sequence[Any] | np.ndarray, labels_pred: Sequence[Any] | np.ndarray) -> float:
    """Normalised mutual information between two clusterings (arithmetic normalisation)."""
    from sklearn.metrics import normalized_mutual_info_score

    return float(normalized_mutual_info_score(labels_true, labels_pred))


def bootstrap_nmi(y: np.ndarray, preds: list[np.ndarray], *, seed: int, n: int = 300) -> np.ndarray:
    """NMI of each prediction on `n` bootstrap resamples of the rows [n, len(preds)]; the same
    resamples for every system, so their difference is paired."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(preds)))
    for b in range(n):
        ix = rng.integers(0, len(y), len(y))
        out[b] = [nmi(y[ix], p[ix]) for p in preds]
    return out


def format_confusion(matrix: np.ndarray, labels: Sequence[str]) -> str:
    """Plain-text confusion matrix (rows true, columns predicted)."""
    width = max(8, *(len(str(lab)) for lab in labels)) + 1
    head = " " * width + "".join(f"{str(lab)[: width - 1]:>{width}}" for lab in labels)
    rows = [
        f"{lab!s:<{width}}" + "".join(f"{int(v):>{width}}" for v in row)
        for lab, row in zip(labels, matrix, strict=True)
    ]
    title = "true \\ pred"
    return "\n".join([f"{title:<{width}}", head, *rows])


def _macro_f1_from_confusions(conf: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro-F1 of each flattened confusion matrix [b, n_labels * n_labels] (rows true, columns predicted)."""
    c = conf.reshape(len(conf), n_labels, n_labels)
    tp = np.diagonal(c, axis1=1, axis2=2)
    denom = c.sum(2) + c.sum(1)
    return np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0).mean(1)


def bootstrap_macro_f1(
    y: np.ndarray, preds: Sequence[np.ndarray], n_labels: int = 3, rounds: int = 1000, seed: int = 0
) -> np.ndarray:
    """Macro-F1 of each prediction [n] (label indices) on `rounds` bootstrap resamples of the rows: [rounds, k].

    The same resamples serve every prediction, so differences between columns
    are paired: their spread is the standard error of the difference.
    """
    y = np.asarray(y, dtype=np.int64)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(len(y), np.full(len(y), 1.0 / max(len(y), 1)), size=rounds).astype(np.float64)
    out = np.zeros((rounds, len(preds)))
    for j, p in enumerate(preds):
        cell = y * n_labels + np.asarray(p, dtype=np.int64)
        onehot = np.zeros((len(y), n_labels * n_labels))
        onehot[np.arange(len(y)), cell] = 1.0
        out[:, j] = _macro_f1_from_confusions(counts @ onehot, n_labels)
    return out


def bootstrap_se(
    y: np.ndarray, pred: np.ndarray, n_labels: int = 3, rounds: int = 1000, seed: int = 0
) -> float:
    """Bootstrap standard error of macro-F1 (rows resampled with replacement)."""
    return float(bootstrap_macro_f1(y, [pred], n_labels, rounds, seed)[:, 0].std(ddof=1))


def best_two_cuts(score: np.ndarray, y: np.ndarray, max_candidates: int = 600) -> tuple[float, float, float]:
    """The oracle: cut points lo <= hi on `score` (below lo negative, from hi positive, between neutral)
    that maximise macro-F1 against `y` (0 negative, 1 neutral, 2 positive) on these very rows.

    An upper bound of what any two thresholds on this score can do here, not a
    held-out figure. Candidates are the midpoints between distinct scores
    (a quantile grid of `max_candidates` when there are more). Returns (lo, hi, macro-F1).
    """
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    order = np.argsort(s, kind="stable")
    s, y = s[order], y[order]
    n = len(s)
    # A cut at position k predicts rows [0, k) below it; only positions between distinct scores are real cuts.
    pos = np.flatnonzero(np.r_[True, s[1:] != s[:-1], True])
    if len(pos) > max_candidates:
        pos = np.unique(pos[np.linspace(0, len(pos) - 1, max_candidates).round().astype(int)])
    cum = np.zeros((3, n + 1))
    for c in range(3):
        cum[c, 1:] = np.cumsum(y == c)
    true = cum[:, -1]
    a, b = np.meshgrid(pos, pos, indexing="ij")
    ok = a <= b
    a, b = a[ok], b[ok]
    tp = np.stack([cum[0, a], cum[1, b] - cum[1, a], true[2] - cum[2, b]])
    predicted = np.stack([a, b - a, n - b]).astype(np.float64)
    denom = predicted + true[:, None]
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1e-12), 0.0).mean(0)
    best = int(f1.argmax())

    def cut(k: int) -> float:
        if k <= 0:
            return float(s[0] - 1e-9) if n else 0.0
        if k >= n:
            return float(s[-1] + 1e-9)
        return float((s[k - 1] + s[k]) / 2)

    return cut(int(a[best])), cut(int(b[best])), float(f1[best])


def cut_labels(score: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """0 below lo, 2 from hi, 1 between (the labels `best_two_cuts` scores)."""
    s = np.asarray(score, dtype=np.float64)
    return np.where(s < lo, 0, np.where(s >= hi, 2, 1)).astype(np.int64)
