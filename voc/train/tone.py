"""`voc train item-tone`: fit the tone reader (`voc.nlp.tone`) on star-rated reviews and survey scores.

Data: the train splits of the rated sets of `voc.eval.itemdata` (Amazon, hotels,
Uber, NHS; stars or the FFT score as weak labels), the airline tweets' train
split, so that a tweet stored as a review still reads sensibly, and SST-2
train's full sentences, so that an export of one-sentence reviews does too.
SST-2 was labelled on a two-way scale, so its rows train the negative-vs-
positive logits only (as in the sentence model's training). Test splits are
never read. Validation fold 0 of each set picks the epoch (the mean
macro-F1 over the rated sets); folds 1-4 are fitted.

Each dataset has the same total weight and its classes are balanced inside it
(Amazon is 87% positive; the reader must not learn one export's prior). A
long review is cut into the model's token windows, each window labelled with
the review's label and weighted 1/windows, as `predict` averages them.

The reader starts as a copy of the sentence model's last `layers` fine-tuned
layers and head, and reads the states after its first ones (`shared`), so at
prediction it costs only its own layers. With `leave`, one rated set is left
out of the fit and its validation (leave-one-dataset-out: how the reader does
on a kind of feedback it has never seen; score it with `voc eval items`).
"""

from __future__ import annotations

import copy
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToneOptions:
    """The recipe (`voc train item-tone`); its defaults are the shipped reader's."""

    layers: int = 3  # the reader's own fine-tuned layers (the sentence model has 3)
    epochs: int = 2
    lr: float = 5e-5
    head_lr: float = 5e-4
    batch_size: int = 32
    seed: int = 1
    datasets: tuple[str, ...] = ("amazon", "hotels", "uber", "nhs", "airline", "sst2")
    leave: str | None = None
    applies_to: tuple[str, ...] = ("review", "survey")


@dataclass
class _Set:
    states: list[np.ndarray]  # one per window, after the shared layers
    owner: np.ndarray  # the item of each window
    y: np.ndarray  # item labels (index into LABELS)
    split: np.ndarray  # "train" | "test" per item
    fold: np.ndarray  # validation fold per item (-1 for test)
    two_way: bool = False  # labelled negative/positive only: trains those two logits


# Sets labelled on a negative/positive scale: "no neutral" there is not evidence against neutral.
TWO_WAY = frozenset({"sst2"})


def _window_states(model: Any, texts: Sequence[str], shared: int) -> tuple[list[np.ndarray], np.ndarray]:
    """fp16 states [tokens, 384] of every window of `texts` after the frozen and the first `shared`
    fine-tuned layers, and the owning text of each window."""
    import torch

    from voc.nlp.toplayers import Batch, lower_states, run_layers

    windows, owner = model._windows(list(texts))
    out: list[np.ndarray] = [np.zeros((0, 0), dtype=np.float16)] * len(windows)
    with torch.inference_mode():
        for idx, ids, mask in model._batches(windows):
            h = lower_states(model.base, Batch(idx, ids, mask), model.split)
            h = run_layers(model.top.layers[:shared], model.base, h, mask).float().numpy().astype(np.float16)
            for r, i in enumerate(idx):
                out[i] = h[r, : len(windows[i])]
    return out, owner


def _load_sets(data_dir: Path, model: Any, opts: ToneOptions, cache_dir: Path | None) -> dict[str, _Set]:
    from voc.eval.itemdata import load_rated
    from voc.nlp.sentiment import LABELS
    from voc.train.states import cached_pickle

    index = {lab: i for i, lab in enumerate(LABELS)}
    shared = len(model.top.layers) - opts.layers
    sets: dict[str, _Set] = {}
    for name in opts.datasets:
        t0 = time.perf_counter()
        df = load_rated(data_dir, name)
        texts = df["text"].tolist()
        key = json.dumps([model.name, str(model.folder), model.meta.get("trained_at"), shared, texts])
        states, owner = cached_pickle(
            cache_dir, "tone", key, lambda texts=texts: _window_states(model, texts, shared)
        )
        sets[name] = _Set(states, np.asarray(owner), df["label"].map(index).to_numpy(np.int64),
                          df["split"].to_numpy(), df["fold"].to_numpy(), name in TWO_WAY)  # fmt: skip
        log.info("train: tone: %s: %d items, %d windows (%.0f s)", name, len(df), len(states),
                 time.perf_counter() - t0)  # fmt: skip
    return sets


def _training_rows(
    sets: dict[str, _Set], leave: str | None
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Windows of the fitted items (train split, folds 1-4), their labels, weights and two-way flags: every
    dataset the same total weight, classes balanced inside it, an item's windows sharing its weight."""
    states: list[np.ndarray] = []
    ys, ws, two = [], [], []
    for name, s in sets.items():
        if name == leave:
            continue
        fit_item = (s.split == "train") & (s.fold != 0)
        sel = np.flatnonzero(fit_item[s.owner])
        y = s.y[s.owner[sel]]
        per_class = np.bincount(s.y[fit_item], minlength=3).astype(np.float64)
        windows = np.bincount(s.owner, minlength=len(s.y))[s.owner[sel]]
        w = 1.0 / (3.0 * np.maximum(per_class[y], 1.0)) / windows
        states.extend(s.states[i] for i in sel)
        ys.append(y)
        ws.append(w / w.sum())
        two.append(np.full(len(y), s.two_way))
    w = np.concatenate(ws)
    return states, np.concatenate(ys), w / w.mean(), np.concatenate(two)


def _validation(sets: dict[str, _Set]) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    out = {}
    for name, s in sets.items():
        sel = np.flatnonzero(((s.split == "train") & (s.fold == 0))[s.owner])
        out[name] = ([s.states[i] for i in sel], s.y[s.owner[sel]])
    return out


def validation_line(best: dict[str, dict[str, float]]) -> str:
    """The chosen epoch's validation figures in one line: macro-F1, or accuracy for two-way sets (no neutral)."""
    return "validation fold 0: " + ", ".join(
        f"{k} macro-F1 {v['macro_f1']:.3f}" if "macro_f1" in v else f"{k} accuracy {v['accuracy']:.3f}"
        for k, v in best.items()
    )


def train_tone(
    data_dir: Path, model: Any, out_dir: Path, opts: ToneOptions, *, cache_dir: Path | None = None,
    threads: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Fit the tone reader and write it (`tone.json`, `tone_top.safetensors`) into `out_dir`.

    When `out_dir` is not the model's folder, the sentence model's files are
    copied there first, so `out_dir` is a complete model folder
    (`VOC_SENTIMENT_MODEL_DIR=out_dir voc eval items` scores it).
    Returns the tone metadata written.
    """
    import torch

    from voc.eval.itemdata import RATED, check_files
    from voc.nlp.sentiment import LABELS
    from voc.nlp.tone import KIND, TONE_META, TONE_WEIGHTS
    from voc.nlp.toplayers import TopClassifier
    from voc.train.sentiment import fit_top

    n_layers = len(model.top.layers)
    if not 1 <= opts.layers <= n_layers:
        raise InputError(f"--layers {opts.layers}: the sentence model has {n_layers} fine-tuned layers; "
                         f"give 1..{n_layers}", code="E293")  # fmt: skip
    if opts.leave is not None and opts.leave not in RATED:
        raise InputError(f"--leave {opts.leave!r}: leave out one of {list(RATED)}", code="E294")
    check_files(data_dir, opts.datasets)
    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    shared = n_layers - opts.layers
    sets = _load_sets(data_dir, model, opts, cache_dir)
    states, y, w, two_way = _training_rows(sets, opts.leave)
    val = _validation(sets)
    scored = [n for n in RATED if n in sets and n != opts.leave]
    log.info("train: tone: %d windows to fit, leave out %s; validation on fold 0 of %s", len(y), opts.leave,
             ", ".join(val))  # fmt: skip
    top = TopClassifier(model.base, model.split + shared, len(LABELS))
    top.layers.load_state_dict(copy.deepcopy(model.top.layers[shared:]).state_dict())
    top.head.load_state_dict(model.top.head.state_dict())
    res = fit_top(
        top, states, y, w, epochs=opts.epochs, batch_size=opts.batch_size, lr=opts.lr, head_lr=opts.head_lr,
        weight_decay=0.01, seed=opts.seed, val=val,
        select=lambda rep: float(np.mean([rep[n]["macro_f1"] for n in scored])), binary=two_way,
    )  # fmt: skip
    out_dir.mkdir(parents=True, exist_ok=True)
    src = Path(model.folder)
    if out_dir.resolve() != src.resolve():
        for f in (
            "config.json",
            *{m.get("file", "top_layers.safetensors") for m in model.meta.get("members") or [{}]},
        ):
            shutil.copy2(src / f, out_dir / f)
    top.save(out_dir, None, file=TONE_WEIGHTS, weights="int8")
    meta = {
        "kind": KIND, "labels": list(LABELS), "shared": shared, "applies_to": list(opts.applies_to),
        "recipe": {k: v for k, v in asdict(opts).items() if k not in ("applies_to",)},
        "fitted_on": {n: int(((s.split == "train") & (s.fold != 0)).sum()) for n, s in sets.items() if n != opts.leave},
        "validation": {"fold": 0, "select": "mean macro-F1 of " + ", ".join(scored), "best": res["best"],
                       "history": [{k: h[k] for k in ("epoch", "train_loss", "score", "seconds")} for h in res["history"]]},
        "sentence_model": {"name": model.name, "trained_at": model.meta.get("trained_at")},
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%d"),
        "seconds": round(time.perf_counter() - t0, 1),
    }  # fmt: skip
    (out_dir / TONE_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta
