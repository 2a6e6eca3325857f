"""Gamma-Gamma reproduces Fader, Hardie & Lee (2005) on the CDNOW sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.datasets import load_cdnow
from models.gammagamma import GammaGamma, spend_summary

pytestmark = pytest.mark.data


def test_gammagamma_fit_on_cdnow_matches_the_paper(shared_data: Path) -> None:
    """On the 39-week calibration's 946 repeat buyers the fit gives p = 6.25, q = 3.74, gamma = 15.44."""
    log = load_cdnow(shared_data / "CDNOW_sample.txt")
    summary = spend_summary(
        ((t.customer_id, t.at.date(), t.amount) for t in log.transactions), dt.date(1997, 9, 30)
    )
    repeat = summary.x > 0
    assert int(repeat.sum()) == 946

    model = GammaGamma().fit(summary.x[repeat], summary.monetary[repeat])

    p, q, gamma = model.params
    assert p == pytest.approx(6.25, abs=0.005)
    assert q == pytest.approx(3.74, abs=0.005)
    assert gamma == pytest.approx(15.44, abs=0.005)
