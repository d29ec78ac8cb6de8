"""Graph clustering of mentions: the cosine kNN graph, same-item links, boilerplate and `GraphCommunities`.

The clustering step of theme discovery (`voc.themes.discover`, whose
docstring describes the method): Louvain communities of the kNN graph,
with boilerplate set aside and facets of one issue joined through the items
they share, never across clearly different weekly volume (`time_profiles`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voc.themes.registry import centroids_of, normalise
from voc.themes.time_profiles import split_by_time, split_by_time_order, time_profiles_differ, week_counts_of


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
    docstring of `voc.themes.discover`). `times` (likewise): the date of each row in days, or
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
        # Rows whose item speaks of one issue (a ticket): only their item links join facets; None = all.
        self.linked: np.ndarray | None = None
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
                if self.item_weight > 0 and (self.linked is None or self.linked.any()):
                    # A review or survey answer praises or criticises several aspects in one item, so its
                    # co-occurrence says nothing about sameness: its rows get items of their own here
                    # (the boilerplate test above still reads their real items).
                    if self.linked is not None:
                        codes = np.where(self.linked, codes, codes.max() + 1 + np.arange(n))
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
