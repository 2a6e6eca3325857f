"""History in: purchase logs, JSON Lines of events and clickstream CSVs produced to the input topics in event time (``tracker replay``).

Public name: :func:`~streams.replay.produce.replay`.
"""
