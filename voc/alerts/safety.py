"""Alert payloads carry no raw PII and no live markup.

Alerts quote customer text (a verbatim, a theme label). It was redacted at
ingest, but a store written by an older voc, or a text field that skipped
cleaning, must not leak through a webhook or an e-mail: `redact_alert` runs
the redactor once more on every text field before an alert is stored or
sent. `slack_text` escapes what Slack reads as markup (`<...>` links and
`<!channel>` pings), as Slack's own formatting rules ask.
"""

from __future__ import annotations

from voc.alerts.model import Alert
from voc.clean.pii import redact
from voc.safe import safe_url

_TEXT_FIELDS = ("theme_label", "verbatim", "title", "text", "owner", "journey_stage")


def redact_alert(alert: Alert) -> Alert:
    """The alert with every text field redacted and its link kept only when it is http(s)."""
    update: dict[str, object] = {}
    for name in _TEXT_FIELDS:
        value = getattr(alert, name)
        if isinstance(value, str) and value:
            clean = redact(value)[0]
            if clean != value:
                update[name] = clean
    if alert.link is not None and safe_url(alert.link) is None:
        update["link"] = None
    return alert.model_copy(update=update) if update else alert


def slack_text(text: str) -> str:
    """`&`, `<` and `>` escaped as Slack requires, so quoted text cannot link or ping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
