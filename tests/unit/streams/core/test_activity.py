"""A customer's latest events on the profile: the N latest, whatever order they arrive in."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from streams.core.activity import entry_of, latest, remember
from streams.core.events import ANY_EVENT, AnyEvent
from streams.core.insights import recent_events_view
from streams.core.lifecycle import Rules, receive
from streams.core.merging import merge_profiles, stitch
from streams.core.state import CustomerState, Profile
from streams.core.visits import apply
from streams.store.codec import from_hash, to_hash

from builders import T0, event

TIMEOUT = timedelta(minutes=30)


def parsed(type_: str, minutes: float, **fields: object) -> AnyEvent:
    return ANY_EVENT.validate_python(event(type_, at=timedelta(minutes=minutes), **fields))


def fold(events: list[AnyEvent], keep: int = 3, customer_id: str = "c1") -> CustomerState:
    state = CustomerState(customer_id)
    for e in events:
        state = apply(state, e, TIMEOUT, recent_events=keep).state
    return state


KINDS = st.sampled_from([
    ("page_viewed", {}), ("product_viewed", {"product_id": "p1"}), ("product_viewed", {"product_id": "p2"}),
    ("cart_item_added", {"product_id": "p2"}), ("checkout_started", {"value": 12.5}),
    ("order_placed", {"order_id": "o1", "total": 12.5}), ("order_refunded", {"order_id": "o1", "amount": 4.0}),
    ("searched", {}),
])
# Few distinct minutes, so that ties in event time are common.
HISTORIES = st.lists(st.tuples(st.integers(0, 5), KINDS), min_size=0, max_size=14)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(HISTORIES, st.randoms(use_true_random=False), st.integers(0, 6))
def test_the_kept_events_do_not_depend_on_arrival_order(history, random, keep):
    """Any arrival order keeps the same N latest (ties included), oldest first, as the time-ordered stream."""
    events = [parsed(kind, minute * 40, **fields) for minute, (kind, fields) in history]
    in_order = sorted(events, key=lambda e: e.occurred_at)
    shuffled = list(events)
    random.shuffle(shuffled)
    expected = fold(in_order, keep).profile.recent_events
    assert fold(shuffled, keep).profile.recent_events == expected
    listed = [e for e in events if entry_of(e) is not None]
    assert len(expected) == min(keep, len(listed))
    assert [at for at, *_ in expected] == sorted(e.occurred_at for e in listed)[len(listed) - len(expected):]


def test_a_late_event_lands_in_its_place_and_one_older_than_the_list_is_dropped():
    """A late event newer than the oldest kept takes its place; one older than all of them changes nothing."""
    state = fold([parsed("page_viewed", m) for m in (10, 20, 30)])
    late = apply(state, parsed("product_viewed", 15, product_id="sku-9"), TIMEOUT, recent_events=3).state
    assert [(at - T0, kind, ref) for at, kind, ref, _ in late.profile.recent_events] == [
        (timedelta(minutes=15), "product_viewed", "sku-9"), (timedelta(minutes=20), "page_viewed", None),
        (timedelta(minutes=30), "page_viewed", None)]
    older = apply(late, parsed("page_viewed", 1), TIMEOUT, recent_events=3).state
    assert older.profile.recent_events == late.profile.recent_events
    assert older.profile.page_views == 4  # the totals still count it


def test_entries_hold_the_product_or_the_order_and_its_value():
    """Product views and cart adds name the product, checkouts their value, orders and refunds the order and money."""
    events = [parsed("product_viewed", 0, product_id="sku-12"), parsed("cart_item_added", 1, product_id="sku-12"),
              parsed("checkout_started", 2, value=30.0), parsed("order_placed", 3, order_id="o-7", total=30.0),
              parsed("order_refunded", 4, order_id="o-7", amount=10.0), parsed("searched", 5)]
    kept = fold(events, keep=10).profile.recent_events
    assert [entry[1:] for entry in kept] == [
        ("product_viewed", "sku-12", None), ("cart_item_added", "sku-12", None), ("checkout_started", None, 30.0),
        ("order_placed", "o-7", 30.0), ("order_refunded", "o-7", 10.0)]


def test_zero_keeps_no_events_and_clears_a_kept_list():
    """TRACKER_RECENT_EVENTS=0 switches the list off: nothing is stored, and an old list goes at the next event."""
    state = fold([parsed("page_viewed", 0)], keep=0)
    assert state.profile.recent_events == () and "recent_events" not in to_hash(state.profile)
    kept = fold([parsed("page_viewed", 0)], keep=3)
    assert apply(kept, parsed("page_viewed", 1), TIMEOUT, recent_events=0).state.profile.recent_events == ()
    rules = Rules(session_timeout=TIMEOUT, browse_views_threshold=3, recent_events=0)
    assert receive(CustomerState("c1"), parsed("order_placed", 0), rules)[0].profile.recent_events == ()


def test_a_merge_keeps_the_latest_of_both_histories():
    """Two profiles merged keep the N latest of the union, as one profile that saw every event would."""
    mine = [parsed("page_viewed", m) for m in (0, 50, 100)]
    theirs = [parsed("product_viewed", m, product_id=f"p{m}") for m in (25, 75, 125)]
    merged = merge_profiles(fold(mine).profile, fold(theirs).profile, recent_events=3)
    assert merged.recent_events == fold(mine + theirs).profile.recent_events
    assert [((at - T0).seconds // 60, kind) for at, kind, *_ in merged.recent_events] == [
        (75, "product_viewed"), (100, "page_viewed"), (125, "product_viewed")]
    assert merge_profiles(fold(mine).profile, fold(theirs).profile, recent_events=0).recent_events == ()


def test_a_login_stitches_the_visitors_events_into_the_customers():
    """The anonymous visitor's events join the customer's list at login, the N latest kept."""
    visitor = fold([parsed("product_viewed", m, customer_id="anon-1", product_id="p9") for m in (5, 15)],
                   customer_id="anon-1")
    customer = fold([parsed("page_viewed", m) for m in (0, 10, 20)])
    stitched, _ = stitch(customer, visitor, TIMEOUT, recent_events=4)
    assert [(at - T0).seconds // 60 for at, *_ in stitched.profile.recent_events] == [5, 10, 15, 20]


def test_latest_orders_ties_by_the_entry_itself():
    """Two events at one time are kept in one order whatever came first, the one missing an id first."""
    at = T0
    a, b = (at, "product_viewed", "p1", None), (at, "product_viewed", None, None)
    assert latest((a, b), 2) == latest((b, a), 2) == (b, a)
    assert latest((a, b), 1) == (a,)
    assert remember((a, b), parsed("page_viewed", 60), 1)[0][1] == "page_viewed"


def test_the_list_round_trips_through_the_profile_hash_compactly():
    """Microsecond times, ids with commas and quotes, and missing values survive the codec, in pieces of 64 bytes."""
    events = [parsed("product_viewed", 0.000_01 * i, product_id=f'sku-"{i}",x') for i in range(5)]
    events += [parsed("order_placed", 60 + i, order_id=f"o-{i}", total=19.99 + i) for i in range(5)]
    profile = fold(events, keep=10).profile
    assert len(profile.recent_events) == 10
    stored = to_hash(profile)
    assert from_hash(Profile, stored) == profile
    pieces = [v.encode() for k, v in stored.items() if k.startswith("recent_events")]
    assert len(pieces) > 1 and all(len(piece) <= 64 for piece in pieces)  # Redis keeps such a hash compact
    assert sum(map(len, pieces)) < 300


def test_the_customer_view_lists_the_events_newest_first():
    """GET /customers/{id} and `tracker customer` show type, time, product or order id and value, newest first."""
    profile = fold([parsed("product_viewed", 0, product_id="sku-12"),
                    parsed("order_placed", 5, order_id="o-1", total=9.5)]).profile
    assert recent_events_view(profile) == [
        {"type": "order_placed", "at": (T0 + timedelta(minutes=5)).isoformat(), "order_id": "o-1", "value": 9.5},
        {"type": "product_viewed", "at": T0.isoformat(), "product_id": "sku-12"},
    ]
