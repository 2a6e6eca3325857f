"""How the shop's currency is written: the sign before an amount and the digits of its minor unit.

Both come from the Unicode CLDR (by babel), in English: the data every browser's
``Intl.NumberFormat`` reads too, so the marketers' page, which formats with it, writes the same
sign as the API's reasons and the CLI (``$`` for USD, ``CA$`` for CAD, ``CHF 12.50``).  A code
without a sign of its own (CHF, SEK, or one CLDR does not know) is written as the code and a
space.  The minor unit matters for a currency without one: a yen has no pence to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Currency", "currency_of"]


@dataclass(frozen=True)
class Currency:
    """One currency as amounts in it are written."""

    #: The ISO 4217 code: ``GBP``.
    code: str
    #: What stands before an amount, a space included after letters: ``£``, ``CA$``, ``CHF ``.
    sign: str
    #: Digits of the minor unit: 2 for pence and cents, 0 for the yen, 3 for the Kuwaiti dinar.
    digits: int


@lru_cache(maxsize=64)
def currency_of(code: str) -> Currency:
    """The currency of the ISO 4217 ``code``, as written in English.

    Examples
    --------
    >>> [currency_of(code).sign for code in ("GBP", "USD", "EUR", "JPY", "INR", "CAD")]
    ['£', '$', '€', '¥', '₹', 'CA$']
    >>> currency_of("CHF"), currency_of("XYZ").sign
    (Currency(code='CHF', sign='CHF ', digits=2), 'XYZ ')
    >>> currency_of("JPY").digits, currency_of("KWD").digits
    (0, 3)

    """
    # Imported here: the locale data is read once, by the first amount written, not at start-up.
    from babel.numbers import get_currency_precision, get_currency_symbol

    symbol = get_currency_symbol(code, locale="en")
    return Currency(code=code, sign=symbol + " " if symbol.isalpha() else symbol,
                    digits=get_currency_precision(code))
