"""The worker's HTTP side: ops endpoints, the marketers' API and page, the collector, erasure.

Each module registers its own routes: :mod:`~streams.http.ops` (``/health``, ``/ready``,
``/metrics``), :mod:`~streams.http.marketers` (``/customers``, ``/segments``, ``/``),
:mod:`~streams.http.collector` (``POST /events``).
"""
