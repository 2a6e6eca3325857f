"""Generic CSV purchase logs: which column holds what is given by a mapping, or read from the header.

``customer=…,date=…,amount=…[,order=…][,product=…][,status=…][,refunded=…][,date_order=dmy|mdy]``: an
amount per line (or ``price=…[,quantity=…]`` instead of ``amount``: a line's unit price and count, its amount
their product, as order-line exports keep them), the lines of one order summed (an order's
customer, date and total given on one of its rows only, as Shopify's export does, are the
order's: :func:`order_fields_filled`); with a status column (mapped, named so, or a column of statuses:
:mod:`models.log_status`), the lines of orders that were no sale (cancelled, failed, refunded, unpaid) and of a
pipeline's deals not won are skipped and counted (without an order column, the lines of one customer at one
moment); a negative order total is a refund, and so is the money ``refunded`` of a partly refunded payment (Stripe's
``Amount Refunded`` beside its ``Amount``: :func:`models.log_money.refunded_column`); a total adjusted after refunds
(Etsy's ``Adjusted Order Total``) is the money where given (:func:`models.log_money.adjusted_column`). Dates are
read in the layout the column uses
(:mod:`models.dates`, spreadsheet serial numbers included) unless ``date_order`` says which of day
and month comes first.

Without a mapping the header's names say which column is which (:func:`guess_columns`): the
names order systems and exports commonly use (``customer_id``, ``Customer Email``,
``order_date``, ``Created at``, ``Total (USD)``, ``order_id``…), in English or as European shops
export them (``Kundennummer``, ``Date de commande``, ``Importe``: :mod:`models.log_languages`); a header that does not name
a customer, a date and an amount unambiguously is refused with what was found.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from models.dates import columns_of_dates, is_day_number
from models.errors import DataFileError
from models.log_customers import customer_choice, holds_flags
from models.log_money import (
    currency_column,
    adjusted_amounts,
    adjusted_column,
    in_cents,
    minor_unit,
    line_amounts,
    line_kinds,
    money_key,
    one_currency,
    order_total,
    order_totals_repeated,
    payee_column,
    prices_are_line_totals,
    refunded_amounts,
    refunded_column,
)
from models.log_languages import TAX_INCLUDED, gross_first, names_of, words_of
from models.log_status import sales_only, status_column, status_word
from models.log_summaries import is_order_count, refuse_customer_summary, summary_of_header
from models.log_times import in_zones, moments, time_column, times_of_day, unread_zone, zone_column
from models.textfiles import CsvTable, bare, no_header, normalise, read_csv, select
from models.transactions import (
    OrderLines,
    TransactionLog,
    column_date_layout,
    column_dates,
    column_day_numbers,
    customer_id,
    transactions_of,
)

__all__ = ["USAGE", "ColumnMap", "column_pairs", "guess_columns", "header_columns", "load_csv", "parse_columns",
           "status_word"]


@dataclasses.dataclass(frozen=True)
class ColumnMap:
    """Which columns of a generic CSV log hold what (see :func:`parse_columns`)."""

    customer: str
    date: str
    #: The line's money; None: ``price`` × ``quantity`` (1 without a quantity column).
    amount: str | None
    order: str | None = None
    product: str | None = None
    date_order: Literal["mdy", "dmy"] | None = None
    price: str | None = None
    quantity: str | None = None
    #: The order's status: lines of orders that were no sale (:data:`models.log_status.NOT_SALES`) are skipped,
    #: and in a sales pipeline (a CRM's deals) those of deals not won (:func:`models.log_status.sales_only`).
    status: str | None = None
    #: The date of day 1, where the date column counts days (dunnhumby's ``DAY``) instead of holding dates.
    day_one: dt.date | None = None
    #: The money refunded of the line's amount (Stripe's ``Amount Refunded``): a refund of that much, at the order's
    #: time. Without it, the header's column named so beside the amount (:func:`models.log_money.refunded_column`) is read.
    refunded: str | None = None
    #: The kind of transaction of a ledger's line (PayPal's ``Type``): sales and refunds are read by it, the shop's
    #: other money (withdrawals, transfers, fees, holds) skipped (:func:`transaction_kind`).
    type: str | None = None


_MAP_KEYS = ("customer", "date", "amount", "price", "quantity", "order", "product", "status", "refunded", "type",
             "date_order", "day_one")
#: How a mapping is written (``--columns``).
USAGE = ("customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…]"
         "[,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD]")

def parse_columns(spec: str) -> ColumnMap:
    """Read a column mapping (:data:`USAGE`): an ``amount`` column, or a ``price`` and maybe a ``quantity``.

    Raises
    ------
    ValueError
        Naming what was expected and what was found, in one line.

    Examples
    --------
    >>> describe(parse_columns("customer=Client, date=Day, amount=Total, order=Ticket"))
    'customer=Client,date=Day,amount=Total,order=Ticket'
    >>> parse_columns("customer=Client,date=Day,price=Unit price,quantity=Qty").amount is None
    True
    >>> parse_columns("customer=Client,date=Day,quantity=Qty")
    Traceback (most recent call last):
    ...
    ValueError: columns: expected customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…][,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD], missing 'amount' (or 'price') in 'customer=Client,date=Day,quantity=Qty'

    """
    pairs = column_pairs(spec, ("customer", "date"), _MAP_KEYS, USAGE)
    if "amount" not in pairs and "price" not in pairs:
        raise ValueError(f"columns: expected {USAGE}, missing 'amount' (or 'price') in {spec!r}")
    raw_order = pairs.get("date_order")
    date_order: Literal["mdy", "dmy"] | None = None
    if raw_order in ("mdy", "dmy"):
        date_order = "mdy" if raw_order == "mdy" else "dmy"
    elif raw_order is not None:
        raise ValueError(f"columns: expected date_order=dmy or mdy, found {raw_order!r}")
    day_one = None
    if "day_one" in pairs:
        try:
            day_one = dt.date.fromisoformat(pairs["day_one"])
        except ValueError:
            raise ValueError(f"columns: expected day_one=YYYY-MM-DD (the date of day 1), "
                             f"found {pairs['day_one']!r}") from None
    return ColumnMap(
        customer=pairs["customer"], date=pairs["date"], amount=pairs.get("amount"),
        order=pairs.get("order"), product=pairs.get("product"), date_order=date_order,
        price=None if "amount" in pairs else pairs.get("price"),
        quantity=None if "amount" in pairs else pairs.get("quantity"), status=pairs.get("status"), day_one=day_one,
        refunded=pairs.get("refunded"), type=pairs.get("type"),
    )


# Header names that say what a column holds, in English (see HEADER_NAMES).
_ENGLISH_NAMES: dict[str, tuple[str, ...]] = {
    # A customer's unique id first: Olist's customer_id is one per order, its customer_unique_id the person.
    # A customer's code before a bare "user": a till's export names its cashier the User (Vend's, Lightspeed's).
    "customer": ("customeruniqueid", "customerid", "customer", "customerno", "customernumber", "customercode", "custid",
                 "clientid", "client", "userid", "user", "buyerid", "buyer", "shopperid", "shopperreference", "shopper",
                 "memberid",
                 "accountid", "customeremail", "email", "emailaddress", "householdkey", "householdid", "household"),
    "date": ("orderdate", "invoicedate", "purchasedate", "transactiondate", "orderpurchasetimestamp", "orderedat",
             "createdat", "paidat", "processedat", "ordertime", "purchasetime", "date", "datetime", "timestamp",
             "time", "day", "transactiondt", "orderdt", "purchasedt", "txndate", "txndt", "transdate", "saledate",
             "salesdate", "dt", "ts"),
    "amount": ("ordertotal", "totalamount", "amounttotal", "amount", "total", "totalspent", "revenue", "sales", "netsales",
               "grandtotal", "totalprice", "linetotal", "paymentvalue", "spend", "value"),
    "order": ("orderid", "orderno", "ordernumber", "order", "invoiceid", "invoiceno", "invoicenumber", "invoice",
              "transactionid", "receiptid", "receipt", "ticket", "basketid", "basket",
              # a restaurant's check is its order (not a Check Number: an accounting export's cheque)
              "checkid"),
    "status": ("financialstatus", "paymentstatus", "orderstatus", "status"),
    # Read as kinds of transaction only where some line is a payment or a refund (:func:`transaction_kind`).
    "type": ("transactiontype", "type"),
    # Only without an amount column: a line's unit price, and its count.
    "price": ("unitprice", "price", "itemprice", "saleprice", "salesprice", "priceeach"),
    "quantity": ("quantity", "qty", "units", "quantityordered"),
    # What was bought: the customer's breadth of products, and what tells a unit price from a line's total.
    "product": ("productid", "sku", "lineitemsku", "asin", "stockcode", "articleid", "itemid", "productcode",
                "product", "item"),
}

# Then words of English names (see HEADER_WORDS).
_ENGLISH_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer": (("customer", "client", "email", "user", "buyer", "shopper", "member", "household"),
                 ("name", "phone", "address", "street", "country", "state", "province", "county", "city", "zip",
                  "postcode", "note", "description", "group", "type", "since", "marketing", "company", "tag", "agent",
                  # who served, voided or approved the sale, not who bought: a till's Void User, Void Approver
                  "void", "approv", "staff", "employee", "cashier", "clerk",
                  # the buyer's address, channel or card, not who they are: a payment's Shopper IP, Shopper
                  # Interaction (Ecommerce, ContAuth), Shopper PAN (the card's last digits)
                  "ip$", "ipaddress", "interaction", "channel", "pan$")),
    "date": (("date", "time", "created", "ordered", "purchased"),
             ("ship", "deliver", "fulfil", "due", "update", "modif", "cancel", "refund", "birth", "expir", "zone")),
    # A name ending in value is money (CDNOW's dollar_value, an Order Value), not a Value Date.
    "amount": (("total", "amount", "revenue", "sales", "spend", "value$"),
               ("lifetime", "average", "avg", "discount", "tax", "ship", "refund", "fee", "weight", "count", "quantity", "qty", "items", "lines",
                "outstanding", "due", "paid",
                # who or where sold, not money: Amazon's sales-channel, a Sales Rep, a Sales Region
                "channel", "rep", "person", "region", "team", "office", "manager", "type", "status")),
    "order": (("order", "invoice", "transaction", "receipt", "ticket"),
              ("date", "time", "total", "amount", "status", "quantity", "qty", "count", "note", "line", "item",
               "type", "value", "price")),
}


#: Header names that say what a column holds, compared by :func:`models.textfiles.normalise` (case and accents
#: folded) with any bracketed part (a currency: ``Total (USD)``) left out; for each key the first found wins.
#: A unit price (and a count) stand for the amount only in a header that names no amount.  European shops' names
#: (:data:`models.log_languages.NAMES`: ``Kundennummer``, ``Date de commande``, ``Importe``) come before the English
#: ones, which are the words they share (``E-Mail``, ``Date``, ``Total``): a German export's customer number before
#: its email, a French order's date before a bare ``Date``, ``Total TTC`` before ``Total``.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    key: tuple(name for name in names_of(key) if name not in english) + english
    for key, english in _ENGLISH_NAMES.items()
}

#: Then, for a key no name above finds, a column whose name has one of the first words and none
#: of the second (``Order Total Amount``, ``Posting Date``, ``Billing Email``, ``Gesamtbetrag brutto``), if exactly
#: one does, or one of those that do says it is the gross (:func:`models.log_languages.gross_first`).
HEADER_WORDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    key: (tuple(dict.fromkeys(include + words_of(key)[0])), tuple(dict.fromkeys(exclude + words_of(key)[1])))
    for key, (include, exclude) in _ENGLISH_WORDS.items()
}


#: Of several columns a key's words find (:data:`HEADER_WORDS`), those holding one of these words give way to the
#: others: a payment's settlement, disbursement or payout date to its creation's, a subtotal to the total, the
#: amount authorised to the amount settled (:func:`gives_way`).
GIVES_WAY: dict[str, tuple[str, ...]] = {
    "date": ("settle", "disburs", "payout", "deposit", "funded"),
    "amount": ("subtotal", "authori"),
}


def gives_way(key: str, name: str) -> bool:
    """Whether a column that could hold ``key`` gives way to the others that could (:data:`GIVES_WAY`): a time of
    day, too, to a date beside it (a till's ``Opened Date`` and ``Opened Time``).

    >>> gives_way("date", "settlementdate"), gives_way("date", "openedtime"), gives_way("date", "createddatetime")
    (True, True, False)
    >>> gives_way("amount", "amountauthorized"), gives_way("amount", "subtotalinctax"), gives_way("amount", "total")
    (True, True, False)
    """
    if key == "date" and "time" in name and "date" not in name:
        return True
    return any(holds(name, word) for word in GIVES_WAY.get(key, ()))


_FIELD_PATH = re.compile(r"\w+(\.\w+)+")

#: Words of column names that place an order only against others (Instacart's ``days_since_prior_order``,
#: ``order_dow``, ``order_hour_of_day``): in a header that names no date, the log has none.
RELATIVE_TIME = ("dayssince", "daysprior", "dayofweek", "dow", "weekday", "hourofday")


def guess_columns(header: Sequence[str], *, undated: bool = False) -> ColumnMap:
    """The mapping a header's names say (see :data:`HEADER_NAMES`); ``ValueError`` naming what is missing.

    With ``undated``, a header that names everything but a date (and no column that could be one) is given
    with an empty date, for the column's values to tell (:func:`_date_told_by_values`).

    >>> describe(guess_columns(["Order ID", "Customer Email", "Created At", "Total (USD)", "Quantity"]))
    'customer=Customer Email,date=Created At,amount=Total (USD),order=Order ID'
    >>> describe(guess_columns(["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]))
    'customer=CustomerID,date=InvoiceDate,price=UnitPrice,quantity=Quantity,order=InvoiceNo,product=StockCode'
    >>> describe(guess_columns(["Order Number", "Order Date", "Billing Email", "Order Total Amount", "Ship Date"]))
    'customer=Billing Email,date=Order Date,amount=Order Total Amount,order=Order Number'
    >>> describe(guess_columns(["Name", "Email", "Financial Status", "Total", "Created at", "Lineitem quantity"]))
    'customer=Email,date=Created at,amount=Total,order=Name,status=Financial Status'
    >>> describe(guess_columns(["customer_id", "date", "number_of_cds", "dollar_value"]))
    'customer=customer_id,date=date,amount=dollar_value'
    >>> guess_columns(["user_id", "stamp", "qty"])
    Traceback (most recent call last):
    ...
    ValueError: header 'user_id,stamp,qty' names no date and no amount (or price) column: give --columns customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…][,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD]
    >>> guess_columns(["order_id", "user_id", "order_number", "order_dow", "days_since_prior_order"])
    Traceback (most recent call last):
    ...
    ValueError: header 'order_id,user_id,order_number,order_dow,days_since_prior_order' names no date column, only time relative to other orders ('order_dow', 'days_since_prior_order': days between orders, weekdays, hours): a log without its orders' dates cannot be placed on a calendar, cut at a date or evaluated
    >>> guess_columns(["customer", "Posting Date", "Entry Date", "amount"])
    Traceback (most recent call last):
    ...
    ValueError: header 'customer,Posting Date,Entry Date,amount' names no date column (several could be: 'Posting Date', 'Entry Date'): give --columns customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…][,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD]
    """
    unsure: dict[str, list[str]] = {}
    found = header_columns(header, HEADER_NAMES, HEADER_WORDS, unsure)
    if "order" in found and is_order_count(found["order"]):  # a customer's or a day's count of orders, not an id
        del found["order"]
    plain = [normalise(name) for name in header]
    if "order" not in found and "name" in plain and any(name.startswith("lineitem") for name in plain):
        # Shopify's orders export: a row per line item, the order's number ("#1001") called Name.
        found["order"] = header[plain.index("name")]
    if "amount" in found and "price" in found and "quantity" not in found and bare(found["amount"]) == "amount":
        raise ValueError(_amount_or_count(header, found))
    if "amount" in found:
        found.pop("price", None)
        found.pop("quantity", None)
    missing = [key for key in ("customer", "date") if key not in found]
    if "amount" not in found and "price" not in found:
        missing.append("amount")
    relative = [name for name in header if "date" in missing and any(word in bare(name) for word in RELATIVE_TIME)]
    if undated and missing == ["date"] and "date" not in unsure and not relative:
        found["date"] = ""
        missing = []
    if missing:
        said = " and no ".join(
            f"{key} (or price)" if key == "amount" and "amount" not in unsure else key for key in missing)
        several = "; ".join(f"several could be the {key}: {', '.join(map(repr, unsure[key]))}" if len(missing) > 1
                            else f"several could be: {', '.join(map(repr, unsure[key]))}"
                            for key in missing if key in unsure)
        if relative:
            raise ValueError(f"header {','.join(header)!r} names no date column, only time relative to other orders "
                             f"({', '.join(map(repr, relative))}: days between orders, weekdays, hours): a log without "
                             "its orders' dates cannot be placed on a calendar, cut at a date or evaluated")
        raise ValueError(f"header {','.join(header)!r} names no {said} column{f' ({several})' if several else ''}: "
                         f"give --columns {USAGE}")
    return ColumnMap(customer=found["customer"], date=found["date"], amount=found.get("amount"), order=found.get("order"),
                     price=found.get("price"), quantity=found.get("quantity"), product=found.get("product"),
                     status=found.get("status"), type=found.get("type"))


def _orders_header(header: Sequence[str]) -> ColumnMap:
    """The mapping a header's names say (:func:`guess_columns`), its date maybe left to the values; a customer
    summary's header that names no date or amount is refused as one (:func:`models.log_summaries.summary_of_header`),
    not for the column it lacks."""
    try:
        mapping = guess_columns(header, undated=True)
    except ValueError as exc:
        raise ValueError(summary_of_header(header) or str(exc)) from None
    summary = None if mapping.date else summary_of_header(header)
    if summary:
        raise ValueError(summary)
    return mapping


def _date_told_by_values(table: CsvTable, mapping: ColumnMap) -> str:
    """The one column of a header that names no date whose values are all dates, spelled as dates are
    (:func:`models.dates.columns_of_dates`); the header's refusal, saying so, where none or several are.

    >>> t = CsvTable("hm.csv", ["t_dat", "customer_id", "article_id", "price"],
    ...              [(2, ["2018-09-20", "00a1", "663713001", "0.05"]), (3, ["2018-09-21", "00b2", "20180920", "0.03"])])
    >>> _date_told_by_values(t, ColumnMap("customer_id", "", None, price="price"))
    't_dat'
    >>> _date_told_by_values(dataclasses.replace(t, header=["a", "customer_id", "b", "price"],
    ...     rows=[(2, ["x", "00a1", "2018-09-20", "1"]), (3, ["y", "00b2", "soon", "2"])]),
    ...     ColumnMap("customer_id", "", None, price="price"))
    Traceback (most recent call last):
    ...
    ValueError: header 'a,customer_id,b,price' names no date column, and of its columns only 'b' holds dates on its first lines, not on every one: give --columns customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…][,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD]
    """
    dated, partly = columns_of_dates(table.header, (values for _, values in table.rows),
                                     {name for name in wanted_names(mapping) if name})
    if len(dated) == 1:
        return dated[0]
    said = (f"several hold dates: {', '.join(map(repr, dated))}" if dated
            else f"of its columns only {', '.join(map(repr, partly))} holds dates on its first lines, not on every one"
            if partly else "no column's values are dates")
    raise ValueError(f"header {','.join(table.header)!r} names no date column, and {said}: give --columns {USAGE}")


def _amount_or_count(header: Sequence[str], found: dict[str, str]) -> str:
    """Why a header with a column called Amount beside a price and no quantity is not guessed, and the two mappings.

    Grocery logs (Ta-Feng's ``AMOUNT`` and ``SALES_PRICE``, Brijs's Belgian supermarket's ``amount`` and
    ``price``) call the number of items bought the amount and the line's money its price: only the user knows.
    """
    amount, price = found["amount"], found["price"]
    who, when, order = found.get("customer", "…"), found.get("date", "…"), found.get("order")
    as_money, as_count = describe(ColumnMap(who, when, amount, order)), describe(ColumnMap(who, when, price, order))
    return (f"header {','.join(header)!r} names {amount!r} beside a price, {price!r}, and no quantity: "
            f"{amount!r} may be the line's money or its number of items (as grocery logs write it): "
            f"give --columns {as_count} "
            f"(if {price!r} is the line's money) or --columns {as_money}")


def header_columns(
    header: Sequence[str], names: Mapping[str, Sequence[str]],
    words: Mapping[str, tuple[Sequence[str], Sequence[str]]] | None = None,
    unsure: dict[str, list[str]] | None = None,
) -> dict[str, str]:
    """For each key of ``names``, the header's column called by the first of its names found (keys not found left out).

    Names are compared by :func:`models.textfiles.normalise`, with a bracketed part and a closing
    point (``Order No.``) left out; a nested field's (``orderCustomer.email``, as exports of JSON
    documents and Parquet tables flatten them) by its whole name, else by its last part.
    A key no name finds may then be found by ``words`` (key → words one of which the column's
    name contains, words none of which it contains), among the columns no key took: when exactly
    one column fits, or one of several is the gross (:func:`models.log_languages.gross_first`) or is left when
    the others give way (:func:`gives_way`); when several still do, they are listed in ``unsure`` and the key is
    left out.

    >>> header_columns(["Visitor ID", "Time (UTC)"], {"customer": ("userid", "visitorid"), "time": ("time",)})
    {'customer': 'Visitor ID', 'time': 'Time (UTC)'}
    >>> header_columns(["Posting Date", "Ship Date", "Cust."], {"date": ("date",)}, {"date": (("date",), ("ship",))})
    {'date': 'Posting Date'}
    >>> header_columns(["Order No.", "orderCustomer.email"], {"order": ("orderno",), "customer": ("email",)})
    {'order': 'Order No.', 'customer': 'orderCustomer.email'}
    """
    plain = [bare(name).rstrip(".") for name in header]
    # A nested field's path (orderCustomer.email), not a name with a point in it (MwSt.-Betrag, Nr. Bestellung).
    inner = [bare(name.rsplit(".", 1)[1]) if _FIELD_PATH.fullmatch(name.strip().rstrip(".")) else "" for name in header]
    loose = {column: normalise(column) for column in header}  # brackets kept: Total (tax incl.), Total (tax excl.)
    found: dict[str, str] = {}
    for key, candidates in names.items():
        for name in candidates:
            if name in plain or name in inner:
                same = [column for column, whole, last in zip(header, plain, inner, strict=True)
                        if name in (whole, last)]
                found[key] = gross_first(same, [loose[column] for column in same])[0]
                break
    taken = set(found.values())
    for key, (include, exclude) in (words or {}).items():
        if key in found:
            continue
        # A tax said included (Gesamtbetrag inkl. MwSt.) is no tax column.
        fits = [column for column, name in zip(header, plain, strict=True) if column not in taken
                and any(holds(name, word) for word in include)
                and not any(holds(TAX_INCLUDED.sub("", name), word) for word in exclude)]
        if len(fits) > 1:
            fits = gross_first(fits, [loose[column] for column in fits])
        if len(fits) > 1:  # a settlement's date, a subtotal, give way to the others
            fits = [column for column in fits if not gives_way(key, bare(column).rstrip("."))] or fits
        if len(fits) == 1:
            found[key] = fits[0]
            taken.add(fits[0])
        elif fits and unsure is not None:
            unsure[key] = fits
    return found


def holds(name: str, word: str) -> bool:
    """Whether a loosely spelled name holds a word of :data:`HEADER_WORDS`: anywhere, first where it says ``^``,
    last where it says ``$``.

    Italian, Portuguese and Polish call a date ``Data`` (``Data zamówienia``): as the start of a name only, not
    English data (``Raw Data``, ``Metadata``); a payment's ``Shopper IP`` ends its name, not ``Shipping`` or
    ``Recipient``.

    >>> holds("datazamowienia", "^data"), holds("rawdata", "^data"), holds("orderdate", "date")
    (True, False, True)
    >>> holds("shopperip", "ip$"), holds("shippingemail", "ip$")
    (True, False)
    """
    if word.startswith("^"):
        return name.startswith(word[1:])
    return name.endswith(word[:-1]) if word.endswith("$") else word in name


def column_pairs(spec: str, required: Sequence[str], known: Sequence[str], usage: str) -> dict[str, str]:
    """``key=column`` pairs of a mapping (keys lower case, among ``known``, all ``required`` there).

    >>> column_pairs("A=x, b = y", ("a",), ("a", "b"), "a=…[,b=…]")
    {'a': 'x', 'b': 'y'}
    """
    pairs: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value or key not in known:
            raise ValueError(f"columns: expected {usage}, found {part.strip()!r} in {spec!r}")
        pairs[key] = value
    for key in required:
        if key not in pairs:
            raise ValueError(f"columns: expected {usage}, missing {key!r} in {spec!r}")
    return pairs


def load_csv(path: str | Path, columns: ColumnMap | str | None = None) -> TransactionLog:
    """Read a generic CSV purchase log with a column mapping (see :func:`parse_columns`), or its header's.

    Lines of one order (same ``order`` value; without an order column or an order id, same customer
    and moment) are summed; a negative total is a refund, a zero total is skipped. Lines without a
    customer are guest lines, counted and skipped.

    Raises
    ------
    DataFileError
        On a missing column (or, without a mapping, a header that does not say which column is
        which), a bad date or a non-numeric amount.

    Examples
    --------
    >>> import tempfile, os
    >>> text = "shopper;day;total\\n7;2024-03-01;10.5\\n7;2024-03-01;4.5\\n8;2024-03-02;-3\\n"
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "shop.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write(text)
    ...     log = load_csv(path, "customer=shopper,date=day,amount=total")
    >>> [(t.customer_id, t.amount, t.refund) for t in log.transactions]
    [('7', 15.0, False), ('8', 3.0, True)]

    """
    whole = read_csv(path, check=_orders_header if columns is None else None)  # the header judged before the lines
    if columns is None:
        if whole.headerless:
            raise no_header(whole, USAGE)
        try:
            mapping = _orders_header(whole.header)
        except ValueError as exc:
            raise DataFileError(whole.path, whole.header_line, "", str(exc)) from None
        dated_by_values = not mapping.date
        if dated_by_values:
            try:
                mapping = dataclasses.replace(mapping, date=_date_told_by_values(whole, mapping))
            except ValueError as exc:
                raise DataFileError(whole.path, whole.header_line, "", str(exc)) from None
        mapping, named_first = _customer_most_filled(whole, mapping)
        refuse_customer_summary(whole, mapping.customer, mapping.order)
        mapping, clock = _date_and_time(whole, mapping)
    else:
        mapping = parse_columns(columns) if isinstance(columns, str) else columns
        named_first = clock = None
        dated_by_values = False
    wanted = {"customer": (mapping.customer,), "date": (mapping.date,)}
    for key in ("amount", "price", "quantity"):
        if getattr(mapping, key):
            wanted[key] = (getattr(mapping, key),)
    if mapping.order:
        wanted["order"] = (mapping.order,)
    if mapping.product:
        wanted["product"] = (mapping.product,)
    zone_name = zone_unread = None
    if clock:  # a time of day beside the date: models.log_times
        wanted["time"] = (clock,)
    if clock or columns is None and not whole.headerless:  # and its zone, or a date-time's: models.log_times
        zone_name, zone_unread = zone_column(whole, mapping.date)
        if zone_name and zone_unread is None:
            wanted["zone"] = (zone_name,)
    status_found = None
    if mapping.status is None and not whole.headerless:  # a status named otherwise, told by its values
        status_found = status_column(whole, [name for name in wanted_names(mapping) if name])
        mapping = dataclasses.replace(mapping, status=status_found)
    if mapping.status:
        wanted["status"] = (mapping.status,)
    # A total after refunds and changes beside the original (Etsy's Adjusted Order Total) is the money, where given,
    # unless the refunds are mapped: they would be taken out twice.
    adjusted = (None if whole.headerless or not mapping.amount or mapping.refunded
                else adjusted_column(whole.header, mapping.amount))
    if adjusted:
        wanted["adjusted"] = (adjusted,)
    refunded = mapping.refunded or (None if whole.headerless or not mapping.amount or adjusted
                                    else refunded_column(whole.header, mapping.amount))
    if refunded:
        wanted["refunded"] = (refunded,)
        said = mapping.refunded is not None or columns is None  # the header's mapping is said whole, below
        mapping = dataclasses.replace(mapping, refunded=refunded)
    type_given = columns is not None and mapping.type is not None
    if mapping.type is None and not whole.headerless:  # a ledger's Type, read where it holds kinds (line_kinds)
        found_type = header_columns(whole.header, {"type": HEADER_NAMES["type"]}).get("type")
        mapping = dataclasses.replace(mapping, type=found_type)
    if mapping.type:
        wanted["type"] = (mapping.type,)
    names = select(dataclasses.replace(whole, rows=[]), wanted).names  # the header's names, from the header alone
    payee = None if whole.headerless else payee_column(whole.header, names["customer"])
    if payee:
        wanted["payee"] = (payee,)
    currency = None if whole.headerless else currency_column(whole.header, names[money_key(mapping)])
    if currency is not None:
        wanted["currency"] = (currency,)
    table = select(whole, wanted, release=True)  # the whole lines freed as they are narrowed: never two copies
    del whole
    if mapping.order:
        table = order_fields_filled(table)
    table, footer = _without_footer(table)
    footer += table.notes_below  # a report's closing notes, of fewer fields than its rows
    not_sales = open_deals = 0
    if mapping.status:
        sales = sales_only(table)
        table, not_sales, open_deals = sales.table, sales.not_sales, sales.open_deals
    kinds = line_kinds(table, mapping, explicit=type_given)
    if kinds is None:  # a Type column of something else than transactions
        mapping = dataclasses.replace(mapping, type=None)
        kinds = ["sale"] * len(table.rows)
    one_currency(table, mapping)
    # A purchase log's date column may hold spreadsheet serial numbers (see models.dates), or count days.
    date_layout = None if mapping.day_one else mapping.date_order or column_date_layout(table, "date", serials=True)
    if mapping.day_one is not None:
        dates = column_day_numbers(table, "date", mapping.day_one)
    else:
        if date_layout is None:
            _refuse_day_numbers(table, mapping)
        dates = column_dates(table, "date", date_layout)
    timed = moments(table, dates, zoned="zone" in table.names) if clock else None
    # A zone beside date-times of their own (a gateway's Created Timezone): theirs where they carry no offset.
    in_zone = None if timed or "zone" not in table.names or date_layout == "epoch" else in_zones(table, dates)
    dates = timed or in_zone or dates
    # A header's price beside a quantity is a unit price, unless the log's own products say it is each line's total.
    line_totals = (columns is None and mapping.price is not None and mapping.quantity is not None
                   and mapping.product is not None and prices_are_line_totals(table))
    amounts = line_amounts(table, mapping, line_totals=line_totals)
    if adjusted:
        amounts = adjusted_amounts(table, amounts)
    refunds = refunded_amounts(table, mapping) if refunded else [0.0] * len(amounts)
    at_payee = table.position("payee") if payee else None
    at_order = table.position("order") if mapping.order else None
    at_product = table.position("product") if mapping.product else None
    orders: dict[str, OrderLines] = {}
    # Each order's line amounts, where an order's total may be repeated on its lines (order_totals_repeated).
    lines_of: dict[str, list[float]] | None = {} if mapping.amount is not None and at_order is not None else None
    guests = returns = 0
    shared: set[str] = set()  # order ids of several customers' lines
    skipped_kinds: dict[str, int] = {}
    for (_, values), at, amount, refund, kind in zip(table.rows, dates, amounts, refunds, kinds, strict=True):
        if kind == "refund":
            amount = -abs(amount)
        elif kind == "other" or (mapping.type and amount < 0):  # the shop's own money: paid out, moved, held
            raw = values[table.position("type")].strip()
            skipped_kinds[raw] = skipped_kinds.get(raw, 0) + 1
            continue
        # Money paid out (a refund) goes to the customer: the payee, where the customer column is the payer.
        customer = customer_id(values[at_payee] if at_payee is not None and amount < 0 else values[0])
        if not customer:
            guests += 1
            continue
        # Without an order id (no order column, or a ledger's refund line that names none): the customer's at a moment.
        key = (values[at_order].strip() if at_order is not None else "") or f"{customer}@{at.isoformat()}"
        if key in orders and orders[key].customer_id != customer:
            # One order id for several customers (a till's receipt numbers, counted per register): an order each.
            shared.add(key)
            key = f"{key} {customer}"
        if amount < 0 and key in orders and at > orders[key].at:
            # Items returned after the order, on its own id (a negative quantity): a refund at the return's time.
            key = f"{key} return {at.isoformat()}"
            returns += 1
        order = orders.get(key)
        if order is None:
            order = orders[key] = OrderLines(customer_id=customer, at=at)
        order.total += amount
        order.refunded += refund
        if lines_of is not None:
            lines_of.setdefault(key, []).append(amount)
        product = values[at_product].strip() if at_product is not None else ""
        if product:
            order.products.add(product)
    totals_repeated = lines_of is not None and order_totals_repeated(lines_of)
    if lines_of is not None and totals_repeated:
        for key, order in orders.items():
            order.total = order_total(lines_of[key])
    transactions, skipped = transactions_of(orders, refund_prefix=None)
    layout = "CSV" if columns is not None else f"CSV, columns read from its header: {describe(mapping)}"
    if shared:
        layout += (f" ({len(shared)} order id{'s' if len(shared) > 1 else ''} on several customers' lines read as"
                   " an order of each customer)")
    if returns:
        layout += (f" ({returns} line{'s' if returns > 1 else ''} of negative money after {'their' if returns > 1 else 'its'}"
                   f" order's first read as {'refunds at their' if returns > 1 else 'a refund at its'} own time)")
    if dated_by_values:
        layout += f" ({mapping.date!r} read as the date: the header names none, its values are dates)"
    if named_first is not None:
        layout += (f" ({mapping.customer!r} read as the customer: {named_first!r} leaves out the guests of its blank"
                   " or placeholder ids)")
    if in_cents(table.names["amount" if mapping.amount else "price"]):
        minor = minor_unit(table)
        layout += (f" (amounts in cents, divided by {minor})" if minor > 1 else
                   f" (amounts in cents read as whole units: {table.names['currency']!r} says a currency without a"
                   " minor unit)")
    if line_totals:
        layout += (f" ({table.names['price']!r} read as each line's total: a product's lines of several items cost"
                   " its single price times their count)")
    if totals_repeated:
        layout += (f" ({table.names['amount']!r} read once per order: every order of several lines gives its total on"
                   " each line, or on a line of its own beside its items')")
    if adjusted:
        layout += f" (money: {adjusted!r} where given, the total after refunds and changes, else {mapping.amount!r})"
    if status_found:
        layout += f" (statuses: {status_found!r}, a column of statuses)"
    if open_deals:
        layout += (f" ({open_deals} line{'s' if open_deals > 1 else ''} of deals not won (yet) left out: a pipeline's"
                   " sales are its won deals)")
    if refunded and not said:
        layout += f" (refunds: {table.names['refunded']}, the money refunded beside the amount)"
    if timed:
        zoned = (f", in the zones of {zone_name!r}" if zone_name and zone_unread is None
                 else f", as UTC: {zone_name!r} holds {unread_zone(zone_unread or '')}" if zone_name
                 else "")
        layout += f" (times of day: {clock!r} beside {mapping.date!r}{zoned})"
    if zone_name and not timed and (in_zone or zone_unread and any(day.time() != dt.time() for day in dates)):
        layout += (f" (date-times without an offset in the zones of {zone_name!r})" if in_zone
                   else f" (date-times as UTC: {zone_name!r} holds {unread_zone(zone_unread or '')})")
    if date_layout == "serial":
        layout += " (dates read as spreadsheet serial numbers: days since 1899-12-30)"
    if mapping.day_one is not None:
        layout += f" (dates read as day numbers, day 1 = {mapping.day_one.isoformat()})"
    if mapping.type and columns is not None and not type_given:
        layout += f" (kinds of transaction: {table.names['type']})"
    if payee:
        layout += f" (refunds to the {payee!r} of their lines)"
    if skipped_kinds:
        kinds_said = ", ".join(f"{kind or 'blank'} {count}" for kind, count in
                               sorted(skipped_kinds.items(), key=lambda item: -item[1])[:4])
        layout += (f" ({sum(skipped_kinds.values())} lines of the shop's own money skipped by their "
                   f"{table.names['type']!r}: {kinds_said}{', …' if len(skipped_kinds) > 4 else ''})")
    if footer:
        layout += f" ({footer} line{'s' if footer > 1 else ''} at the end without a date skipped: totals or notes)"
    return TransactionLog(
        path=table.path, transactions=transactions, lines=len(table.rows) + not_sales + open_deals, guest_lines=guests,
        skipped_invoices=skipped, not_sales=not_sales, open_deals=open_deals, layout=layout,
    )


def _customer_most_filled(whole: CsvTable, mapping: ColumnMap) -> tuple[ColumnMap, str | None]:
    """The header's mapping with, of its customer columns (:data:`HEADER_NAMES`, :data:`HEADER_WORDS`), the one
    that names most lines' customers, flags and categories aside (:func:`models.log_customers.customer_choice`).

    Shops' order exports name the buyer twice: an account's id, blank or ``0`` on a guest's
    order (WooCommerce's ``Customer ID``, Stripe's), and the checkout's email, on every order.
    The first column the header names is taken, unless another has a customer on more lines and names as many
    customers; the second value is then the column it replaced (None if it did not).  A header whose only customer
    columns hold yes/no flags (a ``New client``) is refused.

    >>> t = CsvTable("x.csv", ["Customer ID", "Billing Email", "Date", "Total"],
    ...              [(2, ["12", "a@x.com", "2024-01-02", "5"]), (3, ["0", "b@x.com", "2024-01-03", "5"])])
    >>> mapping, replaced = _customer_most_filled(t, guess_columns(t.header))
    >>> mapping.customer, replaced
    ('Billing Email', 'Customer ID')
    """
    plain = [bare(name).rstrip(".") for name in whole.header]
    include, exclude = HEADER_WORDS["customer"]
    others = [plain.index(name) for name in HEADER_NAMES["customer"] if name in plain] + [
        at for at, name in enumerate(plain)
        if any(holds(name, word) for word in include) and not any(holds(name, word) for word in exclude)]
    # Not the payee of a ledger whose customer column is its payer: the shop itself, on every line.
    taken = (mapping.customer, mapping.order, payee_column(whole.header, mapping.customer))
    named = [whole.header.index(mapping.customer)] + [at for at in dict.fromkeys(others) if whole.header[at] not in taken]
    if len(named) == 1 and not holds_flags(values[named[0]] for _, values in whole.rows if named[0] < len(values)):
        return mapping, None
    columns = [[values[at] if at < len(values) else "" for _, values in whole.rows] for at in named]
    choice = customer_choice(columns, customer_id)
    if choice.column is None:  # flags only (a New client's Yes/No): no customer
        flags = ", ".join(repr(whole.header[named[at]]) for at in choice.flags)
        raise DataFileError(whole.path, whole.header_line, "",
                            f"header names no customer column ({flags}: yes/no flags, not customers): "
                            f"give --columns {USAGE}")
    if choice.column == 0:
        return mapping, None
    return dataclasses.replace(mapping, customer=whole.header[named[choice.column]]), mapping.customer


def _date_and_time(whole: CsvTable, mapping: ColumnMap) -> tuple[ColumnMap, str | None]:
    """The header's mapping with a date column that holds dates, and the column of its time of day (None if none).

    A till's ``Opened Time`` beside its ``Opened Date`` is the date's time of day
    (:func:`models.log_times.time_column`); a date column found by its name that holds times of day only (a bare
    ``Time`` beside a ``Date created``) is one, beside the header's other date column.

    >>> t = CsvTable("x.csv", ["Date created", "Time", "Email", "Total"], [(2, ["Mar 1, 2026", "9:05 PM", "a@x", "5"])])
    >>> mapping, clock = _date_and_time(t, ColumnMap("Email", "Time", "Total"))
    >>> mapping.date, clock
    ('Date created', 'Time')
    """
    at = whole.header.index(mapping.date)
    if times_of_day(values[at] for _, values in whole.rows if at < len(values)):
        others = [name for name in whole.header if name != mapping.date]
        date = header_columns(others, {"date": HEADER_NAMES["date"]}, {"date": HEADER_WORDS["date"]}).get("date")
        return (dataclasses.replace(mapping, date=date), mapping.date) if date else (mapping, None)
    return mapping, time_column(whole, mapping.date)


def _without_footer(table: CsvTable) -> tuple[CsvTable, int]:
    """``table`` without the lines at its end that have no date (a spreadsheet's totals row, notes), and how many.

    >>> t = CsvTable("x.csv", ["day", "total"], [(2, ["2024-01-02", "5"]), (3, ["", "5"]), (5, ["", ""])],
    ...              {"date": "day", "amount": "total"})
    >>> _without_footer(t)[0].rows, _without_footer(t)[1]
    ([(2, ['2024-01-02', '5'])], 2)
    """
    at = table.position("date")
    end = len(table.rows)
    while end and not table.rows[end - 1][1][at].strip():
        end -= 1
    if end in (0, len(table.rows)):  # no date at all is refused as such
        return table, 0
    return dataclasses.replace(table, rows=table.rows[:end]), len(table.rows) - end


def _refuse_day_numbers(table: CsvTable, mapping: ColumnMap) -> None:
    """Refuse a date column that counts days (its first value a day number): which date day 1 was, the user says.

    >>> t = CsvTable("t.csv", ["household_key", "DAY", "SALES_VALUE"], [(2, ["7", "2", "1.5"])],
    ...              {"customer": "household_key", "date": "DAY", "amount": "SALES_VALUE"})
    >>> _refuse_day_numbers(t, ColumnMap("household_key", "DAY", "SALES_VALUE"))
    Traceback (most recent call last):
    ...
    models.errors.DataFileError: t.csv, line 2, column 'DAY': day numbers, not dates (found '2'): give the date of day 1, --columns customer=household_key,date=DAY,amount=SALES_VALUE,day_one=YYYY-MM-DD
    """
    at = table.position("date")
    line, first = next(((line, values[at]) for line, values in table.rows if values[at].strip()), (0, ""))
    if is_day_number(first):
        raise DataFileError(*table.locate(line), table.names["date"],
                            f"day numbers, not dates (found {first!r}): give the date of day 1, "
                            f"--columns {describe(mapping)},day_one=YYYY-MM-DD")


def order_fields_filled(table: CsvTable) -> CsvTable:
    """``table`` with an order's customer, date, amount and status left blank on its other rows taken as the order's.

    Order exports with a row per line item (Shopify's) fill the order's own fields — who, when,
    its total, its status — on its first row only.  A blank customer, date or status is the order's, from the row
    that has it; a blank amount is 0 when another row of the order has one (the order's total
    on its first row), and stays blank — refused as a bad value — when none has.

    >>> rows = [(2, ["#1001", "a@x.com", "2024-02-01 10:00", "30"]), (3, ["#1001", "", "", ""]),
    ...         (4, ["#1002", "", "", "5"])]
    >>> t = CsvTable("x.csv", ["Name", "Email", "Paid at", "Total"], rows,
    ...              {"order": "Name", "customer": "Email", "date": "Paid at", "amount": "Total"})
    >>> [values for _, values in order_fields_filled(t).rows]
    [['#1001', 'a@x.com', '2024-02-01 10:00', '30'], ['#1001', 'a@x.com', '2024-02-01 10:00', '0'], ['#1002', '', '', '5']]
    """
    at_order = table.position("order")
    keys = [key for key in ("customer", "date", "time", "zone", "amount", "refunded", "status") if key in table.names]
    places = [table.position(key) for key in keys]
    if all(values[place].strip() for _, values in table.rows for place in places):
        return table  # every row fills its order's fields (most logs): nothing to copy
    known: dict[str, dict[int, str]] = {}
    for _, values in table.rows:
        order = values[at_order].strip()
        if order:
            found = known.setdefault(order, {})
            for place in places:
                if place not in found and values[place].strip():
                    found[place] = values[place]
    rows = []
    for line, values in table.rows:
        found = known.get(values[at_order].strip(), {})
        if any(not values[place].strip() and place in found for place in places):
            values = list(values)
            for key, place in zip(keys, places, strict=True):
                if not values[place].strip() and place in found:
                    values[place] = "0" if key in ("amount", "refunded") else found[place]
        rows.append((line, values))
    return dataclasses.replace(table, rows=rows)


def wanted_names(mapping: ColumnMap) -> list[str | None]:
    """The columns a mapping names (None where it names none)."""
    return [mapping.customer, mapping.date, mapping.amount, mapping.price, mapping.quantity, mapping.order,
            mapping.product, mapping.status, mapping.refunded, mapping.type]


def describe(mapping: ColumnMap) -> str:
    """A mapping as ``--columns`` spells it.

    >>> describe(ColumnMap("Customer Email", "Created At", "Total (USD)", "Order ID"))
    'customer=Customer Email,date=Created At,amount=Total (USD),order=Order ID'
    """
    pairs = {key: getattr(mapping, key) for key in _MAP_KEYS}
    return ",".join(f"{key}={value}" for key, value in pairs.items() if value)
