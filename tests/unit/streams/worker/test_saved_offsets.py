"""How far the input was read is saved with the state it led to, for every batch: where a worker resumes."""

from __future__ import annotations

from builders import event, record


async def test_a_batch_saves_each_partitions_last_offset_with_its_customers(tracker, store):
    await tracker.handle([
        record(event("page_viewed", "c1"), partition=0, offset=4),
        record(event("page_viewed", "c1"), partition=0, offset=5),
        record(event("page_viewed", "c2"), partition=1, offset=9),
        record(event("order_placed", "c2"), partition=1, offset=2),
    ])
    assert store.offsets == {("site-visits", 0): 5, ("site-visits", 1): 9, ("purchases", 1): 2}


async def test_a_batch_that_changed_no_customer_still_saves_how_far_it_read(tracker, store):
    await tracker.handle([record(b"not json", partition=3, offset=7)])
    assert store.offsets == {("site-visits", 3): 7}


async def test_a_batch_of_duplicates_and_dead_letters_moves_the_offsets_on(tracker, store):
    first = event("page_viewed", "c1")
    await tracker.handle([record(first, offset=1)])
    await tracker.handle([record(first, offset=2), record(b"{}", offset=3)])
    assert store.offsets == {("site-visits", 0): 3}
