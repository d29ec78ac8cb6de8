"""Config of the weekly report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ReportConfig(BaseModel):
    """Weekly theme report."""

    model_config = ConfigDict(extra="forbid")

    out_dir: str = "out"
