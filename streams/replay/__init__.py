"""History in: purchase logs produced to the input topics in event time (``tracker replay``).

Public name: :func:`~streams.replay.produce.replay`.
"""
