"""Phrase banks that are not about one theme: greetings, sign-offs, links
between themes, support replies that customers quote, names, companies,
emojis, common typos, and the non-English items."""

from __future__ import annotations

# One module per kind of phrase; every list is read as `generic.NAME`, as before the split.
from voc.demo.generic.framing import (
    CLOSERS,
    EMOJIS,
    ESCALATION,
    GREETINGS,
    INTENSIFIERS,
    INTROS,
    LINK_ASIDE,
    LINK_FLIP,
    LINK_SAME,
    REVIEW_OPENERS,
    TAILS,
    TYPOS,
)
from voc.demo.generic.people import (
    AGENT_NAMES,
    COMPANY_HEADS,
    COMPANY_SUFFIXES,
    COMPANY_TAILS,
    CONSUMER_MAIL,
    FIRST_NAMES,
    LAST_NAMES,
    NICK_PARTS,
    TITLES,
)
from voc.demo.generic.support import (
    CHAT_AGENT_LINES,
    CHAT_CUSTOMER_FILLERS,
    CHAT_WELCOMES,
    FOREIGN,
    FOREIGN_CLOSERS,
    FOREIGN_COUNTRY,
    SUPPORT_REPLIES,
    SUPPORT_SIGNOFFS,
)

__all__ = [
    "AGENT_NAMES",
    "CHAT_AGENT_LINES",
    "CHAT_CUSTOMER_FILLERS",
    "CHAT_WELCOMES",
    "CLOSERS",
    "COMPANY_HEADS",
    "COMPANY_SUFFIXES",
    "COMPANY_TAILS",
    "CONSUMER_MAIL",
    "EMOJIS",
    "ESCALATION",
    "FIRST_NAMES",
    "FOREIGN",
    "FOREIGN_CLOSERS",
    "FOREIGN_COUNTRY",
    "GREETINGS",
    "INTENSIFIERS",
    "INTROS",
    "LAST_NAMES",
    "LINK_ASIDE",
    "LINK_FLIP",
    "LINK_SAME",
    "NICK_PARTS",
    "REVIEW_OPENERS",
    "SUPPORT_REPLIES",
    "SUPPORT_SIGNOFFS",
    "TAILS",
    "TITLES",
    "TYPOS",
]
