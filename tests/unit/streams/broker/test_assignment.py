"""The consumer group gives partition n of both input topics to the same worker, whatever the group's size."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from streams.broker.consumer import ASSIGNORS

TOPICS = ("tracker-purchases", "tracker-site-visits")


class Cluster:
    """What an assignor reads of the cluster's metadata: the partitions of each topic."""

    def __init__(self, partitions: int) -> None:
        self._partitions = set(range(partitions))

    def partitions_for_topic(self, topic: str) -> set[int]:
        return self._partitions


def owners(assignor: type, workers: int, partitions: int) -> dict[tuple[str, int], str]:
    members = {f"worker-{n}": SimpleNamespace(subscription=list(TOPICS)) for n in range(workers)}
    assignment = assignor.assign(Cluster(partitions), members)
    return {(topic, partition): member
            for member, given in assignment.items() for topic, numbers in given.assignment for partition in numbers}


@pytest.mark.parametrize("workers", range(1, 7))
@pytest.mark.parametrize("partitions", range(1, 9))
def test_one_worker_owns_partition_n_of_both_input_topics(workers, partitions):
    owner = owners(ASSIGNORS[0], workers, partitions)
    assert len(owner) == 2 * partitions
    for n in range(partitions):
        assert owner[(TOPICS[0], n)] == owner[(TOPICS[1], n)]


def test_round_robin_would_split_a_customer_between_workers():
    """Why the group does not use aiokafka's default: 3 workers on 4 partitions."""
    owner = owners(RoundRobinPartitionAssignor, 3, 4)
    assert any(owner[(TOPICS[0], n)] != owner[(TOPICS[1], n)] for n in range(4))
