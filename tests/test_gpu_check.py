"""bench/gpu_check.py works on a CPU-only machine: it says device=cpu and measures both precisions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.model
def test_gpu_check_runs_the_encoder_on_the_cpu(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(BENCH))
    out = tmp_path / "gpu.json"
    argv = [
        "--device",
        "cpu",
        "--sentences",
        "64",
        "--batch-size",
        "32",
        "--skip-analyze",
        "--json",
        str(out),
    ]
    assert gpu_check.main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("device=cpu")
    assert "encoder bf16:" in printed and "encoder fp32:" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["device"] == "cpu"
    assert [r["precision"] for r in report["encoder"]] == ["bf16", "fp32"]
    assert all(r["sentences_per_s"] > 0 and r["dim"] == 384 for r in report["encoder"])
    assert 28 <= report["encoder"][0]["mean_tokens"] <= 36  # sentences of about 32 tokens


def test_generated_sentences_are_distinct() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(BENCH))
    texts = gpu_check.sentences(1000)
    assert len(set(texts)) == 1000 and gpu_check.sentences(3) == gpu_check.sentences(3)
