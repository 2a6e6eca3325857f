"""Loaders of purchase logs as users have them, and of the public evaluation data sets.

Purchase logs (:func:`load_log`, one :class:`Transaction` per order or refund of a known
customer, in time order):

- ``online-retail``: the UCI Online Retail I (``InvoiceNo``, ``UnitPrice``, ``CustomerID``) and
  II (``Invoice``, ``Price``, ``Customer ID``) layouts, one line per invoice line; invoices
  starting with ``C`` are cancellations (refunds), stock code ``D`` marks a discount, lines
  without a customer are guest orders (counted, skipped);
- ``cdnow``: Fader and Hardie's CDNOW files, whitespace separated, no header: the 1/10 sample
  (customer, id in sample, YYYYMMDD, CDs, dollars) or the master file (customer, YYYYMMDD, CDs,
  dollars);
- ``csv``: any CSV with a column mapping ``customer=…,date=…,amount=…|price=…[,quantity=…][,order=…]
  [,product=…]`` (see :func:`parse_columns`), or without one as its header names the columns:
  an amount (or unit price × quantity) per line, the lines of one order summed (without an
  order column: the lines of one customer at one moment); a negative order total is a refund.

CSV files may be gzip, bzip2 or xz compressed (every stream of a file of several) or a zip of one file, UTF-8,
UTF-16, Windows-1252 or Latin-1, comma, semicolon or tab separated (:mod:`models.textfiles`); dates are read in the layout the column uses (:mod:`models.dates`).
Every problem raises one :class:`~models.errors.DataFileError` naming the file, the line and
the column, with what was expected and what was found.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal, TypeAlias

from models.columnar import is_parquet, parquet_header
from models.csv_logs import ColumnMap, load_csv, parse_columns
from models.dates import DateParser
from models.errors import DataFileError, FieldError
from models.features import intent_features_from_uci_row, intent_label_from_uci_row
from models.textfiles import first_line, header_cells, normalise, read_csv, read_text
from models.workbooks import is_workbook
from models.transactions import (
    OrderLines,
    Transaction,
    TransactionLog,
    column_dates,
    column_numbers,
    customer_id,
    number,
    transactions_of,
)

__all__ = [
    "CDNOW_COLUMNS",
    "CDNOW_MASTER_COLUMNS",
    "FORMATS",
    "RETAIL_COLUMNS",
    "UCI_COLUMNS",
    "ColumnMap",
    "Format",
    "Transaction",
    "TransactionLog",
    "load_cdnow",
    "load_csv",
    "load_log",
    "load_online_retail",
    "load_online_shoppers",
    "parse_columns",
]

Format: TypeAlias = Literal["cdnow", "online-retail", "csv"]
#: The purchase-log formats :func:`load_log` reads.
FORMATS: tuple[Format, ...] = ("cdnow", "online-retail", "csv")

#: Columns of the UCI Online Shoppers Purchasing Intention CSV, in file order.
UCI_COLUMNS: tuple[str, ...] = (
    "Administrative",
    "Administrative_Duration",
    "Informational",
    "Informational_Duration",
    "ProductRelated",
    "ProductRelated_Duration",
    "BounceRates",
    "ExitRates",
    "PageValues",
    "SpecialDay",
    "Month",
    "OperatingSystems",
    "Browser",
    "Region",
    "TrafficType",
    "VisitorType",
    "Weekend",
    "Revenue",
)

#: Columns of ``CDNOW_sample.txt`` (whitespace separated, no header).
CDNOW_COLUMNS: tuple[str, ...] = ("customer id", "id in sample", "date", "CDs", "dollars")
#: Columns of the CDNOW master file (whitespace separated, no header).
CDNOW_MASTER_COLUMNS: tuple[str, ...] = ("customer id", "date", "CDs", "dollars")

#: Columns the Online Retail loader needs, as Online Retail II names them.
RETAIL_COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
)

# Each needed column and its names in Online Retail II, then I.
_RETAIL_NAMES: dict[str, tuple[str, ...]] = {
    "invoice": ("Invoice", "InvoiceNo"),
    "stock": ("StockCode",),
    "quantity": ("Quantity",),
    "date": ("InvoiceDate",),
    "price": ("Price", "UnitPrice"),
    "customer": ("Customer ID", "CustomerID"),
}

# The retailer's stock code for a discount line.
_DISCOUNT_CODE = "D"


def load_online_shoppers(path: str | Path) -> list[tuple[dict[str, float], bool]]:
    """Read the UCI Online Shoppers Purchasing Intention CSV as ``(features, bought)`` pairs.

    Parameters
    ----------
    path
        ``online_shoppers_intention.csv``.

    Raises
    ------
    DataFileError
        On a missing column or a value of the wrong kind.

    Examples
    --------
    >>> import tempfile, os
    >>> header = ",".join(UCI_COLUMNS)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "s.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write(header + "\\n0,0,0,0,1,0,0.2,0.2,0,0,Feb,1,1,1,1,Returning_Visitor,FALSE,TRUE\\n")
    ...     rows = load_online_shoppers(path)
    >>> len(rows), rows[0][1], rows[0][0]["month"]
    (1, True, 2.0)

    """
    table = read_csv(path)
    for column in UCI_COLUMNS:
        if column not in table.header:
            raise DataFileError(
                table.path, table.header_line, column, "missing column",
                expected=f"a header with {column!r}", found=",".join(table.header),
            )
    rows: list[tuple[dict[str, float], bool]] = []
    for line, values in table.rows:
        row = dict(zip(table.header, values, strict=True))
        try:
            rows.append((intent_features_from_uci_row(row), intent_label_from_uci_row(row)))
        except FieldError as error:
            raise DataFileError(
                *table.locate(line), error.field, "bad value", expected=error.expected, found=error.found
            ) from None
    return rows


def load_cdnow(path: str | Path) -> TransactionLog:
    """Read a CDNOW file: the sample (5 columns) or the master file (4), told apart by line 1.

    Whitespace separated: customer, [id in sample,] YYYYMMDD, CDs, dollars; a first line of names, not numbers, is a
    header and skipped (``customer_id date number_of_cds dollar_value``, as the ``lifetimes`` package ships the master
    file).

    Raises
    ------
    DataFileError
        On a line with another number of fields than the first, a bad date or a non-number.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "cd.txt")
    ...     with open(path, "w") as f:
    ...         _ = f.write(" 00004 0001 19970101  2   29.33\\n 00004 0001 19970118  2   29.73\\n")
    ...     log = load_cdnow(path)
    ...     with open(path, "w") as f:
    ...         _ = f.write(" customer_id  date number_of_cds  dollar_value\\n 00001 19970101  1   11.77\\n")
    ...     master = load_cdnow(path)
    >>> log.lines, log.customers, log.transactions[1].at.date(), log.transactions[1].amount
    (2, 1, datetime.date(1997, 1, 18), 29.73)
    >>> log.layout, master.layout, master.lines, master.transactions[0].amount
    ('CDNOW sample', 'CDNOW master', 1, 11.77)

    """
    name = str(path)
    columns: tuple[str, ...] | None = None
    transactions: list[Transaction] = []
    lines = 0
    for line, text in enumerate(read_text(path).splitlines(), start=1):
        fields = text.split()
        if not fields:
            continue
        if columns is None and not any(_NUMBER.fullmatch(field) for field in fields):
            continue  # a header of names (the master file as the lifetimes package ships it): no transaction
        lines += 1
        if columns is None:
            columns = {5: CDNOW_COLUMNS, 4: CDNOW_MASTER_COLUMNS}.get(len(fields))
            if columns is None:
                raise DataFileError(
                    name, line, CDNOW_COLUMNS[min(len(fields), 4)], "wrong number of fields",
                    expected="5 whitespace-separated fields (CDNOW sample) or 4 (CDNOW master)",
                    found=len(fields),
                )
        if len(fields) != len(columns):
            raise DataFileError(
                name, line, columns[min(len(fields), len(columns) - 1)], "wrong number of fields",
                expected=f"{len(columns)} whitespace-separated fields", found=len(fields),
            )
        customer, day, cds, dollars = (fields[0], *fields[-3:])
        at = DateParser("compact")(day)
        if at is None:
            raise DataFileError(name, line, "date", "bad date", expected="a date YYYYMMDD", found=day)
        number(name, line, "CDs", cds)
        amount = number(name, line, "dollars", dollars)
        transactions.append(
            Transaction(customer_id=customer, invoice=f"{customer}-{line}", at=at, amount=abs(amount),
                        refund=amount < 0)
        )
    transactions.sort(key=lambda t: t.at)
    layout = "CDNOW master" if columns == CDNOW_MASTER_COLUMNS else "CDNOW sample"
    return TransactionLog(path=name, transactions=transactions, lines=lines, layout=layout)


def load_online_retail(path: str | Path) -> TransactionLog:
    """Read Online Retail I or II (CSV, optionally gzip) as one transaction per invoice.

    An invoice's amount is the sum of ``Quantity * Price`` over its lines; invoices starting with
    ``C`` are refunds. Lines without a customer id are guest orders: counted, then skipped.
    Online Retail I names the columns ``InvoiceNo``, ``UnitPrice`` and ``CustomerID``; its
    public CSV exports write dates month-first (``12/1/2010 8:26``), which is read from the data.

    Raises
    ------
    DataFileError
        On a missing column, a bad ``InvoiceDate`` or a non-numeric ``Quantity`` / ``Price``.

    Examples
    --------
    >>> import tempfile, os
    >>> text = ("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\\n"
    ...         "1,A,x,2,1/4/2010 10:00,1.5,17,UK\\n"
    ...         "1,B,y,1,1/4/2010 10:00,2.0,17,UK\\n"
    ...         "2,A,x,1,1/5/2010 9:00,1.5,,UK\\n"
    ...         "C3,A,x,-1,1/26/2010 9:00,1.5,17,UK\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "r.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write(text)
    ...     log = load_online_retail(path)
    >>> [(t.invoice, t.amount, t.refund, t.at.date().isoformat()) for t in log.transactions]
    [('1', 5.0, False, '2010-01-04'), ('C3', 1.5, True, '2010-01-26')]
    >>> log.guest_lines, log.layout
    (1, 'Online Retail I')

    """
    table = read_csv(path, _RETAIL_NAMES)
    names = table.names
    layout = "Online Retail I" if names["invoice"] == "InvoiceNo" else "Online Retail II"
    dates = column_dates(table, "date")
    quantities, prices = column_numbers(table, "quantity"), column_numbers(table, "price")
    orders: dict[str, OrderLines] = {}
    guests = cancellation_lines = 0
    # Rows hold the columns in the order of _RETAIL_NAMES.
    for (_, (invoice, stock, _, _, _, customer)), at, quantity, price in zip(
            table.rows, dates, quantities, prices, strict=True):
        amount = quantity * price
        customer = customer_id(customer)
        if not customer:
            guests += 1
            continue
        invoice = invoice.strip()
        cancellation_lines += invoice.startswith("C")
        order = orders.get(invoice)
        if order is None:
            order = orders[invoice] = OrderLines(customer_id=customer, at=at)
        order.total += amount
        stock = stock.strip()
        order.discounted |= stock == _DISCOUNT_CODE
        if stock and stock != _DISCOUNT_CODE:
            order.products.add(stock)
    transactions, skipped = transactions_of(orders, refund_prefix="C")
    return TransactionLog(
        path=table.path,
        transactions=transactions,
        lines=len(table.rows),
        guest_lines=guests,
        cancellation_lines=cancellation_lines,
        skipped_invoices=skipped,
        layout=layout,
    )


def detect_format(path: str | Path) -> Format:
    """What a purchase log is, by its first line: CDNOW's numbers, Online Retail's header, else a CSV.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     found = []
    ...     for name, text in (("a.txt", "00001 1 19970101 1 11.77\\n"), ("b.csv", "Invoice,StockCode,Price\\n"),
    ...                        ("c.csv", "InvoiceNo;StockCode;UnitPrice\\n"), ("d.csv", "customer,date,amount\\n")):
    ...         path = os.path.join(tmp, name)
    ...         with open(path, "w") as f:
    ...             _ = f.write(text)
    ...         found.append(detect_format(path))
    >>> found
    ['cdnow', 'online-retail', 'online-retail', 'csv']
    """
    if is_workbook(path):
        names = header_cells(path)  # below a report's title, as read_csv finds it
    elif is_parquet(path):
        names = parquet_header(path)
    else:
        fields = first_line(path).split()
        if len(fields) in (4, 5) and all(_NUMBER.fullmatch(f) for f in fields):
            return "cdnow"
        names = header_cells(path)  # below a report's title, as read_csv finds it
    plain = {normalise(name.strip('"')) for name in names}
    if "stockcode" in plain and plain & {"invoice", "invoiceno"}:
        return "online-retail"
    return "csv"


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def load_log(
    path: str | Path, fmt: Format, *, columns: ColumnMap | str | None = None
) -> TransactionLog:
    """Read a purchase log of format ``fmt``; ``columns`` is for (only) ``"csv"``, else its header says.

    Raises
    ------
    ValueError
        On an unknown format, or a missing or unreadable column mapping.
    DataFileError
        On anything wrong in the file.

    Examples
    --------
    >>> load_log("x.txt", "excel")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: load_log: expected a format in ('cdnow', 'online-retail', 'csv'), found 'excel'

    """
    if fmt == "cdnow":
        return load_cdnow(path)
    if fmt == "online-retail":
        return load_online_retail(path)
    if fmt == "csv":
        return load_csv(path, columns)  # without columns, as its header names them
    raise ValueError(f"load_log: expected a format in {FORMATS}, found {fmt!r}")
