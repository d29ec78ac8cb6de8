"""Item sentiment as the overall tone: a small calibrator over what the model's pass already says.

The sentence model reads an item once (whole, with its mentions scored inside
that reading; see `voc.nlp.stage.read_texts`). The item's label must answer
"how does this customer feel overall", and the model's raw whole-item reading
is not calibrated for that on reviews: it almost never says neutral about a
three-star review, and a single critical clause in a warm review drags it.
A multinomial logistic regression over a dozen summary numbers of the same
pass (the whole reading's log-probabilities and the distribution of its
mention scores) maps them to negative | neutral | positive. It was fitted on
rated reviews, surveys and tweets (`voc train item-calibrator`, see
models/sentiment/MODEL_CARD.md) and is stored as JSON coefficients beside the
model (`item_calibrator.json`); no second model pass, no data.

Everything here is pure numpy: features from a reading, probabilities from features.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from voc.errors import ModelError

LABELS = ("negative", "neutral", "positive")
NEG, NEU, POS = 0, 1, 2
CALIBRATOR_FILE = "item_calibrator.json"
KIND = "voc-item-calibrator"
_EPS = (
    1e-4  # probabilities are clipped here before the log: a saturated 0.99999 is no more certain than 0.9999
)

# The features, in order. "whole" is the item read whole (a one-mention item's mention is that reading);
# a mention's score is p(positive) - p(negative).
FEATURES: tuple[str, ...] = (
    "whole_log_neg", "whole_log_neu", "whole_log_pos",
    "mean_score", "min_score", "max_score", "mean_neutral",
    "share_negative", "share_positive",
    "first_score", "last_score",
    "log_mentions", "log_chars",
)  # fmt: skip


def item_features(
    probs: np.ndarray, lengths: Sequence[int] | np.ndarray, whole: np.ndarray | None = None
) -> np.ndarray:
    """The calibrator's features [len(FEATURES)] of one item from its mentions' probabilities [k, 3].

    `whole` is the item read whole; None means the mentions' length-weighted
    mean (one mention: that mention). No mentions: the features of a neutral reading.
    """
    p = np.asarray(probs, dtype=np.float64).reshape(-1, len(LABELS))
    lens = np.maximum(np.asarray(lengths, dtype=np.float64).reshape(-1), 1.0)
    if len(p) == 0:
        p, lens = np.array([[0.0, 1.0, 0.0]]), np.array([1.0])
    if whole is None:
        whole = (p * lens[:, None]).sum(0) / lens.sum()
    w = np.log(np.clip(np.asarray(whole, dtype=np.float64).reshape(len(LABELS)), _EPS, 1.0))
    score = p[:, POS] - p[:, NEG]
    top = p.argmax(1)
    return np.array(
        [
            w[NEG], w[NEU], w[POS],
            score.mean(), score.min(), score.max(), p[:, NEU].mean(),
            (top == NEG).mean(), (top == POS).mean(),
            score[0], score[-1],
            np.log1p(len(p)), np.log1p(lens.sum()),
        ],
        dtype=np.float64,
    )  # fmt: skip


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


@dataclass(frozen=True)
class ItemCalibrator:
    """Multinomial logistic regression on standardised features: p = softmax(((x - mean) / scale) W^T + b)."""

    features: tuple[str, ...]
    mean: np.ndarray  # [d]
    scale: np.ndarray  # [d]
    coef: np.ndarray  # [3, d]
    intercept: np.ndarray  # [3]
    meta: dict[str, Any]

    @property
    def applies_to(self) -> tuple[str, ...]:
        """The kinds of feedback (items.kind) whose label the calibrator sets; others keep the model's reading."""
        return tuple(self.meta.get("applies_to", ("review", "survey")))

    @property
    def digest(self) -> str:
        """A short hash of the coefficients: stored with each item, so a new calibrator rescores the store once."""
        import hashlib

        raw = np.concatenate([self.mean, self.scale, self.coef.ravel(), self.intercept]).round(8)
        return hashlib.sha1(raw.tobytes()).hexdigest()[:8]

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities [n, 3] over LABELS for feature rows [n, d] (or one row [d] -> [1, 3])."""
        x = np.atleast_2d(np.asarray(x, dtype=np.float64))
        z = ((x - self.mean) / self.scale) @ self.coef.T + self.intercept
        return _softmax(z)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": KIND, "labels": list(LABELS), "features": list(self.features),
            "mean": self.mean.tolist(), "scale": self.scale.tolist(),
            "coef": self.coef.tolist(), "intercept": self.intercept.tolist(), **self.meta,
        }  # fmt: skip

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str = "calibrator") -> ItemCalibrator:
        """Check and load a `to_json()` dict; errors name the file and the key."""
        if data.get("kind") != KIND or data.get("labels") != list(LABELS):
            raise ModelError(
                f"{source}: not an item calibrator (kind {data.get('kind')!r}, labels {data.get('labels')}); "
                f"expected kind {KIND!r} with labels {list(LABELS)}. Re-create it with "
                "`voc train item-calibrator` or set sentiment.item_calibration = false",
                code="E413",
            )
        if tuple(data.get("features", ())) != FEATURES:
            raise ModelError(
                f"{source}: its features {data.get('features')} are not this version's {list(FEATURES)}; "
                "re-fit it with `voc train item-calibrator` or set sentiment.item_calibration = false",
                code="E414",
            )
        d = len(FEATURES)
        try:
            mean = np.asarray(data["mean"], dtype=np.float64).reshape(d)
            scale = np.asarray(data["scale"], dtype=np.float64).reshape(d)
            coef = np.asarray(data["coef"], dtype=np.float64).reshape(len(LABELS), d)
            intercept = np.asarray(data["intercept"], dtype=np.float64).reshape(len(LABELS))
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelError(
                f"{source}: malformed coefficients ({exc}); mean and scale need {d} numbers, coef 3 x {d}, "
                "intercept 3. Re-create it with `voc train item-calibrator`",
                code="E415",
            ) from exc
        meta = {k: v for k, v in data.items() if k not in ("kind", "labels", "features", "mean", "scale",
                                                          "coef", "intercept")}  # fmt: skip
        return cls(FEATURES, mean, np.where(scale > 0, scale, 1.0), coef, intercept, meta)

    @classmethod
    def load(cls, path: Path) -> ItemCalibrator:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(
                f"cannot read the item calibrator {path}: {exc}; restore it from the repository or set "
                "sentiment.item_calibration = false",
                code="E416",
            ) from exc
        return cls.from_json(data, str(path))


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> ItemCalibrator:
    return ItemCalibrator.load(Path(path))


def calibrator_for(model: Any) -> ItemCalibrator | None:
    """The calibrator stored beside a model (`<model folder>/item_calibrator.json`), or None.

    It was fitted on that model's outputs, so it belongs to its folder: another
    model (a hub model, an adapted copy) has none unless one is fitted for it.
    """
    folder = getattr(model, "folder", None)
    if folder is None:
        return None
    path = Path(folder) / CALIBRATOR_FILE
    return _load_cached(str(path), path.stat().st_mtime_ns) if path.exists() else None
