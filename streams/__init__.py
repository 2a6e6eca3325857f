"""The I/O shell: Kafka agents, Redis state, HTTP, metrics and the ``tracker`` CLI."""
