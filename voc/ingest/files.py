"""Streaming readers for export files: CSV, JSON lines, JSON documents, Parquet, Excel.

Each reader opens one file and returns a `RowStream`: the header (tabular
formats) and an iterator of `RawRow`s, one per data row, in file order. A
row that is broken at this level (wrong field count, bad JSON, undecodable
bytes, binary junk) comes out as a `RawRow` with a reason code instead of
data, so the connector quarantines it and carries on.

Encoding (text formats): `source.encoding` when set; else a BOM (utf-8-sig,
utf-16 LE/BE, which is what Google Play's reviews CSV uses), utf-16 without
BOM recognised by its NUL pattern, utf-8 when the first 64 KB decode, and
cp1252 (latin-1 for its five undefined bytes) otherwise. ASCII-compatible
encodings are decoded line by line, so a later line that is not valid in
the chosen encoding becomes one `bad_encoding` row rather than an exception.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from voc.errors import InputError

log = logging.getLogger(__name__)

SAMPLE_BYTES = 64 * 1024
# An unbalanced quote makes csv swallow the rest of the file into one field;
# past these limits we stop, quarantine the line that opened it, and re-read the rest.
MAX_RECORD_LINES = 2000
MAX_RECORD_BYTES = 8 * 1024 * 1024
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
    _closers: list[Callable[[], Any]] = field(default_factory=list)

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()

    def __enter__(self) -> RowStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- encoding ------------------------------------------------------------------


def detect_encoding(sample: bytes) -> str:
    """Pick an encoding from the first bytes of a file (see module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _is_ascii_compatible(encoding: str) -> bool:
    name = codecs.lookup(encoding).name
    return not name.startswith(("utf-16", "utf-32", "utf_16", "utf_32"))


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")


def _binary_bytes(line: bytes) -> bool:
    if b"\x00" in line:
        return True
    if len(line) < 8 or not _CONTROL_BYTES.search(line):
        return False
    return len(_CONTROL_BYTES.findall(line)) / len(line) > 0.3


def _binary_text(line: str) -> bool:
    if "\x00" in line:
        return True
    if len(line) < 8 or not _CONTROL_TEXT.search(line):
        return False
    return len(_CONTROL_TEXT.findall(line)) / len(line) > 0.3


@dataclass
class Line:
    number: int  # 1-based
    text: str
    problem: str | None = None  # "bad_encoding" | "binary_garbage"
    raw: bytes | None = None


class RecordTooLong(Exception):
    """The csv parser has consumed more lines than a sane record has."""


class LineSource:
    """Physical lines of a text file, decoded one at a time, with push-back.

    `take()` returns the lines consumed since the last `take()`: csv.reader
    pulls lines lazily, so between two records these are exactly the lines
    of one record, which gives line numbers and the raw text for quarantine.
    """

    def __init__(self, fh: IO[bytes], encoding: str, *, guard: bool = True) -> None:
        self.encoding = encoding
        self.guard = guard  # raise RecordTooLong past MAX_RECORD_LINES / MAX_RECORD_BYTES
        self.lineno = 0
        self.pending: deque[Line] = deque()
        self.consumed: list[Line] = []
        self._bytes = 0
        if _is_ascii_compatible(encoding):
            name = codecs.lookup(encoding).name
            if name == "utf-8-sig":
                self.encoding = "utf-8"
                if fh.read(3) != codecs.BOM_UTF8:
                    fh.seek(0)
            self._lines: Iterator[Line] = self._byte_lines(fh)
        else:
            text = io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")
            self._lines = self._text_lines(text)

    def _byte_lines(self, fh: IO[bytes]) -> Iterator[Line]:
        strict_fallback = codecs.lookup(self.encoding).name == "cp1252"
        for raw in fh:
            self.lineno += 1
            problem = None
            try:
                text = raw.decode(self.encoding)
            except UnicodeDecodeError:
                if strict_fallback:  # cp1252 leaves five bytes undefined; latin-1 has them all
                    text = raw.decode("latin-1")
                else:
                    text = raw.decode(self.encoding, errors="replace")
                    problem = "bad_encoding"
            if _binary_bytes(raw) or (problem and _binary_text(text)):
                problem = "binary_garbage"
            yield Line(self.lineno, text, problem, raw if problem else None)

    def _text_lines(self, fh: io.TextIOWrapper) -> Iterator[Line]:
        for text in fh:
            self.lineno += 1
            yield Line(self.lineno, text, "binary_garbage" if _binary_text(text) else None)

    def __iter__(self) -> LineSource:
        return self

    def __next__(self) -> str:
        line = self.pending.popleft() if self.pending else next(self._lines)
        self.consumed.append(line)
        self._bytes += len(line.text)
        if self.guard and (len(self.consumed) > MAX_RECORD_LINES or self._bytes > MAX_RECORD_BYTES):
            raise RecordTooLong
        return line.text

    def take(self) -> list[Line]:
        lines, self.consumed, self._bytes = self.consumed, [], 0
        return lines

    def push_back(self, lines: list[Line]) -> None:
        self.pending.extendleft(reversed(lines))


def _open_lines(path: Path, encoding: str | None, *, guard: bool = True) -> tuple[LineSource, IO[bytes]]:
    fh = path.open("rb")
    sample = fh.read(SAMPLE_BYTES)
    fh.seek(0)
    enc = encoding or detect_encoding(sample)
    try:
        codecs.lookup(enc)
    except LookupError:
        fh.close()
        raise InputError(
            f"{path}: unknown encoding {enc!r}; use a Python codec name such as utf-8 or cp1252", code="E202"
        ) from None
    log.debug("ingest: %s read as %s", path, enc)
    return LineSource(fh, enc, guard=guard), fh


def open_text(path: Path, encoding: str | None = None) -> IO[str]:
    """Open a text file for a quick look (e.g. its header) with the encoding `read_csv` would use."""
    with path.open("rb") as fh:
        sample = fh.read(SAMPLE_BYTES)
    return path.open(encoding=encoding or detect_encoding(sample), errors="replace", newline="")


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
    lines, fh = _open_lines(path, encoding)
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
            if any(ln.problem == "binary_garbage" for ln in lines.take()):
                fh.close()
                raise InputError(
                    f"{path}: the header holds binary data: this is not a text/CSV file "
                    "(a spreadsheet or archive renamed .csv?)",
                    code="E203",
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
                    f"record runs past {MAX_RECORD_LINES} lines or {MAX_RECORD_BYTES // 2**20} MB "
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
    lines, fh = _open_lines(path, encoding, guard=False)  # no quoting across lines: no runaway records
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


class _JsonStream:
    """Incremental reader of one JSON document's top-level array, element by element.

    The standard library has no streaming JSON parser (and ijson is not a
    dependency), but `JSONDecoder.raw_decode` parses one value at an offset:
    the buffer is refilled whenever a value runs past its end, so memory
    holds one element (plus a block), not the whole document.
    """

    BLOCK = 1 << 20
    MAX_ELEMENT = 64 * 1024 * 1024

    def __init__(self, fh: IO[str], path: Path) -> None:
        self.fh = fh
        self.path = path
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _fill(self, size: int) -> bool:
        if self.eof:
            return False
        block = self.fh.read(size)
        if not block:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + block
        self.pos = 0
        return True

    def peek(self) -> str:
        """The next non-whitespace character ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill(self.BLOCK):
                return ""

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise InputError(
                f"{self.path}: not valid JSON: expected {ch!r}, found {got or 'end of file'!r}", code="E204"
            )
        self.pos += 1

    def value(self) -> Any:
        self.peek()
        size = self.BLOCK
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # Incomplete or invalid: only the end of the file (or an absurd size) tells which.
                if len(self.buf) - self.pos > self.MAX_ELEMENT or not self._fill(size):
                    raise InputError(f"{self.path}: not valid JSON: {exc}", code="E204") from None
                size *= 2
                continue
            # A number that ends the buffer may continue in the next block.
            if end == len(self.buf) and isinstance(obj, int | float) and self._fill(size):
                continue
            self.pos = end
            return obj

    def elements(self) -> Iterator[Any]:
        """Elements of the array whose '[' was just consumed."""
        if self.peek() == "]":
            self.pos += 1
            return
        while True:
            yield self.value()
            nxt = self.peek()
            self.pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                raise InputError(
                    f"{self.path}: not valid JSON: expected ',' or ']' in the array, found {nxt or 'end of file'!r}",
                    code="E204",
                )


def _document_elements(stream: _JsonStream, key: str | None) -> Iterator[Any]:
    first = stream.peek()
    if first == "[":
        stream.pos += 1
        yield from stream.elements()
        return
    if first != "{":
        raise InputError(
            f"{stream.path}: expected a JSON array or object, found {first or 'an empty file'!r}", code="E204"
        )
    stream.pos += 1
    seen: list[str] = []
    while stream.peek() not in ("}", ""):
        name = stream.value()
        stream.expect(":")
        if name == key and stream.peek() == "[":
            stream.pos += 1
            yield from stream.elements()
            return
        seen.append(str(name))
        stream.value()  # another top-level value (count, next_page, ...): skip it
        if stream.peek() == ",":
            stream.pos += 1
    found = ", ".join(repr(k) for k in seen[:20])
    raise InputError(
        f"{stream.path}: expected a {key!r} array at the top level; keys found: {found}", code="E204"
    )


def read_json_document(path: Path, *, key: str | None = None, encoding: str | None = None) -> RowStream:
    """Stream a JSON document: a top-level array, or an object whose `key` holds the array.

    Elements are parsed one at a time (see `_JsonStream`), so the document
    can be larger than memory. A non-object element is one `bad_row`; a
    document that is not valid JSON stops with an `InputError` when the
    reader reaches the break (JSON cannot be resynchronised after one).
    """
    fh = path.open("rb")
    sample = fh.read(SAMPLE_BYTES)
    fh.seek(0)
    enc = encoding or detect_encoding(sample)
    text = io.TextIOWrapper(fh, encoding=enc, errors="replace")
    stream = _JsonStream(text, path)
    first = stream.peek()
    if first not in ("[", "{"):
        text.close()
        raise InputError(
            f"{path}: expected a JSON array or object, found {first or 'an empty file'!r}", code="E204"
        )

    def rows() -> Iterator[RawRow]:
        for index, obj in enumerate(_document_elements(stream, key)):
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
        raise InputError(f"{path}: not a readable Parquet file: {exc}", code="E205") from None
    columns = list(pf.schema_arrow.names)

    def rows() -> Iterator[RawRow]:
        index = 0
        for batch in pf.iter_batches(batch_size=batch_rows):
            for obj in batch.to_pylist():
                yield RawRow(index, obj, obj)
                index += 1

    return RowStream(rows=rows(), columns=columns, _closers=[pf.close])


def read_excel(path: Path, *, sheet: str | None = None) -> RowStream:
    """Stream the first (or named) sheet of an .xlsx with openpyxl in read-only mode.

    The first non-empty row is the header; fully empty rows are skipped.
    """
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/openpyxl errors for a non-xlsx file
        raise InputError(f"{path}: not a readable .xlsx workbook: {exc}", code="E205") from None
    if sheet and sheet not in wb.sheetnames:
        wb.close()
        raise InputError(
            f"{path}: no sheet {sheet!r}; sheets: {', '.join(map(repr, wb.sheetnames))}", code="E205"
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
