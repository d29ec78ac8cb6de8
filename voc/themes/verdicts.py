"""One theme per tone for verdicts without an aspect (pure).

Mentions such as "Excellent service", "Very good", "Love it!", "Not happy",
"Nothing." (a survey's "what could we do better?") say how a customer feels,
not about what. Embeddings still tell their wordings apart, so discovery
spreads them over many small themes ("Excellent care", "Experience was good",
"Good service", ...) that a reader cannot tell apart either, and that crowd
the theme list. After a fit, the themes made mostly of such verdicts
(`opinion_share` above the threshold) are merged by their prevailing tone:
one for positive verdicts, one for negative, one for the rest. The merged
theme keeps the id of its largest member, like a user's merge
(`voc.themes.overrides`), so identity rules stay the same.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd

from voc.themes.boilerplate import opinion_share
from voc.themes.registry import UNASSIGNED


def verdict_merges(
    theme_of: np.ndarray, kinds: Sequence[str], polarity: Sequence[str | None], threshold: float
) -> list[list[str]]:
    """Groups of theme ids to merge (largest first in each), one group per tone, of verdict themes."""
    theme_of = np.asarray(theme_of, dtype=object)
    kinds = np.asarray(kinds, dtype=object)
    pol = np.asarray([p or "neutral" for p in polarity], dtype=object)
    by_tone: dict[str, list[tuple[int, str]]] = {}
    for t in sorted(set(theme_of.tolist()) - {UNASSIGNED}):
        mask = theme_of == t
        if opinion_share(kinds[mask].tolist()) <= threshold:
            continue
        tone = Counter(pol[mask].tolist()).most_common(1)[0][0]
        by_tone.setdefault(tone, []).append((int(mask.sum()), t))
    groups = []
    for members in by_tone.values():
        if len(members) > 1:
            members.sort(key=lambda m: (-m[0], m[1]))
            groups.append([t for _, t in members])
    return groups


def apply_merges(
    theme_of: np.ndarray, registry: pd.DataFrame, groups: list[list[str]]
) -> tuple[np.ndarray, pd.DataFrame]:
    """Move each group's mentions to its first id and retire the others (`merged_into` names it)."""
    theme_of = np.asarray(theme_of, dtype=object).copy()
    reg = registry.set_index("theme_id", drop=False).copy()
    for keep, *others in groups:
        theme_of[np.isin(theme_of, others)] = keep
        known = [t for t in others if t in reg.index]
        reg.loc[known, "merged_into"] = keep
        reg.loc[known, "status"] = "retired"
        reg.loc[known, "is_new"] = False
    return theme_of, reg.reset_index(drop=True)
