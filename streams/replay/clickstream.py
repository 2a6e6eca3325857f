"""A clickstream exported as CSV or JSON Lines (one row or object per event) turned into the tracker's events.

Shops and public data sets keep their clickstreams as tables: an event time, a visitor, what
happened, and often a product and its price (the multi-category store's ``event_time,
event_type, product_id, …, price, user_id``; RetailRocket's ``timestamp, visitorid, event,
itemid, transactionid``; a GA4 or warehouse export flattened to one row per event).  A column
mapping names the columns (a file of one kind of event, a clicks or a purchases file, names the kind in
quotes: ``event='view'``); the event names are read by what they say, whatever the spelling:

==============================================  =====================================
event names (case, spaces and ``_`` ignored)    tracker event
==============================================  =====================================
view, view_item, detail, pv, click(s)            ``product_viewed`` (``page_viewed`` without a product)
page_view, pageview, page, screen_view           ``page_viewed``
cart(s), add_to_cart, product_added_to_cart      ``cart_item_added`` (``activity`` without a product:
                                                  the event names the product it adds)
remove_from_cart, product_removed(_from_cart)    ``cart_item_removed`` (the same)
checkout, begin_checkout, checkout_started       ``checkout_started``
shipping_details, add_payment_info, billing…     ``checkout_started``: a checkout's step named for the
                                                  shipping, payment, billing or delivery details or
                                                  info it asks (:func:`_checkout_steps`; not
                                                  ``shipping_policy``, not ``payment_error``)
view_cart, cart_viewed                           ``cart_viewed``
purchase, order(s), buy, checkout_completed…     ``order_placed``: the rows of one order (the
                                                  ``order`` column, else one customer's rows of
                                                  one session no more than a minute apart:
                                                  :func:`checkouts`) become one order with its lines
refund, order_refunded, refunded_order           ``order_refunded`` of the row's ``order``: its
                                                  ``total``, else its products' worth (activity
                                                  without an order id: nothing to refund)
anything else (fav, search…)                     ``activity`` (keeps the visit going, counted)
==============================================  =====================================

A ``visitor`` column (the browser's or device's id: ``anonymous_id``, ``device_id``, beside a
``user_id`` set only after a login, as Segment's, RudderStack's, Snowplow's and Amplitude's
tables have it) is who a row without a user is, and the first row naming both is a login
(``customer_identified``); the replay then gives a visitor's rows to the customer they log in
as (:mod:`streams.replay.identities`).

A JSON Lines file (Mixpanel's, Amplitude's, PostHog's export…) is read as a table of its
objects' fields, a nested one as ``outer.inner`` (:mod:`streams.replay.json_rows`): the mapping
names those (``customer=properties.distinct_id,time=properties.time,event=event``).  An order
event of such an export carries the order whole: its amount (the ``total`` column: ``total``,
``revenue``, ``value``…) and its ``products`` list (the ``products`` column, a JSON list of
objects) are the order's total and lines (:func:`_order`).  A checkout or a cart view with a
``products`` list says what the cart holds, as the spec's ``Checkout Started`` does (its
``total`` is the cart's value), and a view or cart row naming no product of its own but
listing some (GA4's ``add_to_cart`` with its ``items``) is one event per listed product
(:func:`_events`).

Without a mapping, the header's names (a nested field's own name, without a leading ``$``, an ``_hash`` or
``_epoch_ms`` suffix: :func:`_own_name`) say which column is which (:data:`HEADER_NAMES`: the
public data sets' and the usual export names; a file of sessions only has each session as its visitor); a
header naming no customer, time or event column is refused with what was found.

Each event's id is a digest of its row, so replaying the file twice changes nothing (the row's own event id, an
``id`` column, only where it tells the row from an earlier one alike: :func:`_told_apart`); the
times are read as :mod:`models.dates` reads any log's (a column of dates only puts every event at midnight, and the
replay and ``tracker evaluate intent`` warn that a visit is then a whole day: :data:`streams.replay.history.DATES_ONLY`),
the amounts with the column's own
decimal mark (:mod:`models.decimals`), a customer or visitor id written as a float (``12345.0``)
as the purchase logs read it (``12345``: :func:`models.ids.without_float_zeros`).  A row whose time is missing or not of the column's
layout, a price, quantity or total that is no number (a placeholder such as ``NA`` is none, not a bad
one), or a JSON line that is not an object, is reported with its line and reason (a
:class:`~streams.core.problems.Problem`) and the file goes on: one damaged row of millions
does not stop the replay.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from models.csv_logs import column_pairs, header_columns
from models.dates import DateParser, columns_of_dates, detect_date_layout
from models.decimals import decimal_mark, to_number
from models.errors import DataFileError
from models.ids import canonical_id, is_placeholder, without_float_zeros
from models.textfiles import CsvTable, bare, no_header, read_csv, select
from streams.core.problems import Problem
from streams.core.segment import lines_total, order_lines
from streams.replay import adobe, ga360
from streams.replay.json_records import holds_json_objects
from streams.replay.json_rows import nested_lists, one_row_each, read_json_rows

REQUIRED = ("customer", "time", "event")
OPTIONAL = ("product", "price", "quantity", "category", "order", "total", "products", "session", "url", "visitor",
            "hit", "name", "id")
USAGE = ("customer=…,time=…,event=…[,product=…][,price=…][,quantity=…][,category=…][,order=…][,total=…]"
         "[,products=…][,session=…][,url=…][,visitor=…][,hit=…][,name=…][,id=…]")

#: The names a tool gives the shop's own id of a person beside the tool's own id of them (Braze's
#: ``EXTERNAL_USER_ID`` beside its ``USER_ID``, Klaviyo's profile's ``external_id`` beside the profile's id,
#: and its older API's ``$id``, Bloomreach's ``registered`` id beside its cookie): that is the customer, the shop's
#: orders are logged under it, and the tool's id, on the rows of a person the shop does not know yet too, is who
#: they are before (the visitor, where the header names none).
EXTERNAL_IDS = ("externaluserid", "externalcustomerid", "externalid", "registeredid")

#: Header names that say what a column holds (see :func:`models.csv_logs.header_columns`), the
#: first found wins: the multi-category store's, RetailRocket's, GA4's flattened and the usual ones.
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    # The shop's own id of the person, as a tool names it beside its own (:data:`EXTERNAL_IDS`), first. Meta's
    # Conversions API names the shop's id its external_id, else only the hashed e-mail (em) or phone (ph) it sent:
    # a stable id of the person, if not one other exports name. Bloomreach's BigQuery export names its own id of
    # the person internal_customer_id.
    "customer": (*EXTERNAL_IDS, "userid", "visitorid", "customerid", "internalcustomerid", "profileid", "clientid", "userpseudoid", "distinctid", "anonymousid", "personid", "deviceid", "user",
                 "visitor", "customer", "mpid", "em", "ph"),
    # Snowplow's derived_tstamp (the device's time corrected for its clock), else its collector's.
    "time": ("eventtime", "eventtimestamp", "timestamp", "occurredat", "time", "datetime", "createdat", "ts", "date",
             "clienteventtime", "servertime", "servertimestamp", "eventdate", "derivedtstamp", "collectortstamp"),
    # Heap's all_events names each event by the table it is labelled into.
    # Google's measurement protocol (Coveo's data set) says what a hit did to a product in its product_action,
    # beside the hit's type (pageview, event).
    "event": ("productaction", "eventtype", "eventname", "event", "action", "type", "eventtablename"),
    # The hit's type, the event of a row whose event column is empty (a page view has no product action).
    "hit": ("hittype", "eventtype", "type"),
    # The event's own name beside a column that says only what kind of record it is (mParticle's event_type
    # custom_event, its data.event_name the shop's name of it).
    "name": ("eventname",),
    # The event's own id: two rows alike in all else are two events when their ids differ (Braze's purchases
    # table writes a row per unit bought, alike but for its id), one exported twice when they do not.
    "id": ("eventid", "messageid", "insertid", "uuid", "id"),
    # Meta's Conversions API names the products it does not list in contents by their content_ids.
    "product": ("productid", "itemid", "sku", "productsku", "itemsku", "product", "item", "articleid", "aid",
                "contentids"),
    "price": ("price", "unitprice", "itemprice"),
    "quantity": ("quantity", "qty"),
    "category": ("categorycode", "category", "categoryid", "itemcategory"),
    # Universal Analytics' data layer names a purchase's transaction in its actionField (ecommerce.purchase.actionField.id),
    # Bloomreach its purchase_id.
    "order": ("transactionid", "orderid", "order", "trorderid", "actionfieldid", "purchaseid"),
    # An order's amount (Segment's and PostHog's total, Mixpanel's and Amplitude's revenue…) and its products;
    # an order's own names before a plain revenue (GA4's row has the user's lifetime revenue, user_ltv.revenue).
    "total": ("total", "ordertotal", "purchaserevenue", "revenue", "value", "amount", "trtotal", "totalprice",
              "totalamount"),
    # Meta's Conversions API lists an event's products in its custom_data's contents, Bloomreach's purchase in its
    # product_list.
    "products": ("products", "items", "lineitems", "contents", "productlist"),
    "session": ("usersession", "sessionid", "gasessionid", "session", "domainsessionid"),
    "url": ("url", "pageurl", "pagelocation", "page", "currenturl", "eventsourceurl"),
    # The browser's or device's own id beside a user id set only once they log in.
    # mParticle's mpid is its own id of the person, on every batch, beside the shop's customer_id once known;
    # Meta's fbp the browser's (its _fbp cookie), on a guest's events too. Mixpanel's distinct_id is the
    # visitor's id until they log in, beside the $user_id then set (when it is the only id, it is the customer).
    "visitor": ("anonymousid", "deviceid", "domainuserid", "cookieid", "visitorid", "userpseudoid",
                "anondistinctid", "mpid", "fbp", "distinctid"),
}


#: What a checkout asks for at its steps, each step named for it: a name made of these words (:func:`_checkout_steps`)
#: is a step of a checkout, whatever verb it has; ``address`` and ``contact`` only after ``checkout`` (an address
#: book's page is no checkout).
_STEP_SUBJECTS = ("shipping", "payment", "billing", "delivery")
_CHECKOUT_SUBJECTS = ("address", "contact")
_STEP_NOUNS = ("details", "detail", "info", "information")


def _checkout_steps() -> list[str]:
    """The names (without case, spaces and ``_``) of the steps of a checkout, each for what it asks: the details a
    funnel table names its steps by (``shipping_details``, ``payment_details``), GA4's and Meta's ``add_…_info``,
    Shopify's ``checkout_…_info_submitted`` and ``payment_info_submitted``, the spec's ``Payment Info Entered``.

    The whole name is these words in this order, no other (no substring): ``shipping_policy`` (a page) and
    ``payment_error`` (the shop's failure, not a step the customer took) are none.

    >>> steps = _checkout_steps()
    >>> [name in steps for name in ("shippingdetails", "addpaymentinfo", "checkoutaddressinfosubmitted",
    ...                             "paymentinfoentered", "shippingpolicy", "paymenterror", "addressdetails")]
    [True, True, True, True, False, False, False]
    """
    verbs, done = ("", "add", "enter", "submit"), ("", "added", "entered", "submitted")
    subjects = [("", subject) for subject in _STEP_SUBJECTS]
    subjects += [("checkout", subject) for subject in (*_STEP_SUBJECTS, *_CHECKOUT_SUBJECTS)]
    return [f"{verb}{checkout}{subject}{noun}{past}" for verb in verbs for checkout, subject in subjects
            for noun in _STEP_NOUNS for past in done]


_KINDS = {
    **dict.fromkeys(("view", "viewitem", "productviewed", "productview", "detail", "viewproduct", "viewedproduct",
                     "viewitemdetails", "pv", "views",
                     # A click on a product opens it: the data sets that count product views as clicks
                     # (a recommender's logs: OTTO's ``clicks``, YooChoose's clicks file), GA's list click.
                     "click", "clicks", "productclick", "productclicked",
                     # The ad platforms' pixels and conversion APIs (Meta's ViewContent: a product's page).
                     "viewcontent",
                     # mParticle's product action of a product's details.
                     "viewdetail"), "view"),
    # Mixpanel's own page view ($mp_web_page_view); Shopify's customer events' collection_viewed (a list page).
    # Matomo's visit log names a page view an "action" (beside download, outlink, ecommerceOrder…).
    **dict.fromkeys(("pageview", "pageviewed", "page", "screenview", "viewpage", "viewedpage", "pageload", "pageviews",
                     "mpwebpageview", "collectionviewed", "action"), "page"),
    # Shopify's customer events say product_added_to_cart, product_removed_from_cart and checkout_completed.
    **dict.fromkeys(("cart", "addtocart", "productadded", "cartadd", "add", "cartitemadded", "addedtocart",
                     "addtobasket", "addedtobasket", "carts", "cartadds", "productaddedtocart"), "add"),
    **dict.fromkeys(("removefromcart", "productremoved", "cartremove", "remove", "cartitemremoved",
                     "removedfromcart", "productremovedfromcart"), "remove"),
    **dict.fromkeys(("checkout", "begincheckout", "checkoutstarted", "startcheckout", "startedcheckout",
                     "initiatecheckout"), "checkout"),
    **dict.fromkeys(_checkout_steps(), "checkout"),
    **dict.fromkeys(("cartviewed", "viewcart", "viewedcart"), "cartview"),
    **dict.fromkeys(("purchase", "transaction", "order", "ordercompleted", "orderplaced", "buy", "completedorder",
                     "placedorder", "purchased", "purchasecompleted", "completedpurchase", "orders", "purchases",
                     "transactions", "buys", "checkoutcompleted", "ecommerceorder"), "purchase"),
    # Money given back on an order: GA's refund (GA4's event, UA's action 7), the spec's Order Refunded,
    # Klaviyo's Refunded Order, mParticle's refund product action.
    **dict.fromkeys(("refund", "refunds", "orderrefunded", "refundedorder", "refunded", "productrefunded",
                     "refundorder"), "refund"),
}


def parse_click_columns(spec: str) -> dict[str, str]:
    """Read a clickstream's column mapping (see :data:`USAGE`).

    >>> parse_click_columns("customer=user_id, time=event_time, event=event_type, product=product_id")
    {'customer': 'user_id', 'time': 'event_time', 'event': 'event_type', 'product': 'product_id'}
    >>> parse_click_columns("customer=user_id,time=event_time")
    Traceback (most recent call last):
    ...
    ValueError: columns: expected customer=…,time=…,event=…[,product=…][,price=…][,quantity=…][,category=…][,order=…][,total=…][,products=…][,session=…][,url=…][,visitor=…][,hit=…][,name=…][,id=…], missing 'event' in 'customer=user_id,time=event_time'

    A file of one kind of event with a header to read the rest from (a table per event type, as warehouses keep
    them) may name only its kind:

    >>> parse_click_columns("event='view_item'")
    {'event': "'view_item'"}
    """
    pairs = column_pairs(spec, (), (*REQUIRED, *OPTIONAL), USAGE)
    if list(pairs) == ["event"] and quoted(pairs["event"]) is not None:
        return pairs
    return column_pairs(spec, REQUIRED, (*REQUIRED, *OPTIONAL), USAGE)


def quoted(value: str) -> str | None:
    """A mapping's value in quotes: not a column but what every row is (``event='view'`` for a file of views).

    >>> quoted("'view'"), quoted('"purchase"'), quoted("event_type")
    ('view', 'purchase', None)
    """
    if len(value) > 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1].strip()
    return None


def kind_of(name: str) -> str | None:
    """What an event name means (see the module's table), None if nothing the tracker uses.

    >>> kind_of("add_to_cart"), kind_of("Product Viewed"), kind_of("remove_from_cart"), kind_of("scroll")
    ('add', 'view', 'remove', None)

    A step of a checkout named for what it asks is the checkout (:func:`_checkout_steps`); a page about shipping
    or an error at payment is not one:

    >>> kind_of("shipping_details"), kind_of("add_payment_info"), kind_of("shipping_policy"), kind_of("payment_error")
    ('checkout', 'checkout', None, None)
    """
    return _KINDS.get(re.sub(r"[^a-z]", "", name.lower()))


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    values: dict[str, str]
    at: datetime
    #: The row's own event id where it tells the row from an earlier one alike in all else (:func:`_told_apart`).
    apart: str = ""


def events_of(path: str | Path, columns: Mapping[str, str], limit: int | None = None,
              used: dict[str, str] | None = None) -> Iterator[tuple[int, bytes | Problem]]:
    """(line, the tracker event as JSON, or the row's problem) for every row of the file, in file order; orders at their first line.

    Empty ``columns``: read from the header (``used`` gets the mapping read). Raises
    :class:`~models.errors.DataFileError` for a missing column or a time column that holds no
    dates; a row without a time of the column's layout, or a line that is not a JSON object,
    is a problem; a row the worker would refuse is left to its parser.
    """
    json_lines = holds_json_objects(path)
    skipped: list[tuple[int, Problem]] = []
    given_event = columns.get("event", "")
    named = quoted(given_event)
    if named is not None:  # a file of one kind of event (a clicks file, a purchases file): no column says it
        columns = {key: column for key, column in columns.items() if key != "event"}
    beside = None if json_lines else adobe.header_beside(path)
    if columns and not json_lines and beside is None:
        keys = [key for key in (*REQUIRED, *OPTIONAL) if key in columns]
        table = read_csv(path, {key: (columns[key],) for key in keys})
    else:
        whole = _listed_events(read_json_rows(path, skipped), columns) if json_lines else read_csv(path)
        if whole.headerless and beside is not None and len(beside) == len(whole.header):
            whole = dataclasses.replace(whole, header=beside, headerless=False)  # a data feed's column_headers.tsv
        if not columns and adobe.is_feed(whole.header):
            whole = adobe.feed_table(whole)
        if not columns and json_lines and ga360.is_sessions(whole.header):
            whole = ga360.hits_table(whole)  # a visit per line, its hits nested: a row per hit
        if not columns and whole.headerless:
            raise no_header(whole, USAGE)
        guessed = not columns
        if guessed:
            # A nested field is matched by its own name (``properties.distinct_id`` as ``distinct_id``),
            # an analytics tool's reserved one without its ``$`` (Mixpanel's and PostHog's ``$device_id``).
            short = [_own_name(column) for column in whole.header]
            columns = {key: whole.header[short.index(name)]
                       for key, name in header_columns(short, HEADER_NAMES).items()}
            event = _event_column(whole, short)
            if event is not None:
                columns["event"] = event
            if "customer" not in columns and "session" in columns:
                columns["customer"] = columns["session"]  # sessions only (a recommender's log): each is a visitor
            if "time" not in columns:  # a time column named otherwise (H&M's t_dat): the one whose values are dates
                dated, _ = columns_of_dates(whole.header, (values for _, values in whole.rows), set(columns.values()))
                if len(dated) == 1:
                    columns["time"] = dated[0]
            if "visitor" not in columns and bare(_own_name(columns.get("customer", ""))) in EXTERNAL_IDS:
                tools = {"customer": tuple(name for name in HEADER_NAMES["customer"] if name not in EXTERNAL_IDS)}
                tool = header_columns(short, tools).get("customer")
                if tool is not None:
                    columns["visitor"] = whole.header[short.index(tool)]
        if columns.get("visitor") == columns.get("customer"):
            columns = {key: name for key, name in columns.items() if key != "visitor"}
        for beside in ("hit", "name"):
            if columns.get(beside) == columns.get("event"):
                columns = {key: name for key, name in columns.items() if key != beside}
        missing = [key for key in REQUIRED if key not in columns and (key != "event" or named is None)]
        if missing:
            what = "fields" if json_lines else "header"
            one_kind = " (a file of one kind of event: event='view', event='purchase'…)" if "event" in missing else ""
            lists = nested_lists(whole) if json_lines else []
            if lists:
                one_kind = f" (a row per object of a nested list: name its fields, {lists[0]}.…)"
            raise DataFileError(whole.path, 1, "", f"{what} {','.join(whole.header)!r} name{'' if json_lines else 's'} "
                                f"no {' and no '.join(missing)} column: give --columns {USAGE}{one_kind}")
        keys = [key for key in (*REQUIRED, *OPTIONAL) if key in columns]
        actions = _listing_actions(whole, columns["products"]) if guessed and "products" in columns else None
        table = (_namesakes_merged(whole, columns, keys) if guessed
                 else select(whole, {key: (columns[key],) for key in keys}))
        if actions is not None:
            table = _named_by_action(table, actions)
        del whole  # its rows with every column, not held while the events are made
    if used is not None:
        used.update({key: columns[key] for key in keys})
        if named is not None:
            used["event"] = given_event
    if limit is not None:
        table = CsvTable(table.path, table.header, table.rows[:limit], table.names, table.delimiter, table.sheets)
        skipped = [(line, problem) for line, problem in skipped if table.rows and line < table.rows[-1][0]]
    times = _times(table)
    marks: dict[str, str] = {
        key: decimal_mark({values[keys.index(key)] for _, values in table.rows}, delimiter=table.delimiter)
        for key in ("price", "quantity", "total") if key in keys}
    orders: dict[tuple[str, str], list[_Row]] = {}  # (customer, order id): its rows
    loose: dict[tuple[str, str], list[_Row]] = {}  # (customer, session): purchase rows without an order id
    linked: set[tuple[str, str]] = set()
    first_ids: dict[int, str] = {}  # a row's digest: the own event id of the first row of that digest
    pending = deque(skipped)  # the bad lines, yielded in their place among the rows
    for (line, raw), at in zip(table.rows, times, strict=True):
        while pending and pending[0][0] < line:
            yield pending.popleft()
        if isinstance(at, Problem):
            yield line, at
            continue
        row = _Row(line, dict(zip(keys, (value.strip() for value in raw), strict=True)), at)
        unreadable = _unreadable_number(row, marks, table.names)
        if unreadable is not None:
            yield line, unreadable
            continue
        if named is not None:
            row.values["event"] = named
        else:
            if not row.values["event"] and row.values.get("hit"):
                row.values["event"] = row.values["hit"]  # no product action: what the hit was (a page view)
            if row.values.get("name") and not kind_of(row.values["event"]):
                row.values["event"] = row.values["name"]  # a custom event, by the name the shop gave it
        for who in ("customer", "visitor"):
            if who in row.values:  # an id column saved as floats (12345.0): the id the purchase logs read
                row.values[who] = without_float_zeros(row.values[who])
        visitor = "" if is_placeholder(row.values.get("visitor", "")) else row.values.get("visitor", "")
        if is_placeholder(row.values["customer"]):
            # No user (``NA``, ``null``: a guest): the visitor, else the session stands for them (a visit's own id:
            # a log whose user is set on a known customer's sessions only, as Diginetica's).
            row.values["customer"] = "" if visitor else row.values.get("session") or row.values["customer"]
        # Compared as the worker keeps ids (an e-mail in lower case); the events carry them as written, and
        # their ids are digests of the row as written, so a file replayed again gives the ids it gave.
        ids = (canonical_id(visitor), canonical_id(row.values["customer"]))
        if not row.values["customer"] and visitor:
            row.values["customer"] = visitor  # not logged in: the visitor (the replay gives it its customer)
        elif visitor and ids[0] != ids[1] and ids not in linked:
            # The first row naming both: the visitor logged in, what they did before is the customer's.
            linked.add(ids)
            yield line, _encode(_identified(row, visitor))
        if row.values.get("id"):
            row = _told_apart(row, first_ids)
        kind = kind_of(row.values["event"])
        if kind == "purchase":
            if row.values.get("order"):
                orders.setdefault((row.values["customer"], row.values["order"]), []).append(row)
            else:
                loose.setdefault((row.values["customer"], row.values.get("session", "")), []).append(row)
            continue
        events = _events(row, kind, marks)
        if isinstance(events, Problem):
            yield line, events
            continue
        for event in events:
            yield line, _encode(event)
    yield from pending
    grouped = [*orders.values(), *(order for rows in loose.values() for order in checkouts(rows))]
    for rows in sorted(grouped, key=lambda rows: rows[0].line):
        order = _order(rows, marks)
        yield rows[0].line, order if isinstance(order, Problem) else _encode(order)


def _listed_events(table: CsvTable, columns: Mapping[str, str]) -> CsvTable:
    """A JSON Lines table with a row per object of a nested list (a session's ``events``: OTTO's log) when the
    mapping names the list's fields (``time=events.ts``), or, without a mapping, when the lines name no time and
    no event of their own and a list's objects do; else as it is (a GA4 row's ``items`` stay its products)."""
    lists = nested_lists(table)
    if columns:
        named = [column for column in lists
                 if any(name.startswith(f"{column}.") and name not in table.header for name in columns.values())]
        return one_row_each(table, named[0]) if named else table
    found = header_columns([_own_name(column) for column in table.header], HEADER_NAMES)
    if "time" in found or "event" in found:
        return table
    for column in lists:
        listed = one_row_each(table, column)
        found = header_columns([_own_name(name) for name in listed.header], HEADER_NAMES)
        if "time" in found and "event" in found:
            return listed
    return table


#: Values of a column read to tell whether it names events (the first rows of a file are enough).
_SAMPLED = 1000


def _event_column(table: CsvTable, short: Sequence[str]) -> str | None:
    """The column that says what happened: of the header's event names (:data:`HEADER_NAMES`, then a plain
    ``name``), the first whose values are events the tracker reads; else the first such column.

    Shopify's customer events have a ``type`` (``standard``, ``custom``: what kind of record) beside
    their ``name`` (``product_added_to_cart``): the one whose values are events is the event.

    >>> t = CsvTable("e.json", ["type", "name"], [(1, ["standard", "checkout_completed"])])
    >>> other = CsvTable("e.csv", ["type", "name"], [(1, ["a", "b"])])
    >>> _event_column(t, t.header), _event_column(other, other.header)
    ('name', 'type')
    """
    plain = [bare(name) for name in short]
    found = [table.header[plain.index(name)] for name in (*HEADER_NAMES["event"], "name") if name in plain]
    for column in found:
        at = table.header.index(column)
        if any(kind_of(values[at]) for _, values in table.rows[:_SAMPLED]):
            return column
    return found[0] if found else None


def _namesakes_merged(table: CsvTable, columns: Mapping[str, str], keys: Sequence[str]) -> CsvTable:
    """``table`` with a column per key, each row's value the first given among the columns of the chosen one's own
    name (:func:`_own_name`): a JSON export's fields of one name at different depths are one field.

    Amplitude's rows carry a top-level ``quantity`` (empty but for revenue events) beside the
    ``event_properties.quantity`` the shop sent; Shopify's pixel a view's ``data.productVariant.sku``
    and a cart line's ``data.cartLine.merchandise.sku``: each row has the one that applies.
    ``table``'s rows are replaced by the new ones (``table`` is not to be read after).

    >>> t = CsvTable("a.json", ["quantity", "event_properties.quantity"], [(1, ["", "2"]), (2, ["3", "1"])])
    >>> _namesakes_merged(t, {"quantity": "quantity"}, ["quantity"]).rows
    [(1, ['2']), (2, ['3'])]
    """
    short = [_own_name(column) for column in table.header]
    sources = [[at for at, name in enumerate(short) if name == _own_name(columns[key])] for key in keys]
    rows = table.rows
    # Each row replaced where it is, so that a big file's rows are not held twice; a key with one column of its
    # name (a CSV's every key) takes that column's value.
    if all(len(ats) == 1 for ats in sources):
        picks = [ats[0] for ats in sources]
        for n, (line, values) in enumerate(rows):
            rows[n] = (line, [values[at] for at in picks])
    else:
        for n, (line, values) in enumerate(rows):
            rows[n] = (line, [next((values[at] for at in ats if values[at].strip()), "") for ats in sources])
    return dataclasses.replace(table, rows=rows, names={key: columns[key] for key in keys})


def _listing_actions(table: CsvTable, products: str) -> list[str] | None:
    """Each row's action as the field its products are listed under names it, when that is an event the
    tracker reads (Universal Analytics' data layer: ``ecommerce.detail.products``, ``ecommerce.add.products``,
    ``ecommerce.purchase.products``), else ``""``; None when no row's products are so listed.

    >>> t = CsvTable("dl.jsonl", ["event", "ecommerce.detail.products", "ecommerce.purchase.products", "items"],
    ...              [(1, ["", '[{"id": 1}]', "", ""]), (2, ["", "", '[{"id": 1}]', ""]), (3, ["x", "", "", "[]"])])
    >>> _listing_actions(t, "ecommerce.detail.products")
    ['detail', 'purchase', '']
    """
    own = _own_name(products)
    sources = [(at, column.split(".")[-2]) for at, column in enumerate(table.header)
               if "." in column and _own_name(column) == own]
    if not any(kind_of(action) for _, action in sources):
        return None
    return [next((action for at, action in sources if values[at].strip()), "") if sources else ""
            for _, values in table.rows]


def _named_by_action(table: CsvTable, actions: Sequence[str]) -> CsvTable:
    """``table`` whose rows that name no event the tracker reads (none, or a tag manager's own ``gtm.dom``) take
    the action their products are listed under (:func:`_listing_actions`): Universal Analytics' data layer pushes
    a product's view and a purchase without an event of their own.

    >>> t = CsvTable("dl.jsonl", ["customer", "event"], [(1, ["c", ""]), (2, ["c", "addToCart"]), (3, ["c", "gtm.dom"])],
    ...              {"customer": "client_id", "event": "event"})
    >>> _named_by_action(t, ["detail", "add", "purchase"]).rows
    [(1, ['c', 'detail']), (2, ['c', 'addToCart']), (3, ['c', 'purchase'])]
    """
    at = table.position("event")
    for n, ((line, values), action) in enumerate(zip(table.rows, actions, strict=True)):
        if action and kind_of(action) and not kind_of(values[at]):
            table.rows[n] = (line, [*values[:at], action, *values[at + 1 :]])
    return table


def _own_name(column: str) -> str:
    """What a column's name says it holds: a nested field's own name (``properties.distinct_id`` as ``distinct_id``),
    an analytics tool's reserved one without its ``$`` (Mixpanel's and PostHog's ``$device_id``), an anonymised
    or unit-suffixed one without saying so (``session_id_hash``, ``hashed_url``, ``server_timestamp_epoch_ms``).

    A nested object's ``id`` is its parent's id and a money object's ``amount`` its parent's amount, as
    GraphQL and Shopify's events nest them (``product.id`` as ``product_id``, ``price.amount`` as ``price``), and a
    JSON:API relationship's ``data.id`` its resource's (``relationships.profile.data.id`` as ``profile_id``).
    A cart add that lists the whole cart names the item it added apart (Klaviyo's ``Added to Cart``:
    ``AddedItemProductID``, ``AddedItemPrice``, ``AddedItemQuantity`` beside its ``Items``): the added item's
    field is the row's own product, price or quantity.

    >>> [_own_name(c) for c in ("properties.$device_id", "session_id_hash", "hashed_url", "server_timestamp_epoch_ms")]
    ['device_id', 'session_id', 'url', 'server_timestamp']
    >>> [_own_name(c) for c in ("data.productVariant.product.id", "data.checkout.totalPrice.amount", "id")]
    ['product_id', 'totalPrice', 'id']
    >>> _own_name("data.relationships.profile.data.id")  # JSON:API: the related resource's id
    'profile_id'
    >>> _own_name("person.$id")  # Klaviyo's person's reserved $id: the shop's own id of them
    'external_id'
    >>> _own_name("customer_ids.registered"), _own_name("customer_ids.cookie")  # ids by kind: Bloomreach's
    ('registered_id', 'cookie_id')
    >>> [_own_name(c) for c in ("events.data.product_action.action", "events.data.timestamp_unixtime_ms", "x.action")]
    ['product_action', 'timestamp', 'action']
    >>> [_own_name(c) for c in ("event_properties.AddedItemProductID", "added_item_price", "AddedItems")]
    ['ProductID', 'price', 'AddedItems']
    """
    if column.rsplit(".", 1)[-1] == "$id":
        return "external_id"  # Klaviyo's person's $id, the shop's id of them beside Klaviyo's id
    parts = [part.lstrip("$") for part in column.split(".")]
    own = parts[-1]
    if len(parts) > 2 and own.lower() == "id" and parts[-2].lower() == "data":
        own = f"{parts[-3]}_id"  # a JSON:API relationship's resource (relationships.profile.data.id)
    elif len(parts) > 1 and own.lower() == "id":
        own = f"{parts[-2]}_id"
    elif len(parts) > 1 and bare(parts[-2]).endswith("ids") and not bare(own).endswith("id"):
        own = f"{own}_id"  # an object of ids by kind (Bloomreach's customer_ids.registered, .cookie)
    elif len(parts) > 1 and own.lower() == "amount":
        own = parts[-2]
    elif len(parts) > 1 and own.lower() == "action" and parts[-2].lower().endswith("action"):
        own = parts[-2]  # a product action object's own action (mParticle's product_action.action)
    own = re.sub(r"^hashed_", "", own, flags=re.IGNORECASE)
    own = re.sub(r"^(AddedItem(?=[A-Z])|(?i:added_item_)(?=.))", "", own)
    return re.sub(r"(_(hash|hashed|epoch|unixtime|ms|millis|utc))+$", "", own, flags=re.IGNORECASE) or own


#: The longest pause between two purchase rows of one checkout, in a file without order ids.
ORDER_GAP = timedelta(seconds=60)


def checkouts(rows: Sequence[_Row]) -> list[list[_Row]]:
    """One customer's purchase rows without an order id (of one session, when the file has sessions) as orders.

    A checkout writes a row per item, all within seconds: rows no more than :data:`ORDER_GAP`
    apart are one order; a longer pause starts another (a second checkout in the same visit is
    a second order, emptying the cart again).  Each order is listed by its first row in the file.

    >>> from datetime import timezone
    >>> def row(line, second): return _Row(line, {}, datetime(2024, 3, 1, 11, 16, tzinfo=timezone.utc)
    ...                                    + timedelta(seconds=second))
    >>> [[r.line for r in order] for order in checkouts([row(1, 0), row(2, 3), row(3, 63), row(4, 600)])]
    [[1, 2, 3], [4]]
    """
    ordered = sorted(rows, key=lambda row: (row.at, row.line))
    found: list[list[_Row]] = []
    for row in ordered:
        if found and row.at - found[-1][-1].at <= ORDER_GAP:
            found[-1].append(row)
        else:
            found.append([row])
    return [sorted(order, key=lambda row: row.line) for order in found]


#: Leading values of a time column that may be no date before the column is refused as holding none.
LEADING_BAD_TIMES = 100


def _times(table: CsvTable) -> list[datetime | Problem]:
    """Each row's time in the column's layout (read from its first dates), or why the row has none.

    Raises :class:`DataFileError` when the column's first values are no dates at all (a wrong
    column, not a damaged row).
    """
    at = table.position("time")
    raws = [values[at].strip() for _, values in table.rows]
    if not raws:
        return []
    start = 0
    layout, bad = detect_date_layout(raws)
    while layout is None and bad is not None and start + bad < LEADING_BAD_TIMES:
        start += bad + 1
        layout, bad = detect_date_layout(raws[start:])
    if layout is None:
        first = next((index for index, raw in enumerate(raws) if raw), 0)
        raise DataFileError(*table.locate(table.rows[first][0]), table.names["time"], "bad date",
                            expected="a date and time such as 2019-10-01 00:00:00 UTC", found=raws[first])
    parse = DateParser(layout)
    return [(parse(raw) if raw else None) or _no_time(table.names["time"], raw, parse) for raw in raws]


def _no_time(column: str, raw: str, parse: DateParser) -> Problem:
    """Why a row has no time: none given, or not one of the column's layout.

    >>> _no_time("event_time", "", DateParser("iso"))
    Problem(reason='missing_field', detail='event_time: no time')
    >>> _no_time("event_time", "not a time", DateParser("iso"))
    Problem(reason='wrong_type', detail="event_time: expected a date like 2009-12-01 07:45:00 (ISO 8601, as the rest of the column), found 'not a time'")
    """
    if not raw:
        return Problem("missing_field", f"{column}: no time")
    return Problem("wrong_type", f"{column}: expected {parse.expected}, found {raw[:60]!r}")


def _number(row: _Row, key: str, marks: Mapping[str, str]) -> float | None:
    raw = row.values.get(key, "")
    number = to_number(raw, marks[key]) if raw else None
    return number if number is not None and math.isfinite(number) else None


def _unreadable_number(row: _Row, marks: Mapping[str, str], names: Mapping[str, str]) -> Problem | None:
    """Why the row's price, quantity or total is no number, as the worker refuses such an event; None if each is one.

    A blank cell or a placeholder (``NA``, ``null``, ``NaN``: a data frame's missing value) is no value, not a
    bad one: a view without a price is a view.

    >>> from datetime import timezone
    >>> at, marks = datetime(2024, 3, 1, tzinfo=timezone.utc), {"price": ".", "quantity": "."}
    >>> _unreadable_number(_Row(1, {"price": "12,99 EUR", "quantity": "NaN"}, at), marks, {})
    >>> _unreadable_number(_Row(2, {"price": "twelve", "quantity": "1"}, at), marks, {"price": "unit_price"})
    Problem(reason='wrong_type', detail="unit_price: expected a number, found 'twelve'")
    """
    for key in marks:
        raw = row.values.get(key, "")
        if raw and _number(row, key, marks) is None and not is_placeholder(raw):
            return Problem("wrong_type", f"{names.get(key, key)}: expected a number, found {raw[:60]!r}")
    return None


#: The columns an event id is a digest of: the order's amount and products, read since, are left out so that
#: a file replayed again gives the ids it gave before (what was produced then is left out), and so is the row's own
#: id, read since, but where it tells a row from an earlier one alike (:func:`_told_apart`); a custom event's own
#: name is in the event column when it is read.
_DIGESTED = tuple(key for key in (*REQUIRED, *OPTIONAL) if key not in ("total", "products", "name", "id"))


def _digested(row: _Row) -> str:
    return "\x1f".join(row.values[key] for key in _DIGESTED if key in row.values)


def _told_apart(row: _Row, first_ids: dict[int, str]) -> _Row:
    """``row``, its own event id kept to tell it apart when an earlier row alike in all else had another.

    Two rows alike but for their ids are two events (the same product added twice in one second); their
    event ids would be one digest, and the worker would drop the second. The first row of a digest keeps
    the event id it always had, the id column being no part of it (a file replayed before its ids were read
    gives the ids it gave then); a later one with another id of its own gets an event id of its own
    (:func:`_common`), and one with the first's id is that row exported twice. ``first_ids`` holds, per
    digest of the rows read so far (8 bytes, as an int), the first row's id.

    >>> from datetime import timezone
    >>> at, seen = datetime(2024, 3, 1, tzinfo=timezone.utc), {}
    >>> [_told_apart(_Row(1, {"customer": "c", "event": "add", "id": id_}, at), seen).apart for id_ in "abab"]
    ['', 'b', '', 'b']
    """
    key = int.from_bytes(hashlib.blake2b(_digested(row).encode(), digest_size=8).digest())
    first = first_ids.setdefault(key, row.values["id"])
    return row if first == row.values["id"] else dataclasses.replace(row, apart=row.values["id"])


def _common(row: _Row, kind: str) -> dict[str, object]:
    told = f"\x1f\x1e{row.apart}" if row.apart else ""
    digest = hashlib.blake2b(f"{_digested(row)}{told}".encode(), digest_size=10).hexdigest()
    event: dict[str, object] = {"event_id": f"csv-{kind}-{digest}", "customer_id": row.values["customer"],
                                "occurred_at": row.at.isoformat()}
    if row.values.get("session"):
        event["session_id"] = row.values["session"]
    return event


def _identified(row: _Row, visitor: str) -> dict[str, object]:
    digest = hashlib.blake2b(f"{visitor}\x1f{row.values['customer']}".encode(), digest_size=10).hexdigest()
    return {"event_id": f"csv-identified-{digest}", "type": "customer_identified", "customer_id": row.values["customer"],
            "anonymous_id": visitor, "occurred_at": row.at.isoformat()}


def _events(row: _Row, kind: str | None, marks: Mapping[str, str]) -> list[dict[str, object]] | Problem:
    """The row's events: one, or one per listed product for a view or cart row that names no product of its own
    (GA4's ``add_to_cart`` with its ``items``); a list the spec would refuse is the row's problem.

    A checkout or cart view with a ``products`` list (Segment's ``Checkout Started``, GA4's
    ``begin_checkout`` with ``items``) carries it as the spec's message does, so the cart it says
    is the cart an abandoned checkout's offer names; its ``total`` column is the cart's value.

    >>> from datetime import timezone
    >>> at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    >>> items = '[{"item_id": "p1", "price": 5.0, "quantity": 2}, {"sku": "p2"}]'
    >>> [checkout] = _events(_Row(1, {"customer": "c", "event": "begin_checkout", "products": items,
    ...                               "total": "10"}, at), "checkout", {"total": "."})
    >>> checkout["type"], [(p["product_id"], p["quantity"]) for p in checkout["products"]], checkout["value"]
    ('checkout_started', [('p1', 2), ('p2', 1)], 10.0)
    >>> [(e["type"], e["product_id"]) for e in _events(_Row(1, {"customer": "c", "event": "add_to_cart",
    ...                                                         "products": items}, at), "add", {})]
    [('cart_item_added', 'p1'), ('cart_item_added', 'p2')]
    """
    if kind == "refund":
        refund = _refund(row, marks)
        return refund if isinstance(refund, Problem) else [refund]
    if kind in ("checkout", "cartview"):
        listed = _products(row.values.get("products", ""))
        if isinstance(listed, Problem):
            return listed
        event = {**_common(row, kind), "type": "checkout_started" if kind == "checkout" else "cart_viewed"}
        if listed is not None:
            event["products"] = [_given(line) for line in listed]
        value = _number(row, "total", marks)
        if value is not None:
            event["value"] = round(value, 2)
        return [event]
    ids = _listed_ids(row.values.get("product", ""))
    if kind in _PRODUCT_EVENTS and ids:
        common = _common(row, kind)
        return [{**common, "event_id": f"{common['event_id']}-{n}", **_product_event(kind, {"product_id": product})}
                for n, product in enumerate(ids)]
    if kind in _PRODUCT_EVENTS and not row.values.get("product"):
        listed = _products(row.values.get("products", ""))
        if isinstance(listed, Problem):
            return listed
        if listed:
            common = _common(row, kind)
            return [{**common, "event_id": f"{common['event_id']}-{n}", **_product_event(kind, line)}
                    for n, line in enumerate(listed)]
    return [_event(row, kind, marks)]


def _refund(row: _Row, marks: Mapping[str, str]) -> dict[str, object] | Problem:
    """The money given back on the row's order: its ``total`` (a refund's amount, as the spec's ``Order Refunded``
    carries it), else its products' prices times their quantities, else its own price times its quantity, else 0
    (the spec asks only for the order: a refund of unknown amount still counts as one); without an order id,
    visit activity (nothing says which order's money came back).

    >>> from datetime import timezone
    >>> at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    >>> listed = '[{"sku": "MUG-1", "price": 18.99, "quantity": 2}]'
    >>> [(e["type"], e.get("order_id"), e.get("amount")) for e in (
    ...     _refund(_Row(1, {"customer": "c", "event": "refund", "order": "T1", "total": "10"}, at), {"total": "."}),
    ...     _refund(_Row(1, {"customer": "c", "event": "refund", "order": "T1", "products": listed}, at), {}),
    ...     _refund(_Row(1, {"customer": "c", "event": "refund"}, at), {}))]
    [('order_refunded', 'T1', 10.0), ('order_refunded', 'T1', 37.98), ('activity', None, None)]
    """
    if not row.values.get("order"):
        return _event(row, None, marks)
    amount = _number(row, "total", marks)
    if amount is None:
        listed = _products(row.values.get("products", ""))
        if isinstance(listed, Problem):
            return listed
        if listed:
            amount = lines_total(listed)
        elif _number(row, "price", marks) is not None:
            quantity = _number(row, "quantity", marks)
            amount = (_number(row, "price", marks) or 0.0) * (max(int(quantity), 1) if quantity else 1)
    return {**_common(row, "refund"), "type": "order_refunded", "order_id": row.values["order"][:128],
            "amount": round(max(amount or 0.0, 0.0), 2)}


def _listed_ids(raw: str) -> list[str] | None:
    """A product cell listing several ids (Meta's ``content_ids``: a view of a product page names one, read as
    that one; a cart add of several names each), else None.

    >>> _listed_ids('["MUG-1", 4401]'), _listed_ids("MUG-1"), _listed_ids('[{"id": 1}]'), _listed_ids("[1")
    (['MUG-1', '4401'], None, None, None)
    """
    if not raw.startswith("["):
        return None
    try:
        ids = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(ids, list) or not all(isinstance(id_, (str, int)) and not isinstance(id_, bool) for id_ in ids):
        return None
    return [str(id_)[:128] for id_ in ids if str(id_).strip()] or None


def _product_event(kind: str, line: Mapping[str, object]) -> dict[str, object]:
    """A view, add or remove of one listed product (a line as :func:`_products` reads it)."""
    event = {"type": _PRODUCT_EVENTS[kind], **_given(line)}
    if kind == "view":
        event.pop("quantity", None)
    return event


_PRODUCT_EVENTS = {"view": "product_viewed", "add": "cart_item_added", "remove": "cart_item_removed"}


def _given(line: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in line.items() if value is not None}


def _event(row: _Row, kind: str | None, marks: Mapping[str, str]) -> dict[str, object]:
    product = row.values.get("product", "")
    if kind is None or (kind in ("add", "remove") and not product):
        return {**_common(row, "activity"), "type": "activity", "name": row.values["event"][:100] or "unnamed"}
    if kind == "page" or (kind == "view" and not product):
        return {**_common(row, "page"), "type": "page_viewed", "url": row.values.get("url") or "/",
                "page_type": "product" if product else "other"}
    event = {**_common(row, kind), "product_id": product, **_priced(row, marks)}
    if kind == "view":
        return {**event, "type": "product_viewed"}
    quantity = _number(row, "quantity", marks)
    event["quantity"] = max(int(quantity), 1) if quantity else 1
    return {**event, "type": _PRODUCT_EVENTS[kind]}


def _priced(row: _Row, marks: Mapping[str, str]) -> dict[str, object]:
    price = _number(row, "price", marks)
    priced: dict[str, object] = {} if price is None else {"price": round(price, 2)}
    if row.values.get("category"):
        priced["category"] = row.values["category"][:128]
    return priced


def _order(rows: Sequence[_Row], marks: Mapping[str, str]) -> dict[str, object] | Problem:
    """An order of its purchase rows: each row's products (its ``products`` list, read as the spec's
    orders carry it: :func:`~streams.core.segment.order_lines`, else its own product), and the sum of
    each row's ``total`` (else its products' prices × quantities); a list the spec would refuse
    is the order's problem.

    >>> from datetime import timezone
    >>> at = datetime(2024, 3, 1, tzinfo=timezone.utc)
    >>> products = '[{"product_id": "p1", "price": 5.0, "quantity": 2}, {"sku": "p2", "price": 1.5}]'
    >>> order = _order([_Row(1, {"customer": "c", "order": "o1", "products": products}, at)], {})
    >>> [(line["product_id"], line["quantity"]) for line in order["line_items"]], order["total"]
    ([('p1', 2), ('p2', 1)], 11.5)
    >>> _order([_Row(1, {"customer": "c", "order": "o1", "products": products, "total": "9.99"}, at)],
    ...        {"total": "."})["total"]
    9.99
    >>> _order([_Row(1, {"customer": "c", "order": "o1", "products": '[{"name": "x"}]'}, at)], {})
    Problem(reason='missing_field', detail="products.0.product_id: the product's id is required (or sku, id, item_id)")
    """
    first = rows[0]
    lines: list[dict[str, object]] = []
    total = 0.0
    # A row repeated exactly (every column read, its time and its own id too) is the same row sent twice,
    # counted once as a repeated view or cart row is (same row, same event id); a second unit is a quantity,
    # a row of its own time or a row of its own id.
    seen: set[tuple[str, ...]] = set()
    for row in rows:
        if tuple(row.values.values()) in seen:
            continue
        seen.add(tuple(row.values.values()))
        products = _products(row.values.get("products", ""))
        if isinstance(products, Problem):
            return products
        if products:
            worth = lines_total(products) or 0.0
            lines.extend(_given(line) for line in products)
        else:
            quantity = _number(row, "quantity", marks)
            count = max(int(quantity), 1) if quantity else 1
            worth = (_number(row, "price", marks) or 0.0) * count
            ids = _listed_ids(row.values.get("product", ""))
            if ids:  # ids without prices (Meta's content_ids): the order's total is its amount
                lines.extend({"product_id": product, "quantity": 1} for product in ids)
                worth = 0.0
            elif row.values.get("product"):
                lines.append({"product_id": row.values["product"], "quantity": count, **_priced(row, marks)})
        given = _number(row, "total", marks)
        total += worth if given is None else given
    event = _common(first, "order")
    # The shop's order id when the file has one (the same order replayed from another file is the
    # same event), else the digest of the order's first row.
    if first.values.get("order"):
        event["event_id"] = f"csv-order-{first.values['order']}"
    order_id = first.values.get("order") or str(event["event_id"])
    return {**event, "type": "order_placed", "order_id": order_id[:128], "line_items": lines[:1000],
            "total": round(max(total, 0.0), 2)}


def _products(raw: str) -> list[dict[str, object]] | None | Problem:
    """A ``products`` cell's lines: a JSON list of objects (as a JSON Lines export's nested list is
    read), read as the spec reads a message's ``products`` (:func:`~streams.core.segment.order_lines`).
    Anything else is None, no list, and the row's own product and price stand: a CSV's column of
    that name may hold anything, and an analytics tool's ``items`` is often a list of plain ids.

    >>> _products('["p9"]'), _products("p1;p2"), _products("[]")
    (None, None, [])
    """
    if not raw.startswith("["):
        return None
    try:
        items = json.loads(raw)
    except (ValueError, RecursionError):
        return Problem("wrong_type", f"products: expected a JSON list of objects, found {raw[:60]!r}")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        return None
    return order_lines([_flat_item(item) for item in items])


def _flat_item(item: Mapping[str, object]) -> dict[str, object]:
    """A listed product with its nested fields by their own names (:func:`_own_name`), its shallower ones first:
    a Shopify checkout's line names its product and price within its variant.

    >>> _flat_item({"id": "li-1", "quantity": 2, "variant": {"sku": "MUG-1", "price": {"amount": 18.99},
    ...                                                      "product": {"id": "88"}}})
    {'id': 'li-1', 'quantity': 2, 'sku': 'MUG-1', 'price': 18.99, 'product_id': '88'}
    """
    leaves: list[tuple[str, object]] = []
    level: list[tuple[str, object]] = list(item.items())
    while level:
        deeper: list[tuple[str, object]] = []
        for path, value in level:
            if isinstance(value, dict):
                deeper += [(f"{path}.{key}", inner) for key, inner in value.items()]
            else:
                leaves.append((path, value))
        level = deeper
    flat: dict[str, object] = {}
    for path, value in leaves:
        flat.setdefault(path if "." not in path else _own_name(path), value)
    # Named as a column would be (Matomo's itemSKU and itemCategory): the names the spec's lines read.
    plain = [bare(name) for name in flat]
    for key, spec in (("product", "product_id"), ("price", "price"), ("quantity", "quantity"),
                      ("category", "category")):
        named = next((list(flat)[plain.index(name)] for name in HEADER_NAMES[key] if name in plain), None)
        if named is not None and spec not in flat:
            flat[spec] = flat[named]
    return flat


def _encode(event: dict[str, object]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()
