"""Checkpoints: models survive a round trip; anything else is a CheckpointError."""

from __future__ import annotations

import datetime as dt
import hashlib
import pickle
import struct

import pytest

from models.bgnbd import BGNBD
from models.checkpoints import FORMAT_VERSION, MAGIC, dump, load
from models.errors import CheckpointError
from models.intent import IntentModel
from models.loyalty import LoyaltyModel

PROBE = {"page_value": 12.0, "product_pages": 9, "month": 11}


def trained_intent() -> IntentModel:
    model = IntentModel(warm_up=10)
    for i in range(200):
        model.learn_one({"page_value": float(i % 4) * 10, "product_pages": i % 9, "month": 11}, i % 4 == 3)
    return model


def with_header(payload: bytes, version: int = FORMAT_VERSION) -> bytes:
    return struct.pack(">8sH32s", MAGIC, version, hashlib.sha256(payload).digest()) + payload


def test_an_intent_model_round_trips_with_its_state() -> None:
    """A loaded intent model predicts, thresholds and scores exactly as the dumped one."""
    model = trained_intent()
    restored = load(dump(model), IntentModel)
    assert restored.predict_proba_one(PROBE) == model.predict_proba_one(PROBE)
    assert (restored.threshold, restored.n_learned) == (model.threshold, model.n_learned)
    assert restored.score.as_dict() == model.score.as_dict()


def test_a_loyalty_model_round_trips_with_its_pending_snapshots() -> None:
    """A loaded loyalty model keeps its pending snapshots and keeps learning from them."""
    model = LoyaltyModel(horizon_days=10)
    model.snapshot("c1", {"orders": 2, "frequency": 1}, dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    restored = load(dump(model), LoyaltyModel)
    assert restored.pending == model.pending
    assert restored.expire(dt.datetime(2024, 2, 1, tzinfo=dt.UTC)) == 1


def test_a_fitted_bgnbd_round_trips() -> None:
    """A loaded BG/NBD has the same parameters."""
    model = BGNBD().fit([0, 1, 3, 0, 2], [0, 2, 9, 0, 4], [10, 10, 10, 8, 6])
    assert load(dump(model), BGNBD).params == model.params


def test_another_format_version_is_refused() -> None:
    """A checkpoint of another format version raises CheckpointError naming both versions."""
    data = with_header(pickle.dumps(trained_intent()), version=FORMAT_VERSION + 1)
    with pytest.raises(CheckpointError, match=f"version {FORMAT_VERSION + 1}.*version {FORMAT_VERSION}"):
        load(data)


@pytest.mark.parametrize("data", [b"", b"BTMODEL", b"{\"json\": true}", b"\x80\x05K\x01." * 10])
def test_bytes_that_are_not_a_checkpoint_are_refused(data: bytes) -> None:
    """Empty, short or foreign bytes raise CheckpointError."""
    with pytest.raises(CheckpointError, match="not a model checkpoint"):
        load(data)


def test_a_damaged_checkpoint_is_refused() -> None:
    """One flipped payload byte fails the checksum."""
    data = bytearray(dump(trained_intent()))
    data[-5] ^= 0xFF
    with pytest.raises(CheckpointError, match="damaged"):
        load(bytes(data))


def test_a_truncated_payload_with_a_matching_checksum_is_refused() -> None:
    """A payload that is not a complete pickle raises CheckpointError, not a pickle error."""
    with pytest.raises(CheckpointError, match="unreadable"):
        load(with_header(pickle.dumps(trained_intent())[:100]))


def test_a_checkpoint_naming_a_foreign_callable_is_refused() -> None:
    """A pickle that names anything outside models, river and plain containers is refused."""
    class Exploit:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            import os

            return (os.system, ("true",))

    with pytest.raises(CheckpointError, match="system"):
        load(with_header(pickle.dumps(Exploit())))


def test_a_checkpoint_of_the_wrong_kind_is_refused() -> None:
    """Asking for an IntentModel and finding a LoyaltyModel raises CheckpointError."""
    with pytest.raises(CheckpointError, match="LoyaltyModel; expected a IntentModel"):
        load(dump(LoyaltyModel()), IntentModel)
