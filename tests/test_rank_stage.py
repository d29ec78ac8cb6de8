"""The taxonomy and backlog stages on a small store: tables, files, planted new theme, no false alarms."""

from __future__ import annotations

import csv
import json
import re
import zlib
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from voc.config import config_from_dict
from voc.rank.stage import build_backlog, default_period
from voc.schema import FeedbackRecord, Kind, RatingScale
from voc.taxonomy.stage import map_taxonomy

NOW = datetime(2026, 11, 18, tzinfo=UTC)  # Wednesday of 2026-W47: W46 is the week just ended
WEEKS = pd.date_range("2026-09-21", periods=8, freq="7D", tz="UTC")  # 2026-W39 .. W46

THEMES = {
    "t_refund": (
        "refund delays",
        ["refund", "money", "waiting"],
        "Where is my refund, still waiting for my money",
    ),
    "t_parcel": (
        "late parcel delivery",
        ["parcel", "delivery", "courier"],
        "My parcel delivery is late again, the courier never came",
    ),
    "t_staff": ("friendly staff", ["staff", "friendly"], "The staff were friendly and helpful"),
    "t_crash": (
        "app crashes on login",
        ["app", "crash", "login"],
        "The app crashes when I log in, I will cancel my subscription",
    ),
}


def bow_encode(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), 256), dtype=np.float32)
    for i, t in enumerate(texts):
        for w in re.findall(r"[a-z]+", t.lower()):
            if len(w) > 2:
                out[i, zlib.crc32(w.encode()) % 256] += 1.0
    n = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(n == 0, 1, n)


def build_store(store, with_ratings: bool = True) -> None:
    rng = np.random.default_rng(0)
    plan = []  # (theme, week, count, negative?)
    for w in range(8):
        plan += [("t_refund", w, 12, True), ("t_parcel", w, 8, True), ("t_staff", w, 10, False)]
    plan += [("t_crash", 7, 14, True)]  # the planted emerging theme, last week only
    records, mentions, sents, ssent, isent, ithemes = [], [], [], [], [], []
    n = 0
    for theme, w, count, neg in plan:
        for _ in range(count):
            n += 1
            text = THEMES[theme][2] + f" (order {n})"
            rating = (float(rng.integers(1, 3)) if neg else 5.0) if with_ratings else None
            records.append(
                FeedbackRecord(
                    id=f"s:{n}",
                    source="s",
                    kind=Kind.review,
                    created_at=WEEKS[w].to_pydatetime() + pd.Timedelta(hours=n % 100),
                    text=text,
                    rating=rating,
                    rating_scale=RatingScale.stars if with_ratings else None,
                    customer_id=f"c{n % 40}",
                    revenue=1000.0 if n % 3 == 0 else None,
                )
            )
            label = "negative" if neg else "positive"
            mentions.append({"item_id": f"s:{n}", "sent_idx": 0, "theme_id": theme, "score": 0.8})
            sents.append({"item_id": f"s:{n}", "sent_idx": 0, "text": text})
            ssent.append({"item_id": f"s:{n}", "sent_idx": 0, "label": label, "score": -0.7 if neg else 0.8})
            isent.append({"item_id": f"s:{n}", "label": label, "score": -0.7 if neg else 0.8})
            ithemes.append({"item_id": f"s:{n}", "theme_id": theme})
    store.commit_batch("s", records, [])
    themes = pd.DataFrame(
        [
            {
                "theme_id": t,
                "label": lab,
                "keywords": json.dumps(kw),
                "group_id": "g1",
                "group_label": "Orders",
                "status": "active",
                "centroid": bow_encode([txt])[0].tolist(),
            }
            for t, (lab, kw, txt) in THEMES.items()
        ]
    )
    store.write_frame("themes", themes)
    store.write_frame("mentions", pd.DataFrame(mentions))
    store.write_frame("sentences", pd.DataFrame(sents))
    store.write_frame("sentence_sentiment", pd.DataFrame(ssent))
    store.write_frame("item_sentiment", pd.DataFrame(isent))
    store.write_frame("item_themes", pd.DataFrame(ithemes))


def config(**ranking):
    return config_from_dict(
        {
            "taxonomy": {
                "min_similarity": 0.15,
                "pillar_min_similarity": 0.15,
                "overrides": [{"theme_id": "t_staff", "pillar": "empathy"}],
            },
            "ranking": {"routing": [{"owner": "payments", "journey_stage": "billing_account"}], **ranking},
        }
    )


def test_map_taxonomy_writes_theme_mention_and_item_mapping(mem_store):
    build_store(mem_store)
    summary = map_taxonomy(mem_store, config(), encode_fn=bow_encode)
    assert summary["themes"] == 4 and summary["framework"] == "six_pillars"
    tm = mem_store.query("SELECT * FROM theme_mapping").set_index("theme_id")
    assert tm.loc["t_refund", "journey_stage"] == "billing_account"
    assert tm.loc["t_parcel", "journey_stage"] == "onboarding_delivery"
    assert tm.loc["t_staff", "pillar"] == "empathy" and tm.loc["t_staff", "pillar_evidence"].startswith(
        "override"
    )
    assert "refund" in tm.loc["t_refund", "stage_evidence"]
    mm = mem_store.query("SELECT * FROM mention_mapping")
    assert len(mm) == summary["mentions"] and mm["stage_evidence"].notna().all()
    assert (mm.loc[mm["theme_id"] == "t_staff", "pillar"] == "empathy").all()
    im = mem_store.query("SELECT * FROM item_mapping")
    assert len(im) == mem_store.count_items()
    assert set(im["journey_stage"]) <= {*tm["journey_stage"], "unmapped"}


def test_backlog_files_table_and_planted_emerging_theme(mem_store, tmp_path):
    build_store(mem_store)
    cfg = config()
    map_taxonomy(mem_store, cfg, encode_fn=bow_encode)
    backlog = build_backlog(mem_store, cfg, tmp_path, now=NOW)
    assert backlog.period == "2026-W46"
    by_id = {e.theme_id: e for e in backlog.entries}
    assert by_id["t_crash"].status == "new"
    false_alarms = [
        e.theme_id for e in backlog.entries if e.theme_id != "t_crash" and e.status in ("new", "rising")
    ]
    assert false_alarms == []
    assert by_id["t_crash"].severity == ["cancel"]
    # Praise is no issue: the staff theme is what customers value, not a backlog entry.
    assert "t_staff" not in by_id
    values = {e.theme_id: e for e in backlog.values}
    assert list(values) == ["t_staff"] and values["t_staff"].kind == "value"
    assert by_id["t_refund"].owner == "payments" and values["t_staff"].owner == "cx-triage"
    assert by_id["t_refund"].csat_impact < 0 and values["t_staff"].csat_impact > 0
    assert by_id["t_refund"].nps_impact is None
    for e in backlog.entries:
        assert sum(e.breakdown.values()) == pytest.approx(e.score, abs=0.011)
    for name in ("backlog.csv", "backlog.json", "backlog.md", "backlog_jira.csv"):
        assert (tmp_path / name).stat().st_size > 0
    rows = list(csv.DictReader((tmp_path / "backlog.csv").open()))
    assert [r["theme_id"] for r in rows] == [e.theme_id for e in backlog.entries]
    data = json.loads((tmp_path / "backlog.json").read_text())
    assert data["period"] == "2026-W46" and data["entries"][0]["breakdown"]
    md = (tmp_path / "backlog.md").read_text()
    assert "why this rank:" in md and "app crashes on login" in md
    jira = list(csv.reader((tmp_path / "backlog_jira.csv").open()))
    assert jira[0][:4] == ["Summary", "Issue Type", "Project Key", "Priority"] and len(jira) == len(rows) + 1
    stored = mem_store.query("SELECT theme_id, rank, period FROM backlog ORDER BY rank")
    assert stored["theme_id"].tolist() == [e.theme_id for e in backlog.entries]
    # Alerts are evaluated (not sent: alerts.enabled is false by default).
    assert {(a.theme_id, a.kind) for a in backlog.alerts} >= {("t_crash", "new")}


def test_backlog_rerun_replaces_the_period_and_no_ratings_works(mem_store, tmp_path):
    build_store(mem_store, with_ratings=False)
    cfg = config()
    build_backlog(mem_store, cfg, tmp_path, now=NOW)  # no theme_mapping: stages stay empty
    backlog = build_backlog(mem_store, cfg, tmp_path, now=NOW)
    assert all(
        e.journey_stage is None and e.csat_impact is None and e.nps_impact is None for e in backlog.entries
    )
    assert len(mem_store.query("SELECT * FROM backlog")) == len(backlog.entries)
    # Columns empty on the first run still get numeric types, so later runs with ratings fit.
    types = mem_store.query(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'backlog'"
    ).set_index("column_name")["data_type"]
    assert (
        types["nps_impact"] == "DOUBLE" and types["revenue_at_risk"] == "DOUBLE" and types["rank"] == "BIGINT"
    )


def test_backlog_without_themes_is_empty_not_an_error(mem_store, tmp_path):
    backlog = build_backlog(mem_store, config(), tmp_path, now=NOW)
    assert backlog.entries == [] and (tmp_path / "backlog.md").exists()


def test_default_period_skips_the_running_week():
    periods = pd.Series(["2026-W45", "2026-W46", "2026-W47"])
    assert default_period(periods, "week", NOW) == "2026-W46"
    assert default_period(pd.Series(["2015-W08", "2015-W09"]), "week", NOW) == "2015-W09"
    assert default_period(pd.Series(["2026-W47"]), "week", NOW) == "2026-W47"
    assert default_period(pd.Series([], dtype=object), "week", NOW) is None


def test_enabled_alerts_are_recorded_and_a_bad_channel_setting_keeps_the_backlog(
    mem_store, tmp_path, monkeypatch
):
    from voc.errors import ConfigError

    build_store(mem_store)
    monkeypatch.delenv("VOC_TEST_HOOK", raising=False)
    cfg = config().model_copy(
        update={
            "alerts": config().alerts.model_copy(update={"enabled": True, "webhook_url_env": "VOC_TEST_HOOK"})
        }
    )
    with pytest.raises(ConfigError, match="VOC_TEST_HOOK"):
        build_backlog(mem_store, cfg, tmp_path, now=NOW)
    assert (tmp_path / "backlog.json").exists() and len(mem_store.query("SELECT * FROM backlog")) > 0
    # With no channel at all, alerts wait in the outbox instead of vanishing.
    cfg = config().model_copy(update={"alerts": config().alerts.model_copy(update={"enabled": True})})
    backlog = build_backlog(mem_store, cfg, tmp_path, now=NOW)
    outbox = mem_store.query("SELECT key, status FROM alerts_sent")
    assert set(outbox["key"]) == {a.key for a in backlog.alerts} and (outbox["status"] == "pending").all()
    assert build_backlog(mem_store, cfg, tmp_path, now=NOW).alerts == []  # deduplicated on the next run


def test_the_period_alerts_are_stored_once_and_the_report_reads_them(mem_store, tmp_path):
    """Alerts are evaluated once, by the backlog stage, and stored; `voc report` lists the stored ones
    (it used to evaluate the rules again on the stored backlog rows, with the mutes of the moment)."""
    from voc.alerts.deliver import mute
    from voc.report.stage import build_from_store

    build_store(mem_store)
    cfg = config().model_copy(update={"alerts": config().alerts.model_copy(update={"enabled": True})})
    first = build_backlog(mem_store, cfg, tmp_path, now=NOW)
    assert first.alerts
    stored = mem_store.read("alerts", order_by="key")
    assert stored["key"].tolist() == sorted(a.key for a in first.alerts)
    # The next run sends nothing again, but the period's alerts stay stored for the report.
    second = build_backlog(mem_store, cfg, tmp_path, now=NOW)
    assert second.alerts == []
    assert mem_store.read("alerts", ["key"], order_by="key")["key"].tolist() == stored["key"].tolist()
    # `voc run` hands the report its backlog: the report still lists the period's stored alerts.
    with_run = build_from_store(mem_store, cfg, week=first.period, backlog=second, now=NOW)
    assert len(with_run.alerts) == len(stored)
    shown = {
        (a.theme_id, a.title) for a in build_from_store(mem_store, cfg, week=first.period, now=NOW).alerts
    }
    assert shown == set(zip(stored["theme_id"], stored["title"], strict=True))
    # A theme muted after the run: the report still shows what the run raised, until the next run.
    mute(mem_store, first.alerts[0].theme_id)
    again = {
        (a.theme_id, a.title) for a in build_from_store(mem_store, cfg, week=first.period, now=NOW).alerts
    }
    assert again == shown
