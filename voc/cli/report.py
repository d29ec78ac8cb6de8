"""CLI commands for the report stage (registered on the apps in voc.cli.app)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from voc.cli.app import ConfigOpt, app, console, load


@app.command("report")
def report(
    config: ConfigOpt = None,
    week: Annotated[
        str | None,
        typer.Option(
            "--week", "-w", help="ISO week to report on, e.g. 2026-W07; default: the week just ended"
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="folder for report.html and report.md; default report.out_dir"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Write the weekly theme report: report.html (self-contained, opens offline) and report.md (a digest)."""
    from voc.report.stage import result_json, write_report
    from voc.store import open_store

    cfg = load(config)
    with open_store(cfg, read_only=True) as store:
        result = write_report(store, cfg, out, week=week)
    if as_json:
        console.print_json(result_json(result))
        return
    console.print(
        f"report: {result['week']}: {result['items']:,} items, {result['themes']} themes "
        f"({result['new']} new, {result['rising']} rising), {result['alerts']} alerts"
    )
    console.print(f"  {result['html']} ({result['html_bytes'] / 1024:.0f} kB)")
    console.print(f"  {result['md']}")
    for note in result["notes"]:
        console.print(f"  [yellow]note[/] {note}")
