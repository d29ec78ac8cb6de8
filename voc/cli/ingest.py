"""CLI commands for ingestion: init, demo, ingest, status."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, fail, load
from voc.errors import ConfigError, StoreError, StoreLockedError

if TYPE_CHECKING:
    from voc.config import VocConfig
    from voc.pipeline.status import StatusReport


def _setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%H:%M:%S",
    )


@app.command()
def init(
    path: Annotated[Path, typer.Argument(help="where to write the config")] = Path("config/voc.toml"),
    force: Annotated[bool, typer.Option(help="overwrite an existing file")] = False,
) -> None:
    """Write a commented starter config."""
    if path.exists() and not force:
        raise ConfigError(f"{path} already exists; use --force to overwrite", code="E106")
    path.parent.mkdir(parents=True, exist_ok=True)
    text = resources.files("voc.config").joinpath("starter.toml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    from voc.config import load_config

    load_config(path)  # the starter must always validate
    console.print(f"wrote [bold]{path}[/]: add your [[sources]] and run `voc ingest`")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="folder for the generated exports")] = Path("data/demo"),
    seed: Annotated[int, typer.Option(help="random seed; same seed, same files")] = 7,
    items: Annotated[int, typer.Option(help="number of feedback items")] = 6000,
) -> None:
    """Generate the demo data (Northwind's tickets, reviews and surveys) as real export files."""
    from voc.demo import generate_demo

    manifest = generate_demo(out, seed=seed, n_items=items)
    table = Table(title=f"demo data in {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for name, rows in manifest.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    console.print(
        "next: [bold]voc ingest -c config/demo.toml[/] then [bold]voc status -c config/demo.toml[/]"
    )


@app.command()
def ingest(
    config: ConfigOpt = None,
    source: Annotated[str | None, typer.Option("--source", "-s", help="only this source")] = None,
    full: Annotated[bool, typer.Option(help="re-read files already ingested completely")] = False,
    quiet: Annotated[bool, typer.Option(help="no progress bars")] = False,
) -> None:
    """Ingest configured sources into the store (idempotent; resumes interrupted files)."""
    from voc.pipeline.ingest import ingest as run_ingest

    _setup_logging()
    cfg = load(config)
    result = run_ingest(cfg, source, full=full, progress=not quiet)
    table = Table(title=f"ingest: {result.status}")
    for col in ("source", "status", "read", "stored", "duplicates", "quarantined", "seconds"):
        table.add_column(col, justify="right" if col not in ("source", "status") else "left")
    for r in result.sources:
        c = r.counts
        style = "green" if r.status == "ok" else "red"
        table.add_row(
            r.source,
            f"[{style}]{r.status}[/]",
            f"{c.read:,}",
            f"{c.stored:,}",
            f"{c.duplicates:,}",
            f"{c.quarantined:,}",
            f"{r.seconds:.1f}",
        )
    console.print(table)
    for r in result.sources:
        if r.error:
            console.print(f"[red]{r.source}[/]: {r.error}")
    if result.status != "ok":
        failed = [r.source for r in result.sources if r.status != "ok"]
        fail(
            f"ingest: {len(failed)} of {len(result.sources)} sources failed ({', '.join(failed)})"
            + ("; the others finished" if result.status == "partial" else ""),
            partial=result.status == "partial",
        )


def _read_status(cfg: VocConfig) -> StatusReport:
    """The store's status; while another process writes the store, the snapshot its writer left."""
    from voc.pipeline.status import load_snapshot, store_status
    from voc.store import open_store

    try:
        store = open_store(cfg, read_only=True)
    except StoreLockedError as exc:
        path = cfg.resolve(cfg.store.path)
        snap = load_snapshot(path)
        if snap is None:
            raise StoreError(
                f"the store {path} is being written by another voc process and has no status snapshot yet "
                "(the first write of this version leaves one); run `voc status` again when that run ends",
                code="E310",
            ) from exc
        console.print(
            f"[yellow]the store is being written by another voc process[/]: showing the snapshot its writer "
            f"left at {snap.snapshot_at} (UTC); runs still marked running are in progress"
        )
        return snap
    try:
        return store_status(store)
    finally:
        store.close()


@app.command()
def status(config: ConfigOpt = None) -> None:
    """Counts per source, kind and week; quarantine reasons; recent runs."""
    cfg = load(config)
    rep = _read_status(cfg)
    t = rep.totals
    mark = "[green]adds up[/]" if rep.adds_up else "[red]DOES NOT ADD UP[/]"
    console.print(
        f"[bold]{rep.items_total:,}[/] items stored. Ingest runs read {t['read']:,} rows = stored {t['stored']:,} "
        f"(of which {t['updated']:,} updates) + duplicates {t['duplicates']:,} + quarantined {t['quarantined']:,}: {mark}"
    )
    src = Table(title="items per source and kind")
    for col in ("source", "kind", "items", "first", "last"):
        src.add_column(col)
    for row in rep.per_source.itertuples(index=False):
        src.add_row(row.source, row.kind, f"{row.items:,}", str(row.first)[:10], str(row.last)[:10])
    console.print(src)
    if len(rep.per_week):
        wk = rep.per_week.pivot_table(
            index="week", columns="kind", values="items", aggfunc="sum", fill_value=0
        )
        week_table = Table(title="items per week (week starting Monday)")
        week_table.add_column("week")
        for k in wk.columns:
            week_table.add_column(str(k), justify="right")
        for week, row in wk.iterrows():
            week_table.add_row(str(week)[:10], *(f"{int(v):,}" for v in row))
        console.print(week_table)
    if len(rep.quarantine_reasons):
        q = Table(title="quarantine: top reasons (rows kept in the `quarantine` table)")
        for col in ("source", "reason", "rows"):
            q.add_column(col)
        for row in rep.quarantine_reasons.head(15).itertuples(index=False):
            q.add_row(row.source, row.reason, f"{row.rows:,}")
        console.print(q)
    if len(rep.runs):
        r = Table(title="recent runs")
        for col in ("started", "job", "target", "status", "read", "stored", "dup", "quar", "error"):
            r.add_column(col)
        for row in rep.runs.itertuples(index=False):
            r.add_row(
                str(row.started_at)[:19],
                row.job,
                row.target or "",
                row.status,
                f"{row.rows_read:,}",
                f"{row.stored:,}",
                f"{row.duplicates:,}",
                f"{row.quarantined:,}",
                (row.error or "")[:60],
            )
        console.print(r)
