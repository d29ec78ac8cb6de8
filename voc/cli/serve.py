"""CLI commands of the Prefect flows: `voc serve` (the schedules) and `voc flow run NAME` (one run now).

The flows live in the project's `flows/` package, not in the library: they
are imported here, inside the commands, so `voc --help` never loads Prefect.
"""

from __future__ import annotations

import importlib
import sys
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Annotated

import typer
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, fail, load
from voc.config import VocConfig
from voc.errors import ConfigError

flow_app = typer.Typer(
    help="Run one Prefect flow once (in-process, or reported to PREFECT_API_URL).", no_args_is_help=True
)
app.add_typer(flow_app, name="flow")


class FlowName(StrEnum):
    ingest = "ingest"
    analyze = "analyze"
    report = "report"
    weekly = "weekly"


def import_flows(cfg: VocConfig) -> ModuleType:
    """The `flows` package: importable from the project root (the config's root or the current folder)."""
    try:
        return importlib.import_module("flows")
    except ModuleNotFoundError as exc:
        if exc.name != "flows":
            raise
    for root in (cfg.root, Path.cwd()):
        if (Path(root) / "flows" / "__init__.py").is_file():
            sys.path.insert(0, str(Path(root).resolve()))
            return importlib.import_module("flows")
    raise ConfigError(
        f"cannot find the flows/ package under {cfg.root} or {Path.cwd()}; run from the project folder",
        code="E107",
    )


def _config_path(config: Path | None) -> str | None:
    if config is not None:
        return str(config.resolve())
    default = Path("config/voc.toml")
    return str(default.resolve()) if default.exists() else None


@app.command()
def serve(
    config: ConfigOpt = None,
    only: Annotated[list[FlowName] | None, typer.Option(help="serve only these flows (repeatable)")] = None,
    limit: Annotated[int, typer.Option(help="most flow runs at once in this process")] = 1,
) -> None:
    """Serve the flows' deployments with their cron schedules from this process, until stopped (Ctrl-C).

    Needs a Prefect server (PREFECT_API_URL); schedules never fire on the temporary local API.
    """
    from voc.cli.ingest import _setup_logging

    _setup_logging()
    cfg = load(config)
    flows = import_flows(cfg)
    from prefect import serve as prefect_serve
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise ConfigError(
            "`voc serve` needs a Prefect server: start one with `prefect server start` and set "
            "PREFECT_API_URL=http://127.0.0.1:4200/api (see docs/operations.md)",
            code="E108",
        )
    from flows.deployments import build_deployments

    deployments = build_deployments(cfg, _config_path(config), only=[f.value for f in only] if only else None)
    table = Table(title=f"serving {len(deployments)} deployments ({cfg.flows.timezone})")
    for col in ("deployment", "schedule"):
        table.add_column(col)
    for d in deployments:
        crons = (
            ", ".join(s.schedule.cron for s in (d.schedules or []) if hasattr(s.schedule, "cron"))
            or "on demand"
        )
        table.add_row(f"{d.flow_name}/{d.name}", crons)
    console.print(table)
    del flows  # imported for sys.path; the deployments reference the flow objects
    prefect_serve(*deployments, limit=limit)


@flow_app.command("run")
def flow_run(
    name: Annotated[FlowName, typer.Argument(help="ingest, analyze, report or weekly")],
    config: ConfigOpt = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="ingest: only this source")] = None,
    full: Annotated[bool, typer.Option(help="ingest: re-read files already ingested completely")] = False,
    refit: Annotated[
        bool | None, typer.Option("--refit/--no-refit", help="analyze: force or forbid a theme refit")
    ] = None,
    week: Annotated[
        str | None, typer.Option(help="report/weekly: ISO week YYYY-Www (default: last full week)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="report/weekly: output folder")] = None,
) -> None:
    """Run one flow once now and print its outcome; exit 1 when it failed or partly failed."""
    from voc.cli.ingest import _setup_logging

    _setup_logging()
    cfg = load(config)
    flows = import_flows(cfg)
    cfg_path = _config_path(config)
    kwargs: dict[str, object] = {"config": cfg_path}
    if name is FlowName.ingest:
        kwargs |= {"source": source, "full": full}
    elif name is FlowName.analyze:
        kwargs |= {"refit": refit}
    else:
        kwargs |= {"week": week, "out_dir": str(out) if out else None}
    state = flows.FLOWS[name.value](**kwargs, return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, dict):
        table = Table(title=f"{name.value}: {state.name} ({outcome.get('seconds', 0):.1f} s)")
        for col in ("step", "status", "detail"):
            table.add_column(col)
        for step in outcome.get("steps", []):
            style = {"ok": "green", "skipped": "yellow"}.get(step["status"], "red")
            detail = step.get("error") or ", ".join(
                f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}"
                for k, v in step.items()
                if k in ("read", "stored", "duplicates", "quarantined", "in", "out", "items", "seconds")
            )
            table.add_row(step["step"], f"[{style}]{step['status']}[/]", str(detail)[:160])
        console.print(table)
    else:
        console.print(f"[red]{name.value}: {state.name}[/]: {state.message or outcome}")
    if state.name == "Partial" or not state.is_completed():
        summary = f"flow {name.value} ended {state.name}" + (f": {state.message}" if state.message else "")
        fail(summary, partial=state.name == "Partial")
