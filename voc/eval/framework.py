"""`voc eval nhs-themes`: themes of real survey comments against a human topic framework.

The NHS Friends and Family Test comments in ../shared/data carry 50 one-hot
topic labels applied by qualitative researchers. voc runs as a user would
run it (`voc analyze` on the comments, dates ignored: the file's dates are
mixed-format and irrelevant to themes), and each comment's primary theme
(`item_themes.theme_id`) is scored against its topic.

How comments are counted:

- scored (NMI, ARI): comments with exactly one topic, leaving out the two
  non-topics "Labelling not possible" and "Not assigned" (non-answers such as
  "Nothing"); a comment voc leaves unassigned counts as one extra cluster, so
  leaving comments out is not free;
- multi-topic comments: a hit when the majority topic of the comment's primary
  theme (read off the single-topic comments) is one of its topics.

The baseline is k-means on the same encoder's vectors of the whole comments,
told the true number of topics in the scored set (voc is never told it). Both
run in float32 (`voc.eval.themes.EVAL_PRECISION`), so the figures do not
depend on whether the CPU has bfloat16.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

FILE = "nhs_fft_patient_feedback/v6framework_230831.csv"
META_COLUMNS = 11  # Comment ID .. Comment sentiment; the 50 topic columns follow
NON_TOPICS = ("Labelling not possible", "Not assigned")


def load_comments(data: Path) -> tuple[pd.DataFrame, list[str]]:
    """Real comments (no empty or 'Did not answer') and the names of the topic columns."""
    df = pd.read_csv(data / FILE)
    topics = list(df.columns[META_COLUMNS:])
    text = df["FFT answer"].fillna("").astype(str)
    keep = text.str.strip().ne("") & text.str.strip().ne("Did not answer")
    out = df[keep].reset_index(drop=True)
    return out, topics


def topic_sets(df: pd.DataFrame, topics: list[str]) -> list[list[str]]:
    """Each comment's topics (the one-hot columns that are 1)."""
    m = df[topics].fillna(0).to_numpy(dtype=float) > 0
    return [[t for t, on in zip(topics, row, strict=True) if on] for row in m]


def majority_hits(pred: np.ndarray, single_truth: np.ndarray, single_pred: np.ndarray,
                  multi: list[list[str]], multi_pred: np.ndarray) -> float | None:  # fmt: skip
    """Share of multi-topic comments whose cluster's majority topic (on single-topic comments) is theirs."""
    if not multi:
        return None
    frame = pd.DataFrame({"c": single_pred, "t": single_truth})
    major = frame.groupby("c")["t"].agg(lambda s: s.value_counts().index[0]).to_dict()
    hits = [major.get(c) in ts for c, ts in zip(multi_pred.tolist(), multi, strict=True)]
    return float(np.mean(hits))


def evaluate_framework(
    data: Path, *, seed: int = 0, work: Path | None = None, rows: int | None = None
) -> dict[str, Any]:
    """Run voc on the comments and score primary themes and the k-means baseline; returns a dict."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    from voc.config import default_config
    from voc.eval.metrics import bootstrap_nmi, nmi
    from voc.eval.themes import EVAL_PRECISION
    from voc.nlp.encoder import encode
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file
    from voc.schema import Kind
    from voc.store import DuckDBStore

    df, topics = load_comments(data)
    if rows is not None and rows < len(df):
        df = df.sample(n=rows, random_state=seed).reset_index(drop=True)
    sets = topic_sets(df, topics)
    tmp = tempfile.TemporaryDirectory(prefix="voc-eval-nhs-") if work is None else None
    folder = Path(tmp.name) if tmp else work
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    try:
        src = folder / "nhs_comments.csv"
        pd.DataFrame({"id": df["Comment ID"].astype(str), "comment": df["FFT answer"]}).to_csv(
            src, index=False
        )
        t0 = time.perf_counter()
        opts = AnalyzeOptions(id_col="id", text_col="comment", undated=True, kind=Kind.survey)
        cfg = default_config()
        cfg.encoder = cfg.encoder.model_copy(update={"precision": EVAL_PRECISION})
        analyze_file(src, folder / "out", opts, config=cfg, store_path=folder / "voc.duckdb", progress=False)
        voc_s = time.perf_counter() - t0
        with DuckDBStore(folder / "voc.duckdb", read_only=True) as store:
            it = store.read("items", ["id", "external_id"]).merge(
                store.read("item_themes", ["item_id", "theme_id"]),
                left_on="id",
                right_on="item_id",
                how="left",
            )
            it = it.rename(columns={"external_id": "cid"})
    finally:
        if tmp is not None:
            tmp.cleanup()
    primary = dict(zip(it["cid"].astype(str), it["theme_id"].fillna("unassigned"), strict=True))
    ids = df["Comment ID"].astype(str).tolist()
    codes = {t: k for k, t in enumerate(sorted(set(primary.values()) - {"unassigned"}))}
    voc_pred = np.array([codes.get(primary.get(i, "unassigned"), -1) for i in ids])

    single = np.array([len(s) == 1 and s[0] not in NON_TOPICS for s in sets])
    multi_idx = [k for k, s in enumerate(sets) if len(s) > 1]
    truth = np.array([s[0] if len(s) == 1 else "" for s in sets], dtype=object)
    k_true = len(set(truth[single].tolist()))

    t0 = time.perf_counter()
    texts = df["FFT answer"].astype(str).tolist()
    emb = encode(texts, show_progress=False, precision=EVAL_PRECISION)
    km = KMeans(n_clusters=k_true, n_init=10, random_state=seed).fit_predict(emb)
    km_s = time.perf_counter() - t0

    out: dict[str, Any] = {"comments": len(df), "scored": int(single.sum()), "topics_scored": k_true,
                           "multi_topic": len(multi_idx), "systems": []}  # fmt: skip
    boot = bootstrap_nmi(truth[single], [voc_pred[single], km[single]], seed=seed)
    for name, pred, secs in (("voc themes (k not given)", voc_pred, voc_s),
                             (f"k-means, told k={k_true}", km, km_s)):  # fmt: skip
        y, p = truth[single], pred[single]
        out["systems"].append(
            {
                "system": name,
                "nmi": nmi(y, p),
                "ari": float(adjusted_rand_score(y, p)),
                "clusters": len(set(p.tolist()) - {-1}),
                "unassigned_share": float((p < 0).mean()),
                "multi_topic_hit": majority_hits(pred, y, p, [sets[k] for k in multi_idx], pred[multi_idx]),
                "seconds": round(secs, 1),
            }
        )
    for j, entry in enumerate(out["systems"]):
        entry["nmi_se"] = float(boot[:, j].std(ddof=1))
    diff = boot[:, 0] - boot[:, 1]
    out["nmi_minus_kmeans"] = out["systems"][0]["nmi"] - out["systems"][1]["nmi"]
    out["nmi_minus_kmeans_se"] = float(diff.std(ddof=1))
    return out
