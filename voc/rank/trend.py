"""Growth against a trailing baseline, with a significance test, and theme status (pure).

Counts of small themes jump about by chance, so growth is judged by an
exact test, not a raw percentage. Under "no change" a theme's items are a
Poisson process whose rate is proportional to the period's total volume
(exposure); conditional on the total count c + b, the current count c is
Binomial(c + b, e / (e + E)) where e and E are the current and baseline
exposures. `p_up` / `p_down` are the one-sided p-values of that test
(scipy's `binomtest`). Across many themes, status uses Benjamini-Hochberg
adjusted p-values so a long theme list does not produce false alarms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

STATUSES = ("new", "rising", "steady", "falling", "resolved")


def growth_test(
    count: int, exposure: float, base_count: int, base_exposure: float
) -> tuple[float | None, float, float]:
    """(growth ratio, p_up, p_down) of `count` in `exposure` against `base_count` in `base_exposure`.

    The ratio is the rate ratio (count / exposure) / (base_count / base_exposure),
    None when the baseline has no items of the theme or no exposure.
    """
    from scipy.stats import binomtest

    if base_exposure <= 0 or exposure <= 0:
        return None, 1.0, 1.0
    ratio = (count / exposure) / (base_count / base_exposure) if base_count > 0 else None
    n = count + base_count
    if n == 0:
        return ratio, 1.0, 1.0
    p0 = exposure / (exposure + base_exposure)
    p_up = float(binomtest(count, n, p0, alternative="greater").pvalue)
    p_down = float(binomtest(count, n, p0, alternative="less").pvalue)
    return ratio, p_up, p_down


def bh_adjust(p: Sequence[float]) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (statsmodels), in input order."""
    if len(p) == 0:
        return np.zeros(0)
    from statsmodels.stats.multitest import multipletests

    return multipletests(np.asarray(p, dtype=float), method="fdr_bh")[1]


def trend_table(
    counts: pd.DataFrame,
    exposure: pd.Series,
    period: str,
    baseline: Sequence[str],
    first_seen_period: pd.Series,
    *,
    alpha: float = 0.05,
    min_rising_volume: int = 5,
) -> pd.DataFrame:
    """Growth, p-values and status per theme for `period`.

    `counts`: theme_id x period item counts (missing = 0). `exposure`: total
    items per period. `baseline`: the trailing periods (oldest first).
    `first_seen_period`: theme_id -> the period of its first mention ever.

    Status: `new` when first seen in this period (and there is history to be
    new against); `rising` / `falling` when the adjusted one-sided p-value is
    below alpha (rising also needs `min_rising_volume` items); `resolved`
    when silent this period after the baseline held it clearly (the drop to
    zero is itself significant), so a quiet period or a thin one never marks
    every theme resolved at once; else `steady`.
    """
    themes = counts.index
    cur = counts[period] if period in counts.columns else pd.Series(0, index=themes)
    base_cols = [p for p in baseline if p in counts.columns]
    base = counts[base_cols].sum(axis=1) if base_cols else pd.Series(0, index=themes)
    prev = counts[baseline[-1]] if baseline and baseline[-1] in counts.columns else pd.Series(0, index=themes)
    e_cur = float(exposure.get(period, 0))
    e_base = float(sum(exposure.get(p, 0) for p in baseline))
    rows = []
    for t in themes:
        ratio, p_up, p_down = growth_test(int(cur[t]), e_cur, int(base[t]), e_base)
        rows.append((t, int(cur[t]), int(prev[t]), int(base[t]), ratio, p_up, p_down))
    out = pd.DataFrame(
        rows, columns=["theme_id", "volume", "prev_volume", "base_volume", "growth", "p_up", "p_down"]
    )
    out = out.set_index("theme_id")
    out["q_up"] = bh_adjust(out["p_up"].tolist())
    out["q_down"] = bh_adjust(out["p_down"].tolist())
    has_history = e_base > 0
    status = []
    for t, r in out.iterrows():
        if r["volume"] == 0:
            # Unadjusted: silence is judged per theme (was it expected here?), and the weekly job's
            # long theme lists would otherwise need dozens of baseline items before anything resolves.
            gone = has_history and r["base_volume"] > 0 and r["p_down"] < alpha
            status.append("resolved" if gone else "steady")
        elif has_history and first_seen_period.get(t) == period:
            status.append("new")
        elif has_history and r["q_up"] < alpha and r["volume"] >= min_rising_volume:
            status.append("rising")
        elif has_history and r["q_down"] < alpha:
            status.append("falling")
        else:
            status.append("steady")
    out["status"] = status
    # The p-value reported is the one for the direction the theme moved.
    out["growth_p"] = np.where(out["status"] == "falling", out["p_down"], out["p_up"])
    return out


def format_p(p: float | None) -> str:
    """'p=0.034', 'p<0.001', or '' when there is no test."""
    if p is None:
        return ""
    return "p<0.001" if p < 0.001 else f"p={p:.2g}"
