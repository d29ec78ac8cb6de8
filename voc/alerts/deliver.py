"""Deliver alerts to a Slack-compatible webhook and/or by e-mail, with retries and an outbox.

Every alert is written to `alerts_sent` (one row per alert and channel,
status `pending`) BEFORE it is sent, then marked `sent` or left `pending`
with the error and attempt count. Pending rows are retried first on the
next run, so a receiver that is down delays alerts but loses none, and a
key already in the table is never raised again (deduplication).
Mutes live in `alert_mutes`.
"""

from __future__ import annotations

import logging
import os
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any, Protocol

import pandas as pd

from voc.alerts.rules import Alert
from voc.alerts.safety import redact_alert, slack_text
from voc.config.alerts import AlertsConfig, EmailConfig
from voc.errors import ConfigError, DeliveryError
from voc.safe import scrub_secrets, url_host

log = logging.getLogger(__name__)

SENT_TABLE = "alerts_sent"
MUTE_TABLE = "alert_mutes"

_DDL = f"""
CREATE TABLE IF NOT EXISTS {SENT_TABLE} (
    key VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,
    theme_id VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    period VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    last_error VARCHAR,
    payload VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ,
    PRIMARY KEY (key, channel)
);
CREATE TABLE IF NOT EXISTS {MUTE_TABLE} (
    theme_id VARCHAR PRIMARY KEY,
    reason VARCHAR,
    muted_at TIMESTAMPTZ NOT NULL
);
"""


def ensure_tables(store: Any) -> None:
    """Create the outbox and mute tables when absent."""
    for stmt in _DDL.split(";"):
        if stmt.strip():
            store.execute(stmt)


def _now() -> datetime:
    return datetime.now(UTC)


class Channel(Protocol):
    """Somewhere an alert can be sent; `send` raises DeliveryError on failure."""

    name: str

    def send(self, alert: Alert) -> None: ...


class WebhookChannel:
    """POST `{"text": ...}` to a Slack-compatible incoming webhook.

    The URL is a secret (its path is the token): messages name its host only.
    """

    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self.url = url
        self.timeout_s = timeout_s

    def __repr__(self) -> str:
        return f"WebhookChannel(host={url_host(self.url)!r})"

    def _safe(self, text: object) -> str:
        return scrub_secrets(text, [self.url])

    def send(self, alert: Alert) -> None:
        import httpx

        host = url_host(self.url)
        try:
            resp = httpx.post(self.url, json={"text": slack_text(alert.text)}, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"webhook at {host}: {type(exc).__name__}: {self._safe(exc)}", code="E601"
            ) from None
        if resp.status_code >= 300:
            raise DeliveryError(
                f"webhook at {host} answered {resp.status_code}: {self._safe(resp.text[:200])}", code="E602"
            )


class EmailChannel:
    """Plain-text e-mail through SMTP (smtplib)."""

    name = "email"

    def __init__(self, cfg: EmailConfig) -> None:
        self.cfg = cfg

    def send(self, alert: Alert) -> None:
        c = self.cfg
        msg = EmailMessage()
        msg["Subject"] = f"[voc] {alert.title}"
        msg["From"] = c.sender
        msg["To"] = ", ".join(c.recipients)
        msg.set_content(alert.text)
        password = os.environ.get(c.password_env, "") if c.password_env else ""
        try:
            with smtplib.SMTP(c.host, c.port, timeout=c.timeout_s) as smtp:
                if c.starttls:
                    smtp.starttls()
                if c.username:
                    smtp.login(c.username, password)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            # The server's answer may echo what it was sent: never the password.
            secrets = [password, *_b64_forms(c.username, password)]
            raise DeliveryError(
                f"e-mail via {c.host}:{c.port}: {type(exc).__name__}: {scrub_secrets(exc, secrets)}",
                code="E603",
            ) from None


def _b64_forms(username: str | None, password: str) -> list[str]:
    """The base64 forms SMTP AUTH PLAIN/LOGIN send a password in (a server may echo them)."""
    import base64

    if not password:
        return []
    forms = [password, f"\0{username or ''}\0{password}"]
    return [base64.b64encode(f.encode()).decode() for f in forms]


def channels_from_config(cfg: AlertsConfig) -> list[Channel]:
    """The configured channels; the webhook url may come from an environment variable."""
    out: list[Channel] = []
    url = cfg.webhook_url
    if cfg.webhook_url_env:
        url = os.environ.get(cfg.webhook_url_env) or url
        if not url:
            raise ConfigError(
                f"alerts.webhook_url_env names {cfg.webhook_url_env!r} but that variable is not set",
                code="E120",
            )
    if url:
        out.append(WebhookChannel(url, cfg.timeout_s))
    if cfg.email:
        out.append(EmailChannel(cfg.email))
    return out


def send_with_retries(
    channel: Channel,
    alert: Alert,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[bool, int, str | None]:
    """Try up to `retries` times with doubling pauses; (delivered, attempts, last error)."""
    error: str | None = None
    for attempt in range(1, retries + 1):
        try:
            channel.send(alert)
            return True, attempt, None
        except DeliveryError as exc:
            error = exc.message
            log.warning("alerts: %s attempt %d/%d failed: %s", channel.name, attempt, retries, error)
            if attempt < retries:
                sleep(backoff_s * 2 ** (attempt - 1))
    return False, retries, error


@dataclass
class DispatchResult:
    """What one run of `dispatch` did."""

    sent: list[str] = field(default_factory=list)  # "key@channel"
    pending: list[str] = field(default_factory=list)
    retried: int = 0


def known_keys(store: Any) -> set[str]:
    """Alert keys already recorded (sent or waiting in the outbox): not raised again."""
    ensure_tables(store)
    return set(store.query(f"SELECT DISTINCT key FROM {SENT_TABLE}")["key"].tolist())


def muted_themes(store: Any) -> set[str]:
    ensure_tables(store)
    return set(store.query(f"SELECT theme_id FROM {MUTE_TABLE}")["theme_id"].tolist())


def mute(store: Any, theme_id: str, reason: str = "") -> None:
    """Stop alerts for a theme until it is unmuted."""
    ensure_tables(store)
    store.write_frame(
        MUTE_TABLE,
        pd.DataFrame({"theme_id": [theme_id], "reason": [reason], "muted_at": [_now()]}),
        key=["theme_id"],
    )


def unmute(store: Any, theme_id: str) -> bool:
    """Allow alerts for a theme again; False when it was not muted."""
    ensure_tables(store)
    was = theme_id in muted_themes(store)
    store.execute(f"DELETE FROM {MUTE_TABLE} WHERE theme_id = ?", [theme_id])
    return was


def _record(store: Any, alert: Alert, channel: str, status: str, attempts: int, error: str | None) -> None:
    row = pd.DataFrame(
        {
            "key": [alert.key],
            "channel": [channel],
            "theme_id": [alert.theme_id],
            "kind": [alert.kind],
            "period": [alert.period],
            "status": [status],
            "attempts": [attempts],
            "last_error": [error],
            "payload": [alert.model_dump_json()],
            "created_at": [_now()],
            "sent_at": [_now() if status == "sent" else None],
        }
    )
    row["sent_at"] = pd.to_datetime(row["sent_at"], utc=True)
    store.write_frame(SENT_TABLE, row, key=["key", "channel"])


def _update(store: Any, key: str, channel: str, status: str, attempts: int, error: str | None) -> None:
    store.execute(
        f"UPDATE {SENT_TABLE} SET status = ?, attempts = attempts + ?, last_error = ?, "
        f"sent_at = CASE WHEN ? = 'sent' THEN now() ELSE sent_at END WHERE key = ? AND channel = ?",
        [status, attempts, error, status, key, channel],
    )


def dispatch(
    store: Any,
    alerts: Sequence[Alert],
    cfg: AlertsConfig,
    channels: Sequence[Channel] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchResult:
    """Retry the outbox, then record and send new alerts on every channel."""
    ensure_tables(store)
    # Payloads are stored and sent: redact them again whatever the store holds.
    alerts = [redact_alert(a) for a in alerts]
    chans = list(channels) if channels is not None else channels_from_config(cfg)
    by_name = {c.name: c for c in chans}
    result = DispatchResult()
    pending = store.query(
        f"SELECT key, channel, payload FROM {SENT_TABLE} WHERE status = 'pending' ORDER BY created_at"
    )
    work: list[tuple[Alert, str]] = []
    for ch, payload in zip(pending["channel"], pending["payload"], strict=True):
        alert = Alert.model_validate_json(payload)
        if ch == "none" and by_name:
            # Recorded while no channel was configured: hand it to the channels there are now.
            store.execute(f"DELETE FROM {SENT_TABLE} WHERE key = ? AND channel = 'none'", [alert.key])
            for name in by_name:
                _record(store, alert, name, "pending", 0, None)
                work.append((alert, name))
        else:
            work.append((alert, ch))
    result.retried = len(work)
    for alert in alerts:
        for name in by_name or ["none"]:
            _record(store, alert, name, "pending", 0, None if by_name else "no alert channel configured")
            work.append((alert, name))
    for alert, name in work:
        ch = by_name.get(name)
        tag = f"{alert.key}@{name}"
        if ch is None:
            result.pending.append(tag)
            continue
        ok, attempts, error = send_with_retries(ch, alert, cfg.retries, cfg.backoff_s, sleep)
        _update(store, alert.key, name, "sent" if ok else "pending", attempts, error)
        (result.sent if ok else result.pending).append(tag)
    if work:
        log.info(
            "alerts: %d sent, %d waiting in the outbox (%d retried from earlier runs)",
            len(result.sent),
            len(result.pending),
            result.retried,
        )
    return result
