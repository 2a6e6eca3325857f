"""Two workers on one machine: their combined rate over the same backlog (``--suite throughput``).

Scale-out is by Kafka partitions: each worker of a consumer group owns some of the input
partitions (and the customers in them).  The pair reads the backlog the single worker just
read, on topics, a consumer group and a Redis database of their own, so the figures compare.
The backlog is produced only once both workers own their share of the partitions: a worker
that joined while the other was reading would rebalance the group mid-run and measure the
rebalance instead.  On a machine with fewer cores than
workers the pair shares them: the figure says what a second process buys *here*.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from streams.bench.common import BenchError, Progress
from streams.bench.offering import Message, produce
from streams.bench.watch import Child, Sample, poll, scrape, steady_rate, total_of
from streams.settings import Settings

#: How long the group may take to give each worker its partitions.
_SETTLE_SECONDS = 120.0


@dataclass(frozen=True, slots=True)
class PairFigures:
    rate: float
    samples: list[Sample]
    #: Events each worker handled by the end (their split of the partitions).
    shares: list[int]


async def pair_run(settings: Settings, backlog: Sequence[Message], timeout: float, progress: Progress) -> PairFigures:
    """Two ``tracker worker`` processes in one group over ``backlog``; their summed steady rate.

    ``settings`` name the pair's own topics, group and Redis database; the topics are
    created here and deleted at the end.
    """
    from streams.broker.topics import delete_topics, ensure_topics
    from streams.demo.embedded import free_port
    from streams.demo.run import settings_env

    ensure_topics(settings)
    total = len(backlog)

    ports = [free_port(), free_port()]
    children = [
        Child([sys.executable, "-m", "streams.cli", "worker"],
              settings_env(settings.model_copy(update={"web_port": port})))
        for port in ports
    ]
    progress("  worker pids " + ", ".join(str(child.process.pid) for child in children))

    def handled(port: int) -> float:
        try:
            return total_of(scrape(port), "tracker_events_consumed_total")
        except OSError:  # not serving yet, or restarting its web server during a rebalance
            return 0.0

    def problem() -> str | None:
        return next((found for found in (child.problem() for child in children) if found), None)

    try:
        await _split(settings, ports, problem)
        progress(f"  the group is settled; producing the backlog of {total:,} events")
        await produce(settings, backlog)
        samples = await poll(lambda: sum(handled(port) for port in ports), total, timeout, "two tracker workers",
                             problem, progress)
        return PairFigures(steady_rate(samples, total), samples, [int(handled(port)) for port in ports])
    finally:
        for child in children:
            child.stop()
        delete_topics(settings)


async def _split(settings: Settings, ports: Sequence[int], problem: Callable[[], str | None]) -> None:
    """Wait until each worker reports the lag of its own input partitions and together they own all."""
    inputs = {settings.site_visits_topic, settings.purchases_topic}
    wanted = len(inputs) * settings.partitions
    deadline = time.monotonic() + _SETTLE_SECONDS
    owned: list[set[tuple[str, str]]] = []
    while time.monotonic() < deadline:
        if (found := problem()) is not None:
            raise BenchError(f"two tracker workers: {found}")
        owned = [await asyncio.to_thread(_owned, port, inputs) for port in ports]
        if all(owned) and len(set().union(*owned)) == sum(map(len, owned)) == wanted:
            return
        await asyncio.sleep(1.0)
    # What each one last reported says whether they overlap (a stale lag gauge) or one never joined.
    reported = "; ".join(f"worker {n + 1}: {len(parts)}" for n, parts in enumerate(owned))
    raise BenchError(f"two tracker workers: the group did not split the {wanted} input partitions "
                     f"between them within {_SETTLE_SECONDS:.0f} s (partitions each reported owning: {reported})")


def _owned(port: int, inputs: set[str]) -> set[tuple[str, str]]:
    """The input partitions a worker reports lag for (the ones it owns), or none while it starts."""
    try:
        rows = scrape(port).get("tracker_consumer_lag_messages", [])
    except OSError:
        return set()
    return {(labels["topic"], labels["partition"]) for labels, _ in rows if labels.get("topic") in inputs}
