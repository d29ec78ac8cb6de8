"""Config of journey stages and CX-framework pillars."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TaxonomyConfig(BaseModel):
    """Journey stages and the active CX framework."""

    model_config = ConfigDict(extra="forbid")

    framework: str = "six_pillars"
