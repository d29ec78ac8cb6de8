"""Typed config: defaults, loading, and errors that name the key and the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from voc.config import load_config
from voc.errors import ConfigError


def test_defaults_without_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = load_config()
    assert cfg.clean.redact_pii is True
    assert cfg.store.path == "data/voc.duckdb"


def test_root_is_folder_above_config_dir(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    p = tmp_path / "config" / "voc.toml"
    p.write_text('[store]\npath = "data/x.duckdb"\n')
    cfg = load_config(p)
    assert cfg.resolve(cfg.store.path) == tmp_path / "data" / "x.duckdb"


def test_bad_key_is_named_with_file_and_source(tmp_path: Path) -> None:
    p = tmp_path / "voc.toml"
    p.write_text('[[sources]]\nname = "tickets"\nformat = "zendesk_xml"\npath = "x"\n')
    with pytest.raises(ConfigError) as err:
        load_config(p)
    msg = str(err.value)
    assert "E101" in msg and str(p) in msg and "sources[0:tickets].format" in msg


def test_unknown_key_is_rejected(tmp_path: Path) -> None:
    p = tmp_path / "voc.toml"
    p.write_text("[clean]\nredact_pi = false\n")
    with pytest.raises(ConfigError, match=r"clean\.redact_pi"):
        load_config(p)


def test_renamed_sentiment_key_still_loads_with_a_warning(tmp_path: Path) -> None:
    p = tmp_path / "voc.toml"
    p.write_text("[sentiment]\nread_items_whole = false\n")
    with pytest.warns(DeprecationWarning, match="sentences_in_context"):
        cfg = load_config(p)
    assert cfg.sentiment.sentences_in_context is False


def test_unparseable_file_and_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "voc.toml"
    p.write_text("[store\n")
    with pytest.raises(ConfigError, match="E103"):
        load_config(p)
    with pytest.raises(ConfigError, match="voc init"):
        load_config(tmp_path / "nope.toml")


def test_duplicate_source_names(tmp_path: Path) -> None:
    p = tmp_path / "voc.toml"
    p.write_text('[[sources]]\nname = "a"\nformat = "csv"\n[[sources]]\nname = "a"\nformat = "csv"\n')
    with pytest.raises(ConfigError, match="used twice"):
        load_config(p)


def test_yaml_config(tmp_path: Path) -> None:
    p = tmp_path / "voc.yaml"
    p.write_text("store:\n  path: data/y.duckdb\n")
    assert load_config(p).store.path == "data/y.duckdb"
