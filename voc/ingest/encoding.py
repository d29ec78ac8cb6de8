"""Text decoding for export files: encoding detection and a line reader that never crashes.

Order of choice: `source.encoding` when set; else a BOM (utf-8-sig, utf-16
LE/BE - Google Play's reviews CSV is UTF-16 with a BOM); utf-16 without a
BOM, recognised by its NUL pattern; utf-8 when the first 64 KB decode; cp1252
otherwise (latin-1 for its five undefined bytes). The decision is made from
the first 64 KB so files stream. ASCII-compatible encodings are then decoded
one line at a time, so a later line that is not valid in the chosen
encoding is flagged `bad_encoding` (and a line of control bytes
`binary_garbage`) for the reader to quarantine, instead of an exception
that would end the run. UTF-16 is decoded with replacement characters.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from voc.errors import InputError

log = logging.getLogger(__name__)

SAMPLE_BYTES = 64 * 1024
# An unbalanced quote makes csv swallow the rest of the file into one field;
# past these limits the CSV reader stops, quarantines the line that opened it,
# and reads the rest again.
MAX_RECORD_LINES = 2000
MAX_RECORD_BYTES = 8 * 1024 * 1024


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


# A line is binary junk when more than this share of it is control bytes. One NUL
# or a stray control byte in a sentence is not junk: it is stripped and the row kept.
BINARY_RATIO = 0.3
# A CR not followed by LF ends a line too (old Mac exports, or one pasted row in a CRLF file).
_BARE_CR = re.compile(rb"(?<=\r)(?=[^\n])")


def binary_bytes(line: bytes) -> bool:
    if len(line) < 8 or not _CONTROL_BYTES.search(line):
        return False
    return len(_CONTROL_BYTES.findall(line)) / len(line) > BINARY_RATIO


def binary_text(line: str) -> bool:
    if len(line) < 8 or not _CONTROL_TEXT.search(line):
        return False
    return len(_CONTROL_TEXT.findall(line)) / len(line) > BINARY_RATIO


@dataclass
class Line:
    number: int  # 1-based
    text: str
    problem: str | None = None  # "bad_encoding" | "binary_garbage"
    raw: bytes | None = None
    nul: bool = False  # NUL bytes were stripped from this line


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

    def _physical(self, fh: IO[bytes]) -> Iterator[bytes]:
        """Lines ending in LF, CRLF or a bare CR, in one file; each keeps its line ending."""
        for raw in fh:
            cr = raw.find(b"\r")
            if cr == -1 or (cr == len(raw) - 2 and raw.endswith(b"\r\n")):
                yield raw
            else:
                yield from _BARE_CR.split(raw)

    def _byte_lines(self, fh: IO[bytes]) -> Iterator[Line]:
        strict_fallback = codecs.lookup(self.encoding).name == "cp1252"
        for raw in self._physical(fh):
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
            if binary_bytes(raw) or (problem and binary_text(text)):
                problem = "binary_garbage"
            nul = "\x00" in text
            if nul and problem is None:
                text = text.replace("\x00", "")  # csv and the store must never see NUL
            yield Line(self.lineno, text, problem, raw if problem else None, nul)

    def _text_lines(self, fh: io.TextIOWrapper) -> Iterator[Line]:
        for text in fh:
            self.lineno += 1
            problem = "binary_garbage" if binary_text(text) else None
            nul = "\x00" in text
            if nul and problem is None:
                text = text.replace("\x00", "")
            yield Line(self.lineno, text, problem, None, nul)

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


def open_lines(path: Path, encoding: str | None, *, guard: bool = True) -> tuple[LineSource, IO[bytes]]:
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
