"""``tracker replay``: real purchase history into the ``purchases`` topic, in event time.

The file is read with the same loaders the offline evaluation uses (``models.datasets``),
so what the worker sees is what the models were measured on. Every event id is derived from
the invoice, so replaying a file twice changes nothing the second time. Start the worker
with ``TRACKER_CLOCK=event`` so that its decisions follow the history, not the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.csv_logs import ColumnMap
from models.datasets import Transaction, TransactionLog, load_log
from streams.core.events import AnyEvent, OrderPlaced, OrderRefunded, dump
from streams.settings import Settings
from streams.transport import kafka_python_options

Format = Literal["online-retail", "cdnow", "csv"]
#: The currency of the public data sets' amounts (a csv log's is given, or left out).
CURRENCIES: dict[str, str] = {"online-retail": "GBP", "cdnow": "USD"}
Progress = Callable[[int, int, float], None]


@dataclass(frozen=True, slots=True)
class ReplayReport:
    path: str
    lines: int
    guest_lines: int
    orders: int
    refunds: int
    customers: int
    seconds: float
    #: Lines of orders whose status said they were no sale (a CSV log with a status column).
    not_sales: int = 0
    #: Lines of a sales pipeline's deals not won (yet), skipped (a CRM's export with its stages).
    open_deals: int = 0
    #: What the file was read as (a CSV's columns read from its header are named here).
    layout: str = ""

    @property
    def events(self) -> int:
        return self.orders + self.refunds


def load(path: str | Path, fmt: Format, columns: ColumnMap | None = None) -> TransactionLog:
    """The file's transactions; :class:`models.errors.DataFileError` names a bad line."""
    return load_log(path, fmt, columns=columns)


def to_event(transaction: Transaction, currency: str | None = None) -> AnyEvent:
    """The purchases-topic event of one transaction, with a deterministic event id."""
    if transaction.refund:
        return OrderRefunded(
            type="order_refunded",
            event_id=f"refund-{transaction.invoice}",
            customer_id=transaction.customer_id,
            occurred_at=transaction.at,
            order_id=transaction.invoice,
            amount=round(transaction.amount, 2),
        )
    return OrderPlaced(
        type="order_placed",
        event_id=f"order-{transaction.invoice}",
        customer_id=transaction.customer_id,
        occurred_at=transaction.at,
        order_id=transaction.invoice,
        total=round(transaction.amount, 2),
        **({"currency": currency} if currency else {}),
        # The retailer's data marks discounts by a line, not a code; any discount counts.
        discount_code="DISCOUNT" if transaction.discounted else None,
    )


def replay(
    path: str | Path, fmt: Format, settings: Settings, *, limit: int | None = None,
    progress: Progress | None = None, columns: ColumnMap | None = None, currency: str | None = None,
) -> ReplayReport:
    """Produce the file's orders and refunds to the purchases topic, in time order.

    ``columns``: the mapping of a ``csv`` log; ``currency``: its amounts' (the public data sets' by default).
    """
    from kafka import KafkaProducer

    log = load(path, fmt, columns)
    currency = currency or CURRENCIES.get(fmt)
    transactions = log.transactions[:limit] if limit else log.transactions
    producer = KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20, batch_size=256 * 1024,
        **kafka_python_options(settings),
    )
    started = time.monotonic()
    orders = refunds = 0
    try:
        for n, transaction in enumerate(transactions, 1):
            event = to_event(transaction, currency)
            producer.send(settings.purchases_topic, key=event.customer_id.encode(), value=dump(event))
            refunds += transaction.refund
            orders += not transaction.refund
            if progress and (n % 2000 == 0 or n == len(transactions)):
                progress(n, len(transactions), time.monotonic() - started)
        producer.flush()
    finally:
        producer.close()
    return ReplayReport(
        path=str(path),
        lines=log.lines,
        guest_lines=log.guest_lines,
        orders=orders,
        refunds=refunds,
        customers=len({t.customer_id for t in transactions}),
        seconds=round(time.monotonic() - started, 2),
        not_sales=log.not_sales,
        open_deals=log.open_deals,
        layout=log.layout,
    )
