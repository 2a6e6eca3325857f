"""Data-set loaders: what they read, and the errors that name file, line and column."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from models.datasets import UCI_COLUMNS, load_cdnow, load_online_retail, load_online_shoppers
from models.errors import DataFileError

UCI_HEADER = ",".join(UCI_COLUMNS)
UCI_ROW = "0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,FALSE"
RETAIL_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_online_shoppers_rows_become_features_and_labels(tmp_path: Path) -> None:
    """Each data line becomes one (features, bought) pair."""
    second = "2,40,0,0,12,300,0.01,0.02,12.5,0,Nov,2,2,3,2,New_Visitor,TRUE,TRUE"
    rows = load_online_shoppers(write(tmp_path / "s.csv", f"{UCI_HEADER}\n{UCI_ROW}\n{second}\n"))
    assert [y for _, y in rows] == [False, True]
    assert rows[1][0]["month"] == 11.0
    assert rows[1][0]["returning_visitor"] == 0.0


def test_online_shoppers_missing_column_names_the_header_line(tmp_path: Path) -> None:
    """A header without a needed column raises DataFileError at line 1 naming the column."""
    header = UCI_HEADER.replace("PageValues", "PageValue")
    path = write(tmp_path / "s.csv", f"{header}\n{UCI_ROW}\n")
    with pytest.raises(DataFileError) as caught:
        load_online_shoppers(path)
    error = caught.value
    assert (error.path, error.line, error.column) == (str(path), 1, "PageValues")
    assert "PageValues" in str(error) and "line 1" in str(error)


def test_online_shoppers_bad_value_names_line_column_expected_and_found(tmp_path: Path) -> None:
    """A non-numeric value raises DataFileError with its line, column, expectation and value."""
    bad = UCI_ROW.replace("0.2,0.2,0,0,Feb", "0.2,0.2,n/a,0,Feb")
    path = write(tmp_path / "s.csv", f"{UCI_HEADER}\n{UCI_ROW}\n{bad}\n")
    with pytest.raises(DataFileError) as caught:
        load_online_shoppers(path)
    error = caught.value
    assert (error.line, error.column, error.expected, error.found) == (3, "PageValues", "a number", "n/a")
    assert str(error) == (
        f"{path}, line 3, column 'PageValues': bad value (expected a number, found 'n/a')"
    )


def test_online_shoppers_short_row_is_reported(tmp_path: Path) -> None:
    """A row with too few fields raises DataFileError on its line."""
    path = write(tmp_path / "s.csv", f"{UCI_HEADER}\n0,0,0\n")
    with pytest.raises(DataFileError, match="line 2") as caught:
        load_online_shoppers(path)
    assert caught.value.found == 3


def test_cdnow_lines_become_transactions_in_time_order(tmp_path: Path) -> None:
    """Each line is one purchase of its customer, in UTC, sorted by date."""
    text = " 00002 0002 19970112  1   12.00\n 00001 0001 19970101  2   29.33\n"
    log = load_cdnow(write(tmp_path / "cd.txt", text))
    assert [(t.customer_id, t.at.isoformat(), t.amount) for t in log.transactions] == [
        ("00001", "1997-01-01T00:00:00+00:00", 29.33),
        ("00002", "1997-01-12T00:00:00+00:00", 12.0),
    ]
    assert (log.lines, log.customers) == (2, 2)


@pytest.mark.parametrize(
    ("line", "column", "expected"),
    [
        (" 00001 0001 19971301  2   29.33", "date", "a date YYYYMMDD"),
        (" 00001 0001 19970101  two 29.33", "CDs", "a number"),
        (" 00001 0001 19970101  2   $29", "dollars", "a number"),
        (" 00001 0001 19970101  2", "dollars", "5 whitespace-separated fields"),
    ],
)
def test_cdnow_bad_line_names_line_and_column(tmp_path: Path, line: str, column: str, expected: str) -> None:
    """A bad date, a non-number or a short line raises DataFileError naming line and column."""
    path = write(tmp_path / "cd.txt", f" 00001 0001 19970101  2   29.33\n{line}\n")
    with pytest.raises(DataFileError) as caught:
        load_cdnow(path)
    assert (caught.value.line, caught.value.column, caught.value.expected) == (2, column, expected)


def retail_file(tmp_path: Path, lines: list[str], *, gzipped: bool = True) -> Path:
    text = "\n".join([RETAIL_HEADER, *lines]) + "\n"
    if not gzipped:
        return write(tmp_path / "r.csv", text)
    path = tmp_path / "r.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path


def test_online_retail_groups_lines_into_orders_and_refunds(tmp_path: Path) -> None:
    """Lines of an invoice sum to one transaction; C-invoices are refunds; guests are counted and skipped."""
    path = retail_file(
        tmp_path,
        [
            "1001,A,cup,2,2010-01-04 10:00:00,1.5,17.0,UK",
            '1001,B,"plate, big",1,2010-01-04 10:00:00,2.0,17.0,UK',
            "1002,A,cup,1,2010-01-05 09:00:00,1.5,,UK",
            "1003,D,Discount,-1,2010-01-06 09:00:00,0.5,18,UK",
            "1003,A,cup,4,2010-01-06 09:00:00,1.5,18,UK",
            "C1004,A,cup,-2,2010-01-07 09:00:00,1.5,17,UK",
        ],
    )
    log = load_online_retail(path)
    assert [(t.customer_id, t.invoice, t.amount, t.refund, t.discounted) for t in log.transactions] == [
        ("17", "1001", 5.0, False, False),
        ("18", "1003", 5.5, False, True),
        ("17", "C1004", 3.0, True, False),
    ]
    assert (log.lines, log.guest_lines, log.cancellation_lines, log.customers) == (6, 1, 1, 2)


def test_online_retail_reads_plain_csv_too(tmp_path: Path) -> None:
    """An uncompressed file is read the same way."""
    path = retail_file(tmp_path, ["1001,A,cup,2,2010-01-04 10:00:00,1.5,17,UK"], gzipped=False)
    assert load_online_retail(path).transactions[0].amount == 3.0


@pytest.mark.parametrize(
    ("line", "column", "found"),
    [
        ("1001,A,cup,2,04/01/2010 10:00,1.5,17,UK", "InvoiceDate", "04/01/2010 10:00"),
        ("1001,A,cup,two,2010-01-04 10:00:00,1.5,17,UK", "Quantity", "two"),
        ("1001,A,cup,2,2010-01-04 10:00:00,,17,UK", "Price", ""),
    ],
)
def test_online_retail_bad_value_names_line_and_column(tmp_path: Path, line: str, column: str, found: str) -> None:
    """A bad date or a non-numeric quantity or price raises DataFileError at its line and column."""
    path = retail_file(tmp_path, ["1000,A,cup,1,2010-01-04 09:00:00,1.0,17,UK", line])
    with pytest.raises(DataFileError) as caught:
        load_online_retail(path)
    assert (caught.value.path, caught.value.line, caught.value.column) == (str(path), 3, column)
    assert caught.value.found == found


def test_online_retail_missing_column_is_reported(tmp_path: Path) -> None:
    """A file without "Customer ID" raises DataFileError on the header line."""
    path = tmp_path / "r.csv"
    path.write_text("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Country\n")
    with pytest.raises(DataFileError) as caught:
        load_online_retail(path)
    assert (caught.value.line, caught.value.column) == (1, "Customer ID")


def test_a_damaged_gzip_file_is_reported_as_a_data_file_error(tmp_path: Path) -> None:
    """A truncated gzip file raises DataFileError rather than a bare decompression error."""
    good = retail_file(tmp_path, [f"{1000 + i},A,cup,1,2010-01-04 09:00:00,1.0,17,UK" for i in range(2000)])
    damaged = tmp_path / "damaged.csv.gz"
    damaged.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(DataFileError, match="unreadable"):
        load_online_retail(damaged)
