"""The shared evaluation datasets: one check, one error code, for a file that is not there."""

from __future__ import annotations

from pathlib import Path

from voc.errors import InputError


def require_data(path: Path, flag: str = "--data-dir") -> Path:
    """`path` when it exists; otherwise E270 naming it and the option (`flag`) that points at the data."""
    if not path.exists():
        raise InputError(
            f"{path} does not exist; pass {flag} with the shared datasets (../shared/data)", code="E270"
        )
    return path
