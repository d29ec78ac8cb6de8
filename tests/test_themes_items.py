"""Discovery with the item as context: boilerplate left out, facets of one issue joined."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from voc.config.themes import ThemesConfig
from voc.themes.discover import boilerplate_communities, fit_themes, item_graph
from voc.themes.registry import normalise


def test_item_graph_links_rows_of_one_item_with_bounded_weight() -> None:
    codes = np.array([0, 0, 0, 1, 2, 2, 0])  # row 6 belongs to item 0 although it comes last
    g = item_graph(codes, weight=3.0).toarray()
    assert np.allclose(g, g.T)
    assert g[3].sum() == 0  # alone in its item
    assert g[0, 6] > 0 and g[0, 4] == 0
    # Each row of item 0 has three neighbours and shares its weight among them.
    assert np.allclose(g[[0, 1, 2, 6]].sum(axis=1), 3.0)
    assert np.allclose(g[4].sum(), 3.0)


def test_item_graph_window_keeps_long_items_linear() -> None:
    g = item_graph(np.zeros(100, dtype=int), weight=1.0, window=5)
    assert (g[50] > 0).sum() == 10  # five before, five after
    assert (g[0] > 0).sum() == 5


ISSUES = 8
BOILERPLATE = 2 * ISSUES


def _facet_items(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eight issues with two facets each; each item mentions both facets of one issue.

    Community ids: 2i and 2i+1 are the facets of issue i; 16 is boilerplate
    that turns up in every other item, whatever its issue.
    """
    rng = np.random.default_rng(seed)
    labels, codes = [], []
    for item in range(60 * ISSUES):
        issue = item % ISSUES
        labels += [2 * issue, 2 * issue + 1]
        codes += [item, item]
        if rng.random() < 0.5:
            labels.append(BOILERPLATE)
            codes.append(item)
    return np.array(labels), np.array(codes), np.array(labels) // 2


def test_boilerplate_is_the_community_spread_over_every_issue() -> None:
    labels, codes, _ = _facet_items()
    assert boilerplate_communities(labels, codes, min_concentration=0.2) == [BOILERPLATE]
    # Without enough evidence nothing is called boilerplate.
    assert boilerplate_communities(labels, codes, min_concentration=0.2, min_evidence=10_000) == []


def _embed(labels: np.ndarray, dim: int = 48, spread: float = 0.12, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = normalise(rng.standard_normal((labels.max() + 1, dim)))
    return normalise(centres[labels] + spread * rng.standard_normal((len(labels), dim)))


def test_fit_themes_with_items_joins_facets_and_leaves_boilerplate_unassigned() -> None:
    labels, codes, issue = _facet_items()
    x = _embed(labels)
    texts = [f"m{i}" for i in range(len(x))]
    cfg = ThemesConfig(min_cluster_size=10)

    plain = fit_themes(texts, x, cfg)
    assert plain.n_themes == 2 * ISSUES + 1  # every facet and the boilerplate are themes of their own
    assert plain.n_boilerplate == 0

    ctx = fit_themes(texts, x, cfg, groups=[f"item-{c}" for c in codes])
    boiler = labels == BOILERPLATE
    assert ctx.n_themes == ISSUES
    assert (ctx.labels[boiler] == -1).all() and ctx.n_boilerplate == boiler.sum()
    assert adjusted_rand_score(issue[~boiler], ctx.labels[~boiler]) > 0.95


def test_only_one_issue_items_join_facets_reviews_keep_their_aspects_apart() -> None:
    # The same mentions, once as tickets (one issue each: facets join) and once as reviews, whose
    # items cover several aspects: their co-occurrence joins nothing, boilerplate is still found.
    from voc.themes.discover import linked_mentions

    labels, codes, issue = _facet_items()
    x = _embed(labels)
    texts = [f"m{i}" for i in range(len(x))]
    cfg = ThemesConfig(min_cluster_size=10)
    boiler = labels == BOILERPLATE
    assert linked_mentions(["ticket", "review", "survey"], cfg).tolist() == [True, False, False]

    tickets = fit_themes(texts, x, cfg, groups=codes, linked=linked_mentions(["ticket"] * len(x), cfg))
    assert tickets.n_themes == ISSUES
    reviews = fit_themes(texts, x, cfg, groups=codes, linked=linked_mentions(["review"] * len(x), cfg))
    assert reviews.n_themes == 2 * ISSUES  # every aspect its own theme
    assert adjusted_rand_score(labels[~boiler], reviews.labels[~boiler]) > 0.95
    assert (reviews.labels[boiler] == -1).all()
    # A user who knows their reviews speak of one thing each can say so.
    as_tickets = cfg.model_copy(update={"item_context_kinds": ["ticket", "review"]})
    joined = fit_themes(
        texts, x, as_tickets, groups=codes, linked=linked_mentions(["review"] * len(x), as_tickets)
    )
    assert np.array_equal(joined.labels, tickets.labels)
    assert adjusted_rand_score(issue[~boiler], joined.labels[~boiler]) > 0.95


def test_item_context_can_be_switched_off() -> None:
    labels, codes, _ = _facet_items()
    x = _embed(labels)
    texts = [f"m{i}" for i in range(len(x))]
    cfg = ThemesConfig(min_cluster_size=10, graph_item_weight=0, boilerplate_concentration=0)
    with_groups = fit_themes(texts, x, cfg, groups=codes)
    without = fit_themes(texts, x, cfg)
    assert np.array_equal(with_groups.labels, without.labels)


def test_boilerplate_step_stands_down_when_it_would_set_aside_most_mentions() -> None:
    # Short texts: every community's co-occurrence looks spread out. The test then flags
    # (nearly) everything; a cap keeps the themes and says why in the note.
    labels, codes, _ = _facet_items()
    x = _embed(labels)
    texts = [f"m{i}" for i in range(len(x))]
    groups = [f"item-{c}" for c in codes]
    eager = ThemesConfig(min_cluster_size=10, boilerplate_concentration=1.0, graph_item_weight=0.0)
    flagged = fit_themes(texts, x, eager.model_copy(update={"boilerplate_max_share": 1.0}), groups=groups)
    assert flagged.n_boilerplate > 0.9 * len(x)
    capped = fit_themes(texts, x, eager, groups=groups)  # default cap 0.25
    assert capped.n_boilerplate == 0 and capped.n_themes == 2 * ISSUES + 1
    assert "boilerplate test skipped" in capped.note and "boilerplate_max_share" in capped.note
