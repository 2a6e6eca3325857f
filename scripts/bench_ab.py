"""The worker against a baseline checkout, in one run: ``tracker bench --suite throughput`` minus the naive agent.

    git archive <baseline commit> | tar -x -C /tmp/baseline
    .venv/bin/python scripts/bench_ab.py --baseline /tmp/baseline --rounds 3 [--events 100000]

Each round measures, on fresh topics holding the same simulated backlog, the raw aiokafka rate
and then the baseline's worker and this checkout's worker (alternating which goes first), each
with the latency at the offered load and the Redis bytes per customer.  The baseline worker
runs this venv's Python in the baseline's directory, with its source first on ``PYTHONPATH``.  Prints one JSON
object: every round and the medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import uuid

import threading
import time

import psutil
import redis

from streams.bench.size import bench_profile_size
from streams.bench.offering import produce
from streams.bench.throughput import _claim, _with_db, raw_rate, worker_run, workload
from streams.bench.watch import scrape, total_of
from streams.broker.topics import delete_topics, ensure_topics
from streams.demo.embedded import free_port
from streams.settings import Settings
from streams.transport import redis_options


class CpuWatch(threading.Thread):
    """Samples the worker child's CPU seconds and events done, to price an event in CPU, not wall, time.

    The machine is shared: wall-clock rates move with the other engineers' load, CPU per
    event much less.
    """

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.samples: list[tuple[float, float]] = []  # (events done, CPU seconds)
        self.done = False

    def run(self) -> None:
        me = psutil.Process()
        while not self.done:
            time.sleep(0.5)
            try:
                children = [c for c in me.children() if "streams.cli" in " ".join(c.cmdline())]
            except psutil.Error:  # a child that just exited (a zombie until reaped)
                continue
            if not children:
                continue
            try:
                cpu = sum(children[0].cpu_times()[:2])
                events = total_of(scrape(self.port), "tracker_events_consumed_total")
            except Exception:
                continue
            self.samples.append((events, cpu))

    def us_per_event_to_idle(self, total: int) -> float:
        """CPU per event from the first event read to the worker idle with the backlog done.

        The steady span's figure leaves out work the timer put off (visits closed after the
        last event was read); this one counts it: the worker is idle before a load is offered.
        """
        started = next(((e, c) for e, c in self.samples if e > 0), None)
        done = [c for e, c in self.samples if e == total]
        if started is None or not done or started[0] >= total:
            return float("nan")
        return (done[-1] - started[1]) / (total - started[0]) * 1e6

    def us_per_event(self, total: int, low: float = 0.1, high: float = 0.9) -> float:
        inside = [(e, c) for e, c in self.samples if low * total <= e <= high * total]
        if len(inside) < 2 or inside[-1][0] == inside[0][0]:
            return float("nan")
        return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0]) * 1e6


async def one(settings: Settings, variant: str, baseline: str, load, events: int, rate: float,
              seconds: float) -> dict[str, object]:
    run = uuid.uuid4().hex[:6]
    bench = settings.model_copy(update={
        "app_id": f"bench-{run}", "site_visits_topic": f"bench-{run}-site-visits",
        "purchases_topic": f"bench-{run}-purchases", "offer_triggers_topic": f"bench-{run}-offer-triggers",
        "offer_outcomes_topic": f"bench-{run}-offer-outcomes", "dead_letters_topic": f"bench-{run}-dead-letters",
        "redis_url": _with_db(settings.redis_url, 15), "web_port": free_port(), "clock": "event",
    })
    client = redis.Redis.from_url(bench.redis_url, **redis_options(bench))
    client.flushdb()
    _claim(client, 15)
    ensure_topics(bench)
    before = os.environ.get("PYTHONPATH")
    here = os.getcwd()
    try:
        await produce(bench, [(bench.site_visits_topic if t.endswith("site-visits") else bench.purchases_topic, k, v)
                              for t, k, v in load.backlog])
        raw, _ = await raw_rate(bench, events)
        if variant == "baseline":
            # ``python -m`` puts the working directory first on sys.path: the child must start there.
            os.environ["PYTHONPATH"] = baseline
            os.chdir(baseline)
        paced = [(bench.site_visits_topic if t.endswith("site-visits") else bench.purchases_topic, k, v)
                 for t, k, v in load.paced]
        watch = CpuWatch(bench.web_port)
        watch.start()
        try:
            figures = await worker_run(bench, events, paced, rate, seconds, timeout=600, progress=lambda _: None)
        finally:
            watch.done = True
        size = await bench_profile_size(bench, progress=lambda _: None)
    finally:
        os.chdir(here)
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before
        client.flushdb()
        client.close()
        delete_topics(bench)
    return {"variant": variant, "raw": round(raw), "worker": round(figures.rate),
            "ratio": round(figures.rate / raw, 4), "cpu_us_per_event": round(watch.us_per_event(events), 1),
            "sustained": round(figures.sustained), "catch_up_seconds": round(figures.catch_up, 1),
            "cpu_us_per_event_to_idle": round(watch.us_per_event_to_idle(events), 1),
            "latency": [latency.as_dict() for latency in figures.latencies],
            "customer_bytes_p50": size["customer_bytes_p50"], "customer_bytes_p99": size["customer_bytes_p99"]}


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--baseline", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=10_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    settings = Settings()
    template = settings.model_copy(update={"site_visits_topic": "x-site-visits", "purchases_topic": "x-purchases"})
    load = workload(template, args.events, int(args.rate * args.seconds * 1.5))
    rounds = []
    for n in range(args.rounds):
        order = ("baseline", "this") if n % 2 == 0 else ("this", "baseline")
        for variant in order:
            result = await one(settings, variant, args.baseline, load, args.events, args.rate, args.seconds)
            print(json.dumps(result), file=sys.stderr, flush=True)
            rounds.append(result)

    def median(variant: str, pick) -> float:
        return statistics.median(pick(r) for r in rounds if r["variant"] == variant)

    summary = {}
    for variant in ("baseline", "this"):
        summary[variant] = {
            "worker_per_second": median(variant, lambda r: r["worker"]),
            "raw_per_second": median(variant, lambda r: r["raw"]),
            "ratio": median(variant, lambda r: r["ratio"]),
            "sustained_per_second": median(variant, lambda r: r["sustained"]),
            "catch_up_seconds": median(variant, lambda r: r["catch_up_seconds"]),
            "cpu_us_per_event_to_idle": median(variant, lambda r: r["cpu_us_per_event_to_idle"]),
            "cpu_us_per_event": median(variant, lambda r: r["cpu_us_per_event"]),
            "p99_at_offered_seconds": median(variant, lambda r: r["latency"][0]["p99_seconds"]),
            "offered_per_second": median(variant, lambda r: r["latency"][0]["offered_per_second"]),
            "p99_at_half_seconds": median(variant, lambda r: r["latency"][-1]["p99_seconds"]),
            "customer_bytes_p99": median(variant, lambda r: r["customer_bytes_p99"]),
        }
    summary["speedup"] = round(summary["this"]["worker_per_second"] / summary["baseline"]["worker_per_second"], 2)
    summary["cpu_speedup"] = round(summary["baseline"]["cpu_us_per_event"] / summary["this"]["cpu_us_per_event"], 2)
    summary["sustained_speedup"] = round(
        summary["this"]["sustained_per_second"] / summary["baseline"]["sustained_per_second"], 2)
    summary["cpu_to_idle_speedup"] = round(
        summary["baseline"]["cpu_us_per_event_to_idle"] / summary["this"]["cpu_us_per_event_to_idle"], 2)
    print(json.dumps({"rounds": rounds, "medians": summary}, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
