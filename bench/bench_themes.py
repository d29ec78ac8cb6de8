"""Themes benchmark: fit time on N sentences (embeddings included and excluded), incremental
assignment rate, peak memory; BERTopic with its defaults on the same embeddings in the same process.

Sentences: Bitext requests, Banking77 queries and airline tweets from ../shared/data (split into
sentences), else generated support sentences. Embeddings are computed here (timed) unless
--emb-cache names a .npy file of them for the same --n (then "included" is that file's
recorded time, or the measured encode rate times N when no time was recorded).

    .venv/bin/python bench/bench_themes.py --n 50000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DATA = ROOT.parent / "shared" / "data"

_A = ["My refund", "The delivery", "Your app", "The support agent", "My invoice", "The checkout", "My parcel"]
_B = ["is two weeks late", "keeps crashing", "was very helpful", "charged me twice", "never arrived",
      "cannot be cancelled", "was lost", "is confusing"]  # fmt: skip


def rss_mb() -> float:
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_sentences(n: int) -> tuple[list[str], str]:
    import pandas as pd

    parts = []
    for rel, col in (("bitext_customer_support/bitext_customer_support.csv", "instruction"),
                     ("banking77/train.csv", "text"), ("banking77/test.csv", "text"),
                     ("twitter_us_airline_sentiment/Tweets.csv", "text")):  # fmt: skip
        f = DATA / rel
        if f.exists():
            parts += pd.read_csv(f, usecols=[col])[col].astype(str).tolist()
    if len(parts) >= n:
        random.Random(0).shuffle(parts)
        return parts[:n], f"{n:,} real support texts (Bitext, Banking77, airline tweets)"
    rng = random.Random(0)
    return [f"{rng.choice(_A)} {rng.choice(_B)} ({i % 997})." for i in range(n)], f"{n:,} generated sentences"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument(
        "--emb-cache", type=Path, default=None, help=".npy of embeddings for these texts (reused)"
    )
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args()

    import numpy as np
    import torch

    torch.set_num_threads(2)
    from voc.config.themes import ThemesConfig
    from voc.nlp.encoder import encode, load_encoder
    from voc.themes.discover import fit_themes
    from voc.themes.registry import assign_to_centroids

    texts, what = load_sentences(args.n)
    res: dict = {"what": what, "n": len(texts), "machine": f"{platform.machine()} {os.cpu_count()} cpus"}
    model = load_encoder("default")
    # Encode rate on a sample, always measured here.
    t0 = time.perf_counter()
    encode(texts[:1000])
    rate = 1000 / (time.perf_counter() - t0)
    res["encode_texts_per_s"] = round(rate, 1)
    if args.emb_cache and args.emb_cache.exists():
        emb = np.load(args.emb_cache)
        assert len(emb) == len(texts), "--emb-cache holds embeddings of a different --n"
        meta = args.emb_cache.with_suffix(".json")
        embed_s = json.loads(meta.read_text())["seconds"] if meta.exists() else len(texts) / rate
        res["embed_seconds_source"] = "recorded" if meta.exists() else "extrapolated from the measured rate"
    else:
        t0 = time.perf_counter()
        emb = encode(texts, show_progress=True)
        embed_s = time.perf_counter() - t0
        res["embed_seconds_source"] = "measured"
        if args.emb_cache:
            np.save(args.emb_cache, emb)
            args.emb_cache.with_suffix(".json").write_text(json.dumps({"seconds": embed_s}))
    res["embed_seconds"] = round(embed_s, 1)
    res["rss_after_embed_mb"] = round(rss_mb())

    cfg = ThemesConfig()
    t0 = time.perf_counter()
    disc = fit_themes(texts, emb, cfg)
    fit_s = time.perf_counter() - t0
    res["voc"] = {"fit_seconds_excl_embed": round(fit_s, 1), "fit_seconds_incl_embed": round(fit_s + embed_s, 1),
                  "themes": disc.n_themes, "unassigned_share": round(disc.unassigned_share, 4),
                  "peak_rss_mb": round(rss_mb())}  # fmt: skip
    print(
        f"voc fit: {fit_s:.0f} s excl. embeddings, {fit_s + embed_s:.0f} s incl.; {disc.n_themes} themes",
        flush=True,
    )

    # Incremental assignment after embedding: nearest centroid with a threshold.
    ids = [f"T{i:04d}" for i in range(disc.n_themes)]
    t0 = time.perf_counter()
    for _ in range(3):
        assign_to_centroids(emb, disc.centroids, ids, cfg.assign_threshold)
    assign_rate = 3 * len(emb) / (time.perf_counter() - t0)
    res["voc"]["assign_items_per_s"] = round(assign_rate)
    print(f"voc incremental assignment: {assign_rate:,.0f} mentions/s", flush=True)

    if not args.no_baseline:
        from bertopic import BERTopic

        t0 = time.perf_counter()
        base = BERTopic(embedding_model=model)
        topics, _ = base.fit_transform(texts, emb)
        bfit = time.perf_counter() - t0
        sub = min(5000, len(texts))
        t0 = time.perf_counter()
        base.transform(texts[:sub], emb[:sub])
        b_rate = sub / (time.perf_counter() - t0)
        res["bertopic_defaults"] = {"fit_seconds_excl_embed": round(bfit, 1), "themes": len(set(topics) - {-1}),
                                    "unassigned_share": round(float(np.mean(np.asarray(topics) == -1)), 4),
                                    "assign_items_per_s": round(b_rate), "peak_rss_mb": round(rss_mb())}  # fmt: skip
        res["ratios"] = {"fit_speedup_vs_bertopic_defaults": round(bfit / fit_s, 2),
                         "assign_speedup_vs_bertopic_transform": round(assign_rate / b_rate, 1)}  # fmt: skip
        print(f"BERTopic defaults: fit {bfit:.0f} s, transform {b_rate:,.0f} mentions/s", flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "themes.json").write_text(json.dumps(res, indent=2))
    json.dump(res, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
