"""What a purchase log's status column says of each line: a sale, no sale, or a deal not won yet.

:mod:`models.csv_logs` reads a log's columns; these rules say which of its lines are sales:

* an order status that says the order was no sale — cancelled, failed, refunded in full, unpaid, an
  invoice due or past due, a payment declined or rejected (:data:`NOT_SALES`, :func:`is_no_sale`) — leaves its
  lines out, counted; so does an invoice issued and not paid yet (``open``, ``posted``) in a column of invoices'
  statuses (:func:`is_invoice_status`), where an order's ``open`` is an order under way, a sale;
* a sales pipeline's stage (a CRM's deals or opportunities: :func:`is_pipeline`) is a sale only
  once won (``Closed Won``, ``Won``, or paid or complete: :func:`is_won`); the deals still open
  (``Prospecting``, ``Negotiation``, ``Proposal``) are left out and counted apart;
* without a status column named so (:data:`models.csv_logs.HEADER_NAMES`), a column named a
  status, state or stage whose values are mostly statuses is read as one (:func:`status_column`):
  Shopware's ``order_state`` or ``stateMachineState.technicalName``, a pipeline's ``Deal Stage``;
  an address's state (``CA``) or a state's id holds none.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence

from models.textfiles import CsvTable, bare, normalise

__all__ = ["CLOSED_BESIDE_COMPLETE", "INVOICE_WORDS", "ISSUED_NOT_PAID", "NOT_SALES", "SALE_STATUSES",
           "is_invoice_status", "is_no_sale", "is_pipeline", "is_unpaid", "is_won", "sales_only", "status_column",
           "status_word"]

#: Order statuses (lower case, letters only) that say an order was no sale: cancelled or failed
#: before payment, voided, denied, reversed (a chargeback), fully refunded, still unpaid or on hold,
#: a quotation not ordered, a checkout left incomplete, a deal lost (a CRM's ``Closed Lost`` stage), a till's
#: sale saved or parked to finish later (Lightspeed's ``SAVED``: not paid).
#: Any other status (paid, completed, delivered, shipped, partially refunded, authorized…) is a sale,
#: but a status awaiting its payment (``Awaiting bank wire payment``: :func:`is_unpaid`) is none.
NOT_SALES = frozenset((
    "cancelled", "canceled", "cancel", "failed", "failure", "voided", "void", "declined", "rejected", "refunded",
    "refund",  # PrestaShop's order paid back
    "fullyrefunded", "unavailable", "abandoned", "draft", "trash", "deleted", "expired", "pending",
    "pendingpayment", "onhold", "holded", "unpaid", "checkoutdraft", "denied", "reversed", "fraud", "suspectedfraud",
    "paymenterror", "incomplete", "quotation", "quotationsent", "closedlost", "lost", "chargeback", "chargedback",
    "saved", "parked",
    # A billing system's invoice still to be paid, or given up on (Chargebee's payment_due and not_paid, Paddle's and
    # Recurly's past_due, Stripe's uncollectible).
    "paymentdue", "pastdue", "overdue", "notpaid", "uncollectible",
    # As German, French, Spanish, Italian, Dutch, Portuguese and Polish shops' exports write them (accents dropped:
    # status_word).
    "storniert", "abgebrochen", "erstattet", "ruckerstattet", "zuruckerstattet", "fehlgeschlagen", "zahlungausstehend",
    "wartend", "inwartestellung", "annule", "annulee", "rembourse", "remboursee", "echoue", "echouee",
    "enattentedepaiement", "cancelado", "cancelada", "reembolsado", "reembolsada", "fallido", "fallida",
    "pendientedepago", "enespera", "annullato", "annullata", "rimborsato", "rimborsata", "fallito", "fallita",
    "geannuleerd", "terugbetaald", "mislukt",
    # Portuguese and Polish.
    "cancelado", "reembolsada", "falhada", "falhado", "pendente", "aguardandopagamento", "aguardapagamento",
    "erreurdepaiement", "esperandopago", "esperandoelpago",
    "anulowane", "anulowany", "anulowano", "zwrocone", "zwrocony", "nieoplacone", "nieudane", "oczekujenaplatnosc",
))
#: Statuses that say an order went through (or is on its way): with :data:`NOT_SALES`, the words that tell a
#: status column by its values (:func:`status_column`).
SALE_STATUSES = frozenset((
    "open", "new", "inprogress", "processing", "processed", "confirmed", "accepted", "paymentaccepted", "authorized",
    "authorised", "paid", "paidpartially", "partiallypaid", "complete", "completed", "closed", "shipped",
    "partiallyshipped", "delivered", "fulfilled", "partiallyfulfilled", "unfulfilled", "partiallyrefunded",
    "refundedpartially", "returned", "partiallyreturned", "returnedpartially", "invoiced", "won", "closedwon",
    "offen", "inbearbeitung", "abgeschlossen", "bezahlt", "versandt", "versendet", "geliefert", "teilweiseerstattet",
    "termine", "terminee", "encours", "payee", "expediee", "livree", "completado", "completada", "procesando",
    "pagado", "enviado", "completato", "inlavorazione", "pagato", "spedito", "voltooid", "inbehandeling", "betaald",
    "verzonden", "livre", "expedie", "paiementaccepte", "preparationencours", "concluida", "concluido", "enviada", "paga", "processando", "emprocessamento", "entregue",
    "zrealizowane", "zrealizowano", "wyslane", "wyslano", "oplacone", "oplacono", "dostarczone", "nowe",
    "wtrakcierealizacji", "wrealizacji",
    # A payment gateway's money taken (Braintree's settled, settling, submitted_for_settlement; SumUp's successful).
    "settled", "settling", "submittedforsettlement", "successful", "succeeded", "captured", "paidout",
))
#: The last words of a status that say a payment was refused, lapsed or is still owed, whoever refused it or for
#: whatever the order waits (Braintree's ``processor_declined``, ``gateway_rejected``, ``authorization_expired``;
#: PrestaShop's ``On backorder (not paid)``).
_NO_SALE_ENDINGS = ("declined", "rejected", "expired", "failed", "voided", "notpaid", "unpaid")
#: A status that is no sale only beside one that says an order went through: Magento's ``closed`` order
#: is one refunded by a credit memo beside its ``complete`` ones, where other systems close a sale when done.
CLOSED_BESIDE_COMPLETE = ("closed", frozenset(("complete", "completed")))
#: An invoice's statuses that say no order's (Stripe's ``uncollectible``, ``void`` and ``draft``, Chargebee's
#: ``payment_due``, ``not_paid`` and ``posted``): with ``paid`` beside one of them, a column of invoices' statuses, in
#: which :data:`ISSUED_NOT_PAID` is no sale (:func:`is_invoice_status`).
INVOICE_WORDS = frozenset(("uncollectible", "void", "draft", "paymentdue", "pastdue", "notpaid", "posted"))
#: An invoice issued and not yet paid (Stripe's and Recurly's ``open``, Chargebee's and an accounting system's
#: ``posted``): no sale in a column of invoices' statuses, where an order's ``open`` (an active order) is one.
ISSUED_NOT_PAID = frozenset(("open", "posted"))
#: The stages of a pipeline that are a sale besides a won deal's: money already paid, an order complete or sent.
_WON_LIKE = frozenset(("paid", "paymentaccepted", "complete", "completed", "invoiced", "closedpaid", "fulfilled",
                       "shipped", "delivered"))
#: Words of a column's name that say it holds a status; of a status column's, what it is the status of —
#: a delivery's state says nothing of whether the sale stands (a returned parcel may be refunded or resent),
#: nor a customer's (an account ``deleted`` since, or ``new``, bought what it bought).
_STATUS_NAME = re.compile(r"status|state|stage|statut|etat|estado|stato")  # English, German, French, Spanish, Italian
_NOT_THE_ORDERS = ("ship", "deliver", "fulfil", "country", "province", "address", "billing", "region", "customer",
                   "client", "member", "user", "account", "contact", "subscri", "newsletter", "marketing",
                   # a delivery's or a customer's, in the languages of models.log_languages
                   "versand", "liefer", "livraison", "expedition", "envio", "entrega", "spedizion", "consegna",
                   "verzend", "lever", "wysylk", "dostaw", "kunde", "klant", "klient")
#: The share of a column's distinct values that must be statuses for it to be read as the status column.
_STATUS_SHARE = 0.5


def status_word(raw: str) -> str:
    """An order status as :data:`NOT_SALES` spells it: lower case, letters only, without WooCommerce's ``wc-``.

    WooCommerce keeps (and its exports and database dumps write) every status with a ``wc-`` prefix;
    a pipeline's numbered stage (``6 - Closed Won``) loses its number, a status in French or German its accents.

    >>> status_word("wc-refunded"), status_word("Pending payment"), status_word("partially_refunded")
    ('refunded', 'pendingpayment', 'partiallyrefunded')
    >>> status_word("6 - Closed Won"), status_word("Rückerstattet"), status_word("Annulée"), status_word("Nieopłacone")
    ('closedwon', 'ruckerstattet', 'annulee', 'nieoplacone')
    """
    plain = normalise(re.sub(r"^\s*wc-", "", raw, flags=re.IGNORECASE))  # annulée: annulee, nieopłacone: nieoplacone
    return re.sub(r"[^a-z]", "", plain)


def is_unpaid(word: str) -> bool:
    """Whether a status (as :func:`status_word` spells it) says the order still awaits its payment.

    >>> is_unpaid("awaitingbankwirepayment"), is_unpaid("awaitingpayment"), is_unpaid("paymentaccepted")
    (True, True, False)
    >>> is_unpaid(status_word("En attente du paiement par chèque")), is_unpaid(status_word("Paiement accepté"))
    (True, False)
    """
    # PrestaShop's French statuses say how the payment is awaited after it: "En attente de paiement par chèque".
    return (word.startswith(("awaiting", "waiting", "pending")) and word.endswith("payment")
            or word.startswith("enattente") and "paiement" in word)


def is_no_sale(word: str) -> bool:
    """Whether a status (as :func:`status_word` spells it) says the order was no sale: :data:`NOT_SALES`, a payment
    awaited (:func:`is_unpaid`), or one refused or lapsed, whoever refused it.

    >>> [is_no_sale(status_word(s)) for s in ("processor_declined", "gateway_rejected", "past_due", "settled", "paid")]
    [True, True, True, False, False]
    >>> is_no_sale(status_word("On backorder (not paid)")), is_no_sale(status_word("On backorder (paid)"))
    (True, False)
    """
    return word in NOT_SALES or is_unpaid(word) or word.endswith(_NO_SALE_ENDINGS)


def is_invoice_status(name: str, words: Collection[str]) -> bool:
    """Whether a status column is an invoice's: named so, or its statuses (as :func:`status_word` spells them) say
    ``paid`` beside a word only invoices use (:data:`INVOICE_WORDS`).

    An order system's ``open`` is an order under way (a sale); an invoice's is one issued and still to be paid.

    >>> is_invoice_status("Status", {"paid", "open", "void"}), is_invoice_status("Status", {"paid", "open"})
    (True, False)
    >>> is_invoice_status("Invoice Status", {"open"}), is_invoice_status("Status", {"draft", "open", "completed"})
    (True, False)
    """
    return "invoice" in bare(name) or "paid" in words and not INVOICE_WORDS.isdisjoint(words)


def is_won(word: str) -> bool:
    """Whether a pipeline's stage (as :func:`status_word` spells it) is a sale: a deal won, or paid or complete.

    >>> [is_won(status_word(s)) for s in ("Closed Won", "won", "Paid", "Negotiation/Review", "Closed Lost", "Open")]
    [True, True, True, False, False, False]
    """
    return word.endswith("won") or word in _WON_LIKE


def is_pipeline(name: str, words: Sequence[str]) -> bool:
    """Whether a status column is a sales pipeline's: named a stage (``Deal Stage``), or some deal said won.

    A CRM's export of deals or opportunities lists them at every stage; an order system's status
    never says ``won`` (Pipedrive's ``Deal - Status`` is ``open``, ``won`` or ``lost``).

    >>> is_pipeline("Stage", ["prospecting"]), is_pipeline("Status", ["open", "won"]), is_pipeline("Status", ["open"])
    (True, True, False)
    """
    return "stage" in bare(name) or any(word.endswith("won") for word in words)


def status_column(table: CsvTable, taken: Sequence[str]) -> str | None:
    """The column of a table named a status, state or stage whose values are mostly statuses (None if none is).

    Columns of the order's own status come before a payment's; a delivery's or an address's state is
    none (:data:`_NOT_THE_ORDERS`); at least :data:`_STATUS_SHARE` of a column's distinct values must
    be known statuses (:data:`NOT_SALES`, :data:`SALE_STATUSES`, a pipeline's won or lost deal), or,
    in a column named a stage, some deal won or lost.

    >>> t = CsvTable("o.csv", ["order_number", "billing_state", "order_state_id", "order_state"],
    ...              [(2, ["1", "CA", "f3a9", "completed"]), (3, ["2", "NY", "0b1c", "cancelled"])])
    >>> status_column(t, ["order_number"])
    'order_state'
    """
    named = [at for at, name in enumerate(table.header) if name not in taken
             and _STATUS_NAME.search(bare(name)) and not any(word in bare(name) for word in _NOT_THE_ORDERS)]
    named.sort(key=lambda at: ("order" not in bare(table.header[at]), at))
    known = NOT_SALES | SALE_STATUSES
    for at in named:
        raws = {values[at] for _, values in table.rows if at < len(values)}  # a few distinct values, worded once each
        words = {status_word(raw) for raw in raws if raw.strip()}
        statuses = sum(1 for word in words if word in known or is_no_sale(word) or word.endswith(("won", "lost")))
        # A pipeline names its open stages as it likes (Prospecting, Needs Analysis): its won or lost deals tell it.
        decided = "stage" in bare(table.header[at]) and any(word.endswith(("won", "lost")) for word in words)
        if words and (statuses >= _STATUS_SHARE * len(words) or decided):
            return table.header[at]
    return None


@dataclasses.dataclass(frozen=True)
class Sales:
    """A table's lines of sales, and how many lines were left out: of no sale, of deals not won yet."""

    table: CsvTable
    not_sales: int
    open_deals: int


def sales_only(table: CsvTable) -> Sales:
    """``table`` without the lines whose status is no sale, nor (in a pipeline: :func:`is_pipeline`) a won deal.

    ``closed`` is no sale in a column that also says ``complete`` (:data:`CLOSED_BESIDE_COMPLETE`), an invoice issued
    and not paid (``open``, ``posted``) in a column of invoices' statuses (:func:`is_invoice_status`).

    >>> t = CsvTable("d.csv", ["Stage"], [(2, ["Closed Won"]), (3, ["Prospecting"]), (4, ["Closed Lost"]),
    ...              (5, ["Negotiation/Review"])], {"status": "Stage"})
    >>> sales = sales_only(t)
    >>> [line for line, _ in sales.table.rows], sales.not_sales, sales.open_deals
    ([2], 1, 2)
    """
    at = table.position("status")
    worded = {raw: status_word(raw) for raw in {values[at] for _, values in table.rows}}  # each distinct value once
    words = [worded[values[at]] for _, values in table.rows]
    closed, done = CLOSED_BESIDE_COMPLETE
    no_sale = NOT_SALES | {closed} if done & set(words) else NOT_SALES
    if is_invoice_status(table.names["status"], set(worded.values())):
        no_sale = no_sale | ISSUED_NOT_PAID
    pipeline = is_pipeline(table.names["status"], words)
    kept = []
    not_sales = open_deals = 0
    for row, word in zip(table.rows, words, strict=True):
        if word in no_sale or is_no_sale(word):
            not_sales += 1
        elif pipeline and not is_won(word):
            open_deals += 1
        else:
            kept.append(row)
    return Sales(dataclasses.replace(table, rows=kept), not_sales, open_deals)
