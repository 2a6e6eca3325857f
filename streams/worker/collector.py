"""The worker process's garbage collector: run less often, and not over what the worker built at start.

Measured in the worker (docs/benchmarks.md): the collector's young passes took about a third of
a batch's CPU at CPython's default, and its full passes walked the app's own objects again.
"""

from __future__ import annotations

import gc


#: Allocations between the collector's young-generation passes (CPython's default is 700).  A
#: batch allocates and drops tens of thousands of short-lived objects (parsed events, drafts'
#: copies, effects, encoded values): at 700 the collector ran every few events and took about
#: a third of the CPU of handling them, while nearly all it looked at was garbage already freed
#: by reference counting.  What lives on (the customers held in memory) still reaches the older
#: generations as before, a little later.
YOUNG_COLLECTION = 10_000


def tune_collector() -> None:
    """Let the garbage collector run less often in a worker process (see :data:`YOUNG_COLLECTION`)."""
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(max(gc.get_threshold()[0], YOUNG_COLLECTION), older, oldest)


def freeze_startup_objects() -> None:
    """Leave what the worker built at start out of the collector's full passes (:func:`gc.freeze`).

    Modules, classes, functions and the app's own graph are about 160,000 tracked objects that
    live as long as the process: every full pass walked them again (40 ms of each, and full
    passes stop the event loop).  What is frozen is still freed by reference counting; only a
    cycle among those objects would never be collected, and they are built once.
    """
    gc.collect()
    gc.freeze()
