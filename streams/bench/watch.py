"""A benchmarked process watched from outside: its CPU, its progress and its metrics page.

What the throughput, live and pair suites share about the child processes they run.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import tempfile
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from streams.bench.common import BenchError, Progress

#: (seconds since the phase began, events done by then).
Sample = tuple[float, float]


def steady_rate(samples: Sequence[Sample], total: int, low: float = 0.1, high: float = 0.9) -> float:
    """Events per second between ``low`` and ``high`` of ``total``, from progress samples.

    >>> steady_rate([(0.0, 0), (1.0, 10), (2.0, 50), (3.0, 90), (4.0, 100)], 100)
    40.0
    """
    t_low, t_high = _time_at(samples, low * total), _time_at(samples, high * total)
    if t_low is None or t_high is None or t_high <= t_low:
        return float("nan")
    return (high - low) * total / (t_high - t_low)


def _time_at(samples: Sequence[Sample], count: float) -> float | None:
    """When ``count`` was reached, interpolated between the samples around it."""
    previous = None
    for t, done in samples:
        if done >= count:
            if previous is None or done == previous[1]:
                return t
            t0, d0 = previous
            return t0 + (t - t0) * (count - d0) / (done - d0)
        previous = (t, done)
    return None


def cpu_seconds(process: Any) -> float:
    """User and system CPU seconds of ``process`` (a ``psutil.Process``) so far."""
    return float(sum(process.cpu_times()[:2]))


async def poll(read: Callable[[], float], total: int, timeout: float, what: str,
                alive: Callable[[], str | None], progress: Progress) -> list[Sample]:
    """Sample ``read()`` every 0.5 s from its first event until it reaches ``total``.

    Not more often: a scrape of the worker's /metrics costs it a few milliseconds.
    """
    samples: list[Sample] = []
    started = time.perf_counter()
    shown = 0.0
    while True:
        problem = alive()
        if problem:
            raise BenchError(f"{what}: {problem}")
        try:
            done = await asyncio.to_thread(read)
        except OSError:
            done = samples[-1][1] if samples else 0.0
        now = time.perf_counter() - started
        if done > 0 or samples:
            samples.append((now, done))
        if done >= total:
            return samples
        if now > timeout:
            raise BenchError(f"{what}: {done:.0f} of {total} events after {timeout:.0f} s")
        if now - shown >= 5:
            shown = now
            progress(f"  {what}: {done:,.0f} of {total:,} events")
        await asyncio.sleep(0.5)


class Child:
    """A child process with its output in a temporary file."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.log = tempfile.NamedTemporaryFile(prefix="tracker-bench-", suffix=".log", delete=False)
        self.process = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **env}, start_new_session=True)

    def problem(self) -> str | None:
        if self.process.poll() is None:
            return None
        return f"exited with code {self.process.returncode}:\n{self.tail()}"

    def tail(self, lines: int = 20) -> str:
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        from streams.demo.embedded import stop_process

        stop_process(self.process)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    from prometheus_client.parser import text_string_to_metric_families

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def total_of(scraped: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    return sum(value for _, value in scraped.get(name, []))


def latency_buckets(scraped: dict[str, list[tuple[dict[str, str], float]]]) -> list[tuple[float, float]]:
    rows = [(float(labels["le"]), value) for labels, value in scraped.get("tracker_event_to_state_seconds_bucket", [])]
    return sorted(rows)


def histogram_quantile(buckets: Sequence[tuple[float, float]], q: float) -> float:
    """The ``q``-quantile of a cumulative histogram ``[(upper bound, count), ...]``.

    Linear within the bucket, as Prometheus' ``histogram_quantile`` does.

    >>> histogram_quantile([(0.01, 50), (0.1, 100), (float("inf"), 100)], 0.99)
    0.0982
    """
    total = buckets[-1][1] if buckets else 0
    if total <= 0:
        return float("nan")
    rank = q * total
    lower, below = 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return round(lower + (bound - lower) * (rank - below) / max(count - below, 1e-12), 6)
        lower, below = bound, count
    return lower


#: A worker using less than this share of a core is done with what it was given (its timers tick
#: every 0.25 s; a backlog keeps it near one core).
_IDLE_SHARE = 0.1
#: Longest wait for that (seconds): the worker's periodic work (insights, checkpoints) may keep it
#: busier than that now and then, which is no debt of the events.
IDLE_WAIT = 60.0


async def until_idle(pid: int, timeout: float, window: float = 0.5, step: float = 0.05) -> float:
    """Wait until process ``pid`` uses under :data:`_IDLE_SHARE` of a core over ``window``; return
    how long it worked on (seconds, to within ``step``).

    Events are counted when read and saved with their batch, but the visits they end are closed
    by the worker's timer later: a load offered before that work is done measures the timer's
    debt, not the load.
    """
    import psutil

    process = psutil.Process(pid)
    started = time.perf_counter()
    seen: deque[tuple[float, float]] = deque()  # (seconds since started, CPU seconds)
    while True:
        now = time.perf_counter() - started
        seen.append((now, cpu_seconds(process)))
        while len(seen) > 1 and seen[1][0] <= now - window:
            seen.popleft()  # seen[0]: the latest sample at least ``window`` old
        since, used = seen[0]
        if now - since >= window and seen[-1][1] - used < _IDLE_SHARE * (now - since):
            return since
        if now > timeout:
            return now
        await asyncio.sleep(step)
