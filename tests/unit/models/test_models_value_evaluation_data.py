"""evaluate_value on the shipped logs: the whole protocol runs on both, with periods from the data."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from models.value_evaluation import BASELINES, evaluate_value

pytestmark = pytest.mark.data


@pytest.mark.parametrize(
    ("name", "fmt", "customers"),
    [("CDNOW_sample.txt", "cdnow", 2357), ("online_retail_ii_2009_2010.csv.gz", "online-retail", None)],
)
def test_value_evaluation_runs_on_the_shipped_logs(shared_data: Path, name: str, fmt: str, customers: int | None) -> None:
    """Every customer known at the cutoff is ranked by the model and each baseline; figures are finite."""
    result = evaluate_value(shared_data / name, fmt, bootstrap=20)  # type: ignore[arg-type]
    assert result["source"] == "data" and result["holdout"]["days"] == 90
    if customers is not None:
        assert result["customers"] == customers
    assert result["model"]["learned"] > 1000
    assert result["inner"]["skipped"] is None
    for score in ("learned value model", *BASELINES):
        assert math.isfinite(result["scores"][score]["spearman"])
        assert 0.0 < result["scores"][score]["top_decile"] <= 1.0
