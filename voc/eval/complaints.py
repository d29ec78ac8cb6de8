"""`voc eval complaints`: does "this item carries a complaint" find the complaints people labelled?

Data: the ACL 2019 complaints corpus (`complaints_twitter`, Preoțiuc-Pietro et
al.): tweets to the support handles of companies in nine domains, each
labelled complaint or not. The background groups `random_reply` and
`random_tweet` are not support text and are left out.

voc's rule is the one the backlog uses (`voc.nlp.complaints.carries_complaint`:
at least one negative mention, found by the sentiment stage's own path).
Baselines from the same run: VADER (compound <= -0.05), voc's item label
being negative (the overall tone, which by design misses a complaint
inside a friendly message), and the same rule with the mentions scored inside
their item as before session 11 (`sentiment.mentions_in_context = true`).
The tweets are read as tickets (no item calibration), as a support export would be.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.eval.shared_data import require_data

COMPLAINTS_FILE = Path("complaints_twitter/complaints-data.csv")
BACKGROUND = ("random_reply", "random_tweet")


def load_complaints(data_dir: Path) -> pd.DataFrame:
    """The support-directed tweets: columns tweet_id, text, complaint (bool), domain."""
    path = data_dir / COMPLAINTS_FILE
    require_data(path)
    df = pd.read_csv(path, header=None, names=["tweet_id", "text", "complaint", "domain"], dtype=str,
                     keep_default_na=False)  # fmt: skip
    df = df.loc[~df["domain"].isin(BACKGROUND)].copy()
    df["complaint"] = df["complaint"].str.strip().eq("1")
    return df.reset_index(drop=True)


def precision_recall(truth: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """Precision, recall and F1 of boolean predictions (0 where undefined)."""
    t, p = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    tp = float((t & p).sum())
    prec = tp / p.sum() if p.sum() else 0.0
    rec = tp / t.sum() if t.sum() else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "predicted": int(p.sum()), "true": int(t.sum())}


def bootstrap_pr_se(
    truth: np.ndarray, pred: np.ndarray, rounds: int = 1000, seed: int = 0
) -> dict[str, float]:
    """Bootstrap standard errors of precision and recall (rows resampled with replacement)."""
    t, p = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    rng = np.random.default_rng(seed)
    w = rng.multinomial(len(t), np.full(len(t), 1.0 / max(len(t), 1)), size=rounds).astype(np.float64)
    tp, npred, ntrue = w @ (t & p), w @ p, w @ t
    prec = np.where(npred > 0, tp / np.maximum(npred, 1e-12), 0.0)
    rec = np.where(ntrue > 0, tp / np.maximum(ntrue, 1e-12), 0.0)
    return {"precision": float(prec.std(ddof=1)), "recall": float(rec.std(ddof=1))}


def evaluate_complaints(
    data_dir: Path,
    *,
    model_ref: str = "default",
    root: str | None = None,
    limit: int | None = None,
    calibrate: bool = True,
    kind: str = "ticket",
) -> dict[str, Any]:
    """Precision and recall per domain and overall of voc's rule, VADER and "item label is negative"."""
    from voc.eval.itemdata import prepare
    from voc.eval.sentiment import vader_scores
    from voc.nlp.calibrate import calibrator_for
    from voc.nlp.complaints import carries_complaint
    from voc.nlp.sentiment import LABELS, aggregate_many, load_sentiment_model
    from voc.nlp.stage import read_texts

    df = load_complaints(data_dir)
    if limit:
        df = df.iloc[:limit]
    texts = df["text"].map(prepare).tolist()
    model = load_sentiment_model(model_ref, root)
    as_review = calibrate and kind != "ticket"
    toned = [as_review] * len(texts) if getattr(model, "tone", None) is not None else None
    readings, _ = read_texts(model, texts, tone=toned)
    in_context, _ = read_texts(model, texts, mentions_in_context=True)
    items = aggregate_many(readings, calibrator_for(model) if as_review and toned is None else None)

    def complaint(rs: list[Any]) -> np.ndarray:
        return np.array(
            [carries_complaint(LABELS[int(i)] for i in np.asarray(r.probs).argmax(1)) for r in rs]
        )

    systems = {
        f"{model.name}: a negative mention (carries_complaint)": complaint(readings),
        f"{model.name}: the same, mentions read in context (before)": complaint(in_context),
        f"{model.name}: item label negative": np.array([it.label == "negative" for it in items]),
        "VADER compound <= -0.05": vader_scores(texts) <= -0.05,
    }
    truth = df["complaint"].to_numpy()
    groups = {"all nine domains": np.ones(len(df), dtype=bool)}
    groups.update({d: (df["domain"] == d).to_numpy() for d in sorted(df["domain"].unique())})
    table = []
    for group, mask in groups.items():
        for name, pred in systems.items():
            pr = precision_recall(truth[mask], pred[mask])
            se = bootstrap_pr_se(truth[mask], pred[mask])
            table.append({"group": group, "system": name, "n": int(mask.sum()), **pr,
                          "precision_se": se["precision"], "recall_se": se["recall"]})  # fmt: skip
    return {"model": model.name, "n": len(df), "base_rate": float(truth.mean()), "rows": table}
