"""Config of journey stages and CX-framework pillars.

The taxonomies themselves are TOML files: the shipped ones live in
`voc/taxonomy/data/` (journey stages) and `voc/taxonomy/data/frameworks/`
(one file per CX framework). Point `stages_file` or `framework` at your own
file to edit or replace them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class MappingOverride(BaseModel):
    """A fixed stage and/or pillar for themes matching `theme_id` or `label_pattern`; always wins."""

    model_config = ConfigDict(extra="forbid")

    theme_id: str | None = None
    label_pattern: str | None = Field(
        default=None,
        description="case-insensitive regular expression searched in the theme label and keywords",
    )
    journey_stage: str | None = None
    pillar: str | None = None

    @model_validator(mode="after")
    def _has_match_and_target(self) -> MappingOverride:
        if not (self.theme_id or self.label_pattern):
            raise ValueError("an override needs theme_id or label_pattern")
        if not (self.journey_stage or self.pillar):
            raise ValueError("an override needs journey_stage or pillar")
        return self


class TaxonomyConfig(BaseModel):
    """Journey stages and the active CX framework, and how mentions are mapped to them."""

    model_config = ConfigDict(extra="forbid")

    stages_file: str | None = Field(
        default=None, description="TOML file of journey stages; default: the shipped journey_stages.toml"
    )
    framework: str = Field(
        default="six_pillars",
        description="active CX framework: a shipped name (five_pillars, six_pillars, four_level, four_area) or a TOML path",
    )
    min_similarity: float = Field(
        default=0.25, ge=-1, le=2, description="below this combined score a theme or mention is `unmapped`"
    )
    pillar_min_similarity: float = Field(default=0.25, ge=-1, le=2)
    description_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="share of the embedding score from the description; the rest from the best example",
    )
    keyword_bonus: float = Field(default=0.08, ge=0, le=1, description="added per matched keyword hint")
    keyword_bonus_max: float = Field(default=0.16, ge=0, le=1)
    centroid_weight: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="for themes: weight of the mention centroid against the label+keywords text",
    )
    theme_weight_for_mentions: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="a mention's score blends its own sentence with its theme's scores",
    )
    overrides: list[MappingOverride] = Field(default_factory=list)
