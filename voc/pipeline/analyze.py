"""`voc analyze PATH`: the one-file path for a user who just has an export.

Ingests the file into a throw-away (or named) store, runs every analysis
stage and writes items.csv, quarantine.csv and the stage outputs to `out_dir`.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from voc.config import ColumnMap, SourceConfig, VocConfig, default_config
from voc.errors import InputError, VocError
from voc.ingest.sniff import check_not_folder, check_text_file, check_workbook
from voc.pipeline.columns import guess_date, guess_id, guess_rating, guess_text, rating_scale_of, sample_rows
from voc.pipeline.exports import write_exports
from voc.pipeline.ingest import ingest_source
from voc.pipeline.lifeline import throwaway_dir
from voc.pipeline.stages import run_stages
from voc.rank.periods import Window, choose_window, period_bounds
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
    undated: bool = False  # declare that the file carries no dates, even if a column looks like one
    since: datetime | None = None  # narrow the window: items at or after this time
    until: datetime | None = None  # ... and before this one
    period: str | None = None  # narrow the window to one period: 2019, 2019-Q4, 2019-12, 2019-W05
    granularity: str = "auto"  # week | month | quarter | auto (from the span)
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
    window: Window | None = None


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
    undated = opts.undated
    rating_scale = opts.rating_scale
    if fmt in ("csv", "jsonl", "parquet", "excel"):
        delimiter = "\t" if path.suffix.lower() == ".tsv" else None
        rows = sample_rows(path, fmt, delimiter)
        header = list(dict.fromkeys(k for r in rows for k in r)) if rows else []
        named = {c for c in (opts.text_col, opts.date_col, opts.id_col, opts.rating_col) if c}
        missing = sorted(c for c in named if rows and c not in header)
        if missing:
            raise InputError(
                f"{path}: column(s) {missing} are not in the file; its columns are {header}", code="E225"
            )
        text_guess = guess_text(header, rows) if not opts.text_col else None
        text = opts.text_col or (text_guess.column if text_guess else None)
        if text is None:
            raise InputError(
                f"{path}: no column of text found among {header}; pass --text-col NAME", code="E216"
            )
        taken = {text}
        date = opts.date_col
        if opts.undated:
            if opts.date_col:
                raise InputError(
                    f"--no-dates and --date-col {opts.date_col!r} contradict each other; pass one of them",
                    code="E220",
                )
        elif date is None:
            g = guess_date(header, rows, taken)
            date = g.column if g else None
            if g is None:
                undated = True
                log.warning(
                    "analyze: %s has no date column among %s: analysing it as one undated period "
                    "(no trends); name the column with --date-col if there is one",
                    path.name, header,
                )  # fmt: skip
        taken |= {date} if date else set()
        rating = opts.rating_col
        if rating is None:
            found = guess_rating(header, rows, taken)
            if found is not None:
                rating = found[0].column
                rating_scale = rating_scale or found[1]
        elif rating_scale is None:
            rating_scale = rating_scale_of([r.get(rating) for r in rows if r.get(rating) not in (None, "")])
        taken |= {rating} if rating else set()
        id_col = opts.id_col or (g.column if (g := guess_id(header, rows, taken)) else None)
        log.info(
            "analyze: columns: text %r%s, date %s, rating %s, id %s",
            text, " (chosen by its content)" if text_guess and text_guess.by == "content" else "",
            repr(date) if date else "none (undated)",
            f"{rating!r} ({rating_scale.value if rating_scale else 'no scale'})" if rating else "none",
            repr(id_col) if id_col else "none (content hash)",
        )  # fmt: skip
        columns = ColumnMap(text=text, created_at=date, id=id_col, rating=rating if rating_scale else None)
    elif opts.undated:
        raise InputError(
            f"--no-dates applies to generic files (csv, jsonl, parquet, excel), not the {fmt!r} export, "
            "which always carries a date",
            code="E221",
        )
    return SourceConfig(
        name=opts.source_name,
        format=fmt,  # type: ignore[arg-type]
        path=str(path.resolve()),
        kind=opts.kind,
        columns=columns,
        rating_scale=rating_scale
        if columns.rating or fmt not in ("csv", "jsonl", "parquet", "excel")
        else None,
        delimiter="\t" if path.suffix.lower() == ".tsv" else None,
        undated=undated,
        date_order=opts.date_order,  # type: ignore[arg-type]
        timezone=opts.timezone,
    )


def _nothing_stored(store: DuckDBStore, path: Path) -> str:
    """Why every row of a file was set aside, in one line: the reasons, an example each, the fixes."""
    reasons = store.query(
        "SELECT reason, count(*) AS n, min(detail) AS example FROM quarantine GROUP BY reason ORDER BY n DESC"
    )
    parts = [f"{r.reason} x{r.n} (e.g. {str(r.example)[:120]})" for r in reasons.itertuples()]
    return (
        f"no row of {path.name} could be used: {'; '.join(parts) or 'no rows'}. Name the columns with "
        "--text-col / --date-col, declare a file without dates with --no-dates, or see quarantine.csv"
    )


def parse_when(value: str | None, option: str) -> datetime | None:
    """A `--since` / `--until` value as an aware UTC time; a clear error naming the option."""
    if value is None or not value.strip():
        return None
    import pandas as pd

    try:
        ts = pd.Timestamp(value.strip())
    except (ValueError, TypeError):
        raise InputError(
            f"{option} {value!r} is not a date; write it as YYYY-MM-DD or an ISO time", code="E223"
        ) from None
    if pd.isna(ts):
        raise InputError(f"{option} {value!r} is not a date; write it as YYYY-MM-DD", code="E242")
    return (ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")).to_pydatetime()


def analysis_window(store: DuckDBStore, config: VocConfig, opts: AnalyzeOptions) -> Window:
    """The window the one-file report and backlog speak about: the whole file unless narrowed."""
    since, until, granularity = opts.since, opts.until, opts.granularity
    if opts.period:
        p_since, p_until, inner = period_bounds(opts.period)
        since, until = max(filter(None, [since, p_since])), min(filter(None, [until, p_until]))
        if granularity == "auto":
            granularity = inner
    if granularity not in ("auto", "week", "month", "quarter"):
        raise InputError(
            f"--granularity {granularity!r} is not one of auto, week, month, quarter", code="E222"
        )
    ts = store.query("SELECT created_at FROM items")["created_at"]
    return choose_window(
        ts,
        granularity=granularity,  # type: ignore[arg-type]
        since=since,
        until=until,
        baseline_periods=config.ranking.baseline_periods,
        min_focus_items=config.ranking.min_focus_items,
    )


def _analyze_into(
    path: Path, source: SourceConfig, base: VocConfig, opts: AnalyzeOptions, store_path: Path, out_dir: Path,
    progress: bool,
) -> AnalyzeResult:  # fmt: skip
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
        if result.counts["read"] and not store.count_items():
            raise InputError(_nothing_stored(store, path), code="E226")
        result.window = analysis_window(store, cfg, opts)
        w = result.window
        log.info(
            "analyze: window %s (%s, by %s; focus %s), %s of %s items inside",
            w.label, "undated" if w.undated else f"{len(w.periods)} periods", w.unit, w.focus or "none",
            f"{w.items_in_window:,}", f"{w.items_total:,}",
        )  # fmt: skip
        result.stages = run_stages(store, cfg, out_dir, progress=progress, window=result.window)
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
        raise InputError(f"input file {path} does not exist; check the path", code="E230")
    source = file_source(path, opts)
    base = config or default_config()
    with ExitStack() as stack:
        if store_path is None:
            # Removed when this call ends, and by a reaper process if this one is killed.
            store_path = stack.enter_context(throwaway_dir("voc-analyze-")) / "voc.duckdb"
        result = _analyze_into(path, source, base, opts, Path(store_path), Path(out_dir), progress)
    result.seconds = time.perf_counter() - started
    log.info("analyze: %s -> %s in %.1f s", path, out_dir, result.seconds)
    return result
