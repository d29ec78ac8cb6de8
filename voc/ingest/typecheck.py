"""Typed files (Parquet) checked against the record schema before any row is read.

A Parquet column carries one type for all its rows, so a wrong type is a
mapping mistake, not a bad row: a float `created_at` (2.5 would become
1970-01-01T00:00:02.5) or an integer `text` (stored as "202") stops the
file with a message naming the column, its type and the fix.
"""

from __future__ import annotations

from typing import Any

from voc.errors import InputError

# What each record field can be read from; "text" covers strings and dictionary-encoded strings.
_ALLOWED: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "title": ("text",),
    "created_at": ("text", "timestamp", "date", "integer"),
    "updated_at": ("text", "timestamp", "date", "integer"),
    "rating": ("text", "integer", "float"),
    "revenue": ("text", "integer", "float"),
}
_DEFAULT = ("text", "integer")  # ids, customer ids, segment, product, channel, url, language
_WORDS = {
    "text": "strings",
    "timestamp": "timestamps",
    "date": "dates",
    "integer": "integers (dates: Unix time)",
    "float": "floats",
}


def arrow_kind(dtype: Any) -> str:
    """The category of a pyarrow type: text, timestamp, date, integer, float, null or other."""
    import pyarrow as pa

    t = pa.types
    if t.is_dictionary(dtype):
        return arrow_kind(dtype.value_type)
    if t.is_null(dtype):
        return "null"
    if t.is_string(dtype) or t.is_large_string(dtype) or getattr(t, "is_string_view", lambda _: False)(dtype):
        return "text"
    if t.is_timestamp(dtype):
        return "timestamp"
    if t.is_date(dtype):
        return "date"
    if t.is_integer(dtype):
        return "integer"
    if t.is_floating(dtype) or t.is_decimal(dtype):
        return "float"
    return "other"


def check_column_types(fields: dict[str, list[str]], schema: Any, path: str) -> None:
    """Raise `InputError` (E213) when a mapped column's type cannot feed its record field."""
    types = {name: schema.field(name).type for name in schema.names}
    for name, columns in fields.items():
        allowed = _ALLOWED.get(name, _DEFAULT)
        for col in columns:
            if col not in types:
                continue
            kind = arrow_kind(types[col])
            if kind == "null" or kind in allowed:  # an all-empty column has no type to check
                continue
            wanted = ", ".join(_WORDS[k] for k in allowed)
            raise InputError(
                f"{path}: column {col!r} (for {name}) is {types[col]} in the Parquet schema, but {name} "
                f"is read from {wanted}. Set sources[].columns.{name} to a column of that type, "
                "or convert the column when the file is written",
                code="E213",
            )
