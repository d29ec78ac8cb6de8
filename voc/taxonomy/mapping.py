"""Zero-shot mapping of texts to taxonomy entries (pure: vectors in, labels out).

Each entry is represented by its description and its example phrases, all
embedded with the shared encoder. A text's embedding score for an entry is

    description_weight * cos(text, description) + (1 - description_weight) * max_j cos(text, example_j)

and each keyword hint of the entry found in the text (whole words, plural
allowed) adds `keyword_bonus`, up to `keyword_bonus_max`. The best entry wins
unless its score is below `min_similarity`, in which case the text is
`unmapped`: a confident wrong stage is worse for triage than an honest gap.
`confidence` is the softmax probability of the chosen entry over all entries
(temperature 0.05), so it is low when two entries score alike. `evidence`
says which description, example and keywords produced the score.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from voc.taxonomy.taxonomies import UNMAPPED, Taxonomy

SOFTMAX_TEMPERATURE = 0.05

Encoder = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class MappingParams:
    """Knobs of the mapping (from `TaxonomyConfig`)."""

    min_similarity: float = 0.25
    description_weight: float = 0.5
    keyword_bonus: float = 0.08
    keyword_bonus_max: float = 0.16


@dataclass(frozen=True)
class TaxonomyIndex:
    """A taxonomy with its entries embedded, ready to score texts against."""

    taxonomy: Taxonomy
    description_vectors: np.ndarray  # (entries, dim)
    example_vectors: np.ndarray  # (examples, dim)
    example_owner: np.ndarray  # (examples,) entry index of each example
    example_texts: list[str]
    keyword_patterns: list[list[tuple[str, re.Pattern[str]]]]

    @property
    def names(self) -> list[str]:
        return self.taxonomy.names


def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    # Whole words; the last word may double its final letter and take a plural
    # or -ed/-ing ending (cancel -> cancelled, cancelling; ship -> shipped).
    words = [re.escape(w) for w in keyword.lower().split()]
    body = r"\s+".join(words)
    endings = [re.escape(e) for e in _endings(keyword)]
    return re.compile(rf"(?<![\w]){body}(?:{'|'.join(endings)})?(?![\w])", re.IGNORECASE)


def _endings(keyword: str) -> list[str]:
    last = keyword.strip()[-1:].lower()
    endings = ["s", "es", "ed", "ing"]
    if last == "e":
        endings.append("d")
    elif last.isalpha() and last not in "aiouwy":
        endings += [f"{last}ed", f"{last}ing"]
    return endings


def describe(entry_name: str, description: str) -> str:
    """The text embedded for an entry's description."""
    return f"{entry_name.replace('_', ' ')}: {description}"


def build_index(taxonomy: Taxonomy, encode: Encoder) -> TaxonomyIndex:
    """Embed a taxonomy's descriptions and examples once, for many texts."""
    descriptions = [describe(e.name, e.description) for e in taxonomy.entries]
    examples: list[str] = []
    owner: list[int] = []
    for i, e in enumerate(taxonomy.entries):
        for ex in e.examples:
            examples.append(ex)
            owner.append(i)
    vecs = encode(descriptions + examples)
    return TaxonomyIndex(
        taxonomy=taxonomy,
        description_vectors=np.asarray(vecs[: len(descriptions)], dtype=np.float32),
        example_vectors=np.asarray(vecs[len(descriptions) :], dtype=np.float32),
        example_owner=np.asarray(owner, dtype=np.int64),
        example_texts=examples,
        keyword_patterns=[[(k, _keyword_pattern(k)) for k in e.keywords] for e in taxonomy.entries],
    )


@dataclass
class Scores:
    """Per-text, per-entry scores and what produced them."""

    total: np.ndarray  # (n, entries) embedding + keyword
    description: np.ndarray  # (n, entries)
    best_example: np.ndarray  # (n, entries) index into example_texts, -1 when the entry has none
    best_example_sim: np.ndarray  # (n, entries)
    keywords: list[list[list[str]]]  # [text][entry] -> matched keywords


_WORD = re.compile(r"\w+")


def _keyword_lookup(
    index: TaxonomyIndex,
) -> tuple[dict[str, list[tuple[int, int, bool]]], list[tuple[int, int]]]:
    """Word -> the (entry, keyword, needs the full pattern) it can start; keywords only a pattern can find.

    A one-word keyword is found by its word or one of its endings alone; a
    longer one becomes a candidate by its first word and is then confirmed
    by its pattern. Keywords with characters outside words ("e-mail") are
    always tested with their pattern.
    """
    by_word: dict[str, list[tuple[int, int, bool]]] = {}
    always: list[tuple[int, int]] = []
    for e, entry in enumerate(index.keyword_patterns):
        for j, (k, _) in enumerate(entry):
            words = k.lower().split()
            if not words or any(_WORD.fullmatch(w) is None for w in words):
                always.append((e, j))
            elif len(words) == 1:
                for form in [words[0], *(words[0] + end for end in _endings(k))]:
                    by_word.setdefault(form, []).append((e, j, False))
            else:
                by_word.setdefault(words[0], []).append((e, j, True))
    return by_word, always


def keyword_hits(texts: Sequence[str], index: TaxonomyIndex) -> list[list[list[str]]]:
    """For each text and entry, the entry's keyword hints found in the text (in the entry's keyword order)."""
    # Testing every keyword's pattern on every mention took 42 s at 326,000 mentions. A text's words
    # are looked up instead, and only multi-word candidates run their pattern; the hits are the same.
    pats = index.keyword_patterns
    by_word, always = _keyword_lookup(index)
    seen: dict[str, list[list[str]]] = {}
    out: list[list[list[str]]] = []
    for text in texts:
        t = text or ""
        hits = seen.get(t)
        if hits is None:
            found: set[tuple[int, int]] = set()
            for w in set(_WORD.findall(t.lower())):
                for e, j, confirm in by_word.get(w, ()):
                    if not confirm or pats[e][j][1].search(t):
                        found.add((e, j))
            found.update((e, j) for e, j in always if pats[e][j][1].search(t))
            hits = [[] for _ in pats]
            for e, j in sorted(found):
                hits[e].append(pats[e][j][0])
            seen[t] = hits
        out.append([list(h) for h in hits])
    return out


def score(vectors: np.ndarray, texts: Sequence[str], index: TaxonomyIndex, params: MappingParams) -> Scores:
    """Score every text against every entry (vectors are L2-normalised embeddings of the texts)."""
    n, k = len(vectors), len(index.names)
    vectors = np.asarray(vectors, dtype=np.float32).reshape(n, -1) if n else np.zeros((0, 1), np.float32)
    desc = vectors @ index.description_vectors.T if n else np.zeros((0, k), np.float32)
    best_ex = np.full((n, k), -1, dtype=np.int64)
    best_sim = np.zeros((n, k), dtype=np.float32)
    if n and len(index.example_texts):
        sims = vectors @ index.example_vectors.T  # (n, examples)
        for j in range(k):
            cols = np.flatnonzero(index.example_owner == j)
            if len(cols):
                arg = sims[:, cols].argmax(axis=1)
                best_ex[:, j] = cols[arg]
                best_sim[:, j] = sims[np.arange(n), cols[arg]]
    has_ex = best_ex >= 0
    w = params.description_weight
    emb = np.where(has_ex, w * desc + (1 - w) * best_sim, desc)
    kws = keyword_hits(texts, index)
    bonus = np.array(
        [[min(params.keyword_bonus * len(hits), params.keyword_bonus_max) for hits in row] for row in kws],
        dtype=np.float32,
    ).reshape(n, k)
    return Scores(
        total=emb + bonus, description=desc, best_example=best_ex, best_example_sim=best_sim, keywords=kws
    )


def blend(own: Scores, prior_total: np.ndarray, prior_weight: float) -> Scores:
    """Mix a text's own scores with a prior (e.g. its theme's scores), row by row."""
    total = (1 - prior_weight) * own.total + prior_weight * np.asarray(prior_total, dtype=np.float32)
    return Scores(total, own.description, own.best_example, own.best_example_sim, own.keywords)


def _softmax_best(total: np.ndarray) -> np.ndarray:
    z = (total - total.max(axis=1, keepdims=True)) / SOFTMAX_TEMPERATURE
    p = np.exp(z)
    return p.max(axis=1) / p.sum(axis=1)


def decide(
    scores: Scores, index: TaxonomyIndex, min_similarity: float, prior_note: str | None = None
) -> pd.DataFrame:
    """Pick an entry per text: columns label, score, confidence, evidence."""
    n = len(scores.total)
    if n == 0:
        return pd.DataFrame({"label": [], "score": [], "confidence": [], "evidence": []})
    best = scores.total.argmax(axis=1)
    top = scores.total[np.arange(n), best]
    conf = _softmax_best(scores.total)
    labels: list[str] = []
    evidence: list[str] = []
    for i in range(n):
        j = int(best[i])
        name = index.names[j]
        parts = [f"description {scores.description[i, j]:.2f}"]
        ex = int(scores.best_example[i, j])
        if ex >= 0:
            parts.append(f"example {index.example_texts[ex]!r} {scores.best_example_sim[i, j]:.2f}")
        if scores.keywords[i][j]:
            parts.append("keywords: " + ", ".join(scores.keywords[i][j]))
        if prior_note:
            parts.append(prior_note)
        if top[i] < min_similarity:
            labels.append(UNMAPPED)
            evidence.append(f"best {name} {top[i]:.2f} < {min_similarity:.2f} ({'; '.join(parts)})")
        else:
            labels.append(name)
            evidence.append(f"{name} {top[i]:.2f}: " + "; ".join(parts))
    return pd.DataFrame(
        {"label": labels, "score": top.astype(float), "confidence": conf.astype(float), "evidence": evidence}
    )


def map_texts(
    texts: Sequence[str],
    index: TaxonomyIndex,
    params: MappingParams,
    encode: Encoder,
) -> pd.DataFrame:
    """Embed and map texts in one call (the check-set evaluation and small jobs)."""
    vecs = encode(list(texts))
    return decide(score(vecs, texts, index, params), index, params.min_similarity)
