"""A persona's face: a small SVG badge drawn in code from its traits — no stock photo, no network.

The colours come from a hash of the segment's key, so a segment keeps its face from one page to
the next; the mouth says how happy the customers are (ratings, refunds, intent); glasses mark
researchers; up to two emblems in the corners show the main traits (a price tag for bargain
hunters, a sun for weekends, a moon for nights, a bag for big baskets, a heart for regulars, a
star for high value, a return arrow for returners, the initial of a favourite category or
channel). Every text from the data is escaped, so a category named ``<script>`` stays text.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Sequence

from models.behaviour import CATEGORY, CHANNEL

__all__ = ["avatar"]

_SKIN = ("#f1c27d", "#e0ac69", "#c68642", "#8d5524", "#ffdbac")
_HAIR = ("#2c1b10", "#6a4e23", "#b55239", "#e6c35c", "#4b4b4b", "#111111")

_HAPPY = {"delighted", "regular", "eager", "frequent_buyer", "decisive", "offer_taker"}
_UNHAPPY = {"unhappy", "returner"}
_FLAT = {"hesitant", "window_shopper", "rare_visitor", "rare_buyer"}
_GLASSES = {"researcher", "unhurried"}

_EMBLEMS = {
    "bargain_hunter": "tag", "offer_taker": "tag",
    "weekend": "sun", "night_owl": "moon", "evening": "moon",
    "big_basket": "bag", "cart_filler": "bag",
    "regular": "heart", "frequent_buyer": "heart", "frequent_visitor": "heart",
    "high_value": "star", "returner": "return", "researcher": "lens",
}


def _emblem(kind: str, cx: float, cy: float, colour: str, letter: str = "") -> str:
    ring = f'<circle cx="{cx}" cy="{cy}" r="11" fill="#ffffff" stroke="{colour}" stroke-width="2"/>'
    if kind == "tag":
        body = (f'<path d="M{cx - 6} {cy - 5}h7l5 5-7 7-5-5z" fill="{colour}"/>'
                f'<circle cx="{cx - 3}" cy="{cy - 2}" r="1.3" fill="#ffffff"/>')
    elif kind == "sun":
        rays = "".join(f'<rect x="{cx - 0.8}" y="{cy - 9}" width="1.6" height="3.5" fill="{colour}" '
                       f'transform="rotate({a} {cx} {cy})"/>' for a in range(0, 360, 45))
        body = f'<circle cx="{cx}" cy="{cy}" r="4" fill="{colour}"/>{rays}'
    elif kind == "moon":
        body = (f'<circle cx="{cx}" cy="{cy}" r="6" fill="{colour}"/>'
                f'<circle cx="{cx + 3}" cy="{cy - 2}" r="5.5" fill="#ffffff"/>')
    elif kind == "bag":
        body = (f'<rect x="{cx - 6}" y="{cy - 3}" width="12" height="10" rx="1.5" fill="{colour}"/>'
                f'<path d="M{cx - 3} {cy - 3}v-2a3 3 0 0 1 6 0v2" stroke="{colour}" stroke-width="1.6" fill="none"/>')
    elif kind == "heart":
        body = (f'<path d="M{cx} {cy + 6}l-6-6a3.5 3.5 0 0 1 6-4 3.5 3.5 0 0 1 6 4z" fill="{colour}"/>')
    elif kind == "star":
        body = (f'<path d="M{cx} {cy - 7}l2 5h5l-4 3 1.6 5-4.6-3-4.6 3 1.6-5-4-3h5z" fill="{colour}"/>')
    elif kind == "return":
        body = (f'<path d="M{cx + 5} {cy + 4}v-3a4 4 0 0 0-4-4h-6" stroke="{colour}" stroke-width="2" fill="none"/>'
                f'<path d="M{cx - 5} {cy - 7}l-3 4 3 4z" fill="{colour}"/>')
    elif kind == "lens":
        body = (f'<circle cx="{cx - 1.5}" cy="{cy - 1.5}" r="4.5" stroke="{colour}" stroke-width="2" fill="none"/>'
                f'<path d="M{cx + 2} {cy + 2}l4 4" stroke="{colour}" stroke-width="2.4"/>')
    else:
        body = (f'<text x="{cx}" y="{cy + 4}" font-family="sans-serif" font-size="11" font-weight="700" '
                f'text-anchor="middle" fill="{colour}">{html.escape(letter)}</text>')
    return ring + body


def avatar(name: str, traits: Sequence[str], key: str) -> str:
    """An SVG badge (96 x 96) for a persona called ``name`` with ``traits``; ``key`` picks its colours.

    Examples
    --------
    >>> svg = avatar("Weekend Bargain Hunter", ["weekend", "bargain_hunter"], "B3")
    >>> svg.startswith("<svg") and "<title>Weekend Bargain Hunter</title>" in svg
    True
    >>> svg == avatar("Weekend Bargain Hunter", ["weekend", "bargain_hunter"], "B3")
    True
    >>> "<script>" in avatar("<script> Fan", ["category:<script>"], "B9")
    False

    """
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    hue = int.from_bytes(digest[:2], "big") % 360
    skin, hair = _SKIN[digest[2] % len(_SKIN)], _HAIR[digest[3] % len(_HAIR)]
    background, accent = f"hsl({hue},55%,86%)", f"hsl({hue},55%,38%)"
    found = set(traits)
    ring = "#c9a227" if "high_value" in found else ("#b42318" if found & _UNHAPPY else accent)
    if found & _UNHAPPY:
        mouth = '<path d="M41 57q7-5 14 0" stroke="#5a2a1a" stroke-width="2" fill="none"/>'
    elif found & _FLAT and not found & _HAPPY:
        mouth = '<path d="M41 55h14" stroke="#5a2a1a" stroke-width="2"/>'
    else:
        mouth = '<path d="M40 53q8 7 16 0" stroke="#5a2a1a" stroke-width="2" fill="none"/>'
    eyes = '<circle cx="41" cy="44" r="2.2" fill="#222"/><circle cx="55" cy="44" r="2.2" fill="#222"/>'
    if found & _GLASSES:
        eyes += ('<circle cx="41" cy="44" r="5" stroke="#222" stroke-width="1.5" fill="none"/>'
                 '<circle cx="55" cy="44" r="5" stroke="#222" stroke-width="1.5" fill="none"/>'
                 '<path d="M46 44h4" stroke="#222" stroke-width="1.5"/>')
    emblems: list[tuple[str, str]] = []
    for trait in traits:
        if len(emblems) == 2:
            break
        if trait in _EMBLEMS:
            emblems.append((_EMBLEMS[trait], ""))
        elif trait.startswith((CATEGORY, CHANNEL)):
            emblems.append(("letter", trait.split(":", 1)[1][:1].upper()))
    corners = ((20.0, 20.0), (76.0, 20.0))
    badges = "".join(_emblem(kind, cx, cy, accent, letter) for (kind, letter), (cx, cy) in zip(emblems, corners))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" width="96" height="96" role="img">'
        f"<title>{html.escape(name)}</title>"
        f'<circle cx="48" cy="48" r="45" fill="{background}" stroke="{ring}" stroke-width="4"/>'
        f'<path d="M18 88a30 24 0 0 1 60 0z" fill="{accent}"/>'
        f'<circle cx="48" cy="46" r="19" fill="{skin}"/>'
        f'<path d="M29 42a19 19 0 0 1 38 0q-10-9-19-6q-9-3-19 6z" fill="{hair}"/>'
        f"{eyes}{mouth}{badges}</svg>"
    )
