"""CLI commands for stages/pillars, the backlog and alerts: `voc eval mapping`, `voc backlog`, `voc alerts ...`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from voc.cli.app import ConfigOpt, app, console, eval_app, load

alerts_app = typer.Typer(help="Mute, unmute and list theme alerts.", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")

DEFAULT_DATA = Path("../shared/data")


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")


@eval_app.command("mapping")
def eval_mapping(
    config: ConfigOpt = None,
    data: Annotated[Path, typer.Option(help="folder holding banking77/ and bitext_customer_support/")] = DEFAULT_DATA,
    per_label: Annotated[int | None, typer.Option(help="texts per intent (default: as in the check set)")] = None,
    seed: Annotated[int, typer.Option(help="sampling seed")] = 0,
) -> None:
    """Accuracy of journey-stage mapping on the hand-labelled intent check set, with baselines."""
    from voc.eval.mapping import evaluate_mapping, load_checkset
    from voc.nlp.encoder import encode
    from voc.taxonomy.mapping import MappingParams
    from voc.taxonomy.taxonomies import load_stages

    _logging()
    cfg = load(config)
    checkset = load_checkset(data, seed=seed, per_label=per_label)
    t = cfg.taxonomy
    params = MappingParams(t.min_similarity, t.description_weight, t.keyword_bonus, t.keyword_bonus_max)
    res = evaluate_mapping(checkset, load_stages(cfg), params, lambda texts: encode(texts, cfg.encoder.model))
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
