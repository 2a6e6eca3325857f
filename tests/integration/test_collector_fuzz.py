"""POST /events fuzzed against a real worker.

Properties, over every generated request: never a 5xx; every refusal is a 4xx whose JSON body
says why; every accepted event reaches Kafka and the customer's profile in Redis, and nothing
of a refused request reaches Kafka; afterwards the worker is alive and tracks valid events.

``TRACKER_FUZZ_EXAMPLES`` sets the number of requests (300 by default; CI's profile).
"""

from __future__ import annotations

import http.client
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import RunningWorker, wait_until

KEY = "fuzz-key-1"
MAX_BYTES = 65_536
EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "300"))

settings.register_profile(
    "collector-fuzz", max_examples=EXAMPLES, deadline=None, derandomize=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large, HealthCheck.large_base_example],
)

HOSTILE = [
    "'; DROP TABLE customers; --", "1 OR 1=1", "$(rm -rf /)", "`reboot`", "| cat /etc/passwd", "&& shutdown -h now",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(document.cookie)",
    "\r\n*3\r\n$3\r\nDEL\r\n$1\r\nx\r\n", "*1\r\n$8\r\nFLUSHALL\r\n", "]]; redis.call('FLUSHALL') --[[",
    "tracker:{c1}:profile", "{", "}", "__consumer_offsets", "\x00\x00\x00\x01\x00", "${jndi:ldap://x/a}",
    "../../etc/passwd", "%s%s%n{0}{customer_id}", "\u202e\u200b\ufeff", "\x00", "\x1b[31mred\x1b[0m",
    "\ud800", "\udfff", "😀" * 50, "x" * 5000, " ", "null", "0000", "\t\n\r\x0b\x0c", "\\u0000",
]
ALLOWED_TYPES = [None, "application/json", "application/json; charset=utf-8", "text/plain",
                 "text/plain;charset=UTF-8"]
REFUSED_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
                 "image/png", "application/json; charset=latin-1", "application/json; charset=utf-16", "*/*"]
TYPES = ["page_viewed", "product_viewed", "searched", "cart_item_added", "order_placed"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
hostile_text = st.sampled_from(HOSTILE) | st.text(max_size=100) | st.text(
    st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), max_size=40)


@dataclass
class Case:
    """One request and what must come of it: ``expect`` is "accept", "refuse" or "either"."""

    body: bytes
    expect: str
    key: str | None = KEY
    key_header: str = "X-API-Key"
    content_type: str | None = "application/json"
    chunked: bool = False
    origin: str | None = None
    events: list[dict[str, object]] = field(default_factory=list)
    label: str = ""


def fresh_event(kind: str = "page_viewed", age_seconds: int = 0) -> dict[str, object]:
    """A valid event of a new customer, ``age_seconds`` old."""
    body: dict[str, object] = {
        "event_id": f"fz-{uuid.uuid4().hex}", "type": kind, "customer_id": f"fz-c{uuid.uuid4().hex[:10]}",
        "occurred_at": (datetime.now(timezone.utc) - timedelta(seconds=age_seconds)).isoformat(),
    }
    body.update({
        "page_viewed": {"url": "/p", "page_type": "product"},
        "product_viewed": {"product_id": "p1", "category": "shoes", "price": 20.0},
        "searched": {"query": "boots"},
        "cart_item_added": {"product_id": "p1", "quantity": 1, "price": 20.0},
        "order_placed": {"order_id": f"o-{uuid.uuid4().hex[:8]}", "total": 20.0,
                         "line_items": [{"product_id": "p1", "price": 20.0}]},
    }[kind])
    return body


@st.composite
def good_events(draw, n: int | None = None) -> list[dict[str, object]]:
    count = n if n is not None else draw(st.integers(1, 4))
    return [fresh_event(draw(st.sampled_from(TYPES)), draw(st.integers(0, 3600))) for _ in range(count)]


def encode(events: list[dict[str, object]], single: bool) -> bytes:
    return json.dumps(events[0] if single else events).encode("utf-8", "surrogatepass")


@st.composite
def valid_batches(draw) -> Case:
    """Valid events in every accepted form: must be 202."""
    events = draw(good_events())
    single = len(events) == 1 and draw(st.booleans())
    body = encode(events, single)
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body  # a UTF-8 byte order mark is tolerated (RFC 8259 8.1)
    # Any Origin: CORS decides what a browser may read, never whether the event is taken.
    origin = draw(st.none() | st.sampled_from(["https://shop.example", "null", "https://evil.example"]) |
                  st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=60))
    return Case(body, "accept", key_header=draw(st.sampled_from(["X-API-Key", "Authorization"])),
                content_type=draw(st.sampled_from(ALLOWED_TYPES)), chunked=draw(st.booleans()),
                origin=origin, events=events, label="valid")


@st.composite
def hostile_fields(draw) -> Case:
    """Valid events with injection strings and control characters in any field: 202 or 400."""
    events = draw(good_events())
    for event in events:
        for name in draw(st.lists(st.sampled_from(
                ["customer_id", "event_id", "url", "product_id", "query", "category", "session_id", "page_type",
                 "referrer", "order_id", "channel", "extra"]), min_size=1, max_size=3)):
            event[name] = draw(hostile_text)
        if draw(st.booleans()):
            event[draw(hostile_text)] = draw(hostile_text | json_values)
    return Case(encode(events, single=False), "either", events=events, label="hostile_fields")


@st.composite
def mixed_batches(draw) -> Case:
    """Good events with one or more broken ones: all refused (400), none produced."""
    events: list[dict[str, object]] = draw(good_events())
    breakages = [
        lambda e: e.pop("customer_id"), lambda e: e.update(occurred_at="2026-01-01T10:00:00"),
        lambda e: e.update(type="teleported"), lambda e: e.update(customer_id="undefined"),
        lambda e: e.update(occurred_at=(datetime.now(timezone.utc) + timedelta(days=3)).isoformat()),
        lambda e: e.update(event_id=""), lambda e: e.update(customer_id="x" * 500),
        lambda e: e.update(occurred_at="yesterday"), lambda e: e.update(customer_id=["a"]),
    ]
    bad = draw(good_events(n=draw(st.integers(1, 2))))
    for event in bad:
        draw(st.sampled_from(breakages))(event)
    batch = events + bad
    order = draw(st.permutations(range(len(batch))))
    ordered = [batch[i] for i in order]
    if draw(st.booleans()):
        ordered.insert(draw(st.integers(0, len(ordered))), draw(json_values))
    return Case(encode(ordered, single=False), "refuse", events=ordered, label="mixed")


@st.composite
def bad_encodings(draw) -> Case:
    """Valid events in another encoding than UTF-8, or with invalid UTF-8: refused."""
    events = draw(good_events())
    for event in events:  # something outside ASCII, so that the encoding shows
        event["url"] = "/caf\u00e9/" + draw(st.sampled_from(["\u00fc", "\u20ac", "\u4e2d", "\U0001f600"]))
    text = json.dumps(events, ensure_ascii=False)
    codec = draw(st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "broken"]))
    if codec == "broken":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        body = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"])) + raw[at:]
    else:
        body = text.encode(codec, "replace")
    return Case(body, "refuse", events=events, label=f"encoding:{codec}")


@st.composite
def bad_bodies(draw) -> Case:
    """Not JSON, not events, too deep, too big or too many: refused."""
    kind = draw(st.sampled_from(["binary", "json", "deep", "huge", "many", "empty", "controls"]))
    if kind == "binary":
        body = draw(st.binary(max_size=2048))
    elif kind == "json":
        body = json.dumps(draw(json_values)).encode()
    elif kind == "deep":
        depth = draw(st.integers(100, 200_000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        body = opener * depth + b"1" + closer * draw(st.integers(0, depth))
        body = body[:MAX_BYTES * 3]
    elif kind == "huge":
        size = draw(st.integers(MAX_BYTES + 1, MAX_BYTES * 40))
        body = b'{"url": "' + b"a" * size + b'"}'
    elif kind == "many":
        body = json.dumps([{}] * draw(st.integers(501, 3000))).encode()
    elif kind == "empty":
        body = draw(st.sampled_from([b"", b"[]", b"{}", b"null", b" ", b"\xef\xbb\xbf", b"\x00"]))
    else:
        body = draw(st.text(st.characters(categories=["Cc"]), min_size=1, max_size=200)).encode()
    return Case(body, "refuse", chunked=draw(st.booleans()), label=f"body:{kind}")


@st.composite
def bad_requests(draw) -> Case:
    """Valid events, but a wrong or missing key, or a content type the collector does not take."""
    case = draw(valid_batches())
    choice = draw(st.sampled_from(["content_type", "any_content_type", "key"]))
    if choice == "any_content_type":  # whatever a header can carry: 415 or taken, never a crash
        case.content_type = draw(st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=60))
        case.label, case.expect = "content_type", "either"
        return case
    if choice == "content_type":
        case.content_type = draw(st.sampled_from(REFUSED_TYPES))
        case.label = "content_type"
    else:
        case.key = draw(st.sampled_from([None, "", "guess", KEY.upper(), KEY[:-1], KEY + "x", "Basic " + KEY]) |
                        st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=40)
                        .filter(lambda k: k.strip() != KEY))
        case.key_header = draw(st.sampled_from(["X-API-Key", "Authorization", "X-Api-Token"]))
        case.label = "key"
    case.expect = "refuse"
    return case


requests_ = st.one_of(valid_batches(), hostile_fields(), mixed_batches(), bad_encodings(), bad_bodies(), bad_bodies(),
                      bad_requests())


def send(worker: RunningWorker, case: Case) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", worker.settings.web_port, timeout=30)
    headers: dict[str, str] = {}
    if case.content_type is not None:
        headers["Content-Type"] = case.content_type
    if case.origin is not None:
        headers["Origin"] = case.origin
    if case.key is not None:
        value = f"Bearer {case.key}" if case.key_header == "Authorization" and case.label != "key" else case.key
        headers[case.key_header] = value
    try:
        if case.chunked:  # no Content-Length: the collector must stop reading on its own
            connection.request("POST", "/events", body=iter([case.body[i:i + 8192]
                                                               for i in range(0, len(case.body), 8192)]),
                               headers=headers, encode_chunked=True)
        else:
            connection.request("POST", "/events", body=case.body, headers=headers)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before reading everything: read that answer
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, body


@dataclass
class Ledger:
    cases: int = 0
    by_label: dict[str, int] = field(default_factory=dict)
    by_status: dict[int, int] = field(default_factory=dict)
    accepted: list[dict[str, object]] = field(default_factory=list)


@pytest.mark.worker(collector_api_keys=KEY, collector_max_bytes=MAX_BYTES, collector_rate_per_minute=1e9,
                    collector_origins="https://shop.example")
def test_the_collector_survives_hostile_requests(worker, kafka, redis_client, capsys):
    ledger = Ledger()

    @settings(settings.get_profile("collector-fuzz"))
    @given(case=requests_)
    def one_request(case: Case) -> None:
        status, raw = send(worker, case)
        ledger.cases += 1
        ledger.by_label[case.label.split(":")[0]] = ledger.by_label.get(case.label.split(":")[0], 0) + 1
        ledger.by_status[status] = ledger.by_status.get(status, 0) + 1
        assert status < 500, f"{case.label}: {status} {raw[:300]!r}"
        assert worker.process.poll() is None, f"worker died on {case.label}"
        answer = json.loads(raw)
        if status == 202:
            assert case.expect != "refuse", f"{case.label} accepted: {case.body[:300]!r}"
            assert answer == {"accepted": len(case.events)}
            ledger.accepted += case.events
        else:
            assert 400 <= status < 500 and case.expect != "accept", f"{case.label}: {status} {answer}"
            assert isinstance(answer.get("error"), str) and answer["error"], answer

    one_request()

    # Every accepted event is on its topic, and nothing else is.
    accepted_ids = {str(e["event_id"]) for e in ledger.accepted}
    records = []
    for topic in (worker.settings.site_visits_topic, worker.settings.purchases_topic):
        records += kafka.read(topic, at_least=0, timeout=15, settle=3)
    produced = {str(record["event_id"]) for record in records}
    assert produced == accepted_ids, (len(produced), len(accepted_ids))
    # ... and in its customer's profile (the worker strips ids; Redis keys are UTF-8).
    customers = {str(e["customer_id"]).strip() for e in ledger.accepted}

    def missing() -> list[str]:
        return [c for c in customers
                if not redis_client.exists(f"tracker:{{{c}}}:profile".encode("utf-8", "surrogatepass"))]

    try:
        wait_until(lambda: not missing(), timeout=60, message="every accepted customer's profile")
    except AssertionError:
        gone = set(missing())
        raise AssertionError(f"no profile for {sorted(gone)[:10]!r}, of events "
                             f"{[e for e in ledger.accepted if str(e['customer_id']).strip() in gone][:5]!r}") from None
    assert worker.metric_total("tracker_dead_letters_total") == 0

    # The worker is alive and still tracks.
    assert worker.process.poll() is None
    after = Case(encode([fresh_event()], single=True), "accept")
    customer = json.loads(after.body)["customer_id"]
    assert send(worker, after)[0] == 202
    wait_until(lambda: redis_client.exists(f"tracker:{{{customer}}}:profile"), timeout=30, message="a later event")

    with capsys.disabled():
        print(f"\ncollector fuzz: {ledger.cases} requests ({EXAMPLES} asked), by kind {ledger.by_label}, "
              f"by status {dict(sorted(ledger.by_status.items()))}, {len(accepted_ids)} events accepted")
    assert ledger.cases >= min(EXAMPLES, 100)
