"""The page's chart library is bundled and pinned: the page loads nothing from elsewhere and works offline."""

from __future__ import annotations

import re

from streams.http.marketers import DASHBOARD, STATIC, STATIC_TYPES

VERSION = "4.6.1"


def test_the_chart_library_is_the_pinned_release_with_its_licence():
    library = (STATIC / "chart.umd.min.js").read_text()
    assert library.startswith(f"/*!\n * Chart.js v{VERSION}\n")
    assert "MIT License" in (STATIC / "chart.js.LICENSE.md").read_text()
    assert f"chart.js@{VERSION}" in (STATIC / "README.md").read_text()
    assert set(STATIC_TYPES) == {"chart.umd.min.js", "chart.js.LICENSE.md"}


def test_the_page_loads_its_scripts_from_the_worker_only():
    page = DASHBOARD.read_text()
    sources = re.findall(r"<script[^>]*src=\"([^\"]+)\"", page)
    assert sources == ["/static/chart.umd.min.js"]
    assert not re.search(r"(src|href)=\"https?://", page)
