"""Ranking themes into an issue backlog: metrics, impact, trend, priority, backlog files."""
