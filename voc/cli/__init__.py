"""Command-line interface: `voc --help`.

Each module below registers its commands on the apps in `voc.cli.app`;
importing them here is what makes the commands exist.
"""

from __future__ import annotations

import sys

import click
import typer

from voc.cli import (  # noqa: F401  (imported for their command registrations)
    analyze,
    backlog,
    ingest,
    report,
    sentiment,
    serve,
    themes,
)
from voc.cli.app import app, err_console
from voc.errors import VocError

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: run the app, turning library errors and usage errors into clean exits.

    Exit codes: 0 success, 1 failure or partial failure (the last line says
    which), 2 usage error, 130 interrupted.
    """
    try:
        # With standalone_mode=False click *returns* the code of a `typer.Exit`
        # raised inside a command instead of exiting with it: pass it on, or
        # every failure a command reports that way would exit 0.
        code = app(standalone_mode=False)
    except VocError as exc:
        err_console.print(f"[bold red]error[/] {exc}")
        sys.exit(1)
    # Recent typer releases vendor their own click, whose exceptions are not click's: catch both kinds.
    except (click.exceptions.Exit, typer.Exit) as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except (click.exceptions.Abort, typer.Abort):
        err_console.print("aborted")
        sys.exit(130)
    except (click.ClickException, typer.TyperException) as exc:
        if not hasattr(exc, "show"):
            raise
        exc.show()
        sys.exit(getattr(exc, "exit_code", 1))
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except OSError as exc:
        # A missing, unreadable or misplaced file that no check caught earlier: one line, not a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(
            f"[bold red]error[/] [E215] {where}{exc.strerror or exc} ({type(exc).__name__}); "
            "check the path and its permissions"
        )
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
