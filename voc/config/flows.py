"""Config of the Prefect flows and schedules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class FlowsConfig(BaseModel):
    """Orchestration."""

    model_config = ConfigDict(extra="forbid")

    runner: Literal["local", "dask"] = "local"
    timezone: str = "UTC"
