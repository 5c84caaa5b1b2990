"""Benchmarks: measured throughput and cold start, each beside its limit and its peers.

Run with `make bench` (or `python -m benchmarks.bench_validation --quick` for a smoke run and
`python -m benchmarks.bench_imports`). Never part of the test suite.
"""
