"""The page on the demo shop, in a real Chromium at a laptop's and a phone's width; page == API == CLI.

``tracker demo --keep-up`` plays the shop with its history and keeps its worker and page up; the
tests drive the page headless (``--dump-dom`` for what it shows, ``--screenshot`` kept as
artefacts in ``TRACKER_SCREENSHOTS`` or ``.artefacts/screenshots``) and compare its figures with
the API's and the CLI's.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli_runs import tracker
from streams.cli.customer import recent_line
from test_dashboard import chromium, headless

#: (name, width, height) of the windows the page must work in.
WIDTHS = (("laptop", 1366, 900), ("phone", 390, 844))
#: The screenshots' folder unless TRACKER_SCREENSHOTS names one (git ignores it).
ARTEFACTS = Path(__file__).resolve().parents[2] / ".artefacts" / "screenshots"
#: The overview's charts, each of which must show the demo shop's data.
CHARTS = ("chart-deciles", "chart-uplift", "chart-offers", "chart-kinds", "chart-segments", "chart-moves",
          "chart-models")


class Demo:
    def __init__(self, page: str, redis_url: str, output: str) -> None:
        self.page = page
        self.redis_url = redis_url
        self.output = output

    def api(self, path: str) -> dict:  # type: ignore[type-arg]
        with urllib.request.urlopen(self.page.rstrip("/") + path, timeout=30) as response:
            return json.load(response)  # type: ignore[no-any-return]

    def cli(self, *args: str) -> dict:  # type: ignore[type-arg]
        env = {**os.environ, "TRACKER_REDIS_URL": self.redis_url, "TRACKER_CLOCK": "event"}
        result = tracker(*args, timeout=120, env=env)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    chromium()
    process = subprocess.Popen([sys.executable, "-m", "streams.cli", "demo", "--customers", "80", "--seed", "5",
                                "--keep-up"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 300
        assert process.stdout is not None
        page = None
        while time.monotonic() < deadline and page is None:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"The page is up: (http://\S+)", line)
            page = found.group(1) if found else None
        output = "".join(lines)
        assert page, output
        redis_url = re.search(r"redis (redis://\S+)", output).group(1)  # type: ignore[union-attr]
        yield Demo(page, redis_url, output)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def shots() -> Path:
    """Where the screenshots are kept after the run (CI uploads the folder)."""
    folder = Path(os.environ.get("TRACKER_SCREENSHOTS") or ARTEFACTS)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def attribute(dom: str, element_id: str, name: str) -> str | None:
    tag = re.search(rf"<[^>]*\bid=\"{element_id}\"[^>]*>", dom)
    if tag is None:
        return None
    value = re.search(rf"\b{name}=\"([^\"]*)\"", tag.group(0))
    return value.group(1) if value else None


def screenshot(url: str, path: Path, width: int, height: int) -> bytes:
    headless(url, f"--screenshot={path}", f"--window-size={width},{height}")
    image = path.read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(image) > 15_000, f"{path}: a blank page?"
    return image


@pytest.mark.parametrize(("name", "width", "height"), WIDTHS)
def test_the_overview_charts_show_the_demo_shops_data(demo, shots, name, width, height):
    """Every chart of the main page is drawn with data (points, painted pixels) and the page fits the window."""
    dom = headless(demo.page, "--dump-dom", f"--window-size={width},{height}").stdout
    assert 'data-ready="1"' in dom, dom[-3000:]
    for chart in CHARTS:
        points, ink = attribute(dom, chart, "data-points"), attribute(dom, chart, "data-ink")
        assert points and int(points) > 0, f"{chart} has no data"
        assert ink and int(ink) > 50, f"{chart} is blank ({ink} painted pixels)"
    assert 'data-overflow="0"' in dom, f"the page is wider than a {name}'s window"
    screenshot(demo.page, shots / f"overview-{name}.png", width, height * 3)


@pytest.mark.parametrize(("name", "width", "height"), WIDTHS)
def test_a_customer_page_shows_value_reasons_types_and_offers(demo, shots, name, width, height):
    """The best customer's page: predicted value with its chart and reasons, types, offers, activity and latest events."""
    best = demo.api("/customers?order=best&limit=1")["customers"][0]
    url = f"{demo.page}#customer={best['customer_id']}"
    dom = headless(url, "--dump-dom", f"--window-size={width},{height}").stdout
    assert 'data-ready="1"' in dom, dom[-3000:]
    assert best["customer_id"] in dom and f"£{best['expected_value']:,.0f}" in dom
    ink = attribute(dom, "chart-customer", "data-ink")
    assert ink and int(ink) > 50
    for heading in ("Predicted value, next 90 days", "Scores and types", "Offers and outcomes", "Recent activity"):
        assert heading in dom
    # The latest events, newest first, as the API returns them and `tracker customer ID` prints them.
    recent = demo.api(f"/customers/{best['customer_id']}")["recent_events"]
    listed = re.search(r'<ol class="recent"[^>]*>(.*?)</ol>', dom, re.S)
    assert recent and listed and re.findall(r"<li>([^<]*)</li>", listed.group(1)) == [recent_line(e) for e in recent]
    assert 'data-overflow="0"' in dom
    screenshot(url, shots / f"customer-{name}.png", width, height * 2)


def test_the_page_the_api_and_the_cli_show_the_same_figures(demo):
    """The uplift and its offers, the segment sizes and the best customers: page == API == CLI."""
    api = demo.api("/offers")["report"]
    cli = demo.cli("offers", "report", "--json")
    assert api == cli and api["offers"] > 0
    dom = headless(demo.page, "--dump-dom").stdout
    assert attribute(dom, "uplift-headline", "data-offers") == str(api["offers"])
    uplift = attribute(dom, "uplift-headline", "data-uplift")
    if api["absolute_uplift"] is None:
        assert uplift == ""
    else:
        assert float(uplift) == pytest.approx(api["absolute_uplift"])  # type: ignore[arg-type]
        assert f'<b id="uplift-offers">{api["offers"]}</b>' in dom

    segments = demo.api("/segments")["segments"]
    assert demo.cli("segments", "--json")["segments"] == segments
    rows = re.findall(r'<div class="bar-row"><span>([^<]+)</span><div class="bar"[^>]*></div><span class="num">(\d+)</span>',
                      dom)
    shown = dict(rows)
    assert all(shown[name] == str(count) for name, count in segments.items())

    best = [c["customer_id"] for c in demo.api("/customers?order=best&limit=10")["customers"]]
    on_page = re.findall(r'<a href="#customer=([^"]+)">', dom)
    assert on_page[:10] == best
