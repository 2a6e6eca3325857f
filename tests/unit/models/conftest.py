"""Fixtures of the models tests: the shared evaluation data and small synthetic files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# tests/unit/models/conftest.py -> project root -> ../shared/data
SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"

@pytest.fixture
def shared_data() -> Path:
    """The shared evaluation data folder; skipped without it, except in CI where it must exist."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the evaluation data folder {SHARED_DATA} is missing")
        pytest.skip(f"evaluation data folder {SHARED_DATA} is absent (a user's checkout)")
    return SHARED_DATA
