"""The worker's models and writes give the same results, bit for bit, as when their digests were taken.

A change meant to make the worker or its models cheaper (not different) must leave these digests
as they are (:mod:`model_digest` runs simulated shoppers through the tracker on the fakes): the
models' learned state, and every saved state, outbox entry, deadline, published record, decision
counted and daily count. A change that alters what the worker does on purpose updates them, and says so.
"""

from __future__ import annotations

from models.segments import BehaviourSegments

from model_digest import run

#: The digests on 600 simulated shoppers, with segments that learn every update and refresh often.
EXPECTED = {
    "intent": "824c8e4bee496fe8",
    "segments": "4c1882bac319921c",
    "segment_arrays": "7fbcdaf70dc83d42",
    "loyalty": "8d038488cdef13a8",
    "value": "ac6249e738372238",
    "placements": "3ba250bfb6fbf996",
    "scores": "887b426401926014",
    "states": "d829eab7324ca902",  # Profile.queued (empty here, live): d2bd6f2568a02d21 without the field
    "outbox": "a6a7dbd7b7464b95",
    "deadlines": "629b1f7a38f28af3",
    "published": "44a0bdeb0d9d1b71",
    "decisions": "1822471e83444be5",
    "daily": "4db1e920b04b6c7c",
}


async def test_the_models_learn_score_and_place_as_before():
    found, scoring, store = await run(600, segments=BehaviourSegments(warm_up=60, refresh_every=50, learn_share=1.0))
    assert scoring.intent.n_learned >= 600 and len(scoring.segments.segments) >= 2
    assert scoring.loyalty.n_learned > 0 and sum(s.profile.behaviour_segment is not None for s in store.states.values())
    assert {key: found[key] for key in EXPECTED} == EXPECTED
