"""Average fine-tuned sentiment models into one ("model soup", Wortsman et al., ICML 2022).

Runs fine-tuned from the same encoder with the same frozen split stay in one
loss basin, so the average of their weights is usually at least as good as the
best of them, at the size and speed of ONE model; an ensemble of the same runs
(`--add-member`) costs N times both, which the 20 MB artifact budget does not allow.

Two recipes. "greedy": rank the runs by the training's validation rule, start
from the best and keep each next run only if adding it to the average does not
lower that rule. "uniform": average every run given. Greedy selection trusts the
validation split to rank runs, which a 1,104-tweet split cannot do for runs this
close (its winner lost on test three times, see the model card); the uniform
soup makes no choice on validation, so validation stays an honest check that
the average did not collapse. Nothing here reads the test splits.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from voc.errors import ModelError

log = logging.getLogger(__name__)
T = TypeVar("T")
_RECIPE_TEXT = {
    "greedy": "greedy soup (uniform average of the runs chosen on validation)",
    "uniform": "uniform soup (average of every run given; none chosen on validation)",
}
RECIPES = tuple(_RECIPE_TEXT)


def uniform_average(states: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Element-wise mean of state dicts with the same keys and shapes (float32 result)."""
    if not states:
        raise ValueError("uniform_average needs at least one state dict")
    keys = set(states[0])
    for s in states[1:]:
        if set(s) != keys:
            raise ModelError(
                "the models to average do not have the same layers; use runs with the same --split",
                code="E426",
            )
    return {k: sum(s[k].float() for s in states) / len(states) for k in states[0]}


def greedy_soup(ranked: Sequence[T], score: Callable[[list[T]], float]) -> tuple[list[T], float]:
    """Greedy soup over `ranked` (best first): keep an ingredient if the soup's score does not drop."""
    if not ranked:
        raise ValueError("greedy_soup needs at least one ingredient")
    chosen = [ranked[0]]
    best = score(chosen)
    for cand in ranked[1:]:
        s = score([*chosen, cand])
        log.info("soup: with %s the validation rule is %.4f (best so far %.4f)", cand, s, best)
        if s >= best:
            chosen, best = [*chosen, cand], s
    return chosen, best


def airline_val_held_out(configs: Iterable[Mapping[str, Any]]) -> bool:
    """Whether no run was trained on airline validation fold 0 (the one soups are checked on)."""
    return all(int((cfg.get("options") or {}).get("val_fold", 0)) == 0 for cfg in configs)


def _load_run(folder: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    from voc.nlp.toplayers import read_weights

    cfg_path = folder / "config.json"
    if not cfg_path.exists():
        raise ModelError(
            f"{folder} is not a trained sentiment model (no config.json); pass a folder `voc train sentiment` wrote",
            code="E420",
        )
    cfg = json.loads(cfg_path.read_text())
    if cfg.get("members"):
        raise ModelError(
            f"{folder} is an ensemble; average single runs (the folders of its members' runs)", code="E424"
        )
    return cfg, read_weights(folder / "top_layers.safetensors")


def soup_sentiment(
    folders: Sequence[Path],
    out_dir: Path,
    data_dir: Path,
    *,
    cache_dir: Path | None = None,
    sst_min_words: int = 4,
    threads: int = 2,
    recipe: str = "greedy",
    weights: str = "fp16",
) -> dict[str, Any]:
    """Soup the runs in `folders` (`recipe` "greedy" or "uniform"), tune logit biases, write `out_dir`.

    `weights` is how the average is stored ("fp16" or "int8", as `voc train sentiment --weights`).
    """
    import numpy as np
    import torch

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.sentiment import LABELS
    from voc.nlp.toplayers import WEIGHT_FORMATS, TopClassifier, load_base
    from voc.train.sentiment import (
        calibrate,
        model_meta,
        selection_rule,
        training_frames,
        val_report,
        validation_sets,
    )

    if recipe not in RECIPES:
        raise ValueError(f"recipe must be one of {RECIPES}, not {recipe!r}")
    if weights not in WEIGHT_FORMATS:  # checked before the minute of averaging, not at the final save
        raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, not {weights!r}")
    torch.set_num_threads(threads)
    t0 = time.perf_counter()
    runs = {Path(f): _load_run(Path(f)) for f in folders}
    splits = {int(cfg["split"]) for cfg, _ in runs.values()}
    if len(splits) != 1:
        raise ModelError(
            f"the runs freeze different numbers of layers ({sorted(splits)}); use one --split", code="E425"
        )
    split = splits.pop()
    max_length = int(next(iter(runs.values()))[0].get("max_length", 96))
    held_out = airline_val_held_out(cfg for cfg, _weights in runs.values())
    if not held_out:
        if recipe == "greedy":
            raise ModelError(
                "a greedy soup chooses runs on airline validation (fold 0), but some of these runs trained "
                "on it (--val-fold other than 0); use --soup-recipe uniform",
                code="E412",
            )
        log.warning(
            "soup: some runs trained on airline validation fold 0, so its numbers below are not held out "
            "and no logit biases are tuned on it; SST-2 validation is still held out"
        )
    _fit, air_val, _sst_fit, sst_val = training_frames(data_dir, sst_min_words)
    val = validation_sets(air_val, sst_val, split, max_length, cache_dir)
    _tok, base = load_base(str(default_encoder_path()))
    model = TopClassifier(base, split, len(LABELS))

    def report(names: list[Path]) -> dict[str, Any]:
        model.load_state_dict(uniform_average([runs[n][1] for n in names]))
        return val_report(model, val)

    single = {name: report([name]) for name in runs}
    for name, rep in single.items():
        log.info("soup: run %s alone: rule %.4f %s", name, selection_rule(rep), rep)
    ranked = sorted(runs, key=lambda n: -selection_rule(single[n]))
    if recipe == "greedy":
        chosen, _best = greedy_soup(ranked, lambda names: selection_rule(report(names)))
    else:
        chosen = ranked
    final_rep = report(chosen)  # also loads the chosen average, whatever greedy_soup tried last
    best = selection_rule(final_rep)
    if held_out:
        bias, calibrated = calibrate(model, val["airline"])
    else:
        bias, calibrated = np.zeros(len(LABELS), dtype=np.float32), None
    meta = {
        **model_meta(max_length),
        "soup": {
            "recipe": _RECIPE_TEXT[recipe],
            "candidates": [
                {
                    "folder": str(n),
                    "options": runs[n][0].get("options"),
                    "val": single[n],
                    "rule": selection_rule(single[n]),
                }
                for n in ranked
            ],
            "chosen": [str(n) for n in chosen],
            "airline_val_held_out": held_out,
        },
        "bias": [round(float(b), 3) for b in bias],
        "weights": weights,
        "val": final_rep,
        "val_airline_with_bias": calibrated,
        "seconds": {"total": round(time.perf_counter() - t0, 1)},
    }
    model.save(out_dir, meta, weights=weights)
    log.info("soup: wrote %s from %d of %d runs; validation rule %.4f", out_dir, len(chosen), len(runs), best)
    return meta
