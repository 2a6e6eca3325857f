"""RFM scores (recency, frequency, monetary; 1-5 each) from quantiles learned online, and segments.

Each score is the quintile of the customer's figure among all customers who have bought:
5 for the most recent, most frequent, biggest-spending fifth. Quantiles come from bounded,
mergeable histograms (:mod:`models.quantiles`), so memory does not grow with the number of
customers and each worker's scorer can be merged into one.

Recency is learned as the *time* of the last order, not as days since it: days since the last
order change every day for everyone, while the order of customers by their last order does not,
so the learned distribution stays valid as time passes and ``now`` is needed only to turn days
back into a time.

Customers who have never bought have no RFM scores and no segment: they are visitors, whom the
customer types (a looker, a researcher) describe instead.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal, NamedTuple, TypeAlias, get_args

from models.customer_facts import CustomerFacts
from models.errors import NotFittedError
from models.quantiles import LinearHistogram, LogHistogram

__all__ = ["SEGMENTS", "RFMScore", "RFMScorer", "RFMValues", "Segment", "rfm_values", "segment"]

_DAY = 86400.0

#: The usual RFM segment names, best to worst; the offer policy names segments by them too
#: (:mod:`offers.vocabulary`).
Segment: TypeAlias = Literal[
    "Champions",
    "Loyal",
    "Potential Loyalists",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
]
SEGMENTS: tuple[Segment, ...] = get_args(Segment)

# The usual R against F+M grid: rows are R = 5 .. 1, columns FM = 1 .. 5, where FM is the mean
# of F and M rounded half up. It is the widely used R x F segment map (e.g. "5[4-5]" Champions,
# "[3-4][4-5]" Loyal, "[4-5][2-3]" Potential Loyalists, "51" New, "41" Promising, "33" Need
# Attention, "3[1-2]" About to Sleep, "[1-2][3-4]" At Risk, "[1-2]5" Can't Lose Them) with F
# replaced by FM, and its "[1-2][1-2]" Hibernating split: customers gone longest (R = 1) are Lost.
_GRID: dict[int, tuple[Segment, Segment, Segment, Segment, Segment]] = {
    5: ("New", "Potential Loyalists", "Potential Loyalists", "Champions", "Champions"),
    4: ("Promising", "Potential Loyalists", "Potential Loyalists", "Loyal", "Loyal"),
    3: ("About to Sleep", "About to Sleep", "Need Attention", "Loyal", "Loyal"),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"),
}


class RFMValues(NamedTuple):
    """A buying customer's raw RFM figures."""

    last_order_at: dt.datetime
    orders: int
    monetary: float  # revenue net of refunds, never below 0


@dataclasses.dataclass(frozen=True, slots=True)
class RFMScore:
    """Recency, frequency and monetary scores, 1 (lowest fifth) to 5 (highest fifth)."""

    recency: int
    frequency: int
    monetary: int

    @property
    def code(self) -> str:
        """The scores as the usual three-digit code, e.g. ``"545"``."""
        return f"{self.recency}{self.frequency}{self.monetary}"

    @property
    def segment(self) -> Segment:
        """The RFM segment of these scores (see :func:`segment`)."""
        return segment(self.recency, self.frequency, self.monetary)


def rfm_values(facts: CustomerFacts) -> RFMValues | None:
    """The RFM figures of a customer, ``None`` for one who has never bought.

    Examples
    --------
    >>> at = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    >>> v = rfm_values(CustomerFacts("c1", orders=3, revenue=90.0, refunded=30.0, last_order_at=at))
    >>> v.last_order_at == at, v.orders, v.monetary
    (True, 3, 60.0)
    >>> rfm_values(CustomerFacts("c2", sessions=4)) is None
    True

    """
    if facts.orders <= 0 or facts.last_order_at is None:
        return None
    return RFMValues(facts.last_order_at, facts.orders, facts.net_spend)


def _score(mid_rank: float) -> int:
    # The quintile that holds the customer's mid-rank: customers tied on a figure share a score.
    return min(5, 1 + int(5.0 * mid_rank))


def segment(recency: int, frequency: int, monetary: int) -> Segment:
    """The RFM segment of a customer's scores, from the R against F+M grid.

    ``FM`` is the mean of ``F`` and ``M`` rounded half up; the segment is read off this grid
    (rows ``R``, columns ``FM``)::

              FM=1            2                    3                    4          5
        R=5   New             Potential Loyalists  Potential Loyalists  Champions  Champions
        R=4   Promising       Potential Loyalists  Potential Loyalists  Loyal      Loyal
        R=3   About to Sleep  About to Sleep       Need Attention       Loyal      Loyal
        R=2   Hibernating     Hibernating          At Risk              At Risk    Can't Lose Them
        R=1   Lost            Lost                 At Risk              At Risk    Can't Lose Them

    Raises
    ------
    ValueError
        If a score is not an integer from 1 to 5.

    Examples
    --------
    >>> segment(5, 5, 4), segment(5, 1, 1), segment(1, 5, 5), segment(1, 1, 2), segment(3, 3, 3)
    ('Champions', 'New', "Can't Lose Them", 'Lost', 'Need Attention')

    """
    for name, score in (("recency", recency), ("frequency", frequency), ("monetary", monetary)):
        if score not in (1, 2, 3, 4, 5):
            raise ValueError(f"segment: expected {name} score 1 to 5, found {score!r}")
    fm = (frequency + monetary + 1) // 2
    return _GRID[recency][fm - 1]


class RFMScorer:
    """RFM scores from quintiles of the customers' figures, learned online in bounded memory.

    Learn each buying customer once, and when their figures change take the old ones back out
    with :meth:`unlearn_one` before learning the new ones: the histograms then describe today's
    customers, one entry each, rather than every order ever seen (which would over-weight
    frequent buyers). Scorers of several workers combine with :meth:`merge`.

    Parameters
    ----------
    relative_accuracy
        Relative accuracy of the frequency and monetary quantiles.
    recency_days
        Width of a recency bucket, in days.
    max_buckets
        Memory bound of each of the three histograms. Recency keeps one bucket per
        ``recency_days`` over ``max_buckets`` of them (5.6 years by default) and merges the
        oldest beyond that, where every customer scores R = 1 anyway.

    Examples
    --------
    >>> start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> scorer = RFMScorer()
    >>> for i in range(100):
    ...     _ = scorer.learn_one((start + dt.timedelta(days=i), 1 + i // 10, 10.0 * (i + 1)))
    >>> now = start + dt.timedelta(days=100)
    >>> scorer.score(1.0, 10, 1000.0, now), scorer.score(99.5, 1, 10.0, now)
    (RFMScore(recency=5, frequency=5, monetary=5), RFMScore(recency=1, frequency=1, monetary=1))

    """

    def __init__(
        self, relative_accuracy: float = 0.01, recency_days: float = 1.0, max_buckets: int = 2048
    ) -> None:
        self.relative_accuracy = relative_accuracy
        self.recency_days = recency_days
        self.max_buckets = max_buckets
        # Recency is kept as POSIX days of the last order: larger is more recent.
        self._recency = LinearHistogram(width=recency_days, max_buckets=max_buckets)
        self._frequency = LogHistogram(relative_accuracy, max_buckets=max_buckets, min_value=0.5)
        self._monetary = LogHistogram(relative_accuracy, max_buckets=max_buckets)

    @property
    def n(self) -> int:
        """Number of customers learned (and not unlearned)."""
        return self._frequency.n

    @property
    def buckets(self) -> int:
        """Buckets in use over the three histograms: the memory, at most ``3 * max_buckets``."""
        return self._recency.buckets + self._frequency.buckets + self._monetary.buckets

    @staticmethod
    def _values(x: CustomerFacts | tuple[dt.datetime, int, float]) -> RFMValues | None:
        if isinstance(x, CustomerFacts):
            return rfm_values(x)
        last, orders, monetary = x
        return RFMValues(last, orders, max(float(monetary), 0.0))

    def learn_one(self, x: CustomerFacts | tuple[dt.datetime, int, float]) -> RFMScorer:
        """Count one customer: their facts, or ``(last_order_at, orders, net_spend)``.

        Customers without an order are ignored. Returns ``self``.
        """
        values = self._values(x)
        if values is not None:
            self._recency.update(values.last_order_at.timestamp() / _DAY)
            self._frequency.update(values.orders)
            self._monetary.update(values.monetary)
        return self

    def unlearn_one(self, x: CustomerFacts | tuple[dt.datetime, int, float]) -> RFMScorer:
        """Take back a customer learned before with exactly these figures. Returns ``self``.

        Raises
        ------
        ValueError
            If the figures were never learned.

        """
        values = self._values(x)
        if values is not None:
            self._recency.revert(values.last_order_at.timestamp() / _DAY)
            self._frequency.revert(values.orders)
            self._monetary.revert(values.monetary)
        return self

    def merge(self, other: RFMScorer) -> RFMScorer:
        """Add the customers another scorer (same hyper-parameters) learned. Returns ``self``."""
        self._recency.merge(other._recency)
        self._frequency.merge(other._frequency)
        self._monetary.merge(other._monetary)
        return self

    def score(self, r: float, f: float, m: float, now: dt.datetime) -> RFMScore:
        """Scores of a customer whose last order was ``r`` days before ``now``, with ``f`` orders
        and ``m`` spent (net of refunds).

        Raises
        ------
        NotFittedError
            If no customer has been learned yet.

        """
        return self._score(now.timestamp() / _DAY - r, f, m)

    def score_one(self, facts: CustomerFacts, now: dt.datetime) -> RFMScore | None:
        """Scores of a customer, ``None`` for one who has never bought.

        ``now`` is not needed for the scores themselves (see the module's note on recency); it
        is taken so that every scoring call reads the same.

        Raises
        ------
        NotFittedError
            If no customer has been learned yet.

        """
        values = rfm_values(facts)
        if values is None:
            return None
        # The learned time itself, not now - (now - last): no rounding can move it a bucket.
        return self._score(values.last_order_at.timestamp() / _DAY, values.orders, values.monetary)

    def _score(self, last_day: float, f: float, m: float) -> RFMScore:
        if self.n == 0:
            raise NotFittedError("RFMScorer.score: learn at least one customer first")
        return RFMScore(
            recency=_score(self._recency.mid_rank(last_day)),
            frequency=_score(self._frequency.mid_rank(f)),
            monetary=_score(self._monetary.mid_rank(max(m, 0.0))),
        )

    def quintiles(self, now: dt.datetime) -> dict[str, tuple[float, ...]]:
        """The four boundaries between the scores, per figure, for reports.

        Recency is in days before ``now`` and runs from the most recent boundary (between R = 5
        and R = 4) to the oldest; frequency and monetary run upward.
        """
        qs = (0.2, 0.4, 0.6, 0.8)
        today = now.timestamp() / _DAY
        r = tuple(round(today - self._recency.quantile(1.0 - q), 1) for q in qs)
        # Rounded to what the 1 % histograms know.
        f = tuple(round(self._frequency.quantile(q), 1) for q in qs)
        m = tuple(round(self._monetary.quantile(q), 2) for q in qs)
        return {"recency_days": r, "frequency": f, "monetary": m}
