"""Negations in complaint names (pure): which words negate, how "doesn't" is counted, which negated
phrases name nothing ("not think", "not the issue"), and how a negated verb is shown ("Does not work").

Used by the namers (`voc.themes.labels`, `voc.themes.polar_labels`, `voc.themes.problems`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Sequence

# A complaint's name keeps its negation: "not clean", "no hot water" (see `spell_negations`).
NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "cannot", "without"})
_NT = re.compile(r"(?i)\b(\w+)n't\b|\bn't\b")
_IRREGULAR_NOT = {"can't": "can not", "won't": "will not", "shan't": "shall not", "ain't": "is not"}
_IRREGULAR = re.compile(r"(?i)\b(?:can't|won't|shan't|ain't)\b")


def spell_negations(text: str) -> str:
    """ "doesn't", "can't", "won’t" spelled "does not", "can not", "will not": tokenising keeps the "not"."""
    t = text.replace("’", "'").replace("‘", "'")
    t = _IRREGULAR.sub(lambda m: _IRREGULAR_NOT[m.group(0).lower()], t)
    return _NT.sub(lambda m: f"{m.group(1) or ''} not", t)


# Negated verbs of thinking and saying are the writer's hedge ("I don't think", "I don't know why I was
# sent this survey", "don't get me wrong"), not what is wrong: "Not think" names nothing to fix.
STANCE_VERBS = frozenset({"think", "know", "believe", "feel", "want", "mean", "say", "judge", "understand",
                          "sure", "remember", "wish", "expect", "get", "like", "need", "bother", "idea"})  # fmt: skip
# Nouns that point at "the issue" without saying it: "not the issue", "no problem", "not the point" are how
# a writer sets up the real complaint ("the delay is not the issue, the lack of updates is").
META_NOUNS = frozenset({"issue", "issues", "problem", "problems", "point", "matter", "case", "thing", "things",
                        "reason", "question", "concern"})  # fmt: skip


def names_nothing(words: Sequence[str], stop: Collection[str], negators: Collection[str] = NEGATORS) -> bool:
    """A negation followed only by hedges, pointers at the issue or stop words: "not think", "not the
    issue", "no problem". Such a phrase names nothing that is wrong."""
    return (
        bool(words)
        and words[0] in negators
        and all(w in STANCE_VERBS or w in META_NOUNS or w in stop for w in words[1:])
    )


# A complaint's name that opens with a negated verb ("Not work", "Not connect") reads as a problem once it
# has the helper verb customers put before it: "Does not work", "Cannot connect", "Will not charge".
_AUXILIARIES = frozenset({"do", "does", "did", "can", "could", "will", "would"})
# The helper must precede the negation in this share of the mentions that say the phrase.
_AUXILIARY_SHARE = 0.5


def with_auxiliary(label: str, docs: Sequence[str]) -> str:
    """'Not work' as 'Does not work' when most mentions saying "not work" put "does" before it (the helper
    they use most: do, does, did, can -> 'Cannot', could, will, would); any other label as it is.

    `docs` are the mentions as the namer counts them: lower case, negations spelled out ("doesn't" ->
    "does not", `spell_negations`).
    """
    words = label.split()
    if len(words) < 2 or words[0].lower() != "not":
        return label
    rest = " ".join(words[1:]).lower()
    before = Counter(
        m.group(1) or "can"
        for d in docs
        for m in re.finditer(rf"\b(?:(\w+) not|cannot) {re.escape(rest)}\b", d)
    )
    said = sum(before.values())
    if not said:
        return label
    aux, n = before.most_common(1)[0]
    if aux not in _AUXILIARIES or n < _AUXILIARY_SHARE * said:
        return label
    return f"{'Cannot' if aux == 'can' else aux.capitalize() + ' not'} {rest}"
