"""CLI commands for the serve stage (registered on the apps in voc.cli.app)."""

from __future__ import annotations
