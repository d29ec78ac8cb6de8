"""Pure pieces of the themes package: matching, assignment, post-processing, hierarchy, labels, cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from themes_fixtures import calls, fake_encode, topic_sentences

from voc.config.themes import ThemeOverrides, ThemesConfig
from voc.themes.cache import cached_embeddings
from voc.themes.discover import fit_themes, knn_graph, postprocess
from voc.themes.hierarchy import group_themes
from voc.themes.labels import clean_for_terms, label_themes
from voc.themes.registry import UNASSIGNED, assign_to_centroids, match_centroids, new_ids, normalise


def _blobs(
    k: int, n: int, dim: int = 32, spread: float = 0.15, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = normalise(rng.standard_normal((k, dim)))
    x = np.concatenate([centres[i] + spread * rng.standard_normal((n, dim)) for i in range(k)])
    return normalise(x), np.repeat(np.arange(k), n)


def test_new_ids_continue_after_the_largest_and_never_reuse() -> None:
    assert new_ids([], 2) == ["T0001", "T0002"]
    assert new_ids(["T0003", "T0010", "other"], 1) == ["T0011"]


def test_matching_is_one_to_one_and_respects_the_threshold() -> None:
    old = normalise(np.eye(4, 8)[:3])
    new = normalise(np.vstack([old[2] + 0.05, old[0] + 0.05, np.eye(8)[7]]))
    matched, sim = match_centroids(new, old, threshold=0.8)
    assert matched == {0: 2, 1: 0}  # the third new centroid is unlike any old one
    assert sim.shape == (3, 3)
    assert match_centroids(new[:0], old, 0.8)[0] == {}


def test_assignment_leaves_far_mentions_unassigned() -> None:
    cents = normalise(np.eye(3, 6))
    x = normalise(np.vstack([cents[1] + 0.1, np.eye(6)[5]]))
    ids, score = assign_to_centroids(x, cents, ["T1", "T2", "T3"], threshold=0.5)
    assert ids == ["T2", UNASSIGNED]
    assert score[0] > 0.9 and score[1] < 0.5
    assert assign_to_centroids(x, cents[:0], [], 0.5)[0] == [UNASSIGNED, UNASSIGNED]


def test_postprocess_dissolves_small_clusters_reassigns_clear_outliers_and_merges_duplicates() -> None:
    x, truth = _blobs(3, 40)
    raw = truth.copy()
    raw[:20] = 7  # blob 0 cut in two near-identical halves: must merge back
    raw[40:43] = 9  # three points of blob 1 in a tiny cluster: dissolved, then reassigned
    far = normalise(np.random.default_rng(5).standard_normal((2, x.shape[1])))
    x = np.vstack([x, far])
    raw = np.concatenate([raw, [-1, -1]])
    out = postprocess(x, raw, min_size=5, outlier_threshold=0.5, merge_threshold=0.9)
    assert len(set(out[:120].tolist())) == 3
    assert (out[:40] == out[0]).all() and (out[40:80] == out[45]).all()
    assert (out[-2:] == -1).all()  # random directions are not clearly anyone's
    assert set(out.tolist()) == {-1, 0, 1, 2}


def test_knn_graph_links_each_row_to_its_exact_nearest_rows_across_blocks() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(150, 16)).astype(np.float32)
    g = knn_graph(x, 5, block=64)  # three blocks, the last one short
    xn = x / np.linalg.norm(x, axis=1, keepdims=True)
    sim = xn @ xn.T
    np.fill_diagonal(sim, -np.inf)
    for i in range(len(x)):
        want = set(np.argsort(-sim[i])[:5].tolist())
        row = g.getrow(i)
        assert want <= set(row.indices.tolist()), i  # symmetrised: it may hold more
        assert i not in set(row.indices.tolist())  # no self loops
        assert np.allclose(row[0, sorted(want)].toarray().ravel(), sim[i, sorted(want)], atol=1e-5)


def test_fit_themes_finds_blobs_without_being_told_how_many() -> None:
    x, truth = _blobs(5, 40, seed=1)
    cfg = ThemesConfig(min_cluster_size=10)
    disc = fit_themes([f"t{i}" for i in range(len(x))], x, cfg)
    from sklearn.metrics import adjusted_rand_score

    assert disc.n_themes == 5
    assert adjusted_rand_score(truth, disc.labels) > 0.95
    assert disc.unassigned_share <= 0.1
    assert disc.sizes.sum() == (disc.labels >= 0).sum()


def test_fit_themes_on_too_few_mentions_says_why() -> None:
    x, _ = _blobs(1, 5)
    disc = fit_themes(["a"] * 5, x, ThemesConfig(min_cluster_size=10))
    assert disc.n_themes == 0 and (disc.labels == -1).all() and "fewer than" in disc.note


def test_groups_are_few_and_keep_close_themes_together() -> None:
    rng = np.random.default_rng(0)
    parents = normalise(rng.standard_normal((3, 16)))
    cents = normalise(np.repeat(parents, 4, axis=0) + 0.1 * rng.standard_normal((12, 16)))
    groups = group_themes(cents, np.ones(12), max_groups=6)
    assert len(set(groups.tolist())) == 3
    assert all(len(set(groups[i * 4 : i * 4 + 4].tolist())) == 1 for i in range(3))
    assert group_themes(cents[:2], np.ones(2)).tolist() == [0, 0]
    assert len(set(group_themes(cents, np.ones(12), max_groups=2).tolist())) <= 2


def test_labels_are_short_names_never_placeholders_stop_words_or_numbers() -> None:
    texts, labels = [], []
    for k, topic in enumerate(("refund", "delivery")):
        for s in topic_sentences(topic, 30):
            texts.append(f"Order {{{{Order Number}}}} [EMAIL] 12345: {s}")
            labels.append(k)
    emb = fake_encode(texts)
    out = label_themes(texts, np.array(labels), emb, n_keywords=6, n_quotes=2, use_spacy=False)
    assert set(out) == {0, 1}
    for tt in out.values():
        words = tt.label.lower().split()
        assert 2 <= len(words) <= 5
        assert not any(
            w in {"order", "number", "email", "the", "my"} or w.isdigit() for w in words[:1] + words[-1:]
        )
        assert "{{" not in tt.label and "[" not in tt.label
        assert len(tt.quotes) == 2 and len(tt.keywords) <= 6
    assert "refund" in out[0].label.lower()
    assert any(w in out[1].label.lower() for w in ("parcel", "delivery"))
    assert clean_for_terms("call {{Phone}} or [PHONE] 555").split() == ["call", "or"]
    # A transcriber's or redactor's notes are not the customer's words.
    assert clean_for_terms("[Name Redacted] was kind, [word unreadable] crew").split() == [
        "was",
        "kind,",
        "crew",
    ]
    assert clean_for_terms("the [old] app").split() == ["the", "[old]", "app"]


def test_theme_names_differ_even_when_candidates_collide() -> None:
    texts = [f"refund request number {i % 3}" for i in range(40)]
    emb = normalise(np.random.default_rng(0).standard_normal((40, 8)))
    out = label_themes(texts, np.repeat([0, 1], 20), emb, use_spacy=False)
    assert out[0].label != out[1].label


def test_a_theme_without_words_is_named_by_its_commonest_answer() -> None:
    # A survey's "what could we do better?" answered "Nothing": stop words only, no phrase to name it by.
    texts = ["Nothing", "nothing.", "Nothing!", "None", "nothing at all", "No"] * 5
    texts += ["the food was cold"] * 10 + ["cold food again"] * 10
    emb = normalise(np.random.default_rng(0).standard_normal((len(texts), 8)))
    out = label_themes(texts, np.repeat([0, 1], [30, 20]), emb, use_spacy=False)
    assert out[0].label == '"Nothing"'
    assert "food" in out[1].label.lower()
    # No answer common enough: the theme keeps a plain name.
    out = label_themes(["a", "b", "c", "d", "e", "f"] * 2, np.zeros(12, dtype=int), emb[:12], use_spacy=False)
    assert out[0].label == "Theme 0"


def test_embeddings_are_cached_per_text_and_model(mem_store) -> None:
    calls.clear()
    texts = ["a refund please", "parcel late", "a refund please"]
    first = cached_embeddings(mem_store, texts, "m1", fake_encode)
    assert calls == [2]  # duplicates encoded once
    again = cached_embeddings(mem_store, [*texts, "new one"], "m1", fake_encode)
    assert calls == [2, 1]
    np.testing.assert_allclose(again[:3], first, atol=1e-6)
    cached_embeddings(mem_store, texts[:1], "m2", fake_encode)
    assert calls == [2, 1, 1]  # another model is another cache entry
    assert cached_embeddings(mem_store, [], "m1", fake_encode).shape[0] == 0


def test_override_config_rejects_bad_edits() -> None:
    with pytest.raises(ValueError, match="at least two"):
        ThemeOverrides(merge=[["T0001"]])
    with pytest.raises(ValueError, match="more than one merge group"):
        ThemeOverrides(merge=[["T0001", "T0002"], ["T0002", "T0003"]])
    with pytest.raises(ValueError, match="2 to 10"):
        ThemeOverrides(split={"T0001": 1})
    assert json.loads(ThemeOverrides(pin=["T0001"]).model_dump_json())["pin"] == ["T0001"]


def test_only_substantive_mentions_are_themed() -> None:
    from voc.themes.labels import substantive

    got = substantive(
        ["Thanks!", "[PHONE]", "EMAIL].", "Hi there,", "app keeps crashing", "need help with billing"]
    )
    assert got.tolist() == [False, False, False, False, True, True]
