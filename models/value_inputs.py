"""The value model's inputs: value features on scales a linear model can weigh, in groups.

:func:`value_inputs` turns the raw value features (:func:`models.value_features.value_features`)
into the inputs of :class:`models.value_model.ValueModel`; the groups let the model selection
(:mod:`models.value_evaluation`) try subsets of them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence

__all__ = ["FEATURE_GROUPS", "log1p", "value_inputs"]

#: The groups of model inputs a value model may use (all by default).
FEATURE_GROUPS: tuple[str, ...] = ("rfm", "spend", "returns", "visits", "clv")

_DAY_EDGES: tuple[float, ...] = (7.0, 30.0, 60.0, 90.0, 180.0, 365.0)
_MAX_REPEAT_BIN = 8


def log1p(value: float) -> float:
    """``log(1 + value)``, 0 for a negative value."""
    return math.log1p(max(value, 0.0))


def value_inputs(x: Mapping[str, float], groups: Sequence[str] = FEATURE_GROUPS) -> dict[str, float]:
    """The model's inputs for a dict of value features, restricted to ``groups``.

    Counts, days and money go on a log scale (money and days divided by 3, to keep every input
    of the order of 1); days since the last order and repeat days also get one-hot bins;
    ``rate`` (repeat days per 30 days of tenure), ``overdue`` (silence over the usual gap) and
    ``trend`` (recent against long-run decayed spend) describe the rhythm of buying.

    Examples
    --------
    >>> z = value_inputs({"orders": 3, "repeat_days": 2, "tenure_days": 100, "recency_days": 80,
    ...                   "days_since_last": 20, "revenue": 300.0, "recent_spend": 50.0,
    ...                   "long_spend": 200.0, "expected_spend": 99.0})
    >>> round(z["revenue"], 3), z["days_since_last#1"], z["repeat_days#2"], round(z["trend"], 3)
    (1.902, 1.0, 1.0, -1.371)
    >>> round(z["expected_spend"], 3), "expected_spend" in value_inputs({}, groups=("rfm",))
    (1.535, False)

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
    if "clv" in groups:
        if "p_alive" in x:
            p_alive = min(max(float(x["p_alive"]), 1e-6), 1.0 - 1e-6)
            expected = max(float(get("expected_purchases", 0.0)), 0.0)
            inputs["p_alive"] = p_alive
            inputs["p_alive_logit"] = math.log(p_alive / (1.0 - p_alive)) / 5.0
            inputs["expected_purchases"] = log1p(expected)
            # Logs, not log1p, where BG/NBD x Gamma-Gamma multiplies: a small expectation is
            # a small factor of the spend, and past spend counts only as far as the customer is alive.
            inputs["log_expected_purchases"] = math.log(expected + 1e-3) / 3.0
            inputs["alive_revenue"] = p_alive * log1p(float(get("revenue", 0.0))) / 3.0
            p_buy = min(max(float(get("p_buy", p_alive)), 1e-6), 1.0 - 1e-6)
            inputs["p_buy_logit"] = math.log(p_buy / (1.0 - p_buy)) / 5.0
            if "expected_spend" in x:
                # BG/NBD x Gamma-Gamma's spend of a customer who buys: the two-part model's own split.
                spend_if_buy = max(float(x["expected_spend"]), 0.0) / p_buy
                inputs["log_spend_if_buy"] = math.log(spend_if_buy + 1e-2) / 3.0
        if "expected_order_value" in x:
            inputs["expected_order_value"] = log1p(float(x["expected_order_value"])) / 3.0
        if "expected_spend" in x:
            inputs["expected_spend"] = log1p(float(x["expected_spend"])) / 3.0
            inputs["log_expected_spend"] = math.log(max(float(x["expected_spend"]), 0.0) + 1e-2) / 3.0
        else:
            inputs["no_clv"] = 1.0
    return inputs
