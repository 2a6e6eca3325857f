"""The JSON records of an export file, one per event: JSON Lines or one JSON array, plain, gzip, bzip2, xz or zipped.

Exports come in more wrappers than JSON Lines.  Many tools download one JSON array
(``[{…}, {…}]``, often an object a line with a comma after each); Amplitude's export is a zip
of gzipped JSON Lines files, one an hour; a file saved on Windows may start with a byte-order
mark or be UTF-16 (PowerShell's ``>``).  :func:`json_records` reads any of these as one file's
records, each the bytes of one JSON value (a JSON Lines line as it is, so a digest of it stays
the same), numbered by the line it starts on; a zip's members are read in the archive's order,
their lines counted on from one member to the next, as if they were one file.  What cannot be
read is a :class:`~streams.core.problems.Problem` at its line: a damaged compressed stream, an array
broken off (the rest of that file is not read, what came before is kept).  A compressed file (or
member) is read through :func:`models.textfiles.decompressed`, as purchase logs are: every stream of
a file of several (``cat a.gz b.gz``, as log rotation writes them) in turn.
"""

from __future__ import annotations

import bisect
import codecs
import json
import re
import zipfile
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import IO

from models.errors import DataFileError
from models.textfiles import DECOMPRESSION_ERRORS, archive_files, compression_of, decode_text, decompressed
from streams.core.problems import Problem

#: (line, a record's JSON bytes, or the problem there), in file order.
Records = Generator[tuple[int, bytes | Problem], None, None]

#: A zip archive's first bytes: its first member's header, or the end of an empty one.
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: What a stream that breaks off while read raises: a compressed stream's, a zip member's CRC.
_DAMAGED = (*DECOMPRESSION_ERRORS, zipfile.BadZipFile)


def json_records(path: str | Path) -> Records:
    """(line, a record's JSON bytes, or the problem there) for every record of the file, in file order.

    Raises :class:`OSError` when the file cannot be opened, :class:`DataFileError` for a zip
    archive that cannot be read at all.

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "export.json")
    ...     with open(path, "w") as f:
    ...         _ = f.write('[\\n  {"event": "a"},\\n  {"event": "b"},\\n]\\n')
    ...     list(json_records(path))
    [(2, b'{"event": "a"}'), (3, b'{"event": "b"}')]
    """
    with open(path, "rb") as raw:
        zipped = raw.read(4) in _ZIP_MAGICS
        if not zipped:
            raw.seek(0)
            yield from _stream(raw, 0, "")
            return
    yield from _members(path)


def holds_json_objects(path: str | Path) -> bool:
    """Whether the file's first record (in any wrapper :func:`json_records` reads) is a JSON object."""
    try:
        with closing(json_records(path)) as records:
            first = next(records, None)
    except (OSError, DataFileError):
        return False  # the reader it is left to names what is wrong with it
    return first is not None and not isinstance(first[1], Problem) and first[1][:1] == b"{"


def _members(path: str | Path) -> Records:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise DataFileError(str(path), 0, "", f"an unreadable zip archive: {exc}") from None
    lines = 0
    with archive:
        for member in archive_files(archive):  # no folders, no macOS notes (__MACOSX/, ._name)
            try:
                stream = archive.open(member)
            except (RuntimeError, NotImplementedError, *_DAMAGED) as exc:  # encrypted, or an unknown compression
                yield lines + 1, Problem("malformed_json", f"{member.filename}: cannot be read ({exc}); skipped")
                continue
            with stream:
                lines = yield from _stream(stream, lines, f"{member.filename}: ")
    if not lines:
        raise DataFileError(str(path), 0, "", "a zip archive without any file in it")


def _stream(handle: IO[bytes], before: int, where: str) -> Generator[tuple[int, bytes | Problem], None, int]:
    """The records of one file (``before``: lines read before it; ``where``: a zip member's name, for problems).

    Returns the number of lines read, ``before`` included.
    """
    compression = compression_of(handle) or "plain"
    if compression != "plain":
        handle = decompressed(handle, compression)
    try:
        head = handle.peek(64)[:64]  # type: ignore[attr-defined]
    except _DAMAGED as exc:
        yield before + 1, _damaged(where, compression, exc)
        return before + 1
    if head.startswith(_UTF16_BOMS) or head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"[":
        try:
            whole = handle.read()
        except _DAMAGED as exc:
            yield before + 1, _damaged(where, compression, exc)
            return before + 1
        return (yield from _text_records(decode_text(whole), before, where))
    number = before
    try:
        for number, line in enumerate(handle, before + 1):
            line = line.strip()
            if number == before + 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if line:
                yield number, line
    except _DAMAGED as exc:
        number += 1
        yield number, _damaged(where, compression, exc)
    return number


def _damaged(where: str, compression: str, exc: BaseException) -> Problem:
    stream = "file" if compression == "plain" else f"{compression} stream"
    return Problem("malformed_json", f"{where}the {stream} is damaged here ({exc}); the rest of the file is not read")


def _text_records(text: str, before: int, where: str) -> Generator[tuple[int, bytes | Problem], None, int]:
    """A whole file's records: one JSON array, else JSON Lines (UTF-16 text may be either)."""
    newlines = [match.start() for match in re.finditer("\n", text)]
    last = before + len(newlines) + (0 if text.endswith("\n") else 1)
    start = _skip(text, 0)
    if text[start : start + 1] != "[":
        # Split on line feeds only: a JSON string may hold U+2028 or a form feed, which splitlines splits on.
        for number, line in enumerate(text.split("\n"), before + 1):
            if line.strip():
                yield number, line.strip().encode()
        return last

    def line_of(at: int) -> int:
        return before + bisect.bisect_left(newlines, at) + 1

    decoder = json.JSONDecoder()
    at = _skip(text, start + 1)
    while text[at : at + 1] != "]":
        if at >= len(text):
            yield line_of(at), Problem("malformed_json", f"{where}the file ends before the JSON array's closing ]")
            return last
        try:
            _, end = decoder.raw_decode(text, at)
        except (ValueError, RecursionError) as exc:
            yield line_of(at), Problem("malformed_json", f"{where}not JSON: {exc}; the rest of the array is not read"[:300])
            return last
        yield line_of(at), text[at:end].encode()
        at = _skip(text, end)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
        elif at >= len(text):
            yield line_of(at), Problem("malformed_json", f"{where}the file ends before the JSON array's closing ]")
            return last
        elif text[at : at + 1] != "]":
            yield line_of(at), Problem("malformed_json", f"{where}expected , or ] after a record of the array, found "
                                       f"{text[at : at + 20]!r}; the rest of the array is not read")
            return last
    if text[at + 1 :].strip():
        yield line_of(at + 1 + len(text[at + 1 :]) - len(text[at + 1 :].lstrip())), Problem(
            "malformed_json", f"{where}more after the JSON array's closing ]: {text[at + 1 :].strip()[:40]!r}")
    return last


def _skip(text: str, at: int) -> int:
    """The first position from ``at`` that is not white space."""
    while at < len(text) and text[at] in " \t\r\n\ufeff":
        at += 1
    return at
