"""Streaming a JSON document's top-level array, one element at a time.

Zendesk's ticket API shape is `{"tickets": [...], "count": ..., ...}`; a
whole-document `json.load` needs several times the file size in memory.
The standard library has no streaming parser (and ijson is not a
dependency), but `JSONDecoder.raw_decode` parses one value at an offset, so
`iter_array` refills a buffer whenever an element runs past its end: memory
holds one element plus a block, not the document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from voc.errors import InputError


class JsonStream:
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

    def invalid(self, detail: str) -> InputError:
        """The error for JSON that does not parse at the read position (`detail` says what was found)."""
        return InputError(
            f"{self.path}: not valid JSON: {detail}; check the file is one JSON document", code="E219"
        )

    def expect(self, ch: str) -> None:
        got = self.peek()
        if got != ch:
            raise self.invalid(f"expected {ch!r}, found {got or 'end of file'!r}")
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
                    raise self.invalid(str(exc)) from None
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
                raise self.invalid(
                    f"expected ',' or ']' in the array, found {nxt or 'end of file'!r}",
                )


def top_level(stream: JsonStream) -> str:
    """'[' or '{', the first character of the document; anything else is not a JSON export."""
    first = stream.peek()
    if first not in ("[", "{"):
        raise InputError(
            f"{stream.path}: expected a JSON array or object, found {first or 'an empty file'!r}", code="E204"
        )
    return first


def iter_array(stream: JsonStream, key: str | None) -> Iterator[Any]:
    """Elements of the top-level array, or of the array under `key` of the top-level object."""
    first = top_level(stream)
    if first == "[":
        stream.pos += 1
        yield from stream.elements()
        return
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
        f"{stream.path}: expected a {key!r} array at the top level; keys found: {found}", code="E218"
    )
