"""The demo's shop with a past: months of history, then today's visits, the same for a seed."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from streams.core.events import OrderPlaced, OrderRefunded
from streams.demo.history import KINDS, Past, passer_by, shop_with_history
from streams.demo.messages import shop_messages

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
PAST = Past(NOW - timedelta(days=180), NOW - timedelta(days=1))


def shop(seed: int = 7, live_start: datetime = NOW):  # type: ignore[no-untyped-def]
    return shop_with_history(200, seed=seed, past=PAST, live_start=live_start, live_spread=timedelta(seconds=8),
                             pace=timedelta(seconds=0.4), session_timeout=timedelta(seconds=3))[0]


def test_most_shoppers_have_months_of_history_and_some_come_back_today():
    shoppers = shop()
    history = [e for s in shoppers for e in s.events if e.occurred_at < NOW]
    today = [s for s in shoppers if any(e.occurred_at >= NOW for e in s.events)]
    assert min(e.occurred_at for e in history) < NOW - timedelta(days=150)
    assert max(e.occurred_at for e in history) <= PAST.end + timedelta(hours=1)
    assert 0.3 * len(shoppers) < len(today) < 0.8 * len(shoppers)
    assert all(e.occurred_at <= NOW + timedelta(seconds=30) for s in today for e in s.events)
    assert {s.persona for s in shoppers} == {k.name for k in KINDS}


def test_the_kinds_leave_the_traces_that_make_them_who_they_are():
    shoppers = shop()
    orders = Counter(s.persona for s in shoppers for e in s.events if isinstance(e, OrderPlaced) and e.occurred_at < NOW)
    refunds = Counter(s.persona for s in shoppers for e in s.events if isinstance(e, OrderRefunded))
    assert orders["loyal buyer"] > orders["one-time buyer"] and "looker" not in orders
    assert set(refunds) == {"serial returner"}
    drifting = [s for s in shoppers if s.persona == "big spender drifting away"]
    last_orders = [max(e.occurred_at for e in s.events if isinstance(e, OrderPlaced) and e.occurred_at < NOW)
                   for s in drifting]
    assert drifting and all(at < NOW - timedelta(days=80) for at in last_orders)


def test_only_todays_abandonments_are_expected_and_a_seed_gives_the_same_shop():
    shoppers = shop()
    assert all(kind in {"cart_abandoned", "checkout_abandoned", "browse_abandoned"} for s in shoppers
               for _, kind in s.expected)
    assert sum(len(s.expected) for s in shoppers) == sum(
        1 for s in shoppers if s.expected and any(e.occurred_at >= NOW for e in s.events))
    assert list(shop_messages(shop())) == list(shop_messages(shop()))
    # Today's visits move with the live start; the history does not.
    later = shop(live_start=NOW + timedelta(minutes=5))
    assert [e for s in later for e in s.events if e.occurred_at < NOW] == [
        e for s in shoppers for e in s.events if e.occurred_at < NOW]


def test_a_passer_by_lands_once_and_leaves_nothing_to_offer():
    visitor = passer_by(3, seed=1, at=NOW, pace=timedelta(seconds=0.1))
    assert visitor.user_id is None and visitor.visits == 1 and not visitor.expected
    assert visitor.events[0].type == "page_viewed"


def test_the_shop_s_prices_and_orders_are_in_the_currency_it_is_given():
    """A dollar shop's orders, checkouts and spec messages say USD, nowhere GBP."""
    shoppers = shop_with_history(60, seed=3, past=PAST, live_start=NOW, live_spread=timedelta(seconds=8),
                                 pace=timedelta(seconds=0.4), session_timeout=timedelta(seconds=3),
                                 currency="USD")[0]
    stated = {e.currency for s in shoppers for e in s.events if getattr(e, "currency", None)}
    messages = list(shop_messages(shoppers))
    in_messages = {m["properties"]["currency"].upper() for m in messages
                   if m.get("type") == "track" and m["properties"].get("currency")}
    assert any(isinstance(e, OrderPlaced) for s in shoppers for e in s.events)
    assert stated == {"USD"} and in_messages == {"USD"}
