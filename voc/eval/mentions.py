"""`voc eval mentions`: the polarity voc gives the mention that holds an aspect term (SemEval-2014 Task 4).

Each review sentence of the SemEval-2014 aspect-term files goes through the
sentiment stage's own path (`voc.nlp.stage.read_texts`: spaCy sentences, cut
into clauses, scored inside the item); every gold aspect term is matched to
the mention whose character span covers it (the one that overlaps it most
when the term crosses a cut), and that mention's label is the prediction.
Gold polarities positive / negative / neutral; `conflict` is dropped, as in
most work on this data. Baselines from the same run: VADER on the whole
sentence, voc's own item label for the sentence (what a reader would get
without mentions; a review sentence, so calibrated), and the mention scored
inside its sentence as before session 11 (`sentiment.mentions_in_context`).

Train files are for decisions about splitting and mention scoring; the
reported figures are the test gold files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.eval.metrics import accuracy, bootstrap_macro_f1, macro_f1
from voc.eval.shared_data import require_data
from voc.nlp.sentiment import LABELS

SEMEVAL_DIR = Path("semeval2014_absa")
FILES = {
    ("restaurants", "test"): "Restaurants_Test_Gold.xml",
    ("laptops", "test"): "Laptops_Test_Gold.xml",
    ("restaurants", "train"): "Restaurants_Train_v2.xml",
    ("laptops", "train"): "Laptop_Train_v2.xml",
}
DOMAINS = ("restaurants", "laptops")


def load_semeval(data_dir: Path, domain: str, split: str = "test") -> tuple[list[str], pd.DataFrame]:
    """(sentence texts, aspect terms: sentence, term, start, end, polarity) without `conflict` terms.

    Texts are kept exactly as in the XML (leading spaces included): the offsets count them.
    """
    if (domain, split) not in FILES:
        raise InputError(
            f"no SemEval-2014 file for domain {domain!r}, split {split!r}; domains {list(DOMAINS)}, "
            "splits test or train",
            code="E278",
        )
    path = data_dir / SEMEVAL_DIR / FILES[(domain, split)]
    require_data(path)
    texts: list[str] = []
    rows: list[tuple[int, str, int, int, str]] = []
    for sent in ET.parse(path).getroot().iter("sentence"):
        node = sent.find("text")
        text = node.text if node is not None and node.text is not None else ""
        terms = sent.find("aspectTerms")
        found = [
            (t.get("term", ""), int(t.get("from", 0)), int(t.get("to", 0)), t.get("polarity", ""))
            for t in (terms if terms is not None else [])
        ]
        found = [f for f in found if f[3] in LABELS]
        if not found:
            continue
        for term, a, b, pol in found:
            rows.append((len(texts), term, a, b, pol))
        texts.append(text)
    return texts, pd.DataFrame(rows, columns=["sentence", "term", "start", "end", "polarity"])


def mention_for(starts: Sequence[int], ends: Sequence[int], start: int, end: int) -> int:
    """Index of the mention whose span covers [start, end), or overlaps it most; -1 if none overlaps."""
    best, best_overlap = -1, 0
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        if a <= start and end <= b:
            return k
        overlap = min(b, end) - max(a, start)
        if overlap > best_overlap:
            best, best_overlap = k, overlap
    return best


@dataclass
class MentionResult:
    """One system's polarity predictions for one domain's aspect terms."""

    system: str
    n: int
    accuracy: float
    macro_f1: float
    se: float

    def as_dict(self) -> dict[str, Any]:
        return {"system": self.system, "n": self.n, "accuracy": round(self.accuracy, 4),
                "macro_f1": round(self.macro_f1, 4), "macro_f1_se": round(self.se, 4)}  # fmt: skip


def _results(y: list[str], preds: dict[str, list[str]]) -> list[MentionResult]:
    idx = {lab: i for i, lab in enumerate(LABELS)}
    yi = np.array([idx[v] for v in y])
    boot = bootstrap_macro_f1(yi, [np.array([idx[v] for v in p]) for p in preds.values()])
    return [
        MentionResult(
            name, len(y), accuracy(y, p), macro_f1(y, p, labels=list(LABELS)), float(boot[:, j].std(ddof=1))
        )
        for j, (name, p) in enumerate(preds.items())
    ]


def evaluate_mentions(
    data_dir: Path,
    *,
    domains: Sequence[str] = DOMAINS,
    split: str = "test",
    model_ref: str = "default",
    root: str | None = None,
    limit: int | None = None,
    calibrate: bool = True,
) -> dict[str, Any]:
    """Per domain: voc's mention polarity, voc's item label for the sentence, and VADER on the sentence."""
    from voc.eval.sentiment import vader_labels, vader_scores
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.sentiment import aggregate_many, load_sentiment_model
    from voc.nlp.stage import read_texts

    data = {
        domain: load_semeval(data_dir, domain, split) for domain in domains
    }  # fails before the model loads
    model = load_sentiment_model(model_ref, root)
    calibrator = calibrator_for(model) if calibrate else None
    out: dict[str, Any] = {"split": split, "model": model.name, "domains": {}}
    for domain in domains:
        texts, terms = data[domain]
        if limit:
            texts = texts[:limit]
            terms = terms.loc[terms["sentence"] < len(texts)].reset_index(drop=True)
        # As a review: the tone reader's label when the model has one (the mentions read the same).
        toned = [calibrate] * len(texts) if getattr(model, "tone", None) is not None else None
        readings, _ = read_texts(model, texts, tone=toned)
        before, _ = read_texts(model, texts, mentions_in_context=True)
        items = aggregate_many(readings, None if toned else calibrator)
        vader = vader_labels(vader_scores(texts), binary=False)
        mention, ctx, item, vad, cut = [], [], [], [], 0
        for s, a, b in terms[["sentence", "start", "end"]].itertuples(index=False):
            r = readings[s]
            k = mention_for([sp.start for sp in r.spans], [sp.end for sp in r.spans], a, b)
            if k < 0:  # the term sits outside every mention (whitespace only): the sentence's reading
                mention.append(items[s].label)
                ctx.append(items[s].label)
            else:
                mention.append(LABELS[int(np.asarray(r.probs[k]).argmax())])
                ctx.append(LABELS[int(np.asarray(before[s].probs[k]).argmax())])
                cut += int(not (r.spans[k].start <= a and b <= r.spans[k].end))
            item.append(items[s].label)
            vad.append(vader[s])
        y = terms["polarity"].tolist()
        preds = {
            f"{model.name}, the term's mention": mention,
            f"{model.name}, the mention read in context (before)": ctx,
            f"{model.name}, the sentence's item label": item,
            "VADER (sentence)": vad,
        }
        multi = sum(len(r.spans) > 1 for r in readings)
        out["domains"][domain] = {
            "sentences": len(texts), "terms": len(terms), "sentences_with_several_mentions": multi,
            "terms_across_a_cut": cut, "gold": terms["polarity"].value_counts().to_dict(),
            "results": _results(y, preds),
        }  # fmt: skip
    return out
