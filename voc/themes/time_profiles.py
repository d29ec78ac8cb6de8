"""Do two groups of mentions have clearly different weekly volume? (pure; used by the graph clustering).

An emerging issue co-occurs with an old one in the same tickets; these tests
keep discovery from merging the two (`voc.themes.graph.GraphCommunities`,
`graph_time_split`). See `voc.themes.discover` for the whole method.
"""

from __future__ import annotations

import numpy as np


def time_profiles_differ(
    week_counts: np.ndarray, pairs: np.ndarray, min_distance: float, alpha: float = 1e-3
) -> np.ndarray:
    """Which `pairs` of communities have clearly different weekly volume profiles.

    `week_counts` is a (communities x weeks) count matrix, `pairs` an (m, 2)
    array of community indices. The distance is the two-sample
    Kolmogorov-Smirnov statistic D of the weeks of their mentions (the
    largest gap between their cumulative shares over time): a community
    that only exists in the last two of 26 weeks is at D ~ 0.9 from one
    spread over all of them. A pair differs when D > `min_distance` (an
    effect size, so large communities with a mild seasonal tilt still
    merge) and D is significant at `alpha` (the asymptotic KS critical
    value, so a small community's noisy histogram is not taken for a
    different profile). Weekly bins make D a lower bound of the exact
    statistic, so the test only errs on the side of merging.
    """
    counts = np.asarray(week_counts, dtype=np.float64)
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    out = np.zeros(len(pairs), dtype=bool)
    if not len(pairs) or min_distance >= 1:
        return out
    size = counts.sum(axis=1)
    cdf = np.cumsum(counts, axis=1) / np.maximum(size, 1)[:, None]
    a, b = pairs[:, 0], pairs[:, 1]
    d = np.zeros(len(pairs))
    step = max(1, 2_000_000 // max(counts.shape[1], 1))  # bound the (pairs x weeks) block in memory
    for s in range(0, len(pairs), step):
        d[s : s + step] = np.abs(cdf[a[s : s + step]] - cdf[b[s : s + step]]).max(axis=1)
    na, nb = size[a], size[b]
    critical = np.sqrt(-np.log(alpha / 2) / 2) * np.sqrt((na + nb) / np.maximum(na * nb, 1))
    return (na > 0) & (nb > 0) & (d > min_distance) & (d > critical)


def week_counts_of(labels: np.ndarray, days: np.ndarray, k: int) -> np.ndarray:
    """A (k x weeks) matrix: mentions of each community (label >= 0) per week since the first date."""
    ok = labels >= 0
    if not ok.any():
        return np.zeros((k, 1))
    week = np.floor((days - days[ok].min()) / 7.0).astype(int)
    n_weeks = int(week[ok].max()) + 1
    flat = np.bincount(labels[ok] * n_weeks + week[ok], minlength=k * n_weeks)
    return flat.reshape(k, n_weeks).astype(np.float64)


def split_by_time(
    merged: np.ndarray, week_counts: np.ndarray, min_distance: float, alpha: float = 1e-3
) -> np.ndarray:
    """Undo merges that joined communities of different time profiles (`merged`: group per community).

    In each group the largest community is the anchor. The other members,
    pooled, must not differ from the anchor (see `time_profiles_differ`):
    while they do, the member farthest from the anchor leaves. Pooling
    matters: an emerging issue diluted by many small old communities, each
    too small to differ significantly on its own, is caught all the same.
    The members that left form a group of their own, checked the same way,
    so every final group is consistent with its anchor whatever path
    Louvain took to join it.
    """
    merged = np.asarray(merged, dtype=int)
    counts = np.asarray(week_counts, dtype=np.float64)
    size = counts.sum(axis=1)
    cdf = np.cumsum(counts, axis=1) / np.maximum(size, 1)[:, None]
    out = np.full(len(merged), -1, dtype=int)
    todo = [np.flatnonzero(merged == g) for g in np.unique(merged)]
    nxt = 0
    while todo:
        members = todo.pop()
        anchor = members[np.lexsort((members, -size[members]))[0]]
        others = members[members != anchor]
        # Farthest from the anchor first, so the loop below peels them off in order.
        others = others[np.argsort(-np.abs(cdf[others] - cdf[anchor]).max(axis=1), kind="stable")]
        cut = 0
        while cut < len(others):
            pooled = np.vstack([counts[anchor], counts[others[cut:]].sum(axis=0)])
            if not time_profiles_differ(pooled, np.array([[0, 1]]), min_distance, alpha)[0]:
                break
            cut += 1
        out[np.append(others[cut:], anchor)] = nxt
        nxt += 1
        if cut:
            todo.append(others[:cut])
    return out


def split_by_time_order(week_counts: np.ndarray, min_distance: float, alpha: float = 1e-3) -> np.ndarray:
    """Group the parts of one community (rows of `week_counts`) into spans of clearly different time.

    The parts are ordered by their mean week, and the community is cut where
    the earlier parts, pooled, differ most from the later ones, pooled (see
    `time_profiles_differ`); each side is cut again the same way until no cut
    differs. Pooling both sides is what finds an emerging issue that a first
    pass cut into several phrasings inside an old one: each phrasing alone
    is diluted by its siblings on the other side of any one-against-the-rest
    test, and the old issue's parts alone may be too small to differ. A
    steady community's parts share one profile up to noise, which the
    significance level absorbs, so it is not cut. Returns a group per row,
    0 for the group of the largest part.
    """
    counts = np.asarray(week_counts, dtype=np.float64)
    k, n_weeks = counts.shape
    size = counts.sum(axis=1)
    mean_week = (counts @ np.arange(n_weeks)) / np.maximum(size, 1)
    out = np.zeros(k, dtype=int)
    nxt = 1
    todo = [np.arange(k)]
    while todo:
        rows = todo.pop()
        if len(rows) < 2:
            continue
        rows = rows[np.lexsort((rows, mean_week[rows]))]
        early = np.cumsum(counts[rows], axis=0)[:-1]  # cut after position j: rows[: j + 1] vs the rest
        late = counts[rows].sum(axis=0) - early
        sides = np.vstack([early, late])
        pairs = np.column_stack([np.arange(len(early)), np.arange(len(early)) + len(early)])
        differ = time_profiles_differ(sides, pairs, min_distance, alpha)
        if not differ.any():
            continue
        cdf = np.cumsum(sides, axis=1) / np.maximum(sides.sum(axis=1), 1)[:, None]
        d = np.abs(cdf[pairs[:, 0]] - cdf[pairs[:, 1]]).max(axis=1)
        j = int(np.argmax(np.where(differ, d, -1.0)))
        first, second = rows[: j + 1], rows[j + 1 :]
        out[second] = nxt
        nxt += 1
        todo += [first, second]
    # Renumber so the group of the largest part is 0, the others in order of first appearance.
    anchor = out[int(np.argmax(size))]
    order = [anchor] + [g for g in dict.fromkeys(out.tolist()) if g != anchor]
    remap = {g: i for i, g in enumerate(order)}
    return np.array([remap[g] for g in out.tolist()], dtype=int)
