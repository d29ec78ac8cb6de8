"""Config of the sentiment stage."""

from __future__ import annotations

import warnings
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SentimentConfig(BaseModel):
    """Sentence- and item-level sentiment."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="default",
        description="'default' = the project's model in models/sentiment (or the adapted model its ACTIVE file "
        "names), a local model folder, or a hub id",
    )
    batch_size: int = Field(default=64, ge=1)
    chunk_items: int = Field(default=2000, ge=1, description="items scored and written per transaction")
    sentences_in_context: bool = Field(
        default=True,
        description="read an item of several sentences whole: its overall tone comes from that reading "
        "(calibrated, see item_calibration). false: the item is combined from its sentences read alone "
        "(faster; item labels on airline tweets 0.837 / 0.784 accuracy / macro-F1 against 0.844 / 0.798; the "
        "calibrator was fitted on whole readings and does worse on such items)",
    )
    mentions_in_context: bool = Field(
        default=False,
        description="score each sentence or clause (mention) inside the whole item's reading, as until "
        "session 11, instead of on its own. In context a complaint inside a warm review takes the review's "
        'praise ("The breakfast was cold." reads positive), so complaint mentions are lost; alone, a '
        "factual sentence sometimes reads as a complaint. Decided on the SemEval-2014 train files",
    )
    item_calibration: bool = Field(
        default=True,
        description="set the item label of reviews and surveys (items.kind) with the item reader shipped beside "
        "the model: the tone reader (models/sentiment/tone.json, fine-tuned on star-rated reviews and survey "
        "scores), or, in a folder without one, the calibrator (item_calibrator.json), so that the label is the "
        "customer's overall tone and three-star reviews can be neutral. Tickets, and every item when false, "
        "keep the model's whole reading",
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed_keys(cls, data: Any) -> Any:
        # `read_items_whole` (one release) became `sentences_in_context`: old configs keep working.
        if isinstance(data, dict) and "read_items_whole" in data:
            data = dict(data)
            value = data.pop("read_items_whole")
            data.setdefault("sentences_in_context", value)
            warnings.warn(
                "sentiment.read_items_whole is now sentiment.sentences_in_context; rename the key",
                DeprecationWarning,
                stacklevel=2,
            )
        return data

    share_embeddings: bool = Field(
        default=True,
        description="with the default model, also write the theme embeddings of each sentence to the "
        "embeddings cache from the same encoder pass (exact vectors only)",
    )
    worker_from_items: int = Field(
        default=20_000,
        ge=0,
        description="score a backlog of at least this many items in a separate worker process, so the "
        "memory the model's passes leave fragmented is returned when it ends instead of raising the "
        "later stages' peak (0: never)",
    )
