"""bench/bench_pii.py runs on a fresh clone: a small run against Presidio on the shared datasets."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.model
@pytest.mark.shared_data
def test_bench_pii_small_run(shared_data: Path, tmp_path: Path) -> None:
    pytest.importorskip("presidio_analyzer")
    pytest.importorskip("faker")
    sys.path.insert(0, str(BENCH))
    try:
        import bench_pii
    finally:
        sys.path.remove(str(BENCH))
    out = tmp_path / "pii.json"
    assert (
        bench_pii.main(
            ["--rows", "120", "--sets", "dev", "--no-names", "--data", str(shared_data), "--out", str(out)]
        )
        == 0
    )
    dev = json.loads(out.read_text())["sets"]["dev"]
    voc, presidio = dev["voc"], dev["presidio"]
    # Both systems saw the same rows and were scored the same way.
    assert voc["recall"].keys() == presidio["recall"].keys()
    for kind in ("EMAIL", "CARD", "IP", "SSN"):
        assert voc["recall"][kind]["recall"] >= 0.95, kind
    assert voc["lookalike_precision"] >= 0.95
    assert voc["rows_per_s"] > presidio["rows_per_s"]
