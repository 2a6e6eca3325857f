"""What a long command is doing, on stderr: a line rewritten in place on a terminal, lines now and then in a log.

A replay or an evaluation of a big file runs for minutes.  On a terminal the count is rewritten
in place; written to a file or a pipe (a scheduled job's log) that would be one unreadable line,
so a line is written instead when :data:`EVERY_SECONDS` have passed since the last one, and
stages ("read 5,000,000 lines") are written as they end once the run has been going that long;
a step that reports nothing as it goes (loading a purchase log) says it is still at it, as often.
A run shorter than that writes nothing, as before, so scripts reading stderr see no change.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["EVERY_SECONDS", "Reporter", "later_step"]

#: Seconds between two progress lines written to a file or a pipe.
EVERY_SECONDS = 10.0


class Reporter:
    """Progress of one command, under ``name``, to ``stream`` (stderr).

    >>> import io
    >>> clock = iter([0.0, 1.0, 12.0, 13.0, 30.0, 31.0]).__next__
    >>> out = io.StringIO()
    >>> report = Reporter("value", out, clock=clock)
    >>> report.count(500, 60_000)      # 1 s in: too soon for a line
    >>> report.count(20_000, 60_000)   # 12 s in
    >>> report.stage("read the log")   # 13 s in: the run is long, stages are said
    >>> report.count(60_000, 60_000)   # 30 s in
    >>> print(out.getvalue(), end="")
      value: 20,000/60,000 (33 %), 12 s
      value: read the log, 13 s
      value: 60,000/60,000 (100 %), 30 s
    """

    def __init__(self, name: str, stream: TextIO | None = None, *, unit: str = "",
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.unit = f" {unit}" if unit else ""
        self._stream = stream if stream is not None else sys.stderr
        self._clock = clock
        self._started = clock()
        self._said = self._started
        self._terminal = self._stream.isatty()
        self._counting = False

    def count(self, done: int, total: int) -> None:
        """``done`` of ``total`` items (transactions, events, lines) handled."""
        self._counting = True
        if not total:
            return
        now = self._clock()
        line = f"{self.name}: {done:,}/{total:,}{self.unit} ({100 * done / total:.0f} %)"
        rate = done / (now - self._started) if now > self._started else 0.0
        if self._terminal:
            self._stream.write(f"\r  {line}, {rate:,.0f}/s\x1b[K")
            if done >= total:
                self._stream.write("\r\x1b[K")
            self._stream.flush()
        elif now - self._said >= EVERY_SECONDS or (done >= total and self._said > self._started):
            self._line(f"{line}, {now - self._started:.0f} s", now)

    def lines(self, done: int) -> None:
        """``done`` lines of a file read, its length not known beforehand."""
        self._counting = True
        now = self._clock()
        if self._terminal:
            self._stream.write(f"\r  {self.name}: read {done:,} lines\x1b[K")
            self._stream.flush()
        elif now - self._said >= EVERY_SECONDS:
            self._line(f"{self.name}: read {done:,} lines, {now - self._started:.0f} s", now)

    def stage(self, what: str) -> None:
        """A step ended: said once the run has taken long enough for progress lines."""
        self._counting = True
        now = self._clock()
        if now - self._started >= EVERY_SECONDS:
            self._line(f"{self.name}: {what}, {now - self._started:.0f} s", now)

    @contextlib.contextmanager
    def meanwhile(self, what: str) -> Iterator[None]:
        """Say ``what`` is still going on every :data:`EVERY_SECONDS` until the block ends or counting starts."""
        done = threading.Event()

        def say() -> None:
            while not done.wait(EVERY_SECONDS) and not self._counting:
                now = self._clock()
                if now - self._said >= EVERY_SECONDS:
                    self._line(f"{self.name}: {what}, {now - self._started:.0f} s", now)

        beside = threading.Thread(target=say, name=f"progress-{self.name}", daemon=True)
        beside.start()
        try:
            yield
        finally:
            done.set()
            beside.join()

    def _line(self, text: str, now: float) -> None:
        self._stream.write(f"\r\x1b[K  {text}\n" if self._terminal else f"  {text}\n")
        self._stream.flush()
        self._said = now


def later_step(name: str, stream: TextIO | None = None, *, unit: str = "",
               clock: Callable[[], float] = time.monotonic) -> Callable[[int, int], None]:
    """The ``count`` of a :class:`Reporter` of a step that starts later (a value evaluation's bootstrap after its replay).

    The reporter is made at the step's first count, so its time and rate run from the step's
    start, in its own unit, and a short step writes nothing to a log, as a short run does.

    >>> import io
    >>> out = io.StringIO()
    >>> count = later_step("value bootstrap", out, unit="resamples", clock=iter([100.0, 100.0, 111.0, 112.0]).__next__)
    >>> count(0, 1000); count(400, 1000); count(1000, 1000)
    >>> print(out.getvalue(), end="")
      value bootstrap: 400/1,000 resamples (40 %), 11 s
      value bootstrap: 1,000/1,000 resamples (100 %), 12 s
    """
    made: list[Reporter] = []

    def count(done: int, total: int) -> None:
        if not made:
            made.append(Reporter(name, stream, unit=unit, clock=clock))
        made[0].count(done, total)

    return count
