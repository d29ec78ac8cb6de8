"""The stage registry checks itself (spaCy's analyze_pipes): reads satisfied, one signature, docs in step."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path

import pandas as pd

from voc.pipeline import registry
from voc.pipeline.registry import REGISTRY, StageContext, check_registry, get, registry_markdown, stages

ARCHITECTURE = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"


def test_every_read_is_written_by_an_earlier_stage() -> None:
    assert check_registry() == []


def test_a_stage_reading_a_table_nobody_wrote_yet_is_reported() -> None:
    spec = get("taxonomy")
    swapped = {"taxonomy": spec, **{k: v for k, v in REGISTRY.items() if k != "taxonomy"}}
    problems = check_registry(swapped)
    assert "taxonomy reads 'themes', which no stage before it writes" in problems
    broken = dict(REGISTRY) | {"report": dataclasses.replace(get("report"), reads=("nowhere",))}
    assert check_registry(broken) == ["report reads 'nowhere', which no stage before it writes"]


def test_every_stage_has_one_signature_and_declares_its_config() -> None:
    from voc.config import VocConfig

    sections = set(VocConfig.model_fields)
    for s in REGISTRY.values():
        assert list(inspect.signature(s.fn).parameters) == ["store", "config", "ctx"], s.name
        assert set(s.config) <= sections, s.name
        assert s.doc, f"{s.name} has no docstring"


def test_the_order_is_ingest_analyze_report() -> None:
    assert [s.name for s in stages()] == [
        "ingest", "sentiment", "themes", "taxonomy", "themes.csv", "backlog", "report",
    ]  # fmt: skip
    assert [s.name for s in stages("analyze")] == ["sentiment", "themes", "taxonomy"]
    groups = [s.group for s in stages()]
    assert groups == sorted(groups, key=["ingest", "analyze", "report"].index)
    assert registry.writers_of("item_sentiment") == ["sentiment"]
    assert "backlog" in registry.readers_of("mentions")


def test_architecture_doc_shows_the_registry_as_it_is() -> None:
    # Regenerate with: python -c "from voc.pipeline.registry import registry_markdown; print(registry_markdown())"
    assert registry_markdown() in ARCHITECTURE.read_text(encoding="utf-8")


def test_pending_counts_new_and_changed_items(mem_store) -> None:
    from themes_fixtures import add_items

    a, b, c = add_items(mem_store, [("a", ["One."]), ("b", ["Two."]), ("c", ["Three."])])
    hashes = dict(mem_store.query("SELECT id, content_hash FROM items").itertuples(index=False))
    sentiment, themes = get("sentiment"), get("themes")
    assert sentiment.pending(mem_store) == 3 and themes.pending(mem_store) == 3  # no table yet: every item
    mem_store.write_frame(
        "item_sentiment", pd.DataFrame({"item_id": [a, b], "content_hash": [hashes[a], "changed since"]})
    )
    mem_store.write_frame("item_themes", pd.DataFrame({"item_id": [a, b]}))
    # b's text changed since it was scored: the sentiment stage has it to do again; c is new
    assert sentiment.pending(mem_store) == 2
    assert sentiment.pending_items(mem_store)["id"].tolist() == [b, c]
    assert themes.pending(mem_store) == 1
    assert get("taxonomy").pending(mem_store) is None  # keeps no per-item table


def test_run_stages_runs_the_registry_in_order_with_one_context(tmp_path, monkeypatch) -> None:
    from voc.config import default_config
    from voc.pipeline.stages import run_stages
    from voc.store import DuckDBStore

    seen: list[tuple[str, StageContext]] = []

    def stand_in(name: str):
        def fn(store, config, ctx):
            seen.append((name, ctx))
            return {"stage": name}

        return fn

    for name, spec in list(REGISTRY.items()):
        monkeypatch.setitem(REGISTRY, name, dataclasses.replace(spec, fn=stand_in(name)))
    with DuckDBStore(tmp_path / "s.duckdb") as store:
        out = run_stages(store, default_config(tmp_path), tmp_path / "out", progress=False, week="2026-W10")
    assert list(out) == ["sentiment", "themes", "taxonomy", "themes.csv", "backlog", "report"]
    assert out["backlog"]["result"] == {"stage": "backlog"} and out["backlog"]["seconds"] >= 0
    ctx = seen[-1][1]
    assert all(c is ctx for _, c in seen) and ctx.week == "2026-W10" and not ctx.progress
    assert ctx.results["backlog"] == {"stage": "backlog"}  # what the report stage is handed
