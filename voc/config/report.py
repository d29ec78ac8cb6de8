"""Config of the weekly report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReportConfig(BaseModel):
    """Weekly theme report: report.html (self-contained) and report.md (digest)."""

    model_config = ConfigDict(extra="forbid")

    out_dir: str = "out"
    title: str = "Customer feedback: weekly themes"
    history_weeks: int = Field(default=12, ge=2, le=52, description="weeks shown in sparklines and trends")
    trailing_weeks: int = Field(
        default=4, ge=1, le=26, description="weeks in the trailing average (before this week)"
    )
    top_themes: int = Field(default=5, ge=1, le=50, description="themes named in the summary and the digest")
    max_theme_rows: int = Field(
        default=60,
        ge=5,
        description="rows in the sortable theme table (the analyst section lists every theme)",
    )
    backlog_entries: int = Field(
        default=10, ge=0, le=100, description="backlog entries shown with their breakdown"
    )
    verbatims_per_entry: int = Field(default=2, ge=0, le=10)
    quote_chars: int = Field(
        default=180, ge=40, le=2000, description="longest quote before it is cut with an ellipsis"
    )
    # Ignored, kept so existing config files still load: a theme's new, rising and falling status is the
    # backlog stage's trend test (`ranking.alpha`, `ranking.min_rising_volume`), stored in `theme_trends`.
    rising_min_mentions: int = Field(default=5, ge=1, description="ignored: see ranking.min_rising_volume")
    rising_ratio: float = Field(
        default=1.5, gt=1.0, description="ignored: statuses come from ranking's trend test"
    )
    falling_ratio: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="ignored: statuses come from ranking's trend test"
    )
    at_risk_revenue_quantile: float = Field(
        default=0.75,
        gt=0.0,
        lt=1.0,
        description="accounts at or above this revenue quantile count as high revenue",
    )
    at_risk_satisfaction: float = Field(
        default=50.0,
        ge=0.0,
        le=100.0,
        description="satisfaction index (0-100) below which an account is unhappy",
    )
    at_risk_min_items: int = Field(
        default=3, ge=1, description="an account needs this many items in the window to be flagged at risk"
    )
    max_accounts_plotted: int = Field(
        default=600, ge=10, description="points on the accounts chart: all at-risk ones, then by revenue"
    )
    max_accounts_listed: int = Field(default=15, ge=1)
    base_url: str | None = Field(
        default=None, description="where report.html will be published; the digest links to it when set"
    )
