"""The real-data evals: pure scoring on tiny inputs, and the export shapes on ../shared/data (skipped without)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from voc.eval.evidence import evidence_precision, is_boilerplate_label
from voc.eval.framework import majority_hits


def test_evidence_precision_counts_cited_items_by_their_stars() -> None:
    items = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "rating": [1, 2, 5, 4, None]})
    backlog = {
        "entries": [
            {"rank": 2, "example_ids": ["c", "d"], "verbatims": [{"item_id": "c"}]},
            {"rank": 1, "example_ids": ["a", "b", "e"], "verbatims": [{"item_id": "a"}]},
        ]
    }
    prec, n, vprec = evidence_precision(backlog, items, top=1)
    assert (prec, n, vprec) == (1.0, 2, 1.0)  # the top entry only; the unrated item is not counted
    prec, n, vprec = evidence_precision(backlog, items, top=10)
    assert (prec, n, vprec) == (0.5, 4, 0.5)


def test_framing_labels_are_caught_and_content_labels_are_not() -> None:
    assert is_boilerplate_label("Best regards") and is_boilerplate_label("Writing this complaint")
    assert not is_boilerplate_label("Refund not received") and not is_boilerplate_label("Runs small")


def test_a_multi_topic_comment_is_a_hit_when_its_cluster_stands_for_one_of_its_topics() -> None:
    single_truth = np.array(["staff", "staff", "wait", "wait", "food"], dtype=object)
    single_pred = np.array([0, 0, 1, 1, 2])
    multi = [["staff", "wait"], ["food", "parking"], ["parking"]]
    multi_pred = np.array([1, 0, 2])
    assert majority_hits(single_pred, single_truth, single_pred, multi, multi_pred) == pytest.approx(1 / 3)


def test_nmi_bootstrap_is_paired_and_zero_for_a_perfect_clustering() -> None:
    from voc.eval.metrics import bootstrap_nmi

    rng = np.random.default_rng(0)
    y = np.array(["staff", "wait", "food", "parking"] * 50, dtype=object)
    perfect = np.array([{"staff": 0, "wait": 1, "food": 2, "parking": 3}[t] for t in y])
    noisy = np.where(rng.random(len(y)) < 0.3, rng.integers(0, 4, len(y)), perfect)
    boot = bootstrap_nmi(y, [perfect, perfect, noisy], seed=0, n=50)
    assert boot.shape == (50, 3)
    assert np.allclose(boot[:, 0], 1.0)  # a perfect clustering has NMI 1 on every resample
    assert np.allclose(boot[:, 0] - boot[:, 1], 0.0)  # the same resamples for every system
    assert (boot[:, 2] < 1.0).all() and boot[:, 2].std() > 0


@pytest.mark.shared_data
@pytest.mark.model
@pytest.mark.slow
def test_every_real_export_shape_is_analysed_over_its_whole_span(shared_data, tmp_path) -> None:
    from voc.eval.exports import evaluate_exports

    results = evaluate_exports(shared_data, rows=150, work=tmp_path)
    by = {r.name: r for r in results}
    assert all(r.exit_status == 0 for r in results), [(r.name, r.error) for r in results]
    assert by["dateless"].granularity == "undated" and by["dateless"].focus is None
    assert by["multi_year"].granularity == "quarter"
    assert by["single_week"].periods == 1 and by["single_week"].focus is None
    sparse = by["sparse_last_week"]
    assert sparse.partial and sparse.focus not in sparse.partial
    for r in results:
        assert r.top10_with_items == r.top10, r.name  # no entry without items
        if r.multi_period:
            assert (r.share_in_window or 0) >= 0.9, r.name
