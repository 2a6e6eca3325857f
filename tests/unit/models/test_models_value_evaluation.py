"""evaluate_value: the learned model and the baselines ranked on the holdout's spend, on any log."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

import pytest

from models.periods import PeriodError
from models.value_evaluation import BASELINES, evaluate_value, format_value_report

COLUMNS = "customer=client,date=when,amount=total,order=ticket"


def shop_log(path: Path, customers: int, seed: int, *, days: int = 330) -> Path:
    """A generic CSV log: customers with their own buying rate, basket size and lifetime."""
    rng = random.Random(seed)
    lines = ["ticket,client,when,total"]
    ticket = 0
    start = dt.datetime(2022, 3, 1, 9)
    for c in range(customers):
        rate = rng.choice([0.01, 0.03, 0.08])
        basket = rng.lognormvariate(3, 0.8)
        lifetime = rng.expovariate(1 / 200)
        moment = start + dt.timedelta(days=rng.uniform(0, 60))
        first = moment
        while (moment - start).days < days and (moment - first).days <= lifetime:
            ticket += 1
            lines.append(f"T{ticket},c{c},{moment:%d/%m/%Y %H:%M},{basket * rng.uniform(0.5, 1.5):.2f}")
            moment += dt.timedelta(days=1 + rng.expovariate(rate))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = shop_log(tmp_path_factory.mktemp("value") / "shop.csv", 70, seed=11)
    return evaluate_value(path, "csv", columns=COLUMNS, bootstrap=30, review_days=45)


def test_every_baseline_is_scored_on_the_same_customers(result: dict[str, object]) -> None:
    """The learned model and each baseline get Spearman, capture, gains and AUC; money scores get MAE and totals."""
    scores = result["scores"]
    assert isinstance(scores, dict)
    assert list(scores) == ["learned value model", *BASELINES]
    for name, figures in scores.items():
        assert set(figures["gains"]) == {"5%", "10%", "20%", "30%", "50%"}
        assert -1.0 <= figures["spearman"] <= 1.0 or math.isnan(figures["spearman"])
    assert scores["learned value model"]["total_actual"] == pytest.approx(result["holdout_revenue"])
    assert "mae" in scores["BG/NBD x Gamma-Gamma"] and "mae" not in scores["past spend"]


def test_periods_come_from_the_data_and_the_inner_check_from_the_calibration_period(result: dict[str, object]) -> None:
    """The holdout is the log's last 90 days; the training-data check is at an inner cutoff one horizon earlier."""
    holdout, calibration, inner = result["holdout"], result["calibration"], result["inner"]
    assert isinstance(holdout, dict) and isinstance(calibration, dict) and isinstance(inner, dict)
    assert (result["source"], holdout["days"]) == ("data", 90)
    cutoff = dt.date.fromisoformat(calibration["end"])
    assert inner["cutoff"] == (cutoff - dt.timedelta(days=90)).isoformat()
    assert result["model"]["target"] == "two-part"  # type: ignore[index]  # the worker's model, not a pick


def test_a_cutoff_moment_ranks_as_of_it_with_everything_up_to_it(tmp_path: Path) -> None:
    """A datetime cutoff scores the customers as of that moment; its ranking lists the best first."""
    path = shop_log(tmp_path / "shop.csv", 70, seed=11)
    moment = dt.datetime(2022, 9, 20, 10, 30, tzinfo=dt.UTC)
    result = evaluate_value(path, "csv", columns=COLUMNS, bootstrap=0, cutoff=moment)
    assert result["scored_at"] == moment.isoformat()
    ranking = result["ranking"]
    assert len(ranking) == result["customers"]
    values = [row["predicted_value"] for row in ranking]
    assert values == sorted(values, reverse=True)


def test_intervals_and_verdicts_are_given_for_each_baseline(result: dict[str, object]) -> None:
    """Each baseline has bootstrap intervals of both differences and a beats verdict matching the figures."""
    differences = result["bootstrap"]["differences"]  # type: ignore[index]
    assert set(differences) == set(BASELINES)
    for name in BASELINES:
        for metric in ("spearman", "top_decile"):
            stats = differences[name][metric]
            assert stats["low"] <= stats["high"] or math.isnan(stats["low"])
            own = result["scores"]["learned value model"][metric]  # type: ignore[index]
            assert result["beats"][name][metric] == bool(own > result["scores"][name][metric])  # type: ignore[index]


def test_the_result_is_json_and_the_report_has_its_tables(result: dict[str, object]) -> None:
    """The CLI can print the result as JSON, or as the report's tables."""
    json.dumps(result)
    report = format_value_report(result)
    for heading in ("Ranking against spend in the holdout", "captured by the top x %",
                    "bootstrap resamples", "at the inner cutoff", "Gamma-Gamma: p"):
        assert heading in report
    assert "BG/NBD x Gamma-Gamma" in report and "past spend" in report


def test_the_report_says_which_lines_it_left_out(tmp_path: Path) -> None:
    """A guest's line and a cancelled order's are not counted, and the report's first lines say so."""
    path = shop_log(tmp_path / "shop.csv", 70, seed=11)
    lines = path.read_text().splitlines()
    lines[0] += ",status"
    lines[1:] = [f"{line},paid" for line in lines[1:]]
    lines.insert(2, "G1,,01/04/2022 10:00,12.00,paid")
    lines.insert(3, "X1,c1,02/04/2022 10:00,99.00,cancelled")
    path.write_text("\n".join(lines) + "\n")
    result = evaluate_value(path, "csv", columns=COLUMNS + ",status=status", bootstrap=0, review_days=45)
    assert (result["guest_lines_skipped"], result["not_sales_skipped"]) == (1, 1)
    report = format_value_report(result).splitlines()
    assert report[2] == ("Lines skipped: 1 of guests (no customer), 1 of orders that were no sale "
                         "(cancelled, failed, unpaid…).")


def test_a_log_without_repeat_buyers_is_one_clear_line(tmp_path: Path) -> None:
    """Customers who each bought once give a one-line PeriodError, not a fit's traceback."""
    path = tmp_path / "once.csv"
    path.write_text("client,when,total\n" + "".join(
        f"c{i},2023-{1 + i % 12:02d}-{1 + i % 27:02d},10\n" for i in range(60)))
    with pytest.raises(PeriodError) as caught:
        evaluate_value(path, "csv", columns="customer=client,date=when,amount=total", bootstrap=0)
    assert "two different days" in str(caught.value) and "\n" not in str(caught.value)


def test_a_short_log_is_ranked_by_the_rule_as_the_worker_would_and_the_report_says_so(
    result: dict[str, object],
) -> None:
    """Too few labels to show the model ranks better: the tracker's ranking is the value rule's, said so, the model's own beside it."""
    model, scores = result["model"], result["scores"]
    assert isinstance(model, dict) and isinstance(scores, dict)
    assert model["ranked_by"] == "rule" and model["rule_prequential"]["n"] == model["prequential"]["n"]
    tracker, rule = scores["learned value model"], scores["value rule (models.value)"]
    assert (tracker["spearman"], tracker["top_decile"]) == pytest.approx((rule["spearman"], rule["top_decile"]))
    assert set(model["alone"]) == {"spearman", "top_decile"}
    report = format_value_report(result)
    assert "Ranked by: the value rule, as the worker would: the learned model has learned " in report
    assert "learned value model (the rule ranks)" in report
