"""The published JSON Schemas of the offer trigger and the offer outcome."""

from __future__ import annotations

from pathlib import Path

from offers.outcomes import render_json_schema as render_outcome_schema
from offers.triggers import render_json_schema

OFFERS = Path(__file__).resolve().parents[3] / "offers"
PUBLISHED = OFFERS / "offer-trigger.schema.json"
OUTCOME_PUBLISHED = OFFERS / "offer-outcome.schema.json"


def test_published_schema_matches_the_trigger_model():
    """offers/offer-trigger.schema.json is what email-system authors read; it must be current."""
    assert PUBLISHED.read_text() == render_json_schema(), "regenerate with: tracker schema > " + str(PUBLISHED)


def test_published_outcome_schema_matches_the_outcome_model():
    """offers/offer-outcome.schema.json is what email systems read for offer-outcomes; it must be current."""
    regenerate = "python -c 'from offers.outcomes import render_json_schema as r; print(r(), end=\"\")' > "
    assert OUTCOME_PUBLISHED.read_text() == render_outcome_schema(), "regenerate with: " + regenerate + str(
        OUTCOME_PUBLISHED)
