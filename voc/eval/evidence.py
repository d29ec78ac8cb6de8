"""`voc eval backlog-evidence`: is the issue backlog of a star-rated review export made of problems?

For each review dataset with stars in ../shared/data, `voc analyze` runs on
the export as published (no star column is hidden from it: stars only feed
the CSAT impact, never which mentions are complaints). Then:

- evidence precision: the share of the example items cited by the top-10
  entries that have three stars or fewer, against the base rate of such items
  in the file (what citing items at random would give);
- the top-10 labels, each checked for praise (its own words score positive,
  by VADER and by voc's sentence model) and for boilerplate
  (`voc.themes.boilerplate.mention_kind`).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

DATASETS: dict[str, tuple[str, str, str]] = {
    # name: (file under the data folder, text column, rating column)
    "amazon": ("amazon_alexa_reviews/amazon_alexa.tsv", "verified_reviews", "rating"),
    "hotels": ("tripadvisor_hotel_reviews_2k/tripadvisor_hotel_reviews.csv", "Review", "Rating"),
    "uber": ("uber_app_reviews/uber_reviews_without_reviewid.csv", "content", "score"),
}


@dataclass
class LabelCheck:
    """One backlog label and whether it reads as praise or boilerplate."""

    rank: int
    label: str
    items: int
    vader: float
    model: float | None
    boilerplate: bool

    @property
    def praise(self) -> bool:
        # A compliment by the lexicon, or a strong positive reading by voc's model (which reads short
        # neutral aspect names such as "sound quality" as mildly positive).
        return self.vader >= 0.3 or (self.model is not None and self.model >= 0.75)


@dataclass
class EvidenceResult:
    """Evidence precision and label checks of one dataset's backlog."""

    name: str
    rows: int = 0
    items: int = 0
    base_rate: float = 0.0
    cited: int = 0
    precision: float | None = None
    precision_se: float | None = None
    verbatim_precision: float | None = None
    labels: list[LabelCheck] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def bad_labels(self) -> list[str]:
        return [c.label for c in self.labels if c.praise or c.boilerplate]


def evidence_precision(
    backlog: dict, items: pd.DataFrame, top: int = 10
) -> tuple[float | None, int, float | None]:
    """(share of cited example items with <= 3 stars, items cited, share of verbatims with <= 3 stars).

    Each entry's example ids are counted once per entry, as the backlog cites them.
    """
    rating = dict(zip(items["id"].astype(str), pd.to_numeric(items["rating"], errors="coerce"), strict=True))
    entries = sorted(backlog.get("entries", []), key=lambda e: e["rank"])[:top]
    cited = [rating.get(str(i)) for e in entries for i in e.get("example_ids", [])]
    cited = [r for r in cited if r is not None and not np.isnan(r)]
    verb = [rating.get(str(v["item_id"])) for e in entries for v in e.get("verbatims", [])]
    verb = [r for r in verb if r is not None and not np.isnan(r)]
    prec = float(np.mean([r <= 3 for r in cited])) if cited else None
    vprec = float(np.mean([r <= 3 for r in verb])) if verb else None
    return prec, len(cited), vprec


def check_labels(backlog: dict, top: int = 10, score_fn=None) -> list[LabelCheck]:
    """Each top entry's label with its VADER compound, voc's sentence score, and a boilerplate flag."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    entries = sorted(backlog.get("entries", []), key=lambda e: e["rank"])[:top]
    labels = [e["theme_label"] for e in entries]
    model = list(score_fn(labels)) if score_fn is not None and labels else [None] * len(labels)
    return [
        LabelCheck(
            rank=e["rank"],
            label=lab,
            items=int(e["volume"]),
            vader=float(vader.polarity_scores(lab)["compound"]),
            model=None if m is None else float(m),
            boilerplate=is_boilerplate_label(lab),
        )
        for e, lab, m in zip(entries, labels, model, strict=True)
    ]


def is_boilerplate_label(label: str) -> bool:
    """A label that is framing (a greeting, a sign-off, "writing this complaint") or has no content word."""
    from voc.themes.boilerplate import _content_words, strip_framing

    words = label.split()
    return strip_framing(label).split() != words or not _content_words(label)


def _model_scores(texts: list[str]) -> list[float]:
    from voc.nlp.sentiment import load_sentiment_model

    return load_sentiment_model("default").predict(texts).scores.tolist()


def _proportion_se(p: float, n: int) -> float:
    return float(np.sqrt(p * (1 - p) / n)) if n else 0.0


def run_dataset(name: str, data: Path, work: Path, rows: int | None, seed: int) -> EvidenceResult:
    """Analyse one review dataset (sampled to `rows`) and score its backlog."""
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file

    rel, text_col, rating_col = DATASETS[name]
    started = time.perf_counter()
    src = data / rel
    sep = "\t" if src.suffix == ".tsv" else ","
    df = pd.read_csv(src, sep=sep)
    if rows is not None and rows < len(df):
        df = df.sample(n=rows, random_state=seed).sort_index()
    folder = work / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / src.name
    df.to_csv(path, sep=sep, index=False)
    out = folder / "out"
    analyze_file(path, out, AnalyzeOptions(text_col=text_col, rating_col=rating_col), progress=False)
    res = score_output(name, out)
    res.rows = len(df)
    res.seconds = time.perf_counter() - started
    return res


def score_output(name: str, out: Path, top: int = 10) -> EvidenceResult:
    """Score an existing `voc analyze` output folder (items.csv with ratings, backlog.json)."""
    items = pd.read_csv(out / "items.csv")
    backlog = json.loads((out / "backlog.json").read_text())
    ratings = pd.to_numeric(items["rating"], errors="coerce")
    prec, n, vprec = evidence_precision(backlog, items, top)
    return EvidenceResult(
        name=name,
        items=len(items),
        base_rate=float((ratings.dropna() <= 3).mean()) if ratings.notna().any() else 0.0,
        cited=n,
        precision=prec,
        precision_se=_proportion_se(prec, n) if prec is not None else None,
        verbatim_precision=vprec,
        labels=check_labels(backlog, top, _model_scores),
    )


def evaluate_evidence(
    data: Path,
    names: list[str] | None = None,
    *,
    rows: int | None = None,
    seed: int = 0,
    work: Path | None = None,
) -> list[EvidenceResult]:
    """Run every dataset (or those named); outputs go under `work` (temporary by default)."""
    names = names or list(DATASETS)
    unknown = set(names) - set(DATASETS)
    if unknown:
        from voc.errors import InputError

        raise InputError(f"unknown dataset(s) {sorted(unknown)}; choose from {list(DATASETS)}", code="E227")
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="voc-eval-evidence-")
        work = Path(tmp.name)
    try:
        return [run_dataset(n, data, work, rows, seed) for n in names]
    finally:
        if tmp is not None:
            tmp.cleanup()
