"""BG/NBD reproduces Fader, Hardie & Lee (2005) on the CDNOW sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from models.bgnbd import BGNBD, summarise
from models.datasets import load_cdnow

pytestmark = pytest.mark.data


def test_bgnbd_fit_on_cdnow_matches_the_paper(shared_data: Path) -> None:
    """On the 39-week calibration the fit gives r, alpha, a, b and LL of the paper to 3 digits."""
    log = load_cdnow(shared_data / "CDNOW_sample.txt")
    summary = summarise(((t.customer_id, t.at.date()) for t in log.transactions), dt.date(1997, 9, 30))
    first = summary.ids.index("00004")  # customer 1 of the sample
    assert (summary.x[first], round(summary.t_x[first], 2), round(summary.T[first], 2)) == (2, 30.43, 38.86)
    assert len(summary.ids) == 2357

    model = BGNBD().fit(summary.x, summary.t_x, summary.T)

    r, alpha, a, b = model.params
    assert r == pytest.approx(0.243, abs=0.001)
    assert alpha == pytest.approx(4.414, abs=0.001)
    assert a == pytest.approx(0.793, abs=0.001)
    assert b == pytest.approx(2.426, abs=0.001)
    assert model.log_likelihood == pytest.approx(-9582.4, abs=0.05)
