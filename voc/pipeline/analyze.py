"""`voc analyze PATH`: the one-file path for a user who just has an export.

Ingests the file into a throw-away (or named) store, runs every analysis
stage and writes items.csv, quarantine.csv and the stage outputs to `out_dir`.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from voc.config import ColumnMap, SourceConfig, VocConfig, default_config
from voc.errors import InputError, VocError
from voc.ingest.sniff import check_not_folder, check_text_file, check_workbook
from voc.pipeline.exports import write_exports
from voc.pipeline.ingest import ingest_source
from voc.pipeline.lifeline import throwaway_dir
from voc.pipeline.stages import run_stages
from voc.schema import Kind, RatingScale
from voc.store import DuckDBStore

log = logging.getLogger(__name__)

_SUFFIX_FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".xlsx": "excel",
    ".xlsm": "excel",
}

# Column names commonly used for each field, tried in order when not given.
_GUESSES: dict[str, tuple[str, ...]] = {
    "text": (
        "text",
        "review",
        "review_text",
        "comment",
        "comments",
        "body",
        "description",
        "content",
        "message",
        "feedback",
        "verbatim",
        "response",
        "answer",
    ),
    "created_at": (
        "created_at",
        "date",
        "created",
        "timestamp",
        "time",
        "submitted_at",
        "submitted",
        "review_date",
        "tweet_created",
        "datetime",
    ),
    "id": ("id", "review_id", "ticket_id", "response_id", "tweet_id", "uuid"),
    "rating": ("rating", "stars", "score", "star_rating", "nps", "csat"),
}


@dataclass
class AnalyzeOptions:
    """Options of `voc analyze` (column names of the input file and how to read it)."""

    text_col: str | None = None
    id_col: str | None = None
    date_col: str | None = None
    rating_col: str | None = None
    rating_scale: RatingScale | None = None
    kind: Kind = Kind.review
    format: str | None = None
    source_name: str = "file"
    date_order: str = "auto"  # numeric dates: auto (per column), dmy or mdy
    timezone: str | None = None  # zone of times written without one


@dataclass
class AnalyzeResult:
    """What `analyze_file` wrote and counted."""

    out_dir: Path
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    stages: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0


def _header(path: Path, fmt: str) -> list[str]:
    if fmt == "csv":
        import csv

        from voc.ingest.files import open_text  # encoding detection (BOM, utf-8, latin-1)

        with open_text(path) as fh:
            delim = "\t" if path.suffix == ".tsv" else ","
            return next(csv.reader(fh, delimiter=delim), [])
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.read_schema(path).names)
    if fmt == "jsonl":
        import json

        with path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.strip():
                    try:
                        return list(json.loads(line).keys())
                    except Exception:
                        return []
        return []
    if fmt == "excel":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        row = next(wb.active.iter_rows(max_row=1, values_only=True), ())
        return [str(c) for c in row if c is not None]
    return []


def _guess(field_name: str, header: list[str]) -> str | None:
    lower = {h.lower().strip(): h for h in header}
    for cand in _GUESSES[field_name]:
        if cand in lower:
            return lower[cand]
    return None


def check_readable(path: Path, fmt: str) -> None:
    """Stop early, with the file name and the fix, on a folder, a binary file or a renamed workbook."""
    check_not_folder(path)
    if fmt == "excel":
        check_workbook(path)
    elif fmt != "parquet":
        check_text_file(path)


def file_source(path: Path, opts: AnalyzeOptions) -> SourceConfig:
    """A SourceConfig for one file, guessing columns the user did not name."""
    fmt = opts.format or _SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"cannot tell the format of {path} from its suffix {path.suffix!r}; pass --format "
            f"(one of csv, jsonl, parquet, excel, or a named export format)",
            code="E201",
        )
    check_readable(path, fmt)
    columns = ColumnMap()
    if fmt in ("csv", "jsonl", "parquet", "excel"):
        header = _header(path, fmt)
        text = opts.text_col or _guess("text", header)
        date = opts.date_col or _guess("created_at", header)
        if text is None:
            raise InputError(
                f"{path}: no text column found among {header}; pass --text-col NAME", code="E202"
            )
        if date is None:
            raise InputError(
                f"{path}: no date column found among {header}; pass --date-col NAME", code="E203"
            )
        rating = opts.rating_col or (_guess("rating", header) if opts.rating_scale else None)
        columns = ColumnMap(text=text, created_at=date, id=opts.id_col or _guess("id", header), rating=rating)
    return SourceConfig(
        name=opts.source_name,
        format=fmt,  # type: ignore[arg-type]
        path=str(path.resolve()),
        kind=opts.kind,
        columns=columns,
        rating_scale=opts.rating_scale
        if columns.rating or fmt not in ("csv", "jsonl", "parquet", "excel")
        else None,
        delimiter="\t" if path.suffix.lower() == ".tsv" else None,
        date_order=opts.date_order,  # type: ignore[arg-type]
        timezone=opts.timezone,
    )


def _analyze_into(
    path: Path, source: SourceConfig, base: VocConfig, store_path: Path, out_dir: Path, progress: bool
) -> AnalyzeResult:
    cfg = base.model_copy(update={"sources": [source]})
    cfg.store = cfg.store.model_copy(update={"path": str(store_path.resolve())})
    out_dir.mkdir(parents=True, exist_ok=True)
    result = AnalyzeResult(out_dir=out_dir)
    store = DuckDBStore(cfg.store.path, lock_timeout_s=cfg.store.lock_timeout_s)
    try:
        src = ingest_source(store, cfg, source, full=True, progress=progress)
        if src.status != "ok":
            if isinstance(src.exception, VocError):
                raise src.exception  # already names the file, the cause and the fix
            raise InputError(f"ingest of {path} failed: {src.error}", code="E205")
        result.counts = src.counts.as_dict()
        result.stages = run_stages(store, cfg, out_dir, progress=progress)
        result.files = write_exports(store, out_dir)
        result.counts["items_csv_rows"] = store.count_items()
    finally:
        store.close()
    return result


def analyze_file(
    path: Path,
    out_dir: Path,
    opts: AnalyzeOptions | None = None,
    *,
    config: VocConfig | None = None,
    store_path: Path | None = None,
    progress: bool = True,
) -> AnalyzeResult:
    """Ingest one file and run every stage on it; write the outputs to `out_dir`."""
    started = time.perf_counter()
    opts = opts or AnalyzeOptions()
    path = Path(path)
    check_not_folder(path)
    if not path.exists():
        raise InputError(f"input file {path} does not exist", code="E204")
    source = file_source(path, opts)
    base = config or default_config()
    with ExitStack() as stack:
        if store_path is None:
            # Removed when this call ends, and by a reaper process if this one is killed.
            store_path = stack.enter_context(throwaway_dir("voc-analyze-")) / "voc.duckdb"
        result = _analyze_into(path, source, base, Path(store_path), Path(out_dir), progress)
    result.seconds = time.perf_counter() - started
    log.info("analyze: %s -> %s in %.1f s", path, out_dir, result.seconds)
    return result
