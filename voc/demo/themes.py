"""The planted themes of the demo: names, journey stage, polarity and volume.

Volumes are relative weights per export file (a theme that lives in app
reviews is rare in support tickets and the other way round). The weights
are what makes some themes big and some small; weekly noise and seasonality
are applied on top in `voc.demo.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Polarity = Literal["negative", "positive", "neutral"]

# Export files, in the order they are written. The names are the contract
# with the connectors (see config/demo.toml).
ZENDESK = "zendesk_tickets.ndjson"
APP_STORE = "app_store_reviews.csv"
GOOGLE_PLAY = "google_play_reviews.csv"
QUALTRICS = "nps_survey.csv"
TYPEFORM = "csat_survey.csv"
FILES: tuple[str, ...] = (ZENDESK, APP_STORE, GOOGLE_PLAY, QUALTRICS, TYPEFORM)
FILE_KIND: dict[str, str] = {
    ZENDESK: "ticket",
    APP_STORE: "review",
    GOOGLE_PLAY: "review",
    QUALTRICS: "survey",
    TYPEFORM: "survey",
}


@dataclass(frozen=True)
class ThemeSpec:
    """One planted theme. `weights` are relative volumes per export file."""

    key: str
    label: str
    stage: str
    polarity: Polarity
    weights: dict[str, float]
    # Themes that often come up in the same item, with relative weights.
    pairs: dict[str, float] = field(default_factory=dict)
    # A week-of-period hump (centre as a fraction of the period, height):
    # gives some themes a seasonal bump that is not in the last two weeks.
    season: tuple[float, float] | None = None


def _w(tickets: float, reviews: float, nps: float, csat: float) -> dict[str, float]:
    return {ZENDESK: tickets, APP_STORE: reviews, GOOGLE_PLAY: reviews, QUALTRICS: nps, TYPEFORM: csat}


THEMES: tuple[ThemeSpec, ...] = (
    ThemeSpec(
        "delivery_delay",
        "Delivery delays",
        "onboarding & delivery",
        "negative",
        _w(11, 2.5, 5, 3),
        {"damaged_device": 3, "support_wait": 3, "praise_staff": 2, "refund_delay": 1.5, "setup_pairing": 1},
        season=(0.3, 0.35),
    ),
    ThemeSpec(
        "damaged_device",
        "Damaged device on arrival",
        "onboarding & delivery",
        "negative",
        _w(3.5, 1.2, 1, 1.5),
        {"delivery_delay": 3, "refund_delay": 2, "praise_staff": 2, "support_wait": 1},
    ),
    ThemeSpec(
        "setup_pairing",
        "Setup and pairing difficulty",
        "onboarding & delivery",
        "negative",
        _w(6, 4, 3, 2),
        {"praise_staff": 2, "battery_life": 1, "app_crash": 1, "praise_ease": 1, "support_wait": 1},
    ),
    ThemeSpec(
        "login_2fa",
        "Login failures / 2FA codes not arriving",
        "product use",
        "negative",
        _w(9, 6, 3, 2),
        {"support_wait": 3, "slow_sync": 1, "app_crash": 1, "notification_spam": 0.5},
    ),
    ThemeSpec(
        "app_crash",
        "App crashes after update",
        "product use",
        "negative",
        _w(3, 9, 2, 0.5),
        {"login_2fa": 2, "slow_sync": 2, "notification_spam": 1, "battery_life": 1},
    ),
    ThemeSpec(
        "slow_sync",
        "Slow dashboard / sync lag",
        "product use",
        "negative",
        _w(6, 4, 4, 1),
        {"app_crash": 1.5, "feature_export": 2, "login_2fa": 1},
    ),
    ThemeSpec(
        "double_charge",
        "Billing errors / double charges",
        "billing & account",
        "negative",
        _w(6, 1.5, 2, 3),
        {"refund_delay": 3, "support_wait": 2, "praise_staff": 1.5, "cancellation_hard": 1.5},
    ),
    ThemeSpec(
        "refund_delay",
        "Refund delays",
        "billing & account",
        "negative",
        _w(5, 1, 2, 4),
        {"praise_staff": 3, "support_wait": 3, "double_charge": 2, "cancellation_hard": 1},
    ),
    ThemeSpec(
        "pricing_confusion",
        "Confusing pricing / plan upgrade",
        "purchase & evaluation",
        "negative",
        _w(2, 2, 4, 0.5),
        {"cancellation_hard": 2, "double_charge": 1.5, "feature_export": 1},
    ),
    ThemeSpec(
        "cancellation_hard",
        "Cancellation hard to find",
        "renewal & cancellation",
        "negative",
        _w(3, 2, 2.5, 2),
        {"double_charge": 2, "refund_delay": 2, "pricing_confusion": 1.5},
    ),
    ThemeSpec(
        "support_wait",
        "Long support wait times",
        "support & service",
        "negative",
        _w(4, 1.5, 6, 9),
        {"praise_staff": 3, "refund_delay": 2, "double_charge": 1.5, "login_2fa": 1.5},
    ),
    ThemeSpec(
        "praise_staff",
        "Praise for support staff",
        "support & service",
        "positive",
        _w(4, 2, 13, 20),
        {"refund_delay": 3, "support_wait": 2, "delivery_delay": 1.5, "praise_ease": 1.5},
    ),
    ThemeSpec(
        "praise_ease",
        "Praise for ease of use",
        "product use",
        "positive",
        _w(1, 16, 16, 0.5),
        {"feature_export": 3, "battery_life": 2, "notification_spam": 2, "slow_sync": 1, "praise_staff": 1},
    ),
    ThemeSpec(
        "feature_export",
        "Feature request: export to CSV / integrations",
        "product use",
        "neutral",
        _w(3, 2.5, 4, 0.3),
        {"praise_ease": 3, "slow_sync": 1.5},
    ),
    ThemeSpec(
        "battery_life",
        "Device battery life",
        "product use",
        "negative",
        _w(3, 5, 2, 0.5),
        {"praise_ease": 2, "notification_spam": 1.5, "setup_pairing": 1},
    ),
    ThemeSpec(
        "notification_spam",
        "Notification spam",
        "product use",
        "negative",
        _w(1, 4, 1.5, 0.2),
        {"battery_life": 2, "praise_ease": 1.5, "app_crash": 1},
    ),
)

# The emerging theme: absent until the 5.2 release at the start of the
# second-to-last week, small that week, clearly larger in the last one.
EMERGING = ThemeSpec(
    "settings_reset",
    "Settings reset after the 5.2 update",
    "product use",
    "negative",
    _w(3, 6, 1, 0.3),
    {"app_crash": 2, "support_wait": 1},
)
EMERGING_VERSION = "5.2"

ALL_THEMES: tuple[ThemeSpec, ...] = (*THEMES, EMERGING)
THEME_BY_KEY: dict[str, ThemeSpec] = {t.key: t for t in ALL_THEMES}
