"""What the tracker needs from Kafka besides its input: a publisher and a reader of its output.

The worker's are :class:`~streams.broker.publisher.FaustPublisher` and
:class:`~streams.broker.output_log.KafkaOutputLog`; unit tests pass real in-memory fakes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from streams.settings import Settings


class Publisher(Protocol):
    """Sends one record and returns once the broker acknowledged it."""

    async def publish(self, topic: str, key: str | None, value: bytes | None) -> None: ...


class OutputLog(Protocol):
    """Reads back what was published, to tell a sent outbox record from an unsent one."""

    async def published(self, topic: str, since: datetime, keys: Collection[str]) -> list[bytes]:
        """Values of the records on ``topic`` with a key in ``keys``, from ``since`` to the end."""
        ...


@dataclass(frozen=True, slots=True)
class Topics:
    """The tracker's output topics."""

    offer_triggers: str
    offer_outcomes: str
    dead_letters: str

    @classmethod
    def of(cls, settings: Settings) -> Topics:
        """The output topics the settings name."""
        return cls(settings.offer_triggers_topic, settings.offer_outcomes_topic, settings.dead_letters_topic)
