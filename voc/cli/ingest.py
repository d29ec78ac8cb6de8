"""CLI commands for ingestion: init, demo, ingest, status."""

from __future__ import annotations
