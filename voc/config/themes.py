"""Config of theme discovery and the theme registry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ThemesConfig(BaseModel):
    """Theme discovery (BERTopic), labels, hierarchy and registry."""

    model_config = ConfigDict(extra="forbid")

    refit_every_days: int = Field(default=28, ge=1)
    seed: int = 42
