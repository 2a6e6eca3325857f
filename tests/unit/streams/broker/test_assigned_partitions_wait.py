"""Newly assigned partitions hand out no records until they are placed where Redis says the state was saved."""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import TopicPartition

from streams.broker.consumer import BatchConsumer, _Listener


class Consumer:
    """What the listener touches of aiokafka's consumer, recording the calls in order."""

    def __init__(self, calls: list[str], ends: int) -> None:
        self.calls, self.ends, self.assigned = calls, ends, set()

    def pause(self, *tps: TopicPartition) -> None:
        self.calls.append(f"pause {sorted(tp.partition for tp in tps)}")

    def resume(self, *tps: TopicPartition) -> None:
        self.calls.append(f"resume {sorted(tp.partition for tp in tps)}")

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.calls.append(f"seek {tp.partition}@{offset}")

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        await asyncio.sleep(0)  # the batch loop may run here: aiokafka is fetching already
        return {tp: self.ends for tp in tps}


def assigned_with(saved: dict[tuple[str, int], int], ends: int = 10) -> list[str]:
    calls: list[str] = []
    owner = BatchConsumer.__new__(BatchConsumer)
    owner._consumer = Consumer(calls, ends)  # type: ignore[assignment]

    async def on_assigned(partitions: set[int]) -> None:
        calls.append(f"fencing {sorted(partitions)}")
        await asyncio.sleep(0)

    async def saved_offsets(partitions: set[int]) -> dict[tuple[str, int], int]:
        calls.append("saved offsets read")
        return saved

    owner.on_assigned, owner._saved_offsets = on_assigned, saved_offsets
    tps = [TopicPartition("visits", 0), TopicPartition("visits", 1)]
    owner._consumer.assigned = set(tps)  # type: ignore[attr-defined]
    asyncio.run(_Listener(owner).on_partitions_assigned(tps))
    return calls


def test_partitions_are_paused_before_any_await_and_resumed_after_the_seek() -> None:
    """Pause first, then fencing, the saved offsets and the seek; resume last."""
    assert assigned_with({("visits", 1): 4}) == [
        "pause [0, 1]", "fencing [0, 1]", "saved offsets read", "seek 1@5", "resume [0, 1]",
    ]


def test_partitions_are_resumed_when_nothing_was_saved_or_the_fencing_fails() -> None:
    """Nothing saved: resumed all the same; a failure while placing them leaves them readable too."""
    assert assigned_with({})[-1] == "resume [0, 1]"
    calls: list[str] = []
    owner = BatchConsumer.__new__(BatchConsumer)
    owner._consumer = Consumer(calls, 10)  # type: ignore[assignment]
    tp = TopicPartition("visits", 0)
    owner._consumer.assigned = {tp}  # type: ignore[attr-defined]

    async def fails(partitions: set[int]) -> None:
        raise ConnectionError("redis is away")

    owner.on_assigned = fails
    with pytest.raises(ConnectionError):
        asyncio.run(_Listener(owner).on_partitions_assigned([tp]))
    assert calls == ["pause [0]", "resume [0]"]
