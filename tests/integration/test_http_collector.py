"""POST /events on a real worker: keys, limits, CORS, and events that reach Kafka and Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest

from builders import event
from harness import wait_until
from stored import profile_hash

KEY = "site-key-1"
ORIGIN = "https://shop.example"


def post(worker, body: object, *, key: str | None = KEY, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict, dict[str, str]]:
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(worker.url("/events"), data=data, method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    if key:
        request.add_header("X-API-Key", key)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error), dict(error.headers)


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.mark.worker(collector_api_keys=KEY, collector_origins=ORIGIN, collector_max_bytes=20_000)
def test_accepted_events_reach_the_profiles_and_rejected_ones_say_why(worker, redis_client):
    """Single and batch posts are tracked; no key, bad events and big bodies get 4xx with the reason."""
    assert post(worker, event("page_viewed", "web-1", now()))[0] == 202
    status, body, _ = post(worker, [event("product_viewed", "web-1", now()), event("order_placed", "web-2", now())])
    assert (status, body) == (202, {"accepted": 2})
    wait_until(lambda: profile_hash(redis_client, "web-2").get(b"orders") == b"1", message="the order")
    assert profile_hash(redis_client, "web-1").get(b"product_views") == b"1"

    assert post(worker, event("page_viewed", "web-3", now()), key=None)[0] == 401
    assert post(worker, event("page_viewed", "web-3", now()), key="guess")[0] == 401
    status, body, _ = post(worker, [event("page_viewed", "web-3", now()), {"type": "page_viewed"}])
    assert status == 400 and body["events"][0]["index"] == 1
    assert post(worker, None, raw=b'{"x": "' + b"a" * 30_000 + b'"}')[0] == 413
    assert not redis_client.exists("tracker:{web-3}:profile")


@pytest.mark.worker(collector_api_keys=KEY, collector_origins=ORIGIN)
def test_browsers_are_let_in_from_the_shop_origin_only(worker):
    """A CORS preflight from the shop is allowed; from elsewhere it is not."""
    def preflight(origin: str) -> dict[str, str]:
        request = urllib.request.Request(worker.url("/events"), method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type, X-API-Key"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return dict(response.headers)
        except urllib.error.HTTPError as error:
            return dict(error.headers)

    assert preflight(ORIGIN).get("Access-Control-Allow-Origin") == ORIGIN
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example")
    _, _, headers = post(worker, event("page_viewed", "web-4", now()), headers={"Origin": ORIGIN})
    assert headers.get("Access-Control-Allow-Origin") == ORIGIN


@pytest.mark.worker(collector_api_keys=KEY, collector_rate_per_minute=5)
def test_each_key_is_rate_limited(worker):
    """Past its budget a key gets 429 with Retry-After."""
    assert post(worker, [event("page_viewed", "web-5", now()) for _ in range(5)])[0] == 202
    status, body, headers = post(worker, event("page_viewed", "web-5", now()))
    assert status == 429 and int(headers["Retry-After"]) >= 1 and "rate limit" in body["error"]


@pytest.mark.worker(collector_api_keys=KEY, collector_max_bytes=20_000)
def test_a_gzipped_body_is_taken_and_one_that_is_not_what_its_encoding_says_is_a_400(worker, redis_client):
    """Server libraries gzip what they post: read unpacked; a body that says gzip and is not is refused, not a 500."""
    import gzip

    body = json.dumps([event("page_viewed", "zip-1", now())]).encode()
    assert post(worker, None, raw=gzip.compress(body), headers={"Content-Encoding": "gzip"})[:2] == (202, {"accepted": 1})
    wait_until(lambda: profile_hash(redis_client, "zip-1").get(b"page_views") == b"1", message="the gzipped event")
    status, answer, _ = post(worker, None, raw=body, headers={"Content-Encoding": "gzip"})
    assert status == 400 and answer["error"].startswith("body is not in its Content-Encoding 'gzip'")
    assert post(worker, None, raw=gzip.compress(b" " * 100_000), headers={"Content-Encoding": "gzip"})[0] == 413
