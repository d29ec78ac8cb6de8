"""Facet merging respects time: an emerging issue is never merged into an old one it co-occurs with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.config.themes import ThemesConfig
from voc.themes.discover import (
    fit_themes,
    split_by_time,
    split_by_time_order,
    time_profiles_differ,
    week_counts_of,
)
from voc.themes.registry import normalise

WEEKS = 14


def _weekly(rng: np.random.Generator, n: int, first_week: int = 0) -> np.ndarray:
    """Weekly counts of `n` mentions spread uniformly over weeks `first_week`..WEEKS-1."""
    return np.bincount(rng.integers(first_week, WEEKS, size=n), minlength=WEEKS).astype(float)


def test_recent_profile_differs_from_a_spread_one_and_same_profiles_do_not() -> None:
    rng = np.random.default_rng(0)
    counts = np.vstack(
        [
            _weekly(rng, 800),  # 0: old issue, every week
            _weekly(rng, 150),  # 1: another facet of it, same profile, smaller
            _weekly(rng, 120, first_week=WEEKS - 2),  # 2: emerging, last two weeks only
            # 3: ten mentions, four in the last two weeks: as far from 0 as the threshold allows,
            # but a chance tilt of so few mentions is no evidence of a different profile.
            np.array([1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 2, 2], dtype=float),
        ]
    )
    cdf = np.cumsum(counts, axis=1) / counts.sum(axis=1, keepdims=True)
    assert np.abs(cdf[0] - cdf[3]).max() > 0.25
    pairs = np.array([[0, 1], [0, 2], [1, 2], [0, 3]])
    assert time_profiles_differ(counts, pairs, 0.25).tolist() == [False, True, True, False]
    # 1 switches the check off.
    assert not time_profiles_differ(counts, pairs, 1.0).any()


def test_week_counts_count_each_community_per_week() -> None:
    labels = np.array([0, 0, 1, -1, 1, 1])
    days = np.array([0.0, 8.0, 1.0, 50.0, 15.0, 16.0])  # the unassigned row does not stretch the range
    counts = week_counts_of(labels, days, 2)
    assert counts.tolist() == [[1, 1, 0], [1, 0, 2]]


def test_split_by_time_peels_an_emerging_anchor_off_many_small_old_members() -> None:
    rng = np.random.default_rng(1)
    # An emerging community merged with six small old ones: none differs significantly on
    # its own, together they would bury its rise.
    # The anchor is like the demo's: 60% of it in the last two weeks, the rest spread.
    anchor = np.full(WEEKS, 4.0)
    anchor[-2:] += 42
    old = np.zeros(WEEKS)
    old[::2] = 1  # seven mentions, one every other week
    counts = np.vstack([anchor] + [old] * 6)
    pairs = np.column_stack([np.zeros(6, dtype=int), np.arange(1, 7)])
    assert not time_profiles_differ(counts, pairs, 0.25).any()
    out = split_by_time(np.zeros(7, dtype=int), counts, 0.25)
    kept = np.flatnonzero(out[1:] == out[0]) + 1
    left = np.flatnonzero(out[1:] != out[0]) + 1
    # Old members leave until what stays, pooled, is no evidence against the anchor's profile.
    assert len(left) >= 4 and len(set(out[left].tolist())) == 1
    pooled = np.vstack([counts[0], counts[kept].sum(axis=0)])
    assert not time_profiles_differ(pooled, np.array([[0, 1]]), 0.25)[0]
    # Members with the anchor's profile stay with it.
    same = np.vstack([_weekly(rng, 300)] + [_weekly(rng, 40) for _ in range(4)])
    assert len(set(split_by_time(np.zeros(5, dtype=int), same, 0.25).tolist())) == 1


def test_split_by_time_order_groups_recent_parts_against_the_rest_pooled() -> None:
    rng = np.random.default_rng(2)
    # An old issue in three parts and an emerging one in three phrasings of 12 mentions each:
    # the three recent parts leave together, the old ones stay with the largest.
    old = [_weekly(rng, n) for n in (60, 30, 25)]
    new = [_weekly(rng, 12, first_week=WEEKS - 2) for _ in range(3)]
    counts = np.vstack([old[0], new[0], old[1], new[1], old[2], new[2]])
    out = split_by_time_order(counts, 0.25)
    assert out.tolist() == [0, 1, 0, 1, 0, 1]  # 0: the group of the largest part
    # Parts that share one profile are never cut, nor is anything with the check off.
    same = np.vstack([_weekly(rng, n) for n in (200, 60, 40, 30, 20)])
    assert (split_by_time_order(same, 0.25) == 0).all()
    assert (split_by_time_order(counts, 1.0) == 0).all()


ISSUES = 8


def _items(emerging: tuple[int, ...], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight old issues with two facets each (communities 2i, 2i+1), items spread over 14 weeks,
    and 40 items in the last two weeks that raise an emerging issue (`emerging`: its facet
    communities, 16 and up) together with both facets of old issue 0, as the demo's
    "settings reset after the 5.2 update" turns up in tickets about app crashes."""
    rng = np.random.default_rng(seed)
    labels: list[int] = []
    codes: list[int] = []
    days: list[float] = []
    for item in range(60 * ISSUES):
        issue = item % ISSUES
        labels += [2 * issue, 2 * issue + 1]
        codes += [item, item]
        days += [rng.uniform(0, 7 * WEEKS)] * 2
    for item in range(60 * ISSUES, 60 * ISSUES + 40):
        lab = [*emerging, 0, 1]
        labels += lab
        codes += [item] * len(lab)
        days += [rng.uniform(7 * (WEEKS - 2), 7 * WEEKS)] * len(lab)
    return np.array(labels), np.array(codes), np.array(days)


def _fit(labels: np.ndarray, codes: np.ndarray, days: np.ndarray, time_split: float):
    rng = np.random.default_rng(1)
    centres = normalise(rng.standard_normal((labels.max() + 1, 48)))
    x = normalise(centres[labels] + 0.12 * rng.standard_normal((len(labels), 48)))
    times = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(days, unit="D")
    cfg = ThemesConfig(min_cluster_size=10, graph_time_split=time_split)
    return fit_themes([f"m{i}" for i in range(len(x))], x, cfg, groups=codes, times=times)


def test_emerging_issue_co_occurring_with_an_old_one_stays_its_own_theme() -> None:
    labels, codes, days = _items(emerging=(16,))
    new = labels == 16
    # Without the time check the co-occurrence merges the emerging issue into old issue 0 ...
    blind = _fit(labels, codes, days, time_split=1.0)
    assert set(blind.labels[new].tolist()) == set(blind.labels[labels == 0].tolist())
    # ... with it, it stays a theme of its own, and facets with one profile still merge.
    d = _fit(labels, codes, days, time_split=0.25)
    assert d.n_themes == ISSUES + 1
    (theme,) = set(d.labels[new].tolist())
    assert theme >= 0 and (d.labels[~new] != theme).all()
    for issue in range(ISSUES):
        facets = d.labels[(labels == 2 * issue) | (labels == 2 * issue + 1)]
        assert len(set(facets.tolist())) == 1, f"facets of old issue {issue} were not merged"


def test_facets_of_an_emerging_issue_still_merge_with_each_other() -> None:
    labels, codes, days = _items(emerging=(16, 17))
    d = _fit(labels, codes, days, time_split=0.25)
    (theme,) = set(d.labels[labels >= 16].tolist())
    assert theme >= 0 and (d.labels[labels < 16] != theme).all()


def test_times_must_match_rows() -> None:
    labels, codes, days = _items(emerging=(16,))
    with pytest.raises(ValueError, match="times"):
        _fit(labels, codes, days[:-1], time_split=0.25)


def test_times_without_items_change_nothing() -> None:
    # Intent datasets (Banking77, `voc eval themes`) have no items, so no merge step to guard.
    labels, _, days = _items(emerging=(16,))
    rng = np.random.default_rng(1)
    x = normalise(
        normalise(rng.standard_normal((17, 48)))[labels] + 0.12 * rng.standard_normal((len(labels), 48))
    )
    times = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(days, unit="D")
    texts = [f"m{i}" for i in range(len(x))]
    cfg = ThemesConfig(min_cluster_size=10)
    assert np.array_equal(fit_themes(texts, x, cfg, times=times).labels, fit_themes(texts, x, cfg).labels)


def _phrasings(recent: bool, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One issue in three phrasings (150, 150 and 80 mentions) around a shared centre, as one
    first-pass community would hold them; with `recent`, the third only in the last two weeks,
    as "since the 5.2 update my settings are gone" next to "5.2 crashes on launch"."""
    rng = np.random.default_rng(seed)
    c = normalise(rng.standard_normal((4, 48)))
    centres = normalise(c[0] + 0.6 * c[1:])
    phrasing = np.repeat([0, 1, 2], [150, 150, 80])
    x = normalise(centres[phrasing] + 0.12 * rng.standard_normal((len(phrasing), 48)))
    days = rng.uniform(0, 7 * WEEKS, len(phrasing))
    if recent:
        days[phrasing == 2] = rng.uniform(7 * (WEEKS - 2), 7 * WEEKS, int((phrasing == 2).sum()))
    return x, phrasing, days


def _split_one_community(x: np.ndarray, days: np.ndarray | None, time_split: float = 0.25) -> np.ndarray:
    from voc.themes.discover import GraphCommunities, knn_graph

    model = GraphCommunities(time_split=time_split)
    model.times = days
    return model._split_by_time(knn_graph(x, 10), np.zeros(len(x), dtype=int))


def test_a_recent_phrasing_inside_a_steady_community_is_split_off() -> None:
    x, phrasing, days = _phrasings(recent=True)
    out = _split_one_community(x, days)
    old, new = out[phrasing < 2], out[phrasing == 2]
    old_label = np.bincount(old).argmax()
    new_label = np.bincount(new).argmax()
    assert new_label != old_label
    assert (new == new_label).mean() >= 0.95 and (old == old_label).mean() >= 0.95
    # The steady phrasings are not cut from each other: both stay with the community's label.
    assert old_label == 0
    # Without dates, or with the check off, nothing is split.
    assert (_split_one_community(x, None) == 0).all()
    assert (_split_one_community(x, days, time_split=1.0) == 0).all()


def test_a_steady_community_with_several_phrasings_is_not_split() -> None:
    for seed in range(3):
        x, _, days = _phrasings(recent=False, seed=seed)
        assert (_split_one_community(x, days) == 0).all()
