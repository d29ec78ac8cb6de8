"""Themes: mention-level discovery (BERTopic's steps), labels, hierarchy and a stable registry.

Entry point: `voc.themes.stage.update_themes(store, config)` (the I/O); the
pure core it calls is `voc.themes.core` (fit, match, assign: a registry diff),
with `describe` (names, groups) and `frames` (the rows written).
"""
