"""Config of alerts (Slack-compatible webhook, e-mail)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class EmailConfig(BaseModel):
    """SMTP delivery. The password is read from the environment variable named here, never from the file."""

    model_config = ConfigDict(extra="forbid")

    host: str
    port: int = 25
    sender: str
    recipients: list[str]
    starttls: bool = False
    username: str | None = None
    password_env: str | None = Field(
        default=None, description="name of the environment variable holding the password"
    )
    timeout_s: float = 10.0


class AlertsConfig(BaseModel):
    """Where and when to notify."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    webhook_url: str | None = Field(
        default=None, description="Slack-compatible incoming webhook (JSON {'text': ...})"
    )
    webhook_url_env: str | None = Field(
        default=None,
        description="environment variable holding the webhook url (keeps secrets out of the file)",
    )
    email: EmailConfig | None = None
    on_new: bool = True
    on_rising: bool = True
    on_spike: bool = Field(
        default=True,
        description="alert when a problem jumps far above its baseline in one period, even on a theme too "
        "small for the rising test to call it",
    )
    spike_ratio: float = Field(
        default=3.0, gt=1, description="a spike is at least this many times the baseline's rate"
    )
    spike_p: float = Field(
        default=0.001,
        gt=0,
        lt=1,
        description="and this unlikely under no change (one-sided, per theme: strict, since it is not corrected "
        "for the number of themes as the rising test is)",
    )
    negative_volume_threshold: int | None = Field(
        default=None,
        ge=1,
        description="opt-in: alert whenever a problem's items in the period reach this. A standing volume is "
        "the backlog's job; this alert repeats it every period. None = off",
    )
    min_volume: int = Field(
        default=5, ge=1, description="new or rising themes below this volume do not alert"
    )
    retries: int = Field(
        default=3, ge=1, description="delivery attempts per alert and run before it waits in the outbox"
    )
    backoff_s: float = Field(default=0.5, ge=0, description="first pause between attempts; doubles each time")
    timeout_s: float = Field(default=10.0, gt=0)
    max_total_s: float = Field(
        default=60.0,
        gt=0,
        description="time budget of one run's deliveries; alerts not tried in time wait in the outbox",
    )
    report_url: str | None = Field(
        default=None, description="link added to every alert, e.g. the weekly report"
    )
