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

_DATE_WORD = re.compile(
    r"\d|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun|Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
)
_DIGIT = re.compile(r"\d")

# "On <date>, <name> wrote:" and its French/German/Spanish forms. They are found
# from the end marker backwards (the marker is rare, "On"/"Le" are not), so the
# cost stays linear however many sentences start with "On". The header may wrap
# onto a second line; a date (a digit, or a day/month name in English) must sit
# between start and marker, which keeps "On the other hand I wrote:" as text.
_WROTE: list[tuple[str, re.Pattern[str], re.Pattern[str], re.Pattern[str]]] = [
    ("wrote:", re.compile(r"wrote:"), re.compile(r"\bOn\s"), _DATE_WORD),
    ("écrit", re.compile(r"a\s+écrit\s?:"), re.compile(r"\bLe\s"), _DIGIT),
    ("schrieb", re.compile(r"schrieb[^\n]{0,100}?:"), re.compile(r"\bAm\s"), _DIGIT),
    ("escribió", re.compile(r"escribió\s?:"), re.compile(r"\bEl\s"), _DIGIT),
]
_HEADER_SPAN = 300

# Other reply headers: everything from the first one on is quoted history.
# Each has a substring gate so most texts pay a few `in` tests.
_HEADERS: list[tuple[tuple[str, ...], re.Pattern[str]]] = [
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
_HEADER_HINTS = (*(w[0] for w in _WROTE), *(h for hints, _ in _HEADERS for h in hints))


def _wrote_header_start(text: str, end: int) -> int:
    """Start of the first "On <date> ... wrote:" style header before `end`, or `end`."""
    best = end
    for hint, marker, opener, date in _WROTE:
        if hint not in text:
            continue
        for m in marker.finditer(text, 0, best):
            lo = max(0, m.start() - _HEADER_SPAN)
            # At most one line break between the opener and the marker.
            nl = text.rfind("\n", lo, m.start())
            if nl != -1:
                nl2 = text.rfind("\n", lo, nl)
                lo = nl2 + 1 if nl2 != -1 else lo
            for o in opener.finditer(text, lo, m.start()):
                if date.search(text, o.end(), m.start()) is not None:
                    best = min(best, o.start())
                    break
            if best < end:
                break
    return best


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
    cut = _wrote_header_start(out, len(out))
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
    kept = out.strip()
    # Only trailing whitespace went (the signature step strips the end): not a removal.
    if not kept or kept == text.strip():
        return text, False
    return out, True
