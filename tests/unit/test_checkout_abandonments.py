"""The tracker against an independent count of checkout abandonments, on a realistic simulated export.

``scripts/checkout_abandonments.py`` counts, with plain Python and none of the tracker's
code, the visits (30-minute rule) with a checkout, no order and a known cart; and runs the
tracker's own steps on the same messages.  Target: at least 90 % of the independent count
found, none invented.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from analytics_js import Browser

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "checkout_abandonments.py"
_spec = importlib.util.spec_from_file_location("checkout_abandonments", SCRIPT)
assert _spec and _spec.loader
check = importlib.util.module_from_spec(_spec)
sys.modules["checkout_abandonments"] = check
_spec.loader.exec_module(check)

T0 = datetime(2026, 1, 5, 9, tzinfo=timezone.utc)


def counts(messages: list[dict]) -> tuple[list, list]:
    alias = check.people(messages)
    return check.independent_count(messages, alias), check.tracker_count(messages, alias)


def test_the_independent_count_of_a_few_visits_by_hand():
    """A cart filled in one visit and checked out in a later one is one; an order or an expired cart makes none."""
    a, b, c = Browser("anon-a"), Browser("anon-b"), Browser("anon-c")
    a.user_id = b.user_id = c.user_id = None
    messages = [
        a.track(T0, "Product Added", product_id="p1", price=3), a.track(T0 + timedelta(hours=3), "Checkout Started"),
        b.track(T0, "Product Added", product_id="p1", price=3), b.track(T0 + timedelta(hours=3), "Checkout Started"),
        b.track(T0 + timedelta(hours=3, minutes=20), "Order Completed", total=3),
        c.track(T0, "Product Added", product_id="p1", price=3), c.track(T0 + timedelta(days=15), "Checkout Started"),
    ]
    independent, tracker = counts(messages)
    assert [(x.person, x.start) for x in independent] == [("anon-a", T0 + timedelta(hours=3))]
    assert [(x.person, x.start) for x in tracker] == [("anon-a", T0 + timedelta(hours=3))]


def test_a_checkout_begun_anonymously_and_finished_logged_in_is_one_persons():
    shop = Browser("anon-d")
    messages = [shop.track(T0, "Product Added", product_id="p1", price=3),
                shop.track(T0 + timedelta(minutes=1), "Checkout Started"),
                shop.identify(T0 + timedelta(minutes=2), "user-d")]
    independent, tracker = counts(messages)
    assert [x.person for x in independent] == [x.person for x in tracker] == ["user-d"]


def realistic_export(tmp_path: Path, shoppers: int = 2500, seed: int = 17) -> Path:
    """A simulated shop's export as a pipeline delivers it: out of order within the hour, some messages twice."""
    from streams.demo.messages import shop_messages
    from streams.demo.shop import simulate_shop

    shop = simulate_shop(shoppers, seed=seed, start=T0, pace=timedelta(seconds=40), spread=timedelta(days=10))
    messages = list(shop_messages(shop))
    rng = random.Random(seed)
    messages += rng.sample(messages, len(messages) // 50)  # at-least-once delivery
    messages.sort(key=lambda m: (m["timestamp"][:13], rng.random()))  # hourly files, unordered inside
    path = tmp_path / "export.jsonl.gz"
    with gzip.open(path, "wt") as out:
        for message in messages:
            out.write(json.dumps(message) + "\n")
        out.write("not json\n")
    return path


def test_the_tracker_finds_nine_in_ten_checkout_abandonments_and_invents_none(tmp_path, capsys):
    path = realistic_export(tmp_path)
    messages = check.read_export(str(path))
    independent, tracker = counts(messages)
    result = check.compare(independent, tracker)
    with capsys.disabled():
        print(f"\n  checkout abandonments: independent {result.independent}, tracker {result.tracker}, "
              f"found {result.found} ({result.recall:.1%}), invented {len(result.invented)}")
    assert result.independent > 300
    assert result.recall >= 0.9
    assert result.invented == []


def test_the_script_prints_the_figures(tmp_path, capsys):
    path = realistic_export(tmp_path, shoppers=300, seed=3)
    assert check.main([str(path), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["independent"] > 0 and figures["recall"] >= 0.9 and figures["invented"] == 0
