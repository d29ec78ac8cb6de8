"""Writing the demo exports to disk in their real encodings (the I/O edge)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from voc.demo.rows import FileData, RawLine
from voc.demo.themes import APP_STORE, GOOGLE_PLAY, QUALTRICS, TYPEFORM, ZENDESK

TRUTH_FILE = "_truth.csv"
MANIFEST_FILE = "_manifest.json"


def ndjson_bytes(fd: FileData) -> bytes:
    """One JSON object per line, UTF-8, as the Zendesk incremental export writes them."""
    lines = [r.text if isinstance(r, RawLine) else json.dumps(r, ensure_ascii=False) for r in fd.records]
    return ("\n".join(lines) + "\n").encode("utf-8")


def csv_text(header: list[list[str]], records: list[Any]) -> str:
    """RFC 4180 CSV (CRLF, minimal quoting); RawLine records are written verbatim."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerows(header)
    for r in records:
        if isinstance(r, RawLine):
            buf.write(r.text + "\r\n")
        else:
            writer.writerow(r)
    return buf.getvalue()


def file_bytes(fd: FileData) -> bytes:
    """The bytes of one export in its native encoding."""
    if fd.name == ZENDESK:
        return ndjson_bytes(fd)
    text = csv_text(fd.header, fd.records)
    if fd.name == GOOGLE_PLAY:
        # Play Console exports are UTF-16 with a BOM; little-endian spelled out so
        # the bytes do not depend on the machine.
        return b"\xff\xfe" + text.encode("utf-16-le")
    if fd.name == QUALTRICS:
        return text.encode("utf-8-sig")  # Qualtrics writes a BOM
    if fd.name in (APP_STORE, TYPEFORM):
        return text.encode("utf-8")
    raise ValueError(f"no writer for demo file {fd.name!r}")


def write_bytes(path: Path, data: bytes) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


def truth_bytes(truth: list[dict[str, Any]]) -> bytes:
    """Ground truth per item: export file + key -> planted themes (evaluation only)."""
    if not truth:
        return b""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(truth[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(truth)
    return buf.getvalue().encode("utf-8")


def json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
