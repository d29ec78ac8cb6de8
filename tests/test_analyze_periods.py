"""Any export just works: dateless files, one-week files, multi-year exports, thin or partial last periods."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from voc.config.ranking import RankingConfig
from voc.errors import InputError
from voc.pipeline.analyze import AnalyzeOptions, analyze_file, file_source
from voc.rank.backlog import build_entries
from voc.rank.metrics import theme_items
from voc.rank.periods import choose_window, period_bounds, period_labels, week_window
from voc.report.data import build_report_data
from voc.schema import RatingScale


def _ts(values: list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(values, utc=True))


def _spread(start: str, end: str, n: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    lo, hi = pd.Timestamp(start, tz="UTC").value, pd.Timestamp(end, tz="UTC").value
    return pd.Series(pd.to_datetime(np.sort(rng.integers(lo, hi, n)), utc=True))


# -- choosing the window (pure) -------------------------------------------------------


def test_a_file_without_dates_is_one_undated_period() -> None:
    w = choose_window(pd.Series([None] * 12, dtype="datetime64[ns, UTC]"))
    assert w.undated and w.granularity == "all" and w.focus is None
    assert w.items_in_window == w.items_total == 12
    assert "no dates" in " ".join(w.notes)


def test_all_dates_in_one_week_make_no_trend_claim() -> None:
    w = choose_window(_spread("2024-12-02", "2024-12-08 23:00", 300))
    assert w.granularity == "week" and w.periods == ("2024-W49",)
    assert w.focus is None and w.items_in_window == 300
    assert "one week" in " ".join(w.notes)


def test_years_with_a_sparse_last_week_speak_about_the_whole_file() -> None:
    # The shape of the five-year complaints export: most items in one year, 1 item in the last week.
    ts = pd.concat(
        [
            _spread("2015-01-10", "2018-12-31", 120, 1),
            _spread("2019-01-01", "2019-12-31", 1300, 2),
            _spread("2020-01-01", "2020-03-01", 99, 3),
            _ts(["2020-03-10 12:00"]),
        ],
        ignore_index=True,
    )
    w = choose_window(ts)
    assert w.granularity == "quarter"
    assert w.periods[0] == "2015-Q1" and w.periods[-1] == "2020-Q1"
    assert w.items_in_window == len(ts)  # the whole file, not its last week
    assert "2020-Q1" in w.partial  # the export stopped in March
    assert w.focus == "2019-Q4" and w.baseline == ("2018-Q4", "2019-Q1", "2019-Q2", "2019-Q3")


def test_a_trailing_partial_month_is_shown_not_compared() -> None:
    ts = pd.concat([_spread("2023-01-01", "2024-06-30 23:00", 1800), _spread("2024-07-01", "2024-07-04", 20)])
    w = choose_window(ts)
    assert w.granularity == "month"
    assert w.periods[-1] == "2024-07" and "2024-07" in w.partial
    assert w.focus == "2024-06"


def test_a_thin_last_complete_period_is_skipped_for_the_comparison() -> None:
    weeks = [_spread(f"2024-{m:02d}-01", f"2024-{m:02d}-28", 60, m) for m in range(1, 4)]
    thin = _ts(["2024-04-01 10:00", "2024-04-03 10:00"])  # a complete week (W14) with 2 items
    last = _ts(["2024-04-07 23:30"])
    w = choose_window(pd.concat([*weeks, thin, last]), granularity="week")
    assert w.periods[-1] == "2024-W14"
    assert w.focus is not None and w.focus < "2024-W14"


def test_since_until_and_period_narrow_the_window() -> None:
    ts = _spread("2019-01-01", "2021-12-31", 2000)
    w = choose_window(ts, since=datetime(2020, 1, 1, tzinfo=UTC), until=datetime(2021, 1, 1, tzinfo=UTC))
    assert w.periods[0] == "2020-01" and w.periods[-1] == "2020-12"
    assert w.items_in_window < w.items_total and w.partial == ()
    start, end, inner = period_bounds("2020-Q2")
    assert (start.month, end.month, inner) == (4, 7, "month")
    with pytest.raises(InputError, match="E281"):
        period_bounds("spring")
    with pytest.raises(InputError, match="E282"):
        choose_window(ts, since=datetime(2030, 1, 1, tzinfo=UTC))


def test_the_weekly_window_is_one_week_against_its_baseline() -> None:
    w = week_window("2026-W47", 4)
    assert w.scope == "period" and w.ranked_periods == ("2026-W47",) and w.focus == "2026-W47"
    assert w.baseline == ("2026-W43", "2026-W44", "2026-W45", "2026-W46")


def test_undated_items_get_their_own_label() -> None:
    labels = period_labels(pd.Series(pd.to_datetime(["2026-01-05", None], utc=True)), "month")
    assert labels.tolist() == ["2026-01", "undated"]


# -- ranking over a window (pure) -------------------------------------------------------


def _frames(times: pd.Series, themes: list[str], labels: list[str]):
    items = pd.DataFrame({"id": [f"i{k}" for k in range(len(times))], "created_at": times, "text": "x"})
    for col in ("rating", "rating_scale", "customer_id", "revenue", "url", "external_id"):
        items[col] = None
    mentions = pd.DataFrame(
        {"item_id": items["id"], "sent_idx": 0, "theme_id": themes, "score": 0.5, "label": labels,
         "sentiment": [-0.8 if lab == "negative" else 0.5 for lab in labels]}
    )  # fmt: skip
    return items, mentions


def test_a_multi_year_backlog_counts_every_item_and_no_top_entry_is_empty() -> None:
    times = pd.concat(
        [_spread("2016-01-01", "2019-12-31", 600, 4), _ts(["2020-03-10 12:00"])], ignore_index=True
    )
    rng = np.random.default_rng(0)
    themes = rng.choice(["T1", "T2", "T3", "T4"], size=len(times)).tolist()
    labels = ["negative"] * len(times)
    items, mentions = _frames(times, themes, labels)
    w = choose_window(items["created_at"])
    cfg = RankingConfig()
    ti = theme_items(items, mentions, None, w.granularity)
    ip = pd.DataFrame({"item_id": items["id"], "period": period_labels(items["created_at"], w.granularity),
                       "rating": None, "rating_scale": None})  # fmt: skip
    reg = pd.DataFrame(
        {"theme_id": ["T1", "T2", "T3", "T4"], "label": ["a", "b", "c", "d"], "group_label": None}
    )
    entries = build_entries(ti, ip, reg, None, w, cfg)
    assert len(entries) == 4
    assert sum(e.volume for e in entries) == len(times)
    assert all(e.volume > 0 for e in entries)
    assert not any(e.status == "resolved" for e in entries)
    assert {e.period for e in entries} == {w.label} and entries[0].focus_period == w.focus


def test_an_undated_backlog_ranks_without_trend() -> None:
    times = pd.Series([pd.NaT] * 40, dtype="datetime64[ns, UTC]")
    items, mentions = _frames(times, ["T1"] * 25 + ["T2"] * 15, ["negative"] * 40)
    w = choose_window(items["created_at"])
    ti = theme_items(items, mentions, None, "all")
    ip = pd.DataFrame({"item_id": items["id"], "period": "all", "rating": None, "rating_scale": None})
    reg = pd.DataFrame({"theme_id": ["T1", "T2"], "label": ["a", "b"], "group_label": None})
    entries = build_entries(ti, ip, reg, None, w, RankingConfig())
    assert [(e.theme_id, e.volume, e.status, e.growth) for e in entries] == [
        ("T1", 25, "steady", None),
        ("T2", 15, "steady", None),
    ]


def test_a_window_report_covers_the_window_and_marks_partial_periods() -> None:
    times = pd.concat(
        [_spread("2023-01-01", "2024-06-30 23:00", 500), _spread("2024-07-01", "2024-07-03", 5)]
    )
    items = pd.DataFrame(
        {"id": [f"i{k}" for k in range(len(times))], "created_at": times.to_numpy(), "text": "t"}
    )
    w = choose_window(items["created_at"])
    data = build_report_data(items, window=w)
    assert data.period.scope == "window" and data.period.granularity == "month"
    assert next(m for m in data.metrics if m.key == "volume").value == len(items)
    assert data.volume_chart.partial[-1] and not data.volume_chart.partial[-2]
    assert data.latest and data.latest[0].key == "volume"
    assert any("Partial months" in n for n in data.notes)
    summary = next(h.text for h in data.headline if h.kind == "summary")
    assert f"{len(items):,} feedback items" in summary


def test_an_undated_report_makes_no_trend_claims() -> None:
    items = pd.DataFrame({"id": ["a", "b", "c"], "created_at": [None, None, None], "text": ["x", "y", "z"]})
    w = choose_window(pd.to_datetime(items["created_at"], utc=True))
    data = build_report_data(items, window=w)
    assert data.period.undated and data.rising == [] and data.new == []
    text = " ".join(h.text for h in data.headline)
    assert "no dates" in text and "no trend" in text


# -- column guessing on real export shapes ------------------------------------------------


def test_columns_are_guessed_from_their_content(tmp_path: Path) -> None:
    # Amazon calls its text verified_reviews and its 0/1 label feedback; Google Play its timestamp `at`.
    src = tmp_path / "reviews.csv"
    pd.DataFrame(
        {
            "rating": [5, 4, 1, 3, 5, 2],
            "at": [f"2024-12-0{d} 10:00:00" for d in range(1, 7)],
            "verified_reviews": ["Love it, works great", "Good sound but the app is slow", "Stopped working after a week",
                                 "It is fine I guess", "Best purchase this year", "Alexa keeps mishearing me"],
            "feedback": [1, 1, 0, 1, 1, 0],
        }
    ).to_csv(src, index=False)  # fmt: skip
    s = file_source(src, AnalyzeOptions())
    assert (s.columns.text, s.columns.created_at, s.columns.rating) == ("verified_reviews", "at", "rating")
    assert s.rating_scale == RatingScale.stars and not s.undated


def test_a_file_without_a_date_column_is_undated_and_no_dates_can_be_declared(tmp_path: Path) -> None:
    src = tmp_path / "survey.csv"
    pd.DataFrame(
        {"comment": ["too slow", "great staff", "parking was hard"], "note": ["a", "b", "c"]}
    ).to_csv(src, index=False)
    assert file_source(src, AnalyzeOptions()).undated
    nodate = file_source(src, AnalyzeOptions(undated=True))
    assert nodate.undated and nodate.columns.created_at is None
    with pytest.raises(InputError, match="E220"):
        file_source(src, AnalyzeOptions(undated=True, date_col="note"))
    with pytest.raises(InputError, match="E225"):
        file_source(src, AnalyzeOptions(text_col="body"))


def test_a_file_whose_every_row_is_set_aside_fails_with_the_reasons(tmp_path: Path) -> None:
    src = tmp_path / "bad.csv"
    pd.DataFrame({"text": ["one thing", "another"], "created_at": ["2024-01-01", "2024-01-02"]}).to_csv(
        src, index=False
    )
    # A date format the user names but the file does not follow: every row is quarantined.
    from voc.config import default_config

    cfg = default_config()
    with pytest.raises(InputError, match=r"E226.*bad_date"):
        analyze_file(src, tmp_path / "out", AnalyzeOptions(date_col="text"), config=cfg, progress=False)


# -- end to end (models) -------------------------------------------------------------------

_TOPICS = {
    "crash": (
        "The app crashes",
        "The app keeps crashing",
        "The app freezes and crashes",
        "The app crashed again",
    ),
    "refund": (
        "My refund is late",
        "Still no refund",
        "The refund never arrived",
        "I am waiting for my refund",
    ),
    "delivery": (
        "Delivery was late",
        "The parcel arrived late",
        "Shipping took too long",
        "My order came late",
    ),
    "charge": ("I was charged twice", "Double charge on my card", "You billed me twice", "Charged two times"),
}
_TAILS = ("when I open settings", "after the update", "for the third time", "this week", "again today",
          "on my phone", "since Monday", "and nobody helps")  # fmt: skip


def _texts(n: int) -> list[str]:
    heads = [h for hs in _TOPICS.values() for h in hs]
    return [f"{heads[i % len(heads)]} {_TAILS[(i // len(heads)) % len(_TAILS)]}." for i in range(n)]


@pytest.mark.model
def test_analyze_a_dateless_file_end_to_end(tmp_path: Path) -> None:
    src = tmp_path / "comments.csv"
    pd.DataFrame({"comment": _texts(64)}).to_csv(src, index=False)
    out = tmp_path / "out"
    result = analyze_file(src, out, AnalyzeOptions(), progress=False)
    assert result.counts["stored"] == 64 and result.window is not None and result.window.undated
    items = pd.read_csv(out / "items.csv")
    assert items["created_at"].isna().all()  # no made-up date (not the run time)
    backlog = pd.read_csv(out / "backlog.csv")
    assert len(backlog) and (backlog["volume"] > 0).all() and set(backlog["period"]) == {"undated"}
    assert set(backlog["status"]) == {"steady"}
    md = (out / "report.md").read_text()
    assert "no dates" in md and "rising" not in md.lower().split("top themes")[0].replace("new or rising", "")


@pytest.mark.model
def test_analyze_a_multi_year_file_with_since_until(tmp_path: Path) -> None:
    times = pd.concat(
        [_spread("2017-01-01", "2020-02-20", 70, 9), _ts(["2020-03-10 12:00"])], ignore_index=True
    )
    src = tmp_path / "export.csv"
    pd.DataFrame(
        {"created_at": times.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "text": _texts(len(times))}
    ).to_csv(src, index=False)  # fmt: skip
    result = analyze_file(src, tmp_path / "all", AnalyzeOptions(), progress=False)
    w = result.window
    assert w is not None and w.granularity == "quarter" and w.items_in_window == len(times)
    backlog = pd.read_csv(tmp_path / "all" / "backlog.csv")
    top = backlog.sort_values("rank").head(10)
    assert (top["volume"] > 0).all() and (backlog["status"] != "resolved").all()
    narrowed = analyze_file(src, tmp_path / "2018", AnalyzeOptions(period="2018"), progress=False).window
    assert narrowed is not None and narrowed.periods[0] == "2018-01" and narrowed.periods[-1] == "2018-12"
    assert narrowed.items_in_window == int((times.dt.year == 2018).sum())
