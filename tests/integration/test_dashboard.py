"""The marketers' page, rendered by a real headless Chromium against a worker with real data."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness import wait_until
from test_replay import LIMIT, replay


def chromium() -> str:
    found = shutil.which("chromium")
    if not found:
        message = "Debian's chromium is not installed (scripts/services.sh start installs it as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def headless(url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={profile}", "--virtual-time-budget=15000", *extra, url],
            capture_output=True, text=True, timeout=120,
        )


@pytest.mark.worker(clock="event", insights_max_age_seconds=0)
def test_the_page_shows_segments_best_and_worst_and_personas(worker, worker_settings, retail, tmp_path):
    """Chromium renders the page: segment bars, best, low-value and costly lists and persona cards, as the API says."""
    import json
    import urllib.request

    replay(worker_settings, retail)
    wait_until(lambda: worker.metric_total("tracker_events_consumed_total") >= LIMIT, timeout=60, message="every replayed event")
    with urllib.request.urlopen(worker.url("/customers?order=best&limit=10"), timeout=30) as response:
        best = [c["customer_id"] for c in json.load(response)["customers"]]
    with urllib.request.urlopen(worker.url("/segments"), timeout=30) as response:
        answer = json.load(response)
    segments, behaviour = answer["segments"], answer["behaviour"]
    with urllib.request.urlopen(worker.url("/customers?order=worst&kind=costly&limit=10"), timeout=30) as response:
        costly = [c["customer_id"] for c in json.load(response)["customers"]]

    dom = headless(worker.url("/"), "--dump-dom").stdout
    assert 'data-ready="1"' in dom, dom[-2000:]
    assert all(f">{name}<" in dom for name in segments)
    assert all(customer_id in dom for customer_id in best)
    assert costly and all(customer_id in dom for customer_id in costly)
    assert "Worst customers: costly" in dom and "predicted value, next 90 days" in dom
    assert dom.count('class="card"') == len(segments)
    # Behavioural personas have cards of their own, and every persona a face drawn in code.
    assert dom.count('class="card behaviour-card"') == len(behaviour["personas"])
    assert dom.count('src="data:image/svg+xml') == len(segments) + len(behaviour["personas"])
    assert all(f"{card['segment']} {card['name']}" in dom for card in behaviour["personas"])

    shot = tmp_path / "dashboard.png"
    headless(worker.url("/"), f"--screenshot={shot}", "--window-size=1400,1000")
    image = shot.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 20_000  # a real page, not a blank one
    keep = os.environ.get("TRACKER_KEEP_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(image)


def _page_server(answers: dict[str, object]) -> tuple[object, str]:
    """A server of the page and its static files, answering the API's paths with ``answers`` (JSON)."""
    import http.server
    import json
    import threading

    from streams.http.marketers import DASHBOARD, STATIC

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            path, _, query = self.path.partition("?")
            if path == "/":
                body, kind = DASHBOARD.read_bytes(), "text/html"
            elif path.startswith("/static/"):
                body, kind = (STATIC / path.removeprefix("/static/")).read_bytes(), "application/javascript"
            elif (key := path if path != "/customers" else f"{path}?{query}") in answers:
                body, kind = json.dumps(answers[key]).encode(), "application/json"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize(("currency", "shown", "absent"), [("USD", "$2,400", "£"), ("GBP", "£2,400", "$"),
                                                           ("JPY", "¥84", "£")])
def test_the_page_writes_money_in_the_currency_the_api_names(currency, shown, absent):
    """The overview and a customer's page write every amount in the API's currency, as the reasons do."""
    from datetime import datetime, timedelta, timezone

    from offers import CUSTOMER_TYPES
    from streams.core.insights import compute
    from streams.core.offer_report import report_json, uplift_of
    from streams.core.state import Profile
    from streams.http.marketers import behaviour_json, charts_json, offers_series, ranking_of

    chromium()
    now = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)
    last = now - timedelta(days=5)
    profiles = [(f"c{n}", Profile(first_seen=last - timedelta(days=200), last_seen=last, sessions=n, orders=n,
                                  revenue=200.0 * n, refunds=n % 2, refunded=150.0 * (n % 2),
                                  first_order_at=last - timedelta(days=150), last_order_at=last, order_days=n - 1,
                                  gap_days_total=150.0, recent_events=((last, "order_placed", "o-9", 84.0),)))
                for n in range(1, 13)]
    insights = compute(profiles, now, currency=currency)
    header = {"as_of": now.isoformat(), "currency": currency}
    answers: dict[str, object] = {
        "/segments": {**header, "customers": len(profiles), "segments": insights.segments,
                      "personas": insights.persona_cards(), "behaviour": behaviour_json(insights)},
        "/charts": {"as_of": now.isoformat(), **charts_json(insights, {})},
        "/offers": {"report": report_json(*uplift_of(p for _, p in profiles)), "how_to_read": "", **offers_series({})},
        "/customer-types": {"types": list(CUSTOMER_TYPES)},
        "/customers/c12": insights.customer("c12", dict(profiles)["c12"]),
    }
    for order, kind in (("best", None), ("worst", "low_value"), ("worst", "costly")):
        query = f"order={order}" + (f"&kind={kind}" if kind else "") + "&limit=10"
        answers[f"/customers?{query}"] = {**header, "customers": ranking_of(insights, order, None, 10, kind, None)}
    server, url = _page_server(answers)
    try:
        overview = headless(url + "/", "--dump-dom").stdout
        customer = headless(url + "/#customer=c12", "--dump-dom").stdout
    finally:
        server.shutdown()  # type: ignore[attr-defined]
    for dom in (overview, customer):
        assert 'data-ready="1"' in dom, dom[-2000:]
        shown_text = re.sub(r"<script>.*?</script>", "", dom, flags=re.S)  # what people see, not the code
        assert absent not in shown_text
    assert shown in customer  # "spent": the profile's revenue, written by the page itself
