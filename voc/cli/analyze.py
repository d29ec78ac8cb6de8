"""CLI commands: `voc analyze PATH` (one file) and `voc run` (the whole configured job)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, eval_app, fail, load
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
    no_dates: Annotated[
        bool,
        typer.Option(
            "--no-dates",
            help="the file carries no dates (even if a column looks like one): analyse it as one period",
        ),
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="only items from this date on (YYYY-MM-DD or ISO time)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="only items before this date (exclusive)")] = None,
    period: Annotated[
        str | None,
        typer.Option(
            help="only this period: a year (2019), quarter (2019-Q4), month (2019-12) or week (2019-W05)"
        ),
    ] = None,
    granularity: Annotated[
        str, typer.Option(help="trend granularity: auto (from the span), week, month or quarter")
    ] = "auto",
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
    """Analyse one export file end to end; writes items.csv, quarantine.csv, themes, backlog and report.

    The backlog and report cover the whole span of the file, with a trend at a granularity that fits
    the span (weeks for a few months, months up to three years, quarters beyond); `--since`, `--until`
    and `--period` narrow it. A file without a date column is analysed as one undated period.
    """
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file, parse_when

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
        undated=no_dates,
        since=parse_when(since, "--since"),
        until=parse_when(until, "--until"),
        period=period,
        granularity=granularity,
        date_order=date_order.value,
        timezone=timezone,
    )
    result = analyze_file(path, out, opts, config=cfg, store_path=store, progress=not quiet)
    c = result.counts
    console.print(
        f"read {c['read']:,} rows: stored {c['stored']:,}, duplicates {c['duplicates']:,}, "
        f"quarantined {c['quarantined']:,} ({result.seconds:.1f} s)"
    )
    w = result.window
    if w is not None:
        focus = f"; latest complete {w.unit} compared: {w.focus}" if w.focus else "; no trend claims"
        span = "no dates: one period" if w.undated else f"{w.label}, by {w.unit}"
        console.print(f"window: {span} ({w.items_in_window:,} of {w.items_total:,} items){focus}")
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


@eval_app.command("exports")
def eval_exports(
    data: Annotated[Path, typer.Option(help="shared data folder")] = Path("../shared/data"),
    rows: Annotated[int, typer.Option(help="rows sampled per shape (0: every row)")] = 2000,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    shape: Annotated[list[str] | None, typer.Option(help="run only these shapes (repeatable)")] = None,
    keep: Annotated[Path | None, typer.Option(help="keep each shape's file and outputs here")] = None,
) -> None:
    """Run `voc analyze` on export shapes built from real data: window, granularity, items in window, top 10."""
    from voc.eval.exports import evaluate_exports, summary_line

    _setup_logging()
    results = evaluate_exports(data, rows=rows or None, seed=seed, names=shape, work=keep)
    table = Table(title="voc analyze on real export shapes")
    for col in ("shape", "rows", "exit", "granularity", "window", "focus", "in window", "top 10 with items",
                "statuses", "target", "s"):  # fmt: skip
        table.add_column(col)
    for r in results:
        share = f"{r.share_in_window:.1%}" if r.share_in_window is not None else "–"
        table.add_row(
            f"{r.name}\n[dim]{r.what}[/]",
            f"{r.rows:,}",
            str(r.exit_status) + (f"\n{r.error}" if r.error else ""),
            r.granularity or "–",
            (r.window or "–") + (f"\npartial: {', '.join(r.partial)}" if r.partial else ""),
            r.focus or "none",
            share,
            f"{r.top10_with_items} of {r.top10}",
            ", ".join(f"{v} {k}" for k, v in r.statuses.items()) or "–",
            "met" if r.meets_target else "MISSED",
            f"{r.seconds:.0f}",
        )
    wide = Console(width=max(console.width, 200), highlight=False)
    wide.print(table)
    wide.print(summary_line(results))


@eval_app.command("backlog-evidence")
def eval_backlog_evidence(
    data: Annotated[Path, typer.Option(help="shared data folder")] = Path("../shared/data"),
    dataset: Annotated[
        list[str] | None, typer.Option(help="amazon, hotels or uber (repeatable; default all)")
    ] = None,
    rows: Annotated[int, typer.Option(help="rows sampled per dataset (0: every row)")] = 0,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
    keep: Annotated[Path | None, typer.Option(help="keep each dataset's outputs here")] = None,
    out_dir: Annotated[
        Path | None, typer.Option(help="score an existing `voc analyze` output folder instead (one dataset)")
    ] = None,
) -> None:
    """Star-rated review exports: share of backlog evidence with <= 3 stars (vs the base rate), top-10 labels."""
    from voc.eval.evidence import evaluate_evidence, score_output

    _setup_logging()
    if out_dir is not None:
        results = [score_output(out_dir.name, out_dir)]
    else:
        results = evaluate_evidence(data, dataset, rows=rows or None, seed=seed, work=keep)
    wide = Console(width=max(console.width, 160), highlight=False)
    for r in results:
        prec = "–" if r.precision is None else f"{r.precision:.3f} ± {r.precision_se:.3f}"
        wide.print(
            f"[bold]{r.name}[/]: {r.items:,} items; evidence precision (top-10 examples with <= 3 stars) "
            f"{prec} over {r.cited} cited items; base rate {r.base_rate:.3f} "
            f"({(r.precision or 0) / r.base_rate if r.base_rate else 0:.2f}x); verbatims "
            f"{'–' if r.verbatim_precision is None else f'{r.verbatim_precision:.3f}'}; target >= 0.75"
        )
        table = Table(title=f"{r.name}: top-10 backlog labels")
        for col in ("#", "label", "items", "VADER", "voc score", "praise?", "boilerplate?"):
            table.add_column(col)
        for c in r.labels:
            table.add_row(str(c.rank), c.label, str(c.items), f"{c.vader:+.2f}",
                          "–" if c.model is None else f"{c.model:+.2f}", "PRAISE" if c.praise else "no",
                          "BOILERPLATE" if c.boilerplate else "no")  # fmt: skip
        wide.print(table)
        wide.print(f"labels that are praise or boilerplate: {r.bad_labels or 'none'}")


@eval_app.command("nhs-themes")
def eval_nhs_themes(
    data: Annotated[Path, typer.Option(help="shared data folder")] = Path("../shared/data"),
    rows: Annotated[int, typer.Option(help="comments sampled (0: all)")] = 0,
    seed: Annotated[int, typer.Option(help="sampling and k-means seed")] = 0,
    keep: Annotated[Path | None, typer.Option(help="keep the store and outputs here")] = None,
) -> None:
    """NHS survey comments: primary themes vs the 50-topic framework (NMI, ARI), k-means told k beside it."""
    from voc.eval.framework import evaluate_framework

    _setup_logging()
    res = evaluate_framework(data, seed=seed, work=keep, rows=rows or None)
    console.print(
        f"{res['comments']:,} comments; scored: {res['scored']:,} with exactly one topic "
        f"({res['topics_scored']} topics; 'Labelling not possible' and 'Not assigned' left out); "
        f"{res['multi_topic']:,} multi-topic comments scored as hits (their theme's majority topic is theirs)"
    )
    table = Table(title="themes vs the NHS topic framework")
    for col in ("system", "NMI", "ARI", "clusters", "unassigned", "multi-topic hit", "s"):
        table.add_column(col)
    for s in res["systems"]:
        hit = "–" if s["multi_topic_hit"] is None else f"{s['multi_topic_hit']:.3f}"
        table.add_row(s["system"], f"{s['nmi']:.3f} ± {s['nmi_se']:.3f}", f"{s['ari']:.3f}", str(s["clusters"]),
                      f"{s['unassigned_share']:.1%}", hit, f"{s['seconds']:.0f}")  # fmt: skip
    console.print(table)
    console.print(
        f"NMI, voc minus k-means: {res['nmi_minus_kmeans']:+.3f} ± {res['nmi_minus_kmeans_se']:.3f} "
        "(bootstrap SE over the scored comments, paired)"
    )
