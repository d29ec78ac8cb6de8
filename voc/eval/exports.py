"""`voc eval exports`: does `voc analyze` speak about the whole of real export shapes?

Shapes are built from the public datasets in ../shared/data (never copied into
the repository): a dateless export, a multi-year export, a single-week file, a
file whose last week is nearly empty, and real exports as published. Each is
run through `voc.pipeline.analyze.analyze_file` and scored on what a new user
would notice: did it run, which window and granularity it chose, how much of
the file the backlog speaks about, and whether the top backlog entries hold
items (a backlog of empty "resolved" entries is what a sparse last week used
to produce).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from voc.errors import VocError

log = logging.getLogger(__name__)

# The earliest Twitter snowflake epoch: tweet ids carry their posting time since late 2010.
_TWITTER_EPOCH_MS = 1288834974657


@dataclass(frozen=True)
class Shape:
    """One export shape: how to build its file from the shared data and what it stands for."""

    name: str
    what: str
    build: Callable[[Path, Path, int | None, int], Path]
    multi_period: bool = True


@dataclass
class ShapeResult:
    """What `voc analyze` did with one shape."""

    name: str
    what: str
    rows: int = 0
    exit_status: int = 0
    error: str | None = None
    granularity: str | None = None
    window: str | None = None
    focus: str | None = None
    periods: int = 0
    partial: list[str] = field(default_factory=list)
    stored: int = 0
    in_window: int = 0
    top10: int = 0
    top10_with_items: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    multi_period: bool = True
    seconds: float = 0.0
    out_dir: Path | None = None

    @property
    def share_in_window(self) -> float | None:
        return self.in_window / self.stored if self.stored else None

    @property
    def meets_target(self) -> bool:
        """Analysed; a multi-period window holds >= 90% of the items; no top-10 entry without items."""
        if self.exit_status != 0:
            return False
        share_ok = not self.multi_period or (self.share_in_window or 0) >= 0.9
        return share_ok and self.top10_with_items == self.top10


def _sample(df: pd.DataFrame, rows: int | None, seed: int) -> pd.DataFrame:
    if rows is None or rows >= len(df):
        return df
    return df.sample(n=rows, random_state=seed).sort_index()


def _uber(data: Path) -> pd.DataFrame:
    u = pd.read_csv(data / "uber_app_reviews" / "uber_reviews_without_reviewid.csv")
    u = u[["content", "score", "at"]].rename(columns={"content": "review", "score": "rating", "at": "date"})
    u["_t"] = pd.to_datetime(u["date"])
    return u


def _dateless(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    df = pd.read_csv(data / "tripadvisor_hotel_reviews_2k" / "tripadvisor_hotel_reviews.csv")
    path = out / "hotels_dateless.csv"
    _sample(df, rows, seed).to_csv(path, index=False)
    return path


def _multi_year(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    # The file has no dates; the tweet ids do (Twitter snowflakes): real posting times, 2011-2018.
    d = pd.read_csv(
        data / "complaints_twitter" / "complaints-data.csv",
        header=None,
        names=["tweet_id", "text", "complaint", "domain"],
        dtype={"tweet_id": str},
    )
    d = d[~d["domain"].str.startswith("random")].copy()
    ms = (d["tweet_id"].astype("int64").to_numpy() >> 22) + _TWITTER_EPOCH_MS
    d["created_at"] = pd.to_datetime(ms, unit="ms", utc=True).strftime("%Y-%m-%dT%H:%M:%SZ")
    path = out / "complaints_2011_2018.csv"
    _sample(d[["tweet_id", "text", "created_at"]], rows, seed).to_csv(path, index=False)
    return path


def _single_week(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    u = _uber(data)
    iso = u["_t"].dt.isocalendar()
    week = u[(iso["year"] == 2024) & (iso["week"] == 49)]
    path = out / "uber_one_week.csv"
    _sample(week.drop(columns="_t"), rows, seed).to_csv(path, index=False)
    return path


def _sparse_last_week(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    # Every review up to the end of 2024-W50, then two from the week after: a last week nearly empty.
    u = _uber(data)
    cut = pd.Timestamp("2024-12-16")
    body = _sample(u[u["_t"] < cut], rows, seed)
    tail = u[u["_t"] >= cut].sort_values("_t").head(2)
    path = out / "uber_sparse_last_week.csv"
    pd.concat([body, tail]).drop(columns="_t").to_csv(path, index=False)
    return path


def _uber_as_published(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    u = _uber(data)
    path = out / "uber_as_published.csv"
    _sample(u.drop(columns="_t"), rows, seed).to_csv(path, index=False)
    return path


def _amazon(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    a = pd.read_csv(data / "amazon_alexa_reviews" / "amazon_alexa.tsv", sep="\t")
    a = a[a["verified_reviews"].fillna("").str.strip() != ""]
    path = out / "amazon_alexa.tsv"
    _sample(a, rows, seed).to_csv(path, sep="\t", index=False)
    return path


def _nhs(data: Path, out: Path, rows: int | None, seed: int) -> Path:
    n = pd.read_csv(data / "nhs_fft_patient_feedback" / "v6framework_230831.csv")
    n = n[["Comment ID", "Date", "FFT answer"]].rename(
        columns={"Comment ID": "id", "Date": "date", "FFT answer": "comment"}
    )
    n = n[n["comment"].fillna("").str.strip().ne("") & n["comment"].ne("Did not answer")]
    path = out / "nhs_fft.csv"
    _sample(n, rows, seed).to_csv(path, index=False)
    return path


SHAPES: tuple[Shape, ...] = (
    Shape("dateless", "hotel reviews, no date column (tripadvisor)", _dateless, multi_period=False),
    Shape("multi_year", "complaint tweets 2011-2018, dates from the tweet ids", _multi_year),
    Shape("single_week", "app reviews of one ISO week (uber, 2024-W49)", _single_week, multi_period=False),
    Shape("sparse_last_week", "app reviews to 2024-W50 plus 2 in the week after (uber)", _sparse_last_week),
    Shape("uber", "app reviews as published, 3.5 weeks (uber)", _uber_as_published),
    Shape("amazon", "device reviews as published, May-Jul 2018 (amazon alexa)", _amazon),
    Shape("nhs", "survey comments 2021-2022, mixed date formats (NHS FFT)", _nhs),
)


def run_shape(shape: Shape, data: Path, work: Path, rows: int | None, seed: int) -> ShapeResult:
    """Build one shape's file and run `analyze_file` on it; errors become a non-zero exit status."""
    from voc.pipeline.analyze import AnalyzeOptions, analyze_file

    res = ShapeResult(name=shape.name, what=shape.what, multi_period=shape.multi_period)
    started = time.perf_counter()
    folder = work / shape.name
    folder.mkdir(parents=True, exist_ok=True)
    path = shape.build(data, folder, rows, seed)
    res.rows = len(pd.read_csv(path, sep="\t" if path.suffix == ".tsv" else ","))
    res.out_dir = folder / "out"
    try:
        result = analyze_file(path, res.out_dir, AnalyzeOptions(), progress=False)
    except VocError as exc:
        res.exit_status, res.error = 1, str(exc)
        res.seconds = time.perf_counter() - started
        return res
    w = result.window
    res.stored = result.counts.get("stored", 0)
    if w is not None:
        res.granularity = "undated" if w.undated else w.granularity
        res.window, res.focus, res.periods = w.label, w.focus, len(w.periods)
        res.partial = list(w.partial)
        res.in_window = w.items_in_window
    backlog = pd.read_csv(res.out_dir / "backlog.csv") if (res.out_dir / "backlog.csv").exists() else None
    if backlog is not None and len(backlog):
        top = backlog.sort_values("rank").head(10)
        res.top10 = len(top)
        res.top10_with_items = int((top["volume"] > 0).sum())
        res.statuses = {str(k): int(v) for k, v in backlog["status"].value_counts().items()}
    res.seconds = time.perf_counter() - started
    return res


def evaluate_exports(
    data: Path,
    *,
    rows: int | None = 2000,
    seed: int = 0,
    names: list[str] | None = None,
    work: Path | None = None,
) -> list[ShapeResult]:
    """Run every shape (or those in `names`); outputs go under `work` (a temporary folder by default)."""
    shapes = [s for s in SHAPES if names is None or s.name in names]
    unknown = set(names or []) - {s.name for s in SHAPES}
    if unknown:
        from voc.errors import InputError

        raise InputError(
            f"unknown export shape(s) {sorted(unknown)}; choose from {[s.name for s in SHAPES]}", code="E224"
        )
    tmp = None
    if work is None:
        tmp = tempfile.TemporaryDirectory(prefix="voc-eval-exports-")
        work = Path(tmp.name)
    try:
        out = []
        for s in shapes:
            log.info("eval exports: %s (%s)", s.name, s.what)
            out.append(run_shape(s, data, work, rows, seed))
        return out
    finally:
        if tmp is not None:
            tmp.cleanup()


def summary_line(results: list[ShapeResult]) -> str:
    """'7 of 7 shapes analysed; 7 meet the target' with the mean share in window of multi-period shapes."""
    ok = sum(r.exit_status == 0 for r in results)
    met = sum(r.meets_target for r in results)
    shares = [r.share_in_window for r in results if r.multi_period and r.share_in_window is not None]
    mean = (
        f"; multi-period shapes hold {np.mean(shares):.1%} of their items in the window (mean)"
        if shares
        else ""
    )
    return f"{ok} of {len(results)} shapes analysed; {met} meet the target{mean}"
