"""Customer summaries, told from order logs: a row per customer with their count of orders and lifetime spend.

Shops export their customers beside their orders, and the two are easily taken one for the other: Shopify's
customers export (``Customer ID``, ``First Name``, …, ``Total Spent``, ``Total Orders``), WooCommerce's customers
report (``Orders``, ``Total spend``, ``AOV``, ``Last active``), a marketing tool's profiles (``Historic Number Of
Orders``, ``Historic Customer Lifetime Value``).  Read as an order log, such a file is one "order" per customer of
their lifetime spend, dated when they signed up: an evaluation of nonsense.  These rules refuse it
(:func:`refuse_customer_summary`):

* a column named a count of orders (``Total Orders``, ``Orders``, ``Orders Count``, ``Number of Orders``,
  ``Historic Number Of Orders``, or in a European shop's language ``Bestellungen``, ``Anzahl Bestellungen``,
  ``Nombre de commandes``, ``Pedidos``, ``Ordini``, ``Bestellingen``, ``Zamówienia``: :func:`is_order_count`), every
  value a whole number;
* beside it, a column named a lifetime total (``Total Spent``, ``Total spend``, ``Amount Spent``, ``AOV``,
  ``… Lifetime Value``: :func:`is_lifetime_total`), or no order id;
* and rows that hold one count per customer, some customer's count of two or more on fewer rows than that: orders
  counted, not listed (without a lifetime total, every customer on one row: a log of each customer's orders per
  day counts them too).  An order log that gives each order its customer's
  count of orders so far (1, 2, 3 …) has a customer's counts differ; one whose customer's total count is on each of
  their orders has at least that many rows.

A header that names no date or amount is judged by its names alone (:func:`summary_of_header`): it is unreadable
as an order log anyway, and the customer summary is the reason worth saying.  Where the header says whose export it
is (:data:`ORDERS_EXPORTS`), the message names the orders export to take instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from models.errors import DataFileError
from models.log_languages import names_of
from models.textfiles import CsvTable, bare

__all__ = ["ORDERS_EXPORTS", "is_lifetime_total", "is_order_count", "refuse_customer_summary", "summary_of_header"]

# Orders counted: "Total Orders", "Orders", "Orders Count", "Number of Orders", "Historic Number Of Orders",
# "# of Orders", "Customer: Orders Count", "Order Count" (an Order Number is an id, not a count).
_ORDER_COUNT = re.compile(r"^(customer)?(total|lifetime|historic)?(numberof|totalnumberof|num|nb|no|of|countof)?"
                          r"orders(count|placed|total)?$|^(customer)?(total)?ordercount$")
# Money over a customer's life: "Total Spent", "Total spend", "Amount Spent", "Customer Lifetime Value", "LTV",
# "CLV", "AOV", "Average Order Value".
_LIFETIME = re.compile(r"spent|spend|lifetime|^(ltv|clv|aov)$|averageorder")
# And as European shops' customer exports name it: "Bestellungen", "Nombre de commandes", "Zamówienia".
_ORDER_COUNTS = frozenset(names_of("order_count"))
_WHOLE = re.compile(r"^\s*\d+(\.0+)?\s*$")

#: Header names that say whose customers' export a file is (all of a tuple's, compared loosely), and the orders
#: export to take instead.
ORDERS_EXPORTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("totalspent", "totalorders", "acceptsemailmarketing"), "Shopify's orders export (Orders > Export)"),
    (("totalspent", "totalorders", "acceptsmarketing"), "Shopify's orders export (Orders > Export)"),
    (("orders", "totalspend", "aov", "lastactive"), "WooCommerce's orders (Analytics > Orders > Download)"),
    (("historicnumberoforders", "historiccustomerlifetimevalue"),
     "the shop's orders export, or Klaviyo's Placed Order events"),
)


def _loose(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", bare(name))


def is_order_count(name: str) -> bool:
    """Whether a column's name says it counts a customer's orders.

    >>> [is_order_count(n) for n in ("Total Orders", "Orders", "Orders (count)", "# of Orders", "Order Count")]
    [True, True, True, True, True]
    >>> [is_order_count(n) for n in ("Order Number", "Order ID", "Orders ID", "order", "Order Total")]
    [False, False, False, False, False]

    In a European shop's language too (:data:`models.log_languages.NAMES`), where an order's id is the singular:

    >>> [is_order_count(n) for n in ("Anzahl Bestellungen", "Nombre de commandes", "Pedidos", "Zamówienia")]
    [True, True, True, True]
    >>> [is_order_count(n) for n in ("Bestellnummer", "N° de commande", "Pedido", "Bestellung")]
    [False, False, False, False]
    """
    plain = _loose(name)
    return _ORDER_COUNT.match(plain) is not None or plain in _ORDER_COUNTS


def is_lifetime_total(name: str) -> bool:
    """Whether a column's name says it holds a customer's money over their life (or per order, on average).

    >>> [is_lifetime_total(n) for n in ("Total Spent", "Total spend", "AOV", "Historic Customer Lifetime Value")]
    [True, True, True, True]
    >>> [is_lifetime_total(n) for n in ("Total", "Order Total", "Amount", "Sales")]
    [False, False, False, False]
    """
    return _LIFETIME.search(_loose(name)) is not None


def _customers_order(name: str) -> bool:
    """Whether an order column names one order of each customer's (a summary's ``Last Order ID``), not the line's.

    >>> [_customers_order(n) for n in ("Last Order ID", "first_order", "Order ID", "Invoice")]
    [True, True, False, False]
    """
    return _loose(name).startswith(("last", "first", "latest", "recent"))


def _export_said(header: Sequence[str]) -> str:
    plain = {_loose(name) for name in header}
    return next((export for names, export in ORDERS_EXPORTS if plain.issuperset(names)), "the shop's orders export")


def _reason(counted: str, lifetime: str | None, header: Sequence[str], seen: str = "") -> str:
    spent = f", {lifetime!r} their lifetime money" if lifetime else ""
    return (f"a customer summary, not an order log: {counted!r} counts each customer's orders{seen}{spent}; the "
            f"evaluation needs each order on a line of its own, dated: give {_export_said(header)}")


def summary_of_header(header: Sequence[str]) -> str | None:
    """Why a header is a customer summary's by its names alone (a count of orders and a lifetime total), or None.

    >>> summary_of_header(["Customer ID", "Email", "Accepts Email Marketing", "Total Spent", "Total Orders"])
    "a customer summary, not an order log: 'Total Orders' counts each customer's orders, 'Total Spent' their lifetime money; the evaluation needs each order on a line of its own, dated: give Shopify's orders export (Orders > Export)"
    >>> summary_of_header(["Order ID", "Email", "Total"]) is None
    True
    """
    counted = next((name for name in header if is_order_count(name)), None)
    lifetime = next((name for name in header if is_lifetime_total(name)), None)
    if counted is None or lifetime is None:
        return None
    return _reason(counted, lifetime, header)


def refuse_customer_summary(table: CsvTable, customer: str, order: str | None) -> None:
    """Refuse a whole table (header and rows) that is a customer summary, naming its count of orders; see the module.

    ``customer`` is the column read as the customer, ``order`` the order id's (None if none; a count of orders
    taken for it is none).

    >>> t = CsvTable("c.csv", ["Email", "Date registered", "Orders", "Total spend"],
    ...              [(2, ["ann@x.com", "2025-01-10", "3", "120.50"]), (3, ["bob@x.com", "2025-05-02", "1", "40"])])
    >>> refuse_customer_summary(t, "Email", "Orders")
    Traceback (most recent call last):
    ...
    models.errors.DataFileError: c.csv, line 1, column 'Orders': a customer summary, not an order log: 'Orders' counts each customer's orders (3 for 'ann@x.com', on 1 row), 'Total spend' their lifetime money; the evaluation needs each order on a line of its own, dated: give the shop's orders export
    """
    header = table.header
    if order is not None and not is_order_count(order) and not _customers_order(order):
        # Each order on a line of its own with its id: a count and a lifetime total beside it are its customer's
        # figures at the export (as order export plugins add a Customer Total Orders and Total Spent), no summary.
        return
    lifetime = next((name for name in header if is_lifetime_total(name)), None)
    at_customer = header.index(customer)
    for at, name in enumerate(header):
        if not is_order_count(name):
            continue
        counts: dict[str, str] = {}
        rows: dict[str, int] = {}
        whole = True
        for _, values in table.rows:
            who, count = values[at_customer].strip(), values[at].strip()
            if not who or not count:
                continue
            if not _WHOLE.match(count) or counts.setdefault(who, count) != count:
                whole = False  # not a count, or a customer's count that changes from row to row: orders so far
                break
            rows[who] = rows.get(who, 0) + 1
        if not whole or (lifetime is None and any(many > 1 for many in rows.values())):
            continue  # without a lifetime total, only a row per customer says a summary (not a day's orders counted)
        counted = next((who for who, count in counts.items() if 2 <= int(float(count)) and rows[who] < float(count)),
                       None)
        if counted is not None:
            many = rows[counted]
            seen = f" ({int(float(counts[counted]))} for {counted!r}, on {many} row{'s' if many > 1 else ''})"
            raise DataFileError(table.path, table.header_line, name, _reason(name, lifetime, header, seen))
