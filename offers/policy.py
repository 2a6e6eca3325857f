"""Offer policy: whether an abandonment earns a trigger, with which incentive, and when.

The checks run in a fixed order, each one able to stop the offer and say why:

1. consent: an explicit "no" to marketing → ``suppress`` (``no_consent``);
2. frequency cap: an offer within the cap → ``suppress`` (``frequency_cap``);
3. targeting: the first matching rule picks the incentive, or says "no offer";
4. hold-out: a deterministic share of customers → ``hold_out`` (tracked, not sent);
5. quiet hours in the customer's time zone → ``defer`` until they end;
6. otherwise → ``send``.

The policy itself is data (see ``default_policy.toml`` and :mod:`offers.policy_file`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from offers.codes import incentive_code
from offers.holdout import in_holdout
from offers.quiet_hours import QuietHours, zone_of
from offers.targeting import Customer, Rule, first_match
from offers.triggers import Incentive, Reason
from offers.vocabulary import AbandonmentKind

__all__ = [
    "CALLS_TO_ACTION",
    "POLICY_VERSION",
    "Action",
    "Customer",
    "Decision",
    "Policy",
]

#: The version of the shipped default policy (``default_policy.toml`` must say the same).
POLICY_VERSION = "2026-11-targeting-1"

#: ``send`` now; ``suppress`` (no offer, see ``suppressed``); ``hold_out`` (no offer, but
#: tracked as the control group); ``defer`` (send at ``defer_until``, after re-checking).
Action = Literal["send", "suppress", "hold_out", "defer"]

CALLS_TO_ACTION: Mapping[AbandonmentKind, str] = {
    AbandonmentKind.CHECKOUT: "Complete your order within the next hour",
    AbandonmentKind.CART: "Your basket is waiting: buy within the next hour",
    AbandonmentKind.BROWSE: "Still thinking about it? It's yours within the next hour",
}
VALIDITY = timedelta(minutes=60)
FREQUENCY_CAP = timedelta(hours=24)
HOLDOUT_PERCENT = 10.0
HOLDOUT_SALT = "offers-holdout-1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """What an abandonment earns, and why.

    ``rule`` names the targeting rule that chose the incentive, or the guard rail
    (``consent``, ``frequency_cap``) that stopped the offer before targeting.
    ``incentive`` is set for every action but ``suppress``; it carries a code only when
    the decision was asked with an ``offer_id`` and the offer goes (or will go) out.
    """

    action: Action
    rule: str
    policy_version: str
    incentive: Incentive | None = None
    suppressed: str | None = None
    defer_until: datetime | None = None
    call_to_action: str = ""
    validity: timedelta = VALIDITY

    def reason(self, customer: Customer) -> Reason:
        """The trigger's ``reason``: the rule, the policy version and what was known.

        >>> Decision(action="send", rule="first_cart", policy_version="v1").reason(
        ...     Customer(customer_id="c1", customer_types=("new",))).customer_type
        'new'
        """
        return Reason(
            rule=self.rule,
            policy_version=self.policy_version,
            segment=customer.segment,
            customer_type=",".join(customer.customer_types) or None,
            behaviour_segment=customer.behaviour_segment,
            intent=customer.intent,
            loyalty=customer.loyalty,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The whole offer policy as one value: targeting rules and guard rails.

    Examples
    --------
    >>> from datetime import UTC
    >>> policy = Policy(version="v1", rules=(Rule(name="reminder", incentive=Incentive(type="reminder")),),
    ...                 holdout_percent=0)
    >>> noon = datetime(2026, 1, 15, 12, tzinfo=UTC)
    >>> policy.decide(AbandonmentKind.CART, Customer(customer_id="c1"), noon).action
    'send'
    >>> policy.decide(AbandonmentKind.CART, Customer(customer_id="c1", consent=False), noon).suppressed
    'no_consent'
    """

    version: str
    rules: tuple[Rule, ...]
    quiet_hours: QuietHours = QuietHours()
    holdout_percent: float = HOLDOUT_PERCENT
    holdout_salt: str = HOLDOUT_SALT
    frequency_cap: timedelta = FREQUENCY_CAP
    validity: Mapping[AbandonmentKind, timedelta] = field(
        default_factory=lambda: dict.fromkeys(AbandonmentKind, VALIDITY)
    )
    calls_to_action: Mapping[AbandonmentKind, str] = field(default_factory=lambda: dict(CALLS_TO_ACTION))

    def __post_init__(self) -> None:
        if not 0 <= self.holdout_percent <= 100:
            raise ValueError(f"hold-out percent must be between 0 and 100, got {self.holdout_percent!r}")

    def decide(
        self, kind: AbandonmentKind, customer: Customer, now: datetime, *, offer_id: str | None = None
    ) -> Decision:
        """Decide what the abandonment ``kind`` earns ``customer`` at ``now`` (aware).

        Parameters
        ----------
        kind
            What the session abandoned.
        customer
            What is known about the customer.
        now
            The decision time, timezone-aware.
        offer_id
            The offer's stable id; when given, a discount or free-shipping incentive
            carries its code (:func:`offers.codes.incentive_code`).

        Examples
        --------
        >>> from datetime import UTC
        >>> from offers.policy_file import default_policy
        >>> evening = datetime(2026, 1, 15, 22, tzinfo=UTC)
        >>> d = default_policy().decide(AbandonmentKind.CART, Customer(customer_id="c1"), evening,
        ...                             offer_id="of-1")
        >>> d.action, d.rule, d.incentive.type, d.incentive.code, d.defer_until.isoformat()
        ('defer', 'first_cart', 'free_shipping', 'OFFER-55OE4TW2', '2026-01-16T08:00:00+00:00')
        """
        if now.utcoffset() is None:
            raise ValueError(f"decision time must be timezone-aware, got {now!r}")
        kind = AbandonmentKind(kind)
        # Consent unknown means the site never asked at login: offers are reminders of
        # the customer's own basket, so only an explicit "no" stops them.
        if customer.consent is False:
            return self._stop("consent", "no_consent")
        if customer.last_offer_at is not None and now - customer.last_offer_at < self.frequency_cap:
            return self._stop("frequency_cap", "frequency_cap")
        rule = first_match(self.rules, kind, customer)
        if rule is None:
            return self._stop("no_matching_rule", "no_matching_rule")
        if rule.suppress is not None:
            return self._stop(rule.name, rule.suppress)
        assert rule.incentive is not None  # a Rule has exactly one of the two
        validity = self.validity.get(kind, VALIDITY)
        call_to_action = self.calls_to_action.get(kind, CALLS_TO_ACTION[kind])
        incentive = _with_code(rule.incentive, offer_id)
        # Quiet hours come before the hold-out: every customer is deferred alike, so a held-out
        # customer's window opens when the treated offer would have gone out and both groups
        # are measured over the same hours.
        quiet_end = self.quiet_hours.end_after(now, zone_of(customer.time_zone))
        if quiet_end is not None:
            return Decision(action="defer", rule=rule.name, policy_version=self.version, incentive=incentive,
                            defer_until=quiet_end, call_to_action=call_to_action, validity=validity)
        # The hold-out is decided after targeting so that it records the incentive the
        # customer would have had; it gets no code because none was ever issued.
        if in_holdout(customer.customer_id, self.holdout_percent, self.holdout_salt):
            return Decision(
                action="hold_out", rule=rule.name, policy_version=self.version, incentive=rule.incentive,
                call_to_action=call_to_action, validity=validity,
            )
        return Decision(action="send", rule=rule.name, policy_version=self.version, incentive=incentive,
                        call_to_action=call_to_action, validity=validity)

    def _stop(self, rule: str, reason: str) -> Decision:
        return Decision(action="suppress", rule=rule, policy_version=self.version, suppressed=reason)


def _with_code(incentive: Incentive, offer_id: str | None) -> Incentive:
    if offer_id is None or incentive.type == "reminder":
        return incentive
    return incentive.model_copy(update={"code": incentive_code(offer_id)})

