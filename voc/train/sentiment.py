"""Train the project's sentiment model: fine-tuned top layers + head on the packaged MiniLM.

Recipe (see models/sentiment/MODEL_CARD.md for the numbers it gives):
1. Airline tweets (3 classes) minus the fixed 20% test split, and a sample of
   SST-2 train phrases (negative/positive). Validation splits are carved from
   TRAIN only (SST-2's by whole sentence, so no phrase of a validation sentence
   trains); the test split is never read here.
2. The frozen lower layers of all-MiniLM-L6-v2 run once over every training
   text; their hidden states are cached (fp16, unpadded), so each epoch only
   pays for the top layers.
3. Copies of the top layers + a linear head are trained with class-weighted
   cross-entropy (airline rows weighted by the annotators' confidence), the best
   epoch on validation macro-F1 is kept, then per-class logit biases are tuned
   on validation for macro-F1.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.nlp.sentiment import LABELS, normalize_text

# The cached lower-layer states and the validation helpers have their own modules; callers found them here.
from voc.train.states import cached_lower, encode_lower, length_batches, pad_states, predict_logits
from voc.train.validation import (
    bias_held_out_gain,
    calibrate,
    model_meta,
    selection_rule,
    tune_biases,
    val_metrics,
    val_report,
)

__all__ = [
    "TrainOptions", "bias_held_out_gain", "cached_lower", "calibrate", "class_weights", "encode_lower",
    "ensemble_val", "fit_top", "length_batches", "member_average", "model_meta", "pad_states", "predict_logits",
    "selection_rule", "teacher_probs", "train_sentiment", "training_frames", "tune_biases", "val_metrics",
    "val_report", "validation_sets",
]  # fmt: skip

log = logging.getLogger(__name__)


@dataclass
class TrainOptions:
    """Knobs of `train_sentiment`; defaults are the shipped model's recipe."""

    data_dir: Path
    out_dir: Path
    split: int = 3
    epochs: int = 3
    batch_size: int = 32
    lr: float = 1e-4
    head_lr: float = 1e-3
    weight_decay: float = 0.01
    sst_max: int = 25000
    sst_min_words: int = 4
    sst_weight: float = 1.0
    class_weight_power: float = 0.25
    # "binary": SST-2 rows only train negative-vs-positive. Its phrases were labelled on a two-way scale, so
    # as three-class targets they would also teach "never neutral" and pull the tweets' neutral class down.
    sst_loss: str = "three-class"
    add_member: bool = False  # append to the model in out_dir as another ensemble member
    weights: str = "fp16"  # or "int8": large matrices stored at one byte per weight (two members fit 20 MB)
    # Distillation: a trained model folder (e.g. an ensemble) whose probabilities are also targets, so one
    # member can learn what several agree on at one member's inference cost.
    teacher: Path | None = None
    teacher_weight: float = 0.5  # share of each row's loss on the teacher's probabilities (rest: its label)
    sst_use: int | None = None  # train on only the first N of the (cached) SST-2 sample
    # Which tenth of airline TRAIN is held out for validation (0: the split every earlier run used). Runs
    # on different folds can be averaged (--soup) into a model that has learned from all of TRAIN.
    val_fold: int = 0
    max_length: int = 96
    seed: int = 1
    threads: int = 2
    cache_dir: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


# -- the training loop -----------------------------------------------------------------
def fit_top(
    model: Any,
    states: list[np.ndarray],
    y: np.ndarray,
    weights: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    head_lr: float,
    weight_decay: float,
    seed: int,
    val: dict[str, tuple[list[np.ndarray], np.ndarray]],
    select: Callable[[dict[str, Any]], float],
    on_best: Callable[[Any, dict[str, Any], int], None] | None = None,
    binary: np.ndarray | None = None,
    soft: np.ndarray | None = None,
    soft_weight: float = 0.5,
) -> dict[str, Any]:
    """Train `model` (a TopClassifier) on cached states; keep the best epoch by `select(report)`.

    Rows where `binary` is True (labels negative or positive) are trained on the
    negative-vs-positive logits only, leaving the neutral logit to the other rows.
    With `soft` (a teacher's probabilities [n, 3]), each row's loss is
    `(1 - soft_weight) x` its label loss `+ soft_weight x` cross-entropy to them.
    Returns the history and the best report; the model ends with the best weights loaded.
    """
    import copy

    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    lengths = np.array([len(s) for s in states])
    params = [
        {"params": list(model.layers.parameters()), "lr": lr},
        {"params": list(model.head.parameters()), "lr": head_lr},
    ]
    opt = torch.optim.AdamW(params, weight_decay=weight_decay)
    steps_per_epoch = math.ceil(len(states) / batch_size)
    total = steps_per_epoch * epochs
    warm = max(1, int(0.06 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm)))
    )
    yt, wt = torch.from_numpy(y.astype(np.int64)), torch.from_numpy(weights.astype(np.float32))
    bt = torch.from_numpy(np.zeros(len(y), dtype=bool) if binary is None else binary.astype(bool))
    soft_t = None if soft is None else torch.from_numpy(soft.astype(np.float32))
    pos = LABELS.index("positive")
    pair = [LABELS.index("negative"), pos]
    history: list[dict[str, Any]] = []
    best_score, best_state, best_rep = -math.inf, None, {}
    t0 = time.perf_counter()
    for epoch in range(1, epochs + 1):
        model.train()
        run_loss, n = 0.0, 0
        for step, idx in enumerate(length_batches(lengths, batch_size, rng), 1):
            h, m = pad_states([states[i] for i in idx])
            logits = model(h, m)
            loss_each = torch.nn.functional.cross_entropy(logits, yt[idx], reduction="none")
            if bt[idx].any():
                two_way = torch.nn.functional.cross_entropy(
                    logits[:, pair], (yt[idx] == pos).long(), reduction="none"
                )
                loss_each = torch.where(bt[idx], two_way, loss_each)
            if soft_t is not None:
                to_teacher = -(soft_t[idx] * torch.log_softmax(logits, 1)).sum(1)
                loss_each = (1 - soft_weight) * loss_each + soft_weight * to_teacher
            loss = (loss_each * wt[idx]).sum() / wt[idx].sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            run_loss += float(loss.detach()) * len(idx)
            n += len(idx)
            if step % 100 == 0:
                log.info(
                    "train: epoch %d step %d/%d loss %.4f (%.0f s)",
                    epoch, step, steps_per_epoch, run_loss / n, time.perf_counter() - t0,
                )  # fmt: skip
        rep = val_report(model, val)
        score = select(rep)
        history.append({"epoch": epoch, "train_loss": run_loss / max(n, 1), "val": rep, "score": score,
                        "seconds": round(time.perf_counter() - t0, 1)})  # fmt: skip
        log.info(
            "train: epoch %d done in %.0f s: loss %.4f val %s",
            epoch,
            time.perf_counter() - t0,
            run_loss / n,
            rep,
        )
        if score > best_score:
            best_score, best_rep = score, rep
            best_state = copy.deepcopy(model.state_dict())
            if on_best is not None:
                on_best(model, rep, epoch)
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return {"history": history, "best": best_rep, "best_score": best_score}


def _labels_to_index(labels: pd.Series) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(LABELS)}
    return labels.map(index).to_numpy(dtype=np.int64)


def class_weights(y: np.ndarray, power: float = 0.5) -> np.ndarray:
    """Per-class weights proportional to frequency^-power, mean 1 over the examples."""
    counts = np.bincount(y, minlength=len(LABELS)).astype(np.float64)
    w = np.where(counts > 0, (counts.sum() / np.maximum(counts, 1)) ** power, 0.0)
    return w / (w[y].mean() if len(y) else 1.0)


def training_frames(
    data_dir: Path, sst_min_words: int, val_fold: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Airline fit/validation and SST-2 fit/validation frames, all carved from TRAIN.

    The airline test split is dropped here and never returned: nothing that
    trains or selects a model can see it.
    """
    from voc.train.data import load_airline, load_sst2, split_sst_by_sentence, split_validation

    air_train, _air_test_unused = load_airline(data_dir)
    air_fit, air_val = split_validation(air_train, "id", fold=val_fold)
    sst_fit, sst_val = split_sst_by_sentence(load_sst2(data_dir, "train"))
    sst_fit = sst_fit.loc[sst_fit["text"].str.split().str.len() >= sst_min_words].reset_index(drop=True)
    return air_fit, air_val, sst_fit, sst_val


def validation_sets(
    air_val: pd.DataFrame, sst_val: pd.DataFrame, split: int, max_length: int, cache_dir: Path | None
) -> dict[str, tuple[list[np.ndarray], np.ndarray]]:
    """Lower-layer states and labels of the airline and SST-2 validation frames."""
    return {
        name: (
            cached_lower([normalize_text(t) for t in df["text"]], split, max_length, cache_dir),
            _labels_to_index(df["label"]),
        )
        for name, df in (("airline", air_val), ("sst2", sst_val))
    }


def teacher_probs(folder: Path, states: Sequence[np.ndarray], split: int) -> np.ndarray:
    """The model in `folder` (all members, biases applied, probabilities averaged) on cached states [n, 3]."""
    from voc.errors import ModelError
    from voc.nlp.sentiment import TopLayersSentiment

    folder = Path(folder)
    if not (folder / "config.json").exists():
        raise ModelError(
            f"--teacher {folder}: no trained model there (config.json not found); "
            "pass a folder `voc train sentiment` wrote",
            code="E421",
        )
    teacher = TopLayersSentiment(folder)
    if teacher.tops[0].split != split:
        raise ModelError(
            f"the teacher in {folder} freezes {teacher.tops[0].split} layers, the student {split}; "
            "use the same --split",
            code="E411",
        )
    return member_average(teacher, states)


def member_average(model: Any, states: Sequence[np.ndarray]) -> np.ndarray:
    """A TopLayersSentiment's probabilities on cached states [n, 3]: each member with its bias, averaged."""
    from voc.nlp.sentiment import _softmax

    return np.mean(
        [_softmax(predict_logits(t, states) + b) for t, b in zip(model.tops, model.biases, strict=True)], 0
    )


def train_sentiment(opts: TrainOptions) -> dict[str, Any]:
    """Train the default sentiment model from ../shared/data and write it to `opts.out_dir`."""
    import torch

    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import TopClassifier, load_base

    if opts.sst_loss not in ("three-class", "binary"):
        raise ValueError(f"sst_loss must be 'three-class' or 'binary', not {opts.sst_loss!r}")
    if not 0.0 <= opts.teacher_weight <= 1.0:
        raise ValueError(f"teacher_weight must be between 0 and 1, not {opts.teacher_weight}")
    torch.set_num_threads(opts.threads)
    t_start = time.perf_counter()
    air_fit, air_val, sst_fit, sst_val = training_frames(opts.data_dir, opts.sst_min_words, opts.val_fold)
    if len(sst_fit) > opts.sst_max:
        sst_fit = sst_fit.sample(n=opts.sst_max, random_state=opts.seed)
    log.info(
        "train: airline fit %d / val %d, SST-2 fit %d / val %d",
        len(air_fit), len(air_val), len(sst_fit), len(sst_val),
    )  # fmt: skip

    def states_of(df: pd.DataFrame) -> list[np.ndarray]:
        return cached_lower(
            [normalize_text(t) for t in df["text"]], opts.split, opts.max_length, opts.cache_dir
        )

    s_air_fit, s_sst_fit = states_of(air_fit), states_of(sst_fit)
    val = validation_sets(air_val, sst_val, opts.split, opts.max_length, opts.cache_dir)
    t_encode = time.perf_counter() - t_start

    if opts.sst_use is not None:
        sst_fit, s_sst_fit = sst_fit.iloc[: opts.sst_use], s_sst_fit[: opts.sst_use]
    y_air, y_sst = _labels_to_index(air_fit["label"]), _labels_to_index(sst_fit["label"])
    w_air = class_weights(y_air, opts.class_weight_power)[y_air] * air_fit["weight"].to_numpy(
        dtype=np.float64
    )
    w_sst = np.full(len(y_sst), opts.sst_weight)
    states = s_air_fit + s_sst_fit
    y = np.concatenate([y_air, y_sst])
    w = np.concatenate([w_air, w_sst])
    binary = np.concatenate([np.zeros(len(y_air), bool), np.full(len(y_sst), opts.sst_loss == "binary")])
    soft = teacher_probs(opts.teacher, states, opts.split) if opts.teacher is not None else None

    _tok, base = load_base(str(default_encoder_path()))
    model = TopClassifier(base, opts.split, len(LABELS))
    meta = {
        **model_meta(opts.max_length),
        "options": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(opts).items()},
        "data": {
            "airline_fit": len(air_fit),
            "airline_val": len(air_val),
            "sst2_fit": len(sst_fit),
            "sst2_val": len(sst_val),
        },
    }

    def checkpoint(m: Any, rep: dict[str, Any], epoch: int) -> None:
        if opts.add_member:  # never overwrite the model being extended with a half-trained one
            return
        m.save(
            opts.out_dir,
            {**meta, "bias": [0.0, 0.0, 0.0], "val": rep, "epoch": epoch, "partial": True},
            weights=opts.weights,
        )
        log.info("train: checkpoint (epoch %d) written to %s", epoch, opts.out_dir)

    result = fit_top(
        model, states, y, w,
        epochs=opts.epochs, batch_size=opts.batch_size, lr=opts.lr, head_lr=opts.head_lr,
        weight_decay=opts.weight_decay, seed=opts.seed, val=val,
        select=selection_rule,
        on_best=checkpoint, binary=binary, soft=soft, soft_weight=opts.teacher_weight,
    )  # fmt: skip
    bias, calibrated = calibrate(model, val["airline"])
    seconds = time.perf_counter() - t_start
    final = {
        **meta,
        "bias": [round(float(b), 3) for b in bias],
        "val": result["best"],
        "val_airline_with_bias": calibrated,
        "history": result["history"],
        "seconds": {"encode_lower": round(t_encode, 1), "total": round(seconds, 1)},
    }
    if opts.add_member:
        _append_member(model, opts.out_dir, final, opts.weights)
        final["ensemble_val"] = ensemble_val(opts.out_dir, val)
        _update_config(opts.out_dir, ensemble_val=final["ensemble_val"])
        log.info("train: the ensemble in %s on validation: %s", opts.out_dir, final["ensemble_val"])
    else:
        model.save(opts.out_dir, {**final, "weights": opts.weights}, weights=opts.weights)
    log.info(
        "train: wrote %s in %.0f s; validation %s, with biases %s",
        opts.out_dir,
        seconds,
        result["best"],
        calibrated,
    )
    return final


def ensemble_val(folder: Path, val: dict[str, tuple[list[np.ndarray], np.ndarray]]) -> dict[str, Any]:
    """Validation metrics of the model in `folder` (all members, probabilities averaged, biases applied)."""
    from voc.nlp.sentiment import TopLayersSentiment

    model = TopLayersSentiment(folder)  # loads the members and their biases as prediction does
    probs = {name: member_average(model, states) for name, (states, _y) in val.items()}
    rep = val_metrics(probs, val)
    return {**rep, "members": len(model.tops), "rule": round(selection_rule(rep), 4)}


def _update_config(folder: Path, **fields: Any) -> None:
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **fields}, indent=2) + "\n")


def _append_member(model: Any, folder: Path, meta: dict[str, Any], weights: str = "fp16") -> None:
    """Add `model` to the ensemble in `folder` (a trained model with the same frozen split)."""
    from voc.errors import ModelError

    cfg_path = folder / "config.json"
    if not cfg_path.exists():
        raise ModelError(
            f"--add-member needs a trained model in {folder}; train the first member there", code="E409"
        )
    cfg = json.loads(cfg_path.read_text())
    if int(cfg["split"]) != model.split:
        raise ModelError(
            f"{folder} freezes {cfg['split']} layers, this member {model.split}; use the same --split",
            code="E423",
        )
    members = cfg.get("members") or [
        {"file": "top_layers.safetensors", "bias": cfg.get("bias"), "trained_at": cfg.get("trained_at"),
         "options": cfg.get("options"), "val": cfg.get("val")}
    ]  # fmt: skip
    file = f"top_layers_{len(members)}.safetensors"
    model.save(folder, None, file=file, weights=weights)
    members.append({"file": file, "bias": meta["bias"], "trained_at": meta["trained_at"], "options": meta["options"],
                    "val": meta["val"], "val_airline_with_bias": meta["val_airline_with_bias"]})  # fmt: skip
    cfg["members"] = members
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")
