"""Identity stitching: a login merges the anonymous visitor's history into the customer, once."""

from __future__ import annotations

from datetime import timedelta

from builders import event, record


async def test_a_login_merges_the_visitor_history_once(tracker, store):
    """Views and carts of the anonymous visitor count for the customer, and only once."""
    await tracker.handle([
        record(event("product_viewed", "anon-7", category="lamps")),
        record(event("cart_item_added", "anon-7", at=timedelta(seconds=5))),
    ])
    login = event("customer_identified", "c1", at=timedelta(minutes=1), anonymous_id="anon-7")
    await tracker.handle([record(login)])
    again = event("customer_identified", "c1", at=timedelta(days=1), anonymous_id="anon-7")
    await tracker.handle([record(again)])
    customer, visitor = store.states["c1"].profile, store.states["anon-7"].profile
    assert (customer.product_views, customer.cart_adds) == (1, 1)
    assert customer.categories == (("lamps", 1),)
    assert customer.merged_ids == ("anon-7",)
    assert visitor.merged_into == "c1"


async def test_a_placeholder_visitor_id_links_nothing(tracker, store):
    """Junk visitor ids ('null', 'anonymous', zeros) never merge unrelated visitors."""
    await tracker.handle([record(event("page_viewed", "c9"))])
    for junk in ("null", "anonymous", "0000"):
        await tracker.handle([record(event("customer_identified", "c1", anonymous_id=junk))])
    assert store.states["c1"].profile.merged_ids == ()


async def test_the_visitors_abandoned_cart_earns_no_offer_after_login(tracker, publisher, store, clock):
    """An anonymous id has no address: once merged, its own abandonment is not offered."""
    await tracker.handle([record(event("cart_item_added", "anon-8"))])
    await tracker.handle([record(event("customer_identified", "c2", at=timedelta(seconds=30),
                                       anonymous_id="anon-8"))])
    clock.advance(hours=2)
    await tracker.fire_due([0])
    assert [r for r in publisher.on("offer-triggers") if b'"anon-8"' in r] == []


async def test_a_checkout_started_before_logging_in_is_the_customers_to_abandon(tracker, publisher, store, clock):
    """Shops ask for a login at the checkout: the visit goes on under the customer's id, with its cart."""
    import json

    await tracker.handle([record(event("cart_item_added", "anon-9", product_id="p4", price=12.0)),
                          record(event("checkout_started", "anon-9", at=timedelta(seconds=20)))])
    await tracker.handle([record(event("customer_identified", "c3", at=timedelta(seconds=40), anonymous_id="anon-9"))])
    clock.advance(hours=2)
    await tracker.fire_due([0])
    triggers = [json.loads(r) for r in publisher.on("offer-triggers")]
    assert [(t["customer_id"], t["kind"], [p["product_id"] for p in t["products"]]) for t in triggers] == [
        ("c3", "checkout_abandoned", ["p4"])]
    assert store.states["c3"].profile.sessions == 1 and store.states["anon-9"].session is None


async def test_a_visitors_events_read_after_the_login_are_sent_on_to_the_customer(tracker, publisher, store):
    """RudderStack keys by userId, else anonymousId: a login may be read before the visitor's own
    events (another partition). The link is kept; the visitor's events go on to the customer."""
    import json

    from streams.core.intake import Record

    await tracker.handle([record(event("customer_identified", "c4", at=timedelta(seconds=30), anonymous_id="anon-4"))])
    assert store.states["anon-4"].profile.merged_into == "c4"
    add = event("cart_item_added", "anon-4", product_id="p9", price=8.0)
    await tracker.handle([record(add)])
    [(topic, key, value)] = [s for s in publisher.sent if s[0] == "site-visits"]
    forwarded = json.loads(value)
    assert (topic, key, forwarded["customer_id"], forwarded["event_id"]) == ("site-visits", "c4", "c4", add["event_id"])
    await tracker.handle([Record(topic, 0, 1, key.encode(), value)])
    from builders import T0
    from streams.core.carts import cart_at

    assert [line.product_id for line in cart_at(store.states["c4"].profile.cart, T0 + timedelta(hours=1))] == ["p9"]
    assert store.states["c4"].profile.cart_adds == 1 and store.states["anon-4"].profile.cart_adds == 0
    await tracker.handle([Record(topic, 0, 2, key.encode(), value)])  # forwarded twice: counted once
    assert store.states["c4"].profile.cart_adds == 1
