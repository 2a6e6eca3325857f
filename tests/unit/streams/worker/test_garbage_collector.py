"""The worker's settings of the garbage collector (streams.worker.collector)."""

from __future__ import annotations

import gc

from streams.worker.collector import YOUNG_COLLECTION, freeze_startup_objects, tune_collector


def test_the_young_generation_is_collected_less_often():
    before = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold()[0] >= YOUNG_COLLECTION
    finally:
        gc.set_threshold(*before)


def test_what_was_built_at_start_is_left_out_of_full_passes():
    built = [{"n": n} for n in range(1000)]
    try:
        freeze_startup_objects()
        assert gc.get_freeze_count() >= len(built)
    finally:
        gc.unfreeze()
