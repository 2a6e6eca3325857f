"""Exports in the wrappers tools write them in (a JSON array, a zip of gzipped files, bzip2 or xz, UTF-16, a byte-order
mark), replayed whole."""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import json
import lzma
import zipfile
from pathlib import Path

import pytest

from models.errors import DataFileError
from streams.core.problems import Problem
from streams.replay.history import read_history
from streams.replay.json_records import json_records
from streams.settings import Settings, intake_of

MESSAGES = [
    {"type": "track", "event": "Product Added", "userId": "u1", "messageId": "m1", "timestamp": "2026-03-02T10:00:00Z",
     "properties": {"product_id": "p1", "price": 5}},
    {"type": "page", "userId": "u1", "messageId": "m2", "timestamp": "2026-03-02T10:01:00Z",
     "properties": {"url": "https://shop.example/cart"}},
    {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": "m3",
     "timestamp": "2026-03-02T10:05:00Z", "properties": {"order_id": "o1", "total": 5}},
]
#: Mixpanel's export as JSON Lines: one object per event, its fields in ``properties``.
MIXPANEL = [
    {"event": "Product Viewed", "properties": {"distinct_id": "u1", "time": 1602342600, "product_id": "p1"}},
    {"event": "Added To Cart", "properties": {"distinct_id": "u1", "time": 1602342660, "product_id": "p1"}},
    {"event": "Purchase", "properties": {"distinct_id": "u1", "time": 1602342700, "revenue": 5, "order_id": "o1"}},
]


def json_lines(objects: list[dict[str, object]]) -> bytes:
    return "".join(json.dumps(o) + "\n" for o in objects).encode()


def replayed(path: Path, fmt: str) -> tuple[list[str], list[tuple[int, str, str]]]:
    parsed, report = read_history(path, fmt, intake_of(Settings()))  # type: ignore[arg-type]
    return [p.event_id for p in parsed], [(bad.line, bad.reason, bad.detail) for bad in report.bad_lines]


@pytest.mark.parametrize("layout", ["one line", "indented, a trailing comma"])
def test_a_json_array_of_messages_is_read_as_its_messages(tmp_path, layout):
    """Many tools download one JSON array rather than JSON Lines: each element is a message, none a bad line."""
    text = json.dumps(MESSAGES) if layout == "one line" else json.dumps(MESSAGES, indent=2)[:-2] + ",\n]\n"
    path = tmp_path / "export.json"
    path.write_text(text)
    assert replayed(path, "segment") == (["m1", "m2", "m3"], [])


def test_a_zip_of_gzipped_json_lines_is_read_member_after_member(tmp_path):
    """Amplitude's export: a zip of gzipped JSON Lines files, a folder of them; lines count on across members."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("123/", b"")
        z.writestr("123/123_2020-10-10_14#0.json.gz", gzip.compress(json_lines(MIXPANEL[:2])))
        z.writestr("123/123_2020-10-10_15#0.json.gz", gzip.compress(json_lines(MIXPANEL[2:])))
    path = tmp_path / "export.zip"
    path.write_bytes(archive.getvalue())
    parsed, report = read_history(path, "clickstream", intake_of(Settings()))
    assert sorted(json.loads(p.value)["type"] for p in parsed) == ["cart_item_added", "order_placed", "product_viewed"]
    assert (report.lines, report.bad) == (3, 0)


def test_a_zip_made_on_a_mac_reads_its_files_and_not_their_resource_notes(tmp_path):
    """macOS's Compress adds __MACOSX/._name notes (binary) beside each file: they are no lines of the export."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export.json", json_lines(MESSAGES))
        z.writestr("__MACOSX/._export.json", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
    path = tmp_path / "export.zip"
    path.write_bytes(archive.getvalue())
    assert replayed(path, "segment") == (["m1", "m2", "m3"], [])


def test_a_damaged_member_of_a_zip_is_a_bad_line_naming_it_and_the_others_are_read(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.json.gz", gzip.compress(json_lines(MESSAGES[:1]))[:-12])
        z.writestr("b.json", json_lines(MESSAGES[1:]))
    path = tmp_path / "export.zip"
    path.write_bytes(archive.getvalue())
    ids, bad = replayed(path, "segment")
    assert ids == ["m2", "m3"]
    [(line, reason, detail)] = bad
    assert (line, reason) == (1, "malformed_json") and detail.startswith("a.json.gz: the gzip stream is damaged")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig"])
@pytest.mark.parametrize("fmt", ["segment", "events"])
def test_utf16_and_a_byte_order_mark_are_read_as_text(tmp_path, encoding, fmt):
    """A file saved on Windows: UTF-16 with its mark (PowerShell's >), or UTF-8 with one; no line is lost to either."""
    if fmt == "events":
        objects = [{"event_id": f"e{n}", "type": "page_viewed", "customer_id": "c1", "url": "/",
                    "occurred_at": f"2026-03-02T10:0{n}:00Z"} for n in range(3)]
    else:
        objects = MESSAGES
    path = tmp_path / "export.jsonl"
    path.write_bytes(json_lines(objects).decode().encode(encoding))
    ids, bad = replayed(path, fmt)
    assert (len(ids), bad) == (3, [])


def test_an_array_broken_off_keeps_what_came_before_and_names_the_line_of_the_break(tmp_path):
    path = tmp_path / "export.json"
    path.write_text("[\n" + ",\n".join(json.dumps(m) for m in MESSAGES[:2]) + ',\n{"type": "page", "userI')
    ids, [(line, reason, detail)] = replayed(path, "segment")
    assert (ids, line, reason) == (["m1", "m2"], 4, "malformed_json")
    assert detail.startswith("not JSON: Unterminated string") and detail.endswith("the rest of the array is not read")


def test_a_zip_archive_that_cannot_be_read_is_one_error_naming_the_file(tmp_path):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("a.json", json_lines(MESSAGES))
    path = tmp_path / "export.zip"
    path.write_bytes(archive.getvalue()[:40])
    with pytest.raises(DataFileError, match=r"export\.zip.*an unreadable zip archive"):
        list(json_records(path))


def test_json_lines_are_given_as_written_so_their_digests_do_not_change(tmp_path):
    """A GA4 event's id is a digest of its line: the reader hands each line over byte for byte (less its ends)."""
    path = tmp_path / "export.jsonl.gz"
    path.write_bytes(gzip.compress(codecs.BOM_UTF8 + b'{"a": 1}\r\n\r\n  {"b":2}  \n'))
    assert list(json_records(path)) == [(1, b'{"a": 1}'), (3, b'{"b":2}')]
    assert not any(isinstance(record, Problem) for _, record in json_records(path))


def test_a_line_holding_a_tracking_api_batch_is_its_messages(tmp_path):
    """A log of the requests as posted ({"batch": [...], "context": …}, one a line): each message replayed, the batch's
    context given to each; it was one bad line, 'type None is not a spec call'."""
    body = {"batch": [{k: v for k, v in m.items() if k != "userId"} | {"anonymousId": "a1"} for m in MESSAGES[:2]],
            "context": {"locale": "en-GB"}, "sentAt": "2026-03-02T10:02:00Z", "writeKey": "w"}
    path = tmp_path / "requests.jsonl"
    path.write_bytes(json_lines([body, MESSAGES[2]]))
    assert replayed(path, "segment") == (["m1", "m2", "m3"], [])


COMPRESSIONS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("compression", sorted(COMPRESSIONS))
@pytest.mark.parametrize("fmt", ["segment", "events"])
def test_a_bzip2_or_xz_file_of_several_streams_is_read_as_gzip_is(tmp_path, compression, fmt):
    """Event files compressed with bzip2 or xz, or of several streams one after the other (``cat a.xz b.xz``, as log
    rotation writes them), are replayed whole: bzip2 and xz came out as bad lines of compressed bytes."""
    if fmt == "events":
        objects = [{"event_id": f"e{n}", "type": "page_viewed", "customer_id": "c1", "url": "/",
                    "occurred_at": f"2026-03-02T10:0{n}:00Z"} for n in range(3)]
    else:
        objects = MESSAGES
    compress = COMPRESSIONS[compression]
    path = tmp_path / "export.jsonl.x"
    path.write_bytes(compress(json_lines(objects[:1])) + compress(json_lines(objects[1:])))
    ids, bad = replayed(path, fmt)
    assert (len(ids), bad) == (3, [])


@pytest.mark.parametrize("compression", ["bzip2", "xz"])
def test_a_json_array_compressed_with_bzip2_or_xz_and_zipped_is_read(tmp_path, compression):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("export.json.x", COMPRESSIONS[compression](json.dumps(MESSAGES).encode()))
    path = tmp_path / "export.zip"
    path.write_bytes(archive.getvalue())
    assert replayed(path, "segment") == (["m1", "m2", "m3"], [])


@pytest.mark.parametrize("compression", ["bzip2", "xz"])
def test_a_damaged_bzip2_or_xz_stream_is_a_bad_line_where_it_breaks(tmp_path, compression):
    """What came before the break is replayed; the break is one bad line naming the stream, not a traceback."""
    text = json_lines([MESSAGES[0]] * 2000 + MESSAGES[1:])
    data = COMPRESSIONS[compression](text)
    path = tmp_path / "export.jsonl.x"
    path.write_bytes(data[: len(data) // 2] + bytes(64))
    ids, bad = replayed(path, "segment")
    [(line, reason, detail)] = bad
    assert reason == "malformed_json" and detail.startswith(f"the {compression} stream is damaged here")
    assert "m3" not in ids and line <= 2003


def pretty(value: object) -> bytes:
    """A JSON document as ``jq .`` or ``curl > page.json`` of a pretty-printing API saves it."""
    return (json.dumps(value, indent=2) + "\n").encode()


@pytest.mark.parametrize("wrapper", ["data", "events", "results"])
@pytest.mark.parametrize("compression", ["plain", "gzip"])
def test_one_json_document_is_read_as_the_objects_of_its_one_list(tmp_path, wrapper, compression):
    """An API's page saved whole ({"data": [...], "links": {...}}, {"results": [...], "next": …}) was a bad line per
    line of it: its list's objects are the records, each at the line it starts on, the page's other fields beside."""
    page = {wrapper: MESSAGES, "links": {"next": "https://api.example/events?page=2"}, "count": 3}
    path = tmp_path / "page.json"
    path.write_bytes(pretty(page) if compression == "plain" else gzip.compress(pretty(page)))
    assert replayed(path, "segment") == (["m1", "m2", "m3"], [])
    records = list(json_records(path))
    lines = pretty(page).decode().split("\n")
    assert [line for line, _ in records] == [n for n, text in enumerate(lines, 1) if text == "    {"]
    assert json.loads(records[0][1]) == {"links": page["links"], "count": 3, **MESSAGES[0]}


def test_a_document_of_another_tool_s_events_and_of_the_tracker_s_own_is_read_as_its_rows(tmp_path):
    """A Mixpanel-like export saved as one pretty-printed object, clickstream and the tracker's events alike."""
    clicks = tmp_path / "clicks.json"
    clicks.write_bytes(pretty({"results": MIXPANEL, "next": None}))
    parsed, report = read_history(clicks, "clickstream", intake_of(Settings()))
    assert sorted(json.loads(p.value)["type"] for p in parsed) == ["cart_item_added", "order_placed", "product_viewed"]
    assert report.bad == 0
    own = tmp_path / "events.json"
    own.write_bytes(pretty({"events": [{"event_id": f"e{n}", "type": "page_viewed", "customer_id": "c1", "url": "/",
                                        "occurred_at": f"2026-03-02T10:0{n}:00Z"} for n in range(3)]}))
    assert replayed(own, "events") == (["e0", "e1", "e2"], [])


def test_a_document_of_several_lists_or_none_is_one_record_and_jq_s_stream_of_documents_a_record_each(tmp_path):
    """Two lists of objects (a JSON:API page with its included resources): the rows are not known here, the
    document is one record, as on a line of its own; ``jq . export.jsonl`` writes each line pretty-printed."""
    page = {"data": [{"type": "event", "id": "e1"}], "included": [{"type": "metric", "id": "m1"}]}
    path = tmp_path / "page.json"
    path.write_bytes(pretty(page))
    assert [(line, json.loads(record)) for line, record in json_records(path)] == [(1, page)]
    stream = tmp_path / "stream.json"
    stream.write_bytes(b"".join(pretty(m) for m in MESSAGES))
    assert replayed(stream, "segment") == (["m1", "m2", "m3"], [])
    assert [line for line, _ in json_records(stream)][:2] == [1, 1 + pretty(MESSAGES[0]).count(b"\n")]


def test_a_document_broken_off_keeps_the_rows_before_the_break_and_names_its_line(tmp_path):
    text = pretty({"data": MESSAGES}).decode()
    path = tmp_path / "page.json"
    path.write_text(text[: text.index('"messageId": "m3"')])
    ids, [(line, reason, detail)] = replayed(path, "segment")
    assert (ids, reason) == (["m1", "m2"], "malformed_json")
    assert line == text[: text.index('"messageId": "m3"')].count("\n") - 3 and "not read" in detail
    path.write_text('{\n "data": ' + json.dumps(MESSAGES[:2]) + ',\n "ids": [1, 2,\n')  # a list after the rows breaks
    ids, [(line, reason, detail)] = replayed(path, "segment")
    assert (ids, line, reason) == (["m1", "m2"], 4, "malformed_json")


def test_json_lines_whose_first_line_is_broken_are_still_json_lines(tmp_path):
    path = tmp_path / "export.jsonl"
    path.write_bytes(b'{"type": "track", "userI\n' + json_lines(MESSAGES))
    ids, bad = replayed(path, "segment")
    assert ids == ["m1", "m2", "m3"] and [(line, reason) for line, reason, _ in bad] == [(1, "malformed_json")]
