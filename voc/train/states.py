"""The frozen lower layers' hidden states for sentiment training: encoded once, cached, batched by length.

Each epoch of `voc.train.sentiment` then only pays for the top layers.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.sentiment import LABELS

log = logging.getLogger(__name__)


def encode_lower(texts: Sequence[str], split: int, max_length: int, batch_size: int = 64) -> list[np.ndarray]:
    """fp16 hidden states [tokens, 384] after the first `split` frozen layers, one per text."""
    from voc.nlp.encoder import default_encoder_path
    from voc.nlp.toplayers import batches_by_length, load_base, lower_states

    tok, base = load_base(str(default_encoder_path()))
    out: list[np.ndarray | None] = [None] * len(texts)
    t0, done = time.perf_counter(), 0
    for b in batches_by_length(tok, texts, batch_size, max_length):
        h = lower_states(base, b, split).numpy().astype(np.float16)
        lengths = b.attention_mask.sum(1).numpy()
        for r, i in enumerate(b.index):
            out[i] = h[r, : lengths[r]]
        done += len(b.index)
        if done % (batch_size * 50) < batch_size:
            log.info(
                "train: encoded %d/%d texts (lower layers) in %.0f s",
                done,
                len(texts),
                time.perf_counter() - t0,
            )
    return out  # type: ignore[return-value]


def cached_lower(texts: list[str], split: int, max_length: int, cache_dir: Path | None) -> list[np.ndarray]:
    """`encode_lower` with an on-disk cache keyed by the texts and settings."""
    key = json.dumps([split, max_length, texts])
    return cached_pickle(cache_dir, "lower", key, lambda: encode_lower(texts, split, max_length))


def cached_pickle(cache_dir: Path | None, prefix: str, key: str, make: Callable[[], Any]) -> Any:
    """`make()`, pickled under `cache_dir` as `<prefix>_<hash of key>.pkl` and read back next time."""
    import hashlib
    import pickle

    if cache_dir is None:
        return make()
    path = cache_dir / f"{prefix}_{hashlib.sha1(key.encode()).hexdigest()[:16]}.pkl"
    if path.exists():
        log.info("train: using cached states %s", path)
        return pickle.loads(path.read_bytes())
    value = make()
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Write then rename: two runs started together must never read each other's half-written cache.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=5))
    os.replace(tmp, path)
    return value


def pad_states(states: Sequence[np.ndarray]) -> tuple[Any, Any]:
    """Stack variable-length states into (hidden [B, L, D] float32, mask [B, L])."""
    import torch

    width = max(len(s) for s in states)
    dim = states[0].shape[1]
    h = np.zeros((len(states), width, dim), dtype=np.float32)
    m = np.zeros((len(states), width), dtype=np.int64)
    for r, s in enumerate(states):
        h[r, : len(s)] = s
        m[r, : len(s)] = 1
    return torch.from_numpy(h), torch.from_numpy(m)


def length_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar length (little padding), in random order."""
    perm = rng.permutation(len(lengths))
    pool = batch_size * 50
    batches: list[np.ndarray] = []
    for s in range(0, len(perm), pool):
        chunk = perm[s : s + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches.extend(chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches


def predict_logits(model: Any, states: Sequence[np.ndarray], batch_size: int = 128) -> np.ndarray:
    """Logits [n, 3] of the top model on cached states (eval mode, no grad)."""
    import torch

    model.eval()
    order = np.argsort([len(s) for s in states], kind="stable")
    out = np.zeros((len(states), len(LABELS)), dtype=np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            h, m = pad_states([states[i] for i in idx])
            out[idx] = model(h, m).numpy()
    return out
