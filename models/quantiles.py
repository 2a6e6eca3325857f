"""Quantiles of a stream in bounded memory: mergeable histograms that can also forget a value.

Both histograms count values per bucket, so they are exact up to the bucket width, cost the
same whatever the number of values, merge by adding counts (one per worker, summed), and can
take a value back out (:meth:`revert`) when a customer's figure changes. When there are more
than ``max_buckets`` buckets, the lowest two are merged: the low end loses detail first.

- :class:`LogHistogram` has buckets whose width grows with the value (DDSketch's mapping), so a
  quantile is within ``relative_accuracy`` of the true one, for money and counts.
- :class:`LinearHistogram` has buckets of one width, for times (a day, say).
"""

from __future__ import annotations

import bisect
import itertools
import math

__all__ = ["LinearHistogram", "LogHistogram"]


class _Histogram:
    """Counts per integer bucket key, with quantiles and mid-ranks."""

    def __init__(self, max_buckets: int) -> None:
        if max_buckets < 2:
            raise ValueError(
                f"{type(self).__name__}: expected max_buckets >= 2, found {max_buckets}"
            )
        self.max_buckets = max_buckets
        self._counts: dict[int, int] = {}
        self._n = 0
        # Once buckets were merged, keys at or below this one all land in it.
        self._floor: int | None = None
        # Sorted keys and running totals, rebuilt lazily after a change.
        self._keys: list[int] = []
        self._cumulative: list[int] = []
        self._dirty = False

    def _key(self, x: float) -> int:
        raise NotImplementedError

    def _value(self, key: int) -> float:
        raise NotImplementedError

    def _clamped(self, x: float) -> int:
        if not math.isfinite(x):
            raise ValueError(f"{type(self).__name__}: expected a finite number, found {x!r}")
        key = self._key(x)
        return key if self._floor is None else max(key, self._floor)

    @property
    def n(self) -> int:
        """Number of values counted."""
        return self._n

    @property
    def buckets(self) -> int:
        """Number of buckets in use (at most ``max_buckets``)."""
        return len(self._counts)

    def update(self, x: float, w: int = 1) -> None:
        """Count ``x``, ``w`` times."""
        key = self._clamped(x)
        self._counts[key] = self._counts.get(key, 0) + w
        self._n += w
        self._dirty = True
        if len(self._counts) > self.max_buckets:
            self._collapse()

    def revert(self, x: float, w: int = 1) -> None:
        """Take back ``x``, counted ``w`` times before.

        Raises
        ------
        ValueError
            If ``x``'s bucket holds fewer than ``w`` values (it was never counted).

        """
        key = self._clamped(x)
        held = self._counts.get(key, 0)
        if held < w:
            raise ValueError(
                f"{type(self).__name__}.revert: expected a value counted before, found {x!r} "
                f"whose bucket holds {held}"
            )
        if held == w:
            del self._counts[key]
        else:
            self._counts[key] = held - w
        self._n -= w
        self._dirty = True

    def _collapse(self) -> None:
        keys = sorted(self._counts)
        while len(keys) > self.max_buckets:
            low = keys.pop(0)
            self._counts[keys[0]] += self._counts.pop(low)
        self._floor = keys[0]

    def _index(self) -> None:
        if self._dirty:
            self._keys = sorted(self._counts)
            self._cumulative = list(itertools.accumulate(self._counts[k] for k in self._keys))
            self._dirty = False

    def quantile(self, q: float) -> float:
        """The ``q``-quantile (``0 <= q <= 1``) of the values counted, ``nan`` when empty."""
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"{type(self).__name__}.quantile: expected 0 <= q <= 1, found {q!r}")
        if self._n == 0:
            return math.nan
        self._index()
        rank = q * (self._n - 1)
        i = bisect.bisect_right(self._cumulative, rank)
        return self._value(self._keys[min(i, len(self._keys) - 1)])

    def mid_rank(self, x: float) -> float:
        """Share of the values below ``x``, counting values in ``x``'s bucket as half below.

        Ties (one bucket) share one rank, so equal values always get equal scores; ``nan`` when
        empty.
        """
        if self._n == 0:
            return math.nan
        self._index()
        key = self._clamped(x)
        i = bisect.bisect_left(self._keys, key)
        below = self._cumulative[i - 1] if i > 0 else 0
        equal = self._counts.get(key, 0)
        return (below + equal / 2.0) / self._n

    def merge(self, other: _Histogram) -> None:
        """Add the counts of ``other``, a histogram of the same kind and resolution."""
        if type(other) is not type(self) or other._resolution() != self._resolution():
            raise ValueError(
                f"{type(self).__name__}.merge: expected a histogram with "
                f"{self._resolution()}, found {type(other).__name__} with {other._resolution()}"
            )
        for key, count in other._counts.items():
            key = key if self._floor is None else max(key, self._floor)
            self._counts[key] = self._counts.get(key, 0) + count
        self._n += other._n
        if other._floor is not None:
            self._floor = other._floor if self._floor is None else max(self._floor, other._floor)
            for key in [k for k in self._counts if k < self._floor]:
                self._counts[self._floor] = self._counts.get(self._floor, 0) + self._counts.pop(key)
        self._dirty = True
        if len(self._counts) > self.max_buckets:
            self._collapse()

    def _resolution(self) -> str:
        raise NotImplementedError


class LogHistogram(_Histogram):
    """Histogram of non-negative values whose quantiles are within a relative error.

    Bucket ``k`` holds ``(gamma**(k-1), gamma**k]`` with ``gamma = (1 + a) / (1 - a)`` for
    relative accuracy ``a``, and reports the value ``2 * gamma**k / (gamma + 1)``, which is
    within ``a`` of everything in the bucket (DDSketch, Masson et al. 2019). Values at or below
    ``min_value`` (zero included) share one bucket. With ``a = 0.01``, 1 000 buckets span
    values from 1 to 10**8.

    Parameters
    ----------
    relative_accuracy
        Largest relative error of a quantile, between 0 and 1.
    max_buckets
        Memory bound: at most this many buckets.
    min_value
        Values at or below it count as ``min_value`` (negative values included).

    Examples
    --------
    >>> h = LogHistogram(relative_accuracy=0.01)
    >>> for x in range(1, 101):
    ...     h.update(x)
    >>> round(h.quantile(0.5)), h.mid_rank(100) > 0.99, h.buckets <= 100
    (50, True, True)
    >>> h.revert(100)
    >>> h.n
    99

    """

    def __init__(
        self, relative_accuracy: float = 0.01, max_buckets: int = 2048, min_value: float = 1e-2
    ) -> None:
        if not 0.0 < relative_accuracy < 1.0:
            raise ValueError(
                f"LogHistogram: expected 0 < relative_accuracy < 1, found {relative_accuracy!r}"
            )
        if min_value <= 0:
            raise ValueError(f"LogHistogram: expected min_value > 0, found {min_value!r}")
        super().__init__(max_buckets)
        self.relative_accuracy = relative_accuracy
        self.min_value = min_value
        self._gamma = (1 + relative_accuracy) / (1 - relative_accuracy)
        self._log_gamma = math.log(self._gamma)
        self._min_key = math.ceil(math.log(min_value) / self._log_gamma)

    def _key(self, x: float) -> int:
        if x <= self.min_value:
            return self._min_key
        return math.ceil(math.log(x) / self._log_gamma)

    def _value(self, key: int) -> float:
        if key <= self._min_key:
            return self.min_value
        return 2.0 * self._gamma**key / (self._gamma + 1.0)

    def _resolution(self) -> str:
        return f"relative accuracy {self.relative_accuracy}, min value {self.min_value}"


class LinearHistogram(_Histogram):
    """Histogram with buckets of one ``width``, reporting each bucket's lower edge.

    Parameters
    ----------
    width
        Width of a bucket (1.0 and values in days: one bucket a day).
    max_buckets
        Memory bound: at most this many buckets.

    Examples
    --------
    >>> h = LinearHistogram(width=1.0, max_buckets=3)
    >>> for day in [10.2, 10.7, 11.5, 12.1, 13.9]:
    ...     h.update(day)
    >>> h.buckets, h.quantile(0.0), h.quantile(1.0)
    (3, 11.0, 13.0)

    """

    def __init__(self, width: float = 1.0, max_buckets: int = 2048) -> None:
        if not width > 0:
            raise ValueError(f"LinearHistogram: expected width > 0, found {width!r}")
        super().__init__(max_buckets)
        self.width = width

    def _key(self, x: float) -> int:
        return math.floor(x / self.width)

    def _value(self, key: int) -> float:
        return key * self.width

    def _resolution(self) -> str:
        return f"width {self.width}"
