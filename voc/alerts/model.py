"""An alert as the backlog carries it and delivery sends it (no rules here).

Apart from `voc.alerts.rules` because the backlog (`voc.rank.backlog`) holds
alerts while the rules read backlog entries: with the model in the rules
module, each of the two modules would need the other.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

AlertKind = Literal["new", "rising", "spike", "negative_volume"]


class Alert(BaseModel):
    """One notification about one theme in one period."""

    key: str
    kind: AlertKind
    theme_id: str
    theme_label: str
    period: str
    rank: int
    score: float
    status: str
    volume: int
    negative_volume: int
    growth: float | None = None
    growth_p: float | None = None
    journey_stage: str | None = None
    owner: str | None = None
    verbatim: str | None = None
    link: str | None = None
    title: str
    text: str


def alert_key(theme_id: str, kind: str, period: str) -> str:
    """The key an alert is sent once under: `theme_id|kind|period`."""
    return f"{theme_id}|{kind}|{period}"
