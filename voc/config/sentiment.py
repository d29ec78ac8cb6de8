"""Config of the sentiment stage."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
    read_items_whole: bool = Field(
        default=False,
        description="also read items of several sentences whole and label the item from that reading "
        "(sentences still give the sentence results and the mixed flag): +0.036 macro-F1 on airline tweets, "
        "but the sentiment stage costs 1.5-1.8x and the 100k-item rebuild's peak memory rises to 3.3 GB",
    )
    share_embeddings: bool = Field(
        default=True,
        description="with the default model, also write the theme embeddings of each sentence to the "
        "embeddings cache from the same encoder pass (exact vectors only)",
    )
