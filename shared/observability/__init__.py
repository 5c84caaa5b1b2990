"""Seeing the system (docs/observability.md): the metrics every function and the API emit, and
what operators read about queues and scheduled runs."""
