"""Names for a theme's complaints and for its praise: what sets them apart (pure).

A theme is an aspect ("beds", "sizing"); its complaints and its praise talk
about the same thing in opposite words ("bed not comfortable" / "bed
comfortable", "runs small" / "true to size"). Naming the complaints by the
phrases most frequent in them would often name the praise too. Each phrase of
a theme's complaints is therefore scored by

- how many of the complaints say it (coverage),
- how much more often the complaints say it than the theme's other mentions
  (a log-odds ratio with a small prior, as in Monroe et al.'s "Fightin'
  words"), and
- how particular it is to this theme's complaints among all themes'
  complaints (class-based TF-IDF, as for the theme labels),

with negations kept inside phrases ("not clean", "no hot water"): dropping
"not" as a stop word is what turned "bed not comfortable" into "Bed
comfortable". Praise is named the same way against the complaints.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voc.themes.labels import ThemeText, _stop_words, class_tfidf, clean_for_terms
from voc.themes.negations import names_nothing, spell_negations

NEGATORS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "cannot", "cant", "dont", "didnt",
                      "doesnt", "wont", "isnt", "wasnt", "arent", "werent", "couldnt", "wouldnt", "without"})  # fmt: skip
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z]+\b"
_PRIOR = (
    0.5  # pseudo-count for the log-odds: a phrase never said in the other mentions is not infinitely telling
)
_MIN_COVER = 0.01  # a name must be said by at least this share of the complaints (praise), and twice


def _normalise(text: str) -> str:
    """Lower-case text for counting, with "n't" spelled "not" so negation survives tokenising."""
    return spell_negations(clean_for_terms(text)).lower().replace("'", "")


def _good(phrase: str, stop: frozenset[str]) -> bool:
    words = phrase.split()
    if len(set(words)) < len(words) or words[-1] in stop or words[-1] in NEGATORS:
        return False
    if words[0] in stop and words[0] not in NEGATORS:
        return False
    if names_nothing(words, stop, NEGATORS):
        return False  # "not think", "not the issue": the writer's hedge or pointer, not what is wrong
    return any(w not in stop and w not in NEGATORS for w in words)


# A phrase naming a thing and what is wrong with it wins unless it scores below this share of the best
# phrase; one naming a thing alone, unless below the second share.
_WHOLE_FLOOR = 0.35
_THING_FLOOR = 0.4


def _shapes(phrases: list[str]) -> dict[str, tuple[bool, bool]]:
    """Per phrase: (names a thing: a noun; says something of it: a negation, adjective or verb).

    By spaCy's tagger (the theme labels' model); empty without spaCy.
    """
    from voc.themes.labels import _chunker

    nlp = _chunker()
    if nlp is None or not phrases:
        return {}
    out = {}
    for p, doc in zip(phrases, nlp.pipe(phrases, batch_size=256), strict=True):
        thing = any(t.pos_ in ("NOUN", "PROPN") for t in doc)
        says = any(t.pos_ in ("ADJ", "VERB") or t.lower_ in NEGATORS for t in doc)
        out[p] = (thing, says)
    return out


def polar_labels(
    texts: Sequence[str],
    labels: np.ndarray,
    other_texts: Sequence[str],
    other_labels: np.ndarray,
    *,
    n_keywords: int = 8,
    min_mentions: int = 3,
) -> dict[int, ThemeText]:
    """Name each theme's mentions in `texts` (e.g. its complaints) against its mentions in `other_texts`.

    `labels` / `other_labels` give each text's theme (-1: none). Themes with
    fewer than `min_mentions` texts get no name. Returns {theme: ThemeText}
    with a 2-5 word label (capitalised) and the top phrases as keywords.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    other_labels = np.asarray(other_labels)
    themes = [int(t) for t in sorted(set(labels.tolist())) if t >= 0 and (labels == t).sum() >= min_mentions]
    if not themes:
        return {}
    stop = _stop_words() - NEGATORS
    docs = [_normalise(t) for t in texts]
    others = [_normalise(t) for t in other_texts]
    cv = CountVectorizer(ngram_range=(1, 4), token_pattern=_TOKEN, binary=True, min_df=2)
    try:
        cv.fit(docs)
    except ValueError:  # fewer than two texts share any phrase
        return {}
    vocab = np.asarray(cv.get_feature_names_out(), dtype=object)
    ok = np.array([_good(v, stop) for v in vocab])
    x = cv.transform(docs).tocsr()
    y = cv.transform(others).tocsr() if others else None
    # Documents saying each phrase, per theme, in the texts and in the other texts.
    rows = np.vstack([np.asarray(x[labels == t].sum(axis=0)).ravel() for t in themes]).astype(np.float64)
    if y is not None:
        orows = np.vstack([np.asarray(y[other_labels == t].sum(axis=0)).ravel() for t in themes]).astype(
            np.float64
        )
    else:
        orows = np.zeros_like(rows)
    n = np.array([(labels == t).sum() for t in themes], dtype=np.float64)[:, None]
    m = np.array([(other_labels == t).sum() for t in themes], dtype=np.float64)[:, None]
    cover = rows / n
    # Log-odds of saying the phrase in these texts rather than in the theme's other mentions.
    odds = np.log((rows + _PRIOR) / (n - rows + _PRIOR)) - np.log((orows + _PRIOR) / (m - orows + _PRIOR))
    contrast = np.clip(odds, 0.0, None)
    distinct = class_tfidf(rows)
    distinct = distinct / np.maximum(distinct.max(axis=1, keepdims=True), 1e-12)
    length = np.array([len(v.split()) for v in vocab])
    # Words that carry content, negations counted: "alexa to turn" reads worse than "not connect wifi".
    dense = np.array([sum(w not in stop or w in NEGATORS for w in v.split()) / len(v.split()) for v in vocab])
    shape = np.where(length == 1, 0.5, np.where(length <= 3, 1.0, 0.8)) * dense
    score = np.sqrt(cover) * (0.5 + contrast) * (0.5 + distinct) * shape
    score[:, ~ok] = 0.0
    score[cover < _MIN_COVER] = 0.0
    tops = {r: [j for j in np.argsort(-score[r])[:30] if score[r, j] > 0] for r in range(len(themes))}
    shapes = _shapes(sorted({vocab[j] for js in tops.values() for j in js}))
    out: dict[int, ThemeText] = {}
    for r, t in enumerate(themes):
        top = [vocab[j] for j in tops[r]]
        keywords: list[str] = []
        for w in top:
            if len(keywords) >= n_keywords:
                break
            if not any(w in k or k in w for k in keywords):
                keywords.append(w)
        label = _choose(top, [score[r, j] for j in tops[r]], shapes)
        if label:
            out[t] = ThemeText(label=label.capitalize(), keywords=keywords)
    return out


def _choose(cands: list[str], scores: list[float], shapes: dict[str, tuple[bool, bool]]) -> str | None:
    """The name: a 2-5 word phrase that says what is wrong and with what, unless such phrases score far lower.

    "will not connect wifi" names the thing and what is wrong with it; "wi fi" only the thing, and
    "not comfortable" or "not stay" only that something is wrong. The best phrase of the first
    kind wins when it scores at least `_WHOLE_FLOOR` of the best phrase, else the best naming a
    thing when it scores at least `_THING_FLOOR` of it, else the best phrase.
    """
    multi = [(c, s) for c, s in zip(cands, scores, strict=True) if 2 <= len(c.split()) <= 5]
    if not multi:
        return cands[0] if cands else None
    best = multi[0][1]
    whole = [(c, s) for c, s in multi if shapes.get(c, (False, False)) == (True, True)]
    if whole and whole[0][1] >= _WHOLE_FLOOR * best:
        return whole[0][0]
    thing = [(c, s) for c, s in multi if shapes.get(c, (False, False))[0]]
    if thing and thing[0][1] >= _THING_FLOOR * best:
        return thing[0][0]
    return multi[0][0]
