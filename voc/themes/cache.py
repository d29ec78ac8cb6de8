"""The embeddings cache in the store: each text is encoded once per model.

Table `embeddings(text_hash, model, vector)`, vector as FLOAT[384]-style
float list. This is the only module that reads or writes it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

TABLE = "embeddings"
# Stored with the model name: bump it when what a vector means changes, so an
# existing store re-embeds instead of mixing old and new vectors. v2: texts are
# normalised (URLs, @handles) before encoding, see `voc.nlp.encoder.encode`;
# v3: emoji are replaced by their names too.
VECTOR_VERSION = "v3"


def cache_key(model: str) -> str:
    """The `model` column value of the cache rows for encoder `model`."""
    return f"{model}#{VECTOR_VERSION}"


def text_hash(text: str) -> str:
    """Stable key of a text (sha1 of its UTF-8 bytes)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def cached_embeddings(
    store: Any,
    texts: Sequence[str],
    model: str,
    encode_fn: Callable[[list[str]], np.ndarray],
) -> np.ndarray:
    """Embeddings of `texts` (one row each, input order), encoding only the ones not cached.

    `encode_fn` gets the missing unique texts and returns L2-normalised rows;
    they are written to the cache before returning.
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    model = cache_key(model)
    hashes = [text_hash(t) for t in texts]
    unique = list(dict.fromkeys(hashes))
    row_of = {h: i for i, h in enumerate(unique)}
    # One contiguous (unique x dim) matrix, filled from the cache and then from the encoder:
    # per-row arrays in a frame cost twice the memory at a few 100,000 mentions.
    mat: np.ndarray | None = None
    have = np.zeros(len(unique), dtype=bool)
    if store.written(TABLE):
        got = store.read_arrow(TABLE, ["text_hash", "vector"], where="model = ?", params=[model],
                               match=pd.DataFrame({"text_hash": unique}))  # fmt: skip
        if got.num_rows:
            vec = got.column("vector").combine_chunks()
            flat = vec.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
            dim = len(flat) // got.num_rows
            mat = np.zeros((len(unique), dim), dtype=np.float32)
            at = np.fromiter((row_of[h] for h in got.column("text_hash").to_pylist()), dtype=np.int64)
            mat[at] = flat.reshape(got.num_rows, dim)
            have[at] = True
            del got, vec, flat  # the Arrow copy is not needed once the matrix is filled
    missing = np.flatnonzero(~have)
    if len(missing):
        new_h = [unique[i] for i in missing]
        first_text = dict(zip(hashes, texts, strict=True))
        vecs = np.asarray(encode_fn([first_text[h] for h in new_h]), dtype=np.float32)
        dim = vecs.shape[1]
        if mat is None:
            mat = np.zeros((len(unique), dim), dtype=np.float32)
        mat[missing] = vecs
        frame = pd.DataFrame({"text_hash": new_h, "model": model, "vector": list(vecs)})
        if not store.written(TABLE):
            store.execute(
                f"CREATE TABLE {TABLE} (text_hash VARCHAR NOT NULL, model VARCHAR NOT NULL, "
                f"vector FLOAT[{dim}], PRIMARY KEY (text_hash, model))"
            )
        else:
            # Vectors of this encoder under an older VECTOR_VERSION mean something else now.
            bare = model.rsplit("#", 1)[0]
            store.execute(
                f"DELETE FROM {TABLE} WHERE (model = ? OR starts_with(model, ?)) AND model <> ?",
                [bare, bare + "#", model],
            )
        store.write(TABLE, frame)  # upsert on (text_hash, model)
        log.info(
            "embeddings cache: added %s texts (%s were cached)",
            f"{len(new_h):,}",
            f"{len(unique) - len(new_h):,}",
        )
    assert mat is not None
    if len(unique) == len(hashes):  # no repeated text: rows are already in input order, no second copy
        return mat
    return mat[np.fromiter((row_of[h] for h in hashes), dtype=np.int64, count=len(hashes))]
