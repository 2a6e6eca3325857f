"""A customer's behaviour straight into the columns of a segments model: placing and learning without a feature dict.

:class:`~models.segments.BehaviourSegments` learns and places feature dicts
(:func:`models.behaviour.behaviour_features`), each of which it turns into a row over its
columns (:class:`models.clustering.Columns`). The worker places a customer at every few events
of a visit and the segments learn at the end of visits: there, :func:`behaviour_row` builds that
row from the customer's facts directly — the measures' figures into the first columns, the
category and channel shares into theirs, the names outside the vocabulary summed into their
``…:other`` column in the order the dict would have summed them. The same numbers, bit for bit
(``tests/unit/models/test_models_segment_rows.py`` holds it to the dict path), for half the work.

A model whose columns are not laid out as :meth:`BehaviourSegments._start` lays them (a
vocabulary name that is itself an ``…:other`` column) has no :class:`Layout`: it goes the dict way.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from models.behaviour import _LOGGED, MEASURES, TRAIT_PREFIXES, BehaviourFacts, _figures

__all__ = ["Layout", "Scale", "behaviour_row", "z_in_place"]

_NAN = math.nan


class Layout:
    """Where a model's columns are: the measures first, then each prefix's vocabulary names, then ``…:other``.

    ``usual`` is False for columns laid out otherwise (a vocabulary name that is itself an
    ``…:other`` column): :func:`behaviour_row` cannot fill those.

    >>> Layout({"discount_share": 0, "channel:email": 1, "channel:other": 2}, "other").usual
    False
    >>> index = {m.key: i for i, m in enumerate(MEASURES)}
    >>> for key in ("category:shoes", "channel:email", "category:other", "channel:other"):
    ...     index[key] = len(index)
    >>> layout = Layout(index, "other")
    >>> layout.usual, layout.width, layout.named["category:"], layout.other["channel:"]
    (True, 22, {'shoes': 18}, 21)
    """

    __slots__ = ("index", "named", "other", "other_name", "usual", "width")

    def __init__(self, index: Mapping[str, int], other: str) -> None:
        self.index = index
        self.width = len(index)
        self.other_name = other
        #: Per prefix, each vocabulary name (without its prefix) and its column.
        self.named: dict[str, dict[str, int]] = {prefix: {} for prefix in TRAIT_PREFIXES}
        #: Per prefix, its ``…:other`` column.
        self.other = {prefix: index.get(prefix + other, -1) for prefix in TRAIT_PREFIXES}
        keys = list(index)
        measures, last = len(MEASURES), len(keys) - len(TRAIT_PREFIXES)
        self.usual = ([index[key] for key in keys] == list(range(len(keys)))
                      and keys[:measures] == [m.key for m in MEASURES]
                      and keys[last:] == [prefix + other for prefix in TRAIT_PREFIXES])
        for key in keys[measures:last] if self.usual else ():
            prefix = next((p for p in TRAIT_PREFIXES if key.startswith(p)), None)
            if prefix is None or key[len(prefix):] == other:
                self.usual = False
                break
            self.named[prefix][key[len(prefix):]] = index[key]


def behaviour_row(
    layout: Layout, facts: BehaviourFacts, offers: int, offers_taken: int, predicted_value: float | None
) -> list[float]:
    """The row ``Columns(layout.index, layout.other_name).row(behaviour_features(facts, ...))``, from the facts.

    NaN where a feature is unknown. ``offers``, ``offers_taken`` and ``predicted_value`` are
    :func:`~models.behaviour.behaviour_features`' own; ``layout`` must be ``usual``.
    """
    other = layout.other_name
    log1p = math.log1p
    # behaviour_features' log1p(max(value, 0.0)): 0.0 only where 0.0 > value (a NaN or a -0.0 stays).
    row = [_NAN if value is None else log1p(0.0 if 0.0 > value else value) if log else value
           for value, log in zip(_figures(facts, offers, offers_taken, predicted_value), _LOGGED)]
    row += [_NAN] * (layout.width - len(row))
    for prefix, counts in zip(TRAIT_PREFIXES, (facts.categories, facts.channels)):
        if not counts:
            continue
        total = sum(count for _, count in counts)
        if total <= 0:
            continue
        named = layout.named[prefix]
        for i in named.values():
            row[i] = 0.0
        # The names outside the vocabulary, as the dict holds them: first place, last value.
        rest: dict[str, float] | None = None
        for name, count in counts:
            column = named.get(name)
            if column is None:
                if rest is None:
                    rest = {}
                rest[name] = count / total
            else:
                row[column] = count / total
        o = layout.other[prefix]
        if rest is not None:
            for name, share in rest.items():
                # Columns.row: the other column's own name sets it, any other name adds to it.
                if name == other or math.isnan(row[o]):
                    row[o] = share
                else:
                    row[o] = share + row[o]
        if math.isnan(row[o]):
            row[o] = 0.0  # names of this kind, none outside the vocabulary
    return row


class Scale:
    """A model's clustering scale as plain floats: one row in its space without numpy's cost per call.

    :meth:`z` does what ``BehaviourSegments._z`` does to a row — subtract the mean, times the
    inverse standard deviation, clip at ``±clip``, NaN as 0, times the aspect's weight — with
    the same operations on the same floats, column by column: the same figures, bit for bit.
    Numpy's half a dozen calls on one row of a few dozen numbers cost more than the arithmetic.

    >>> scale = Scale(np.array([0.5, np.nan, 2.0]), np.array([1.0, 0.0, 0.0]), np.ones(3), 4.0)
    >>> scale.z([3.0, 1.0, float("nan")]), scale.z([100.0, 0.0, -9.0])
    ([1.0, 0.0, 0.0], [4.0, 0.0, -4.0])
    """

    __slots__ = ("inverse_sd", "_clip", "_terms")

    def __init__(self, inverse_sd: NDArray[np.float64], mean: NDArray[np.float64], weights: NDArray[np.float64],
                 clip: float) -> None:
        #: The array the scale was read from (the model makes a new one when its scale changes).
        self.inverse_sd = inverse_sd
        self._terms = tuple(zip(mean.tolist(), inverse_sd.tolist(), weights.tolist()))
        self._clip = float(clip)

    def z(self, row: Sequence[float]) -> list[float]:
        """``row`` in the clustering's space."""
        hi = self._clip
        lo = -hi
        out = []
        for v, (mean, inverse_sd, w) in zip(row, self._terms):
            t = (v - mean) * inverse_sd
            # np.maximum(t, lo) then np.minimum(t, hi): t itself when equal, and a NaN stays one.
            out.append(0.0 if t != t else (lo if lo > t else hi if t > hi else t) * w)
        return out


def z_in_place(row: NDArray[np.float64], mean: NDArray[np.float64], inverse_sd: NDArray[np.float64], clip: float,
               weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """:meth:`Scale.z` of a row that is an array already (a feature dict's), computed in ``row`` itself.

    A dict's row comes as an array (:class:`~models.clustering.Columns`): numpy's ufuncs in
    place cost less there than a round trip through floats. The same figures, bit for bit.

    >>> z_in_place(np.array([3.0, 1.0, np.nan]), np.array([1.0, 0.0, 0.0]), np.array([0.5, np.nan, 2.0]), 4.0,
    ...            np.ones(3)).tolist()
    [1.0, 0.0, 0.0]
    """
    row -= mean
    row *= inverse_sd
    np.minimum(np.maximum(row, -clip, out=row), clip, out=row)  # np.clip's ufuncs, not its wrapper
    row[np.isnan(row)] = 0.0
    row *= weights
    return row
