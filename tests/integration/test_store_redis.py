"""The Redis state store's contract, on a standalone redis-server and on a real 3-node Redis Cluster."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from builders import T0
from redis_cluster import RedisCluster
from streams.settings import Settings
from streams.store.cluster import ClusterStore
from streams.store.connect import open_store
from streams.core.state import CustomerState, Profile, Session
from streams.store import CachedStore, Change, Delivered, OutboxEntry, RedisStore
from streams.store.base import DeadlineCounts
from streams.store.codec import to_hash
from streams.store.keys import customer_pattern, event_digest, forgotten_key, profile_key, seen_key, session_key

# A database of its own, so workers of other test runs on the same server are not disturbed.
_REDIS = urllib.parse.urlsplit(os.environ.get("TRACKER_REDIS_URL", "redis://127.0.0.1:16379/0"))
REDIS_URL = urllib.parse.urlunsplit(_REDIS._replace(path="/9"))
CUSTOMERS = [f"customer-{n}" for n in range(60)]  # enough to land on every node of the cluster


def _open(url: str, nodes: list[tuple[str, int]]) -> RedisStore:
    """The store the worker would open for these settings (cluster when nodes are given)."""
    settings = Settings(redis_url=url or REDIS_URL, redis_cluster_nodes=",".join(f"{h}:{p}" for h, p in nodes))
    return open_store(settings, session_ttl_seconds=600, dedupe_ttl_seconds=600)


@pytest.fixture(params=["standalone", "cluster"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[RedisStore]:
    if request.param == "cluster":
        cluster: RedisCluster = request.getfixturevalue("redis_cluster")
        cluster.flush()
        nodes = [("127.0.0.1", port) for port in cluster.ports]
    else:
        request.getfixturevalue("services")
        nodes = []
    store = _open(REDIS_URL, nodes)
    assert isinstance(store, ClusterStore) == (request.param == "cluster")
    if request.param == "standalone":
        await store.client.flushdb()
    yield store
    await store.close()


def _state(customer_id: str, views: int = 3) -> CustomerState:
    session = Session(started_at=T0, last_event_at=T0 + timedelta(minutes=5), page_views=views)
    return CustomerState(customer_id, Profile(first_seen=T0, page_views=views, sessions=1), session)


def _change(customer_id: str, partition: int = 0, *, due_in: float | None = 60, events: tuple[str, ...] = (),
            outbox: tuple[OutboxEntry, ...] = (), views: int = 3) -> Change:
    due = T0 + timedelta(seconds=due_in) if due_in is not None else None
    return Change(_state(customer_id, views), partition, due, events, outbox)


def _entry(customer_id: str, n: int = 1) -> OutboxEntry:
    return OutboxEntry(f"offer-{customer_id}-{n}", "offer-triggers", customer_id, b'{"kind":"cart_abandoned"}',
                       label="cart_abandoned")


async def test_a_saved_batch_loads_back_with_its_handled_event_ids(store: RedisStore) -> None:
    """Profile, session and outbox round-trip; handled event ids are reported, others are not."""
    await store.save([_change(c, events=(f"{c}-e1", f"{c}-e2"), outbox=(_entry(c),)) for c in CUSTOMERS])

    loaded = await store.load({c: [f"{c}-e1", f"{c}-e2", f"{c}-e3"] for c in CUSTOMERS})

    for customer_id in CUSTOMERS:
        assert loaded[customer_id].state == _state(customer_id)
        assert loaded[customer_id].seen == {f"{customer_id}-e1", f"{customer_id}-e2"}
        assert loaded[customer_id].outbox == [_entry(customer_id)]
        assert not loaded[customer_id].forgotten


async def test_saving_again_overwrites_the_state_and_keeps_the_dedupe_marks(store: RedisStore) -> None:
    """A later save replaces profile and session whole; earlier event ids stay handled."""
    await store.save([_change("c1", events=("e1",))])
    await store.save([_change("c1", events=("e2",), views=7)])

    loaded = (await store.load({"c1": ["e1", "e2", "e3"]}))["c1"]

    assert loaded.state == _state("c1", views=7)
    assert loaded.seen == {"e1", "e2"}


async def test_due_lists_a_partitions_customers_earliest_first_up_to_the_limit(store: RedisStore) -> None:
    """Deadlines are per partition, ordered by time, and only those reached count."""
    await store.save([_change(f"c{n}", partition=n % 2, due_in=n) for n in range(10)])

    assert await store.due(0, T0 + timedelta(seconds=6), limit=10) == ["c0", "c2", "c4", "c6"]
    assert await store.due(1, T0 + timedelta(seconds=100), limit=3) == ["c1", "c3", "c5"]
    assert await store.due(2, T0 + timedelta(seconds=100), limit=10) == []


async def test_delivered_clears_the_outbox_and_sets_the_next_deadline(store: RedisStore) -> None:
    """Acknowledged records leave the outbox; the deadline moves, or goes when there is none."""
    await store.save([_change(c, due_in=0, outbox=(_entry(c, 1), _entry(c, 2))) for c in CUSTOMERS])

    await store.delivered([Delivered(c, [_entry(c, 1).entry_id], 0, T0 + timedelta(seconds=30) if n % 2 else None)
                           for n, c in enumerate(CUSTOMERS)])

    loaded = await store.load({c: [] for c in CUSTOMERS})
    assert all(loaded[c].outbox == [_entry(c, 2)] for c in CUSTOMERS)
    assert await store.due(0, T0 + timedelta(seconds=29), limit=100) == []
    later = await store.due(0, T0 + timedelta(seconds=30), limit=100)
    assert sorted(later) == sorted(c for n, c in enumerate(CUSTOMERS) if n % 2)


async def test_forget_erases_one_customer_and_refuses_their_later_writes(store: RedisStore) -> None:
    """Every key and deadline of the customer goes, the marker stays, a stale batch writes nothing."""
    await store.save([_change(c, partition=1, events=("e1",), outbox=(_entry(c),)) for c in CUSTOMERS])
    gone = CUSTOMERS[7]

    deleted = await store.forget(gone, partitions=4, suppress=True)

    assert deleted == 2  # the customer (profile, visits and dedupe marks in one value), the outbox
    due = await store.due(1, T0 + timedelta(days=1), limit=100)
    assert gone not in due and len(due) == len(CUSTOMERS) - 1
    await store.save([_change(gone, partition=1, events=("e2",))])  # loaded before the erasure
    loaded = await store.load({gone: ["e1", "e2"], CUSTOMERS[8]: ["e1"]})
    assert loaded[gone].forgotten
    assert loaded[gone].state == CustomerState(gone) and loaded[gone].seen == set()
    assert [key async for key in store.client.scan_iter(match=customer_pattern(gone))] == [
        forgotten_key(gone).encode()
    ]
    assert loaded[CUSTOMERS[8]].seen == {"e1"}  # the others are untouched


async def test_a_customer_saved_by_the_release_before_loads_and_is_rewritten_packed(store: RedisStore) -> None:
    """Profile and session hashes with 8-byte digests beside them: the same state, marks and version, then one key."""
    customer = CUSTOMERS[3]
    state = _state(customer)
    client = store.client
    await client.hset(profile_key(customer), mapping={**to_hash(state.profile), "_v": "4"})
    assert state.session is not None
    await client.hset(session_key(customer), mapping=to_hash(state.session))
    await client.pexpire(session_key(customer), 600_000)
    await client.set(seen_key(customer), event_digest("e1") + event_digest("e2"), ex=600)

    before = (await store.load({customer: ["e1", "e2", "e3"]}))[customer]
    assert (before.state, before.seen, before.version) == (state, {"e1", "e2"}, 4)
    assert [p async for p in store.profiles()] == [(customer, state.profile)]
    assert await store.save([Change(_state(customer, views=5), 0, T0, ("e3",), version=4)]) == []

    after = (await store.load({customer: ["e1", "e2", "e3", "e4"]}))[customer]
    assert (after.state, after.seen, after.version) == (_state(customer, views=5), {"e1", "e2", "e3"}, 5)
    assert [key async for key in client.scan_iter(match=customer_pattern(customer))] == [
        profile_key(customer).encode()]


async def test_open_visits_and_dedupe_marks_expire_with_their_ttls(store: RedisStore) -> None:
    """As the session and seen keys did: the profile stays, the visits and marks go."""
    customer = CUSTOMERS[4]
    await store.save([_change(customer, events=("e1",))])
    assert await store.deadline_counts([0], T0.timestamp()) == DeadlineCounts(1, 0, 1)
    store._session_ttl_ms, store._dedupe_ttl = -1000, -1  # over before they are read

    await store.save([_change(customer, events=("e2",))])

    loaded = (await store.load({customer: ["e1", "e2"]}))[customer]
    assert loaded.state == CustomerState(customer, _state(customer).profile) and loaded.seen == set()
    assert await store.deadline_counts([0], T0.timestamp()) == DeadlineCounts(1, 0, 0)


async def test_profiles_visits_every_customer(store: RedisStore) -> None:
    """The SCAN behind analytics sees every profile, in small chunks, wherever it lives."""
    await store.save([_change(c) for c in CUSTOMERS])

    seen = {customer_id: profile async for customer_id, profile in store.profiles(chunk=7)}

    assert seen == {c: _state(c).profile for c in CUSTOMERS}


async def test_the_customers_are_spread_over_every_cluster_node(redis_cluster: RedisCluster) -> None:
    """The cluster tests above are meaningful: the customers' slots live on all three primaries."""
    redis_cluster.flush()
    store = _open("", [("127.0.0.1", redis_cluster.ports[0])])
    try:
        await store.save([_change(c, partition=n % 4) for n, c in enumerate(CUSTOMERS)])
        per_node = [int(redis_cluster.cli(port, "dbsize")) for port in redis_cluster.ports]
    finally:
        await store.close()

    assert all(count > 0 for count in per_node), per_node
    assert sum(per_node) == len(CUSTOMERS) + 4  # one key per customer, four deadline sets


async def test_a_cluster_node_that_lost_the_script_gets_it_again(redis_cluster: RedisCluster) -> None:
    """After SCRIPT FLUSH (a restarted or promoted node) the save loads the script and succeeds."""
    redis_cluster.flush()
    store = _open("", [("127.0.0.1", p) for p in redis_cluster.ports])
    try:
        await store.save([_change(c, events=("e1",)) for c in CUSTOMERS])
        for port in redis_cluster.ports:
            redis_cluster.cli(port, "script", "flush")
        await store.save([_change(c, events=("e2",), views=9) for c in CUSTOMERS])
        loaded = await store.load({c: ["e1", "e2"] for c in CUSTOMERS})
        assert await store.ping()
    finally:
        await store.close()

    assert all(loaded[c].state == _state(c, views=9) and loaded[c].seen == {"e1", "e2"} for c in CUSTOMERS)


async def test_a_standalone_redis_that_lost_the_script_runs_each_save_once(services: dict[str, str]) -> None:
    """After SCRIPT FLUSH (a restarted Redis) the scripts are loaded again and each save counts once."""
    store = _open(REDIS_URL, [])
    try:
        await store.client.flushdb()
        await store.save([_change(c, events=("e1",)) for c in CUSTOMERS[:5]])
        await store.client.script_flush()
        loaded = await store.load({c: ["e1"] for c in CUSTOMERS[:5]})
        await store.client.script_flush()
        refused = await store.save([Change(_state(c, views=9), 0, None, ("e2",), version=loaded[c].version)
                                    for c in CUSTOMERS[:5]])
        after = await store.load({c: ["e1", "e2"] for c in CUSTOMERS[:5]})
    finally:
        await store.close()

    assert refused == []
    assert all(loaded[c].version == 1 and after[c].version == 2 for c in CUSTOMERS[:5])
    assert all(after[c].state == _state(c, views=9) and after[c].seen == {"e1", "e2"} for c in CUSTOMERS[:5])


async def test_a_cluster_save_cut_between_its_steps_leaves_a_deadline_not_a_lost_state(
    redis_cluster: RedisCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deadlines go first: a save that dies before the scripts leaves only early wake-ups, and redone it is whole."""
    from redis.exceptions import ConnectionError

    redis_cluster.flush()
    store = _open("", [("127.0.0.1", p) for p in redis_cluster.ports])
    assert isinstance(store, ClusterStore)
    changes = [_change(c, partition=2, due_in=5, events=("e1",)) for c in CUSTOMERS]

    async def node_lost(script: object, calls: object) -> None:
        raise ConnectionError("node lost between the steps")

    try:
        with monkeypatch.context() as patch:
            patch.setattr(store, "_run_scripts", node_lost)
            with pytest.raises(ConnectionError):
                await store.save(changes)
        due = await store.due(2, T0 + timedelta(seconds=5), limit=100)
        before = await store.load({c: ["e1"] for c in CUSTOMERS})
        await store.save(changes)  # what the tracker does next: the batch is retried or redelivered
        after = await store.load({c: ["e1"] for c in CUSTOMERS})
    finally:
        await store.close()

    assert sorted(due) == sorted(CUSTOMERS)
    assert all(before[c].state == CustomerState(c) and not before[c].seen for c in CUSTOMERS)
    assert all(after[c].state == _state(c) and after[c].seen == {"e1"} for c in CUSTOMERS)


async def test_a_standalone_save_is_one_round_trip_with_one_script_per_partition(
    services: dict[str, str],
) -> None:
    """One pipeline per batch, in it one script per input partition: its customers, deadlines and offsets at once."""
    store = _open(REDIS_URL, [])
    sent: list[list[str]] = []
    make_pipeline = store.client.pipeline

    def recording_pipeline(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        pipe = make_pipeline(*args, **kwargs)
        execute = pipe.execute

        async def recorded(*a: object, **kw: object) -> object:
            sent.append([str(command[0][0]) for command in pipe.command_stack])
            return await execute(*a, **kw)

        pipe.execute = recorded
        return pipe

    store.client.pipeline = recording_pipeline  # type: ignore[method-assign]
    try:
        await store.client.flushdb()
        await store.save([_change(c, partition=n % 2) for n, c in enumerate(CUSTOMERS[:5])],
                         offsets={("site-visits", 0): 41, ("site-visits", 1): 7})
        due = [await store.due(p, T0 + timedelta(seconds=60), 10) for p in (0, 1)]
    finally:
        await store.close()

    assert sent == [["EVALSHA"] * 2]
    assert sorted(due[0]) == sorted(CUSTOMERS[0:5:2]) and sorted(due[1]) == sorted(CUSTOMERS[1:5:2])


async def test_a_save_stores_how_far_the_input_was_read_unless_a_customer_was_refused(store: RedisStore) -> None:
    """The offsets go with the state; where a customer was refused, their events must be read again after a crash."""
    first, second = CUSTOMERS[0], CUSTOMERS[1]
    await store.save([_change(first, partition=3)], offsets={("site-visits", 3): 10, ("purchases", 3): 4})
    stale = Change(_state(first, views=9), 3, None, ("e9",), version=0)  # computed before the save above
    refused = await store.save([_change(second, partition=3), stale], offsets={("site-visits", 3): 12})
    stored = await store.load_progress(3)
    await store.save([_change(second, partition=3)], offsets={("site-visits", 3): 9})  # never moves back

    assert refused == [first]
    assert {key: position.offset for key, position in stored.items()} == {("site-visits", 3): 10, ("purchases", 3): 4}
    assert (await store.load_progress(3))[("site-visits", 3)].offset == 10
    await store.save([_change(second, partition=3)], offsets={("site-visits", 3): 12})
    assert (await store.load_progress(3))[("site-visits", 3)].offset == 12


async def test_a_save_for_a_partition_another_worker_took_writes_nothing(store: RedisStore) -> None:
    """Fencing: a writer whose token for the partition is older than the latest taken (a zombie) is refused whole."""
    mine = (await store.take_fences({5, 6}))
    await store.take_fences({5})  # the group gave partition 5 to another worker
    changes = [_change(c, partition=5, events=("e1",)) for c in CUSTOMERS[:3]] + [_change(CUSTOMERS[3], partition=6)]

    refused = await store.save(changes, offsets={("site-visits", 5): 99, ("site-visits", 6): 5}, tokens=mine)
    loaded = await store.load({c: ["e1"] for c in CUSTOMERS[:4]})

    assert sorted(refused) == sorted(CUSTOMERS[:3])
    assert all(loaded[c].version == 0 and not loaded[c].seen for c in CUSTOMERS[:3])
    assert loaded[CUSTOMERS[3]].version == 1
    assert await store.due(5, T0 + timedelta(days=1), 10) == []
    assert await store.load_progress(5) == {}
    assert (await store.load_progress(6))[("site-visits", 6)].offset == 5


async def test_a_save_computed_from_a_stale_version_is_refused_and_its_timer_woken(store: RedisStore) -> None:
    """A save names the version it was computed from; one that another save overtook is refused."""
    customer = CUSTOMERS[0]
    assert await store.save([_change(customer)]) == []
    loaded = (await store.load({customer: []}))[customer]
    assert loaded.version == 1
    fresh = Change(_state(customer, views=4), 0, T0 + timedelta(seconds=60), version=loaded.version)
    stale = Change(_state(customer, views=9), 0, T0 + timedelta(days=9), version=loaded.version)

    assert await store.save([fresh]) == []
    assert await store.save([stale]) == [customer]

    again = (await store.load({customer: []}))[customer]
    assert again.state == _state(customer, views=4) and again.version == 2
    assert await store.due(0, T0 + timedelta(days=1), 10) == [customer]  # woken, not pushed to the stale due


async def test_the_cache_reads_a_customer_once_and_answers_from_memory(store: RedisStore) -> None:
    """After a save, loads come from memory: the same state, dedupe marks and outbox as Redis holds."""
    counts: list[tuple[int, int]] = []
    cache = CachedStore(store, counted=lambda hits, misses: counts.append((hits, misses)))
    customer = CUSTOMERS[1]
    first = (await cache.load({customer: []}))[customer]
    await cache.save([Change(_state(customer), 0, T0, ("e1",), (_entry(customer),), version=first.version)])

    held = (await cache.load({customer: ["e1", "e2"]}))[customer]
    stored = (await store.load({customer: ["e1", "e2"]}))[customer]

    assert counts == [(0, 1), (1, 0)]
    assert (held.state, held.seen, held.outbox, held.version) == (
        stored.state, stored.seen, stored.outbox, stored.version)
    await cache.delivered([Delivered(customer, [_entry(customer).entry_id], 0, None)])
    assert (await cache.load({customer: []}))[customer].outbox == []


async def test_the_cache_drops_a_customer_whose_save_was_refused(store: RedisStore) -> None:
    """Another writer (or an erasure) moved the state on: the held copy's save is refused, Redis is read again."""
    cache = CachedStore(store)
    customer = CUSTOMERS[2]
    held = (await cache.load({customer: []}))[customer]
    await cache.save([Change(_state(customer), 0, T0, ("e1",), version=held.version)])
    held = (await cache.load({customer: []}))[customer]
    await store.save([Change(_state(customer, views=7), 0, T0, ("e2",), version=held.version)])  # another worker

    assert await cache.save([Change(_state(customer, views=5), 0, T0, ("e3",), version=held.version)]) == [customer]

    again = (await cache.load({customer: ["e2"]}))[customer]
    assert again.state == _state(customer, views=7) and again.seen == {"e2"}
    await store.forget(customer, partitions=1, suppress=False)
    assert await cache.save([Change(_state(customer, views=8), 0, T0, version=again.version)]) == [customer]
    assert (await cache.load({customer: []}))[customer].state == CustomerState(customer)


async def test_the_cache_keeps_at_most_its_capacity(store: RedisStore) -> None:
    """The least recently used customers leave memory first."""
    cache = CachedStore(store, capacity=3)
    for customer in CUSTOMERS[:5]:
        await cache.load({customer: []})

    assert len(cache) == 3


async def _due_times(store, partition: int) -> list[tuple[str, datetime | None]]:
    """What ``store`` says is due in ``partition`` at a few moments, and its earliest step."""
    moments = [T0 + timedelta(seconds=s) for s in (-1, 0, 30, 60, 90, 10**6)]
    return [*[(",".join(await store.due(partition, at, 100)), at) for at in moments],
            ("oldest", await store.oldest_due(partition))]


async def test_the_cache_holds_its_partitions_due_times_and_follows_its_own_writes(store: RedisStore) -> None:
    """Read once, then kept in step with saves (a refused one due at once), deliveries and erasures."""
    await store.save([_change(c, partition=0, due_in=n * 10) for n, c in enumerate(CUSTOMERS[:8])])
    cache = CachedStore(store)
    assert await _due_times(cache, 0) == await _due_times(store, 0)
    assert cache.deadlines.held(0)

    loaded = await cache.load({c: [] for c in CUSTOMERS[:8]})
    await store.save([Change(_state(CUSTOMERS[1], views=9), 0, T0, version=loaded[CUSTOMERS[1]].version)])
    refused = await cache.save([
        Change(_state(CUSTOMERS[0]), 0, T0 + timedelta(seconds=75), version=loaded[CUSTOMERS[0]].version),
        Change(CustomerState(CUSTOMERS[1]), 0, T0 + timedelta(days=2), version=loaded[CUSTOMERS[1]].version),
        Change(CustomerState(CUSTOMERS[2]), 0, None, version=loaded[CUSTOMERS[2]].version),
        _change(CUSTOMERS[20], partition=0, due_in=45),
    ])
    assert refused == [CUSTOMERS[1]]
    await cache.delivered([Delivered(CUSTOMERS[3], [], 0, T0 + timedelta(seconds=5)),
                           Delivered(CUSTOMERS[4], [], 0, None)])
    await cache.forget(CUSTOMERS[5], partitions=1, suppress=False)

    assert await _due_times(cache, 0) == await _due_times(store, 0)
    now = (T0 + timedelta(seconds=40)).timestamp()
    assert await cache.deadline_counts([0], now) == await store.deadline_counts([0], now)


async def test_the_cache_reads_a_partitions_due_times_again_after_a_rebalance(store: RedisStore) -> None:
    """Another worker wrote the partition meanwhile: what the cache held is dropped, and read again."""
    await store.save([_change(c, partition=3, due_in=60) for c in CUSTOMERS[:4]])
    cache = CachedStore(store)
    assert await cache.due(3, T0 + timedelta(seconds=60), 10) == CUSTOMERS[:4]
    await store.save([_change(CUSTOMERS[9], partition=3, due_in=1)])  # the partition's other owner, for a while

    assert await cache.due(3, T0 + timedelta(seconds=60), 10) == CUSTOMERS[:4]
    cache.drop_deadlines([3])
    assert await _due_times(cache, 3) == await _due_times(store, 3)
