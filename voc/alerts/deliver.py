"""Deliver alerts to a Slack-compatible webhook and/or by e-mail, with retries and an outbox.

Every alert is written to `alerts_sent` (one row per alert and channel,
status `pending`) BEFORE it is sent, then marked `sent` or left `pending`
with the error and attempt count. Pending rows are retried first on the
next run, so a receiver that is down delays alerts but loses none, and a
key already in the table is never raised again (deduplication).
Mutes live in `alert_mutes`.

A run never stalls on a dead receiver: each channel has a circuit breaker
that opens at the first hard failure (an alert still undelivered after its
retries, or an answer that retrying cannot change, such as 404), and the
rest of that channel's alerts wait in the outbox untried. The whole run is
bounded by `alerts.max_total_s` (attempt timeouts and pauses are cut to
what is left). `DispatchResult.summary()` says what happened in numbers:
"0 of 9 sent, 9 queued in the outbox".
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

from voc.alerts.model import Alert
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
    """Somewhere an alert can be sent; `send` raises DeliveryError on failure.

    `timeout_s`, when given, caps this attempt (the run's time budget is running out).
    """

    name: str

    def send(self, alert: Alert, timeout_s: float | None = None) -> None: ...


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

    def send(self, alert: Alert, timeout_s: float | None = None) -> None:
        import httpx

        host = url_host(self.url)
        timeout = self.timeout_s if timeout_s is None else min(self.timeout_s, timeout_s)
        try:
            resp = httpx.post(self.url, json={"text": slack_text(alert.text)}, timeout=timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(
                f"webhook at {host}: {type(exc).__name__}: {self._safe(exc)}", code="E601"
            ) from None
        if resp.status_code >= 300:
            error = DeliveryError(
                f"webhook at {host} answered {resp.status_code}: {self._safe(resp.text[:200])}", code="E602"
            )
            error.status = resp.status_code  # type: ignore[attr-defined]  # read by is_permanent()
            raise error


class EmailChannel:
    """Plain-text e-mail through SMTP (smtplib)."""

    name = "email"

    def __init__(self, cfg: EmailConfig) -> None:
        self.cfg = cfg

    def send(self, alert: Alert, timeout_s: float | None = None) -> None:
        c = self.cfg
        timeout = c.timeout_s if timeout_s is None else min(c.timeout_s, timeout_s)
        msg = EmailMessage()
        msg["Subject"] = f"[voc] {alert.title}"
        msg["From"] = c.sender
        msg["To"] = ", ".join(c.recipients)
        msg.set_content(alert.text)
        password = os.environ.get(c.password_env, "") if c.password_env else ""
        try:
            with smtplib.SMTP(c.host, c.port, timeout=timeout) as smtp:
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


def is_permanent(exc: DeliveryError) -> bool:
    """An answer that another attempt cannot change: a 4xx other than 408 (timeout) and 429 (slow down)."""
    status = getattr(exc, "status", None)
    return status is not None and 400 <= status < 500 and status not in (408, 429)


def send_with_retries(
    channel: Channel,
    alert: Alert,
    retries: int,
    backoff_s: float,
    sleep: Callable[[float], None] = time.sleep,
    deadline: Deadline | None = None,
) -> tuple[bool, int, str | None]:
    """Try up to `retries` times with doubling pauses, within `deadline`; (delivered, attempts, last error)."""
    error: str | None = None
    attempts = 0
    for attempt in range(1, retries + 1):
        left = deadline.left() if deadline is not None else None
        if left is not None and left <= 0:
            break
        attempts = attempt
        try:
            if left is None:
                channel.send(alert)
            else:
                channel.send(alert, timeout_s=left)
            return True, attempt, None
        except DeliveryError as exc:
            error = str(exc)  # with its code, e.g. "[E601] webhook ...: ConnectError"
            log.warning("alerts: %s attempt %d/%d failed: %s", channel.name, attempt, retries, error)
            if is_permanent(exc):
                break
            if attempt < retries:
                pause = backoff_s * 2 ** (attempt - 1)
                if deadline is not None:
                    pause = min(pause, max(0.0, deadline.left()))
                sleep(pause)
    return False, attempts, error


@dataclass
class Deadline:
    """The time budget of one delivery run (`alerts.max_total_s`)."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def left(self) -> float:
        return self.seconds - (self.clock() - self.started)


@dataclass
class DispatchResult:
    """What one run of `dispatch` did; `summary()` says it in numbers."""

    sent: list[str] = field(default_factory=list)  # "key@channel"
    pending: list[str] = field(default_factory=list)  # still in the outbox after this run
    retried: int = 0
    not_tried: list[str] = field(default_factory=list)  # pending ones this run did not attempt
    stopped: dict[str, str] = field(default_factory=dict)  # channel -> why its breaker opened
    out_of_time: bool = False  # alerts.max_total_s ran out
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return len(self.sent) + len(self.pending)

    @property
    def ok(self) -> bool:
        """Every alert of this run (and of the outbox) went out."""
        return not self.pending

    def summary(self) -> str:
        """E.g. `0 of 9 sent, 9 queued in the outbox (webhook stopped after [E601] ...; 8 not tried)`."""
        text = f"{len(self.sent)} of {self.total} sent, {len(self.pending)} queued in the outbox"
        why = [f"{ch} stopped after {err[:160]}" for ch, err in self.stopped.items()]
        if self.out_of_time:
            why.append("alerts.max_total_s ran out")
        if self.not_tried:
            why.append(f"{len(self.not_tried)} not tried")
        return text + (f" ({'; '.join(why)})" if why else "")


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
    clock: Callable[[], float] = time.monotonic,
) -> DispatchResult:
    """Retry the outbox, then record and send new alerts on every channel, within `cfg.max_total_s`."""
    ensure_tables(store)
    deadline = Deadline(cfg.max_total_s, clock)
    # Payloads are stored and sent: redact them again whatever the store holds.
    alerts = [redact_alert(a) for a in alerts]
    chans = list(channels) if channels is not None else channels_from_config(cfg)
    by_name = {c.name: c for c in chans}
    result = DispatchResult()
    work = _outbox_work(store, by_name)
    result.retried = len(work)
    for alert in alerts:
        for name in by_name or ["none"]:
            _record(store, alert, name, "pending", 0, None if by_name else "no alert channel configured")
            work.append((alert, name))
    for alert, name in work:
        _deliver_one(store, alert, name, by_name.get(name), cfg, result, deadline, sleep)
    result.seconds = round(deadline.seconds - deadline.left(), 3)
    if work:
        log.info(
            "alerts: %s in %.1f s (%d retried from earlier runs)",
            result.summary(),
            result.seconds,
            result.retried,
        )
    return result


def _outbox_work(store: Any, by_name: dict[str, Channel]) -> list[tuple[Alert, str]]:
    """Alerts left pending by earlier runs, oldest first, on the channels there are now."""
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
    return work


def _deliver_one(
    store: Any,
    alert: Alert,
    name: str,
    ch: Channel | None,
    cfg: AlertsConfig,
    result: DispatchResult,
    deadline: Deadline,
    sleep: Callable[[float], None],
) -> None:
    """One alert on one channel, unless that channel's breaker is open or the time is up."""
    tag = f"{alert.key}@{name}"
    if ch is None:
        result.pending.append(tag)
        return
    skip = None
    if name in result.stopped:
        skip = (
            f"[E610] not tried: the {name} channel failed earlier in this run ({result.stopped[name][:200]})"
        )
    elif deadline.left() <= 0:
        result.out_of_time = True
        skip = f"[E611] not tried: alerts.max_total_s={cfg.max_total_s:g} s ran out in this run"
    if skip is not None:
        _update(store, alert.key, name, "pending", 0, skip)
        result.pending.append(tag)
        result.not_tried.append(tag)
        return
    ok, attempts, error = send_with_retries(ch, alert, cfg.retries, cfg.backoff_s, sleep, deadline)
    _update(store, alert.key, name, "sent" if ok else "pending", attempts, error)
    if ok:
        result.sent.append(tag)
        return
    result.pending.append(tag)
    if attempts == 0:  # the budget ran out before the first attempt
        result.out_of_time = True
        result.not_tried.append(tag)
    else:
        # A hard failure: the receiver is down or refuses; the rest of this channel waits in the outbox.
        result.stopped[name] = error or "failed"
        log.warning("alerts: %s stopped for this run after a failure: %s", name, error)
