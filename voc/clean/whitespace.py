"""Whitespace normalisation: one space between words, at most one blank line between paragraphs."""

from __future__ import annotations

import re

# Zero-width and invisible format characters (ZWSP, ZWNJ, ZWJ, word joiner,
# BOM, soft hyphen) and control characters other than tab and newline.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029\x85]")
# Horizontal whitespace: everything \s matches except the newline.
_HSPACE = re.compile(r"[^\S\n]+")
_SPACE_AROUND_NL = re.compile(r" ?\n ?")
_MANY_NL = re.compile(r"\n{3,}")


def normalize_whitespace(text: str) -> str:
    """Normalise newlines, drop invisible/control characters, collapse spaces, strip the ends."""
    if "\r" in text or not text.isascii():
        text = _NEWLINES.sub("\n", text)
    if not text.isprintable():
        # isprintable() is False for "\n" too, so clean texts with line breaks
        # also take this branch; it is still one C-speed scan.
        text = _INVISIBLE.sub("", text)
    text = _HSPACE.sub(" ", text)
    if "\n" in text:
        text = _SPACE_AROUND_NL.sub("\n", text)
        text = _MANY_NL.sub("\n\n", text)
    return text.strip()
