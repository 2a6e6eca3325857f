"""Orders and refunds of a purchase log, and the pieces every log loader builds them with.

A loader reads a file's lines (:mod:`models.textfiles`), parses values with :func:`number`,
:func:`customer_id` and :func:`column_dates`, sums the lines of each order in
:class:`OrderLines`, and turns the orders into time-ordered :class:`Transaction`\\ s with
:func:`transactions_of`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping

from models.dates import DateLayout, DateParser, day_number, detect_date_layout
from models.decimals import decimal_mark, to_number
from models.errors import DataFileError
from models.ids import canonical_id, is_placeholder, without_float_zeros
from models.textfiles import CsvTable

__all__ = [
    "OrderLines",
    "Transaction",
    "TransactionLog",
    "column_dates",
    "column_date_layout",
    "column_day_numbers",
    "column_numbers",
    "customer_id",
    "number",
    "transactions_of",
]


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
    products
        Distinct products (stock codes) of the order, where the log names them.

    """

    customer_id: str
    invoice: str
    at: dt.datetime
    amount: float
    refund: bool = False
    discounted: bool = False
    products: tuple[str, ...] = ()


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
        Orders of known customers that are neither an order nor a refund (a total of 0, or
        <= 0 without a ``C`` prefix in Online Retail: stock adjustments).
    layout
        What the file was read as, in words (``"Online Retail II"``, ``"CDNOW sample"``, ...).
    not_sales
        Lines of orders whose status says they were no sale (cancelled, failed, refunded, …),
        skipped (a CSV log with a ``status`` column).
    open_deals
        Lines of a sales pipeline's deals not won (yet: ``Prospecting``, ``Negotiation``), skipped.

    """

    path: str
    transactions: list[Transaction]
    lines: int
    guest_lines: int = 0
    cancellation_lines: int = 0
    skipped_invoices: int = 0
    layout: str = ""
    not_sales: int = 0
    open_deals: int = 0

    @property
    def customers(self) -> int:
        """Number of distinct customers."""
        return len({t.customer_id for t in self.transactions})

    def one_order_each(self) -> str:
        """A sentence for a refusal when no customer of the whole log has two orders ("" when some do).

        Then the customer column likely holds an id per order (Olist's ``customer_id`` does; its
        ``customer_unique_id`` is the person), which no cutoff or longer log would mend.

        >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
        >>> log = TransactionLog("o.csv", [Transaction("c1", "1", at, 5.0), Transaction("c2", "2", at, 5.0)], 2)
        >>> print(log.one_order_each())
        ; no customer of the whole log has two orders: is its customer column an id per order (as Olist's customer_id, where customer_unique_id is the person)?
        """
        orders = [t.customer_id for t in self.transactions if not t.refund]
        if len(orders) < 2 or len(set(orders)) < len(orders):
            return ""
        return ("; no customer of the whole log has two orders: is its customer column an id per order "
                "(as Olist's customer_id, where customer_unique_id is the person)?")


def number(path: str, line: int, column: str, raw: str) -> float:
    """The finite number ``raw`` in ``column`` of ``line``; anything else is a :class:`DataFileError`.

    >>> number("x.csv", 2, "Price", " 2.5 ")
    2.5
    >>> number("x.csv", 2, "Price", "nan")
    Traceback (most recent call last):
    ...
    models.errors.DataFileError: x.csv, line 2, column 'Price': bad value (expected a number, found 'nan')

    """
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value):
        raise DataFileError(path, line, column, "bad value", expected="a number", found=raw)
    return value


def customer_id(raw: str) -> str:
    """A customer id as the log writes it, without spaces or the ``.0`` of ids exported as floats; ``""`` for a guest.

    A guest order is one without a customer: a blank id, or the placeholder an export writes
    instead (WooCommerce's customer ``0``, a database's ``NULL`` or ``\\N``, a data frame's
    ``NaN``: :func:`models.ids.is_placeholder`) — read as an id, every guest would be one big customer.
    An email address is one customer however its letters are cased (shops' order exports keep
    what each checkout typed): it is read in lower case, as the live events' are
    (:func:`models.ids.canonical_id`).

    >>> customer_id(" 17850.0"), customer_id("A-17"), customer_id(""), customer_id("0"), customer_id("NULL")
    ('17850', 'A-17', '', '', '')
    >>> customer_id("Jane.Doe@Example.com ")
    'jane.doe@example.com'

    """
    customer = without_float_zeros(raw.strip())  # ids exported as floats
    if is_placeholder(customer):
        return ""
    return canonical_id(customer)


def column_date_layout(table: CsvTable, key: str, *, serials: bool = False) -> DateLayout | None:
    """The layout of the date column ``key``, read from its distinct values (:func:`~models.dates.detect_date_layout`).

    >>> table = CsvTable("x.csv", ["day"], [(2, ["35431"]), (3, ["35431.5"])], {"date": "day"})
    >>> column_date_layout(table, "date"), column_date_layout(table, "date", serials=True)
    (None, 'serial')
    """
    index = table.position(key)
    return detect_date_layout(list(dict.fromkeys(values[index].strip() for _, values in table.rows)),
                              serials=serials)[0]


def column_dates(
    table: CsvTable, key: str, layout: DateLayout | None = None
) -> list[dt.datetime]:
    """The date column ``key`` of every row, in the layout the column uses (or ``layout``).

    Each distinct value is parsed once; the first that is no date of the layout raises a
    :class:`DataFileError` at the line it first appears on.

    >>> rows = [(2, ["12/1/2010 8:26"]), (3, ["12/13/2010 9:00"]), (4, ["12/1/2010 8:26"])]
    >>> table = CsvTable("x.csv", ["InvoiceDate"], rows, {"date": "InvoiceDate"})
    >>> [d.isoformat() for d in column_dates(table, "date")][1]
    '2010-12-13T09:00:00+00:00'

    """
    index = table.position(key)
    first_row: dict[str, int] = {}
    for position, (_, values) in enumerate(table.rows):
        first_row.setdefault(values[index].strip(), position)
    raws = list(first_row)
    if layout is None:
        layout, _ = detect_date_layout(raws)
    parser = DateParser(layout) if layout is not None else None
    moments = {raw: parser(raw) if parser is not None else None for raw in raws}
    for raw in raws:
        if moments[raw] is None:
            expected = (
                parser.expected if parser is not None
                else "a date such as 2009-12-01 07:45:00, 12/1/2010 8:26 or 19970101"
            )
            line = table.rows[first_row[raw]][0]
            raise DataFileError(*table.locate(line), table.names[key], "bad date",
                                expected=expected, found=raw)
    parsed = {raw: moment for raw, moment in moments.items() if moment is not None}
    return [parsed[values[index].strip()] for _, values in table.rows]


def column_day_numbers(table: CsvTable, key: str, day_one: dt.date) -> list[dt.datetime]:
    """The column ``key`` of day numbers (:func:`~models.dates.day_number`) as days, ``day_one`` being day 1.

    The first value that is no day number raises a :class:`DataFileError` at its line.

    >>> table = CsvTable("t.csv", ["DAY"], [(2, ["1"]), (3, ["32"])], {"date": "DAY"})
    >>> [d.date().isoformat() for d in column_day_numbers(table, "date", dt.date(2023, 1, 2))]
    ['2023-01-02', '2023-02-02']
    """
    index = table.position(key)
    days: list[dt.datetime] = []
    for line, values in table.rows:
        day = day_number(values[index], day_one)
        if day is None:
            raise DataFileError(*table.locate(line), table.names[key], "bad date",
                                expected="a day number (as the rest of the column)", found=values[index])
        days.append(day)
    return days


def column_numbers(table: CsvTable, key: str) -> list[float]:
    """The number column ``key`` of every row, with the column's own decimal mark (see :mod:`models.decimals`).

    The first value that is no finite number raises a :class:`DataFileError` at its line.

    >>> rows = [(2, ["1.234,5"]), (3, ["6,95"]), (4, ["7"])]
    >>> column_numbers(CsvTable("x.csv", ["Price"], rows, {"price": "Price"}, delimiter=";"), "price")
    [1234.5, 6.95, 7.0]
    >>> column_numbers(CsvTable("x.csv", ["Price"], [(2, ["2.5"]), (3, ["nan"])], {"price": "Price"}), "price")
    Traceback (most recent call last):
    ...
    models.errors.DataFileError: x.csv, line 3, column 'Price': bad value (expected a number, found 'nan')

    """
    index = table.position(key)
    raws = [values[index] for _, values in table.rows]
    mark = decimal_mark(set(raws), delimiter=table.delimiter)
    parsed: dict[str, float] = {}
    numbers: list[float] = []
    for (line, _), raw in zip(table.rows, raws, strict=True):
        value = parsed.get(raw)
        if value is None:
            read = to_number(raw, mark)
            if read is None or not math.isfinite(read):
                raise DataFileError(*table.locate(line), table.names[key], "bad value", expected="a number",
                                    found=raw)
            value = parsed[raw] = read
        numbers.append(value)
    return numbers


@dataclasses.dataclass(slots=True)  # slots: a big log has a million orders
class OrderLines:
    """The lines of one order read so far: who, when (its first line's time), total, money refunded and products."""

    customer_id: str
    at: dt.datetime
    total: float = 0.0
    #: Money refunded of the order, as payment exports keep it beside the whole amount (a refund at the order's time).
    refunded: float = 0.0
    discounted: bool = False
    products: set[str] = dataclasses.field(default_factory=set)


def transactions_of(
    orders: Mapping[str, OrderLines], *, refund_prefix: str | None
) -> tuple[list[Transaction], int]:
    """Orders and refunds, sorted by time; and the number of orders skipped.

    With a ``refund_prefix`` (Online Retail's ``C``), ids with it are refunds and other totals
    <= 0 are skipped; without, a negative total is a refund and a zero total is skipped.  An order's
    money refunded (:attr:`OrderLines.refunded`) is a refund of its own, at the order's time, after it.

    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> orders = {"1": OrderLines("c", at, 5.0), "C2": OrderLines("c", at, -5.0),
    ...           "3": OrderLines("c", at, 0.0)}
    >>> found, skipped = transactions_of(orders, refund_prefix="C")
    >>> [(t.invoice, t.amount, t.refund) for t in found], skipped
    ([('1', 5.0, False), ('C2', 5.0, True)], 1)
    >>> found, _ = transactions_of({"ch_1": OrderLines("c", at, 30.0, refunded=10.0)}, refund_prefix=None)
    >>> [(t.invoice, t.amount, t.refund) for t in found]
    [('ch_1', 30.0, False), ('ch_1', 10.0, True)]

    """
    transactions: list[Transaction] = []
    skipped = 0
    for order_id, order in orders.items():
        if refund_prefix is not None:
            refund = order_id.startswith(refund_prefix)
            keep = refund or order.total > 0
        else:
            refund = order.total < 0
            keep = order.total != 0
        if not keep:
            skipped += 1
            continue
        transactions.append(
            Transaction(
                customer_id=order.customer_id,
                invoice=order_id,
                at=order.at,
                amount=abs(order.total),
                refund=refund,
                discounted=order.discounted,
                products=tuple(sorted(order.products)),
            )
        )
        if order.refunded > 0 and not refund:
            # Partly refunded: what came back is a refund of the order, as a return of part of it is.
            transactions.append(Transaction(customer_id=order.customer_id, invoice=order_id, at=order.at,
                                            amount=order.refunded, refund=True))
    transactions.sort(key=lambda t: t.at)
    return transactions, skipped
