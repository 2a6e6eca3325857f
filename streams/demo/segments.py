"""The demo shop as a history for the behavioural segments: its clickstream through the core's pure functions.

Every simulated customer (:mod:`streams.demo.simulate`) follows one journey of a known kind — a
loyal buyer, a bargain hunter, a looker, a cart or checkout abandoner, a researcher — so the
segments found can be compared with the kinds that made the data. The events go through
:func:`streams.core.lifecycle.receive` and :func:`~streams.core.lifecycle.advance` exactly as the
worker applies them, and the model learns the customer's profile (as
:func:`~streams.core.insights.facts_of` reads it) each time one of their visits ends — as the
worker's does.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from models.customer_facts import CustomerFacts
from models.segment_evaluation import History
from offers import default_policy
from streams.core.insights import facts_of
from streams.core.lifecycle import Rules, SessionEnded, advance, receive
from streams.core.state import CustomerState
from streams.demo.simulate import in_time_order, simulate

START = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def demo_history(customers: int = 2000, *, seed: int = 13, days: float = 7.0) -> History:
    """``customers`` simulated shoppers spread over ``days``, as learning moments and final facts."""
    shoppers = simulate(customers, seed=seed, start=START, pace=timedelta(minutes=1), spread=timedelta(days=days))
    rules = Rules(session_timeout=timedelta(minutes=30), browse_views_threshold=3)
    policy = default_policy()
    states: dict[str, CustomerState] = {}
    moments: list[tuple[str, CustomerFacts]] = []

    def ended(state: CustomerState, effects: list[object]) -> None:
        for effect in effects:
            if isinstance(effect, SessionEnded):
                moments.append((state.customer_id, facts_of(state.customer_id, state.profile)))

    for event in in_time_order(shoppers):
        state = states.get(event.customer_id) or CustomerState(event.customer_id)
        state, due = advance(state, event.occurred_at, rules, policy, now=event.occurred_at)
        state, more = receive(state, event, rules)
        states[event.customer_id] = state
        ended(state, [*due, *more])
    end = START + timedelta(days=days + 1)
    for customer_id, state in list(states.items()):
        state, effects = advance(state, end, rules, policy, now=end)
        states[customer_id] = state
        ended(state, list(effects))
    final = {customer_id: facts_of(customer_id, state.profile) for customer_id, state in states.items()}
    return History(moments, final, truth={s.customer_id: s.persona.name for s in shoppers})
