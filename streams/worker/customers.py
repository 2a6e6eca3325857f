"""One customer's events of a batch, in order: what they change and what they cause.

For each event not seen before: first whatever fell due before it happened (a quiet visit
ends, an offer expires, a deferred offer goes out), then the event itself, a login's
stitching of the visitor it names, and an order's effect on open offers and on the
loyalty and value models (whose reviews of a silent customer come due in event time too).  The result says which events were applied and which were duplicates.

A customer is placed in a behavioural segment once per visit, when it ends — here when an
event shows a visit is over or time passes its end, on the timer otherwise — and before its
offer is decided, so the decision reads a placement made with the whole visit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from offers import Policy
from streams.core.events import AnyEvent, CustomerIdentified, OrderPlaced
from streams.core.drafts import Draft
from streams.core.lifecycle import Effect, Rules, SessionEnded
from streams.core.merging import stitch
from streams.core.state import CustomerState, Profile
from streams.worker.scoring import Scoring


@dataclass(frozen=True, slots=True)
class CustomerEvents:
    """A customer's events in one batch, in the order read, and the input partition they came on."""

    customer_id: str
    partition: int
    events: Sequence[AnyEvent]


class Applied(NamedTuple):
    """What a customer's events did (a tuple: one per customer per batch, a third of a frozen dataclass's cost)."""

    state: CustomerState
    effects: list[Effect]
    #: Ids of the events applied (the others were duplicates).
    handled: list[str]
    duplicates: int
    #: Anonymous visitors' states, marked as merged into this customer.
    merged: list[CustomerState]


@dataclass(frozen=True, slots=True)
class CustomerSteps:
    """Applies customers' events with the lifecycle's rules, the offer policy and the live models."""

    rules: Rules
    policy: Policy
    scoring: Scoring | None = None

    def apply(
        self, state: CustomerState, seen: set[str], events: Sequence[AnyEvent], *, now: datetime,
        clock: datetime | None = None, visitors: Mapping[str, CustomerState] | None = None, owned: bool = False,
    ) -> Applied:
        """Apply ``events`` (ids in ``seen`` are duplicates); ``clock`` is a replay's clock (None live).

        ``owned``: ``state``'s parts are this batch's alone (``Loaded.owned``): changed in place, not copied.
        """
        seen = set(seen)
        scoring = self.scoring
        place = scoring.place if scoring is not None else None
        effects: list[Effect] = []
        handled: list[str] = []
        merged: list[CustomerState] = []
        duplicates = 0
        # The state is changed in place through the batch and frozen once at its end; the pure
        # steps it stands for are the specification (streams.core.drafts).
        draft = Draft(state, owned=owned)
        for event in events:
            if event.event_id in seen:
                duplicates += 1
                continue
            seen.add(event.event_id)
            handled.append(event.event_id)
            at = event.occurred_at
            if scoring is not None and _review_due(draft.profile, at):
                # The models' reviews of a silent customer, before the event.
                draft.take(scoring.review(draft.state(), at))
            # A replay goes only as far as its clock (the other input topic may not have
            # caught up to this event yet): what a timer tick just before this batch would
            # have done, so the outcome does not depend on when the timer happened to run.
            if not self.rules.event_time or clock is not None:
                horizon = at if clock is None else min(at, clock)
                effects += draft.advance(horizon, self.rules, self.policy, now=now, place=place)
            received = draft.receive(event, self.rules)
            if received:
                effects += received
                if scoring is not None and _visit_ended(received):
                    # The visit is over (a later event, or a late one splitting it): placed once,
                    # before the timer decides its offer.
                    draft.take(scoring.place(draft.state()))
            if isinstance(event, CustomerIdentified) and event.anonymous_id and visitors:
                visitor = visitors.get(event.anonymous_id)
                if visitor is not None:
                    stitched, marked = stitch(draft.state(), visitor, self.rules.session_timeout,
                                              self.rules.recent_events)
                    draft.take(stitched)
                    if marked is not None:
                        merged.append(marked)
            if isinstance(event, OrderPlaced):
                effects += draft.on_order(event, self.rules)
                if scoring is not None:
                    draft.take(scoring.on_order(draft.state(), event))
        if scoring is not None and handled and draft.session is not None:
            p = scoring.score_session(draft.session, draft.profile)
            if p is not None:
                draft.score(p)
        return Applied(draft.state(), effects, handled, duplicates, merged)


def _review_due(profile: Profile, at: datetime) -> bool:
    """Whether :meth:`Scoring.review` has a review to take by ``at`` (it returns the state as it is otherwise)."""
    return profile.review_due_at is not None and profile.review_due_at <= at


def _visit_ended(effects: list[Effect]) -> bool:
    """Whether ``effects`` (an event's) end a visit."""
    return any(type(effect) is SessionEnded for effect in effects)
