"""Themes: mention-level discovery (BERTopic), labels, hierarchy and a stable registry.

Entry point: `voc.themes.stage.update_themes(store, config)`.
"""
