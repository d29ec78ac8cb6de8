"""Config of the sentiment stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SentimentConfig(BaseModel):
    """Sentence- and item-level sentiment."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(
        default="default",
        description="'default' = the project's model in models/sentiment, a local path, or a hub id",
    )
    batch_size: int = 64
