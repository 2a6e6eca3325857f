"""The one-visit simulated shoppers the benchmarks and segment evaluation run on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from streams.core.events import OrderPlaced
from streams.demo.simulate import simulate

START = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


def test_orders_are_in_the_currency_the_shop_is_given():
    """Orders say the currency asked for, and pounds when none is."""
    def currencies(**currency: str) -> set[str | None]:
        shoppers = simulate(40, seed=2, start=START, pace=timedelta(seconds=5), spread=timedelta(hours=1), **currency)
        return {e.currency for s in shoppers for e in s.events if isinstance(e, OrderPlaced)}

    assert currencies(currency="EUR") == {"EUR"}
    assert currencies() == {"GBP"}
