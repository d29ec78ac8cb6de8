"""Outputs are safe to open: CSV formulas neutralised, Markdown inert, http(s)-only links, secrets hidden."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from voc.clean.quarantine import redact_quarantine
from voc.config.core import CleanConfig
from voc.rank.backlog import Backlog, BacklogEntry, Verbatim
from voc.rank.writers import write_backlog
from voc.safe import csv_cell, csv_frame, markdown_link, markdown_text, safe_url, scrub_secrets, url_host
from voc.schema import QuarantineRow

EVIL_URLS = [
    "JaVaScRiPt:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>x</script>",
    "java\tscript:x",
]
FORMULAS = ['=HYPERLINK("http://evil.example/x","refund late")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]


@pytest.mark.parametrize("text", FORMULAS)
def test_formula_cells_get_a_leading_apostrophe(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell("refund late") == "refund late"
    assert csv_cell(-2) == -2  # numbers are not text cells


def test_csv_frame_neutralises_text_columns_only() -> None:
    df = pd.DataFrame({"text": [FORMULAS[0], "fine"], "score": [-0.5, 0.2]})
    out = csv_frame(df)
    assert out["text"].tolist() == ["'" + FORMULAS[0], "fine"]
    assert out["score"].tolist() == [-0.5, 0.2]
    assert df["text"].iloc[0] == FORMULAS[0]  # the input is not changed


@pytest.mark.parametrize("url", EVIL_URLS)
def test_only_http_links_survive(url: str) -> None:
    assert safe_url(url) is None
    assert markdown_link(url) == ""
    assert safe_url(" https://support.example/t/1 ") == "https://support.example/t/1"


def test_markdown_text_defuses_links_images_html_and_mentions() -> None:
    out = markdown_text("[click](javascript:alert(1)) ![x](http://evil.example/p.png) <b>hi</b> @here")
    assert "](" not in out.replace("\\](", "")  # no unescaped link or image syntax
    assert "\\[click\\]" in out and "\\!\\[x\\]" in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "@here" not in out


def test_markdown_link_percent_encodes_what_would_end_the_link() -> None:
    assert markdown_link("https://x.example/a b)c", "r1") == "[r1](https://x.example/a%20b%29c)"


def test_secrets_show_the_host_only() -> None:
    url = "https://hooks.slack.example/services/T000/B000/SECRETTOKEN123"
    msg = f"POST {url} failed; path /services/T000/B000/SECRETTOKEN123 ?"
    out = scrub_secrets(msg, [url, "hunter2pass"])
    assert "SECRETTOKEN123" not in out and "hooks.slack.example" in out
    assert url_host(url) == "hooks.slack.example"
    assert scrub_secrets("auth failed for hunter2pass", ["hunter2pass"]) == "auth failed for ***"


def _backlog(url: str) -> Backlog:
    entry = BacklogEntry.model_construct(
        **{
            **{name: None for name in BacklogEntry.model_fields},
            "rank": 1,
            "theme_id": "t1",
            "theme_label": "=cmd|' /C calc'!A0",
            "period": "2026-W10",
            "status": "new",
            "score": 50.0,
            "volume": 3,
            "prev_volume": 0,
            "negative_volume": 2,
            "unique_customers": 3,
            "breakdown": {},
            "severity": [],
            "verbatims": [Verbatim.model_construct(item_id="s:1", text="[evil](javascript:x) =1+1", url=url)],
            "example_ids": ["s:1"],
            "example_urls": [url],
        }
    )
    return Backlog.model_construct(period="2026-W10", entries=[entry])


def test_backlog_files_never_link_to_a_non_http_url(tmp_path: Path) -> None:
    # The backlog keeps only http(s) links when it is built (voc.rank.backlog._link);
    # the writers check again, so a hand-made or older backlog cannot slip one through.
    paths = write_backlog(_backlog("JaVaScRiPt:alert(1)"), tmp_path)
    for kind in ("csv", "md", "jira", "json"):
        assert "alert(1)" not in paths[kind].read_text(encoding="utf-8").lower(), kind
    md = paths["md"].read_text(encoding="utf-8")
    assert "\\[evil\\]" in md
    with paths["csv"].open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert all(not c.startswith(("=", "+", "-", "@")) for row in rows[1:] for c in row)


def test_backlog_link_is_dropped_when_the_record_url_is_not_http() -> None:
    from voc.rank.backlog import _link

    assert _link(pd.Series({"url": "vbscript:msgbox(1)", "item_id": "a"}), None) is None
    assert _link(pd.Series({"url": "https://t.example/1", "item_id": "a"}), None) == "https://t.example/1"
    assert (
        _link(pd.Series({"url": None, "item_id": "a", "external_id": "javascript:x"}), "{external_id}")
        is None
    )


def _q(raw: dict, detail: str) -> QuarantineRow:
    return QuarantineRow(
        source="s", input_file="f.csv", input_row=7, reason="bad_date", detail=detail, raw=json.dumps(raw)
    )


def test_quarantine_rows_keep_structure_but_not_pii() -> None:
    raw = {
        "date": "call 555-123-4567",
        "review": "bad date row with jo.smith@example.com and +44 7911 123456",
        "email": "x7@example.org",
        "phone": 4155550134,
        "stars": 3,
    }
    [row] = redact_quarantine([_q(raw, "created_at 'call 555-123-4567' is not a date")], CleanConfig())
    kept = json.loads(row.raw)
    assert set(kept) == set(raw) and kept["stars"] == 3
    assert (row.source, row.input_file, row.input_row, row.reason) == ("s", "f.csv", 7, "bad_date")
    text = row.raw + row.detail
    for value in ("555-123-4567", "jo.smith@example.com", "7911 123456", "x7@example.org", "4155550134"):
        assert value not in text
    assert "[EMAIL]" in kept["review"] and kept["email"] == "[REDACTED]" and kept["phone"] == "[REDACTED]"


def test_quarantine_keep_raw_is_opt_in() -> None:
    raw = {"review": "mail jo.smith@example.com"}
    [kept] = redact_quarantine([_q(raw, "")], CleanConfig(quarantine_keep_raw=True))
    assert "jo.smith@example.com" in kept.raw
    [red] = redact_quarantine([_q(raw, "")], CleanConfig())
    assert "jo.smith@example.com" not in red.raw
