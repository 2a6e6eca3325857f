"""A learned ranking of a value model's customers: pairwise (RankNet) steps on top of its own score.

The top decile is a question of order, and the two-part regressions learn each label on its own.
:class:`PairwiseRanker` learns the order itself (Burges et al. 2005, "Learning to rank using
gradient descent"): each new label is paired with a few earlier labels drawn from a bounded
buffer (a seeded generator: the same labels make the same ranker, live and offline), and a
linear score ``s(x) = base(x) + w . x`` — the value model's own score plus a learned
correction, so that it starts from the two-part ranking and keeps its log-spend scale for the
money calibration — takes a logistic-loss step on ``P(the bigger spender ranks first) =
sigmoid(s(hi) - s(lo))``. The steps are normalised by the pair's squared distance (as the
regressions' are) and the weights averaged over about ``window`` labels.

Pairs are weighted so that the top matters (``weighting``):

- ``"gap"``: by ``|log1p(a) - log1p(b)|``: two zeros teach nothing, a big spender against a
  silent one most;
- ``"top"``: LambdaRank-style, by what swapping the two would change in top-decile capture:
  ``|a - b|`` over the buyers' mean spend (capped) when one of them scores at or above the top-decile
  edge and the other does not, else nothing — the edge being the 90th percentile of the buffered
  labels' scores as the model and the ranker score them now, taken again every
  :data:`EDGE_EVERY` labels (scores from while the model settled would hold it too high);
- ``"head"``: by the log-spend gap, pairs of which at least one scores at or above that edge: the order
  within the top decile and across its edge, as a top-heavy discount would have it;
- ``"money"``: by ``|a - b|`` over the buyers' mean spend (capped), wherever the two score: what
  the swap would change in the capture of any top share that one of them is in;
- ``"buyers"``: by the log-spend gap, pairs of two buyers only: the order among buyers, where the
  top decile is decided (the parts' P(buys) orders buyers against the rest).
"""

from __future__ import annotations

import collections
import math
import random
from collections.abc import Callable, Mapping
from typing import Literal

import numpy as np
from river import stats

__all__ = ["EDGE_EVERY", "RANKER_WEIGHTINGS", "PairwiseRanker", "RankerWeighting"]

RankerWeighting = Literal["gap", "top", "head", "money", "buyers"]
#: How a pairwise ranker weighs its pairs.
RANKER_WEIGHTINGS: tuple[str, ...] = ("gap", "top", "head", "money", "buyers")

# A pair's weight under ``"top"`` is capped at this many buyers' mean spends: one huge order is one pair.
_MAX_TOP_WEIGHT = 10.0
# The top decile's edge among the latest labels' scores.
_TOP_SHARE = 0.1
#: Labels between two takes of the top-decile edge (``"top"`` and ``"head"`` weightings).
EDGE_EVERY = 200


class PairwiseRanker:
    """A linear correction of a base score learned from pairs of labels by the RankNet loss.

    Parameters
    ----------
    learning_rate
        Step of the pairwise logistic regression (normalised by the pair's squared distance).
    l2
        L2 penalty on the weights.
    pairs
        Earlier labels each new label is paired with.
    buffer
        Labels kept to pair with (the latest).
    window
        Predictions use an exponential moving average of the weights over about this many labels.
    weighting
        ``"gap"`` or ``"top"`` (see the module's notes).
    seed
        Seed of the draws of partners.

    Examples
    --------
    >>> ranker = PairwiseRanker(pairs=4, buffer=100, seed=1)
    >>> base = lambda x: 0.0   # a base score that knows nothing
    >>> for i in range(600):
    ...     big = float(i % 2)
    ...     ranker.learn({"big": big}, 100.0 * big, base)
    >>> ranker.correction({"big": 1.0}) > ranker.correction({"big": 0.0})
    True

    """

    def __init__(self, learning_rate: float = 0.1, l2: float = 0.0, pairs: int = 4, buffer: int = 1000,
                 window: int | None = 3000, weighting: RankerWeighting = "gap", seed: int = 42) -> None:
        if weighting not in RANKER_WEIGHTINGS:
            raise ValueError(f"ranker: expected a weighting among {RANKER_WEIGHTINGS}, found {weighting!r}")
        if pairs < 1 or buffer < 1:
            raise ValueError(f"ranker: expected at least one pair and one buffered label, found {pairs}, {buffer}")
        self.learning_rate = learning_rate
        self.l2 = l2
        self.pairs = pairs
        self.weighting = weighting
        self.decay = 1.0 - 1.0 / window if window else 0.0
        self._rng = random.Random(seed)
        self._buffer: collections.deque[tuple[dict[str, float], float]] = collections.deque(maxlen=buffer)
        self._weights: dict[str, float] = {}
        self._average: dict[str, float] = {}
        self._edge: float | None = None
        self._buyers_mean = stats.Mean()
        self.n = 0

    def correction(self, inputs: Mapping[str, float]) -> float:
        """The learned correction of the base score (averaged weights, unbiased for the zero start)."""
        if not self.n:
            return 0.0
        weights = self._average if self.decay else self._weights
        z = sum(weights.get(k, 0.0) * v for k, v in inputs.items())
        return z / (1.0 - self.decay**self.n) if self.decay else z

    def _current(self, inputs: Mapping[str, float]) -> float:
        weights = self._weights
        return sum(weights.get(k, 0.0) * v for k, v in inputs.items())

    def _pair_weight(self, hi: float, lo: float, s_hi: float, s_lo: float, edge: float | None) -> float:
        if self.weighting == "gap" or (self.weighting == "buyers" and lo > 0.0):
            return math.log1p(hi) - math.log1p(lo)
        if self.weighting == "buyers":
            return 0.0
        if self.weighting == "head":
            return math.log1p(hi) - math.log1p(lo) if edge is not None and max(s_hi, s_lo) >= edge else 0.0
        if self.weighting == "money":
            return min((hi - lo) / self._buyers_mean.get(), _MAX_TOP_WEIGHT) if self._buyers_mean.get() else 0.0
        if edge is None or (s_hi >= edge) == (s_lo >= edge) or not self._buyers_mean.get():
            return 0.0
        return min((hi - lo) / self._buyers_mean.get(), _MAX_TOP_WEIGHT)

    def learn(self, inputs: dict[str, float], spent: float, base: Callable[[Mapping[str, float]], float],
              weight: float = 1.0) -> None:
        """Pair the label (``inputs``, ``spent``) with a few buffered ones and step on each pair.

        ``base`` is the score the ranker corrects (the value model's own, as it is now).
        """
        own_base = base(inputs)
        score = own_base + self._current(inputs)
        if self.weighting in ("top", "head") and self._buffer and self.n % EDGE_EVERY == 0:
            scores = [base(x) + self._current(x) for x, _ in self._buffer]
            self._edge = float(np.quantile(scores, 1.0 - _TOP_SHARE))
        edge = self._edge
        weights = self._weights
        for _ in range(min(self.pairs, len(self._buffer))):
            other, other_spent = self._buffer[self._rng.randrange(len(self._buffer))]
            if other_spent == spent:
                continue
            other_score = base(other) + self._current(other)
            (hi, s_hi, x_hi), (lo, s_lo, x_lo) = sorted(
                ((spent, score, inputs), (other_spent, other_score, other)), key=lambda t: -t[0])
            pair_weight = self._pair_weight(hi, lo, s_hi, s_lo, edge) * weight
            if pair_weight <= 0.0:
                continue
            diff = dict(x_hi)
            for k, v in x_lo.items():
                diff[k] = diff.get(k, 0.0) - v
            margin = min(max(s_hi - s_lo, -30.0), 30.0)
            step = self.learning_rate * pair_weight / (1.0 + sum(v * v for v in diff.values()))
            push = step / (1.0 + math.exp(margin))  # -d loss / d margin = sigmoid(-margin)
            for k, v in diff.items():
                old = weights.get(k, 0.0)
                weights[k] = old + push * v - step * self.l2 * old
            # the scores moved with the weights: the next pair sees the ranker as it is now
            score = own_base + self._current(inputs)
        self._buffer.append((inputs, spent))
        if spent > 0:
            self._buyers_mean.update(spent)
        self.n += 1
        if self.decay:
            decay, average = self.decay, self._average
            for name, value in weights.items():
                average[name] = decay * average.get(name, 0.0) + (1.0 - decay) * value
