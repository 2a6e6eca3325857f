"""The JSON records of an export file, one per event: JSON Lines, one JSON array or one JSON document, plain, gzip,
bzip2, xz or zipped.

Exports come in more wrappers than JSON Lines.  Many tools download one JSON array
(``[{…}, {…}]``, often an object a line with a comma after each); an API's page saved whole
(``curl > page.json``, ``jq .``) is one object over several lines holding the events in its one list of
objects (``{"data": [...], "links": {...}}``: :func:`_document_records`); Amplitude's export is a zip
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
import itertools
import json
import re
import zipfile
from array import array
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
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
    held: list[bytes] | None = []  # the lines read while it is not known whether they are JSON Lines
    try:
        for number, line in enumerate(handle, before + 1):
            if held is None:
                yield from _line(number, line, before)
                continue
            held.append(line)
            filled = [kept.strip() for kept in held if kept.strip()]
            if len(filled) < 2:
                continue
            if _one_document(filled):
                # One JSON document over several lines (pretty-printed: an API's page saved whole), not JSON Lines.
                whole = b"".join(held) + handle.read()
                return (yield from _text_records(decode_text(whole), before, where))
            for number, line in enumerate(held, before + 1):
                yield from _line(number, line, before)
            held = None
        for number, line in enumerate(held or (), before + 1):
            yield from _line(number, line, before)
    except _DAMAGED as exc:
        for number, line in enumerate(held or (), before + 1):
            yield from _line(number, line, before)
        number += 1
        yield number, _damaged(where, compression, exc)
    return number


def _line(number: int, line: bytes, before: int) -> Iterator[tuple[int, bytes]]:
    """A JSON Lines line as it is but for its ends (and the file's byte-order mark), unless blank."""
    line = line.strip()
    if number == before + 1:
        line = line.removeprefix(codecs.BOM_UTF8)
    if line:
        yield number, line


def _one_document(filled: Sequence[bytes | str]) -> bool:
    """Whether a file's first two lines that are not blank open one JSON document over several lines.

    JSON Lines hold a value a line; a document pretty-printed (``jq .``, ``json.dumps(indent=2)``) opens
    with ``{`` and holds no whole value on either of its first two lines. A line of JSON Lines broken off
    is one bad line: the next line is whole, and the file is still read a line at a time.

    >>> _one_document([b'{', b'  "data": [']), _one_document([b'{"a": 1}', b'{"a": 2}']), _one_document(['{"a', '{}'])
    (True, False, False)
    """
    if len(filled) < 2:
        return False
    first = filled[0].removeprefix(codecs.BOM_UTF8) if isinstance(filled[0], bytes) else filled[0].lstrip("\ufeff")
    return first[:1] in (b"{", "{") and not any(_whole_value(line) for line in (first, filled[1]))


def _whole_value(line: bytes | str) -> bool:
    try:
        json.loads(line)
    except UnicodeDecodeError:
        return isinstance(line, bytes) and _whole_value(line.decode("latin-1"))
    except ValueError:
        return False
    except RecursionError:
        return True  # a whole value nested too deep: its line's reader says so
    return True


def _damaged(where: str, compression: str, exc: BaseException) -> Problem:
    stream = "file" if compression == "plain" else f"{compression} stream"
    return Problem("malformed_json", f"{where}the {stream} is damaged here ({exc}); the rest of the file is not read")


def _text_records(text: str, before: int, where: str) -> Generator[tuple[int, bytes | Problem], None, int]:
    """A whole file's records: one JSON array, one JSON document over several lines (:func:`_document_records`),
    else JSON Lines (UTF-16 text may be any of them)."""
    # Held as machine integers: a pretty-printed document has a line per field, millions in a big one.
    newlines = array("q", (match.start() for match in re.finditer("\n", text)))
    last = before + len(newlines) + (0 if text.endswith("\n") else 1)

    def line_of(at: int) -> int:
        return before + bisect.bisect_left(newlines, at) + 1

    start = _skip(text, 0)
    if text[start : start + 1] == "[":
        for at, item in _items(text, start):
            if isinstance(item, Problem):
                yield line_of(at), Problem(item.reason, f"{where}{item.detail}")
            elif item != _CLOSED:
                yield line_of(at), text[at:item].encode()
        after = _skip(text, at + 1) if item == _CLOSED else len(text)
        if after < len(text):
            more = text[after:].strip()[:40]
            yield line_of(after), Problem("malformed_json", f"{where}more after the JSON array's closing ]: {more!r}")
    elif _one_document([match.group().strip() for match in itertools.islice(_FILLED.finditer(text), 2)]):
        yield from _document_records(text, start, line_of, where)
    else:
        # Split on line feeds only: a JSON string may hold U+2028 or a form feed, which splitlines splits on.
        for number, line in enumerate(text.split("\n"), before + 1):
            if line.strip():
                yield number, line.strip().encode()
    return last


#: A line that is not blank.
_FILLED = re.compile(r"[^\n]*\S[^\n]*")
#: What :func:`_items` gives for the list's closing ``]``.
_CLOSED = -1


def _items(text: str, at: int, what: str = "array") -> Iterator[tuple[int, int | Problem]]:
    """Where each value of the JSON list opening at ``at`` (its ``[``) starts and ends, one after the other (one
    array of a million events is read so: none is held once read); then where the list closes (its ``]``, the end
    :data:`_CLOSED`), else where and why it breaks off (the rest of the ``what`` is not read)."""
    decoder = json.JSONDecoder()
    at = _skip(text, at + 1)
    while text[at : at + 1] != "]":
        if at >= len(text):
            yield at, _ends_inside(what)
            return
        try:
            _, end = decoder.raw_decode(text, at)
        except (ValueError, RecursionError) as exc:
            yield at, Problem("malformed_json", f"not JSON: {exc}; the rest of the {what} is not read"[:300])
            return
        yield at, end
        at = _skip(text, end)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
        elif at >= len(text):
            yield at, _ends_inside(what)
            return
        elif text[at : at + 1] != "]":
            yield at, Problem("malformed_json", f"expected , or ] after a record of the {what}, found "
                              f"{text[at : at + 20]!r}; the rest of the {what} is not read")
            return
    yield at, _CLOSED


def _ends_inside(what: str) -> Problem:
    if what == "array":
        return Problem("malformed_json", "the file ends before the JSON array's closing ]")
    return Problem("malformed_json", f"the file ends before a list's closing ]; the rest of the {what} is not read")


@dataclass
class _Document:
    """What is read of a JSON object over several lines: its members, the lists of objects among them."""

    #: Each member read: from its name to its value's end.
    members: list[tuple[int, int]] = field(default_factory=list)
    #: Each list of objects by its member's place: its objects' starts and ends, one after the other.
    lists: dict[int, array[int]] = field(default_factory=dict)
    #: Past its closing ``}``, else where and why it breaks off.
    end: int | tuple[int, Problem] = 0


def _object(text: str, at: int) -> _Document:
    """The members of the JSON object opening at ``at``, a list's values read one by one (:func:`_items`)."""
    decoder = json.JSONDecoder()
    found = _Document()
    at = _skip(text, at + 1)
    while text[at : at + 1] != "}":
        try:
            if text[at : at + 1] != '"':
                raise ValueError(f"expected a member's name or }}, found {text[at : at + 20]!r}")
            _, named = decoder.raw_decode(text, at)
            colon = _skip(text, named)
            if text[colon : colon + 1] != ":":
                raise ValueError(f"expected : after a member's name, found {text[colon : colon + 20]!r}")
            value = _skip(text, colon + 1)
            if text[value : value + 1] != "[":
                _, end = decoder.raw_decode(text, value)
        except (ValueError, RecursionError) as exc:
            found.end = (at, Problem("malformed_json", f"not JSON: {exc}; the rest of the document is not read"[:300]))
            return found
        if text[value : value + 1] == "[":
            spans: array[int] | None = array("q")
            for start, item in _items(text, value, "document"):
                if isinstance(item, Problem):
                    found.end = (start, item)
                elif item == _CLOSED:
                    end = start + 1
                elif spans is not None and text[start] == "{":
                    spans.extend((start, item))
                else:
                    spans = None  # not a list of objects
            if spans is not None:
                found.lists[len(found.members)] = spans
            if not isinstance(found.end, int):
                return found  # the list broken off is no member to give beside the rows, whose ones are kept
        found.members.append((at, end))
        at = _skip(text, end)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
        elif text[at : at + 1] != "}":
            found.end = (at, Problem("malformed_json", f"expected , or }} after a member of the document, found "
                                                       f"{text[at : at + 20]!r}; the rest of the document is not read"))
            return found
    found.end = at + 1
    return found


def _document_records(text: str, start: int, line_of: Callable[[int], int], where: str) -> Records:
    """The records of JSON text over several lines that opens with ``{``: one object, else one value after another.

    One object (an API's page saved whole: ``{"data": [...], "links": {...}}``, ``{"results": [...], "next": …}``)
    is its one list of objects, each object a record with the object's other members beside it (its own first, as
    a message's ``context`` beside a batch's), at the line it starts on; one with several lists of objects or
    none (a JSON:API page with its ``included`` resources) is one record, as it would be on a line of its own.
    Several values one after the other (``jq .`` of JSON Lines) are a record each.
    """
    document = _object(text, start)
    if isinstance(document.end, int) and _skip(text, document.end) < len(text):
        decoder, at = json.JSONDecoder(), start
        while at < len(text):
            try:
                _, end = decoder.raw_decode(text, at)
            except (ValueError, RecursionError) as exc:
                yield line_of(at), Problem("malformed_json",
                                           f"{where}not JSON: {exc}; the rest of the file is not read"[:300])
                return
            yield line_of(at), text[at:end].encode()
            at = _skip(text, end)
        return
    if len(document.lists) == 1:
        [(place, spans)] = document.lists.items()
        beside = ", ".join(text[begin:end] for n, (begin, end) in enumerate(document.members) if n != place)
        for n in range(0, len(spans), 2):
            begin, end = spans[n], spans[n + 1]
            own = text[begin + 1 : end - 1].strip()
            record = f"{{{beside}, {own}}}" if beside and own else f"{{{beside}}}" if beside else text[begin:end]
            yield line_of(begin), record.encode()
    elif isinstance(document.end, int):
        yield line_of(start), text[start : document.end].encode()
    if not isinstance(document.end, int):
        at, problem = document.end
        yield line_of(at), Problem(problem.reason, f"{where}{problem.detail}")


def _skip(text: str, at: int) -> int:
    """The first position from ``at`` that is not white space."""
    while at < len(text) and text[at] in " \t\r\n\ufeff":
        at += 1
    return at
