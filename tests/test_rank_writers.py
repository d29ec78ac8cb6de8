"""Backlog writers: untrusted text is escaped, CSV cells cannot run as formulas, Jira CSV shape."""

from __future__ import annotations

import csv
import json

from voc.rank.backlog import Backlog, BacklogEntry, Verbatim
from voc.rank.writers import breakdown_text, jira_priority, markdown, safe_cell, write_backlog


def make_backlog() -> Backlog:
    e = BacklogEntry(
        rank=1,
        theme_id="t1",
        theme_label='=HYPERLINK("http://evil") | <b>refunds</b>',
        status="rising",
        score=61.5,
        breakdown={"negative_volume": 30.0, "negative_share": 15.0, "growth": 16.5, "revenue": 0.0},
        volume=40,
        negative_volume=35,
        prev_volume=10,
        unique_customers=38,
        share_negative=0.875,
        growth=3.2,
        growth_p=0.0004,
        severity=["legal"],
        journey_stage="billing_account",
        pillar="resolution",
        owner="payments",
        verbatims=[
            Verbatim(item_id="i1", text="<script>alert(1)</script> my *refund*", url="https://x.example/i1")
        ],
        example_ids=["i1", "i2"],
        example_urls=["https://x.example/i1", None],
        period="2026-W46",
    )
    return Backlog(period="2026-W46", entries=[e])


def test_markdown_escapes_customer_text_and_explains_rank():
    md = markdown(make_backlog())
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "\\*refund\\*" in md and "\\| &lt;b&gt;" in md
    assert "why this rank: negative_volume 30.0 + growth 16.5 + negative_share 15.0 = 61.5" in md
    assert markdown(Backlog(period="2026-W46")).count("No problem with enough feedback") == 1


def test_csv_cells_are_formula_safe_and_json_round_trips(tmp_path):
    paths = write_backlog(make_backlog(), tmp_path, project="CX")
    rows = list(csv.DictReader(paths["csv"].open()))
    assert rows[0]["theme_label"].startswith("'=HYPERLINK")
    assert rows[0]["points_growth"] == "16.50" and rows[0]["severity"] == "legal"
    assert rows[0]["example_urls"] == "https://x.example/i1 "
    assert Backlog.model_validate(json.loads(paths["json"].read_text())) == make_backlog()
    jira = list(csv.reader(paths["jira"].open()))
    assert jira[0].count("Labels") == 3
    assert jira[1][0].startswith("[VoC] =HYPERLINK") and jira[1][2] == "CX" and jira[1][3] == "High"
    assert "stage-billing_account" in jira[1]
    assert safe_cell("-1") == "'-1" and safe_cell("fine") == "fine" and safe_cell(None) == ""


def test_priority_bands_and_breakdown_text():
    assert [jira_priority(s) for s in (80, 60, 45, 10)] == ["Highest", "High", "Medium", "Low"]
    e = make_backlog().entries[0]
    assert breakdown_text(e.model_copy(update={"breakdown": {"a": 0.0}})) == "0"
