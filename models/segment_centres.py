"""The behavioural segments' centres at a refresh: read from the clusterer, and turned back into the features' units.

:meth:`models.segments.BehaviourSegments._refresh` reads the clusterer's centres (grouping
micro-clusters into segments where the method keeps them: :func:`candidates_of`) and describes
each in the features' own units, from the latest customers nearest to it (:func:`unscaled`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from models.clustering import Method, Vector

__all__ = ["candidates_of", "unscaled"]


def candidates_of(
    clusterer: Any, method: Method, keys: list[str], recent: Vector,
    macro: Callable[[Vector, Vector], tuple[Vector, NDArray[np.int64]]],
) -> tuple[Vector, Vector]:
    """The clusterer's centres now (rows over ``keys``) and the weight behind each.

    For micro-cluster methods the centres are the micro-clusters grouped by ``macro`` (the
    segments' :func:`~models.clustering.group`) and the weight is that of the micro-clusters grouped into each:
    the clusterer's own, slowly fading memory, so a burst of one kind of customer does not
    push the others out. The other methods' centres are weighed by the ``recent`` points
    nearest to them.
    """
    c = clusterer
    micro: list[tuple[Mapping[str, float], float]] = []
    if method == "clustream":
        micro = [(mc.center, mc.weight) for mc in c.micro_clusters.values()]
    elif method == "denstream" and c.initialized:
        micro = [(mc.center, mc.calc_weight(c.timestamp)) for mc in c.p_micro_clusters.values()]
    if method in ("clustream", "denstream"):
        if len(micro) < 2:
            return np.zeros((0, len(keys))), np.zeros(0)
        points = np.array([[centre.get(key, 0.0) for key in keys] for centre, _ in micro], dtype=float)
        weights = np.array([weight for _, weight in micro], dtype=float)
        centres, labels = macro(points, weights)
        grouped: Vector = np.bincount(labels, weights=weights, minlength=len(centres)).astype(float)
        return centres, grouped
    centres = np.array([[centre.get(key, 0.0) for key in keys] for centre in c.centers.values()],
                       dtype=float).reshape(-1, len(keys))
    if not len(centres):
        return centres, np.zeros(0)
    nearest = ((recent[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(axis=1)
    counts: Vector = np.bincount(nearest, minlength=len(centres)).astype(float)
    return centres, counts


def unscaled(centres: Vector, recent_raw: Vector, recent: Vector, turned_back: Vector) -> Vector:
    """Each centre in the features' units: the mean of its latest customers, else ``turned_back`` (its own row).

    ``recent`` are the latest customers in the centres' space, ``recent_raw`` the same in the features' units.

    >>> unscaled(np.array([[0.0], [9.0]]), np.array([[10.0], [np.nan]]), np.array([[0.5], [1.0]]),
    ...          np.array([[-1.0], [-2.0]])).tolist()
    [[10.0], [-2.0]]
    """
    nearest = ((recent[:, None, :] - centres[None, :, :]) ** 2).sum(-1).argmin(axis=1)
    raw = turned_back
    for j in range(len(centres)):
        members = nearest == j
        if members.any():
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", category=RuntimeWarning)  # a feature no member has: NaN
                raw[j] = np.nanmean(recent_raw[members], axis=0)
    return raw
