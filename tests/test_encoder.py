"""One Encoder built from EncoderConfig: device and precision honoured, one model load per process.

No model is loaded here: the sentence-transformers model is replaced by a
stand-in that records how it was loaded and under which precision it ran.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from themes_fixtures import add_items, fake_encode, topic_items

from voc.config import default_config
from voc.config.core import EncoderConfig
from voc.errors import ConfigError
from voc.nlp import encoder as enc
from voc.nlp import precision as prec


class FakeModel:
    """Stands in for a SentenceTransformer: vectors from `fake_encode`, calls recorded."""

    def __init__(self, path: str, device: str | None = None) -> None:
        self.device = device
        self.max_seq_length = 512
        self.batch_sizes: list[int] = []

    def encode(self, texts: list[str], batch_size: int = 32, **_: Any) -> np.ndarray:
        self.batch_sizes.append(batch_size)
        return fake_encode(texts)


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Replace the model class and record loads and the precision of every pass; caches cleared around it."""
    import sentence_transformers

    loads: list[tuple[str, str | None]] = []
    passes: list[tuple[str, str]] = []

    def load(path: str, device: str | None = None) -> FakeModel:
        loads.append(("default" if path == str(enc.default_encoder_path()) else path, device))
        return FakeModel(path, device)

    @contextlib.contextmanager
    def precision_of(precision: str, device: str = "cpu") -> Iterator[None]:
        passes.append((precision, device))
        yield

    enc._encoder.cache_clear()
    enc.load_encoder.cache_clear()
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", load)
    monkeypatch.setattr(prec, "inference_precision", precision_of)
    yield {"loads": loads, "passes": passes}
    enc._encoder.cache_clear()
    enc.load_encoder.cache_clear()


def test_auto_device_uses_cuda_when_present_with_bf16(monkeypatch: pytest.MonkeyPatch, fake_models) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(prec, "cuda_has_bf16", lambda: True)
    e = enc.get_encoder(EncoderConfig())  # device "auto", precision "auto": the defaults
    assert (e.device, e.precision) == ("cuda", "bf16")
    e.encode(["the app crashes"])
    assert fake_models["loads"] == [("default", "cuda")]
    assert fake_models["passes"] == [("bf16", "cuda")]


def test_auto_device_is_the_cpu_without_a_gpu(monkeypatch: pytest.MonkeyPatch, fake_models) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(prec, "cpu_has_native_bf16", lambda: False)
    e = enc.get_encoder(EncoderConfig())
    # The default on a CPU machine is what it was before `device` was read: the CPU, precision by CPU.
    assert (e.device, e.precision) == ("cpu", "fp32")


def test_configured_device_batch_size_and_length_are_honoured(fake_models) -> None:
    # `encoder.device` was never read before: every encoder ran on the CPU whatever the config said.
    e = enc.get_encoder(EncoderConfig(device="cuda:1", batch_size=7, max_seq_length=64, precision="fp32"))
    e.encode(["a", "b"])
    assert fake_models["loads"] == [("default", "cuda:1")]
    assert e.sentence_transformer.batch_sizes == [7] and e.sentence_transformer.max_seq_length == 64
    assert fake_models["passes"] == [("fp32", "cuda:1")]


def test_one_encoder_and_one_model_load_per_config(fake_models) -> None:
    a = enc.get_encoder(EncoderConfig(device="cpu", precision="fp32"))
    assert enc.get_encoder(EncoderConfig(device="cpu", precision="fp32")) is a
    b = enc.get_encoder(EncoderConfig(device="cpu", precision="bf16"))
    assert b is not a and enc.Encoder.from_config(EncoderConfig(device="cpu", precision="bf16")) is b
    a.encode(["x"])
    b.encode(["y"])
    assert fake_models["loads"] == [("default", "cpu")]  # precision is not a reason to load again


def test_encode_keeps_order_and_normalises_text(fake_models) -> None:
    e = enc.get_encoder(EncoderConfig(device="cpu"))
    texts = ["thanks @acme see https://x.io", "the app crashes", ""]
    out = e.encode(texts)
    assert out.dtype == np.float32 and out.shape[0] == 3
    np.testing.assert_allclose(out[1], fake_encode(["the app crashes"])[0])
    assert e.encode([]).shape == (0, 384)
    np.testing.assert_allclose(e(texts), out)  # an Encoder is also an encode function


def test_device_is_a_validated_config_key(tmp_path) -> None:
    from voc.config import load_config

    (tmp_path / "config").mkdir()
    bad = tmp_path / "config" / "voc.toml"
    bad.write_text('[encoder]\ndevice = "gpu"\n')
    with pytest.raises(ConfigError, match=r"encoder\.device"):
        load_config(bad)


def test_the_taxonomy_stage_encodes_at_the_configured_precision(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fake_models
) -> None:
    """Its own encode closure dropped `precision`: "bf16" ran as 'auto' (fp32 on most CPUs)."""
    from voc.store import DuckDBStore
    from voc.taxonomy.stage import map_taxonomy
    from voc.themes.stage import update_themes

    monkeypatch.setattr(prec, "cpu_has_native_bf16", lambda: False)  # 'auto' would mean fp32
    cfg = default_config(tmp_path)
    cfg.themes.min_cluster_size = 5
    cfg.themes.label_noun_chunks = False
    cfg.encoder = EncoderConfig(device="cpu", precision="bf16", batch_size=16)
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        add_items(store, topic_items("a", 10))
        update_themes(store, cfg, encode_fn=fake_encode, progress=False)
        out = map_taxonomy(store, cfg)  # no encode_fn: the configured encoder
    assert out["themes"] > 0
    assert fake_models["passes"] and {p for p, _ in fake_models["passes"]} == {"bf16"}
    assert fake_models["loads"] == [("default", "cpu")]


def test_the_themes_stage_uses_the_configured_encoder_when_none_is_handed_in(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fake_models
) -> None:
    from voc.store import DuckDBStore
    from voc.themes.stage import update_themes

    monkeypatch.setattr(prec, "cpu_has_native_bf16", lambda: False)
    cfg = default_config(tmp_path)
    cfg.themes.min_cluster_size = 5
    cfg.themes.label_noun_chunks = False
    cfg.encoder = EncoderConfig(device="cpu", precision="bf16")
    with DuckDBStore(tmp_path / "t.duckdb") as store:
        add_items(store, topic_items("a", 10))
        out = update_themes(store, cfg, progress=False)
    assert out["themes"] > 0
    assert {p for p, _ in fake_models["passes"]} == {"bf16"}
    assert fake_models["loads"] == [("default", "cpu")]


def test_the_sentiment_model_moves_every_module_to_the_device() -> None:
    from voc.nlp.hfmodel import HFSentiment
    from voc.nlp.sentiment import TopLayersSentiment

    class Module:
        def __init__(self) -> None:
            self.moved: list[str] = []

        def to(self, device: str) -> Module:
            self.moved.append(device)
            return self

    top = TopLayersSentiment.__new__(TopLayersSentiment)  # no weights: only the modules matter here
    top.base, top.tops = Module(), [Module(), Module()]
    top.tone = SimpleNamespace(top=Module())  # the tone reader of reviews moves with the rest
    assert top.device == "cpu"  # the default: what the stage ran on before `encoder.device` was read
    assert top.to_device("cuda:1") is top and top.device == "cuda:1"
    assert [m.moved for m in (top.base, *top.tops, top.tone.top)] == [["cuda:1"]] * 4
    hf = HFSentiment.__new__(HFSentiment)
    hf.model = Module()
    hf.to_device("cuda")
    assert hf.model.moved == ["cuda"] and hf.device == "cuda"
