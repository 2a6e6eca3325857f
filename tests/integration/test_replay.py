"""Real purchase history through real Kafka and Redis: `tracker replay` into an event-time worker."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness import wait_until
from stored import profile_hash

#: Invoices replayed: the first of the ``retail`` fixture's file (conftest.py), the whole file's first too.
LIMIT = 3000


def replay(settings, path: Path, *how: str) -> str:
    from streams.demo.run import settings_env

    how = how or ("--format", "online-retail", "--limit", str(LIMIT))
    result = subprocess.run(
        [sys.executable, "-m", "streams.cli", "replay", str(path), *how],
        capture_output=True, text=True, timeout=120, env={**os.environ, **settings_env(settings)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.mark.worker(clock="event")
def test_replaying_online_retail_builds_profiles_once(worker, worker_settings, redis_client, retail):
    """Every order and refund of the replayed invoices lands on its customer's profile, once."""
    from models.datasets import load_online_retail

    transactions = load_online_retail(retail).transactions[:LIMIT]
    assert len(transactions) == LIMIT  # the file holds more: --limit is what stops the replay
    orders = Counter(t.customer_id for t in transactions if not t.refund)
    refunds = Counter(t.customer_id for t in transactions if t.refund)
    assert "guest lines" in replay(worker_settings, retail)

    def profile(customer_id: str) -> dict[bytes, bytes]:
        # ``_v`` counts the store's saves of the customer (the duplicates' saves too), not part of the profile.
        return {k: v for k, v in profile_hash(redis_client, customer_id).items() if k != b"_v"}

    def all_applied() -> bool:
        return all(int(profile(c).get(b"orders", 0)) == n for c, n in orders.items())

    wait_until(all_applied, timeout=60, every=0.5, message=f"{sum(orders.values())} orders on the profiles")
    assert all(int(profile(c).get(b"refunds", 0)) == n for c, n in refunds.items())
    # The timer then takes the silent buyers' model reviews up to the replay's clock: let it finish.
    last: list[dict] = [{}]

    def settled() -> bool:
        now = {c: profile(c) for c in orders}
        done, last[0] = now == last[0], now
        return done

    wait_until(settled, timeout=60, every=1.0, message="the timer's reviews to settle")
    before = last[0]

    replay(worker_settings, retail)
    wait_until(lambda: worker.metric("tracker_duplicate_events_total") >= len(transactions), timeout=60,
               message="the second replay to be recognised as duplicates")
    assert {c: profile(c) for c in orders} == before


@pytest.mark.worker(clock="event")
@pytest.mark.parametrize("mapped", [True, False], ids=["--columns", "header"])
def test_replaying_a_shops_own_order_export(worker, worker_settings, redis_client, tmp_path, mapped):
    """Any CSV, mapped or read by its header's names: here a European spreadsheet's (semicolons, day-first, decimal commas)."""
    export = tmp_path / "orders.csv"
    export.write_text("Order;Client;Paid at;Total\n#1;ana@example.com;31/01/2024 10:00;1.234,50\n"
                      "#2;ana@example.com;02/02/2024 09:00;10,25\n#3;bo@example.com;03/02/2024 18:30;-5,00\n")
    columns = ("--columns", "customer=Client,date=Paid at,amount=Total,order=Order") if mapped else ()
    out = replay(worker_settings, export, "--format", "csv", "--currency", "EUR", *columns)
    assert "3 events (2 orders, 1 refunds) of 2 customers" in out
    if not mapped:
        assert "columns read from its header: customer=Client,date=Paid at,amount=Total,order=Order" in out

    wait_until(lambda: int(profile_hash(redis_client, "ana@example.com").get(b"orders", 0)) == 2
               and int(profile_hash(redis_client, "bo@example.com").get(b"refunds", 0)) == 1,
               timeout=60, every=0.5, message="the export's orders and refund on the profiles")
    assert float(profile_hash(redis_client, "ana@example.com")[b"revenue"]) == 1244.75


@pytest.mark.worker(clock="event", insights_max_age_seconds=0, recent_events=3)
def test_the_api_and_the_cli_agree_on_segments_and_rankings(worker, worker_settings, retail):
    """After a replay, GET /segments and /customers give what `tracker segments` and `customers` print.

    GET /customers/{id} lists the customer's latest orders and refunds (3 here), newest first, as
    `tracker customer ID` does.
    """
    import json
    import urllib.error
    import urllib.request

    from streams.demo.run import settings_env

    replay(worker_settings, retail)
    wait_until(lambda: worker.metric_total("tracker_events_consumed_total") >= LIMIT, timeout=60, message="every replayed event")

    def get(path: str) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(worker.url(path), timeout=30) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def cli(*args: str) -> object:
        result = subprocess.run([sys.executable, "-m", "streams.cli", *args, "--json"], capture_output=True,
                                text=True, timeout=120, env={**os.environ, **settings_env(worker_settings)})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    status, segments = get("/segments")
    assert status == 200 and segments["customers"] > 100
    assert cli("segments")["segments"] == segments["segments"]
    status, best = get("/customers?order=best&limit=5")
    assert status == 200 and best["currency"] == segments["currency"] == "GBP"  # the shop's, by default
    assert [c["customer_id"] for c in cli("customers", "best", "--limit", "5")] == [
        c["customer_id"] for c in best["customers"]]
    for kind in ("costly", "low_value"):
        status, worst = get(f"/customers?order=worst&kind={kind}&limit=5")
        assert status == 200 and worst["customers"] and all(c["kind"] == kind for c in worst["customers"])
        assert [c["customer_id"] for c in cli("customers", "worst", "--kind", kind, "--limit", "5")] == [
            c["customer_id"] for c in worst["customers"]]
    status, error = get("/customers?order=best&kind=costly")
    assert status == 400 and error["parameter"] == "kind"
    top = best["customers"][0]["customer_id"]
    status, one = get(f"/customers/{top}")
    assert status == 200 and one["segment"] == best["customers"][0]["segment"]
    from models.datasets import load_online_retail

    transactions = load_online_retail(retail).transactions[:LIMIT]
    busiest = Counter(t.customer_id for t in transactions).most_common(1)[0][0]
    for customer_id in (top, busiest):
        latest = sorted(((t.at, "order_refunded" if t.refund else "order_placed", t.invoice, round(t.amount, 2))
                         for t in transactions if t.customer_id == customer_id), reverse=True)[:3]
        recent = get(f"/customers/{customer_id}")[1]["recent_events"]
        assert [(e["at"], e["type"], e["order_id"], e["value"]) for e in recent] == [
            (at.isoformat(), kind, invoice, amount) for at, kind, invoice, amount in latest]
    assert len(recent) == 3
    assert "recent_events" not in one["profile"]
    assert cli("customer", top)["recent_events"] == one["recent_events"]
    printed = subprocess.run([sys.executable, "-m", "streams.cli", "customer", top], capture_output=True, text=True,
                             timeout=120, env={**os.environ, **settings_env(worker_settings)}).stdout
    newest = sorted(((t.at, "order_refunded" if t.refund else "order_placed", t.invoice, round(t.amount, 2))
                     for t in transactions if t.customer_id == top), reverse=True)[0]
    assert f"{newest[0]:%Y-%m-%d %H:%M} · {newest[1].replace('_', ' ')} · {newest[2]} · £{newest[3]:,.2f}" in printed
    assert get("/customers/nobody-like-this")[0] == 404
    status, error = get("/customers?order=richest")
    assert status == 400 and error["parameter"] == "order"
