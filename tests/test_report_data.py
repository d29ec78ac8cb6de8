"""build_report_data: periods, KPIs, movers, backlog, accounts and missing tables, on synthetic frames."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest
from report_synth import (
    NOW,
    REPORT_WEEK,
    WEEK_START,
    build_from_tables,
    make_backlog,
    make_tables,
    make_trends,
)

from voc.config.report import ReportConfig
from voc.errors import InputError, StageError
from voc.report.data import build_report_data, safe_url
from voc.report.weeks import default_week, parse_week


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return make_tables()


_build = build_from_tables


@pytest.fixture(scope="module")
def data(tables):
    return _build(tables)


def _week_of(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("W-SUN").dt.start_time.dt.date


def test_parse_week_and_errors() -> None:
    assert parse_week("2026-W47") == date(2026, 11, 16)
    assert parse_week("2026w7") == date(2026, 2, 9)
    with pytest.raises(InputError, match="YYYY-Www"):
        parse_week("2026-47")
    with pytest.raises(InputError, match="no ISO week 54"):
        parse_week("2026-W54")


def test_default_week_is_the_week_just_ended() -> None:
    weeks = [WEEK_START - timedelta(weeks=k) for k in range(3)] + [WEEK_START + timedelta(weeks=1)]
    # Data runs into the current week (W48): report on W47, the last complete one.
    assert default_week(weeks, NOW) == WEEK_START
    # A historical export that ended long ago: its own last week.
    old = [date(2015, 2, 16), date(2015, 2, 23)]
    assert default_week(old, NOW) == date(2015, 2, 23)


def test_period_and_kpis_match_the_frames(tables, data) -> None:
    assert data.period.label == REPORT_WEEK
    assert len(data.period.history) == 12 and data.period.history[-1] == WEEK_START
    items = tables["items"].assign(week=_week_of(tables["items"]["created_at"]))
    this = items[items["week"] == WEEK_START]
    last = items[items["week"] == WEEK_START - timedelta(weeks=1)]
    m = {x.key: x for x in data.metrics}
    assert m["volume"].value == len(this) and m["volume"].prev == len(last)
    labels = tables["item_sentiment"].set_index("item_id")["label"]
    assert m["negative"].value == pytest.approx((labels.loc[this["id"]] == "negative").mean() * 100)
    nps = this[this["rating_scale"] == "nps"]["rating"]
    assert m["nps"].value == pytest.approx(((nps >= 9).mean() - (nps <= 6).mean()) * 100)
    assert m["nps"].n == len(nps)
    trailing = items[items["week"].isin([WEEK_START - timedelta(weeks=k) for k in range(1, 5)])]
    assert m["volume"].trailing == pytest.approx(len(trailing) / 4)


def test_movers_find_what_was_planted(data) -> None:
    assert [r.theme_id for r in data.new] == ["t01"]
    assert "t07" in [r.theme_id for r in data.rising]
    assert "t11" in [r.theme_id for r in data.falling]
    text = " ".join(h.text for h in data.headline)
    t07 = next(r for r in data.themes if r.theme_id == "t07")
    assert f"Rising: “CSV export broken”, {t07.volume} items, up from {t07.prev_volume} last week" in text
    assert "New this week: “Settings reset after update”" in text
    assert "vs last week" in text
    rising_line = next(h for h in data.headline if h.kind == "rising")
    assert rising_line.quote is not None and rising_line.quote.text


def test_theme_rows_sum_to_item_theme_pairs(tables, data) -> None:
    it = tables["item_themes"].merge(tables["items"], left_on="item_id", right_on="id")
    per_week = it.assign(week=_week_of(it["created_at"]))
    for r in data.themes:
        sub = per_week[per_week["theme_id"] == r.theme_id]
        assert r.weekly == [int((sub["week"] == w).sum()) for w in data.period.history]
    assert [r.volume for r in data.themes] == sorted((r.volume for r in data.themes), reverse=True)


def test_item_in_two_themes_counts_in_both(tables) -> None:
    t = dict(tables)
    it = t["item_themes"].copy()
    xss = it["item_id"] == "xss0"
    it.loc[xss, "theme_ids"] = json.dumps(["t01", "t02"])
    t["item_themes"] = it
    before = {r.theme_id: r.volume for r in _build(tables).themes}
    after = {r.theme_id: r.volume for r in _build(t).themes}
    assert after["t01"] == before["t01"] and after["t02"] == before["t02"] + 1


def test_heatmap_accounts_for_every_pair(data) -> None:
    hm = data.heatmap
    assert hm is not None and "usage" in hm.stages
    total = sum(c.count for row in hm.cells for c in row) + hm.unmapped
    assert total == sum(r.volume for r in data.themes)
    assert hm.stages.index("onboarding") < hm.stages.index("usage") < hm.stages.index("billing")


def test_accounts_at_risk_are_big_and_unhappy(data) -> None:
    av = data.accounts
    assert av is not None and av.at_risk
    min_items = ReportConfig().at_risk_min_items
    for a in av.at_risk:
        assert a.revenue >= av.revenue_threshold and a.satisfaction < av.satisfaction_threshold
        assert a.items >= min_items
    for a in av.accounts:
        if not a.at_risk:
            assert (
                a.revenue < av.revenue_threshold
                or a.satisfaction >= av.satisfaction_threshold
                or a.items < min_items
            )
    assert [a.revenue for a in av.at_risk] == sorted((a.revenue for a in av.at_risk), reverse=True)
    assert av.revenue_at_risk == pytest.approx(sum(a.revenue for a in av.at_risk))


def test_backlog_status_and_alerts_win(tables) -> None:
    backlog = make_backlog(tables)
    for e in backlog["entries"]:
        if e["theme_id"] == "t02":
            e["status"] = "rising"
    d = _build(tables, backlog=backlog)
    t02 = next(r for r in d.themes if r.theme_id == "t02")
    assert t02.status == "rising" and t02.status_source == "backlog"
    assert d.backlog and [e.rank for e in d.backlog] == sorted(e.rank for e in d.backlog)
    assert d.alerts and d.alerts[0].severity == "high"
    assert any(h.kind == "alerts" for h in d.headline)


def test_backlog_for_another_week_is_not_trusted(tables) -> None:
    backlog = make_backlog(tables, period="2026-W40")
    for e in backlog["entries"]:
        e["status"] = "resolved"
    d = _build(tables, backlog=backlog, week=REPORT_WEEK, trends=None)
    assert any("2026-W40" in n for n in d.notes)
    assert all(r.status_source == "computed" for r in d.themes)


def test_only_items_still_builds_with_notes(tables) -> None:
    items = tables["items"].drop(columns=["revenue", "rating", "rating_scale"])
    d = build_report_data(items, now=NOW)
    assert d.themes == [] and d.heatmap is None and d.accounts is None and d.sentiment_chart is None
    assert any("Not in this report yet: sentiment, themes, ranked backlog" in n for n in d.notes)
    assert {m.key for m in d.metrics} == {"volume"}  # no sentiment, no ratings: no empty KPI cards


def test_week_without_data_says_so(tables) -> None:
    d = _build(tables, week="2027-W05")
    assert any("No feedback items fall in 2027-W05" in n for n in d.notes)
    assert d.headline[0].text == "No feedback was recorded in 2027-W05."


def test_missing_required_column_is_a_clear_error() -> None:
    with pytest.raises(StageError, match="created_at"):
        build_report_data(pd.DataFrame({"id": ["a"], "text": ["x"]}))


def test_empty_store_builds() -> None:
    empty = pd.DataFrame({"id": [], "created_at": pd.to_datetime([], utc=True), "text": []})
    d = build_report_data(empty, now=datetime(2026, 1, 7, tzinfo=UTC))
    assert d.period.label == "2026-W01"  # Mon 29 Dec 2025 to Sun 4 Jan 2026: ISO years cross over
    assert any("no feedback items yet" in n for n in d.notes)


def test_unsafe_urls_are_dropped(data) -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url(" JAVASCRIPT:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("https://x.example/1") == "https://x.example/1"
    quotes = [h.quote for h in data.headline if h.quote] + [r.quote for r in data.themes if r.quote]
    assert all(q.url is None or q.url.startswith("https://") for q in quotes)


def test_theme_statuses_are_the_backlog_stages_trend_test_only(tables) -> None:
    """The report used to call a theme rising by its own ratio rule beside the backlog's tested statuses;
    it now shows the stored `theme_trends` only, and claims no change without them."""
    bare = _build(tables, trends=None)
    assert bare.rising == [] and bare.new == [] and bare.falling == []
    assert {r.status for r in bare.themes} <= {"steady", "quiet", "resolved"}
    trends = make_trends(tables)
    trends.loc[trends["theme_id"] == "t07", "status"] = "steady"  # the test found nothing: no rising by ratio
    d = _build(tables, trends=trends)
    assert "t07" not in [r.theme_id for r in d.rising]
    assert next(r for r in d.themes if r.theme_id == "t07").status == "steady"


def test_real_backlog_models_are_accepted(tables) -> None:
    """voc.rank.backlog.Backlog with voc.alerts.rules.Alert objects, as the ranking stage hands them over."""
    backlog_mod = pytest.importorskip("voc.rank.backlog")
    rules = pytest.importorskip("voc.alerts.rules")
    raw = make_backlog(tables)
    entries = []
    for e in raw["entries"]:
        e = {**e, "verbatims": [{**v, "sentiment": -0.8} for v in e["verbatims"]]}
        entries.append(backlog_mod.BacklogEntry.model_validate(e))
    from voc.config.alerts import AlertsConfig

    alerts = rules.evaluate_alerts(entries, AlertsConfig())
    backlog = backlog_mod.Backlog(period=REPORT_WEEK, entries=entries, alerts=alerts)
    d = _build(tables, backlog=backlog)
    assert d.backlog is not None and len(d.backlog) == min(len(entries), 10)
    assert d.backlog[0].verbatims and d.backlog[0].verbatims[0].sentiment == -0.8
    assert [a.title for a in d.alerts] == [a.title for a in alerts]
    if alerts:
        assert d.alerts[0].detail.startswith("Why:")


def test_headline_names_the_most_negative_themes(data) -> None:
    line = next(h for h in data.headline if h.kind == "negative_top")
    worst = min(data.themes, key=lambda r: (-round(r.volume * (r.share_negative or 0)), r.label))
    assert line.text.startswith(
        f"Most negative items: “{worst.label}” ({round(worst.volume * worst.share_negative)})"
    )


def test_fresh_export_in_the_running_week_is_reported() -> None:
    # All data in the current week (W48): report on it rather than on an empty W47.
    assert default_week([WEEK_START + timedelta(weeks=1)], NOW) == WEEK_START + timedelta(weeks=1)


def test_report_follows_the_backlog_week(tables) -> None:
    d = _build(tables, backlog=make_backlog(tables, period="2026-W46"))
    assert d.period.label == "2026-W46"
    assert not any("not used" in n for n in d.notes)
    d = _build(tables, backlog={"period": "none", "entries": [], "alerts": []})
    assert d.period.label == REPORT_WEEK and d.backlog == []


def test_theme_weekly_alone_gives_the_theme_table(tables, data) -> None:
    """Without item-level assignments the themes stage's weekly counts still fill the table."""
    d = _build(tables, item_themes=None)
    assert {r.theme_id: r.weekly for r in d.themes} == {r.theme_id: r.weekly for r in data.themes}
    assert d.heatmap is None  # that needs item-level assignments


def test_in_short_sentence(data) -> None:
    first = data.headline[0]
    m = {x.key: x for x in data.metrics}
    change = (m["volume"].value - m["volume"].prev) / m["volume"].prev * 100
    assert first.kind == "summary" and first.tone == "bad"
    assert first.text.startswith(f"In short: Feedback up {change:.0f}% on last week; more of it negative")
    assert (
        f"themes: {len(data.new)} new, {len(data.rising)} rising, {len(data.falling)} easing." in first.text
    )


def test_unassigned_unmapped_and_retired_as_the_stages_write_them(tables, data) -> None:
    """The themes stage writes 'unassigned' rows and retires themes; taxonomy writes 'unmapped'."""
    t = dict(tables)
    extra = pd.DataFrame(
        [{"item_id": "it00001", "theme_id": "unassigned", "theme_label": "Unassigned", "theme_ids": "[]"}]
    )
    t["item_themes"] = pd.concat([tables["item_themes"], extra], ignore_index=True)
    themes = tables["themes"].copy()
    gone = pd.DataFrame(
        [{**themes.iloc[0].to_dict(), "theme_id": "t99", "label": "Old", "status": "retired"}]
    )
    t["themes"] = pd.concat([themes, gone], ignore_index=True)
    mapping = tables["theme_mapping"].copy()
    mapping.loc[mapping["theme_id"] == "t06", "journey_stage"] = "unmapped"
    t["theme_mapping"] = mapping
    d = _build(t, stage_order=["billing", "usage", "onboarding"], pillar_order=["Features", "Reliability"])
    ids = {r.theme_id for r in d.themes}
    assert "unassigned" not in ids and "t99" not in ids and ids == {r.theme_id for r in data.themes}
    hm = d.heatmap
    t06 = next(r for r in d.themes if r.theme_id == "t06")
    assert "unmapped" not in hm.stages and hm.unmapped == t06.volume
    assert hm.stages[:3] == ["billing", "usage", "onboarding"]
    # Features' only theme is unmapped now, so the configured order starts with Reliability.
    assert "Features" not in hm.pillars and hm.pillars[0] == "Reliability"


def test_with_a_backlog_its_statuses_name_the_movers(tables) -> None:
    backlog = make_backlog(tables)
    backlog["entries"] = [e for e in backlog["entries"] if e["theme_id"] != "t07"]  # not ranked this week
    d = _build(tables, backlog=backlog)
    t07 = next(r for r in d.themes if r.theme_id == "t07")
    assert t07.status == "rising" and t07.status_source == "backlog"  # the table shows the stored trend test
    assert "t07" not in [r.theme_id for r in d.rising]  # but the summary follows the backlog
    assert all(r.status_source == "backlog" for r in [*d.rising, *d.new, *d.falling])
