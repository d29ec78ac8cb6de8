"""Load taxonomies (journey stages, CX frameworks) from TOML.

A taxonomy file has a `name`, a `title` and `[[entry]]` tables, each with a
`name`, a one-line `description`, a few `examples` (phrases in the customer's
voice) and optional `keywords` (hints) and `level` (a grouping, e.g. the
four-level model's levels). Shipped files are package data; a config value
that is a path loads the user's own file instead.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voc.config import VocConfig
from voc.errors import ConfigError

UNMAPPED = "unmapped"


class TaxonomyEntry(BaseModel):
    """One stage or pillar."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str
    examples: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    level: str | None = None

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        if not value.strip() or value == UNMAPPED:
            raise ValueError(f"entry name {value!r} is empty or reserved")
        return value


class Taxonomy(BaseModel):
    """A named list of entries (journey stages, or the pillars of one CX framework)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    title: str = ""
    entries: list[TaxonomyEntry] = Field(alias="entry", min_length=1)

    @field_validator("entries")
    @classmethod
    def _unique(cls, value: list[TaxonomyEntry]) -> list[TaxonomyEntry]:
        names = [e.name for e in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"entry names must be unique; repeated: {', '.join(dupes)}")
        return value

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]


def _data_dir():
    return resources.files("voc.taxonomy") / "data"


def shipped_frameworks() -> list[str]:
    """Names of the CX frameworks that ship with voc."""
    return sorted(
        p.name.removesuffix(".toml")
        for p in (_data_dir() / "frameworks").iterdir()
        if p.name.endswith(".toml")
    )


def parse_taxonomy(text: str, origin: str) -> Taxonomy:
    """Validate taxonomy TOML text; errors name `origin` and the bad key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: cannot parse taxonomy TOML: {exc}", code="E110") from exc
    try:
        return Taxonomy.model_validate(data)
    except ValidationError as exc:
        lines = [f"{origin}: {'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise ConfigError("invalid taxonomy:\n  " + "\n  ".join(lines), code="E111") from None


def _load_path(path: Path) -> Taxonomy:
    if not path.exists():
        raise ConfigError(
            f"taxonomy file {path} does not exist; give a TOML path or a shipped name", code="E112"
        )
    return parse_taxonomy(path.read_text(encoding="utf-8"), str(path))


def load_stages(config: VocConfig) -> Taxonomy:
    """The journey stages: the configured file, or the shipped defaults."""
    if config.taxonomy.stages_file:
        return _load_path(config.resolve(config.taxonomy.stages_file))
    res = _data_dir() / "journey_stages.toml"
    return parse_taxonomy(res.read_text(encoding="utf-8"), "voc/taxonomy/data/journey_stages.toml")


def load_framework(config: VocConfig, name: str | None = None) -> Taxonomy:
    """The active CX framework (or `name`): a shipped framework name or a TOML path."""
    ref = name or config.taxonomy.framework
    if ref in shipped_frameworks():
        res = _data_dir() / "frameworks" / f"{ref}.toml"
        return parse_taxonomy(res.read_text(encoding="utf-8"), f"voc/taxonomy/data/frameworks/{ref}.toml")
    if ref.endswith(".toml") or "/" in ref:
        return _load_path(config.resolve(ref))
    raise ConfigError(
        f"unknown CX framework {ref!r}; shipped: {', '.join(shipped_frameworks())}, or give a path to a TOML file",
        code="E113",
    )
