"""CLI commands for stages/pillars, the backlog and alerts: `voc eval mapping`, `voc backlog`, `voc alerts ...`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, eval_app, fail, load

alerts_app = typer.Typer(help="Mute, unmute and list theme alerts.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

DEFAULT_DATA = Path("../shared/data")


def _logging() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
    )


@eval_app.command("mapping")
def eval_mapping(
    config: ConfigOpt = None,
    data: Annotated[
        Path, typer.Option(help="folder holding banking77/ and bitext_customer_support/")
    ] = DEFAULT_DATA,
    per_label: Annotated[
        int | None, typer.Option(help="texts per intent (default: as in the check set)")
    ] = None,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
) -> None:
    """Accuracy of journey-stage mapping on the hand-labelled intent check set, with baselines."""
    from voc.eval.mapping import evaluate_mapping, load_checkset
    from voc.nlp.encoder import get_encoder
    from voc.taxonomy.mapping import MappingParams
    from voc.taxonomy.taxonomies import load_stages

    _logging()
    cfg = load(config)
    checkset = load_checkset(data, seed=seed, per_label=per_label)
    t = cfg.taxonomy
    params = MappingParams(t.min_similarity, t.description_weight, t.keyword_bonus, t.keyword_bonus_max)
    res = evaluate_mapping(checkset, load_stages(cfg), params, get_encoder(cfg.encoder).encode)
    table = Table(title=f"journey-stage mapping on {res.n:,} check-set texts ({res.seconds:.0f} s)")
    for col in ("method", "accuracy", "coverage", "acc. when mapped", "macro F1", *res.per_dataset):
        table.add_column(col, justify="left" if col == "method" else "right")
    for method, m in res.results.items():
        table.add_row(
            method,
            f"{m['accuracy']:.3f}",
            f"{m['coverage']:.3f}",
            f"{m['accuracy_when_mapped']:.3f}",
            f"{m['macro_f1']:.3f}",
            *(f"{res.per_dataset[ds][method]:.3f}" for ds in res.per_dataset),
        )
    console.print(table)
    base = max(res.results[m]["accuracy"] for m in res.results if m != "mapper")
    if base:
        console.print(f"mapper accuracy / best baseline = {res.results['mapper']['accuracy'] / base:.2f}x")
    console.print("recall per stage: " + ", ".join(f"{k} {v:.2f}" for k, v in res.per_stage.items()))
    console.print("confusion (rows gold, columns mapped):")
    console.print(res.confusion.to_string())
    console.print("hardest intents: " + "; ".join(f"{n} {a:.2f} -> {p}" for n, a, p in res.worst_intents))
    if checkset.excluded:
        console.print("excluded: " + "; ".join(f"{k} ({v})" for k, v in checkset.excluded.items()))


@app.command("backlog")
def backlog_cmd(
    config: ConfigOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="folder for the backlog files (default: report.out_dir)")
    ] = None,
    period: Annotated[
        str | None, typer.Option(help="period to rank, e.g. 2026-W47 (default: the one just ended)")
    ] = None,
    remap: Annotated[bool, typer.Option(help="map themes to stages and pillars again first")] = False,
    top: Annotated[int, typer.Option(help="entries to print")] = 15,
) -> None:
    """Rank themes into the issue backlog (csv, json, md, Jira csv) and raise alerts."""
    from voc.rank.stage import build_backlog
    from voc.store import open_store
    from voc.taxonomy.stage import map_taxonomy

    _logging()
    cfg = load(config)
    out_dir = out or cfg.resolve(cfg.report.out_dir)
    store = open_store(cfg)
    try:
        if remap or not store.written("theme_mapping"):
            map_taxonomy(store, cfg)
        backlog = build_backlog(store, cfg, out_dir, period)
    finally:
        store.close()
    table = Table(
        title=f"backlog {backlog.period}: {len(backlog.entries)} problems, {len(backlog.alerts)} alerts"
    )
    for col in ("#", "theme", "status", "score", "items (neg.)", "stage", "owner", "why"):
        table.add_column(col, justify="right" if col in ("#", "score", "items (neg.)") else "left")
    from voc.rank.writers import breakdown_text

    for e in backlog.entries[:top]:
        table.add_row(
            str(e.rank),
            e.theme_label,
            e.status,
            f"{e.score:.1f}",
            f"{e.volume} ({e.negative_volume})",
            e.journey_stage or "",
            e.owner or "",
            breakdown_text(e),
        )
    console.print(table)
    console.print(f"wrote backlog.csv, backlog.json, backlog.md, backlog_jira.csv to {out_dir}")
    if backlog.delivery is not None:
        console.print(f"alerts: {backlog.delivery.summary()}")
        if not backlog.delivery.ok:
            fail(f"backlog written, but alerts: {backlog.delivery.summary()}", partial=True)


@alerts_app.command("mute")
def alerts_mute(
    theme_id: Annotated[str, typer.Argument(help="theme id (see backlog.csv)")],
    reason: Annotated[str, typer.Option(help="why, for the next person who looks")] = "",
    config: ConfigOpt = None,
) -> None:
    """Stop alerts for a theme until it is unmuted."""
    from voc.alerts.deliver import mute
    from voc.store import open_store

    store = open_store(load(config))
    try:
        mute(store, theme_id, reason)
    finally:
        store.close()
    console.print(f"muted {theme_id}")


@alerts_app.command("unmute")
def alerts_unmute(
    theme_id: Annotated[str, typer.Argument(help="theme id")], config: ConfigOpt = None
) -> None:
    """Allow alerts for a theme again."""
    from voc.alerts.deliver import unmute
    from voc.store import open_store

    store = open_store(load(config))
    try:
        was = unmute(store, theme_id)
    finally:
        store.close()
    console.print(f"unmuted {theme_id}" if was else f"{theme_id} was not muted")


@alerts_app.command("list")
def alerts_list(
    config: ConfigOpt = None, limit: Annotated[int, typer.Option(help="alerts to show")] = 20
) -> None:
    """Muted themes and the latest alerts with their delivery status (pending ones wait in the outbox)."""
    from voc.alerts.deliver import MUTE_TABLE, SENT_TABLE
    from voc.store import open_store

    store = open_store(load(config))
    try:
        mutes = store.read(MUTE_TABLE, ["theme_id", "reason", "muted_at"], order_by="muted_at")
        sent = store.read(SENT_TABLE, ["key", "channel", "status", "attempts", "last_error", "created_at"],
                          order_by="created_at DESC", limit=limit)  # fmt: skip
    finally:
        store.close()
    t = Table(title=f"muted themes ({len(mutes)})")
    for col in ("theme", "reason", "since"):
        t.add_column(col)
    for r in mutes.itertuples():
        t.add_row(r.theme_id, r.reason or "", str(r.muted_at)[:16])
    console.print(t)
    t = Table(title="latest alerts")
    for col in ("alert", "channel", "status", "attempts", "last error"):
        t.add_column(col)
    for r in sent.itertuples():
        t.add_row(r.key, r.channel, r.status, str(r.attempts), (r.last_error or "")[:80])
    console.print(t)


@eval_app.command("airline-backlog")
def eval_airline_backlog(
    out: Annotated[Path, typer.Argument(help="the `voc analyze` output folder of the airline tweets")],
    data: Annotated[Path, typer.Option(help="shared data folder")] = DEFAULT_DATA,
    top: Annotated[int, typer.Option(help="backlog entries to look at")] = 8,
) -> None:
    """Match the top backlog entries to the tweets' held-out true complaint reasons; print the matching."""
    from voc.eval.backlog import load_and_match

    res = load_and_match(out, data, top_entries=top)
    table = Table(title=f"top {top} backlog entries vs true negative reasons (by their example records)")
    for col in ("#", "theme", "items", "examples' true reasons", "matched"):
        table.add_column(col)
    for m in res.entries:
        reasons = ", ".join(f"{r} {n}" for r, n in m.reasons.most_common(4)) or "(none negative)"
        table.add_row(str(m.rank), m.theme_label, str(m.volume), reasons, m.matched or "-")
    console.print(table)
    console.print("largest true reasons: " + ", ".join(f"{r} ({n})" for r, n in res.top_reasons))
    console.print(
        f"found {res.score}: {', '.join(res.found) or '-'}; missing: {', '.join(res.missing) or '-'}"
    )


@eval_app.command("demo-backlog")
def eval_demo_backlog(
    config: ConfigOpt = None,
    demo: Annotated[Path, typer.Option(help="the demo folder (with _manifest.json and _truth.csv)")] = Path(
        "data/demo"
    ),
    weeks: Annotated[int, typer.Option(help="weeks to rebuild, ending with the last one")] = 6,
) -> None:
    """Per week: is the planted emerging theme flagged new/rising, and which steady themes are (false alarms)?"""
    import json as _json

    from voc.demo.truth import stored_truth
    from voc.eval.backlog import demo_weeks
    from voc.rank.periods import period_labels
    from voc.store import open_store

    _logging()
    cfg = load(config)
    manifest = _json.loads((demo / "_manifest.json").read_text(encoding="utf-8"))
    import pandas as pd

    em_weeks = period_labels(pd.Series(pd.to_datetime(manifest["emerging_weeks"], utc=True)), "week").tolist()
    store = open_store(cfg, read_only=True)
    try:
        truth = stored_truth(store, demo, cfg)
        flags = demo_weeks(store, cfg, truth, manifest["emerging_key"], em_weeks, weeks)
    finally:
        store.close()
    table = Table(
        title=f"planted emerging theme {manifest['emerging_theme']!r} (weeks {', '.join(em_weeks)})"
    )
    for col in ("week", "emerging?", "emerging theme flagged", "its backlog entries", "false alarms",
                "alerts (default rules)"):  # fmt: skip
        table.add_column(col)
    for f in flags:
        table.add_row(
            f.week,
            "yes" if f.emerging_week else "",
            ", ".join(f.emerging_flagged) or "-",
            "; ".join(f.emerging_status) or "-",
            "; ".join(f.false_alarms) or "none",
            f"{len(f.alerts)}: " + "; ".join(f.alerts) if f.alerts else "0",
        )
    console.print(table)
    hits = sum(1 for f in flags if f.emerging_week and f.emerging_flagged)
    fa = sum(len(f.false_alarms) for f in flags)
    steady = [len(f.alerts) for f in flags if not f.emerging_week]
    framing = sorted({x for f in flags for x in f.framing})
    console.print(
        f"emerging theme flagged in {hits}/{sum(f.emerging_week for f in flags)} of its weeks; "
        f"false alarms: {fa} over {len(flags)} weeks ({sum(f.ranked for f in flags)} entry-weeks ranked); "
        f"alerts on a steady week: {', '.join(map(str, steady)) or '-'} (max {max(steady, default=0)}, "
        f"target <= 3); entries named by greetings, sign-offs or thanks: {framing or 'none'}"
    )


@eval_app.command("demo-themes")
def eval_demo_themes(
    config: ConfigOpt = None,
    demo: Annotated[Path, typer.Option(help="the demo folder (with _truth.csv)")] = Path("data/demo"),
    show: Annotated[int, typer.Option(help="themes to list, largest first")] = 20,
) -> None:
    """Items with one planted theme: does their stored primary theme stand for it? NMI, ARI, purity."""
    from voc.demo.truth import stored_truth
    from voc.eval.demo_themes import score_demo_themes
    from voc.store import open_store

    _logging()
    cfg = load(config)
    store = open_store(cfg, read_only=True)
    try:
        truth = stored_truth(store, demo, cfg)
        item_themes = store.read("item_themes", ["item_id", "theme_id", "theme_label"])
    finally:
        store.close()
    res = score_demo_themes(item_themes, truth)
    table = Table(title=f"stored primary themes vs planted themes ({res.items:,} single-theme items)")
    for col in ("theme", "label", "items", "mostly planted", "purity"):
        table.add_column(col)
    for r in res.recovery[:show]:
        table.add_row(r.theme_id, r.label, str(r.items), r.planted, f"{r.purity:.2f}")
    console.print(table)
    console.print(
        f"{res.themes} themes for {res.planted} planted; NMI {res.nmi:.3f}, ARI {res.ari:.3f}; "
        f"{res.majority_accuracy:.1%} of items under a theme whose majority is their planted theme "
        f"(optimistic: the majority is read off these items); {res.unthemed} items without a theme"
    )
