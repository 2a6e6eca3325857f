"""A digest of what the worker's models did with a simulated stream: to show a change leaves results bit for bit.

Simulated shoppers' events go through a :class:`~streams.worker.tracker.Tracker` on the fakes,
in batches, the timer firing after each; the digest covers every model's learned state (the
intent model's weights, the segments' centres and ids, the loyalty and value models' counts)
and every customer's saved state (their segment, traits, scores). Run as a script to print
the digests and the time spent, e.g. before and after a change::

    .venv/bin/python tests/unit/streams/worker/model_digest.py --customers 3000
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np

from models.segments import BehaviourSegments
from offers import Policy, QuietHours, default_policy
from streams.core.events import dump
from streams.core.intake import Record
from streams.core.lifecycle import Rules
from streams.demo.simulate import in_time_order, simulate
from prometheus_client import CollectorRegistry

from streams.broker.base import Topics
from streams.core.intake import Intake
from streams.metrics import Metrics
from streams.worker.aggregates import DailyFigures
from streams.worker.scoring import Scoring
from streams.worker.tracker import Tracker

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from fakes import Clock, MemoryPublisher, MemoryStore  # noqa: E402


def _hash(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


def _plain(value: Any) -> Any:
    """``value`` (a state, an entry, ...) as plain nested tuples, every time as its UTC instant.

    Two states are the same when their fields are equal: a time is the same instant whichever
    ``tzinfo`` object carries its offset (pydantic's own for a parsed "Z", the standard
    library's UTC for one read back from Redis), which ``repr`` would tell apart.
    """
    if isinstance(value, datetime):
        return "t", value.astimezone(timezone.utc).isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__name__, tuple(_plain(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _plain(v)) for k, v in value.items()))
    return value


def _array(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes() + str(a.shape).encode()).hexdigest()[:16]


async def run(customers: int, *, segments: BehaviourSegments, batch: int = 400, seed: int = 8,
              policy: Policy | None = None) -> tuple[dict[str, str], Scoring, MemoryStore]:
    """Every model's and customer's digest after ``customers`` simulated shoppers (no quiet hours or hold-outs by default)."""
    store, publisher = MemoryStore(), MemoryPublisher()
    start = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)
    clock = Clock(start)
    rules = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)
    policy = policy or replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0)
    metrics = Metrics(CollectorRegistry())
    scoring = Scoring(metrics, segments=segments)
    daily = DailyFigures()
    tracker = Tracker(
        store=store, publisher=publisher, intake=Intake("site-visits", "purchases", 65_536), rules=rules,
        policy=policy, topics=Topics("offer-triggers", "offer-outcomes", "dead"), metrics=metrics,
        clock=clock, scoring=scoring, daily=daily,
    )
    shoppers = simulate(customers, seed=seed, start=start, pace=timedelta(minutes=1), spread=timedelta(hours=12))
    events = list(in_time_order(shoppers))
    for first in range(0, len(events), batch):
        chunk = events[first:first + batch]
        clock.now = max(clock.now, chunk[-1].occurred_at.astimezone(timezone.utc))  # a wall clock, as live
        records = [Record("purchases" if e.type in ("order_placed", "order_refunded") else "site-visits", 0,
                          first + i, e.customer_id.encode(), dump(e)) for i, e in enumerate(chunk)]
        await tracker.handle(records)
        await tracker.fire_due([0])
    clock.now += timedelta(days=1)
    await tracker.fire_due([0])
    clock.now += timedelta(days=100)
    await tracker.fire_due([0])
    return {**digest(scoring, store), **worker_digest(store, publisher, metrics, daily)}, scoring, store


#: The counters of what the worker decided and counted (the timings' are left out: they vary).
DECISIONS = ("tracker_events_consumed", "tracker_duplicate_events", "tracker_sessions_ended",
             "tracker_late_events", "tracker_offer_triggers", "tracker_offers_", "tracker_offer_outcomes",
             "tracker_model_examples", "tracker_segment_changes")


def worker_digest(store: MemoryStore, publisher: MemoryPublisher, metrics: Metrics,
                  daily: DailyFigures) -> dict[str, str]:
    """The digests of what the worker wrote and sent: saved states, published records, decisions, daily counts."""
    counted = sorted((sample.name, sorted(sample.labels.items()), sample.value)
                     for family in metrics.registry.collect() if family.name.startswith(DECISIONS)
                     for sample in family.samples if not sample.name.endswith("_created"))
    return {
        "states": _hash(_plain(store.states)),
        "outbox": _hash(_plain(store.outboxes)),
        "deadlines": _hash(_plain(store.deadlines)),
        "published": _hash(publisher.sent),
        "decisions": _hash(counted),
        "daily": _hash((sorted(daily._offers.items()), sorted(daily._outcomes.items()))),
    }


def digest(scoring: Scoring, store: MemoryStore) -> dict[str, str]:
    """The digests of the models' learned state and of every saved customer."""
    intent = scoring.intent
    classifier = intent._classifier
    segments = scoring.segments
    out = {
        "intent": _hash((intent.n_learned, sorted(classifier.weights.items()), classifier.intercept,
                         intent.threshold, intent.score.roc_auc, intent.score.log_loss)),
        "segments": _hash((segments.n_learned, segments.vocabulary,
                           [(s.id, sorted(s.centre.items()), sorted(s.z.items()), s.share, s.born, s.traits)
                            for s in segments.segments])),
        "segment_arrays": _hash([_array(a) for a in (segments._centres, segments._raw_centres, segments._mean,
                                                      segments._var, segments._count, segments._cmean,
                                                      segments._csd)]
                                + [(k, _array(t), _array(c), at) for k, (t, c, at) in sorted(segments._sums.items())]),
        "loyalty": _hash((scoring.loyalty.n_learned, scoring.loyalty.n_pending)),
        "value": _hash((scoring.value.n_learned,)),
        "placements": _hash(sorted((cid, s.profile.behaviour_segment, s.profile.behaviour_traits)
                                   for cid, s in store.states.items())),
        "scores": _hash(sorted((cid, s.profile.intent, s.profile.loyalty, s.profile.value,
                                None if s.session is None else s.session.intent)
                               for cid, s in store.states.items())),
    }
    return out


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--small", action="store_true", help="the test's small segments model")
    args = parser.parse_args()
    model = (BehaviourSegments(warm_up=60, refresh_every=50, learn_share=1.0) if args.small
             else BehaviourSegments())
    started = time.perf_counter()
    found, scoring, store = asyncio.run(run(args.customers, segments=model))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": round(seconds, 2), "intent_learned": scoring.intent.n_learned,
                      "segments_learned": scoring.segments.n_learned,
                      "n_segments": len(scoring.segments.segments),
                      "loyalty_learned": scoring.loyalty.n_learned, "value_learned": scoring.value.n_learned,
                      "placed": sum(s.profile.behaviour_segment is not None for s in store.states.values()),
                      **found}, indent=1))


if __name__ == "__main__":
    main()
