"""Consumer lag of the input partitions this worker owns, as a gauge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from prometheus_client import Gauge


class LagConsumer(Protocol):
    """The part of Faust's consumer that lag needs."""

    def assignment(self) -> set[Any]: ...
    async def highwaters(self, *partitions: Any) -> Mapping[Any, int]: ...
    async def position(self, tp: Any) -> int | None: ...


class OffsetsSeen(Protocol):
    """The batch consumer: offsets committed (next to read) and last handled, per partition."""

    tp_committed_offsets: Mapping[Any, int]
    tp_read_offsets: Mapping[Any, int]


def lag(highwater: int, committed: int | None, last_read: int | None) -> int | None:
    """Records of a partition not yet consumed: high watermark minus the consumed position.

    The position is one past the last record this worker handled (its effects saved), or the
    group's committed offset (what ``kafka-consumer-groups.sh`` shows) if later: the worker
    commits to Kafka at most every ``TRACKER_COMMIT_INTERVAL_SECONDS``, so that one may lag.

    >>> lag(120, committed=100, last_read=110)
    9
    >>> lag(120, committed=100, last_read=None)
    20
    >>> lag(120, committed=None, last_read=None) is None
    True
    """
    positions = [p for p in (committed, last_read + 1 if last_read is not None else None) if p is not None]
    if not positions:
        return None
    return max(highwater - max(positions), 0)


class ConsumerLag:
    """Keeps ``tracker_consumer_lag_messages{topic,partition}`` for the assigned input partitions."""

    def __init__(self, gauge: Gauge, topics: Iterable[str]) -> None:
        self._gauge = gauge
        self._topics = frozenset(topics)
        self._shown: set[tuple[str, str]] = set()

    async def refresh(self, consumer: LagConsumer, monitor: OffsetsSeen) -> dict[tuple[str, int], int]:
        """Measure every assigned input partition; drop the series of partitions no longer owned."""
        assigned = sorted(
            (tp for tp in consumer.assignment() if tp.topic in self._topics), key=lambda tp: (tp.topic, tp.partition)
        )
        highwaters = await consumer.highwaters(*assigned) if assigned else {}
        lags: dict[tuple[str, int], int] = {}
        for tp in assigned:
            end = highwaters.get(tp)
            if end is None:
                continue
            value = lag(end, monitor.tp_committed_offsets.get(tp), monitor.tp_read_offsets.get(tp))
            if value is None:  # nothing committed or read since the assignment: where the fetcher is
                position = await consumer.position(tp)
                value = max(end - position, 0) if position is not None else None
            if value is not None:
                lags[(tp.topic, tp.partition)] = value
        shown = {(topic, str(partition)) for topic, partition in lags}
        for labels in self._shown - shown:
            self._gauge.remove(*labels)
        for (topic, partition), value in lags.items():
            self._gauge.labels(topic, str(partition)).set(value)
        self._shown = shown
        return lags
