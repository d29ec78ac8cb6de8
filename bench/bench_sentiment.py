"""Sentiment benchmark: texts/s for the sentiment step alone, and what sharing the encoder pass saves.

All in one process, same texts, 2 torch threads:
- sentiment step: `model.predict` (dynamic padding, length-sorted batches of 64);
- baseline A: the same model with every batch padded to 128 tokens (no dynamic padding);
- theme embedding alone: `voc.nlp.encoder.encode` (sentence-transformers, what themes pays anyway);
- shared pass: `predict_with_embeddings` (sentiment + theme embedding from one lower-layer pass)
  against running sentiment and the theme embedding separately;
- VADER, the lexicon baseline, for scale.

Texts: airline tweets from ../shared/data when present, else generated tweet-length texts.

    .venv/bin/python bench/bench_sentiment.py --n 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TWEETS = ROOT.parent / "shared" / "data" / "twitter_us_airline_sentiment" / "Tweets.csv"

_A = ["My flight", "The crew", "Your app", "Customer service", "The refund", "Boarding", "My bag", "The upgrade"]
_B = ["was delayed three hours", "was fantastic, thank you", "keeps crashing at checkout", "never called back",
      "took forever and nobody explained why", "made my day", "is still missing after a week", "was fine"]  # fmt: skip
_C = ["", " Really disappointed.", " Will fly again!", " Any update?", " #fail", " Thanks for the help."]


def load_texts(n: int) -> tuple[list[str], str]:
    if TWEETS.exists():
        import pandas as pd

        df = pd.read_csv(TWEETS, usecols=["text"])
        texts = df["text"].astype(str).sample(n=min(n, len(df)), random_state=0).tolist()
        return texts, f"{len(texts)} airline tweets ({TWEETS.name})"
    rng = random.Random(0)
    texts = [f"@brand {rng.choice(_A)} {rng.choice(_B)}.{rng.choice(_C)}" for _ in range(n)]
    return texts, f"{n} generated tweet-length texts"


def timed(fn, *args) -> tuple[float, object]:
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, out


def static_padded_predict(model, texts: list[str], width: int = 128) -> None:
    """The same model, each batch padded to `width` tokens (what dynamic padding avoids)."""
    import numpy as np
    import torch

    windows, _owner = model._windows(texts)
    pad = model.tok.pad_token_id or 0
    with torch.inference_mode():
        for s in range(0, len(windows), model.batch_size):
            chunk = windows[s : s + model.batch_size]
            ids = np.full((len(chunk), width), pad, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for r, w in enumerate(chunk):
                ids[r, : len(w)] = w[:width]
                mask[r, : len(w)] = 1
            model._window_logits(torch.from_numpy(ids), torch.from_numpy(mask))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--model", default="default")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from voc.eval.sentiment import vader_scores
    from voc.nlp.encoder import encode
    from voc.nlp.sentiment import TopLayersSentiment, load_sentiment_model, normalize_text

    texts, what = load_texts(args.n)
    model = load_sentiment_model(args.model)
    model.predict(texts[:64])  # warm-up: first calls allocate
    encode([normalize_text(t) for t in texts[:64]])
    n = len(texts)
    res: dict[str, float] = {}
    res["sentiment_dynamic_s"], _ = timed(model.predict, texts)
    res["sentiment_static128_s"], _ = timed(static_padded_predict, model, texts)
    norm = [normalize_text(t) for t in texts]
    res["theme_embedding_s"], _ = timed(encode, norm)
    if isinstance(model, TopLayersSentiment):
        res["shared_pass_s"], _ = timed(model.predict_with_embeddings, texts)
    res["vader_s"], _ = timed(vader_scores, texts)

    rate = {k.replace("_s", "_texts_per_s"): round(n / v, 1) for k, v in res.items()}
    separate = res["sentiment_dynamic_s"] + res["theme_embedding_s"]
    out = {
        "texts": what,
        "n": n,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "machine": platform.machine(),
        "model": model.name,
        "seconds": {k: round(v, 2) for k, v in res.items()},
        "texts_per_s": rate,
        "ratios": {
            "dynamic_vs_static128_speedup": round(res["sentiment_static128_s"] / res["sentiment_dynamic_s"], 2),
            "sentiment_cost_vs_theme_embedding": round(res["sentiment_dynamic_s"] / res["theme_embedding_s"], 2),
        },
    }
    if "shared_pass_s" in res:
        out["ratios"]["shared_pass_vs_separate_speedup"] = round(separate / res["shared_pass_s"], 2)
        out["ratios"]["shared_pass_extra_cost_over_theme_embedding"] = round(
            res["shared_pass_s"] / res["theme_embedding_s"], 2
        )
    print(f"sentiment benchmark on {what}, {args.threads} threads, load avg {out['load_avg_1m']}")
    for k, v in rate.items():
        print(f"  {k:<38} {v:>8.1f}")
    for k, v in out["ratios"].items():
        print(f"  {k:<46} {v:>6.2f}x")
    print("  target: sentiment_dynamic >= 150 texts/s (tweet-length)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
