"""The HTTP collector's rules: keys, batches, limits."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from streams.core.intake import DeadLetter, Intake
from streams.http.collector import (
    MAX_BATCH,
    RateLimiter,
    Rejected,
    check_content_type,
    key_of,
    known_key,
    parse_body,
    read_at_most,
)

INTAKE = Intake("site-visits", "purchases", 65_536)

from builders import event


def test_keys_come_from_either_header_and_must_be_configured():
    """X-API-Key or a Bearer token; only configured keys pass."""
    assert key_of({"X-API-Key": "k1"}) == "k1"
    assert key_of({"Authorization": "Bearer k2"}) == "k2"
    assert key_of({"Authorization": "Basic x"}) is None
    assert known_key("k2", ("k1", "k2")) == "k2"
    assert known_key("k3", ("k1", "k2")) is None
    assert known_key("\udca0", ("k1",)) is None  # a non-UTF-8 header byte, as aiohttp hands it over


def test_a_batch_is_all_or_nothing_and_names_each_bad_event():
    """One invalid event refuses the batch, with its index and reason."""
    good, bad = event("page_viewed"), {**event("page_viewed"), "occurred_at": "yesterday"}
    assert len(parse_body(json.dumps([good, good]).encode(), INTAKE)) == 2
    with pytest.raises(Rejected) as caught:
        parse_body(json.dumps([good, bad]).encode(), INTAKE)
    assert caught.value.status == 400 and caught.value.details[0]["index"] == 1


@pytest.mark.parametrize(("body", "status"), [
    (b"not json", 400), (b"[]", 400), (json.dumps([event("page_viewed")] * (MAX_BATCH + 1)).encode(), 413),
])
def test_malformed_empty_and_oversized_batches_are_refused(body, status):
    """Bodies that are not JSON, empty, or over the batch limit get their status."""
    with pytest.raises(Rejected) as caught:
        parse_body(body, INTAKE)
    assert caught.value.status == status


def test_the_rate_limit_refills_over_time():
    """A key spends its minute's budget, waits, and may send again."""
    limiter = RateLimiter(per_minute=60)
    assert limiter.take("k", 60, now=0.0) == 0
    assert limiter.take("k", 1, now=0.0) > 0
    assert limiter.take("k", 1, now=1.5) == 0


@pytest.mark.parametrize("content_type", [None, "", "application/json", "application/json; charset=UTF-8",
                                          "text/plain;charset=utf-8", "Text/Plain"])
def test_json_and_plain_text_in_utf8_are_taken(content_type):
    """application/json, and text/plain as navigator.sendBeacon sends it."""
    check_content_type(content_type)


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "application/xml", "application/json; charset=utf-16",
                                          "text/plain; charset=latin-1"])
def test_other_content_types_and_charsets_are_refused_with_415(content_type):
    with pytest.raises(Rejected) as caught:
        check_content_type(content_type)
    assert caught.value.status == 415 and "accepted" in caught.value.reason


def test_the_body_is_utf8_json_with_or_without_a_byte_order_mark():
    """UTF-16 and Latin-1 are refused (json.loads would guess UTF-16); a UTF-8 BOM is tolerated."""
    body = json.dumps([{**event("page_viewed"), "url": "/café"}], ensure_ascii=False)
    assert len(parse_body("\ufeff".encode() + body.encode(), INTAKE)) == 1
    for encoded in (body.encode("utf-16"), body.encode("latin-1"), body.encode("utf-32")):
        with pytest.raises(Rejected) as caught:
            parse_body(encoded, INTAKE)
        assert caught.value.status == 400 and "not UTF-8" in caught.value.reason


def test_records_are_checked_as_the_worker_will_check_them():
    """An event dated days ahead refuses the batch with the reason the dead-letter topic would give."""
    now = datetime.now(timezone.utc)
    good, ahead = event("order_placed", "c1", now), event("page_viewed", "c2", now + timedelta(days=2))
    records = parse_body(json.dumps([good]).encode(), INTAKE)
    assert [(r.topic, r.key) for r in records] == [("purchases", b"c1")]
    assert not isinstance(INTAKE.parse(records[0]), DeadLetter)
    with pytest.raises(Rejected) as caught:
        parse_body(json.dumps([good, ahead]).encode(), INTAKE)
    [problem] = caught.value.details
    assert (problem["index"], problem["reason"]) == (1, "future_timestamp") and "ahead" in str(problem["detail"])


def test_an_e_mail_customer_id_is_posted_on_in_lower_case_and_keyed_so():
    now = datetime.now(timezone.utc)
    [posted] = parse_body(json.dumps([event("page_viewed", "Ann@Shop.com", now)]).encode(), INTAKE)
    assert posted.key == b"ann@shop.com" and json.loads(posted.value)["customer_id"] == "ann@shop.com"


async def _read_posted(data: bytes, encoding: str, limit: int = 65_536) -> tuple[int, str]:
    """What ``read_at_most`` makes of a body posted to a real aiohttp server with that Content-Encoding."""
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    async def handler(request: web.Request) -> web.Response:
        try:
            return web.Response(text=(await read_at_most(request, limit)).decode())  # type: ignore[arg-type]
        except Rejected as exc:
            return web.Response(status=exc.status, text=exc.reason)

    app = web.Application()
    app.router.add_post("/events", handler)
    async with TestClient(TestServer(app), auto_decompress=False) as client:
        answer = await client.post("/events", data=data, headers={"Content-Encoding": encoding})
        return answer.status, await answer.text()


async def test_a_gzipped_body_is_read_unpacked_and_one_that_is_not_gzip_is_a_400_naming_the_encoding():
    """Server libraries gzip their batches; a body that says gzip and is not is the sender's mistake, not a 500."""
    import gzip

    body = json.dumps({"batch": [{"type": "page"}]})
    assert await _read_posted(gzip.compress(body.encode()), "gzip") == (200, body)
    status, reason = await _read_posted(body.encode(), "gzip")
    assert status == 400 and reason.startswith("body is not in its Content-Encoding 'gzip'")
    # The limit counts the body unpacked: a small gzip of a large body is refused as large.
    assert (await _read_posted(gzip.compress(b" " * 200_000), "gzip"))[0] == 413


async def test_requests_the_server_cannot_read_are_a_warning_line_each_not_a_traceback(caplog):
    """A bad header line, a body in an encoding the server cannot unpack, a client gone mid-body: the sender's
    doing, a line naming why; they were errors with a traceback each (a client gone was the collector's own)."""
    import asyncio
    import logging

    from aiohttp import web

    from streams.logs import quiet_malformed_requests

    quiet_malformed_requests()
    raised: list[BaseException] = []

    async def handler(request: web.Request) -> web.Response:
        try:
            await read_at_most(request, 65_536)  # type: ignore[arg-type]
        except Rejected as exc:  # as the collector's views answer it
            raised.append(exc)
            return web.Response(status=exc.status, text=exc.reason)
        except BaseException as exc:
            raised.append(exc)
            raise
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/v1/batch", handler)
    requests = [
        b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n",
        b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\n{}",
        b"POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"batch\": [",
    ]
    caplog.set_level(logging.INFO, logger="aiohttp.server")
    runner = web.AppRunner(app)  # as the worker's web server runs: a handler is not cancelled when its client goes
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        for request in requests:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            writer.write_eof()  # sent all it will: the server reads to the end of what came
            await asyncio.wait_for(reader.read(), timeout=5)
            writer.close()
    finally:
        await runner.cleanup()
    logged = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(logged) >= 2 and all(r.levelno == logging.WARNING and not r.exc_info for r in logged), [
        (r.levelname, r.getMessage()) for r in logged]
    assert any("Invalid header token" in r.getMessage() for r in logged)
    assert [type(exc).__name__ for exc in raised] == ["Rejected"]
    assert "the connection closed after 11 bytes" in str(raised[0])


def test_a_segment_message_posted_to_events_is_refused_naming_the_path_that_takes_it():
    """A shop pointing its Segment SDK at /events heard only that 'track' is no tracker event."""
    message = {"type": "track", "event": "Product Added", "userId": "u1", "timestamp": "2026-03-02T10:00:00Z"}
    for body in (message, {"batch": [message]}):
        with pytest.raises(Rejected) as refused:
            parse_body(json.dumps(body).encode(), INTAKE)
        assert "post it to /v1/batch" in str(refused.value.details[0]["detail"])
    with pytest.raises(Rejected) as refused:
        parse_body(json.dumps(event("page_viewed", url=None)).encode(), INTAKE)
    assert "/v1/batch" not in str(refused.value.details[0]["detail"])
