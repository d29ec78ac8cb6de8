"""Typed content of the weekly report: what `build_report_data` computes and the renderers show.

Nothing here is formatted HTML. Customer text stays plain strings so each
renderer escapes it for its own output (HTML autoescape, Markdown escaping).
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Tone = Literal["good", "bad", "neutral"]
Status = Literal["new", "rising", "steady", "falling", "resolved", "quiet"]


class Period(BaseModel):
    """The ISO week the report is about, and the weeks shown in trends."""

    label: str  # "2026-W47"
    start: date  # Monday
    end: date  # Sunday (inclusive)
    history: list[date]  # week starts, oldest first, ending with `start`
    trailing_weeks: int

    @property
    def history_labels(self) -> list[str]:
        return [f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in self.history]


class Quote(BaseModel):
    """A customer's words, cut to length; `text` is untrusted."""

    item_id: str
    text: str
    url: str | None = None  # only http(s) URLs survive (see data.safe_url)
    sentiment: str | None = None
    source: str | None = None


class Metric(BaseModel):
    """A KPI this week, last week and over the trailing weeks."""

    key: str
    label: str
    value: float | None
    prev: float | None = None
    trailing: float | None = None
    n: int = 0  # observations behind `value` (items, responses)
    unit: Literal["count", "pct", "nps", "stars", "score"]
    higher_is_better: bool | None = None
    note: str = ""

    @property
    def delta_prev(self) -> float | None:
        return None if self.value is None or self.prev is None else self.value - self.prev

    @property
    def delta_trailing(self) -> float | None:
        return None if self.value is None or self.trailing is None else self.value - self.trailing


class HeadlineLine(BaseModel):
    """One plain-words sentence of the first screen, optionally with a quote."""

    kind: str
    text: str
    tone: Tone = "neutral"
    quote: Quote | None = None
    theme_id: str | None = None


class ThemeRow(BaseModel):
    """One theme with its numbers for the report week and its weekly history."""

    theme_id: str
    label: str
    group_label: str | None = None
    keywords: list[str] = Field(default_factory=list)
    journey_stage: str | None = None
    stage_confidence: float | None = None
    stage_evidence: str | None = None
    pillar: str | None = None
    pillar_confidence: float | None = None
    pillar_evidence: str | None = None
    volume: int = 0
    prev_volume: int = 0
    trailing_avg: float = 0.0
    total: int = 0  # items over the whole history window
    share_negative: float | None = None  # this week
    mean_sentiment: float | None = None  # this week
    weekly: list[int] = Field(default_factory=list)  # aligned with Period.history
    status: Status = "steady"
    status_source: Literal["backlog", "computed"] = "computed"
    first_seen: date | None = None
    last_seen: date | None = None
    quote: Quote | None = None

    @property
    def change_pct(self) -> float | None:
        if self.prev_volume == 0:
            return None
        return (self.volume - self.prev_volume) / self.prev_volume * 100.0


class AlertView(BaseModel):
    """An alert raised for the period, whatever produced it."""

    severity: str = "warning"
    title: str
    detail: str = ""
    theme_id: str | None = None


class BacklogVerbatim(BaseModel):
    model_config = ConfigDict(extra="ignore")

    item_id: str = ""
    text: str
    url: str | None = None
    sentiment: str | float | None = None

    @field_validator("url", "sentiment", mode="before")
    @classmethod
    def _nan_is_none(cls, v: Any) -> Any:
        # Frames give NaN for a missing value; that means "none" here, not a number.
        return None if isinstance(v, float) and math.isnan(v) else v

    @field_validator("item_id", mode="before")
    @classmethod
    def _id_text(cls, v: Any) -> str:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


class BacklogEntryView(BaseModel):
    """Mirror of `voc.rank.backlog.BacklogEntry`: only what the report shows; extra fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    rank: int
    theme_id: str
    theme_label: str
    group_label: str | None = None
    journey_stage: str | None = None
    pillar: str | None = None
    status: str = "steady"
    score: float = 0.0
    breakdown: dict[str, float] = Field(default_factory=dict)
    volume: int = 0
    prev_volume: int | None = None
    unique_customers: int | None = None
    share_negative: float | None = None
    mean_sentiment: float | None = None
    growth: float | None = None
    growth_p: float | None = None
    nps_impact: float | None = None
    csat_impact: float | None = None
    revenue_at_risk: float | None = None
    severity: list[str] = Field(default_factory=list)
    verbatims: list[BacklogVerbatim] = Field(default_factory=list)
    first_seen: Any = None
    last_seen: Any = None
    owner: str | None = None
    period: str | None = None


class HeatCell(BaseModel):
    count: int = 0
    share_negative: float | None = None


class Heatmap(BaseModel):
    """Journey stage (rows) by pillar (columns) for the report week."""

    stages: list[str]
    pillars: list[str]
    cells: list[list[HeatCell]]  # [stage][pillar]
    unmapped: int = 0  # item-theme pairs without a stage or pillar


class Series(BaseModel):
    name: str
    values: list[float | None]
    counts: list[int] = Field(default_factory=list)


class TimeChart(BaseModel):
    """Weekly values per series, aligned with `labels`."""

    labels: list[str]
    series: list[Series]
    unit: Literal["count", "pct", "score"] = "count"


class Account(BaseModel):
    customer_id: str
    segment: str | None = None
    revenue: float
    satisfaction: float  # 0-100
    items: int
    share_negative: float | None = None
    top_theme: str | None = None
    quote: Quote | None = None
    at_risk: bool = False


class AccountsView(BaseModel):
    accounts: list[Account]
    revenue_threshold: float
    satisfaction_threshold: float
    weeks: int
    at_risk: list[Account]
    revenue_at_risk: float


class CountRow(BaseModel):
    label: str
    value: str
    detail: str = ""


class QuarantineCount(BaseModel):
    source: str
    reason: str
    count: int
    this_week: int = 0


class RunRow(BaseModel):
    job: str
    target: str | None = None
    status: str
    started_at: datetime | None = None
    finished_at: datetime | None = None
    rows_read: int | None = None
    stored: int | None = None
    quarantined: int | None = None
    error: str | None = None


class ReportData(BaseModel):
    """Everything the weekly report shows, computed from the store's tables."""

    title: str
    period: Period
    generated_at: datetime
    metrics: list[Metric]
    headline: list[HeadlineLine]
    volume_chart: TimeChart
    top_themes: list[ThemeRow]
    rising: list[ThemeRow]
    new: list[ThemeRow]
    falling: list[ThemeRow]
    alerts: list[AlertView]
    themes: list[ThemeRow]  # every theme, by volume this week
    heatmap: Heatmap | None = None
    sentiment_chart: TimeChart | None = None
    backlog: list[BacklogEntryView] | None = None
    backlog_period: str | None = None
    accounts: AccountsView | None = None
    coverage: list[CountRow] = Field(default_factory=list)
    quarantine: list[QuarantineCount] = Field(default_factory=list)
    runs: list[RunRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
