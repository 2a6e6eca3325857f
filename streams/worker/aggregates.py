"""The page's daily figures, kept by the worker: offers and outcomes as they happen, segments and models on a timer.

Offers and outcomes are counted from the lifecycle's effects where the worker interprets
them (:meth:`DailyFigures.count`, called by :class:`~streams.worker.effects.Effects`) and
written to Redis in one pipeline per tick; every ``TRACKER_DAILY_AGGREGATES_SECONDS`` the
worker also looks at the insights — segment sizes (RFM and behavioural), the moves between
segments since its last look — and at its models' progressive quality, and sets them on
the day of the insights' ``now`` (event time in replays).  What the figures mean is
:mod:`streams.core.daily`'s; the keys are :mod:`streams.store.keys`'.

Counts not yet written when a worker dies are lost (a few tenths of a second of them): these
are the page's trends, not the books — the profiles keep the exact totals the uplift is
computed from.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

import faust

from streams.core.daily import day_of, field, offer_counts, segment_moves
from streams.core.insights import Insights
from streams.core.lifecycle import Effect
from streams.http.insights import InsightsCache
from streams.settings import Settings
from streams.store import DailyStore
from streams.metrics import MODELS
from streams.worker.scoring import Scoring

log = logging.getLogger("tracker")

#: (model score attribute, measure name) recorded each day, where the model's score has it.
MEASURES = (("recent_roc_auc", "roc_auc"), ("roc_auc", "roc_auc"), ("mae", "mae"), ("spearman", "spearman"),
            ("top_decile", "top_decile"))


class DailyFigures:
    """Counts waiting to be written, and the segments of the last look."""

    def __init__(self) -> None:
        self._offers: Counter[str] = Counter()
        self._outcomes: Counter[str] = Counter()
        self._last: dict[str, dict[str, str]] = {}

    def count(self, effects: Sequence[Effect], now: datetime) -> None:
        """Count the offers decided and resolved in ``effects`` (``now`` dates those without a time)."""
        offers, outcomes = offer_counts(effects, now)
        self._offers.update(offers)
        self._outcomes.update(outcomes)

    def look(self, insights: Insights, scoring: Scoring | None) -> dict[str, dict[str, float]]:
        """The segment sizes, moves and model quality to record now, as {family: {field: value}}; moves are counts."""
        day = day_of(insights.now)
        looks = {"rfm": dict(insights.segment_of), "behaviour": dict(insights.described.behaviour_of)}
        sizes: dict[str, float] = {}
        moves: dict[str, float] = {}
        for family, of in looks.items():
            for segment, n in Counter(of.values()).items():
                sizes[field(day, family, segment)] = n
            if family in self._last:
                for (old, new), n in segment_moves(self._last[family], of).items():
                    moves[field(day, family, old, new)] = n
            self._last[family] = of
        quality: dict[str, float] = {}
        for name in MODELS if scoring is not None else ():
            score = getattr(getattr(scoring, name), "score", None)
            for attribute, measure in MEASURES:
                value = getattr(score, attribute, None)
                key = field(day, name, measure)
                if isinstance(value, (int, float)) and math.isfinite(value) and key not in quality:
                    quality[key] = round(float(value), 6)
        return {"segments": sizes, "moves": moves, "models": quality}

    def drain(self) -> dict[str, dict[str, float]]:
        """The counts since the last drain, as {family: {field: n}}, and forget them."""
        counts = {"offers": dict(self._offers), "outcomes": dict(self._outcomes)}
        self._offers.clear()
        self._outcomes.clear()
        return counts  # type: ignore[return-value]

    def put_back(self, counts: dict[str, dict[str, float]]) -> None:
        """Counts that could not be written: keep them for the next tick."""
        self._offers.update({k: int(v) for k, v in counts.get("offers", {}).items()})
        self._outcomes.update({k: int(v) for k, v in counts.get("outcomes", {}).items()})


def register(
    app: faust.App, settings: Settings, figures: DailyFigures, store: DailyStore, insights: InsightsCache,
    scoring: Scoring, leads: Callable[[], bool],
) -> None:
    """Add the timers that write the daily figures.

    Every worker adds the offers and outcomes it decided; only the one that ``leads`` (owns
    input partition 0) looks at the segments and models — the insights cover every customer, so
    two workers looking would count each move twice.
    """

    @app.timer(interval=min(settings.daily_aggregates_seconds, 1.0))
    async def write_daily_counts() -> None:
        counts = figures.drain()
        try:
            await store.write(counts, {})
        except Exception as exc:  # Redis away: the next tick writes them
            figures.put_back(counts)
            log.warning("daily figures not written: error=%r", exc)

    @app.timer(interval=settings.daily_aggregates_seconds)
    async def look_at_segments_and_models() -> None:
        if not leads():
            return
        try:
            latest = await insights.get()
            seen = figures.look(latest, scoring)
            moves = seen.pop("moves")
            await store.write({"moves": moves}, seen)
        except Exception as exc:  # Redis away: the next tick looks again
            log.warning("daily figures not recorded: error=%r", exc)
