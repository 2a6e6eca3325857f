"""The value model's inputs: value features on scales a linear model can weigh, in groups.

:func:`value_inputs` turns the raw value features (:func:`models.value_features.value_features`)
into the inputs of :class:`models.value_model.ValueModel`; the groups let a model use subsets.

Every input comes from the customer's own history. BG/NBD and Gamma-Gamma enter as the value
rule's fixed-prior versions (group ``rule``: P(alive), P(buys in the horizon), expected orders
and spend, :mod:`models.value`), not as fits over the population: a fit depends on when it was
taken and on every other customer, and a worker reading partitions in its own order would fit
at other moments than an offline replay, and learn something else. Fitted on the shipped logs,
the population's BG/NBD and Gamma-Gamma outputs as inputs moved Spearman and top-decile capture
by less than 0.005 (docs/customers-and-models.md); they remain the baselines the model is
measured against.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence

from models.value import (
    DISCOUNT_DEPENDENCE,
    DROPOUT_P,
    FIRST_REPEAT_DAYS,
    FIRST_REPEAT_P,
    MIN_TENURE_DAYS,
)

__all__ = ["FEATURE_GROUPS", "OPTIONAL_GROUPS", "log1p", "rule_spend", "value_inputs"]

#: The groups of model inputs a value model uses by default.
FEATURE_GROUPS: tuple[str, ...] = ("rfm", "spend", "returns", "visits", "rule")
#: Groups a value model may add: ``interactions`` (spend x the rule's P(alive) and P(buys)).
OPTIONAL_GROUPS: tuple[str, ...] = ("interactions",)

_DAY_EDGES: tuple[float, ...] = (7.0, 30.0, 60.0, 90.0, 180.0, 365.0)
_MAX_REPEAT_BIN = 8


def log1p(value: float) -> float:
    """``log(1 + value)``, 0 for a negative value."""
    return math.log1p(max(value, 0.0))


def _rule_parts(x: Mapping[str, float], horizon_days: float) -> tuple[float, float, float, float] | None:
    """P(alive), P(buys in the horizon), expected orders and expected spend by the value rule; ``None`` without orders."""
    get = x.get
    orders = max(float(get("orders", 0.0)), 0.0)
    repeat = max(float(get("repeat_days", 0.0)), 0.0)
    silence = max(float(get("days_since_last", 0.0)), 0.0)
    tenure = max(float(get("tenure_days", 0.0)), MIN_TENURE_DAYS)
    if orders <= 0:
        return None
    if repeat <= 0:
        alive = 1.0
        p_buy = FIRST_REPEAT_P * math.exp(-silence / FIRST_REPEAT_DAYS)
    else:
        t_x = max(tenure - silence, 1.0)
        q = DROPOUT_P
        log_odds = math.log(q / (1.0 - q)) + repeat * math.log(tenure / t_x)
        alive = 1.0 / (1.0 + math.exp(min(log_odds, 700.0)))
        p_buy = alive * (1.0 - (tenure / (tenure + horizon_days)) ** repeat)
    expected_orders = max(1.0, repeat / tenure * horizon_days) * orders / (repeat + 1.0)
    order_value = max(float(get("revenue", 0.0)), 0.0) / orders
    keep = (1.0 - min(max(float(get("refund_share", 0.0)), 0.0), 1.0)) * (
        1.0 - DISCOUNT_DEPENDENCE * min(max(float(get("discount_share", 0.0)), 0.0), 1.0))
    return alive, p_buy, expected_orders, p_buy * expected_orders * order_value * keep


def rule_spend(x: Mapping[str, float], horizon_days: float = 90.0) -> float:
    """The value rule's expected spend over ``horizon_days`` (money) from value features; 0 without orders.

    What :func:`models.value.expected_value` says of a customer without a loyalty score, read
    from the features a snapshot keeps, so that a worker and an offline replay compute it alike.

    >>> x = {"orders": 4, "repeat_days": 3, "revenue": 400.0, "tenure_days": 300, "days_since_last": 20}
    >>> round(rule_spend(x), 2), rule_spend({"orders": 0})
    (47.93, 0.0)

    """
    parts = _rule_parts(x, horizon_days)
    return 0.0 if parts is None else parts[3]


def _rule(x: Mapping[str, float], horizon_days: float) -> dict[str, float]:
    """The value rule's parts (:func:`models.value.p_buy_again`, :func:`models.value.expected_value`) from value features.

    BG/NBD's P(alive), P(buys in the horizon) and expected orders with fixed priors, and the rule's
    expected spend: what the fitted BG/NBD x Gamma-Gamma say, from the customer's own history alone.
    """
    parts = _rule_parts(x, horizon_days)
    if parts is None:
        return {}
    alive, p_buy, expected_orders, spend = parts
    alive = min(max(alive, 1e-6), 1.0 - 1e-6)
    p_buy = min(max(p_buy, 1e-6), 1.0 - 1e-6)
    return {
        "rule_alive_logit": math.log(alive / (1.0 - alive)) / 5.0,
        "rule_buy_logit": math.log(p_buy / (1.0 - p_buy)) / 5.0,
        "rule_orders": log1p(expected_orders),
        "rule_spend": log1p(spend) / 3.0,
        "log_rule_spend": math.log(spend + 1e-2) / 3.0,
    }


def value_inputs(
    x: Mapping[str, float], groups: Sequence[str] = FEATURE_GROUPS, horizon_days: float = 90.0
) -> dict[str, float]:
    """The model's inputs for a dict of value features, restricted to ``groups``.

    Counts, days and money go on a log scale (money and days divided by 3, to keep every input
    of the order of 1); days since the last order and repeat days also get one-hot bins;
    ``rate`` (repeat days per 30 days of tenure), ``overdue`` (silence over the usual gap) and
    ``trend`` (recent against long-run decayed spend) describe the rhythm of buying; the
    ``rule`` group is the value rule's fixed-prior BG/NBD (see the module's notes).

    Examples
    --------
    >>> z = value_inputs({"orders": 3, "repeat_days": 2, "tenure_days": 100, "recency_days": 80,
    ...                   "days_since_last": 20, "revenue": 300.0, "recent_spend": 50.0,
    ...                   "long_spend": 200.0})
    >>> round(z["revenue"], 3), z["days_since_last#1"], z["repeat_days#2"], round(z["trend"], 3)
    (1.902, 1.0, 1.0, -1.371)
    >>> round(z["rule_spend"], 3), "rule_spend" in value_inputs({"orders": 3}, groups=("rfm",))
    (1.572, False)

    """
    get = x.get
    inputs: dict[str, float] = {}
    orders = max(float(get("orders", 0.0)), 0.0)
    repeat = max(float(get("repeat_days", 0.0)), 0.0)
    tenure = max(float(get("tenure_days", 0.0)), 0.0)
    recency = max(float(get("recency_days", 0.0)), 0.0)
    silence = max(float(get("days_since_last", 0.0)), 0.0)
    if "rfm" in groups:
        usual_gap = recency / repeat if repeat > 0 else tenure
        inputs.update({
            "orders": log1p(orders),
            "repeat_days": log1p(repeat),
            "tenure_days": log1p(tenure) / 3.0,
            "recency_days": log1p(recency) / 3.0,
            "days_since_last": log1p(silence) / 3.0,
            "revenue": log1p(float(get("revenue", 0.0))) / 3.0,
            "net_spend": log1p(float(get("net_spend", 0.0))) / 3.0,
            "order_value": log1p(float(get("order_value", 0.0))) / 3.0,
            "repeat_buyer": 1.0 if repeat > 0 else 0.0,
            "rate": log1p(30.0 * repeat / (tenure + 1.0)),
            "overdue": log1p(silence / (usual_gap + 1.0)),
            f"days_since_last#{bisect.bisect_right(_DAY_EDGES, silence)}": 1.0,
            f"repeat_days#{min(int(repeat), _MAX_REPEAT_BIN)}": 1.0,
        })
    if "spend" in groups:
        recent = log1p(float(get("recent_spend", 0.0)))
        long = log1p(float(get("long_spend", 0.0)))
        inputs.update({
            "repeat_order_value": log1p(float(get("repeat_order_value", 0.0))) / 3.0,
            "last_order_value": log1p(float(get("last_order_value", 0.0))) / 3.0,
            "max_order_value": log1p(float(get("max_order_value", 0.0))) / 3.0,
            "recent_spend": recent / 3.0,
            "long_spend": long / 3.0,
            "trend": recent - long,
            "products": log1p(float(get("products", 0.0))) / 3.0,
            "categories": log1p(float(get("categories", 0.0))),
        })
    if "returns" in groups:
        inputs.update({
            "refunds": log1p(float(get("refunds", 0.0))),
            "refund_share": min(max(float(get("refund_share", 0.0)), 0.0), 1.0),
            "discount_share": min(max(float(get("discount_share", 0.0)), 0.0), 1.0),
        })
    if "visits" in groups:
        inputs.update({
            "sessions": log1p(float(get("sessions", 0.0))),
            "product_views": log1p(float(get("product_views", 0.0))) / 2.0,
            "cart_adds": log1p(float(get("cart_adds", 0.0))),
            "checkouts": log1p(float(get("checkouts", 0.0))),
            "days_since_seen": log1p(float(get("days_since_seen", 0.0))) / 3.0,
        })
    if "rule" in groups or "interactions" in groups:
        rule = _rule(x, horizon_days)
        if "rule" in groups:
            inputs.update(rule)
        if "interactions" in groups and rule:
            inputs.update(_interactions(x, rule))
    return inputs


def _interactions(x: Mapping[str, float], rule: Mapping[str, float]) -> dict[str, float]:
    """Money that counts only while the customer is alive: spend inputs times P(alive) and P(buys)."""
    alive = 1.0 / (1.0 + math.exp(-5.0 * rule["rule_alive_logit"]))
    p_buy = 1.0 / (1.0 + math.exp(-5.0 * rule["rule_buy_logit"]))
    revenue = log1p(float(x.get("revenue", 0.0))) / 3.0
    recent = log1p(float(x.get("recent_spend", 0.0))) / 3.0
    order_value = log1p(float(x.get("order_value", 0.0))) / 3.0
    return {
        "alive_x_revenue": alive * revenue,
        "alive_x_recent_spend": alive * recent,
        "buy_x_revenue": p_buy * revenue,
        "buy_x_order_value": p_buy * order_value,
    }
