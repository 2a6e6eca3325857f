"""The learned customer value live: a log replayed in event time ranks its customers as the offline evaluation does.

A purchase log is replayed with ``tracker replay`` into a worker on real Kafka and Redis
(``TRACKER_CLOCK=event``, four partitions, read in whatever order the consumer fetches them);
its ranking at its last event, over ``GET /customers?order=best``, is then compared with
:func:`models.value_evaluation.evaluate_value`'s at that moment, and with what ``tracker
customers`` prints from the same store (without ``TRACKER_CLOCK`` set: one clock). Two logs, one
for each who may rank: a small one of customers who buy as BG/NBD assumes, where the value rule
ranks better than the model, and the CDNOW sample up to 1998-01-31, where the model does.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import urllib.request
from pathlib import Path

import pytest

from cli_runs import tracker
from harness import wait_until

CUTOFF_DAY = 420
LAST_DAY = 540
START = dt.date(2021, 1, 4)
CDNOW = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "CDNOW_sample.txt"


def cdnow_log(path: Path, customers: int = 260, seed: int = 7) -> list[str]:
    """A CDNOW-layout log: customers with their own buying rate, basket and lifetime; its lines."""
    rng = random.Random(seed)
    rows = []
    for c in range(1, customers + 1):
        rate = rng.choice([0.01, 0.02, 0.05, 0.1])
        basket = rng.lognormvariate(3.2, 0.7)
        lifetime = rng.expovariate(1 / 250)
        day = rng.uniform(0, 200)
        first = day
        while day < LAST_DAY and day - first <= lifetime:
            amount = round(basket * rng.uniform(0.5, 1.6), 2)
            rows.append((int(day), c, rng.randint(1, 4), amount))
            day += 1 + rng.expovariate(rate)
    rows.sort()
    lines = [f" {c:05d} {c:04d} {START + dt.timedelta(days=d):%Y%m%d}  {n}   {amount:.2f}" for d, c, n, amount in rows]
    path.write_text("\n".join(lines) + "\n")
    return lines


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.load(response)


def cdnow_sample(path: Path) -> list[str]:
    """The CDNOW sample (shared data), copied to ``path``; its lines."""
    path.write_text(CDNOW.read_text())
    return [line for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.worker(clock="event", insights_max_age_seconds=0, checkpoint_interval_seconds=1.0)
@pytest.mark.parametrize(("log", "cutoff", "ranked_by"), [
    (cdnow_log, START + dt.timedelta(days=CUTOFF_DAY), "rule"),
    (cdnow_sample, dt.date(1998, 1, 31), "learned"),
], ids=["rule-ranks", "model-ranks"])
def test_the_live_ranking_after_a_replay_is_the_offline_evaluations(log, cutoff, ranked_by, worker, worker_settings,
                                                                    tmp_path):
    """Same customers, same order, same predicted values, the same one ranking; and tracker customers prints the same."""
    from models.value_evaluation import evaluate_value
    from streams.demo.run import settings_env

    lines = log(tmp_path / "shop.txt")
    calibration = [line for line in lines if dt.date.fromisoformat(
        f"{line.split()[2][:4]}-{line.split()[2][4:6]}-{line.split()[2][6:]}") <= cutoff]
    (tmp_path / "calibration.txt").write_text("\n".join(calibration) + "\n")
    moment = max(dt.datetime.strptime(line.split()[2], "%Y%m%d").replace(tzinfo=dt.UTC) for line in calibration)

    env = {**os.environ, **settings_env(worker_settings)}
    result = tracker("replay", str(tmp_path / "calibration.txt"), "--format", "cdnow", timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    wait_until(lambda: worker.metric_total("tracker_events_consumed_total") >= len(calibration), timeout=90,
               every=0.5, message=f"{len(calibration)} replayed orders")

    offline = evaluate_value(tmp_path / "shop.txt", "cdnow", cutoff=moment, bootstrap=0)
    assert offline["model"]["learned"] >= 200  # the value model's verdict ranks, not the cold-start rule
    expected = [(row["customer_id"], row["predicted_value"]) for row in offline["ranking"]]

    def live() -> list[tuple[str, float]]:
        body = get(worker.url(f"/customers?order=best&limit={len(expected)}"))
        assert body["as_of"] == moment.isoformat()
        return [(c["customer_id"], c["expected_value"]) for c in body["customers"]]

    def same(ranked: list[tuple[str, float]]) -> bool:
        """The same customers in the same order, with the same values (to the last few bits of a float)."""
        return [c for c, _ in ranked] == [c for c, _ in expected] and all(
            v == pytest.approx(w, rel=1e-9) for (_, v), (_, w) in zip(ranked, expected))

    # The timer takes the silent customers' reviews and learns the labels in ticks after the last order.
    try:
        wait_until(lambda: same(live()), timeout=90, every=1.0,
                   message="the live ranking to reach the offline evaluation's")
    except AssertionError as exc:  # say how they differ: labels learned, and the first rows apart
        ranked = live()
        apart = [(a, b) for a, b in zip(ranked, expected) if a[0] != b[0] or a[1] != pytest.approx(b[1], rel=1e-9)]
        learned = worker.metric("tracker_model_examples_total", model="value")
        raise AssertionError(f"{exc}: live learned {learned:g} labels, offline {offline['model']['learned']}; "
                             f"first rows apart (live, offline): {apart[:3]}") from exc
    ranked = live()
    assert [c for c, _ in ranked] == [c for c, _ in expected]
    assert all(v == pytest.approx(w, rel=1e-9) for (_, v), (_, w) in zip(ranked, expected))
    # Whoever ranks (the model, or the rule while the model does not rank better), the same one live and offline.
    assert offline["model"]["ranked_by"] == ranked_by
    assert all(c["value_source"] == ranked_by for c in get(worker.url("/customers?order=best&limit=5"))["customers"])
    assert worker.metric("tracker_model_ranks", model="value") == float(ranked_by == "learned")
    # The same labels learned, and each snapshot scored as of its own time: the same progressive figures.
    progressive = offline["model"]["prequential"]
    assert worker.metric("tracker_model_examples_total", model="value") == offline["model"]["learned"]
    assert worker.metric("tracker_model_spearman", model="value") == pytest.approx(progressive["spearman"], rel=1e-9)
    assert worker.metric("tracker_model_mean_absolute_error", model="value") == pytest.approx(progressive["mae"], rel=1e-9)

    # One clock: the CLI, with no TRACKER_CLOCK, reads the replay's clock from the store and agrees with the API.
    cli_env = {k: v for k, v in env.items() if k != "TRACKER_CLOCK"}

    def cli() -> list[dict]:
        out = tracker("customers", "best", "--limit", "20", "--json", timeout=120, env=cli_env)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    api = get(worker.url("/customers?order=best&limit=20"))["customers"]
    wait_until(lambda: [c["customer_id"] for c in cli()] == [c["customer_id"] for c in api], timeout=30,
               every=1.0, message="the checkpointed model to rank as the live one")
    printed = cli()
    assert [c["expected_value"] for c in printed] == pytest.approx([c["expected_value"] for c in api], rel=1e-9)
    top = api[0]["customer_id"]
    one = tracker("customer", top, "--json", timeout=120, env=cli_env)
    assert one.returncode == 0, one.stderr
    view, api_view = json.loads(one.stdout), get(worker.url(f"/customers/{top}"))
    assert view["predicted_value_90d"] == api_view["predicted_value_90d"]
    assert view["timing"] == api_view["timing"]  # computed as of the replay's last event, not the wall clock
