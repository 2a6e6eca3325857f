"""The demo's answer, printed from the worker's API: money in the currency the API names."""

from __future__ import annotations

import io
from typing import Any

import pytest

from streams.demo import answer


def api(currency: str, sign: str) -> dict[str, Any]:
    """What the worker's endpoints answer, with reasons written in ``currency``."""
    row = {"customer_id": "c1", "expected_value": 1240.4, "segment": "Champions",
           "reasons": [f"spent {sign}2,400 over 9 orders"], "cost": {"cost": 310.0}}
    return {
        "/customers": {"currency": currency, "customers": [row]},
        "/segments": {"customers": 1, "as_of": "2026-11-29T12:00:00+00:00", "segments": {"Champions": 1},
                      "behaviour": {"personas": []}},
        "/offers": {"report": {"treated": {"offers": 0, "conversions": 0, "rate": None},
                               "holdout": {"offers": 0, "conversions": 0, "rate": None},
                               "absolute_uplift": None, "confidence_interval_95": None, "offers": 0},
                    "how_to_read": ""},
    }


@pytest.mark.parametrize(("currency", "sign", "other"), [("USD", "$", "£"), ("GBP", "£", "$")])
def test_the_answer_writes_money_in_the_shop_s_currency(monkeypatch, currency, sign, other):
    """Values and costs are written with the sign of the currency the API names: $1,240 for USD, £1,240 for GBP."""
    answers = api(currency, sign)
    monkeypatch.setattr(answer, "fetch", lambda page, path: answers[path.split("?")[0]])
    out = io.StringIO()
    answer.show_answer("http://worker/", out)
    printed = out.getvalue()
    assert f"{sign}1,240" in printed and f"costs {sign}310" in printed
    assert other not in printed
