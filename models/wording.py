"""How the customer analytics put figures into words: money, shares, counts and spans of time."""

from __future__ import annotations

from models.currencies import currency_of

__all__ = ["money", "percent", "plural", "share_of_spend", "span"]


def money(amount: float, currency: str = "GBP") -> str:
    """An amount as a marketer reads it: whole units from 100 up or when whole, pence otherwise.

    ``currency`` is an ISO 4217 code (:mod:`models.currencies` says how it is written); a
    currency without a minor unit (the yen) is always written in whole units.

    Examples
    --------
    >>> money(1240.4), money(18.5), money(28.0), money(-3.25, "EUR")
    ('£1,240', '£18.50', '£28', '-€3.25')
    >>> money(18.5, "USD"), money(12.5, "CHF"), money(1240.4, "JPY"), money(18.4, "JPY")
    ('$18.50', 'CHF 12.50', '¥1,240', '¥18')

    """
    written = currency_of(currency)
    sign = "-" if amount < 0 else ""
    value = abs(amount)
    digits = written.digits
    whole = digits == 0 or value >= 100 or round(value, digits) == round(value)
    return f"{sign}{written.sign}{value:,.0f}" if whole else f"{sign}{written.sign}{value:,.{digits}f}"


def percent(share: float) -> str:
    """A share between 0 and 1 as a whole percentage.

    A share that rounds to 0 or 100 without being it is said as under 1 % or over 99 %:
    "0 % likely to buy again" reads as a certainty no model has.

    Examples
    --------
    >>> percent(0.921), percent(0.0), percent(1.0)
    ('92 %', '0 %', '100 %')
    >>> percent(0.0004), percent(0.9996)
    ('under 1 %', 'over 99 %')

    """
    if 0.0 < share < 0.005:
        return "under 1 %"
    if 0.995 <= share < 1.0:
        return "over 99 %"
    return f"{share * 100:.0f} %"


def share_of_spend(refunded: float, spent: float, currency: str | None = "GBP") -> str:
    """What part of the spend the refunds took back; said as more than the spend when it was.

    A customer can get back more than a history shows them spending: refunds of orders older
    than the history, a till's corrections. A capped "100 %" would say what did not happen.
    Without a ``currency`` the spend is not written out.

    Examples
    --------
    >>> share_of_spend(60.0, 200.0), share_of_spend(21907.0, 10953.5, "USD")
    ('30 % of the spend', 'more than the $10,954 spent')
    >>> share_of_spend(21907.0, 10953.5, None)
    'more than the spend'

    """
    if refunded > spent:
        return "more than the spend" if currency is None else f"more than the {money(spent, currency)} spent"
    return f"{percent(refunded / spent if spent > 0 else 0.0)} of the spend"


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an ``s`` unless ``n`` is 1.

    Examples
    --------
    >>> plural(1, "order"), plural(3, "order")
    ('1 order', '3 orders')

    """
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def span(days: float) -> str:
    """A length of time in days as days, weeks or months, whichever reads best.

    Examples
    --------
    >>> span(0.4), span(3.2), span(20), span(150)
    ('less than a day', '3 days', '3 weeks', '5 months')

    """
    if days < 1:
        return "less than a day"
    if days >= 60:
        return plural(round(days / 30.44), "month")
    if days >= 14:
        return plural(round(days / 7), "week")
    return plural(round(days), "day")
