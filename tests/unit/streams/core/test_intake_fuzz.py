"""Hostile input at the edge: whatever arrives, parsing returns an event or a dead letter, never raises."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streams.core.intake import REASONS, DeadLetter, Intake, Record

from builders import event

INTAKE = Intake("site-visits", "purchases", max_event_bytes=65_536)
CASES = 400

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)
hostile_text = st.sampled_from([
    "", "null", "\x00", "\u202e", "'; DROP TABLE customers; --", "<script>alert(1)</script>", "${jndi:ldap://x}",
    "../../etc/passwd", "\ud800" if False else "\ufffd", "9" * 400, "0000", " anonymous ",
]) | st.text(max_size=200)


def parse(raw: bytes, key: bytes | None = b"c1", topic: str = "site-visits"):
    result = INTAKE.parse(Record(topic, 0, 0, key, raw))
    if isinstance(result, DeadLetter):
        assert result.reason in REASONS and result.detail
        json.loads(result.to_json())  # the dead letter itself is always valid JSON
    return result


@settings(max_examples=CASES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["site-visits", "purchases"]))
def test_arbitrary_bytes_never_crash_the_parser(raw, topic):
    """Any bytes, any encoding: an event or a dead letter with a known reason."""
    parse(raw, topic=topic)


@settings(max_examples=CASES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(json_values)
def test_arbitrary_json_never_crashes_the_parser(value):
    """Any JSON document, nested or not, of any types."""
    parse(json.dumps(value).encode())


@settings(max_examples=CASES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(["page_viewed", "product_viewed", "cart_item_added", "order_placed", "customer_identified"]),
       st.dictionaries(st.sampled_from(["url", "product_id", "price", "quantity", "occurred_at", "customer_id",
                                        "event_id", "total", "traits", "anonymous_id", "order_id"]),
                       hostile_text | json_values, max_size=6))
def test_valid_events_with_hostile_fields_are_parsed_or_dead_lettered(type_, overrides):
    """Injection strings, control characters and wrong types in any field never get past unchecked."""
    body = {**event(type_), **overrides}
    key = str(body.get("customer_id")).encode("utf-8", "surrogatepass")
    result = parse(json.dumps(body).encode("utf-8", "surrogatepass"), key=key,
                   topic="purchases" if type_ == "order_placed" else "site-visits")
    if not isinstance(result, DeadLetter):
        assert result.customer_id.strip() and result.occurred_at.tzinfo is not None


def test_deep_nesting_and_huge_payloads_are_dead_lettered():
    """A 10,000-deep document and a 10 MB one are refused with a reason, not a crash."""
    deep = b"[" * 10_000 + b"]" * 10_000
    assert parse(deep).reason in {"malformed_json", "too_large"}
    assert parse(b'{"x":"' + b"a" * 10_000_000 + b'"}').reason == "too_large"


spec_names = st.sampled_from(["Product Added", "Product Removed", "Cart Viewed", "Checkout Started", "Order Completed",
                              "Order Refunded", "Product Viewed", "Products Searched", "Checkout Step Viewed",
                              "Coupon Entered"]) | st.text(max_size=30)


@settings(max_examples=CASES, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.sampled_from(["track", "page", "identify", "alias", "screen", "group", "Track"]), spec_names,
       st.dictionaries(st.sampled_from(["userId", "anonymousId", "previousId", "messageId", "timestamp",
                                        "originalTimestamp", "context"]), hostile_text | json_values, max_size=5),
       st.dictionaries(st.sampled_from(["product_id", "sku", "price", "quantity", "products", "total", "revenue",
                                        "value", "currency", "coupon", "discount", "order_id", "query", "url"]),
                       hostile_text | json_values, max_size=6),
       st.dictionaries(st.sampled_from(["country", "timezone", "address", "age", "accepts_marketing"]),
                       hostile_text | json_values, max_size=4))
def test_spec_messages_with_hostile_fields_are_parsed_ignored_or_dead_lettered(call, name, fields, properties, traits):
    """A Segment-shaped message with anything in its ids, times, properties and traits never crashes the parser."""
    from streams.core.intake import Ignored

    body = {"type": call, "event": name, "messageId": "m1", "anonymousId": "a1", "timestamp": "2026-03-02T10:00:00Z",
            **fields, "properties": properties, "traits": traits}
    raw = json.dumps(body).encode("utf-8", "surrogatepass")
    key = str(body.get("userId") or body.get("anonymousId")).encode("utf-8", "surrogatepass")
    result = parse(raw, key=key)
    assert isinstance(result, (DeadLetter, Ignored)) or result.customer_id
