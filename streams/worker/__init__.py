"""The worker: the tracker between Kafka and Redis, and its wiring as a Faust app.

Public names: :class:`~streams.worker.tracker.Tracker` (batches and timer ticks in, saved state
and effects out), :func:`~streams.worker.app.build` and :func:`~streams.worker.app.run`.
"""
