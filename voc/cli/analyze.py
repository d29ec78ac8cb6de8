"""CLI commands for the analyze stage (registered on the apps in voc.cli.app)."""

from __future__ import annotations
