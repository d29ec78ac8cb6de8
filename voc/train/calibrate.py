"""Fitting the item calibrator (`voc train item-calibrator`) and measuring it (validation folds, LODO).

The model reads every rated text once (`voc.nlp.stage.read_texts`, the same
path the sentiment stage runs); the readings can be cached on disk so that
fitting and comparing calibrators never re-runs the encoder. A calibrator is a
multinomial logistic regression (scikit-learn, L2) on `voc.nlp.calibrate.item_features`.

Every dataset gets the same total weight in the fit (so 11,000 tweets do not
outvote 1,500 hotel reviews), optionally with class weights inside each
dataset (`class_power`: weight = frequency^-power, 0 = none, 1 = balanced),
because macro-F1 counts the rare neutral class as much as the others.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.nlp.calibrate import FEATURES, LABELS, ItemCalibrator, item_features

log = logging.getLogger(__name__)

LABEL_INDEX = {lab: i for i, lab in enumerate(LABELS)}


@dataclass(frozen=True)
class ItemReading:
    """The picklable part of a `voc.nlp.stage.Reading`: mention probabilities, lengths, whole, contrast."""

    probs: np.ndarray
    lengths: np.ndarray
    whole: np.ndarray | None
    contrast: tuple[tuple[float, float], ...]
    starts: np.ndarray  # mention start offsets in the text
    ends: np.ndarray


READING_VERSION = (
    "mentions-alone-2w-splitlong"  # bump when what a reading holds changes (splitting, mention scoring)
)


def _cache_key(model: Any, texts: Sequence[str], in_context: bool, mentions_in_context: bool = False) -> str:
    h = hashlib.sha1(f"{READING_VERSION}|{mentions_in_context}".encode())
    folder = getattr(model, "folder", None)
    weights = Path(folder) / "top_layers.safetensors" if folder else None
    stamp = f"{weights.stat().st_size}:{weights.stat().st_mtime_ns}" if weights and weights.exists() else ""
    h.update(f"{model.name}|{folder}|{stamp}|{in_context}|{model.precision}\n".encode())
    for t in texts:
        h.update(t.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:20]


def read_items(
    model: Any,
    texts: Sequence[str],
    *,
    cache_dir: Path | None = None,
    in_context: bool = True,
    mentions_in_context: bool = False,
    chunk: int = 2000,
) -> list[ItemReading]:
    """Each text read as the sentiment stage reads it; cached under `cache_dir` (keyed by model and texts)."""
    from voc.nlp.stage import read_texts

    path = None
    if cache_dir is not None:
        key = _cache_key(model, texts, in_context, mentions_in_context)
        path = Path(cache_dir) / f"readings-{key}.pkl"
        if path.exists():
            with path.open("rb") as f:
                return pickle.load(f)
    out: list[ItemReading] = []
    for s in range(0, len(texts), chunk):
        readings, _ = read_texts(
            model, list(texts[s : s + chunk]), in_context=in_context, mentions_in_context=mentions_in_context
        )
        out.extend(
            ItemReading(
                np.asarray(r.probs, dtype=np.float32), np.asarray(r.lengths, dtype=np.int32),
                None if r.whole is None else np.asarray(r.whole, dtype=np.float32), r.contrast,
                np.asarray([sp.start for sp in r.spans], dtype=np.int32),
                np.asarray([sp.end for sp in r.spans], dtype=np.int32),
            )
            for r in readings
        )  # fmt: skip
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return out


def feature_matrix(readings: Iterable[ItemReading]) -> np.ndarray:
    """`item_features` of each reading, [n, len(FEATURES)]."""
    rows = [item_features(r.probs, r.lengths, r.whole) for r in readings]
    return np.vstack(rows) if rows else np.zeros((0, len(FEATURES)))


def fit_weights(datasets: Sequence[str], y: np.ndarray, class_power: float = 0.0) -> np.ndarray:
    """Sample weights: each dataset sums to the same total; inside it, class weight = frequency^-class_power."""
    ds = np.asarray(datasets)
    w = np.zeros(len(y), dtype=np.float64)
    names = list(dict.fromkeys(ds.tolist()))
    for name in names:
        m = ds == name
        freq = np.bincount(y[m], minlength=len(LABELS)) / max(m.sum(), 1)
        cw = np.where(freq > 0, np.maximum(freq, 1e-9) ** -class_power, 0.0)
        wi = cw[y[m]]
        w[m] = wi / wi.sum() * (len(y) / len(names))
    return w


def fit_calibrator(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    c: float = 1.0,
    columns: Sequence[int] | None = None,
    meta: dict[str, Any] | None = None,
) -> ItemCalibrator:
    """Multinomial logistic regression (L2, inverse strength `c`) on standardised features.

    With `columns`, only those features are used; the others get zero
    coefficients, so every calibrator has the same shape on disk.
    """
    from sklearn.linear_model import LogisticRegression

    cols = np.arange(x.shape[1]) if columns is None else np.asarray(columns, dtype=np.int64)
    classes = np.unique(y)
    if len(classes) != len(LABELS):
        raise ValueError(f"the fit needs all of {list(LABELS)}; got only {[LABELS[i] for i in classes]}")
    mean, scale = np.zeros(x.shape[1]), np.ones(x.shape[1])
    mean[cols] = x[:, cols].mean(0)
    sd = x[:, cols].std(0)
    scale[cols] = np.where(sd > 1e-9, sd, 1.0)
    lr = LogisticRegression(C=c, max_iter=2000)
    lr.fit((x[:, cols] - mean[cols]) / scale[cols], y, sample_weight=weights)
    coef = np.zeros((len(LABELS), x.shape[1]))
    coef[:, cols] = lr.coef_
    return ItemCalibrator(FEATURES, mean, scale, coef, lr.intercept_.astype(np.float64), dict(meta or {}))


def labels_index(labels: Iterable[str]) -> np.ndarray:
    return np.fromiter((LABEL_INDEX[str(v)] for v in labels), dtype=np.int64)


# -- recipes: what a calibrator is fitted on, and how; compared by validation folds and LODO ----------
FEATURE_SETS = {"whole": (0, 1, 2), "all": tuple(range(len(FEATURES)))}


@dataclass(frozen=True)
class Recipe:
    """One way to fit the calibrator. Stored in the artifact, so LODO refits exactly the shipped recipe."""

    features: str = "all"  # a key of FEATURE_SETS
    class_power: float = 1.0  # class weight = frequency^-power inside each dataset (1: balanced)
    nhs_view: str = "score"  # NHS labels: the patient's FFT score, or the labellers' comment sentiment
    datasets: tuple[str, ...] = ("amazon", "hotels", "uber", "nhs", "airline")
    c: float = 1.0  # inverse L2 strength

    def as_dict(self) -> dict[str, Any]:
        return {"features": self.features, "class_power": self.class_power, "nhs_view": self.nhs_view,
                "datasets": list(self.datasets), "c": self.c}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        d = dict(data)
        if "datasets" in d:
            d["datasets"] = tuple(d["datasets"])
        return cls(**d)

    @property
    def label(self) -> str:
        sets = "all five" if len(self.datasets) == 5 else "+".join(self.datasets)
        return f"{self.features} features, class power {self.class_power:g}, NHS {self.nhs_view}, {sets}, C {self.c:g}"


@dataclass
class RatedFrame:
    """One dataset's rows (label, split, fold) with their feature rows and, for NHS, the comment-view labels."""

    name: str
    df: pd.DataFrame
    x: np.ndarray
    y_comment: np.ndarray | None = None  # -1 where the labellers gave none

    def labels(self, view: str) -> np.ndarray:
        if view == "comment" and self.y_comment is not None:
            return self.y_comment
        return labels_index(self.df["label"])


def rated_frames(
    data_dir: Path, model: Any, names: Sequence[str], *, cache_dir: Path | None = None, keep: Any = None
) -> dict[str, RatedFrame]:
    """Load, split and read each dataset once (the readings cached under `cache_dir`).

    `keep(df) -> bool mask` reads only some rows (a quick run); by default all.
    """
    from voc.eval.itemdata import load_rated

    out: dict[str, RatedFrame] = {}
    for name in names:
        df = load_rated(data_dir, name)
        if keep is not None:
            df = df.loc[np.asarray(keep(df), dtype=bool)].reset_index(drop=True)
        x = feature_matrix(read_items(model, df["text"].tolist(), cache_dir=cache_dir))
        y_comment = None
        if name == "nhs":
            view = load_rated(data_dir, name, view="comment")
            by_text = dict(zip(view["text"], view["label"], strict=True))
            y_comment = np.asarray(
                [LABEL_INDEX.get(by_text.get(t, ""), -1) for t in df["text"]], dtype=np.int64
            )
        out[name] = RatedFrame(name, df, x, y_comment)
    return out


def training_rows(
    frames: dict[str, RatedFrame], recipe: Recipe, select: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, labels, dataset names) of the rows `select(frame) -> bool mask` keeps, recipe's datasets only."""
    xs, ys, ds = [], [], []
    for name in recipe.datasets:
        if name not in frames:
            continue
        f = frames[name]
        y = f.labels(recipe.nhs_view)
        keep = np.asarray(select(f), dtype=bool) & (y >= 0)
        xs.append(f.x[keep])
        ys.append(y[keep])
        ds.extend([name] * int(keep.sum()))
    return np.vstack(xs), np.concatenate(ys), np.asarray(ds)


def fit_recipe(frames: dict[str, RatedFrame], recipe: Recipe, select: Any = None) -> ItemCalibrator:
    """Fit `recipe` on the train split of the frames (or the rows `select` keeps)."""
    select = select or (lambda f: (f.df["split"] == "train").to_numpy())
    x, y, d = training_rows(frames, recipe, select)
    return fit_calibrator(
        x, y, fit_weights(d, y, recipe.class_power), c=recipe.c, columns=FEATURE_SETS[recipe.features],
        meta={"recipe": recipe.as_dict()},
    )  # fmt: skip


def _macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    from voc.eval.metrics import macro_f1_rows

    return float(macro_f1_rows(pred[None, :], y, len(LABELS))[0])


def compare_recipe(
    frames: dict[str, RatedFrame], recipe: Recipe, n_folds: int = 5
) -> dict[str, dict[str, float]]:
    """Validation figures of one recipe on TRAIN splits only: {'cv': {dataset: macro-F1}, 'lodo': {...}}.

    cv: out-of-fold predictions over the five validation folds (fitted on the
    other folds of every dataset in the recipe). lodo: fitted on the other
    datasets' train splits, scored on this dataset's whole train split.
    Labels scored are each dataset's own (NHS: the FFT score), whatever the recipe trains on.
    """
    train = {n: (f.df["split"] == "train").to_numpy() for n, f in frames.items()}
    oof = {n: np.full(len(f.df), -1) for n, f in frames.items()}
    for k in range(n_folds):
        cal = fit_recipe(frames, recipe, lambda f, k=k: train[f.name] & (f.df["fold"] != k).to_numpy())
        for n, f in frames.items():
            m = train[n] & (f.df["fold"] == k).to_numpy()
            oof[n][m] = cal.predict_proba(f.x[m]).argmax(1)
    out: dict[str, dict[str, float]] = {"cv": {}, "lodo": {}}
    for n, f in frames.items():
        y = labels_index(f.df["label"])
        out["cv"][n] = _macro_f1(y[train[n]], oof[n][train[n]])
        others = Recipe.from_dict({**recipe.as_dict(), "datasets": [d for d in recipe.datasets if d != n]})
        cal = fit_recipe(frames, others)
        out["lodo"][n] = _macro_f1(y[train[n]], cal.predict_proba(f.x[train[n]]).argmax(1))
    return out


def candidate_recipes() -> list[Recipe]:
    """The designs compared before one is shipped (see `choose_recipe`)."""
    out = [
        Recipe(features=f, class_power=cp, nhs_view=v)
        for f in ("whole", "all")
        for cp in (0.0, 0.5, 1.0)
        for v in ("score", "comment")
    ]
    rated = ("amazon", "hotels", "uber", "nhs")
    return out + [Recipe(features=f, class_power=1.0, datasets=rated) for f in ("whole", "all")]


TIE = 0.005  # mean LODO macro-F1 differences below this are ties (one standard error is about 0.01)


def choose_recipe(results: list[tuple[Recipe, dict[str, dict[str, float]]]], rated: Sequence[str]) -> Recipe:
    """The rule: highest mean LODO macro-F1 over the rated datasets; within TIE of it, fewer features, then CV.

    LODO is the criterion because the calibrator meets kinds of feedback nobody
    here has; it is measured on train splits only, never on a test split.
    """

    def mean(res: dict[str, float]) -> float:
        return float(np.mean([res[n] for n in rated]))

    best = max(mean(r["lodo"]) for _, r in results)
    tied = [(rec, r) for rec, r in results if mean(r["lodo"]) >= best - TIE]
    tied.sort(key=lambda t: (len(FEATURE_SETS[t[0].features]), -mean(t[1]["cv"])))
    return tied[0][0]


def fit_item_calibrator(
    data_dir: Path,
    model: Any,
    *,
    cache_dir: Path | None = None,
    recipe: Recipe | None = None,
    progress: Any = None,
) -> tuple[ItemCalibrator, list[tuple[Recipe, dict[str, dict[str, float]]]]]:
    """Compare the candidate recipes (unless one is given), fit the chosen one on every train split.

    Returns the calibrator (its meta holds the recipe, what it was fitted on and
    its validation figures) and the comparison table.
    """
    from datetime import UTC, datetime

    from voc.eval.itemdata import DATASETS, RATED

    frames = rated_frames(data_dir, model, DATASETS, cache_dir=cache_dir)
    candidates = [recipe] if recipe is not None else candidate_recipes()
    results = []
    for rec in candidates:
        results.append((rec, compare_recipe(frames, rec)))
        if progress is not None:
            progress(rec, results[-1][1])
    chosen = recipe or choose_recipe(results, RATED)
    cal = fit_recipe(frames, chosen)
    figures = dict(results)[chosen] if recipe is None else results[0][1]
    counts = {
        n: {
            "train": int((f.df["split"] == "train").sum()),
            "test_held_out": int((f.df["split"] == "test").sum()),
        }
        for n, f in frames.items()
        if n in chosen.datasets
    }
    cal.meta.update(
        {
            "applies_to": ["review", "survey"],
            "model": model.name,
            "fitted_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "fitted_on": counts,
            "validation": {k: {n: round(v, 4) for n, v in d.items()} for k, d in figures.items()},
            "splits": "voc.eval.itemdata: 25% of each rated set by a SHA-1 hash of the lower-cased text is test "
            "(never fitted on); airline: the usual 20% by tweet_id",
            "licences": "fitted on data whose terms are not verified for commercial use (Amazon Alexa, Uber: none "
            "stated; TripAdvisor: CC BY-NC 4.0 on Kaggle; NHS FFT: MIT repository, check before commercial use; "
            "airline tweets: CC BY-NC-SA 4.0 on Kaggle); see models/sentiment/MODEL_CARD.md. No text is stored.",
        }
    )
    return cal, results
