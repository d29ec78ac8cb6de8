"""Item sentiment as the overall tone, complaints at the mention level: pure logic on tiny inputs (no model)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.errors import ModelError
from voc.eval.complaints import bootstrap_pr_se, precision_recall
from voc.eval.itemdata import fft_label, split_rated, star_label, text_key
from voc.eval.mentions import mention_for
from voc.eval.metrics import best_two_cuts, bootstrap_macro_f1, bootstrap_se, cut_labels, macro_f1
from voc.nlp.calibrate import FEATURES, ItemCalibrator, calibrator_for, item_features
from voc.nlp.complaints import carries_complaint, complaint_mentions, items_with_complaints
from voc.nlp.sentiment import LABELS, aggregate, aggregate_many
from voc.train.calibrate import (
    FEATURE_SETS,
    Recipe,
    choose_recipe,
    fit_calibrator,
    fit_weights,
)

PRAISE = [0.02, 0.08, 0.90]
COMPLAINT = [0.85, 0.12, 0.03]
FLAT = [0.10, 0.80, 0.10]


def _toy_calibrator() -> ItemCalibrator:
    """A calibrator that reads the whole reading's log-probabilities as they are (the model's argmax)."""
    d = len(FEATURES)
    coef = np.zeros((3, d))
    coef[:, :3] = np.eye(3)
    return ItemCalibrator(FEATURES, np.zeros(d), np.ones(d), coef, np.zeros(3), {"applies_to": ["review"]})


def test_item_with_praise_and_one_complaint_is_positive_and_carries_the_complaint() -> None:
    # "Love it, but it runs small": the whole reading is warm; the second mention is the complaint.
    mentions = np.array([PRAISE, COMPLAINT])
    whole = np.array([0.15, 0.15, 0.70])
    item = aggregate(mentions, [7, 19], whole=whole)
    assert item.label == "positive" and item.mixed  # mixed is a flag; it no longer forces negative
    calibrated = aggregate(mentions, [7, 19], whole=whole, calibrator=_toy_calibrator())
    assert calibrated.label == "positive" and calibrated.mixed
    mention_labels = [LABELS[i] for i in mentions.argmax(1)]
    assert mention_labels == ["positive", "negative"]
    assert carries_complaint(mention_labels)


def test_complaint_definition_in_one_place() -> None:
    assert complaint_mentions(["positive", "negative", "neutral"]).tolist() == [False, True, False]
    assert not carries_complaint(["positive", "neutral"]) and not carries_complaint([])
    rows = pd.DataFrame(
        {"item_id": ["a", "a", "b", "c"], "label": ["positive", "negative", "neutral", "negative"]}
    )
    assert items_with_complaints(rows).to_dict() == {"a": True, "b": False, "c": True}
    assert items_with_complaints(rows.iloc[:0]).empty


def test_item_features_of_one_and_several_mentions() -> None:
    one = item_features(np.array([PRAISE]), [20])
    assert one.shape == (len(FEATURES),)
    f = dict(zip(FEATURES, one, strict=True))
    assert f["mean_score"] == f["min_score"] == f["max_score"] == f["first_score"] == pytest.approx(0.88)
    assert f["whole_log_pos"] == pytest.approx(np.log(0.90)) and f["share_positive"] == 1.0
    several = dict(
        zip(FEATURES, item_features(np.array([PRAISE, COMPLAINT, FLAT]), [10, 10, 10]), strict=True)
    )
    assert several["share_negative"] == pytest.approx(1 / 3) and several["min_score"] == pytest.approx(-0.82)
    assert several["log_mentions"] == pytest.approx(np.log(4))
    # No mentions: the features of a neutral reading, finite.
    assert np.isfinite(item_features(np.zeros((0, 3)), [])).all()


def test_calibrator_round_trips_through_json_and_checks_what_it_loads(tmp_path: Path) -> None:
    cal = _toy_calibrator()
    path = tmp_path / "item_calibrator.json"
    cal.save(path)
    back = ItemCalibrator.load(path)
    x = np.vstack([item_features(np.array([p]), [10]) for p in (PRAISE, COMPLAINT, FLAT)])
    assert np.allclose(back.predict_proba(x), cal.predict_proba(x))
    assert back.predict_proba(x).argmax(1).tolist() == [2, 0, 1]
    assert back.applies_to == ("review",) and back.digest == cal.digest
    data = json.loads(path.read_text())
    with pytest.raises(ModelError, match="E413"):
        ItemCalibrator.from_json({**data, "kind": "other"})
    with pytest.raises(ModelError, match="E414"):
        ItemCalibrator.from_json({**data, "features": ["x"]})
    with pytest.raises(ModelError, match="E415"):
        ItemCalibrator.from_json({**data, "coef": [[1.0]]})
    path.write_text("{not json")
    with pytest.raises(ModelError, match="E416"):
        ItemCalibrator.load(path)


def test_calibrator_belongs_to_its_model_folder(tmp_path: Path) -> None:
    class Model:
        folder = tmp_path

    assert calibrator_for(Model()) is None and calibrator_for(object()) is None
    _toy_calibrator().save(tmp_path / "item_calibrator.json")
    assert isinstance(calibrator_for(Model()), ItemCalibrator)


def test_aggregate_many_calibrates_only_the_items_marked_for_it() -> None:
    class R:
        def __init__(self, probs: list[list[float]], whole: list[float] | None = None) -> None:
            self.probs, self.whole, self.contrast = np.array(probs), whole, ()
            self.lengths = [10] * len(probs)

    # A calibrator that says neutral whatever it reads.
    d = len(FEATURES)
    neutral = ItemCalibrator(
        FEATURES, np.zeros(d), np.ones(d), np.zeros((3, d)), np.array([0.0, 5.0, 0.0]), {}
    )
    readings = [R([PRAISE]), R([COMPLAINT]), R([])]
    plain = aggregate_many(readings)
    assert [r.label for r in plain] == ["positive", "negative", "neutral"]
    mixed_use = aggregate_many(readings, neutral, use=[True, False, True])
    assert [r.label for r in mixed_use] == ["neutral", "negative", "neutral"]
    assert mixed_use[2].confidence == 0.0  # no mentions: neutral with no confidence, calibrated or not
    assert [r.label for r in aggregate_many(readings, neutral)] == ["neutral", "neutral", "neutral"]


def test_fit_weights_give_each_dataset_the_same_total_and_balance_classes() -> None:
    y = np.array([0, 2, 2, 2, 1, 0, 0, 2])
    d = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    w = fit_weights(d, y, class_power=1.0)
    assert w[d == "a"].sum() == pytest.approx(w[d == "b"].sum()) == pytest.approx(4.0)
    a = w[d == "a"]
    assert a[0] == pytest.approx(3 * a[1])  # one negative weighs as much as the three positives
    assert np.allclose(fit_weights(d, y, 0.0), 1.0)


def test_fit_calibrator_learns_a_shift_and_zeroes_unused_features() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=600)
    probs = np.full((600, 3), 0.1)
    probs[np.arange(600), y] = 0.8
    # The readings say "negative" for what is really neutral: the calibrator must learn to map it back.
    shifted = np.where(
        y[:, None] == 1, np.array([0.8, 0.1, 0.1]) * (rng.random((600, 1)) * 0.1 + 0.95), probs
    )
    x = np.vstack([item_features(p[None, :], [10]) for p in shifted])
    x[:, 0] += np.where(y == 1, -0.3, 0.0)  # a difference the logistic regression can use
    cal = fit_calibrator(x, y, columns=FEATURE_SETS["whole"])
    assert (cal.coef[:, 3:] == 0).all()
    assert macro_f1(y, cal.predict_proba(x).argmax(1), n_labels=3) > 0.9
    with pytest.raises(ValueError, match="needs all of"):
        fit_calibrator(x[y != 1], y[y != 1])


def test_recipe_choice_prefers_lodo_then_fewer_features() -> None:
    rated = ("a", "b")

    def res(lodo: float, cv: float) -> dict[str, dict[str, float]]:
        return {"lodo": {"a": lodo, "b": lodo}, "cv": {"a": cv, "b": cv}}

    small, big = Recipe(features="whole"), Recipe(features="all")
    assert choose_recipe([(small, res(0.60, 0.60)), (big, res(0.62, 0.70))], rated) == big
    assert choose_recipe([(small, res(0.618, 0.60)), (big, res(0.62, 0.70))], rated) == small  # a tie
    assert Recipe.from_dict(big.as_dict()) == big


def test_best_two_cuts_matches_brute_force() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, size=60)
    score = y * 0.4 + rng.normal(0, 0.5, size=60)
    lo, hi, best = best_two_cuts(score, y)
    assert best == pytest.approx(macro_f1(y, cut_labels(score, lo, hi), n_labels=3))
    grid = np.r_[score.min() - 1, np.sort(score) + 1e-9]
    brute = max(
        macro_f1(y, cut_labels(score, a, b), n_labels=3)
        for a, b in itertools.combinations_with_replacement(grid, 2)
    )
    assert best == pytest.approx(brute)
    assert best >= macro_f1(y, cut_labels(score, 0.3, 0.5), n_labels=3)


def test_bootstrap_standard_errors_are_paired_and_shrink_with_n() -> None:
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, size=400)
    good = np.where(rng.random(400) < 0.8, y, rng.integers(0, 3, size=400))
    boot = bootstrap_macro_f1(y, [good, good], rounds=300)
    assert boot.shape == (300, 2) and np.allclose(boot[:, 0], boot[:, 1])  # same resamples: a zero difference
    assert 0.005 < boot[:, 0].std() < 0.05
    assert bootstrap_se(y[:100], good[:100], rounds=300) > bootstrap_se(y, good, rounds=300)


def test_complaint_precision_recall_and_their_errors() -> None:
    truth = np.array([1, 1, 1, 0, 0, 0, 1, 0], dtype=bool)
    pred = np.array([1, 1, 0, 1, 0, 0, 1, 0], dtype=bool)
    pr = precision_recall(truth, pred)
    assert (pr["precision"], pr["recall"]) == (0.75, 0.75) and pr["predicted"] == 4
    assert precision_recall(truth, np.zeros(8, dtype=bool))["precision"] == 0.0
    se = bootstrap_pr_se(truth, pred, rounds=200)
    assert 0 < se["precision"] < 0.5 and 0 < se["recall"] < 0.5


def test_mention_for_picks_the_covering_span_or_the_largest_overlap() -> None:
    starts, ends = [0, 9, 30], [8, 29, 40]
    assert mention_for(starts, ends, 10, 15) == 1
    assert mention_for(starts, ends, 5, 14) == 1  # crosses the cut: 3 characters before it, 5 after
    assert mention_for(starts, ends, 2, 10) == 0
    assert mention_for(starts, ends, 41, 45) == -1


def test_weak_labels_and_fixed_splits() -> None:
    assert [star_label(s) for s in (1, 2, 3, 4, 5, 6)] == [
        "negative",
        "negative",
        "neutral",
        "positive",
        "positive",
        None,
    ]
    assert [fft_label(c) for c in (1, 2, 3, 4, 5, 6, 7)] == [
        "positive",
        "positive",
        "neutral",
        "negative",
        "negative",
        None,
        None,
    ]
    assert star_label(float("nan")) is None
    assert text_key("  Great   App ") == "great app"
    df = pd.DataFrame(
        {"text": [f"review number {i}" for i in range(400)] + ["Review number 1 ", "", "fine &amp; dandy"],
         "rating": 5, "label": ["positive"] * 403}
    )  # fmt: skip
    a, b = split_rated(df), split_rated(df.sample(frac=1.0, random_state=0))
    assert len(a) == 401  # the repeat (case and spaces aside) and the empty text are gone
    assert "fine & dandy" in set(a["text"])
    assert 0.18 < (a["split"] == "test").mean() < 0.32
    assert a.set_index("text")["split"].to_dict() == b.set_index("text")["split"].to_dict()  # order-free
    assert set(a.loc[a["split"] == "test", "fold"]) == {-1} and set(
        a.loc[a["split"] == "train", "fold"]
    ) == set(range(5))
