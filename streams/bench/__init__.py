"""``tracker bench``: measurements on the real Redis and Kafka of the settings, one module per suite.

A benchmark measures and reports; it asserts nothing.  Figures are medians and
percentiles of many samples, with ratios against a baseline taken in the same run,
because the machines are shared and noisy.

Suites:

- ``triggers``: N pending abandonments whose due times are spread over a window; the
  worker's timer logic (the real :class:`~streams.worker.tracker.Tracker` on the real Redis,
  publishing to the real Kafka) fires them; reported: delay from due time to the
  broker's acknowledgement (p50, p99, max).
- ``throughput``: raw aiokafka vs a naive Faust agent vs the worker (:mod:`streams.bench.throughput`).
- ``stages``: the tracker's per-event cost on Redis by stage (parse, state, Redis, models,
  offers), without and with the online models.
- ``size``: Redis bytes per profile and per customer, of what is in Redis now.
- ``scale``: the tracker's per-event cost with 10k, 100k and 1M customers in Redis.
- ``lookup``: the due lookup (``ZRANGEBYSCORE … LIMIT``) on deadline sets of growing
  size, to show it stays O(log n): µs per lookup and the ratio to the smallest set.
"""
