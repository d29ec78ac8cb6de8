"""Config of the ranked backlog: periods, trend test, priority weights, routing."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class PriorityWeights(BaseModel):
    """Points each component can add to the priority score at most (the score is their sum)."""

    model_config = ConfigDict(extra="forbid")

    negative_volume: float = Field(
        default=30,
        ge=0,
        description="log-scaled items with a negative mention of the theme, vs the largest such theme",
    )
    customers: float = Field(
        default=10, ge=0, description="log-scaled unique customers affected, vs the largest theme"
    )
    negative_share: float = Field(
        default=15, ge=0, description="share of the theme's items that are negative"
    )
    growth: float = Field(default=15, ge=0, description="significant growth against the trailing baseline")
    score_impact: float = Field(
        default=10, ge=0, description="NPS / CSAT points the theme costs, vs the worst theme"
    )
    revenue: float = Field(default=10, ge=0, description="revenue at risk, vs the largest")
    severity: float = Field(
        default=10, ge=0, description="share of items with cancel/churn/legal/safety signals"
    )


class RoutingRule(BaseModel):
    """Owner of backlog entries whose stage / pillar / group matches (all given fields must match)."""

    model_config = ConfigDict(extra="forbid")

    owner: str
    journey_stage: str | None = None
    pillar: str | None = None
    group: str | None = None


def _default_severity() -> dict[str, list[str]]:
    # Regular expressions (case-insensitive, searched in the redacted text).
    # "cancel" means the customer means to cancel with us, not "my flight was cancelled".
    return {
        "cancel": [
            r"\bcancel+(?:ing|ed)? (?:my|our|the) (?:account|subscription|membership|plan|contract|card)\b",
            r"\bclos(?:e|ing) (?:my|our) account\b",
            r"\bunsubscribe\b",
        ],
        "churn": [
            r"\bswitch(?:ing|ed)? to\b",
            r"\bnever (?:fly|flying|use|using|buy|buying|order|ordering|book|booking) (?:with |from )?\w* ?again\b",
            r"\b(?:last|final) time (?:i|we)\b",
            r"\bleav(?:e|ing) (?:you|your|for)\b",
            r"\bgoodbye\b",
        ],
        "legal": [
            r"\blawyers?\b",
            r"\battorneys?\b",
            r"\bsu(?:e|ing)\b",
            r"\blawsuit\b",
            r"\blegal action\b",
            r"\bsmall claims\b",
            r"\bombudsman\b",
            r"\bregulator\b",
            r"\b(?:dot|faa|ftc|cfpb)\b",
        ],
        "safety": [
            r"\bunsafe\b",
            r"\bsafety\b",
            r"\binjur(?:y|ed|ies)\b",
            r"\bdanger(?:ous)?\b",
            r"\bhazard\b",
            r"\bsmoke\b",
            # Not the product line (Amazon Fire TV / Fire Stick / Kindle Fire): reviews of it are not hazards.
            r"(?<!kindle )(?<!amazon )\bfire\b(?! ?(?:tv|stick|tablet|hd|os|phone|cube)\b)",
            r"\bemergency\b",
        ],
    }


class RankingConfig(BaseModel):
    """Priority score weights and backlog options."""

    model_config = ConfigDict(extra="forbid")

    period: Literal["day", "week", "month", "all"] = Field(
        default="week", description="granularity of the backlog; 'all' ranks the whole history as one period"
    )
    baseline_periods: int = Field(
        default=4, ge=1, description="trailing periods the growth test compares against"
    )
    alpha: float = Field(default=0.05, gt=0, lt=1, description="significance level of the growth test")
    min_volume: int = Field(
        default=3, ge=1, description="themes with fewer items in the period are not ranked"
    )
    min_rising_volume: int = Field(
        default=5, ge=1, description="a theme needs this many items to be called rising"
    )
    min_focus_items: int = Field(
        default=20,
        ge=1,
        description="voc analyze: the period compared with the ones before it (the latest complete one) "
        "needs this many items; a thinner last period is shown, not compared",
    )
    resolved_after_periods: int = Field(
        default=1, ge=1, description="a theme silent this many periods after being seen is `resolved`"
    )
    max_opinion_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="a theme whose mentions are mostly verdicts with no aspect ('Love it', 'Not happy') "
        "names no problem: above this share it is not a backlog or 'what customers value' entry",
    )
    values_top_n: int = Field(default=10, ge=0, description="'what customers value' entries kept")
    weights: PriorityWeights = Field(default_factory=PriorityWeights)
    severity_patterns: dict[str, list[str]] = Field(default_factory=_default_severity)
    severity_full_share: float = Field(
        default=0.2,
        gt=0,
        le=1,
        description="share of a theme's items with a severity signal that earns all severity points",
    )
    csat_scales: list[Literal["csat", "stars"]] = Field(
        default_factory=lambda: ["csat", "stars"], description="rating scales read as CSAT (satisfied = 4-5)"
    )
    top_n: int = Field(default=50, ge=1, description="entries written to the backlog files")
    verbatims: int = Field(default=3, ge=0)
    examples: int = Field(default=10, ge=0, description="example record ids and links per entry")
    link_template: str | None = Field(
        default=None,
        description="link to a record when it has no url, e.g. 'https://support.example.com/tickets/{external_id}'",
    )
    routing: list[RoutingRule] = Field(default_factory=list)
    default_owner: str = "cx-triage"
    jira_project: str = Field(default="VOC", description="project key written in the Jira import CSV")
    jira_issue_type: str = "Task"
