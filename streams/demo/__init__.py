"""The embedded default and the simulated shop: ``tracker demo`` with no Docker and no Java.

Public names: :func:`~streams.demo.run.run_demo`, :class:`~streams.demo.embedded.EmbeddedServices`,
:func:`~streams.demo.simulate.simulate`.
"""
