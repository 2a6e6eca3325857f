"""Pure updates of a customer's profile and session."""

from __future__ import annotations

from datetime import timedelta

from streams.core.events import ANY_EVENT
from streams.core.state import CustomerState
from streams.core.visits import apply

from builders import event

TIMEOUT = timedelta(minutes=30)


def run(*bodies: dict[str, object], lateness: timedelta = timedelta(0)) -> tuple[CustomerState, list]:
    state, ended = CustomerState("c1"), []
    for body in bodies:
        state, closed, _ = apply(state, ANY_EVENT.validate_python(body), TIMEOUT, lateness)
        ended += closed
    return state, ended


def test_cart_adds_and_removes_keep_quantities_and_value():
    """Adding twice and removing once leaves one item and its value."""
    state, _ = run(
        event("cart_item_added", price=20.0),
        event("cart_item_added", price=20.0),
        event("cart_item_removed"),
    )
    assert (state.session.cart_items, state.session.cart_value) == (1, 20.0)
    assert state.profile.cart_adds == 2


def test_an_order_empties_the_cart_and_counts_revenue_gaps_and_discounts():
    """Orders update revenue, discount use and the gap between purchases."""
    state, _ = run(
        event("cart_item_added"),
        event("order_placed", total=40.0, discount_code="SAVE10", discount_amount=4.0),
        event("order_placed", at=timedelta(days=10), total=60.0),
    )
    p = state.profile
    assert (p.orders, p.revenue, p.discount_orders, p.gap_days_total) == (2, 100.0, 1, 10.0)


def test_quiet_longer_than_the_timeout_starts_a_new_session():
    """An event after the timeout ends the previous session and starts another."""
    state, ended = run(event("cart_item_added"), event("page_viewed", at=timedelta(minutes=45)))
    assert len(ended) == 1 and ended[0].cart_items == 1
    assert state.session.cart == () and state.profile.sessions == 2


def test_a_late_event_never_moves_the_session_clock_back():
    """Out-of-order events within the lateness count, but the last activity time stays the latest."""
    state, _ = run(event("page_viewed", at=timedelta(minutes=10)), event("page_viewed", at=timedelta(minutes=5)),
                   lateness=timedelta(minutes=5))
    assert state.session.page_views == 2
    assert state.session.last_event_at.minute == 10


def test_login_sets_traits_and_consent():
    """customer_identified records traits and marketing consent on the profile."""
    state, _ = run(event("customer_identified", traits={"country": "GB", "time_zone": "Europe/London"},
                         marketing_consent=False))
    assert (state.profile.country, state.profile.time_zone, state.profile.consent) == ("GB", "Europe/London", False)


def test_favourite_categories_stay_bounded():
    """The profile keeps only the top five categories."""
    bodies = [event("product_viewed", category=f"cat{i}") for i in range(8)]
    state, _ = run(*bodies)
    assert len(state.profile.categories) == 5


def test_an_order_read_before_its_visit_still_marks_the_session_purchased():
    """Orders arrive on another topic: one read early still belongs to the visit it ended."""
    state, _ = run(
        event("order_placed", at=timedelta(minutes=5)),
        event("page_viewed"),
        event("cart_item_added", at=timedelta(minutes=2)),
        event("checkout_started", at=timedelta(minutes=4)),
    )
    assert state.session.purchased


def test_an_order_after_the_visit_ended_does_not_mark_it():
    """A purchase long after a visit belongs to a later visit, not that one."""
    state, _ = run(event("order_placed", at=timedelta(hours=3)), event("cart_item_added"))
    assert not state.session.purchased


def test_visits_and_orders_are_counted_by_local_hour_weekday_and_month():
    """Habits are kept in the customer's own time zone once it is known."""
    state, _ = run(
        event("customer_identified", traits={"time_zone": "America/New_York"}),
        event("order_placed", at=timedelta(minutes=5)),
    )
    p = state.profile  # T0 is Monday 2026-03-02 10:00 UTC = 05:00 in New York
    assert p.visit_hours[10] == 1 and sum(p.visit_hours) == 1  # the visit began before the login
    assert p.order_hours[5] == 1 and p.order_weekdays[0] == 1 and p.order_months[2] == 1


def test_ended_sessions_add_their_length():
    """A session's duration counts toward the customer's total when it ends."""
    state, _ = run(event("page_viewed"), event("page_viewed", at=timedelta(minutes=10)),
                   event("page_viewed", at=timedelta(hours=2)))
    assert state.profile.session_seconds == 600.0
