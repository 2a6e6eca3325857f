"""Discount codes: one per offer, derived from the offer id.

Deriving the code from the id (instead of drawing it at random) makes a retried or
replayed trigger carry the same code, so the shop never sees two codes for one offer.
"""

from __future__ import annotations

import base64
import hashlib

CODE_PREFIX = "OFFER-"


def incentive_code(offer_id: str, *, key: bytes = b"") -> str:
    """The discount code of the offer ``offer_id``.

    Parameters
    ----------
    offer_id
        The offer's stable id (see :func:`offers.triggers.offer_id`).
    key
        An optional secret (at most 64 bytes) so that nobody who knows an offer id can
        compute its code; the same key must be used wherever codes are derived.

    Examples
    --------
    >>> incentive_code("of-f3ef12a9bd370a6c")
    'OFFER-6Z2BISGZ'
    >>> incentive_code("of-f3ef12a9bd370a6c") == incentive_code("of-f3ef12a9bd370a6c")
    True
    """
    digest = hashlib.blake2b(offer_id.encode(), digest_size=5, key=key, person=b"offer-code").digest()
    # Five bytes are exactly eight base32 characters: no padding, easy to type.
    return CODE_PREFIX + base64.b32encode(digest).decode()
