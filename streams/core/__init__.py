"""The pure core: events, parsing at the edge, customer state and its updates, the offer lifecycle, insights.

No Faust, Redis, Kafka or Prometheus here, and no other ``streams`` package: plain values in,
plain values out (an import-linter contract in ``pyproject.toml`` keeps it so; mypy checks it
strictly).  Modules: ``events`` (schemas), ``intake`` (records → events or dead letters),
``state`` (profile and visits), ``visits`` (what an event does), ``merging`` (two histories as
one), ``lifecycle`` (abandonment → offer → outcome, as effects), ``features`` (what the
models see), ``insights`` (segments, personas, rankings), ``frozen`` (a fast ``replace``).
"""
