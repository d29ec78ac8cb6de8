"""Rated feedback for item sentiment: the datasets, their weak labels and their fixed splits.

The item calibrator (`voc.nlp.calibrate`) is fitted, and `voc eval items` is
measured, on real exports in `../shared/data` (read each folder's SOURCE.md):

| name | file | label |
|---|---|---|
| amazon | Amazon Alexa reviews | stars: 1-2 negative, 3 neutral, 4-5 positive |
| hotels | TripAdvisor hotel reviews (2,000) | stars, as above |
| uber | Uber app reviews (Google Play) | stars, as above |
| nhs | NHS Friends and Family Test comments | FFT score: 1-2 (very good, good) positive, 3 neutral, 4-5 negative; codes 6 and 7 are undocumented and dropped. `view="comment"` uses the labellers' `Comment sentiment` instead (1-2 positive, 3 neutral or mixed, 4-5 negative) |
| airline | Twitter US airline sentiment | the crowd's 3-class label |
| sst2 | SST-2 train, its full sentences only (no phrases) | negative / positive (a two-way scale: no neutral) |

Splits are fixed and deterministic. For the four rated sets, texts are
stripped, empty texts and NHS non-answers dropped, and repeated texts removed
(case-insensitive, first kept), so a text never sits on both sides; then
**25% by a SHA-1 hash of the lower-cased text** (salt `items:`) is the test
split, never trained on, and the rest is cut into 5 validation folds by a
differently salted hash. The airline tweets keep the split every sentiment
evaluation uses (`voc.train.data.split_test`, 20% by a hash of `tweet_id`);
their train side is in-sample for the shipped model, which trained on it.
SST-2 gives lone review sentences: only its train file is read (its dev file
is `voc eval sentiment`'s test), split as the sentence model's training splits
it (`voc.train.data.split_sst_by_sentence`): the held-out sentences are fold 0,
the rest are cut into folds 1-4.

Only this module reads the files; nothing from them is stored in the repository.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import InputError
from voc.eval.shared_data import require_data
from voc.train.data import AIRLINE_FILE, SST2_TRAIN, hash_fraction

TEST_FRACTION = 0.25
N_FOLDS = 5
RATED = ("amazon", "hotels", "uber", "nhs")
# Sets with labels of their own (not ratings), read from the sentence model's training files.
LABELLED_FILES = {"airline": AIRLINE_FILE, "sst2": SST2_TRAIN}
DATASETS = (*RATED, *LABELLED_FILES)
NHS_NON_ANSWERS = frozenset({"did not answer", ""})


def star_label(stars: float) -> str | None:
    """1-2 negative, 3 neutral, 4-5 positive; anything else None."""
    if pd.isna(stars):
        return None
    s = int(stars)
    return {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}.get(s)


def fft_label(code: float) -> str | None:
    """FFT answer (1 very good .. 5 very poor): 1-2 positive, 3 neutral, 4-5 negative; 6, 7 undocumented: None."""
    if pd.isna(code):
        return None
    return {1: "positive", 2: "positive", 3: "neutral", 4: "negative", 5: "negative"}.get(int(code))


@dataclass(frozen=True)
class _Spec:
    path: str
    read: Callable[[Path], pd.DataFrame]  # -> columns text, rating (raw), label


def _amazon(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, sep="\t", encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL, dtype=str,
                     keep_default_na=False)  # fmt: skip
    stars = pd.to_numeric(df["rating"], errors="coerce")
    return pd.DataFrame({"text": df["verified_reviews"], "rating": stars, "label": stars.map(star_label)})


def _hotels(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    stars = pd.to_numeric(df["Rating"], errors="coerce")
    return pd.DataFrame({"text": df["Review"], "rating": stars, "label": stars.map(star_label)})


def _uber(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    stars = pd.to_numeric(df["score"], errors="coerce")
    return pd.DataFrame({"text": df["content"], "rating": stars, "label": stars.map(star_label)})


def _nhs(path: Path, view: str = "score") -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    code = pd.to_numeric(df["FFT categorical answer"], errors="coerce")
    if view == "comment":
        labeller = pd.to_numeric(df["Comment sentiment"], errors="coerce")
        # The labellers' scale runs the same way as FFT (1 very positive .. 5 very negative; 3 mixed).
        label = labeller.map(fft_label)
        code = code.where(code <= 5)  # the same rows as the score view: undocumented codes dropped
        label = label.where(code.notna())
    else:
        label = code.map(fft_label)
    text = df["FFT answer"]
    answered = ~text.str.strip().str.lower().isin(NHS_NON_ANSWERS)
    return pd.DataFrame({"text": text, "rating": code, "label": label}).loc[answered]


SPECS: dict[str, _Spec] = {
    "amazon": _Spec("amazon_alexa_reviews/amazon_alexa.tsv", _amazon),
    "hotels": _Spec("tripadvisor_hotel_reviews_2k/tripadvisor_hotel_reviews.csv", _hotels),
    "uber": _Spec("uber_app_reviews/uber_reviews_without_reviewid.csv", _uber),
    "nhs": _Spec("nhs_fft_patient_feedback/v6framework_230831.csv", _nhs),
}


def text_key(text: str) -> str:
    """The text as the split and the de-duplication see it: stripped, lower-cased, spaces collapsed."""
    return " ".join(text.lower().split())


def prepare(text: str) -> str:
    """HTML entities decoded (the Amazon file has `&#34;`), outer whitespace stripped; nothing else."""
    return html.unescape(text or "").strip()


def split_rated(df: pd.DataFrame) -> pd.DataFrame:
    """Drop empty and repeated texts, add `split` (train|test) and `fold` (0-4 for train, -1 for test)."""
    df = df.assign(text=df["text"].map(prepare))
    df = df.loc[df["label"].notna() & (df["text"] != "")]
    key = df["text"].map(text_key)
    df = df.loc[~key.duplicated(keep="first")].copy()
    key = key.loc[df.index]
    test = key.map(lambda k: hash_fraction(k, salt="items:") < TEST_FRACTION).to_numpy(dtype=bool)
    fold = key.map(lambda k: int(hash_fraction(k, salt="items-fold:") * N_FOLDS)).to_numpy(dtype=np.int64)
    df["split"] = np.where(test, "test", "train")
    df["fold"] = np.where(test, -1, fold)
    return df.reset_index(drop=True)


def _require_known(name: str) -> None:
    if name not in SPECS and name not in LABELLED_FILES:
        raise InputError(f"unknown dataset {name!r}; choose one of {list(DATASETS)}", code="E277")


def check_files(data_dir: Path, names: Sequence[str]) -> None:
    """Fail early, before any model loads, when a dataset's file is missing (E270 names it)."""
    for name in names:
        _require_known(name)
        require_data(data_dir / (LABELLED_FILES[name] if name in LABELLED_FILES else SPECS[name].path))


def load_rated(data_dir: Path, name: str, *, view: str = "score") -> pd.DataFrame:
    """One rated dataset with columns text, rating, label, split, fold, dataset (errors name the file)."""
    if name == "airline":
        return load_airline_items(data_dir)
    if name == "sst2":
        return load_sst2_sentences(data_dir)
    _require_known(name)
    path = data_dir / SPECS[name].path
    require_data(path)
    raw = _nhs(path, view) if name == "nhs" else SPECS[name].read(path)
    return split_rated(raw).assign(dataset=name)


def load_airline_items(data_dir: Path) -> pd.DataFrame:
    """The airline tweets with the usual fixed test split; train rows get folds by a salted hash of the id."""
    from voc.train.data import load_airline

    train, test = load_airline(data_dir)
    fold = train["id"].map(lambda v: int(hash_fraction(v, salt="items-fold:") * N_FOLDS)).to_numpy()
    parts = [
        pd.DataFrame({"text": train["text"].map(prepare), "rating": np.nan, "label": train["label"],
                      "split": "train", "fold": fold}),
        pd.DataFrame({"text": test["text"].map(prepare), "rating": np.nan, "label": test["label"],
                      "split": "test", "fold": -1}),
    ]  # fmt: skip
    out = pd.concat(parts, ignore_index=True)
    return out.loc[out["text"] != ""].reset_index(drop=True).assign(dataset="airline")


def load_sst2_sentences(data_dir: Path) -> pd.DataFrame:
    """SST-2 train's full sentences (its phrases dropped): all `train`; held-out sentences fold 0, the rest 1-4.

    Every phrase of a held-out sentence is off the fit side already
    (`split_sst_by_sentence`); keeping only full sentences makes the rows lone
    review sentences, which is what a review export holds.
    """
    from voc.train.data import load_sst2, sentence_roots, split_sst_by_sentence

    require_data(data_dir / SST2_TRAIN)
    fit, held = split_sst_by_sentence(load_sst2(data_dir, "train"))
    fit = fit.loc[sentence_roots(fit["text"].tolist())]
    fold = fit["text"].map(lambda t: 1 + int(hash_fraction(t, salt="items-fold:") * (N_FOLDS - 1)))
    parts = [
        pd.DataFrame({"text": held["text"], "rating": np.nan, "label": held["label"], "split": "train", "fold": 0}),
        pd.DataFrame({"text": fit["text"], "rating": np.nan, "label": fit["label"], "split": "train",
                      "fold": fold.to_numpy(dtype=np.int64)}),
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True).assign(dataset="sst2")
