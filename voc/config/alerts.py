"""Config of alerts (webhook, e-mail)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AlertsConfig(BaseModel):
    """Where and when to notify."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
