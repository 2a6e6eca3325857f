"""Offline evaluation of the models on purchase logs and the public data sets.

The same model code as the live worker runs here on any purchase log (:mod:`models.datasets`)
and on the files described in ``../shared/data/SOURCES.md``; results sit next to the published
figures and baselines they are compared against. One module per model:
:mod:`models.intent_evaluation`, :mod:`models.loyalty_evaluation`,
:mod:`models.value_evaluation`; this one gathers their public names.
"""

from __future__ import annotations

from models.intent_evaluation import PUBLISHED_INTENT, evaluate_intent, format_intent_report
from models.loyalty_evaluation import (
    PUBLISHED_BGNBD,
    PUBLISHED_CDNOW_SPLIT,
    evaluate_loyalty,
    format_loyalty_report,
    loyalty_periods,
)
from models.reports import Progress

__all__ = [
    "PUBLISHED_BGNBD",
    "PUBLISHED_CDNOW_SPLIT",
    "PUBLISHED_INTENT",
    "Progress",
    "evaluate_intent",
    "evaluate_loyalty",
    "format_intent_report",
    "format_loyalty_report",
    "loyalty_periods",
]
