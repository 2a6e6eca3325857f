"""Spreadsheet workbooks (``.xlsx``) as users download them, read as the CSV files are.

UCI publishes Online Retail I and II as workbooks (II with one sheet per year).  The visible sheets
whose header matches the first sheet's are read one after the other as one table; every cell
becomes the text a CSV export would hold (a date as ``2009-12-01 07:45:00``, a whole number
without ``.0``), so the loaders and their checks are the same.  A problem names the sheet and
its row, as Excel shows them (:meth:`~models.textfiles.CsvTable.locate`).
"""

from __future__ import annotations

import datetime as dt
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


def first_row(path: str | Path) -> list[str]:
    """The first visible sheet's first row, as text (empty for an unreadable or empty workbook)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # the reader names the problem when the file is read
        return []
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") == "visible":
                return [cell_text(v).strip() for v in next(sheet.iter_rows(values_only=True), ()) or ()]
        return []
    finally:
        book.close()


def read_sheets(
    path: str | Path, same_header: Callable[[list[str], list[str]], bool]
) -> tuple[list[str], list[tuple[int, list[str]]], list[tuple[int, str]]]:
    """(header, rows, sheets) of the workbook, its rows numbered one after the other across the sheets read.

    ``same_header(a, b)`` says whether a later sheet's header is the first's (other sheets are
    left out, as hidden sheets are); ``sheets`` holds (the number of each sheet's header row, its name), to locate a row.
    """
    from openpyxl import load_workbook

    name = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise DataFileError(name, 1, "", f"unreadable workbook: {error}") from None
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    sheets: list[tuple[int, str]] = []
    numbered = 0  # the number of the last row read, over all sheets
    try:
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":  # a hidden sheet: kept aside, not the data shown
                continue
            cells = sheet.iter_rows(values_only=True)
            first = [cell_text(v).strip() for v in next(cells, ()) or ()]
            while first and not first[-1]:
                first.pop()
            if not first:
                continue
            if header is None:
                header = first
            elif not same_header(first, header):
                continue
            numbered += 1
            sheets.append((numbered, sheet.title))
            width = len(header)
            for values in cells:
                numbered += 1
                texts = [cell_text(v) for v in values[:width]]
                if any(t.strip() for t in texts):
                    rows.append((numbered, texts + [""] * (width - len(texts))))
    finally:
        book.close()
    if header is None:
        raise DataFileError(name, 1, "", "empty file", expected="a header line", found="a workbook without one")
    return header, rows, sheets


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
