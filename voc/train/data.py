"""Labelled data for training and measuring sentiment, and the fixed splits.

The datasets live outside the repository (`../shared/data`); this module only
reads them. Split rules are defined once here and used by both training and
`voc eval`, so the airline test split can never leak into training.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.nlp.sentiment import LABELS

LABEL_INDEX = {lab: i for i, lab in enumerate(LABELS)}

AIRLINE_FILE = Path("twitter_us_airline_sentiment/Tweets.csv")
SST2_TRAIN = Path("sst2/train.tsv")
SST2_DEV = Path("sst2/dev.tsv")

TEST_FRACTION = 0.2


def hash_fraction(key: object, salt: str = "") -> float:
    """A stable number in [0, 1) from a key (same on every machine and Python)."""
    digest = hashlib.sha1(f"{salt}{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def dedupe(df: pd.DataFrame, id_col: str | None, text_col: str) -> pd.DataFrame:
    """Drop repeated ids and repeated texts (keep the first), so no text sits on both sides of a split."""
    if id_col is not None:
        df = df.drop_duplicates(subset=[id_col], keep="first")
    key = df[text_col].astype(str).str.strip().str.lower()
    return df.loc[~key.duplicated(keep="first")]


def is_test(ids: pd.Series, fraction: float = TEST_FRACTION) -> pd.Series:
    """The fixed test split: a hash of the id below `fraction`."""
    return ids.map(lambda v: hash_fraction(v) < fraction).astype(bool)


def split_test(df: pd.DataFrame, id_col: str, text_col: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) after removing duplicates; test is 20% by a hash of `id_col`."""
    df = dedupe(df, id_col, text_col)
    mask = is_test(df[id_col])
    return df.loc[~mask].reset_index(drop=True), df.loc[mask].reset_index(drop=True)


def split_validation(
    df: pd.DataFrame, key_col: str, fraction: float = 0.1, fold: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit, validation) carved from a TRAIN frame with a differently salted hash.

    `fold` picks which slice of the hash range is held out (fold 0 is the
    historical split), so runs on different folds together train on all of TRAIN
    while each keeps a validation slice of its own.
    """
    folds = round(1 / fraction)
    if not 0 <= fold < folds:
        raise ValueError(f"fold must be between 0 and {folds - 1} for fraction {fraction}, not {fold}")
    lo, hi = fold * fraction, (fold + 1) * fraction
    mask = df[key_col].map(lambda v: lo <= hash_fraction(v, salt="val:") < hi).astype(bool)
    return df.loc[~mask].reset_index(drop=True), df.loc[mask].reset_index(drop=True)


def word_spans(words: Sequence[str], proper: bool = False) -> list[str]:
    """Every contiguous run of `words`, joined by spaces (without the whole run if `proper`)."""
    n = len(words)
    return [
        " ".join(words[a:b]) for a in range(n) for b in range(a + 1, n + 1) if not (proper and b - a == n)
    ]


def sentence_roots(texts: Sequence[str]) -> np.ndarray:
    """Which texts are not a run of words inside another text: SST-2's full sentences.

    SST-2 train holds every parse-tree phrase of each sentence as its own row, so
    a phrase and the sentence it comes from are near-copies with one label.
    """
    index = {t: i for i, t in enumerate(texts)}
    inside = np.zeros(len(texts), dtype=bool)
    for text in texts:
        for span in word_spans(text.split(), proper=True):
            j = index.get(span)
            if j is not None:
                inside[j] = True
    return ~inside


def split_sst_by_sentence(df: pd.DataFrame, fraction: float = 0.15) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(fit, validation) of SST-2 TRAIN that share no sentence.

    Validation is a hashed `fraction` of the full sentences, which is what SST-2
    dev holds. Every phrase inside a validation sentence leaves the fit side: a
    split by phrase would put a sentence's own phrases in training, and validation
    would then measure memory (0.94-0.96 there against 0.87-0.89 on SST-2 dev).
    """
    texts = df["text"].tolist()
    roots = sentence_roots(texts)
    held = roots & df["text"].map(lambda t: hash_fraction(t, salt="val:") < fraction).to_numpy(dtype=bool)
    inside_held = {span for t in df.loc[held, "text"] for span in word_spans(t.split())}
    fit = ~held & ~df["text"].isin(inside_held).to_numpy(dtype=bool)
    return df.loc[fit].reset_index(drop=True), df.loc[held].reset_index(drop=True)


def read_labelled(path: Path, text_col: str, label_col: str) -> pd.DataFrame:
    """Read a CSV/TSV with a text and a label column; errors name the file and the columns."""
    if not path.exists():
        raise InputError(
            f"labelled data {path} does not exist; pass --data with an existing CSV/TSV", code="E290"
        )
    if path.suffix == ".tsv":
        df = pd.read_csv(path, sep="\t", quoting=csv.QUOTE_NONE, dtype=str, keep_default_na=False)
    else:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in (text_col, label_col) if c not in df.columns]
    if missing:
        raise InputError(
            f"{path}: no column(s) {missing}; the file has {list(df.columns)}. Use --text-col / --label-col.",
            code="E291",
        )
    return df


def normalise_labels(values: pd.Series) -> pd.Series:
    """Map label spellings to negative|neutral|positive (0/1 as in SST-2, -1/0/1, names)."""
    mapping = {
        "negative": "negative", "neg": "negative", "0": "negative", "-1": "negative",
        "neutral": "neutral", "neu": "neutral",
        "positive": "positive", "pos": "positive", "1": "positive",
    }  # fmt: skip
    out = values.astype(str).str.strip().str.lower().map(mapping)
    bad = values[out.isna()].unique()[:5]
    if len(bad):
        raise InputError(
            f"unknown sentiment label(s) {list(bad)}; expected negative/neutral/positive, 0/1 or -1/0/1",
            code="E292",
        )
    return out


def load_airline(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Airline tweets as (train, test) frames with columns text, label, weight, id."""
    path = data_dir / AIRLINE_FILE
    df = read_labelled(path, "text", "airline_sentiment")
    df = df.rename(columns={"airline_sentiment": "label", "tweet_id": "id"})
    df["weight"] = pd.to_numeric(df["airline_sentiment_confidence"], errors="coerce").fillna(1.0)
    train, test = split_test(df, "id", "text")
    cols = ["id", "text", "label", "weight"]
    return train[cols], test[cols]


def load_sst2(data_dir: Path, split: str = "train") -> pd.DataFrame:
    """SST-2 as a frame with text, label (negative|positive), weight, id (row number)."""
    path = data_dir / (SST2_TRAIN if split == "train" else SST2_DEV)
    df = read_labelled(path, "sentence", "label")
    out = pd.DataFrame(
        {
            "id": [f"sst{split}:{i}" for i in range(len(df))],
            "text": df["sentence"].str.strip(),
            "label": normalise_labels(df["label"]),
            "weight": 1.0,
        }
    )
    return dedupe(out, None, "text").reset_index(drop=True)
