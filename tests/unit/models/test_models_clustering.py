"""The DenStream of the behavioural segments: its nearest micro-cluster is river's, figure for figure."""

from __future__ import annotations

import random

from river import cluster as river_cluster
from river.cluster.denstream import DenStreamMicroCluster
from river.utils.vectordict import euclidean_distance_dict

from models.clustering import CentredDenStream


def _river(point, clusters):
    key = river_cluster.DenStream._get_closest_cluster_key(None, point, clusters)
    return key, euclidean_distance_dict(clusters[key].center, point)


def test_the_nearest_micro_cluster_and_its_distance_are_rivers_bit_for_bit():
    rng = random.Random(7)
    names = [f"f{i}" for i in range(23)]
    model = CentredDenStream(epsilon=2.0)
    clusters: dict[int, DenStreamMicroCluster] = {}
    for step in range(3000):
        point = {name: rng.gauss(0.0, 1.0) if rng.random() > 0.1 else 0.0 for name in names}
        if step % 7 == 0 or not clusters:  # micro-clusters come, go and move, as they do in a stream
            clusters[step] = DenStreamMicroCluster(x=dict(point), timestamp=step, decaying_factor=0.01)
        if step % 11 == 0 and len(clusters) > 1:
            del clusters[rng.choice(list(clusters))]
        if step % 3 == 0:
            clusters[rng.choice(list(clusters))].insert(point, step)
        assert model._nearest(point, clusters) == _river(point, clusters)
    # Two equally near: the first, as river's loop keeps it.
    twins = {1: DenStreamMicroCluster(x={"a": 1.0}, timestamp=0, decaying_factor=0.01),
             2: DenStreamMicroCluster(x={"a": -1.0}, timestamp=0, decaying_factor=0.01)}
    assert model._nearest({"a": 0.0}, twins) == (1, 1.0)


def test_a_centre_over_other_features_is_searched_as_river_does():
    model = CentredDenStream(epsilon=2.0)
    clusters = {0: DenStreamMicroCluster(x={"a": 1.0, "b": 2.0}, timestamp=0, decaying_factor=0.01),
                1: DenStreamMicroCluster(x={"b": 0.5, "c": 3.0}, timestamp=0, decaying_factor=0.01)}
    point = {"a": 0.5, "b": 1.0}
    assert model._nearest(point, clusters) == _river(point, clusters)
    assert model._nearest({}, {}) == (-1, float("inf"))
