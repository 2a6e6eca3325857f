"""Carts that outlive a visit, as a specification: each visit's end, the effects it returns, the trigger's products.

A customer's cart lives on their profile until an order empties it, its items are removed,
or it expires; a checkout or cart view that carries products replaces it.  Each test runs
the pure steps (``receive`` for events, ``advance`` for time passing) and states exactly
what came out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from unittest.mock import ANY

from offers import AbandonmentKind, QuietHours, default_policy
from streams.core.carts import cart_at
from streams.core.events import ANY_EVENT, AnyEvent, OrderPlaced
from streams.core.lifecycle import Effect, Issued, Resolved, Rules, SessionEnded, advance, on_order, receive
from streams.core.state import CartLine, CustomerState

from builders import T0, event

RULES = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3, cart_ttl=timedelta(days=14))
POLICY = replace(default_policy(), quiet_hours=QuietHours(start=0, end=0), holdout_percent=0,
                 frequency_cap=timedelta(0))
DAY = timedelta(days=1)


def typed(type: str, at: timedelta = timedelta(0), **fields: object) -> AnyEvent:
    return ANY_EVENT.validate_python(event(type, "c1", at, **fields))


def visit(state: CustomerState, *events: AnyEvent) -> tuple[CustomerState, list[Effect]]:
    """The events of one visit, then time passes until its offer is decided and has expired."""
    effects: list[Effect] = []
    for e in events:
        state, more = advance(state, e.occurred_at, RULES, POLICY, now=e.occurred_at)
        effects += more
        state, more = receive(state, e, RULES)
        effects += more
        if isinstance(e, OrderPlaced):
            state, more = on_order(state, e)
            effects += more
    end = max(e.occurred_at for e in events) + RULES.session_timeout
    state, more = advance(state, end, RULES, POLICY, now=end)
    effects += more
    if state.profile.open_offer is not None:
        expiry = state.profile.open_offer.expires_at
        state, more = advance(state, expiry, RULES, POLICY, now=expiry)
        effects += more
    return state, effects


def products(effects: list[Effect]) -> list[tuple[str, str, int, float | None]]:
    [issued] = [e for e in effects if isinstance(e, Issued)]
    return [(issued.trigger.kind.value, p.product_id, p.quantity, p.price) for p in issued.trigger.products]


def test_a_checkout_in_a_later_visit_abandons_the_cart_filled_in_an_earlier_one():
    state, effects = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1", price=20.0, quantity=2))
    assert products(effects) == [("cart_abandoned", "p1", 2, 20.0)]
    state, effects = visit(state, typed("page_viewed", 3 * DAY), typed("checkout_started", 3 * DAY + timedelta(minutes=1)))
    assert effects == [SessionEnded(ANY), Issued(ANY, T0 + 3 * DAY + timedelta(minutes=31)), Resolved(ANY)]
    assert products(effects) == [("checkout_abandoned", "p1", 2, 20.0)]
    [issued] = [e for e in effects if isinstance(e, Issued)]
    assert issued.trigger.cart_value == 40.0


def test_an_old_cart_alone_never_triggers_again():
    """A later visit that neither adds nor checks out leaves yesterday's cart alone."""
    state, _ = visit(CustomerState("c1"), typed("cart_item_added"))
    state, effects = visit(state, typed("page_viewed", DAY), typed("product_viewed", DAY + timedelta(minutes=1)))
    assert effects == [SessionEnded(ANY)]
    assert state.profile.pending is None and state.profile.offers == 1


def test_a_visit_that_adds_abandons_the_whole_cart_old_and_new():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1", price=10.0))
    state, effects = visit(state, typed("cart_item_added", DAY, product_id="p2", price=5.0))
    assert products(effects) == [("cart_abandoned", "p1", 1, 10.0), ("cart_abandoned", "p2", 1, 5.0)]


def test_an_order_empties_the_cart_so_a_later_checkout_has_nothing_to_abandon():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added"), typed("order_placed", timedelta(minutes=2)))
    assert cart_at(state.profile.cart, T0 + DAY) == ()
    state, effects = visit(state, typed("checkout_started", 2 * DAY))
    assert effects == [SessionEnded(ANY)]


def test_an_expired_cart_triggers_nothing():
    """Fifteen days later (the TTL is 14) the cart is gone: a checkout without products abandons nothing."""
    state, _ = visit(CustomerState("c1"), typed("cart_item_added"))
    state, effects = visit(state, typed("checkout_started", 15 * DAY))
    assert effects == [SessionEnded(ANY)]
    assert state.profile.pending is None and state.profile.cart.lines == ()


def test_a_cart_touched_within_the_ttl_does_not_expire():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1"))
    state, _ = visit(state, typed("cart_item_added", 10 * DAY, product_id="p2"))
    state, effects = visit(state, typed("checkout_started", 20 * DAY))
    assert [p[1] for p in products(effects)] == ["p1", "p2"]


def test_an_add_after_expiry_starts_a_new_cart():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1"))
    state, effects = visit(state, typed("cart_item_added", 20 * DAY, product_id="p2"))
    assert products(effects) == [("cart_abandoned", "p2", 1, 50.0)]


def test_a_checkout_with_products_replaces_the_known_cart():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1"))
    snapshot = [{"product_id": "p7", "quantity": 3, "price": 4.0}, {"product_id": "p8", "price": 1.5}]
    state, effects = visit(state, typed("checkout_started", DAY, products=snapshot, value=12.0, currency="EUR"))
    assert products(effects) == [("checkout_abandoned", "p7", 3, 4.0), ("checkout_abandoned", "p8", 1, 1.5)]


def test_a_cart_view_with_products_replaces_the_cart_and_a_checkout_carrying_them_abandons_it():
    """A visitor whose adds the site never sent: the cart view says what the cart holds."""
    state, effects = visit(CustomerState("c1"), typed("cart_viewed", products=[{"product_id": "p9", "price": 30.0}]),
                           typed("checkout_started", timedelta(minutes=1)))
    assert products(effects) == [("checkout_abandoned", "p9", 1, 30.0)]


def test_an_unpriced_snapshot_is_worth_the_shops_own_value():
    state, effects = visit(CustomerState("c1"), typed("checkout_started", products=[{"product_id": "p9"}], value=42.5))
    [issued] = [e for e in effects if isinstance(e, Issued)]
    assert issued.trigger.cart_value == 42.5


def test_an_empty_snapshot_empties_the_cart():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added"))
    state, effects = visit(state, typed("checkout_started", DAY, products=[]))
    assert effects == [SessionEnded(ANY)]


def test_removing_every_item_leaves_nothing_to_abandon():
    state, effects = visit(CustomerState("c1"), typed("cart_item_added", quantity=2),
                           typed("cart_item_removed", timedelta(minutes=1), quantity=2))
    assert effects == [SessionEnded(ANY)]
    state, effects = visit(state, typed("checkout_started", DAY))
    assert effects == [SessionEnded(ANY)]


def test_removing_an_item_bought_in_an_earlier_visit_takes_it_out_of_the_cart():
    state, _ = visit(CustomerState("c1"), typed("cart_item_added", product_id="p1"),
                     typed("cart_item_added", timedelta(minutes=1), product_id="p2"))
    state, effects = visit(state, typed("cart_item_removed", DAY, product_id="p1"), typed("checkout_started", DAY))
    assert products(effects) == [("checkout_abandoned", "p2", 1, 50.0)]


def test_an_order_read_before_an_add_that_happened_after_it_leaves_the_add_in_the_cart():
    """Two topics: the order (10:05) is read after an add of 10:07; the cart is that of the sorted stream."""
    state, _ = receive(CustomerState("c1"), typed("cart_item_added", product_id="p1"), RULES)
    state, _ = receive(state, typed("cart_item_added", timedelta(minutes=7), product_id="p2"), RULES)
    state, _ = receive(state, typed("order_placed", timedelta(minutes=5)), replace(RULES))
    assert cart_at(state.profile.cart, T0 + timedelta(minutes=8)) == (CartLine("p2", 1, 50.0, "shoes"),)


def test_a_snapshot_older_than_an_add_read_first_keeps_the_add():
    lateness = replace(RULES, allowed_lateness=timedelta(minutes=5))
    state, _ = receive(CustomerState("c1"), typed("cart_item_added", timedelta(minutes=3), product_id="p2"), lateness)
    state, _ = receive(state, typed("cart_viewed", timedelta(minutes=1), products=[{"product_id": "p1", "price": 2.0}]),
                       lateness)
    assert [line.product_id for line in cart_at(state.profile.cart, T0 + timedelta(minutes=4))] == ["p1", "p2"]
