"""The due times held in memory answer as the Redis sorted set they follow would."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.store.base import DeadlineCounts
from streams.store.deadlines import DeadlineBook

CUSTOMERS = [f"c{n}" for n in range(8)]
TIMES = st.sampled_from([0.0, 1.0, 2.0, 2.0, 5.0, 9.0])  # ties too: the set orders them by member

_updates = st.lists(st.tuples(st.sampled_from(CUSTOMERS), st.one_of(st.none(), TIMES), st.one_of(st.none(), st.booleans())),
                    max_size=12)


class _SortedSet:
    """What Redis holds: each customer's due time, and whether their open visit is stored."""

    def __init__(self, due: dict[str, float], open_: set[str]) -> None:
        self.due, self.open = dict(due), set(open_)

    def write(self, updates) -> None:
        for customer_id, due, open_ in updates:
            if due is None:
                self.due.pop(customer_id, None)
                self.open.discard(customer_id)
                continue
            self.due[customer_id] = due
            if open_ is not None:
                (self.open.add if open_ else self.open.discard)(customer_id)

    def due_at(self, until: float, limit: int) -> list[str]:
        return [c for at, c in sorted((at, c) for c, at in self.due.items() if at <= until)][:limit]

    def counts(self, now: float) -> DeadlineCounts:
        return DeadlineCounts(len(self.due), sum(at <= now for at in self.due.values()),
                              sum(1 for c in self.open if self.due.get(c, now) > now))


@settings(max_examples=300, deadline=None)
@given(
    stored=st.dictionaries(st.sampled_from(CUSTOMERS), TIMES, max_size=8),
    open_ids=st.sets(st.sampled_from(CUSTOMERS)),
    while_reading=_updates,
    batches=st.lists(_updates, max_size=6),
    until=TIMES, limit=st.integers(1, 9),
)
def test_the_book_follows_the_set_through_a_read_and_the_writes_after_it(
    stored, open_ids, while_reading, batches, until, limit,
) -> None:
    """Writes made while the set was read, and after, leave the book as the set."""
    redis = _SortedSet(stored, open_ids & stored.keys())
    book = DeadlineBook()
    ticket = book.begin(0)
    book.note(0, while_reading)  # saved while the read was on its way: Redis has them or not, the end is the same
    assert book.install(0, ticket, stored, open_ids)
    redis.write(while_reading)
    for updates in batches:
        book.note(0, updates)
        redis.write(updates)
        assert book.due(0, until, limit) == redis.due_at(until, limit)
    assert book.due(0, until, limit) == redis.due_at(until, limit)
    assert book.oldest(0) == (min(redis.due.values()) if redis.due else None)
    assert book.counts([0], until) == redis.counts(until)


def test_a_partition_dropped_while_it_was_read_is_not_held() -> None:
    """A rebalance during the read: what the read found may be stale already."""
    book = DeadlineBook()
    ticket = book.begin(2)
    book.drop([2])
    assert not book.install(2, ticket, {"c1": 1.0}, ())
    assert not book.held(2) and not book.reading(2)
    again = book.begin(2)
    book.abandon(2, ticket)  # an older read's failure does not cancel the newer one
    assert book.install(2, again, {"c1": 1.0}, ())
    assert book.due(2, 5.0, 10) == ["c1"]


def test_writes_to_partitions_not_held_are_left_to_redis() -> None:
    book = DeadlineBook()
    book.note(4, [("c1", 1.0, True)])
    book.forget("c1")
    assert not book.held(4)


def test_an_erased_customer_leaves_every_partition() -> None:
    book = DeadlineBook()
    for partition in (0, 1):
        book.install(partition, book.begin(partition), {"c1": 1.0, f"c{partition + 2}": 2.0}, {"c1"})
    book.forget("c1")
    assert book.due(0, 9.0, 10) == ["c2"] and book.due(1, 9.0, 10) == ["c3"]
    assert book.counts([0, 1], 0.0) == DeadlineCounts(2, 0, 0)


def test_the_heap_stays_near_the_size_of_what_is_due() -> None:
    """Rescheduling one customer over and over does not grow memory without end."""
    book = DeadlineBook()
    book.install(0, book.begin(0), {}, ())
    for n in range(10_000):
        book.note(0, [("c1", float(n), True)])
    assert book.due(0, 1e9, 10) == ["c1"] and book.oldest(0) == 9999.0
    assert len(book._parts[0].heap) <= 2 * 1 + 65
