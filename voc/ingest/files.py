"""Streaming readers for export files: CSV, JSON lines, JSON documents, Parquet, Excel.

Each reader opens one file and returns a `RowStream`: the header (tabular
formats) and an iterator of `RawRow`s, one per data row, in file order. A
row that is broken at this level (wrong field count, bad JSON, undecodable
bytes, binary junk) comes out as a `RawRow` with a reason code instead of
data, so the connector quarantines it and carries on.

Text formats are decoded by `encoding.py` (detection from the first 64 KB,
line-by-line decoding so one bad line is one `bad_encoding` row); the
`{"tickets": [...]}` JSON document is streamed by `jsondoc.py`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voc.errors import InputError
from voc.ingest import encoding as textenc
from voc.ingest.encoding import (
    SAMPLE_BYTES,
    Line,
    RecordTooLong,
    detect_encoding,
    open_lines,
    open_text,
)
from voc.ingest.jsondoc import JsonStream, iter_array, top_level
from voc.ingest.sniff import check_text_file, check_workbook

__all__ = [
    "RawRow",
    "RowStream",
    "detect_encoding",
    "is_json_lines",
    "open_text",
    "read_csv",
    "read_excel",
    "read_json_document",
    "read_jsonl",
    "read_parquet",
]

log = logging.getLogger(__name__)

_CSV_FIELD_LIMIT = 16 * 1024 * 1024
_DELIMITERS = (",", ";", "\t", "|")


@dataclass
class RawRow:
    """One data row as read, or the reason it could not be read."""

    index: int  # 0-based data-row index in the file
    data: dict[str, Any] | None
    raw: Any  # what goes to quarantine: the row or its line(s)
    line: int | None = None  # 1-based physical line where the row starts
    reason: str | None = None
    detail: str = ""


@dataclass
class RowStream:
    """An open file: its header and its rows. Close it (or use `with`)."""

    rows: Iterator[RawRow]
    columns: list[str] | None = None  # None for JSON, where keys live in each row
    sample_keys: list[str] = field(default_factory=list)  # JSON lines: keys of the first object
    header_rows: list[list[str]] = field(default_factory=list)
    encoding: str | None = None
    arrow_schema: Any = None  # Parquet: the file's pyarrow schema, checked against the mapping
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- CSV -------------------------------------------------------------------------


def sniff_delimiter(first_line: str, path: Path) -> str:
    """The most frequent of , ; TAB | in the header line (TAB for .tsv)."""
    if path.suffix.lower() == ".tsv":
        return "\t"
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def unique_names(names: list[str]) -> list[str]:
    """Repeated header names get ` (2)`, ` (3)`: a row dict must not lose a column."""
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        key, n = name, 2
        while key in seen:
            key, n = f"{name} ({n})", n + 1
        seen.add(key)
        out.append(key)
    return out


def _csv_recovers(lines: list[Line], n_fields: int, delimiter: str) -> bool:
    """Do these lines parse on their own into rows of the right width?"""
    try:
        rows = [r for r in csv.reader((ln.text for ln in lines), delimiter=delimiter) if r]
    except csv.Error:
        return False
    return bool(rows) and all(len(r) == n_fields for r in rows)


def read_csv(
    path: Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    header_rows: int = 1,
    extra_header: Callable[[list[str]], bool] | None = None,
    make_columns: Callable[[list[list[str]]], list[str]] | None = None,
) -> RowStream:
    """Stream a CSV file.

    `header_rows` rows are read as headers (the first names the columns);
    `extra_header` may claim one more (Qualtrics' ImportId row, present in
    newer exports only); `make_columns` builds the column keys from all
    header rows (SurveyMonkey's two-row header). Blank lines are skipped and
    not counted.
    """
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_FIELD_LIMIT))
    lines, fh = open_lines(path, encoding)
    closers: list[Callable[[], Any]] = [fh.close]
    try:
        first = next(lines, None)
    except RecordTooLong:
        first = None
    if first is None:
        fh.close()
        return RowStream(rows=iter(()), columns=None, encoding=lines.encoding)
    lines.push_back(lines.take())
    delim = delimiter or sniff_delimiter(first, path)

    def new_reader() -> Iterator[list[str]]:
        return csv.reader(lines, delimiter=delim)

    reader = new_reader()
    headers: list[list[str]] = []
    try:
        for _ in range(header_rows):
            row = next(reader, None)
            if any(ln.problem == "binary_garbage" or ln.nul for ln in lines.take()):
                fh.close()
                check_text_file(path)  # E211 with what the file is, when it has NUL bytes
                raise InputError(
                    f"{path}: the header holds binary data: this is not a text/CSV file "
                    "(a spreadsheet or archive renamed .csv?); export it as CSV (UTF-8)",
                    code="E217",
                )
            if row is None:
                break
            headers.append(row)
        if extra_header is not None:
            row = next(reader, None)
            consumed = lines.take()
            if row is not None and extra_header(row):
                headers.append(row)
            else:
                lines.push_back(consumed)
                reader = new_reader()
    except (csv.Error, RecordTooLong) as exc:
        fh.close()
        raise InputError(
            f"{path}: cannot read the header row(s): {exc or 'a quoted field never ends'}", code="E203"
        ) from None
    if headers and headers[0] and headers[0][0].startswith("\ufeff"):
        headers[0][0] = headers[0][0].lstrip("\ufeff")
    if make_columns is not None and headers:
        columns = make_columns(headers)
    else:
        columns = unique_names([c.strip() for c in headers[0]]) if headers else []
    n = len(columns)

    def rows() -> Iterator[RawRow]:
        nonlocal reader
        index = 0
        while True:
            error: str | None = None
            try:
                rec = next(reader)
            except StopIteration:
                break
            except RecordTooLong:
                error = (
                    f"record runs past {textenc.MAX_RECORD_LINES} lines or "
                    f"{textenc.MAX_RECORD_BYTES // 2**20} MB "
                    "(a quoted field that never ends?)"
                )
                rec = []
            except csv.Error as exc:
                error = f"csv: {exc}"
                rec = []
            phys = lines.take()
            if error is None and not rec:
                continue  # blank line
            first_line = phys[0].number if phys else lines.lineno
            problems = {ln.problem for ln in phys if ln.problem}
            if error is not None or len(rec) != n:
                reader = new_reader() if error is not None else reader
                if error is None:
                    error = f"expected {n} fields, found {len(rec)}"
                # An unbalanced quote glues following rows into this one: if the
                # glued lines stand on their own, quarantine only the first line.
                if len(phys) > 1 and _csv_recovers(phys[1:], n, delim):
                    lines.push_back(phys[1:])
                    phys = phys[:1]
                    error += " (an unbalanced quote joined it to the next lines, which were read again)"
            raw_text = "".join(ln.text for ln in phys)
            if "binary_garbage" in problems:
                yield RawRow(
                    index,
                    None,
                    raw_text,
                    first_line,
                    "binary_garbage",
                    f"line {first_line}: binary data (NUL or control bytes): {raw_text[:80]!r}",
                )
            elif "bad_encoding" in problems:
                bad = next(ln for ln in phys if ln.problem == "bad_encoding")
                yield RawRow(
                    index,
                    None,
                    raw_text,
                    first_line,
                    "bad_encoding",
                    f"line {bad.number}: bytes not valid {lines.encoding}: {(bad.raw or b'')[:80]!r}",
                )
            elif error is not None:
                yield RawRow(index, None, raw_text, first_line, "bad_row", f"line {first_line}: {error}")
            else:
                yield RawRow(index, dict(zip(columns, rec, strict=True)), raw_text, first_line)
            index += 1

    return RowStream(
        rows=rows(), columns=columns, header_rows=headers, encoding=lines.encoding, _closers=closers
    )


# -- JSON ------------------------------------------------------------------------


def read_jsonl(path: Path, *, encoding: str | None = None) -> RowStream:
    """Stream JSON lines (NDJSON): one object per line; a bad line is one `bad_row`."""
    lines, fh = open_lines(path, encoding, guard=False)  # no quoting across lines: no runaway records
    sample_keys = _first_object_keys(path, lines.encoding)

    def rows() -> Iterator[RawRow]:
        index = 0
        for text in lines:
            (line,) = lines.take()
            stripped = text.strip()
            if not stripped:
                continue
            if line.problem:
                yield RawRow(
                    index,
                    None,
                    text,
                    line.number,
                    line.problem,
                    f"line {line.number}: {line.problem.replace('_', ' ')}: {(line.raw or b'')[:80]!r}",
                )
            else:
                try:
                    obj = json.loads(stripped)
                except json.JSONDecodeError as exc:
                    yield RawRow(
                        index, None, stripped, line.number, "bad_row", f"line {line.number}: bad JSON: {exc}"
                    )
                else:
                    if isinstance(obj, dict):
                        yield RawRow(index, obj, obj, line.number)
                    else:
                        yield RawRow(
                            index,
                            None,
                            stripped,
                            line.number,
                            "bad_row",
                            f"line {line.number}: expected a JSON object, got {type(obj).__name__}",
                        )
            index += 1

    return RowStream(
        rows=rows(), columns=None, sample_keys=sample_keys, encoding=lines.encoding, _closers=[fh.close]
    )


def _first_object_keys(path: Path, encoding: str) -> list[str]:
    with path.open(encoding=encoding, errors="replace") as fh:
        for n, line in enumerate(fh):
            if n > 100:
                break
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(obj, dict):
                return list(obj)
    return []


def read_json_document(path: Path, *, key: str | None = None, encoding: str | None = None) -> RowStream:
    """Stream a JSON document: a top-level array, or an object whose `key` holds the array.

    Elements are parsed one at a time (see `JsonStream`), so the document
    can be larger than memory. A non-object element is one `bad_row`; a
    document that is not valid JSON stops with an `InputError` when the
    reader reaches the break (JSON cannot be resynchronised after one).
    """
    fh = path.open("rb")
    sample = fh.read(SAMPLE_BYTES)
    fh.seek(0)
    enc = encoding or detect_encoding(sample)
    text = io.TextIOWrapper(fh, encoding=enc, errors="replace")
    stream = JsonStream(text, path)
    try:
        top_level(stream)
    except InputError:
        text.close()
        raise

    def rows() -> Iterator[RawRow]:
        for index, obj in enumerate(iter_array(stream, key)):
            if isinstance(obj, dict):
                yield RawRow(index, obj, obj)
            else:
                yield RawRow(
                    index,
                    None,
                    obj,
                    None,
                    "bad_row",
                    f"element {index}: expected an object, got {type(obj).__name__}",
                )

    return RowStream(rows=rows(), columns=None, encoding=enc, _closers=[text.close])


def is_json_lines(path: Path, array_key: str) -> bool:
    """NDJSON or one JSON document? NDJSON when the first line is a whole object without `array_key`."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    text = sample.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if not text.startswith("{"):
        return False
    first = text.split("\n", 1)[0]
    try:
        obj = json.loads(first)
    except json.JSONDecodeError:
        return False  # a pretty-printed document spans lines
    # A one-line {"tickets": [...]} document is a document, not NDJSON.
    return not (isinstance(obj, dict) and isinstance(obj.get(array_key), list))


# -- Parquet / Excel -------------------------------------------------------------


def read_parquet(path: Path, *, batch_rows: int = 5000) -> RowStream:
    """Stream a Parquet file in record batches (pyarrow `iter_batches`)."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a non-parquet file
        raise InputError(
            f"{path}: not a readable Parquet file: {exc}; export it again as Parquet or CSV", code="E233"
        ) from None
    columns = list(pf.schema_arrow.names)

    def rows() -> Iterator[RawRow]:
        index = 0
        for batch in pf.iter_batches(batch_size=batch_rows):
            for obj in batch.to_pylist():
                yield RawRow(index, obj, obj)
                index += 1

    return RowStream(rows=rows(), columns=columns, arrow_schema=pf.schema_arrow, _closers=[pf.close])


def read_excel(path: Path, *, sheet: str | None = None) -> RowStream:
    """Stream the first (or named) sheet of an .xlsx with openpyxl in read-only mode.

    The first non-empty row is the header; fully empty rows are skipped.
    """
    import openpyxl

    check_workbook(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl errors for a non-xlsx file
        raise InputError(
            f"{path}: not a readable .xlsx workbook: {exc}; save it again from Excel as .xlsx, or export CSV",
            code="E234",
        ) from None
    if sheet and sheet not in wb.sheetnames:
        wb.close()
        raise InputError(
            f"{path}: no sheet {sheet!r}; "
            f"sheets: {', '.join(map(repr, wb.sheetnames))}. Set sources[].sheet to one of them",
            code="E232",
        )
    ws = wb[sheet] if sheet else wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header: list[str] = []
    for row in it:
        if any(v is not None and str(v).strip() for v in row):
            header = unique_names(
                [str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(row)]
            )
            break
    n = len(header)

    def rows() -> Iterator[RawRow]:
        index = 0
        for row in it:
            values = list(row)
            if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                continue
            extra = [v for v in values[n:] if v is not None]
            if extra:
                yield RawRow(
                    index,
                    None,
                    values,
                    None,
                    "bad_row",
                    f"sheet row {index + 2}: {len(extra)} value(s) beyond the {n} header columns",
                )
            else:
                values += [None] * (n - len(values))
                yield RawRow(index, dict(zip(header, values[:n], strict=True)), values)
            index += 1

    return RowStream(rows=rows(), columns=header, _closers=[wb.close])
