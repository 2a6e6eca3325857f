"""Adobe Analytics' data feed (``hit_data.tsv``, its header in ``column_headers.tsv`` beside it) as a clickstream.

A data feed is a hit per line, tab-separated, without a header: the columns' names come in a
file of their own, ``column_headers.tsv``, delivered beside the hits (:func:`header_beside`).
What a hit did is a list of event numbers (``post_event_list``: ``1`` a purchase, ``2`` a
product view, ``10`` a cart opened by its first add, ``11`` a checkout, ``12`` a cart add, ``13`` a
remove, ``14`` a cart view; ``100``–``199`` instances of eVars; from ``200`` the shop's own custom
events, ``200`` its ``event1`` to ``299`` its ``event100``, a numeric one with its value after an
``=``) and its products a string (``post_product_list``:
``category;product;quantity;price;events;evars``, comma-separated, the price the line's whole
price).  :func:`feed_table` turns the hits into the rows a clickstream is read from, by names the
header guess reads (:data:`~streams.replay.clickstream.HEADER_NAMES`):

- ``customer``: the visitor (``post_visid_high``-``post_visid_low``, Adobe's visitor id),
  ``session`` the visit (the visitor and ``visit_num``);
- ``time``: ``hit_time_gmt`` (Unix seconds, UTC) — not ``date_time``, which is the report suite's
  own time zone's clock;
- ``event``: the hit's commerce event, the most decisive one (a purchase over a checkout over a
  remove, an add, a cart view, a product view), else a page view (``post_page_event`` 0) or, for
  a link or other hit, ``hit``;
- and each custom event of the hit a row of its own after it, named as the report suite numbers it
  (``event2``; a number past ``299``, or past ``event100``, as the list gives it): what it means is the
  shop's own setting, not in the feed, so it is read as the spec reads a track the tracker has no
  event for — visit activity, counted by name in the replay's report;
- ``products``: the products as a JSON list (unit price = the line's price / its quantity),
  ``order`` the ``post_purchaseid``, ``url`` the ``post_page_url``.

Hits Adobe leaves out of its reports are left out (``exclude_hit`` other than 0,
``hit_source`` 5, 7, 8 or 9).
"""

from __future__ import annotations

import json
from pathlib import Path

from models.textfiles import CsvTable

__all__ = ["HEADERS_FILE", "feed_table", "header_beside", "is_feed"]

#: The file a data feed delivers its columns' names in.
HEADERS_FILE = "column_headers.tsv"
#: Adobe's fixed commerce events, most decisive first: what a hit listing several is read as.
_COMMERCE = (("1", "purchase"), ("11", "checkout"), ("13", "remove_from_cart"), ("12", "add_to_cart"),
             ("10", "add_to_cart"), ("14", "view_cart"), ("2", "view_item"))
#: The event list's numbers of the report suite's custom events 1 to 100 (``200`` is ``event1``).
_CUSTOM_FIRST, _CUSTOM_LAST = 200, 299
#: Hits Adobe does not report: data sources, and hits of other sources than the page (documented hit_source values).
_UNREPORTED_SOURCES = frozenset({"5", "7", "8", "9"})
#: The rows' columns: named as the header guess reads them, what each came from in brackets (shown in the mapping read).
_COLUMNS = ["customer (post_visid_high-post_visid_low)", "session (visit_num)", "time (hit_time_gmt)",
            "event (post_event_list)", "products (post_product_list)", "order (post_purchaseid)", "url (post_page_url)"]


def header_beside(path: str | Path) -> list[str] | None:
    """The columns' names from a ``column_headers.tsv`` in the file's folder (its first line), or None."""
    beside = Path(path).with_name(HEADERS_FILE)
    if Path(path).name == HEADERS_FILE or not beside.is_file():
        return None
    with beside.open(encoding="utf-8-sig", errors="replace") as lines:
        first = lines.readline().rstrip("\r\n")
    return [name.strip() for name in first.split("\t")] if first.strip() else None


def is_feed(header: list[str]) -> bool:
    """Whether a header is a data feed's: its event list and visitor id columns.

    >>> is_feed(["post_visid_high", "post_visid_low", "hit_time_gmt", "post_event_list"]), is_feed(["event_list"])
    (True, False)
    """
    return {"post_visid_high", "post_visid_low", "hit_time_gmt", "post_event_list"} <= {name.lower() for name in header}


def feed_table(table: CsvTable) -> CsvTable:
    """The feed's reported hits as a clickstream's rows (see the module), each on its own line.

    >>> header = ["post_visid_high", "post_visid_low", "visit_num", "hit_time_gmt", "post_event_list",
    ...           "post_product_list", "post_purchaseid", "post_page_url", "post_page_event", "exclude_hit"]
    >>> hits = [(1, ["30", "46", "1", "1709287200", "2,200", ";MUG-1;;;;", "", "/p/mug", "0", "0"]),
    ...         (2, ["30", "46", "1", "1709287500", "1,12,200", ";MUG-1;2;37.98;;,;CUP;1;5;;", "o-9", "/thanks",
    ...              "0", "0"]),
    ...         (3, ["30", "46", "1", "1709287600", "", "", "", "/p/cup", "0", "1"])]
    >>> rows = feed_table(CsvTable("hit_data.tsv", header, hits)).rows
    >>> [(line, values[:4]) for line, values in rows]  # doctest: +NORMALIZE_WHITESPACE
    [(1, ['30-46', '30-46-1', '1709287200', 'view_item']), (1, ['30-46', '30-46-1', '1709287200', 'event1']),
     (2, ['30-46', '30-46-1', '1709287500', 'purchase']), (2, ['30-46', '30-46-1', '1709287500', 'event1'])]
    >>> json.loads(rows[2][1][4]), rows[2][1][5]  # doctest: +NORMALIZE_WHITESPACE
    ([{'product_id': 'MUG-1', 'quantity': 2, 'price': 18.99},
      {'product_id': 'CUP', 'quantity': 1, 'price': 5.0}], 'o-9')
    """
    at = {name.lower(): index for index, name in enumerate(table.header)}

    def cell(values: list[str], name: str) -> str:
        return values[at[name]].strip() if name in at else ""

    rows: list[tuple[int, list[str]]] = []
    for line, values in table.rows:
        if cell(values, "exclude_hit") not in ("", "0") or cell(values, "hit_source") in _UNREPORTED_SOURCES:
            continue
        visitor = f"{cell(values, 'post_visid_high')}-{cell(values, 'post_visid_low')}"
        session = f"{visitor}-{cell(values, 'visit_num')}" if cell(values, "visit_num") else ""
        codes = {code.split("=")[0].strip().lower() for code in cell(values, "post_event_list").split(",")}
        event = next((name for code, name in _COMMERCE if code in codes), None)
        if event is None:
            event = "page_view" if cell(values, "post_page_event") in ("", "0") else "hit"
        products = _products(cell(values, "post_product_list"))
        url = cell(values, "post_page_url") or cell(values, "page_url")
        time = cell(values, "hit_time_gmt")
        rows.append((line, [visitor, session, time, event, json.dumps(products) if products else "",
                            cell(values, "post_purchaseid"), url]))
        rows += [(line, [visitor, session, time, custom, "", "", url]) for custom in _custom_events(codes)]
    return CsvTable(table.path, list(_COLUMNS), rows, delimiter=table.delimiter)


def _custom_events(codes: set[str]) -> list[str]:
    """The custom events among a hit's event list codes, as the report suite names them, in order.

    >>> _custom_events({"1", "12", "101", "200", "201", "event7", "20100", "x"})
    ['event1', 'event2', 'event7', 'event 20100']
    """
    named = []
    for code in codes:
        if code.isdigit() and _CUSTOM_FIRST <= int(code) <= _CUSTOM_LAST:
            named.append((int(code) - _CUSTOM_FIRST + 1, f"event{int(code) - _CUSTOM_FIRST + 1}"))
        elif code.isdigit() and int(code) > _CUSTOM_LAST:
            named.append((int(code), f"event {code}"))
        elif code.startswith("event") and code[5:].isdigit():
            named.append((int(code[5:]), code))
    return [name for _, name in sorted(named)]


def _products(raw: str) -> list[dict[str, object]]:
    """A product string's products (``category;product;quantity;price;…``, comma-separated), a unit price each.

    >>> _products(";MUG-1;2;37.98;;,Kitchen;CUP;;;"), _products("")
    ([{'product_id': 'MUG-1', 'quantity': 2, 'price': 18.99}, {'product_id': 'CUP', 'category': 'Kitchen'}], [])
    """
    products: list[dict[str, object]] = []
    for entry in raw.split(","):
        parts = [part.strip() for part in entry.split(";")] + [""] * 4
        category, product, quantity, price = parts[:4]
        if not product:
            continue
        line: dict[str, object] = {"product_id": product}
        count = int(quantity) if quantity.isdigit() and int(quantity) > 0 else None
        if count is not None:
            line["quantity"] = count
        try:
            whole = float(price) if price else None
        except ValueError:
            whole = None
        if whole is not None:
            line["price"] = round(whole / (count or 1), 2)
        if category:
            line["category"] = category
        products.append(line)
    return products
