"""Config of the ranked backlog."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RankingConfig(BaseModel):
    """Priority score weights and backlog options."""

    model_config = ConfigDict(extra="forbid")

    period: str = "week"
