"""Numbers as spreadsheets export them: a decimal point or a decimal comma, thousands grouped or not.

European exports write ``6,95`` and ``1.234,56`` (often with ``;`` between the fields), others
``6.95`` and ``1,234.56``; a few put a currency sign before or after the amount.  Which mark is
the decimal one is decided once per column, from all its values, so ``1,234`` is never read two
ways in one file.

A negative amount (a refund) may carry its minus sign before the currency sign (``-£29.33``),
as a Unicode minus (``−€3,50``), or be written in parentheses as accounting exports and
spreadsheets' accounting formats write it (``(29.33)``, ``($29.33)``), or with its minus after
the digits as ERP reports write it (``29.33-``, ``1.234,56-``): each reads as ``-29.33`` does.
Thousands may also be grouped with an apostrophe, as Swiss exports write them (``1'234.50``).  An ISO 4217 currency code may stand before or after the amount instead of a sign
(``GBP 12.50``, ``12,50 EUR``, ``12.50USD``), or a sign of several characters (Polish ``zł``, Brazilian
``R$``): :func:`currency_code` reads it, and the number is read without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: Currency signs and spaces a number may carry around it (kept from the value, not its meaning).
_AROUND = " \u00a0\u202f$£€¥₹"
_SIGNS = "+-\u2212"  # with the Unicode minus sign, as word processors and some exports write it
# A currency code (upper case, as ISO 4217 writes it) before a number's sign or digits, or after its digits.
_CODE_BEFORE = re.compile(r"([-+\u2212]?)\s*([A-Z]{3})\s*(?=[-+\u2212($£€¥₹\d.])")
_CODE_AFTER = re.compile(r"(?<=[\d).$£€¥₹])\s*([A-Z]{3})$")
#: Currency signs of more than one character, as Polish and Brazilian shops write them (``1 235,00 zł``,
#: ``R$ 1.235,00``), and the ISO code each stands for.
_LOCAL_SIGNS = {"zł": "PLN", "R$": "BRL"}
# An apostrophe (or a right single quote, as word processors turn it) grouping thousands: 1'234.50.
_APOSTROPHE_GROUP = re.compile(r"(?<=\d)['\u2019](?=\d{3}(?!\d))")
_GROUPED = {".": re.compile(r"[-+]?\d{1,3}(\.\d{3})+"), ",": re.compile(r"[-+]?\d{1,3}(,\d{3})+")}


def decimal_mark(raws: Iterable[str], *, delimiter: str = ",") -> str:
    """Which of ``.`` and ``,`` a column's values use as the decimal mark.

    A value with both marks says it (the last one is the decimal mark); a column with commas and
    no points uses the decimal comma, unless every comma groups thousands in a comma-separated
    file (``"1,234"``); a column with both kinds of value uses, as decimal mark, the one that does
    not only group thousands.

    >>> decimal_mark(["6,95", "12"], delimiter=";"), decimal_mark(["1.234,5"]), decimal_mark(["2.5", "1,234"])
    (',', ',', '.')
    >>> decimal_mark(["1,234", "12"]), decimal_mark(["6,95", "1,234"]), decimal_mark(["1.234", "6,95"])
    ('.', ',', ',')
    """
    commas = dots = 0
    comma_groups_only = dot_groups_only = True
    last: dict[str, int] = {".": 0, ",": 0}
    for raw in raws:
        value = _unsigned(raw)[1]
        has_comma, has_dot = "," in value, "." in value
        if has_comma and has_dot:
            last["," if value.rfind(",") > value.rfind(".") else "."] += 1
            continue
        if has_comma:
            commas += 1
            comma_groups_only &= bool(_GROUPED[","].fullmatch(value))
        elif has_dot:
            dots += 1
            dot_groups_only &= bool(_GROUPED["."].fullmatch(value))
    if last["."] or last[","]:
        return "," if last[","] > last["."] else "."
    if not commas:
        return "."
    if not dots:
        return "." if delimiter == "," and comma_groups_only else ","
    return "," if dot_groups_only and not comma_groups_only else "."


def to_number(raw: str, mark: str) -> float | None:
    """``raw`` read with ``mark`` as its decimal mark (the other one groups thousands); None if no number.

    >>> to_number("1.234,56", ","), to_number("£1,234.5", "."), to_number(" 7 ", "."), to_number("n/a", ".")
    (1234.56, 1234.5, 7.0, None)
    >>> to_number("-£29.33", "."), to_number("\u2212€3,50", ","), to_number("($1,234.50)", ".")
    (-29.33, -3.5, -1234.5)
    >>> to_number("GBP 1,234.50", "."), to_number("-12,50 EUR", ","), to_number("12.50USD", ".")
    (1234.5, -12.5, 12.5)
    >>> to_number("1.234,56-", ","), to_number("12.50-", "."), to_number("CHF 1'234.50", "."), to_number("1'2", ".")
    (-1234.56, -12.5, 1234.5, None)
    """
    negative, value = _unsigned(raw)
    value = _APOSTROPHE_GROUP.sub("", value)
    value = value.replace(".", "").replace(",", ".") if mark == "," else value.replace(",", "")
    try:
        number = float(value.replace("\u00a0", "").replace("\u202f", "").replace(" ", ""))
    except ValueError:
        return None
    return -number if negative else number


def currency_code(raw: str) -> tuple[str, str]:
    """The ISO currency code written before or after an amount (``""`` if none), and the amount without it.

    >>> currency_code("GBP 12.50"), currency_code(" 12,50 EUR"), currency_code("-12.50USD"), currency_code("-GBP 2")
    (('GBP', '12.50'), ('EUR', '12,50'), ('USD', '-12.50'), ('GBP', '-2'))
    >>> currency_code("NAN"), currency_code("n/a EUR")
    (('', 'NAN'), ('', 'n/a EUR'))
    >>> currency_code("1 235,00 zł"), currency_code("-R$ 1.235,00"), currency_code("R$-5")
    (('PLN', '1 235,00'), ('BRL', '-1.235,00'), ('BRL', '-5'))
    """
    value = raw.strip()
    if "ł" in value or "R$" in value:  # the signs of _LOCAL_SIGNS, looked for cheaply: this runs on every value
        sign = value[:1] if value[:1] in _SIGNS else ""
        for local, code in _LOCAL_SIGNS.items():
            if value.endswith(local):
                return code, value[: -len(local)].rstrip()
            if value.startswith(local, len(sign)):
                return code, sign + value[len(sign) + len(local):].lstrip()
    before = _CODE_BEFORE.match(value)
    if before is not None:
        return before.group(2), before.group(1) + value[before.end():]
    after = _CODE_AFTER.search(value)
    if after is not None:
        return after.group(1), value[:after.start()]
    return "", value


def _unsigned(raw: str) -> tuple[bool, str]:
    """Whether ``raw`` is negative (a minus before or after its currency sign, or parentheses), and the rest.

    A value with two signs keeps them in the rest, where it is no number.

    >>> _unsigned(" -£29.33"), _unsigned("(£29.33)"), _unsigned("£-29.33"), _unsigned("\u221229.33 €")
    ((True, '29.33'), (True, '29.33'), (True, '29.33'), (True, '29.33'))
    >>> _unsigned("+$5"), _unsigned("--5"), _unsigned("(-5)"), _unsigned(""), _unsigned("-"), _unsigned("-5-")
    ((False, '5'), (False, '--5'), (False, '(-5)'), (False, ''), (False, '-'), (True, '5-'))
    >>> _unsigned("29.33-"), _unsigned("1.234,56 €-")
    ((True, '29.33'), (False, '1.234,56 €-'))
    """
    value = currency_code(raw)[1].strip(_AROUND)
    if len(value) > 2 and value[0] == "(" and value[-1] == ")":
        negative, rest = True, value[1:-1].strip(_AROUND)
    elif value and value[0] in _SIGNS:
        negative, rest = value[0] != "+", value[1:].lstrip(_AROUND)
    elif len(value) > 1 and value[-1] in "-\u2212" and value[-2].isdigit():  # ERP reports' trailing minus: 29.33-
        return True, value[:-1]
    else:
        return False, value
    if not rest or rest[0] in _SIGNS + "(":
        return False, value
    return negative, rest
