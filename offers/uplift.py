"""The offers' uplift: how much more the treated group buys than the hold-out group.

A *conversion* here is any purchase within the offer's window, whether or not the
customer used the code (outcomes ``converted`` and ``cancelled``).  The hold-out group
never got a code, so counting only code use for the treated group would compare unlike
with unlike; this is the intent-to-treat comparison an A/B test makes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace

from offers.outcomes import OfferOutcome, Outcome

#: Outcomes that mean "bought within the window".
PURCHASES: frozenset[Outcome] = frozenset({"converted", "cancelled"})
#: Two-sided 95 % normal quantile, for the confidence interval.
Z95 = 1.959964


@dataclass(frozen=True, slots=True)
class Uplift:
    """Counters of offers and conversions in the treated and hold-out groups.

    Examples
    --------
    >>> u = Uplift(treated_offers=900, treated_conversions=90, holdout_offers=100, holdout_conversions=5)
    >>> u.treated_rate, u.holdout_rate
    (0.1, 0.05)
    >>> round(u.absolute_uplift, 3), round(u.relative_uplift, 3)
    (0.05, 1.0)
    """

    treated_offers: int = 0
    treated_conversions: int = 0
    holdout_offers: int = 0
    holdout_conversions: int = 0

    def offered(self, *, holdout: bool) -> Uplift:
        """These counters with one more offer in the given group.

        >>> Uplift().offered(holdout=True).holdout_offers
        1
        """
        if holdout:
            return replace(self, holdout_offers=self.holdout_offers + 1)
        return replace(self, treated_offers=self.treated_offers + 1)

    def converted(self, *, holdout: bool) -> Uplift:
        """These counters with one more conversion in the given group.

        >>> Uplift(treated_offers=1).converted(holdout=False).treated_conversions
        1
        """
        if holdout:
            return replace(self, holdout_conversions=self.holdout_conversions + 1)
        return replace(self, treated_conversions=self.treated_conversions + 1)

    @property
    def treated_rate(self) -> float | None:
        """Conversions per treated offer; ``None`` before the first one."""
        return _rate(self.treated_conversions, self.treated_offers)

    @property
    def holdout_rate(self) -> float | None:
        """Conversions per held-out offer; ``None`` before the first one."""
        return _rate(self.holdout_conversions, self.holdout_offers)

    @property
    def absolute_uplift(self) -> float | None:
        """Treated rate minus hold-out rate (a difference of shares: 0.05 is 5 points)."""
        if self.treated_rate is None or self.holdout_rate is None:
            return None
        return self.treated_rate - self.holdout_rate

    @property
    def relative_uplift(self) -> float | None:
        """Absolute uplift over the hold-out rate; ``None`` while the hold-out rate is 0."""
        if self.absolute_uplift is None or not self.holdout_rate:
            return None
        return self.absolute_uplift / self.holdout_rate

    def confidence_interval(self) -> tuple[float, float] | None:
        """A 95 % interval for the absolute uplift: Newcombe's hybrid score interval.

        Built from each group's Wilson interval (Newcombe 1998, method 10), so it stays honest
        with few offers or rates near 0 — the normal approximation would call 0 of 7 held-out
        conversions a certain 0 %.  Newcombe's own example, 56/70 against 48/80:

        >>> low, high = Uplift(70, 56, 80, 48).confidence_interval()
        >>> round(low, 4), round(high, 4)
        (0.0524, 0.3339)
        >>> low, high = Uplift(900, 90, 100, 5).confidence_interval()
        >>> round(low, 3), round(high, 3)
        (-0.014, 0.086)
        """
        if self.absolute_uplift is None or self.treated_rate is None or self.holdout_rate is None:
            return None
        treated, holdout = self.treated_rate, self.holdout_rate
        treated_low, treated_high = _wilson(self.treated_conversions, self.treated_offers)
        holdout_low, holdout_high = _wilson(self.holdout_conversions, self.holdout_offers)
        below = math.hypot(treated - treated_low, holdout_high - holdout)
        above = math.hypot(treated_high - treated, holdout - holdout_low)
        return self.absolute_uplift - below, self.absolute_uplift + above

    def format_report(self) -> str:
        """A plain-text table of both groups and the uplift, for people.

        >>> print(Uplift(900, 90, 100, 5).format_report())
        group     offers  conversions    rate
        treated      900           90  10.0 %
        hold-out     100            5   5.0 %
        uplift    +5.0 points (95 % CI -1.4 to +8.6), relative +100 %
        """
        rows = [
            ("treated", self.treated_offers, self.treated_conversions, self.treated_rate),
            ("hold-out", self.holdout_offers, self.holdout_conversions, self.holdout_rate),
        ]
        lines = [f"{'group':<8} {'offers':>7}  {'conversions':>11}  {'rate':>6}"]
        for name, offers, converted, rate in rows:
            lines.append(f"{name:<8} {offers:>7}  {converted:>11}  {_percent(rate):>6}")
        lines.append(f"{'uplift':<8}  {self._uplift_text()}")
        return "\n".join(lines)

    def _uplift_text(self) -> str:
        if self.absolute_uplift is None:
            return "not measurable yet (each group needs at least one offer)"
        text = f"{self.absolute_uplift * 100:+.1f} points"
        interval = self.confidence_interval()
        if interval is not None:
            text += f" (95 % CI {interval[0] * 100:+.1f} to {interval[1] * 100:+.1f})"
        if self.relative_uplift is not None:
            text += f", relative {self.relative_uplift * 100:+.0f} %"
        return text


def tally(outcomes: Iterable[OfferOutcome]) -> Uplift:
    """Uplift counters from the final outcome of each offer (one record per offer).

    >>> from datetime import UTC, datetime
    >>> at = datetime(2026, 1, 1, tzinfo=UTC)
    >>> records = [OfferOutcome(offer_id=f"of-{i}", customer_id="c", outcome=o, kind="cart_abandoned",
    ...                         occurred_at=at, holdout=h)
    ...            for i, (o, h) in enumerate([("converted", False), ("cancelled", False),
    ...                                        ("expired", False), ("expired", True)])]
    >>> tally(records)
    Uplift(treated_offers=3, treated_conversions=2, holdout_offers=1, holdout_conversions=0)
    """
    uplift = Uplift()
    for record in outcomes:
        uplift = uplift.offered(holdout=record.holdout)
        if record.outcome in PURCHASES:
            uplift = uplift.converted(holdout=record.holdout)
    return uplift


def _wilson(conversions: int, offers: int) -> tuple[float, float]:
    """Wilson's 95 % score interval for a share; never outside [0, 1], and not empty at 0 of n.

    >>> low, high = _wilson(0, 7)
    >>> low, round(high, 3)
    (0.0, 0.354)
    """
    rate, z2 = conversions / offers, Z95 * Z95
    centre = (rate + z2 / (2 * offers)) / (1 + z2 / offers)
    half = Z95 / (1 + z2 / offers) * math.sqrt(rate * (1 - rate) / offers + z2 / (4 * offers * offers))
    return max(0.0, centre - half), min(1.0, centre + half)


def _rate(conversions: int, offers: int) -> float | None:
    return conversions / offers if offers else None


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f} %"
