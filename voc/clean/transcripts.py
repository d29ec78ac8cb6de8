"""Keep only the customer's words of a live-chat transcript.

Tickets opened from a chat widget (Zendesk Chat, Intercom, LiveChat) carry
the whole conversation: a header line ("Chat started: ...", "Conversation
with NAME"), then one line per turn for the customer *and* the agent. The
agent's lines ("One moment please.", "I understand, that's frustrating.",
the welcome) are not feedback; counted as mentions they become the largest
"themes" of a ticket export. So a transcript is cut down to the customer's
turns; chat fillers ("ok", "thanks", "one sec") go too.

Recognised turn forms (the timestamp starts the line):

    (10:32:11 AM) Name: text       Zendesk Chat
    [10:32] Name: text             Intercom / LiveChat copy-paste, with or without seconds or a date
    10:32 Name: text               plain exports

Being strict matters more than catching every log: a text counts as a
transcript only with at least `min_turns` such lines, two to five speakers,
at least one speaker talking twice, no log-level "speakers" (ERROR, INFO)
and turn lines making up most of the lines. A sentence with a time or a
colon in it never qualifies.

Who is the customer: the speaker whose name matches the record's author,
when that is known; otherwise the speaker with the least agent evidence
(an agent role name, welcome lines such as "How can I help?", greeting the
other speaker by name), ties going to the first speaker (visitors open
chats).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?)?"
_DATE = r"(?:\d{4}-\d{2}-\d{2}[ T]|\d{1,2}/\d{1,2}/\d{2,4},?\s)?"
_STAMP = rf"(?:\(\s*{_DATE}{_TIME}\s*\)|\[\s*{_DATE}{_TIME}\s*\]|{_DATE}{_TIME})"
# A speaker: starts with a letter, then letters, digits, spaces and name
# punctuation; at most 40 characters and no colon (the colon ends it).
_TURN = re.compile(
    rf"^[ \t]*{_STAMP}[ \t]+(?:-[ \t]+)?(?P<who>[^\W\d_][\w.'’() -]{{0,39}}?)[ \t]*:[ \t]*(?P<say>.*?)[ \t]*$"
)
_STAMPED = re.compile(rf"^[ \t]*{_STAMP}(?:[ \t]|$)")
# Cheap gate: a line starting with a time, bracketed or not.
_GATE = re.compile(
    r"(?:^|\n)[ \t]*[(\[]?\s*(?:\d{4}-\d{2}-\d{2}[ T]|\d{1,2}/\d{1,2}/\d{2,4},?\s)?\d{1,2}:\d{2}"
)

_MAX_SPEAKER_WORDS = 4
_LOG_LEVELS = frozenset(
    {"error", "warn", "warning", "info", "debug", "trace", "fatal", "critical", "notice", "note", "edit",
     "update", "todo", "step", "agenda"}
)  # fmt: skip
_AGENT_ROLES = re.compile(
    r"\b(?:agent|support|operator|bot|assistant|admin|representative|rep|advisor|adviser|staff|team|helpdesk|"
    r"service desk|customer service|customer care)\b",
    re.IGNORECASE,
)
_CUSTOMER_ROLES = re.compile(r"^(?:visitor|customer|guest|client|user|you|me|end user)\b", re.IGNORECASE)
# What agents say and customers do not: welcomes, hold lines, wrap-ups.
_AGENT_LINES = re.compile(
    r"\bhow (?:can|may|could) (?:i|we) (?:help|assist)\b|\bwhat can i do for you\b|"
    r"\bthanks? (?:you )?for (?:contacting|reaching out|getting in touch|waiting|your patience|holding)\b|"
    r"\bwelcome to\b|\byou(?:'re| are) (?:through|chatting|speaking) (?:to|with)\b|\bmy name is\b|"
    r"\bone moment,? please\b|\bis there anything else (?:i|we) can\b|\bi'?m checking (?:that|this)\b|"
    r"\blet me (?:check|take a look|look into|see what)\b|\bi'?ll raise (?:this|it)\b|"
    r"\b\w+ here[.!,]? how\b|\bhave a (?:great|nice|good) (?:day|one)\b",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(?:hi|hello|hey|good (?:morning|afternoon|evening)|welcome)[ ,!]+(?P<name>[^\W\d_]+)", re.I
)
# Pre-chat header and in-chat system lines (dropped).
_HEADER = re.compile(
    r"\b(?:chat|conversation|transcript|session|visitor|started|ended|rating|rated|joined|left|transferred)\b",
    re.IGNORECASE,
)
# A short pre-chat line with a date or a time is a header too ("Chat with Jo - 2024-03-01").
_DATED = re.compile(
    r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}:\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}\b|\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    re.IGNORECASE,
)
_SYSTEM = re.compile(
    r"^\s*(?:\*{3}|-{3}|={3})|\b(?:has )?(?:joined|left) the (?:chat|conversation)\b|\bchat (?:ended|closed)\b|"
    r"\bconversation (?:ended|closed|rated)\b|\btransferred (?:the chat )?to\b",
    re.IGNORECASE,
)

# Turns that are only these words are chat fillers, not feedback.
_FILLER_WORDS = frozenset(
    """hi hello hey hiya there ok okay k kk thanks thank you thx ty cheers yes yep yeah yup ya no nope nah
    sure right alright fine great cool perfect good awesome one sec secs second moment min minute just a
    wait i'll ill i will hold on that's thats that is it all done bye goodbye morning afternoon evening
    please pls much so very hmm hm oh ah got np sounds understood see ll for now""".split()  # noqa: SIM905 (a word list reads better as one string)
)
_MAX_FILLER_WORDS = 6
# Openers that ask for help without saying with what.
_OPENERS = frozenset(
    {"i need help", "i need some help", "need help", "can you help me", "can you help", "can someone help me",
     "can anyone help", "i have a question", "quick question", "are you there", "anyone there", "is anyone there",
     "i need assistance", "help"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?")
_END_PUNCT = (".", "!", "?", "…", ")", '"')


@dataclass
class _Turn:
    speaker: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(x for x in self.lines if x)


def _norm_name(name: str) -> str:
    return " ".join(name.lower().replace("’", "'").split())


def is_filler(text: str) -> bool:
    """A chat turn that says nothing: greetings, acknowledgements, "one sec", "can you help me"."""
    words = [w.lower().replace("’", "'") for w in _WORD.findall(text)]
    if not words:
        return True
    if len(words) <= _MAX_FILLER_WORDS and all(w in _FILLER_WORDS for w in words):
        return True
    # "Hello, I need help": drop the greeting, then an opener with no topic.
    while words and words[0] in {"hi", "hello", "hey", "there", "hiya", "ok", "okay", "yes", "so"}:
        words = words[1:]
    return " ".join(words) in _OPENERS


def _is_header(line: str) -> bool:
    return _HEADER.search(line) is not None or (len(line.split()) <= 8 and _DATED.search(line) is not None)


def _parse(text: str, min_turns: int) -> tuple[list[str], list[_Turn]] | None:
    """(lines before the first turn that are not a header, turns) when `text` is a transcript, else None."""
    lines = text.split("\n")
    head: list[str] = []
    turns: list[_Turn] = []
    other = 0  # lines that are not turns: headers, wrapped lines, stray text
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        m = _TURN.match(line)
        if m is not None and len(m.group("who").split()) <= _MAX_SPEAKER_WORDS:
            who = m.group("who").strip()
            if who.lower() in _LOG_LEVELS:
                return None
            turns.append(_Turn(who, [m.group("say")]))
        elif _STAMPED.match(line) is not None:
            # A timestamped line without a speaker ("*** Visitor joined ***"): a system line.
            if turns:
                continue
            other += 1
        elif not turns:
            other += 1
            if not _is_header(line):
                head.append(line)
        elif _SYSTEM.search(line):
            continue
        else:
            turns[-1].lines.append(line)  # a message wrapped over several lines
            other += 1
    if len(turns) < min_turns:
        return None
    speakers = {_norm_name(t.speaker) for t in turns}
    if not 2 <= len(speakers) <= 5 or len(turns) <= len(speakers):
        return None
    # Continuations and stray lines must not outnumber the turns: prose with a
    # few time-stamped lines is not a chat log.
    if other > len(turns):
        return None
    return head, turns


def _agent_evidence(turns: list[_Turn]) -> dict[str, float]:
    names = list(dict.fromkeys(_norm_name(t.speaker) for t in turns))
    first_names = {n: n.split()[0] for n in names}
    score = dict.fromkeys(names, 0.0)
    for n in names:
        if _AGENT_ROLES.search(n):
            score[n] += 10
        if _CUSTOMER_ROLES.search(n):
            score[n] -= 10
    for t in turns:
        n = _norm_name(t.speaker)
        say = t.text
        if _AGENT_LINES.search(say):
            score[n] += 2
        g = _GREETING.match(say)
        if g is not None:
            greeted = g.group("name").lower()
            if any(first_names[o] == greeted for o in names if o != n):
                score[n] += 2
    return score


def _customer(turns: list[_Turn], author: str | None) -> str:
    names = list(dict.fromkeys(_norm_name(t.speaker) for t in turns))
    if author:
        a = _norm_name(author)
        exact = [n for n in names if n == a]
        if exact:
            return exact[0]
        a_first = a.split()[0] if a.split() else ""
        partial = [n for n in names if a_first and n.split()[0] == a_first]
        if len(partial) == 1:
            return partial[0]
    score = _agent_evidence(turns)
    # min() keeps the first of equal scores: the speaker who opened the chat.
    return min(names, key=lambda n: score[n])


def strip_transcript(text: str, author: str | None = None, *, min_turns: int = 3) -> tuple[str, bool]:
    """The customer's turns of a chat transcript; return (text, changed).

    Header and system lines, agent turns and filler turns are dropped; each
    kept turn becomes one line ending in sentence punctuation (so the
    sentence splitter keeps turns apart). Text that is not a transcript is
    returned unchanged. `author`, when known, names the customer. When the
    customer only said fillers, their turns are kept as they are rather than
    returning nothing.
    """
    if "\n" not in text or ":" not in text or _GATE.search(text) is None:
        return text, False
    parsed = _parse(text, min_turns)
    if parsed is None:
        return text, False
    head, turns = parsed
    customer = _customer(turns, author)
    mine = [t.text for t in turns if _norm_name(t.speaker) == customer and t.text]
    said = [s for s in mine if not is_filler(s)]
    kept = head + (said or mine)
    if not kept:
        return text, False
    out = "\n".join(s if s.endswith(_END_PUNCT) else s + "." for s in kept)
    return out, True
