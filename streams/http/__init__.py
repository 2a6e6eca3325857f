"""The worker's HTTP side: ops endpoints, the marketers' API and page, the collector, erasure.

Each module registers its own routes: :mod:`~streams.http.ops` (``/health``, ``/ready``,
``/metrics``), :mod:`~streams.http.marketers` (``/customers``, ``/segments``, ``/``),
:mod:`~streams.http.collector` (``POST /events``), :mod:`~streams.http.tracking_api` (``POST /v1/*``,
the Segment HTTP Tracking API).
"""
