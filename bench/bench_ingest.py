"""Ingest benchmark: rows/s and peak memory for a 200,000-row CSV export.

Measures connector + cleaning (redaction and language detection on) + store,
no NLP, and compares it in the same process with a raw baseline (pandas
read_csv + DuckDB insert, no validation or cleaning) so the ratio shows what
the safety costs. Each configuration runs in a fresh subprocess so its peak
RSS is its own. Also splits the time: connector only, connector + cleaning,
everything.

    .venv/bin/python bench/bench_ingest.py --rows 200000
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

_OPEN = ["I ordered", "We bought", "Got", "My team uses", "Just received", "Been using", "Tried"]
_THING = ["the tracker", "the app", "your dashboard", "the starter kit", "the device", "the premium plan"]
_PROBLEM = [
    "and it keeps crashing after the update",
    "but delivery took three weeks",
    "and I was charged twice this month",
    "and support never answered my emails",
    "and the login code never arrives",
    "and honestly it works great, love it",
    "but the refund is still pending after 20 days",
    "and the sync with my phone is painfully slow",
]
_PII = [
    " Call me on +1 415 555 0134.",
    " My email is jane.doe@example.com.",
    " Card 4111 1111 1111 1111 was billed.",
    " IBAN DE89370400440532013000 for the refund.",
    " From IP 192.168.10.24.",
]
# Share of rows carrying PII. Real exports have far less (0.3% of the airline
# tweets); 10% keeps the validators (phonenumbers, Luhn, IBAN) honestly in the mix.
PII_RATE = 0.10
_FOREIGN = [
    "Le colis est arrivé en retard et abîmé.",
    "Die App stürzt ständig ab, sehr ärgerlich.",
    "El reembolso todavía no ha llegado.",
]


def make_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Write a review export with `rows` rows (ids, dates, stars, varied text, some PII)."""
    rnd = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["review_id", "date", "stars", "title", "body", "customer"])
        for i in range(rows):
            if rnd.random() < 0.03:
                text = rnd.choice(_FOREIGN)
            else:
                pii = rnd.choice(_PII) if rnd.random() < PII_RATE else ""
                text = f"{rnd.choice(_OPEN)} {rnd.choice(_THING)} {rnd.choice(_PROBLEM)}.{pii}"
                if rnd.random() < 0.3:
                    text += f" {rnd.choice(_OPEN)} {rnd.choice(_THING)} {rnd.choice(_PROBLEM)}."
            day = 1 + i % 28
            w.writerow(
                [
                    f"r{i}",
                    f"2026-0{1 + i % 9}-{day:02d} {i % 24:02d}:{i % 60:02d}:00",
                    1 + rnd.randrange(5),
                    "Review",
                    text,
                    f"c{rnd.randrange(rows // 5 + 1)}",
                ]
            )


def _config(csv_path: Path, store_path: Path):
    from voc.config import config_from_dict

    return config_from_dict(
        {
            "root": str(csv_path.parent),
            "store": {"path": str(store_path)},
            "sources": [
                {
                    "name": "bench",
                    "format": "csv",
                    "kind": "review",
                    "path": str(csv_path),
                    "rating_scale": "stars",
                    "chunk_rows": 10000,
                    "columns": {
                        "id": "review_id",
                        "created_at": "date",
                        "rating": "stars",
                        "title": "title",
                        "text": "body",
                        "customer_id": "customer",
                    },
                }
            ],
        }
    )


def _run_mode(mode: str, csv_path: Path, store_path: Path) -> dict:
    """One configuration, in this (fresh) process. Imports happen before the clock starts."""
    import duckdb
    import pandas as pd

    from voc.clean import clean_records
    from voc.ingest import make_connector
    from voc.pipeline.ingest import ingest

    t0 = time.perf_counter()
    rows = 0
    if mode == "raw_baseline":
        con = duckdb.connect(str(store_path))
        first = True
        for chunk in pd.read_csv(csv_path, chunksize=10000):
            con.register("c", chunk)
            con.execute("CREATE TABLE raw AS SELECT * FROM c" if first else "INSERT INTO raw SELECT * FROM c")
            con.unregister("c")
            first = False
            rows += len(chunk)
        con.close()
    elif mode in ("connector_only", "connector_clean"):
        cfg = _config(csv_path, store_path)
        conn = make_connector(cfg.sources[0], cfg)
        for chunk in conn.read({}, full=True):
            rows += chunk.read
            if mode == "connector_clean":
                clean_records(chunk.records, cfg.clean, "bench")
    elif mode in ("full_ingest", "full_no_readahead", "full_ingest_names"):
        cfg = _config(csv_path, store_path)
        cfg.ingest.read_ahead = mode != "full_no_readahead"
        # Opt-in spaCy NER for person names (clean.redact_names): its cost, measured.
        cfg.clean.redact_names = mode == "full_ingest_names"
        if cfg.clean.redact_names:
            from voc.clean.pii import redact_names_batch

            redact_names_batch(["warm up John Smith"])  # the model loads once per process
        res = ingest(cfg, progress=False)
        rows = res.counts.read
        assert res.status == "ok", res.sources[0].error
    else:
        raise ValueError(mode)
    seconds = time.perf_counter() - t0
    # The read-ahead child's peak counts too: report the sum as the upper bound.
    peak_mb = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    ) / 1024
    return {
        "mode": mode,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    """Run every mode in a subprocess, print the table and save JSON."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--mode", help=argparse.SUPPRESS)
    ap.add_argument("--csv", help=argparse.SUPPRESS)
    ap.add_argument("--store", help=argparse.SUPPRESS)
    ap.add_argument(
        "--names",
        action="store_true",
        help="also run the full ingest with clean.redact_names = true (spaCy NER)",
    )
    args = ap.parse_args()
    if args.mode:  # child process
        print(json.dumps(_run_mode(args.mode, Path(args.csv), Path(args.store))))
        return
    tmp = Path(tempfile.mkdtemp(prefix="voc-bench-ingest-"))
    csv_path = tmp / "reviews.csv"
    make_csv(csv_path, args.rows)
    results = []
    for mode in ("raw_baseline", "connector_only", "connector_clean", "full_no_readahead", "full_ingest"):
        store = tmp / f"{mode}.duckdb"
        out = subprocess.run(
            [sys.executable, __file__, "--mode", mode, "--csv", str(csv_path), "--store", str(store)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    full = results[-1]
    if args.names:
        store = tmp / "full_ingest_names.duckdb"
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--mode",
                "full_ingest_names",
                "--csv",
                str(csv_path),
                "--store",
                str(store),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = results[0]["seconds"]
    print(
        f"\ningest benchmark: {args.rows:,}-row CSV, redaction + language detection on, "
        f"{PII_RATE:.0%} of rows with PII, 3% non-English\n"
    )
    print(f"{'mode':<18}{'seconds':>9}{'rows/s':>10}{'peak RSS MB':>13}{'x baseline time':>17}")
    for r in results:
        print(
            f"{r['mode']:<18}{r['seconds']:>9.1f}{r['rows_per_s']:>10,}{r['peak_rss_mb']:>13,}{r['seconds'] / base:>17.1f}"
        )
    conn, clean = results[1]["seconds"], results[2]["seconds"] - results[1]["seconds"]
    store_s = results[3]["seconds"] - results[2]["seconds"]
    print(
        f"\nwhere the time goes (full ingest {full['seconds']:.1f} s): connector+mapping {conn:.1f} s, "
        f"cleaning {clean:.1f} s, store {store_s:.1f} s"
    )
    if args.names:
        names = results[-1]
        print(
            f"with clean.redact_names = true (spaCy NER): {names['rows_per_s']:,} rows/s, "
            f"{names['seconds'] / full['seconds']:.1f}x the default's time"
        )
    print(
        f"target >= 10,000 rows/s: {'met' if full['rows_per_s'] >= 10_000 else 'NOT met'} ({full['rows_per_s']:,}); "
        f"peak RSS < 1 GB: {'met' if full['peak_rss_mb'] < 1024 else 'NOT met'} ({full['peak_rss_mb']:,} MB)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ingest.json").write_text(json.dumps({"rows": args.rows, "results": results}, indent=2))


if __name__ == "__main__":
    main()
