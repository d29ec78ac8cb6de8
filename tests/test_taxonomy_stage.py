"""The taxonomy stage on a weekly run: only new mentions are mapped, with the same result as mapping all."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from themes_fixtures import add_items, fake_encode, topic_items, topic_sentences

from voc.config import default_config
from voc.store import DuckDBStore
from voc.taxonomy.stage import map_taxonomy
from voc.themes.stage import update_themes


def test_a_weekly_run_maps_only_the_new_mentions_and_writes_what_a_full_mapping_writes(tmp_path) -> None:
    cfg = default_config(tmp_path)
    cfg.themes.min_cluster_size = 5
    cfg.themes.label_noun_chunks = False
    week2 = [
        (f"b-{k}", [f"{s[:-1]} this week.", "I want to cancel."])
        for k, s in enumerate(topic_sentences("refund", 8))
    ]
    got = {}
    for way in ("new only", "all"):
        with DuckDBStore(tmp_path / f"{way}.duckdb") as store:
            add_items(store, topic_items("a"))
            update_themes(store, cfg, encode_fn=fake_encode, progress=False)
            first = map_taxonomy(store, cfg, encode_fn=fake_encode)
            assert first["mode"] == "all mentions"
            add_items(store, week2, start=datetime(2026, 3, 9, 9, tzinfo=UTC))
            update_themes(store, cfg, refit=False, encode_fn=fake_encode, progress=False)
            if way == "all":
                store.set_watermark("taxonomy", "inputs", "changed")
            out = map_taxonomy(store, cfg, encode_fn=fake_encode)
            got[way] = (
                out,
                {
                    t: store.query(f"SELECT * FROM {t} ORDER BY ALL")
                    for t in ("mention_mapping", "item_mapping", "theme_mapping")
                },
            )
    (out_new, new), (out_all, full) = got["new only"], got["all"]
    assert out_new["mode"] == "new mentions only" and out_all["mode"] == "all mentions"
    assert out_new["mentions"] == len(week2) * 2 < out_all["mentions"]
    for table in new:
        pd.testing.assert_frame_equal(new[table], full[table], check_dtype=False, obj=table)
    assert len(full["item_mapping"]) == len(topic_items("a")) + len(week2)
