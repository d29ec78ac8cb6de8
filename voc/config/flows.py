"""Config of the Prefect flows: schedules, retries, time limits and the task runner.

The library never imports Prefect; these settings are read by `flows/` and
`voc serve` only. Defaults suit one machine: everything in-process.
"""

from __future__ import annotations

from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ScheduleConfig(BaseModel):
    """Cron schedules of the deployments `voc serve` registers (5-field cron, in `flows.timezone`)."""

    model_config = ConfigDict(extra="forbid")

    ingest: str | None = Field(
        default="0 2 * * *", description='ingest every source nightly at 02:00; "" = off'
    )
    analyze: str | None = Field(
        default="30 2 * * *", description="enrich and theme new items after the ingest"
    )
    weekly: str | None = Field(default="0 6 * * 1", description="ingest + analyze + report, Mondays at 06:00")

    @field_validator("ingest", "analyze", "weekly")
    @classmethod
    def _five_fields(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            return None  # TOML has no null: "" switches a schedule off
        if v is not None and len(v.split()) != 5:
            raise ValueError(
                f"cron {v!r} must have 5 fields (minute hour day month weekday), e.g. '0 6 * * 1'"
            )
        return v


class DaskConfig(BaseModel):
    """Where the heavy analyze steps run when `flows.runner = "dask"`."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(
        default=None,
        description="scheduler of an existing cluster, e.g. tcp://10.0.0.5:8786; none = a local cluster",
    )
    n_workers: int = Field(
        default=2, ge=1, description="workers of the local cluster (ignored with an address)"
    )
    threads_per_worker: int = Field(default=1, ge=1)
    partition_items: int = Field(default=2000, ge=1, description="new items per partition sent to a worker")


class FlowsConfig(BaseModel):
    """Orchestration: how the Prefect flows run, retry and report."""

    model_config = ConfigDict(extra="forbid")

    runner: Literal["local", "dask"] = Field(
        default="local",
        description="'dask' runs embedding and sentiment on a Dask cluster (see [flows.dask])",
    )
    timezone: str = Field(
        default="UTC", description="IANA time zone of the cron schedules, e.g. Europe/Berlin"
    )
    schedules: ScheduleConfig = Field(default_factory=ScheduleConfig)
    dask: DaskConfig = Field(default_factory=DaskConfig)
    retries: int = Field(
        default=2, ge=0, description="retries of a task that failed on a transient I/O error"
    )
    retry_delay_s: list[float] = Field(
        default_factory=lambda: [10.0, 60.0], description="back-off between retries (the last value repeats)"
    )
    source_timeout_s: float = Field(
        default=3600.0, gt=0, description="one source's ingest must end within this"
    )
    stage_timeout_s: float = Field(
        default=7200.0, gt=0, description="one analysis stage must end within this"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
            ) from None
        return v
