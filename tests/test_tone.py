"""The tone reader of reviews and surveys (voc.nlp.tone): loading, the shared pass, the stage, training rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from voc.config import SentimentConfig, default_config
from voc.errors import ModelError
from voc.nlp.sentiment import LABELS, load_sentiment_model

pytestmark = pytest.mark.model

REVIEW = "I love the sound and the setup was easy. The strap broke after a week."


def _tone_folder(tmp_path: Path, *, neutral: bool = False) -> Path:
    """A voc-toplayers folder (2 untrained top layers) with a 1-layer tone reader branching after the first."""
    import torch

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.tone import KIND, TONE_META, TONE_WEIGHTS
    from voc.nlp.toplayers import TopClassifier, load_base

    torch.manual_seed(0)
    _tok, base = load_base(str(default_encoder_path()))
    folder = tmp_path / "model"
    TopClassifier(base, 4, 3).save(
        folder, {"kind": "voc-toplayers", "labels": list(LABELS), "bias": [0, 0, 0]}
    )
    tone = TopClassifier(base, 5, 3)
    if neutral:  # a reader that says neutral whatever it reads
        with torch.no_grad():
            tone.head.weight.zero_()
            tone.head.bias.copy_(torch.tensor([0.0, 9.0, 0.0]))
    tone.save(folder, None, file=TONE_WEIGHTS)
    meta = {"kind": KIND, "labels": list(LABELS), "shared": 1, "applies_to": ["review", "survey"]}
    (folder / TONE_META).write_text(json.dumps(meta))
    return folder


def _fp32(folder: Path):
    load_sentiment_model.cache_clear()
    model = load_sentiment_model(str(folder))
    model.precision = "fp32"
    return model


def test_tone_branches_off_the_shared_pass_without_changing_the_mentions(tmp_path: Path) -> None:
    from voc.nlp.sentiment import join_sentences
    from voc.nlp.stage import read_texts

    model = _fp32(_tone_folder(tmp_path))
    assert model.tone is not None and model.tone.shared == 1
    texts = [REVIEW, "Works great.", "Thanks, sorted now."]
    plain, vecs = read_texts(model, texts, with_embeddings=True)
    toned, vecs_t = read_texts(model, texts, with_embeddings=True, tone=[True, True, False])
    assert [r.tone for r in toned] == [True, True, False]
    for a, b in zip(plain, toned, strict=True):  # mentions and theme vectors are the sentence model's
        np.testing.assert_allclose(a.probs, b.probs, atol=1e-5)
    np.testing.assert_allclose(vecs, vecs_t, atol=1e-5)
    # A several-mention item's tone reads its joined mentions; a one-mention item's, its mention.
    joined = join_sentences([s.text for s in toned[0].spans])[0]
    np.testing.assert_allclose(toned[0].whole, model.predict_tone([joined]).probs[0], atol=1e-5)
    np.testing.assert_allclose(toned[1].whole, model.predict_tone(["Works great."]).probs[0], atol=1e-5)
    assert toned[2].whole is None and plain[0].whole is not None
    alone, _ = read_texts(model, ["Works great."], tone=[True])  # a batch the reader reads whole
    np.testing.assert_allclose(alone[0].whole, toned[1].whole, atol=1e-5)
    # The tone reader differs from the sentence model's whole reading (its own layer and head).
    assert not np.allclose(toned[0].whole, plain[0].whole, atol=1e-3)


def test_stage_reads_reviews_with_the_tone_reader_and_tickets_with_the_model(
    mem_store, tmp_path: Path
) -> None:
    from voc.nlp.calibrate import FEATURES, ItemCalibrator
    from voc.nlp.stage import enrich_sentiment
    from voc.schema import FeedbackRecord

    folder = _tone_folder(tmp_path, neutral=True)
    d = len(FEATURES)  # a calibrator beside it that would say positive: the tone reader takes precedence
    ItemCalibrator(FEATURES, np.zeros(d), np.ones(d), np.zeros((3, d)), np.array([0.0, 0.0, 9.0]),
                   {"applies_to": ["review", "survey"]}).save(folder / "item_calibrator.json")  # fmt: skip
    cfg = default_config(tmp_path)
    cfg = cfg.model_copy(update={"sentiment": SentimentConfig(model=str(folder)),
                                 "encoder": cfg.encoder.model_copy(update={"precision": "fp32"})})  # fmt: skip
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        ("r", REVIEW, "review"),
        ("s", "Thank you!", "survey"),
        ("k", "The strap broke after a week.", "ticket"),
    ]
    mem_store.commit_batch("t", [FeedbackRecord(id=f"t:{k}", source="t", external_id=k, kind=kind, created_at=t0,
                                                updated_at=t0, text=v) for k, v, kind in rows], [])  # fmt: skip
    load_sentiment_model.cache_clear()
    out = enrich_sentiment(mem_store, cfg, progress=False)
    assert out["items"] == 3 and out["calibrated_items"] == 2 and out["item_reader"] == "tone"
    items = mem_store.query("SELECT * FROM item_sentiment").set_index("item_id")
    assert items.loc["t:r", "label"] == items.loc["t:s", "label"] == "neutral"
    model = _fp32(folder)
    assert (
        f"+tone:{model.tone.digest}" in items.loc["t:r", "model"] and "+cal:" not in items.loc["t:r", "model"]
    )
    raw = model.predict(["The strap broke after a week."]).probs[0]
    assert items.loc["t:k", "score"] == pytest.approx(float(raw[2] - raw[0]), abs=1e-4)  # the model's reading
    mentions = mem_store.query("SELECT * FROM sentence_sentiment WHERE item_id = 't:r'")
    assert len(mentions) == 2 and not mentions["confidence"].gt(0.99).all()  # mentions keep their reading
    off = cfg.model_copy(update={"sentiment": cfg.sentiment.model_copy(update={"item_calibration": False})})
    assert enrich_sentiment(mem_store, off, progress=False)["item_reader"] == "model"
    assert "+tone:" not in mem_store.query("SELECT model FROM item_sentiment")["model"].iloc[0]


def test_a_broken_tone_reader_names_the_file_and_the_fix(tmp_path: Path) -> None:
    from voc.nlp.tone import TONE_META, TONE_WEIGHTS

    folder = _tone_folder(tmp_path)
    (folder / TONE_WEIGHTS).unlink()
    load_sentiment_model.cache_clear()
    with pytest.raises(ModelError, match=r"E429.*tone_top.safetensors is missing"):
        load_sentiment_model(str(folder))
    (folder / TONE_META).write_text(json.dumps({"kind": "something-else"}))
    load_sentiment_model.cache_clear()
    with pytest.raises(ModelError, match=r"E428.*not a tone reader"):
        load_sentiment_model(str(folder))
    (folder / TONE_META).write_text("{broken")
    load_sentiment_model.cache_clear()
    with pytest.raises(ModelError, match=r"E427.*cannot read the tone reader"):
        load_sentiment_model(str(folder))
    (folder / TONE_META).unlink()
    load_sentiment_model.cache_clear()
    model = load_sentiment_model(str(folder))
    assert model.tone is None
    with pytest.raises(ModelError, match="E431"):
        model.predict_tone(["x"])


def test_training_rows_weigh_every_dataset_alike_and_balance_its_classes() -> None:
    from voc.train.tone import _Set, _training_rows

    def one(labels: list[int], windows: list[int], folds: list[int], two_way: bool = False) -> _Set:
        owner = np.repeat(np.arange(len(labels)), windows)
        states = [np.zeros((3, 4), dtype=np.float16) for _ in owner]
        split = np.array(["train"] * len(labels))
        return _Set(states, owner, np.array(labels), split, np.array(folds), two_way)

    # "big": 90% positive, one review of three windows; "small": two reviews, one in validation fold 0.
    sets = {
        "big": one([2] * 9 + [0], [1] * 8 + [3, 1], [1] * 10),
        "small": one([0, 2, 1], [1, 1, 1], [1, 2, 0]),
        "left": one([0, 1], [1, 1], [1, 1]),
        "sentences": one([0, 2, 2, 2], [1, 1, 1, 1], [1, 1, 1, 1], two_way=True),
    }
    states, y, w, two_way = _training_rows(sets, leave="left")
    # Validation fold 0 and the left-out set are not fitted.
    assert len(states) == len(y) == len(w) == len(two_way) == 12 + 2 + 4
    big, small, sentences = w[:12], w[12:14], w[14:]
    assert big.sum() == pytest.approx(small.sum()) == pytest.approx(sentences.sum())  # datasets weigh alike
    # Only the two-way set's rows train negative-vs-positive alone.
    assert not two_way[:14].any() and two_way[14:].all()
    assert sentences[y[14:] == 0].sum() == pytest.approx(sentences[y[14:] == 2].sum())
    # Classes balanced inside a dataset: the one negative review weighs as much as the nine positive ones.
    assert big[y[:12] == 0].sum() == pytest.approx(big[y[:12] == 2].sum())
    # A review's three windows share its weight.
    assert w[8] == pytest.approx(w[0] / 3) and w[10] == pytest.approx(w[8])


def test_validation_line_reports_accuracy_for_two_way_sets() -> None:
    from voc.train.tone import validation_line

    line = validation_line({"amazon": {"accuracy": 0.9, "macro_f1": 0.65}, "sst2": {"accuracy": 0.871}})
    assert line == "validation fold 0: amazon macro-F1 0.650, sst2 accuracy 0.871"
