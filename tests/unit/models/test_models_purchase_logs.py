"""Purchase logs as users have them: Online Retail I and II, CDNOW sample and master, generic CSV."""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from models.csv_logs import ColumnMap, parse_columns
from models.datasets import detect_format, load_cdnow, load_csv, load_log, load_online_retail
from models.errors import DataFileError

RETAIL_I = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
RETAIL_II = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"


def write(path: Path, text: str, *, encoding: str = "utf-8", gzipped: bool = False) -> Path:
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if gzipped else data)
    return path


def test_online_retail_i_header_and_month_first_dates_are_read(tmp_path: Path) -> None:
    """InvoiceNo/UnitPrice/CustomerID columns and 12/1/2010 8:26 dates (month first) give the right orders."""
    path = write(tmp_path / "retail.csv", "\n".join([
        RETAIL_I,
        "536365,85123A,WHITE HANGING HEART,6,12/1/2010 8:26,2.55,17850.0,United Kingdom",
        "536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850.0,United Kingdom",
        "536366,22633,HAND WARMER,6,12/13/2010 8:28,1.85,13047,United Kingdom",
        "C536379,D,Discount,-1,1/4/2011 9:41,27.50,14527,United Kingdom",
    ]) + "\n")
    log = load_online_retail(path)
    assert log.layout == "Online Retail I"
    assert [(t.customer_id, t.invoice, t.at.isoformat(), round(t.amount, 2), t.refund) for t in log.transactions] == [
        ("17850", "536365", "2010-12-01T08:26:00+00:00", 35.64, False),
        ("13047", "536366", "2010-12-13T08:28:00+00:00", 11.1, False),
        ("14527", "C536379", "2011-01-04T09:41:00+00:00", 27.5, True),
    ]
    assert log.transactions[0].products == ("71053", "85123A")


def test_day_first_dates_are_read_from_the_data(tmp_path: Path) -> None:
    """The same layout exported day-first (13/12/2010) is read day-first, with no year or locale assumed."""
    path = write(tmp_path / "retail.csv", "\n".join([
        RETAIL_I,
        "1,A,x,1,1/12/2010 8:26,2.0,7,UK",
        "2,A,x,1,13/12/2010 8:26,2.0,7,UK",
    ]) + "\n")
    assert [t.at.date().isoformat() for t in load_online_retail(path).transactions] == ["2010-12-01", "2010-12-13"]


def test_a_latin1_gzip_export_is_read(tmp_path: Path) -> None:
    """A gzip file in Latin-1 (a '£' in a description) reads like UTF-8, whatever its name."""
    text = f"{RETAIL_II}\n1,A,MUG £1,2,2010-01-04 10:00:00,1.5,17,UK\n"
    path = write(tmp_path / "retail.data", text, encoding="latin-1", gzipped=True)
    assert load_online_retail(path).transactions[0].amount == 3.0


def test_dates_that_contradict_each_other_name_the_line(tmp_path: Path) -> None:
    """13/1/2010 (day first) then 1/13/2010 (month first) is one error on the second one's line."""
    path = write(tmp_path / "retail.csv", "\n".join([
        RETAIL_II, "1,A,x,1,13/1/2010 10:00,1.5,17,UK", "2,A,x,1,1/13/2010 10:00,1.5,17,UK",
    ]) + "\n")
    with pytest.raises(DataFileError) as caught:
        load_online_retail(path)
    error = caught.value
    assert (error.line, error.column, error.found) == (3, "InvoiceDate", "1/13/2010 10:00")
    assert "day first" in str(error) and "\n" not in str(error)


def test_a_damaged_workbook_or_a_zip_archive_of_several_files_is_refused_in_one_line(tmp_path: Path) -> None:
    """A workbook that cannot be opened, or a zip of several files that is no workbook, is one line naming the file."""
    damaged = tmp_path / "Online Retail.xlsx"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    archive_path = tmp_path / "orders.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("orders.csv", "a,b\n")
        archive.writestr("customers.csv", "a,b\n")
    for path, message in ((damaged, "unreadable workbook"), (archive_path, r"a zip archive of 2 files \(orders\.csv, "
                                                                           r"customers\.csv\)")):
        with pytest.raises(DataFileError, match=message) as caught:
            load_online_retail(path)
        assert "\n" not in str(caught.value) and str(path) in str(caught.value)


def test_a_zip_archive_of_one_log_is_read_as_that_log(tmp_path: Path) -> None:
    """A data set downloaded as a zip of one CSV (with macOS's __MACOSX notes) is read, and its format told, as the CSV."""
    text = f"{RETAIL_II}\n1,A,MUG,2,2010-01-04 10:00:00,1.5,17,UK\nC2,A,MUG,-1,2010-01-05 10:00:00,1.5,17,UK\n"
    path = tmp_path / "online-retail-ii.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("__MACOSX/._online_retail_II.csv", b"\x00\x05\x16\x07")
        archive.writestr("online_retail_II.csv", text)
    log = load_log(path, detect_format(path))
    assert log.layout == "Online Retail II"
    assert [(t.invoice, t.amount, t.refund) for t in log.transactions] == [("1", 3.0, False), ("C2", 1.5, True)]


def test_a_windows_1252_export_reads_its_euro_signs(tmp_path: Path) -> None:
    """A CSV saved by a Windows spreadsheet (€ as byte 0x80, not Latin-1's) reads its amounts, not a bad value."""
    path = write(tmp_path / "orders.csv", "customer_id;order_date;amount\n7;2024-03-01;€12,50\n7;2024-03-09;€1.234,00\n",
                 encoding="cp1252")
    assert [t.amount for t in load_csv(path).transactions] == [12.5, 1234.0]


def test_cdnow_master_file_has_four_columns(tmp_path: Path) -> None:
    """The master file's lines (id, date, CDs, dollars) are read as purchases."""
    path = write(tmp_path / "CDNOW_master.txt", "00001 19970101 1 11.77\n00002 19970112 1 12.00\n00002 19970112 5 77.00\n")
    log = load_cdnow(path)
    assert log.layout == "CDNOW master"
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("00001", 11.77), ("00002", 12.0), ("00002", 77.0)]


def test_cdnow_master_file_with_a_header_of_names_is_read_in_either_format(tmp_path: Path) -> None:
    """The master file as the lifetimes package ships it (a header, runs of spaces) is read as CDNOW and as a table."""
    path = write(tmp_path / "CDNOW_master.txt", " customer_id  date number_of_cds  dollar_value\n"
                 " 00001 19970101  1   11.77\n 00002 19970112  1   12.00\n 00002 19970213  5   77.00\n")
    as_cdnow, as_table = load_cdnow(path), load_log(path, detect_format(path))
    assert as_cdnow.layout == "CDNOW master"
    for log in (as_cdnow, as_table):
        assert [(t.customer_id, t.at.date().isoformat(), t.amount) for t in log.transactions] == [
            ("00001", "1997-01-01", 11.77), ("00002", "1997-01-12", 12.0), ("00002", "1997-02-13", 77.0)]


def test_a_table_written_with_runs_of_spaces_and_quoted_words_is_read_from_its_header(tmp_path: Path) -> None:
    """Columns apart by runs of spaces (R's write.table, a fixed-width .txt) are columns; a quoted field keeps its space."""
    path = write(tmp_path / "orders.txt", '"customer" "order_date" "total"\n"ann lee"  2024-03-01   10.5\n'
                 '"bo"       2024-03-02   7\n')
    log = load_csv(path)
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("ann lee", 10.5), ("bo", 7.0)]


def test_a_date_column_the_header_does_not_name_is_told_by_its_values_and_said(tmp_path: Path) -> None:
    """H&M's t_dat, of dates, is the date; numbers that could be dates (an article id of 8 digits) are not."""
    path = write(tmp_path / "transactions_train.csv", "t_dat,customer_id,article_id,price,sales_channel_id\n"
                 "2018-09-20,00a1,20180920,0.0508,2\n2018-09-20,00a1,541518023,0.0305,2\n2018-10-20,00b2,505221004,0.0152,1\n")
    log = load_csv(path)
    assert [(t.customer_id, t.at.date().isoformat(), round(t.amount, 4)) for t in log.transactions] == [
        ("00a1", "2018-09-20", 0.0813), ("00b2", "2018-10-20", 0.0152)]
    assert "'t_dat' read as the date: the header names none, its values are dates" in log.layout


def test_a_header_naming_no_date_beside_two_columns_of_dates_is_refused_naming_them(tmp_path: Path) -> None:
    """Of two unnamed columns of dates neither is guessed: one line names both."""
    path = write(tmp_path / "orders.csv", "customer,placed,shipped,total\nc1,2024-01-01,2024-01-03,5\n")
    with pytest.raises(DataFileError, match="several hold dates: 'placed', 'shipped'"):
        load_csv(path)


def test_cdnow_lines_must_keep_the_first_lines_layout(tmp_path: Path) -> None:
    """A 4-field line in a 5-field file, or a 3-field first line, is an error naming the line."""
    mixed = write(tmp_path / "mixed.txt", " 00001 0001 19970101  2   29.33\n00002 19970112 1 12.00\n")
    with pytest.raises(DataFileError, match="line 2") as caught:
        load_cdnow(mixed)
    assert caught.value.expected == "5 whitespace-separated fields"
    short = write(tmp_path / "short.txt", "00001 19970101 1\n")
    with pytest.raises(DataFileError, match="CDNOW master"):
        load_cdnow(short)


def test_generic_csv_sums_the_lines_of_an_order(tmp_path: Path) -> None:
    """With an order column, lines of one order are one transaction; a negative total is a refund."""
    path = write(tmp_path / "shop.csv", "\n".join([
        "order_id,client,when,line_total,sku",
        "A1,c1,2024-03-01T10:00:00Z,10.00,p1",
        "A1,c1,2024-03-01T10:00:00Z,5.50,p2",
        "A2,c2,2024-03-02 11:00,20,p1",
        "R1,c1,2024-03-05 09:00,-5.50,p2",
        "A3,,2024-03-06 09:00,3,p1",
        "A4,c2,2024-03-07 09:00,0,p1",
    ]) + "\n")
    log = load_csv(path, "customer=client,date=when,amount=line_total,order=order_id,product=sku")
    assert [(t.customer_id, t.invoice, t.amount, t.refund, t.products) for t in log.transactions] == [
        ("c1", "A1", 15.5, False, ("p1", "p2")),
        ("c2", "A2", 20.0, False, ("p1",)),
        ("c1", "R1", 5.5, True, ("p2",)),
    ]
    assert (log.guest_lines, log.skipped_invoices, log.layout) == (1, 1, "CSV")


def test_generic_csv_without_order_column_groups_by_customer_and_moment(tmp_path: Path) -> None:
    """Lines of one customer at one moment form one order; semicolons and day-first dates are read."""
    path = write(tmp_path / "shop.csv", "who;day;eur\n7;31/01/2024 10:00;1\n7;31/01/2024 10:00;2\n7;01/02/2024 10:00;4\n")
    log = load_log(path, "csv", columns=ColumnMap(customer="who", date="day", amount="eur"))
    assert [(t.at.date().isoformat(), t.amount) for t in log.transactions] == [("2024-01-31", 3.0), ("2024-02-01", 4.0)]


def test_amounts_as_european_spreadsheets_export_them(tmp_path: Path) -> None:
    """Decimal commas, points grouping thousands and currency signs are read as the numbers they are."""
    path = write(tmp_path / "shop.csv", "who;day;eur\n7;2024-01-31;1.234,50 €\n8;2024-02-01;6,95\n8;2024-02-02;-2,5\n")
    log = load_csv(path, "customer=who,date=day,amount=eur")
    assert [(t.customer_id, t.amount, t.refund) for t in log.transactions] == [
        ("7", 1234.5, False), ("8", 6.95, False), ("8", 2.5, True)]


@pytest.mark.parametrize("refund", ["-29.33", "-£29.33", "£-29.33", "-$29.33", "\u221229.33", "(29.33)", "($29.33)",
                                    "(£29.33)", "\u2212£29.33"])
def test_a_refund_with_its_minus_before_the_currency_sign_or_in_parentheses(tmp_path: Path, refund: str) -> None:
    """A refund written as spreadsheets and accounting exports write it reads as -29.33 does."""
    path = write(tmp_path / "shop.csv", f'who,day,total\n7,2024-01-31,40.00\n7,2024-02-05,"{refund}"\n')
    log = load_csv(path, "customer=who,date=day,amount=total")
    assert [(t.amount, t.refund) for t in log.transactions] == [(40.0, False), (29.33, True)]


def test_a_refund_with_a_unicode_minus_and_a_decimal_comma(tmp_path: Path) -> None:
    """−€3,50 in a semicolon file is a refund of 3.50, the column's decimal comma read as for the other amounts."""
    path = write(tmp_path / "shop.csv", "who;day;eur\n7;2024-01-31;1.234,50 €\n8;2024-02-01;\u2212€3,50\n")
    log = load_csv(path, "customer=who,date=day,amount=eur")
    assert [(t.amount, t.refund) for t in log.transactions] == [(1234.5, False), (3.5, True)]


def test_an_amount_with_two_signs_is_still_refused(tmp_path: Path) -> None:
    """'--5' or '(-5)' is no amount: the line is named, not read as a sale or a refund."""
    path = write(tmp_path / "shop.csv", "who,day,total\n7,2024-01-31,5\n7,2024-02-05,(-5)\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'total': bad value \(expected a number, found '\(-5\)'\)"):
        load_csv(path, "customer=who,date=day,amount=total")


def test_dates_as_spreadsheet_serial_numbers_are_read_and_said(tmp_path: Path) -> None:
    """A spreadsheet saved as CSV with its date cells formatted as numbers: 35431 is 1997-01-01, and the layout says so."""
    path = write(tmp_path / "shop.csv", "customer_id,date,amount\n7,35431,10\n7,35448.5,5\n")
    log = load_log(path, "csv")
    assert [t.at.isoformat() for t in log.transactions] == ["1997-01-01T00:00:00+00:00", "1997-01-18T12:00:00+00:00"]
    assert "dates read as spreadsheet serial numbers" in log.layout


def test_a_serial_date_column_with_a_value_that_is_no_plausible_serial_names_its_line(tmp_path: Path) -> None:
    """Serials are read only if every one is a date of 1990-2099; the first that is not is named."""
    path = write(tmp_path / "shop.csv", "customer_id,date,amount\n7,35431,10\n7,99999,5\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'date': bad date \(expected a spreadsheet serial date "
                                            r"from 32874 \(1990-01-01\) to 73050 \(2099-12-31\).*found '99999'\)"):
        load_log(path, "csv")


@pytest.mark.parametrize("first, second", [
    ("01-Dec-2010 08:26", "13-Dec-2010 09:00"), ("Dec 1, 2010 8:26 AM", "Dec 13, 2010 9:00 AM"),
    ("1291191960", "1292230800"), ("1291191960000", "1292230800000"),
    ("Wed, 01 Dec 2010 08:26:00 +0000", "Mon, 13 Dec 2010 10:00:00 +0100"),
    ("2010-12-01 08:26:00 AM", "2010-12-13 09:00:00 AM"), ("12/01/2010 08:26 AM", "12/13/2010 09:00 AM"),
])
def test_dates_with_month_names_or_in_unix_time(tmp_path: Path, first: str, second: str) -> None:
    path = write(tmp_path / "shop.csv", f'who,day,total\n7,"{first}",1\n7,"{second}",2\n')
    log = load_csv(path, "customer=who,date=day,amount=total")
    assert [t.at.isoformat() for t in log.transactions] == ["2010-12-01T08:26:00+00:00", "2010-12-13T09:00:00+00:00"]


def test_online_retail_exported_with_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    """The same log saved by a spreadsheet set to a European locale gives the same orders."""
    header = "Invoice;StockCode;Description;Quantity;InvoiceDate;Price;Customer ID;Country\n"
    path = write(tmp_path / "retail.csv", header + "1;A;x;3;13/12/2009 07:45;2,5;17;UK\n"
                 "1;B;y;1;13/12/2009 07:45;1.000,25;17;UK\n")
    [order] = load_log(path, "online-retail").transactions
    assert (order.amount, order.at.date().isoformat()) == (1007.75, "2009-12-13")


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


RETAIL_HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]


def test_online_retail_as_the_workbook_uci_publishes(tmp_path: Path) -> None:
    """The sheets of each year read as one log: cells typed as Excel holds them (dates, floats)."""
    from datetime import datetime

    path = workbook(tmp_path / "online_retail_II.xlsx", {
        "Year 2009-2010": [RETAIL_HEADER, ["1", "A", "x", 3, datetime(2009, 12, 1, 7, 45), 2.5, 17.0, "UK"],
                           [None] * 8, ["1", "B", "y", 1, datetime(2009, 12, 1, 7, 45), 1.25, 17.0, "UK"]],
        "Year 2010-2011": [RETAIL_HEADER, ["C2", "A", "x", -1, datetime(2010, 12, 13, 9, 0), 2.5, 17.0, "UK"]],
    })
    log = load_log(path, "online-retail")
    assert [(t.invoice, t.amount, t.refund, t.customer_id, t.at.isoformat()) for t in log.transactions] == [
        ("1", 8.75, False, "17", "2009-12-01T07:45:00+00:00"), ("C2", 2.5, True, "17", "2010-12-13T09:00:00+00:00")]


def test_a_hidden_sheet_of_a_workbook_is_left_out(tmp_path: Path) -> None:
    """A sheet the user hid (old or working data), even with the same header, adds no order to the visible sheets'."""
    from datetime import datetime

    from openpyxl import load_workbook

    path = workbook(tmp_path / "orders.xlsx", {
        "Orders": [RETAIL_HEADER, ["1", "A", "x", 3, datetime(2009, 12, 1, 7, 45), 2.5, 17, "UK"]],
        "Old": [RETAIL_HEADER, ["2", "A", "x", 3, datetime(2009, 12, 2, 7, 45), 2.5, 99, "UK"]],
    })
    book = load_workbook(path)
    book["Old"].sheet_state = "hidden"
    book.save(path)
    assert [t.invoice for t in load_log(path, "online-retail").transactions] == ["1"]


def test_a_bad_cell_is_named_by_its_sheet_and_row(tmp_path: Path) -> None:
    from datetime import datetime

    path = workbook(tmp_path / "r.xlsx", {
        "Year 2009-2010": [RETAIL_HEADER, ["1", "A", "x", 3, datetime(2009, 12, 1, 7, 45), 2.5, 17, "UK"]],
        "Year 2010-2011": [RETAIL_HEADER, ["2", "A", "x", 3, datetime(2010, 12, 1, 7, 45), 2.5, 17, "UK"],
                           ["3", "A", "x", 3, datetime(2010, 12, 2, 7, 45), "n/a", 17, "UK"]],
    })
    with pytest.raises(DataFileError, match=r"r.xlsx, sheet 'Year 2010-2011', line 3, column 'Price': bad value"):
        load_log(path, "online-retail")


def test_a_workbook_s_title_and_notes_above_the_header_are_skipped_as_a_csv_file_s_are(tmp_path: Path) -> None:
    """A report saved as .xlsx (a title, a period, a blank row, then the header) reads as its CSV does,
    on every sheet, and a bad cell is still named by the row Excel shows."""
    from datetime import datetime

    title = [["Orders report", None, None], ["Period: 2024", None, None], [None, None, None]]
    path = workbook(tmp_path / "report.xlsx", {
        "Jan": [*title, ["Customer", "Date", "Total"], ["7", datetime(2024, 1, 2), 10.5], ["8", datetime(2024, 1, 3), 4]],
        "Feb": [["Orders report", None, None], ["Customer", "Date", "Total"], ["7", datetime(2024, 2, 2), 1]],
    })
    assert detect_format(path) == "csv"
    log = load_log(path, "csv")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("7", 10.5), ("8", 4.0), ("7", 1.0)]
    bad = workbook(tmp_path / "bad.xlsx", {"Jan": [*title, ["Customer", "Date", "Total"],
                                                   ["7", datetime(2024, 1, 2), "about 3"]]})
    with pytest.raises(DataFileError, match=r"bad.xlsx, sheet 'Jan', line 5, column 'Total': bad value"):
        load_log(bad, "csv")


def test_generic_csv_date_order_can_be_given(tmp_path: Path) -> None:
    """date_order=dmy reads 02/01/2024 as 2 January even where the data cannot tell."""
    path = write(tmp_path / "shop.csv", "who,day,eur\n7,02/01/2024,1\n")
    log = load_csv(path, "customer=who,date=day,amount=eur,date_order=dmy")
    assert log.transactions[0].at.date().isoformat() == "2024-01-02"


@pytest.mark.parametrize(
    ("body", "line", "column", "found"),
    [
        ("7,2024-01-01,about 3", 2, "eur", "about 3"),
        ("7,2024-01-01,3\n8,yesterday,3", 3, "day", "yesterday"),
        ("7,2024-01-01", 2, "eur", 2),
    ],
)
def test_generic_csv_problems_name_file_line_and_column(
    tmp_path: Path, body: str, line: int, column: str, found: object
) -> None:
    """A bad amount, a bad date or a short line is one DataFileError at its line and column."""
    path = write(tmp_path / "shop.csv", f"who,day,eur\n{body}\n")
    with pytest.raises(DataFileError) as caught:
        load_csv(path, "customer=who,date=day,amount=eur")
    error = caught.value
    assert (error.path, error.line, error.column, error.found) == (str(path), line, column, found)
    assert "\n" not in str(error)


def test_generic_csv_missing_mapped_column_is_named(tmp_path: Path) -> None:
    """A mapping naming a column the header lacks fails on line 1, naming it."""
    path = write(tmp_path / "shop.csv", "who,day,eur\n7,2024-01-01,3\n")
    with pytest.raises(DataFileError) as caught:
        load_csv(path, "customer=who,date=day,amount=total")
    assert (caught.value.line, caught.value.column) == (1, "total")


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("customer=a,date=b", "missing 'amount'"),
        ("customer=a,date=b,amount=c,colour=d", "found 'colour=d'"),
        ("customer=a,date=b,amount", "found 'amount'"),
        ("customer=a,date=b,amount=c,date_order=ymd", "dmy or mdy"),
    ],
)
def test_a_bad_column_mapping_is_one_clear_line(spec: str, match: str) -> None:
    """A mapping without a needed key, with an unknown key or no value raises ValueError saying what is expected."""
    with pytest.raises(ValueError, match=match):
        parse_columns(spec)


def test_load_log_reads_a_csvs_columns_from_its_header_and_needs_a_known_format(tmp_path: Path) -> None:
    """The csv format without columns reads them from the header's names (or says it cannot); an unknown format raises."""
    path = tmp_path / "x.csv"
    path.write_text("order_id;customer_id;order_date;amount\no1;c1;2024-01-05;10,5\no2;c2;2024-01-06;-3\n")
    log = load_log(path, "csv")
    assert [(t.customer_id, t.amount, t.refund) for t in log.transactions] == [("c1", 10.5, False), ("c2", 3.0, True)]
    assert log.layout == ("CSV, columns read from its header: "
                          "customer=customer_id,date=order_date,amount=amount,order=order_id")
    path.write_text("id;when;price;qty\n1;2024-01-05;2;3\n")
    with pytest.raises(DataFileError, match=r"x.csv, line 1: header 'id,when,price,qty' names no customer and no "
                                            r"date column: give --columns"):
        load_log(path, "csv")


def test_a_csv_of_order_lines_with_unit_price_and_quantity(tmp_path: Path) -> None:
    """price × quantity per line, summed per order, whether mapped or read from the header; a negative count refunds."""
    path = tmp_path / "lines.csv"
    path.write_text("order_number,client_id,purchase_date,sku,qty,unit_price\n"
                    "A1,c1,2024-02-01,p1,2,\"1,50\"\nA1,c1,2024-02-01,p2,1,\"4,00\"\nA2,c1,2024-02-03,p1,-2,\"1,50\"\n")
    mapped = load_log(path, "csv", columns="customer=client_id,date=purchase_date,price=unit_price,quantity=qty,"
                                          "order=order_number,product=sku")
    guessed = load_log(path, "csv")
    for log in (mapped, guessed):
        assert [(t.invoice, t.amount, t.refund) for t in log.transactions] == [("A1", 7.0, False), ("A2", 3.0, True)]
    assert guessed.layout.endswith("customer=client_id,date=purchase_date,price=unit_price,quantity=qty,"
                                   "order=order_number,product=sku")
    with pytest.raises(ValueError, match="cdnow"):
        load_log(tmp_path / "x.csv", "parquet")  # type: ignore[arg-type]


SHOPIFY = (
    "Name,Email,Financial Status,Paid at,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,"
    "Created at,Lineitem quantity,Lineitem name,Lineitem price\n"
    "#1002,b@example.com,paid,2024-03-02 11:00:00 +0100,EUR,80.00,0.00,0.00,80.00,,0.00,"
    "2024-03-02 10:58:00 +0100,1,Lamp,80.00\n"
    "#1001,a@example.com,paid,2024-03-01 09:50:26 +0100,EUR,53.91,4.90,0.00,58.81,WELCOME10,5.99,"
    "2024-03-01 09:50:00 +0100,3,Mask,14.90\n"
    "#1001,a@example.com,,,,,,,,,,,1,Serum,9.20\n"
    "#1001,a@example.com,,,,,,,,,,,2,Soap,2.00\n"
)


@pytest.mark.parametrize("columns", [
    "customer=Email,date=Paid at,amount=Total,order=Name",
    "customer=Email,date=Paid at,price=Lineitem price,quantity=Lineitem quantity,order=Name",
])
def test_a_shopify_orders_export_with_its_order_fields_on_the_first_row_only(tmp_path: Path, columns: str) -> None:
    """One row per line item, the order's date and total on its first row: each order read whole."""
    path = tmp_path / "orders_export.csv"
    path.write_text(SHOPIFY)
    log = load_log(path, "csv", columns=columns)
    found = sorted((t.invoice, t.customer_id, t.at.isoformat(), t.amount) for t in log.transactions)
    total = 58.81 if "amount" in columns else 3 * 14.90 + 9.20 + 2 * 2.00
    assert found == [("#1001", "a@example.com", "2024-03-01T08:50:26+00:00", pytest.approx(total)),
                     ("#1002", "b@example.com", "2024-03-02T10:00:00+00:00", 80.0)]


def test_lines_of_orders_whose_status_says_no_sale_are_skipped_and_counted(tmp_path: Path) -> None:
    """A status column (mapped, or read from the header) drops cancelled, failed, refunded and unpaid orders."""
    path = tmp_path / "woo.csv"
    path.write_text("Order Number,Order Status,Order Date,Email (Billing),Order Total Amount\n"
                    "1,completed,2024-03-01,a@x.com,10\n2,Cancelled,2024-03-02,a@x.com,20\n"
                    "3,failed,2024-03-03,b@x.com,30\n4,processing,2024-03-04,b@x.com,40\n"
                    "5,Pending payment,2024-03-05,b@x.com,50\n6,partially-refunded,2024-03-06,c@x.com,60\n")
    guessed = load_log(path, "csv")
    mapped = load_log(path, "csv", columns="customer=Email (Billing),date=Order Date,amount=Order Total Amount,"
                                           "order=Order Number,status=Order Status")
    for log in (guessed, mapped):
        assert [t.invoice for t in log.transactions] == ["1", "4", "6"]
        assert (log.not_sales, log.lines) == (3, 6)
    assert "status=Order Status" in guessed.layout


def test_the_command_lines_columns_usage_is_the_readers() -> None:
    from models.csv_logs import USAGE
    from streams.cli.args import COLUMNS

    assert COLUMNS == USAGE


def test_a_log_without_a_header_is_read_by_column_numbers(tmp_path: Path) -> None:
    """A first line of data (numbers, dates) is no header: its columns are named 1, 2, …, and it is a row."""
    path = write(tmp_path / "orders.csv", "17,2024-03-01 10:00,12.50\n17,2024-03-09 10:00,4\n18,2024-03-02 11:00,7\n")
    log = load_csv(path, "customer=1,date=2,amount=3")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("17", 12.5), ("18", 7.0), ("17", 4.0)]


def test_a_log_without_a_header_and_no_mapping_is_refused_asking_for_column_numbers(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "17,2024-03-01 10:00,12.50\n")
    with pytest.raises(DataFileError, match=r"orders.csv, line 1: no header line, the first line is data: give "
                                            r"--columns with the columns' numbers, 1 for the first"):
        load_csv(path)


def test_a_column_number_names_a_column_of_a_file_with_a_header_too(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", "who,when,total\n17,2024-03-01 10:00,12.50\n")
    log = load_csv(path, "customer=1,date=when,amount=3")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("17", 12.5)]


@pytest.mark.parametrize(("header", "expected"), [
    ("household_key,BASKET_ID,day_date,SALES_VALUE",  # a grocery's basket is its order
     "customer=household_key,date=day_date,amount=SALES_VALUE,order=BASKET_ID"),
    # Amazon's All Orders report: its sales-channel is no money (the item's money is its item-price)
    ("amazon-order-id,purchase-date,order-status,sales-channel,item-price,buyer-email",
     "customer=buyer-email,date=purchase-date,price=item-price,order=amazon-order-id,status=order-status"),
    ("Order Date,Customer,Sales Channel,Sales Rep,Sales Region,Sales Total",  # who and where sold, beside the money
     "customer=Customer,date=Order Date,amount=Sales Total"),
])
def test_more_of_the_usual_header_names(header: str, expected: str) -> None:
    from models.csv_logs import describe, guess_columns

    assert describe(guess_columns(header.split(","))).startswith(expected)


def test_a_parquet_export_is_read_as_the_same_csv_is(tmp_path: Path) -> None:
    """A warehouse's export (BigQuery, Snowflake) as Parquet: typed columns, read by the header's names."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path = write(tmp_path / "orders.csv", "order_id,customer_id,created_at,total\n"
                     "A1,17,2024-03-01 10:00:00,12.5\nA2,18,2024-03-02 11:00:00,7\nA3,17,2024-03-09 10:00:00,4\n")
    table = pa.table({"order_id": ["A1", "A2", "A3"], "customer_id": [17, 18, 17],
                      "created_at": [dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 3, 2, 11), dt.datetime(2024, 3, 9, 10)],
                      "total": [12.5, 7.0, 4.0]})
    pq.write_table(table, tmp_path / "orders.parquet")
    from_csv, from_parquet = load_csv(csv_path), load_csv(tmp_path / "orders.parquet")
    assert from_parquet.transactions == from_csv.transactions and len(from_csv.transactions) == 3


def test_a_damaged_parquet_file_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    path.write_bytes(b"PAR1" + b"\0" * 20)
    with pytest.raises(DataFileError, match=r"orders.parquet: unreadable Parquet file"):
        load_csv(path)


def test_woocommerce_statuses_with_their_wc_prefix_say_no_sale_too(tmp_path: Path) -> None:
    """WooCommerce writes statuses as wc-completed, wc-refunded, wc-cancelled: the refunded and cancelled orders are no sales."""
    path = tmp_path / "woo.csv"
    path.write_text("Order Number,Order Date,Customer User,Order Total Amount,Order Status\n"
                    "1,2024-03-01 10:00,7,10.00,wc-completed\n2,2024-03-02 10:00,7,20.00,wc-refunded\n"
                    "3,2024-03-03 10:00,8,30.00,wc-cancelled\n4,2024-03-04 10:00,8,40.00,wc-processing\n"
                    "5,2024-03-05 10:00,8,50.00,wc-on-hold\n6,2024-03-06 10:00,9,60.00,wc-partially-refunded\n")
    log = load_log(path, "csv")
    assert [t.invoice for t in log.transactions] == ["1", "4", "6"]
    assert (log.not_sales, log.lines) == (3, 6)


@pytest.mark.parametrize("guest", ["0", "NULL", "\\N", "nan", "N/A"])
def test_a_guest_placeholder_is_no_customer(tmp_path: Path, guest: str) -> None:
    """WooCommerce's customer 0 (or a NULL, NaN, N/A) marks a guest order: counted as a guest line, not one big customer."""
    path = tmp_path / "orders.csv"
    path.write_text("Order Number,Order Date,Customer User,Order Total Amount\n"
                    f"1,2024-03-01 10:00,7,10.00\n2,2024-03-02 10:00,{guest},20.00\n3,2024-03-03 10:00,{guest},30.00\n")
    log = load_log(path, "csv")
    assert [(t.invoice, t.customer_id) for t in log.transactions] == [("1", "7")]
    assert (log.guest_lines, log.customers) == (2, 1)


def test_an_email_is_one_customer_however_it_is_cased(tmp_path: Path) -> None:
    """Orders by Jane@Example.com and jane@example.com are one customer's."""
    path = tmp_path / "orders.csv"
    path.write_text("Order ID,Customer Email,Created At,Total\n"
                    "1,Jane@Example.com,2024-03-01 10:00,10.00\n2,jane@example.com,2024-03-09 10:00,20.00\n")
    log = load_log(path, "csv")
    assert {t.customer_id for t in log.transactions} == {"jane@example.com"}


def test_a_shopify_orders_export_is_read_without_a_mapping(tmp_path: Path) -> None:
    """Shopify's export read as its header names the columns: Name is the order, each order whole, at its Created at."""
    path = tmp_path / "orders_export.csv"
    path.write_text(SHOPIFY)
    log = load_log(path, "csv")
    found = sorted((t.invoice, t.customer_id, t.at.isoformat(), t.amount) for t in log.transactions)
    assert found == [("#1001", "a@example.com", "2024-03-01T08:50:00+00:00", 58.81),
                     ("#1002", "b@example.com", "2024-03-02T09:58:00+00:00", 80.0)]
    assert "order=Name" in log.layout and "status=Financial Status" in log.layout


@pytest.mark.parametrize("columns", [None, "customer=customer_id,date=created_at,amount=amount_cents"])
def test_an_amount_column_in_cents_is_read_in_whole_units(tmp_path: Path, columns: str | None) -> None:
    """amount_cents = 1999 is an order of 19.99, not 1,999: a payment system's minor units, said by the column's name."""
    path = tmp_path / "charges.csv"
    path.write_text("customer_id,created_at,amount_cents\n7,2024-03-01 10:00,1999\n7,2024-03-09 10:00,-500\n")
    log = load_log(path, "csv", columns=columns)
    assert [(t.amount, t.refund) for t in log.transactions] == [(19.99, False), (5.0, True)]


@pytest.mark.parametrize(("currency", "amounts", "said"), [
    ("usd", [19.99, 5.0], "(amounts in cents, divided by 100)"),
    ("JPY", [1999.0, 500.0], "(amounts in cents read as whole units: 'currency' says a currency without a minor unit)"),
    ("KRW", [1999.0, 500.0], "(amounts in cents read as whole units"),
    ("KWD", [1.999, 0.5], "(amounts in cents, divided by 1000)"),
])
def test_minor_units_are_as_many_to_a_unit_as_the_currency_column_says(
    tmp_path: Path, currency: str, amounts: list[float], said: str,
) -> None:
    """A charge of 1999 in minor units is 19.99 dollars but 1,999 yen or won (no minor unit) and 1.999 Kuwaiti dinars
    (three digits): the currency column says which, and the report's first line says how the amounts were read."""
    path = tmp_path / "charges.csv"
    path.write_text("customer_id,created_at,Amount (minor units),currency\n"
                    f"7,2024-03-01 10:00,1999,{currency}\n8,2024-03-09 10:00,500,{currency}\n")
    log = load_log(path, "csv")
    assert [t.amount for t in log.transactions] == amounts
    assert said in log.layout


def test_a_gzip_of_binary_data_is_refused_as_no_text(tmp_path: Path) -> None:
    """A gzipped image given as a log is one line saying it is binary data, not a complaint about its fields."""
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8))
    with pytest.raises(DataFileError, match=r"orders\.csv\.gz, line 1: binary data, not a text file \(once gunzipped\)"):
        load_log(path, "csv")


def test_excels_unicode_text_is_read(tmp_path: Path) -> None:
    """Excel's "Unicode Text" export (UTF-16 with its byte-order mark, tab separated) reads as the same CSV."""
    path = tmp_path / "orders.txt"
    path.write_bytes("customer_id\tdate\tamount\n7\t2024-03-01\t10.5\n".encode("utf-16"))
    assert [(t.customer_id, t.amount) for t in load_log(path, "csv").transactions] == [("7", 10.5)]


def test_a_gzipped_text_that_is_no_purchase_log_is_refused_for_its_first_line(tmp_path: Path) -> None:
    """A README gzipped is refused because its first line names no customer, date or amount, quoting that line."""
    readme = "# Behaviour tracker\n\nA Python stream processor, which answers: who, what, when?\n"
    path = write(tmp_path / "orders.csv.gz", readme, gzipped=True)
    with pytest.raises(DataFileError, match=r"orders\.csv\.gz, line 1: header '# Behaviour tracker' names no customer "
                                            r"and no date and no amount \(or price\) column"):
        load_log(path, "csv")


def test_a_purchase_log_with_a_line_of_too_many_fields_still_names_that_line(tmp_path: Path) -> None:
    """A log whose header says its columns keeps the error of its bad line."""
    path = write(tmp_path / "orders.csv", "customer_id,date,amount\n7,2024-01-31,5\n7,2024-02-01,5,extra\n")
    with pytest.raises(DataFileError, match=r"line 3, column 'amount': wrong number of fields \(expected 3 fields, found 4"):
        load_log(path, "csv")


def test_a_customers_unique_id_is_the_customer_beside_an_id_per_order(tmp_path: Path) -> None:
    """Olist's orders joined to its customers: customer_id is new on every order, customer_unique_id is the person."""
    path = tmp_path / "olist.csv"
    path.write_text("order_id,customer_id,order_status,order_purchase_timestamp,payment_value,customer_unique_id\n"
                    "o1,c1,delivered,2023-01-03 11:50:27,48.57,u1\no2,c2,delivered,2023-02-05 19:53:34,20.00,u1\n"
                    "o3,c3,canceled,2023-02-06 10:00:00,30.00,u2\n")
    log = load_log(path, "csv")
    assert [(t.invoice, t.customer_id) for t in log.transactions] == [("o1", "u1"), ("o2", "u1")]
    assert "customer=customer_unique_id" in log.layout and log.not_sales == 1


def test_magentos_closed_orders_beside_complete_ones_and_paypals_denied_payments_are_no_sales(tmp_path: Path) -> None:
    """Magento closes the orders it refunds beside the complete ones; PayPal denies or reverses payments."""
    magento = tmp_path / "magento.csv"
    magento.write_text('ID,Purchase Date,Grand Total (Base),Status,Customer Email\n'
                       '1,"Nov 3, 2023 4:12:05 PM","$1,234.50",Complete,a@x.com\n'
                       '2,"Nov 4, 2023 9:00:00 AM",$20.00,Closed,a@x.com\n'
                       '3,"Nov 5, 2023 9:00:00 AM",$30.00,Processing,b@x.com\n')
    log = load_log(magento, "csv")
    assert [(t.invoice, t.amount) for t in log.transactions] == [("a@x.com@2023-11-03T16:12:05+00:00", 1234.5),
                                                                ("b@x.com@2023-11-05T09:00:00+00:00", 30.0)]
    assert log.not_sales == 1
    paypal = tmp_path / "paypal.csv"
    paypal.write_text("Date,Status,Gross,Payer\n1/3/2024,Completed,10.00,a@x.com\n1/4/2024,Denied,20.00,a@x.com\n"
                      "1/5/2024,Reversed,30.00,b@x.com\n")
    log = load_log(paypal, "csv", columns="customer=Payer,date=Date,amount=Gross,status=Status")
    assert [t.amount for t in log.transactions] == [10.0] and log.not_sales == 2


def test_closed_is_a_sale_where_no_order_of_the_log_is_complete(tmp_path: Path) -> None:
    """Systems that close an order when it is done (no 'complete' status) keep their closed orders as sales."""
    path = tmp_path / "orders.csv"
    path.write_text("order_id,customer_id,order_date,total,status\n1,7,2024-01-02,10,closed\n2,7,2024-01-09,5,void\n")
    log = load_log(path, "csv")
    assert [t.invoice for t in log.transactions] == ["1"] and log.not_sales == 1


def test_an_amount_column_beside_a_price_and_no_quantity_is_not_taken_for_the_money(tmp_path: Path) -> None:
    """Ta-Feng's AMOUNT counts the items and SALES_PRICE is the line's money: refused at line 1 with both mappings."""
    path = tmp_path / "ta_feng.csv"
    path.write_text("TRANSACTION_DT,CUSTOMER_ID,AGE_GROUP,PIN_CODE,PRODUCT_SUBCLASS,PRODUCT_ID,AMOUNT,ASSET,"
                    "SALES_PRICE\n11/1/2000,01104905,45-49,115,110411,4710199010372,2,24,30\n")
    with pytest.raises(DataFileError, match=r"ta_feng.csv, line 1: header .* names 'AMOUNT' beside a price, "
                       r"'SALES_PRICE', and no quantity: .* give --columns "
                       r"customer=CUSTOMER_ID,date=TRANSACTION_DT,amount=SALES_PRICE "
                       r"\(if 'SALES_PRICE' is the line's money\) or --columns "
                       r"customer=CUSTOMER_ID,date=TRANSACTION_DT,amount=AMOUNT$"):
        load_log(path, "csv")
    log = load_log(path, "csv", columns="customer=CUSTOMER_ID,date=TRANSACTION_DT,amount=SALES_PRICE")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("01104905", 30.0)]
    path.write_text("DAY,AMOUNT,SALES_PRICE\n2024-01-02,2,30\n")
    with pytest.raises(DataFileError, match=r"give --columns customer=…,date=DAY,amount=SALES_PRICE"):
        load_log(path, "csv")


def test_an_amount_beside_a_unit_price_and_a_quantity_is_still_the_money(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text("order_id,customer_id,order_date,quantity,unit_price,amount\n1,7,2024-01-02,2,2.50,5.00\n")
    assert [t.amount for t in load_log(path, "csv").transactions] == [5.0]


DUNNHUMBY = ("household_key,BASKET_ID,DAY,PRODUCT_ID,QUANTITY,SALES_VALUE,STORE_ID,RETAIL_DISC,TRANS_TIME,WEEK_NO\n"
             "2375,26984851472,1,1004906,1,1.39,364,-0.6,1631,1\n2375,26984851472,1,1033142,1,0.82,364,0,1631,1\n"
             "2375,26984851516,1,1036325,1,0.99,364,-0.3,1642,1\n1364,26984896261,711,842930,1,2.19,31742,0,1520,102\n")


def test_a_log_that_counts_days_is_refused_with_the_mapping_that_names_day_one(tmp_path: Path) -> None:
    """dunnhumby's DAY (1 to 711) is no calendar date: refused naming the column and the mapping to give."""
    path = tmp_path / "transaction_data.csv"
    path.write_text(DUNNHUMBY)
    with pytest.raises(DataFileError, match=r"transaction_data.csv, line 2, column 'DAY': day numbers, not dates "
                       r"\(found '1'\): give the date of day 1, --columns customer=household_key,date=DAY,"
                       r"amount=SALES_VALUE,order=BASKET_ID,product=PRODUCT_ID,day_one=YYYY-MM-DD$"):
        load_log(path, "csv")


def test_day_numbers_are_read_from_the_date_of_day_one_given(tmp_path: Path) -> None:
    path = tmp_path / "transaction_data.csv"
    path.write_text(DUNNHUMBY)
    log = load_log(path, "csv", columns="customer=household_key,date=DAY,amount=SALES_VALUE,order=BASKET_ID,"
                                        "day_one=2023-01-02")
    assert [(t.invoice, t.at.date().isoformat(), t.amount) for t in log.transactions] == [
        ("26984851472", "2023-01-02", pytest.approx(2.21)), ("26984851516", "2023-01-02", 0.99),
        ("26984896261", "2024-12-12", 2.19)]
    assert log.layout.endswith("(dates read as day numbers, day 1 = 2023-01-02)")
    path.write_text(DUNNHUMBY.replace(",711,", ",2024-12-12,"))
    with pytest.raises(DataFileError, match=r"line 5, column 'DAY': bad date \(expected a day number"):
        load_log(path, "csv", columns="customer=household_key,date=DAY,amount=SALES_VALUE,day_one=2023-01-02")
    with pytest.raises(ValueError, match=r"expected day_one=YYYY-MM-DD \(the date of day 1\), found '2 Jan'"):
        parse_columns("customer=household_key,date=DAY,amount=SALES_VALUE,day_one=2 Jan")


STRIPE = ("id,Created date (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Currency,Status,"
          "Customer ID,Customer Email\n"
          "ch_1,2024-01-02 10:00,10.00,0.00,usd,10.00,usd,Paid,cus_1,a@x.com\n"
          "ch_2,2024-01-03 10:00,20.00,0.00,usd,20.00,usd,Failed,cus_1,a@x.com\n"
          "ch_3,2024-01-04 10:00,30.00,0.00,eur,32.40,usd,Paid,cus_2,b@x.com\n")


def test_money_in_two_currencies_is_refused_naming_the_line_of_the_second(tmp_path: Path) -> None:
    """Stripe's Amount in usd and eur would be added up as one: refused, pointing at its Converted Amount."""
    path = tmp_path / "payments.csv"
    path.write_text(STRIPE)
    for columns in (None, "customer=Customer ID,date=Created date (UTC),amount=Amount,status=Status"):
        with pytest.raises(DataFileError, match=r"payments.csv, line 4, column 'Currency': money in more than one "
                           r"currency \(usd on line 2, eur here\) would be added up as one: give --columns with "
                           r"amount='Converted Amount' \(in one currency\) or the lines of one currency only"):
            load_log(path, "csv", columns=columns)
    log = load_log(path, "csv", columns="customer=Customer ID,date=Created date (UTC),amount=Converted Amount,"
                                        "status=Status")
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("cus_1", 10.0), ("cus_2", 32.4)]
    path.write_text(STRIPE.replace(",eur,", ",usd,"))
    assert [t.amount for t in load_log(path, "csv").transactions] == [10.0, 30.0]


def test_amounts_with_two_currency_signs_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "orders.csv", 'who,day,total\n7,2024-01-31,"$1,234.50"\n8,2024-02-05,"€1.234,50"\n')
    with pytest.raises(DataFileError, match=r"orders.csv, line 3, column 'total': money in more than one currency "
                       r"\(\$ on line 2, € here\)"):
        load_csv(path, "customer=who,date=day,amount=total")


def test_a_spreadsheets_export_with_a_bom_crlf_notes_on_two_lines_and_a_totals_row(tmp_path: Path) -> None:
    """The totals row and empty rows a spreadsheet saves at the end are no orders; a note's line break is no line."""
    text = ("\ufeffOrder ID,Customer Email,Order Date,Total,Note\r\n"
            '#1,a@x.com,2024-01-02 10:00,10.00,"Gift wrap\r\nLeave at the door"\r\n'
            "#2,b@x.com,2024-01-03 10:00,5.50,\r\n"
            "Total,,,15.50,\r\n\r\n,,,,\r\n")
    path = write(tmp_path / "orders.csv", text)
    log = load_log(path, "csv")
    assert [(t.invoice, t.customer_id, t.amount) for t in log.transactions] == [("#1", "a@x.com", 10.0),
                                                                               ("#2", "b@x.com", 5.5)]
    assert log.guest_lines == 0 and log.layout.endswith("(1 line at the end without a date skipped: totals or notes)")
    path = write(tmp_path / "orders.csv", text.replace("#1,a@x.com,2024-01-02 10:00", "#1,a@x.com,"))
    with pytest.raises(DataFileError, match=r"orders.csv, line 2, column 'Order Date': bad date"):
        load_log(path, "csv")  # a line without a date before the last dated line is still refused


def test_a_partly_refunded_payment_is_its_whole_amount_and_a_refund_of_what_came_back(tmp_path: Path) -> None:
    """Stripe keeps a payment's whole Amount beside its Amount Refunded; Shopify its Refunded Amount on a first row."""
    path = write(tmp_path / "payments.csv",
                 "id,Created date (UTC),Amount,Amount Refunded,Currency,Converted Amount,Converted Amount Refunded,"
                 "Converted Currency,Status,Customer ID\n"
                 "ch_1,2024-01-02 10:00,10.00,0.00,usd,10.00,0.00,usd,Paid,cus_1\n"
                 "ch_2,2024-01-04 10:00,30.00,12.50,eur,32.40,13.50,usd,Paid,cus_2\n"
                 "ch_3,2024-01-05 10:00,40.00,40.00,usd,40.00,40.00,usd,Refunded,cus_2\n")
    log = load_log(path, "csv", columns="customer=Customer ID,date=Created date (UTC),amount=Converted Amount,"
                                        "status=Status,order=id")
    assert [(t.invoice, t.amount, t.refund) for t in log.transactions] == [
        ("ch_1", 10.0, False), ("ch_2", 32.4, False), ("ch_2", 13.5, True)]  # ch_3 was refunded whole: no sale
    assert log.layout.endswith("(refunds: Converted Amount Refunded, the money refunded beside the amount)")
    shopify = write(tmp_path / "orders_export.csv",
                    "Name,Email,Financial Status,Paid at,Total,Refunded Amount,Lineitem quantity,Lineitem price\n"
                    "#1001,a@x.com,partially_refunded,2024-02-01 10:00,30.00,5.00,1,10.00\n"
                    "#1001,,,,,,2,10.00\n"
                    "#1002,a@x.com,paid,2024-02-03 10:00,8.00,0.00,1,8.00\n")
    log = load_log(shopify, "csv")
    assert [(t.invoice, t.amount, t.refund) for t in log.transactions] == [
        ("#1001", 30.0, False), ("#1001", 5.0, True), ("#1002", 8.0, False)]
    log = load_log(shopify, "csv", columns="customer=Email,date=Paid at,price=Lineitem price,"
                                            "quantity=Lineitem quantity,order=Name,refunded=Refunded Amount")
    assert [(t.amount, t.refund) for t in log.transactions] == [(30.0, False), (5.0, True), (8.0, False)]


PAYPAL = ('"Date","Time","Type","Status","Currency","Gross","From Email Address","To Email Address","Transaction ID"\n'
          '"1/3/2024","10:00:00","Express Checkout Payment","Completed","USD","40.00","Ann@x.com","shop@s.com","T1"\n'
          '"1/4/2024","10:00:00","Payment Refund","Completed","USD","-15.00","shop@s.com","ann@x.com","T2"\n'
          '"1/5/2024","10:00:00","General Withdrawal","Completed","USD","-500.00","shop@s.com","","T3"\n'
          '"1/6/2024","10:00:00","General Payment","Completed","USD","-20.00","shop@s.com","parts@y.com","T4"\n'
          '"1/7/2024","10:00:00","Website Payment","Completed","USD","25.00","bob@x.com","shop@s.com","T5"\n')


def test_a_payment_ledgers_refunds_are_its_payees_and_the_shops_own_money_is_skipped(tmp_path: Path) -> None:
    """PayPal's refunds come From the shop To the buyer; its withdrawals and payments sent are no customer's."""
    path = write(tmp_path / "Download.csv", PAYPAL)
    log = load_log(path, "csv", columns="customer=From Email Address,date=Date,amount=Gross,status=Status,"
                                        "order=Transaction ID")
    assert [(t.invoice, t.customer_id, t.amount, t.refund) for t in log.transactions] == [
        ("T1", "ann@x.com", 40.0, False), ("T2", "ann@x.com", 15.0, True), ("T5", "bob@x.com", 25.0, False)]
    assert log.guest_lines == 0
    assert log.layout.endswith("(2 lines of the shop's own money skipped by their 'Type': General Withdrawal 1, "
                               "General Payment 1)")


def test_a_type_column_of_no_kinds_of_transaction_is_no_ledgers(tmp_path: Path) -> None:
    """A customer's or a product's Type keeps every line a sale, a refund by its sign."""
    path = write(tmp_path / "orders.csv", "customer_id,order_date,total,Type\n7,2024-01-02,10,Retail\n"
                                          "7,2024-01-09,-4,Wholesale\n8,2024-01-03,5,\n")
    log = load_log(path, "csv")
    assert [(t.customer_id, t.amount, t.refund) for t in log.transactions] == [
        ("7", 10.0, False), ("8", 5.0, False), ("7", 4.0, True)]
    assert "type=" not in log.layout


def _order_lines(line_total: bool) -> str:
    """An order report of 40 orders: products bought one at a time and several at a time."""
    prices = {"sku-a": 12.5, "sku-b": 4.0, "sku-c": 30.0, "sku-d": 7.25}
    rows = ["order-id\tpurchase-date\tbuyer-email\tsku\tquantity\titem-price"]
    for n in range(40):
        sku = sorted(prices)[n // 2 % 4]
        count = 1 if n % 2 else 2 + n % 3
        price = prices[sku] * count if line_total else prices[sku]
        rows.append(f"o-{n}\t2024-0{1 + n % 6}-1{n % 10}T10:00:00+00:00\tc{n % 9}@shop.com\t{sku}\t{count}\t{price:.2f}")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("line_total", [True, False])
def test_a_price_column_holding_each_lines_total_is_told_by_the_products_bought_singly(
        tmp_path: Path, line_total: bool) -> None:
    """An Amazon seller report's item-price is the line's total: read from the header it was multiplied again."""
    path = tmp_path / "orders.txt"
    path.write_text(_order_lines(line_total))
    log = load_log(path, "csv")
    expected = sum(float(line.split("\t")[5]) * (1 if line_total else int(line.split("\t")[4]))
                   for line in _order_lines(line_total).splitlines()[1:])
    assert round(sum(t.amount for t in log.transactions), 2) == round(expected, 2)
    assert ("read as each line's total" in log.layout) is line_total


def test_a_report_preamble_before_the_header_is_skipped(tmp_path: Path) -> None:
    """A title, a period and blank lines above the header (padded with delimiters or not) are no header; the lines after it are read."""
    path = write(tmp_path / "report.csv", "Orders report;;\nPeriod: 2024-03-01 to 2024-03-31;;\n\n"
                                          "customer_id;order_date;amount\n7;2024-03-01;10,5\n8;2024-03-02;4\n")
    log = load_csv(path)
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("7", 10.5), ("8", 4.0)]
    retail = write(tmp_path / "retail.csv", f"Sales export\n\n{RETAIL_II}\n1,A,MUG,2,2010-01-04 10:00:00,1.5,17,UK\n")
    assert detect_format(retail) == "online-retail"
    assert load_log(retail, "online-retail").transactions[0].amount == 3.0


def test_a_missing_column_below_a_preamble_is_named_at_the_header_line(tmp_path: Path) -> None:
    """With --columns, a column the header lacks is named at the header's line, below the preamble."""
    path = write(tmp_path / "report.csv", "Orders report\n\ncustomer_id,order_date,amount\n7,2024-03-01,10.5\n")
    with pytest.raises(DataFileError, match=r"report\.csv, line 3, column 'total': missing column"):
        load_csv(path, "customer=customer_id,date=order_date,amount=total")


def test_concatenated_exports_repeating_the_header_are_read_as_one(tmp_path: Path) -> None:
    """The header again mid-file (two exports pasted together) is skipped, not refused as a bad date."""
    path = write(tmp_path / "orders.csv", "customer_id,order_date,amount\n7,2024-03-01,10.5\n"
                                          "Customer_ID,Order Date, amount\n8,2024-03-02,4\n")
    assert [(t.customer_id, t.amount) for t in load_csv(path).transactions] == [("7", 10.5), ("8", 4.0)]


def test_a_delimiter_ending_each_data_line_is_no_field(tmp_path: Path) -> None:
    """Data lines ending in a delimiter the header does not have are read, not refused for their number of fields."""
    path = write(tmp_path / "orders.csv", "customer_id,order_date,amount\n7,2024-03-01,10.5,\n8,2024-03-02,4,,\n")
    assert [t.amount for t in load_csv(path).transactions] == [10.5, 4.0]
    extra = write(tmp_path / "extra.csv", "customer_id,order_date,amount\n7,2024-03-01,10.5,x\n")
    with pytest.raises(DataFileError, match=r"line 2, column 'amount': wrong number of fields"):
        load_csv(extra)


def test_a_field_longer_than_128_kib_is_read(tmp_path: Path) -> None:
    """A long product description (beyond the csv module's default field limit) is a field, not an unreadable file."""
    path = write(tmp_path / "orders.csv", f"customer_id,order_date,amount,note\n7,2024-03-01,10.5,\"{'x' * 200_000}\"\n")
    assert load_csv(path).transactions[0].amount == 10.5


def test_amounts_written_with_a_currency_code_are_read_and_two_codes_refused(tmp_path: Path) -> None:
    """'GBP 12.50', '1.234,00 EUR' and '3.5USD' read as numbers; codes of two currencies in one column are refused at the second."""
    path = write(tmp_path / "orders.csv", "customer_id,order_date,amount\n7,2024-03-01,GBP 12.50\n"
                                          "7,2024-03-09,\"GBP 1,234.00\"\n8,2024-03-10,-GBP 2.00\n")
    assert [(t.amount, t.refund) for t in load_csv(path).transactions] == [(12.5, False), (1234.0, False), (2.0, True)]
    euros = write(tmp_path / "euros.csv", "customer_id;order_date;amount\n7;2024-03-01;1.234,00 EUR\n7;2024-03-09;3,5EUR\n")
    assert [t.amount for t in load_csv(euros).transactions] == [1234.0, 3.5]
    mixed = write(tmp_path / "mixed.csv", "customer_id,order_date,amount\n7,2024-03-01,12.50 GBP\n8,2024-03-02,3.50 USD\n")
    with pytest.raises(DataFileError, match=r"mixed\.csv, line 3, column 'amount': money in more than one currency "
                                            r"\(gbp on line 2, usd here\)"):
        load_csv(mixed)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress], ids=["gzip", "bzip2", "xz"])
def test_a_compressed_log_of_several_streams_is_read_whole(tmp_path: Path, compress: Callable[[bytes], bytes]) -> None:
    """``cat a.gz b.gz > c.gz`` (log rotation, appending exporters) holds two streams: the orders of both are read."""
    first = "customer,date,amount\n7,2024-03-01,10\n"
    second = "8,2024-03-02,5\n"
    path = tmp_path / "orders.csv.z"
    path.write_bytes(compress(first.encode()) + compress(second.encode()) + b"\x00" * 8)
    log = load_csv(path)
    assert [(t.customer_id, t.amount) for t in log.transactions] == [("7", 10.0), ("8", 5.0)]


def test_a_second_stream_broken_off_is_refused_at_the_line_it_reached(tmp_path: Path) -> None:
    """A damaged stream after a whole one is refused, naming the line where the good text ended, not read in part."""
    path = tmp_path / "orders.csv.gz"
    path.write_bytes(gzip.compress(b"customer,date,amount\n7,2024-03-01,10\n") + gzip.compress(b"8,2024-03-02,5\n")[:-6])
    with pytest.raises(DataFileError, match="damaged gzip stream") as caught:
        load_csv(path)
    assert caught.value.line == 4  # the line after the text read whole


@pytest.mark.parametrize(("header", "first", "second"), [
    ("Client;Date de commande;Total TTC", "31/12/2026 14h05", "02/01/2027 9 h 30"),
    ("Cliente;Fecha;Importe", "31/12/2026 2:05 p. m.", "2/1/2027 9:30 a. m."),
    ("Kundennummer;Bestelldatum;Gesamtbetrag", "31.12.26, 14:05", "02.01.27, 09:30"),
    ("Kundennummer;Bestelldatum;Gesamtbetrag", "Do., 31.12.2026 14:05 Uhr", "Sa., 02.01.2027 09:30 Uhr"),
    ("Cliente;Data do pedido;Valor total", "quinta, 31/12/2026 14:05", "sábado, 02/01/2027 09:30"),
])
def test_a_european_shops_dates_and_times_are_read(tmp_path: Path, header: str, first: str, second: str) -> None:
    """French 14h05, Spanish p. m. and German two-digit years, in a shop's own export: the orders' moments."""
    path = write(tmp_path / "orders.csv", f"{header}\n7;{first};12,50\n7;{second};3,00\n")
    assert [t.at.isoformat() for t in load_csv(path).transactions] == ["2026-12-31T14:05:00+00:00",
                                                                       "2027-01-02T09:30:00+00:00"]


def test_a_big_logs_lines_are_not_held_twice(tmp_path: Path) -> None:
    """Reading a log from its header holds its lines once: its whole rows are given up as the wanted columns are taken.

    Held twice (every column's row and the selected one, as the reading did), 20,000 order lines peaked at ~770
    bytes each; once, at ~540.
    """
    import random
    import tracemalloc

    rng = random.Random(7)
    lines = ["order_id,customer_id,order_date,sku,quantity,unit_price,country"]
    for n in range(20_000):
        order = 100_000 + n // 5
        lines.append(f"{order},{order % 4000 + 1},2024-01-{1 + n * 28 // 20_000:02d} 10:00:00,SKU{rng.randint(1, 4000):05d},"
                     f"{rng.randint(1, 12)},{rng.randint(50, 5000) / 100:.2f},France")
    path = write(tmp_path / "orders.csv", "\n".join(lines) + "\n")
    tracemalloc.start()
    try:
        log = load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert log.lines == 20_000 and log.customers == 4000
    assert peak / log.lines < 660, peak / log.lines
