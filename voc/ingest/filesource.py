"""The file connector: files or a glob, read in chunks, resumable by watermark.

A `FileFormat` says how to open one file (a reader from `files.py`) and how
its rows map (a bound `Profile`). `FileConnector.read` then does what is
the same for every file format:

- resolves `source.path` (a glob reads its files in sorted order);
- checks every header before the first chunk, so a missing required
  column stops the run with nothing half-ingested;
- yields chunks of `source.chunk_rows` raw rows, each carrying the
  watermark `file:<resolved path>` = `{"sha1", "rows_done", "complete"}`;
- skips a file whose bytes match a complete watermark, resumes one that
  matches an incomplete watermark after `rows_done` rows, and reads a
  changed file from the start (`full=True` re-reads everything).
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from voc.config import SourceConfig, VocConfig
from voc.errors import InputError
from voc.ingest.base import Chunk
from voc.ingest.dates import DateReader
from voc.ingest.files import RawRow, RowStream
from voc.ingest.mapping import Profile, RowProblem, quarantine
from voc.ingest.sniff import check_not_folder

log = logging.getLogger(__name__)

_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class FileFormat:
    """One export format: how to open a file and how to map its rows."""

    name: str
    open: Callable[[Path, SourceConfig], RowStream]
    # Builds the bound profile from the opened stream; raises InputError on a bad header.
    profile: Callable[[RowStream, SourceConfig, str], Profile]
    has_header: bool = True
    # The format's own order for numeric dates (SurveyMonkey: "mdy"), used when a column does not show one.
    date_order: str | None = None


@dataclass
class FilePlan:
    shown: str  # the path as given (input_file)
    path: Path
    key: str
    sha1: str
    start: int


@dataclass
class FileWatermark:
    """Progress through one file, stored as JSON under `file:<resolved path>`."""

    sha1: str
    rows_done: int = 0
    complete: bool = False

    def dumps(self) -> str:
        return json.dumps({"sha1": self.sha1, "rows_done": self.rows_done, "complete": self.complete})

    @classmethod
    def loads(cls, value: str | None) -> FileWatermark | None:
        if not value:
            return None
        try:
            d = json.loads(value)
            return cls(
                sha1=str(d["sha1"]), rows_done=int(d.get("rows_done", 0)), complete=bool(d.get("complete"))
            )
        except (ValueError, KeyError, TypeError):
            log.warning("ingest: ignoring unreadable file watermark %r", value)
            return None


def file_sha1(path: Path) -> str:
    """sha1 of the file's bytes, read in blocks."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha1").hexdigest()


def watermark_key(path: Path) -> str:
    return f"file:{path.resolve()}"


@dataclass
class FileConnector:
    """Reads one configured file source. Set `full = True` to re-read complete files."""

    source: SourceConfig
    config: VocConfig
    fmt: FileFormat
    full: bool = False
    skipped: list[str] = field(default_factory=list)

    def files(self) -> list[tuple[str, Path]]:
        """(path as given, path on disk) for every file the source names, sorted."""
        if not self.source.path:
            raise InputError(
                f"source {self.source.name!r} ({self.source.format}) has no path; set sources[].path",
                code="E235",
            )
        given = self.source.path
        if not _GLOB_CHARS & set(given):
            path = self.config.resolve(given)
            check_not_folder(path, f"source {self.source.name!r}: {path}")
            if not path.is_file():
                raise InputError(f"source {self.source.name!r}: file {path} does not exist", code="E206")
            return [(given, path)]
        pattern_abs = Path(given).is_absolute()
        if pattern_abs:
            matches = sorted(glob.glob(given, recursive=True))
            out = [(m, Path(m)) for m in matches]
        else:
            root = self.config.resolve(".")
            matches = sorted(glob.glob(given, root_dir=root, recursive=True))
            out = [(m, root / m) for m in matches]
        out = [(shown, p) for shown, p in out if p.is_file()]
        if not out:
            raise InputError(
                f"source {self.source.name!r}: no files match {given!r} (under {self.config.resolve('.')}); "
                "check sources[].path",
                code="E236",
            )
        return out

    def plan(self, watermarks: dict[str, str], full: bool) -> list[FilePlan]:
        plans: list[FilePlan] = []
        self.skipped = []
        for shown, path in self.files():
            key = watermark_key(path)
            sha = file_sha1(path)
            wm = FileWatermark.loads(watermarks.get(key))
            start = 0
            if wm is not None and wm.sha1 == sha and not full:
                if wm.complete:
                    log.info(
                        "ingest: %s: skip %s (unchanged since its complete read, %d rows)",
                        self.source.name,
                        shown,
                        wm.rows_done,
                    )
                    self.skipped.append(shown)
                    continue
                start = wm.rows_done
                log.info("ingest: %s: resume %s after %d rows", self.source.name, shown, start)
            elif wm is not None and wm.sha1 != sha:
                log.info(
                    "ingest: %s: %s changed since it was last read; reading it from the start",
                    self.source.name,
                    shown,
                )
            plans.append(FilePlan(shown, path, key, sha, start))
        return plans

    def read(self, watermarks: dict[str, str], full: bool = False) -> Iterator[Chunk]:
        """Chunks of this source's files; see the module docstring for the watermark rules."""
        plans = self.plan(watermarks, full or self.full)
        if self.fmt.has_header:
            for p in plans:  # every header first: fail before anything is committed
                with self.fmt.open(p.path, self.source) as stream:
                    self.fmt.profile(stream, self.source, p.shown)
        for p in plans:
            yield from self._read_file(p)

    def _read_file(self, plan: FilePlan) -> Iterator[Chunk]:
        t0 = time.perf_counter()
        size = max(1, self.source.chunk_rows)
        n_read = n_quarantined = 0
        done = plan.start
        yielded = False
        with self.fmt.open(plan.path, self.source) as stream:
            profile = self.fmt.profile(stream, self.source, plan.shown)
            profile.dates = file_date_reader(self.fmt, self.source, plan, profile)
            rows = stream.rows
            for _ in range(plan.start):
                if next(rows, None) is None:
                    break
            chunk = Chunk(file=plan.shown)
            current = next(rows, None)
            while current is not None:
                self._add(chunk, current, profile, plan.shown)
                done += 1
                following = next(rows, None)
                if chunk.read >= size or following is None:
                    chunk.watermark = {plan.key: FileWatermark(plan.sha1, done, following is None).dumps()}
                    n_read += chunk.read
                    n_quarantined += len(chunk.quarantined)
                    yielded = True
                    yield chunk
                    chunk = Chunk(file=plan.shown)
                current = following
        if not yielded:  # empty file, or nothing after the resume point: still mark it complete
            yield Chunk(file=plan.shown, watermark={plan.key: FileWatermark(plan.sha1, done, True).dumps()})
        log.info(
            "ingest: %s: read %s: %d rows (%d quarantined) in %.1f s",
            self.source.name,
            plan.shown,
            n_read,
            n_quarantined,
            time.perf_counter() - t0,
        )

    def _add(self, chunk: Chunk, row: RawRow, profile: Profile, shown: str) -> None:
        name = self.source.name
        if row.reason is not None or row.data is None:
            chunk.quarantined.append(
                quarantine(
                    name, row.reason or "bad_row", row.detail, row.raw, input_file=shown, input_row=row.index
                )
            )
            return
        try:
            chunk.records.append(profile.map(row.data, input_file=shown, input_row=row.index))
        except RowProblem as problem:
            where = f"line {row.line}: " if row.line else ""
            chunk.quarantined.append(
                quarantine(
                    name,
                    problem.reason,
                    where + problem.detail,
                    row.data,
                    input_file=shown,
                    input_row=row.index,
                )
            )


def file_date_reader(fmt: FileFormat, source: SourceConfig, plan: FilePlan, profile: Profile) -> DateReader:
    """The date reader of one file: its columns' order is decided from the whole file, when needed."""

    def scan(name: str) -> Iterator[object]:
        # A second pass over the file, reading one field; only runs when a date reads both ways.
        with fmt.open(plan.path, source) as stream:
            for row in stream.rows:
                if row.data is not None:
                    yield profile._get(row.data, name)

    columns = {name: "/".join(profile.fields.get(name, [])) for name in ("created_at", "updated_at")}
    return DateReader(
        date_format=source.date_format,
        order=source.date_order,
        default_order=fmt.date_order,
        timezone=source.timezone,
        scan=scan,
        where=plan.shown,
        columns={k: v for k, v in columns.items() if v},
    )
