"""Shared pieces of the offline evaluation reports: progress callbacks and text tables."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["PROGRESS_EVERY", "Progress", "pct", "table", "tick"]

#: ``progress(done, total)``, called now and then during a long evaluation.
Progress = Callable[[int, int], None]

#: Items between two progress calls.
PROGRESS_EVERY = 500


def tick(progress: Progress | None, done: int, total: int) -> None:
    """Call ``progress`` every :data:`PROGRESS_EVERY` items and at the end."""
    if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
        progress(done, total)


def pct(value: float, digits: int = 2) -> str:
    """A share as a percentage, ``n/a`` for NaN.

    >>> pct(0.5523), pct(float("nan"))
    ('55.23 %', 'n/a')

    """
    return "n/a" if math.isnan(value) else f"{100 * value:.{digits}f} %"


def skipped_lines(guests: int, not_sales: int, open_deals: int = 0) -> str:
    """What a purchase log's report says of the lines it left out, so that nobody takes them for counted.

    >>> skipped_lines(294, 12)
    'Lines skipped: 294 of guests (no customer), 12 of orders that were no sale (cancelled, failed, unpaid…).'
    >>> skipped_lines(0, 3, 40)
    'Lines skipped: 3 of orders that were no sale (cancelled, failed, unpaid…), 40 of deals not won (yet).'
    >>> skipped_lines(0, 0)
    'Lines skipped: none.'

    """
    parts = [*([f"{guests} of guests (no customer)"] if guests else []),
             *([f"{not_sales} of orders that were no sale (cancelled, failed, unpaid…)"] if not_sales else []),
             *([f"{open_deals} of deals not won (yet)"] if open_deals else [])]
    return f"Lines skipped: {', '.join(parts) if parts else 'none'}."


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Lines of a text table: the first column left-aligned, the others right-aligned.

    >>> print("\\n".join(table(["model", "AUC"], [["ours", "0.8"], ["theirs", "0.75"]])))
    model    AUC
    ------  ----
    ours     0.8
    theirs  0.75

    """
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]
