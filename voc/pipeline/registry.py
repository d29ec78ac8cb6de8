"""The stage registry: every stage, in order, with what it reads, writes and is configured by.

In the spirit of spaCy's `Language.factory(requires=..., assigns=...)`: a
stage is registered once with `@stage(...)`, declaring the store tables it
reads and writes, the config sections it takes, the files it writes to the
output folder and how to count the work it has outstanding. Every stage has
ONE signature, `run(store, config, ctx) -> StageResult`; what differs between
stages (the output folder, the week, a forced refit, the encoder) travels in
the `StageContext`.

`voc run`, `voc analyze` (`voc.pipeline.stages.run_stages`), the Prefect
flows (`flows/stages.py`) and the Dask path (`flows/scale.py`) all take the
order from here; `check_registry()` checks that every table a stage reads is
written by a stage before it (tests/test_registry.py), and
`registry_markdown()` renders the table in docs/architecture.md.

Table names are plain strings; `voc.store` owns their schemas and keys.
Stage modules are imported inside the run functions, so importing the
registry costs nothing (torch, BERTopic and spaCy load when a stage runs).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from voc.nlp.pending import TEXT_CHANGED

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from voc.config import VocConfig
    from voc.rank.periods import Window

Group = Literal["ingest", "analyze", "report"]

# Tables written outside the stages, by a command a person runs: a stage may read them when present.
EXTERNAL_TABLES: dict[str, str] = {
    "alert_mutes": "`voc alerts mute` (a person silences a theme's alerts)",
}


@dataclass
class StageContext:
    """What one run hands every stage besides the store and the config.

    `encoder` is the run's `voc.nlp.encoder.Encoder` (anything callable on a
    list of texts returning vectors will do in tests); None builds the
    configured one on first use, once per process and config.
    """

    out_dir: Path | None = None
    progress: bool = True
    week: str | None = None  # the scheduled job's period (backlog, report)
    window: Window | None = None  # the one-file path's window (backlog, report)
    refit: bool | None = None  # themes: force (True) or forbid (False) a refit; None: when due
    encoder: Callable[[list[str]], np.ndarray] | None = None
    results: dict[str, Any] = field(default_factory=dict)  # earlier stages' values, by stage name

    def encoder_for(self, config: VocConfig) -> Callable[[list[str]], np.ndarray]:
        """The run's encoder: the one handed in, else the configured one (built once, then kept)."""
        if self.encoder is None:
            from voc.nlp.encoder import get_encoder

            self.encoder = get_encoder(config.encoder)
        return self.encoder

    def output_dir(self, config: VocConfig) -> Path:
        """The output folder: the one handed in, else `report.out_dir` of the config."""
        out = self.out_dir if self.out_dir is not None else config.resolve(config.report.out_dir)
        out.mkdir(parents=True, exist_ok=True)
        return out


@dataclass
class StageResult:
    """A stage's outcome: its library function's value (a summary dict, a Backlog), seconds, peak memory."""

    stage: str
    value: Any
    seconds: float
    peak_rss_mb: int | None = None

    def as_summary(self) -> dict[str, Any]:
        """The entry `run_stages` reports per stage (`voc run`/`voc analyze` print and bench it)."""
        return {"seconds": self.seconds, "peak_rss_mb": self.peak_rss_mb, "result": self.value}


@dataclass(frozen=True)
class Stage:
    """One registered stage: its declarations and its run function."""

    name: str
    group: Group  # the flow it runs in: ingest, analyze or report
    fn: Callable[[Any, VocConfig, StageContext], Any]
    reads: tuple[str, ...]
    writes: tuple[str, ...]
    config: tuple[str, ...]  # config sections it takes (`[sentiment]`, `[encoder]`, ...)
    files: tuple[str, ...] = ()  # files it writes to the output folder
    # Its pending query: items with no row in `done_table`, or whose row is stale by `stale_when`
    # (SQL over the item `i` and its row `d`). None: the stage keeps no per-item table.
    done_table: str | None = None
    stale_when: str | None = None
    doc: str = ""

    def run(self, store: Any, config: VocConfig, ctx: StageContext) -> StageResult:
        """Run the stage on the store; its value is also kept in `ctx.results` for later stages."""
        t0 = time.perf_counter()
        value = self.fn(store, config, ctx)
        ctx.results[self.name] = value
        # The process's high-water mark after each stage: the stage where it jumps is the one that set it.
        return StageResult(self.name, value, round(time.perf_counter() - t0, 2), peak_rss_mb())

    def pending_sql(self, store: Any, columns: str = "i.*") -> str | None:
        """SELECT of the items this stage has still to process, oldest first (None: no per-item table).

        The done table comes through the store's catalogue (`relation`): before the stage's first run it
        is an empty typed stand-in, so every item is pending without a guard.
        """
        if self.done_table is None:
            return None
        stale = f" OR {self.stale_when}" if self.stale_when else ""
        return (
            f"SELECT {columns} FROM items i LEFT JOIN {store.relation(self.done_table)} d ON d.item_id = i.id "
            f"WHERE d.item_id IS NULL{stale} ORDER BY i.created_at, i.id"
        )

    def pending_items(self, store: Any, columns: str = "i.*") -> pd.DataFrame | None:
        """The items this stage has still to process, oldest first (every item before its first run)."""
        sql = self.pending_sql(store, columns)
        return None if sql is None else store.query(sql)

    def pending(self, store: Any) -> int | None:
        """How many items the stage has still to process (None when it keeps no per-item table)."""
        sql = self.pending_sql(store, "1")
        if sql is None:
            return None
        sql = sql.rsplit(" ORDER BY ", 1)[0]
        return int(store.query(f"SELECT count(*) AS n FROM ({sql})")["n"].iloc[0])


REGISTRY: dict[str, Stage] = {}


def stage(
    name: str,
    *,
    group: Group,
    reads: tuple[str, ...],
    writes: tuple[str, ...],
    config: tuple[str, ...],
    files: tuple[str, ...] = (),
    done_table: str | None = None,
    stale_when: str | None = None,
) -> Callable[[Callable[[Any, VocConfig, StageContext], Any]], Callable[[Any, VocConfig, StageContext], Any]]:
    """Register `fn(store, config, ctx)` as the stage `name`, after the ones registered before it."""

    def register(
        fn: Callable[[Any, VocConfig, StageContext], Any],
    ) -> Callable[[Any, VocConfig, StageContext], Any]:
        if name in REGISTRY:
            raise ValueError(f"stage {name!r} is registered twice")
        doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        REGISTRY[name] = Stage(name, group, fn, reads, writes, config, files, done_table, stale_when, doc)
        return fn

    return register


def get(name: str) -> Stage:
    """The registered stage `name`; a clear error naming the known ones otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"no stage {name!r}; the stages are {', '.join(REGISTRY)}") from None


def stages(*groups: Group) -> list[Stage]:
    """The registered stages of these groups (all when none given), in pipeline order."""
    return [s for s in REGISTRY.values() if not groups or s.group in groups]


def peak_rss_mb() -> int | None:
    """This process's peak resident memory so far, in MB (None where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return None
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    div = 1024 * 1024 if sys.platform == "darwin" else 1024
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / div)


def check_registry(registry: dict[str, Stage] | None = None) -> list[str]:
    """Problems of the stage order (spaCy's `analyze_pipes`): reads that no earlier stage writes.

    For the registry itself (`registry` None) also its agreement with the store catalogue.

    A stage may read a table it writes itself (incremental stages read their
    last run's rows) and the tables of `EXTERNAL_TABLES`. An empty list means
    every declared read is satisfied.
    """
    from voc.store.catalog import CATALOG

    problems: list[str] = []
    written: dict[str, str] = {}
    for s in (registry or REGISTRY).values():
        for table in s.reads:
            if table not in written and table not in s.writes and table not in EXTERNAL_TABLES:
                problems.append(f"{s.name} reads {table!r}, which no stage before it writes")
        for table in s.writes:
            written.setdefault(table, s.name)
        if s.done_table is not None and s.done_table not in s.writes:
            problems.append(f"{s.name} counts its work in {s.done_table!r}, which it does not write")
    if registry is None:
        # The catalogue and the registry describe the same tables from two sides: a name the catalogue
        # lacks, or a catalogued table no stage declares writing, is a declaration behind the code.
        named = dict.fromkeys(t for s in REGISTRY.values() for t in (*s.reads, *s.writes))
        problems += [f"the registry names {t!r}, which voc/store/catalog.py does not declare"
                     for t in named if t not in CATALOG]  # fmt: skip
        problems += [f"catalogued table {t!r} is written by no stage" for t in CATALOG
                     if t not in written and t not in EXTERNAL_TABLES]  # fmt: skip
    return problems


def writers_of(table: str) -> list[str]:
    """The stages that write `table`, in order."""
    return [s.name for s in REGISTRY.values() if table in s.writes]


def readers_of(table: str) -> list[str]:
    """The stages that read `table`, in order."""
    return [s.name for s in REGISTRY.values() if table in s.reads]


def registry_markdown() -> str:
    """The registry as the markdown table docs/architecture.md shows (checked by a test)."""

    def names(values: tuple[str, ...]) -> str:
        return ", ".join(f"`{v}`" for v in values) or "-"

    lines = [
        "| # | stage | flow | reads | writes | config | files | pending: items with no row in |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, s in enumerate(REGISTRY.values(), 1):
        pending = f"`{s.done_table}`" + (" (or a stale one)" if s.stale_when else "") if s.done_table else "-"
        lines.append(
            f"| {i} | {s.name} | {s.group} | {names(s.reads)} | {names(s.writes)} | "
            f"{names(tuple(f'[{c}]' for c in s.config))} | {names(s.files)} | {pending} |"
        )
    return "\n".join(lines)


# -- the stages, in pipeline order -------------------------------------------------------------
@stage(
    "ingest",
    group="ingest",
    reads=(),
    writes=("items", "quarantine", "watermarks", "runs"),
    config=("sources", "ingest", "clean", "store"),
)
def run_ingest(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Read every enabled source, clean and store new and changed items; set aside bad rows."""
    from voc.pipeline.ingest import ingest

    return ingest(config, progress=ctx.progress, store=store)


@stage(
    "sentiment",
    group="analyze",
    reads=("items",),
    # Rewriting a re-scored item's `sentences` also drops its `mentions` (the catalogue's declared
    # invalidation), so the themes stage assigns its new sentences.
    writes=("sentences", "sentence_sentiment", "item_sentiment", "embeddings"),
    config=("sentiment", "encoder"),
    done_table="item_sentiment",
    stale_when=TEXT_CHANGED,  # voc.nlp.pending: the one rule, less the model tag (that needs the model)
)
def run_sentiment(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Split items into mentions and score them; fill the embeddings cache from the shared encoder pass."""
    from voc.nlp.stage import enrich_sentiment

    return enrich_sentiment(store, config, progress=ctx.progress)


@stage(
    "themes",
    group="analyze",
    reads=("items", "sentences", "sentence_sentiment", "item_sentiment", "embeddings"),
    writes=(
        "mentions",
        "themes",
        "item_themes",
        "theme_weekly",
        "theme_fits",
        "problems",
        "problem_mentions",
        "embeddings",
    ),
    config=("themes", "encoder"),
    done_table="item_themes",
)
def run_themes(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Assign mentions to themes and problems (fit, refit or incremental); write the theme tables."""
    from voc.themes.stage import update_themes

    return update_themes(
        store, config, refit=ctx.refit, progress=ctx.progress, encode_fn=ctx.encoder_for(config)
    )


@stage(
    "taxonomy",
    group="analyze",
    reads=("themes", "mentions", "sentences", "item_themes", "embeddings"),
    writes=("theme_mapping", "mention_mapping", "item_mapping", "embeddings"),
    config=("taxonomy", "encoder"),
)
def run_taxonomy(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Map every theme, mention and item to a journey stage and a framework pillar."""
    from voc.taxonomy.stage import map_taxonomy

    return map_taxonomy(store, config, encode_fn=ctx.encoder_for(config))


@stage(
    "themes.csv",
    group="report",
    reads=("themes", "theme_mapping", "item_themes", "item_sentiment", "item_mapping"),
    writes=(),
    config=(),
    files=("themes.csv",),
)
def run_themes_csv(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Write every theme with its size, tone and mapping to themes.csv."""
    from voc.pipeline.exports import write_themes_csv

    return write_themes_csv(store, ctx.output_dir(config) / "themes.csv")


@stage(
    "backlog",
    group="report",
    reads=(
        "items",
        "sentences",
        "sentence_sentiment",
        "item_sentiment",
        "themes",
        "mentions",
        "theme_mapping",
        "problems",
        "problem_mentions",
        "alerts_sent",
        "alert_mutes",
    ),
    writes=("backlog", "theme_trends", "alerts", "alerts_sent"),
    config=("ranking", "alerts"),
    files=("backlog.csv", "backlog.json", "backlog.md", "backlog_jira.csv"),
)
def run_backlog(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Rank the period's problems into the backlog; evaluate alerts and deliver the new ones."""
    from voc.rank.stage import build_backlog

    return build_backlog(store, config, ctx.output_dir(config), period=ctx.week, window=ctx.window)


@stage(
    "report",
    group="report",
    reads=(
        "items",
        "item_sentiment",
        "themes",
        "item_themes",
        "theme_weekly",
        "theme_mapping",
        "quarantine",
        "runs",
        "backlog",
        "theme_trends",
        "alerts",
        "alert_mutes",
    ),
    writes=(),
    config=("report",),
    files=("report.html", "report.md"),
)
def run_report(store: Any, config: VocConfig, ctx: StageContext) -> Any:
    """Write the period's report (HTML and markdown) from the store and this run's backlog."""
    from voc.report.stage import write_report

    return write_report(store, config, ctx.output_dir(config), week=ctx.week,
                        backlog=ctx.results.get("backlog"), window=ctx.window)  # fmt: skip
