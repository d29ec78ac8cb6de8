"""The item, mention and complaint evaluations on the shared datasets (skipped without ../shared/data).

Quick runs (the first rows of each split), so CI stays fast; the reported figures come from
the full commands in the README's Measured table.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.shared_data]


def _run(args: list[str]) -> str:
    from typer.testing import CliRunner

    import voc.cli  # noqa: F401  (registers the commands)
    from voc.cli.app import app

    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return res.output


def test_rated_splits_are_fixed_and_never_share_a_text(shared_data: Path) -> None:
    from voc.eval.itemdata import RATED, load_rated, text_key

    for name in RATED:
        df = load_rated(shared_data, name)
        keys = df["text"].map(text_key)
        assert keys.is_unique and set(df["label"]) == {"negative", "neutral", "positive"}
        share = (df["split"] == "test").mean()
        assert 0.22 < share < 0.28, (name, share)
    nhs = load_rated(shared_data, "nhs")
    assert not nhs["text"].str.lower().eq("did not answer").any() and nhs["rating"].le(5).all()


def test_eval_items_prints_the_tone_label_beside_its_baselines(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "items.json"
    text = _run(["eval", "items", "--data-dir", str(shared_data), "--dataset", "hotels", "--dataset", "amazon",
                 "--limit", "100", "--json", str(out)])  # fmt: skip
    assert "VADER" in text and "LODO" in text and "best two cuts of the old score (oracle)" in text
    res = json.loads(out.read_text())
    assert res["calibrator"]["recipe"]["features"] in ("all", "whole")
    assert res["tone"]["recipe"]["layers"] in (1, 2, 3) and "amazon" in res["tone"]["fitted_on"]
    for name in ("hotels", "amazon"):
        rows = {r["system"]: r for r in res["datasets"][name]["rows"]}
        assert res["datasets"][name]["n"] == 100
        new, old = (
            rows["voc item label (tone reader)"],
            rows["voc item label before (whole reading, mixed -> negative)"],
        )
        assert "voc item label (calibrated, session 11)" in rows
        assert 0 < new["se"] < 0.1
        # The oracle maximises over every pair of cuts on these rows: no fixed pair of cuts beats it.
        oracle = rows["best two cuts of the old score (oracle)"]["macro_f1"]
        assert oracle >= rows["two cuts of the old score fitted on the train split"]["macro_f1"] - 1e-9
        # Three-star reviews can be neutral now: the old label almost never said it.
        assert new["predicted"][1] > old["predicted"][1]
    hotels = {r["system"]: r["macro_f1"] for r in res["datasets"]["hotels"]["rows"]}
    assert (
        hotels["voc item label (tone reader)"]
        > hotels["voc item label before (whole reading, mixed -> negative)"]
    )


def test_eval_mentions_scores_the_mention_that_holds_each_aspect_term(
    shared_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mentions.json"
    text = _run(["eval", "mentions", "--data-dir", str(shared_data), "--domain", "laptops", "--limit", "120",
                 "--json", str(out)])  # fmt: skip
    assert "VADER (sentence)" in text
    d = json.loads(out.read_text())["domains"]["laptops"]
    assert d["sentences"] == 120 and d["terms"] > 120
    rows = {r["system"]: r for r in d["results"]}
    mention = rows["voc-default, the term's mention"]
    assert mention["accuracy"] > 0.55 and mention["macro_f1_se"] > 0
    assert mention["accuracy"] > rows["VADER (sentence)"]["accuracy"]


def test_eval_complaints_finds_complaints_in_friendly_tweets(shared_data: Path, tmp_path: Path) -> None:
    from voc.eval.complaints import load_complaints

    df = load_complaints(shared_data)
    assert len(df) == 1974 and not df["domain"].str.startswith("random").any()
    out = tmp_path / "complaints.json"
    _run(["eval", "complaints", "--data-dir", str(shared_data), "--limit", "300", "--json", str(out)])
    rows = {r["system"]: r for r in json.loads(out.read_text())["rows"] if r["group"] == "all nine domains"}
    mention = rows["voc-default: a negative mention (carries_complaint)"]
    assert mention["n"] == 300 and mention["precision"] > 0.7
    # A complaint inside a polite or mixed message is still found: more recall than the overall tone, and
    # far more than VADER's.
    assert mention["recall"] >= rows["voc-default: item label negative"]["recall"]
    assert mention["recall"] > rows["VADER compound <= -0.05"]["recall"] + 0.2
