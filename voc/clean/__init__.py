"""Text cleaning before storage (pure functions, no I/O).

`clean_records` runs every record through: unicode repair, HTML to text,
quoted-reply and signature removal, whitespace normalisation, language
detection, PII redaction and truncation; records that are empty or binary
garbage afterwards become quarantine rows. `redact` is the PII step on its
own, for any later stage that writes customer text out.
"""

from voc.clean.language import detect_language
from voc.clean.pii import redact
from voc.clean.pipeline import CleanStats, clean_record, clean_records, truncate

__all__ = ["CleanStats", "clean_record", "clean_records", "detect_language", "redact", "truncate"]
