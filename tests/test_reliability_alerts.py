"""Issue 21, alert delivery: a dead receiver costs one alert's retries, not the run; the status is honest.

Before: each of 9 alerts was tried 3 times with no early stop (69.8 s for `voc backlog`
at timeout_s=2), the command exited 0 and logged "9 alerts (dispatched)" although none was sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest
from test_alerts import Receiver, entry, free_port

from voc.alerts.deliver import SENT_TABLE, dispatch
from voc.alerts.rules import evaluate_alerts
from voc.config.alerts import AlertsConfig

pytestmark = pytest.mark.reliability


def nine_alerts(cfg: AlertsConfig):
    alerts = evaluate_alerts([entry(f"t{i}", "new", negative=1) for i in range(9)], cfg)
    assert len(alerts) == 9
    return alerts


def test_a_dead_webhook_stops_after_the_first_hard_failure_and_keeps_the_rest_queued(mem_store) -> None:
    cfg = AlertsConfig(
        enabled=True,
        webhook_url=f"http://127.0.0.1:{free_port()}/hook",
        retries=3,
        backoff_s=0.01,
        timeout_s=2,
    )
    attempts: list[float] = []
    t0 = time.monotonic()
    res = dispatch(mem_store, nine_alerts(cfg), cfg, sleep=attempts.append)
    assert time.monotonic() - t0 < 5
    assert res.sent == [] and len(res.pending) == 9 and len(res.not_tried) == 8
    assert attempts == [0.01, 0.02]  # one alert's 3 attempts, not 27
    assert res.summary().startswith("0 of 9 sent, 9 queued in the outbox (webhook stopped after [E601]")
    assert not res.ok
    rows = mem_store.query(f"SELECT status, attempts, last_error FROM {SENT_TABLE}")
    assert (rows["status"] == "pending").all() and rows["attempts"].sum() == 3
    # Once the receiver is back, the outbox delivers all nine.
    r = Receiver()
    try:
        back = dispatch(mem_store, [], cfg.model_copy(update={"webhook_url": r.url}))
        assert back.summary() == "9 of 9 sent, 0 queued in the outbox" and back.retried == 9
        assert len(r.bodies) == 9
    finally:
        r.close()


def test_an_answer_retrying_cannot_change_is_not_retried(mem_store) -> None:
    hits: list[int] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            hits.append(1)
            self.send_response(404)
            self.end_headers()
            self.wfile.write(json.dumps({"error": "no such hook"}).encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/revoked"
        cfg = AlertsConfig(enabled=True, webhook_url=url, retries=3, backoff_s=0)
        res = dispatch(mem_store, nine_alerts(cfg), cfg)
    finally:
        server.shutdown()
        server.server_close()
    assert len(hits) == 1  # a 404 is final: one request in all
    assert len(res.pending) == 9 and "answered 404" in res.stopped["webhook"]


def test_the_run_is_bounded_by_max_total_s(mem_store) -> None:
    # A receiver that accepts the connection and never answers: every attempt runs to its timeout.
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(64)
    try:
        url = f"http://127.0.0.1:{hole.getsockname()[1]}/hook"
        cfg = AlertsConfig(
            enabled=True, webhook_url=url, retries=3, backoff_s=0.5, timeout_s=2, max_total_s=1.5
        )
        t0 = time.monotonic()
        res = dispatch(mem_store, nine_alerts(cfg), cfg)
        took = time.monotonic() - t0
    finally:
        hole.close()
    assert took < 1.5 + 1.0, took  # the budget, plus the store writes of nine rows
    assert res.sent == [] and len(res.pending) == 9
    assert res.out_of_time or "webhook" in res.stopped
    assert res.summary().startswith("0 of 9 sent, 9 queued")


def test_voc_backlog_with_a_dead_webhook_exits_1_and_says_what_was_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_rank_stage import build_store

    from voc.cli import main
    from voc.config import load_config
    from voc.store import open_store

    conf = tmp_path / "voc.toml"
    conf.write_text(
        '[store]\npath = "voc.duckdb"\n[report]\nout_dir = "out"\n[ranking]\nperiod = "all"\n'
        f'[alerts]\nenabled = true\nwebhook_url = "http://127.0.0.1:{free_port()}/hook"\n'
        "retries = 3\nbackoff_s = 0.01\ntimeout_s = 2\nnegative_volume_threshold = 1\n"
    )
    with open_store(load_config(conf)) as store:
        build_store(store)
        store.write_frame(  # mapped already: `voc backlog` then loads no model
            "theme_mapping",
            pd.DataFrame(
                {"theme_id": ["t_refund"], "journey_stage": ["billing_account"], "pillar": ["resolution"]}
            ),
        )
    monkeypatch.setattr("sys.argv", ["voc", "backlog", "-c", str(conf)])
    t0 = time.monotonic()
    with pytest.raises(SystemExit) as done:
        main()
    assert time.monotonic() - t0 < 10
    out, err = capsys.readouterr()
    assert done.value.code == 1
    last = err.strip().splitlines()[-1]
    assert "partial failure" in last and "backlog written, but alerts: 0 of" in last
    assert "queued in the outbox" in out and "dispatched" not in out + err
    assert (tmp_path / "out" / "backlog.json").exists()


def test_a_flow_run_with_undelivered_alerts_ends_partial_and_still_writes_the_report(
    prefect_api, tmp_path
) -> None:
    from test_flows import write_config
    from test_rank_stage import build_store

    from flows import report_flow
    from voc.config import load_config
    from voc.store import open_store

    cfg = write_config(
        tmp_path,
        [],
        alerts={"enabled": True, "webhook_url": f"http://127.0.0.1:{free_port()}/hook", "retries": 2,
                "backoff_s": 0.01, "negative_volume_threshold": 1},
        ranking={"period": "all"},
    )  # fmt: skip
    with open_store(load_config(cfg)) as store:
        build_store(store)
    state = report_flow(str(cfg), out_dir=str(tmp_path / "out"), return_state=True)
    out = state.result(raise_on_failure=False)
    steps = {s["step"]: s for s in out["steps"]}
    assert state.is_failed() and state.name == "Partial"
    assert steps["backlog"]["status"] == "ok" and steps["report"]["status"] == "ok"
    assert steps["alerts"]["status"] == "failed" and "sent, " in steps["alerts"]["error"]
    assert steps["alerts"]["error"].startswith("0 of ")
    assert (tmp_path / "out" / "report.html").exists()
