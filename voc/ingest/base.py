"""What every connector yields: chunks of mapped records plus quarantined rows.

Connectors are the I/O edge. They stream (a chunk at a time, so a
1-million-row export never sits in memory whole), map each raw row to a
`FeedbackRecord`, and quarantine - never drop - rows they cannot map. Each
chunk carries the watermark that becomes true once it is committed; the
store commits rows and watermark in one transaction, which is what makes a
killed ingest resumable.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from voc.schema import FeedbackRecord, QuarantineRow


@dataclass
class Chunk:
    """A slice of one source. `read` counts raw rows: records + quarantined."""

    records: list[FeedbackRecord] = field(default_factory=list)
    quarantined: list[QuarantineRow] = field(default_factory=list)
    watermark: dict[str, str] = field(default_factory=dict)
    file: str | None = None

    @property
    def read(self) -> int:
        return len(self.records) + len(self.quarantined)


class Connector(Protocol):
    """A source of feedback. `watermarks` are this source's committed watermarks.

    `full=True` ignores them and reads everything again (`voc ingest --full`);
    re-read rows collapse onto their stable ids in the store.
    """

    def read(self, watermarks: dict[str, str], full: bool = False) -> Iterator[Chunk]: ...
