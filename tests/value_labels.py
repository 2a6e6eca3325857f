"""Value models taught through late labels, as the worker teaches them (importable from any test: tests/ is on sys.path)."""

from __future__ import annotations

import datetime as dt
import random

from models.value_model import ValueModel

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def taught(model: ValueModel, rows: list[tuple[dict[str, float], float]]) -> ValueModel:
    """``model`` after each row's features were snapshotted (a customer each, a day apart), spent half a day later and learned."""
    for i, (x, spend) in enumerate(rows):
        model.expire(day(i))
        model.snapshot(f"c{i}", x, at=day(i), spent_so_far=0.0)
        model.resolve(f"c{i}", at=day(i + 0.5), spent_total=spend)
    model.expire(day(len(rows) + 1))
    return model


def busy_visitors(n: int, seed: int) -> list[tuple[dict[str, float], float]]:
    """Buyers whose spend follows their visits, which the value rule does not read."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        sessions = rng.randrange(12)
        rows.append(({"orders": float(rng.randint(1, 4)), "repeat_days": float(rng.randint(0, 3)),
                      "revenue": rng.uniform(20, 400), "days_since_last": rng.uniform(0, 200),
                      "tenure_days": 300.0, "sessions": float(sessions)}, 40.0 * sessions))
    return rows

