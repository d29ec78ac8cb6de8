"""Issue 21, processes: SIGKILL the parent and no child survives; `voc analyze`'s throw-away store goes too.

Before: after the parent was killed the ingest read-ahead child (130-145 MB)
stayed alive for 20 minutes, the sentiment worker (746 MB) stayed blocked on
a pipe for 15 minutes, and `voc analyze` left its `voc-analyze-*` folder
(voc.duckdb and its WAL) in the temp directory.
"""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.reliability

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _big_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "text"])
        for i in range(rows):
            w.writerow(
                [f"r{i}", f"2026-03-{1 + i % 28:02d}", f"The export of report {i} fails with a timeout again"]
            )


def _start(args: list[str], tmp_path: Path, **env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "voc", *args],
        cwd=tmp_path,
        env=os.environ | {"TMPDIR": str(tmp_path / "tmp"), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # our own group, so a failed test can clean up everything
    )


def _wait_for_child(proc: subprocess.Popen, match, timeout: float) -> list[psutil.Process]:
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the command ended before it could be killed"
        kids = parent.children(recursive=True)
        if any(match(k) for k in kids):
            return kids
        time.sleep(0.05)
    raise AssertionError("the child process never started")


def _survivors(kids: list[psutil.Process], within: float) -> list[str]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [k for k in kids if k.is_running() and k.status() != psutil.STATUS_ZOMBIE]
        if not alive:
            return []
        time.sleep(0.1)
    return [f"{k.pid} {' '.join(k.cmdline())[:120]}" for k in alive]


def _kill_all(proc: subprocess.Popen, kids: list[psutil.Process]) -> None:
    """Clean up after a failed test: the group, and children that left it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    for k in kids:
        with contextlib.suppress(psutil.Error):
            k.kill()
    proc.wait(timeout=30)


def _cmd(p: psutil.Process) -> str:
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def test_sigkill_of_ingest_takes_the_read_ahead_child_with_it(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    _big_csv(tmp_path / "big.csv", 150_000)
    (tmp_path / "voc.toml").write_text(
        '[store]\npath = "voc.duckdb"\n[[sources]]\nname = "big"\nformat = "csv"\npath = "big.csv"\n'
        "chunk_rows = 2000\n"
    )
    proc = _start(["ingest", "-c", "voc.toml", "--quiet"], tmp_path)
    kids: list[psutil.Process] = []
    try:
        kids = _wait_for_child(proc, lambda k: True, timeout=60)
        time.sleep(1.0)  # let the child fill its queue
        kids = psutil.Process(proc.pid).children(recursive=True) or kids
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer or `kill -9 PID` would
        proc.wait(timeout=30)
        left = _survivors(kids, within=5.0)
        assert not left, f"children outlived their parent: {left}"
    finally:
        _kill_all(proc, kids)


@pytest.mark.model
def test_sigkill_of_analyze_takes_the_sentiment_worker_and_the_throwaway_store_with_it(
    tmp_path: Path,
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    _big_csv(tmp_path / "in.csv", 3000)
    # Score in the worker process even for a small file.
    (tmp_path / "voc.toml").write_text("[sentiment]\nworker_from_items = 1\nchunk_items = 200\n")
    proc = _start(
        ["analyze", "in.csv", "--out", "out", "-c", "voc.toml", "--quiet", "--id-col", "id"], tmp_path
    )
    kids: list[psutil.Process] = []
    try:
        kids = _wait_for_child(proc, lambda k: "spawn_main" in _cmd(k), timeout=240)
        worker = next(k for k in kids if "spawn_main" in _cmd(k))
        deadline = time.monotonic() + 120
        while worker.memory_info().rss < 400e6 and time.monotonic() < deadline:  # the model is loaded
            time.sleep(0.1)
        kids = psutil.Process(proc.pid).children(recursive=True)
        assert list(tmp.glob("voc-analyze-*")), "the throw-away store was not under TMPDIR"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        left = _survivors(kids, within=10.0)
        assert not left, f"children outlived their parent: {left}"
        deadline = time.monotonic() + 5
        while list(tmp.glob("voc-analyze-*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not list(tmp.glob("voc-analyze-*")), "the throw-away store was left behind"
    finally:
        _kill_all(proc, kids)


def test_throwaway_dir_is_removed_on_an_exception_and_on_sigkill(tmp_path: Path) -> None:
    from voc.pipeline.lifeline import throwaway_dir

    os.environ["TMPDIR"] = str(tmp_path)
    try:
        import tempfile

        tempfile.tempdir = None  # re-read TMPDIR
        with pytest.raises(RuntimeError), throwaway_dir("voc-test-") as d:
            (d / "x").write_text("x")
            raise RuntimeError("stage failed")
        assert not d.exists()
    finally:
        os.environ.pop("TMPDIR")
        tempfile.tempdir = None
    code = (
        "import os, signal, sys, time\n"
        "from voc.pipeline.lifeline import throwaway_dir\n"
        "with throwaway_dir('voc-test-') as d:\n"
        "    (d / 'voc.duckdb').write_text('x'); print(d, flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=os.environ | {"TMPDIR": str(tmp_path)}, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert out.returncode == -signal.SIGKILL
    folder = Path(out.stdout.strip())
    assert folder.parent == tmp_path
    deadline = time.monotonic() + 5
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
