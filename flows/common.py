"""What every flow shares: config, the store, transient-error retries, outcomes.

A flow's outcome is a plain dict (JSON-able, shown in the Prefect UI) with
one entry per step. Steps that failed are listed with their error; the
flow's final state says which kind of ending it was:

- every step ok            -> Completed
- some ok, some failed     -> Failed named "Partial", message lists the failures
- nothing ok               -> Failed

A partial failure is a failure to Prefect, as it is to the CLI (exit code 1):
a work pool, an automation or `voc flow run` must not read it as success.
The state's name still tells it apart from a run where nothing worked.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.exceptions import MissingContextError
from prefect.states import Completed, Failed, State

from voc.config import VocConfig, load_config
from voc.errors import StoreLockedError
from voc.store import DuckDBStore, open_store

# Errors worth another try: the store locked by another writer, and network
# trouble of an API connector. Anything else (a missing file, a bad config)
# fails the same way every time, so it is not retried.
_TRANSIENT = re.compile(
    r"\[E301\]|ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|TimeoutError|"
    r"ConnectionError|ConnectionReset|RemoteProtocolError|\b(?:HTTP|status(?: code)?)\s*:?\s*(?:429|50[0-4])\b",
    re.IGNORECASE,
)


class StepFailedError(RuntimeError):
    """A step (a source, a stage) ended in error; carries what it did before failing."""

    def __init__(self, step: str, error: str, summary: dict[str, Any] | None = None) -> None:
        super().__init__(f"{step}: {error}")
        self.step = step
        self.error = error
        self.summary = summary or {}


def logger() -> logging.Logger | logging.LoggerAdapter:
    """The Prefect run logger inside a run, the module logger outside (task.fn() in tests)."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("flows")


def load(config: str | Path | VocConfig | None) -> VocConfig:
    """A config from a path (deployments pass strings), an object, or the default."""
    if isinstance(config, VocConfig):
        return config
    return load_config(config)


@contextmanager
def writer(cfg: VocConfig) -> Iterator[DuckDBStore]:
    """The store opened for writing for one task; the lock is released when the task ends."""
    store = open_store(cfg)
    try:
        yield store
    finally:
        store.close()


def is_transient(exc: BaseException) -> bool:
    """Whether an error is likely to pass on a retry (lock held, network trouble)."""
    if isinstance(exc, StoreLockedError | TimeoutError | ConnectionError):
        return True
    try:
        import httpx

        if isinstance(exc, httpx.TransportError):
            return True
    except ImportError:  # pragma: no cover - httpx is a dependency
        pass
    return bool(_TRANSIENT.search(str(exc)))


def retry_if_transient(task: Any, task_run: Any, state: State) -> bool:
    """Prefect `retry_condition_fn`: retry only transient errors."""
    try:
        state.result()
    except Exception as exc:
        return is_transient(exc)
    return False


def jsonable(value: Any) -> Any:
    """A stage's return value as something the Prefect API can store."""
    if value is None:
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    elif hasattr(value, "model_dump"):
        value = value.model_dump()
    elif hasattr(value, "as_dict"):
        value = value.as_dict()
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return str(value)


def step_outcome(name: str, state: State) -> dict[str, Any]:
    """One step's entry in a flow outcome, from its final Prefect state."""
    if state.is_completed():
        out = state.result()
        return {"step": name, "status": "ok", **(out if isinstance(out, dict) else {"result": jsonable(out)})}
    exc = state.result(raise_on_failure=False)
    if isinstance(exc, StepFailedError):
        return {"step": name, "status": "failed", "error": exc.error, **exc.summary}
    error = (
        f"{type(exc).__name__}: {exc}" if isinstance(exc, BaseException) else (state.message or state.name)
    )
    return {"step": name, "status": "failed", "error": error}


def finish(flow: str, steps: list[dict[str, Any]], started: float, **extra: Any) -> State:
    """The flow's final state: Completed, Failed("Partial") or Failed, with the outcome as data."""
    failed = [s for s in steps if s["status"] != "ok"]
    seconds = round(time.perf_counter() - started, 2)
    status = "ok" if not failed else ("failed" if len(failed) == len(steps) else "partial")
    outcome = {"flow": flow, "status": status, "seconds": seconds, "steps": steps, **extra}
    log = logger()
    if not failed:
        log.info("%s: %d steps ok in %.1f s", flow, len(steps), seconds)
        return Completed(data=outcome, message=f"{len(steps)} steps ok in {seconds:.0f} s")
    names = ", ".join(f"{s['step']} ({s.get('error', '')[:200]})" for s in failed)
    msg = f"{len(failed)} of {len(steps)} steps failed: {names}"
    if status == "partial":
        log.warning("%s: partly successful in %.1f s; %s", flow, seconds, msg)
        return Failed(data=outcome, name="Partial", message=msg)
    log.error("%s: failed in %.1f s; %s", flow, seconds, msg)
    return Failed(data=outcome, message=msg)
