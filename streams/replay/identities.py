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
from datetime import datetime

from streams.core.events import AnyEvent, CustomerIdentified

__all__ = ["Logins"]


class Logins:
    """The logins of a history: which visitors log in, when, as whom (see the module).

    Filled as the file is read (:meth:`add` every event), then asked whose a visitor's event is
    (:meth:`customer_of`), so that the events themselves need not be held meanwhile.

    >>> from datetime import timezone
    >>> def at(hour): return datetime(2024, 3, 1, hour, tzinfo=timezone.utc)
    >>> logins = Logins()
    >>> logins.add(CustomerIdentified(type="customer_identified", event_id="l", customer_id="u-1",
    ...                               anonymous_id="d-1", occurred_at=at(11)))
    >>> "d-1" in logins, "d-9" in logins, logins.customer_of("d-1", at(10)), logins.customer_of("d-1", at(12))
    (True, False, 'u-1', 'u-1')
    """

    def __init__(self) -> None:
        self._seen: dict[str, list[tuple[datetime, str]]] = {}
        self._ordered: dict[str, tuple[list[datetime], list[str]]] = {}

    def add(self, event: AnyEvent) -> None:
        """Note ``event`` if it is a login: a visitor identified as another customer."""
        if isinstance(event, CustomerIdentified) and event.anonymous_id and event.anonymous_id != event.customer_id:
            self._seen.setdefault(event.anonymous_id, []).append((event.occurred_at, event.customer_id))
            self._ordered.pop(event.anonymous_id, None)

    def __bool__(self) -> bool:
        return bool(self._seen)

    def __contains__(self, visitor: str) -> bool:
        return visitor in self._seen

    def customer_of(self, visitor: str, at: datetime) -> str:
        """The customer a logged-in visitor's event at ``at`` is: the one they log in as next, else last."""
        ordered = self._ordered.get(visitor)
        if ordered is None:
            seen = sorted(self._seen[visitor])
            ordered = self._ordered[visitor] = ([moment for moment, _ in seen], [user for _, user in seen])
        moments, users = ordered
        return users[min(bisect_left(moments, at), len(users) - 1)]
