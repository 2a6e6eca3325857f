"""Parsing raw records at the edge: events or dead letters with a reason."""

from __future__ import annotations

import json

import pytest

from streams.core.intake import DeadLetter, Intake

from builders import event, record

INTAKE = Intake("site-visits", "purchases", max_event_bytes=4096)


def reason(rec) -> str:
    parsed = INTAKE.parse(rec)
    assert isinstance(parsed, DeadLetter), parsed
    return parsed.reason


def test_a_valid_event_of_each_type_parses():
    """Every event type of both topics is accepted on its own topic."""
    for type_ in ("page_viewed", "product_viewed", "searched", "cart_item_added", "cart_item_removed",
                  "checkout_started", "customer_identified", "feedback_submitted", "order_placed",
                  "order_refunded"):
        parsed = INTAKE.parse(record(event(type_)))
        assert not isinstance(parsed, DeadLetter), parsed
        assert parsed.type == type_


def test_unknown_extra_fields_are_tolerated():
    """A producer may add fields before the tracker knows them."""
    assert not isinstance(INTAKE.parse(record(event("page_viewed", new_field={"x": 1}))), DeadLetter)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "malformed_json"),
        (json.dumps({k: v for k, v in event("page_viewed").items() if k != "url"}).encode(), "missing_field"),
        (json.dumps(event("cart_item_added", price="cheap")).encode(), "wrong_type"),
        (json.dumps({**event("page_viewed"), "type": "teleported"}).encode(), "unknown_type"),
        (json.dumps(event("page_viewed", occurred_at="2026-03-02T10:00:00")).encode(), "naive_timestamp"),
        (b'{"x": "' + b"a" * 5000 + b'"}', "too_large"),
    ],
    ids=["malformed", "missing", "wrong-type", "unknown-type", "naive-time", "too-large"],
)
def test_bad_input_gets_its_reason(raw, expected):
    """Each kind of bad input is named by its own reason code."""
    assert reason(record(raw, key="c1")) == expected


def test_a_purchase_event_on_the_site_visits_topic_is_refused():
    """Events are checked against the topic they came on."""
    assert reason(record(event("order_placed"), topic="site-visits")) == "unknown_type"


def test_a_key_that_disagrees_with_customer_id_is_refused():
    """Input topics are keyed by customer id; a mismatch would break per-customer ordering."""
    assert reason(record(event("page_viewed", customer_id="c1"), key="c2")) == "key_mismatch"


@pytest.mark.parametrize("junk", ["", "null", "anonymous", "0000", "  ", "N/A", "\\N", "guest", "0"])
def test_junk_customer_ids_are_refused(junk):
    """Empty, null, anonymous, all-zero ids and the exports' guest placeholders never become customers."""
    assert reason(record(event("page_viewed", customer_id=junk), key=junk)) in {"invalid_field", "missing_field"}


def test_an_e_mail_customer_id_is_kept_in_lower_case_as_the_purchase_logs_read_it():
    """``Ann@Shop.com`` streamed live is the ``ann@shop.com`` a replayed order log made; other ids keep their case."""
    from models.transactions import customer_id

    parsed = INTAKE.parse(record(event("customer_identified", customer_id=" Ann@Shop.com", anonymous_id="Old@Shop.com"),
                                 key="Ann@Shop.com"))
    assert (parsed.customer_id, parsed.anonymous_id) == ("ann@shop.com", "old@shop.com") == (
        customer_id("Ann@Shop.com"), customer_id("OLD@shop.com"))
    assert INTAKE.parse(record(event("page_viewed", customer_id="Ab3F-9"))).customer_id == "Ab3F-9"
    assert INTAKE.parse(record(event("page_viewed", customer_id="ann@shop.com"), key="ANN@shop.com")).customer_id \
        == "ann@shop.com"


def test_a_spec_message_s_e_mail_user_id_is_kept_in_lower_case_and_its_own_key_is_its_key():
    message = {"type": "track", "event": "Product Added", "userId": "Ann@Shop.com", "anonymousId": "ANN@shop.com",
               "messageId": "m1", "timestamp": "2026-03-02T10:00:00Z", "properties": {"product_id": "P-1"}}
    parsed = INTAKE.parse(record(json.dumps(message).encode(), key="Ann@Shop.com"))
    assert (parsed.customer_id, parsed.product_id) == ("ann@shop.com", "P-1")
    identify = {**message, "type": "identify", "messageId": "m2", "anonymousId": "a-1"}
    login = INTAKE.parse(record(json.dumps(identify).encode(), key="Ann@Shop.com"))
    assert (login.type, login.customer_id, login.anonymous_id) == ("customer_identified", "ann@shop.com", "a-1")


def test_dead_letter_detail_names_the_field_and_value():
    """The detail says which field was wrong and what arrived."""
    parsed = INTAKE.parse(record(event("cart_item_added", price="cheap")))
    assert "price" in parsed.detail and "cheap" in parsed.detail


@pytest.mark.parametrize(
    "raw",
    [
        b'{"query": "private words"',
        json.dumps({"query": "private words", **{k: v for k, v in event("searched").items()
                                                 if k not in ("query", "occurred_at")}}).encode(),
        json.dumps(["private words"]).encode(),
    ],
    ids=["malformed", "missing-field", "not-an-object"],
)
def test_dead_letter_detail_quotes_no_part_of_the_message_but_the_wrong_value(raw):
    """The detail goes to the worker's log, which carries no payloads: a message that is no JSON, or that
    misses a field, is named by its problem, not by its contents (the dead-letter topic keeps the raw bytes)."""
    parsed = INTAKE.parse(record(raw, key="c1"))
    assert isinstance(parsed, DeadLetter)
    assert "private" not in parsed.detail, parsed.detail


def test_an_event_far_in_the_future_is_refused():
    """A timestamp more than the allowed skew ahead of the clock is dead-lettered."""
    from datetime import timedelta

    from builders import T0

    parsed = INTAKE.parse(record(event("page_viewed", at=timedelta(days=2))), now=T0)
    assert isinstance(parsed, DeadLetter) and parsed.reason == "future_timestamp"
    assert not isinstance(INTAKE.parse(record(event("page_viewed", at=timedelta(minutes=5))), now=T0), DeadLetter)


def test_an_event_dated_before_unix_time_is_refused_not_taken():
    """An unset date written as the smallest one (.NET's DateTime.MinValue, 0001-01-01) was taken, and the worker's steps,
    reckoning back from it, overflowed and stopped the worker at that record, again on every restart."""
    from datetime import datetime, timezone

    from streams.core.segment import from_message

    for when in ("0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z"):
        parsed = INTAKE.parse(record(event("page_viewed", at=datetime.fromisoformat(when))))
        assert isinstance(parsed, DeadLetter) and parsed.reason == "invalid_field", parsed
        assert "occurred_at" in parsed.detail and "before 1970-01-01" in parsed.detail
    message = from_message({"type": "page", "userId": "u1", "timestamp": "0001-01-01T00:00:00Z"})
    assert getattr(message, "reason", None) == "invalid_field"
    oldest = INTAKE.parse(record(event("order_placed", at=datetime(1970, 1, 1, tzinfo=timezone.utc))))
    assert not isinstance(oldest, DeadLetter), oldest


def test_an_order_naming_no_currency_is_in_the_shop_s_currency_and_one_naming_its_own_keeps_it():
    """TRACKER_CURRENCY says the shop's money: no silent GBP for a shop in euros, whichever way the order comes."""
    euros = Intake("site-visits", "purchases", max_event_bytes=4096, currency="EUR")
    plain = dict(event("order_placed"))
    plain.pop("currency", None)
    assert euros.parse(record(plain)).currency == "EUR"
    assert euros.parse_posted(json.dumps({**plain, "currency": "USD"}, default=str).encode()).currency == "USD"
    spec = {"type": "track", "event": "Order Completed", "userId": "c-1", "messageId": "m-1",
            "timestamp": str(plain["occurred_at"]), "properties": {"order_id": "o-1", "total": 12.5}}
    assert euros.parse_message(spec).currency == "EUR"
    assert INTAKE.parse(record(plain)).currency == "GBP"  # the default, as before
