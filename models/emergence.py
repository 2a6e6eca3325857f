"""Following behavioural segments over time: what is news — a segment appears, grows fast, changes, goes.

The worker observes its segments every so often (how many active customers each holds, what
it is called, where its centre is) and :meth:`SegmentWatch.observe` compares the observation
with the ones before:

- **new**: a segment not seen at the first observation holds at least ``min_share`` of the
  active customers and ``min_customers`` of them (a smaller one is reported once it gets there);
- **growing**: its share is at least ``growth`` times what it was ``growth_window`` ago (the
  oldest observation kept within that time), and ``min_growth`` above it;
- **changed**: its centre has moved ``drift`` standard deviations (of the customers now) from
  where it was when last described, and its name is no longer the same — the centre in the
  features' own units, so that a segment does not "change" only because others joined;
- **gone**: a segment reported before is no longer one (its customers joined others).

The first observation is the baseline: what is there is known, not news; so is any observation
the caller marks as one (while the model is still settling). Observations are kept for
``growth_window`` at most, one per 1/48 of it, so the memory stays small.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Literal, TypeAlias, get_args

from models.wording import percent

__all__ = ["CHANGES", "Change", "EmergenceRules", "SegmentChange", "SegmentSize", "SegmentWatch"]

Change: TypeAlias = Literal["new", "growing", "changed", "gone"]
CHANGES: tuple[Change, ...] = get_args(Change)


@dataclasses.dataclass(frozen=True, slots=True)
class EmergenceRules:
    """When a change of a segment is news (see the module's description)."""

    min_share: float = 0.03
    min_customers: int = 10
    growth: float = 1.5
    min_growth: float = 0.02
    growth_window: dt.timedelta = dt.timedelta(hours=24)
    drift: float = 1.0


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentSize:
    """One segment at one observation.

    ``customers`` are the active customers placed in it and ``share`` their share of all
    active customers; ``mostly`` says in a few words what sets it apart; ``centre`` is its
    centre in the features' units (:mod:`models.behaviour`).
    """

    id: str
    name: str
    customers: int
    share: float
    mostly: str = ""
    centre: Mapping[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class SegmentChange:
    """A piece of news about a segment, with its sentence for the log, the page and the API."""

    change: Change
    segment: str
    name: str
    at: dt.datetime
    share: float
    customers: int
    previous_share: float | None
    detail: str


@dataclasses.dataclass(frozen=True, slots=True)
class _Described:
    name: str
    centre: Mapping[str, float]


def _distance(a: Mapping[str, float], b: Mapping[str, float], scale: Mapping[str, float]) -> float:
    """Distance in standard deviations over the features both centres know (and the scale has)."""
    return math.sqrt(sum(((a[k] - b[k]) / scale[k]) ** 2 for k in a.keys() & b.keys() if scale.get(k, 0.0) > 0))


def _sentence(change: Change, s: SegmentSize, before: float | None, was: str | None) -> str:
    share = f"{percent(s.share)} of active customers ({s.customers})"
    mostly = f", mostly {s.mostly}" if s.mostly else ""
    if change == "new":
        return f"new segment: {s.name} ({s.id}), {share}{mostly}"
    if change == "growing":
        return f"growing segment: {s.name} ({s.id}), {share}, up from {percent(before or 0.0)}{mostly}"
    return f"segment changed: {s.name} ({s.id}), was {was}, {share}{mostly}"


class SegmentWatch:
    """Follows segments from one observation to the next and keeps the latest news.

    Parameters
    ----------
    keep
        Pieces of news kept (the latest).

    Examples
    --------
    >>> t = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    >>> watch = SegmentWatch()
    >>> watch.observe([SegmentSize("B1", "Regular", 90, 0.9)], t, EmergenceRules())
    []
    >>> news = watch.observe([SegmentSize("B1", "Regular", 90, 0.86),
    ...                       SegmentSize("B2", "Night-Owl Bargain Hunter", 15, 0.14, "at night")],
    ...                      t + dt.timedelta(hours=1), EmergenceRules())
    >>> [(n.change, n.segment) for n in news]
    [('new', 'B2')]
    >>> print(news[0].detail)
    new segment: Night-Owl Bargain Hunter (B2), 14 % of active customers (15), mostly at night

    """

    def __init__(self, keep: int = 50) -> None:
        self.keep = keep
        self._history: collections.deque[tuple[dt.datetime, dict[str, float]]] = collections.deque()
        self._announced: set[str] = set()
        self._described: dict[str, _Described] = {}
        self._grown_at: dict[str, dt.datetime] = {}
        self._changes: collections.deque[SegmentChange] = collections.deque(maxlen=keep)
        self._observed = False

    @property
    def changes(self) -> tuple[SegmentChange, ...]:
        """The latest news, newest first."""
        return tuple(reversed(self._changes))

    def observe(
        self, sizes: Sequence[SegmentSize], at: dt.datetime, rules: EmergenceRules,
        scale: Mapping[str, float] | None = None, *, baseline: bool = False,
    ) -> list[SegmentChange]:
        """Compare this observation with the ones before; return (and keep) the news.

        ``scale`` is each feature's standard deviation now (the model's), which a centre's
        move is measured in; without it nothing is reported as changed. ``baseline`` takes the
        observation as what is known, without news.
        """
        news: list[SegmentChange] = []
        current = {s.id: s for s in sizes}
        if baseline:
            self._observed = False
            self._history.clear()
        if not self._observed:
            if sizes:
                self._observed = True
                self._announced = set(current)
                self._described = {s.id: _Described(s.name, dict(s.centre)) for s in sizes}
        else:
            for s in sizes:
                news += self._news_of(s, at, rules, scale or {})
            for gone in sorted(self._announced - set(current)):
                described = self._described.pop(gone, None)
                name = described.name if described else gone
                before = self._history[-1][1].get(gone) if self._history else None
                self._announced.discard(gone)
                news.append(SegmentChange("gone", gone, name, at, 0.0, 0, before,
                                          f"segment gone: {name} ({gone}), its customers joined others"))
        self._remember(at, {s.id: s.share for s in sizes}, rules.growth_window)
        self._changes.extend(news)
        return news

    def _news_of(
        self, s: SegmentSize, at: dt.datetime, rules: EmergenceRules, scale: Mapping[str, float]
    ) -> list[SegmentChange]:
        big_enough = s.share >= rules.min_share and s.customers >= rules.min_customers
        if s.id not in self._announced:
            if not big_enough:
                return []
            self._announced.add(s.id)
            self._described[s.id] = _Described(s.name, dict(s.centre))
            return [SegmentChange("new", s.id, s.name, at, s.share, s.customers, None, _sentence("new", s, None, None))]
        news = []
        before = self._share_before(s.id, at, rules.growth_window)
        grown_at = self._grown_at.get(s.id)
        recently = grown_at is not None and at - grown_at < rules.growth_window
        if (before is not None and big_enough and not recently and s.share >= before * rules.growth
                and s.share - before >= rules.min_growth):
            self._grown_at[s.id] = at
            news.append(SegmentChange("growing", s.id, s.name, at, s.share, s.customers, before,
                                      _sentence("growing", s, before, None)))
        described = self._described.get(s.id)
        if (described is not None and s.name != described.name
                and _distance(described.centre, s.centre, scale) >= rules.drift):
            self._described[s.id] = _Described(s.name, dict(s.centre))
            news.append(SegmentChange("changed", s.id, s.name, at, s.share, s.customers, None,
                                      _sentence("changed", s, None, described.name)))
        return news

    def _share_before(self, segment: str, at: dt.datetime, window: dt.timedelta) -> float | None:
        for when, shares in self._history:
            if at - when <= window and segment in shares:
                return shares[segment]
        return None

    def _remember(self, at: dt.datetime, shares: dict[str, float], window: dt.timedelta) -> None:
        while self._history and at - self._history[0][0] > window:
            self._history.popleft()
        if not self._history or at - self._history[-1][0] >= window / 48:
            self._history.append((at, shares))
