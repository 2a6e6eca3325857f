"""The hold-out group: customers who get no offer, so the offers' uplift can be measured.

Membership is a hash of the customer id, not a coin toss: the same customer is always in
the same group (across workers, restarts and replays), and changing the salt draws a
fresh group for a new experiment.
"""

from __future__ import annotations

import hashlib

#: Buckets per 100 %: a hold-out can be set to a hundredth of a percent.
BUCKETS = 10_000


def holdout_bucket(customer_id: str, salt: str) -> int:
    """The customer's bucket in ``range(BUCKETS)``, uniform over customer ids.

    >>> holdout_bucket("c1", "offers-holdout-1")
    2520
    """
    digest = hashlib.blake2b(f"{salt}|{customer_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % BUCKETS


def in_holdout(customer_id: str, percent: float, salt: str) -> bool:
    """Whether the customer is in the ``percent`` % hold-out group drawn with ``salt``.

    Parameters
    ----------
    customer_id
        The customer (a known customer id or an anonymous visitor id).
    percent
        Size of the hold-out group, 0 to 100.
    salt
        Names the experiment: another salt gives an independent group.

    Examples
    --------
    >>> in_holdout("c1", 10, "offers-holdout-1")
    False
    >>> in_holdout("c1", 100, "offers-holdout-1"), in_holdout("c1", 0, "offers-holdout-1")
    (True, False)
    """
    if not 0 <= percent <= 100:
        raise ValueError(f"hold-out percent must be between 0 and 100, got {percent!r}")
    return holdout_bucket(customer_id, salt) < round(percent * BUCKETS / 100)
