"""The tracker's exceptions; this module imports nothing else of the project."""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error the tracker raises on purpose."""


class ServiceError(TrackerError):
    """A service (Kafka, Redis, an embedded binary) could not be started or reached."""


class UsageError(TrackerError):
    """A command line or input file the user gave is not usable; the message says why."""
