"""Pure offer logic: abandonment, targeting policy and guard rails, triggers, outcomes, uplift."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offers.abandonment import Interest, abandoned
    from offers.codes import incentive_code
    from offers.errors import OfferError, PolicyError
    from offers.holdout import in_holdout
    from offers.outcomes import ActiveOffer, OfferOutcome, Outcome, expired, outcome_of_purchase
    from offers.policy import POLICY_VERSION, Action, Decision, Policy
    from offers.policy_file import default_policy, load_policy, parse_policy
    from offers.quiet_hours import QuietHours, zone_of
    from offers.targeting import Bound, Customer, Rule
    from offers.triggers import Incentive, OfferTrigger, Product, Reason, json_schema, offer_id
    from offers.uplift import Uplift, tally
    from offers.vocabulary import (
        ABANDONMENT_KINDS,
        BEHAVIOUR_TRAITS,
        CUSTOMER_TYPES,
        INCENTIVE_TYPES,
        SEGMENTS,
        AbandonmentKind,
        CustomerType,
        IncentiveType,
        Segment,
    )

#: The module of each public name. A name is imported on first use, not with the package: the command
#: line catches `offers.errors.PolicyError` without importing the vocabulary, which pulls in the
#: models (river, scipy: a second or two of start-up).
_HOMES: dict[str, tuple[str, ...]] = {
    "offers.abandonment": ("Interest", "abandoned"),
    "offers.codes": ("incentive_code",),
    "offers.errors": ("OfferError", "PolicyError"),
    "offers.holdout": ("in_holdout",),
    "offers.outcomes": ("ActiveOffer", "OfferOutcome", "Outcome", "expired", "outcome_of_purchase"),
    "offers.policy": ("POLICY_VERSION", "Action", "Decision", "Policy"),
    "offers.policy_file": ("default_policy", "load_policy", "parse_policy"),
    "offers.quiet_hours": ("QuietHours", "zone_of"),
    "offers.targeting": ("Bound", "Customer", "Rule"),
    "offers.triggers": ("Incentive", "OfferTrigger", "Product", "Reason", "json_schema", "offer_id"),
    "offers.uplift": ("Uplift", "tally"),
    "offers.vocabulary": (
        "ABANDONMENT_KINDS",
        "BEHAVIOUR_TRAITS",
        "CUSTOMER_TYPES",
        "INCENTIVE_TYPES",
        "SEGMENTS",
        "AbandonmentKind",
        "CustomerType",
        "IncentiveType",
        "Segment",
    ),
}

__all__ = [
    "ABANDONMENT_KINDS",
    "BEHAVIOUR_TRAITS",
    "CUSTOMER_TYPES",
    "INCENTIVE_TYPES",
    "POLICY_VERSION",
    "SEGMENTS",
    "AbandonmentKind",
    "Action",
    "ActiveOffer",
    "Bound",
    "Customer",
    "CustomerType",
    "Decision",
    "Incentive",
    "IncentiveType",
    "Interest",
    "OfferError",
    "OfferOutcome",
    "OfferTrigger",
    "Outcome",
    "Policy",
    "PolicyError",
    "Product",
    "QuietHours",
    "Reason",
    "Rule",
    "Segment",
    "Uplift",
    "abandoned",
    "default_policy",
    "expired",
    "in_holdout",
    "incentive_code",
    "json_schema",
    "load_policy",
    "offer_id",
    "outcome_of_purchase",
    "parse_policy",
    "tally",
    "zone_of",
]


if not TYPE_CHECKING:  # the type checker reads the imports above instead
    from models.lazy_names import lazy_names

    __getattr__ = lazy_names(globals(), _HOMES)
