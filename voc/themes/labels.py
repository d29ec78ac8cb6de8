"""Readable theme labels: a 2-5 word name, keywords and representative quotes.

Candidates are word n-grams scored by class-based TF-IDF (BERTopic's
`ClassTfidfTransformer`: how distinctive a phrase is for one theme against
the others) times how many of the theme's mentions contain it, with a bonus
for spaCy noun chunks (they read like names: "refund request", "delivery
time") and, when an encoder is given, a KeyBERT-style rerank by similarity
of the phrase to the theme's centroid. Placeholders ("{{Order Number}}"),
PII tags ("[EMAIL]"), numbers and stop words never become labels.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from voc.themes.negations import NEGATORS, STANCE_VERBS, names_nothing, spell_negations, with_auxiliary
from voc.themes.stopwords import stop_words as _stop_words

# Template slots and redaction tags are not words of the customer.
# Placeholders ("{{Order Number}}", "[EMAIL]") and a transcriber's or redactor's notes in brackets
# ("[name redacted]", "[word unreadable]", "[inaudible]"; survey exports typed up from paper forms):
# not the customer's words, so never a theme's name.
_PLACEHOLDER = re.compile(
    r"\{\{[^}]*\}\}|\[[A-Z_]+\]|<[A-Z_]+>"
    r"|(?i:\[[^\]\n]{0,30}\b(?:redacted|removed|deleted|withheld|anonymi[sz]ed|unreadable|illegible|inaudible"
    r"|unclear|sic)\b[^\]\n]{0,30}\])"
)
# Reference numbers such as "ACC-822627" or "NW12345": their letters are not words.
_IDS = re.compile(r"\b[A-Za-z]{1,5}-?\d[\w-]*")
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z]+(?:'[a-z]+)?\b"
_MAX_DOCS = 300
_BAD_EDGE_TAGS = frozenset(
    {"VBD", "VBN", "MD", "RB", "RBR", "IN", "CC", "DT", "PRP", "PRP$", "WDT", "WRB", "TO", "UH"}
)
# Tags of words that judge rather than name ("great", "easy", "works"): an aspect's name avoids them.
_VERDICT_TAGS = frozenset(
    {"JJ", "JJR", "JJS", "RB", "RBR", "RBS", "VB", "VBD", "VBG", "VBN", "VBP", "VBZ", "UH"}
)
# |valence| in VADER's lexicon from which such a word is a verdict: "great" 3.1, "easy" 1.9, "clean" 1.7,
# "ok" 1.2; "worth" (0.9) and "fine" (0.8) stay usable.
_VERDICT_VALENCE = 1.0
# An aspect's name with a verdict word scores this share of one without ("Great device" -> "Echo device").
_VERDICT_PENALTY = 0.25
# A complaint's name that VADER reads this positive (negation included: "nothing bad to say", "room
# clean") is praise, never the name of a problem.
PRAISE_COMPOUND = 0.3


@dataclass
class ThemeText:
    """What a theme is called and how it reads."""

    label: str
    keywords: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)


def clean_for_terms(text: str) -> str:
    """Text with framing (greetings, sign-offs, "I am writing to complain"), placeholders and digits
    removed, for term counting: framing never becomes a label or a keyword."""
    from voc.themes.boilerplate import strip_framing

    return re.sub(r"\d+", " ", _IDS.sub(" ", _PLACEHOLDER.sub(" ", strip_framing(text or ""))))


def substantive(texts: Sequence[str]) -> np.ndarray:
    """Which texts say something a theme can be about (`voc.themes.boilerplate.mention_kind`).

    Greetings, "Thanks!", lone placeholders ("[PHONE]"), complaint framing and
    fragments are not mentions of anything; they stay unassigned instead of forming themes.
    """
    from voc.themes.boilerplate import mention_kinds

    return mention_kinds(texts) != "boilerplate"


def class_tfidf(counts: np.ndarray) -> np.ndarray:
    """BERTopic's class-based TF-IDF (with `reduce_frequent_words`) on a classes x terms count matrix.

    Written out (six lines) rather than imported: importing bertopic costs
    seconds that labelling an incremental run should not pay.
    """
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    avg_words = counts.sum() / max(len(counts), 1)
    idf = np.log(1.0 + avg_words / np.maximum(counts.sum(axis=0), 1.0))
    return np.sqrt(tf) * idf


def _good_phrase(phrase: str, stop: frozenset[str], negations: bool = False) -> bool:
    words = phrase.split()
    if not words or words[-1] in stop or (words[0] in stop and not (negations and words[0] in NEGATORS)):
        return False
    # "not think", "not the issue", and a hedge opening a longer phrase ("not think it applies").
    hedged = len(words) > 1 and words[0] in NEGATORS and words[1] in STANCE_VERBS
    if negations and (hedged or names_nothing(words, stop)):
        return False
    if len(set(words)) < len(words):
        return False
    return not all(w in stop for w in words)


@lru_cache(maxsize=1)
def vader() -> Any:
    """VADER's analyser (loaded once): its lexicon tells a verdict word, its compound a praise name."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def reads_positive(phrase: str, verdicts: set[str] | frozenset[str] | None = None) -> bool:
    """VADER reads the phrase as praise: a negated complaint ("no regrets", "nothing bad to say": a
    negation and a compound >= 0.05, VADER's own threshold), or a compound >= PRAISE_COMPOUND carried by
    a verdict word (one of `verdicts`, words used as judgements; None: any word). Nouns VADER happens
    to rate ("credit card", "customer support") do not make a name praise when `verdicts` is given.
    """
    compound = vader().polarity_scores(phrase)["compound"]
    words = phrase.lower().split()
    if compound >= 0.05 and any(w in NEGATORS for w in words):
        return True
    return compound >= PRAISE_COMPOUND and (verdicts is None or any(w in verdicts for w in words))


@lru_cache(maxsize=1)
def _chunker() -> Any:
    """spaCy with what noun chunks and tags need (tagger, attribute ruler, parser); None if missing.

    Loaded once per process: a stage labels its themes and then their groups, and
    each load costs about a second. The lemmatizer and NER are left out, being unused.
    """
    from voc.nlp.sentences import SPACY_MODEL

    try:
        import spacy

        return spacy.load(SPACY_MODEL, exclude=["ner", "lemmatizer"])
    except (ImportError, OSError):
        return None


@dataclass(frozen=True)
class Parse:
    """What labelling keeps of one text's spaCy parse."""

    words: tuple[tuple[str, bool, str], ...]  # alphabetic tokens: (lower-cased, tagged PROPN, fine tag)
    chunks: tuple[str, ...]  # its noun chunks of 1-4 words, without determiners, pronouns and names


def _parse(texts: Sequence[str], cache: dict[str, Parse]) -> bool:
    """Parse the texts not yet in `cache` into it, each distinct text once; False without spaCy."""
    nlp = _chunker()
    if nlp is None:
        return False
    todo = [t for t in dict.fromkeys(texts) if t not in cache]
    for text, doc in zip(todo, nlp.pipe(todo, batch_size=128), strict=True):
        chunks = []
        for nc in doc.noun_chunks:
            words = [
                t.text.lower() for t in nc if t.is_alpha and not t.is_stop and t.pos_ not in ("PRON", "PROPN")
            ]
            if 1 <= len(words) <= 4:
                chunks.append(" ".join(words))
        cache[text] = Parse(
            words=tuple((t.text.lower(), t.pos_ == "PROPN", t.tag_) for t in doc if t.is_alpha),
            chunks=tuple(chunks),
        )
    return True


@dataclass(frozen=True)
class WordTags:
    """What spaCy's tags say about the themes' words; empty (`tagged` False) without spaCy."""

    chunks: dict[int, Counter[str]] = field(default_factory=dict)  # noun chunks per theme, per mention
    names: frozenset[str] = frozenset()  # proper nouns in most of their uses: never in a theme's name
    bad_edge: frozenset[str] = frozenset()  # a name should not start or end on these
    verdicts: frozenset[str] = frozenset()  # used as a judgement: an adjective, adverb or verb VADER rates
    tagged: bool = False


def _noun_chunks(
    docs_by_theme: dict[int, list[str]], stop: frozenset[str], cache: dict[str, Parse] | None = None
) -> WordTags:
    """Noun chunks per theme (lower-cased, determiners/pronouns dropped) and what the words' tags say.

    A word tagged as a proper noun in most of its uses (an agent's or a
    customer's name, a company) never goes into a theme's name. Counts are
    per mention, but each distinct text is parsed once (short feedback
    repeats itself), and `cache` carries the parses to the next call.
    """
    cache = {} if cache is None else cache
    if not _parse([d for docs in docs_by_theme.values() for d in docs], cache):
        return WordTags()  # labels still work from n-grams alone
    out: dict[int, Counter[str]] = {}
    propn: Counter[str] = Counter()
    seen_words: Counter[str] = Counter()
    tags: dict[str, Counter[str]] = {}
    for tid, docs in docs_by_theme.items():
        cnt: Counter[str] = Counter()
        for d in docs:
            parsed = cache[d]
            for w, is_propn, tag in parsed.words:
                seen_words[w] += 1
                propn[w] += is_propn
                tags.setdefault(w, Counter())[tag] += 1
            for phrase in dict.fromkeys(parsed.chunks):
                if _good_phrase(phrase, stop):
                    cnt[phrase] += 1
        out[tid] = cnt
    top_tag = {w: c.most_common(1)[0][0] for w, c in tags.items()}
    lexicon = vader().lexicon
    return WordTags(
        chunks=out,
        names=frozenset(w for w, n in seen_words.items() if propn[w] > 0.5 * n),
        # A name should not start or end on a past tense, modal, adverb or function word
        # ("shipping took", "told the refund"): such n-grams are cut-off clauses.
        bad_edge=frozenset(w for w, t in top_tag.items() if t in _BAD_EDGE_TAGS),
        verdicts=frozenset(
            w
            for w, t in top_tag.items()
            if t in _VERDICT_TAGS and abs(lexicon.get(w, 0.0)) >= _VERDICT_VALENCE
        ),
        tagged=True,
    )


def _representatives(emb: np.ndarray, centroid: np.ndarray, k: int) -> np.ndarray:
    sims = emb @ centroid
    return np.argsort(-sims)[:k]


def label_themes(
    texts: Sequence[str],
    labels: np.ndarray,
    embeddings: np.ndarray,
    *,
    n_keywords: int = 8,
    n_quotes: int = 3,
    use_spacy: bool = True,
    encode_fn: Callable[[list[str]], np.ndarray] | None = None,
    parses: dict[str, Parse] | None = None,
    negations: bool = False,
    neutral: bool = False,
) -> dict[int, ThemeText]:
    """Name every theme (label >= 0) from its mentions.

    `texts`, `labels` and `embeddings` are aligned (one row per mention);
    label -1 (unassigned) is ignored. Returns {theme: ThemeText}.
    `parses` (text -> `Parse`), when given, is filled and reused: the stage
    labels its themes and then their groups from mostly the same mentions.
    With `negations` (naming complaints), a name may start with a negation and
    keeps it: "not clean", never "clean" for a room that was not; phrases of up to four words are
    then candidates ("not worth the money" must not lose its "not"), and a phrase VADER reads as
    praise ("nothing bad to say") never names complaints.
    With `neutral` (naming an aspect: a theme, a group), a phrase with a verdict word ("Works
    great", "Easy to set") scores `_VERDICT_PENALTY` of itself: an aspect holds praise and complaints
    alike, and its name says what it is about, not what customers think of it.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    themes = sorted(int(t) for t in set(labels.tolist()) if t >= 0)
    if not themes:
        return {}
    stop = _stop_words()
    clean = [
        (spell_negations(clean_for_terms(t)) if negations else clean_for_terms(t)).lower() for t in texts
    ]
    idx_of = {t: np.flatnonzero(labels == t) for t in themes}
    # Cap the documents per theme (closest to the centroid) so labelling stays fast on big fits.
    docs_by_theme: dict[int, list[int]] = {}
    centroids: dict[int, np.ndarray] = {}
    for t in themes:
        ix = idx_of[t]
        c = embeddings[ix].mean(axis=0)
        c = c / (np.linalg.norm(c) or 1.0)
        centroids[t] = c
        order = ix[_representatives(embeddings[ix], c, len(ix))]
        docs_by_theme[t] = order[:_MAX_DOCS].tolist()

    class_docs = [" ".join(clean[i] for i in docs_by_theme[t]) for t in themes]
    try:
        cv = CountVectorizer(ngram_range=(1, 4 if negations else 3), token_pattern=_TOKEN, stop_words=None,
                             min_df=1)  # fmt: skip
        counts = cv.fit_transform(class_docs)
    except ValueError:  # no usable words at all (e.g. only placeholders)
        counts = None
    if counts is not None:
        vocab = np.asarray(cv.get_feature_names_out(), dtype=object)
        ctfidf = class_tfidf(counts.toarray().astype(np.float64))
        keep = np.array([_good_phrase(v, stop, negations) for v in vocab])
        ctfidf[:, ~keep] = 0.0
    tagged = (
        _noun_chunks(
            {t: [clean_for_terms(texts[i]) for i in docs_by_theme[t][:150]] for t in themes}, stop, parses
        )
        if use_spacy
        else WordTags()
    )
    chunks, names, bad_edge = tagged.chunks, tagged.names, tagged.bad_edge
    verdicts = tagged.verdicts if neutral else frozenset()
    # Without spaCy's tags every word VADER rates may be a verdict; with them, only those used as one.
    praise_words = tagged.verdicts if tagged.tagged else None
    if names and counts is not None:
        named = np.array([any(w in names for w in v.split()) for v in vocab])
        ctfidf[:, named] = 0.0

    out: dict[int, ThemeText] = {}
    pending: list[tuple[int, list[str], np.ndarray]] = []
    for row, t in enumerate(themes):
        docs = [clean[i] for i in docs_by_theme[t]]
        n = max(len(docs), 1)
        keywords: list[str] = []
        cand: list[str] = []
        scores: list[float] = []
        if counts is not None:
            order = np.argsort(-ctfidf[row])
            if negations:  # read the few phrases that can become a name or keyword, not the whole vocabulary
                order = np.array(
                    [j for j in order[:80] if not reads_positive(vocab[j], praise_words)], dtype=np.int64
                )
            top = [vocab[j] for j in order[:60] if ctfidf[row, j] > 0]
            for w in top:
                if len(keywords) >= n_keywords:
                    break
                if not any(w in k.split() or k in w.split() for k in keywords if " " not in w):
                    keywords.append(w)
            maxv = (ctfidf[row, order[0]] if len(order) else 0.0) or 1.0
            nc = chunks.get(t, Counter())
            doc_words = [set(re.findall(_TOKEN, d)) for d in docs]
            word_cover: dict[str, float] = {}
            for j in order[:40]:
                v = ctfidf[row, j]
                if v <= 0:
                    break
                phrase = vocab[j]
                pattern = re.compile(rf"\b{re.escape(phrase)}\b")
                said = [m for d in docs if (m := _said(pattern, d))]
                cover = len(said) / n
                if negations and said and sum(reads_positive(x, praise_words) for x in said) * 2 > len(said):
                    continue  # mostly said as praise: "bad to say" in "nothing bad to say"
                # Each word of a name should itself be common in the theme: "parcel
                # delivery" beats "tracking shows" when most mentions say parcel and delivery.
                for w in phrase.split():
                    if w not in word_cover:
                        word_cover[w] = sum(1 for ws in doc_words if w in ws) / n
                wc = float(np.exp(np.mean([np.log(max(word_cover[w], 1e-3)) for w in phrase.split()])))
                bonus = 1.0 + min(nc.get(phrase, 0) / n, 0.5) * 3
                words = phrase.split()
                lead_ok = negations and words[0] in NEGATORS
                if (
                    (words[0] in bad_edge and not lead_ok)
                    or words[-1] in bad_edge
                    or any("'" in w for w in words)
                ):
                    bonus *= 0.3
                if verdicts and any(w in verdicts for w in words):
                    bonus *= _VERDICT_PENALTY
                cand.append(phrase)
                scores.append((v / maxv) * np.sqrt(cover) * wc * bonus)
        cand, scores_arr = _prefer_multiword(cand, np.asarray(scores, dtype=float), docs)
        quotes = _quotes([texts[i] for i in docs_by_theme[t]], n_quotes)
        out[t] = ThemeText(label="", keywords=keywords, quotes=quotes)
        pending.append((t, cand, scores_arr))

    if encode_fn is not None:
        # KeyBERT-style rerank: the phrase should also mean what the theme means.
        allc = sorted({c for _, cand, _ in pending for c in cand[:10]})
        if allc:
            vecs = np.asarray(encode_fn(allc), dtype=np.float32)
            pos = {c: i for i, c in enumerate(allc)}
            for k, (t, cand, s) in enumerate(pending):
                if len(cand):
                    top = cand[:10]
                    sim = np.array([float(vecs[pos[c]] @ centroids[t]) for c in top])
                    s2 = s[: len(top)] / (s[: len(top)].max() or 1.0) + np.clip(sim, 0, 1)
                    if verdicts:  # the similarity must not buy back a verdict word's penalty
                        s2 *= np.array([_VERDICT_PENALTY if set(c.split()) & verdicts else 1.0 for c in top])
                    order = np.argsort(-s2)
                    pending[k] = (t, [top[i] for i in order], s2[order])
    for t, cand, _ in pending:
        out[t].label = _finish_label(cand, out[t].keywords) or _said_whole([texts[i] for i in idx_of[t]], t)
        if negations:
            out[t].label = with_auxiliary(out[t].label, [clean[i] for i in docs_by_theme[t]])
    return _dedupe_labels(out)


def _said(pattern: re.Pattern[str], doc: str) -> str:
    """The phrase as said in `doc` with up to three words before it ("really nothing bad to say"), or ""."""
    m = pattern.search(doc)
    return " ".join([*doc[: m.start()].split()[-3:], m.group(0)]) if m else ""


def _prefer_multiword(cand: list[str], scores: np.ndarray, docs: list[str]) -> tuple[list[str], np.ndarray]:
    """Sort candidates; a single word is extended to its most common 2-word neighbour phrase."""
    if not cand:
        return cand, scores
    # Names of 2-3 words read best; a lone word needs a partner.
    length = np.array([len(c.split()) for c in cand])
    adj = scores * np.where(length == 1, 0.6, np.where(length <= 3, 1.0, 0.8))
    order = np.argsort(-adj)
    return [cand[i] for i in order], adj[order]


def _finish_label(cand: list[str], keywords: list[str]) -> str:
    """A name from the candidate phrases or keywords; "" when there is no word to name it by."""
    for c in cand:
        if 2 <= len(c.split()) <= 5:
            return c.capitalize()
    words = [w for w in ([*cand, *keywords]) if " " not in w]
    uniq = list(dict.fromkeys(words))
    if len(uniq) >= 2:
        return f"{uniq[0]} {uniq[1]}".capitalize()
    if uniq:
        return f"{uniq[0].capitalize()} mentions"
    return ""


# A theme without a single word to name it by is named by the answer most of it gives, if that is
# this common and short: a survey's "Nothing", "None", "N/A" (what customers said, in their words).
_WHOLE_ANSWER_SHARE = 0.2
_WHOLE_ANSWER_WORDS = 5


def _said_whole(texts: list[str], theme: int) -> str:
    """The theme's commonest whole mention in quotes ('"Nothing"'), else 'Theme N'."""
    said = Counter(" ".join(t.strip(" .!?,;:-").split()).lower() for t in texts)
    said.pop("", None)
    if said:
        top, n = said.most_common(1)[0]
        if n >= _WHOLE_ANSWER_SHARE * sum(said.values()) and len(top.split()) <= _WHOLE_ANSWER_WORDS:
            return f'"{top.capitalize()}"'
    return f"Theme {theme}"


def _quotes(texts: list[str], k: int) -> list[str]:
    """The first k distinct texts (already ordered closest-to-centroid first)."""
    out: list[str] = []
    seen: set[str] = set()
    for t in texts:
        key = " ".join(t.lower().split())
        if key in seen or not key:
            continue
        seen.add(key)
        out.append(t.strip())
        if len(out) >= k:
            break
    return out


def _dedupe_labels(out: dict[int, ThemeText]) -> dict[int, ThemeText]:
    """Two themes must not share a name: add the first distinguishing keyword."""
    by_label: dict[str, list[int]] = {}
    for t, tt in out.items():
        by_label.setdefault(tt.label.lower(), []).append(t)
    for _label, ts in by_label.items():
        if len(ts) < 2:
            continue
        for t in ts[1:]:
            tt = out[t]
            extra = next((k for k in tt.keywords if k not in tt.label.lower()), None)
            tt.label = f"{tt.label} ({extra})" if extra else f"{tt.label} ({t})"
    return out
