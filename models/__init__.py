"""Online machine learning of the tracker: features, intent and loyalty models, BG/NBD, checkpoints, evaluation."""

from __future__ import annotations

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
]
