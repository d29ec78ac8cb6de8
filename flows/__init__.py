"""Prefect 3 flows over the voc library: ingest, analyze, report and the weekly run.

The flows only orchestrate: each task opens the store, calls one library
function and closes it. Nothing in `voc/` imports Prefect. With no
`PREFECT_API_URL` a flow runs on Prefect's temporary local API; with one it
reports to that server (see docs/operations.md).
"""

from __future__ import annotations

from flows import _env  # noqa: F401  (sets Prefect's environment before Prefect is imported)
from flows.analyze import analyze_flow
from flows.ingest import ingest_flow
from flows.report import report_flow
from flows.weekly import weekly_flow

FLOWS = {
    "ingest": ingest_flow,
    "analyze": analyze_flow,
    "report": report_flow,
    "weekly": weekly_flow,
}

__all__ = ["FLOWS", "analyze_flow", "ingest_flow", "report_flow", "weekly_flow"]
