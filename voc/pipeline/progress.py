"""Rich progress bars that switch off cleanly when not wanted (CI, tests, flows)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


class _NullProgress:
    def add_task(self, *args: Any, **kwargs: Any) -> int:
        return 0

    def update(self, *args: Any, **kwargs: Any) -> None:
        pass

    def advance(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def progress_bar(enabled: bool = True):
    """A rich Progress (or a no-op stand-in) for long work."""
    if not enabled:
        yield _NullProgress()
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeElapsedColumn(),
        transient=False,
    ) as p:
        yield p
