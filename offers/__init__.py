"""Pure offer logic: abandonment detection, offer policy and the trigger record."""

from offers.abandonment import AbandonmentKind, Interest, abandoned
from offers.policy import POLICY_VERSION, Customer, Decision, decide
from offers.triggers import Incentive, OfferTrigger, Product, Reason, json_schema, offer_id

__all__ = [
    "POLICY_VERSION",
    "AbandonmentKind",
    "Customer",
    "Decision",
    "Incentive",
    "Interest",
    "OfferTrigger",
    "Product",
    "Reason",
    "abandoned",
    "decide",
    "json_schema",
    "offer_id",
]
