"""Two-level hierarchy: themes grouped into a small number of theme groups.

Groups come from Ward agglomerative clustering of the (unit) theme
centroids, cut into about sqrt(number of themes) groups, at most
`max_groups`; each group is named like a theme, from the mentions of its
member themes.
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

    # Ward linkage on unit centroids gives groups of comparable spread (average
    # linkage tends to leave one giant group and a few singletons); about
    # sqrt(k) groups keeps both levels readable: 9 groups for 80 themes.
    g = int(min(max_groups, k - 1, max(2, round(np.sqrt(k)))))
    z = linkage(np.asarray(centroids, dtype=np.float64), method="ward")
    raw = fcluster(z, t=g, criterion="maxclust") - 1
    totals = {g: float(np.asarray(sizes)[raw == g].sum()) for g in set(raw.tolist())}
    order = sorted(totals, key=lambda g: (-totals[g], g))
    remap = {g: i for i, g in enumerate(order)}
    return np.array([remap[g] for g in raw.tolist()], dtype=int)
