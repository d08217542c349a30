"""Benchmark tests; fixtures/ holds benchmark data (exercises with their own tests), not tests."""

collect_ignore = ["fixtures"]
