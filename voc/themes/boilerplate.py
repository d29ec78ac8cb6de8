"""What in a mention is framing, not feedback (pure).

Real feedback wraps its point in words that say nothing about the product:
greetings and sign-offs ("Hi team", "Best regards"), thanks, apologies for
writing ("Sorry to bother you"), and the framing of a written complaint ("I am
writing to complain about", "to whom it may concern", "bearing my signature").
Left in, they become themes, backlog entries and group names of their own,
on tickets, reviews and long narratives alike. `strip_framing` removes them
before a mention is judged or labelled; what is left decides its kind:

- `boilerplate`: nothing of substance once the framing is gone (never themed);
- `opinion`: only a verdict with no aspect ("Love it!", "Not happy.", "Great
  service"): themed (a survey's "positive experience" is a real topic), but a
  theme made mostly of these names no problem and no aspect, so it never
  becomes a backlog entry or a "what customers value" entry;
- `content`: says what the feedback is about.

The phrase lists are generic (no product or domain words) and were written
from the forms of correspondence, not from any evaluation set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np

from voc.themes.stopwords import WEAK_CONTENT, stop_words

# Whole phrases, matched case-insensitively with word boundaries; removed wherever they stand.
_FRAMING_PHRASES = (
    # greetings
    r"(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening|day))"
    r"(?: (?:there|team|all|everyone|folks|guys|again|sir|madam|sir or madam|support|support team|"
    r"customer (?:service|support|care)))*",
    r"to whom it may concern",
    r"hope (?:you are|you're|this finds you|all is) (?:well|doing well|good)",
    r"i hope (?:you can|someone can) help(?: me)?",
    # sign-offs and thanks
    r"(?:best|kind|warm|warmest|many) (?:regards|wishes)",
    r"regards",
    r"(?:yours )?(?:sincerely|faithfully|truly)",
    r"all the best",
    r"cheers",
    r"speak soon",
    r"(?:many |thanks? )?thanks?(?: you)?(?: (?:so|very) much| a lot| again| in advance| for (?:your|the) "
    r"(?:help|time|attention|support|assistance|patience|quick (?:reply|response)))*",
    r"thx|ty|tia",
    r"(?:i )?appreciate (?:it|your help|your time)",
    r"looking forward to (?:hearing from you|your (?:reply|response|answer)|a (?:quick|prompt|speedy) "
    r"(?:reply|response|resolution))",
    r"(?:i )?look forward to (?:hearing from you|your (?:reply|response))",
    r"have a (?:nice|good|great|lovely) (?:day|week|weekend)",
    r"sent from my (?:iphone|ipad|android|phone|mobile)",
    # apologies and asks about the message itself
    r"sorry (?:to bother you|for bothering you|for the (?:long|late) (?:message|email|mail|reply|post))(?: again)?",
    r"(?:i )?apologi[sz]e for (?:the (?:long|late) (?:message|email)|bothering you)",
    r"(?:a )?quick question(?: (?:about|regarding|on))?",
    r"(?:i have|i've got|got) a (?:quick )?question(?: (?:about|regarding|on))?",
    r"please (?:help(?: me)?|assist(?: me)?|advise|reply|respond|get back to me|look into (?:this|it)|"
    r"let me know|contact me|call me)(?: (?:asap|as soon as possible|urgently|soon))?",
    r"(?:can|could) (?:you|someone|anyone) (?:please )?(?:help(?: me)?|assist(?: me)?|get back to me)",
    # the framing of a written complaint or review
    r"i(?: am|'m) writing (?:this|to|because|in regards? to|regarding|about|on behalf of)"
    r"(?: (?:complain|complaint|review|letter|formally|you))*(?: (?:about|regarding|against|of))?",
    r"i(?: am|'m) (?:filing|submitting|lodging|making|writing|sending) (?:this|a|my) "
    r"(?:formal )?(?:complaint|review|letter|dispute|request)(?: (?:about|regarding|against))?",
    r"(?:i |we )?(?:want|would like|wish|need)(?: to)? (?:to )?(?:file|make|lodge|submit|raise|register) "
    r"(?:a |an |my )?(?:formal )?(?:complaint|dispute|grievance)(?: (?:about|regarding|against|with))?",
    r"this (?:complaint|review|letter|email|message) is (?:about|regarding|in regards? to|to)",
    r"(?:writing|filing|submitting) (?:this|a|my) (?:formal )?(?:complaint|review|letter|dispute)",
    r"(?:please )?(?:resolve|look into|investigate|address) (?:this|the|my) (?:issue|matter|problem|situation|"
    r"complaint)(?: (?:asap|immediately|promptly|as soon as possible))?",
    r"(?:i am|i'm) (?:requesting|asking) (?:that )?(?:you )?(?:to )?",
    r"(?:first|1st) (?:time )?(?:review|reviewing|writing a review|contacting (?:you|support))",
    r"(?:i |we )?(?:just )?(?:wanted|want|would like) to (?:say|let you know|share|tell you)(?: that)?",
    r"(?:see|please find) attached",
    r"bearing my signature",
    r"thank you for reading",
    r"(?:edit|update|ps|p\.s)\s*:",
)
_FRAMING = re.compile(r"(?<![\w'])(?:" + "|".join(_FRAMING_PHRASES) + r")(?![\w'])[\s,.!:;-]*", re.I)

# Verdicts that name no aspect: "good", "love it", "not happy", "excellent service".
_OPINION_WORDS = frozenset(
    """
    good great bad best worst better worse love loved loves loving like liked likes hate hated hates
    awesome amazing excellent fantastic terrible horrible awful nice happy unhappy disappointed
    disappointing disappointment satisfied unsatisfied dissatisfied perfect perfectly poor fine ok okay
    decent solid wonderful brilliant superb outstanding pleasant recommend recommended recommending
    highly wow ugh meh yay super cool lovely glad pleased impressed useless rubbish garbage crap sucks
    suck frustrated frustrating annoyed annoying angry upset satisfying satisfaction fab fabulous
    incredible exceptional favourite favorite pathetic ridiculous disgusting unacceptable shocking
    worthless waste stars star thumbs thumb five thank thanks grateful gratitude appreciated appreciate
    helpful kind friendly professional caring lovely polite rude efficient quick fast brilliant
    overall really very so totally absolutely definitely extremely pretty quite much truly simply
    always ever never again everything nothing anything everyone experience experiences service
    services app application product products item items thing things stuff purchase device company
    job work works worked working one time times keep keeps kept well
    """.split()  # noqa: SIM905  (a word list reads better as text)
)


# A salutation line names whoever it greets ("Dear Northwind Support,", "Hi Sam!"): all of it is framing.
_SALUTATION = re.compile(
    r"^\s*(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening))\b[^.!?\n]{0,40}[,!:]?\s*$",
    re.I,
)


def strip_framing(text: str) -> str:
    """`text` without greetings, sign-offs, thanks and complaint framing (whitespace tidied)."""
    if _SALUTATION.match(text or ""):
        return ""
    return " ".join(_FRAMING.sub(" ", text or "").split())


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    # "need help with billing" says something: help and need count as words here, unlike in labels.
    return stop_words() - WEAK_CONTENT


_TOKEN = re.compile(r"[a-z][a-z']+")
_NOISE = re.compile(r"\{\{[^}]*\}\}|\[[A-Z_]+\]|<[A-Z_]+>|\d+")


def _content_words(text: str) -> list[str]:
    stop = _stop()
    words = _TOKEN.findall(_NOISE.sub(" ", strip_framing(text)).lower())
    return [w for w in words if w not in stop]


# A whole survey answer that says there is nothing to add ("Nothing.", "No complaints", "All good",
# "Thank you"): in a ticket it would be framing, but as the answer to "what could we do better?" it is
# the respondent's verdict, and the survey's own topic frameworks file it as satisfaction.
_SURVEY_VERDICT = re.compile(
    r"^\W*(?:just |honestly |really )?(?:no(?:thing|ne|pe)?|nil|n/?a|not really|nothing (?:really|at all|else|"
    r"more|to add|to say|to improve|comes to mind|(?:could|can|would|should)(?: have)?(?: be(?:en)?)? "
    r"(?:better|improved|done better))|no(?:thing)? (?:complaints?|problems?|issues?)(?: at all)?|"
    r"all (?:good|fine|ok|okay|great|excellent)|everything(?: was)?(?: (?:good|fine|great|perfect|ok|okay|"
    r"excellent|spot on))?|(?:many |big )?thanks?(?: you)?[^.!?]{0,40}|keep (?:it )?up the good work)"
    r"(?:[\s.!,]+(?:thank(?:s| you)[^.!?]{0,30}|really|at all))*\W*$",
    re.I,
)


def mention_kind(text: str, min_words: int = 2, *, survey: bool = False) -> str:
    """'boilerplate', 'opinion' or 'content' (see the module docstring).

    With `survey` (the mention is a survey answer), a whole answer that says there is nothing to
    add or only thanks is an `opinion`, not framing (see `_SURVEY_VERDICT`).
    """
    if survey and _SURVEY_VERDICT.match(text or ""):
        return "opinion"
    if survey:
        # Survey answers are terse: one word of content ("Parking.", "The food.") names a topic.
        min_words = 1
    words = _content_words(text)
    if len(words) < min_words:
        # "Great app!" has one content word after the stop words; "Thanks!" none.
        return "opinion" if words and all(w in _OPINION_WORDS for w in words) else "boilerplate"
    if all(w in _OPINION_WORDS for w in words):
        return "opinion"
    return "content"


def mention_kinds(texts: Iterable[str], survey: Sequence[bool] | np.ndarray | None = None) -> np.ndarray:
    """`mention_kind` of each text (with `survey`: whether each is a survey answer), as an object
    array; each distinct (text, survey) pair is judged once."""
    texts = list(texts)
    flags = [False] * len(texts) if survey is None else [bool(f) for f in survey]
    seen: dict[tuple[str, bool], str] = {}
    out = []
    for t, f in zip(texts, flags, strict=True):
        key = (t, f)
        if key not in seen:
            seen[key] = mention_kind(t, survey=f)
        out.append(seen[key])
    return np.array(out, dtype=object)


def opinion_share(kinds: Sequence[str]) -> float:
    """Share of verdict-only mentions among a theme's mentions that say anything (0 when none)."""
    said = [k for k in kinds if k != "boilerplate"]
    return sum(k == "opinion" for k in said) / len(said) if said else 0.0
