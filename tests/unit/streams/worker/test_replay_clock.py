"""The replay clock takes over the time a previous process saved: of its own inputs only."""

from __future__ import annotations

from datetime import datetime, timezone

from streams.store import Position, Progress
from streams.worker.replay_clock import ReplayClock


class _SavedProgress:
    def __init__(self, progress: Progress) -> None:
        self._progress = progress

    async def load_progress(self, partition: int) -> Progress:
        return {key: position for key, position in self._progress.items() if key[1] == partition}


def _at(hour: int) -> datetime:
    return datetime(2026, 1, 5, hour, tzinfo=timezone.utc)


async def test_a_replay_takes_over_its_own_inputs_saved_time_and_not_other_topics() -> None:
    # Topics renamed since (or another app on the same Redis) left a later time under their names.
    saved = _SavedProgress({
        ("visits", 0): Position(_at(9).timestamp(), 41),
        ("purchases", 0): Position(_at(8).timestamp(), 7),
        ("old-visits", 0): Position(_at(15).timestamp(), 90_000),
    })
    clock = ReplayClock(input_topics=("visits", "purchases"), event_time=True, wall=lambda: _at(23), idle_seconds=0.0)
    await clock.load(saved, 0)  # type: ignore[arg-type]

    caught_up = {("visits", 0): 42, ("purchases", 0): 8}
    assert clock.until(0, caught_up) == _at(9)
    assert clock.read_until(0) is None  # no end offsets seen by a timer yet
