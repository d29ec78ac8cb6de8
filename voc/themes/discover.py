"""Theme discovery: BERTopic's steps with a clustering tuned for customer feedback.

The steps are BERTopic's (embeddings -> reduction -> clustering; see
`TopicModel`), without its c-TF-IDF representations,
which voc never read (`voc.themes.labels` names the themes). BERTopic's
defaults (UMAP + HDBSCAN with min_cluster_size 10) cut short support
requests into hundreds of fragments and leave over a tenth of them as
outliers. Here, by default, the clustering step is community detection on
the cosine k-nearest-neighbour graph of the (unreduced) embeddings: Louvain
modularity with resolution 2, so the number of themes comes out of the data
(dense groups of mutually similar mentions) and is never given. After it:

1. communities smaller than `min_cluster_size` are dissolved; their
   mentions join the nearest theme only when clearly close (cosine to the
   centroid >= `outlier_threshold`), otherwise they stay unassigned;
2. near-duplicate themes (centroid cosine >= `merge_threshold`) are merged.

When the mentions come from feedback items (`groups`: the item of each
mention), the item is used as context, because the sentences of one ticket
mostly speak of one issue (not those of a review or survey answer, which
cover several aspects: `linked_mentions`, `themes.item_context_kinds`). Embeddings alone cut an issue into its
facets: "shipping took three weeks", "tracking still says label created"
and "give me a realistic delivery date" are far apart as sentences (on the
demo, facets of one planted theme have centroid cosine 0.31 at the median,
so no similarity threshold merges them) but keep turning up in the same
tickets. So:

- boilerplate is found first: a community of the plain similarity graph
  whose mentions turn up next to every kind of issue, in proportion to how
  common each is (greetings, "first time contacting support", signatures),
  has no theme of its own; its mentions are left unassigned
  (`boilerplate_concentration`);
- the communities are then merged by Louvain on the community graph:
  similarity edges plus links between mentions of the same item (worth
  `graph_item_weight` of a mention's similarity degree), so facets that
  keep co-occurring join one theme. A mention never leaves its community,
  so a single ticket raising two unrelated things merges nothing. Texts
  without items (intent datasets, one text each) are clustered as before.
- with the mentions' dates (`times`), the merge never joins communities
  whose weekly volume differs clearly (`graph_time_split`): an emerging
  issue (the demo's "settings reset after the 5.2 update", two weeks old)
  co-occurs with an old one ("the app crashes") in the same tickets, but
  swallowed into it, it would never be flagged as new or rising. For the
  same reason, a first-pass community whose parts (its sub-communities)
  differ clearly in weekly volume is cut before the merge: an emerging
  issue worded like an old one lands in the old one's community.

`clustering = "hdbscan"` gives the classic BERTopic path (UMAP + HDBSCAN)
with the same two post-steps.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc.config.themes import ThemesConfig

# The graph clustering and its time test live in their own modules; callers have always found them here.
from voc.themes.graph import GraphCommunities, boilerplate_communities, item_graph, knn_graph
from voc.themes.registry import centroids_of, normalise
from voc.themes.time_profiles import split_by_time, split_by_time_order, time_profiles_differ, week_counts_of

__all__ = [
    "Discovery", "GraphCommunities", "TopicModel", "boilerplate_communities", "build_topic_model",
    "fit_themes", "item_graph", "knn_graph", "linked_mentions", "postprocess", "split_by_time",
    "split_by_time_order", "time_profiles_differ", "week_counts_of",
]  # fmt: skip

log = logging.getLogger(__name__)


@dataclass
class Discovery:
    """Result of one fit: a theme index per mention (-1 = unassigned) and centroids."""

    labels: np.ndarray
    centroids: np.ndarray
    sizes: np.ndarray
    n_raw_clusters: int = 0
    raw_outlier_share: float = 0.0
    seconds: float = 0.0
    note: str = ""
    n_boilerplate: int = 0  # mentions left unassigned as boilerplate

    @property
    def n_themes(self) -> int:
        return len(self.centroids)

    @property
    def unassigned_share(self) -> float:
        return float((self.labels < 0).mean()) if len(self.labels) else 0.0


@dataclass
class TopicModel:
    """Discovery's reduction and clustering steps, as BERTopic's `fit_transform` ran them.

    `reducer` is None when the embeddings are clustered as they are (graph
    clustering); `cluster` follows the scikit-learn interface (`fit`,
    `labels_`). BERTopic's own frame is not used: its c-TF-IDF topic
    representations were computed on every fit and never read (themes are
    named by `voc.themes.labels` over all mentions, after overrides and merges).
    """

    reducer: Any
    cluster: Any

    def fit(self, embeddings: np.ndarray) -> np.ndarray:
        """Reduce and cluster; returns the cluster of each row (-1 = outlier), as the cluster model numbers them.

        BERTopic renumbered the clusters by size before `postprocess`, which
        renumbers them by size again; only the order of equal-sized themes
        depended on it, and without BERTopic it follows the cluster model's
        own numbering (Louvain's: by size, then by earliest row).
        """
        reduced = self.reducer.fit_transform(embeddings) if self.reducer is not None else embeddings
        self.cluster.fit(reduced)
        return np.asarray(self.cluster.labels_, dtype=int)


def build_topic_model(config: ThemesConfig, n_docs: int) -> TopicModel:
    """The reduction and clustering steps set up per `config` for `n_docs` mentions."""
    if config.clustering == "graph":
        return TopicModel(
            reducer=None,
            cluster=GraphCommunities(
                config.graph_neighbors,
                config.graph_resolution,
                config.seed,
                item_weight=config.graph_item_weight,
                boilerplate_concentration=config.boilerplate_concentration,
                boilerplate_max_share=config.boilerplate_max_share,
                time_split=config.graph_time_split,
            ),
        )
    from hdbscan import HDBSCAN
    from umap import UMAP

    reducer = UMAP(
        n_neighbors=min(config.umap_neighbors, max(2, n_docs - 1)),
        n_components=min(config.umap_components, max(2, n_docs - 2)),
        min_dist=0.0,
        metric="cosine",
        random_state=config.seed,
    )
    cluster = HDBSCAN(
        min_cluster_size=config.min_cluster_size,
        min_samples=config.min_samples,
        cluster_selection_method=config.cluster_selection,
        prediction_data=True,
    )
    return TopicModel(reducer=reducer, cluster=cluster)


def postprocess(
    embeddings: np.ndarray,
    raw: np.ndarray,
    *,
    min_size: int,
    outlier_threshold: float,
    merge_threshold: float,
    keep_out: np.ndarray | None = None,
) -> np.ndarray:
    """Dissolve small clusters, reassign clear outliers, merge near-duplicates; renumber by size.

    Rows in `keep_out` (boilerplate) stay unassigned: they are not outliers to place.
    """
    x = normalise(embeddings)
    labels = np.asarray(raw, dtype=int).copy()
    if keep_out is not None:
        labels[keep_out] = -1
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    small = ids[counts < min_size]
    labels[np.isin(labels, small)] = -1
    keep = sorted(set(labels.tolist()) - {-1})
    if not keep:
        return np.full(len(labels), -1, dtype=int)
    cents = centroids_of(x, labels, keep)
    out = labels == -1
    if keep_out is not None:
        out &= ~keep_out
    if out.any():
        sim = x[out] @ cents.T
        best = sim.argmax(axis=1)
        ok = sim[np.arange(len(best)), best] >= outlier_threshold
        idx = np.flatnonzero(out)
        labels[idx[ok]] = np.asarray(keep)[best[ok]]
    if len(keep) > 1 and merge_threshold < 1:
        from scipy.cluster.hierarchy import fcluster, linkage

        cents = centroids_of(x, labels, keep)
        z = linkage(cents.astype(np.float64), method="average", metric="cosine")
        grp = fcluster(z, t=1 - merge_threshold, criterion="distance")
        to = dict(zip(keep, grp.tolist(), strict=True))
        labels = np.array([to[v] if v >= 0 else -1 for v in labels.tolist()], dtype=int)
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    remap = {int(v): i for i, v in enumerate(order)}
    return np.array([remap.get(v, -1) for v in labels.tolist()], dtype=int)


def _days(times: Sequence[Any] | np.ndarray) -> np.ndarray:
    """Dates as float days since the epoch (UTC); missing dates count as the earliest one."""
    import pandas as pd

    ts = pd.to_datetime(pd.Series(list(times) if not isinstance(times, np.ndarray) else times), utc=True)
    days = (ts - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy(dtype=np.float64) / 86400.0
    return np.where(np.isnan(days), np.nanmin(days) if (~np.isnan(days)).any() else 0.0, days)


def linked_mentions(kinds: Sequence[Any] | np.ndarray, config: ThemesConfig) -> np.ndarray:
    """Which mentions come from items of a kind that speaks of one issue (`themes.item_context_kinds`).

    A ticket is one contact about one problem, so sentences that keep
    turning up in the same tickets are facets of it. A review or a survey
    answer covers several aspects ("the room was clean, the staff rude,
    breakfast cold"; 27% of the NHS comments carry several of the human
    topics), so its sentences' co-occurrence would join unrelated aspects.
    """
    wanted = {str(k) for k in config.item_context_kinds}
    return np.array([str(k) in wanted for k in kinds], dtype=bool)


def fit_themes(
    texts: Sequence[str],
    embeddings: np.ndarray,
    config: ThemesConfig,
    *,
    groups: Sequence[Any] | np.ndarray | None = None,
    times: Sequence[Any] | np.ndarray | None = None,
    linked: Sequence[bool] | np.ndarray | None = None,
) -> Discovery:
    """Discover themes in mentions (texts with their L2-normalised embeddings).

    `groups`, when given, is the feedback item of each mention: it is used
    (graph clustering only) to leave boilerplate unassigned and to join
    facets of one issue; see the module docstring. `times`, when given
    with `groups`, is the date of each mention (anything pandas reads as a
    datetime): facets are only joined when their weekly volume agrees.
    `linked`, when given, marks the mentions whose item speaks of one issue
    (`linked_mentions`: tickets by default); only those items join facets.

    The steps are BERTopic's (reduction, clustering) without its frame
    (`TopicModel`). Too few mentions for even one
    theme gives an empty result with a note, not an error.
    """
    t0 = time.perf_counter()
    n = len(texts)
    emb = normalise(embeddings) if n else np.zeros((0, 384), dtype=np.float32)
    need = max(2 * config.min_cluster_size, 10)
    if n < need:
        note = f"{n} mentions are fewer than the {need} needed to find a theme; all left unassigned"
        return Discovery(
            labels=np.full(n, -1, dtype=int),
            centroids=np.zeros((0, emb.shape[1]), dtype=np.float32),
            sizes=np.zeros(0, dtype=int),
            note=note,
            seconds=time.perf_counter() - t0,
        )
    group_arr = np.asarray(groups, dtype=object) if groups is not None else None
    days = _days(times) if times is not None else None
    model = build_topic_model(config, n)
    cluster = model.cluster
    if isinstance(cluster, GraphCommunities):
        cluster.groups = group_arr
        cluster.linked = None if linked is None else np.asarray(linked, dtype=bool)
        cluster.times = days
    raw = model.fit(emb)
    boiler = np.asarray(getattr(cluster, "labels_", raw)) < 0 if group_arr is not None else np.zeros(n, bool)
    labels = postprocess(
        emb,
        raw,
        min_size=max(config.min_cluster_size, int(np.ceil(config.min_theme_share * n))),
        outlier_threshold=config.outlier_threshold,
        merge_threshold=config.merge_threshold,
        keep_out=boiler,
    )
    k = int(labels.max()) + 1 if (labels >= 0).any() else 0
    cents = centroids_of(emb, labels, list(range(k)))
    sizes = np.bincount(labels[labels >= 0], minlength=k)
    return Discovery(
        labels=labels,
        centroids=cents,
        sizes=sizes,
        n_raw_clusters=len(set(raw.tolist()) - {-1}),
        raw_outlier_share=float((raw < 0).mean()),
        seconds=time.perf_counter() - t0,
        n_boilerplate=int(boiler.sum()),
        note=_boilerplate_note(cluster, config),
    )


def _boilerplate_note(cluster: Any, config: ThemesConfig) -> str:
    skipped = getattr(cluster, "boilerplate_skipped_", None)
    if skipped is None:
        return ""
    return (
        f"boilerplate test skipped: it would have set aside {skipped:.0%} of the mentions (more than "
        f"themes.boilerplate_max_share = {config.boilerplate_max_share:g}), so co-occurrence does not tell "
        "boilerplate from content here (short texts)"
    )
