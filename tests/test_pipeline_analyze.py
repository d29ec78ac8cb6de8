"""`voc analyze PATH`: one export in, the items.csv contract and every stage's outputs out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from voc.errors import InputError
from voc.pipeline.analyze import AnalyzeOptions, analyze_file, file_source
from voc.schema import ITEMS_CSV_COLUMNS, RatingScale

COMPLAINTS = [
    "The app crashes every time I open the settings page.",
    "My refund is three weeks late and nobody answers.",
    "Delivery took two weeks longer than promised.",
    "I was charged twice for the same order this month.",
]
PRAISE = [
    "The support agent was kind and fixed it in minutes.",
    "Setup was quick and the app is easy to use.",
]


def _export(path: Path) -> None:
    rows = []
    for i in range(36):
        text = (COMPLAINTS + PRAISE)[i % 6] + f" Order {1000 + i}."
        stars = 1 if i % 6 < 4 else 5
        rows.append(
            {"review_id": f"r{i}", "date": f"2026-03-{1 + i % 28:02d}", "stars": stars, "review": text}
        )
    rows.append({"review_id": "bad", "date": "not a date", "stars": 3, "review": "fine"})
    rows.append(
        {"review_id": "r0", "date": "2026-03-01", "stars": 1, "review": rows[0]["review"]}
    )  # duplicate
    pd.DataFrame(rows).to_csv(path, index=False)


@pytest.mark.model
def test_analyze_writes_the_items_csv_contract(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    _export(src)
    out = tmp_path / "out"
    opts = AnalyzeOptions(id_col="review_id", rating_scale=RatingScale.stars)
    result = analyze_file(src, out, opts, progress=False)
    assert result.counts["read"] == 38
    assert (result.counts["stored"], result.counts["duplicates"], result.counts["quarantined"]) == (36, 1, 1)
    items = pd.read_csv(out / "items.csv")
    assert list(items.columns) == ITEMS_CSV_COLUMNS
    assert len(items) == 36 and items["id"].is_unique
    # input_row points back at the row of the input file (0-based, header excluded).
    original = pd.read_csv(src)
    for row in items.itertuples():
        assert original.loc[row.input_row, "review_id"] == row.id.split(":", 1)[1]
    assert set(items["sentiment"]) <= {"negative", "neutral", "positive"} and items["sentiment"].notna().all()
    assert items["sentiment_score"].between(-1, 1).all()
    assert items["theme_ids"].notna().all() and all(
        isinstance(json.loads(t), list) for t in items["theme_ids"]
    )
    quarantine = pd.read_csv(out / "quarantine.csv")
    assert quarantine["reason"].tolist() == ["bad_date"]
    for name in ("themes.csv", "backlog.csv", "report.html", "report.md"):
        assert (out / name).exists(), name


def test_columns_are_guessed_or_named_in_the_error(tmp_path: Path) -> None:
    src = tmp_path / "export.csv"
    days = [f"2026-01-{d:02d}" for d in range(1, 11)]
    pd.DataFrame({"when": days, "comment": ["slow app"] * 10, "n": range(10)}).to_csv(src, index=False)
    # No date-like name: the column whose values are dates is the date column.
    source = file_source(src, AnalyzeOptions())
    assert (source.columns.text, source.columns.created_at) == ("comment", "when")
    source = file_source(src, AnalyzeOptions(date_col="when"))
    assert (source.columns.text, source.columns.created_at) == ("comment", "when")
    numbers = tmp_path / "numbers.csv"
    pd.DataFrame({"a": [1, 2, 3], "b": [4, 5, 6]}).to_csv(numbers, index=False)
    with pytest.raises(InputError, match="--text-col"):
        file_source(numbers, AnalyzeOptions())
    with pytest.raises(InputError, match="suffix"):
        file_source(tmp_path / "export.xml", AnalyzeOptions())
