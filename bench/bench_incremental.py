"""Incremental cost and peak memory: a weekly run with a few new items against a full rebuild of the store.

1. full rebuild: a fresh store, the demo exports for `--items` items, `run_job`
   (ingest, sentiment, themes fit, taxonomy, backlog, report, exports);
2. weekly run: three more weeks of demo exports with `--new` items (other
   source names, so all new ids) added to the same config, `run_job` again on
   that store: only the new items are scored and embedded, themes are
   assigned incrementally (no refit: one is not due), backlog and report are
   rebuilt.

Each run is a separate process, so its peak RSS is its own. The ratio
weekly / full is the cost of a weekly run as a share of rebuilding
(target <= 5% at 100,000 + 2,000); peak RSS of the full build is the
memory figure (target < 3 GB at 100,000): all the run's processes together
(the sentiment stage scores a large backlog in a worker process), sampled
every 0.25 s, and never less than the main process's own high-water mark. The rebuild baseline is the
`--items` build, slightly smaller than items + new, so the ratio errs high.

    .venv/bin/python bench/bench_incremental.py                         # 100,000 + 2,000
    .venv/bin/python bench/bench_incremental.py --items 20000 --new 400
    .venv/bin/python bench/bench_incremental.py --work /tmp/incr            # keep the store ...
    .venv/bin/python bench/bench_incremental.py --work /tmp/incr --reuse    # ... and time only the weekly run again
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def _config(work: Path, with_new: bool, sentiment_model: str) -> dict[str, Any]:
    """config/demo.toml's sources, pointed at work/; with_new adds the new week's exports as more sources."""
    demo = tomllib.loads((ROOT / "config" / "demo.toml").read_text(encoding="utf-8"))
    sources = [dict(s) for s in demo["sources"]]
    if with_new:
        for s in list(sources):
            sources.append(
                s | {"name": f"{s['name']}_new", "path": s["path"].replace("data/demo/", "data/new/")}
            )
    return {
        "root": str(work),
        "store": {"path": "voc.duckdb"},
        "sources": sources,
        "report": {"out_dir": "out"},
        "sentiment": {"model": sentiment_model},
    }


def _tree_rss_mb(root: int) -> int:
    """Resident MB of process `root` and all its descendants now."""
    import psutil

    try:
        proc = psutil.Process(root)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue  # the process ended while we looked
    return round(total / 2**20)


def _sample_tree_peak(stop: threading.Event, peak: list[int]) -> None:
    # The sentiment stage may score in a worker process: the memory that counts is both processes together.
    while not stop.wait(0.25):
        peak[0] = max(peak[0], _tree_rss_mb(os.getpid()))


def child(work: Path, with_new: bool, sentiment_model: str) -> dict[str, Any]:
    """One `run_job` in this process; prints its timing and peak RSS as JSON."""
    import torch

    from voc.config import config_from_dict
    from voc.pipeline.job import run_job

    torch.set_num_threads(2)
    cfg = config_from_dict(_config(work, with_new, sentiment_model))
    stop, tree_peak = threading.Event(), [0]
    sampler = threading.Thread(target=_sample_tree_peak, args=(stop, tree_peak), daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    res = run_job(cfg, work / "out", progress=False)
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    c = res.ingest.counts
    main_peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return {
        "seconds": round(seconds, 1),
        "read": c.read,
        "stored": c.stored,
        "stages_s": {k: v["seconds"] for k, v in res.stages.items()},
        "peak_rss_after_stage_mb": {k: v.get("peak_rss_mb") for k, v in res.stages.items()},
        "peak_rss_main_mb": main_peak,
        # The largest child process: the sentiment worker on a large backlog, else the ingest read-ahead
        # (forked, so its count includes pages it shares with this process).
        "peak_rss_child_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        # All processes of the run together, sampled every 0.25 s (at least the main process's own peak).
        "peak_rss_mb": max(tree_peak[0], main_peak),
    }


def _run_child(work: Path, with_new: bool, sentiment_model: str) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(work), "--sentiment-model", sentiment_model]
    if with_new:
        cmd.append("--with-new")
    out = subprocess.run(cmd, capture_output=True, text=True, env=os.environ | {"HF_HUB_OFFLINE": "1"})
    if out.returncode != 0:
        sys.exit(f"bench_incremental: the run failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000, help="items in the store before the weekly run")
    ap.add_argument("--new", type=int, default=2_000, help="new items in the weekly run")
    ap.add_argument("--sentiment-model", default="default")
    ap.add_argument("--work", type=Path, help="keep the generated data and stores in this folder")
    ap.add_argument(
        "--reuse",
        action="store_true",
        help="with --work: reuse its full build (restored from its snapshot) and run the weekly run again",
    )
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--with-new", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if args.child:
        print(json.dumps(child(args.child, args.with_new, args.sentiment_model)))
        return

    from voc.demo import DEFAULT_END, generate_demo

    if args.reuse and not (args.work and (args.work / "full.json").exists()):
        sys.exit("bench_incremental: --reuse needs a --work folder from an earlier run (full.json not found)")
    with tempfile.TemporaryDirectory(prefix="voc-bench-incr-") as tmp_s:
        work = args.work or Path(tmp_s)
        work.mkdir(parents=True, exist_ok=True)
        snapshot = work / "voc.full.duckdb"
        if args.reuse:
            shutil.copyfile(snapshot, work / "voc.duckdb")
            full = json.loads((work / "full.json").read_text(encoding="utf-8"))
            print(f"full rebuild (reused from {work}): {full['seconds']:.1f} s", flush=True)
        else:
            t0 = time.perf_counter()
            generate_demo(work / "data" / "demo", n_items=args.items)
            # The generator needs 3 weeks to plant its emerging theme; the new items come after the stored ones.
            generate_demo(work / "data" / "new", seed=8, n_items=args.new, weeks=3,
                          end=DEFAULT_END + timedelta(days=21))  # fmt: skip
            print(
                f"bench_incremental: generated {args.items:,} + {args.new:,} demo items in "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            full = _run_child(work, False, args.sentiment_model)
            if args.work:
                shutil.copyfile(work / "voc.duckdb", snapshot)
                (work / "full.json").write_text(json.dumps(full), encoding="utf-8")
            print(
                f"full rebuild: {full['seconds']:.1f} s, peak RSS {full['peak_rss_mb']:,} MB (main process "
                f"{full['peak_rss_main_mb']:,} MB, largest child process {full['peak_rss_child_mb']:,} MB), "
                f"stages {full['stages_s']}",
                flush=True,
            )
        weekly = _run_child(work, True, args.sentiment_model)
        print(
            f"weekly run:   {weekly['seconds']:.1f} s, peak RSS {weekly['peak_rss_mb']:,} MB, "
            f"stages {weekly['stages_s']}",
            flush=True,
        )
    share = round(100 * weekly["seconds"] / full["seconds"], 2)
    summary = [
        {
            "metric": f"weekly run ({args.new:,} new) / full rebuild",
            "value": share,
            "unit": "%",
            "target": "<= 5",
            "met": share <= 5,
        },
        {
            "metric": f"full rebuild of {args.items:,} items",
            "value": full["seconds"],
            "unit": "s",
            "target": "",
            "met": None,
        },
        {
            "metric": f"weekly run, {args.new:,} new items",
            "value": weekly["seconds"],
            "unit": "s",
            "target": "",
            "met": None,
        },
        {
            "metric": f"peak RSS, {args.items:,} items",
            "value": full["peak_rss_mb"],
            "unit": "MB",
            "target": "< 3072",
            "met": full["peak_rss_mb"] < 3072,
        },
    ]
    print(f"\n{'metric':<44}{'value':>10} {'unit':<5}{'target':>8}  met")
    for row in summary:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        print(f"{row['metric']:<44}{row['value']:>10,} {row['unit']:<5}{row['target']:>8}  {met}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {
        "benchmark": "incremental",
        "command": " ".join(["python bench/bench_incremental.py", *sys.argv[1:]]),
        "items": args.items,
        "new": args.new,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "full": full,
        "weekly": weekly,
        "summary": summary,
    }
    (RESULTS / "incremental.json").write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS / 'incremental.json'}")


if __name__ == "__main__":
    main()
