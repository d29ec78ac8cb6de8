"""Score impact of a theme: the score with and without the theme's items (pure).

As feedback-analytics tools define it, a theme's impact on NPS is
NPS(all respondents) - NPS(all respondents except those who mentioned the
theme). A negative impact means the theme drags the score down by that many
points; removing it would raise the score. Same for CSAT (% satisfied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd


def nps(ratings: np.ndarray) -> float | None:
    """Net promoter score: % promoters (9-10) minus % detractors (0-6); None without ratings."""
    r = np.asarray(ratings, dtype=float)
    if len(r) == 0:
        return None
    return float(100.0 * ((r >= 9).mean() - (r <= 6).mean()))


def csat(ratings: np.ndarray) -> float | None:
    """CSAT: % of ratings that are 4 or 5 on a 1-5 scale; None without ratings."""
    r = np.asarray(ratings, dtype=float)
    if len(r) == 0:
        return None
    return float(100.0 * (r >= 4).mean())


def score_impact(
    rated: pd.DataFrame, theme_items: Mapping[str, Iterable[str]], kind: str
) -> dict[str, float | None]:
    """Impact per theme on NPS (`kind='nps'`) or CSAT (`kind='csat'`).

    `rated` has item_id and rating for the period's rated items of that kind.
    A theme with no rated items gets None (no evidence either way), as does
    every theme when removing its items would leave no ratings.
    """
    fn = nps if kind == "nps" else csat
    ids = rated["item_id"].to_numpy()
    ratings = rated["rating"].to_numpy(dtype=float)
    overall = fn(ratings)
    out: dict[str, float | None] = {}
    for theme_id, members in theme_items.items():
        mask = np.isin(ids, np.asarray(list(members), dtype=object))
        if overall is None or not mask.any() or mask.all():
            out[theme_id] = None
            continue
        without = fn(ratings[~mask])
        out[theme_id] = None if without is None else round(overall - without, 2)
    return out
