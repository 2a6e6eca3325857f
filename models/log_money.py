"""What a purchase log's money columns mean: units, currencies, refunds beside the amount, kinds of transaction.

:mod:`models.csv_logs` reads a log's columns; these rules say what its money is:

* a line's money is its amount, or its unit price times its quantity (:func:`line_amounts`), in whole
  units where the column counts cents, pence or minor units (:func:`in_cents`) — as many to a unit as the currency
  column's currency has (:func:`minor_unit`: none for the yen);
* money in two currencies is not added up as one (:func:`one_currency`), and a converted amount's
  currency is the one named with it (:func:`currency_column`);
* a partly refunded payment keeps its whole amount with the money refunded beside it
  (:func:`refunded_column`, :func:`refunded_amounts`), and a total adjusted after refunds is the money
  where given (:func:`adjusted_column`, :func:`adjusted_amounts`);
* an amount column that repeats each order's total on its item lines, or gives it on a line of its own
  beside them, is read once per order (:func:`order_totals_repeated`, :func:`order_total`);
* a payment ledger's ``Type`` says which lines are sales, refunds or the shop's own money
  (:func:`transaction_kind`, :func:`line_kinds`), and a refund paid out is its payee's (:func:`payee_column`).
"""

from __future__ import annotations

import dataclasses
import math
import re
import statistics
from collections.abc import Mapping, Sequence
from typing import Literal, Protocol

from models.currencies import currency_of
from models.decimals import currency_code
from models.errors import DataFileError
from models.log_languages import TAX_EXCLUDED, TAX_INCLUDED
from models.textfiles import CsvTable, bare, normalise
from models.transactions import column_numbers

__all__ = ["adjusted_amounts", "adjusted_column", "currency_column", "in_cents", "line_amounts", "line_kinds",
           "minor_unit", "money_key", "one_currency", "order_total",
           "order_totals_repeated", "payee_column", "refunded_amounts", "refunded_column", "transaction_kind"]


class MoneyColumns(Protocol):
    """What these rules read of a log's mapping (:class:`models.csv_logs.ColumnMap`): its money columns and type."""

    @property
    def amount(self) -> str | None: ...

    @property
    def quantity(self) -> str | None: ...

    @property
    def type(self) -> str | None: ...


#: Words of a money column's name that say it is in the account's one currency (Stripe's ``Converted Amount``).
ONE_CURRENCY = ("converted", "base", "settlement", "settled")
# Longer words first: a regex takes the first alternative that matches (Summe, not its Sum).
_MONEY_WORDS = re.compile(r"amount|totale|totaal|total|gross|netto|neto|net|price|value|sales|grand|summe|sum|spent"
                          r"|revenue|gesamt|betrag|montant|importe|importo|bedrag|valor|kwota|wartosc|brutto|bruto"
                          r"|ttc|lordo")
#: Words of a column's name that say its money was refunded (English, German, French, Spanish, Italian, Dutch,
#: Portuguese, Polish), and those that name a refund, said of money only beside a money word (``Refund Date`` is none).
_REFUNDED = re.compile(r"(partial(ly)?)?refunded|(zu)?(ruck)?erstattet(er|es|e)?|rembourse(es|e|s)?"
                       r"|reembolsad[oa]s?|rimborsat[oaie]|terugbetaald|zwrocon[ayoe]")
_REFUND = re.compile(r"(partial(ly)?)?refunds?|(ruck)?erstattung(en)?|remboursements?|reembolsos?|rimbors[oi]"
                     r"|terugbetaling(en)?|zwrot(y|u)?")
_CURRENCY_SIGNS = "$£€¥₹"
#: A currency column's name, as shops write it in English, German, French, Spanish, Italian, Dutch, Portuguese, Polish.
_CURRENCY_NAME = re.compile(r"(currency|wahrung|devise|monnaie|moneda|divisa|valuta|moeda|waluta)(code|iso)?$")


def money_key(mapping: MoneyColumns) -> str:
    """The mapping's key of the money column: ``amount``, or ``price`` for a unit price."""
    return "amount" if mapping.amount else "price"


def currency_column(header: Sequence[str], money: str) -> str | None:
    """The header's column naming the currency of the money column ``money`` (None if it names none).

    A currency column qualified as the money is (Stripe's ``Converted Currency`` for its ``Converted
    Amount``), else a plain ``Currency`` (``Currency Code``) — unless the money's name says it is in the
    account's one currency (:data:`ONE_CURRENCY`) and no currency column is qualified so.

    >>> stripe = ["Amount", "Currency", "Converted Amount", "Converted Currency", "Status"]
    >>> [currency_column(stripe, money) for money in ("Amount", "Converted Amount", "Status")]
    ['Currency', 'Converted Currency', 'Currency']
    >>> currency_column(["Gross", "Currency"], "Gross"), currency_column(["Converted Amount", "Currency"],
    ...                                                                  "Converted Amount")
    ('Currency', None)
    >>> currency_column(["Gesamtbetrag", "Währung"], "Gesamtbetrag"), currency_column(["Total TTC", "Devise"], "Total TTC")
    ('Währung', 'Devise')
    """
    qualifier = _MONEY_WORDS.sub("", bare(money))
    by_qualifier = {_CURRENCY_NAME.sub("", bare(name)): name for name in header if _CURRENCY_NAME.search(bare(name))}
    if qualifier in by_qualifier:
        return by_qualifier[qualifier]
    if any(word in normalise(money) for word in ONE_CURRENCY):
        return None
    return by_qualifier.get("")


def one_currency(table: CsvTable, mapping: MoneyColumns) -> None:
    """Refuse money in more than one currency (its currency column's codes, or the signs or codes its values carry).

    Added up, dollars and euros mean nothing: the first line in a second currency is named, with what to do.

    >>> t = CsvTable("p.csv", ["Customer ID", "Created", "Amount", "Currency"], [(2, ["7", "2024-01-02", "5", "usd"]),
    ...              (3, ["7", "2024-01-03", "5", "EUR"])], {"customer": "Customer ID", "date": "Created",
    ...              "amount": "Amount", "currency": "Currency"})
    >>> from models.csv_logs import ColumnMap
    >>> one_currency(t, ColumnMap("Customer ID", "Created", "Amount"))
    Traceback (most recent call last):
    ...
    models.errors.DataFileError: p.csv, line 3, column 'Currency': money in more than one currency (usd on line 2, eur here) would be added up as one: give --columns with an amount in one currency or the lines of one currency only
    >>> dollars = dataclasses.replace(t, rows=[(2, ["7", "2024-01-02", "$5", "CAD"]), (3, ["7", "2024-01-03", "$5", "CAD"])])
    >>> one_currency(dollars, ColumnMap("Customer ID", "Created", "Amount"))  # the dollars are Canadian
    """
    key = money_key(mapping)
    at_money = table.position(key)
    at_currency = table.position("currency") if "currency" in table.names else None
    seen: dict[str, int] = {}
    for line, values in table.rows:
        codes = {values[at_currency].strip().lower()} - {""} if at_currency is not None else set()
        signs = {currency_code(values[at_money])[0].lower()} - {""}
        # A sign says less than a code beside it ("$10.00" beside "CAD": Canadian dollars): read without one only.
        signs = signs or ({sign for sign in _CURRENCY_SIGNS if sign in values[at_money]} if not codes else set())
        for code in codes | signs:
            seen.setdefault(code, line)
            if len(seen) > 1:
                first, where = next(iter(seen.items()))
                column = table.names["currency" if code in codes else key]
                converted = [name for name in table.header if name != table.names[key]
                             and any(word in normalise(name) for word in ONE_CURRENCY)
                             and _MONEY_WORDS.search(normalise(name))]
                amount = f"amount={converted[0]!r} (in one currency)" if converted else "an amount in one currency"
                raise DataFileError(
                    *table.locate(line), column,
                    f"money in more than one currency ({first} on line {where}, {code} here) would be added up as "
                    f"one: give --columns with {amount} or the lines of one currency only")


def line_amounts(table: CsvTable, mapping: MoneyColumns, *, line_totals: bool = False) -> list[float]:
    """Each line's money: its amount, or its unit price times its quantity (1 without a quantity column).

    A money column named in cents or pence (``amount_cents``, ``Total (pence)``) is read in whole units;
    with ``line_totals`` the price column is each line's money already (:func:`prices_are_line_totals`).
    """
    key = money_key(mapping)
    money = column_numbers(table, key)
    if in_cents(table.names[key]):
        minor = minor_unit(table)
        money = [value / minor for value in money]
    if mapping.amount or not mapping.quantity or line_totals:
        return money
    return [price * count for price, count in zip(money, column_numbers(table, "quantity"), strict=True)]


#: How many lines of several items of products also bought singly the price column's reading needs, and the
#: share of them that must say "line total" for it to be read so.
_LINE_TOTAL_EVIDENCE = 20
_LINE_TOTAL_SHARE = 0.8


def prices_are_line_totals(table: CsvTable) -> bool:
    """Whether the ``price`` column beside ``quantity`` holds each line's total, as the log's own products show.

    Exports name the two alike (an Amazon seller report's ``item-price`` is the line's, Online Retail's
    ``Price`` the unit's). A product's lines of one item say its price; on its lines of several items a
    unit price stays about that (or less: a bulk price), a line's total is about that times the count.
    Each line of several items of a product also bought singly says which is nearer, in ratio; the
    column holds totals when at least :data:`_LINE_TOTAL_SHARE` of at least :data:`_LINE_TOTAL_EVIDENCE`
    such lines say so.

    >>> lines = [["a", "1", "10"], ["a", "3", "30"], ["b", "1", "4"], ["b", "2", "8.5"]] * 10
    >>> table = CsvTable("o.csv", ["sku", "qty", "price"], [(n, line) for n, line in enumerate(lines, 2)],
    ...                  {"product": "sku", "quantity": "qty", "price": "price"})
    >>> prices_are_line_totals(table)
    True
    >>> prices_are_line_totals(dataclasses.replace(table, rows=[(n, [p, q, "10" if p == "a" else "4"])
    ...                                                        for n, (p, q, _) in table.rows]))
    False
    """
    products = [values[table.position("product")].strip() for _, values in table.rows]
    prices, counts = column_numbers(table, "price"), column_numbers(table, "quantity")
    singles: dict[str, list[float]] = {}
    for product, price, count in zip(products, prices, counts, strict=True):
        if count == 1 and price > 0:
            singles.setdefault(product, []).append(price)
    unit = {product: statistics.median(found) for product, found in singles.items()}
    lines = totals = 0
    for product, price, count in zip(products, prices, counts, strict=True):
        one = unit.get(product)
        if one is None or count < 2 or price <= 0:
            continue
        lines += 1
        ratio = math.log(price / one)
        totals += abs(ratio - math.log(count)) < abs(ratio)
    return lines >= _LINE_TOTAL_EVIDENCE and totals >= _LINE_TOTAL_SHARE * lines


#: Money equal to the cent: an order's total against its lines' sum, as exports round each to cents.
_CENT = 0.005


def order_totals_repeated(orders: Mapping[str, Sequence[float]]) -> bool:
    """Whether an amount column holds each order's total on its lines (``orders``: each order's line amounts).

    Exports with a row per item write the order's total on each of its rows (an ``Order Total``
    repeated down the order), or on a row of their own beside the items' rows (a till's sale row
    before its sale lines, and maybe its payment's row). Either way an order's largest line is its
    total: its other lines equal it, or those that do not add up to it. The column holds totals
    when every order of several lines (not 0, of one sign; lines of 0 left out, as Shopify's rows
    after an order's first hold none) is so, and at least two such orders say it; one
    coincidence then makes it a column of lines' money, read as such. Orders whose lines are all
    equal say it only if they are not all of one amount: a shop whose every item costs the same
    writes its lines so too.

    >>> order_totals_repeated({"1": [30.0, 30.0, 30.0], "2": [12.5, 12.5], "3": [4.0]})
    True
    >>> order_totals_repeated({"1": [30.0, 10.0, 20.0], "2": [12.5, 12.5]})  # a till's sale and its lines
    True
    >>> order_totals_repeated({"1": [30.0, 10.0, 20.0, 30.0], "2": [12.5, 12.5, 12.5]})  # and its payment's
    True
    >>> order_totals_repeated({"1": [30.0, 30.0], "2": [12.5, 2.5]})  # the lines' own money
    False
    >>> order_totals_repeated({"1": [30.0, 30.0], "2": [4.0]})  # one order of several lines says too little
    False
    >>> order_totals_repeated({"1": [9.99, 9.99], "2": [9.99, 9.99, 9.99]})  # every item at one price
    False
    """
    told = 0
    added_up = False  # an order whose items add up to its largest line
    repeated: set[float] = set()  # the amounts of the orders whose lines are all equal
    for lines in orders.values():
        money = [abs(amount) for amount in lines if amount]
        if len(money) < 2 or (min(lines) < 0 < max(lines)):
            continue
        largest = max(money)
        items = [line for line in money if abs(line - largest) >= _CENT]
        if items and abs(sum(items) - largest) >= _CENT * len(money):
            return False
        if items:
            added_up = True
        else:
            repeated.add(round(largest, 2))
        told += 1
    return told >= 2 and (added_up or len(repeated) >= 2)


def order_total(lines: Sequence[float]) -> float:
    """An order's total where its lines repeat it (:func:`order_totals_repeated`): its line of most money.

    >>> order_total([30.0, 10.0, 20.0]), order_total([-12.5, -12.5]), order_total([0.0, 7.0])
    (30.0, -12.5, 7.0)
    """
    return max(lines, key=abs)


#: Words of a transaction's kind (``Type``) that say what it is; a kind with none is the shop's own money
#: (a withdrawal, a transfer, a currency conversion, a fee, a hold, an authorization), no customer's.
REFUND_KINDS = ("refund", "return", "chargeback", "reversal")
#: Words of a kind that say a refund together: an accounting system's credit note or credit memo (Xero's
#: ``Sales Credit Note``, before its ``Sales``); a bare ``credit`` (Braintree's refund) is one too, a credit card none.
REFUND_CREDITS = (("credit", "note"), ("credit", "memo"))
SALE_KINDS = ("payment", "sale", "order", "purchase", "charge", "checkout", "subscription", "invoice")


def transaction_kind(raw: str) -> Literal["sale", "refund", "other"]:
    """What a ledger's transaction type says a line is: a ``sale``, a ``refund`` or ``other`` money of the shop.

    >>> [transaction_kind(kind) for kind in ("Express Checkout Payment", "Payment Refund", "General Withdrawal",
    ...                                      "General Currency Conversion", "Chargeback", "charge", "Wholesale")]
    ['sale', 'refund', 'other', 'other', 'refund', 'sale', 'other']
    >>> [transaction_kind(kind) for kind in ("credit", "Sales Credit Note", "Credit Memo", "Credit Card Payment")]
    ['refund', 'refund', 'refund', 'sale']
    """
    words = _words(raw)  # a Wholesale is no sale
    pairs = set(zip(words, words[1:]))
    if any(word.startswith(REFUND_KINDS) for word in words) or words == ["credit"] or pairs & set(REFUND_CREDITS):
        return "refund"
    return "sale" if any(word.startswith(SALE_KINDS) for word in words) else "other"


def line_kinds(table: CsvTable, mapping: MoneyColumns, *, explicit: bool) -> list[str] | None:
    """Each line's :func:`transaction_kind` (all ``sale`` without a type column); None for a type column of no kinds.

    A column found by its name only (``Type``) is read as kinds of transaction where some line is a sale or a
    refund; else it holds something else (a customer's or a product's type): None. A bare ``credit`` is a
    refund only beside sales: without one, ``Credit`` is a payment's method, as ``Cash`` beside it.

    >>> t = CsvTable("p.csv", ["Type"], [(2, ["Credit"]), (3, ["Cash"])], {"type": "Type"})
    >>> from models.csv_logs import ColumnMap
    >>> line_kinds(t, ColumnMap("c", "d", "a", type="Type"), explicit=False) is None
    True
    """
    if not mapping.type:
        return ["sale"] * len(table.rows)
    at = table.position("type")
    kinds: list[str] = [transaction_kind(values[at]) for _, values in table.rows]
    if "sale" not in kinds:
        kinds = ["other" if _words(values[at]) == ["credit"] else kind
                 for (_, values), kind in zip(table.rows, kinds, strict=True)]
    if not explicit and not {"sale", "refund"} & set(kinds):
        return None
    return kinds


def payee_column(header: Sequence[str], customer: str) -> str | None:
    """The payee's column where the customer column is a ledger's payer (``From Email Address``: ``To Email Address``).

    A payment ledger (PayPal's activity download) has a line for money in and out: the customer pays
    the shop, and the shop pays the customer back; the payer of a refund is the shop itself.

    >>> payee_column(["From Email Address", "To Email Address", "Gross"], "From Email Address")
    'To Email Address'
    >>> payee_column(["Customer", "To"], "Customer") is None
    True
    """
    words = re.findall(r"[a-z]+", customer.lower())
    if "from" not in words:
        return None
    wanted = ["to" if word == "from" else word for word in words]
    return next((name for name in header if re.findall(r"[a-z]+", name.lower()) == wanted), None)


def refunded_amounts(table: CsvTable, mapping: MoneyColumns) -> list[float]:
    """Each line's money refunded (a blank is none), in the amount's units.

    >>> t = CsvTable("p.csv", ["Amount", "Amount Refunded"], [(2, ["10", "2.50"]), (3, ["5", ""])],
    ...              {"amount": "Amount", "refunded": "Amount Refunded"})
    >>> from models.csv_logs import ColumnMap
    >>> refunded_amounts(t, ColumnMap("c", "d", "Amount"))
    [2.5, 0.0]
    """
    at = table.position("refunded")
    rows = [(line, values[:at] + [values[at] if values[at].strip() else "0"] + values[at + 1:])
            for line, values in table.rows]
    money = [abs(value) for value in column_numbers(dataclasses.replace(table, rows=rows), "refunded")]
    if in_cents(table.names["refunded"]) or in_cents(table.names[money_key(mapping)]):
        minor = minor_unit(table)
        money = [value / minor for value in money]
    return money


def refunded_column(header: Sequence[str], amount: str) -> str | None:
    """The header's column of the money refunded of the amount column ``amount`` (None if it names none).

    Payment and order exports keep a partly refunded payment's whole amount and, beside it, what was
    refunded (Stripe's ``Amount Refunded`` and ``Converted Amount Refunded``, Shopify's ``Refunded Amount``,
    Square's ``Partial Refunds``): the column named as the amount is, with ``refunded`` or ``refund`` and a
    money word, or partial refunds (a bare ``Refunded`` says whether, not how much). An amount named net has
    the refunds named before it taken out already (a statement's terms come before its result: Gross, Refunds,
    Net); one named after it is not in it (Square's Partial Refunds after its Net Sales, on the way to its Total Collected).

    >>> stripe = ["Amount", "Amount Refunded", "Converted Amount", "Converted Amount Refunded", "Refund Date"]
    >>> [refunded_column(stripe, money) for money in ("Amount", "Converted Amount")]
    ['Amount Refunded', 'Converted Amount Refunded']
    >>> refunded_column(["Total", "Refunded Amount"], "Total"), refunded_column(["Net Sales", "Refunds"], "Net Sales")
    ('Refunded Amount', None)
    >>> square = ["Gross Sales", "Discounts", "Net Sales", "Tax", "Partial Refunds", "Total Collected"]
    >>> refunded_column(square, "Net Sales"), refunded_column(["Gross", "Refunded Amount", "Net"], "Net")
    ('Partial Refunds', None)
    >>> refunded_column(["Total Inc Tax", "Total Ex Tax", "Refunded Amount"], "Total Inc Tax")
    'Refunded Amount'
    >>> refunded_column(["Amount", "Refunded", "Refund Date", "Refund Amount"], "Amount")
    'Refund Amount'
    >>> refunded_column(["Gesamtbetrag", "Erstatteter Betrag"], "Gesamtbetrag"), refunded_column(
    ...     ["Total TTC", "Montant remboursé", "Date de remboursement"], "Total TTC")
    ('Erstatteter Betrag', 'Montant remboursé')
    """
    net = "net" in _words(amount)
    qualifier = _MONEY_WORDS.sub("", _untaxed(bare(amount)))  # the refunds of a Total Inc Tax are a Refunded Amount
    for at, name in enumerate(header):
        loose = bare(name)
        said = _REFUNDED.search(loose) or _REFUND.search(loose)
        # Money, or partial refunds; a bare Refunded is a flag (a till's refund status, a digital shop's true/false).
        if said and (_MONEY_WORDS.search(loose) or said.group().startswith("partial")):
            if _MONEY_WORDS.sub("", _REFUND.sub("", _REFUNDED.sub("", _untaxed(loose)))) == qualifier:
                return None if net and at < header.index(amount) else name
    return None


def _untaxed(name: str) -> str:
    """A loosely spelled money column's name without its tax said included or excluded (``totalinctax``: total)."""
    return TAX_EXCLUDED.sub("", TAX_INCLUDED.sub("", name))


def adjusted_column(header: Sequence[str], amount: str) -> str | None:
    """The header's column of the amount ``amount`` adjusted (after refunds and changes), None if it names none.

    Marketplaces keep an order's original total and, beside it, the total once refunded or changed
    (Etsy's ``Adjusted Order Total`` beside its ``Order Total``, ``Adjusted Gross`` beside ``Gross``):
    the column named as the amount is, with ``adjusted``.

    >>> etsy = ["Order Value", "Order Total", "Order Net", "Adjusted Order Total", "Adjusted Net Order Amount"]
    >>> adjusted_column(etsy, "Order Total"), adjusted_column(etsy, "Order Value")
    ('Adjusted Order Total', None)
    """
    wanted = sorted(_words(amount))
    for name in header:
        words = _words(name)
        if "adjusted" in words and sorted(word for word in words if word != "adjusted") == wanted:
            return name
    return None


def adjusted_amounts(table: CsvTable, amounts: Sequence[float]) -> list[float]:
    """Each line's money: its adjusted amount (:func:`adjusted_column`) where one is given, else ``amounts``'.

    An order never adjusted leaves the column blank or writes a dash; an adjusted total of 0 is an
    order refunded whole, no sale.

    >>> t = CsvTable("e.csv", ["Order Total", "Adjusted Order Total"], [(2, ["4.50"]), (3, ["--"]), (4, [""])],
    ...              {"adjusted": "Adjusted Order Total"})
    >>> adjusted_amounts(t, [10.0, 8.0, 6.0])
    [4.5, 8.0, 6.0]
    """
    at = table.position("adjusted")
    given = [bool(values[at].strip("-–— ")) for _, values in table.rows]
    rows = [(line, values[:at] + [values[at] if filled else "0"] + values[at + 1:])
            for (line, values), filled in zip(table.rows, given, strict=True)]
    adjusted = column_numbers(dataclasses.replace(table, rows=rows), "adjusted")
    cents = minor_unit(table) if in_cents(table.names["adjusted"]) else 1
    return [value / cents if filled else amount for value, amount, filled in zip(adjusted, amounts, given, strict=True)]


def in_cents(name: str) -> bool:
    """Whether a money column's name says it counts cents, pence or minor units: what payment systems store.

    >>> in_cents("amount_cents"), in_cents("totalPriceCents"), in_cents("Total (pence)"), in_cents("Percent total")
    (True, True, True, False)
    >>> in_cents("Amount (minor units)"), in_cents("amount_minor"), in_cents("price_in_cents"), in_cents("Amount")
    (True, True, True, False)
    """
    words = _words(name)
    return "cents" in words or "pence" in words or "minor" in words


def minor_unit(table: CsvTable) -> int:
    """How many of a money column's minor units make one unit of its currency: 100 (cents, pence), or as the
    table's ``currency`` column says (its first code; :func:`one_currency` refuses a second): 1 for a currency
    without a minor unit (JPY, KRW), 1000 for one of three digits (KWD), by ISO 4217 as the Unicode CLDR gives it.

    >>> t = CsvTable("p.csv", ["amount_cents", "currency"], [(2, ["500", ""]), (3, ["700", "jpy"])],
    ...              {"amount": "amount_cents", "currency": "currency"})
    >>> minor_unit(t), minor_unit(dataclasses.replace(t, rows=[(2, ["500", "KWD"])])), minor_unit(
    ...     dataclasses.replace(t, rows=[(2, ["500", "usd"])]))
    (1, 1000, 100)
    """
    if "currency" not in table.names:
        return 100
    at = table.position("currency")
    code = next((values[at].strip().upper() for _, values in table.rows if at < len(values) and values[at].strip()),
                "")
    if not re.fullmatch(r"[A-Z]{3}", code):
        return 100
    return int(10 ** currency_of(code).digits)  # digits >= 0: a whole number


def _words(name: str) -> list[str]:
    """A name's words in lower case, camelCase split (``totalPriceCents``: total, price, cents)."""
    return re.findall(r"[a-z]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", name).lower())
