"""Spreadsheet workbooks (``.xlsx``) as users download them, read as the CSV files are.

UCI publishes Online Retail I and II as workbooks (II with one sheet per year).  The visible sheets
whose header matches the first sheet's are read one after the other as one table (a report's title and
notes above a sheet's header skipped, as a CSV file's are); every cell
becomes the text a CSV export would hold (a date as ``2009-12-01 07:45:00``, a whole number
without ``.0``), so the loaders and their checks are the same.  A problem names the sheet and
its row, as Excel shows them (:meth:`~models.textfiles.CsvTable.locate`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from models.errors import DataFileError

_WORKBOOK_PART = "xl/workbook.xml"


def is_workbook(path: str | Path) -> bool:
    """Whether ``path`` is an Office Open XML workbook (a zip holding ``xl/workbook.xml``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return _WORKBOOK_PART in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def cell_text(value: Any) -> str:
    """A cell as a CSV export writes it.

    >>> cell_text(None), cell_text(13085.0), cell_text(6.95), cell_text(dt.datetime(2009, 12, 1, 7, 45))
    ('', '13085', '6.95', '2009-12-01 07:45:00')
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def first_rows(path: str | Path, count: int) -> list[list[str]]:
    """The first visible sheet's first ``count`` rows, as text (none for an unreadable or empty workbook)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # the reader names the problem when the file is read
        return []
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") == "visible":
                return [[cell_text(v) for v in values] for values in itertools.islice(
                    sheet.iter_rows(values_only=True), count)]
        return []
    finally:
        book.close()


#: Finds which of a sheet's first rows is its header (a report's title and notes above it), None if all are blank.
HeaderFinder = Callable[[Sequence[Sequence[str]]], int | None]


def read_sheets(
    path: str | Path, same_header: Callable[[list[str], list[str]], bool], header_at: HeaderFinder, lookahead: int,
) -> tuple[list[str], int, list[tuple[int, str]], list[tuple[int, list[str]]]]:
    """(header, its row, sheets, rows) of the workbook, its rows numbered one after the other across the sheets read.

    Each sheet's header is the row ``header_at`` finds among its first ``lookahead`` (below a title
    and notes, as a CSV file's: :func:`models.textfiles.header_row`); the rows above it are no data.
    ``same_header(a, b)`` says whether a later sheet's header is the first's (other sheets are
    left out, as hidden sheets are); ``sheets`` holds (the number of each sheet's first row, its name),
    to locate a row (:func:`locate`).
    """
    from openpyxl import load_workbook

    name = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise DataFileError(name, 1, "", f"unreadable workbook: {error}") from None
    header: list[str] | None = None
    header_line = 1
    rows: list[tuple[int, list[str]]] = []
    sheets: list[tuple[int, str]] = []
    numbered = 0  # the number of the last row read, over all sheets
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":  # a hidden sheet: kept aside, not the data shown
                continue
            cells = sheet.iter_rows(values_only=True)
            ahead = [[cell_text(v) for v in values] for values in itertools.islice(cells, lookahead)]
            at = header_at(ahead)
            if at is None:
                continue
            first = [text.strip() for text in ahead[at]]
            while first and not first[-1]:
                first.pop()
            if header is None:
                header, header_line = first, numbered + at + 1
            elif not same_header(first, header):
                continue
            sheets.append((numbered + 1, sheet.title))
            numbered += at + 1
            width = len(header)
            for values in itertools.chain(ahead[at + 1:], cells):
                numbered += 1
                texts = [cell_text(value) for value in values[:width]]
                if any(t.strip() for t in texts):
                    rows.append((numbered, texts + [""] * (width - len(texts))))
    finally:
        book.close()
    if header is None:
        raise DataFileError(name, 1, "", "empty file", expected="a header line", found="a workbook without one")
    return header, header_line, sheets, rows


def locate(path: str, sheets: Sequence[tuple[int, str]], line: int) -> tuple[str, int]:
    """(the file and sheet, the row as the spreadsheet numbers it) of row ``line`` read by :func:`read_sheets`.

    >>> sheets = [(1, "Year 2009-2010"), (525462, "Year 2010-2011")]
    >>> locate("r.xlsx", sheets, 525461), locate("r.xlsx", sheets, 525464)
    (("r.xlsx, sheet 'Year 2009-2010'", 525461), ("r.xlsx, sheet 'Year 2010-2011'", 3))
    """
    header, title = sheets[0]
    for begins, name in sheets:
        if begins <= line:
            header, title = begins, name
    return f"{path}, sheet {title!r}", line - header + 1
