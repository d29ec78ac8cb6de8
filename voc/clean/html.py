"""HTML ticket bodies to plain text.

Help-desk exports often carry the HTML body of a ticket. Parsing costs tens of
microseconds, so `looks_like_html` (two substring tests, then one regex) keeps
plain text away from the parser. Block boundaries become line breaks so
paragraphs survive; whitespace inside the markup is collapsed as a browser
would; script/style/head content is dropped; entities are decoded.
"""

from __future__ import annotations

import html as _html
import re

# Known tag names only: "press <Enter>" or "<your name>" in a plain-text ticket
# is not markup, and parsing it as such would delete those words.
_TAG_NAMES = (
    "a|abbr|article|b|blockquote|body|br|button|center|code|col|colgroup|dd|div|dl|dt|em|font|footer|form|"
    "h[1-6]|head|header|hr|html|i|img|input|label|li|link|meta|nav|noscript|ol|p|pre|s|section|small|span|"
    "strike|strong|style|sub|sup|svg|script|table|tbody|td|template|tfoot|th|thead|title|tr|tt|u|ul"
)
_TAG = re.compile(
    rf"</?(?:{_TAG_NAMES})(?:\s[^<>]*)?/?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE
)
_CELL_END = re.compile(r"</t[dh]\s*>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6});")
_WS = re.compile(r"\s+")
# Where a browser starts a new line (br, li, tr) or a new paragraph (blocks).
_LINE_BREAK = re.compile(r"<br\s*/?>|</(?:li|tr|dt|dd)\s*>", re.IGNORECASE)
_PARA_BREAK = re.compile(
    r"</(?:p|div|h[1-6]|blockquote|pre|table|ul|ol|dl|section|article|header|footer)\s*>|<hr\s*/?>",
    re.IGNORECASE,
)
_DROP = ["script", "style", "head", "title", "noscript", "template", "svg"]


def looks_like_html(text: str) -> bool:
    """True when the text holds HTML tags or entities (cheap: plain text exits on two `in` tests)."""
    if "<" not in text and "&" not in text:
        return False
    return _TAG.search(text) is not None or _ENTITY.search(text) is not None


def html_to_text(text: str) -> str:
    """Render HTML to readable text: block tags -> line breaks, no script/style, entities decoded."""
    if _TAG.search(text) is None:
        # Only entities ("Fish &amp; Chips"): no need for a parser.
        return _html.unescape(text)
    from selectolax.lexbor import LexborHTMLParser

    # Source newlines and indentation mean nothing in HTML; collapse them first,
    # then mark the boundaries a browser would render as breaks.
    markup = _WS.sub(" ", text)
    markup = _LINE_BREAK.sub(lambda m: m.group(0) + "\n", markup)
    markup = _PARA_BREAK.sub(lambda m: m.group(0) + "\n\n", markup)
    markup = _CELL_END.sub(lambda m: m.group(0) + " ", markup)
    tree = LexborHTMLParser(markup)
    tree.strip_tags(_DROP)
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return ""
    return root.text(separator="") or ""
