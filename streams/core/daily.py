"""The page's figures over time: small daily counts, as pure functions.

The worker keeps a handful of counters per day in Redis (:mod:`streams.worker.aggregates`)
so the page can draw how things change without reading every profile's history:

- offers decided, by day, decision (``sent``, ``held_out``, ``suppressed``), abandonment
  kind and incentive (or suppression reason) — :func:`offer_counts`, from the lifecycle's effects;
- offers' outcomes by day, group (``treated``, ``holdout``) and outcome — same;
- segment sizes on each day (the latest look of the day) and the moves between segments seen
  from one look to the next — :func:`segment_moves`;
- the models' progressive quality on each day (the latest of the day).

A day is the UTC date of the event time the step happened at (the decision's time, the
outcome's time), so a replayed history is counted on its own days.  Fields are
``day|part|part...`` strings: one Redis hash per family, one field per bucket, small and bounded
(days × kinds × incentives).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone

from streams.core.lifecycle import Effect, HeldOut, Issued, Resolved, Suppressed, Withdrawn

SEP = "|"


def day_of(at: datetime) -> str:
    """The UTC day of ``at``, as ``YYYY-MM-DD``.

    >>> from datetime import timezone
    >>> day_of(datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc))
    '2026-03-01'
    """
    return at.date().isoformat() if at.tzinfo is None else at.astimezone(timezone.utc).date().isoformat()


def field(*parts: str) -> str:
    """A hash field of the parts.

    >>> field("2026-03-01", "sent", "cart_abandoned", "reminder")
    '2026-03-01|sent|cart_abandoned|reminder'
    """
    return SEP.join(parts)


def offer_counts(effects: Iterable[Effect], fallback: datetime) -> tuple[Counter[str], Counter[str]]:
    """The offers decided and the outcomes of ``effects``, as (offer, outcome) counts by field.

    ``fallback`` dates an effect that carries no time of its own.
    """
    offers: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for effect in effects:
        match effect:
            case Issued(trigger=trigger):
                offers[field(day_of(trigger.issued_at), "sent", trigger.kind.value, trigger.incentive.type)] += 1
            case HeldOut(kind=kind, at=at):
                offers[field(day_of(at or fallback), "held_out", kind, "none")] += 1
            case Suppressed(kind=kind, reason=reason, at=at):
                offers[field(day_of(at or fallback), "suppressed", kind, reason)] += 1
            case Resolved(outcome=outcome) | Withdrawn(outcome=outcome):
                group = "holdout" if outcome.holdout else "treated"
                outcomes[field(day_of(outcome.occurred_at), group, outcome.outcome)] += 1
    return offers, outcomes


def segment_moves(before: Mapping[str, str], after: Mapping[str, str]) -> Counter[tuple[str, str]]:
    """How many customers moved from one segment to another between two looks.

    Customers in only one of the looks (new, forgotten) did not move.

    >>> sorted(segment_moves({"a": "New", "b": "Loyal", "c": "Loyal"}, {"a": "Loyal", "b": "Loyal", "d": "New"}).items())
    [(('New', 'Loyal'), 1)]
    """
    moves: Counter[tuple[str, str]] = Counter()
    for customer, segment in after.items():
        old = before.get(customer)
        if old is not None and old != segment:
            moves[(old, segment)] += 1
    return moves


def decile_shares(values: Sequence[float]) -> list[float]:
    """The share of the total held by each tenth of the customers, best tenth first.

    Customers are sorted by value; with fewer than ten customers some tenths are empty.

    >>> decile_shares([10.0] + [0.0] * 9)
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    >>> decile_shares([])
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    """
    ranked = sorted((max(v, 0.0) for v in values), reverse=True)
    total = sum(ranked)
    shares = []
    for tenth in range(10):
        part = ranked[len(ranked) * tenth // 10: len(ranked) * (tenth + 1) // 10]
        shares.append(round(sum(part) / total, 6) if total else 0.0)
    return shares


def series(counts: Mapping[str, float], width: int) -> dict[str, dict[str, float]]:
    """Fields of ``width`` parts after the day as {label: {day: value}}, the label being the parts joined by ``|``.

    >>> series({"2026-03-01|sent|cart": 2, "2026-03-02|sent|cart": 1}, 2)
    {'sent|cart': {'2026-03-01': 2, '2026-03-02': 1}}
    """
    out: dict[str, dict[str, float]] = {}
    for key, value in sorted(counts.items()):
        parts = key.split(SEP)
        if len(parts) != width + 1 or not math.isfinite(value):
            continue
        out.setdefault(SEP.join(parts[1:]), {})[parts[0]] = value
    return out
