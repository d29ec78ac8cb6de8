"""`voc eval themes`: theme discovery against labelled intents, with BERTopic defaults in the same run.

Each text is one mention (intent datasets are single requests). The method
is never told how many labels there are. Unassigned texts count as one
extra cluster in NMI/ARI, so leaving texts out is not free. Embeddings come
from the packaged all-MiniLM-L6-v2 and are cached in a DuckDB file, so a
second run spends its time on clustering only.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from voc.config.themes import ThemesConfig
from voc.errors import InputError

log = logging.getLogger(__name__)


@dataclass
class ClusterScores:
    """One clustering scored against one or more label columns."""

    system: str
    n: int
    n_themes: int
    unassigned_share: float
    seconds: float
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # label column -> {nmi, ari}

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system, "n": self.n, "themes": self.n_themes,
            "unassigned_share": round(self.unassigned_share, 4), "seconds": round(self.seconds, 1),
            "scores": {k: {m: round(v, 4) for m, v in d.items()} for k, d in self.scores.items()},
        }  # fmt: skip


def read_labelled(path: Path, text_col: str, label_cols: list[str]) -> pd.DataFrame:
    """A CSV file, or every CSV in a folder (sorted, concatenated), with the named columns."""
    path = Path(path)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise InputError(f"no CSV data at {path}; give a .csv file or a folder of them", code="E275")
    frames = []
    for f in files:
        df = pd.read_csv(f)
        missing = [c for c in (text_col, *label_cols) if c not in df.columns]
        if missing:
            raise InputError(
                f"{f}: columns {missing} not found; available: {', '.join(map(str, df.columns))}", code="E276"
            )
        frames.append(df[[text_col, *label_cols]])
    out = pd.concat(frames, ignore_index=True).dropna(subset=[text_col])
    out[text_col] = out[text_col].astype(str)
    return out.reset_index(drop=True)


def score_clustering(
    system: str, pred: np.ndarray, truth: dict[str, np.ndarray], seconds: float
) -> ClusterScores:
    """NMI and ARI of `pred` (-1 = unassigned, kept as one cluster) against each label column."""
    from sklearn.metrics import adjusted_rand_score

    from voc.eval.metrics import nmi

    pred = np.asarray(pred)
    res = ClusterScores(
        system=system,
        n=len(pred),
        n_themes=len(set(pred.tolist()) - {-1}),
        unassigned_share=float((pred < 0).mean()) if len(pred) else 0.0,
        seconds=seconds,
    )
    for name, y in truth.items():
        res.scores[name] = {"nmi": nmi(y, pred), "ari": float(adjusted_rand_score(y, pred))}
    return res


# The evals embed in float32: bfloat16 vectors (the default on CPUs that have it) differ from
# float32 ones by about 1e-4 in cosine, enough to move a few Louvain communities and the NMI by
# about 0.003 (Banking77: 0.8195 bf16, 0.8229 fp32). A measurement should not depend on the CPU.
EVAL_PRECISION = "fp32"


def embed_cached(
    texts: list[str], cache_path: Path, model_ref: str = "default", precision: str = EVAL_PRECISION
) -> np.ndarray:
    """Embeddings of `texts` from a DuckDB cache file, encoding only what is missing."""
    from voc.config.core import EncoderConfig
    from voc.nlp.encoder import get_encoder
    from voc.store import DuckDBStore
    from voc.themes.cache import cached_embeddings

    encoder = get_encoder(EncoderConfig(model=model_ref, precision=precision))  # type: ignore[arg-type]
    with DuckDBStore(cache_path) as store:
        return cached_embeddings(
            store, texts, f"{model_ref}@{precision}", lambda b: encoder.encode(b, show_progress=True)
        )


def fit_bertopic_defaults(texts: list[str], emb: np.ndarray, model: Any) -> np.ndarray:
    """BERTopic with every default (UMAP + HDBSCAN), on the same embeddings."""
    from bertopic import BERTopic

    topics, _ = BERTopic(embedding_model=model).fit_transform(texts, emb)
    return np.asarray(topics, dtype=int)


def stability(
    emb: np.ndarray, texts: list[str], config: ThemesConfig, *, share: float = 0.9, seed: int = 0
) -> dict:
    """Fit on two random `share` samples; AMI of the two assignments on the texts both contain."""
    from sklearn.metrics import adjusted_mutual_info_score

    from voc.themes.discover import fit_themes

    rng = np.random.default_rng(seed)
    n = len(texts)
    a = np.sort(rng.choice(n, int(share * n), replace=False))
    b = np.sort(rng.choice(n, int(share * n), replace=False))
    fa = fit_themes([texts[i] for i in a], emb[a], config)
    fb = fit_themes([texts[i] for i in b], emb[b], config)
    la = pd.Series(fa.labels, index=a)
    lb = pd.Series(fb.labels, index=b)
    shared = np.intersect1d(a, b)
    return {
        "shared": len(shared),
        "ami": float(adjusted_mutual_info_score(la[shared], lb[shared])),
        "themes": [fa.n_themes, fb.n_themes],
    }


def evaluate_themes(
    data: Path,
    text_col: str,
    label_cols: list[str],
    config: ThemesConfig,
    *,
    cache_path: Path,
    baseline: bool = True,
    with_stability: bool = False,
    sample: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Score voc's theme discovery and BERTopic's defaults on labelled data; returns a dict."""
    from voc.config.core import EncoderConfig
    from voc.nlp.encoder import get_encoder
    from voc.themes.discover import fit_themes

    df = read_labelled(data, text_col, label_cols)
    if sample and sample < len(df):
        df = df.sample(n=sample, random_state=seed).reset_index(drop=True)
    texts = df[text_col].tolist()
    truth = {c: df[c].astype(str).to_numpy(dtype=object) for c in label_cols}
    t0 = time.perf_counter()
    emb = embed_cached(texts, cache_path)
    embed_s = time.perf_counter() - t0
    model = get_encoder(EncoderConfig(precision=EVAL_PRECISION)).sentence_transformer
    out: dict[str, Any] = {"data": str(data), "n": len(texts), "labels": {c: int(df[c].nunique()) for c in label_cols},
                           "embed_seconds": round(embed_s, 1), "systems": []}  # fmt: skip
    t0 = time.perf_counter()
    disc = fit_themes(texts, emb, config)
    ours = score_clustering("voc themes", disc.labels, truth, time.perf_counter() - t0)
    out["systems"].append(ours.as_dict())
    log.info("eval themes: voc %d themes, %.1f%% unassigned in %.0f s", ours.n_themes, 100 * ours.unassigned_share,
             ours.seconds)  # fmt: skip
    if baseline:
        t0 = time.perf_counter()
        base = fit_bertopic_defaults(texts, emb, model)
        out["systems"].append(
            score_clustering("BERTopic defaults", base, truth, time.perf_counter() - t0).as_dict()
        )
    if with_stability:
        t0 = time.perf_counter()
        out["stability"] = {
            **stability(emb, texts, config, seed=seed),
            "seconds": round(time.perf_counter() - t0, 1),
        }
    return out
