"""A customer's cart across visits, as a function of event time.

The cart belongs to the customer, not to a visit: filled in one visit, it is still there
when they come back to check out, until an order empties it, its items are removed, or
nothing touches it for the cart TTL (14 days by default, judged in event time).  A
*snapshot* — a ``checkout_started`` or ``cart_viewed`` that carries ``products`` — says
what the cart holds and replaces what was known.

The rule that makes the cart independent of arrival order (the one
:mod:`streams.core.visits` states for visits): the cart is the fold, in event-time order,
of its changes (adds, removes, snapshots, orders).  Changes are kept as a short log
(:attr:`Cart.recent`) until they are older than the *horizon* — the customer's newest event
minus the allowed lateness, and never past the last event of a visit still open — and only
then folded into :attr:`Cart.lines`:

* an event that arrives within the lateness is never older than the horizon, so it takes
  its place in the log and the fold is that of the sorted stream: an order read after an
  add that happened later empties only what came before it, and an add older than a
  snapshot read before it is not counted;
* an open visit's abandonment is decided on the cart as of its last event
  (:func:`cart_at`), which the log still holds when the visit closes;
* an add or remove older than the horizon (late) is folded in directly unless a snapshot
  or order newer than it is already folded (then the cart was replaced after it); a late
  snapshot or order replaces the folded cart.  Only these later-than-late cases can differ
  from the sorted stream.

Expiry is part of the fold: a change more than the TTL after the previous one starts from
an empty cart, and a cart is empty as of any time more than the TTL after its last change.
Two changes at the same instant are folded replacement first, then by content, so ties
do not depend on arrival either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from streams.core.frozen import replace
from streams.core.state import CART_TTL, Cart, CartChange, CartLine

__all__ = ["cart_and_value", "cart_at", "cart_value", "change", "merge_carts", "settle"]


def _order_key(change: CartChange) -> tuple[object, ...]:
    lines = tuple((line.product_id, line.quantity, line.price, line.category or "") for line in change.lines)
    return (change.at, not change.replaces, lines, -1.0 if change.value is None else change.value)


def change(cart: Cart, new: CartChange, horizon: datetime | None, ttl: timedelta = CART_TTL) -> Cart:
    """``cart`` with one more change: logged in its place, or folded in at once when older than ``horizon``.

    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 3, 2, 10, tzinfo=timezone.utc)
    >>> add = CartChange(t, (CartLine("p1", 2, 5.0),))
    >>> order = CartChange(t - timedelta(minutes=1), (), replaces=True)
    >>> cart = change(change(Cart(), add, None), order, None)  # the order happened first
    >>> cart_at(cart, t + timedelta(hours=1))
    (CartLine(product_id='p1', quantity=2, price=5.0, category=None),)
    """
    if horizon is not None and new.at < horizon:
        return _late(cart, new, ttl)
    if cart.recent and _order_key(new) < _order_key(cart.recent[-1]):
        return replace(cart, recent=tuple(sorted((*cart.recent, new), key=_order_key)))
    return replace(cart, recent=(*cart.recent, new))  # in order, the usual case: it goes last


def settle(cart: Cart, horizon: datetime, ttl: timedelta = CART_TTL) -> Cart:
    """Fold in the changes older than ``horizon``; an expired cart is emptied.

    What is folded no late-enough event can come before any more, so folding early or late
    gives the same cart (the module's rule).
    """
    if not cart.recent or cart.recent[0].at >= horizon:
        if cart.lines and cart.changed_at is not None and horizon - cart.changed_at > ttl:
            return replace(cart, lines=(), changed_at=None, value=None)
        return cart
    folded = [c for c in cart.recent if c.at < horizon]
    lines, replaced_at, changed_at, value = _fold(cart, folded, ttl)
    if lines and changed_at is not None and horizon - changed_at > ttl:
        lines, changed_at, value = (), None, None
    return Cart(lines, replaced_at, changed_at, value, cart.recent[len(folded):])


def cart_at(cart: Cart, at: datetime, ttl: timedelta = CART_TTL) -> tuple[CartLine, ...]:
    """The products in the cart as of event time ``at`` (empty once it has expired by then)."""
    return _as_of(cart, at, ttl)[0]


def cart_value(cart: Cart, at: datetime, ttl: timedelta = CART_TTL) -> float:
    """The cart's value as of ``at``: its priced lines, or the shop's own value of an unpriced snapshot."""
    return _value_of(*_as_of(cart, at, ttl))


def cart_and_value(cart: Cart, at: datetime, ttl: timedelta = CART_TTL) -> tuple[tuple[CartLine, ...], float]:
    """:func:`cart_at` and :func:`cart_value` from one fold of the log (an ended visit needs both)."""
    lines, value = _as_of(cart, at, ttl)
    return lines, _value_of(lines, value)


def _value_of(lines: tuple[CartLine, ...], value: float | None) -> float:
    priced = round(sum((line.price * line.quantity for line in lines)), 2)
    return priced if priced or value is None or not lines else round(value, 2)


def merge_carts(into: Cart, other: Cart) -> Cart:
    """One cart from two histories of one person (a visitor's, at login): their lines add up."""
    if other == Cart():
        return into
    lines = into.lines
    for line in other.lines:
        lines = _with(lines, line.product_id, line.quantity, line.price or None, line.category)
    times = [t for t in (into.replaced_at, other.replaced_at) if t is not None]
    changed = [t for t in (into.changed_at, other.changed_at) if t is not None]
    recent = sorted((*into.recent, *other.recent), key=_order_key)
    return Cart(lines, max(times, default=None), max(changed, default=None), None, tuple(recent))


def _as_of(cart: Cart, at: datetime, ttl: timedelta) -> tuple[tuple[CartLine, ...], float | None]:
    lines, _, changed_at, value = _fold(cart, (c for c in cart.recent if c.at <= at), ttl)
    if changed_at is None or at - changed_at > ttl:
        return (), None
    return lines, value


def _fold(
    cart: Cart, changes: Iterable[CartChange], ttl: timedelta
) -> tuple[tuple[CartLine, ...], datetime | None, datetime | None, float | None]:
    lines, replaced_at, changed_at, value = cart.lines, cart.replaced_at, cart.changed_at, cart.value
    for c in changes:
        if c.replaces:
            lines, replaced_at, changed_at, value = _only_filled(c.lines), c.at, c.at, c.value
            continue
        if changed_at is not None and c.at - changed_at > ttl:
            lines, value = (), None  # the cart had expired before this change
        for line in c.lines:
            lines = _with(lines, line.product_id, line.quantity, line.price or None, line.category)
        changed_at, value = c.at, None
    return lines, replaced_at, changed_at, value


def _late(cart: Cart, new: CartChange, ttl: timedelta) -> Cart:
    """A change older than the horizon: folded in now, as well as its place can still be known."""
    if cart.replaced_at is not None and new.at <= cart.replaced_at:
        return cart  # the cart was replaced after it
    if new.replaces:
        changed = max(new.at, cart.changed_at) if cart.changed_at else new.at
        return replace(cart, lines=_only_filled(new.lines), replaced_at=new.at, changed_at=changed, value=new.value)
    lines = cart.lines
    if cart.changed_at is not None and new.at - cart.changed_at > ttl:
        lines = ()  # the folded cart had expired before this change
    for line in new.lines:
        lines = _with(lines, line.product_id, line.quantity, line.price or None, line.category)
    changed = max(new.at, cart.changed_at) if cart.changed_at else new.at
    return replace(cart, lines=lines, changed_at=changed, value=None)


def _only_filled(lines: tuple[CartLine, ...]) -> tuple[CartLine, ...]:
    merged: tuple[CartLine, ...] = ()
    for line in lines:
        merged = _with(merged, line.product_id, line.quantity, line.price or None, line.category)
    return merged


def _with(
    lines: tuple[CartLine, ...], product_id: str, quantity: int, price: float | None, category: str | None
) -> tuple[CartLine, ...]:
    """``lines`` with ``quantity`` more (or fewer) of a product; a product removed to zero goes."""
    by_id = {line.product_id: line for line in lines}
    line = by_id.get(product_id, CartLine(product_id, 0, 0.0))
    left = max(line.quantity + quantity, 0)
    if left:
        by_id[product_id] = CartLine(product_id, left, line.price if price is None else price,
                                     category or line.category)
    else:
        by_id.pop(product_id, None)
    return tuple(line for _, line in sorted(by_id.items()))
