"""The typer apps every CLI module registers its commands on.

The CLI is thin: parse options, call the library, print. Library errors
(`VocError`) become a one-line red message and exit code 1 in `main()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from voc.config import VocConfig

app = typer.Typer(
    name="voc",
    help="Voice-of-customer text mining: ingest feedback, find themes and sentiment, rank issues, report weekly.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
train_app = typer.Typer(help="Train models (not part of CI).", no_args_is_help=True)
eval_app = typer.Typer(
    help="Measure models on labelled data; prints the baseline in the same run.", no_args_is_help=True
)
app.add_typer(train_app, name="train")
app.add_typer(eval_app, name="eval")

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="config file (TOML or YAML); default config/voc.toml if present"),
]


def load(config: Path | None) -> VocConfig:
    """Load the config named on the command line (or the default)."""
    from voc.config import load_config

    return load_config(config)


def fail(summary: str, *, partial: bool = False) -> None:
    """End a command that failed (or partly failed): a last line that says which, exit code 1.

    Cron, CI and Prefect workers only see the exit code; people reading the
    log see the last line, e.g. `ingest: partial failure: 2 of 6 sources failed (a, b)`.
    """
    kind = "partial failure" if partial else "failed"
    # One line, never wrapped: it is what a cron mail or a CI log shows last.
    err_console.print(f"[bold red]{kind}[/]: {summary}", soft_wrap=True)
    raise typer.Exit(code=1)
