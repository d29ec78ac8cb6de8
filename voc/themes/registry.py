"""Stable theme identity: matching refitted themes to the registry, incremental assignment.

A refit rediscovers themes from scratch; each new theme is matched to an
existing registry theme by centroid cosine with the Hungarian algorithm
(one-to-one, maximising total similarity), so a theme keeps its id and
label across weeks. Only matches above a threshold count; the rest are
genuinely new themes and get new ids. Between refits, new mentions join
the nearest existing theme when they are close enough, or wait in the
"unassigned" (emerging) pool for the next refit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

UNASSIGNED = "unassigned"
_ID = re.compile(r"^T(\d+)$")


def normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return x / n


def centroids_of(embeddings: np.ndarray, labels: np.ndarray, themes: Sequence[int]) -> np.ndarray:
    """Unit-length mean embedding of each theme in `themes` (rows in that order)."""
    if not len(themes):
        return np.zeros((0, embeddings.shape[1]), dtype=np.float32)
    return normalise(np.stack([embeddings[labels == t].mean(axis=0) for t in themes]))


def new_ids(existing: Iterable[str], n: int, prefix: str = "T") -> list[str]:
    """`n` fresh ids ("T0001", ...; "P0001" for problems) after the largest existing one; never reused."""
    pattern = _ID if prefix == "T" else re.compile(rf"^{re.escape(prefix)}(\d+)$")
    top = 0
    for tid in existing:
        m = pattern.match(str(tid))
        if m:
            top = max(top, int(m.group(1)))
    return [f"{prefix}{top + i:04d}" for i in range(1, n + 1)]


def match_centroids(new: np.ndarray, old: np.ndarray, threshold: float) -> tuple[dict[int, int], np.ndarray]:
    """Optimal one-to-one matching of new to old centroids by cosine.

    Returns ({new row: old row} for matches with similarity >= threshold,
    the full similarity matrix).
    """
    from scipy.optimize import linear_sum_assignment

    if not len(new) or not len(old):
        return {}, np.zeros((len(new), len(old)), dtype=np.float32)
    sim = normalise(new) @ normalise(old).T
    rows, cols = linear_sum_assignment(-sim)
    return {int(r): int(c) for r, c in zip(rows, cols, strict=True) if sim[r, c] >= threshold}, sim


# Rows compared with the centroids at a time: similarity and normalised copies stay at a few
# 10 MB instead of growing with the store (316,000 mentions x 384 floats is 485 MB per copy).
_CHUNK = 32_768


def nearest_centroid(
    embeddings: np.ndarray, centroids: np.ndarray, rows: np.ndarray | None = None, chunk: int = _CHUNK
) -> tuple[np.ndarray, np.ndarray]:
    """Index of the most similar centroid for each of `rows` (all rows by default) and its cosine."""
    rows = np.arange(len(embeddings)) if rows is None else np.asarray(rows)
    best = np.zeros(len(rows), dtype=np.int64)
    score = np.zeros(len(rows), dtype=np.float32)
    if not len(rows) or not len(centroids):
        return best, score
    c = normalise(centroids)
    for s in range(0, len(rows), chunk):
        sim = normalise(embeddings[rows[s : s + chunk]]) @ c.T
        b = sim.argmax(axis=1)
        best[s : s + chunk] = b
        score[s : s + chunk] = sim[np.arange(len(b)), b]
    return best, score


def cosine_to(
    embeddings: np.ndarray, centroids: np.ndarray, which: np.ndarray, rows: np.ndarray, chunk: int = _CHUNK
) -> np.ndarray:
    """Cosine of each of `rows` to its own centroid `centroids[which[i]]` (`which` aligned with `rows`)."""
    out = np.zeros(len(rows), dtype=np.float32)
    c = normalise(centroids) if len(centroids) else centroids
    for s in range(0, len(rows), chunk):
        x = normalise(embeddings[rows[s : s + chunk]])
        out[s : s + chunk] = np.einsum("ij,ij->i", x, c[which[s : s + chunk]])
    return out


def assign_to_centroids(
    embeddings: np.ndarray, centroids: np.ndarray, ids: Sequence[str], threshold: float
) -> tuple[list[str], np.ndarray]:
    """Each mention's nearest theme when its cosine clears `threshold`, else "unassigned".

    Returns (theme id per mention, cosine to the chosen/nearest centroid).
    """
    n = len(embeddings)
    if n == 0:
        return [], np.zeros(0, dtype=np.float32)
    if not len(ids):
        return [UNASSIGNED] * n, np.zeros(n, dtype=np.float32)
    best, score = nearest_centroid(embeddings, centroids)
    out = [
        ids[b] if s >= threshold else UNASSIGNED for b, s in zip(best.tolist(), score.tolist(), strict=True)
    ]
    return out, score
