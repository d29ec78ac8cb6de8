"""The deployments `voc serve` runs: one per flow, schedules and time zone from `[flows]` in the config.

`prefect.yaml` declares the same deployments for a work pool (`prefect deploy --all`);
tests/test_flows.py checks the two agree on the default schedules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect.schedules import Cron

from flows.analyze import analyze_flow
from flows.ingest import ingest_flow
from flows.report import report_flow
from flows.weekly import weekly_flow
from voc.config import VocConfig

# deployment name per flow, as in prefect.yaml
NAMES = {"ingest": "nightly-ingest", "analyze": "nightly-analyze", "report": "report", "weekly": "weekly"}


def build_deployments(
    cfg: VocConfig, config_path: str | Path | None, only: list[str] | None = None
) -> list[Any]:
    """RunnerDeployments for `prefect.serve`; `config_path` is made absolute so runs find it from any folder.

    The report deployment has no schedule (the weekly one writes the report); run it on demand.
    """
    params = {"config": str(Path(config_path).resolve())} if config_path else {}
    tz = cfg.flows.timezone
    crons = cfg.flows.schedules
    plan = {
        "ingest": (ingest_flow, crons.ingest, "Ingest every enabled source (nightly)."),
        "analyze": (analyze_flow, crons.analyze, "Sentiment, themes and taxonomy for new items (nightly)."),
        "report": (report_flow, None, "Backlog, weekly report and CSV exports for one week (on demand)."),
        "weekly": (weekly_flow, crons.weekly, "Ingest, analyze and report, in order (weekly)."),
    }
    deployments = []
    for key, (fl, cron, description) in plan.items():
        if only and key not in only:
            continue
        deployments.append(
            fl.to_deployment(
                name=NAMES[key],
                schedules=[Cron(cron, timezone=tz)] if cron else None,
                parameters=params,
                description=description,
                tags=["voc"],
                # one run of a deployment at a time; the store's lock serialises the rest
                concurrency_limit=1,
            )
        )
    return deployments
