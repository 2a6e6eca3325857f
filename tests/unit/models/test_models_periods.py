"""Evaluation periods read from the log: the last horizon is the holdout, or a given cutoff's."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from models.periods import PeriodError, periods_of
from models.transactions import Transaction, TransactionLog


def log_of(*days: int, start: dt.date = dt.date(2021, 3, 1)) -> TransactionLog:
    moments = [dt.datetime.combine(start + dt.timedelta(days=d), dt.time(15), tzinfo=dt.UTC) for d in days]
    return TransactionLog("shop.csv", [Transaction("c", str(i), m, 1.0) for i, m in enumerate(moments)], lines=len(days))


def test_default_holdout_is_the_last_horizon_of_the_log() -> None:
    """Cutoff = last day - horizon; the holdout ends on the last day; scoring is at the end of the cutoff day."""
    periods = periods_of(log_of(0, 100, 200), horizon_days=30)
    assert periods.source == "data"
    assert periods.cutoff == dt.date(2021, 3, 1) + dt.timedelta(days=170)
    assert periods.holdout_end == dt.date(2021, 3, 1) + dt.timedelta(days=200)
    assert periods.horizon_days == 30
    assert periods.scored_at == dt.datetime.combine(periods.holdout_start, dt.time(), tzinfo=dt.UTC)
    assert periods.as_dict()["holdout"] == {
        "start": periods.holdout_start.isoformat(), "end": periods.holdout_end.isoformat(), "days": 30,
    }


def test_a_given_cutoff_sets_the_holdout_after_it() -> None:
    """With a cutoff, the holdout is the horizon after it, and the source says so."""
    periods = periods_of(log_of(0, 200), cutoff=dt.date(2021, 6, 1))
    assert (periods.source, periods.holdout_end) == ("cutoff", dt.date(2021, 8, 30))


@pytest.mark.parametrize(
    ("log", "kwargs", "match"),
    [
        (log_of(0, 50), {}, "spans 51 days"),
        (log_of(0, 150), {}, "spans 151 days .* expected at least 181: a 90-day calibration period"),
        (log_of(0, 200), {"cutoff": dt.date(2021, 4, 1)}, "shorter than the 90-day horizon"),
        (log_of(0, 200), {"cutoff": dt.date(2021, 9, 1)}, "past the log's last day"),
        (log_of(0, 200), {"cutoff": dt.date(2020, 1, 1)}, "before the log's first day"),
        (log_of(0, 200), {"horizon_days": 0}, "whole number of days"),
        (log_of(0, 200), {"horizon_days": 7.5}, "whole number of days"),
        # Beyond the calendar's end: refused as too long or too late, never an overflow of the date arithmetic
        (log_of(0, 200), {"horizon_days": 999_999_999}, "spans 201 days .* expected at least 1999999999"),
        (log_of(0, 200), {"horizon_days": 99_999_999_999_999_999_999}, "spans 201 days"),
        (log_of(0, 200), {"cutoff": dt.date(9999, 12, 31)}, "the 90-day holdout after the cutoff 9999-12-31 runs "
                                                            "beyond the calendar's end, past the log's last day 2021-09-17; "
                                                            "expected a cutoff on or before 2021-06-19"),
        (log_of(0, 200), {"cutoff": dt.date(2020, 1, 1), "horizon_days": 999_999_999}, "spans 201 days"),
        (log_of(), {}, "nothing to evaluate"),
        # An Amazon All Orders report has no buyer ids: every sale a guest's, which no cutoff mends
        (dataclasses.replace(log_of(), guest_lines=1298,
                             layout="CSV, columns read from its header: customer=buyer-email"),
         {}, r"nothing to evaluate \(all 1298 sales have no customer id: read as CSV, columns read from its header: "
             r"customer=buyer-email; give --columns customer=… naming a column that holds one"),
    ],
)
def test_periods_that_do_not_fit_are_one_line(log: TransactionLog, kwargs: dict[str, object], match: str) -> None:
    """A log or calibration shorter than the horizon, a cutoff too late or too early, a bad horizon or an empty log raise a one-line PeriodError."""
    with pytest.raises(PeriodError, match=match) as caught:
        periods_of(log, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value).startswith("shop.csv: ") and "\n" not in str(caught.value)
