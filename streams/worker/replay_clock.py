"""The clock of an event-time replay: how far time has come in each input partition.

Live, time is the wall clock.  Replaying history (``TRACKER_CLOCK=event``), it is the event
time the input has reached: per partition, the slower of the two input topics, except that
a topic that is caught up stops holding the other back.  The clock is saved to the store
before a batch is acknowledged, so a worker restarted after the last record was read still
knows how far time had come and fires what came due.

"Caught up" is as of the end offsets a timer tick asked Kafka for, and the records read since
are no measure of it: a producer's records reach the partitions in batches of their own, so a
partition read to the end it had then may still have records on their way older than what
another partition (or the other topic) has shown since.  A caught-up topic therefore holds the
clock back to the latest event time read *before* the end offsets were asked for, no further.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from streams.core.intake import Record
from streams.store import Position, Progress, StateStore


@dataclass(frozen=True, slots=True)
class Mark:
    """The latest event time read on an input (topic, partition), and when (monotonic) it moved."""

    event_time: datetime
    moved_at: float


class ReplayClock:
    """Watermarks and positions of the input partitions; ``until`` is the replay's now."""

    def __init__(
        self, *, input_topics: Sequence[str], event_time: bool, wall: Callable[[], datetime],
        idle_seconds: float = 2.0,
    ) -> None:
        self.event_time = event_time
        self._wall = wall
        self._input_topics = tuple(input_topics)
        self._idle_seconds = idle_seconds
        self._started = time.monotonic()
        self._marks: dict[tuple[str, int], Mark] = {}
        self._positions: dict[tuple[str, int], int] = {}
        #: The input topics' end offsets as of the timer's last tick (see :meth:`saw_ends`).
        self.end_offsets: Mapping[tuple[str, int], int] | None = None
        #: The latest event time read before those end offsets were asked for (None: none).
        self.read_before: datetime | None = None
        self._progress_loaded: set[int] = set()

    def saw_ends(self, end_offsets: Mapping[tuple[str, int], int] | None, read_before: datetime | None) -> None:
        """A timer tick asked for the input topics' end offsets, having read up to ``read_before`` then."""
        self.end_offsets = end_offsets
        self.read_before = read_before

    def latest_read(self) -> datetime | None:
        """The latest event time read on any input (None before the first): take it before asking for end offsets."""
        return max((mark.event_time for mark in self._marks.values()), default=None)

    def advance(self, records: Sequence[Record], marks: Mapping[tuple[str, int], datetime]) -> None:
        """The batch ``records`` is applied: its offsets and latest event times are reached."""
        moved = time.monotonic()
        for record in records:
            self._positions[(record.topic, record.partition)] = record.offset
        for key, event_time in marks.items():
            old = self._marks.get(key)
            if old is None or event_time > old.event_time:
                self._marks[key] = Mark(event_time, moved)

    def progress(self, records: Iterable[Record]) -> Progress:
        """What to save for the inputs of ``records`` (replays only)."""
        progress: Progress = {}
        for key in {(record.topic, record.partition) for record in records}:
            mark = self._marks.get(key)
            progress[key] = Position(mark.event_time.timestamp() if mark else None, self._positions[key])
        return progress

    async def load(self, store: StateStore, partition: int) -> None:
        """Replays only, once per partition: take over the clock a previous process saved."""
        if not self.event_time or partition in self._progress_loaded:
            return
        moved = time.monotonic()
        for key, position in (await store.load_progress(partition)).items():
            if key[0] not in self._input_topics:
                # Another set of inputs saved in the same Redis (topics renamed since, another app):
                # its time is not this replay's, and the latest mark on any topic would move it there.
                continue
            if position.event_time is not None:
                mark = datetime.fromtimestamp(position.event_time, timezone.utc)
                old = self._marks.get(key)
                if old is None or mark > old.event_time:
                    self._marks[key] = Mark(mark, moved)
                    # Read by a process before this one (not by this one after asking for the end offsets).
                    if self.read_before is None or mark > self.read_before:
                        self.read_before = mark
            self._positions.setdefault(key, position.offset)  # records read by this process know better
        self._progress_loaded.add(partition)

    def read_until(self, partition: int) -> datetime | None:
        """The latest event time read on the slower input topic of ``partition``, without shortcuts.

        A topic that had no records at the timer's last look (end offset 0) holds it back to the
        time read before that look (records it gets since come after); one with records but none
        read yet makes it unknown (None). Unlike :meth:`until`, a caught-up topic still
        holds the other back: what a batch may rely on between two timer ticks.
        """
        ends = self.end_offsets
        if ends is None:
            return None
        times = []
        for topic in self._input_topics:
            key = (topic, partition)
            mark = self._marks.get(key)
            if mark is None:
                if ends.get(key, 1) == 0:
                    if self.read_before is None:
                        return None  # nothing was read before that look: what came since is of unknown time
                    times.append(self.read_before)
                    continue
                return None
            times.append(mark.event_time)
        return min(times, default=None)

    def caught_up(self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None) -> bool:
        """Whether every input topic of ``partition`` is read to its end offset (unknown: no)."""
        if end_offsets is None:
            return False
        for topic in self._input_topics:
            key = (topic, partition)
            if key not in end_offsets:
                return False
            position = self._positions.get(key)
            if end_offsets[key] != 0 and (position is None or position + 1 < end_offsets[key]):
                return False
        return True

    def until(
        self, partition: int, end_offsets: Mapping[tuple[str, int], int] | None = None,
        read_before: datetime | None | Literal["now"] = "now",
    ) -> datetime | None:
        """How far time has come in ``partition``: the clock live, the watermark in replays.

        The two input topics are read independently, so one may run ahead of the other;
        the replay clock is the slower of the two, except that a topic partition that is
        caught up (everything up to ``end_offsets`` read, or, when those are unknown,
        nothing new for ``idle_seconds``) stops holding it back. A partition whose topics
        are all caught up has come as far as the latest event read on any partition: the
        replay's time, by which its quiet customers' steps (and the models' reviews) come due.

        ``read_before``: the latest event time read before ``end_offsets`` were asked for (None:
        nothing was; "now": as if they had just been). A topic caught up by them holds the clock
        back to it: what was read since may have overtaken records of its still on their way.
        """
        if not self.event_time:
            return self._wall()
        if read_before == "now":
            read_before = self.latest_read()
        now = time.monotonic()
        marks = []
        ended = False  # a topic is caught up by the end offsets
        for topic in self._input_topics:
            key = (topic, partition)
            mark = self._marks.get(key)
            if end_offsets is not None and key in end_offsets:
                position = self._positions.get(key)
                if end_offsets[key] == 0 or (position is not None and position + 1 >= end_offsets[key]):
                    ended = True
                    continue  # caught up: nothing of this topic was waiting when the end offsets were asked for
                if mark is None:
                    return None  # records are waiting and none was read yet
                marks.append(mark.event_time)
                continue
            if mark is None:
                if now - self._started < self._idle_seconds:
                    return None  # this topic may just not have started yet
                continue
            if now - mark.moved_at < self._idle_seconds:
                marks.append(mark.event_time)
        if not marks:  # every topic caught up: all there is has been read, here and as far as the others
            if not any(p == partition for (_, p) in self._marks):
                return None
            if not ended:
                return max(m.event_time for m in self._marks.values())
        if ended:
            if read_before is None:
                return None  # nothing was read before the end offsets were asked for: no time is sure
            marks.append(read_before)
        return min(marks)
