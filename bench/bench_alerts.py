"""Alert delivery to a dead webhook: wall time and attempts for N alerts.

Two dead receivers on loopback: a port that refuses connections, and a
"black hole" that accepts the connection and never answers (every attempt
runs to `timeout_s`), as a hung proxy or a firewalled host does. Issue 21
measured 69.8 s for 9 alerts at timeout_s=2 before the circuit breaker.

    .venv/bin/python bench/bench_alerts.py --alerts 9 --timeout-s 2
"""

from __future__ import annotations

import argparse
import json
import socket
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _alerts(n: int):
    from voc.alerts.rules import evaluate_alerts
    from voc.config.alerts import AlertsConfig
    from voc.rank.backlog import BacklogEntry, Verbatim

    entries = [
        BacklogEntry(
            rank=i + 1, theme_id=f"t{i}", theme_label=f"theme {i}", status="new", score=50.0,
            breakdown={"negative_volume": 50.0}, volume=20, negative_volume=1, period="2026-W46",
            verbatims=[Verbatim(item_id="i1", text="it broke")],
        )
        for i in range(n)
    ]  # fmt: skip
    alerts = evaluate_alerts(entries, AlertsConfig(enabled=True))
    assert len(alerts) == n
    return alerts


def run(n: int, timeout_s: float, receiver: str) -> dict:
    """Deliver `n` alerts to a dead receiver once; wall time, attempts and the status line."""
    from voc.alerts.deliver import SENT_TABLE, dispatch
    from voc.config.alerts import AlertsConfig
    from voc.store import DuckDBStore

    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    port = hole.getsockname()[1]
    if receiver == "black_hole":
        hole.listen(64)  # accepts (the kernel does), never answers
    else:
        hole.close()  # nothing listens: connection refused
    cfg = AlertsConfig(enabled=True, webhook_url=f"http://127.0.0.1:{port}/hook", timeout_s=timeout_s)
    store = DuckDBStore(":memory:")
    try:
        t0 = time.perf_counter()
        res = dispatch(store, _alerts(n), cfg)
        seconds = time.perf_counter() - t0
        attempts = int(store.query(f"SELECT sum(attempts) AS n FROM {SENT_TABLE}")["n"].iloc[0])
    finally:
        store.close()
        hole.close()
    summary = (
        res.summary() if hasattr(res, "summary") else f"{len(res.sent)} sent, {len(res.pending)} pending"
    )
    return {"receiver": receiver, "alerts": n, "timeout_s": timeout_s, "seconds": round(seconds, 2),
            "attempts": attempts, "status": summary}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alerts", type=int, default=9)
    ap.add_argument("--timeout-s", type=float, default=2.0)
    args = ap.parse_args()
    rows = [run(args.alerts, args.timeout_s, r) for r in ("refused", "black_hole")]
    for r in rows:
        print(f"{r['receiver']:>10}: {r['seconds']:6.2f} s, {r['attempts']} attempts; {r['status']}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "alerts.json").write_text(json.dumps({"runs": rows}, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
