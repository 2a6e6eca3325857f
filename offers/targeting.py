"""Targeting: who the customer is, and the rules that pick an incentive for them.

A rule is a conjunction of conditions on plain profile values.  A condition on a score
(intent, loyalty) or a ratio that is not known yet never holds, so until the models are
trained the rules that need them step aside and profile-based rules decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from offers.triggers import Incentive
from offers.vocabulary import AbandonmentKind

#: The numbers a rule can bound; ``discount_share`` is discount orders / orders.
Measure = Literal["orders", "revenue", "refunds", "discount_share", "intent", "loyalty"]
MEASURES: tuple[str, ...] = get_args(Measure)


@dataclass(frozen=True, slots=True, kw_only=True)
class Customer:
    """What the policy may know about the customer, in plain values.

    ``intent`` and ``loyalty`` are ``None`` until the models can score; ``consent`` is
    ``None`` when the site never asked.
    """

    customer_id: str
    consent: bool | None = None
    last_offer_at: datetime | None = None
    orders: int = 0
    revenue: float = 0.0
    refunds: int = 0
    discount_orders: int = 0
    intent: float | None = None
    loyalty: float | None = None
    segment: str | None = None
    customer_types: tuple[str, ...] = ()
    time_zone: str | None = None
    #: The behavioural segment the worker's model placed the customer in (a stable id such
    #: as ``B3``) and the traits that set that segment apart; ``None`` and ``()`` until placed.
    behaviour_segment: str | None = None
    behaviour_traits: tuple[str, ...] = ()

    @property
    def discount_share(self) -> float | None:
        """Share of orders bought with a discount; ``None`` before the first order.

        >>> Customer(customer_id="c1", orders=4, discount_orders=3).discount_share
        0.75
        """
        return self.discount_orders / self.orders if self.orders else None

    def measure(self, name: Measure) -> float | None:
        """The value of one :data:`Measure`, ``None`` when unknown.

        >>> Customer(customer_id="c1", intent=0.4).measure("intent")
        0.4
        """
        if name == "discount_share":
            return self.discount_share
        value: float | None = getattr(self, name)
        return value


@dataclass(frozen=True, slots=True)
class Bound:
    """``at_least <= measure < below``; either side may be open.

    >>> Bound("intent", at_least=0.5).holds(0.7), Bound("intent", at_least=0.5).holds(None)
    (True, False)
    """

    measure: Measure
    at_least: float | None = None
    below: float | None = None

    def holds(self, value: float | None) -> bool:
        """Whether ``value`` lies within the bound; an unknown value (``None``) never does."""
        if value is None:
            return False
        if self.at_least is not None and value < self.at_least:
            return False
        return self.below is None or value < self.below


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One targeting rule: conditions, then an incentive or a reason to send nothing.

    Empty ``kinds``, ``segments``, ``customer_types`` or ``behaviour_segments`` mean
    "any"; a non-empty one matches when the customer has one of its values.
    ``behaviour_traits`` match when the customer's behavioural segment carries *every*
    one of them (``{"weekend", "bargain_hunter"}``: the weekend bargain hunters).
    ``incentive`` carries no code: the policy derives it per offer.

    Examples
    --------
    >>> looker = Rule(name="low_intent_looker", kinds=frozenset({AbandonmentKind.BROWSE}),
    ...               bounds=(Bound("intent", below=0.1), Bound("orders", below=1)),
    ...               suppress="low_intent")
    >>> looker.matches(AbandonmentKind.BROWSE, Customer(customer_id="v9", intent=0.02))
    True
    >>> looker.matches(AbandonmentKind.BROWSE, Customer(customer_id="v9"))  # no score yet
    False
    >>> weekend = Rule(name="weekend_bargains", behaviour_traits=frozenset({"weekend", "bargain_hunter"}),
    ...                incentive=Incentive(type="percent_off", value=10))
    >>> hunter = Customer(customer_id="c1", behaviour_segment="B2",
    ...                   behaviour_traits=("bargain_hunter", "weekend", "small_basket"))
    >>> weekend.matches(AbandonmentKind.CART, hunter), weekend.matches(AbandonmentKind.CART, Customer(customer_id="c2"))
    (True, False)
    """

    name: str
    kinds: frozenset[AbandonmentKind] = frozenset()
    segments: frozenset[str] = frozenset()
    customer_types: frozenset[str] = frozenset()
    behaviour_segments: frozenset[str] = frozenset()
    behaviour_traits: frozenset[str] = frozenset()
    bounds: tuple[Bound, ...] = ()
    incentive: Incentive | None = None
    suppress: str | None = None
    #: What the rule is for, in the marketer's words (from the policy file).
    why: str = ""

    def __post_init__(self) -> None:
        if (self.incentive is None) == (self.suppress is None):
            raise ValueError(f"rule {self.name!r} needs exactly one of an incentive or a suppress reason")

    def matches(self, kind: AbandonmentKind, customer: Customer) -> bool:
        """Whether every condition of the rule holds for ``customer`` abandoning ``kind``."""
        if self.kinds and kind not in self.kinds:
            return False
        if self.segments and customer.segment not in self.segments:
            return False
        if self.customer_types and self.customer_types.isdisjoint(customer.customer_types):
            return False
        if self.behaviour_segments and customer.behaviour_segment not in self.behaviour_segments:
            return False
        if self.behaviour_traits and not self.behaviour_traits.issubset(customer.behaviour_traits):
            return False
        return all(bound.holds(customer.measure(bound.measure)) for bound in self.bounds)


def first_match(rules: tuple[Rule, ...], kind: AbandonmentKind, customer: Customer) -> Rule | None:
    """The first rule in ``rules`` that matches, or ``None``.

    >>> anyone = Rule(name="reminder", incentive=Incentive(type="reminder"))
    >>> first_match((anyone,), AbandonmentKind.CART, Customer(customer_id="c1")).name
    'reminder'
    """
    return next((rule for rule in rules if rule.matches(kind, customer)), None)
