"""Text and CSV files as users have them: plain, gzip, bzip2, xz or zipped; UTF-8, UTF-16, Windows-1252 or Latin-1.

A table may also be an ``.xlsx`` workbook (:mod:`models.workbooks`) or a Parquet file
(:mod:`models.columnar`).  Every problem is raised
as one :class:`~models.errors.DataFileError` naming the file (and sheet), the line and the
column: a damaged compressed stream, an old binary ``.xls`` or a zip archive of several files, a
header without a needed column, a line with the wrong number of fields.
"""

from __future__ import annotations

import _csv
import bz2
import codecs
import csv
import dataclasses
import gzip
import io
import itertools
import lzma
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, cast

from models.columnar import is_parquet, read_parquet
from models.errors import DataFileError
from models.workbooks import first_rows, is_workbook, locate, read_sheets

__all__ = ["DECOMPRESSION_ERRORS", "CsvTable", "archive_files", "bare", "compression_of", "decode_text", "decompressed",
           "is_data_line", "no_header", "normalise", "read_csv", "read_text"]

_GZIP_MAGIC = b"\x1f\x8b"
_BZIP2_MAGIC = b"BZh"
_XZ_MAGIC = b"\xfd7zXZ\x00"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, an empty one
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_DELIMITERS = (",", ";", "\t", "|")
# Excel's line naming the delimiter above a CSV file's header ("sep=;"), as exports meant for Excel begin.
_SEPARATOR_LINE = re.compile(r"\A\ufeff?sep=([^\r\n])[ \t]*(?=\r?\n|$)", re.IGNORECASE)  # the first line only
#: Lines read ahead to find the header below a report's title and notes (:func:`header_row`).
_LOOKAHEAD = 50
_FIELD_LIMIT = 1 << 30  # csv's default, 128 KiB, refuses a long product description or a JSON blob in a field


def read_text(path: str | Path) -> str:
    """The whole text of a file, gunzipped, bunzipped, unxzipped or unzipped (by its first bytes, not its name).

    A compressed file of several streams one after the other (``cat a.gz b.gz``, as log rotation
    and some exporters write them) is read whole, every stream in turn.  A zip archive holding one file (as data sets are downloaded) is read as that file; UTF-8
    (with or without a byte-order mark) is tried first, then Windows-1252, which spreadsheets
    save on Windows (``€`` as byte 0x80), then Latin-1; UTF-16 with its byte-order mark
    (Excel's "Unicode Text") is read as such.

    Raises
    ------
    DataFileError
        If the file cannot be read, is a damaged compressed stream, a zip archive of several files,
        a spreadsheet workbook or binary data.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "x.csv.gz")
    ...     with gzip.open(path, "wb") as f:
    ...         _ = f.write("a,b\\n£1,2\\n".encode("latin-1"))
    ...     read_text(path)
    'a,b\\n£1,2\\n'

    """
    name = str(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(6)  # xz's magic is six bytes
            handle.seek(0)
            if head.startswith(_OLE_MAGIC):
                raise DataFileError(
                    name, 1, "", "an old .xls workbook, not a text file",
                    expected="CSV text (optionally gzipped or zipped) or an .xlsx workbook (save the sheet as either)",
                    found=head,
                )
            data = handle.read()
        compression = _compression(head)
        if head.startswith(_ZIP_MAGIC):
            data = _unzip(name, data)
        elif compression is not None:
            data = _decompress(name, data, compression)
    except OSError as error:
        raise DataFileError(name, 0, "", f"cannot read the file: {error.strerror or error}") from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode Text"
        return decode_text(data)
    if _binary(data[:65_536]):
        unpacked = (f" (once {_UNPACKED[compression]})" if compression
                    else " (once unzipped)" if head.startswith(_ZIP_MAGIC) else "")
        raise DataFileError(
            name, 1, "", f"binary data, not a text file{unpacked}",
            expected="CSV text (optionally gzip, bzip2 or xz compressed), an .xlsx workbook or a Parquet file", found=data[:16],
        )
    return decode_text(data)


def decode_text(data: bytes) -> str:
    """Text of a file's bytes: UTF-16 after its byte-order mark (Excel's "Unicode Text", PowerShell's ``>``),
    else UTF-8 (a byte-order mark dropped), else Windows-1252, else Latin-1.

    Windows-1252 is Latin-1 with printable characters (``€``, ``–``, curly quotes) where Latin-1
    has control codes no text holds; five of its bytes are undefined, read then as Latin-1.

    >>> decode_text("£5".encode("utf-8")), decode_text(b"\\x805,00"), decode_text(b"\\xa35"), decode_text(b"\\x81\\xa3")
    ('£5', '€5,00', '£5', '\\x81£')
    >>> decode_text("€5".encode("utf-16"))
    '€5'
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")  # a broken-off last character is not the file's fault
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _unzip(name: str, data: bytes) -> bytes:
    """The one file a zip archive holds (a data set as downloaded), leaving out folders and macOS's ``__MACOSX`` notes.

    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w") as archive:
    ...     archive.writestr("__MACOSX/._orders.csv", b"\\x00"); archive.writestr("orders.csv", b"a,b\\n")
    >>> _unzip("d.zip", buffer.getvalue())
    b'a,b\\n'
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive_files(archive)
            if len(members) != 1:
                listed = ", ".join(member.filename for member in members[:3]) + (", …" if len(members) > 3 else "")
                raise DataFileError(
                    name, 1, "", f"a zip archive of {len(members)} files" + (f" ({listed})" if listed else ""),
                    expected="a zip archive of one file (or unzip it and give the file)", found=len(members),
                )
            return archive.read(members[0])
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        raise DataFileError(name, 1, "", f"unreadable: damaged or encrypted zip archive: {error}") from None


def archive_files(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The files of an archive, without folders and the ``__MACOSX/`` and ``._`` notes macOS adds."""
    return [info for info in archive.infolist() if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith("._")]


def _binary(start: bytes) -> bool:
    """Whether a file's first bytes are no text: a NUL, or more than one byte in a hundred a control character.

    >>> _binary(b"a,b\\r\\n1,\\t2\\n"), _binary(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00"), _binary(bytes(range(256)) * 4)
    (False, True, True)
    """
    controls = sum(1 for byte in start if byte < 32 and byte not in (9, 10, 12, 13))
    return b"\x00" in start or controls * 100 > len(start)


def first_line(path: str | Path, size: int = 65_536) -> str:
    """The first non-blank line of a text file (plain, gzip or zipped), read from its first ``size`` bytes ("" if none).

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "x.txt.gz")
    ...     with gzip.open(path, "wb") as f:
    ...         _ = f.write(b"\\n00001 19970101 1 11.77\\n")
    ...     first_line(path)
    '00001 19970101 1 11.77'
    """
    return next((line.strip() for line in _start(path, size).splitlines() if line.strip()), "")


def header_cells(path: str | Path, size: int = 65_536) -> list[str]:
    """The header of a CSV file or a workbook, as :func:`read_csv` finds it below a report's preamble (:func:`header_row`).

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "x.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write("Sales export\\n\\nInvoice;StockCode;Price\\n1;A;2,5\\n")
    ...     header_cells(path)
    ['Invoice', 'StockCode', 'Price']
    """
    if is_workbook(path):
        rows = first_rows(path, _LOOKAHEAD)
    else:
        text = _start(path, size)
        rows = list(itertools.islice(_reader(io.StringIO(_SEPARATOR_LINE.sub("", text, count=1), newline=""),
                                             _delimiter(text)),
                                     _LOOKAHEAD))
    at = header_row(rows)
    return [] if at is None else [cell.strip() for cell in rows[at]]


def _start(path: str | Path, size: int) -> str:
    """The text of a file's first ``size`` bytes (plain, compressed or the one file of a zip), "" if unreadable."""
    try:
        with open(path, "rb") as handle:
            magic = handle.read(6)
        if magic.startswith(_ZIP_MAGIC):
            with zipfile.ZipFile(path) as archive:
                members = archive_files(archive)
                if len(members) != 1:
                    return ""
                with archive.open(members[0]) as member:
                    start = member.read(size)
        else:
            with open(path, "rb") as raw:
                compression = compression_of(raw)
                with decompressed(raw, compression) if compression else raw as handle:
                    start = handle.read(size)
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error, lzma.LZMAError, NotImplementedError, RuntimeError):
        return ""
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # as read_text reads it
        return start[: len(start) - len(start) % 2].decode("utf-16", errors="replace")
    return start.decode("utf-8-sig", errors="replace")


def _compression(head: bytes) -> str | None:
    """The compression a file's first bytes say: ``gzip``, ``bzip2``, ``xz``, or None.

    >>> _compression(gzip.compress(b"a")), _compression(bz2.compress(b"a")), _compression(lzma.compress(b"a"))
    ('gzip', 'bzip2', 'xz')
    >>> _compression(b"id,total")
    """
    for magic, kind in ((_GZIP_MAGIC, "gzip"), (_BZIP2_MAGIC, "bzip2"), (_XZ_MAGIC, "xz")):
        if head.startswith(magic):
            return kind
    return None


#: What a file's text is once its compression is undone, as an error says it.
_UNPACKED = {"gzip": "gunzipped", "bzip2": "bunzipped", "xz": "unxzipped"}
_OPENERS: dict[str, Callable[..., io.BufferedIOBase]] = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
#: What reading a damaged or broken-off compressed stream raises (gzip's, zlib's, bzip2's, xz's).
DECOMPRESSION_ERRORS: tuple[type[Exception], ...] = (EOFError, OSError, zlib.error, lzma.LZMAError)


def compression_of(handle: IO[bytes]) -> str | None:
    """The compression a file's first bytes say (``gzip``, ``bzip2``, ``xz``, or None), ``handle`` left at its start.

    >>> compression_of(io.BytesIO(bz2.compress(b"{}"))), compression_of(io.BytesIO(b"{}"))
    ('bzip2', None)
    """
    head = handle.read(6)
    handle.seek(0)
    return _compression(head)


def decompressed(handle: IO[bytes], compression: str) -> IO[bytes]:
    """``handle``'s bytes once their compression (:func:`compression_of`) is undone, read as they are needed.

    Every stream of a file of several is read in turn, as :func:`read_text` reads them; a damaged
    stream raises one of :data:`DECOMPRESSION_ERRORS` where it breaks.

    >>> decompressed(io.BytesIO(lzma.compress(b"1\\n") + lzma.compress(b"2\\n")), "xz").read()
    b'1\\n2\\n'
    """
    return cast(IO[bytes], _OPENERS[compression](handle, "rb"))  # a GzipFile, BZ2File or LZMAFile


def _decompress(name: str, data: bytes, compression: str) -> bytes:
    """The bytes of a compressed file: every one of its streams, in turn (``cat a.gz b.gz > c.gz`` holds two).

    Log rotation and exporters that append write a file of several streams; each decompressor
    stops at the end of its stream, so the rest (``unused_data``) is read by a new one until
    none is left.  Zero bytes after a stream (padding some tape and block tools add) end the file.
    A stream broken off or damaged is refused at the line it reached.

    >>> _decompress("c.gz", gzip.compress(b"a,b\\n1,2\\n") + gzip.compress(b"3,4\\n"), "gzip")
    b'a,b\\n1,2\\n3,4\\n'
    >>> _decompress("c.xz", lzma.compress(b"1\\n") + lzma.compress(b"2\\n"), "xz")
    b'1\\n2\\n'
    """
    out = io.BytesIO()
    rest = data
    try:
        while rest:
            stream = _decompressor(compression)
            out.write(stream.decompress(rest))
            if not stream.eof:
                raise EOFError("compressed file ended before the end-of-stream marker was reached")
            rest = stream.unused_data.lstrip(b"\x00")
    except (zlib.error, EOFError, OSError, lzma.LZMAError) as error:
        line = out.getvalue().count(b"\n") + 1
        raise DataFileError(name, line, "", f"unreadable: damaged {compression} stream: {error}") from None
    return out.getvalue()


def _decompressor(compression: str) -> zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor:
    """A decompressor of one stream of ``compression``."""
    if compression == "gzip":
        return zlib.decompressobj(wbits=31)
    return bz2.BZ2Decompressor() if compression == "bzip2" else lzma.LZMADecompressor()


def normalise(name: str) -> str:
    """A column name compared loosely: case and accents folded, without spaces, underscores, dashes or apostrophes.

    European shops' exports name their columns in their own language (``Quantité``, ``Data zamówienia``,
    ``Date d'achat``, ``Straße``): their accents are folded as their case is, letters of other scripts kept.

    >>> normalise(" Customer ID"), normalise("CustomerID"), normalise("customer_id")
    ('customerid', 'customerid', 'customerid')
    >>> normalise("Quantité"), normalise("Data zamówienia"), normalise("Date d’achat"), normalise("N° de commande")
    ('quantite', 'datazamowienia', 'datedachat', 'nodecommande')
    """
    if name.isascii():  # most names, and every row's first cell (read_csv looks for the header repeated): fast
        return name.lower().translate(_LOOSE)
    folded = unicodedata.normalize("NFKD", name.casefold().translate(_LETTERS))
    return "".join(char for char in folded if not unicodedata.combining(char)).translate(_LOOSE)


# What :func:`normalise` leaves out: spaces, underscores, dashes, apostrophes and a byte-order mark.
_LOOSE = str.maketrans("", "", " _-'\u2019\ufeff")
# Letters no decomposition takes an accent from (Polish ł, Danish ø), and the degree sign written for º (N° de commande).
_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "°": "o"})


def bare(name: str) -> str:
    """A column's name compared loosely (:func:`normalise`), without a bracketed part (a currency: ``Total (USD)``).

    >>> bare("Total (USD)"), bare("Amount [EUR]")
    ('total', 'amount')
    """
    return normalise(re.sub(r"[(\[].*?[)\]]", "", name))


@dataclasses.dataclass(frozen=True)
class CsvTable:
    """A CSV file's header and data rows, with the line each row starts on.

    When read with ``columns``, each row holds only those columns' values, in the order of
    ``columns``, and :attr:`names` maps each key to the header's name for it.
    """

    path: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    names: dict[str, str] = dataclasses.field(default_factory=dict)
    #: The character between fields (a ``;`` file usually writes a decimal comma).
    delimiter: str = ","
    #: A workbook's sheets read: (the number of each one's first row, its name); none for a CSV file.
    sheets: tuple[tuple[int, str], ...] = ()
    #: The file has no header line (its first line is data, :func:`is_data_line`): :attr:`header`
    #: holds the columns' numbers, ``"1"`` for the first.
    headerless: bool = False
    #: The line of the header: after a report's title and notes (:func:`header_row`), not the first.
    header_line: int = 1
    #: Lines after the last row with fewer fields than the header, skipped: a report's closing notes.
    notes_below: int = 0

    def position(self, key: str) -> int:
        """Where the column read for ``key`` sits in each row."""
        return list(self.names).index(key)

    def locate(self, line: int) -> tuple[str, int]:
        """(file, line) to name in an error about row ``line``: in a workbook, the sheet and its row."""
        return locate(self.path, self.sheets, line) if self.sheets else (self.path, line)


def is_data_line(cells: Sequence[str]) -> bool:
    """Whether a file's first line is data, not a header: a header names its columns, it holds no numbers or dates.

    Some logs are kept without a header (Taobao's user behaviour file, YooChoose's clicks):
    their columns are named by their numbers, 1 for the first.

    >>> is_data_line(["1", "2268318", "pv", "1511544070"]), is_data_line(["user_id", "item_id", "behavior"])
    (True, False)
    >>> is_data_line(["abc", "2014-04-07T10:51:09.277Z"]), is_data_line(["Total (2024)", "Q1"])
    (True, False)
    """
    return any(_DATA_CELL.match(cell.strip()) for cell in cells)


_DATA_CELL = re.compile(r"[-+]?[\d.,]*\d$|\d{4}-\d\d-\d\d")


def header_row(rows: Sequence[Sequence[str]]) -> int | None:
    """Which of a file's first rows is its header: the first that is not blank, or the one below a report's preamble.

    Reports and spreadsheets saved as CSV may open with a title, a date range or notes, and blank
    lines, before the header.  Such a preamble line names less than half of the columns the header
    names (its delimiters padded or not); the header is the first line at least as wide as most
    lines around it (trailing empty fields left out) that fills more than half of that width.  A
    first line that is data (:func:`is_data_line`) is kept, so a file without a header loses no line.
    ``None`` when every row is blank.

    >>> header_row([["id", "total"], ["7", "1.5"]]), header_row([[], ["Orders report", ""], ["Period: 2024", ""],
    ...            ["id", "total"], ["7", "1.5"], ["8", "2"]])
    (0, 3)
    >>> header_row([["Sales by customer"], ["id", "day", "total"], ["7", "2024-01-02", ""]]), header_row([[""]])
    (1, None)
    """
    filled = [(i, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not filled:
        return None
    widths = [len(_trimmed(row)) for _, row in filled]
    common = max(set(widths), key=lambda width: (widths.count(width), width))
    for (at, row), width in zip(filled, widths, strict=True):
        named = sum(1 for cell in row if cell.strip())
        if width >= common and named * 2 > common:
            break
    else:
        return filled[0][0]
    preamble = [row for i, row in filled if i < at]
    if is_data_line(row) or any(sum(1 for cell in line if cell.strip()) * 2 > named for line in preamble):
        return filled[0][0]
    return at


def _trimmed(row: Sequence[str]) -> list[str]:
    """``row`` without its trailing empty fields.

    >>> _trimmed(["a", " ", "b", "", " "])
    ['a', ' ', 'b']
    """
    end = len(row)
    while end and not row[end - 1].strip():
        end -= 1
    return list(row[:end])


def text_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, split as a file opened with ``newline=""`` splits them, one at a time.

    What :class:`csv.reader` is given: ``io.StringIO(text)`` would hold a copy of the whole text
    at four bytes a character (a 600 MB export took 2.4 GB more); these are made one at a time.

    >>> list(text_lines('a,b\\r\\n"x\\ny",2\\rlast'))
    ['a,b\\r\\n', '"x\\n', 'y",2\\r', 'last']
    >>> list(text_lines("")), list(text_lines("\\x0cform feed\\n"))
    ([], ['\\x0cform feed\\n'])
    """
    return (match.group() for match in _LINE.finditer(text))


# A line and its end (\r\n, \r or \n; none for the last), as io's newline="" reads lines.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _delimiter(text: str) -> str:
    """The delimiter of a CSV text: the one its ``sep=`` line names, else the most frequent of ``, ; tab |``
    in its first line that holds any, else spaces where a line holds several words (a table written with
    runs of spaces between its columns, as R's ``write.table`` and fixed-width ``.txt`` files are).

    >>> _delimiter("id;total;note\\n7;1,5;a, b\\n"), _delimiter("\\nSales report\\n\\nid\\ttotal\\n7\\t1.5\\n")
    (';', '\\t')
    >>> _delimiter("sep=;\\nid;total\\n7;1,5\\n"), _delimiter(" id  day total\\n 7 19970101  1.5\\n"), _delimiter("id\\n7\\n")
    (';', ' ', ',')
    """
    hint = _SEPARATOR_LINE.match(text)
    if hint is not None:
        return hint.group(1)
    lines = text.split("\n", _LOOKAHEAD)[:_LOOKAHEAD]
    for line in lines:
        if any(delimiter in line for delimiter in _DELIMITERS):
            return max(_DELIMITERS, key=line.count)
    return " " if any(len(line.split()) > 1 for line in lines) else ","


def _reader(lines: Iterable[str], delimiter: str) -> _csv.Reader:
    """The fields of CSV ``lines``; with spaces as the delimiter, a run of them is one, and a line's leading ones none.

    >>> list(_reader([" 00001 19970101  1   11.77\\n", '"a b"  2\\n'], " ")), list(_reader(["a,,b\\n"], ","))
    ([['00001', '19970101', '1', '11.77'], ['a b', '2']], [['a', '', 'b']])
    """
    if delimiter != " ":
        return csv.reader(lines, delimiter=delimiter)
    return csv.reader((line.lstrip(" ") for line in lines), delimiter=" ", skipinitialspace=True)


def no_header(table: CsvTable, usage: str) -> DataFileError:
    """The error for a file without a header read without a mapping: its columns are named by number.

    >>> str(no_header(CsvTable("u.csv", ["1", "2"], [(1, ["7", "pv"])], headerless=True), "customer=…,event=…"))
    "u.csv, line 1: no header line, the first line is data: give --columns with the columns' numbers, 1 for the first (customer=…,event=…); the first line: '7,pv'"
    """
    first = table.delimiter.join(table.rows[0][1]) if table.rows else ""
    return DataFileError(table.path, 1, "", f"no header line, the first line is data: give --columns with the "
                         f"columns' numbers, 1 for the first ({usage}); the first line: {first[:80]!r}")


def _column(path: str, header: Sequence[str], names: Sequence[str], line: int = 1) -> int:
    """Index of the first of ``names`` found in the header (compared by :func:`normalise`), else a column number.

    A name no header has that is a number (``3``) is that column, counted from 1: the way to
    name the columns of a file without a header, and allowed in any file.
    """
    found = [normalise(h) for h in header]
    for name in names:
        if normalise(name) in found:
            return found.index(normalise(name))
    for name in names:
        if name.strip().isdigit() and 1 <= int(name) <= len(header):
            return int(name) - 1
    alternatives = " or ".join(repr(n) for n in names)
    raise DataFileError(
        path, line, names[0], "missing column",
        expected=f"a header with {alternatives}", found=",".join(header),
    )


def read_csv(
    path: str | Path, columns: Mapping[str, Sequence[str]] | None = None,
    *, check: Callable[[list[str]], object] | None = None,
) -> CsvTable:
    """Read a CSV file (see :func:`read_text`); the delimiter is the header's most frequent of ``, ; tab |``.

    The header is the first line, or the first below a report's title and notes (:func:`header_row`).
    Blank lines, lines of empty fields only, and the header repeated (exports pasted together) are
    skipped; a delimiter ending a line is no field; lines of fewer fields than the header after the
    last row are a report's closing notes, skipped and counted (:attr:`CsvTable.notes_below`).
    With ``columns`` (``{key: names}``), each key's column is the
    first of its names in the header (compared by :func:`normalise`), and rows keep only
    those columns, in the order of ``columns``.  ``check`` is called with a text file's header
    (not a first line that is data) before its lines are read; the ``ValueError`` it raises is
    refused at line 1: a file that is no table of the kind wanted (a README) is refused for its
    first line, not for the number of fields of a later one.

    Raises
    ------
    DataFileError
        If the file is empty or unreadable, a column of ``columns`` is missing (line 1, naming
        its first name), ``check`` refuses the header, or a row has another number of fields than
        the header.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "x.csv")
    ...     with open(path, "w") as f:
    ...         _ = f.write('id;amount\\n7;"1,5"\\n\\n8;2\\n')
    ...     table = read_csv(path)
    ...     picked = read_csv(path, {"amount": ("Amount", "Total")})
    >>> table.header, table.rows
    (['id', 'amount'], [(2, ['7', '1,5']), (4, ['8', '2'])])
    >>> picked.rows, picked.names
    ([(2, ['1,5']), (4, ['2'])], {'amount': 'amount'})

    """
    name = str(path)
    if is_workbook(path):
        return _workbook(path, columns)
    if is_parquet(path):
        return _parquet(path, columns)
    text = read_text(path)
    delimiter = _delimiter(text)
    text = _SEPARATOR_LINE.sub("", text, count=1)  # Excel's "sep=;" line, left blank: lines keep their numbers
    csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))  # a long description is a field, not an error
    reader = _reader(text_lines(text), delimiter)

    def numbered() -> Iterator[tuple[int, list[str]]]:
        line = 0
        for values in reader:
            yield line + 1, values
            line = reader.line_num

    records = numbered()
    try:
        ahead = list(itertools.islice(records, _LOOKAHEAD))
        at = header_row([values for _, values in ahead])
        if at is None:
            raise DataFileError(name, 1, "", "empty file", expected="a header line", found=text.split("\n", 1)[0])
        header_line, header = ahead[at]
        header = [h.strip().lstrip("\ufeff") for h in header]
        headerless = is_data_line(header)
        if not headerless:
            header = _trimmed(header)  # a delimiter at the end of the header names no column
        width = len(header)
        if check is not None and not headerless:
            _check_header(name, check, header_line, header, ahead)
        first = header
        if headerless:
            header = [str(n) for n in range(1, width + 1)]
        picks = [_column(name, header, names, header_line) for names in (columns or {}).values()]
        names = {key: header[i] for key, i in zip(columns or {}, picks, strict=True)}
        rows: list[tuple[int, list[str]]] = []
        shared = _SharedCells(len(picks) if picks else width)
        if headerless:
            rows.append((header_line, [first[i] for i in picks] if picks else first))
        plain_header = [normalise(h) for h in first]
        # Lines of fewer fields after the last row are a report's closing notes ("12 record(s) downloaded");
        # one among the rows is refused, as is a file whose lines are all short.
        short: list[tuple[int, int]] = []
        for begins, values in itertools.chain(ahead[at + 1:], records):
            if not any(value.strip() for value in values):  # a blank line, or one of empty fields (",,,,")
                continue
            if len(values) > width and not any(value.strip() for value in values[width:]):
                values = values[:width]  # a delimiter at the end of the line: no field
            if (len(values) == width and not headerless and normalise(values[0]) == plain_header[0]
                    and [normalise(v) for v in values] == plain_header):
                continue  # the header again: exports concatenated (its first cell tells, cheaply, which to compare)
            if len(values) < width and not headerless:
                short.append((begins, len(values)))
                continue
            if short or len(values) != width:
                begins, found = short[0] if short else (begins, len(values))
                raise DataFileError(
                    name, begins, header[min(found, width - 1)], "wrong number of fields",
                    expected=f"{width} fields", found=found,
                )
            rows.append((begins, shared([values[i] for i in picks] if picks else values)))
        if short and not rows:
            begins, found = short[0]
            raise DataFileError(name, begins, header[min(found, width - 1)], "wrong number of fields",
                                expected=f"{width} fields", found=found)
    except csv.Error as error:
        raise DataFileError(name, reader.line_num, "", f"unreadable: {error}") from None
    return CsvTable(path=name, header=header, rows=rows, names=names, delimiter=delimiter, headerless=headerless,
                    header_line=header_line, notes_below=len(short))



class _SharedCells:
    """A row's cells as one string object per distinct value of their column, in the columns that repeat values.

    A big export repeats most of its cells (an invoice's number, date and customer on each of its
    lines, a visitor's session, an event's name): held once each, a million-line log's rows take
    a third of the memory.  A column whose values are mostly new (an id per line, a description)
    is no longer looked up once :data:`_SHARING_TRIAL` rows have shown it.

    >>> shared = _SharedCells(2)
    >>> a, b = shared(["1001", "x" * 3]), shared(["1001".strip(), "".join(["x"] * 3)])
    >>> a == b, a[1] is b[1]
    (True, True)
    """

    def __init__(self, width: int) -> None:
        self._seen: list[dict[str, str] | None] = [{} for _ in range(width)]
        self._rows = 0

    def __call__(self, row: list[str]) -> list[str]:
        self._rows += 1
        if self._rows == _SHARING_TRIAL:
            self._seen = [seen if seen is not None and len(seen) * 2 <= _SHARING_TRIAL else None
                          for seen in self._seen]
        return [value if seen is None else seen.setdefault(value, value) for seen, value in zip(self._seen, row)]


#: Rows read before the columns whose values are mostly distinct stop being shared (:class:`_SharedCells`).
_SHARING_TRIAL = 10_000


def _check_header(name: str, check: Callable[[list[str]], object], line: int, header: list[str],
                  ahead: Sequence[tuple[int, list[str]]]) -> None:
    """Refuse, with ``check``'s words, a header that is none: the first line's when the header was sought below it.

    A preamble is skipped only for a header that names the columns wanted: a README's prose
    refused is refused for its first line, as a file that is no table of the kind wanted.
    """
    try:
        check(header)
    except ValueError as error:
        top, first = next((begins, values) for begins, values in ahead if any(value.strip() for value in values))
        if top != line:
            try:
                check([value.strip() for value in first])
            except ValueError as at_top:
                raise DataFileError(name, top, "", str(at_top)) from None
        raise DataFileError(name, line, "", str(error)) from None


def select(table: CsvTable, columns: Mapping[str, Sequence[str]], *, release: bool = False) -> CsvTable:
    """``table`` as :func:`read_csv` reads it with ``columns``: each row only those columns, in that order.

    With ``release``, each of ``table``'s rows is replaced, in its own list, by its selected values as they are
    taken, so that a big log read whole is never held twice (its whole rows and the selected ones, a third of the
    memory of reading it): ``table`` is not to be read after.

    >>> t = CsvTable("x.csv", ["id", "Total"], [(2, ["7", "1.5"])])
    >>> select(t, {"amount": ("amount", "total")}).rows
    [(2, ['1.5'])]
    >>> select(t, {"id": ("id",)}, release=True).rows, t.rows
    ([(2, ['7'])], [(2, ['7'])])
    """
    picks = [_column(table.path, table.header, names, table.header_line) for names in columns.values()]
    names = {key: table.header[i] for key, i in zip(columns, picks, strict=True)}
    if not release:
        return dataclasses.replace(table, rows=[(line, [values[i] for i in picks]) for line, values in table.rows],
                                   names=names)
    rows = table.rows
    for at, (line, values) in enumerate(rows):
        rows[at] = (line, [values[i] for i in picks])
    return dataclasses.replace(table, rows=rows, names=names)


def _parquet(path: str | Path, columns: Mapping[str, Sequence[str]] | None) -> CsvTable:
    """A Parquet file as a table (see :mod:`models.columnar`)."""
    header, rows = read_parquet(path)
    table = CsvTable(path=str(path), header=header, rows=rows)
    return select(table, columns) if columns else table


def _workbook(path: str | Path, columns: Mapping[str, Sequence[str]] | None) -> CsvTable:
    """A workbook's sheets with the first sheet's header, as one table (see :mod:`models.workbooks`)."""
    name = str(path)
    header, header_line, sheets, rows = read_sheets(
        path, lambda later, first: [normalise(h) for h in later] == [normalise(h) for h in first], header_row,
        _LOOKAHEAD)
    picks = [_column(name, header, names, header_line) for names in (columns or {}).values()]
    names = {key: header[i] for key, i in zip(columns or {}, picks, strict=True)}
    if picks:
        rows = [(line, [values[i] for i in picks]) for line, values in rows]
    return CsvTable(path=name, header=header, rows=rows, names=names, sheets=tuple(sheets), header_line=header_line)
