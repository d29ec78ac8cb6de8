"""Model soup of sentiment runs: the averaging, the greedy choice, and the written model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from voc.errors import ModelError
from voc.nlp.sentiment import LABELS, TopLayersSentiment
from voc.train.soup import airline_val_held_out, greedy_soup, soup_sentiment, uniform_average


def _run(folder: Path, split: int, seed: int, weights: str = "fp16", val_fold: int = 0) -> Path:
    """A voc-toplayers run folder with random top layers (plumbing, not quality)."""
    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base

    torch.manual_seed(seed)
    _tok, base = load_base(str(default_encoder_path()))
    TopClassifier(base, split, len(LABELS)).save(
        folder,
        {
            "kind": "voc-toplayers",
            "labels": list(LABELS),
            "bias": [0, 0, 0],
            "max_length": 96,
            "options": {"val_fold": val_fold, "seed": seed},
        },
        weights=weights,
    )
    return folder


def test_read_weights_dequantises_int8_runs(tmp_path: Path) -> None:
    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base, read_weights

    torch.manual_seed(0)
    _tok, base = load_base(str(default_encoder_path()))
    model = TopClassifier(base, 5, len(LABELS))
    model.save(tmp_path, None, weights="int8")
    read = read_weights(tmp_path / "top_layers.safetensors")
    original = model.state_dict()
    assert set(read) == set(original)  # no scale tensors leak into the state dict
    for k, v in original.items():
        # int8 rows are within half a quantisation step (max |row| / 254) of the original
        step = v.abs().amax(-1, keepdim=True) / 127 if v.ndim == 2 else torch.tensor(1e-3)
        assert read[k].dtype == torch.float32
        assert ((read[k] - v).abs() <= step / 2 + 1e-3).all(), k


def test_uniform_average_is_the_elementwise_mean() -> None:
    a = {"w": torch.tensor([1.0, 2.0], dtype=torch.float16), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([3.0, 6.0], dtype=torch.float16), "b": torch.tensor([1.0])}
    avg = uniform_average([a, b])
    assert avg["w"].tolist() == [2.0, 4.0] and avg["b"].tolist() == [0.5]
    assert avg["w"].dtype == torch.float32
    with pytest.raises(ModelError, match="same --split"):
        uniform_average([a, {"w": a["w"]}])


def test_greedy_soup_keeps_only_ingredients_that_do_not_hurt() -> None:
    value = {"good": 1.0, "helps": 0.5, "hurts": -2.0}

    def score(names: list[str]) -> float:
        return sum(value[n] for n in names) / len(names) + 0.3 * ("helps" in names)

    chosen, best = greedy_soup(["good", "hurts", "helps"], score)
    assert chosen == ["good", "helps"]
    assert best == pytest.approx(score(["good", "helps"]))
    with pytest.raises(ValueError):
        greedy_soup([], score)


def test_soup_refuses_runs_with_different_splits(tmp_path: Path) -> None:
    a, b = _run(tmp_path / "a", 5, 0), _run(tmp_path / "b", 4, 1)
    with pytest.raises(ModelError, match="different numbers of layers"):
        soup_sentiment([a, b], tmp_path / "out", tmp_path / "no-data")
    with pytest.raises(ModelError, match=r"no config\.json"):
        soup_sentiment([a, tmp_path / "missing"], tmp_path / "out", tmp_path / "no-data")


def test_runs_trained_on_other_folds_make_airline_validation_not_held_out(tmp_path: Path) -> None:
    assert airline_val_held_out([{"options": {"val_fold": 0}}, {}])  # runs from before folds existed
    assert not airline_val_held_out([{"options": {"val_fold": 0}}, {"options": {"val_fold": 3}}])
    # Greedy chooses on fold 0, which a fold-3 run trained on: refused before any averaging.
    a, b = _run(tmp_path / "a", 5, 0), _run(tmp_path / "b", 5, 1, val_fold=3)
    with pytest.raises(ModelError, match="use --soup-recipe uniform") as err:
        soup_sentiment([a, b], tmp_path / "out", tmp_path / "no-data", recipe="greedy")
    assert err.value.code == "E412"


@pytest.mark.shared_data
@pytest.mark.parametrize("recipe", ["greedy", "uniform"])
def test_soup_writes_the_average_of_the_chosen_runs(shared_data: Path, tmp_path: Path, recipe: str) -> None:
    from voc.nlp.toplayers import read_weights

    # The uniform case starts from int8 runs and writes int8, as the shipped members are stored.
    weights = "int8" if recipe == "uniform" else "fp16"
    # The uniform case also averages runs held out on different folds, as a cross-fold soup does.
    runs = [
        _run(tmp_path / f"r{i}", 5, i, weights, val_fold=i if recipe == "uniform" else 0) for i in range(3)
    ]
    meta = soup_sentiment(
        runs,
        tmp_path / "soup",
        shared_data,
        cache_dir=tmp_path / "cache",
        threads=1,
        recipe=recipe,
        weights=weights,
    )
    chosen = [Path(p) for p in meta["soup"]["chosen"]]
    assert chosen and set(chosen) <= set(runs)
    if recipe == "uniform":
        assert sorted(chosen) == sorted(runs)
    assert len(meta["soup"]["candidates"]) == 3
    # The written weights are the mean of the chosen runs' (dequantised) weights.
    expected = uniform_average([read_weights(p / "top_layers.safetensors") for p in chosen])
    written = read_weights(tmp_path / "soup" / "top_layers.safetensors")
    for k, v in expected.items():
        atol = v.abs().amax().item() / 127 if weights == "int8" else 2e-3
        assert torch.allclose(written[k], v, atol=atol), k
    cfg = json.loads((tmp_path / "soup" / "config.json").read_text())
    assert cfg["split"] == 5 and len(cfg["bias"]) == 3
    held_out = recipe == "greedy"
    assert cfg["soup"]["airline_val_held_out"] is held_out
    if not held_out:  # no biases are tuned on tweets some runs trained on
        assert cfg["bias"] == [0.0, 0.0, 0.0] and cfg["val_airline_with_bias"] is None
    probs = TopLayersSentiment(tmp_path / "soup").predict(["the refund never came"]).probs
    assert probs.shape == (1, 3) and probs.sum() == pytest.approx(1.0, abs=1e-4)
