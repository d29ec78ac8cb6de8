"""The table catalogue (voc/store/catalog.py): typed reads, declared dispositions, invalidation, ownership."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from voc.errors import StoreError
from voc.nlp.pending import count_needing_sentiment, needs_sentiment
from voc.schema import FeedbackRecord
from voc.store import DuckDBStore
from voc.store.catalog import CATALOG, catalogue_markdown

ROOT = Path(__file__).resolve().parents[1]


def _item(ext: str, text: str, updated: datetime | None = None) -> FeedbackRecord:
    return FeedbackRecord(
        id=f"src:{ext}", source="src", external_id=ext, kind="review",
        created_at=datetime(2026, 3, 2, 10, tzinfo=UTC), updated_at=updated, text=text,
    )  # fmt: skip


def _sentiment_rows(store: DuckDBStore, item_id: str, n: int, tag: str = "m1") -> None:
    """What the sentiment stage writes for an item of `n` mentions, and the themes stage's mentions of it."""
    h = store.query("SELECT content_hash FROM items WHERE id = ?", [item_id])["content_hash"].iloc[0]
    store.write("sentences", pd.DataFrame({"item_id": [item_id] * n, "sent_idx": range(n),
                                           "text": [f"s{k}" for k in range(n)], "start_char": 0, "end_char": 1}))  # fmt: skip
    store.write("sentence_sentiment", pd.DataFrame({"item_id": [item_id] * n, "sent_idx": range(n),
                                                    "label": "negative", "score": -0.5, "confidence": 0.9, "model": "m"}))  # fmt: skip
    store.write("item_sentiment", pd.DataFrame({"item_id": [item_id], "label": ["negative"], "score": [-0.5],
                                                "confidence": [0.9], "mixed": [False], "model": [tag], "content_hash": [h]}))  # fmt: skip
    store.write("mentions", pd.DataFrame({"item_id": [item_id] * n, "sent_idx": range(n),
                                          "theme_id": "T1", "score": 0.8}))  # fmt: skip


def test_a_table_not_written_yet_reads_empty_with_its_declared_types(mem_store: DuckDBStore) -> None:
    df = mem_store.read("item_sentiment")
    assert list(df.columns) == list(CATALOG["item_sentiment"].columns) and df.empty
    assert str(df["score"].dtype) == "float32" and str(df["mixed"].dtype) == "bool"
    assert mem_store.count("item_sentiment") == 0
    assert mem_store.read("mentions", ["item_id", "theme_id"]).columns.tolist() == ["item_id", "theme_id"]
    # An owner's SQL joins the empty relation instead of guarding on the table.
    assert mem_store.query(f"SELECT count(*) AS n FROM {mem_store.relation('mentions')}")["n"].iloc[0] == 0


def test_a_column_an_older_table_lacks_reads_as_null(mem_store: DuckDBStore) -> None:
    mem_store.write_frame("sentences", pd.DataFrame({"item_id": ["a"], "sent_idx": [0], "text": ["hi"]}))
    df = mem_store.read("sentences", ["item_id", "text", "end_char"])
    assert df["end_char"].isna().all() and df["text"].tolist() == ["hi"]
    assert mem_store.read("sentences").columns.tolist() == ["item_id", "sent_idx", "text"]


def test_undeclared_tables_and_columns_are_refused(mem_store: DuckDBStore) -> None:
    with pytest.raises(StoreError) as e:
        mem_store.read("nope")
    assert e.value.code == "E330"
    with pytest.raises(StoreError) as e:
        mem_store.write("mentions", pd.DataFrame({"item_id": ["a"], "colour": ["red"]}))
    assert e.value.code == "E333"
    with pytest.raises(StoreError) as e:
        mem_store.read("mentions", ["colour"])
    assert e.value.code == "E331"


def test_writes_follow_the_declared_disposition(mem_store: DuckDBStore) -> None:
    row = {"item_id": "a", "label": "negative", "score": -0.5, "confidence": 0.9, "mixed": False, "model": "m",
           "content_hash": "h"}  # fmt: skip
    mem_store.write("item_sentiment", pd.DataFrame([row]))
    mem_store.write("item_sentiment", pd.DataFrame([{**row, "label": "positive"}]))  # upsert on item_id
    assert mem_store.read("item_sentiment")["label"].tolist() == ["positive"]
    bl = pd.DataFrame({"period": ["2026-W10", "2026-W10"], "theme_id": ["P1", "P2"], "rank": [1, 2]})
    mem_store.write("backlog", bl, partition="2026-W10")
    mem_store.write("backlog", bl.assign(period="2026-W11"), partition="2026-W11")
    mem_store.write("backlog", bl.iloc[:1], partition="2026-W10")  # replaces that period only
    got = mem_store.read("backlog", ["period", "theme_id"], order_by="period, theme_id")
    assert got.values.tolist() == [["2026-W10", "P1"], ["2026-W11", "P1"], ["2026-W11", "P2"]]
    mem_store.write("backlog", bl.iloc[:0], partition="2026-W11")  # an empty period: its rows go
    assert mem_store.count("backlog") == 1


def test_rewriting_an_items_sentences_invalidates_its_scores_and_mentions(mem_store: DuckDBStore) -> None:
    mem_store.commit_batch("src", [_item("1", "a. b."), _item("2", "c.")], [])
    _sentiment_rows(mem_store, "src:1", 2)
    _sentiment_rows(mem_store, "src:2", 1)
    mem_store.drop_items("sentences", ["src:1"])
    for table in ("sentences", "sentence_sentiment", "mentions"):
        assert mem_store.read(table)["item_id"].tolist() == ["src:2"], table
    assert mem_store.count("item_sentiment") == 2  # not declared invalidated: the stage upserts it


def test_needs_sentiment_new_changed_and_read_another_way(mem_store: DuckDBStore) -> None:
    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    mem_store.commit_batch("src", [_item("1", "late", t0), _item("2", "fine", t0), _item("3", "new", t0)], [])
    assert needs_sentiment(mem_store, "m1")["id"].tolist() == ["src:1", "src:2", "src:3"]
    _sentiment_rows(mem_store, "src:1", 1)
    _sentiment_rows(mem_store, "src:2", 1, tag="m0")
    assert needs_sentiment(mem_store, "m1")["id"].tolist() == ["src:2", "src:3"]
    assert needs_sentiment(mem_store, None)["id"].tolist() == ["src:3"]
    mem_store.commit_batch("src", [_item("1", "late, and now lost", t0 + timedelta(days=1))], [])
    assert sorted(needs_sentiment(mem_store, "m1")["id"]) == ["src:1", "src:2", "src:3"]
    assert count_needing_sentiment(mem_store) == 2


def test_dask_partition_drops_the_mentions_of_a_rescored_item(mem_store: DuckDBStore) -> None:
    """Bug: the Dask path replaced an item's sentiment rows but kept its theme mentions, so a re-scored
    item kept its old themes (the themes stage only assigns sentences without a mention)."""
    from flows.scale import _write_partition

    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    mem_store.commit_batch("src", [_item("1", "Late. Rude.", t0), _item("2", "Fine.", t0)], [])
    _sentiment_rows(mem_store, "src:1", 2)
    _sentiment_rows(mem_store, "src:2", 1)
    mem_store.commit_batch("src", [_item("1", "All good now.", t0 + timedelta(days=1))], [])
    assert needs_sentiment(mem_store, "m1", columns=["*"])["id"].tolist() == ["src:1"]

    # What a worker sends back for the changed item: one new sentence.
    with DuckDBStore(":memory:") as worker:
        worker.commit_batch("src", [_item("1", "All good now.", t0 + timedelta(days=1))], [])
        _sentiment_rows(worker, "src:1", 1)
        tables = {
            t: worker.read(t) for t in ("sentences", "sentence_sentiment", "item_sentiment", "embeddings")
        }
    _write_partition(mem_store, None, tables)  # type: ignore[arg-type]  # no embeddings: cfg unused

    assert mem_store.read("mentions", order_by="item_id")["item_id"].tolist() == ["src:2"]
    got = mem_store.read("sentences", ["item_id", "sent_idx"], order_by="item_id, sent_idx")
    assert got.values.tolist() == [["src:1", 0], ["src:2", 0]]
    assert needs_sentiment(mem_store, "m1").empty


def test_architecture_doc_shows_the_catalogue() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert catalogue_markdown() in doc, (
        "regenerate: python -c 'from voc.store.catalog import *; print(catalogue_markdown())'"
    )


# Calls on a store (`store.read("x")`, `mem.write("x", ...)`), not str.replace("_", " ").
_CALL = re.compile(
    r"""\b(?:store|mem)\.(read|count|relation|written|write|replace|drop_items)\(\s*["']([a-z_]+)["']"""
)


def _module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _within(module: str, names: tuple[str, ...]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def test_each_table_is_written_by_its_owner_and_read_by_its_declared_readers() -> None:
    """Who writes and who reads each table, as the catalogue (and so docs/architecture.md) says."""
    wrong: list[str] = []
    for path in sorted([*(ROOT / "voc").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]):
        module = _module(path)
        if module.startswith("voc.store"):
            continue
        for verb, name in _CALL.findall(path.read_text()):
            t = CATALOG.get(name)
            if t is None:
                wrong.append(f"{module}: {verb}({name!r}) is not a catalogued table")
                continue
            allowed = (t.owner, *t.writers) if verb in ("write", "replace", "drop_items") else (
                t.owner, *t.writers, *t.readers)  # fmt: skip
            if not _within(module, allowed):
                wrong.append(f"{module}: {verb}({name!r}), but the catalogue does not list it")
    assert not wrong, "\n".join(wrong)


def test_negative_is_stored_per_mention_and_share_negative_counts_items(mem_store: DuckDBStore) -> None:
    """One definition (voc.nlp.complaints): a mention's own label, else its item's; a theme's share_negative
    is the share of its items carrying a complaint about it, whatever the number of mentions."""
    import numpy as np

    from voc.themes.frames import item_themes, mention_frame
    from voc.themes.stage import _negativity, _theme_stats

    t0 = datetime(2026, 3, 2, tzinfo=UTC)
    mem_store.commit_batch("src", [_item(str(k), f"text {k}", t0) for k in range(3)], [])
    # Item 0 complains three times about T1; item 1 praises it once; item 2 has no sentence labels.
    ss = pd.DataFrame({"item_id": ["src:0"] * 3 + ["src:1"], "sent_idx": [0, 1, 2, 0],
                       "label": ["negative"] * 3 + ["positive"], "score": 0.0, "confidence": 1.0, "model": "m"})  # fmt: skip
    mem_store.write("sentence_sentiment", ss)
    mem_store.write("item_sentiment", pd.DataFrame({"item_id": ["src:2"], "label": ["negative"], "score": [-1.0],
                                                    "confidence": [1.0], "mixed": [False], "model": ["m"],
                                                    "content_hash": ["h"]}))  # fmt: skip
    ments = pd.DataFrame({"item_id": ["src:0"] * 3 + ["src:1", "src:2"], "sent_idx": [0, 1, 2, 0, 0]})
    neg = _negativity(mem_store, ments)
    np.testing.assert_array_equal(neg, [1.0, 1.0, 1.0, 0.0, 1.0])
    frame = mention_frame(ments, np.array(["T1"] * 5), np.ones(5), neg)
    mem_store.write("mentions", frame)
    stats = _theme_stats(mem_store).set_index("theme_id")
    assert stats.loc["T1", "size"] == 5
    assert stats.loc["T1", "share_negative"] == pytest.approx(
        2 / 3
    )  # items 0 and 2 of 3, not 4 mentions of 5
    reg = pd.DataFrame({"theme_id": ["T1"], "label": ["Fit"]})
    it = item_themes(pd.DataFrame({"item_id": ["src:0", "src:1", "src:2"]}), frame, reg)
    assert it["complaint_ids"].tolist() == ['["T1"]', "[]", '["T1"]']


def test_the_report_counts_a_themes_negative_share_from_the_stored_complaints() -> None:
    """The report's share_negative of a theme was the share of its items negative in overall tone; it is
    now the stored complaint flag (a positive item complaining about the theme counts, a negative item
    that only praises it does not), as in themes.csv and the backlog."""
    from voc.report.inputs import theme_pairs

    it = pd.DataFrame({"id": ["a", "b", "c"], "week": None, "created_at": None, "label": ["positive", "negative", None],
                       "score": 0.0, "text": "", "url": None, "source": "s", "kind": "review"})  # fmt: skip
    item_themes = pd.DataFrame({"item_id": ["a", "b", "c"], "theme_id": ["T1", "T1", "T1"],
                                "theme_ids": ['["T1", "T2"]', '["T1"]', '["T1"]'],
                                "complaint_ids": ['["T1"]', "[]", "[]"]})  # fmt: skip
    p = theme_pairs(it, item_themes).set_index(["id", "theme_id"])["complaint"]
    assert p.loc[("a", "T1")] == 1.0 and p.loc[("a", "T2")] == 0.0 and p.loc[("b", "T1")] == 0.0
    assert pd.isna(p.loc[("c", "T1")])  # no known sentiment: left out of the share
    old = theme_pairs(it, item_themes.drop(columns=["complaint_ids"])).set_index(["id", "theme_id"])[
        "complaint"
    ]
    assert old.loc[("b", "T1")] == 1.0  # a store from before the stored flag: the item's tone, as before


def test_read_by_many_keys_and_as_arrow(mem_store: DuckDBStore) -> None:
    frame = pd.DataFrame({"text_hash": ["a", "b", "c"], "model": ["m", "m", "x"], "vector": [[1.0, 0.0]] * 3})
    mem_store.write("embeddings", frame)
    keys = pd.DataFrame({"text_hash": ["a", "c", "z"]})
    got = mem_store.read("embeddings", ["text_hash"], match=keys, order_by="text_hash")
    assert got["text_hash"].tolist() == ["a", "c"]
    arrow = mem_store.read_arrow(
        "embeddings", ["text_hash", "vector"], where="model = ?", params=["m"], match=keys
    )
    assert arrow.column("text_hash").to_pylist() == ["a"]


def test_no_guards_and_no_connection_outside_the_store() -> None:
    """Stages ask the catalogue (read, written, relation), never the database directly."""
    found = []
    for path in sorted([*(ROOT / "voc").rglob("*.py"), *(ROOT / "flows").rglob("*.py")]):
        if _module(path).startswith("voc.store"):
            continue
        text = path.read_text()
        for needle in ("table_exists(", "store.con.", "store.con)", "write_frame("):
            if needle in text:
                found.append(f"{_module(path)}: {needle}")
    # The Dask worker fills its private in-memory store's items, which belong to the store itself.
    assert found == ["flows.scale: write_frame("], found
