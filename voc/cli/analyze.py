"""CLI commands: `voc analyze PATH` (one file) and `voc run` (the whole configured job)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, fail, load
from voc.cli.ingest import _setup_logging
from voc.schema import Kind, RatingScale


def _check_zone(value: str | None) -> str | None:
    if value is not None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise typer.BadParameter(
                f"{value!r} is not an IANA time zone; use e.g. Europe/Berlin or UTC"
            ) from None
    return value


class DateOrderOpt(StrEnum):
    auto = "auto"
    dmy = "dmy"
    mdy = "mdy"


def _print_files(title: str, files: dict[str, Path]) -> None:
    table = Table(title=title)
    table.add_column("output")
    table.add_column("path")
    for name, p in files.items():
        table.add_row(name, str(p))
    console.print(table)


@app.command()
def analyze(
    path: Annotated[Path, typer.Argument(help="an export file: CSV/TSV, JSONL, Parquet or Excel")],
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path("out/analyze"),
    text_col: Annotated[
        str | None, typer.Option(help="column with the feedback text (guessed when absent)")
    ] = None,
    id_col: Annotated[
        str | None, typer.Option(help="column with a stable record id (content hash when absent)")
    ] = None,
    date_col: Annotated[
        str | None, typer.Option(help="column with the creation date (guessed when absent)")
    ] = None,
    rating_col: Annotated[str | None, typer.Option(help="column with stars / NPS / CSAT")] = None,
    rating_scale: Annotated[
        RatingScale | None, typer.Option(help="stars (1-5), nps (0-10) or csat (1-5)")
    ] = None,
    kind: Annotated[Kind, typer.Option(help="ticket, review or survey")] = Kind.review,
    format: Annotated[
        str | None, typer.Option(help="file format or named export (guessed from the suffix)")
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="keep the store here (default: a throw-away one)")
    ] = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
    date_order: Annotated[
        DateOrderOpt,
        typer.Option(help="numeric dates like 03/04/2025: auto (decided per column), dmy or mdy"),
    ] = DateOrderOpt.auto,
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA zone of times written without one (default UTC)", callback=_check_zone),
    ] = None,
) -> None:
    """Analyse one export file end to end; writes items.csv, quarantine.csv, themes, backlog and report."""
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file

    _setup_logging()
    cfg = load(config) if config else None
    opts = AnalyzeOptions(
        text_col=text_col,
        id_col=id_col,
        date_col=date_col,
        rating_col=rating_col,
        rating_scale=rating_scale,
        kind=kind,
        format=format,
        date_order=date_order.value,
        timezone=timezone,
    )
    result = analyze_file(path, out, opts, config=cfg, store_path=store, progress=not quiet)
    c = result.counts
    console.print(
        f"read {c['read']:,} rows: stored {c['stored']:,}, duplicates {c['duplicates']:,}, "
        f"quarantined {c['quarantined']:,} ({result.seconds:.1f} s)"
    )
    _print_files(f"outputs in {out}", result.files)


@app.command()
def run(
    config: ConfigOpt = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="output folder (default report.out_dir)")
    ] = None,
    week: Annotated[
        str | None, typer.Option(help="report week as YYYY-Www (default: the last full week)")
    ] = None,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
) -> None:
    """Run the whole job in-process: ingest every source, analyse, write backlog and report."""
    from voc.pipeline.job import run_job

    _setup_logging()
    cfg = load(config)
    result = run_job(cfg, out, week=week, progress=not quiet)
    c = result.ingest.counts
    console.print(
        f"ingest {result.ingest.status}: read {c.read:,} rows = stored {c.stored:,} + duplicates {c.duplicates:,} "
        f"+ quarantined {c.quarantined:,}; finished in {result.seconds:.1f} s"
    )
    _print_files(f"outputs in {result.out_dir}", result.files)
    problems = []
    if result.ingest.status != "ok":
        failed = [r.source for r in result.ingest.sources if r.status != "ok"]
        problems.append(
            f"ingest of {len(failed)} of {len(result.ingest.sources)} sources failed ({', '.join(failed)}); "
            "analysis, backlog and report used what was stored"
        )
    delivery = getattr(result.stages.get("backlog", {}).get("result"), "delivery", None)
    if delivery is not None:
        console.print(f"alerts: {delivery.summary()}")
        if not delivery.ok:
            problems.append(f"alerts: {delivery.summary()}")
    if problems:
        fail("run: " + "; ".join(problems), partial=result.ingest.status != "failed")
