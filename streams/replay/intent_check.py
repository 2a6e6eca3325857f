"""``tracker evaluate intent`` on a shop's own clickstream: its visits as the worker cuts them, the worker's model.

The UCI data set is one row per session, already cut and summed by Google Analytics. A shop's
clickstream is events: here it is read as ``tracker replay`` reads it (any of its formats; a
logged-in visitor's events given to their customer), cut into visits by the worker's own steps
(:func:`streams.core.visits.apply`, the configured session timeout; a visit ends when the next
event comes after the timeout, as the worker's timer would have ended it before that event) and
summed into the features the worker's intent model learns when a visit ends
(:func:`streams.core.features.session_features`). A visit's label is whether an order fell in it.
The model learns the visits in the order they ended, as a worker replaying the file would:

- **progressive**: each visit scored before it is learned — what the worker's
  ``tracker_model_roc_auc{model="intent"}`` reports, here over every visit;
- **holdout**: a model that learned the first 70 % of the visits (by end time) scores the last
  30 % without learning them: ROC AUC, and accuracy, TPR, TNR and F1 at its own threshold — beside
  two rules a shop would try first, "the visit started a checkout" and "the visit added to its cart".

A file whose times are dates only (``2026-03-01``: every event at midnight) is evaluated, not refused, with a warning
as the report's first line: its visits are customers' days, and the figures say how well a day's activity tells the
days that buy, not visits from abandonments (a shop with daily exports only still learns that much).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from models.intent_evaluation import classification
from models.intent import IntentModel
from models.metrics import roc_auc
from streams.core.events import ANY_EVENT, AnyEvent
from streams.core.features import session_features
from streams.core.state import CustomerState, Profile, Session
from streams.core.visits import apply, close_due
from streams.errors import UsageError
from streams.replay.history import DATES_ONLY, Format, Reading, read_history
from streams.settings import Settings, intake_of

__all__ = ["Visit", "ended_visits", "evaluate_clickstream_intent", "format_clickstream_intent_report"]

#: Customers whose visits are cut between two ``count`` calls.
COUNT_EVERY = 5000
#: Share of the visits, the latest by end time, the holdout model scores without learning.
HOLDOUT_SHARE = 0.3
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=timezone.utc)


class Visit(NamedTuple):
    """An ended visit: when, the intent model's features, and what it came to."""

    ended_at: datetime
    features: dict[str, float]
    purchased: bool
    carted: bool
    checkout: bool


def _visit(session: Session, profile: Profile) -> Visit:
    return Visit(session.last_event_at, session_features(session, profile), session.purchased,
                 session.cart_items > 0, session.checkout_started)


def ended_visits(events: Iterable[AnyEvent], timeout: timedelta) -> list[Visit]:
    """Every customer's visits, ended in time order, each with its profile as it stood when it ended.

    >>> from streams.core.events import PageViewed, OrderPlaced
    >>> at = lambda minute: datetime(2024, 3, 1, 9, tzinfo=timezone.utc) + timedelta(minutes=minute)
    >>> view = lambda who, m: PageViewed(type="page_viewed", event_id=f"{who}{m}", customer_id=who,
    ...                                  occurred_at=at(m), url="/")
    >>> order = OrderPlaced(type="order_placed", event_id="o", customer_id="a", occurred_at=at(2),
    ...                     order_id="o-1", total=10.0)
    >>> [(v.ended_at.minute, v.purchased) for v in ended_visits(
    ...     [view("a", 0), order, view("a", 3), view("a", 60), view("b", 1)], timedelta(minutes=30))]
    [(1, False), (3, True), (0, False)]
    """
    by_customer: dict[str, list[AnyEvent]] = {}
    for event in sorted(events, key=lambda e: e.occurred_at):
        by_customer.setdefault(event.customer_id, []).append(event)
    visits: list[Visit] = []
    for customer_id, theirs in by_customer.items():
        state = CustomerState(customer_id)
        for event in theirs:
            closed = close_due(state, event.occurred_at, timeout)
            visits += [_visit(session, closed.state.profile) for session in closed.ended]
            state = apply(closed.state, event, timeout).state
        closed = close_due(state, _END_OF_TIME, timeout)
        visits += [_visit(session, closed.state.profile) for session in closed.ended]
    visits.sort(key=lambda visit: visit.ended_at)
    return visits


def evaluate_clickstream_intent(
    path: str | Path, fmt: Format, settings: Settings, *, columns: Mapping[str, str] | None = None,
    reading: Reading | None = None, stage: Callable[[str], None] | None = None,
    count: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The worker's intent model on the file's visits: progressive and holdout figures, beside two rules.

    A big file takes minutes: ``reading`` is told how many lines are read now and then, ``count`` how many
    customers' visits are cut of how many, ``stage`` what step ended.
    """
    said = stage or (lambda _: None)
    parsed, report = read_history(path, fmt, intake_of(settings), columns=columns, reading=reading)
    said(f"read {report.lines:,} lines: {len(parsed):,} events")
    # One customer's events parsed at a time: a big file's events are held as bytes, not as objects.
    theirs: dict[str, list[bytes]] = {}
    for event in sorted(parsed, key=lambda p: (p.at, p.line)):
        theirs.setdefault(event.customer_id, []).append(event.value)
    timeout = timedelta(seconds=settings.session_timeout_seconds)
    visits: list[Visit] = []
    for done, values in enumerate(theirs.values(), start=1):
        visits += ended_visits([ANY_EVENT.validate_json(value) for value in values], timeout)
        if count is not None and (done % COUNT_EVERY == 0 or done == len(theirs)):
            count(done, len(theirs))
    visits.sort(key=lambda visit: visit.ended_at)
    said(f"cut into {len(visits):,} visits")
    bought = sum(visit.purchased for visit in visits)
    if not visits:
        first = report.bad_lines[0] if report.bad_lines else None  # of a file all bad, the first says why
        why = f"; the first, line {first.line}: {first.reason}: {first.detail}" if first else ""
        raise UsageError(f"{path}: no visit in {report.lines} line(s) ({report.bad} bad{why}): nothing to evaluate")
    if bought in (0, len(visits)):
        raise UsageError(f"{path}: {'none' if bought == 0 else 'every one'} of its {len(visits)} visits ends in a "
                         "purchase: there is nothing to tell apart (are its orders or purchase events mapped? "
                         "--columns event=… names them)")
    progressive = IntentModel()
    for visit in visits:
        progressive.learn_one(visit.features, visit.purchased)
    said(f"learned the {len(visits):,} visits in turn")
    split = max(1, min(len(visits) - 1, round(len(visits) * (1 - HOLDOUT_SHARE))))
    trained = IntentModel()
    for visit in visits[:split]:
        trained.learn_one(visit.features, visit.purchased)
    test = visits[split:]
    y = np.array([visit.purchased for visit in test])
    if y.all() or not y.any():  # no ROC AUC, no TPR or TNR to report: say why rather than print NaN
        raise UsageError(f"{path}: the holdout, the latest {len(test):,} of its {len(visits):,} visits (from "
                         f"{test[0].ended_at:%Y-%m-%d}), holds {'no purchase' if not y.any() else 'only purchases'}: "
                         "there is nothing to tell apart in it (expected visits that buy and visits that do not "
                         f"in the last {HOLDOUT_SHARE:.0%} of the visits: a longer file)")
    p = np.array([trained.predict_proba_one(visit.features) for visit in test])
    return {
        "data": str(path),
        "format": fmt,
        "columns": report.columns,
        # Every event at midnight: each visit is a customer's day (DATES_ONLY), said first in the report.
        "dates_only": report.dates_only,
        "events": report.events,
        "bad_lines": report.bad,
        # The first of them, as replay's --json lists them: line number, reason and detail.
        "first_bad_lines": [dataclasses.asdict(bad) for bad in report.bad_lines],
        "customers": report.customers,
        "visits": len(visits),
        "purchase_rate": bought / len(visits),
        "session_timeout_seconds": settings.session_timeout_seconds,
        "progressive_roc_auc": progressive.score.roc_auc,
        "holdout": {
            "trained_on": split,
            "scored": len(test),
            "purchase_rate": float(y.mean()),
            "from": test[0].ended_at.isoformat(),
            "threshold": trained.threshold,
            "model": classification(y, p, trained.threshold),
            "checkout started": _rule(y, [visit.checkout for visit in test]),
            "added to cart": _rule(y, [visit.carted for visit in test]),
        },
    }


def _rule(y: np.ndarray, said: Sequence[bool]) -> dict[str, float]:
    scores = np.array(said, dtype=float)
    figures = classification(y, scores, 0.5)
    figures["roc_auc"] = roc_auc(y, scores)
    return figures


def format_clickstream_intent_report(result: Mapping[str, Any]) -> str:
    """The evaluation as a marketer reads it."""
    holdout = result["holdout"]
    warning = [f"warning: {result['data']}: {DATES_ONLY}"] if result.get("dates_only") else []
    lines = [
        *warning,
        f"intent on {result['data']} ({result['format']}): {result['events']:,} events of {result['customers']:,} "
        f"customers, {result['visits']:,} visits (session timeout {result['session_timeout_seconds']:.0f} s), "
        f"{100 * result['purchase_rate']:.1f} % ending in a purchase"
        + (f"; {result['bad_lines']:,} bad line(s) left out" if result["bad_lines"] else ""),
        f"  progressive ROC AUC over every visit (each scored before it is learned): "
        f"{result['progressive_roc_auc']:.3f}",
        f"  holdout: the last {holdout['scored']:,} visits (from {holdout['from'][:10]}; "
        f"{100 * holdout['purchase_rate']:.1f} % buy), scored by the model that learned the "
        f"{holdout['trained_on']:,} before them (threshold {holdout['threshold']:.2f}):",
        f"    {'':22s} {'ROC AUC':>8s} {'accuracy':>9s} {'TPR':>6s} {'TNR':>6s} {'F1':>6s}",
    ]
    for name in ("model", "checkout started", "added to cart"):
        row = holdout[name]
        label = "intent model" if name == "model" else f"rule: {name}"
        lines.append(f"    {label:22s} {row['roc_auc']:8.3f} {100 * row['accuracy']:8.1f}% {row['tpr']:6.2f} "
                     f"{row['tnr']:6.2f} {row['f1']:6.2f}")
    return "\n".join(lines)
