"""Snapshots whose labels arrive late: what the loyalty and value models share.

Both models snapshot a customer's features at a moment, label the snapshot from what the
customer does within the horizon after it, and learn it once the horizon has passed, as in
river's delayed progressive validation with a constant delay. :class:`LateLabels` keeps the
snapshots waiting for their horizon, and learns them one at a time in the order their
horizons end (then by customer), whenever and however often :meth:`LateLabels.expire` is
called: a worker that expires once a second and a replay that expires before every order learn
the same sequence, and so end with the same model. Each snapshot is first predicted by the
model as it was once it had learned every label that ended by the snapshot, so the
progressive figures score what a model learning in time would have said.

A subclass says what a snapshot holds (a ``TypedDict`` with ``at``, POSIX seconds, and
``features``), how it is labelled (its own ``resolve``), predicted and learned.
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterator, Mapping
from typing import Generic, TypedDict, TypeVar

__all__ = ["DAY", "LateLabels", "Snapshot", "seconds_of"]

DAY = 86400.0


class Snapshot(TypedDict):
    """What every waiting snapshot holds: when it was taken and the features then."""

    at: float  # POSIX seconds
    features: dict[str, float]


S = TypeVar("S", bound=Snapshot)


def seconds_of(moment: dt.datetime) -> float:
    """POSIX seconds of ``moment``; a naive time is taken as UTC, never as the host's local time.

    >>> seconds_of(dt.datetime(1970, 1, 2)), seconds_of(dt.datetime(1970, 1, 2, tzinfo=dt.UTC))
    (86400.0, 86400.0)
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


class LateLabels(Generic[S]):
    """The snapshots of a model with late labels: kept, predicted as of their time, learned in order.

    Subclasses call :meth:`_start_waiting` from their ``__init__`` and implement
    :meth:`_predicted`, :meth:`_predict_now`, :meth:`_learn_pending` and :meth:`_copy`.
    """

    horizon_days: float
    max_pending_per_customer: int
    _n: int

    def _start_waiting(self) -> None:
        self._pending: dict[str, list[S]] = {}
        # (horizon end, customer) entries; stale ones are skipped, so it may hold extras.
        self._deadlines: list[tuple[float, str]] = []
        # (snapshot time, customer) of snapshots without a prediction yet.
        self._unpredicted: list[tuple[float, str]] = []

    # -- what a subclass says -------------------------------------------------------------------

    def _predicted(self, entry: S) -> float | None:
        """The prediction stored with ``entry`` (None until the model is as it was then)."""
        raise NotImplementedError

    def _predict_now(self, entry: S) -> None:
        """Store in ``entry`` what the model predicts for its features now."""
        raise NotImplementedError

    def _learn_pending(self, entry: S, waiting: list[S]) -> None:
        """Score ``entry``'s prediction against its label, and learn it.

        ``waiting``: the customer's snapshots still waiting, ``entry`` among them.
        """
        raise NotImplementedError

    @staticmethod
    def _copy(entry: S) -> S:
        """A copy of ``entry`` as plain JSON-able numbers."""
        raise NotImplementedError

    # -- snapshots ------------------------------------------------------------------------------

    def _keep(self, customer_id: str, entry: S) -> None:
        """Keep ``entry`` until its horizon ends; one taken at the same moment as the latest replaces it.

        Beyond ``max_pending_per_customer`` within one horizon the oldest is dropped (never
        learned); only the snapshots still within their horizon count, so that what is dropped
        does not depend on whether :meth:`expire` already learned the older ones.
        """
        seconds = entry["at"]
        heapq.heappush(self._unpredicted, (seconds, customer_id))
        queue = self._pending.setdefault(customer_id, [])
        if queue and queue[-1]["at"] == seconds:
            queue[-1] = entry
            return
        queue.append(entry)
        within = [i for i, e in enumerate(queue) if e["at"] + self.horizon_days * DAY >= seconds]
        if len(within) > self.max_pending_per_customer:
            del queue[within[0]]
        heapq.heappush(self._deadlines, (seconds + self.horizon_days * DAY, customer_id))

    def _covering(self, customer_id: str, moment: dt.datetime) -> Iterator[S]:
        """The customer's waiting snapshots taken before ``moment`` whose horizon includes it."""
        seconds = seconds_of(moment)
        horizon = self.horizon_days * DAY
        for entry in self._pending.get(customer_id, ()):
            if entry["at"] < seconds <= entry["at"] + horizon:
                yield entry

    def expire(self, now: dt.datetime) -> int:
        """Learn every snapshot whose horizon ended before ``now``; returns how many.

        One at a time in the order their horizons end (then by customer id), each predicted
        first as of its time. Call it only once everything before ``now`` is resolved.
        """
        seconds = seconds_of(now)
        horizon = self.horizon_days * DAY
        learned = 0
        while self._deadlines and self._deadlines[0][0] < seconds:
            deadline, customer_id = heapq.heappop(self._deadlines)
            self._predict_through(deadline)
            queue = self._pending.get(customer_id)
            if not queue:
                continue
            for i, entry in enumerate(queue):
                if entry["at"] + horizon == deadline:
                    self._learn_pending(entry, queue)
                    del queue[i]
                    learned += 1
                    break
            if queue:
                self._pending[customer_id] = queue
            else:
                self._pending.pop(customer_id, None)
        return learned

    def _predict_through(self, seconds: float) -> None:
        """Predict the snapshots taken at or before ``seconds`` that have no prediction yet.

        Called before a label ending at ``seconds`` is learned: the model then knows exactly the
        labels that ended before, as it would have at the snapshot.
        """
        while self._unpredicted and self._unpredicted[0][0] <= seconds:
            at, customer_id = heapq.heappop(self._unpredicted)
            for entry in self._pending.get(customer_id, ()):
                if entry["at"] == at and self._predicted(entry) is None:
                    self._predict_now(entry)

    # -- state ----------------------------------------------------------------------------------

    @property
    def pending(self) -> dict[str, list[S]]:
        """A copy of the snapshots waiting for the end of their horizon, as JSON-able data."""
        return {c: [self._copy(e) for e in queue] for c, queue in self._pending.items()}

    def restore_pending(self, pending: Mapping[str, list[S]]) -> None:
        """Replace the waiting snapshots with ``pending`` (as returned by :attr:`pending`)."""
        self._pending = {c: [self._copy(e) for e in queue] for c, queue in pending.items() if queue}
        horizon = self.horizon_days * DAY
        self._deadlines = [(e["at"] + horizon, c) for c, queue in self._pending.items() for e in queue]
        heapq.heapify(self._deadlines)
        self._unpredicted = [(e["at"], c) for c, queue in self._pending.items() for e in queue
                             if self._predicted(e) is None]
        heapq.heapify(self._unpredicted)

    def pending_for(self, customer_id: str) -> list[S]:
        """A copy of one customer's waiting snapshots."""
        return [self._copy(e) for e in self._pending.get(customer_id, [])]

    def forget(self, customer_id: str) -> None:
        """Drop a customer's waiting snapshots (right to erasure); learned weights are kept."""
        self._pending.pop(customer_id, None)

    @property
    def n_learned(self) -> int:
        """Number of labelled examples learned."""
        return self._n

    @property
    def n_pending(self) -> int:
        """Number of snapshots waiting for the end of their horizon."""
        return sum(len(queue) for queue in self._pending.values())
