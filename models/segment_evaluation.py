"""Behavioural segments measured on a history: what they are, how big, what sets each apart, how stable.

A history is a sequence of *learning moments* — a customer and what was known of them then
(:class:`~models.customer_facts.CustomerFacts`), in time order — and every customer's facts at
the end. :func:`facts_of_log` makes one from a purchase log, as the worker's profiles would
hold it (orders, money, refunds, discounts, gaps, order weekdays and hours; no hours when the
log has only dates); the demo shop makes one from its simulated clickstream
(``streams.demo.segments``).

:func:`learn` replays a history into a :class:`~models.segments.BehaviourSegments` and places
every customer at the end. :func:`evaluate_segments` does it twice — the second time with
another seed and with the moments of each block of ``block`` shuffled, as partitions
interleave — and reports, per method, the segments found, the adjusted Rand index between
the two replays (:mod:`models.stability`), against the true kinds where the history has them
(the demo shop's), and the cost per learned moment and per placed customer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from models.behaviour import behaviour_features
from models.clustering import weighted_kmeans
from models.customer_facts import CustomerFacts
from models.portraits import TraitSketch, persona_name
from models.reports import Progress, table, tick
from models.segments import METHODS, BehaviourSegments, Method
from models.stability import adjusted_rand_index
from models.traits import distinguishing
from models.transactions import Transaction

__all__ = ["History", "SegmentRun", "evaluate_segments", "facts_of_log", "format_segments_report", "learn", "unformed"]

_DAY = 86400.0


@dataclasses.dataclass(frozen=True)
class History:
    """Learning moments in time order, every customer's facts at the end, and their true kind if known."""

    moments: Sequence[tuple[str, CustomerFacts]]
    final: Mapping[str, CustomerFacts]
    truth: Mapping[str, str] | None = None


@dataclasses.dataclass(frozen=True)
class SegmentRun:
    """One replay: the model, every customer's segment, and what learning and placing cost."""

    model: BehaviourSegments
    placed: dict[str, str]
    us_per_learn: float
    us_per_place: float


def _order(facts: CustomerFacts, t: Transaction, timed: bool) -> CustomerFacts:
    first = facts.first_order_at or t.at
    last = facts.last_order_at
    new_day = last is not None and t.at.date() != last.date() and t.at > last
    latest = t.at if last is None else max(last, t.at)
    weekdays = list(facts.order_weekdays or (0,) * 7)
    weekdays[t.at.weekday()] += 1
    hours = list(facts.order_hours or (0,) * 24)
    if timed:
        hours[t.at.hour] += 1
    return dataclasses.replace(
        facts, orders=facts.orders + 1, revenue=facts.revenue + t.amount,
        discount_orders=facts.discount_orders + int(t.discounted), first_order_at=first, last_order_at=latest,
        order_days=facts.order_days + int(new_day), gap_days_total=(latest - first).total_seconds() / _DAY,
        order_weekdays=tuple(weekdays), order_hours=tuple(hours) if timed else (),
    )


def facts_of_log(transactions: Sequence[Transaction]) -> History:
    """A purchase log (time-ordered) as a history: a moment after each of a customer's transactions.

    Examples
    --------
    >>> at = dt.datetime(2024, 1, 6, 10, tzinfo=dt.UTC)
    >>> h = facts_of_log([Transaction("a", "1", at, 30.0), Transaction("a", "2", at + dt.timedelta(days=7), 50.0),
    ...                   Transaction("a", "3", at + dt.timedelta(days=8), 20.0, refund=True)])
    >>> f = h.final["a"]
    >>> len(h.moments), f.orders, f.revenue, f.refunded, f.order_days, f.order_hours[10]
    (3, 2, 80.0, 20.0, 1, 2)

    """
    # A log with dates only says nothing of the hour: no hours rather than "all at midnight".
    timed = any(t.at.timetz().replace(tzinfo=None) != dt.time(0) for t in transactions)
    facts: dict[str, CustomerFacts] = {}
    moments: list[tuple[str, CustomerFacts]] = []
    for t in transactions:
        f = facts.get(t.customer_id) or CustomerFacts(t.customer_id, first_seen=t.at)
        if t.refund:
            f = dataclasses.replace(f, refunds=f.refunds + 1, refunded=f.refunded + t.amount)
        else:
            f = _order(f, t, timed)
        f = dataclasses.replace(f, last_seen=max(f.last_seen or t.at, t.at))
        facts[t.customer_id] = f
        moments.append((t.customer_id, f))
    return History(moments, facts)


def _shuffled(moments: Sequence[tuple[str, CustomerFacts]], block: int, seed: int) -> list[tuple[str, CustomerFacts]]:
    """The moments with each block of ``block`` in another order, each customer's own order kept."""
    rng = random.Random(seed)
    out: list[tuple[str, CustomerFacts]] = []
    for start in range(0, len(moments), block):
        chunk = list(moments[start:start + block])
        keys = [rng.random() for _ in chunk]
        firsts: dict[str, float] = {}
        for (customer, _), key in zip(chunk, keys):
            firsts.setdefault(customer, key)
        # Customers move as wholes within the block, so one customer's moments stay in order.
        order = sorted(range(len(chunk)), key=lambda i: (firsts[chunk[i][0]], i))
        out += [chunk[i] for i in order]
    return out


def learn(
    history: History, *, method: Method = "denstream", seed: int = 0, shuffle: int | None = None,
    block: int = 200, progress: Progress | None = None, **hyper: Any,
) -> SegmentRun:
    """Replay ``history`` into a fresh model and place every customer at the end.

    ``shuffle`` (a seed) replays the moments of each block of ``block`` in another order. The
    model learns the share of the moments it draws (``learn_share``), as in the worker.

    Examples
    --------
    >>> at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> moments = [(f"c{i}", CustomerFacts(f"c{i}", orders=1 + (i % 2) * 9, revenue=20.0 + (i % 2) * 900.0,
    ...                                     last_order_at=at)) for i in range(200)]
    >>> run = learn(History(moments, dict(moments)), min_segments=2, warm_up=50, refresh_every=50, learn_share=1.0)
    >>> sorted(Counter(run.placed.values()).values())
    [100, 100]

    """
    model = BehaviourSegments(method=method, seed=seed, **hyper)
    moments = history.moments if shuffle is None else _shuffled(history.moments, block, shuffle)
    spent = 0.0
    for done, (customer_id, facts) in enumerate(moments, 1):
        tick(progress, done, len(moments))
        # The worker's draw: a key per customer and moment (here what the customer had done by then).
        if not model.learns(f"{customer_id}|{facts.last_seen}|{facts.sessions}|{facts.orders}|{facts.refunds}"):
            continue
        x = behaviour_features(facts, vocabulary=model.vocabulary)
        started = time.perf_counter()
        model.learn_one(x)
        spent += time.perf_counter() - started
    placed: dict[str, str] = {}
    started = time.perf_counter()
    for customer_id, facts in history.final.items():
        segment = model.predict_one(behaviour_features(facts, vocabulary=model.vocabulary))
        if segment is not None:
            placed[customer_id] = segment
    place = time.perf_counter() - started
    return SegmentRun(model, placed, 1e6 * spent / max(len(moments), 1), 1e6 * place / max(len(history.final), 1))


def _segments(history: History, run: SegmentRun) -> list[dict[str, Any]]:
    """Each segment as the page would show it: read from all its customers against all customers."""
    everyone = TraitSketch()
    groups: dict[str, TraitSketch] = {}
    for customer_id, segment in run.placed.items():
        facts = history.final[customer_id]
        x = behaviour_features(facts)
        everyone.update(x, facts.net_spend)
        groups.setdefault(segment, TraitSketch()).update(x, facts.net_spend)
    total = max(len(run.placed), 1)
    out = []
    for segment, group in sorted(groups.items(), key=lambda item: -item[1].n):
        z = group.z(everyone)
        apart = sorted(((k, v) for k, v in z.items() if abs(v) >= 0.5), key=lambda kv: -abs(kv[1]))[:4]
        out.append({
            "segment": segment, "name": persona_name(distinguishing(z)), "customers": group.n,
            "share": round(group.n / total, 3), "spend_share": round(group.spend / everyone.spend, 3)
            if everyone.spend else 0.0, "traits": list(distinguishing(z)),
            "apart": {k: round(v, 2) for k, v in apart},
        })
    return out


def batch_reference(history: History, run: SegmentRun, *, restarts: int = 5) -> dict[str, float]:
    """How stable a batch k-means partition of the same customers is: the ceiling to read the ARI against.

    Every customer's features on ``run``'s model scale, grouped by k-means (as many groups as
    the run found, best of ``restarts`` starts) with two seeds; their ARI, and the ARI of the
    first with ``run``'s segments.
    """
    model = run.model
    ids = list(history.final)
    rows = np.array([list(model.transform_one(behaviour_features(history.final[c], vocabulary=model.vocabulary))
                          .values()) for c in ids])
    k = max(len(set(run.placed.values())), 2)
    ones = np.ones(len(rows))

    def partition(seed: int) -> dict[str, int]:
        rng = np.random.default_rng(seed)
        found = [weighted_kmeans(rows, ones, k, rng) for _ in range(restarts)]
        centres, labels = min(found, key=lambda f: float(((rows - f[0][f[1]]) ** 2).sum()))
        return dict(zip(ids, labels.tolist()))

    first, second = partition(0), partition(1)
    return {"k": k, "ari_between_seeds": round(adjusted_rand_index(first, second), 3),
            "ari_with_online": round(adjusted_rand_index(first, run.placed), 3)}


def unformed(model: BehaviourSegments, moments: int) -> str:
    """Why a replay of ``moments`` learning moments into ``model`` formed no segments.

    Examples
    --------
    >>> unformed(BehaviourSegments(warm_up=300, learn_share=0.25), 100)
    'too few learning moments to form segments: of 100 moments the model learned 0 (a share of 0.25), and it forms segments once it has learned 300'

    """
    if model.n_learned < model.warm_up:
        return (f"too few learning moments to form segments: of {moments} moment{'' if moments == 1 else 's'} the model learned "
                f"{model.n_learned} (a share of {model.learn_share:g}), and it forms segments once it has "
                f"learned {model.warm_up}")
    return f"no segments formed from the {model.n_learned} moments the model learned"


def evaluate_segments(
    history: History, *, methods: Iterable[Method] = METHODS, seeds: tuple[int, int] = (0, 1), block: int = 200,
    progress: Progress | None = None, **hyper: Any,
) -> dict[str, Any]:
    """Each method replayed twice on ``history``: segments, stability, agreement with the truth, cost.

    A method whose first replay formed no segments has no stability or agreement to measure:
    its ``ari_*`` are ``None`` (an index of two empty partitions would read as a perfect 1.0),
    and ``unformed`` says why, with the moments it ``learned`` and the ``warm_up`` it needs.
    """
    results: dict[str, Any] = {"moments": len(history.moments), "customers": len(history.final), "methods": {}}
    for method in methods:
        first = learn(history, method=method, seed=seeds[0], progress=progress, **hyper)
        if not first.placed:
            results["methods"][method] = {
                "segments": 0, "ari_between_replays": None,
                **({"ari_with_truth": None} if history.truth is not None else {}),
                "us_per_learn": round(first.us_per_learn, 1), "us_per_place": round(first.us_per_place, 1),
                "found": [], "learned": first.model.n_learned, "warm_up": first.model.warm_up,
                "unformed": unformed(first.model, len(history.moments)),
            }
            continue
        second = learn(history, method=method, seed=seeds[1], shuffle=seeds[1], block=block, **hyper)
        row: dict[str, Any] = {
            "segments": len(set(first.placed.values())),
            "ari_between_replays": round(adjusted_rand_index(first.placed, second.placed), 3),
            "us_per_learn": round(first.us_per_learn, 1),
            "us_per_place": round(first.us_per_place, 1),
            "found": _segments(history, first),
        }
        if history.truth is not None:
            row["ari_with_truth"] = round(adjusted_rand_index(first.placed, dict(history.truth)), 3)
        if method == "denstream":
            row["batch_kmeans"] = batch_reference(history, first)
        results["methods"][method] = row
    return results


def format_segments_report(result: Mapping[str, Any]) -> str:
    """The result of :func:`evaluate_segments` as tables."""
    methods = result["methods"]
    truth = any("ari_with_truth" in row for row in methods.values())
    header = ["method", "segments", "ARI replays", *(["ARI truth"] if truth else []), "µs/learn", "µs/place"]
    rows = [[name, str(row["segments"]), _index(row["ari_between_replays"]),
             *([_index(row.get("ari_with_truth", float("nan")))] if truth else []),
             f"{row['us_per_learn']:.0f}", f"{row['us_per_place']:.0f}"] for name, row in methods.items()]
    lines = [f"{result['customers']} customers, {result['moments']} learning moments", "", *table(header, rows)]
    lines += [f"{name}: {row['unformed']}" for name, row in methods.items() if "unformed" in row]
    for name, row in methods.items():
        batch = row.get("batch_kmeans")
        if batch:
            lines.append(f"batch k-means of the same customers (k = {batch['k']}), two seeds: ARI "
                         f"{batch['ari_between_seeds']:.3f}; with {name}'s segments: {batch['ari_with_online']:.3f}")
    for name, row in methods.items():
        if "unformed" in row:
            continue
        lines += ["", f"{name}: segments found (first replay)"]
        lines += table(["segment", "name", "customers", "share", "spend", "what sets it apart (z)"],
                       [[s["segment"], s["name"], str(s["customers"]), f"{100 * s['share']:.0f} %",
                         f"{100 * s['spend_share']:.0f} %", ", ".join(f"{k} {v:+.1f}" for k, v in s["apart"].items())]
                        for s in row["found"]])
    return "\n".join(lines)


def _index(value: float | None) -> str:
    """An adjusted Rand index as the tables write it: a dash where there was nothing to compare."""
    return "—" if value is None else f"{value:.3f}"
