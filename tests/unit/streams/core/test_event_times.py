"""Event times enter the state on the standard library's UTC: the same instants, cheaper to compare."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from streams.core.drafts import Draft
from streams.core.events import ANY_EVENT
from streams.core.lifecycle import Rules
from streams.core.state import UTC, CustomerState, utc
from streams.core.visits import apply

RULES = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)


def parsed(kind: str, at: str, **fields: object) -> object:
    return ANY_EVENT.validate_python({"type": kind, "event_id": f"e-{at}-{kind}", "customer_id": "c1",
                                      "occurred_at": at, **fields})


def test_a_zero_offset_becomes_the_standard_librarys_utc_with_the_same_instant_and_wall_clock():
    from pydantic import AwareDatetime, TypeAdapter

    for sent in ("2026-03-01T10:00:00Z", "2026-03-01T10:00:00+00:00"):
        raw = TypeAdapter(AwareDatetime).validate_python(sent)
        assert raw.tzinfo is not UTC  # pydantic's own tzinfo, one per parsed time
        moved = utc(raw)
        assert moved.tzinfo is UTC and moved == raw and moved.replace(tzinfo=None) == raw.replace(tzinfo=None)
        at = parsed("product_viewed", sent, product_id="p1").occurred_at  # type: ignore[attr-defined]
        assert at.tzinfo is UTC and at == raw  # events are parsed onto it


def test_an_event_sent_with_another_offset_keeps_it():
    at = parsed("product_viewed", "2026-03-01T12:00:00+02:00", product_id="p1").occurred_at  # type: ignore[attr-defined]
    assert at.isoformat() == "2026-03-01T12:00:00+02:00"


def test_any_other_offset_or_a_zone_stays_as_sent():
    plus_two = datetime(2026, 3, 1, 10, tzinfo=timezone(timedelta(hours=2)))
    london = datetime(2026, 1, 1, 10, tzinfo=ZoneInfo("Europe/London"))  # offset 0 in winter, but a zone
    assert utc(plus_two) is plus_two and utc(london) is london
    already = datetime(2026, 3, 1, 10, tzinfo=UTC)
    assert utc(already) is already


def test_the_draft_and_the_pure_step_keep_parsed_event_times_on_utc():
    events = [parsed("product_viewed", "2026-03-01T10:00:00Z", product_id="p1"),
              parsed("cart_item_added", "2026-03-01T10:01:00Z", product_id="p1", price=5.0),
              parsed("order_placed", "2026-03-01T10:02:00Z", order_id="o1", total=5.0)]
    draft = Draft(CustomerState("c1"))
    pure = CustomerState("c1")
    for event in events:
        draft.receive(event, RULES)  # type: ignore[arg-type]
        pure = apply(pure, event, RULES.session_timeout).state  # type: ignore[arg-type]
    for state in (draft.state(), pure):
        p, s = state.profile, state.session
        assert s is not None
        times = [p.first_seen, p.last_seen, p.first_order_at, p.last_order_at, *p.recent_orders,
                 *(entry[0] for entry in p.recent_events), *(c.at for c in p.cart.recent),
                 s.started_at, s.last_event_at]
        assert times and all(t is not None and t.tzinfo is UTC for t in times)
    assert draft.state() == pure
