"""The grouping pieces of the behavioural segments: weighted k-means, silhouette, and a DenStream fix.

:func:`weighted_kmeans` and :func:`silhouette` group a clusterer's micro-clusters into segments
(:class:`models.segments.BehaviourSegments`); :class:`CentredDenStream` is river's DenStream
with one change, explained on the class.
"""

from __future__ import annotations

import hashlib
import math
import operator
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from river import cluster as river_cluster
from river.cluster.denstream import DenStreamMicroCluster
from river.utils.vectordict import euclidean_distance_dict
from scipy.optimize import linear_sum_assignment

from models.segment_options import METHODS, Method

__all__ = [
    "Columns",
    "K_MARGIN",
    "METHODS",
    "CentredDenStream",
    "Method",
    "Vector",
    "clusterer",
    "group",
    "match",
    "sampled",
    "silhouette",
    "weighted_kmeans",
]

Vector: TypeAlias = NDArray[np.float64]


def clusterer(method: Method, *, k: int, micro_clusters: int, radius: float, warm_up: int, seed: int) -> Any:
    """A fresh river clusterer for ``method``, on the model's weighted standard deviations.

    >>> type(clusterer("denstream", k=8, micro_clusters=40, radius=2.0, warm_up=300, seed=0)).__name__
    'CentredDenStream'
    """
    if method == "clustream":
        # Its own macro step (river's KMeans every time_gap points) is replaced by the model's; a
        # point joins a micro-cluster within r_factor mean deviations, about sqrt(features) here.
        return river_cluster.CluStream(n_macro_clusters=k, max_micro_clusters=micro_clusters,
                                       micro_cluster_r_factor=5, time_gap=2**62, seed=seed)
    if method == "kmeans":
        return river_cluster.KMeans(n_clusters=k, halflife=0.05, sigma=1.0, seed=seed)
    if method == "streamkmeans":
        return river_cluster.STREAMKMeans(chunk_size=50, n_clusters=k, halflife=0.5, sigma=1.0, seed=seed)
    if method == "denstream":
        return CentredDenStream(decaying_factor=0.01, beta=0.5, mu=3, epsilon=radius,
                                n_samples_init=max(warm_up // 2, 10), stream_speed=20)
    return river_cluster.DBSTREAM(clustering_threshold=radius, fading_factor=0.001, cleanup_interval=100,
                                  intersection_factor=0.3, minimum_weight=2.0)


class Columns:
    """Feature dicts as rows over fixed columns, each name's column looked up once (the rows are per update).

    A name with a prefix (``channel:``) outside the columns counts in its prefix's ``other``
    column, which is 0 rather than unknown when the row has names of that prefix.

    >>> Columns({"visits": 0, "channel:email": 1, "channel:other": 2}, "other").row(
    ...     {"visits": 2.0, "channel:tiktok": 0.25, "channel:x": 0.25, "basket": 9.0}).tolist()
    [2.0, nan, 0.5]
    """

    def __init__(self, index: Mapping[str, int], other: str) -> None:
        self.index = index
        self.other = other
        # name -> (its column or -1, whether it goes to an other column, its prefix's other column or -1)
        self._slots: dict[str, tuple[int, bool, int]] = {}

    def _slot(self, key: str) -> tuple[int, bool, int]:
        colon = key.find(":")
        kind = self.index.get(key[: colon + 1] + self.other, -1) if colon > 0 else -1
        i = self.index.get(key, -1)
        if len(self._slots) > 10_000:  # names are categories and channels: a few, unless something goes wrong
            self._slots.clear()
        slot = self._slots[key] = (i, False, kind) if i >= 0 else (kind, kind >= 0, kind)
        return slot

    def row(self, x: Mapping[str, float]) -> Vector:
        """``x`` as a row (NaN where unknown)."""
        v = [math.nan] * len(self.index)
        slots = self._slots
        kinds = []
        for key, value in x.items():
            i, other, kind = slots.get(key) or self._slot(key)
            if kind >= 0:
                kinds.append(kind)
            if i < 0:
                continue
            v[i] = value + v[i] if other and not math.isnan(v[i]) else value
        for kind in kinds:
            if math.isnan(v[kind]):
                v[kind] = 0.0  # has names of this kind, none outside the columns
        return np.array(v)


def sampled(key: str, share: float) -> bool:
    """Whether ``key`` falls in a fixed ``share`` of all keys: a hash, so every process and replay agrees.

    >>> sampled("c1|2024-01-01T10:00:00+00:00", 1.0), sum(sampled(f"c{i}", 0.25) for i in range(4000)) // 100
    (True, 10)
    """
    if share >= 1.0:
        return True
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < share * 2.0**64


def weighted_kmeans(
    points: Vector, weights: Vector, k: int, rng: np.random.Generator, *, init: Vector | None = None,
    iterations: int = 30,
) -> tuple[Vector, NDArray[np.int64]]:
    """Lloyd's k-means on weighted points, started from ``init`` and k-means++ for the rest.

    Returns the centres and each point's centre. Empty centres are dropped, so fewer than ``k``
    may come back.

    Examples
    --------
    >>> pts = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.2, 5.0]])
    >>> centres, labels = weighted_kmeans(pts, np.ones(4), 2, np.random.default_rng(0))
    >>> sorted(np.round(centres[:, 0], 2).tolist()), bool(labels[0] == labels[1] != labels[2])
    ([0.05, 5.1], True)

    """
    n = len(points)
    k = min(k, n)
    chosen: list[Vector] = [] if init is None else [c for c in init[:k]]
    if not chosen:
        first = int(rng.choice(n, p=weights / weights.sum()))
        chosen.append(points[first])
    while len(chosen) < k:
        nearest = np.min(((points[:, None, :] - np.array(chosen)[None, :, :]) ** 2).sum(-1), axis=1)
        mass = weights * nearest
        if mass.sum() <= 0:
            break
        chosen.append(points[int(rng.choice(n, p=mass / mass.sum()))])
    centres = np.array(chosen, dtype=float)
    labels = np.zeros(n, dtype=np.int64)
    for _ in range(iterations):
        distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
        new_labels = distances.argmin(axis=1)
        kept = [j for j in range(len(centres)) if weights[new_labels == j].sum() > 0]
        if len(kept) < len(centres):
            centres = centres[kept]
            continue
        moved = np.array([np.average(points[new_labels == j], axis=0, weights=weights[new_labels == j])
                          for j in range(len(centres))])
        if np.array_equal(new_labels, labels) and np.allclose(moved, centres):
            break
        labels, centres = new_labels, moved
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return centres, distances.argmin(axis=1)


def silhouette(points: Vector, weights: Vector, labels: NDArray[np.int64]) -> float:
    """Weighted mean silhouette of a partition (-1 when it has a single group)."""
    groups = np.unique(labels)
    if len(groups) < 2:
        return -1.0
    distances = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
    mean_to = np.stack([(distances[:, labels == g] * weights[labels == g]).sum(1) / weights[labels == g].sum()
                        for g in groups], axis=1)
    own = np.searchsorted(groups, labels)
    a = mean_to[np.arange(len(points)), own]
    mean_to[np.arange(len(points)), own] = np.inf
    b = mean_to.min(axis=1)
    s = np.where(np.maximum(a, b) > 0, (b - a) / np.maximum(a, b), 0.0)
    return float(np.average(s, weights=weights))


class CentredDenStream(river_cluster.DenStream):
    """river's DenStream, where a point joins a micro-cluster only within ``epsilon`` of its centre.

    DenStream merges a point into the nearest micro-cluster when the micro-cluster's radius
    *after* the merge stays within ``epsilon``; a heavy micro-cluster's radius hardly moves for
    one more point, however far, so it would swallow a new kind of customer point by point.
    Asking the point itself to be within ``epsilon`` of the centre keeps a new kind out, in
    outlier micro-clusters of its own, until they are dense enough to be potential ones.
    """

    def _merge(self, point: dict[str, float]) -> None:
        for clusters in (self.p_micro_clusters, self.o_micro_clusters):
            if not clusters:
                continue
            key, distance = self._nearest(point, clusters)
            mc = clusters[key]
            if distance <= self.epsilon and mc.radius_with(point) <= self.epsilon:
                mc.insert(point, self.timestamp)
                if clusters is self.o_micro_clusters and mc.calc_weight(self.timestamp) > self.mu * self.beta:
                    # It has grown into a potential micro-cluster.
                    del self.o_micro_clusters[key]
                    self.p_micro_clusters[_free_key(self.p_micro_clusters)] = mc
                return
        self.o_micro_clusters[_free_key(self.o_micro_clusters)] = DenStreamMicroCluster(
            x=point, timestamp=self.timestamp, decaying_factor=self.decaying_factor)

    def _get_closest_cluster_key(self, point: dict[str, float], clusters: Mapping[int, Any]) -> int:
        return self._nearest(point, clusters)[0]

    def _nearest(self, point: dict[str, float], clusters: Mapping[int, Any]) -> tuple[int, float]:
        """The key of the micro-cluster whose centre is nearest to ``point``, and its distance.

        river's own search (a distance per micro-cluster, each summing over the features) took
        most of a learning step once there are a few dozen micro-clusters. Here the centres are
        kept as the columns of an array, each made again only when its micro-cluster changes,
        and the distances are taken at once, summed over the features in river's order: the
        same figures, and the same nearest (the first of equals).
        """
        if not clusters:
            return -1, math.inf
        cache: dict[int, _Centres] | None = getattr(self, "_centres", None)
        if cache is None:
            cache = {}
            self._centres = cache
        found = cache.get(id(clusters))
        names = tuple(point)
        centres = list(map(_CENTRE, clusters.values()))
        if found is None or found.names != names:
            found = cache[id(clusters)] = _Centres(names)
        if not found.update(centres):
            # A centre over other features than the point (river's search allows it): river's own loop.
            del cache[id(clusters)]
            key = super()._get_closest_cluster_key(point, clusters)  # type: ignore[no-untyped-call]
            return key, euclidean_distance_dict(clusters[key].center, point)
        if len(centres) == 1:  # one column: np.add.reduce would sum it pairwise, not in river's order
            key = next(iter(clusters))
            return key, euclidean_distance_dict(centres[0], point)
        d = found.columns - np.fromiter(point.values(), float, len(names))[:, None]
        np.multiply(d, d, out=d)
        # Summed over axis 0 of a C-ordered array of two columns or more: row after row into each
        # column's sum, feature after feature as river's loop adds them (not pairwise, as along a row).
        distances = np.sqrt(np.add.reduce(d, axis=0))
        j = int(distances.argmin())
        return list(clusters)[j], float(distances[j])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_centres", None)  # a cache: made again from the micro-clusters
        return state


class _Centres:
    """The centres of one dict of micro-clusters as the columns of an array (features x micro-clusters)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.centres: list[Mapping[str, float]] = []
        self.columns: Vector = np.zeros((len(names), 0))

    def update(self, centres: list[Mapping[str, float]]) -> bool:
        """Follow ``centres`` (river makes a new dict when a centre moves); False if one has other features."""
        old = self.centres
        if len(old) == len(centres):
            if all(map(operator.is_, old, centres)):
                return True
            changed = [j for j, (a, b) in enumerate(zip(old, centres)) if a is not b]
            if len(changed) * 4 <= len(centres):
                for j in changed:
                    if tuple(centres[j]) != self.names:
                        return False
                    self.columns[:, j] = np.fromiter(centres[j].values(), float, len(self.names))
                self.centres = centres
                return True
        # Micro-clusters came or went: the known columns are kept, the others read.
        at = {id(c): j for j, c in enumerate(old)}
        columns = np.empty((len(self.names), len(centres)))
        for j, c in enumerate(centres):
            k = at.get(id(c))
            if k is not None and old[k] is c:
                columns[:, j] = self.columns[:, k]
            elif tuple(c) != self.names:
                return False
            else:
                columns[:, j] = np.fromiter(c.values(), float, len(self.names))
        self.centres, self.columns = centres, columns
        return True


_CENTRE = operator.attrgetter("center")


def _free_key(clusters: Mapping[int, object]) -> int:
    # river numbers micro-clusters by their count, which a deleted one makes collide.
    return max(clusters, default=-1) + 1


def match(new: Vector, old: Vector, max_distance: float) -> list[int | None]:
    """For each new centre, the old one it continues: a Hungarian assignment on their distances.

    A pair further apart than ``max_distance`` is no match (``None``: a new segment).

    >>> match(np.array([[5.0, 5.0], [0.1, 0.0], [9.0, 0.0]]), np.array([[0.0, 0.0], [5.0, 4.0]]), 3.0)
    [1, 0, None]
    """
    found: list[int | None] = [None] * len(new)
    if len(new) and len(old):
        cost = np.sqrt(((new[:, None, :] - old[None, :, :]) ** 2).sum(-1))
        for r, c in zip(*linear_sum_assignment(cost), strict=True):
            if cost[r, c] <= max_distance:
                found[int(r)] = int(c)
    return found


#: How much better (in silhouette) another number of segments must be to be taken.
K_MARGIN = 0.05
#: How much better (in inertia) a fresh grouping must be than the one started from the current segments.
INERTIA_MARGIN = 0.05


def group(
    points: Vector, weights: Vector, previous: Vector, sample: Vector, *, smallest: int, largest: int,
    restarts: int, seed: tuple[int, int],
) -> tuple[Vector, NDArray[np.int64]]:
    """Micro-clusters grouped into the number of segments with the best silhouette on ``sample``.

    The first time (no ``previous`` segments) the numbers from ``smallest`` up to ``largest``
    are tried in turn, each taken only if its silhouette beats the one before by
    :data:`K_MARGIN`; later one fewer, as many and one more than now, the current number winning
    unless another beats it by the margin. For each number, the grouping with the least
    (weighted) inertia of ``restarts`` k-means++ starts wins, unless the start from the
    ``previous`` segments is within 5 % of it. So segments move only as far as the data does,
    appear or merge one at a time when a grouping is clearly better, and replays of the same
    points find the same segments (``seed`` seeds every start). Returns the centres and each
    point's centre.

    >>> pts = np.array([[0.0, 0.0], [0.2, 0.0], [5.0, 5.0], [5.2, 5.0], [9.0, 0.0], [9.1, 0.2]])
    >>> centres, labels = group(pts, np.ones(6), np.zeros((0, 2)), pts, smallest=2, largest=4, restarts=3,
    ...                         seed=(0, 1))
    >>> len(centres), len(set(labels.tolist()))
    (3, 3)
    """
    ones = np.ones(len(sample))
    top = min(largest, len(points))
    low = min(smallest, top)
    now = len(previous)
    # Fewer segments than ``smallest`` happen only while there are fewer micro-clusters: catch up then.
    counts = range(low, top + 1) if not now else range(max(low, now - 1), min(top, max(now, low) + 1) + 1)

    def inertia(found: tuple[Vector, NDArray[np.int64]]) -> float:
        return float((weights * ((points - found[0][found[1]]) ** 2).sum(1)).sum())

    best: tuple[float, Vector, NDArray[np.int64]] | None = None
    for k in counts:
        rng = np.random.default_rng([*seed, k])
        centres, labels = min((weighted_kmeans(points, weights, k, rng) for _ in range(restarts)), key=inertia)
        if now:
            kept = weighted_kmeans(points, weights, k, rng, init=previous[:k])
            if inertia(kept) <= (1 + INERTIA_MARGIN) * inertia((centres, labels)):
                centres, labels = kept
        nearest = ((sample[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(axis=1)
        score = silhouette(sample, ones, nearest) + (K_MARGIN if now and len(centres) == now else 0.0)
        if best is None or score >= best[0] + K_MARGIN or (now and score > best[0]):
            best = (score, centres, labels)
    if best is None:
        return points[:0], np.zeros(len(points), dtype=np.int64)
    return best[1], best[2]
