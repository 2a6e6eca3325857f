"""The offers' results as ``tracker offers report``, ``GET /offers`` and the page show them: one computation.

The uplift is read from the profiles' exact totals (offers and conversions of the treated and
the hold-out groups), the same way everywhere, so the CLI, the API and the page agree to the
last offer.  How to read it: docs/offers.md, "How to read the uplift".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from offers import Uplift
from streams.core.state import Profile

#: Where the page links for how to read the uplift.
HOW_TO_READ = "docs/offers.md, \"How to read the uplift\""


def uplift_of(profiles: Iterable[Profile]) -> tuple[Uplift, int]:
    """The treated and hold-out groups' offers and conversions over ``profiles``, and how many profiles."""
    treated = treated_conversions = holdout = holdout_conversions = customers = 0
    for profile in profiles:
        customers += 1
        treated += profile.offers
        treated_conversions += profile.conversions
        holdout += profile.holdouts
        holdout_conversions += profile.holdout_conversions
    return Uplift(treated, treated_conversions, holdout, holdout_conversions), customers


def report_json(uplift: Uplift, customers: int) -> dict[str, Any]:
    """The report as JSON-ready data (``tracker offers report --json`` and ``GET /offers``'s ``report``).

    >>> report_json(Uplift(900, 90, 100, 5), 1000)["offers"]
    1000
    """
    return {
        "customers": customers,
        "offers": uplift.treated_offers + uplift.holdout_offers,
        "treated": {"offers": uplift.treated_offers, "conversions": uplift.treated_conversions,
                    "rate": uplift.treated_rate},
        "holdout": {"offers": uplift.holdout_offers, "conversions": uplift.holdout_conversions,
                    "rate": uplift.holdout_rate},
        "absolute_uplift": uplift.absolute_uplift,
        "relative_uplift": uplift.relative_uplift,
        "confidence_interval_95": uplift.confidence_interval(),
    }
