"""The shape of one theme's phrase bank: part name (subject, core, detail...) -> phrases."""

from __future__ import annotations

Bank = dict[str, tuple[str, ...]]
