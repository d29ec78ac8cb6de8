"""Inference precision: 'auto' resolves by CPU capability, bad values are refused, and the cache is versioned."""

from __future__ import annotations

import numpy as np
import pytest

from voc.nlp import precision as prec
from voc.themes.cache import VECTOR_VERSION, cache_key, cached_embeddings


def test_auto_picks_bf16_only_on_native_bf16_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prec, "cpu_has_native_bf16", lambda: True)
    monkeypatch.setattr(prec, "cuda_has_bf16", lambda: False)
    assert prec.resolve_precision("auto") == "bf16"
    assert prec.resolve_precision("auto", device="cuda") == "fp32"  # a GPU without bf16 (before Ampere)
    monkeypatch.setattr(prec, "cuda_has_bf16", lambda: True)
    assert prec.resolve_precision("auto", device="cuda:0") == "bf16"
    assert prec.resolve_precision("fp32", device="cuda") == "fp32"
    monkeypatch.setattr(prec, "cpu_has_native_bf16", lambda: False)
    assert prec.resolve_precision("auto") == "fp32"
    assert prec.resolve_precision("bf16") == "bf16"  # an explicit choice is honoured
    with pytest.raises(ValueError, match="precision must be one of"):
        prec.resolve_precision("int8")


def test_precision_is_a_validated_config_key(tmp_path) -> None:
    from voc.config import load_config
    from voc.errors import ConfigError

    (tmp_path / "config").mkdir()
    bad = tmp_path / "config" / "voc.toml"
    bad.write_text('[encoder]\nprecision = "int4"\n')
    with pytest.raises(ConfigError, match=r"encoder\.precision"):
        load_config(bad)


def test_vectors_of_an_older_version_are_replaced_not_mixed(mem_store) -> None:
    def enc(texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4), np.float32) / 2

    cached_embeddings(mem_store, ["a"], "m", enc)
    assert mem_store.query("SELECT DISTINCT model FROM embeddings")["model"].tolist() == [
        f"m#{VECTOR_VERSION}"
    ]
    # A row written under the old key (the bare model name) is dropped on the next write.
    mem_store.execute("INSERT INTO embeddings VALUES ('old', 'm', [0, 0, 0, 1])")
    cached_embeddings(mem_store, ["b"], "m", enc)
    models = mem_store.query("SELECT model, count(*) AS n FROM embeddings GROUP BY 1")
    assert models["model"].tolist() == [cache_key("m")] and models["n"].tolist() == [2]
