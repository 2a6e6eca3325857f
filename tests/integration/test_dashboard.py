"""The marketers' page, rendered by a real headless Chromium against a worker with real data."""

from __future__ import annotations

import os
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
