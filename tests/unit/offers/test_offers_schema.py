"""The published JSON Schema of the offer trigger."""

from __future__ import annotations

from pathlib import Path

from offers.triggers import render_json_schema

PUBLISHED = Path(__file__).resolve().parents[3] / "offers" / "offer-trigger.schema.json"


def test_published_schema_matches_the_trigger_model():
    """offers/offer-trigger.schema.json is what email-system authors read; it must be current."""
    assert PUBLISHED.read_text() == render_json_schema(), "regenerate with: tracker schema > " + str(PUBLISHED)
