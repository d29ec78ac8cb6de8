"""Config of theme discovery and the theme registry."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ThemeOverrides(BaseModel):
    """User edits to themes, applied after every fit and match so they survive refits.

    Ids are registry ids such as "T0007" (see `voc themes list`).
    """

    model_config = ConfigDict(extra="forbid")

    rename: dict[str, str] = Field(default_factory=dict, description="theme id -> label to show")
    merge: list[list[str]] = Field(
        default_factory=list, description="groups of theme ids to merge; the first id of each group is kept"
    )
    split: dict[str, int] = Field(
        default_factory=dict, description="theme id -> number of parts to split it into (2-10)"
    )
    pin: list[str] = Field(
        default_factory=list, description="theme ids that keep their id and label and are never retired"
    )

    @field_validator("merge")
    @classmethod
    def _merge_groups(cls, value: list[list[str]]) -> list[list[str]]:
        seen: set[str] = set()
        for group in value:
            if len(group) < 2:
                raise ValueError(f"a merge group needs at least two theme ids, got {group}")
            for tid in group:
                if tid in seen:
                    raise ValueError(f"theme id {tid!r} appears in more than one merge group")
                seen.add(tid)
        return value

    @field_validator("split")
    @classmethod
    def _split_parts(cls, value: dict[str, int]) -> dict[str, int]:
        for tid, parts in value.items():
            if not 2 <= parts <= 10:
                raise ValueError(f"split of {tid!r} into {parts} parts: use 2 to 10 parts")
        return value


class ThemesConfig(BaseModel):
    """Theme discovery (BERTopic), labels, hierarchy and registry."""

    model_config = ConfigDict(extra="forbid")

    refit_every_days: int = Field(default=28, ge=1, description="refit (rediscover) themes this often")
    seed: int = 42
    # Discovery. The number of themes comes out of the data: these set the
    # neighbourhood scale and the smallest theme worth reporting, not a count.
    clustering: str = Field(
        default="graph",
        pattern="^(graph|hdbscan)$",
        description="graph = Louvain on the kNN graph; hdbscan = UMAP+HDBSCAN",
    )
    graph_neighbors: int = Field(
        default=10, ge=2, description="neighbours per mention in the similarity graph"
    )
    graph_resolution: float = Field(
        default=2.0, gt=0, description="Louvain resolution; higher = finer themes"
    )
    graph_item_weight: float = Field(
        default=1.0,
        ge=0,
        description="links between mentions of one feedback item, as a share of a mention's similarity degree, "
        "when merging communities: facets of one issue that keep turning up together join one theme (0 = off)",
    )
    graph_time_split: float = Field(
        default=0.25,
        ge=0,
        le=1,
        description="when merging communities, never join two whose weekly volume profiles differ by more than "
        "this (Kolmogorov-Smirnov distance of their mentions' weeks, and significant), and cut a first-pass "
        "community whose parts differ so: an emerging issue stays apart from an old one it co-occurs with or "
        "is worded like, so it can be flagged new or rising (1 = off)",
    )
    item_context_kinds: list[Literal["ticket", "review", "survey"]] = Field(
        default_factory=lambda: ["ticket"],
        description="kinds of feedback whose items speak of one issue: only their mentions' co-occurrence in "
        "items joins facets into one theme (`graph_item_weight`). A review or survey answer covers several "
        "aspects, so by default its sentences are themed by what they say alone",
    )
    boilerplate_concentration: float = Field(
        default=0.2,
        ge=0,
        le=1,
        description="a community whose co-occurrence in items is this little concentrated on associated "
        "themes (greetings, sign-offs) is boilerplate and left unassigned (0 = off)",
    )
    boilerplate_max_share: float = Field(
        default=0.25,
        gt=0,
        le=1,
        description="if the boilerplate test would set aside more than this share of the mentions, co-occurrence "
        "does not tell boilerplate from content on this data (short texts such as tweets): nothing is set aside",
    )
    verdict_share: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="after a fit, themes whose mentions are mostly verdicts without an aspect ('Excellent "
        "service', 'Not happy', a survey's 'Nothing.') above this share are merged, one per tone (1 = off)",
    )
    umap_neighbors: int = Field(default=15, ge=2)
    umap_components: int = Field(default=10, ge=2)
    min_cluster_size: int = Field(default=15, ge=2, description="fewest mentions a theme needs at discovery")
    min_theme_share: float = Field(
        default=0.002,
        ge=0,
        le=0.5,
        description="fewest mentions a theme needs, as a share of the fit (with min_cluster_size)",
    )
    min_samples: int | None = Field(default=5, ge=1)
    cluster_selection: str = Field(default="eom", pattern="^(eom|leaf)$")
    outlier_threshold: float = Field(
        default=0.5, ge=-1, le=1, description="cosine to a theme's centroid above which an outlier joins it"
    )
    merge_threshold: float = Field(
        default=0.92, ge=0, le=1, description="themes whose centroids are this similar (cosine) are merged"
    )
    max_fit_mentions: int = Field(
        default=50_000,
        ge=100,
        description="sample cap for one fit; the other mentions go to their nearest theme (50,000 keeps a "
        "100,000-item store's rebuild under 3 GB)",
    )
    # Registry and incremental assignment.
    match_threshold: float = Field(
        default=0.8, ge=0, le=1, description="centroid cosine for a refitted theme to keep an existing id"
    )
    assign_threshold: float = Field(
        default=0.5, ge=-1, le=1, description="cosine to a centroid for a new mention to join that theme"
    )
    # Labels and hierarchy.
    label_noun_chunks: bool = Field(
        default=True, description="use spaCy noun chunks for labels (slower, reads better)"
    )
    n_keywords: int = Field(default=8, ge=1, le=30)
    n_quotes: int = Field(default=3, ge=0, le=20)
    max_groups: int = Field(default=12, ge=1, description="most theme groups (the upper level)")
    overrides: ThemeOverrides = Field(default_factory=ThemeOverrides)
