"""Whose a history's anonymous events are: the customer their visitor logs in as.

Live, the worker learns at a login whose the visitor's browsing was, and merges the visitor's
profile and open visit into the customer's (:mod:`streams.core.merging`).  A replay produces
hours of history in seconds, each partition as fast as it goes: the visitor's partition can run
so far ahead that the worker closes their visit before it reads the login in the customer's
partition, and the visit that spanned the login — the cart filled before it — is split in two,
its abandonment lost.  A file already knows what the live stream learns at the login, so a
replay reads the visitor's events as the customer's: each event of a visitor who logs in
somewhere in the file is the customer's they log in as next, or, after their last login, the
one they logged in as last.  The logins themselves are produced as they are, linking what the
live stream knew of the visitor.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from datetime import datetime

from streams.core.events import AnyEvent, CustomerIdentified

__all__ = ["as_customers"]


def as_customers(events: Sequence[tuple[int, AnyEvent]]) -> list[tuple[int, AnyEvent]]:
    """``events`` (line, event) with each logged-in visitor's events given to their customer (see the module).

    >>> from datetime import timezone
    >>> from streams.core.events import PageViewed
    >>> def at(hour): return datetime(2024, 3, 1, hour, tzinfo=timezone.utc)
    >>> def view(who, hour): return PageViewed(type="page_viewed", event_id=f"v{hour}", customer_id=who,
    ...                                        occurred_at=at(hour), url="/")
    >>> login = CustomerIdentified(type="customer_identified", event_id="l", customer_id="u-1",
    ...                            anonymous_id="d-1", occurred_at=at(11))
    >>> [e.customer_id for _, e in as_customers([(1, view("d-1", 10)), (2, login), (3, view("d-1", 12)),
    ...                                          (4, view("d-9", 10))])]
    ['u-1', 'u-1', 'u-1', 'd-9']
    """
    logins: dict[str, list[tuple[datetime, str]]] = {}
    for _, event in events:
        if isinstance(event, CustomerIdentified) and event.anonymous_id and event.anonymous_id != event.customer_id:
            logins.setdefault(event.anonymous_id, []).append((event.occurred_at, event.customer_id))
    if not logins:
        return list(events)
    moments = {visitor: [at for at, _ in sorted(seen)] for visitor, seen in logins.items()}
    users = {visitor: [user for _, user in sorted(seen)] for visitor, seen in logins.items()}
    out: list[tuple[int, AnyEvent]] = []
    for line, event in events:
        visitor = event.customer_id
        if visitor not in logins or isinstance(event, CustomerIdentified):
            out.append((line, event))
            continue
        at = bisect_left(moments[visitor], event.occurred_at)
        customer = users[visitor][min(at, len(users[visitor]) - 1)]
        out.append((line, event.model_copy(update={"customer_id": customer})))
    return out
