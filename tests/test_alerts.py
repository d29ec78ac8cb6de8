"""Alerts: rules, dedup, mutes, and delivery to loopback webhook and SMTP receivers (down, flaky, up)."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voc.alerts.deliver import (
    SENT_TABLE,
    EmailChannel,
    WebhookChannel,
    channels_from_config,
    dispatch,
    known_keys,
    mute,
    muted_themes,
    unmute,
)
from voc.alerts.rules import evaluate_alerts
from voc.config.alerts import AlertsConfig, EmailConfig
from voc.errors import ConfigError
from voc.rank.backlog import BacklogEntry, Verbatim


def entry(theme_id="t1", status="new", volume=20, negative=15, period="2026-W46", rank=1) -> BacklogEntry:
    return BacklogEntry(
        rank=rank,
        theme_id=theme_id,
        theme_label=f"label {theme_id}",
        status=status,
        score=50.0,
        breakdown={"negative_volume": 50.0},
        volume=volume,
        negative_volume=negative,
        period=period,
        growth=3.0 if status == "rising" else None,
        growth_p=0.001,
        verbatims=[Verbatim(item_id="i1", text="it broke")],
        example_urls=["https://x.example/i1"],
    )


class Receiver:
    """A Slack-compatible webhook receiver on loopback that can fail its first N requests."""

    def __init__(self, fail_first: int = 0) -> None:
        self.bodies: list[dict] = []
        self.fail_left = fail_first
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if outer.fail_left > 0:
                    outer.fail_left -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                outer.bodies.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SMTPReceiver:
    """Just enough SMTP on loopback to accept messages (smtplib talks to it)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                self.wfile.write(b"220 test ESMTP\r\n")
                while line := self.rfile.readline():
                    cmd = line.decode().strip().upper()
                    if cmd.startswith(("EHLO", "HELO")):
                        self.wfile.write(b"250 test\r\n")
                    elif cmd.startswith("DATA"):
                        self.wfile.write(b"354 go\r\n")
                        data = []
                        while (d := self.rfile.readline()) not in (b".\r\n", b""):
                            data.append(d.decode())
                        outer.messages.append("".join(data))
                        self.wfile.write(b"250 queued\r\n")
                    elif cmd.startswith("QUIT"):
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_steady_series_raises_no_alert_by_default_and_a_spike_does():
    cfg = AlertsConfig()
    steady = [entry(f"s{k}", "steady", volume=40, negative=40) for k in range(12)]
    steady += [entry("dip", "falling", volume=10), entry("gone", "resolved", volume=0)]
    assert evaluate_alerts(steady, cfg) == []  # standing complaint volume is the backlog's job
    small = entry("small", "steady", volume=9, negative=9)
    small = small.model_copy(update={"growth": 4.5, "growth_p": 0.0004})
    assert [(a.theme_id, a.kind) for a in evaluate_alerts([small, *steady], cfg)] == [("small", "spike")]
    weak = small.model_copy(update={"growth_p": 0.02})  # a jump this likely by chance is no spike
    assert evaluate_alerts([weak], cfg) == []
    # The standing-volume rule is still there for those who want it.
    opt_in = AlertsConfig(negative_volume_threshold=30)
    assert {a.kind for a in evaluate_alerts(steady, opt_in)} == {"negative_volume"}


def test_rules_new_rising_negative_volume_mutes_and_dedup():
    cfg = AlertsConfig(enabled=True, negative_volume_threshold=10, min_volume=5)
    entries = [
        entry("new1", "new"),
        entry("rise", "rising"),
        entry("steady_bad", "steady", negative=12),
        entry("steady_ok", "steady", negative=3),
        entry("tiny_new", "new", volume=2, negative=1),
    ]
    alerts = evaluate_alerts(entries, cfg)
    kinds = {(a.theme_id, a.kind) for a in alerts}
    assert kinds == {
        ("new1", "new"),
        ("new1", "negative_volume"),
        ("rise", "rising"),
        ("rise", "negative_volume"),
        ("steady_bad", "negative_volume"),
    }
    assert "3.0x its trailing baseline (p=0.001)" in next(a.text for a in alerts if a.kind == "rising")
    # Rising from an empty baseline without a test: said in words, no empty "()".
    bare = entry("from0", "rising").model_copy(update={"growth": None, "growth_p": None})
    text = next(a.text for a in evaluate_alerts([bare], cfg) if a.kind == "rising")
    assert "up from none before." in text and "()" not in text
    again = evaluate_alerts(
        entries, cfg, muted={"rise"}, already_sent={a.key for a in alerts if a.theme_id == "new1"}
    )
    assert {(a.theme_id, a.kind) for a in again} == {("steady_bad", "negative_volume")}
    # The same theme alerts again in a later period: the key includes the period.
    later = evaluate_alerts(
        [entry("new1", "new", negative=1, period="2026-W47")], cfg, already_sent={a.key for a in alerts}
    )
    assert [a.key for a in later] == ["new1|new|2026-W47"]


def test_webhook_delivery_and_no_resend(mem_store, receiver):
    cfg = AlertsConfig(enabled=True, webhook_url=receiver.url, backoff_s=0, negative_volume_threshold=10)
    alerts = evaluate_alerts([entry()], cfg, already_sent=known_keys(mem_store))
    res = dispatch(mem_store, alerts, cfg)
    assert len(res.sent) == 2 and res.pending == []
    assert next(b["text"].splitlines()[0] for b in receiver.bodies).startswith("New problem: label t1")
    # Second run: the keys are known, nothing is raised or sent again.
    again = evaluate_alerts([entry()], cfg, already_sent=known_keys(mem_store))
    assert again == [] and dispatch(mem_store, again, cfg).sent == []
    assert len(receiver.bodies) == 2


def test_webhook_down_is_retried_recorded_then_delivered(mem_store):
    port = free_port()  # nothing listens here: connection refused
    cfg = AlertsConfig(
        enabled=True,
        webhook_url=f"http://127.0.0.1:{port}/hook",
        retries=3,
        backoff_s=0.01,
        timeout_s=2,
        negative_volume_threshold=10,
    )
    pauses: list[float] = []
    alerts = evaluate_alerts([entry()], cfg)
    res = dispatch(mem_store, alerts, cfg, sleep=pauses.append)
    assert res.sent == [] and len(res.pending) == 2
    # 3 attempts with doubling pauses for the first alert; then the channel's breaker is open and the
    # second alert waits in the outbox untried.
    assert pauses == [0.01, 0.02] and len(res.not_tried) == 1
    rows = mem_store.query(f"SELECT status, attempts, last_error FROM {SENT_TABLE} ORDER BY attempts DESC")
    assert (rows["status"] == "pending").all() and rows["attempts"].tolist() == [3, 0]
    assert "ConnectError" in rows["last_error"].iloc[0] and "[E610] not tried" in rows["last_error"].iloc[1]
    # Not raised again as new, but kept in the outbox ...
    assert evaluate_alerts([entry()], cfg, already_sent=known_keys(mem_store)) == []
    # ... and delivered once the receiver is back (flaky: its first answer is a 503).
    r = Receiver(fail_first=1)
    try:
        cfg2 = cfg.model_copy(update={"webhook_url": r.url})
        res2 = dispatch(mem_store, [], cfg2, sleep=lambda s: None)
        assert res2.retried == 2 and len(res2.sent) == 2 and res2.pending == []
        assert len(r.bodies) == 2
    finally:
        r.close()
    rows = mem_store.query(f"SELECT status, attempts FROM {SENT_TABLE} ORDER BY key")
    assert (rows["status"] == "sent").all() and sorted(rows["attempts"].tolist()) == [1, 5]


def test_email_to_loopback_smtp(mem_store):
    smtp = SMTPReceiver()
    try:
        cfg = AlertsConfig(
            enabled=True,
            email=EmailConfig(
                host="127.0.0.1", port=smtp.port, sender="voc@example.com", recipients=["ops@example.com"]
            ),
        )
        res = dispatch(mem_store, evaluate_alerts([entry(negative=1)], cfg), cfg)
        assert res.sent == ["t1|new|2026-W46@email"]
        assert "Subject: [voc] New problem: label t1" in smtp.messages[0]
    finally:
        smtp.close()


def test_email_server_down_stays_pending(mem_store):
    cfg = AlertsConfig(
        enabled=True,
        backoff_s=0,
        retries=2,
        email=EmailConfig(
            host="127.0.0.1",
            port=free_port(),
            sender="a@example.com",
            recipients=["b@example.com"],
            timeout_s=2,
        ),
    )
    res = dispatch(mem_store, evaluate_alerts([entry(negative=1)], cfg), cfg)
    assert res.pending == ["t1|new|2026-W46@email"]
    with pytest.raises(Exception, match="E603"):
        EmailChannel(cfg.email).send(evaluate_alerts([entry(negative=1)], cfg)[0])


def test_no_channel_keeps_alerts_until_one_is_configured(mem_store, receiver):
    cfg = AlertsConfig(enabled=True)
    res = dispatch(mem_store, evaluate_alerts([entry(negative=1)], cfg), cfg)
    assert res.pending == ["t1|new|2026-W46@none"]
    cfg2 = cfg.model_copy(update={"webhook_url": receiver.url})
    res2 = dispatch(mem_store, [], cfg2)
    assert res2.sent == ["t1|new|2026-W46@webhook"] and len(receiver.bodies) == 1


def test_mute_unmute_and_webhook_env(mem_store, monkeypatch):
    mute(mem_store, "t1", "known issue, fix shipping")
    assert muted_themes(mem_store) == {"t1"}
    assert unmute(mem_store, "t1") is True and unmute(mem_store, "t1") is False
    monkeypatch.setenv("VOC_HOOK", "http://127.0.0.1:9/x")
    chans = channels_from_config(AlertsConfig(webhook_url_env="VOC_HOOK"))
    assert isinstance(chans[0], WebhookChannel) and chans[0].url == "http://127.0.0.1:9/x"
    monkeypatch.delenv("VOC_HOOK")
    with pytest.raises(ConfigError, match="VOC_HOOK"):
        channels_from_config(AlertsConfig(webhook_url_env="VOC_HOOK"))
