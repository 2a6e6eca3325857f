"""Behavioural segments learned online: customers grouped by what they do, each group with an id that lasts.

For every customer update it learns from (a visit ended, an order placed), the model

1. scales the behaviour features (:mod:`models.behaviour`) to standard deviations, clipped at
   ``±clip`` so a handful of extreme customers cannot claim a segment of their own, and
   weighs them so that each aspect of behaviour (rhythm, times, basket, price, browsing,
   refunds, satisfaction, intent, value, categories, channels) counts the same. The
   clustering's scale is fixed once known (from the ``warm_up`` points; a feature that shows
   no spread yet joins when it does), so that what was learned long ago and what is learned
   now stay comparable and a shift of the shop shows as centres that move; a second,
   exponentially weighted scale follows the customers as they are now, to say what sets each
   segment apart from the average customer *now*;
2. hands the point to a river clusterer (``method``; see :data:`METHODS`).

Every ``refresh_every`` points it reads the clusterer's centres back and turns them into
*segments*: the centres that hold at least ``min_share`` of the clusterer's weight (its
micro-clusters', which fade slowly, so a burst of one kind of customer does not push the
others out) are kept, and each is matched to the segment of the previous refresh it is
nearest to, by a Hungarian assignment on the distance between centres
(``scipy.optimize.linear_sum_assignment``); a pair further apart than ``match_distance``
is no match. A matched centre keeps its segment's id (``B1``, ``B2``…), an unmatched one is
a new segment with a new id, and an old segment left without a centre is gone. So a
segment's size and make-up can be followed from refresh to refresh, and a new one is news.

A customer is placed in the segment whose centre is nearest (:meth:`BehaviourSegments.predict_one`),
which costs one pass over at most ``max_segments`` centres whatever the clusterer.
"""

from __future__ import annotations

import collections
import copy
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.behaviour import MEASURES, OTHER, TRAIT_PREFIXES, BehaviourFacts, aspect_of, behaviour_features
from models.clustering import METHODS, Columns, Method, Vector, clusterer, group, match, sampled
from models.emergence import SegmentWatch
from models.segment_centres import candidates_of, unscaled
from models.segment_options import LEARN_SHARE
from models.segment_rows import Layout, Scale, behaviour_row, z_in_place
from models.traits import SegmentCentre, distinguishing

__all__ = ["LEARN_SHARE", "METHODS", "OTHER", "SEGMENT_ID", "BehaviourSegments", "Method", "SegmentCentre"]

#: How a behavioural segment's id is written: ``B`` and a number that is never reused.
SEGMENT_ID = r"B[1-9][0-9]*"

#: Latest customers the number of segments is judged on.
SILHOUETTE_SAMPLE = 150
#: Points after which a customer's weight in its segment's description has halved (the clusterer's memory).
HALF_LIFE = 2000


class BehaviourSegments:
    """Behavioural segments of customers, learned online with a river clusterer; stable ids.

    Parameters
    ----------
    max_segments, min_segments
        Most and fewest segments at once (fewer only when the customers are fewer kinds
        than ``min_segments`` micro-clusters).
    method
        The river clusterer (:data:`METHODS`). ``denstream`` (the default, chosen by
        measurement: docs/customers-and-models.md) and ``clustream`` keep micro-clusters
        online — DenStream's potential micro-clusters of radius ``radius``, which also lets a
        new kind of customer grow its own out of outlier micro-clusters, or CluStream's
        ``micro_clusters`` — and at each refresh the model groups them by weighted k-means
        into the number of segments whose silhouette on the latest customers is best.
        ``kmeans``, ``streamkmeans`` and ``dbstream`` give their own centres.
    micro_clusters
        Micro-clusters of ``clustream``.
    refresh_every
        Points learned between two readings of the segments.
    window
        Latest points kept: the silhouette that sets the number of segments is taken on them.
    min_share
        Smallest share of the clusterer's weight a segment needs (smaller centres are noise).
    match_distance
        Largest distance, in standard deviations, between a segment's centre and a new centre
        that continues it.
    memory
        Half-life-like horizon, in points, of the scaling.
    warm_up
        Points learned before the first segments are read.
    vocabulary_size
        Category names and channel names (each) that are features of their own: the most
        frequent of the first ``warm_up`` points. Names beyond them count together, as
        ``category:other`` and ``channel:other``, so the features stay the same while a new
        channel or range can still set a segment apart.
    clip
        Largest absolute z-score of a feature.
    restarts
        k-means++ starts of each grouping, besides the start from the current segments.
    radius
        Radius of a micro-cluster of ``denstream`` (its ``epsilon``) and ``dbstream`` (its
        ``clustering_threshold``), in the weighted standard deviations the model works in.
    seed
        Seed of the clusterer and of the k-means starts.
    learn_share
        Share of the customer updates offered that are learned (:meth:`learns`): a fixed draw
        by a hash of each update's key, so a replay learns the same updates.

    Examples
    --------
    >>> import random
    >>> rng = random.Random(1)
    >>> model = BehaviourSegments(min_segments=2, max_segments=4, refresh_every=50, warm_up=100, seed=1)
    >>> for i in range(400):
    ...     weekend = i % 2 == 0
    ...     model.learn_one({"weekend_share": rng.uniform(0.8, 1.0) if weekend else rng.uniform(0.0, 0.1),
    ...                      "discount_share": rng.uniform(0.6, 1.0) if weekend else rng.uniform(0.0, 0.2)})
    >>> len(model.segments), sorted(sorted(s.traits) for s in model.segments)
    (2, [['bargain_hunter', 'weekend'], ['full_price', 'weekday']])
    >>> sorted(model.segment(model.predict_one({"weekend_share": 0.95, "discount_share": 0.9})).traits)
    ['bargain_hunter', 'weekend']

    """

    def __init__(
        self,
        max_segments: int = 8,
        min_segments: int = 4,
        method: Method = "denstream",
        micro_clusters: int = 40,
        refresh_every: int = 500,
        window: int = 500,
        min_share: float = 0.01,
        match_distance: float = 3.0,
        memory: int = 20_000,
        warm_up: int = 300,
        vocabulary_size: int = 6,
        clip: float = 4.0,
        radius: float = 2.0,
        restarts: int = 3,
        seed: int = 0,
        learn_share: float = LEARN_SHARE,
    ) -> None:
        if method not in METHODS:
            raise ValueError(f"BehaviourSegments: expected a method in {METHODS}, found {method!r}")
        if not 2 <= min_segments <= max_segments:
            raise ValueError(f"BehaviourSegments: expected 2 <= min_segments <= max_segments, found "
                             f"{min_segments} and {max_segments}")
        self.max_segments = max_segments
        self.min_segments = min_segments
        self.method = method
        self.micro_clusters = micro_clusters
        self.refresh_every = refresh_every
        self.window = window
        self.min_share = min_share
        self.match_distance = match_distance
        self.memory = memory
        self.warm_up = warm_up
        self.vocabulary_size = vocabulary_size
        self.clip = clip
        self.radius = radius
        self.restarts = restarts
        self.seed = seed
        if not 0.0 < learn_share <= 1.0:
            raise ValueError(f"BehaviourSegments: expected a learn_share in (0, 1], found {learn_share}")
        self.learn_share = learn_share
        self._clusterer = clusterer(method, k=max_segments, micro_clusters=micro_clusters, radius=radius,
                                    warm_up=warm_up, seed=seed)
        self._warm: list[dict[str, float]] = []
        self._vocabulary: tuple[str, ...] | None = None
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._w: Vector = np.zeros(0)
        # Exponentially weighted count, mean and variance of each feature (plain until ``memory``).
        self._count: Vector = np.zeros(0)
        self._mean: Vector = np.zeros(0)
        self._var: Vector = np.zeros(0)
        # The clustering's own scale: fixed once known, so micro-clusters learned long ago and
        # points learned now stay in one space (NaN: no spread seen yet, the feature sits out).
        self._cmean: Vector = np.zeros(0)
        self._csd: Vector = np.zeros(0)
        self._inverse_sd: Vector = np.zeros(0)
        self._recent: collections.deque[Vector] = collections.deque(maxlen=window)
        self._segments: list[SegmentCentre] = []
        self._by_id: dict[str, SegmentCentre] = {}  # the same segments by id (a placement asks for its traits)
        # Each segment's customers summed in the features' units, fading with HALF_LIFE: its description.
        self._sums: dict[str, tuple[Vector, Vector, int]] = {}
        self._raw_centres: Vector = np.zeros((0, 0))
        self._centres: Vector = np.zeros((0, 0))
        self._named: dict[str, tuple[str, ...]] = {}
        self._next_id = 1
        self._n = 0
        #: What has been news about the segments (see :mod:`models.emergence`).
        self.watch = SegmentWatch()

    # ------------------------------------------------------------------ learning

    @property
    def n_learned(self) -> int:
        """Points learned."""
        return self._n

    @property
    def vocabulary(self) -> tuple[str, ...]:
        """The ``category:…`` and ``channel:…`` names that are features (empty during warm-up)."""
        return self._vocabulary or ()

    def __getstate__(self) -> dict[str, Any]:  # the caches are made again: checkpoints stay as they were
        return {key: value for key, value in self.__dict__.items() if key not in ("_layout", "_floats")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # A checkpoint from before the sampling learned everything; one from before the index by id lacks it.
        self.__dict__.update({"learn_share": 1.0, **state})
        self._by_id = {s.id: s for s in self._segments}

    def learns(self, key: str) -> bool:
        """Whether the update ``key`` names (customer and moment) is one the model learns: see ``learn_share``."""
        return sampled(key, self.learn_share)

    def learn_one(self, x: Mapping[str, float]) -> None:
        """Learn one customer update's features (:func:`models.behaviour.behaviour_features`)."""
        self._n += 1
        if self._vocabulary is None:
            self._warm.append({k: float(v) for k, v in x.items()})
            if self._n >= self.warm_up:
                self._start()
            return
        self._learn_row(self._row(x))

    def _learn_row(self, v: Vector) -> None:
        """Learn one update's row (counted in ``_n``); the segments are read again every ``refresh_every``."""
        self._scale_row(v)
        self._cluster_row(v)
        if (self._n - self.warm_up) % self.refresh_every == 0:
            self._refresh()

    def _scale_row(self, v: Vector) -> None:
        known = ~np.isnan(v)
        self._count[known] += 1.0
        rate = np.maximum(1.0 / np.maximum(self._count, 1.0), 1.0 / self.memory)[known]
        delta = v[known] - self._mean[known]
        self._mean[known] += rate * delta
        self._var[known] = (1.0 - rate) * (self._var[known] + rate * delta * delta)

    def _cluster_row(self, v: Vector) -> None:
        self._recent.append(v)
        z = self._scale().z(v.tolist())
        self._clusterer.learn_one(dict(zip(self._keys, z)))
        if self._segments:
            distances = self._centres - np.array(z)
            distances *= distances
            distances = distances.sum(1)
            nearest = int(distances.argmin())
            # A point far from every segment (a kind not grouped yet) describes none of them.
            if distances[nearest] <= self.match_distance ** 2:
                self._describe(self._segments[nearest].id, v[None, :])

    def _describe(self, segment_id: str, rows: Vector) -> None:
        """Add ``rows`` to the segment's description, the older ones fading (lazily, by the points since)."""
        found = self._sums.get(segment_id)  # (zeros made only for a segment without a description yet)
        total, count, at = found if found is not None else (np.zeros(len(self._w)), np.zeros(len(self._w)), self._n)
        fade = 0.5 ** ((self._n - at) / HALF_LIFE)
        known = ~np.isnan(rows)
        self._sums[segment_id] = (total * fade + np.where(known, rows, 0.0).sum(0), count * fade + known.sum(0), self._n)

    def _start(self) -> None:
        """End of the warm-up: fix the features, teach the scale and the clusterer the points so far."""
        names = collections.Counter(key for x in self._warm for key in x if key.startswith(TRAIT_PREFIXES))
        for prefix in TRAIT_PREFIXES:  # a shop's category "other" is no name of its own: it is the other column's
            names.pop(prefix + OTHER, None)
        chosen: list[str] = []
        for prefix in TRAIT_PREFIXES:
            ranked = sorted((item for item in names.items() if item[0].startswith(prefix)),
                            key=lambda item: (-item[1], item[0]))
            chosen += [name for name, _ in ranked[: self.vocabulary_size]]
        self._vocabulary = tuple(sorted(chosen))
        self._keys = [m.key for m in MEASURES] + list(self._vocabulary) + [prefix + OTHER for prefix in TRAIT_PREFIXES]
        self._index = {key: i for i, key in enumerate(self._keys)}
        # Each aspect of behaviour (rhythm, times, basket, channels...) weighs as much as another.
        sizes = collections.Counter(aspect_of(key) for key in self._keys)
        self._w = np.array([1.0 / math.sqrt(sizes[aspect_of(key)]) for key in self._keys])
        width = len(self._keys)
        self._count, self._mean, self._var = np.zeros(width), np.zeros(width), np.zeros(width)
        rows = [self._row(x) for x in self._warm]
        self._warm = []
        # The scale first, from every warm-up point: the clusterer then sees them all on it.
        for v in rows:
            self._scale_row(v)
        self._cmean, self._csd = np.zeros(width), np.full(width, np.nan)
        self._fix_scale()
        for v in rows:
            self._cluster_row(v)
        self._refresh()

    def _fix_scale(self) -> None:
        """Give the clustering the scale of the features that have shown a spread since the last time."""
        sd = np.sqrt(self._var)
        fresh = np.isnan(self._csd) & (sd > 1e-9)
        self._cmean[fresh] = self._mean[fresh]
        self._csd[fresh] = sd[fresh]
        # A feature with no scale yet gives NaN, which _zs reads as average (0).
        with np.errstate(divide="ignore", invalid="ignore"):
            self._inverse_sd = 1.0 / self._csd

    def _row(self, x: Mapping[str, float]) -> Vector:
        """``x`` over the model's features (NaN where unknown); names outside the vocabulary as ``…:other``."""
        columns: Columns | None = getattr(self, "_columns", None)
        if columns is None or columns.index is not self._index:  # made again with the features (warm-up's end)
            columns = self._columns = Columns(self._index, OTHER)
        return columns.row(x)

    def _zs(self, rows: Vector) -> Vector:
        """Rows in the clustering's space: standard deviations on its fixed scale, clipped and weighted."""
        z = np.clip((rows - self._cmean) * self._inverse_sd, -self.clip, self.clip)
        z[np.isnan(z)] = 0.0
        return z * self._w

    def _live(self, rows: Vector) -> Vector:
        """Rows in standard deviations from the customers now (unweighted): what sets a segment apart."""
        sd = np.sqrt(self._var)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (rows - self._mean) / sd
        return np.where(np.isnan(z) | (sd <= 1e-9), 0.0, np.clip(z, -self.clip, self.clip))

    def transform_one(self, x: Mapping[str, float]) -> dict[str, float]:
        """``x`` as the clustering sees it: standard deviations on its scale, clipped and weighted."""
        if self._vocabulary is None:
            return {}
        return dict(zip(self._keys, self._zs(self._row(x)[None, :])[0].tolist()))

    # ---------------------------------------------------------------- segments

    def _macro(self, points: Vector, weights: Vector) -> tuple[Vector, NDArray[np.int64]]:
        """Micro-clusters grouped into segments (:func:`models.clustering.group`)."""
        previous = self._zs(self._raw_centres) if len(self._raw_centres) else np.zeros((0, points.shape[1]))
        # Judged on the latest customers themselves (every few, at most SILHOUETTE_SAMPLE), not on the
        # micro-clusters: many small ones in one dense group must not look like many segments.
        sample = self._zs(np.array(self._recent)[:: max(1, len(self._recent) // SILHOUETTE_SAMPLE)])
        return group(points, weights, previous, sample, smallest=self.min_segments, largest=self.max_segments,
                     restarts=self.restarts, seed=(self.seed, self._n))

    def _refresh(self) -> None:
        """Read the clusterer's centres, keep those with weight, and give each its segment's id."""
        self._fix_scale()
        if not self._recent:
            return
        recent_raw = np.array(self._recent)
        recent = self._zs(recent_raw)
        candidates, weights = candidates_of(self._clusterer, self.method, self._keys, recent, self._macro)
        if not len(candidates) or weights.sum() <= 0:
            return
        shares = weights / weights.sum()
        kept = [j for j in np.argsort(-shares, kind="stable") if shares[j] >= self.min_share][: self.max_segments]
        if not kept:
            return
        centres, shares = candidates[kept], shares[kept] / shares[kept].sum()
        ids = self._match(centres)
        raw = unscaled(centres, recent_raw, recent, centres / self._w * self._csd + self._cmean)
        if any(segment_id not in self._sums for segment_id in ids):
            # A segment is born: every description starts again from the latest customers, so the
            # new kind's first points, counted with its nearest old segment till now, leave it.
            self._sums = {}
            nearest = ((recent[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(axis=1)
            for j, segment_id in enumerate(ids):
                self._describe(segment_id, recent_raw[nearest == j])
        for j, segment_id in enumerate(ids):
            total, count, _ = self._sums[segment_id]
            with np.errstate(invalid="ignore", divide="ignore"):
                raw[j] = np.where(count > 0, total / count, raw[j])
        self._sums = {segment_id: self._sums[segment_id] for segment_id in ids}
        apart = self._live(raw)
        segments = []
        for j, segment_id in enumerate(ids):
            z_of = dict(zip(self._keys, np.round(apart[j], 4).tolist()))
            old = self._by_id.get(segment_id)
            segments.append(SegmentCentre(
                id=segment_id,
                centre={key: round(float(v), 6) for key, v in zip(self._keys, raw[j].tolist()) if not math.isnan(v)},
                z=z_of, share=round(float(shares[j]), 4), born=old.born if old else self._n,
                traits=distinguishing(z_of),
            ))
        order = sorted(range(len(segments)), key=lambda i: -segments[i].share)
        self._segments = [segments[i] for i in order]
        self._by_id = {s.id: s for s in self._segments}
        self._raw_centres = raw[order]
        self._centres = centres[order]

    def _match(self, centres: Vector) -> list[str]:
        """Each new centre's id: its matched old segment's, or a new one."""
        old = self._zs(self._raw_centres) if self._segments else centres[:0]
        out = []
        for found in match(centres, old, self.match_distance):
            out.append(self._segments[found].id if found is not None else f"B{self._next_id}")
            self._next_id += found is None
        return out

    def snapshot(self) -> BehaviourSegments:
        """A copy that places customers as this model does now, without what it learns with.

        Cheap (no clusterer, no window): for placing every customer away from the model's
        thread. It cannot learn.
        """
        twin = copy.copy(self)
        twin._mean, twin._var, twin._count = self._mean.copy(), self._var.copy(), self._count.copy()
        twin._cmean, twin._csd, twin._inverse_sd = self._cmean.copy(), self._csd.copy(), self._inverse_sd.copy()
        twin._segments = list(self._segments)
        twin._clusterer = None
        twin._recent = collections.deque(maxlen=1)
        twin._warm = []
        twin.watch = copy.deepcopy(self.watch)
        return twin

    @property
    def settled(self) -> bool:
        """Whether the segments have settled: twice the warm-up learned (news is reported from then on)."""
        return self._n >= 2 * self.warm_up and bool(self._segments)

    def spread(self) -> dict[str, float]:
        """Each feature's standard deviation now, over the customers learned (its scale)."""
        return {key: float(sd) for key, sd in zip(self._keys, np.sqrt(self._var).tolist())}

    @property
    def segments(self) -> tuple[SegmentCentre, ...]:
        """The segments of the latest refresh, largest first (none before warm-up)."""
        return tuple(self._segments)

    def name_segments(self, traits: Mapping[str, tuple[str, ...]]) -> None:
        """Take each segment's traits as the insights read them from all its customers, for placing.

        The model's own weigh frequent customers more; these are the page's, so the offer policy
        and the page speak of a segment in the same words.
        """
        self._named = {segment_id: tuple(words) for segment_id, words in traits.items()}

    def traits_of(self, segment_id: str) -> tuple[str, ...]:
        """The segment's traits: as the insights last read them, else the model's own."""
        if segment_id in self._named:
            return self._named[segment_id]
        segment = self.segment(segment_id)
        return segment.traits if segment is not None else ()

    def segment(self, segment_id: str) -> SegmentCentre | None:
        """The segment with this id, if it is one of the current ones."""
        return self._by_id.get(segment_id)

    def predict_facts(self, facts: BehaviourFacts, *, offers: int = 0, offers_taken: int = 0,
                      predicted_value: float | None = None) -> str | None:
        """:meth:`predict_one` of the customer's :func:`~models.behaviour.behaviour_features`, without the dict."""
        if not self._segments:
            return None
        return self._nearest(np.array(self._scale().z(self._facts_row(facts, offers, offers_taken, predicted_value))))

    def learn_facts(self, facts: BehaviourFacts, *, offers: int = 0, offers_taken: int = 0,
                    predicted_value: float | None = None) -> None:
        """:meth:`learn_one` of the customer's :func:`~models.behaviour.behaviour_features`, without the dict."""
        if self._vocabulary is None:  # warming up: the dicts are kept till the vocabulary is chosen
            self.learn_one(behaviour_features(facts, offers=offers, offers_taken=offers_taken,
                                              predicted_value=predicted_value))
            return
        self._n += 1
        self._learn_row(np.array(self._facts_row(facts, offers, offers_taken, predicted_value)))

    def _facts_row(self, facts: BehaviourFacts, offers: int, offers_taken: int,
                   predicted_value: float | None) -> list[float]:
        """The row :meth:`_row` makes of the facts' features (made from the facts, where the columns allow)."""
        layout: Layout | None = getattr(self, "_layout", None)
        if layout is None or layout.index is not self._index:  # made again with the features (warm-up's end)
            layout = self._layout = Layout(self._index, OTHER)
        if not layout.usual:  # columns laid out otherwise: the dict's way
            row: list[float] = self._row(behaviour_features(facts, offers=offers, offers_taken=offers_taken,
                                                            predicted_value=predicted_value,
                                                            vocabulary=self.vocabulary)).tolist()
            return row
        return behaviour_row(layout, facts, offers, offers_taken, predicted_value)

    def _scale(self) -> Scale:
        """The clustering's scale as floats (read again when :meth:`_fix_scale` changes it)."""
        scale: Scale | None = getattr(self, "_floats", None)
        if scale is None or scale.inverse_sd is not self._inverse_sd:
            scale = self._floats = Scale(self._inverse_sd, self._cmean, self._w, self.clip)
        return scale

    def predict_one(self, x: Mapping[str, float]) -> str | None:
        """The id of the segment whose centre is nearest to ``x``; ``None`` before there are segments."""
        if not self._segments:
            return None
        return self._nearest(z_in_place(self._row(x), self._cmean, self._inverse_sd, self.clip, self._w))

    def _nearest(self, z: Vector) -> str:
        """The id of the segment nearest to ``z``, a row in the clustering's space (:meth:`_zs` of one row)."""
        d = self._centres - z
        np.multiply(d, d, out=d)
        return self._segments[int(np.add.reduce(d, 1).argmin())].id
