"""Which kind of interest a finished session abandoned, if any.

A session that ended without a purchase abandoned its strongest sign of interest:
a started checkout beats a filled cart, which beats repeated product views.
"""

from __future__ import annotations

from dataclasses import dataclass

from offers.vocabulary import AbandonmentKind

__all__ = ["AbandonmentKind", "Interest", "abandoned"]


@dataclass(frozen=True, slots=True)
class Interest:
    """What a session showed of the customer's interest, in plain values."""

    #: What the customer's cart holds as the session ends (it may have been filled in an earlier one).
    cart_items: int
    cart_value: float
    checkout_started: bool
    purchased: bool
    product_views: int
    most_views_of_one_product: int
    #: Whether this session itself put something in the cart: an old cart alone is no new interest.
    cart_added: bool = True


def abandoned(interest: Interest, *, browse_views_threshold: int = 3) -> AbandonmentKind | None:
    """The kind of interest an ended session abandoned, or ``None``.

    A started checkout with something in the cart beats a cart the session filled, which
    beats repeated views of one product; a cart filled in an earlier session triggers
    again only with a new checkout.

    >>> cart = Interest(cart_items=2, cart_value=40.0, checkout_started=False,
    ...                 purchased=False, product_views=3, most_views_of_one_product=1)
    >>> abandoned(cart)
    <AbandonmentKind.CART: 'cart_abandoned'>
    >>> from dataclasses import replace
    >>> abandoned(replace(cart, purchased=True)) is None
    True
    >>> abandoned(replace(cart, cart_items=0, cart_value=0.0, most_views_of_one_product=3))
    <AbandonmentKind.BROWSE: 'browse_abandoned'>
    >>> abandoned(replace(cart, cart_added=False)) is None  # yesterday's cart, nothing new today
    True
    >>> abandoned(replace(cart, cart_added=False, checkout_started=True))
    <AbandonmentKind.CHECKOUT: 'checkout_abandoned'>
    """
    if interest.purchased:
        return None
    if interest.checkout_started and interest.cart_items > 0:
        return AbandonmentKind.CHECKOUT
    if interest.cart_added and interest.cart_items > 0:
        return AbandonmentKind.CART
    if interest.most_views_of_one_product >= browse_views_threshold:
        return AbandonmentKind.BROWSE
    return None
