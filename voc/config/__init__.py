"""Typed configuration (pydantic), one model per stage, loaded from TOML or YAML.

Errors name the file and the dotted key, e.g.
`[E101] config/voc.toml: sources[0:tickets].format: Input should be 'csv', ...`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voc.config.alerts import AlertsConfig
from voc.config.core import CleanConfig, EncoderConfig, IngestConfig, StoreConfig
from voc.config.flows import FlowsConfig
from voc.config.ranking import RankingConfig
from voc.config.report import ReportConfig
from voc.config.sentiment import SentimentConfig
from voc.config.sources import ColumnMap, SourceConfig, ZendeskApiConfig
from voc.config.taxonomy import TaxonomyConfig
from voc.config.themes import ThemesConfig
from voc.errors import ConfigError

__all__ = [
    "ColumnMap",
    "SourceConfig",
    "VocConfig",
    "ZendeskApiConfig",
    "default_config",
    "load_config",
]

DEFAULT_CONFIG_PATH = Path("config/voc.toml")


class VocConfig(BaseModel):
    """The whole configuration. Every section has working defaults."""

    model_config = ConfigDict(extra="forbid")

    root: Path = Field(default=Path("."), description="project root; relative paths resolve against it")
    store: StoreConfig = Field(default_factory=StoreConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    clean: CleanConfig = Field(default_factory=CleanConfig)
    encoder: EncoderConfig = Field(default_factory=EncoderConfig)
    sentiment: SentimentConfig = Field(default_factory=SentimentConfig)
    themes: ThemesConfig = Field(default_factory=ThemesConfig)
    taxonomy: TaxonomyConfig = Field(default_factory=TaxonomyConfig)
    ranking: RankingConfig = Field(default_factory=RankingConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    flows: FlowsConfig = Field(default_factory=FlowsConfig)

    @model_validator(mode="after")
    def _unique_source_names(self) -> VocConfig:
        seen: set[str] = set()
        for s in self.sources:
            if s.name in seen:
                raise ValueError(f"source name {s.name!r} is used twice; names must be unique")
            seen.add(s.name)
        return self

    def resolve(self, path: str | Path) -> Path:
        """Resolve a config path against the project root."""
        p = Path(path)
        return p if p.is_absolute() else (self.root / p)

    def source(self, name: str) -> SourceConfig:
        """The source called `name`, or a ConfigError listing the known names."""
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "(none configured)"
        raise ConfigError(f"no source named {name!r}; configured sources: {known}", code="E104")


def _format_loc(loc: tuple[Any, ...], data: dict[str, Any]) -> str:
    """Dotted key path; list indices show the entry's name when it has one."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int):
            label = str(item)
            if (
                isinstance(node, list)
                and item < len(node)
                and isinstance(node[item], dict)
                and "name" in node[item]
            ):
                label = f"{item}:{node[item]['name']}"
            parts[-1] = f"{parts[-1]}[{label}]" if parts else f"[{label}]"
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _read_file(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"config file {path} does not exist; create one with `voc init`", code="E102")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix in {".yaml", ".yml"}:
            import yaml

            data = yaml.safe_load(text) or {}
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # the parser's own message says where
        raise ConfigError(f"{path}: cannot parse: {exc}", code="E103") from exc
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: top level must be a table/mapping, got {type(data).__name__}; start from `voc init`",
            code="E109",
        )
    return data


def config_from_dict(
    data: dict[str, Any], *, origin: str = "<config>", root: Path | None = None
) -> VocConfig:
    """Validate a config mapping; errors name `origin` and the bad key."""
    data = dict(data)
    if root is not None:
        data["root"] = (
            str(root / data.get("root", "."))
            if not Path(data.get("root", ".")).is_absolute()
            else data["root"]
        )
    try:
        return VocConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{origin}: {_format_loc(e['loc'], data)}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid config:\n  " + "\n  ".join(lines), code="E101") from None


def load_config(path: str | Path | None = None) -> VocConfig:
    """Load and validate a config file (TOML or YAML).

    Relative `root` is taken from the config file's location: a file in a
    folder named `config/` has the folder above as its root, otherwise the
    file's own folder. With no path and no `config/voc.toml`, defaults are used.
    """
    if path is None:
        if not DEFAULT_CONFIG_PATH.exists():
            return default_config()
        path = DEFAULT_CONFIG_PATH
    path = Path(path)
    data = _read_file(path)
    base = path.resolve().parent
    if base.name == "config":
        base = base.parent
    return config_from_dict(data, origin=str(path), root=base)


def default_config(root: Path | None = None) -> VocConfig:
    """Defaults only, rooted at `root` (the current directory by default)."""
    return VocConfig(root=root or Path.cwd())
