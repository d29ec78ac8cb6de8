"""Remove quoted e-mail replies and signatures from ticket bodies.

Tickets created from e-mail carry the whole thread: the customer's new words,
then "On <date>, <name> wrote:" and the quoted history, then a signature. Only
the new words are feedback; the history would count every complaint again.

Why not `email-reply-parser` (GitHub's rules): measured on our cases it drops
a trailing bullet list ("-crashes on login" matches its `-\\w` signature rule)
and keeps "Best regards,\\nJane". The rules below are the same idea (cut at
the first reply header, drop ">" lines, drop a trailing signature) with those
two cases fixed, and they skip single-line texts with four substring tests.
"""

from __future__ import annotations

import re

_DAYS = r"(?:\d|Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
# Reply headers: everything from the first one on is quoted history. Each
# pattern has a substring gate: running the whole alternation over every
# multi-line text cost ~40 us, the gates a few `in` tests. The date guard (a
# digit or a day/month name after "On") keeps "On the other hand I wrote:".
_HEADERS: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
    (
        ("wrote:",),
        re.compile(rf"\bOn\s+(?:[^\n]{{0,40}}?){_DAYS}[^\n]{{0,200}}?(?:\n[^\n]{{0,200}}?)?\bwrote:"),
    ),
    (("écrit",), re.compile(r"\bLe\s+[^\n]{0,60}?\d[^\n]{0,200}?a\s+écrit\s?:")),
    (("schrieb",), re.compile(r"\bAm\s+[^\n]{0,60}?\d[^\n]{0,200}?schrieb[^\n]{0,100}?:")),
    (("escribió",), re.compile(r"\bEl\s+[^\n]{0,60}?\d[^\n]{0,200}?escribió\s?:")),
    (
        ("Original", "ORIGINAL", "original", "Ursprüngliche"),
        re.compile(r"-{3,}\s*(?:Original Message|Ursprüngliche Nachricht)\s*-{3,}", re.IGNORECASE),
    ),
    (("__________",), re.compile(r"^_{10,}[ \t]*$", re.MULTILINE)),
    # Outlook header block: From: ... then Sent:/Date: within three lines, or
    # the same block flattened onto one line by an export.
    (
        ("From:", "FROM:"),
        re.compile(
            r"^\*?From:\*?[ \t][^\n]+\n(?:[^\n]*\n){0,2}?\*?(?:Sent|Date):\*?[ \t]"
            r"|\bFrom:\s[^\n]{1,120}?\bSent:\s[^\n]{1,80}?\bTo:\s",
            re.MULTILINE | re.IGNORECASE,
        ),
    ),
]
_HEADER_HINTS = tuple(h for hints, _ in _HEADERS for h in hints)
_QUOTED_LINE = re.compile(r"^[ \t]*>[^\n]*(?:\n|$)", re.MULTILINE)
_SIG_DELIM = re.compile(r"^--[ \t]?$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^[ \t]*(?:Sent from my [^\n]{1,40}|Sent from (?:Mail|Outlook|Yahoo Mail)[^\n]{0,40}|Get Outlook for [^\n]{1,30})[ \t]*$",
    re.MULTILINE | re.IGNORECASE,
)
# A closing line, then 1-4 short lines (name, title, company, phone) to the end.
_VALEDICTION = re.compile(
    r"(?:^|\n)[ \t]*(?:(?:best|kind|warm|warmest|many)\s+(?:regards|wishes|thanks)|regards|best|thanks|thank you|"
    r"thanks again|cheers|sincerely|yours sincerely|yours truly|br|thx|mit freundlichen grüßen|cordialement)"
    r"[ \t]*[,.!]?[ \t]*\n"
    r"[ \t]*[^\n.?!]{1,40}[^\n?!]?[ \t]*"  # the name: short, not a sentence
    r"(?:\n[ \t]*[^\n]{1,60}){0,3}\s*$",
    re.IGNORECASE,
)

_TAIL = 300


def _might_have_replies(text: str) -> bool:
    if "\n" in text:
        return True
    # Every one-line header has a colon, a dashed or an underscored rule.
    if ":" not in text and "---" not in text and "___" not in text:
        return False
    return any(h in text for h in _HEADER_HINTS)


def strip_replies(text: str) -> tuple[str, bool]:
    """Drop quoted history, '>' lines and a trailing signature; return (text, changed).

    Never returns an empty string for a non-empty input: when everything would
    go (a message that is only a forwarded quote), the original is kept.
    """
    if not _might_have_replies(text):
        return text, False
    out = text
    cut = len(out)
    for hints, pattern in _HEADERS:
        if any(h in out for h in hints):
            m = pattern.search(out, 0, cut)
            if m is not None:
                cut = m.start()
    out = out[:cut]
    if ">" in out:
        out = _QUOTED_LINE.sub("", out)
    if "\n" in out:
        m = _SIG_DELIM.search(out)
        if m is not None:
            out = out[: m.start()]
        if "sent" in out.lower() or "outlook" in out.lower():
            out = _SENT_FROM.sub("", out)
        # A signature block is at most five short lines: search only the tail.
        out = out.rstrip()
        tail_start = max(0, len(out) - _TAIL)
        m = _VALEDICTION.search(out, tail_start)
        if m is not None:
            out = out[: m.start()]
    if out == text:
        return text, False
    if not out.strip():
        return text, False
    return out, True
