"""The stop words of theme names and of mention kinds (word lists only, no model).

Apart from `voc.themes.labels` because `voc.themes.boilerplate` needs them
too and `labels` itself uses boilerplate's framing rules: with the lists in
`labels`, each of the two modules would import the other.
"""

from __future__ import annotations

from functools import lru_cache

# Words that make a poor head or tail of a name even when frequent.
WEAK_LABEL_WORDS = {
    "want",
    "need",
    "know",
    "help",
    "like",
    "just",
    "please",
    "thanks",
    "thank",
    "hi",
    "hello",
    "hey",
    "tell",
    "let",
    "got",
    "get",
    "ve",
    "ll",
    "im",
    "dont",
    "don't",
    "i'm",
    "can't",
    "does",
    "did",
    "doing",
    "way",
    "thing",
    "things",
    "lot",
    "bit",
    "really",
    "also",
    "ok",
    "okay",
    "yes",
    "would",
    "could",
    "should",
    "something",
    "anything",
    "make",
    "possible",
    "able",
    "trying",
    "try",
    "tried",
}
# Weak as label words but real content in a mention ("need help with billing").
WEAK_CONTENT = frozenset(
    {"help", "need", "want", "like", "make", "possible", "able", "try", "tried", "trying"}
)

# scikit-learn's stop list holds nouns and adjectives that are feedback's content: "fabric too thin",
# "bill payment", "system down", "side effects", "fire alarm". They count as words here.
CONTENT_STOP_WORDS = frozenset(
    {"amount", "bill", "bottom", "call", "cry", "detail", "empty", "fill", "fire", "front", "full",
     "interest", "move", "name", "part", "serious", "side", "system", "thick", "thin", "top", "show"}
)  # fmt: skip


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """Stop words of theme labels: scikit-learn's English list less feedback's content words, plus weak ones."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return (frozenset(ENGLISH_STOP_WORDS) - CONTENT_STOP_WORDS) | WEAK_LABEL_WORDS
