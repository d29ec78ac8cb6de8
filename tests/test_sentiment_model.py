"""Sentiment models on real weights: loading kinds, long text, the shared encoder pass, the stage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.config import default_config
from voc.config.sentiment import SentimentConfig
from voc.nlp.sentiment import LABELS, HFSentiment, TopLayersSentiment, load_sentiment_model

pytestmark = pytest.mark.model

LONG = " ".join(["The delivery was late again and nobody answered my emails about the missing parcel."] * 40)


@pytest.fixture(scope="module")
def top_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A voc-toplayers artifact with untrained top layers (plumbing only, not quality)."""
    import torch

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base

    torch.manual_seed(0)
    _tok, base = load_base(str(default_encoder_path()))
    folder = tmp_path_factory.mktemp("top")
    TopClassifier(base, 4, 3).save(
        folder, {"kind": "voc-toplayers", "labels": list(LABELS), "bias": [0, 0, 0]}
    )
    return folder


@pytest.fixture(scope="module")
def hf_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small sequence-classification model in HF format, saved from the packaged encoder (1 layer)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from voc.nlp.encoder import default_encoder_path

    src = str(default_encoder_path())
    folder = tmp_path_factory.mktemp("hf")
    model = AutoModelForSequenceClassification.from_pretrained(
        src, num_labels=3, num_hidden_layers=1, id2label={0: "positive", 1: "negative", 2: "neutral"},
        label2id={"positive": 0, "negative": 1, "neutral": 2},
    )  # fmt: skip
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(src).save_pretrained(folder)
    return folder


def test_local_hf_folder_loads_with_its_label_mapping(hf_model_dir: Path) -> None:
    model = load_sentiment_model(str(hf_model_dir))
    assert isinstance(model, HFSentiment)
    assert model.order == [1, 2, 0]  # negative, neutral, positive columns of this model
    pred = model.predict(["great service", "", "terrible"])
    assert pred.probs.shape == (3, 3)
    assert np.allclose(pred.probs.sum(1), 1.0, atol=1e-5)
    assert all(lab in LABELS for lab in pred.labels)
    assert ((pred.scores >= -1) & (pred.scores <= 1)).all()


def test_long_text_is_windowed_not_truncated(hf_model_dir: Path) -> None:
    model = load_sentiment_model(str(hf_model_dir))
    original = model.max_length
    model.max_length = 32
    windows, owner = model._windows([LONG, "short"])
    n_tokens = len(model.tok(LONG, add_special_tokens=False)["input_ids"])
    assert n_tokens > 32 * 10
    assert (owner == 0).sum() >= n_tokens // 30  # every token lands in some window
    assert all(len(w) <= 32 for w in windows)
    assert (owner == 1).sum() == 1
    pred = model.predict([LONG, "short"])
    assert pred.probs.shape == (2, 3)
    model.max_length = original


def test_top_layers_model_and_shared_pass_match_the_encoder(top_model_dir: Path) -> None:
    from voc.nlp.encoder import encode

    model = load_sentiment_model(str(top_model_dir))
    assert isinstance(model, TopLayersSentiment)
    model.precision = "fp32"  # exactness is a float32 property; bf16 is checked separately below
    try:
        # A handle and a URL: both paths see the normalised text, so the vectors still agree.
        texts = ["the staff were lovely", "@acme my refund http://x.y/1 is three weeks late", "", LONG]
        pred, vecs = model.predict_with_embeddings(texts)
        assert np.allclose(pred.probs, model.predict(texts).probs, atol=1e-5)
        assert np.allclose(
            vecs[:2], encode(texts[:2], precision="fp32"), atol=1e-5
        )  # exactly the theme embedding
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
        _windows, owner = model._windows(texts)
        assert (owner == 3).sum() > 1  # the long text was cut into windows
    finally:
        model.precision = "auto"


def test_bf16_inference_stays_close_to_fp32(top_model_dir: Path) -> None:
    from voc.nlp.encoder import encode

    model = load_sentiment_model(str(top_model_dir))
    texts = ["the staff were lovely", "my refund is three weeks late and nobody answers", "ok", LONG[:400]]
    model.precision = "fp32"
    p32, v32 = model.predict_with_embeddings(texts)
    model.precision = "bf16"
    try:
        p16, v16 = model.predict_with_embeddings(texts)
    finally:
        model.precision = "auto"
    assert (v16.dtype, p16.probs.dtype) == (np.float32, np.float32)
    assert np.einsum("ij,ij->i", v32, v16).min() > 0.999
    assert np.abs(p32.probs - p16.probs).max() < 0.05
    e16 = encode(texts, precision="bf16")
    assert np.einsum("ij,ij->i", encode(texts, precision="fp32"), e16).min() > 0.999


def _records(texts: dict[str, str], when: datetime, kind: str = "review") -> list:
    from voc.schema import FeedbackRecord

    return [
        FeedbackRecord(
            id=f"t:{k}",
            source="t",
            external_id=k,
            kind=kind,
            created_at=when,
            updated_at=when,
            text=v,
            rating=4,
            rating_scale="stars",
        )
        for k, v in texts.items()
    ]


def test_stage_writes_tables_and_is_incremental(mem_store, top_model_dir: Path, tmp_path: Path) -> None:
    from voc.nlp.stage import enrich_sentiment

    cfg = default_config(tmp_path).model_copy(update={"sentiment": SentimentConfig(model=str(top_model_dir))})
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    texts = {
        "1": "The staff were lovely but my refund is three weeks late.",
        "2": "",
        "3": LONG,
        "4": "@acme ok http://x.y",
    }
    mem_store.commit_batch("t", _records(texts, t0), [])
    out = enrich_sentiment(mem_store, cfg, progress=False)
    assert out["items"] == 4
    items = mem_store.query("SELECT * FROM item_sentiment ORDER BY item_id")
    assert len(items) == 4 and set(items["label"]) <= set(LABELS)
    assert items["score"].between(-1, 1).all()
    sents = mem_store.query("SELECT * FROM sentences ORDER BY item_id, sent_idx")
    scored = mem_store.query("SELECT * FROM sentence_sentiment")
    assert len(sents) == len(scored) == out["sentences"]
    assert sents.loc[sents.item_id == "t:1", "text"].tolist() == [
        "The staff were lovely", "but my refund is three weeks late."
    ]  # fmt: skip
    assert (sents.item_id == "t:2").sum() == 0  # empty text: an item row, no sentences
    assert items.set_index("item_id").loc["t:2", "confidence"] == 0.0
    assert (sents.item_id == "t:3").sum() == 40  # long text: every sentence kept
    # The same pass filled the themes' embedding cache with every distinct sentence (all fit one
    # window here), the @handle/URL one too, since both paths normalise the text.
    cached = mem_store.query("SELECT count(*) AS n FROM embeddings")["n"][0]
    assert cached == out["shared_embeddings"] == sents["text"].nunique()
    assert enrich_sentiment(mem_store, cfg, progress=False)["items"] == 0  # idempotent
    alone = cfg.model_copy(
        update={"sentiment": cfg.sentiment.model_copy(update={"sentences_in_context": False})}
    )
    assert enrich_sentiment(mem_store, alone, progress=False)["items"] == 4  # another reading: rescored
    assert enrich_sentiment(mem_store, cfg, progress=False)["items"] == 4  # and back
    # As the themes stage would have left it: one mention row per sentence.
    mem_store.write_frame("mentions", sents[["item_id", "sent_idx"]].assign(theme_id="T0001", score=0.5))
    later = datetime(2026, 2, 1, tzinfo=UTC)
    mem_store.commit_batch("t", _records({"1": "Great."}, later), [])
    again = enrich_sentiment(mem_store, cfg, progress=False)
    assert again["items"] == 1
    assert mem_store.query("SELECT count(*) AS n FROM sentences WHERE item_id = 't:1'")["n"][0] == 1
    # The updated item's mentions are dropped so its new sentence is themed afresh; the others stay.
    left = mem_store.query("SELECT item_id, count(*) AS n FROM mentions GROUP BY 1").set_index("item_id")["n"]
    assert "t:1" not in left.index and left["t:3"] == 40


def test_stage_calibrates_reviews_and_surveys_and_leaves_tickets_to_the_model(
    mem_store, top_model_dir: Path, tmp_path: Path
) -> None:
    import shutil

    from voc.nlp.calibrate import FEATURES, ItemCalibrator
    from voc.nlp.stage import enrich_sentiment

    folder = tmp_path / "model"
    shutil.copytree(top_model_dir, folder)
    d = len(FEATURES)  # a calibrator that says neutral whatever it reads
    cal = ItemCalibrator(FEATURES, np.zeros(d), np.ones(d), np.zeros((3, d)), np.array([0.0, 9.0, 0.0]),
                         {"applies_to": ["review", "survey"]})  # fmt: skip
    cal.save(folder / "item_calibrator.json")
    cfg = default_config(tmp_path)
    # float32 on every CPU: the score is compared with the model read alone, and bf16 pads differently.
    cfg = cfg.model_copy(update={"sentiment": SentimentConfig(model=str(folder)),
                                 "encoder": cfg.encoder.model_copy(update={"precision": "fp32"})})  # fmt: skip
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    texts = {"r": "I love it. The strap broke after a week.", "s": "Thank you!"}
    mem_store.commit_batch("t", _records(texts, t0, "review"), [])
    mem_store.commit_batch("t", _records({"k": "The strap broke after a week."}, t0, "ticket"), [])
    out = enrich_sentiment(mem_store, cfg, progress=False)
    assert out["items"] == 3 and out["calibrated_items"] == 2
    items = mem_store.query("SELECT * FROM item_sentiment").set_index("item_id")
    assert items.loc["t:r", "label"] == items.loc["t:s", "label"] == "neutral"
    assert items.loc["t:r", "confidence"] > 0.99 and f"+cal:{cal.digest}" in items.loc["t:r", "model"]
    model = load_sentiment_model(str(folder))
    model.precision = "fp32"
    raw = model.predict(["The strap broke after a week."]).probs[0]
    assert items.loc["t:k", "score"] == pytest.approx(float(raw[2] - raw[0]), abs=1e-4)  # the model's reading
    # Mentions keep the model's own reading either way.
    mentions = mem_store.query("SELECT * FROM sentence_sentiment WHERE item_id = 't:r' ORDER BY sent_idx")
    assert len(mentions) == 2 and not mentions["confidence"].gt(0.99).all()
    off = cfg.model_copy(update={"sentiment": cfg.sentiment.model_copy(update={"item_calibration": False})})
    assert enrich_sentiment(mem_store, off, progress=False)["items"] == 3  # another reading: rescored
    assert "+cal:" not in mem_store.query("SELECT model FROM item_sentiment")["model"].iloc[0]


def test_a_large_backlog_scored_in_a_worker_process_stores_the_same_rows(
    top_model_dir: Path, tmp_path: Path
) -> None:
    from voc.nlp.stage import enrich_sentiment
    from voc.store import DuckDBStore

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    texts = {str(i): t for i, t in enumerate(
        ["The staff were lovely but my refund is three weeks late.", "", LONG, "@acme ok http://x.y",
         "Great. Another delay.", "Thank you!", "Still waiting for my refund."]
    )}  # fmt: skip
    rows = {}
    for worker_from in (0, 1):  # never / always in a worker; chunks of 2 items keep several chunks in flight
        sent = SentimentConfig(model=str(top_model_dir), chunk_items=2, worker_from_items=worker_from)
        cfg = default_config(tmp_path).model_copy(update={"sentiment": sent})
        with DuckDBStore(str(tmp_path / f"w{worker_from}.duckdb")) as store:
            store.commit_batch("t", _records(texts, t0), [])
            out = enrich_sentiment(store, cfg, progress=False)
            rows[worker_from] = (
                out["items"], out["sentences"], out["shared_embeddings"],
                store.query("SELECT * FROM item_sentiment ORDER BY item_id"),
                store.query("SELECT * FROM sentence_sentiment ORDER BY item_id, sent_idx"),
            )  # fmt: skip
    (n0, s0, e0, items0, sents0), (n1, s1, e1, items1, sents1) = rows[0], rows[1]
    assert (n0, s0, e0) == (n1, s1, e1) == (7, len(sents0), e0) and n0 == 7
    pd.testing.assert_frame_equal(items0, items1, atol=1e-5)
    pd.testing.assert_frame_equal(sents0, sents1, atol=1e-5)


def test_shipped_default_model_mixed_review() -> None:
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.complaints import carries_complaint
    from voc.nlp.stage import score_texts

    model = load_sentiment_model("default")
    assert isinstance(model, TopLayersSentiment)
    texts = [
        "the staff were lovely but my refund is three weeks late", "Thank you, the crew was fantastic!",
        "My bag is lost and nobody answers the phone.", "The staff were lovely. My refund is three weeks late.",
        "Great hotel. The breakfast was cold. Staff were lovely.",
    ]  # fmt: skip
    _spans, probs, items, _ = score_texts(model, texts)
    labels = [[LABELS[i] for i in p.argmax(1)] for p in probs]
    assert labels[0] == ["positive", "negative"] and items[0].mixed and items[0].label == "negative"
    assert items[1].label == "positive" and not items[1].mixed and not carries_complaint(labels[1])
    assert items[2].label == "negative" and carries_complaint(labels[2])
    assert labels[3] == ["positive", "negative"] and items[3].mixed and carries_complaint(labels[3])
    # A warm review with one complaint: positive overall (the whole reading; mixed no longer forces
    # negative), and the complaint is its own negative mention (read alone: in context it read positive).
    assert labels[4] == ["positive", "negative", "positive"] and carries_complaint(labels[4])
    assert items[4].label == "positive" and items[4].mixed
    whole = model.predict(["Great hotel. The breakfast was cold. Staff were lovely."]).probs[0]
    # A ticket: the model's reading. Where the CPU runs bf16 the batch it shares pads it differently
    # (CI saw 3e-4 apart), so the tolerance is bf16's, not float32's.
    assert items[4].score == pytest.approx(float(whole[2] - whole[0]), abs=3e-3)
    # As a review, the calibrator beside the model sets the overall tone: still positive here, and praise
    # with a real defect after it, negative as a ticket, is a neutral (three-star) review.
    cal = calibrator_for(model)
    assert cal is not None and "review" in cal.applies_to
    both = [texts[4], "Love it, but the battery died after a week."]
    _s, _p, tickets, _ = score_texts(model, both)
    _s, _p, reviews, _ = score_texts(model, both, calibrator=cal)
    assert [r.label for r in tickets] == ["positive", "negative"]
    assert [r.label for r in reviews] == ["positive", "neutral"]
    # The mentions read inside the item, as before session 11: the cold breakfast takes the praise around it.
    _s, inside, _i, _ = score_texts(model, texts[4:5], mentions_in_context=True)
    assert [LABELS[i] for i in inside[0].argmax(1)] == ["positive", "positive", "positive"]


def test_in_context_pass_reads_each_sentence_inside_its_item(top_model_dir: Path) -> None:
    from voc.nlp.sentiment import join_sentences

    model = load_sentiment_model(str(top_model_dir))
    assert isinstance(model, TopLayersSentiment)
    model.precision = "fp32"
    try:
        items = [["The staff were lovely.", "My refund is late."], ["It is on the same ticket.", "@acme thanks!"],
                 LONG.split(". ")]  # fmt: skip
        sentence_p, item_p = model.predict_in_context(items)
        joined = [join_sentences(s)[0] for s in items]
        assert np.allclose(item_p, model.predict(joined).probs, atol=1e-5)  # the item is the text read whole
        assert [p.shape for p in sentence_p] == [(len(s), 3) for s in items]
        assert all(np.allclose(p.sum(1), 1.0, atol=1e-5) for p in sentence_p)
        _w, owner = model._windows(joined)
        assert (owner == 2).sum() > 1  # the long item spans windows, and each of its sentences got a result
        # In context a sentence's result depends on its neighbours; alone it does not.
        other, _ = model.predict_in_context([["It is on the same ticket.", "Worst airline ever."]])
        assert not np.allclose(other[0][0], sentence_p[1][0], atol=1e-4)
    finally:
        model.precision = "auto"


def test_adapt_from_ratings_measures_and_only_activates_a_better_model(
    mem_store, top_model_dir: Path, tmp_path: Path
) -> None:
    from voc.nlp.sentiment import active_model_dir
    from voc.schema import FeedbackRecord
    from voc.train.ratings import adapt_from_ratings, rated_items

    good = ["Great product, works perfectly", "Love it, fast delivery", "Excellent support, thank you"]
    bad = ["Broken on arrival, want a refund", "Terrible, it stopped working", "Awful service, never again"]
    meh = ["It is okay I guess", "Average, nothing special", "Does the job"]
    when = datetime(2026, 1, 1, tzinfo=UTC)
    recs = []
    for i in range(60):
        group, stars = [(good, 5), (bad, 1), (meh, 3)][i % 3]
        recs.append(FeedbackRecord(id=f"r:{i}", source="r", kind="review", created_at=when,
                                   text=f"{group[i % 3]} #{i}", rating=stars, rating_scale="stars"))  # fmt: skip
    recs.append(FeedbackRecord(id="r:x", source="r", kind="ticket", created_at=when, text="no rating"))
    mem_store.commit_batch("r", recs, [])
    assert len(rated_items(mem_store)) == 60
    cfg = default_config(tmp_path).model_copy(update={"sentiment": SentimentConfig(model=str(top_model_dir))})

    kept = adapt_from_ratings(mem_store, cfg, epochs=1, min_gain=10.0)  # no model can gain 10 macro-F1 points
    assert not kept.replaced and kept.model_dir is None
    assert not (tmp_path / "models" / "sentiment-adapted" / "ACTIVE").exists()
    assert kept.n_train + kept.n_holdout == 60 and kept.n_holdout > 0

    res = adapt_from_ratings(mem_store, cfg, epochs=2)
    assert set(res.before) == set(res.after) == {"accuracy", "macro_f1"}
    assert res.replaced == (res.after["macro_f1"] > res.before["macro_f1"])
    marker = tmp_path / "models" / "sentiment-adapted" / "ACTIVE"
    assert marker.exists() == res.replaced
    if res.replaced:
        assert active_model_dir(tmp_path) == res.model_dir
        assert isinstance(load_sentiment_model("default", str(tmp_path)), TopLayersSentiment)


def test_adapt_from_ratings_needs_rated_items(mem_store, top_model_dir: Path, tmp_path: Path) -> None:
    from voc.errors import StageError
    from voc.train.ratings import adapt_from_ratings

    cfg = default_config(tmp_path).model_copy(update={"sentiment": SentimentConfig(model=str(top_model_dir))})
    with pytest.raises(StageError, match="carry a star, NPS or CSAT rating"):
        adapt_from_ratings(mem_store, cfg)


def test_eval_cli_reports_model_and_vader_on_the_same_rows(top_model_dir: Path, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    import voc.cli  # noqa: F401  (registers the commands)
    from voc.cli.app import app

    data = tmp_path / "labelled.csv"
    data.write_text(
        "id,body,sent\n1,I love this app,positive\n2,Worst support ever,negative\n3,It arrived on Tuesday,neutral\n"
        "4,Refund still missing after a month,negative\n5,Great value and quick delivery,positive\n"
        "6,The store opens at nine,neutral\n"
    )
    out = tmp_path / "eval.json"
    res = CliRunner().invoke(
        app,
        [
            "eval",
            "sentiment",
            "--data",
            str(data),
            "--text-col",
            "body",
            "--label-col",
            "sent",
            "--model",
            str(top_model_dir),
            "--json",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "VADER" in res.output and "macro-F1" in res.output
    payload = json.loads(out.read_text())
    assert [r["system"] for r in payload["results"]][1] == "VADER"
    assert all(r["n"] == 6 and len(r["confusion"]) == 3 for r in payload["results"])
    assert payload["note"].startswith("all rows")  # no tweet_id column: every row is scored


def test_ensemble_folder_averages_its_members(top_model_dir: Path, tmp_path: Path) -> None:
    import json
    import shutil

    import torch

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base

    folder = tmp_path / "ens"
    shutil.copytree(top_model_dir, folder)
    torch.manual_seed(1)
    _tok, base = load_base(str(default_encoder_path()))
    TopClassifier(base, 4, 3).save(tmp_path / "b", {"labels": list(LABELS)})
    shutil.copy(tmp_path / "b" / "top_layers.safetensors", folder / "top_b.safetensors")
    meta = json.loads((folder / "config.json").read_text())
    meta["members"] = [
        {"file": "top_layers.safetensors", "bias": [0, 0, 0]},
        {"file": "top_b.safetensors", "bias": [0, 0.5, 0]},
    ]
    (folder / "config.json").write_text(json.dumps(meta))
    texts = ["the app is great", "refund late"]
    ens = TopLayersSentiment(folder)
    assert len(ens.tops) == 2
    first = TopLayersSentiment(top_model_dir).predict(texts).probs
    (tmp_path / "b" / "config.json").write_text(json.dumps({**meta, "members": None, "bias": [0, 0.5, 0]}))
    second = TopLayersSentiment(tmp_path / "b").predict(texts).probs
    assert np.allclose(ens.predict(texts).probs, (first + second) / 2, atol=1e-5)


def test_training_can_append_an_ensemble_member(top_model_dir: Path, tmp_path: Path) -> None:
    import shutil

    from voc.errors import ModelError
    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.sentiment import _softmax
    from voc.nlp.toplayers import TopClassifier, load_base
    from voc.train.sentiment import _append_member, ensemble_val, predict_logits, teacher_probs

    folder = tmp_path / "m"
    shutil.copytree(top_model_dir, folder)
    _tok, base = load_base(str(default_encoder_path()))
    meta = {
        "bias": [0.0, -0.2, 0.1],
        "trained_at": "now",
        "options": {},
        "val": {},
        "val_airline_with_bias": {},
    }
    _append_member(TopClassifier(base, 4, 3), folder, meta, weights="int8")
    model = TopLayersSentiment(folder)
    assert len(model.tops) == 2 and model.biases[1].tolist() == pytest.approx([0.0, -0.2, 0.1])
    assert (folder / "top_layers_1.safetensors").exists()
    # The ensemble's own validation numbers: its members' probabilities averaged, as at prediction.
    rng = np.random.default_rng(0)
    states = [rng.normal(size=(int(n), 384)).astype(np.float16) for n in rng.integers(3, 12, 40)]
    val = {"airline": (states, rng.integers(0, 3, 40)), "sst2": (states[:20], rng.choice([0, 2], 20))}
    rep = ensemble_val(folder, val)
    probs = np.mean(
        [_softmax(predict_logits(t, states) + b) for t, b in zip(model.tops, model.biases, strict=True)], 0
    )
    assert rep["members"] == 2
    assert rep["airline"]["accuracy"] == pytest.approx(float(np.mean(probs.argmax(1) == val["airline"][1])))
    # As a distillation teacher, the folder gives those same averaged probabilities ...
    assert np.allclose(teacher_probs(folder, states, 4), probs, atol=1e-6)
    # ... and only to a student that freezes the same layers, since the states are the frozen layers' output.
    with pytest.raises(ModelError, match="E411"):
        teacher_probs(folder, states, 3)
    with pytest.raises(ModelError, match="no trained model"):
        teacher_probs(tmp_path / "missing", states, 4)


def test_int8_weights_halve_the_file_and_keep_the_predictions(top_model_dir: Path, tmp_path: Path) -> None:
    import json

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base

    _tok, base = load_base(str(default_encoder_path()))
    fp16 = TopClassifier.load(top_model_dir, base, 3)
    meta = json.loads((top_model_dir / "config.json").read_text())
    fp16.save(tmp_path / "q", meta, weights="int8")
    size = (tmp_path / "q" / "top_layers.safetensors").stat().st_size
    assert size < 0.55 * (top_model_dir / "top_layers.safetensors").stat().st_size
    texts = ["the staff were lovely", "my refund is three weeks late", LONG]
    a, b = TopLayersSentiment(top_model_dir), TopLayersSentiment(tmp_path / "q")
    a.precision = b.precision = "fp32"
    assert np.abs(a.predict(texts).probs - b.predict(texts).probs).max() < 0.02
    with pytest.raises(ValueError, match="int8"):
        fp16.save(tmp_path / "bad", None, weights="int4")


@pytest.mark.shared_data
def test_airline_test_split_never_meets_training(shared_data: Path) -> None:
    from voc.train.data import load_airline

    train, test = load_airline(shared_data)
    assert len(test) == 2970  # the fixed split the model card reports on
    assert not set(train["id"]) & set(test["id"])
    assert not set(train["text"].str.strip().str.lower()) & set(test["text"].str.strip().str.lower())


@pytest.mark.shared_data
def test_default_model_beats_vader_on_sst2_dev_sample(shared_data: Path) -> None:
    from voc.eval.sentiment import evaluate_sentiment

    out = evaluate_sentiment(shared_data / "sst2" / "dev.tsv", "sentence", "label", limit=150)
    model, vader, ticket, review = out["results"]
    assert out["binary"] and model.n == vader.n == ticket.n == review.n == 150
    assert model.accuracy > vader.accuracy + 0.1
    assert (
        ticket.system.endswith("as voc analyze stores items (tickets)") and ticket.accuracy > vader.accuracy
    )
    assert "tone reader" in review.system and review.accuracy > vader.accuracy


def test_encode_shared_gives_the_encoder_vectors_and_sentiment(
    top_model_dir: Path, hf_model_dir: Path
) -> None:
    from voc.errors import ModelError
    from voc.nlp.encoder import encode
    from voc.nlp.sentiment import encode_shared

    texts = ["the refund is three weeks late", "lovely staff"]
    vecs, preds = encode_shared(texts, str(top_model_dir))
    # Both sides run at the same ('auto') precision but through different code, so bf16 rounding differs.
    assert np.einsum("ij,ij->i", vecs, encode(texts)).min() > 0.9999
    assert preds.probs.shape == (2, 3)
    with pytest.raises(ModelError, match="does not share"):
        encode_shared(texts, str(hf_model_dir))
