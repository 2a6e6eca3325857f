"""Argument types of the ``tracker`` commands: each refuses a bad value with one line naming it."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from streams.errors import UsageError

if TYPE_CHECKING:
    from models.csv_logs import ColumnMap

#: What ``--columns`` of a csv purchase log names (as :data:`models.csv_logs.USAGE`).
COLUMNS = ("customer=…,date=…,amount=…|price=…[,quantity=…][,order=…][,product=…][,status=…]"
           "[,refunded=…][,type=…][,date_order=dmy|mdy][,day_one=YYYY-MM-DD]")
#: What ``--columns`` of a clickstream names (as :data:`streams.replay.clickstream.USAGE`).
CLICK_COLUMNS = ("customer=…,time=…,event=…[,product=…][,price=…][,quantity=…][,category=…][,order=…][,total=…]"
                 "[,products=…][,session=…][,url=…][,visitor=…][,hit=…][,name=…][,id=…]")


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text}")
    return value


def aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO-8601 time like 2026-01-01T09:00:00+00:00, got {text!r}") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"expected a time zone in {text!r}, e.g. 2026-01-01T09:00:00+00:00")
    return value


def segment_name(text: str) -> str:
    from models.personas import VISITORS  # customers without orders: no RFM segment
    from models.rfm import SEGMENTS

    names = (*SEGMENTS, VISITORS)
    if text not in names:
        raise argparse.ArgumentTypeError(f"unknown segment {text!r} (expected one of: {', '.join(names)})")
    return text


def data_file(text: str) -> str:
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a folder: give one file of it")
    if path.exists() and not path.is_file():
        # A pipe (`<(zcat …)`) or a device: the readers look at a file more than once (its first
        # line tells the format, a zip is listed before it is read), which a pipe cannot replay.
        raise argparse.ArgumentTypeError(f"{text} is not a regular file (a pipe or a device): save it to a file first")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return text


def sizes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected whole numbers separated by commas, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected sizes of at least 1, got {text!r}")
    return tuple(sorted(values))


def column_map(fmt: str, columns: str | None) -> ColumnMap | None:
    """The column mapping of a csv purchase log (``--columns``), read before the file is: a bad one is one line.

    None for a csv log without ``--columns``: its header's names say which column is which.
    """
    from models.csv_logs import parse_columns

    if columns is not None and fmt != "csv":
        raise UsageError(f"--columns is for --format csv, not {fmt}")
    if fmt != "csv":
        return None
    if columns is None:
        return None  # read from the file's header (models.csv_logs.guess_columns)
    try:
        return parse_columns(columns)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
