"""Contract with the demo generator: its exports map with config/demo.toml and lose nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from voc.config import load_config
from voc.ingest import make_connector

PROJECT = Path(__file__).resolve().parents[1]


def test_demo_exports_map_exactly(tmp_path: Path) -> None:
    from voc.demo import generate_demo

    manifest = generate_demo(tmp_path / "data" / "demo", n_items=400, weeks=4)
    cfg = load_config(PROJECT / "config" / "demo.toml").model_copy(update={"root": tmp_path})
    assert cfg.sources
    for source in cfg.sources:
        file = Path(source.path).name
        chunks = list(make_connector(source, cfg).read({}))
        recs = [r for c in chunks for r in c.records]
        bad = [q for c in chunks for q in c.quarantined]
        assert len(recs) + len(bad) == manifest.rows[file], source.name
        assert len(bad) == manifest.bad_rows[file], (source.name, Counter(q.reason for q in bad))
        # every distinct valid item gets its own id; planted duplicates collapse onto one
        assert len({r.id for r in recs}) == manifest.items[file], source.name
        kind = manifest.kinds[file]
        assert {r.kind.value for r in recs} == {kind}, source.name
