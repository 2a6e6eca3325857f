"""Online machine learning of the tracker: features, intent and loyalty models, BG/NBD, checkpoints, evaluation."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.bgnbd import BGNBD, BGNBDParams, Summary, summarise
    from models.checkpoints import dump, load
    from models.datasets import (
        Transaction,
        TransactionLog,
        load_cdnow,
        load_online_retail,
        load_online_shoppers,
    )
    from models.errors import CheckpointError, DataFileError, FieldError, ModelsError, NotFittedError
    from models.evaluation import (
        evaluate_intent,
        evaluate_loyalty,
        format_intent_report,
        format_loyalty_report,
    )
    from models.features import (
        INTENT_FEATURES,
        LOYALTY_FEATURES,
        PurchaseHistory,
        intent_features_from_session,
        intent_features_from_uci_row,
        intent_label_from_uci_row,
        loyalty_features,
        record_order,
        record_refund,
    )
    from models.intent import IntentModel, intent_inputs
    from models.loyalty import LoyaltyModel, PendingSnapshot, loyalty_inputs
    from models.metrics import ProgressiveScore, roc_auc
    from models.thresholds import ThresholdTracker
    from models.customer_facts import CustomerFacts
    from models.customer_types import CUSTOMER_TYPES, CustomerType, TypeEvidence
    from models.personas import Persona, PersonaBuilder
    from models.quantiles import LinearHistogram, LogHistogram
    from models.rfm import SEGMENTS, RFMScore, RFMScorer, RFMValues, Segment, rfm_values, segment
    from models.timing import Timing, is_overdue, mean_gap_days, next_purchase_expected
    from models.value import CustomerValue, expected_value, p_buy_again, rank

#: The module of each public name. A name is imported on first use, not with the package: importing
#: one light module of it (the clusterers' names that `tracker evaluate segments --help` shows) costs
#: that module, not river, scipy and numpy, which every model module pulls in (a second or two).
_HOMES: dict[str, tuple[str, ...]] = {
    "models.bgnbd": ("BGNBD", "BGNBDParams", "Summary", "summarise"),
    "models.checkpoints": ("dump", "load"),
    "models.datasets": ("Transaction", "TransactionLog", "load_cdnow", "load_online_retail", "load_online_shoppers"),
    "models.errors": ("CheckpointError", "DataFileError", "FieldError", "ModelsError", "NotFittedError"),
    "models.evaluation": ("evaluate_intent", "evaluate_loyalty", "format_intent_report", "format_loyalty_report"),
    "models.features": (
        "INTENT_FEATURES",
        "LOYALTY_FEATURES",
        "PurchaseHistory",
        "intent_features_from_session",
        "intent_features_from_uci_row",
        "intent_label_from_uci_row",
        "loyalty_features",
        "record_order",
        "record_refund",
    ),
    "models.intent": ("IntentModel", "intent_inputs"),
    "models.loyalty": ("LoyaltyModel", "PendingSnapshot", "loyalty_inputs"),
    "models.metrics": ("ProgressiveScore", "roc_auc"),
    "models.thresholds": ("ThresholdTracker",),
    "models.customer_facts": ("CustomerFacts",),
    "models.customer_types": ("CUSTOMER_TYPES", "CustomerType", "TypeEvidence"),
    "models.personas": ("Persona", "PersonaBuilder"),
    "models.quantiles": ("LinearHistogram", "LogHistogram"),
    "models.rfm": ("SEGMENTS", "RFMScore", "RFMScorer", "RFMValues", "Segment", "rfm_values", "segment"),
    "models.timing": ("Timing", "is_overdue", "mean_gap_days", "next_purchase_expected"),
    "models.value": ("CustomerValue", "expected_value", "p_buy_again", "rank"),
}

__all__ = [
    "BGNBD",
    "BGNBDParams",
    "CheckpointError",
    "DataFileError",
    "FieldError",
    "INTENT_FEATURES",
    "IntentModel",
    "LOYALTY_FEATURES",
    "LoyaltyModel",
    "ModelsError",
    "NotFittedError",
    "PendingSnapshot",
    "ProgressiveScore",
    "PurchaseHistory",
    "Summary",
    "ThresholdTracker",
    "Transaction",
    "TransactionLog",
    "dump",
    "evaluate_intent",
    "evaluate_loyalty",
    "format_intent_report",
    "format_loyalty_report",
    "intent_features_from_session",
    "intent_features_from_uci_row",
    "intent_inputs",
    "intent_label_from_uci_row",
    "load",
    "load_cdnow",
    "load_online_retail",
    "load_online_shoppers",
    "loyalty_features",
    "loyalty_inputs",
    "record_order",
    "record_refund",
    "roc_auc",
    "summarise",
    "CUSTOMER_TYPES",
    "CustomerFacts",
    "CustomerType",
    "CustomerValue",
    "LinearHistogram",
    "LogHistogram",
    "Persona",
    "PersonaBuilder",
    "RFMScore",
    "RFMScorer",
    "RFMValues",
    "SEGMENTS",
    "Segment",
    "Timing",
    "TypeEvidence",
    "expected_value",
    "is_overdue",
    "mean_gap_days",
    "next_purchase_expected",
    "p_buy_again",
    "rank",
    "rfm_values",
    "segment",
]


if not TYPE_CHECKING:  # the type checker reads the imports above instead
    from models.lazy_names import lazy_names

    __getattr__ = lazy_names(globals(), _HOMES)
