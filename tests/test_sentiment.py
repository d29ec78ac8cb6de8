"""Sentiment logic that needs no model: aggregation, windows, labels, splits, metrics, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.errors import InputError, ModelError
from voc.eval.metrics import accuracy, confusion, format_confusion, macro_f1, macro_f1_rows, nmi
from voc.eval.sentiment import model_labels, vader_labels
from voc.nlp.sentiment import (
    LABELS,
    _label_order,
    active_model_dir,
    aggregate,
    join_sentences,
    load_sentiment_model,
    normalize_text,
    token_sentence,
    token_windows,
    window_starts,
)
from voc.train.data import (
    dedupe,
    normalise_labels,
    sentence_roots,
    split_sst_by_sentence,
    split_test,
    split_validation,
    word_spans,
)
from voc.train.ratings import weak_label
from voc.train.sentiment import (
    bias_held_out_gain,
    class_weights,
    fit_top,
    length_batches,
    predict_logits,
    tune_biases,
)

POS = [0.02, 0.08, 0.90]
NEG = [0.92, 0.05, 0.03]
NEU = [0.10, 0.80, 0.10]


def test_aggregate_all_positive() -> None:
    res = aggregate(np.array([POS, POS]), [30, 40])
    assert res.label == "positive"
    assert res.mixed is False
    assert 0.8 < res.score <= 1.0
    assert 0.0 < res.confidence <= 1.0


def test_aggregate_mixed_praise_and_complaint_is_flagged() -> None:
    # "the staff were lovely" / "but my refund is three weeks late": read alone and combined, the
    # complaint weighs double, so the item leans negative; `mixed` flags it either way.
    res = aggregate(np.array([POS, NEG]), [21, 33])
    assert res.mixed is True
    assert res.label == "negative"
    assert res.score < 0


def test_aggregate_negative_outweighs_polite_neutral_sentences() -> None:
    res = aggregate(np.array([NEU, NEU, NEG]), [40, 40, 30])
    assert res.label == "negative"
    assert res.mixed is False


def test_aggregate_takes_the_item_label_from_the_whole_text_reading() -> None:
    # Out of context, a factual sentence can read as a complaint; the whole item says otherwise.
    sentences = np.array([[0.7, 0.2, 0.1], [0.2, 0.5, 0.3]])
    assert aggregate(sentences, [25, 10]).label == "negative"
    item = aggregate(sentences, [25, 10], whole=np.array([0.1, 0.2, 0.7]))
    assert item.label == "positive" and item.score == pytest.approx(0.6) and not item.mixed
    # Strong praise next to a strong complaint is flagged mixed; the label stays the overall tone (since
    # session 11 a mixed item is no longer forced negative: its complaint is found at the mention level).
    both = aggregate(
        np.array([[0.05, 0.05, 0.9], [0.9, 0.05, 0.05]]), [20, 20], whole=np.array([0.1, 0.1, 0.8])
    )
    assert both.mixed and both.label == "positive"


def test_aggregate_an_explicit_contrast_read_side_by_side_is_mixed() -> None:
    # In context both clauses of "lovely but my refund is late" read negative; on their own they disagree.
    in_context = np.array([[0.7, 0.1, 0.2], [0.95, 0.04, 0.01]])
    whole = np.array([0.9, 0.05, 0.05])
    assert not aggregate(in_context, [21, 33], whole=whole).mixed
    res = aggregate(in_context, [21, 33], whole=whole, contrast=[(0.98, -0.99)])
    assert res.mixed and res.label == "negative"  # the whole reading is negative here
    assert not aggregate(in_context, [21, 33], whole=whole, contrast=[(0.3, -0.99)]).mixed


def test_aggregate_weak_opinions_are_not_mixed() -> None:
    mild_pos, mild_neg = [0.2, 0.4, 0.4], [0.45, 0.4, 0.15]
    assert aggregate(np.array([mild_pos, mild_neg]), [20, 20]).mixed is False


def test_aggregate_no_sentences_is_neutral_with_zero_confidence() -> None:
    res = aggregate(np.zeros((0, 3)), [])
    assert (res.label, res.score, res.confidence, res.mixed) == ("neutral", 0.0, 0.0, False)


def test_aggregate_score_in_range() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = rng.dirichlet(np.ones(3), size=rng.integers(1, 6))
        res = aggregate(p, rng.integers(1, 200, size=len(p)))
        assert -1.0 <= res.score <= 1.0
        assert res.label in LABELS


def test_token_windows_cover_everything_without_truncation() -> None:
    ids = list(range(1000))
    wins = token_windows(ids, size=126, stride=94)
    assert all(len(w) <= 126 for w in wins)
    assert sorted(set().union(*map(set, wins))) == ids
    assert wins[0][0] == 0 and wins[-1][-1] == 999
    assert token_windows([1, 2, 3], 126, 94) == [[1, 2, 3]]
    assert token_windows([], 126, 94) == [[]]


def test_join_sentences_and_token_sentence_map_tokens_to_their_sentence() -> None:
    text, bounds = join_sentences(["Hi @acme!", "Bag lost http://x.y ."])
    assert text == "Hi @user! Bag lost http ." and bounds == [(0, 9), (10, 25)]
    offsets = [(0, 2), (3, 4), (4, 8), (8, 9), (10, 13), (14, 18), (19, 23), (24, 25), (0, 0)]
    assert token_sentence(offsets, bounds).tolist() == [0, 0, 0, 0, 1, 1, 1, 1, -1]
    assert window_starts(5, 10, 7) == [0] and window_starts(25, 10, 7) == [0, 7, 14, 21]
    assert [len(w) for w in token_windows(list(range(25)), 10, 7)] == [10, 10, 10, 4]


def test_normalize_text() -> None:
    assert normalize_text("@united  my bag\nis lost http://t.co/x") == "@user my bag is lost http"
    assert normalize_text("") == ""


def test_normalize_text_names_emoji_the_encoder_cannot_read() -> None:
    # MiniLM's vocabulary maps every emoji to [UNK]; their names carry the sentiment.
    assert (
        normalize_text("great crew \U0001f44d but my bag \U0001f621")
        == "great crew thumbs up but my bag enraged face"
    )
    # A variation selector (U+FE0F) is part of the emoji, not a character of its own.
    assert normalize_text("love it \u2764\ufe0f\u2708\ufe0f") == "love it red heart airplane"
    assert normalize_text("café crème, naïve") == "café crème, naïve"  # accents are not emoji


def test_hub_label_mapping() -> None:
    assert _label_order({0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"}) == [0, 1, 2]
    assert _label_order({0: "positive", 1: "negative", 2: "neutral"}) == [1, 2, 0]
    assert _label_order({0: "NEGATIVE", 1: "POSITIVE"}) == [0, -1, 1]
    with pytest.raises(ModelError, match="cannot map"):
        _label_order({0: "joy", 1: "anger"})


def test_missing_model_path_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError) as err:
        load_sentiment_model(str(missing))
    assert str(missing) in str(err.value)
    assert "sentiment.model" in str(err.value)
    with pytest.raises(ModelError, match="does not exist"):
        load_sentiment_model("./models/typo")


def test_folder_without_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match=r"no config\.json"):
        load_sentiment_model(str(tmp_path))


def test_missing_default_model_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOC_SENTIMENT_MODEL_DIR", str(tmp_path / "gone"))
    load_sentiment_model.cache_clear()
    try:
        with pytest.raises(ModelError, match="default sentiment model is missing"):
            load_sentiment_model("default")
    finally:
        load_sentiment_model.cache_clear()


def test_active_marker_selects_adapted_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = tmp_path / "shipped"
    monkeypatch.setenv("VOC_SENTIMENT_MODEL_DIR", str(shipped))
    assert active_model_dir(tmp_path) == shipped
    adapted = tmp_path / "models" / "sentiment-adapted"
    (adapted / "ratings-1").mkdir(parents=True)
    (adapted / "ACTIVE").write_text("ratings-1\n")
    assert active_model_dir(tmp_path) == shipped  # named folder has no model yet
    (adapted / "ratings-1" / "config.json").write_text("{}")
    assert active_model_dir(tmp_path) == adapted / "ratings-1"


def test_weak_labels_from_ratings() -> None:
    assert [weak_label(r, "stars") for r in (1, 2, 3, 4, 5)] == ["negative"] * 2 + ["neutral"] + [
        "positive"
    ] * 2
    assert [weak_label(r, "nps") for r in (0, 6, 7, 8, 9, 10)] == ["negative"] * 2 + ["neutral"] * 2 + [
        "positive"
    ] * 2
    assert weak_label(3, "csat") == "neutral"
    assert weak_label(None, "stars") is None
    assert weak_label(4, None) is None


def test_test_split_is_fixed_disjoint_and_deduplicated() -> None:
    df = pd.DataFrame(
        {
            "id": [str(i) for i in range(400)] + ["5", "399x"],
            "text": [f"text {i}" for i in range(400)] + ["dup id", "Text 3 "],
        }
    )
    train, test = split_test(df, "id", "text")
    assert len(train) + len(test) == 400  # the repeated id and the repeated text are gone
    assert not set(train["id"]) & set(test["id"])
    assert 0.12 < len(test) / 400 < 0.28
    _train2, test2 = split_test(df.sample(frac=1.0, random_state=1), "id", "text")
    assert set(test2["id"]) == set(test["id"])  # the split depends on the id only, not on row order
    fit, val = split_validation(train, "id")
    assert len(fit) + len(val) == len(train) and not set(fit["id"]) & set(val["id"])
    # The ten validation folds partition TRAIN, and fold 0 is the default split.
    folds = [split_validation(train, "id", fold=k) for k in range(10)]
    assert folds[0][1]["id"].tolist() == val["id"].tolist()
    held = [set(v["id"]) for _f, v in folds]
    assert sum(len(h) for h in held) == len(train) and set().union(*held) == set(train["id"])
    assert all(len(f) + len(v) == len(train) for f, v in folds)
    with pytest.raises(ValueError, match="fold must be between 0 and 9"):
        split_validation(train, "id", fold=10)
    assert len(dedupe(df, None, "text")) == 401


def _treebank(n_sentences: int) -> pd.DataFrame:
    """SST-2-like rows: each sentence with its own phrases as separate rows, plus one phrase many share."""
    rows = []
    for i in range(n_sentences):
        words = f"film {i} was a quiet w{i} of x{i} and y{i}".split()
        rows += [" ".join(words), " ".join(words[2:]), " ".join(words[5:]), f"w{i} of x{i}"]
    rows.append("was a quiet")  # inside every sentence
    return pd.DataFrame({"text": rows, "label": "positive"})


def test_sentence_roots_are_the_texts_no_other_text_contains() -> None:
    assert word_spans(["a", "b", "c"], proper=True) == ["a", "a b", "b", "b c", "c"]
    df = _treebank(3)
    roots = sentence_roots(df["text"].tolist())
    assert df.loc[roots, "text"].tolist() == [f"film {i} was a quiet w{i} of x{i} and y{i}" for i in range(3)]


def test_sst_validation_shares_no_sentence_with_fit() -> None:
    df = _treebank(200)
    fit, val = split_sst_by_sentence(df, fraction=0.2)
    assert 20 < len(val) < 60 and set(val["text"]) <= set(df.loc[sentence_roots(df["text"].tolist()), "text"])
    held = {f"w{v.split()[1]}" for v in val["text"]}  # every phrase of sentence i holds the word "w<i>"
    # No phrase of a held-out sentence trains, and the phrase shared with held-out sentences is dropped too.
    assert not [t for t in fit["text"] if held & set(t.split())]
    assert "was a quiet" not in set(fit["text"])
    # Everything else trains: 4 rows per kept sentence.
    assert len(fit) == 4 * (200 - len(val))
    fit2, val2 = split_sst_by_sentence(df.sample(frac=1.0, random_state=3), fraction=0.2)
    assert set(val2["text"]) == set(val["text"]) and set(fit2["text"]) == set(fit["text"])


def test_label_normalisation() -> None:
    out = normalise_labels(pd.Series(["0", "1", "Negative", "neutral", " POSITIVE", "-1"]))
    assert out.tolist() == ["negative", "positive", "negative", "neutral", "positive", "negative"]
    with pytest.raises(InputError, match="unknown sentiment label"):
        normalise_labels(pd.Series(["meh"]))


def test_metrics() -> None:
    y = ["negative", "negative", "neutral", "positive"]
    p = ["negative", "neutral", "neutral", "positive"]
    assert accuracy(y, p) == 0.75
    assert macro_f1(y, p, labels=list(LABELS)) == pytest.approx((2 / 3 + 2 / 3 + 1) / 3)
    m = confusion(y, p, list(LABELS))
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]
    assert "negative" in format_confusion(m, list(LABELS))
    assert nmi([0, 0, 1, 1], [1, 1, 0, 0]) == pytest.approx(1.0)
    from sklearn.metrics import confusion_matrix, f1_score

    rng = np.random.default_rng(1)
    yt, yp = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    yp[:5] = 0
    assert macro_f1(yt, yp, n_labels=4) == pytest.approx(
        f1_score(yt, yp, labels=[0, 1, 2, 3], average="macro", zero_division=0)
    )
    assert (confusion(yt, yp, [0, 1, 2]) == confusion_matrix(yt, yp, labels=[0, 1, 2])).all()
    with pytest.raises(ValueError):
        accuracy([1], [1, 2])


def test_vader_and_binary_mapping() -> None:
    assert vader_labels(np.array([0.5, 0.01, -0.3]), binary=False) == ["positive", "neutral", "negative"]
    assert vader_labels(np.array([0.0, -0.01]), binary=True) == ["positive", "negative"]
    probs = np.array([[0.3, 0.5, 0.2], [0.1, 0.6, 0.3]])
    assert model_labels(probs, binary=True) == ["negative", "positive"]
    assert model_labels(probs, binary=False) == ["neutral", "neutral"]


def test_training_helpers() -> None:
    y = np.array([0] * 60 + [1] * 25 + [2] * 15)
    w = class_weights(y)
    assert w[2] > w[1] > w[0]
    assert w[y].mean() == pytest.approx(1.0)
    batches = length_batches(np.arange(100) % 17, 8, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(100))
    logits = np.array([[2.0, 1.8, 0.0], [2.0, 1.9, 0.0], [0.0, 0.0, 3.0]])
    bias = tune_biases(logits, np.array([1, 1, 2]))
    assert ((logits + bias).argmax(1) == [1, 1, 2]).all()


def _tiny_top(seed: int = 0) -> object:
    """A stand-in for TopClassifier with the same interface (layers, head, forward(h, mask))."""
    import torch

    torch.manual_seed(seed)

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = torch.nn.Linear(4, 4)
            self.head = torch.nn.Linear(4, 3)

        def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            pooled = (h * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
            return self.head(torch.tanh(self.layers(pooled)))

    return Tiny()


@pytest.mark.parametrize("binary", [True, False])
def test_binary_rows_train_polarity_and_leave_the_neutral_logit_alone(binary: bool) -> None:
    rng = np.random.default_rng(0)
    y = np.array([0, 2] * 40)
    states = [(rng.normal(size=(3, 4)) + (1.5 if lab == 2 else -1.5)).astype(np.float16) for lab in y]
    model = _tiny_top()
    neutral_before = model.head.weight[1].detach().clone()
    fit_top(
        model, states, y, np.ones(len(y)), epochs=5, batch_size=8, lr=1e-2, head_lr=1e-2, weight_decay=0.0,
        seed=0, val={}, select=lambda rep: 0.0, binary=np.full(len(y), binary),
    )  # fmt: skip
    logits = predict_logits(model, states)
    assert accuracy(y, np.where(logits[:, 2] > logits[:, 0], 2, 0)) >= 0.95
    moved = float((model.head.weight[1] - neutral_before).abs().max())
    # Two-way rows give the neutral row of the head no gradient; three-way targets push it down.
    assert (moved == 0.0) if binary else (moved > 1e-3)


@pytest.mark.parametrize("soft_weight", [0.0, 1.0])
def test_teacher_probabilities_are_targets_in_proportion_to_their_weight(soft_weight: float) -> None:
    rng = np.random.default_rng(0)
    y = np.array([0, 2] * 40)
    states = [(rng.normal(size=(3, 4)) + (1.5 if lab == 2 else -1.5)).astype(np.float16) for lab in y]
    # A teacher that disagrees with every label: it calls the negatives neutral.
    teacher = np.where((y == 0)[:, None], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9])
    model = _tiny_top()
    fit_top(
        model, states, y, np.ones(len(y)), epochs=8, batch_size=8, lr=3e-2, head_lr=3e-2, weight_decay=0.0,
        seed=0, val={}, select=lambda rep: 0.0, soft=teacher, soft_weight=soft_weight,
    )  # fmt: skip
    pred = predict_logits(model, states).argmax(1)
    followed = teacher.argmax(1) if soft_weight else y
    assert accuracy(followed, pred) >= 0.95


def test_vectorised_macro_f1_matches_the_metric() -> None:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 200)
    preds = rng.integers(0, 3, (5, 200))
    preds[0] = np.where(preds[0] == 2, 0, preds[0])  # a class never predicted
    expected = [macro_f1(y, p, n_labels=3) for p in preds]
    assert macro_f1_rows(preds, y, 3) == pytest.approx(expected)
    assert macro_f1_rows(y[None], y, 3)[0] == pytest.approx(1.0)


def test_bias_check_keeps_a_real_shift_and_rejects_noise() -> None:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 1000)
    # Informative logits whose neutral column is systematically 1.0 too low: a bias that carries over.
    shifted = np.eye(3)[y] * 1.5 + rng.normal(size=(1000, 3)) - np.array([0.0, 1.0, 0.0])
    assert bias_held_out_gain(shifted, y, rounds=5) > 0.02
    # Logits that say nothing about the labels: any tuned bias only fits the half it saw.
    noise = rng.normal(size=(1000, 3)) * 0.01
    assert bias_held_out_gain(noise, y, rounds=5) <= 0.0
