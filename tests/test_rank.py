"""Ranking: metrics, impact, trend test, priority breakdown, ties, empty periods, missing ratings/revenue."""

from __future__ import annotations

import pandas as pd
import pytest

from voc.config.ranking import RankingConfig, RoutingRule
from voc.errors import InputError
from voc.rank.backlog import build_entries, route_owner
from voc.rank.impact import csat, nps, score_impact
from voc.rank.metrics import period_metrics, severity_signals, theme_items
from voc.rank.periods import parse_period, period_labels, previous_periods
from voc.rank.trend import growth_test, trend_table

MONDAYS = pd.date_range("2026-10-05", periods=6, freq="7D", tz="UTC")  # 2026-W41 .. W46


def make_frames(spec: list[tuple[str, int, int, str]], extra_items_per_week: int = 20):
    """spec: (theme_id, week index, count, sentiment label). Adds background items with no theme."""
    items, mentions, isent = [], [], []
    n = 0
    for theme, week, count, label in spec:
        for _ in range(count):
            iid = f"i{n}"
            n += 1
            items.append(
                {
                    "id": iid,
                    "created_at": MONDAYS[week] + pd.Timedelta(hours=n % 48),
                    "text": f"text {theme} {iid}",
                }
            )
            mentions.append(
                {
                    "item_id": iid,
                    "sent_idx": 0,
                    "theme_id": theme,
                    "score": 0.5,
                    "label": label,
                    "sentiment": -0.8 if label == "negative" else 0.5,
                }
            )
            isent.append({"item_id": iid, "label": label, "score": -0.8 if label == "negative" else 0.5})
    for week in range(len(MONDAYS)):
        for _ in range(extra_items_per_week):
            items.append(
                {"id": f"bg{n}", "created_at": MONDAYS[week] + pd.Timedelta(hours=3), "text": "hello"}
            )
            n += 1
    items_df = pd.DataFrame(items)
    for col in ("rating", "rating_scale", "customer_id", "revenue", "url", "external_id"):
        items_df[col] = None
    return items_df, pd.DataFrame(mentions), pd.DataFrame(isent)


def entries_for(
    spec, period="2026-W46", cfg=None, themes=None, mapping=None, items_patch=None, kind="problem", **kw
):
    cfg = cfg or RankingConfig(**kw)
    items, mentions, isent = make_frames(spec)
    if items_patch:
        items = items_patch(items)
    ti = theme_items(items, mentions, isent, cfg.period)
    ip = items.rename(columns={"id": "item_id"}).assign(period=period_labels(items["created_at"], cfg.period))
    themes = (
        themes
        if themes is not None
        else pd.DataFrame(
            {
                "theme_id": sorted({s[0] for s in spec}),
                "label": sorted({s[0] for s in spec}),
                "group_label": "g",
            }
        )
    )
    return build_entries(ti, ip, themes, mapping, period, cfg, kind=kind)


def test_periods_label_step_and_reject_bad_labels():
    ts = pd.Series(pd.to_datetime(["2026-01-01 10:00", "2025-12-28 23:59"], utc=True))
    assert period_labels(ts, "week").tolist() == ["2026-W01", "2025-W52"]
    assert previous_periods("2026-W01", "week", 2) == ["2025-W51", "2025-W52"]
    assert previous_periods("all", "all", 4) == []
    with pytest.raises(InputError, match="2026-W47"):
        parse_period("last week", "week")


def test_nps_csat_and_impact_with_and_without_the_theme():
    assert nps([10, 9, 8, 0]) == pytest.approx(25.0)
    assert csat([5, 4, 1, 2]) == 50.0
    assert nps([]) is None
    rated = pd.DataFrame({"item_id": ["a", "b", "c", "d"], "rating": [0, 0, 10, 10]})
    imp = score_impact(rated, {"t_bad": {"a", "b"}, "t_none": {"zz"}, "t_all": {"a", "b", "c", "d"}}, "nps")
    # NPS all = 0; without a, b = 100: the theme costs 100 points.
    assert imp["t_bad"] == -100.0
    assert imp["t_none"] is None and imp["t_all"] is None


def test_growth_test_is_significant_only_with_enough_counts():
    ratio, p_up, _ = growth_test(4, 100, 8, 400)  # 2x growth on tiny counts
    assert ratio == pytest.approx(2.0) and p_up > 0.05
    ratio, p_up, _ = growth_test(40, 100, 80, 400)  # same 2x with 10x the data
    assert ratio == pytest.approx(2.0) and p_up < 0.001
    ratio, p_up, p_down = growth_test(0, 100, 0, 400)
    assert ratio is None and p_up == 1.0 and p_down == 1.0
    assert growth_test(5, 100, 0, 0)[0] is None  # no history: nothing to compare with


def test_trend_statuses():
    counts = pd.DataFrame(
        {"W1": [10, 0, 10, 30, 12], "W2": [10, 0, 10, 30, 10], "W3": [10, 12, 40, 3, 0]},
        index=["steady", "newbie", "riser", "faller", "gone"],
    )
    exposure = pd.Series({"W1": 1000, "W2": 1000, "W3": 1000})
    first = pd.Series({"steady": "W1", "newbie": "W3", "riser": "W1", "faller": "W1", "gone": "W1"})
    out = trend_table(counts, exposure, "W3", ["W1", "W2"], first)
    assert out["status"].to_dict() == {
        "steady": "steady",
        "newbie": "new",
        "riser": "rising",
        "faller": "falling",
        "gone": "resolved",
    }
    assert out.loc["riser", "growth"] == pytest.approx(4.0)
    assert out.loc["riser", "growth_p"] < 0.001


def test_a_thin_period_never_resolves_every_theme_at_once():
    # The bug a five-year export showed: its last week held 1 item, and every theme was "resolved".
    counts = pd.DataFrame({"W1": [30, 8, 2], "W2": [25, 9, 1], "W3": [0, 0, 0]}, index=["big", "mid", "rare"])
    exposure = pd.Series({"W1": 400, "W2": 380, "W3": 1})
    first = pd.Series({"big": "W1", "mid": "W1", "rare": "W1"})
    out = trend_table(counts, exposure, "W3", ["W1", "W2"], first)
    assert (out["status"] != "resolved").all()
    # With a full period and the theme clearly expected in it, silence does mean resolved.
    exposure["W3"] = 400
    out = trend_table(counts, exposure, "W3", ["W1", "W2"], first)
    assert out.loc["big", "status"] == "resolved"
    assert out.loc["rare", "status"] == "steady"  # 3 items before: its silence proves nothing


def test_severity_signals_do_not_fire_on_a_cancelled_flight():
    cfg = RankingConfig()
    texts = pd.Series(
        ["my flight was cancelled", "I will cancel my subscription", "I am calling my lawyer", "fine"]
    )
    sig = severity_signals(texts, cfg.severity_patterns)
    assert sig.loc[0].sum() == 0
    assert sig.loc[1, "cancel"] and sig.loc[2, "legal"] and not sig.loc[3].any()


def test_safety_is_a_fire_not_the_fire_stick():
    cfg = RankingConfig()
    texts = pd.Series(["My Fire Stick keeps freezing", "the Kindle Fire is slow", "the charger caught fire"])
    assert severity_signals(texts, cfg.severity_patterns)["safety"].tolist() == [False, False, True]


def test_breakdown_sums_to_score_and_explains_the_order():
    spec = [("big_bad", w, 30, "negative") for w in range(6)] + [
        ("small_bad", w, 5, "negative") for w in range(6)
    ]
    spec += [("big_good", w, 30, "positive") for w in range(6)]
    entries = entries_for(spec)
    # Praise never becomes an issue: the praise-only theme is not ranked at all.
    assert [e.theme_id for e in entries] == ["big_bad", "small_bad"]
    for e in entries:
        assert sum(e.breakdown.values()) == pytest.approx(e.score, abs=0.011)
        assert e.status == "steady" and e.growth == pytest.approx(1.0)
    assert entries[0].breakdown["negative_volume"] == pytest.approx(30.0)
    assert [e.rank for e in entries] == [1, 2]


def test_a_praise_only_theme_is_valued_never_a_problem():
    spec = [("praise", w, 12, "positive") for w in range(6)] + [("bad", w, 6, "negative") for w in range(6)]
    assert [e.theme_id for e in entries_for(spec)] == ["bad"]
    values = entries_for(spec, kind="value")
    assert [(e.theme_id, e.kind, e.volume) for e in values] == [("praise", "value", 12)]


def test_a_complaint_inside_praise_is_a_problem_named_by_the_complaint():
    # One theme (sizing), praised by most and complained about by some: the entry counts the complaints
    # and takes the complaints' name; the praise is the value entry with the praise's name.
    spec = [("fit", w, 9, "positive") for w in range(6)] + [("fit", w, 4, "negative") for w in range(6)]
    themes = pd.DataFrame({"theme_id": ["fit"], "label": ["Sizing and fit"], "group_label": "g",
                           "problem_label": ["Runs small"], "praise_label": ["True to size"]})  # fmt: skip
    (e,) = entries_for(spec, themes=themes)
    assert (e.theme_label, e.theme_name, e.volume) == ("Runs small", "Sizing and fit", 4)
    assert e.share_negative == pytest.approx(4 / 13, abs=1e-3)
    (v,) = entries_for(spec, themes=themes, kind="value")
    assert (v.theme_label, v.volume) == ("True to size", 9)


def test_a_theme_of_verdicts_without_an_aspect_is_no_problem():
    spec = [("meh", w, 10, "negative") for w in range(6)] + [("late", w, 5, "negative") for w in range(6)]
    themes = pd.DataFrame(
        {"theme_id": ["late", "meh"], "label": ["Late delivery", "Not happy"], "opinion_share": [0.1, 0.9]}
    )
    assert [e.theme_id for e in entries_for(spec, themes=themes)] == ["late"]


def test_ties_are_broken_reproducibly():
    spec = [(t, w, 10, "negative") for t in ("zeta", "alpha", "mid") for w in range(6)]
    entries = entries_for(spec)
    assert len({e.score for e in entries}) == 1
    assert [e.theme_id for e in entries] == ["alpha", "mid", "zeta"]  # equal on every metric: by label


def test_new_theme_is_flagged_and_earns_growth_points():
    spec = [("old", w, 10, "negative") for w in range(6)] + [("emerging", 5, 15, "negative")]
    entries = {e.theme_id: e for e in entries_for(spec)}
    assert entries["emerging"].status == "new"
    assert entries["emerging"].breakdown["growth"] == pytest.approx(15.0)
    assert entries["old"].status == "steady" and entries["old"].breakdown["growth"] == 0


def test_empty_period_gives_resolved_entries_or_nothing():
    spec = [("t", w, 10, "negative") for w in range(4)]  # silent in W45 and W46
    entries = entries_for(spec)
    assert [(e.theme_id, e.status, e.volume) for e in entries] == [("t", "resolved", 0)]
    assert entries[0].breakdown["negative_volume"] == 0
    # A period before any data: nothing to rank, no error.
    assert entries_for(spec, period="2026-W30") == []


def test_no_ratings_no_revenue_gives_none_not_zero():
    spec = [("t", w, 10, "negative") for w in range(6)]
    e = entries_for(spec)[0]
    assert e.nps_impact is None and e.csat_impact is None and e.revenue_at_risk is None
    assert e.breakdown["score_impact"] == 0 and e.breakdown["revenue"] == 0


def test_revenue_at_risk_counts_each_negative_customer_once():
    spec = [("t", 5, 4, "negative"), ("t", 5, 2, "positive")]

    def patch(items):
        items = items.copy()
        themed = items["text"].str.startswith("text t")
        items.loc[themed, "customer_id"] = ["c1", "c1", "c2", "c3", "c4", "c5"]
        items.loc[themed, "revenue"] = [100.0, 100.0, 50.0, None, 999.0, 999.0]
        return items

    e = entries_for(spec, items_patch=patch)[0]
    # c1 (100, twice) + c2 (50) + c3 (unknown); c4/c5 are positive.
    assert e.revenue_at_risk == 150.0
    assert e.unique_customers == 3  # the customers with the complaint; c4/c5 only praised the theme


def test_verbatims_examples_links_owner_and_mapping():
    spec = [("t", w, 6, "negative") for w in range(6)]
    cfg = RankingConfig(
        link_template="https://desk.example.com/t/{external_id}",
        routing=[RoutingRule(owner="payments-team", journey_stage="billing_account")],
    )
    mapping = pd.DataFrame(
        {"theme_id": ["t"], "journey_stage": ["billing_account"], "pillar": ["resolution"]}
    )
    e = entries_for(spec, cfg=cfg, mapping=mapping)[0]
    assert len(e.verbatims) == 3 and all(v.text.startswith("text t") for v in e.verbatims)
    assert len(e.example_ids) == 6 and e.example_urls[0].startswith("https://desk.example.com/t/")
    assert e.owner == "payments-team" and e.pillar == "resolution"
    assert e.first_seen < e.last_seen and e.period == "2026-W46"


def test_route_owner_falls_back_to_default():
    rules = [
        RoutingRule(owner="a", pillar="empathy"),
        RoutingRule(owner="b", journey_stage="support_service"),
    ]
    assert route_owner("support_service", "resolution", None, rules, "triage") == "b"
    assert route_owner("purchase", None, None, rules, "triage") == "triage"


def test_period_metrics_on_empty_frame_and_unknown_sentiment():
    items, mentions, _ = make_frames([("t", 5, 4, "negative")])
    mentions = mentions.drop(columns=["label", "sentiment"])
    ti = theme_items(items, mentions, None)
    pm = period_metrics(ti, "2026-W46", RankingConfig().severity_patterns)
    # No sentiment at all: every item counts as potentially negative, share unknown.
    assert pm.loc["t", "negative_volume"] == 4 and pm.loc["t", "share_negative"] is None
    assert period_metrics(ti, "1999-W01", {}).empty
