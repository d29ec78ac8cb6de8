"""CLI commands for the report stage (registered on the apps in voc.cli.app)."""

from __future__ import annotations
