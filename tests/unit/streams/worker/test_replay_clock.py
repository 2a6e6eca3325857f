"""The replay clock takes over the time a previous process saved: of its own inputs only."""

from __future__ import annotations

from datetime import datetime, timezone

from streams.core.intake import Record
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


def test_a_topic_caught_up_by_the_end_offsets_holds_the_clock_to_what_was_read_before_they_were_asked_for() -> None:
    """Purchases read to their end, visits behind: visits read since asking do not carry the clock past them."""
    clock = ReplayClock(input_topics=("visits", "purchases"), event_time=True, wall=lambda: _at(23), idle_seconds=0.0)
    clock.advance([Record("visits", 0, 0, None, None), Record("purchases", 0, 0, None, None)],
                  {("visits", 0): _at(8), ("purchases", 0): _at(8)})
    read_before = clock.latest_read()
    # Asked for the end offsets, then read on: a purchase between 8:00 and 12:00 may still be on its way.
    clock.advance([Record("visits", 0, 1, None, None)], {("visits", 0): _at(12)})
    ends = {("visits", 0): 5, ("purchases", 0): 1}
    assert clock.until(0, ends, read_before) == _at(8)
    assert clock.until(0, ends) == _at(12)  # end offsets taken just now: the purchases are all read
    assert clock.until(0, ends, None) is None  # nothing was read before asking: no time is sure
