"""Sentiment benchmark: texts/s for the sentiment step alone, and what sharing the encoder pass saves.

All in one process, same texts, 2 torch threads:
- sentiment step: `model.predict` (dynamic padding, length-sorted batches of 64), at the
  precision `auto` picks (bf16 on CPUs with native bfloat16), and again in float32;
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

_A = [
    "My flight",
    "The crew",
    "Your app",
    "Customer service",
    "The refund",
    "Boarding",
    "My bag",
    "The upgrade",
]
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


CPU_SECONDS: dict[str, float] = {}


def timed(name: str, fn, *args) -> tuple[float, object]:
    """Wall seconds of fn(*args); its process CPU seconds go to CPU_SECONDS[name].

    On a shared machine wall time depends on the other jobs; CPU time per
    text does not (much), so both are reported.
    """
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn(*args)
    CPU_SECONDS[name] = time.process_time() - c0
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
    from voc.nlp.precision import resolve_precision
    from voc.nlp.sentiment import TopLayersSentiment, load_sentiment_model, normalize_text

    texts, what = load_texts(args.n)
    model = load_sentiment_model(args.model)
    model.predict(texts[:64])  # warm-up: first calls allocate
    encode([normalize_text(t) for t in texts[:64]])
    n = len(texts)
    res: dict[str, float] = {}
    counts: dict[str, int] = {}
    res["sentiment_dynamic"], _ = timed("sentiment_dynamic", model.predict, texts)
    # The same step in float32, for the bf16 speed-up (precision "auto" picks bf16 only on CPUs with native bf16).
    chosen = model.precision
    model.precision = "fp32"
    model.predict(texts[:64])
    res["sentiment_dynamic_fp32"], _ = timed("sentiment_dynamic_fp32", model.predict, texts)
    model.precision = chosen
    static_n = min(n, 300)  # the slow baseline on a subset, to keep the run short
    res["sentiment_static128"], _ = timed(
        "sentiment_static128", static_padded_predict, model, texts[:static_n]
    )
    counts["sentiment_static128"] = static_n
    norm = [normalize_text(t) for t in texts]
    res["theme_embedding"], _ = timed("theme_embedding", encode, norm)
    if isinstance(model, TopLayersSentiment):
        res["shared_pass"], _ = timed("shared_pass", model.predict_with_embeddings, texts)
    res["vader"], _ = timed("vader", vader_scores, texts)

    rate = {k: round(counts.get(k, n) / v, 1) for k, v in res.items()}
    cpu_rate = {k: round(counts.get(k, n) / max(CPU_SECONDS[k], 1e-9), 1) for k in res}
    separate = res["sentiment_dynamic"] / n + res["theme_embedding"] / n
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
        "texts_per_cpu_s": cpu_rate,
        "precision": resolve_precision(model.precision),
        "ratios": {
            "precision_auto_vs_fp32_speedup": round(
                res["sentiment_dynamic_fp32"] / res["sentiment_dynamic"], 2
            ),
            "dynamic_vs_static128_speedup": round(rate["sentiment_dynamic"] / rate["sentiment_static128"], 2),
            "sentiment_cost_vs_theme_embedding": round(res["sentiment_dynamic"] / res["theme_embedding"], 2),
        },
    }
    if "shared_pass" in res:
        out["ratios"]["shared_pass_vs_separate_speedup"] = round(separate / (res["shared_pass"] / n), 2)
        out["ratios"]["shared_pass_cost_over_theme_embedding"] = round(
            res["shared_pass"] / res["theme_embedding"], 2
        )
    print(
        f"sentiment benchmark on {what}, {args.threads} threads, precision {out['precision']}, "
        f"load avg {out['load_avg_1m']} on {os.cpu_count()} cores"
    )
    print(f"  {'step':<24} {'texts/s (wall)':>15} {'texts/CPU-s':>12}")
    for k in res:
        print(f"  {k:<24} {rate[k]:>15.1f} {cpu_rate[k]:>12.1f}")
    for k, v in out["ratios"].items():
        print(f"  {k:<42} {v:>6.2f}x")
    print(
        "  target: sentiment_dynamic >= 150 texts/s wall on an otherwise idle 2-core machine (tweet-length)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sentiment.json").write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
