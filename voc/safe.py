"""Make customer text and secrets safe to write: one place for every writer.

Customer text is untrusted. Every output that voc writes goes through these:

- `csv_cell` / `csv_frame`: a text cell that starts with `=`, `+`, `-`, `@`,
  a tab or a carriage return gets a leading `'` (the OWASP rule for CSV
  injection), so a spreadsheet shows it as text instead of running it.
- `markdown_text`: HTML, link and image syntax, emphasis, tables and
  `@mentions` from customer text become inert in Markdown and Slack mrkdwn;
  `jira_text` does the same for Jira's wiki markup (the Jira CSV's description).
- `safe_url` / `markdown_link`: only `http://` and `https://` links survive
  (`javascript:`, `data:`, `vbscript:` and the rest are dropped).
- `url_host` / `scrub_secrets`: a webhook URL or password never reaches a log,
  an error message or a stored row; the host alone says where it went.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlsplit

# OWASP "CSV injection": cells starting with these are formulas in Excel,
# LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A text cell that spreadsheets will not evaluate as a formula (numbers and None pass through)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_frame(df):
    """A copy of `df` with `csv_cell` applied to every text column (numeric columns keep their values)."""
    import pandas as pd

    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            out[col] = s.map(csv_cell, na_action="ignore")
    return out


# Only what can format or link inside a line; parentheses, '+' or '#' mid-line are plain text,
# and escaping them would show stray backslashes in Slack, which has no backslash escapes.
_MD_SPECIAL = re.compile(r"([\\`*\[\]|~!]|(?<!\w)_|_(?!\w)|^#)")


def markdown_text(text: Any) -> str:
    """Untrusted text made inert in Markdown and Slack mrkdwn, on one line.

    `<`, `>` and `&` become entities (no HTML, no `<javascript:...>` autolink,
    no Slack `<!channel>`); brackets, `!`, backticks, `*`, `|`, `~` and
    word-edge `_` are backslash-escaped (no `[text](url)` link, no
    `![img](url)` image, no table cell break); `@` gets a zero-width space so a
    quote cannot ping anyone.
    """
    t = " ".join(str(text if text is not None else "").split())
    t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    t = _MD_SPECIAL.sub(r"\\\1", t)
    return t.replace("@", "@\u200b")


_JIRA_SPECIAL = re.compile(r"([\[\]{}|!])")


def jira_text(text: Any) -> str:
    """Untrusted text inert in Jira wiki markup: no `[label|url]` link, `!image!` or `{macro}`."""
    return _JIRA_SPECIAL.sub(r"\\\1", str(text if text is not None else ""))


def safe_url(url: Any) -> str | None:
    """`url` when it is an http(s) URL, else None: customer data must never become a `javascript:` link."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    # Control characters (a tab or newline inside "java\tscript:") are never part of a link.
    if not u.lower().startswith(("http://", "https://")) or any(ord(c) < 32 or ord(c) == 127 for c in u):
        return None
    return u


def markdown_link(url: Any, label: str = "open") -> str:
    """A Markdown link to an http(s) URL, characters that would end the link percent-encoded; "" otherwise."""
    u = safe_url(url)
    if u is None:
        return ""
    return f"[{markdown_text(label)}]({quote(u, safe=':/?#@!$&*+,;=%~._-')})"


def url_host(url: Any) -> str:
    """Only the host of a URL (a webhook's path and query are its secret): 'hooks.slack.com'."""
    try:
        host = urlsplit(str(url)).hostname
    except ValueError:
        host = None
    return host or "(no host)"


def scrub_secrets(text: Any, secrets: Iterable[str | None]) -> str:
    """`text` with every secret (and its URL-encoded form) replaced by '***'.

    A URL secret is replaced by its host alone, so the message still says
    where the request went.
    """
    out = str(text)
    for secret in secrets:
        if not secret or len(secret) < 4:
            continue
        repl = url_host(secret) + "/***" if "://" in secret else "***"
        for form in {secret, quote(secret, safe=""), quote(secret, safe="/:")}:
            out = out.replace(form, repl)
        # Error texts often carry only the path and query of a URL.
        if "://" in secret:
            parts = urlsplit(secret)
            tail = parts.path + (f"?{parts.query}" if parts.query else "")
            if len(tail) > 1:
                out = out.replace(tail, "/***")
    return out
