"""No raw PII anywhere: ingest rows carrying every PII type, run every stage, scan everything.

Good rows and rows quarantined for a bad date carry e-mails, phones (valid,
invalid by the numbering plan, international), a card, an IBAN, IPv4 and
IPv6 addresses, a US SSN, a UK NI number, a street address and person names
introduced by a cue. After `analyze_file` (ingest, sentiment, themes,
mapping, backlog with alerts, report, CSV exports) every text column of every
table in the store, every output file and every captured log line is searched
for the inserted values. A second test plants a webhook URL with a token and
an SMTP password, makes both deliveries fail, and greps logs and store.
"""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from voc.alerts.deliver import dispatch
from voc.alerts.rules import Alert
from voc.config import config_from_dict
from voc.pipeline.analyze import AnalyzeOptions, analyze_file
from voc.schema import RatingScale

# value inserted -> strings that must not be found anywhere afterwards
PII = {
    "jo.smith@example.com": ["jo.smith@example.com", "jo.smith"],
    "+44 7911 123456": ["7911 123456", "7911123456"],
    "555-123-4567": ["555-123-4567", "5551234567"],
    "+44 7700 900123": ["7700 900123", "7700900123"],
    "call 020 7946 0958": ["7946 0958"],
    "4111 1111 1111 1111": ["4111 1111 1111 1111", "4111111111111111"],
    "GB82 WEST 1234 5698 7654 32": ["GB82 WEST", "GB82WEST"],
    "192.168.10.24": ["192.168.10.24"],
    "2001:db8::8a2e:370:7334": ["2001:db8::8a2e"],
    "SSN 123-45-6789": ["123-45-6789", "123456789"],
    "NI number AB 12 34 56 C": ["AB 12 34 56 C", "AB123456C"],
    "I live at 42 Baker Street, London": ["Baker Street"],
    "my name is Johanna Smithers": ["Johanna", "Smithers"],
    "Regards,\nBartholomew Quist": ["Bartholomew", "Quist"],
}
BASE = [
    "The app crashes every time I open the settings page.",
    "My refund is three weeks late and nobody answers.",
    "Delivery took two weeks longer than promised.",
    "I was charged twice for the same order this month.",
    "The support agent fixed it in minutes, thank you.",
    "Setup was quick and the app is easy to use.",
]


def _rows() -> list[dict]:
    values = list(PII)
    rows = []
    for i in range(168):
        # A sign-off goes last, where people write it.
        a, b = sorted(
            [values[i % len(values)], values[(i * 5 + 3) % len(values)]], key=lambda v: "Regards" in v
        )
        rows.append(
            {
                "review_id": f"r{i}",
                # Every seventh row is quarantined for its date; one date cell itself holds PII.
                "date": "not a date" if i % 7 == 3 else f"2026-03-{1 + i % 28:02d}",
                "stars": 1 + i % 5,
                "review": f"{BASE[i % len(BASE)]} {a}. Also {b}",
                "email": "jo.smith@example.com",
                "note": f"agent note: {values[(i + 2) % len(values)]}".replace("Regards,\n", "signed "),
            }
        )
    rows[11]["date"] = "call 555-123-4567"
    return rows


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _alert_config(port: int, secret_url: str) -> dict:
    return {
        "enabled": True,
        "webhook_url_env": "VOC_TEST_WEBHOOK",
        "email": {
            "host": "127.0.0.1",
            "port": port,
            "sender": "voc@example.org",
            "recipients": ["ops@example.org"],
            "username": "voc",
            "password_env": "VOC_TEST_SMTP_PASSWORD",
            "timeout_s": 2,
        },
        "retries": 1,
        "backoff_s": 0,
        "timeout_s": 2,
        "min_volume": 1,
        "negative_volume_threshold": 1,
    }


def _store_text(path: Path) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text cell of every table."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cols = con.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type IN ('VARCHAR', 'JSON') OR data_type LIKE 'VARCHAR%' OR data_type LIKE '%[]'"
        ).fetchall()
        out = []
        for table, column in cols:
            for (value,) in con.execute(f'SELECT CAST("{column}" AS VARCHAR) FROM "{table}"').fetchall():
                if value:
                    out.append((table, column, value))
        return out
    finally:
        con.close()


def _find(needles: list[str], haystacks: list[tuple[str, str]]) -> list[str]:
    return [f"{needle!r} in {where}" for needle in needles for where, text in haystacks if needle in text]


@pytest.mark.model
def test_no_inserted_pii_survives_any_stage(tmp_path: Path, monkeypatch, caplog) -> None:
    src = tmp_path / "export.csv"
    pd.DataFrame(_rows()).to_csv(src, index=False)
    port = _free_port()
    secret_url = f"http://127.0.0.1:{port}/services/T0/B0/WEBHOOKSECRET42"
    monkeypatch.setenv("VOC_TEST_WEBHOOK", secret_url)
    monkeypatch.setenv("VOC_TEST_SMTP_PASSWORD", "SMTPpassw0rd!")
    cfg = config_from_dict({"alerts": _alert_config(port, secret_url)})
    store_path = tmp_path / "voc.duckdb"
    out = tmp_path / "out"
    caplog.set_level(logging.DEBUG)
    opts = AnalyzeOptions(
        id_col="review_id", date_col="date", text_col="review", rating_scale=RatingScale.stars
    )
    result = analyze_file(src, out, opts, config=cfg, store_path=store_path, progress=False)

    c = result.counts
    assert (
        c["read"] == 168
        and c["quarantined"] == 25
        and c["read"] == c["stored"] + c["duplicates"] + c["quarantined"]
    )
    cells = _store_text(store_path)
    tables = {t for t, _, _ in cells}
    assert {"items", "quarantine", "sentences", "themes", "mentions", "backlog", "alerts_sent"} <= tables
    # Themes, backlog verbatims and alert payloads were written, so their text was scanned too.
    assert sum(t == "themes" and col == "label" for t, col, _ in cells) >= 1
    assert sum(t == "alerts_sent" and col == "payload" for t, col, _ in cells) >= 1
    haystacks = [(f"{t}.{col}", v) for t, col, v in cells]
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {"items.csv", "quarantine.csv", "report.html", "report.md", "backlog.md"} <= {
        p.name for p in files
    }
    haystacks += [(p.name, p.read_text(encoding="utf-8", errors="ignore")) for p in files]
    haystacks.append(("logs", "\n".join(r.getMessage() for r in caplog.records)))
    needles = [n for ns in PII.values() for n in ns] + ["WEBHOOKSECRET42", "SMTPpassw0rd!"]
    leaks = _find(needles, haystacks)
    assert leaks == [], sorted({leak.split(".")[0] for leak in leaks})
    # The quarantine still says which row failed and why.
    q = pd.read_csv(out / "quarantine.csv")
    assert set(q["reason"]) == {"bad_date"} and q["input_row"].notna().all()


def test_planted_secrets_stay_out_of_logs_errors_and_store(mem_store, monkeypatch, caplog) -> None:
    port = _free_port()
    secret_url = f"http://127.0.0.1:{port}/services/T0/B0/WEBHOOKSECRET42"
    monkeypatch.setenv("VOC_TEST_WEBHOOK", secret_url)
    monkeypatch.setenv("VOC_TEST_SMTP_PASSWORD", "SMTPpassw0rd!")
    cfg = config_from_dict({"alerts": _alert_config(port, secret_url)}).alerts
    alert = Alert(
        key="t1|new|2026-W10",
        kind="new",
        theme_id="t1",
        theme_label="Refunds",
        period="2026-W10",
        rank=1,
        score=60.0,
        status="new",
        volume=9,
        negative_volume=7,
        verbatim="my SSN 123-45-6789 was on the form, call 555-123-4567",
        link="javascript:alert(1)",
        title="New theme: Refunds",
        text='New theme: Refunds\nExample: "my SSN 123-45-6789 was on the form, call 555-123-4567"',
    )
    caplog.set_level(logging.DEBUG)
    result = dispatch(mem_store, [alert], cfg, sleep=lambda s: None)
    assert len(result.pending) == 2  # both channels failed, both wait in the outbox
    rows = mem_store.query("SELECT channel, last_error, payload FROM alerts_sent")
    text = "\n".join(rows["last_error"].fillna("") + rows["payload"]) + "\n".join(
        r.getMessage() for r in caplog.records
    )
    for secret in (
        "WEBHOOKSECRET42",
        "/services/T0/B0",
        "SMTPpassw0rd!",
        "123-45-6789",
        "555-123-4567",
        "alert(1)",
    ):
        assert secret not in text, secret
    assert "127.0.0.1" in " ".join(rows["last_error"].fillna(""))  # the host still says where it went
