"""Two-level hierarchy: themes grouped into a small number of theme groups.

Groups come from average-linkage agglomerative clustering of the theme
centroids (cosine). The cut is made where the merge distances jump the
most, within [2, max_groups] groups, so the count follows the data; each
group is named like a theme, from the mentions of its member themes.
"""

from __future__ import annotations

import numpy as np


def group_themes(centroids: np.ndarray, sizes: np.ndarray, *, max_groups: int = 12) -> np.ndarray:
    """Group index (0..g-1) per theme row; groups numbered by total size, largest first."""
    k = len(centroids)
    if k == 0:
        return np.zeros(0, dtype=int)
    if k <= 2 or max_groups <= 1:
        return np.zeros(k, dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    z = linkage(np.asarray(centroids, dtype=np.float64), method="average", metric="cosine")
    lo = 2
    hi = min(max_groups, k - 1)
    # z[i, 2] is the height of the i-th merge (ascending); cutting before merge
    # i leaves k - i clusters. Pick the cut with the largest jump in height.
    best_g, best_gap = lo, -1.0
    heights = z[:, 2]
    for g in range(lo, hi + 1):
        i = k - g  # merge that would reduce g clusters to g-1
        if i <= 0 or i >= len(heights):
            continue
        gap = heights[i] - heights[i - 1]
        if gap > best_gap:
            best_g, best_gap = g, gap
    raw = fcluster(z, t=best_g, criterion="maxclust") - 1
    totals = {g: float(np.asarray(sizes)[raw == g].sum()) for g in set(raw.tolist())}
    order = sorted(totals, key=lambda g: (-totals[g], g))
    remap = {g: i for i, g in enumerate(order)}
    return np.array([remap[g] for g in raw.tolist()], dtype=int)
