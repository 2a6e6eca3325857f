"""The docs stay true: the generated ones equal to the code, their links leading somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from streams.settings import markdown

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_configuration_page_is_what_tracker_settings_markdown_prints():
    """docs/configuration.md lists every setting with its current default (regenerate it when this fails:
    `.venv/bin/tracker settings --markdown > docs/configuration.md`)."""
    assert (DOCS / "configuration.md").read_text() == markdown()


ROOT = DOCS.parent
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
_FENCED = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _prose(text: str) -> str:
    """The page without its code blocks and code spans, where `](…)` is no link."""
    return re.sub(r"`[^`\n]*`", "", _FENCED.sub("", text))


def _anchor(heading: str) -> str:
    """A heading's anchor as GitHub makes it: link text kept, lower case, punctuation dropped,
    spaces as dashes (`## Privacy: forgetting a customer` is `#privacy-forgetting-a-customer`)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "")
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    """The anchors of a page's headings; a repeated heading's get `-1`, `-2`… as on GitHub."""
    anchors: set[str] = set()
    times_seen: dict[str, int] = {}
    for line in _FENCED.sub("", page.read_text()).splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*$", line):
            anchor = _anchor(match.group(1))
            seen = times_seen.get(anchor, 0)
            times_seen[anchor] = seen + 1
            anchors.add(anchor if seen == 0 else f"{anchor}-{seen}")
    return anchors


def test_anchors_are_made_as_github_makes_them():
    """A heading's anchor drops punctuation and code marks and keeps the words' dashes."""
    assert _anchor("Privacy: forgetting a customer") == "privacy-forgetting-a-customer"
    assert _anchor("Crashes (kill -9)") == "crashes-kill--9"
    assert _anchor("`make demo`") == "make-demo"
    assert _anchor("Segment's server libraries and the HTTP Tracking API") == (
        "segments-server-libraries-and-the-http-tracking-api"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_relative_link_and_anchor_of_the_docs_leads_somewhere(page: Path):
    """Each relative link of README.md and docs/*.md names a file of the repository, and each
    #anchor a heading of the page it points at."""
    broken = []
    for target in _LINK.findall(_prose(page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no such heading")
    assert broken == []
