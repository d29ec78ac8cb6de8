"""`voc eval airline-backlog`: does the backlog find the airline tweets' true complaint reasons?

The Twitter US airline sentiment data carries a hand-labelled
`negativereason` per negative tweet. It is held out: run `voc analyze` on
the tweets (the reason columns dropped, or at least never read), then this
check reads the backlog's entries and, for each of the top entries, the
true reasons of its example records (the verbatims and example ids, looked
up by tweet id). An entry matches the reason that is the plurality among
its examples; the measurement is how many of the 5 largest true reasons
(excluding "Can't Tell") are matched by at least one of the top 8 entries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from voc.errors import InputError
from voc.eval.shared_data import require_data
from voc.rank.backlog import Backlog

EXCLUDED_REASON = "Can't Tell"


@dataclass
class EntryMatch:
    """One backlog entry and the true reasons behind its examples."""

    rank: int
    theme_label: str
    volume: int
    examples: int
    reasons: Counter
    matched: str | None
    verbatims: list[str]


@dataclass
class AirlineResult:
    """The matching of the top entries to the largest true reasons."""

    top_reasons: list[tuple[str, int]]
    entries: list[EntryMatch]
    found: list[str]
    missing: list[str]

    @property
    def score(self) -> str:
        return f"{len(self.found)}/{len(self.top_reasons)}"


def tweet_id(item_id: str) -> str:
    """The tweet id in an item id `source:tweet_id`."""
    return item_id.split(":", 1)[-1]


def match_backlog(
    backlog: Backlog, tweets: pd.DataFrame, top_entries: int = 8, top_reasons: int = 5
) -> AirlineResult:
    """Match the top backlog entries to the largest true negative reasons via their example records."""
    if "negativereason" not in tweets.columns or "tweet_id" not in tweets.columns:
        raise InputError("Tweets.csv needs tweet_id and negativereason columns for this check", code="E273")
    reason_of = dict(zip(tweets["tweet_id"].astype(str), tweets["negativereason"], strict=True))
    counts = tweets["negativereason"].dropna()
    counts = counts[counts != EXCLUDED_REASON].value_counts()
    largest = [(str(r), int(n)) for r, n in counts.head(top_reasons).items()]
    matches = []
    for e in backlog.entries[:top_entries]:
        ids = list(dict.fromkeys([v.item_id for v in e.verbatims] + list(e.example_ids)))
        reasons = Counter(
            str(reason_of.get(tweet_id(i))) for i in ids if isinstance(reason_of.get(tweet_id(i)), str)
        )
        usable = Counter({r: n for r, n in reasons.items() if r != EXCLUDED_REASON})
        matched = usable.most_common(1)[0][0] if usable else None
        matches.append(
            EntryMatch(
                e.rank, e.theme_label, e.volume, len(ids), reasons, matched, [v.text for v in e.verbatims]
            )
        )
    hit = {m.matched for m in matches}
    found = [r for r, _ in largest if r in hit]
    missing = [r for r, _ in largest if r not in hit]
    return AirlineResult(largest, matches, found, missing)


def load_and_match(out_dir: Path, data_dir: Path, top_entries: int = 8) -> AirlineResult:
    """Read `out_dir/backlog.json` and the shared Tweets.csv, and match them."""
    path = out_dir / "backlog.json"
    if not path.exists():
        raise InputError(f"{path} does not exist; run `voc analyze` on the tweets first", code="E274")
    tweets_path = data_dir / "twitter_us_airline_sentiment" / "Tweets.csv"
    require_data(tweets_path, "--data")
    backlog = Backlog.model_validate_json(path.read_text(encoding="utf-8"))
    tweets = pd.read_csv(tweets_path, usecols=["tweet_id", "negativereason"], dtype={"tweet_id": str})
    return match_backlog(backlog, tweets, top_entries=top_entries)


# -- the demo: is the planted emerging theme flagged, and are steady ones left alone? --------


@dataclass
class WeekFlags:
    """Statuses of one week's backlog, with each theme's planted (true) theme."""

    week: str
    emerging_week: bool
    emerging_flagged: list[str]  # backlog themes of the emerging planted theme flagged new/rising
    emerging_status: list[str]  # statuses of the emerging planted theme's backlog themes
    false_alarms: list[str]  # themes of other planted themes flagged new/rising: "label (planted key)"
    ranked: int
    alerts: list[str] = field(default_factory=list)  # what the default alert rules raise: "kind: label"
    framing: list[str] = field(default_factory=list)  # entries named by a greeting, sign-off or thanks


def planted_theme_of(theme_items: pd.DataFrame, truth: pd.DataFrame) -> dict[str, str]:
    """Backlog theme id -> the planted theme key most of its items carry (first planted theme of each item)."""
    first = truth.dropna(subset=["item_id"]).assign(
        key0=lambda d: d["themes"].map(lambda t: t[0] if t else "")
    )
    joined = (
        theme_items[["item_id", "theme_id"]].drop_duplicates().merge(first[["item_id", "key0"]], on="item_id")
    )
    joined = joined[joined["key0"] != ""]
    if joined.empty:
        return {}
    top = joined.groupby("theme_id")["key0"].agg(lambda s: s.value_counts().index[0])
    return {str(k): str(v) for k, v in top.items()}


def demo_weeks(
    store: object,
    config: object,
    truth: pd.DataFrame,
    emerging_key: str,
    emerging_weeks: list[str],
    n_weeks: int = 6,
) -> list[WeekFlags]:
    """Build the backlog of each of the last `n_weeks` weeks and collect new/rising flags."""
    from voc.rank.backlog import build_entries
    from voc.rank.periods import UNDATED, previous_periods
    from voc.rank.stage import load_inputs

    cfg = config.ranking.model_copy(update={"period": "week", "top_n": 10_000})  # type: ignore[attr-defined]
    inp = load_inputs(store, "week")
    # The backlog ranks problems where the store has them, else the themes' complaints.
    ti, item_periods = (
        (inp.problem_ti, inp.item_periods) if inp.problem_ti is not None else (inp.ti, inp.item_periods)
    )
    themes = inp.problems if inp.problems is not None else inp.themes
    mapping = inp.problem_mapping if inp.problems is not None else inp.mapping
    planted = planted_theme_of(ti, truth)
    last = sorted(set(item_periods["period"].dropna()) - {UNDATED})[-1]
    weeks = [*previous_periods(last, "week", n_weeks - 1), last]
    out = []
    from voc.alerts.rules import evaluate_alerts
    from voc.eval.evidence import is_boilerplate_label

    for week in weeks:
        entries = build_entries(ti, item_periods, themes, mapping, week, cfg)
        alerts = evaluate_alerts(entries, config.alerts)  # type: ignore[attr-defined]
        flagged = [e for e in entries if e.status in ("new", "rising")]
        em = [e for e in entries if planted.get(e.theme_id) == emerging_key]
        out.append(
            WeekFlags(
                week=week,
                emerging_week=week in emerging_weeks,
                emerging_flagged=[e.theme_label for e in flagged if planted.get(e.theme_id) == emerging_key],
                emerging_status=[
                    f"{e.theme_label}: {e.status} (rank {e.rank}, {e.volume} items)" for e in em
                ],
                false_alarms=[
                    f"{e.theme_label} ({planted.get(e.theme_id, '?')}, {e.status}, {e.volume} items)"
                    for e in flagged
                    if planted.get(e.theme_id) != emerging_key
                ],
                ranked=len(entries),
                alerts=[f"{a.kind}: {a.theme_label}" for a in alerts],
                framing=[e.theme_label for e in entries if is_boilerplate_label(e.theme_label)],
            )
        )
    return out
