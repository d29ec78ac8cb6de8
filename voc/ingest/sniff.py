"""A first look at an input path: is it a file, and is it the kind of file its format needs?

Opening a folder, a binary file or a renamed workbook deep inside a reader
ends in a traceback (`IsADirectoryError`, `BadZipFile`) or a header of
binary junk copied into the message. These checks run first and stop with
a short message: the file name, what it is, and what to do.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from voc.errors import InputError

_SNIFF_BYTES = 8192

# Leading bytes of common non-text files, for a message that says what the file is.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls / Office document"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "a program (ELF binary)"),
    (b"SQLite format 3", "a SQLite database"),
)


def describe_bytes(head: bytes) -> str:
    """What the first bytes of a file look like, in words."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    return "binary data"


def _is_utf16(head: bytes) -> bool:
    # UTF-16 text is full of NUL bytes too; detect_encoding knows its BOM and pattern.
    from voc.ingest.encoding import detect_encoding

    return detect_encoding(head).startswith("utf-16")


def check_not_folder(path: Path, shown: str | Path | None = None) -> None:
    """InputError E210 when `path` is a folder, before anything tries to open it as a file."""
    shown = shown if shown is not None else path
    if path.is_dir():
        raise InputError(
            f"{shown} is a folder, not a file. Give one export file; to read every file in a folder, "
            f"configure a source whose path is a glob such as '{Path(str(shown)) / '*.csv'}' and run `voc ingest`",
            code="E210",
        )


def check_text_file(path: Path, shown: str | Path | None = None) -> None:
    """InputError E211 when a file that should be text (CSV, JSON) starts with binary bytes."""
    shown = shown if shown is not None else path
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if b"\x00" not in head or _is_utf16(head):
        return
    what = describe_bytes(head)
    hint = (
        '; for a workbook use the .xlsx suffix or `--format excel` / format = "excel"'
        if what.startswith("a ZIP")
        else ""
    )
    raise InputError(
        f"{shown} is not a text file: it starts with {what}, not CSV or JSON text. "
        f"Export it as CSV (UTF-8) or JSON lines{hint}",
        code="E211",
    )


def check_workbook(path: Path, shown: str | Path | None = None) -> None:
    """InputError E212 when an .xlsx is not a ZIP archive (a CSV or an old .xls renamed .xlsx)."""
    shown = shown if shown is not None else path
    if zipfile.is_zipfile(path):
        return
    with path.open("rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    looks = describe_bytes(head) if (b"\x00" in head and not _is_utf16(head)) else "text (a CSV?)"
    raise InputError(
        f"{shown} is not an .xlsx workbook (an .xlsx is a ZIP archive; this file looks like {looks}). "
        'Save it from Excel as .xlsx, or read it as CSV (`--format csv` / format = "csv")',
        code="E212",
    )
