"""The table catalogue: every store table declared once, with its owner, schema, key and write disposition.

In the spirit of dlt's resources (`write_disposition`, `primary_key`): a table
is written by one owner (the stage module named here) and read by anyone
through the store's typed accessors (`store.read`, `store.count`), so a stage
never needs to know whether another stage has run yet: a table that does not
exist reads as an empty frame with the declared columns and types.

Dispositions:

- `append`: rows are added; the owner removes what it replaces (a refit
  rewrites the table with `store.replace`).
- `upsert`: rows whose `key` matches an incoming row are replaced.
- `replace`: the whole table (or, with `partition`, the rows of one value of
  that column, e.g. one backlog period) is replaced by each write.

`invalidates` declares what goes stale when a table's rows of an item are
rewritten: the sentiment stage re-splitting an item drops the themes stage's
`mentions` of that item through `store.drop_items`, so the themes stage
assigns the new sentences afresh, without the sentiment stage touching a
table it does not own.

`docs/architecture.md` carries `catalogue_markdown()` (tests/test_catalog.py
checks it stays in step with this file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from voc.errors import StoreError

Disposition = Literal["append", "upsert", "replace"]


@dataclass(frozen=True)
class Table:
    """One store table as declared: who writes it, its columns (DuckDB types), key and write disposition."""

    name: str
    owner: str
    columns: Mapping[str, str]
    disposition: Disposition
    key: tuple[str, ...] = ()
    partition: str | None = None
    invalidates: tuple[str, ...] = ()
    readers: tuple[str, ...] = ()
    # Modules that write it on the owner's behalf (the Dask path writes the sentiment tables its workers made).
    writers: tuple[str, ...] = ()
    doc: str = ""
    bulky: tuple[str, ...] = field(default=())  # columns a reader should name only when it needs them

    def __post_init__(self) -> None:
        missing = [
            c for c in (*self.key, *([self.partition] if self.partition else [])) if c not in self.columns
        ]
        if missing:
            raise ValueError(f"table {self.name}: key or partition columns {missing} are not declared")


def _cols(spec: str) -> dict[str, str]:
    """'a VARCHAR, b INTEGER' -> {'a': 'VARCHAR', 'b': 'INTEGER'} (types may contain spaces, not commas)."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        name, _, typ = part.strip().partition(" ")
        out[name] = typ.strip()
    return out


_ITEM_COLS = (
    "id VARCHAR, source VARCHAR, external_id VARCHAR, kind VARCHAR, channel VARCHAR, created_at TIMESTAMPTZ, "
    "updated_at TIMESTAMPTZ, title VARCHAR, text VARCHAR, rating DOUBLE, rating_scale VARCHAR, "
    "customer_id VARCHAR, segment VARCHAR, revenue DOUBLE, product VARCHAR, language VARCHAR, url VARCHAR, "
    "metadata VARCHAR, flags VARCHAR, input_file VARCHAR, input_row BIGINT, content_hash VARCHAR, "
    "ingested_at TIMESTAMPTZ"
)
_MAPPING_COLS = (
    "journey_stage VARCHAR, stage_confidence DOUBLE, stage_score DOUBLE, stage_evidence VARCHAR, "
    "pillar VARCHAR, pillar_confidence DOUBLE, pillar_score DOUBLE, pillar_evidence VARCHAR"
)
_BACKLOG_COLS = (
    "rank BIGINT, theme_id VARCHAR, theme_label VARCHAR, theme_name VARCHAR, kind VARCHAR, group_label VARCHAR, "
    "journey_stage VARCHAR, pillar VARCHAR, status VARCHAR, score DOUBLE, breakdown VARCHAR, volume BIGINT, "
    "negative_volume BIGINT, prev_volume BIGINT, focus_volume BIGINT, unique_customers BIGINT, "
    "share_negative DOUBLE, mean_sentiment DOUBLE, growth DOUBLE, growth_p DOUBLE, nps_impact DOUBLE, "
    "csat_impact DOUBLE, revenue_at_risk DOUBLE, severity VARCHAR, verbatims VARCHAR, example_ids VARCHAR, "
    "example_urls VARCHAR, first_seen VARCHAR, last_seen VARCHAR, owner VARCHAR, period VARCHAR, "
    "focus_period VARCHAR"
)
_ALERT_COLS = (
    "key VARCHAR, kind VARCHAR, theme_id VARCHAR, theme_label VARCHAR, period VARCHAR, rank BIGINT, "
    "score DOUBLE, status VARCHAR, volume BIGINT, negative_volume BIGINT, growth DOUBLE, growth_p DOUBLE, "
    "journey_stage VARCHAR, owner VARCHAR, verbatim VARCHAR, link VARCHAR, title VARCHAR, text VARCHAR"
)

_TABLES = [
    # -- the foundation: written by the store itself (voc/store/duckdb_store.py) ---------------------
    Table(
        "items",
        "voc.store",
        _cols(_ITEM_COLS),
        "upsert",
        key=("id",),
        readers=(
            "voc.nlp.pending",
            "voc.themes",
            "voc.rank.stage",
            "voc.report.stage",
            "voc.pipeline",
            "voc.eval",
            "voc.train",
            "voc.demo",
        ),
        doc="one row per feedback record (`voc.schema.ITEM_COLUMNS`); an update replaces the row",
        bulky=("text", "metadata"),
    ),
    Table(
        "quarantine",
        "voc.store",
        _cols(
            "qid VARCHAR, source VARCHAR, input_file VARCHAR, input_row BIGINT, reason VARCHAR, "
            "detail VARCHAR, raw VARCHAR, run_id VARCHAR, quarantined_at TIMESTAMPTZ"
        ),
        "append",
        key=("qid",),
        readers=("voc.report.stage", "voc.pipeline"),
        doc="rows that could not be used, keyed by source, file, line and reason; a key stored once",
        bulky=("raw",),
    ),
    Table(
        "watermarks",
        "voc.store",
        _cols("source VARCHAR, key VARCHAR, value VARCHAR, updated_at TIMESTAMPTZ"),
        "upsert",
        key=("source", "key"),
        readers=("voc.ingest", "voc.pipeline", "voc.themes.stage", "voc.taxonomy.stage"),
        doc="how far each source has been read; committed with the rows they cover",
    ),
    Table(
        "runs",
        "voc.store",
        _cols(
            "run_id VARCHAR, job VARCHAR, target VARCHAR, status VARCHAR, started_at TIMESTAMPTZ, "
            "finished_at TIMESTAMPTZ, rows_read BIGINT, stored BIGINT, updated BIGINT, duplicates BIGINT, "
            "quarantined BIGINT, pid INTEGER, detail VARCHAR, error VARCHAR"
        ),
        "upsert",
        key=("run_id",),
        readers=("voc.report.stage", "voc.pipeline"),
        doc="one row per job run with its counts",
    ),
    # -- sentiment (voc/nlp/stage.py) ---------------------------------------------------------------------
    Table(
        "sentences",
        "voc.nlp.stage",
        _cols("item_id VARCHAR, sent_idx INTEGER, text VARCHAR, start_char INTEGER, end_char INTEGER"),
        "upsert",
        key=("item_id", "sent_idx"),
        invalidates=("sentence_sentiment", "mentions"),
        readers=("voc.themes", "voc.taxonomy.stage", "voc.rank.stage"),
        writers=("flows.scale", "voc.themes.stage"),
        doc="an item's mentions (sentences, clauses cut at 'but', ...); the themes stage splits items "
        "itself when sentiment has not run; rewriting an item's drops its scores and theme mentions",
    ),
    Table(
        "sentence_sentiment",
        "voc.nlp.stage",
        _cols(
            "item_id VARCHAR, sent_idx INTEGER, label VARCHAR, score FLOAT, confidence FLOAT, model VARCHAR"
        ),
        "upsert",
        key=("item_id", "sent_idx"),
        readers=("voc.themes", "voc.rank.stage"),
        writers=("flows.scale",),
        doc="each mention read on its own; `label = 'negative'` is a complaint (`voc.nlp.complaints`)",
    ),
    Table(
        "item_sentiment",
        "voc.nlp.stage",
        _cols(
            "item_id VARCHAR, label VARCHAR, score FLOAT, confidence FLOAT, mixed BOOLEAN, model VARCHAR, "
            "content_hash VARCHAR"
        ),
        "upsert",
        key=("item_id",),
        readers=(
            "voc.nlp.pending",
            "voc.themes.stage",
            "voc.rank.stage",
            "voc.report.stage",
            "voc.pipeline.exports",
        ),
        writers=("flows.scale",),
        doc="the item's overall tone; `model` and `content_hash` say what was read (`voc.nlp.pending`)",
    ),
    Table(
        "embeddings",
        "voc.themes.cache",
        _cols("text_hash VARCHAR, model VARCHAR, vector FLOAT[]"),
        "upsert",
        key=("text_hash", "model"),
        readers=("voc.themes", "voc.taxonomy.stage"),
        writers=("voc.nlp.stage", "flows.scale"),
        doc="the shared sentence-vector cache; every writer goes through `voc.themes.cache.cached_embeddings`",
        bulky=("vector",),
    ),
    # -- themes (voc/themes/) ---------------------------------------------------------------------------------
    Table(
        "themes",
        "voc.themes.stage",
        _cols(
            "theme_id VARCHAR, label VARCHAR, keywords VARCHAR, group_id VARCHAR, group_label VARCHAR, "
            "size BIGINT, share_negative DOUBLE, first_seen TIMESTAMPTZ, last_seen TIMESTAMPTZ, "
            "status VARCHAR, is_new BOOLEAN, centroid DOUBLE[], pinned BOOLEAN, created_at TIMESTAMPTZ, "
            "parent_id VARCHAR, merged_into VARCHAR, label_source VARCHAR, quotes VARCHAR, "
            "problem_label VARCHAR, problem_keywords VARCHAR, praise_label VARCHAR, praise_keywords VARCHAR, "
            "opinion_share DOUBLE"
        ),
        "replace",
        key=("theme_id",),
        readers=(
            "voc.taxonomy.stage",
            "voc.rank.stage",
            "voc.report.stage",
            "voc.pipeline.exports",
            "voc.cli.themes",
        ),
        doc="the theme registry; `share_negative` = share of the theme's items (known sentiment) that "
        "carry a complaint about it, over all time (`voc.nlp.complaints`)",
        bulky=("centroid",),
    ),
    Table(
        "mentions",
        "voc.themes.stage",
        _cols("item_id VARCHAR, sent_idx INTEGER, theme_id VARCHAR, score FLOAT, negative BOOLEAN"),
        "append",
        key=("item_id", "sent_idx"),
        readers=("voc.themes.problems", "voc.taxonomy.stage", "voc.rank.stage"),
        doc="one row per themed mention; `negative` = it is a complaint (`voc.nlp.complaints."
        "mention_negative`), stored once; appended weekly, rewritten at a refit",
    ),
    Table(
        "item_themes",
        "voc.themes.stage",
        _cols(
            "item_id VARCHAR, theme_id VARCHAR, theme_label VARCHAR, theme_ids VARCHAR, complaint_ids VARCHAR"
        ),
        "upsert",
        key=("item_id",),
        readers=(
            "voc.taxonomy.stage",
            "voc.report.stage",
            "voc.pipeline.exports",
            "voc.cli.backlog",
            "voc.eval",
            "flows.stages",
        ),
        doc="each item's main theme, all its themes and those it complains about (`complaint_ids`)",
    ),
    Table(
        "theme_weekly",
        "voc.themes.stage",
        _cols("theme_id VARCHAR, week DATE, mentions BIGINT, items BIGINT"),
        "replace",
        key=("theme_id", "week"),
        readers=("voc.report.stage", "voc.cli.themes"),
        doc="mentions and items per theme and ISO week, recounted by every run",
    ),
    Table(
        "theme_fits",
        "voc.themes.stage",
        _cols(
            "mentions BIGINT, fit_mentions BIGINT, themes BIGINT, matched BIGINT, new BIGINT, "
            "raw_clusters BIGINT, seconds DOUBLE, fitted_at TIMESTAMPTZ"
        ),
        "append",
        readers=(),
        doc="one row per fit: when the next refit is due",
    ),
    Table(
        "problems",
        "voc.themes.problems",
        _cols(
            "problem_id VARCHAR, label VARCHAR, keywords VARCHAR, theme_id VARCHAR, centroid DOUBLE[], "
            "size BIGINT, opinion_share DOUBLE, status VARCHAR, is_new BOOLEAN, first_seen TIMESTAMPTZ, "
            "last_seen TIMESTAMPTZ, created_at TIMESTAMPTZ, label_source VARCHAR"
        ),
        "replace",
        key=("problem_id",),
        readers=("voc.rank.stage",),
        doc="the problem registry: clusters of complaints, each under its aspect theme",
        bulky=("centroid",),
    ),
    Table(
        "problem_mentions",
        "voc.themes.problems",
        _cols("item_id VARCHAR, sent_idx INTEGER, problem_id VARCHAR, score FLOAT"),
        "append",
        key=("item_id", "sent_idx"),
        readers=("voc.rank.stage",),
        doc="one row per complaint assigned to a problem",
    ),
    # -- taxonomy (voc/taxonomy/stage.py) -----------------------------------------------------------------------
    Table(
        "theme_mapping",
        "voc.taxonomy.stage",
        _cols("theme_id VARCHAR, " + _MAPPING_COLS + ", framework VARCHAR"),
        "replace",
        key=("theme_id",),
        readers=("voc.rank.stage", "voc.report.stage", "voc.pipeline.exports", "voc.cli.backlog"),
        doc="each theme's journey stage and pillar with confidence and evidence",
    ),
    Table(
        "mention_mapping",
        "voc.taxonomy.stage",
        _cols("item_id VARCHAR, sent_idx INTEGER, theme_id VARCHAR, " + _MAPPING_COLS),
        "append",
        key=("item_id", "sent_idx"),
        readers=(),
        doc="each themed mention's stage and pillar",
    ),
    Table(
        "item_mapping",
        "voc.taxonomy.stage",
        _cols("item_id VARCHAR, journey_stage VARCHAR, pillar VARCHAR, theme_id VARCHAR"),
        "upsert",
        key=("item_id",),
        readers=("voc.pipeline.exports",),
        doc="each item's stages and pillars (one row per item and theme)",
    ),
    # -- backlog and alerts (voc/rank/stage.py, voc/alerts/deliver.py) -------------------------------------------
    Table(
        "backlog",
        "voc.rank.stage",
        _cols(_BACKLOG_COLS),
        "replace",
        key=("period", "theme_id"),
        partition="period",
        readers=("voc.report.stage",),
        doc="one row per ranked problem and period; a run replaces its period's rows",
    ),
    Table(
        "alerts",
        "voc.rank.stage",
        _cols(_ALERT_COLS),
        "replace",
        key=("key",),
        partition="period",
        readers=("voc.report.stage",),
        doc="the alerts evaluated for a period (sent or not); the report lists these",
    ),
    Table(
        "theme_trends",
        "voc.rank.stage",
        _cols(
            "period VARCHAR, theme_id VARCHAR, status VARCHAR, growth DOUBLE, growth_p DOUBLE, "
            "focus_volume BIGINT, prev_volume BIGINT"
        ),
        "replace",
        key=("period", "theme_id"),
        partition="period",
        readers=("voc.report.stage",),
        doc="each theme's status (new, rising, falling, resolved, steady) by the backlog's trend test "
        "(`voc.rank.trend`), on all its items; the report's theme table shows it",
    ),
    Table(
        "alerts_sent",
        "voc.alerts.deliver",
        _cols(
            "key VARCHAR, channel VARCHAR, theme_id VARCHAR, kind VARCHAR, period VARCHAR, status VARCHAR, "
            "attempts INTEGER, last_error VARCHAR, payload VARCHAR, created_at TIMESTAMPTZ, "
            "sent_at TIMESTAMPTZ"
        ),
        "upsert",
        key=("key", "channel"),
        readers=("voc.cli.backlog",),
        doc="the alert outbox: each alert once per channel, with its delivery status",
    ),
    Table(
        "alert_mutes",
        "voc.alerts.deliver",
        _cols("theme_id VARCHAR, reason VARCHAR, muted_at TIMESTAMPTZ"),
        "upsert",
        key=("theme_id",),
        readers=("voc.rank.stage", "voc.cli.backlog"),
        doc="themes that never alert",
    ),
]

CATALOG: dict[str, Table] = {t.name: t for t in _TABLES}


def table(name: str) -> Table:
    """The declared table `name`; a clear error for a table the catalogue does not know."""
    try:
        return CATALOG[name]
    except KeyError:
        raise StoreError(
            f"table {name!r} is not in the store catalogue (voc/store/catalog.py); declare it there "
            f"with its owner, columns, key and disposition. Known: {', '.join(sorted(CATALOG))}",
            code="E330",
        ) from None


def catalogue_markdown() -> str:
    """The catalogue as the markdown table `docs/architecture.md` shows (one row per table)."""
    lines = [
        "| table | owner | key | disposition | also written by | read by | what it holds |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in _TABLES:
        disp = t.disposition + (f" per `{t.partition}`" if t.partition else "")
        if t.invalidates:
            disp += "; invalidates " + ", ".join(f"`{n}`" for n in t.invalidates)
        key = ", ".join(t.key) or "-"
        writers = ", ".join(f"`{w}`" for w in t.writers) or "-"
        readers = ", ".join(f"`{r}`" for r in t.readers) or "-"
        lines.append(f"| `{t.name}` | `{t.owner}` | {key} | {disp} | {writers} | {readers} | {t.doc} |")
    return "\n".join(lines)
