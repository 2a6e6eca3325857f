"""Scaling out: two workers in one consumer group on real Kafka, state on a real 3-node Redis Cluster."""

from __future__ import annotations

import json
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from redis.cluster import ClusterNode, RedisCluster as ClusterClient

from harness import Kafka, RunningWorker, wait_until
from redis_cluster import RedisCluster
from streams.store.codec import from_hash
from streams.demo.embedded import free_port
from streams.core.events import AnyEvent, CartItemAdded, CheckoutStarted, OrderPlaced, PageViewed, ProductViewed, dump
from streams.settings import Settings
from streams.demo.simulate import SimulatedCustomer, in_time_order, simulate
from streams.core.state import Profile
from streams.store.keys import profile_key
from stored import decoded

CUSTOMERS = 500  # about 2,800 events


@dataclass(frozen=True, slots=True)
class Expected:
    """What a customer's profile must count, whatever worker handled them and however often."""

    page_views: int = 0
    product_views: int = 0
    cart_adds: int = 0
    checkouts: int = 0
    orders: int = 0
    revenue: float = 0.0

    @classmethod
    def of(cls, events: tuple[AnyEvent, ...]) -> Expected:
        kinds = Counter(type(event) for event in events)
        revenue = 0.0
        for event in events:
            if isinstance(event, OrderPlaced):
                revenue = round(revenue + event.total, 2)  # as the profile adds it up
        return cls(kinds[PageViewed], kinds[ProductViewed], kinds[CartItemAdded], kinds[CheckoutStarted],
                   kinds[OrderPlaced], revenue)

    @classmethod
    def seen_in(cls, profile: Profile) -> Expected:
        return cls(profile.page_views, profile.product_views, profile.cart_adds, profile.checkouts,
                   profile.orders, profile.revenue)


@pytest.fixture
def cluster_settings(worker_settings: Settings, redis_cluster: RedisCluster) -> Settings:
    redis_cluster.flush()
    return worker_settings.model_copy(update={"redis_cluster_nodes": redis_cluster.nodes})


@pytest.fixture
def workers(cluster_settings: Settings, tmp_path: Path) -> Iterator[list[RunningWorker]]:
    """Two workers of one consumer group (one app id), each with its own HTTP port and log."""
    running: list[RunningWorker] = []
    try:
        for n in (1, 2):
            settings = cluster_settings.model_copy(update={"web_port": free_port()})
            running.append(RunningWorker(settings, tmp_path / f"worker-{n}.log").start(timeout=90))
        yield running
    finally:
        for worker in running:
            worker.stop()
        for n, worker in enumerate(running, 1):
            print(f"---- worker {n} log (tail) ----\n" + worker.log()[-3000:])


@pytest.fixture
def cluster_client(redis_cluster: RedisCluster) -> Iterator[ClusterClient]:
    client = ClusterClient(startup_nodes=[ClusterNode("127.0.0.1", port) for port in redis_cluster.ports])
    yield client
    client.close()


def _shoppers() -> list[SimulatedCustomer]:
    # One visit each (events 0.2 s apart, sessions time out after 2 s), over by the time they arrive.
    start = datetime.now(timezone.utc) - timedelta(seconds=300)
    return simulate(CUSTOMERS, seed=8, start=start, pace=timedelta(seconds=0.2), spread=timedelta(seconds=60))


def _send(kafka: Kafka, events: list[AnyEvent]) -> None:
    for event in events:
        kafka.send(json.loads(dump(event)))
    kafka.flush()


def _owned(worker: RunningWorker) -> set[tuple[str, str]]:
    """The input partitions a worker consumes: those its consumer lag gauge reports."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        with urllib.request.urlopen(worker.url("/metrics"), timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return set()
    return {(sample.labels["topic"], sample.labels["partition"])
            for family in text_string_to_metric_families(text) for sample in family.samples
            if sample.name == "tracker_consumer_lag_messages"}


def _profiles_differing(client: ClusterClient, expected: dict[str, Expected]) -> dict[str, tuple[Expected, Expected]]:
    """Customers whose profile in the cluster does not count what their events say."""
    pipe = client.pipeline()
    for customer_id in expected:
        pipe.get(profile_key(customer_id))
    wrong = {}
    for (customer_id, want), raw in zip(expected.items(), pipe.execute()):
        got = Expected.seen_in(from_hash(Profile, decoded(customer_id, raw)[0]))
        if got != want:
            wrong[customer_id] = (want, got)
    return wrong


def _offers_by_customer(triggers: list[dict]) -> dict[str, set[str]]:
    offers: dict[str, set[str]] = defaultdict(set)
    for trigger in triggers:
        offers[trigger["customer_id"]].add(trigger["offer_id"])
    return offers


def _check_triggers(triggers: list[dict], shoppers: list[SimulatedCustomer], client: ClusterClient) -> None:
    """One offer at most per customer (one visit each), none without consent, and the profile
    counts exactly the offers that went out."""
    persona = {c.customer_id: c.persona for c in shoppers}
    offers = _offers_by_customer(triggers)
    assert offers, "the abandoners got offers"
    assert {c: ids for c, ids in offers.items() if len(ids) > 1} == {}
    # Which kind a buyer gets can depend on whether their order (purchases topic) or the timer
    # came first, as with one worker; who never consented must get nothing.
    assert {t["kind"] for t in triggers} <= {"cart_abandoned", "checkout_abandoned", "browse_abandoned"}
    assert [t for t in triggers if persona[t["customer_id"]].name == "opted-out abandoner"] == []
    pipe = client.pipeline()
    for customer_id in offers:
        pipe.get(profile_key(customer_id))
    counted = {c: int(decoded(c, raw)[0].get(b"offers", 0)) for c, raw in zip(offers, pipe.execute())}
    assert counted == {customer_id: 1 for customer_id in offers}


def test_two_workers_split_the_partitions_and_count_every_event_once(
    workers: list[RunningWorker], cluster_settings: Settings, kafka: Kafka, cluster_client: ClusterClient
) -> None:
    """Each worker owns some partitions; together they apply every event once and send each offer once."""
    first, second = workers
    every_partition = {(topic, str(p)) for topic in (cluster_settings.site_visits_topic,
                                                     cluster_settings.purchases_topic)
                       for p in range(cluster_settings.partitions)}
    wait_until(lambda: _owned(first) | _owned(second) == every_partition and _owned(first) and _owned(second),
               timeout=60, every=0.25, message="both workers to own input partitions")
    assert not _owned(first) & _owned(second)
    for worker in workers:  # partition n of both input topics together: one owner per customer
        by_topic = defaultdict(set)
        for topic, partition in _owned(worker):
            by_topic[topic].add(partition)
        assert by_topic[cluster_settings.site_visits_topic] == by_topic[cluster_settings.purchases_topic]

    shoppers = _shoppers()
    events = list(in_time_order(shoppers))
    expected = {c.customer_id: Expected.of(c.events) for c in shoppers}
    _send(kafka, events)

    wait_until(lambda: not _profiles_differing(cluster_client, expected), timeout=120, every=0.25,
               message="every profile to count its events")
    consumed = [worker.metric_total("tracker_events_consumed_total") for worker in workers]
    assert all(consumed) and sum(consumed) == len(events), consumed
    assert sum(worker.metric_total("tracker_duplicate_events_total") for worker in workers) == 0

    triggers = kafka.read(cluster_settings.offer_triggers_topic, at_least=1, timeout=60, settle=5)
    assert len(triggers) == len({t["offer_id"] for t in triggers}), "an offer trigger was sent twice"
    _check_triggers(triggers, shoppers, cluster_client)
    assert sum(worker.metric_total("tracker_offer_triggers_total") for worker in workers) == len(triggers)


def test_a_killed_worker_hands_its_partitions_over_and_nothing_is_lost_or_doubled(
    workers: list[RunningWorker], cluster_settings: Settings, kafka: Kafka, cluster_client: ClusterClient
) -> None:
    """After a worker dies mid-stream, the other takes all partitions; profiles stay exact."""
    first, second = workers
    wait_until(lambda: _owned(first) and _owned(second), timeout=60, every=0.25,
               message="both workers to own input partitions")
    shoppers = _shoppers()
    events = list(in_time_order(shoppers))
    expected = {c.customer_id: Expected.of(c.events) for c in shoppers}
    half = len(events) // 2

    _send(kafka, events[:half])
    wait_until(lambda: second.metric_total("tracker_events_consumed_total") > 0, timeout=60,
               message="the second worker to handle events")
    second.stop(kill=True)  # SIGKILL: no commit, no clean leave; its partitions go after the session timeout
    _send(kafka, events[half:])

    wait_until(lambda: len(_owned(first)) == 2 * cluster_settings.partitions, timeout=90, every=0.25,
               message="the surviving worker to own every input partition")
    wait_until(lambda: not _profiles_differing(cluster_client, expected), timeout=120, every=0.25,
               message="every profile to count its events")
    triggers = kafka.read(cluster_settings.offer_triggers_topic, at_least=1, timeout=60, settle=5)
    # A trigger Kafka acknowledged but the dead worker had not cleared yet goes out again with the
    # same offer id (downstream dedupes on it); a second offer for the same visit never does.
    _check_triggers(triggers, shoppers, cluster_client)
