"""The checkpoint format of the models: versioned, checksummed bytes for the state store.

Layout: ``MAGIC`` (8 bytes), the format version (2 bytes, big-endian), the SHA-256 of the
payload (32 bytes), then the payload, a pickle of the model. A checkpoint of another format
version, a damaged one, or one that is not a checkpoint at all raises
:class:`~models.errors.CheckpointError`, so that the caller can report it, count it and start
from a fresh model.

Unpickling runs code named by the data, so :func:`load` only resolves classes of ``models`` and
``river`` and a few plain containers; anything else is refused. Checkpoints should still only
be read from a store that only the tracker writes to.
"""

from __future__ import annotations

import hashlib
import io
import pickle
import struct
from typing import Any, TypeVar, overload

from models.errors import CheckpointError

__all__ = ["FORMAT_VERSION", "MAGIC", "dump", "load"]

#: First bytes of every checkpoint.
MAGIC = b"BTMODEL\x00"
#: Version of the layout and of the pickled classes; bump it when either changes incompatibly.
FORMAT_VERSION = 2  # 2: ProgressiveScore keeps ROC AUC as score bins

_HEADER = struct.Struct(">8sH32s")
# Packages whose classes a checkpoint may name, and single names allowed from elsewhere.
_ALLOWED_PACKAGES = ("models", "river")
_ALLOWED_NAMES: dict[str, frozenset[str]] = {
    "builtins": frozenset(
        {"bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list",
         "range", "set", "slice", "str", "tuple"}
    ),
    "collections": frozenset({"Counter", "OrderedDict", "defaultdict", "deque"}),
    "datetime": frozenset({"datetime", "timedelta", "timezone"}),
    "copyreg": frozenset({"_reconstructor"}),
    "functools": frozenset({"partial"}),
    # The seeded generator of river's trees and forests (the value model's tree families).
    "random": frozenset({"Random"}),
    "statistics": frozenset({"NormalDist"}),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy.core.multiarray": frozenset({"_reconstruct", "scalar"}),
    "numpy._core.multiarray": frozenset({"_reconstruct", "scalar"}),
    # Arrays pickled with protocol 5 are rebuilt from their bytes.
    "numpy.core.numeric": frozenset({"_frombuffer"}),
    "numpy._core.numeric": frozenset({"_frombuffer"}),
}

T = TypeVar("T")


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        allowed = module.split(".", 1)[0] in _ALLOWED_PACKAGES or name in _ALLOWED_NAMES.get(
            module, ()
        )
        if not allowed:
            raise CheckpointError(
                f"checkpoint refers to {module}.{name}; expected only classes of "
                f"{' and '.join(_ALLOWED_PACKAGES)} and plain containers"
            )
        return super().find_class(module, name)


def dump(model: object) -> bytes:
    """Serialise a model as checkpoint bytes.

    Examples
    --------
    >>> from models.intent import IntentModel
    >>> data = dump(IntentModel())
    >>> data[:8] == MAGIC, int.from_bytes(data[8:10], "big") == FORMAT_VERSION
    (True, True)

    """
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(MAGIC, FORMAT_VERSION, hashlib.sha256(payload).digest()) + payload


@overload
def load(data: bytes) -> object: ...


@overload
def load(data: bytes, kind: type[T]) -> T: ...


def load(data: bytes, kind: type[Any] | None = None) -> Any:
    """Read a model back from checkpoint bytes.

    Parameters
    ----------
    data
        Bytes written by :func:`dump`.
    kind
        If given, the class the model must be an instance of.

    Raises
    ------
    CheckpointError
        If the bytes are not a checkpoint, are of another format version, are damaged, or hold
        something other than ``kind``.

    Examples
    --------
    >>> from models.intent import IntentModel
    >>> model = load(dump(IntentModel(warm_up=7)), IntentModel)
    >>> model.warm_up
    7
    >>> load(b"not a checkpoint")
    Traceback (most recent call last):
    ...
    models.errors.CheckpointError: not a model checkpoint: expected 42 header bytes starting with b'BTMODEL\\x00', found b'not a checkpoint'

    """
    if len(data) < _HEADER.size or not data.startswith(MAGIC):
        raise CheckpointError(
            f"not a model checkpoint: expected {_HEADER.size} header bytes starting with "
            f"{MAGIC!r}, found {bytes(data[:16])!r}"
        )
    _, version, digest = _HEADER.unpack_from(data)
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint format version {version}; this code reads version {FORMAT_VERSION}"
        )
    payload = memoryview(data)[_HEADER.size :]
    if hashlib.sha256(payload).digest() != digest:
        raise CheckpointError("checkpoint damaged: payload does not match its SHA-256")
    try:
        model = _Unpickler(io.BytesIO(payload)).load()
    except CheckpointError:
        raise
    except Exception as error:  # any unpickling failure means the same thing to the caller
        raise CheckpointError(f"checkpoint unreadable: {type(error).__name__}: {error}") from error
    if kind is not None and not isinstance(model, kind):
        raise CheckpointError(
            f"checkpoint holds a {type(model).__name__}; expected a {kind.__name__}"
        )
    return model
