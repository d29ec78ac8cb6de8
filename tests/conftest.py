"""Shared fixtures: a fresh store, the shared datasets (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
# Library loggers run outside flow runs in most tests; that is expected, not a warning.
os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VOC_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """Path of ../shared/data; skips the test with the reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"needs the shared datasets at {SHARED_DATA} (present in CI, absent in a fresh clone)")
    return SHARED_DATA


@pytest.fixture
def mem_store():
    """A fresh in-memory DuckDB store."""
    from voc.store import DuckDBStore

    store = DuckDBStore(":memory:")
    yield store
    store.close()


@pytest.fixture
def file_store(tmp_path: Path):
    """A fresh file-backed DuckDB store under tmp_path."""
    from voc.store import DuckDBStore

    store = DuckDBStore(tmp_path / "voc.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory):
    """Prefect's temporary API, once per session, with its own PREFECT_HOME."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (sets Prefect's environment defaults first)

    with prefect_test_harness(server_startup_timeout=90):
        yield
