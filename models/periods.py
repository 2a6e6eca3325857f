"""Calibration and holdout periods of an offline evaluation, read from the log itself.

By default the holdout is the last ``horizon_days`` of the log and the calibration everything
before it: ``cutoff = last day - horizon_days``. The cutoff is the last day of the calibration
(inclusive, as BG/NBD's calibration end); the holdout runs from the day after it to
``cutoff + horizon_days`` inclusive, and the models score customers at the end of the cutoff
day. A cutoff may be given instead; the holdout must then still fit in the log.

Problems are one line, as :class:`PeriodError` (a :class:`~models.errors.DataFileError`, so
whatever reports a bad file reports these too).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Literal

from models.errors import DataFileError
from models.transactions import TransactionLog

__all__ = ["DEFAULT_HORIZON_DAYS", "PeriodError", "Periods", "end_of", "periods_of"]

#: Days of the holdout when none is given: the loyalty and value models' horizon.
DEFAULT_HORIZON_DAYS = 90


def end_of(day: dt.date) -> dt.datetime:
    """Midnight (UTC) at the end of ``day``: the first moment after it.

    >>> end_of(dt.date(2010, 9, 10)).isoformat()
    '2010-09-11T00:00:00+00:00'

    """
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


class PeriodError(DataFileError):
    """The log cannot be split into the periods asked for; the message is one line.

    Examples
    --------
    >>> str(PeriodError("x.csv", "the log spans 10 days; expected more than the 90-day horizon"))
    'x.csv: the log spans 10 days; expected more than the 90-day horizon'

    """

    def __init__(self, path: str, message: str) -> None:
        super().__init__(path, 0, "", message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Periods:
    """A calibration period up to ``cutoff`` and a holdout of the next days up to ``holdout_end``.

    ``source`` says where the dates came from: ``"data"`` (the log's last day less the
    horizon), ``"cutoff"`` (a cutoff was given) or ``"published"`` (a published protocol's).
    """

    first_day: dt.date
    cutoff: dt.date
    holdout_end: dt.date
    source: Literal["data", "cutoff", "published"]

    @property
    def horizon_days(self) -> int:
        """Days in the holdout."""
        return (self.holdout_end - self.cutoff).days

    @property
    def holdout_start(self) -> dt.date:
        """First day of the holdout."""
        return self.cutoff + dt.timedelta(days=1)

    @property
    def scored_at(self) -> dt.datetime:
        """The moment the models score customers: the end of the cutoff day."""
        return end_of(self.cutoff)

    @property
    def holdout_until(self) -> dt.datetime:
        """The first moment after the holdout."""
        return end_of(self.holdout_end)

    def as_dict(self) -> dict[str, object]:
        """The periods as plain values, for reports and JSON."""
        return {
            "source": self.source,
            "calibration": {"start": self.first_day.isoformat(), "end": self.cutoff.isoformat()},
            "holdout": {
                "start": self.holdout_start.isoformat(),
                "end": self.holdout_end.isoformat(),
                "days": self.horizon_days,
            },
        }


def periods_of(
    log: TransactionLog,
    *,
    cutoff: dt.date | None = None,
    horizon_days: float = DEFAULT_HORIZON_DAYS,
) -> Periods:
    """The calibration and holdout periods of ``log`` (see the module's notes).

    Raises
    ------
    PeriodError
        If the log has no transactions, the horizon is not a positive number of days, the log
        is too short for it (a calibration period of at least the horizon, then the holdout), or
        the holdout after ``cutoff`` would run past the log's last day.

    Examples
    --------
    >>> from models.transactions import Transaction
    >>> day = lambda d: dt.datetime(2010, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=d)
    >>> log = TransactionLog("x.csv", [Transaction("c", "1", day(0), 5.0),
    ...                                Transaction("c", "2", day(300), 5.0)], lines=2)
    >>> p = periods_of(log)
    >>> p.cutoff.isoformat(), p.holdout_start.isoformat(), p.holdout_end.isoformat(), p.source
    ('2010-07-30', '2010-07-31', '2010-10-28', 'data')
    >>> periods_of(log, cutoff=dt.date(2010, 9, 1))
    Traceback (most recent call last):
    ...
    models.periods.PeriodError: x.csv: the 90-day holdout after the cutoff 2010-09-01 runs to 2010-11-30, past the log's last day 2010-10-28; expected a cutoff on or before 2010-07-30

    """
    if not log.transactions:
        guests = (f" (all {log.guest_lines} sales have no customer id: read as {log.layout or 'a log'}; give "
                  f"--columns customer=… naming a column that holds one, as an export without the buyers' ids "
                  f"cannot be evaluated)") if log.guest_lines else ""
        raise PeriodError(log.path, f"no orders or refunds of known customers; nothing to evaluate{guests}")
    days = int(horizon_days)
    if days != horizon_days or days < 1:
        raise PeriodError(log.path, f"expected a horizon of a whole number of days >= 1, found {horizon_days!r}")
    first = min(t.at for t in log.transactions).date()
    last = max(t.at for t in log.transactions).date()
    span = (last - first).days
    # A horizon reaching before the calendar's first day is refused before any date arithmetic with it.
    if span < 2 * days and (cutoff is None or days >= last.toordinal()):
        raise PeriodError(
            log.path,
            f"the log spans {span + 1} days ({first} to {last}); expected at least "
            f"{2 * days + 1}: a {days}-day calibration period for the models to learn from (what a "
            f"customer did in the {days} days after a moment is known {days} days later) and the "
            f"{days}-day holdout after it (--horizon-days to choose a shorter horizon)",
        )
    horizon = dt.timedelta(days=days)
    if cutoff is None:
        return Periods(first_day=first, cutoff=last - horizon, holdout_end=last, source="data")
    if cutoff < first:
        raise PeriodError(log.path, f"the cutoff {cutoff} is before the log's first day {first}")
    if (last - cutoff).days < days:
        ends = f"to {cutoff + horizon}" if dt.date.max - cutoff >= horizon else "beyond the calendar's end"
        raise PeriodError(
            log.path,
            f"the {days}-day holdout after the cutoff {cutoff} runs {ends}, past the "
            f"log's last day {last}; expected a cutoff on or before {last - horizon}",
        )
    if cutoff - first < horizon:
        raise PeriodError(
            log.path,
            f"the calibration period {first} to {cutoff} is {(cutoff - first).days + 1} days, shorter than "
            f"the {days}-day horizon: no customer's next {days} days are known by the cutoff for the models "
            f"to learn from; expected a cutoff on or after {first + horizon}",
        )
    return Periods(first_day=first, cutoff=cutoff, holdout_end=cutoff + horizon, source="cutoff")
