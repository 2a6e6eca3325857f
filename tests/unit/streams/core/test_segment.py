"""The e-commerce tracking spec as an input: each message's tracker event, or why there is none."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from analytics_js import Browser
from builders import T0, record
from streams.core.events import (
    Activity,
    CartItemAdded,
    CartItemRemoved,
    CartViewed,
    CheckoutStarted,
    CustomerIdentified,
    OrderPlaced,
    OrderRefunded,
    PageViewed,
    ProductViewed,
    Searched,
)
from streams.core.intake import DeadLetter, Ignored, Intake
from streams.core.problems import Problem
from streams.core.segment import from_message

INTAKE = Intake("site-visits", "purchases", 65_536)
NOW = T0 + timedelta(minutes=5)
MONOPOLY = {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition",
            "price": 19, "quantity": 1, "category": "Games"}
UNO = {"product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game", "price": 3,
       "quantity": 2, "category": "Games"}


def test_a_page_view_from_analytics_js_is_a_page_viewed_of_the_anonymous_visitor():
    message = Browser("anon-1").page(T0, name="Product", url="https://shop.example/p/1",
                                     referrer="https://search.example")
    message["context"]["campaign"] = {"medium": "email", "source": "newsletter"}
    event = from_message(message)
    assert isinstance(event, PageViewed)
    assert (event.customer_id, event.event_id, event.occurred_at) == ("anon-1", message["messageId"], T0)
    assert (event.url, event.page_type, event.referrer, event.channel) == (
        "https://shop.example/p/1", "product", "https://search.example", "email")


def test_identify_links_the_anonymous_visitor_and_reads_traits_and_consent():
    browser = Browser("anon-1")
    message = browser.identify(T0, "user-7", address={"country": "GB"}, age=31, accepts_marketing=True)
    event = from_message(message)
    assert isinstance(event, CustomerIdentified)
    assert (event.customer_id, event.anonymous_id, event.marketing_consent) == ("user-7", "anon-1", True)
    assert (event.traits.country, event.traits.time_zone, event.traits.locale, event.traits.age_band) == (
        "GB", "Europe/London", "en-GB", "25-34")


def test_consent_from_the_consent_managers_marketing_category():
    message = Browser("anon-1").identify(T0, "user-7")
    message["context"]["consent"] = {"categoryPreferences": {"Marketing": False, "Analytics": True}}
    assert from_message(message).marketing_consent is False  # type: ignore[union-attr]


def test_alias_links_the_previous_id_to_the_user():
    event = from_message({"type": "alias", "previousId": "anon-9", "userId": "user-9", "messageId": "m-a",
                          "timestamp": "2026-03-02T10:00:00Z"})
    assert isinstance(event, CustomerIdentified) and (event.customer_id, event.anonymous_id) == ("user-9", "anon-9")


def test_the_v2_ecommerce_events_map_onto_the_trackers_events():
    """Each spec name, with the spec's own example properties, becomes its tracker event."""
    browser = Browser("anon-1")
    browser.user_id = "user-7"
    cases = [
        (browser.track(T0, "Products Searched", query="blue hotpants"), Searched, {"query": "blue hotpants"}),
        (browser.track(T0, "Product Viewed", **MONOPOLY, currency="usd", value=18.99), ProductViewed,
         {"product_id": MONOPOLY["product_id"], "price": 19.0, "category": "Games"}),
        (browser.track(T0, "Product Added", cart_id="c-1", **MONOPOLY), CartItemAdded,
         {"product_id": MONOPOLY["product_id"], "quantity": 1, "price": 19.0}),
        (browser.track(T0, "Product Removed", **UNO), CartItemRemoved, {"product_id": UNO["product_id"], "quantity": 2}),
        (browser.track(T0, "Cart Viewed", cart_id="c-1", products=[MONOPOLY, UNO]), CartViewed, {"value": None}),
        (browser.track(T0, "Checkout Started", order_id="o-1", value=30, revenue=25.0, currency="USD",
                       products=[MONOPOLY, UNO]), CheckoutStarted, {"value": 30.0, "currency": "USD"}),
    ]
    for message, kind, fields in cases:
        event = from_message(message)
        assert isinstance(event, kind), (message["event"], event)
        assert (event.customer_id, event.event_id) == ("user-7", message["messageId"])
        assert {name: getattr(event, name) for name in fields} == fields, message["event"]
    snapshot = from_message(cases[-1][0])
    assert [(p.product_id, p.quantity, p.price) for p in snapshot.products] == [  # type: ignore[union-attr]
        (MONOPOLY["product_id"], 1, 19.0), (UNO["product_id"], 2, 3.0)]


def test_an_order_completed_is_an_order_with_its_total_coupon_discount_and_lines():
    message = Browser("anon-1").track(T0, "Order Completed", checkout_id="chk-1", order_id="o-1", total=27.5,
                                      subtotal=22.5, revenue=25.0, shipping=3, tax=2, discount=2.5, coupon="hasbros",
                                      currency="usd", products=[MONOPOLY, UNO])
    event = from_message(message)
    assert isinstance(event, OrderPlaced)
    assert (event.order_id, event.total, event.currency, event.discount_code, event.discount_amount) == (
        "o-1", 27.5, "USD", "hasbros", 2.5)
    assert [(line.product_id, line.quantity, line.category) for line in event.line_items] == [
        (MONOPOLY["product_id"], 1, "Games"), (UNO["product_id"], 2, "Games")]


def test_an_order_without_a_total_is_worth_its_products_and_a_refund_its_total():
    order = from_message(Browser("a").track(T0, "Order Completed", order_id="o-2", products=[MONOPOLY, UNO]))
    assert isinstance(order, OrderPlaced) and order.total == 25.0
    refund = from_message(Browser("a").track(T0, "Order Refunded", order_id="o-2", total=30, currency="USD"))
    assert isinstance(refund, OrderRefunded) and (refund.order_id, refund.amount) == ("o-2", 30.0)


def test_an_order_whose_prices_and_quantities_are_text_is_worth_its_products():
    """Many shops send prices as text ("19.00", as Shopify writes them): the line's parser reads them, so must the total."""
    lines = [{**MONOPOLY, "price": "19.00", "quantity": "1"}, {**UNO, "price": " 3 ", "quantity": "2"}]
    order = from_message(Browser("a").track(T0, "Order Completed", order_id="o-3", products=lines))
    assert isinstance(order, OrderPlaced) and order.total == 25.0
    assert [(line.price, line.quantity) for line in order.line_items] == [(19.0, 1), (3.0, 2)]
    priced = from_message(Browser("a").track(T0, "Order Completed", order_id="o-4", products=[{**UNO, "price": "$3"}]))
    assert isinstance(priced, Problem) and priced.reason == "missing_field"  # no number: no total to take


def test_products_held_as_json_text_are_the_list_it_holds():
    """A warehouse column or a form field keeps the products list as JSON text: read as the list, not dropped."""
    text = json.dumps([MONOPOLY, UNO])
    order = from_message(Browser("a").track(T0, "Order Completed", order_id="o-5", total=25, products=text))
    assert isinstance(order, OrderPlaced) and [line.quantity for line in order.line_items] == [1, 2]
    checkout = from_message(Browser("a").track(T0, "Checkout Started", products=text))
    assert isinstance(checkout, CheckoutStarted) and checkout.products is not None and len(checkout.products) == 2
    broken = from_message(Browser("a").track(T0, "Order Completed", order_id="o-6", total=5, products="[{oops"))
    assert isinstance(broken, Problem) and broken.reason == "wrong_type" and "properties.products" in broken.detail


def test_ids_written_as_whole_floats_are_the_same_ids_as_the_integers():
    """A data frame writes an id column with gaps as floats (12345.0): the same customer and order as 12345."""
    message = {**Browser("a").track(T0, "Order Completed", order_id=1001.0, total=5), "userId": 12345.0}
    order = from_message(message)
    assert isinstance(order, OrderPlaced) and (order.customer_id, order.order_id) == ("12345", "1001")
    added = from_message(Browser("a").track(T0, "Product Added", product_id=77.0))
    assert isinstance(added, CartItemAdded) and added.product_id == "77"


@pytest.mark.parametrize("written", ["2026-03-02 10:00:00 UTC", "2026-03-02 10:00:00+00", "2026-03-02 11:00:00 +01:00",
                                     "2026-03-02T10:00:00.000 Z"])
def test_a_time_with_its_zone_spelled_as_a_warehouse_writes_it_is_read(written):
    """BigQuery exports 2026-03-02 10:00:00 UTC, PostgreSQL and Redshift …+00: each message was refused as wrong_type."""
    event = from_message({**Browser("a").page(T0), "timestamp": written})
    assert isinstance(event, PageViewed) and event.occurred_at == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
    naive = from_message({**Browser("a").page(T0), "timestamp": "2026-03-02 10:00:00"})
    assert isinstance(naive, Problem) and naive.reason == "naive_timestamp"  # no zone is still no zone


def test_an_empty_timestamp_is_none_and_received_at_stands_in_for_a_missing_one():
    """A warehouse export writes an absent time as empty text: the next time given is read, not the empty one refused."""
    message = {**Browser("a").page(T0), "timestamp": "", "originalTimestamp": "2026-03-02T10:00:00Z"}
    assert from_message(message).occurred_at == datetime(2026, 3, 2, 10, tzinfo=timezone.utc)  # type: ignore[union-attr]
    received = {**Browser("a").page(T0), "timestamp": None, "receivedAt": "2026-03-02 10:00:05 UTC"}
    assert from_message(received).occurred_at == datetime(2026, 3, 2, 10, 0, 5, tzinfo=timezone.utc)  # type: ignore[union-attr]


def test_names_match_without_case_or_underscores_and_v1_names_too():
    for name in ("product added", "PRODUCT_ADDED", "Added Product"):
        assert isinstance(from_message(Browser("a").track(T0, name, product_id="p1", price=2)), CartItemAdded)
    assert isinstance(from_message(Browser("a").track(T0, "Completed Order", total=5)), OrderPlaced)


def test_sku_stands_in_for_a_missing_product_id():
    event = from_message(Browser("a").track(T0, "Product Added", sku="G-32", price=18.99))
    assert isinstance(event, CartItemAdded) and event.product_id == "G-32"


def test_track_events_with_no_event_of_their_own_are_activity_in_the_visit_by_name():
    """A shop's dozens of other track events keep the visit going and carry their name, nothing else."""
    for name in ("Pop-up Email Viewed", "Coupon Entered", "Checkout Step Completed", "Product List Viewed"):
        event = from_message(Browser("a").track(T0, name, step=2))
        assert isinstance(event, Activity) and (event.name, event.customer_id, event.occurred_at) == (name, "a", T0)


def test_one_that_cannot_be_placed_is_ignored_not_refused_and_a_group_call_is_ignored():
    assert from_message({"type": "track", "event": "Coupon Entered", "timestamp": "2026-03-02T10:00:00"}) == Ignored(
        "Coupon Entered")
    assert from_message({"type": "group", "userId": "u", "groupId": "g"}) == Ignored("group")


def test_a_screen_of_an_app_is_a_page():
    event = from_message({"type": "screen", "name": "Cart", "userId": "u", "timestamp": "2026-03-02T10:00:00Z"})
    assert isinstance(event, PageViewed) and (event.url, event.page_type) == ("screen:Cart", "cart")


@pytest.mark.parametrize(("message", "reason", "words"), [
    ({"type": "track", "event": "Product Added", "timestamp": "2026-03-02T10:00:00Z",
      "properties": {"product_id": "p1"}}, "missing_field", "neither userId nor anonymousId"),
    ({"type": "track", "event": "Product Added", "userId": "null", "anonymousId": "undefined",
      "timestamp": "2026-03-02T10:00:00Z", "properties": {"product_id": "p1"}}, "missing_field", "neither"),
    ({"type": "page", "userId": "u1", "timestamp": "2026-03-02T10:00:00"}, "naive_timestamp", "timestamp"),
    ({"type": "track", "event": "Product Added", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z",
      "properties": {"product_id": "p1", "price": "cheap"}}, "wrong_type", "properties.price"),
    ({"type": "track", "event": "Product Added", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z",
      "properties": {"price": 3}}, "missing_field", "properties.product_id"),
    ({"type": "track", "event": "Order Completed", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z",
      "properties": {"order_id": "o1", "total": -5}}, "invalid_field", "properties.total"),
    ({"type": "track", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z"}, "missing_field", "event"),
    ({"type": "page", "userId": "u1"}, "missing_field", "timestamp"),
    ({"type": "alias", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z"}, "missing_field", "previousId"),
    ({"type": "track", "event": "Checkout Started", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z",
      "properties": {"products": ["p1"]}}, "wrong_type", "properties.products.0"),
])
def test_bad_messages_are_refused_with_a_reason_naming_the_field(message, reason, words):
    problem = from_message(message)
    assert isinstance(problem, Problem) and problem.reason == reason and words in problem.detail, problem


def test_a_message_without_a_timestamp_happened_when_it_was_received():
    event = from_message({"type": "page", "userId": "u1", "messageId": "m1"}, received_at=NOW)
    assert isinstance(event, PageViewed) and event.occurred_at == NOW


def test_a_message_without_an_id_gets_the_same_id_each_time():
    message = {"type": "page", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z"}
    first, again = from_message(message), from_message(dict(message))
    assert first.event_id == again.event_id != from_message({**message, "userId": "u2"}).event_id  # type: ignore


def test_a_message_far_in_the_future_is_refused_at_the_edge():
    message = Browser("a").page(NOW + timedelta(days=2))
    problem = INTAKE.parse_message(message, NOW)
    assert isinstance(problem, Problem) and problem.reason == "future_timestamp"


# ------------------------------------------------------------ on the input topics


def spec_record(message: dict[str, object], key: str | None, topic: str = "site-visits"):
    return record(json.dumps(message).encode(), topic=topic, key=key)


def test_a_spec_message_on_an_input_topic_is_parsed_keyed_as_rudderstack_keys_it():
    """RudderStack's Kafka destination keys by userId, else anonymousId: both are that message's customer."""
    browser = Browser("anon-1")
    assert INTAKE.parse(spec_record(browser.page(T0), "anon-1"), NOW).customer_id == "anon-1"  # type: ignore
    browser.user_id = "user-7"
    event = INTAKE.parse(spec_record(browser.track(T0, "Product Added", product_id="p1", price=3), "user-7"), NOW)
    assert isinstance(event, CartItemAdded) and event.customer_id == "user-7"
    letter = INTAKE.parse(spec_record(browser.page(T0), "someone-else"), NOW)
    assert isinstance(letter, DeadLetter) and letter.reason == "key_mismatch"


def test_an_order_in_spec_shape_is_taken_from_either_input_topic():
    """RudderStack sends every message to one topic unless told otherwise."""
    message = Browser("anon-1").track(T0, "Order Completed", order_id="o1", total=10)
    assert isinstance(INTAKE.parse(spec_record(message, "anon-1"), NOW), OrderPlaced)
    assert isinstance(INTAKE.parse(spec_record(message, "anon-1", topic="purchases"), NOW), OrderPlaced)


def test_unmapped_and_bad_spec_messages_on_a_topic():
    activity = INTAKE.parse(spec_record(Browser("a").track(T0, "Coupon Entered"), "a"), NOW)
    assert isinstance(activity, Activity) and activity.name == "Coupon Entered"
    assert INTAKE.parse(spec_record({"type": "group", "userId": "a"}, "a"), NOW) == Ignored("group")
    letter = INTAKE.parse(spec_record({"type": "track", "event": "Product Added", "userId": "u1"}, "u1"), NOW)
    assert isinstance(letter, DeadLetter) and letter.reason == "missing_field"


def test_the_trackers_own_event_with_a_stray_user_id_field_is_still_its_own_event():
    from builders import event

    body = event("page_viewed", "c1", T0, userId="c1")
    assert isinstance(INTAKE.parse(record(body), NOW), PageViewed)


def test_a_checkout_step_viewed_is_a_page_of_the_checkout():
    """It keeps a long checkout one visit when the site sends no page call for its steps."""
    event = from_message(Browser("a").track(T0, "Checkout Step Viewed", checkout_id="c1", step=2))
    assert isinstance(event, PageViewed) and (event.page_type, event.url) == ("checkout", "/checkout")
