"""Unicode repair (mojibake) and the binary-garbage test.

ftfy is the tool for mojibake, but it costs 25-60 us even on clean text and
~200 us on broken text. Almost all feedback is ASCII or clean UTF-8, so a
cheap pre-check decides whether ftfy runs at all: ASCII text cannot hold
mojibake, and UTF-8 read as Latin-1/cp1252 always leaves a lead character
(U+00C2-U+00F4) followed by one or more continuation-looking characters.
"""

from __future__ import annotations

import re
import unicodedata

# cp1252 renders bytes 0x80-0x9F as these characters; with U+0080-U+00BF they
# are what UTF-8 continuation bytes look like after a wrong decode.
_CONT = (
    "\x80-\xbf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d"
    "\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)
_MOJIBAKE_HINT = re.compile(f"[\xc2-\xf4][{_CONT}]")

# Control characters other than tab/newline/carriage return, C1 controls, and
# the replacement character U+FFFD that a lossy decode leaves behind.
_GARBAGE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")

_FTFY_CONFIG = None


def _ftfy_config():
    global _FTFY_CONFIG
    if _FTFY_CONFIG is None:
        import ftfy

        # Keep curly quotes and HTML entities: quotes are not damage, and
        # entities are the HTML step's job (it knows whether text is markup).
        _FTFY_CONFIG = ftfy.TextFixerConfig(uncurl_quotes=False, unescape_html=False, explain=False)
    return _FTFY_CONFIG


def looks_like_mojibake(text: str) -> bool:
    """Cheap test: could ftfy change this text's encoding? False for all ASCII text."""
    return not text.isascii() and _MOJIBAKE_HINT.search(text) is not None


def repair_unicode(text: str) -> tuple[str, bool]:
    """Fix mojibake (``"cafÃ©"`` -> ``"café"``) and NFC-normalise; return (text, changed)."""
    if text.isascii():
        return text, False
    fixed = text
    if _MOJIBAKE_HINT.search(fixed) is not None:
        import ftfy

        fixed = ftfy.fix_text(fixed, _ftfy_config())
    if not unicodedata.is_normalized("NFC", fixed):
        fixed = unicodedata.normalize("NFC", fixed)
    return fixed, fixed != text


def garbage_ratio(text: str) -> float:
    """Share of characters that are control characters or U+FFFD (0.0 for clean text)."""
    if not text:
        return 0.0
    if text.isascii() and text.isprintable():
        return 0.0
    n = len(_GARBAGE.findall(text))
    return n / len(text)
