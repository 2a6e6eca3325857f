"""The I/O shell of the tracker, in packages that read as the flow.

- ``core/``: pure — events, parsing at the edge, customer state and its updates, the offer
  lifecycle, insights; no Faust, Redis, Kafka or Prometheus (an import contract keeps it so);
- ``broker/``: Kafka — the worker's own batch consumer, the publisher, output read-back, topics;
- ``store/``: Redis — the only code that knows key names;
- ``worker/``: the tracker between them and the Faust wiring;
- ``http/``: ops endpoints, the marketers' API and page, the collector, erasure;
- ``cli/``, ``bench/``, ``demo/``, ``replay/``: the ``tracker`` command and what it runs.

At the top: ``settings`` (all configuration), ``metrics`` (one container), ``transport``
(credentials and TLS of every client), ``logs`` and ``errors``.
"""
