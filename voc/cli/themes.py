"""CLI commands for the themes stage: `voc eval themes`, `voc themes update|list|show`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from voc.cli.app import ConfigOpt, app, console, eval_app, load

themes_app = typer.Typer(help="Themes: discover, list and inspect (edits go in the config's [themes.overrides]).",
                         no_args_is_help=True)  # fmt: skip
app.add_typer(themes_app, name="themes")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")


@eval_app.command("themes")
def eval_themes_cmd(
    data: Annotated[Path, typer.Option(help="labelled CSV, or a folder whose CSVs are concatenated")],
    text_col: Annotated[str, typer.Option(help="column with the text")] = "text",
    label_col: Annotated[
        list[str], typer.Option(help="label column(s) to score against; repeat for more")
    ] = [  # noqa: B006
        "category"
    ],
    config: ConfigOpt = None,
    baseline: Annotated[bool, typer.Option(help="also run BERTopic with its defaults")] = True,
    stability: Annotated[bool, typer.Option(help="also fit on two 90% samples and report their AMI")] = False,
    sample: Annotated[int | None, typer.Option(help="score a random sample of this many rows")] = None,
    cache: Annotated[Path, typer.Option(help="DuckDB file caching the embeddings")] = Path(
        "data/cache/eval_embeddings.duckdb"
    ),
    json_out: Annotated[Path | None, typer.Option("--json", help="also write the results here")] = None,
) -> None:
    """Theme discovery vs labelled intents: NMI, ARI, theme count, unassigned share; BERTopic defaults alongside."""
    from rich.table import Table

    from voc.eval.themes import evaluate_themes

    _logging()
    cfg = load(config)
    res = evaluate_themes(data, text_col, label_col, cfg.themes, cache_path=cfg.resolve(cache),
                          baseline=baseline, with_stability=stability, sample=sample)  # fmt: skip
    labels = ", ".join(f"{k}: {v}" for k, v in res["labels"].items())
    table = Table(title=f"{data} - {res['n']:,} texts ({labels})")
    table.add_column("system")
    for col in label_col:
        table.add_column(f"NMI {col}", justify="right")
        table.add_column(f"ARI {col}", justify="right")
    for col in ("themes", "unassigned", "fit s"):
        table.add_column(col, justify="right")
    for s in res["systems"]:
        cells = []
        for col in label_col:
            cells += [f"{s['scores'][col]['nmi']:.3f}", f"{s['scores'][col]['ari']:.3f}"]
        table.add_row(
            s["system"],
            *cells,
            str(s["themes"]),
            f"{100 * s['unassigned_share']:.1f}%",
            f"{s['seconds']:.0f}",
        )
    console.print(table)
    if "stability" in res:
        st = res["stability"]
        console.print(f"stability: AMI {st['ami']:.3f} between fits on two 90% samples "
                      f"({st['shared']:,} shared texts; {st['themes'][0]} and {st['themes'][1]} themes)")  # fmt: skip
    if json_out:
        json_out.parent.mkdir(parents=True, exist_ok=True)
        json_out.write_text(json.dumps(res, indent=2))
        console.print(f"wrote {json_out}")


@themes_app.command("update")
def themes_update_cmd(
    config: ConfigOpt = None,
    refit: Annotated[bool | None, typer.Option("--refit/--no-refit", help="force or forbid a refit")] = None,
) -> None:
    """Assign new mentions to themes (refitting when due) and write the theme tables."""
    from voc.store import open_store
    from voc.themes.stage import update_themes

    _logging()
    cfg = load(config)
    with open_store(cfg) as store:
        res = update_themes(store, cfg, refit=refit)
    console.print(f"{res['mode']}: {res['mentions']:,} mentions, {res['themes']} themes "
                  f"({len(res['new_themes'])} new), {100 * res['unassigned_share']:.1f}% unassigned, "
                  f"{res['skipped_mentions']:,} skipped (greetings, fragments, non-English)")  # fmt: skip
    for note in res["override_notes"]:
        console.print(f"  override: {note}")


@themes_app.command("list")
def themes_list_cmd(
    config: ConfigOpt = None,
    all_: Annotated[bool, typer.Option("--all", help="include retired themes")] = False,
) -> None:
    """The theme registry: id, label, group, size, share negative, status."""
    from rich.table import Table

    from voc.store import open_store

    cfg = load(config)
    with open_store(cfg, read_only=True) as store:
        if not store.written("themes"):
            console.print("no themes yet; run `voc themes update` (or `voc analyze`)")
            raise typer.Exit(0)
        cols = ["theme_id", "label", "group_id", "group_label", "size", "share_negative", "status", "pinned",
                "keywords"]  # fmt: skip
        df = store.read(
            "themes", cols, where=None if all_ else "status != 'retired'", order_by="group_id, size DESC"
        )
    table = Table()
    for col in ("id", "label", "group", "size", "neg", "status", "keywords"):
        table.add_column(col)
    for r in df.itertuples():
        neg = (
            ""
            if r.share_negative is None or r.share_negative != r.share_negative
            else f"{100 * r.share_negative:.0f}%"
        )
        status = r.status + (" pinned" if r.pinned else "")
        kws = ", ".join(json.loads(r.keywords)[:5]) if isinstance(r.keywords, str) else ""
        table.add_row(
            r.theme_id, r.label, f"{r.group_id} {r.group_label or ''}", str(r.size), neg, status, kws
        )
    console.print(table)


@themes_app.command("show")
def themes_show_cmd(theme_id: str, config: ConfigOpt = None) -> None:
    """One theme: label, keywords, representative quotes and weekly counts."""
    from voc.store import open_store

    cfg = load(config)
    with open_store(cfg, read_only=True) as store:
        if not store.written("themes"):
            console.print("no themes yet; run `voc themes update`")
            raise typer.Exit(1)
        t = store.read("themes", where="theme_id = ?", params=[theme_id])
        if t.empty:
            console.print(f"no theme {theme_id!r}; see `voc themes list --all`")
            raise typer.Exit(1)
        weekly = store.read("theme_weekly", ["week", "mentions", "items"], where="theme_id = ?", params=[theme_id],
                            order_by="week")  # fmt: skip
    r = t.iloc[0]
    console.print(
        f"[bold]{r['theme_id']}[/] {r['label']}  ({r['status']}, group {r['group_id']} {r['group_label']})"
    )
    console.print(f"keywords: {', '.join(json.loads(r['keywords'] or '[]'))}")
    for q in json.loads(r["quotes"] or "[]"):
        console.print(f'  "{q}"', markup=False)
    for w in weekly.itertuples():
        console.print(f"  {w.week}: {w.mentions} mentions in {w.items} items")
