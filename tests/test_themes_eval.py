"""`voc eval themes`: input errors, a small run with the real encoder, and the Banking77 targets."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from voc.config.themes import ThemesConfig
from voc.errors import InputError
from voc.eval.themes import evaluate_themes, read_labelled, score_clustering


def test_missing_columns_name_the_file_and_the_columns(tmp_path) -> None:
    f = tmp_path / "x.csv"
    pd.DataFrame({"body": ["a"], "intent": ["b"]}).to_csv(f, index=False)
    with pytest.raises(InputError, match=r"\['text'\] not found; available: body, intent"):
        read_labelled(f, "text", ["intent"])
    with pytest.raises(InputError, match="no CSV data"):
        read_labelled(tmp_path / "nope.csv", "text", ["intent"])


def test_unassigned_counts_as_one_cluster_in_the_scores() -> None:
    import numpy as np

    truth = {"y": np.array(["a", "a", "b", "b"])}
    perfect = score_clustering("x", np.array([0, 0, 1, 1]), truth, 1.0)
    lazy = score_clustering("x", np.array([-1, -1, -1, -1]), truth, 1.0)
    assert perfect.scores["y"]["nmi"] == pytest.approx(1.0) and perfect.n_themes == 2
    assert lazy.scores["y"]["ari"] == pytest.approx(0.0) and lazy.unassigned_share == 1.0


@pytest.mark.model
def test_eval_runs_end_to_end_on_a_small_labelled_file(tmp_path) -> None:
    rows = []
    for intent, phrases in {
        "refund": [
            "where is my refund",
            "refund not received yet",
            "I want my money back",
            "refund still pending",
        ],
        "password": [
            "forgot my password",
            "reset my password",
            "password reset link broken",
            "cannot change password",
        ],
        "delivery": [
            "parcel has not arrived",
            "delivery is late",
            "where is my package",
            "courier lost my parcel",
        ],
    }.items():
        for p in phrases:
            for suffix in ("", " please", " asap", " today", " help", " again"):
                rows.append({"text": p + suffix, "intent": intent})
    f = tmp_path / "small.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    res = evaluate_themes(f, "text", ["intent"], ThemesConfig(min_cluster_size=5), cache_path=tmp_path / "c.duckdb",
                          baseline=False)  # fmt: skip
    ours = res["systems"][0]
    assert res["n"] == 72 and ours["themes"] >= 2
    assert ours["scores"]["intent"]["nmi"] > 0.5


@pytest.mark.model
def test_cli_prints_the_table(tmp_path) -> None:
    from voc.cli.app import app

    rows = [
        {"text": f"{w} problem number {i}", "label": w}
        for w in ("refund", "login", "parcel")
        for i in range(15)
    ]
    f = tmp_path / "d.csv"
    pd.DataFrame(rows).to_csv(f, index=False)
    out = CliRunner().invoke(app, ["eval", "themes", "--data", str(f), "--label-col", "label", "--no-baseline",
                                   "--cache", str(tmp_path / "c.duckdb")])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "NMI label" in out.output and "voc themes" in out.output


@pytest.mark.shared_data
@pytest.mark.model
@pytest.mark.slow
def test_banking77_targets(shared_data, tmp_path) -> None:
    """The issue's targets, never given the number of intents (about 2-4 min with embedding)."""
    res = evaluate_themes(shared_data / "banking77", "text", ["category"], ThemesConfig(),
                          cache_path=tmp_path / "c.duckdb", baseline=False, with_stability=True)  # fmt: skip
    ours = res["systems"][0]
    assert res["n"] == 13083
    assert ours["scores"]["category"]["nmi"] >= 0.82
    assert ours["scores"]["category"]["ari"] >= 0.55
    assert 40 <= ours["themes"] <= 150
    assert ours["unassigned_share"] <= 0.10
    assert res["stability"]["ami"] >= 0.90
