"""Loaders for the public evaluation data sets (see ``../shared/data/SOURCES.md``).

Every loader checks what it reads and raises :class:`models.errors.DataFileError` naming the
file, the line and the column of the first problem, with what was expected and what was found.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import gzip
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from models.errors import DataFileError, FieldError
from models.features import intent_features_from_uci_row, intent_label_from_uci_row

__all__ = [
    "CDNOW_COLUMNS",
    "RETAIL_COLUMNS",
    "UCI_COLUMNS",
    "Transaction",
    "TransactionLog",
    "load_cdnow",
    "load_online_retail",
    "load_online_shoppers",
]

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

#: Columns the Online Retail II loader needs.
RETAIL_COLUMNS: tuple[str, ...] = (
    "Invoice",
    "StockCode",
    "Quantity",
    "InvoiceDate",
    "Price",
    "Customer ID",
)

# The retailer's stock code for a discount line.
_DISCOUNT_CODE = "D"


@dataclasses.dataclass(frozen=True, slots=True)
class Transaction:
    """One order or refund of a known customer.

    Parameters
    ----------
    customer_id
        The customer.
    invoice
        The order's id (for CDNOW, ``"<customer>-<line>"``).
    at
        When it happened (timezone-aware, UTC).
    amount
        Value of the order, or of the refund (always >= 0).
    refund
        Whether this is a refund (cancellation) rather than an order.
    discounted
        Whether the order carried a discount.

    """

    customer_id: str
    invoice: str
    at: dt.datetime
    amount: float
    refund: bool = False
    discounted: bool = False


@dataclasses.dataclass(frozen=True)
class TransactionLog:
    """Transactions of a purchase log in time order, with counts of what was skipped.

    Parameters
    ----------
    path
        The file read.
    transactions
        Orders and refunds of known customers, sorted by time (stable).
    lines
        Data lines read (without the header).
    guest_lines
        Lines without a customer id (guest orders), counted and skipped.
    cancellation_lines
        Lines of cancellation invoices (``Invoice`` starting with ``C``) of known customers.
    skipped_invoices
        Invoices of known customers that are neither an order nor a refund (total <= 0 without
        a ``C`` prefix: stock adjustments).

    """

    path: str
    transactions: list[Transaction]
    lines: int
    guest_lines: int = 0
    cancellation_lines: int = 0
    skipped_invoices: int = 0

    @property
    def customers(self) -> int:
        """Number of distinct customers."""
        return len({t.customer_id for t in self.transactions})


@contextmanager
def _open_text(path: Path) -> Iterator[TextIO]:
    if path.suffix == ".gz":
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            yield handle
    else:
        with path.open("r", encoding="utf-8", newline="") as handle:
            yield handle


def _csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line, row)`` of a CSV file after checking its header has ``required``."""
    with _open_text(path) as handle:
        reader = csv.reader(handle)
        try:
            try:
                header = next(reader)
            except StopIteration:
                raise DataFileError(
                    str(path), 1, required[0], "empty file", expected="a header line", found=""
                ) from None
            for column in required:
                if column not in header:
                    raise DataFileError(
                        str(path),
                        1,
                        column,
                        "missing column",
                        expected=f"a header with {column!r}",
                        found=",".join(header),
                    )
            for values in reader:
                if not values:
                    continue
                if len(values) != len(header):
                    raise DataFileError(
                        str(path),
                        reader.line_num,
                        header[min(len(values), len(header) - 1)],
                        "wrong number of fields",
                        expected=f"{len(header)} fields",
                        found=len(values),
                    )
                yield reader.line_num, dict(zip(header, values, strict=True))
        except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as error:
            raise DataFileError(str(path), reader.line_num + 1, "", f"unreadable: {error}") from error


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
    path = Path(path)
    rows: list[tuple[dict[str, float], bool]] = []
    for line, row in _csv_rows(path, UCI_COLUMNS):
        try:
            rows.append((intent_features_from_uci_row(row), intent_label_from_uci_row(row)))
        except FieldError as error:
            raise DataFileError(
                str(path), line, error.field, "bad value", expected=error.expected, found=error.found
            ) from None
    return rows


def _float(path: Path, line: int, column: str, raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise DataFileError(str(path), line, column, "bad value", expected="a number", found=raw) from None


def load_cdnow(path: str | Path) -> TransactionLog:
    """Read ``CDNOW_sample.txt`` (whitespace separated: customer, id in sample, YYYYMMDD, CDs, dollars).

    Raises
    ------
    DataFileError
        On a line with the wrong number of fields, a bad date or a non-numeric value.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "cd.txt")
    ...     with open(path, "w") as f:
    ...         _ = f.write(" 00004 0001 19970101  2   29.33\\n 00004 0001 19970118  2   29.73\\n")
    ...     log = load_cdnow(path)
    >>> log.lines, log.customers, log.transactions[1].at.date(), log.transactions[1].amount
    (2, 1, datetime.date(1997, 1, 18), 29.73)

    """
    path = Path(path)
    transactions: list[Transaction] = []
    lines = 0
    with _open_text(path) as handle:
        for line, text in enumerate(handle, start=1):
            fields = text.split()
            if not fields:
                continue
            lines += 1
            if len(fields) != len(CDNOW_COLUMNS):
                column = CDNOW_COLUMNS[min(len(fields), len(CDNOW_COLUMNS) - 1)]
                raise DataFileError(
                    str(path),
                    line,
                    column,
                    "wrong number of fields",
                    expected=f"{len(CDNOW_COLUMNS)} whitespace-separated fields",
                    found=len(fields),
                )
            customer, _, day, cds, dollars = fields
            try:
                at = dt.datetime.strptime(day, "%Y%m%d").replace(tzinfo=dt.UTC)
            except ValueError:
                raise DataFileError(
                    str(path), line, "date", "bad date", expected="a date YYYYMMDD", found=day
                ) from None
            _float(path, line, "CDs", cds)
            amount = _float(path, line, "dollars", dollars)
            transactions.append(
                Transaction(customer_id=customer, invoice=f"{customer}-{line}", at=at, amount=amount)
            )
    transactions.sort(key=lambda t: t.at)
    return TransactionLog(path=str(path), transactions=transactions, lines=lines)


@dataclasses.dataclass
class _Invoice:
    customer_id: str
    at: dt.datetime
    total: float = 0.0
    discounted: bool = False
    lines: int = 0


def load_online_retail(path: str | Path) -> TransactionLog:
    """Read Online Retail II (CSV, optionally gzip) as one transaction per invoice.

    An invoice's amount is the sum of ``Quantity * Price`` over its lines; invoices starting with
    ``C`` are refunds. Lines without a ``Customer ID`` are guest orders: counted, then skipped.

    Raises
    ------
    DataFileError
        On a missing column, a bad ``InvoiceDate`` or a non-numeric ``Quantity`` / ``Price``.

    Examples
    --------
    >>> import tempfile, os
    >>> text = ("Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\\n"
    ...         "1,A,x,2,2010-01-04 10:00:00,1.5,17,UK\\n"
    ...         "1,B,y,1,2010-01-04 10:00:00,2.0,17,UK\\n"
    ...         "2,A,x,1,2010-01-05 09:00:00,1.5,,UK\\n"
    ...         "C3,A,x,-1,2010-01-06 09:00:00,1.5,17,UK\\n")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "r.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write(text)
    ...     log = load_online_retail(path)
    >>> [(t.invoice, t.amount, t.refund) for t in log.transactions], log.guest_lines
    ([('1', 5.0, False), ('C3', 1.5, True)], 1)

    """
    path = Path(path)
    invoices: dict[str, _Invoice] = {}
    lines = guests = cancellation_lines = 0
    for line, row in _csv_rows(path, RETAIL_COLUMNS):
        lines += 1
        customer = row["Customer ID"].strip()
        quantity = _float(path, line, "Quantity", row["Quantity"])
        price = _float(path, line, "Price", row["Price"])
        raw_date = row["InvoiceDate"].strip()
        try:
            at = dt.datetime.fromisoformat(raw_date).replace(tzinfo=dt.UTC)
        except ValueError:
            raise DataFileError(
                str(path),
                line,
                "InvoiceDate",
                "bad date",
                expected="a date-time YYYY-MM-DD HH:MM[:SS]",
                found=raw_date,
            ) from None
        if not customer:
            guests += 1
            continue
        if customer.endswith(".0"):  # some exports write the id as a float
            customer = customer[:-2]
        invoice_id = row["Invoice"].strip()
        if invoice_id.startswith("C"):
            cancellation_lines += 1
        invoice = invoices.get(invoice_id)
        if invoice is None:
            invoice = invoices[invoice_id] = _Invoice(customer_id=customer, at=at)
        invoice.total += quantity * price
        invoice.lines += 1
        invoice.discounted |= row["StockCode"].strip() == _DISCOUNT_CODE
    transactions: list[Transaction] = []
    skipped = 0
    for invoice_id, invoice in invoices.items():
        refund = invoice_id.startswith("C")
        if not refund and invoice.total <= 0:
            skipped += 1
            continue
        transactions.append(
            Transaction(
                customer_id=invoice.customer_id,
                invoice=invoice_id,
                at=invoice.at,
                amount=abs(invoice.total),
                refund=refund,
                discounted=invoice.discounted,
            )
        )
    transactions.sort(key=lambda t: t.at)
    return TransactionLog(
        path=str(path),
        transactions=transactions,
        lines=lines,
        guest_lines=guests,
        cancellation_lines=cancellation_lines,
        skipped_invoices=skipped,
    )
