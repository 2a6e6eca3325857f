"""The exceptions of the offer core (a leaf module: it imports nothing else)."""

from __future__ import annotations


class OfferError(Exception):
    """Base of every error the offer core raises on purpose."""


class PolicyError(OfferError, ValueError):
    """A policy file that cannot be used; the message names the file and the line."""
