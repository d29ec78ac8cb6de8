"""Theme discovery: BERTopic's steps with a clustering tuned for customer feedback.

The steps are BERTopic's (embeddings -> reduction -> clustering, topics
numbered by size; see `TopicModel`), without its c-TF-IDF representations,
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
or review mostly speak of one issue. Embeddings alone cut an issue into its
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
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voc.config.themes import ThemesConfig
from voc.themes.registry import centroids_of, normalise

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


def knn_graph(embeddings: np.ndarray, n_neighbors: int, block: int | None = None) -> Any:
    """Symmetric sparse graph of each row's `n_neighbors` most cosine-similar rows.

    Exact (blockwise matrix products); a block holds about 16M similarities
    (64 MB), so memory stays flat as the input grows.
    """
    import scipy.sparse as sp
    import torch

    x = normalise(embeddings)
    n = len(x)
    k = min(n_neighbors, n - 1)
    block = block or max(64, 16_000_000 // max(n, 1))
    rows, cols, vals = [], [], []
    for s in range(0, n, block):
        sim = x[s : s + block] @ x.T
        sim[np.arange(len(sim)), np.arange(s, s + len(sim))] = -np.inf  # no self loops
        # torch's top-k uses both cores and no negated copy: 3x faster than
        # np.argpartition on 20,000 rows, with the same neighbours up to ties.
        idx = torch.topk(torch.from_numpy(sim), k, dim=1, sorted=False).indices.numpy()
        r = np.repeat(np.arange(s, s + len(sim)), k)
        c = idx.ravel()
        rows.append(r)
        cols.append(c)
        vals.append(np.clip(sim[r - s, c], 1e-6, None))  # Louvain needs positive weights
    a = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n)
    ).tocsr()
    return a.maximum(a.T)


def item_graph(codes: np.ndarray, weight: float, window: int = 10) -> Any:
    """Symmetric sparse links between rows of the same item (`codes`: an integer item code per row).

    Each row shares `weight` among its same-item neighbours (the up to
    `window` rows before and after it in the item, so a very long ticket
    costs linear, not quadratic, links). Rows alone in their item get none.
    """
    import scipy.sparse as sp

    n = len(codes)
    order = np.argsort(codes, kind="stable")
    c = codes[order]
    rows, cols = [], []
    for d in range(1, window + 1):
        same = np.flatnonzero(c[d:] == c[:-d]) if d < n else np.zeros(0, dtype=int)
        rows.append(order[same])
        cols.append(order[same + d])
    r = np.concatenate(rows) if rows else np.zeros(0, dtype=int)
    k = np.concatenate(cols) if cols else np.zeros(0, dtype=int)
    links = np.bincount(np.concatenate([r, k]), minlength=n).astype(np.float64)
    # Each end gives half of its share, so a row's links add up to about `weight`.
    w = 0.5 * weight * (1.0 / np.maximum(links[r], 1) + 1.0 / np.maximum(links[k], 1))
    a = sp.coo_matrix((w, (r, k)), shape=(n, n)).tocsr()
    return a + a.T


def time_profiles_differ(
    week_counts: np.ndarray, pairs: np.ndarray, min_distance: float, alpha: float = 1e-3
) -> np.ndarray:
    """Which `pairs` of communities have clearly different weekly volume profiles.

    `week_counts` is a (communities x weeks) count matrix, `pairs` an (m, 2)
    array of community indices. The distance is the two-sample
    Kolmogorov-Smirnov statistic D of the weeks of their mentions (the
    largest gap between their cumulative shares over time): a community
    that only exists in the last two of 26 weeks is at D ~ 0.9 from one
    spread over all of them. A pair differs when D > `min_distance` (an
    effect size, so large communities with a mild seasonal tilt still
    merge) and D is significant at `alpha` (the asymptotic KS critical
    value, so a small community's noisy histogram is not taken for a
    different profile). Weekly bins make D a lower bound of the exact
    statistic, so the test only errs on the side of merging.
    """
    counts = np.asarray(week_counts, dtype=np.float64)
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    out = np.zeros(len(pairs), dtype=bool)
    if not len(pairs) or min_distance >= 1:
        return out
    size = counts.sum(axis=1)
    cdf = np.cumsum(counts, axis=1) / np.maximum(size, 1)[:, None]
    a, b = pairs[:, 0], pairs[:, 1]
    d = np.zeros(len(pairs))
    step = max(1, 2_000_000 // max(counts.shape[1], 1))  # bound the (pairs x weeks) block in memory
    for s in range(0, len(pairs), step):
        d[s : s + step] = np.abs(cdf[a[s : s + step]] - cdf[b[s : s + step]]).max(axis=1)
    na, nb = size[a], size[b]
    critical = np.sqrt(-np.log(alpha / 2) / 2) * np.sqrt((na + nb) / np.maximum(na * nb, 1))
    return (na > 0) & (nb > 0) & (d > min_distance) & (d > critical)


def week_counts_of(labels: np.ndarray, days: np.ndarray, k: int) -> np.ndarray:
    """A (k x weeks) matrix: mentions of each community (label >= 0) per week since the first date."""
    ok = labels >= 0
    if not ok.any():
        return np.zeros((k, 1))
    week = np.floor((days - days[ok].min()) / 7.0).astype(int)
    n_weeks = int(week[ok].max()) + 1
    flat = np.bincount(labels[ok] * n_weeks + week[ok], minlength=k * n_weeks)
    return flat.reshape(k, n_weeks).astype(np.float64)


def split_by_time(
    merged: np.ndarray, week_counts: np.ndarray, min_distance: float, alpha: float = 1e-3
) -> np.ndarray:
    """Undo merges that joined communities of different time profiles (`merged`: group per community).

    In each group the largest community is the anchor. The other members,
    pooled, must not differ from the anchor (see `time_profiles_differ`):
    while they do, the member farthest from the anchor leaves. Pooling
    matters: an emerging issue diluted by many small old communities, each
    too small to differ significantly on its own, is caught all the same.
    The members that left form a group of their own, checked the same way,
    so every final group is consistent with its anchor whatever path
    Louvain took to join it.
    """
    merged = np.asarray(merged, dtype=int)
    counts = np.asarray(week_counts, dtype=np.float64)
    size = counts.sum(axis=1)
    cdf = np.cumsum(counts, axis=1) / np.maximum(size, 1)[:, None]
    out = np.full(len(merged), -1, dtype=int)
    todo = [np.flatnonzero(merged == g) for g in np.unique(merged)]
    nxt = 0
    while todo:
        members = todo.pop()
        anchor = members[np.lexsort((members, -size[members]))[0]]
        others = members[members != anchor]
        # Farthest from the anchor first, so the loop below peels them off in order.
        others = others[np.argsort(-np.abs(cdf[others] - cdf[anchor]).max(axis=1), kind="stable")]
        cut = 0
        while cut < len(others):
            pooled = np.vstack([counts[anchor], counts[others[cut:]].sum(axis=0)])
            if not time_profiles_differ(pooled, np.array([[0, 1]]), min_distance, alpha)[0]:
                break
            cut += 1
        out[np.append(others[cut:], anchor)] = nxt
        nxt += 1
        if cut:
            todo.append(others[:cut])
    return out


def split_by_time_order(week_counts: np.ndarray, min_distance: float, alpha: float = 1e-3) -> np.ndarray:
    """Group the parts of one community (rows of `week_counts`) into spans of clearly different time.

    The parts are ordered by their mean week, and the community is cut where
    the earlier parts, pooled, differ most from the later ones, pooled (see
    `time_profiles_differ`); each side is cut again the same way until no cut
    differs. Pooling both sides is what finds an emerging issue that a first
    pass cut into several phrasings inside an old one: each phrasing alone
    is diluted by its siblings on the other side of any one-against-the-rest
    test, and the old issue's parts alone may be too small to differ. A
    steady community's parts share one profile up to noise, which the
    significance level absorbs, so it is not cut. Returns a group per row,
    0 for the group of the largest part.
    """
    counts = np.asarray(week_counts, dtype=np.float64)
    k, n_weeks = counts.shape
    size = counts.sum(axis=1)
    mean_week = (counts @ np.arange(n_weeks)) / np.maximum(size, 1)
    out = np.zeros(k, dtype=int)
    nxt = 1
    todo = [np.arange(k)]
    while todo:
        rows = todo.pop()
        if len(rows) < 2:
            continue
        rows = rows[np.lexsort((rows, mean_week[rows]))]
        early = np.cumsum(counts[rows], axis=0)[:-1]  # cut after position j: rows[: j + 1] vs the rest
        late = counts[rows].sum(axis=0) - early
        sides = np.vstack([early, late])
        pairs = np.column_stack([np.arange(len(early)), np.arange(len(early)) + len(early)])
        differ = time_profiles_differ(sides, pairs, min_distance, alpha)
        if not differ.any():
            continue
        cdf = np.cumsum(sides, axis=1) / np.maximum(sides.sum(axis=1), 1)[:, None]
        d = np.abs(cdf[pairs[:, 0]] - cdf[pairs[:, 1]]).max(axis=1)
        j = int(np.argmax(np.where(differ, d, -1.0)))
        first, second = rows[: j + 1], rows[j + 1 :]
        out[second] = nxt
        nxt += 1
        todo += [first, second]
    # Renumber so the group of the largest part is 0, the others in order of first appearance.
    anchor = out[int(np.argmax(size))]
    order = [anchor] + [g for g in dict.fromkeys(out.tolist()) if g != anchor]
    remap = {g: i for i, g in enumerate(order)}
    return np.array([remap[g] for g in out.tolist()], dtype=int)


def boilerplate_communities(
    labels: np.ndarray, codes: np.ndarray, min_concentration: float, min_evidence: int = 30, lift: float = 3.0
) -> list[int]:
    """Communities whose co-occurrence in items is spread over everything: boilerplate.

    For each community, the share of its same-item co-occurrences that go to
    communities it is strongly associated with (observed/expected >= `lift`
    over items with two or more mentions). Facets of an issue concentrate on
    their sibling facets (on the demo 0.3-1.0); greetings, sign-offs and
    openers sit next to any issue, as often as that issue is common
    (0.05-0.12). Below `min_concentration`, with at least `min_evidence`
    co-occurrences, a community is boilerplate.
    """
    import scipy.sparse as sp

    ok = labels >= 0
    if not ok.any():
        return []
    k = int(labels.max()) + 1
    x = sp.coo_matrix(
        (np.ones(int(ok.sum())), (codes[ok], labels[ok])), shape=(int(codes.max()) + 1, k)
    ).tocsr()
    x.data[:] = 1.0
    x = x[np.asarray(x.sum(axis=1)).ravel() >= 2]
    if x.shape[0] == 0:
        return []
    co = (x.T @ x).toarray()
    np.fill_diagonal(co, 0.0)
    count = np.asarray(x.sum(axis=0)).ravel()
    expected = np.outer(count, count) / x.shape[0]
    strong = co >= lift * np.maximum(expected, 1e-12)
    total = co.sum(axis=1)
    conc = np.where(total > 0, (co * strong).sum(axis=1) / np.maximum(total, 1e-12), 1.0)
    return [int(c) for c in np.flatnonzero((total >= min_evidence) & (conc < min_concentration))]


class GraphCommunities:
    """A BERTopic cluster model: Louvain communities of the cosine kNN graph.

    Follows the scikit-learn/HDBSCAN interface BERTopic expects (`fit`,
    `labels_`, `predict`). The resolution above 1 counters modularity's
    resolution limit, which on large graphs lumps distinct small groups.


    `groups` (set as an attribute before `fit`, since BERTopic calls
    `fit(X)`): the feedback item of each row, or None. With it, boilerplate
    communities get label -1 and same-item links join facets (see the
    module docstring). `times` (likewise): the date of each row in days, or
    None; with it, communities of clearly different weekly volume profiles
    are never merged, and a community whose parts differ so is cut
    (`time_split`).
    """

    def __init__(
        self,
        n_neighbors: int = 10,
        resolution: float = 2.0,
        seed: int = 42,
        item_weight: float = 0.0,
        boilerplate_concentration: float = 0.0,
        boilerplate_max_share: float = 1.0,
        time_split: float = 1.0,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.resolution = resolution
        self.seed = seed
        self.item_weight = item_weight
        self.boilerplate_concentration = boilerplate_concentration
        self.boilerplate_max_share = boilerplate_max_share
        self.time_split = time_split
        self.groups: np.ndarray | None = None
        self.times: np.ndarray | None = None  # days since the epoch per row, or None
        self.n_boilerplate_: int = 0

    def _louvain(self, graph: Any, resolution: float | None = None) -> np.ndarray:
        import networkx as nx

        res = self.resolution if resolution is None else resolution
        comms = nx.community.louvain_communities(
            nx.from_scipy_sparse_array(graph), weight="weight", resolution=res, seed=self.seed
        )
        comms = sorted(comms, key=lambda c: (-len(c), min(c)))
        labels = np.empty(graph.shape[0], dtype=int)
        for i, c in enumerate(comms):
            labels[list(c)] = i
        return labels

    def _split_by_time(self, knn: Any, labels: np.ndarray) -> np.ndarray:
        """Cut first-pass communities whose parts have clearly different weekly volume.

        The kNN graph knows only wording: an emerging issue phrased like an
        old one ("since the 5.2 update all my settings are gone" next to
        "version 5.2 crashes on launch") lands in the old issue's community
        at the first pass, and the merge step's time check (`_merge_facets`)
        cannot undo that: it keeps communities apart, it does not look inside
        one. The new issue then shows up as the old one getting worse, or,
        as a minority of it, not at all.

        So each community is cut into its own sub-communities (Louvain at
        resolution 1 on its internal similarity edges: plain modularity, the
        community's natural sub-structure, on feedback its distinct
        phrasings), and these are grouped into spans of clearly different
        time (`split_by_time_order`, the test that guards merges). A steady
        community's parts share its profile up to noise, which the test's
        significance level absorbs, so it stays whole. Wording that drifts
        with time inside a steady issue (version numbers, month names) is
        cut too; those pieces are small and mostly rejoin their theme in
        `postprocess` (too small, or near-duplicate centroids).
        """
        if self.times is None or self.time_split >= 1:
            return labels
        ok = labels >= 0
        if not ok.any():
            return labels
        week = np.floor((self.times - self.times[ok].min()) / 7.0).astype(int)
        n_weeks = int(week[ok].max()) + 1
        out = labels.copy()
        nxt = int(labels.max()) + 1
        for c in range(int(labels.max()) + 1):
            rows = np.flatnonzero(labels == c)
            if len(rows) < 4:
                continue
            sub = self._louvain(knn[rows][:, rows], resolution=1.0)
            k = int(sub.max()) + 1
            if k < 2:
                continue
            counts = np.bincount(sub * n_weeks + week[rows], minlength=k * n_weeks).reshape(k, n_weeks)
            groups = split_by_time_order(counts, self.time_split)
            # The group of the largest sub-community keeps the label; the others get new ones.
            for g in range(1, int(groups.max()) + 1):
                out[rows[groups[sub] == g]] = nxt
                nxt += 1
        return out

    def _merge_facets(self, knn: Any, labels: np.ndarray, codes: np.ndarray) -> np.ndarray:
        """Merge communities that the same items keep linking: Louvain on the community graph.

        Each community is one node (its internal weight a self-loop), joined
        by its similarity edges plus the same-item links to the others. A
        mention never leaves its community, so one ticket that raises two
        unrelated things moves nothing; only facets that co-occur across many
        items gain enough weight to merge.

        With `times`, pairs of communities whose weekly volume differs
        clearly lose their edges (so co-occurrence cannot pull an emerging
        issue into an old one), and any merge Louvain still makes across
        them through a third community is undone (`split_by_time`).
        """
        import scipy.sparse as sp

        ok = np.flatnonzero(labels >= 0)
        if len(ok) < 3:
            return labels
        degree = float(np.asarray(knn.sum(axis=1)).mean())
        g = knn[ok][:, ok] + item_graph(codes[ok], self.item_weight * degree)
        k = int(labels[ok].max()) + 1
        member = sp.coo_matrix(
            (np.ones(len(ok)), (np.arange(len(ok)), labels[ok])), shape=(len(ok), k)
        ).tocsr()
        w = (member.T @ g @ member).tocsr()
        # networkx counts a self-loop twice in a node's degree: halve the diagonal so
        # modularity on this graph equals modularity of the merged partition on the mentions.
        diag = w.diagonal() / 2.0
        w = w - sp.diags(diag)
        weeks = None
        if self.times is not None and self.time_split < 1:
            weeks = week_counts_of(labels[ok], self.times[ok], k)
            w = sp.triu(w, k=1).tocoo()
            cut = time_profiles_differ(weeks, np.column_stack([w.row, w.col]), self.time_split)
            w = sp.coo_matrix((np.where(cut, 0.0, w.data), (w.row, w.col)), shape=(k, k)).tocsr()
            w.eliminate_zeros()
            w = w + w.T + sp.diags(diag)
        merged = self._louvain(w)
        if weeks is not None:
            merged = split_by_time(merged, weeks, self.time_split)
        out = labels.copy()
        out[ok] = merged[labels[ok]]
        return out

    def fit(self, X: np.ndarray, y: Any = None) -> GraphCommunities:
        n = len(X)
        groups = self.groups
        if groups is not None and len(groups) != n:
            raise ValueError(f"groups has {len(groups)} entries for {n} rows")
        if self.times is not None and len(self.times) != n:
            raise ValueError(f"times has {len(self.times)} entries for {n} rows")
        self.n_boilerplate_ = 0
        self.boilerplate_skipped_: float | None = None
        if n < 3:
            self.labels_ = np.zeros(n, dtype=int)
        else:
            knn = knn_graph(X, self.n_neighbors)
            labels = self._louvain(knn)
            if groups is not None and (self.item_weight > 0 or self.boilerplate_concentration > 0):
                labels = self._split_by_time(knn, labels)
                codes = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)[1]
                keep = np.ones(n, dtype=bool)
                if self.boilerplate_concentration > 0:
                    bp = boilerplate_communities(labels, codes, self.boilerplate_concentration)
                    keep = ~np.isin(labels, bp)
                    if (~keep).mean() > self.boilerplate_max_share:
                        # On short texts (tweets: one or two mentions each) every community's
                        # co-occurrence looks spread out; setting most of the data aside would
                        # be the test failing, not boilerplate.
                        self.boilerplate_skipped_ = float((~keep).mean())
                        keep[:] = True
                        bp = []
                    self.n_boilerplate_ = len(bp)
                labels = np.where(keep, labels, -1)
                if self.item_weight > 0:
                    labels = self._merge_facets(knn, labels, codes)
            self.labels_ = labels
        ids = sorted(set(self.labels_.tolist()) - {-1})
        self.centroids_ = (
            centroids_of(np.asarray(X), self.labels_, ids)
            if ids
            else np.zeros((0, np.asarray(X).shape[1]), dtype=np.float32)
        )
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (normalise(X) @ self.centroids_.T).argmax(axis=1)

    def fit_predict(self, X: np.ndarray, y: Any = None) -> np.ndarray:
        return self.fit(X).labels_


@dataclass
class TopicModel:
    """Discovery's reduction and clustering steps, run the way BERTopic's `fit_transform` ran them.

    `reducer` is None when the embeddings are clustered as they are (graph
    clustering); `cluster` follows the scikit-learn interface (`fit`,
    `labels_`). BERTopic's own frame is not used: its c-TF-IDF topic
    representations were computed on every fit and never read (themes are
    named by `voc.themes.labels` over all mentions, after overrides and merges).
    """

    reducer: Any
    cluster: Any

    def fit(self, embeddings: np.ndarray) -> np.ndarray:
        """Reduce, cluster and number the clusters by size (-1 = outlier); returns a label per row."""
        reduced = self.reducer.fit_transform(embeddings) if self.reducer is not None else embeddings
        self.cluster.fit(reduced)
        return by_frequency(np.asarray(self.cluster.labels_, dtype=int))


def by_frequency(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters from the largest (0) down, -1 kept; ties ordered exactly as BERTopic orders them.

    BERTopic numbered the topics so (`_sort_mappings_by_frequency`: sizes in
    order of first appearance, then a pandas sort by size). The same steps
    are kept here so that themes and their ids come out as they did when the
    fit ran through BERTopic, ties between equal sizes included.
    """
    import pandas as pd

    sizes = Counter(labels.tolist())
    df = pd.DataFrame(sizes.items(), columns=["old", "size"]).sort_values("size", ascending=False)
    df = df[df["old"] != -1]
    mapping = {-1: -1, **dict(zip(df["old"].tolist(), range(len(df)), strict=True))}
    return np.array([mapping[v] for v in labels.tolist()], dtype=int)


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


def fit_themes(
    texts: Sequence[str],
    embeddings: np.ndarray,
    config: ThemesConfig,
    *,
    groups: Sequence[Any] | np.ndarray | None = None,
    times: Sequence[Any] | np.ndarray | None = None,
) -> Discovery:
    """Discover themes in mentions (texts with their L2-normalised embeddings).

    `groups`, when given, is the feedback item of each mention: it is used
    (graph clustering only) to leave boilerplate unassigned and to join
    facets of one issue; see the module docstring. `times`, when given
    with `groups`, is the date of each mention (anything pandas reads as a
    datetime): facets are only joined when their weekly volume agrees.

    The steps are BERTopic's (reduction, clustering, topics numbered by
    size) without its frame (`TopicModel`). Too few mentions for even one
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
