"""Read a connector in a second process while this one cleans and stores.

On a 2-core machine the ingest job is CPU-bound in three roughly equal
parts (parse + map, clean, store). Running the connector one chunk ahead in
a forked child overlaps the first part with the other two. Order, the
chunks' watermarks and error propagation are unchanged: the parent still
commits chunk after chunk, so an interrupted ingest resumes exactly as
without read-ahead. A bounded queue keeps memory flat (at most `depth`
chunks in flight).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Iterator
from typing import Any

from voc.ingest.base import Chunk
from voc.pipeline.lifeline import watch_parent

_DONE = "__done__"
_ERROR = "__error__"


def _produce(make_iter: Callable[[], Iterator[Chunk]], q: Any, parent: int) -> None:
    # A parent killed with SIGKILL cannot stop this child; without the watch it lingered for
    # 20 minutes (130-145 MB), blocked on a full queue nobody reads.
    watch_parent(parent)
    try:
        for chunk in make_iter():
            while True:
                try:
                    q.put(chunk, timeout=1.0)
                    break
                except queue.Full:
                    if os.getppid() != parent:  # the parent died (killed): stop, do not linger
                        return
        q.put(_DONE)
    except BaseException as exc:  # hand the failure to the parent, which records it
        try:
            q.put((_ERROR, exc))
        except Exception:  # the exception itself may not pickle
            q.put((_ERROR, RuntimeError(f"{type(exc).__name__}: {exc}")))


def read_ahead(make_iter: Callable[[], Iterator[Chunk]], *, depth: int = 2) -> Iterator[Chunk]:
    """Yield the chunks of `make_iter()` produced in a forked child process.

    Falls back to reading in this process where fork is unavailable.
    """
    if "fork" not in mp.get_all_start_methods():
        yield from make_iter()
        return
    ctx = mp.get_context("fork")
    q = ctx.Queue(maxsize=depth)
    proc = ctx.Process(target=_produce, args=(make_iter, q, os.getpid()), daemon=True)
    proc.start()
    try:
        while True:
            try:
                item = q.get(timeout=5.0)
            except queue.Empty:
                if not proc.is_alive() and q.empty():
                    raise RuntimeError(
                        f"connector process exited unexpectedly (exit code {proc.exitcode})"
                    ) from None
                continue
            if isinstance(item, str) and item == _DONE:
                break
            if isinstance(item, tuple) and len(item) == 2 and item[0] == _ERROR:
                raise item[1]
            yield item
    finally:
        if proc.is_alive():
            proc.terminate()
        proc.join(5)
        q.close()
