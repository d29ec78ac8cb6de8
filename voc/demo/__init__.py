"""Demo data: a fictional company's feedback in real export formats.

Northwind sells smart-home/IoT hubs and sensors to consumers and businesses
(an app, a web dashboard, devices shipped to customers, monthly
subscriptions). `generate_demo` writes 14 weeks of its support tickets
(Zendesk NDJSON), app reviews (App Store CSV, Google Play UTF-16 CSV) and
survey answers (Qualtrics NPS with three header rows, Typeform CSAT), with
about 15 recurring themes, one theme emerging in the last two weeks, PII to
redact, duplicates and bad rows to count. Same seed, same bytes.

Ground truth stays out of the exports: `_truth.csv` maps each item
(export file + key: Zendesk `id`, App Store `Review ID`, the `reviewId` in a
Google Play `Review Link`, Qualtrics `ResponseId`, Typeform `#`) to its
planted themes, and `_manifest.json` lists the planted rows.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from voc.demo.rows import DemoData, Planted, build_demo_data
from voc.demo.themes import ALL_THEMES, EMERGING, FILE_KIND, FILES
from voc.demo.writers import MANIFEST_FILE, TRUTH_FILE, file_bytes, json_bytes, truth_bytes, write_bytes
from voc.errors import ConfigError

__all__ = ["DEFAULT_END", "DemoManifest", "build_demo_data", "demo_file_bytes", "generate_demo"]

log = logging.getLogger(__name__)

# A fixed Sunday, so the demo does not depend on today's date.
DEFAULT_END = date(2026, 11, 22)


@dataclass
class DemoManifest:
    """What `generate_demo` wrote. For every export: rows = items + duplicates + bad_rows."""

    out_dir: Path
    seed: int
    start: date
    end: date
    weeks: int
    files: list[Path]
    kinds: dict[str, str]  # export file -> ticket | review | survey
    rows: dict[str, int]  # data rows written per export (header rows not counted)
    items: dict[str, int]  # distinct, valid items per export
    duplicates: dict[str, int]  # planted duplicate rows (exact and updated tickets)
    bad_rows: dict[str, int]  # planted rows that must be quarantined
    bytes: dict[str, int]
    planted: list[Planted]
    themes: dict[str, str]  # theme key -> label
    theme_stages: dict[str, str]  # theme key -> customer-journey stage
    theme_polarity: dict[str, str]  # theme key -> negative | positive | neutral
    emerging_theme: str  # its label
    emerging_key: str
    emerging_weeks: list[date]  # week starts (Mondays) in which it appears
    emerging_counts: dict[str, int]  # week start -> items raising it
    at_risk_accounts: list[str]
    truth_file: Path
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def total_items(self) -> int:
        return sum(self.items.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; paths relative to `out_dir` so the same seed gives the same bytes anywhere."""
        d = asdict(self)
        d.pop("seconds")
        d.pop("out_dir")
        d["files"] = [p.name for p in self.files]
        d["truth_file"] = self.truth_file.name
        return _jsonable(d)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def demo_file_bytes(data: DemoData) -> dict[str, bytes]:
    """Every export's bytes, by file name (no I/O)."""
    return {name: file_bytes(fd) for name, fd in data.files.items()}


def generate_demo(
    out_dir: Path, seed: int = 7, n_items: int = 6000, weeks: int = 14, end: date | None = None
) -> DemoManifest:
    """Write the demo exports, `_truth.csv` and `_manifest.json` into `out_dir`.

    `n_items` distinct valid items spread over `weeks` whole weeks ending on
    `end` (a fixed Sunday by default); planted duplicates and bad rows come
    on top. Deterministic: the same arguments give byte-identical files.
    """
    t0 = time.perf_counter()
    end = end or DEFAULT_END
    if end.weekday() != 6:
        sunday = end + timedelta(days=6 - end.weekday())
        raise ConfigError(
            f"demo end date {end} is a {end:%A}; weeks run Monday to Sunday, so pass a Sunday such as {sunday}",
            code="E190",
        )
    out_dir = Path(out_dir)
    data = build_demo_data(seed, n_items, weeks, end)
    sizes: dict[str, int] = {}
    paths: list[Path] = []
    for name, blob in demo_file_bytes(data).items():
        path = out_dir / name
        sizes[name] = write_bytes(path, blob)
        paths.append(path)
    truth_path = out_dir / TRUTH_FILE
    write_bytes(truth_path, truth_bytes(data.truth))

    dup = Counter(p.file for p in data.planted if p.kind != "bad")
    bad = Counter(p.file for p in data.planted if p.kind == "bad")
    items = Counter(t["file"] for t in data.truth)
    cal = data.calendar
    manifest = DemoManifest(
        out_dir=out_dir,
        seed=seed,
        start=cal.start,
        end=cal.end,
        weeks=cal.weeks,
        files=paths,
        kinds={f: FILE_KIND[f] for f in FILES},
        rows={f: len(data.files[f].records) for f in FILES},
        items={f: items[f] for f in FILES},
        duplicates={f: dup[f] for f in FILES},
        bad_rows={f: bad[f] for f in FILES},
        bytes=sizes,
        planted=data.planted,
        themes={t.key: t.label for t in ALL_THEMES},
        theme_stages={t.key: t.stage for t in ALL_THEMES},
        theme_polarity={t.key: t.polarity for t in ALL_THEMES},
        emerging_theme=EMERGING.label,
        emerging_key=EMERGING.key,
        emerging_weeks=[cal.week_start(cal.weeks - 2), cal.week_start(cal.weeks - 1)],
        emerging_counts=data.emerging_counts,
        at_risk_accounts=data.at_risk_accounts,
        truth_file=truth_path,
    )
    write_bytes(out_dir / MANIFEST_FILE, json_bytes(manifest.to_dict()))
    manifest.seconds = time.perf_counter() - t0
    log.info(
        "demo: wrote %s items (%s rows, %s duplicates, %s bad) in %d files to %s in %.1f s",
        f"{manifest.total_items:,}",
        f"{sum(manifest.rows.values()):,}",
        sum(dup.values()),
        sum(bad.values()),
        len(paths),
        out_dir,
        manifest.seconds,
    )
    return manifest
