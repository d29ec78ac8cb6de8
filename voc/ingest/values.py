"""Numbers checked at the edge: revenue finite and in range, ratings written as stars or words.

A value that cannot be used costs the value, not the row: the record is
kept with the field empty, a flag (`bad_revenue`, `bad_rating`) and the
value as found in its metadata (`revenue_unparsed`, `rating_unparsed`).
Nothing downstream then meets `inf` or a negative revenue (a stored `inf`
broke every later report: the accounts chart's log scale cannot place it).
"""

from __future__ import annotations

import math
from typing import Any

# Largest revenue taken at face value: a trillion is a unit or export mistake, not an account.
MAX_REVENUE = 1e12
_STARS = {"★": 1.0, "⭐": 1.0, "☆": 0.0}  # filled and empty star glyphs


def revenue_problem(value: float | None) -> str | None:
    """Why a parsed revenue cannot be used (None when it can)."""
    if value is None:
        return None
    if not math.isfinite(value):
        return f"{value!r} is not a finite amount"
    if value < 0:
        return f"{value:g} is negative"
    if value > MAX_REVENUE:
        return f"{value:g} is above {MAX_REVENUE:g}"
    return None


def star_glyphs(value: Any) -> float | None:
    """A rating written as star glyphs ("★★★★", "★★★☆☆"): the filled ones; None for anything else."""
    if not isinstance(value, str):
        return None
    s = "".join(value.split()).replace("\ufe0f", "")  # emoji variation selector after ⭐
    if not s or any(ch not in _STARS for ch in s):
        return None
    return sum(_STARS[ch] for ch in s)
