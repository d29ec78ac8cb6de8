"""Typed content of the weekly report: what `build_report_data` computes and the renderers show.

Nothing here is formatted HTML. Customer text stays plain strings so each
renderer escapes it for its own output (HTML autoescape, Markdown escaping).
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Tone = Literal["good", "bad", "neutral"]
Status = Literal["new", "rising", "steady", "falling", "resolved", "quiet"]


class Period(BaseModel):
    """What the report is about and the periods shown in its trends.

    The weekly report (`scope` "period") is about one ISO week: `start` is its
    Monday and `focus` the same week. The one-file report (`scope` "window") is
    about every period of the export: its numbers cover the whole window, and
    `focus` is the latest complete period with enough items, the one compared
    with `prev` (or None when nothing can be compared). Periods are named by
    their first day (`history`, oldest first) at `granularity`.
    """

    label: str  # "2026-W47", "2015-Q1 to 2020-Q1", "undated"
    start: date | None  # first day covered (None: undated)
    end: date | None  # last day covered, inclusive
    history: list[date]  # period starts shown in trends, oldest first
    trailing_weeks: int  # periods in the trailing average (before the focus)
    granularity: Literal["week", "month", "quarter", "day", "all"] = "week"
    scope: Literal["period", "window"] = "period"
    focus: date | None = None
    focus_label: str | None = None
    prev: date | None = None
    prev_label: str | None = None
    partial: list[date] = Field(default_factory=list)
    undated: bool = False

    @model_validator(mode="after")
    def _weekly_focus(self) -> Period:
        # The weekly report's focus is its own week, compared with the week before.
        if self.scope == "period" and self.focus is None and self.start is not None and not self.undated:
            self.focus = self.start
            self.focus_label = self.label
            self.prev = self.start - timedelta(days=7)
            self.prev_label = self.label_of(self.prev)
        return self

    @property
    def unit(self) -> str:
        """The period as a word: week, month, quarter (or 'period' when undated)."""
        return {"all": "period"}.get(self.granularity, self.granularity)

    @property
    def scope_buckets(self) -> list[date]:
        """The periods the report's numbers cover: the week, or every period of the window."""
        if self.scope == "window":
            return list(self.history)
        return [self.start] if self.start is not None else []

    def label_of(self, d: date) -> str:
        """A period's label from its first day."""
        if self.granularity == "week":
            iso = d.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.granularity == "month":
            return d.strftime("%Y-%m")
        if self.granularity == "quarter":
            return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
        if self.granularity == "day":
            return d.isoformat()
        return "all"

    @property
    def history_labels(self) -> list[str]:
        return [self.label_of(d) for d in self.history]

    @property
    def span_text(self) -> str:
        """'Mon 03 Nov to Sun 09 Nov 2025' or 'no dates'."""
        if self.start is None or self.end is None:
            return "no dates"
        return f"{self.start:%a %d %b %Y} to {self.end:%a %d %b %Y}"


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
    volume: int = 0  # items in the report's scope (the week, or the whole window)
    focus_volume: int = 0  # items in the focus period (the week itself in a weekly report)
    prev_volume: int = 0  # items in the period before the focus
    trailing_avg: float = 0.0
    total: int = 0  # items over the whole history window
    share_negative: float | None = None  # in scope
    mean_sentiment: float | None = None  # in scope
    weekly: list[int] = Field(default_factory=list)  # per period, aligned with Period.history
    status: Status = "steady"
    status_source: Literal["backlog", "computed"] = "computed"
    first_seen: date | None = None
    last_seen: date | None = None
    quote: Quote | None = None

    @property
    def change_pct(self) -> float | None:
        """Focus period against the one before it, in percent."""
        if self.prev_volume == 0:
            return None
        return (self.focus_volume - self.prev_volume) / self.prev_volume * 100.0


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
    highlight: list[int] | None = None  # [start, end) of the mention the entry is about

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
    theme_name: str | None = None
    kind: str = "problem"
    group_label: str | None = None
    journey_stage: str | None = None
    pillar: str | None = None
    status: str = "steady"
    score: float = 0.0
    breakdown: dict[str, float] = Field(default_factory=dict)
    volume: int = 0
    prev_volume: int | None = None
    focus_volume: int | None = None
    focus_period: str | None = None
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
    """Values per period and series, aligned with `labels`."""

    labels: list[str]
    series: list[Series]
    unit: Literal["count", "pct", "score"] = "count"
    # Periods the data cover only in part: drawn hatched, so a short last period never reads as a drop.
    partial: list[bool] = Field(default_factory=list)
    # The period drawn solid (the report week, or the focus period); None: every period alike.
    focus_index: int | None = -1


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
    """Everything the report shows, computed from the store's tables."""

    title: str
    period: Period
    generated_at: datetime
    metrics: list[Metric]
    # The focus period against the one before it (window reports; the weekly report's metrics are that).
    latest: list[Metric] = Field(default_factory=list)
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
    # What customers value: the themes' praise, ranked by how many items praise it.
    values: list[BacklogEntryView] = Field(default_factory=list)
    backlog_period: str | None = None
    accounts: AccountsView | None = None
    coverage: list[CountRow] = Field(default_factory=list)
    quarantine: list[QuarantineCount] = Field(default_factory=list)
    runs: list[RunRow] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
