"""The docs that are generated from the code stay equal to it."""

from __future__ import annotations

from pathlib import Path

from streams.settings import markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_configuration_page_is_what_tracker_settings_markdown_prints():
    """docs/configuration.md lists every setting with its current default (regenerate it when this fails:
    `.venv/bin/tracker settings --markdown > docs/configuration.md`)."""
    assert (DOCS / "configuration.md").read_text() == markdown()
