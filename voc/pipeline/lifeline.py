"""Child processes that die with their parent, and throw-away folders removed however the parent ends.

A SIGKILL gives the parent no chance to stop its children or remove its
temporary store. So:

- every child voc starts (the ingest read-ahead, the sentiment worker, the
  cleaning pool) calls `watch_parent` first: a daemon thread that ends the
  child within `WATCH_INTERVAL_S` of the parent's death. It polls the
  parent pid rather than using Linux's parent-death signal, which fires
  when the *thread* that started the child ends (a Prefect worker thread,
  say), not the process;
- `throwaway_dir` starts a tiny reaper process that waits on a pipe from
  the parent and removes the folder when the pipe closes: at a normal exit,
  on an exception, and when the kernel closes it because the parent died.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

WATCH_INTERVAL_S = 0.5

# Runs in a bare interpreter (-I -S): no voc import, starts in ~20 ms. It ignores SIGINT and
# lives in its own session, so a Ctrl-C or a process-group kill aimed at voc cannot stop it
# before it has removed the folder.
_REAPER = (
    "import shutil, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
    "sys.stdin.buffer.read()\n"
    "shutil.rmtree(sys.argv[1], ignore_errors=True)\n"
)


def watch_parent(parent_pid: int, interval_s: float = WATCH_INTERVAL_S) -> None:
    """In a child process: exit at once when the process `parent_pid` is gone (however it ended)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        os._exit(1)  # the parent is gone: nobody reads what this child would produce

    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, name="voc-parent-watch", daemon=True).start()


@contextmanager
def throwaway_dir(prefix: str) -> Iterator[Path]:
    """A temporary folder that is removed when the block ends or this process dies (SIGKILL included)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    reaper = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", _REAPER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        if reaper.stdin is not None:
            reaper.stdin.close()  # EOF: the reaper finds the folder gone and exits
        try:
            reaper.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a wedged reaper must not hang voc
            reaper.kill()
