"""Which of a purchase log's customer-ish columns names its customers, told by the values they hold.

:mod:`models.csv_logs` finds the columns a header calls a customer (``Customer ID``, ``Billing Email``,
``New client``, ``Shopper Interaction``); these rules say which one to read (:func:`customer_choice`):

* a column of yes/no flags (``Yes``/``No``, ``true``/``false``, ``Y``/``N``, ``0``/``1``: PrestaShop's
  ``New client``) names no customer (:func:`holds_flags`);
* of the others, the header's first is read unless another names a customer on more lines without putting the
  first's customers in groups (:func:`groups`): the checkout's email beside an account id blank or ``0`` on guests'
  orders names each account's buyer, and the guests besides; a column with one value for several of the first's
  customers where both are filled (a payment's ``Shopper Interaction``, ``Ecommerce`` or ``ContAuth`` on every line)
  is a category of them, not who they are.

A column holding only a few customers is still one — a wholesaler's dozen accounts are as few as a
category's values: what tells a category is that it holds one value for several customers of the column beside
it, not how few values it holds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

__all__ = ["FLAG_VALUES", "CustomerChoice", "customer_choice", "groups", "holds_flags"]

#: The values of a column of flags (lower case): a yes or a no, whatever the column's name says of whom.
FLAG_VALUES = frozenset(("yes", "no", "y", "n", "true", "false", "0", "1"))


def holds_flags(values: Iterable[str]) -> bool:
    """Whether a column's values are all yes/no flags (:data:`FLAG_VALUES`; blanks aside), both a yes and a no.

    A column of one value only (a log's one customer ``1``) says nothing of the other.

    >>> holds_flags(["Yes", "No", "", "yes"]), holds_flags(["TRUE", "false"]), holds_flags(["0", "1", "1"])
    (True, True, True)
    >>> holds_flags(["1", "17", "0"]), holds_flags(["yes", "ann@x.com"]), holds_flags(["1", "1", ""])
    (False, False, False)
    """
    seen: set[str] = set()
    for raw in values:
        value = raw.strip().lower()
        if not value:
            continue
        if value not in FLAG_VALUES:
            return False
        seen.add(value)
    return len(seen) > 1


@dataclasses.dataclass(frozen=True)
class CustomerChoice:
    """The column to read as the customer (an index into the candidates; None: none names customers), and the
    candidates left out as flags."""

    column: int | None
    flags: tuple[int, ...]


def groups(other: Sequence[str], first: Sequence[str]) -> bool:
    """Whether a column puts the customers of ``first`` in groups: on the lines where both name one, it holds fewer
    values than ``first`` has customers (several of them under one value), as a category does and a second column
    of the same people (an account's email beside its id) does not.

    >>> groups(["Ecommerce", "Ecommerce", "ContAuth", ""], ["7", "8", "9", ""])
    True
    >>> groups(["a@x", "b@x", "a@x", "c@x"], ["7", "8", "7", ""]), groups(["Yes", "No"], ["", ""])
    (False, False)
    """
    shared = [(mine, theirs) for mine, theirs in zip(other, first, strict=True) if mine and theirs]
    return len({mine for mine, _ in shared}) < len({theirs for _, theirs in shared})


def customer_choice(columns: Sequence[Sequence[str]], customer: Callable[[str], str]) -> CustomerChoice:
    """Of candidate customer columns (the header's first, then the others; each its lines' values), the one to read.

    ``customer`` reads a value as a customer id, ``""`` for a guest (:func:`models.transactions.customer_id`).
    Flags are left out (:func:`holds_flags`); the first of the rest is read unless another names a customer on
    more lines without putting the first's customers in groups (:func:`groups`), the one on most lines of those.

    >>> same = lambda raw: raw.strip()
    >>> ids, emails = ["7", "", "8", ""], ["a@x", "b@x", "c@x", "d@x"]
    >>> customer_choice([ids, emails], same).column
    1
    >>> customer_choice([ids, ["Ecommerce", "ContAuth", "Ecommerce", "Ecommerce"]], same).column
    0
    >>> customer_choice([["Yes", "No", "No", "Yes"], ["ann", "bob", "", "ann"]], same)
    CustomerChoice(column=1, flags=(0,))
    >>> customer_choice([["Yes", "No"]], same)
    CustomerChoice(column=None, flags=(0,))
    """
    flags = tuple(at for at, values in enumerate(columns) if holds_flags(values))
    kept = [at for at in range(len(columns)) if at not in flags]
    if not kept:
        return CustomerChoice(None, flags)
    named = {at: [customer(raw) for raw in columns[at]] for at in kept}
    filled = {at: sum(1 for who in named[at] if who) for at in kept}
    first = kept[0]
    better = [at for at in kept[1:] if filled[at] > filled[first] and not groups(named[at], named[first])]
    column = max(better, key=lambda at: (filled[at], -at)) if better else first
    return CustomerChoice(column, flags)
