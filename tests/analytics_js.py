"""Messages exactly as analytics.js (Segment's analytics-next) sends them, for tests of the spec input.

The shape follows analytics-next's ``segmentio`` plugin: every message carries ``messageId``
(``ajs-next-…``), ``anonymousId``, ``userId`` (``null`` until ``identify``), ``timestamp``,
``context`` (page, userAgent, locale, timezone, library), ``integrations``, ``writeKey`` and
``_metadata``; a batch (the ``batching`` delivery strategy) is ``{"batch": [...],
"writeKey": ..., "sentAt": ...}`` posted as ``text/plain``.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

WRITE_KEY = "shop-write-key"
_ids = itertools.count(1)


class Browser:
    """One shopper's browser: an anonymous id from the start, a user id once they log in."""

    def __init__(self, anonymous_id: str, *, page_url: str = "https://shop.example/") -> None:
        self.anonymous_id = anonymous_id
        self.user_id: str | None = None
        self.page_url = page_url

    def _message(self, type_: str, at: datetime, **fields: Any) -> dict[str, Any]:
        return {
            "type": type_,
            "messageId": f"ajs-next-{next(_ids):032x}",
            "anonymousId": self.anonymous_id,
            "userId": self.user_id,
            "timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "context": {
                "page": {"path": "/", "referrer": "", "search": "", "title": "Shop", "url": self.page_url},
                "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0",
                "locale": "en-GB",
                "timezone": "Europe/London",
                "library": {"name": "analytics.js", "version": "next-1.70.0"},
            },
            "integrations": {},
            "writeKey": WRITE_KEY,
            "_metadata": {"bundled": ["Segment.io"], "unbundled": [], "bundledIds": []},
            **fields,
        }

    def page(self, at: datetime, name: str | None = None, **properties: Any) -> dict[str, Any]:
        props = {"path": "/", "referrer": "", "search": "", "title": "Shop", "url": self.page_url, **properties}
        return self._message("page", at, name=name, properties=props)

    def identify(self, at: datetime, user_id: str, **traits: Any) -> dict[str, Any]:
        self.user_id = user_id
        return self._message("identify", at, traits=traits)

    def track(self, at: datetime, event: str, **properties: Any) -> dict[str, Any]:
        return self._message("track", at, event=event, properties=properties)


def batch(*messages: dict[str, Any], sent_at: datetime) -> dict[str, Any]:
    """The body analytics.js posts with the batching strategy."""
    return {"batch": [{k: v for k, v in m.items() if k != "sentAt"} for m in messages], "writeKey": WRITE_KEY,
            "sentAt": sent_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")}
