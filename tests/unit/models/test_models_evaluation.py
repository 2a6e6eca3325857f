"""Offline evaluation: the shape of the results and reports, on synthetic and (if present) real data."""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from pathlib import Path

import pytest

from models.datasets import UCI_COLUMNS, load_log
from models.errors import DataFileError
from models.periods import PeriodError
from models.evaluation import (
    PUBLISHED_INTENT,
    evaluate_intent,
    evaluate_loyalty,
    format_intent_report,
    format_loyalty_report,
)
from models.value_evaluation import evaluate_value

RETAIL_II_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
MONTHS = ["Feb", "Mar", "May", "June", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def uci_file(path: Path, n: int, seed: int) -> Path:
    """A synthetic file in the UCI layout where valued pages and long visits mean buyers."""
    rng = random.Random(seed)
    lines = [",".join(UCI_COLUMNS)]
    for _ in range(n):
        bought = rng.random() < 0.2
        value = rng.uniform(5, 50) if rng.random() < (0.7 if bought else 0.1) else 0.0
        pages = rng.randint(5, 60) if bought else rng.randint(0, 20)
        lines.append(
            f"{rng.randint(0, 5)},{rng.uniform(0, 200):.1f},0,0,{pages},{pages * 30.0:.1f},"
            f"{rng.uniform(0, 0.05):.3f},{rng.uniform(0, 0.1):.3f},{value:.2f},0,"
            f"{rng.choice(MONTHS)},2,2,1,{rng.randint(1, 4)},Returning_Visitor,FALSE,"
            f"{'TRUE' if bought else 'FALSE'}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def cdnow_file(path: Path, customers: int, seed: int) -> Path:
    """A synthetic CDNOW-layout file: a Q1 1997 cohort buying at customer-specific rates."""
    rng = random.Random(seed)
    lines = []
    for c in range(1, customers + 1):
        first = dt.date(1997, 1, 1) + dt.timedelta(days=rng.randint(0, 89))
        rate = rng.choice([0.005, 0.02, 0.05])  # purchases per day while active
        lifetime = rng.expovariate(1 / 300)
        day = first
        while day <= dt.date(1998, 6, 30) and (day - first).days <= lifetime:
            lines.append(f" {c:05d} {c:04d} {day:%Y%m%d}  1   {rng.uniform(5, 50):.2f}")
            day += dt.timedelta(days=1 + int(rng.expovariate(rate)))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_intent_evaluation_reports_test_figures_next_to_the_paper(tmp_path: Path) -> None:
    """evaluate_intent returns mean/std test figures, prequential AUC, paper rows and timings."""
    calls: list[tuple[int, int]] = []
    result = evaluate_intent(uci_file(tmp_path / "s.csv", 600, seed=1), repeats=2, seed=5,
                             progress=lambda done, total: calls.append((done, total)))
    assert (result["rows"], result["protocol"]["train_rows"], result["protocol"]["test_rows"]) == (600, 420, 180)
    for name in ("accuracy", "tpr", "tnr", "f1", "roc_auc", "threshold"):
        assert set(result["test"][name]) == {"mean", "std"}
        assert 0.0 <= result["test"][name]["mean"] <= 1.0
    assert result["test"]["roc_auc"]["mean"] > 0.8
    assert len(result["repeats"]) == 2
    assert result["progressive"]["roc_auc"] > 0.7
    assert result["published"] == [dict(r) for r in PUBLISHED_INTENT]
    assert result["timing_us"]["learn_one"] > 0 and result["timing_us"]["predict_proba_one"] > 0
    assert calls[-1] == (3 * 600, 3 * 600)
    json.dumps(result)  # the CLI prints it with --json


def test_intent_evaluation_is_reproducible_for_a_seed(tmp_path: Path) -> None:
    """The same seed gives the same figures."""
    path = uci_file(tmp_path / "s.csv", 300, seed=2)
    first = evaluate_intent(path, repeats=1, seed=9)
    second = evaluate_intent(path, repeats=1, seed=9)
    assert first["test"] == second["test"]


@pytest.mark.parametrize("sessions", [8, 30], ids=["too few sessions", "many, none buying"])
def test_intent_evaluation_refuses_a_split_whose_test_rows_all_buy_or_none(tmp_path: Path, sessions: int) -> None:
    """A small UCI-layout file, or one without buyers: the spread of NaN ROC AUCs failed with a traceback."""
    path = uci_file(tmp_path / "s.csv", sessions, seed=4)
    if sessions == 30:
        path.write_text(path.read_text().replace(",TRUE\n", ",FALSE\n"))
    with pytest.raises(DataFileError, match=r"the test rows of split \d+ \(seed \d+\), \d+ of its "
                       f"{sessions} sessions, hold (no buyer|only buyers)"):
        evaluate_intent(path, repeats=10)


def test_intent_report_is_a_table_with_our_row_and_the_papers(tmp_path: Path) -> None:
    """The report names the data, shows our figures and each published classifier."""
    result = evaluate_intent(uci_file(tmp_path / "s.csv", 300, seed=3), repeats=1)
    report = format_intent_report(result)
    assert str(tmp_path / "s.csv") in report
    assert f"{100 * result['test']['accuracy']['mean']:.2f} %" in report
    for paper in PUBLISHED_INTENT:
        assert paper["classifier"] in report
    assert "µs per learn_one" in report


def test_loyalty_evaluation_compares_with_bgnbd_on_the_same_customers(tmp_path: Path) -> None:
    """evaluate_loyalty scores every calibration customer with both models and says who wins."""
    calls: list[tuple[int, int]] = []
    result = evaluate_loyalty(cdnow_file(tmp_path / "cd.txt", 300, seed=4), "cdnow",
                              progress=lambda done, total: calls.append((done, total)))
    assert result["customers"] == 300
    assert 0 < result["holdout_buyers"] < 300
    assert result["holdout"] == {"start": "1997-10-01", "end": "1998-06-30", "days": 273}
    for value in (result["loyalty"]["roc_auc"], result["bgnbd"]["roc_auc_p_alive"],
                  result["bgnbd"]["roc_auc_expected_purchases"]):
        assert 0.0 <= value <= 1.0
    assert result["loyalty"]["learned"] > 0
    assert all(result["bgnbd"][k] > 0 for k in ("r", "alpha", "a", "b"))
    assert result["loyalty_beats_bgnbd"] == (
        result["loyalty"]["roc_auc"]
        >= max(result["bgnbd"]["roc_auc_p_alive"], result["bgnbd"]["roc_auc_expected_purchases"])
    )
    assert calls[-1][0] == calls[-1][1] == result["calibration"]["transactions"]
    json.dumps(result)
    report = format_loyalty_report(result)
    assert "BG/NBD expected purchases in holdout" in report and "1997-10-01" in report


def retail_lines(customers: int, seed: int, *, header: str = RETAIL_II_HEADER, day_first: bool = False) -> list[str]:
    """Invoice lines of ``customers`` shoppers buying every 7 to 200 days, 2009-12-01 to 2010-12-09."""
    rng = random.Random(seed)
    lines = [header]
    invoice = 500000
    for customer in range(customers):
        moment = dt.datetime(2009, 12, 1, 10) + dt.timedelta(days=rng.randint(0, 60))
        while moment < dt.datetime(2010, 12, 9):
            invoice += 1
            when = f"{moment:%d/%m/%Y %H:%M}" if day_first else f"{moment:%Y-%m-%d %H:%M:%S}"
            lines.append(f"{invoice},A,cup,{rng.randint(1, 5)},{when},2.5,{12000 + customer},UK")
            moment += dt.timedelta(days=rng.choice([7, 20, 60, 200]))
    return lines


def test_loyalty_evaluation_reads_online_retail_with_periods_from_the_data(tmp_path: Path) -> None:
    """The holdout is the log's last 90 days, the calibration everything before; guest lines are counted."""
    lines = retail_lines(40, seed=5)
    lines.append("999999,A,cup,1,2010-01-01 10:00:00,2.5,,UK")
    path = tmp_path / "r.csv"
    path.write_text("\n".join(lines) + "\n")
    last = max(dt.date.fromisoformat(line.split(",")[4][:10]) for line in lines[1:])
    result = evaluate_loyalty(path, "online-retail", review_days=90)
    assert result["periods"] == "data"
    assert result["holdout"] == {
        "start": (last - dt.timedelta(days=89)).isoformat(), "end": last.isoformat(), "days": 90,
    }
    assert result["calibration"]["end"] == (last - dt.timedelta(days=90)).isoformat()
    assert result["guest_lines_skipped"] == 1
    assert result["customers"] == 40
    assert result["published_bgnbd"] is None
    report = format_loyalty_report(result)
    assert "Periods: the log's last 90 days." in report and "Lines skipped: 1 of guests (no customer)." in report


def test_loyalty_evaluation_takes_a_cutoff_and_horizon(tmp_path: Path) -> None:
    """A given cutoff and horizon set the periods, even on CDNOW; the published comparison is then left out."""
    result = evaluate_loyalty(cdnow_file(tmp_path / "cd.txt", 100, seed=6), "cdnow",
                              cutoff=dt.date(1997, 12, 31), horizon_days=60, review_days=90)
    assert result["periods"] == "cutoff"
    assert result["holdout"] == {"start": "1998-01-01", "end": "1998-03-01", "days": 60}
    assert result["loyalty"]["horizon_days"] == 60
    assert result["published_bgnbd"] is None


def test_a_cdnow_layout_log_of_other_dates_is_evaluated(tmp_path: Path) -> None:
    """A whitespace log in CDNOW's layout from another decade gets periods from its own dates."""
    text = cdnow_file(tmp_path / "cd.txt", 50, seed=7).read_text()
    shifted = tmp_path / "later.txt"
    shifted.write_text("\n".join(
        line.replace(" 1997", " 2007").replace(" 1998", " 2008") for line in text.splitlines()
    ) + "\n")
    result = evaluate_loyalty(shifted, "cdnow", review_days=90)
    assert result["periods"] == "data"
    assert result["calibration"]["end"].startswith("2008")
    assert 0.0 <= result["loyalty"]["roc_auc"] <= 1.0


def test_online_retail_i_read_as_a_mapped_csv_log_is_evaluated(tmp_path: Path) -> None:
    """Online Retail I's layout with day-first dates, read through a column mapping, is evaluated on its own periods."""
    retail_i = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    path = tmp_path / "retail_i.csv"
    path.write_text("\n".join(retail_lines(30, seed=8, header=retail_i, day_first=True)) + "\n")
    columns = "customer=CustomerID,date=InvoiceDate,amount=UnitPrice,order=InvoiceNo"
    mapped = load_log(path, "csv", columns=columns).transactions
    assert [(t.customer_id, t.at, t.invoice) for t in mapped] == [
        (t.customer_id, t.at, t.invoice) for t in load_log(path, "online-retail").transactions
    ]
    result = evaluate_loyalty(path, "csv", columns=columns, review_days=120)
    assert (result["layout"], result["customers"], result["periods"]) == ("CSV", 30, "data")


def test_a_log_without_repeat_buyers_before_the_cutoff_is_one_clear_line(tmp_path: Path) -> None:
    """Every customer buying once before the cutoff raises a one-line PeriodError, not a fit's traceback."""
    path = tmp_path / "once.txt"
    path.write_text("".join(f" {c:05d} {c:04d} 200{c % 3}0{1 + c % 9}01  1   10.00\n" for c in range(1, 30))
                    + " 00001 0001 20030101  1   10.00\n")
    with pytest.raises(PeriodError) as caught:
        evaluate_loyalty(path, "cdnow")
    message = str(caught.value)
    assert "no customer bought on two different days" in message and "\n" not in message
    assert message.startswith(str(path))


def test_a_log_whose_customer_column_is_an_id_per_order_is_refused_saying_so(tmp_path: Path) -> None:
    """Olist's orders joined to their payments: customer_id is new on every order; the refusal says so."""
    path = tmp_path / "orders_payments.csv"
    path.write_text("order_id,customer_id,order_status,order_purchase_timestamp,payment_value\n" + "".join(
        f"o{n},c{n},delivered,2023-{1 + n % 12:02d}-{1 + n % 28:02d} 10:00:00,{10 + n}.00\n" for n in range(60)))
    for evaluate in (evaluate_loyalty, evaluate_value):
        with pytest.raises(PeriodError, match=r"no customer of the whole log has two orders: is its customer column an "
                                              r"id per order \(as Olist's customer_id, where customer_unique_id is "
                                              r"the person\)\?$"):
            evaluate(path, "csv")


def test_an_unknown_log_format_is_refused(tmp_path: Path) -> None:
    """A format other than cdnow or online-retail raises ValueError naming the choices."""
    with pytest.raises(ValueError, match="cdnow"):
        evaluate_loyalty(tmp_path / "x.txt", "excel")  # type: ignore[arg-type]


@pytest.mark.data
def test_intent_evaluation_on_a_subsample_of_the_real_data(shared_data: Path) -> None:
    """One repeat on 3,000 real sessions gives figures of the expected shape and sense."""
    result = evaluate_intent(shared_data / "online_shoppers_intention.csv", repeats=1, limit=3000)
    assert result["rows"] == 3000
    assert 0.8 < result["test"]["roc_auc"]["mean"] <= 1.0
    assert not math.isnan(result["progressive"]["roc_auc"])


@pytest.mark.data
def test_loyalty_beats_bgnbd_on_cdnow(shared_data: Path) -> None:
    """On CDNOW the online loyalty model ranks holdout buyers at least as well as BG/NBD."""
    result = evaluate_loyalty(shared_data / "CDNOW_sample.txt", "cdnow")
    assert result["customers"] == 2357
    assert result["bgnbd"]["r"] == pytest.approx(0.243, abs=0.001)
    assert result["loyalty_beats_bgnbd"]


def test_a_log_whose_customers_all_order_in_the_holdout_is_one_clear_line(tmp_path: Path) -> None:
    """One customer (all ordering in the holdout) raises a one-line PeriodError, not ROC AUCs of nan."""
    path = tmp_path / "one.csv"
    path.write_text("customer_id,date,amount\n" + "".join(
        f"7,{dt.date(2020, 1, 1) + dt.timedelta(days=10 * i)},10.00\n" for i in range(40)))
    with pytest.raises(PeriodError, match=r"one\.csv: all of the 1 customers known at the cutoff .* ordered "
                                          r"in the holdout; ROC AUC needs"):
        evaluate_loyalty(path, "csv")
