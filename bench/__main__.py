"""Run every benchmark in bench/ and print one summary table: `python -m bench`.

Each `bench/bench_<name>.py` runs in its own process (so peak memory is its
own), prints its own detailed table and saves `bench/results/<name>.json`.
This runner then collects what each saved: a result with a `summary` list
(rows of metric, value, unit, target, met) is shown as is; otherwise its
numeric fields are listed. Everything is saved to `bench/results/summary.json`
with the command, the machine and the load average, because timings on a
shared 2-core machine drift with whatever else runs.

    .venv/bin/python -m bench                      # all benchmarks, default sizes
    .venv/bin/python -m bench --only e2e ingest    # some of them
    .venv/bin/python -m bench --list
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def discover() -> dict[str, Path]:
    """bench_<name>.py files, by name."""
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def flatten(data: Any, prefix: str = "", depth: int = 0) -> list[tuple[str, Any]]:
    """Numeric leaves of a result (at most 3 levels deep) as (dotted key, value)."""
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict) and depth < 3:
        for k, v in data.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k), depth + 1)
    elif isinstance(data, list) and depth < 3 and all(isinstance(x, dict) for x in data):
        for i, v in enumerate(data):
            label = v.get("mode") or v.get("name") or v.get("metric") or str(i)
            out += flatten(
                {k: x for k, x in v.items() if k not in ("mode", "name", "metric")},
                f"{prefix}[{label}]",
                depth + 1,
            )
    elif isinstance(data, int | float) and not isinstance(data, bool):
        out.append((prefix, data))
    return out


def summary_rows(name: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a benchmark asks to be shown, or its numeric fields."""
    if isinstance(result.get("summary"), list):
        return [{"benchmark": name, **row} for row in result["summary"]]
    return [
        {"benchmark": name, "metric": k, "value": v, "unit": "", "target": "", "met": None}
        for k, v in flatten(result)[:15]
    ]


def fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", nargs="*", help="benchmark names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds allowed per benchmark")
    args = ap.parse_args()
    found = discover()
    if args.list:
        for name, path in found.items():
            doc = path.read_text(encoding="utf-8").split('"""')[1].strip().splitlines()[0]
            print(f"{name:<12} {doc}")
        return
    unknown = sorted(set(args.only or []) - set(found))
    if unknown:
        sys.exit(f"unknown benchmark(s) {unknown}; known: {sorted(found)}")
    names = args.only or list(found)
    RESULTS.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    runs: dict[str, Any] = {}
    started = time.time()
    for name in names:
        print(f"\n=== bench {name}: {found[name].relative_to(HERE.parent)} ===", flush=True)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([sys.executable, str(found[name])], cwd=HERE.parent, timeout=args.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        seconds = round(time.perf_counter() - t0, 1)
        runs[name] = {"returncode": rc, "seconds": seconds}
        result_file = RESULTS / f"{name}.json"
        if rc == 0 and result_file.is_file() and result_file.stat().st_mtime >= started:
            result = json.loads(result_file.read_text(encoding="utf-8"))
            runs[name]["result"] = result
            rows += summary_rows(name, result)
        else:
            rows.append(
                {
                    "benchmark": name,
                    "metric": f"did not finish (exit {rc})",
                    "value": None,
                    "unit": "",
                    "target": "",
                    "met": False,
                }
            )
    print("\n=== summary ===")
    widths = (10, 44, 14, 8, 10, 4)
    print(
        f"{'benchmark':<{widths[0]}}{'metric':<{widths[1]}}{'value':>{widths[2]}} {'unit':<{widths[3]}}"
        f"{'target':>{widths[4]}} {'met':<{widths[5]}}"
    )
    for r in rows:
        met = {True: "yes", False: "NO", None: ""}[r.get("met")]
        print(
            f"{r['benchmark']:<{widths[0]}}{str(r['metric'])[: widths[1] - 1]:<{widths[1]}}"
            f"{fmt(r.get('value')):>{widths[2]}} {r.get('unit', ''):<{widths[3]}}"
            f"{r.get('target', ''):>{widths[4]}} {met}"
        )
    summary = {
        "command": "python -m bench" + (f" --only {' '.join(args.only)}" if args.only else ""),
        "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "rows": rows,
        "runs": runs,
    }
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nsaved {RESULTS / 'summary.json'}")
    if any(r["returncode"] != 0 for r in runs.values()):
        sys.exit(1)


if __name__ == "__main__":
    main()
