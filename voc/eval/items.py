"""`voc eval items`: item sentiment (the overall tone) against star buckets and survey scores.

On each rated dataset's held-out test split (`voc.eval.itemdata`; never
trained on), all from one run:

- voc's item label as stored now: the tone reader's (`voc.nlp.tone`, when the
  model folder has one, as `voc analyze` stores reviews and surveys); the
  calibrated label of session 11 (`item_calibrator.json`); and the label as it
  was stored before both (the whole reading's argmax; a `mixed` item forced
  negative);
- VADER (compound +-0.05) on the same texts;
- the "best two cut points" oracle on the old item score and on the new one
  (the tone reader's, else the calibrated one):
  the two thresholds that maximise macro-F1 on these very rows (an upper
  bound for any thresholding of that score, not a held-out figure), and the
  old score's two cuts chosen on the dataset's own train split instead (what
  per-dataset thresholds do on new rows of the same kind);
- leave-one-dataset-out (LODO): a calibrator fitted with the shipped recipe on
  the train splits of the *other* datasets only, scored on this test split;
  how the calibrator does on a kind of feedback it has never seen.

Standard errors are bootstrap (1,000 resamples of the test rows; the same
resamples for every system, so the difference to the old best-two-cuts
figure is paired).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voc.eval.itemdata import DATASETS, RATED
from voc.eval.metrics import best_two_cuts, bootstrap_macro_f1, cut_labels, macro_f1_rows
from voc.nlp.sentiment import LABELS, NEG, POS

LABEL_INDEX = {lab: i for i, lab in enumerate(LABELS)}


def legacy_labels(readings: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """(label index, score) as the stage stored items before the calibrator: whole reading, `mixed` -> negative."""
    from voc.nlp.sentiment import is_mixed, item_reading

    labels, scores = [], []
    for r in readings:
        p = np.asarray(r.probs, dtype=np.float64).reshape(-1, 3)
        if len(p) == 0:
            labels.append(1)
            scores.append(0.0)
            continue
        item = item_reading(p, r.lengths, r.whole)
        labels.append(NEG if is_mixed(p, r.contrast) else int(item.argmax()))
        scores.append(float(item[POS] - item[NEG]))
    return np.asarray(labels, dtype=np.int64), np.asarray(scores)


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    return float(macro_f1_rows(np.asarray(pred)[None, :], y, 3)[0])


def evaluate_items(
    data_dir: Path,
    *,
    datasets: Sequence[str] = RATED,
    model_ref: str = "default",
    root: str | None = None,
    cache_dir: Path | None = None,
    lodo: bool = True,
    limit: int | None = None,
) -> dict[str, Any]:
    """Per dataset, the systems above on its test split; returns {'model', 'calibrator', 'datasets': {...}}.

    `limit`: a quick run on each dataset's first `limit` test rows (and 3 x `limit` train rows for the
    train-fitted cuts and LODO); the figures are then not the reported ones.
    """
    from voc.eval.itemdata import check_files
    from voc.eval.sentiment import vader_labels, vader_scores
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.sentiment import load_sentiment_model
    from voc.nlp.stage import score_texts
    from voc.train.calibrate import Recipe, fit_recipe, labels_index, rated_frames, read_items

    check_files(data_dir, [*datasets, *(DATASETS if lodo else ())])
    model = load_sentiment_model(model_ref, root)
    cal = calibrator_for(model)
    tone = getattr(model, "tone", None)
    names = list(dict.fromkeys([*datasets, *(DATASETS if lodo and cal is not None else ())]))
    frames = rated_frames(data_dir, model, names, cache_dir=cache_dir, keep=_first_rows(limit))
    out: dict[str, Any] = {
        "model": model.name,
        "calibrator": None if cal is None else cal.meta,
        "tone": None
        if tone is None
        else {k: tone.meta.get(k) for k in ("recipe", "fitted_on", "trained_at")},
        "datasets": {},
    }
    views = [(name, "score") for name in datasets] + [("nhs", "comment")] * ("nhs" in datasets)
    for name, view in views:
        f = frames[name]
        y_all = f.labels(view)
        test = np.flatnonzero((f.df["split"] == "test").to_numpy() & (y_all >= 0))
        texts = f.df["text"].iloc[test].tolist()
        y = y_all[test]
        x = f.x[test]
        # What the stage stored before this change: mentions read inside the item, `mixed` -> negative.
        before = read_items(model, texts, cache_dir=cache_dir, mentions_in_context=True)
        old, old_score = legacy_labels(before)
        systems: dict[str, np.ndarray] = {}
        cuts: dict[str, tuple[float, float]] = {}
        new_score = None
        if tone is not None:
            # Exactly as `voc analyze` stores a review or survey: the mentions split, the tone reader's label.
            _spans, _probs, items, _vecs = score_texts(model, texts, tone=[True] * len(texts))
            systems[TONE] = np.asarray([LABEL_INDEX[r.label] for r in items], dtype=np.int64)
            new_score = np.asarray([r.score for r in items])
        if cal is not None:
            p = cal.predict_proba(x)
            systems["voc item label (calibrated, session 11)"] = p.argmax(1)
            if new_score is None:
                new_score = p[:, POS] - p[:, NEG]
        systems[BEFORE] = old
        systems["VADER"] = labels_index(vader_labels(vader_scores(texts), binary=False))
        lo, hi, _ = best_two_cuts(old_score, y)
        systems[OLD_CUTS] = cut_labels(old_score, lo, hi)
        cuts["old"] = (lo, hi)
        # The same two cuts chosen on this dataset's train split instead: what in-domain thresholds do on
        # new rows, so the oracle's optimism (cuts fitted on the rows they are scored on) can be read off.
        train = (f.df["split"] == "train").to_numpy() & (y_all >= 0)
        whole = np.exp(f.x[:, :3])
        train_score = whole[:, POS] - whole[:, NEG]
        tlo, thi, _ = best_two_cuts(train_score[train], y_all[train])
        systems["two cuts of the old score fitted on the train split"] = cut_labels(old_score, tlo, thi)
        if new_score is not None:
            nlo, nhi, _ = best_two_cuts(new_score, y)
            systems["best two cuts of the new score (oracle)"] = cut_labels(new_score, nlo, nhi)
            cuts["new"] = (nlo, nhi)
        if cal is not None and lodo and view == "score":
            recipe = Recipe.from_dict(cal.meta.get("recipe", {}))
            others = Recipe.from_dict(
                {**recipe.as_dict(), "datasets": [d for d in recipe.datasets if d != name]}
            )
            systems["LODO: the calibrator refitted without this dataset"] = (
                fit_recipe(frames, others).predict_proba(x).argmax(1)
            )
        out["datasets"][name if view == "score" else f"{name} (labellers' comment sentiment)"] = {
            "n": len(y), "truth": np.bincount(y, minlength=3).tolist(), "cuts": cuts, "rows": _rows(y, systems),
        }  # fmt: skip
    return out


TONE = "voc item label (tone reader)"
OLD_CUTS = "best two cuts of the old score (oracle)"
BEFORE = "voc item label before (whole reading, mixed -> negative)"


def _first_rows(limit: int | None) -> Any:
    """For a quick run: the first `limit` test rows and 3 x `limit` train rows of each dataset."""
    if not limit:
        return None

    def keep(df: Any) -> np.ndarray:
        test = (df["split"] == "test").to_numpy()
        return (test & (np.cumsum(test) <= limit)) | (~test & (np.cumsum(~test) <= 3 * limit))

    return keep


def _rows(y: np.ndarray, systems: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Macro-F1 of each system with its bootstrap SE, and its paired differences to the old score's best
    cuts and to the label stored before."""
    boot = bootstrap_macro_f1(y, list(systems.values()))
    ref, before = list(systems).index(OLD_CUTS), list(systems).index(BEFORE)
    ref_f1, before_f1 = _f1(y, systems[OLD_CUTS]), _f1(y, systems[BEFORE])
    rows = []
    for j, (name, pred) in enumerate(systems.items()):
        f1 = _f1(y, pred)
        rows.append({
            "system": name, "macro_f1": f1, "se": float(boot[:, j].std(ddof=1)),
            "minus_old_cuts": f1 - ref_f1, "minus_old_cuts_se": float((boot[:, j] - boot[:, ref]).std(ddof=1)),
            "minus_before": f1 - before_f1, "minus_before_se": float((boot[:, j] - boot[:, before]).std(ddof=1)),
            "predicted": np.bincount(pred, minlength=3).tolist(),
        })  # fmt: skip
    return rows
